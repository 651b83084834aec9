#!/bin/sh
# scripts/check-style.sh — the style check run by the test command.
#   1. clang-format: every C file under src/, tests/, bench/, fuzz/ is formatted.
#   2. banned calls: strcpy, strcat, sprintf, vsprintf, gets, atoi, atol, strtok,
#      system, and raw malloc/calloc/realloc/free/strdup outside src/core/alloc.c
#      (all allocation goes through mx_malloc & co.; tests may use libc).
#   3. layering: scripts/check-includes.sh (the "never" arrows of ARCHITECTURE.md).
# Fix formatting with: scripts/check-style.sh --fix
set -eu
cd "$(dirname "$0")/.."
files=$(find src tests bench fuzz -name '*.[ch]' -not -path '*/node_modules/*' 2>/dev/null | sort)
status=0

if command -v clang-format >/dev/null 2>&1; then
	if [ "${1:-}" = "--fix" ]; then
		clang-format -i $files
	else
		for f in $files; do
			if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
				echo "style: $f is not clang-formatted (run scripts/check-style.sh --fix)"
				status=1
			fi
		done
	fi
else
	echo "style: clang-format not installed" >&2
	status=1
fi

# Strip comments and string literals crudely before grepping: good enough for a lint.
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|strtok|system)[[:space:]]*\('
raw_alloc='(^|[^_[:alnum:]])(malloc|calloc|realloc|free|strdup|strndup)[[:space:]]*\('
for f in $files; do
	hits=$(sed -e 's://.*$::' -e 's:"[^"]*"::g' -e 's:/\*.*\*/::g' -e 's:^[[:space:]]*/\*.*$::' -e 's:^[[:space:]]*\*.*$::' "$f" | grep -nE "$banned" || true)
	if [ -n "$hits" ]; then
		echo "$hits" | sed "s|^|style: $f:|; s|\$| (banned call)|"
		status=1
	fi
	case "$f" in
	src/core/alloc.c|tests/*|bench/*|fuzz/*) continue ;;
	esac
	hits=$(sed -e 's://.*$::' -e 's:"[^"]*"::g' -e 's:/\*.*\*/::g' "$f" | grep -nE "$raw_alloc" || true)
	if [ -n "$hits" ]; then
		echo "$hits" | sed "s|^|style: $f:|; s|\$| (use mx_malloc/mx_free from core/alloc.h)|"
		status=1
	fi
done
sh scripts/check-includes.sh || status=1
[ $status -eq 0 ] && echo "style: ok ($(echo $files | wc -w) files)"
exit $status
