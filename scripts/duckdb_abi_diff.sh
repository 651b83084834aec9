#!/bin/sh
# scripts/duckdb_abi_diff.sh OLD.h NEW.h [SYMBOLS] — does a program compiled
# against DuckDB's duckdb.h OLD.h run unchanged on the library NEW.h
# describes? Compares, with clang's AST of each header (clang -ast-dump=json)
# and a program compiled against each: every function's prototype, every
# typedef, every enum constant's value, and every struct's size, alignment
# and field offsets (nested fields too). SYMBOLS (one name a line, e.g.
# `nm -D --undefined-only build/mxcp | grep -o 'duckdb_[a-z0-9_]*'`) are the
# functions that must be in NEW.h. Prints the differences; exits 1 when an
# old prototype, typedef, enum value or layout changed or a symbol is gone.
# Used for bench/README.md, "DuckDB 1.5.x against 1.4.4".
set -eu
command -v clang >/dev/null || { echo "abi: clang is required" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp "$1" "$TMP/a.h"
cp "$2" "$TMP/b.h"
: >"$TMP/symbols"
[ $# -lt 3 ] || cp "$3" "$TMP/symbols"
cd "$TMP"
for h in a b; do
	clang -x c -fsyntax-only -Wno-pragma-once-outside-header -Xclang -ast-dump=json -DDUCKDB_API_NO_DEPRECATED $h.h >$h.json
	python3 - $h <<'PY'
import json, sys
name = sys.argv[1]
ast = json.load(open(name + '.json'))
byid, complete = {}, {}
def index(n):
    byid[n.get('id')] = n
    if n.get('kind') == 'RecordDecl' and n.get('completeDefinition') and n.get('name'):
        complete[n['name']] = n['id']
    for c in n.get('inner', []):
        index(c)
index(ast)
funcs, typedefs, enums, structs = {}, {}, [], {}
lastfile = None
def record_of(x):
    if x.get('kind') == 'RecordType':
        return x['decl']['id']
    if 'ownedTagDecl' in x:
        return x['ownedTagDecl']['id']
    for c in x.get('inner', []):
        r = record_of(c)
        if r:
            return r
    return None
for n in ast['inner']:
    f = n.get('loc', {}).get('file') or n.get('loc', {}).get('spellingLoc', {}).get('file')
    if f:
        lastfile = f
    if not lastfile or not lastfile.endswith(name + '.h'):
        continue
    k = n['kind']
    if k == 'FunctionDecl':
        funcs[n['name']] = n['type']['qualType'].replace('()', '(void)')
    elif k == 'TypedefDecl':
        t = n['type']
        typedefs[n['name']] = t.get('desugaredQualType', t['qualType'])
        rid = record_of(n)
        if rid and '*' not in t['qualType']:
            structs[n['name']] = rid
    elif k == 'EnumDecl':
        enums += [c['name'] for c in n.get('inner', []) if c['kind'] == 'EnumConstantDecl']
def fields(rid, path):
    rec = byid[rid]
    res = []
    inner_recs = [c for c in rec.get('inner', []) if c['kind'] == 'RecordDecl']
    for c in rec.get('inner', []):
        if c['kind'] == 'FieldDecl' and c.get('name'):
            res.append('.'.join(path + [c['name']]))
            qt = c['type'].get('qualType', '')
            for r in inner_recs:
                if ('unnamed' in qt and str(r.get('loc', {}).get('line', '')) in qt) or (r.get('name') and r['name'] in qt):
                    res += fields(r['id'], path + [c['name']])
    return res
out = ['#include "%s.h"' % name, '#include <stdio.h>', '#include <stddef.h>', 'int main(void) {']
out += ['printf("enum %s %%lld\\n", (long long)%s);' % (e, e) for e in enums]
for t, rid in sorted(structs.items()):
    rec = byid.get(rid)
    if rec and not rec.get('completeDefinition') and rec.get('name') in complete:
        rid = complete[rec['name']]
        rec = byid[rid]
    if not rec or not rec.get('completeDefinition'):
        continue
    out.append('printf("size %s %%zu %%zu\\n", sizeof(%s), _Alignof(%s));' % (t, t, t))
    out += ['printf("field %s.%s %%zu\\n", offsetof(%s, %s));' % (t, f, t, f) for f in fields(rid, [])]
    typedefs[t] = 'struct'  # its layout is compared instead of its spelling
out.append('return 0; }')
open(name + '_layout.c', 'w').write('\n'.join(out) + '\n')
with open(name + '.decls', 'w') as o:
    for k, v in sorted(funcs.items()):
        o.write('func %s %s\n' % (k, ' '.join(v.split())))
    for k, v in sorted(typedefs.items()):
        o.write('typedef %s %s\n' % (k, ' '.join(v.split())))
PY
	cc -w -DDUCKDB_API_NO_DEPRECATED -o ${h}_layout ${h}_layout.c
	./${h}_layout | cat - $h.decls | sort >$h.facts
done
# Facts of the old header that the new one lacks or states otherwise.
comm -23 a.facts b.facts >changed
bad=0
while read -r kind name rest; do
	if grep -q "^$kind $name " b.facts; then
		printf 'changed: %s %s: %s -> %s\n' "$kind" "$name" "$rest" "$(grep "^$kind $name " b.facts | cut -d' ' -f3-)"
	else
		printf 'gone: %s %s\n' "$kind" "$name"
	fi
	bad=1
done <changed
while read -r s; do
	grep -q "^func $s " b.facts || { printf 'missing from the new header: %s\n' "$s"; bad=1; }
done <symbols
printf 'old: %s functions, %s enum constants, %s structs; new: %s functions, %s enum constants; %s old facts differ\n' \
	"$(grep -c '^func' a.facts)" "$(grep -c '^enum' a.facts)" "$(grep -c '^size' a.facts)" \
	"$(grep -c '^func' b.facts)" "$(grep -c '^enum' b.facts)" "$(wc -l <changed)"
exit $bad
