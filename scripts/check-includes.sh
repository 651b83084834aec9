#!/bin/sh
# scripts/check-includes.sh — the layering of shared/ARCHITECTURE.md, checked
# from the #include "…" lines of src/ (run by scripts/check-style.sh).
# Dependencies point down: cli → server → transport → mcp → exec →
# (policy, cel, jinja, types, model, audit, ops) → core. Each rule below
# names a folder and the folders it must never include; a break prints
# file:line and the rule, and fails the check.
set -eu
cd "$(dirname "$0")/.."

# folder|never these (space-separated), why
RULES='cache|audit auth cel cli config drift exec jinja mcp model ops policy quality server transport types|the response cache store is a leaf over core: exec builds its keys
core|audit auth cache cel cli config drift exec jinja mcp model ops policy quality server transport types|core is a leaf: project-agnostic utilities only
cel|audit auth cli config drift exec jinja mcp model ops policy quality server transport types|an embedded language depends on core only
jinja|audit auth cel cli config drift exec mcp model ops policy quality server transport types|an embedded language depends on core only
auth|cli drift exec mcp quality server transport|identity is below the call path
types|cli drift exec mcp quality server transport|the type system knows no protocol, transport or executor
model|cli drift exec mcp quality server transport|the snapshot knows no protocol, transport or executor
policy|cli drift exec mcp model quality server transport|the rules see values and the user, never the call path or the model
ops|audit cache cli exec mcp quality server transport|ops are leaves: owners push values or install sources
audit|cli mcp quality server transport|the trail knows no protocol or transport (its queries run on DuckDB through exec/sql)
exec|cli mcp server transport|the call path never calls up into the protocol
mcp|cli server transport|the protocol core knows no transport
transport|cli exec|a transport speaks only to mcp/ and server/'

status=0
echo "$RULES" | while IFS='|' read -r dir never why; do
	[ -d "src/$dir" ] || continue
	for bad in $never; do
		hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]+\"$bad/" "src/$dir" --include='*.[ch]' || true)
		if [ -n "$hits" ]; then
			echo "$hits" | sed "s|\$|  (layering: $dir/ never includes $bad/: $why)|"
			echo fail >>"${TMPDIR:-/tmp}/mxcp-includes.$$"
		fi
	done
done
if [ -f "${TMPDIR:-/tmp}/mxcp-includes.$$" ]; then
	rm -f "${TMPDIR:-/tmp}/mxcp-includes.$$"
	status=1
fi
exit $status
