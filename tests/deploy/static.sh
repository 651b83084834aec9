#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/deploy/static.sh — the deployment files checked without building an
# image (ctest deploy/static, a few seconds):
#   - `mxcp health`: exit codes against a live server, its admin socket, nothing;
#   - deploy/k8s/*.yaml and deploy/compose.yml parsed and checked against what
#     mxcp serves and reads (check_manifests.py: ports, probe paths, env names,
#     securityContext, selectors), then validated against the Kubernetes schemas
#     (kubernetes-models from npm, installed here on first use);
#   - the ConfigMap's config.yml and mxcp-site.yml validated by mxcp, and every
#     probe path answered 200 by a server run with them;
#   - deploy/nginx.conf in front of a server run with deploy/config.yml
#     (trust_proxy): /health, /metrics kept inside, an MCP session and a tool
#     call, the forwarded Origin accepted;
#   - deploy/mxcp.service: `systemd-analyze verify`, and `systemd-analyze
#     security` at most 2.0;
#   - deploy/Dockerfile's runtime packages: every library mxcp,
#     mxcp_python.so and libduckdb.so link is in one of them, or in a
#     package every Debian system has (libc6, libgcc-s1, Essential: yes).
# Needs /usr/bin/python3, node/npm (the npm packages of package.json are
# installed here on first use), nginx, curl, systemd-analyze (Debian's
# systemd package; scripts/setup.sh installs the rest).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${MXCP_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
: "${MXCP:=$MXCP_SOURCE_DIR/build/mxcp}"
. "$here/lib.sh"
for tool in curl node npm systemd-analyze; do
	command -v $tool >/dev/null 2>&1 || { echo "deploy: $tool is required" >&2; exit 2; }
done
PY=/usr/bin/python3
[ -x $PY ] || { echo "deploy: /usr/bin/python3 is required (scripts/setup.sh)" >&2; exit 2; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "deploy: nginx is required (scripts/setup.sh)" >&2; exit 2; }

tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
ok() { echo "ok - $*"; }
no() {
	echo "not ok - $*"
	fails=$((fails + 1))
}

# ---------------------------------------------------------------- project
mkdir -p "$tmp/app" "$tmp/home"
export HOME="$tmp/home"
cp -R "$MXCP_SOURCE_DIR/examples/." "$tmp/app/"
rm -rf "$tmp/app/data" "$tmp/app/audit"
(cd "$tmp/app" && "$MXCP" query --file seed/seed.sql >/dev/null)

# ---------------------------------------------------------------- manifests
if [ ! -d "$here/node_modules/kubernetes-models" ] || [ ! -d "$here/node_modules/yaml" ]; then
	exec 9>"$here/.npm-install.lock"
	flock 9
	[ -d "$here/node_modules/kubernetes-models" ] && [ -d "$here/node_modules/yaml" ] ||
		(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
	flock -u 9
fi
mxcp_env_names "$MXCP_SOURCE_DIR" >"$tmp/env-names"
(cd "$here" && node yaml_to_json.mjs "$MXCP_SOURCE_DIR"/deploy/k8s/*.yaml "$MXCP_SOURCE_DIR/deploy/compose.yml") >"$tmp/parsed.json"
if $PY "$here/check_manifests.py" "$MXCP_SOURCE_DIR" "$tmp/env-names" "$tmp" "$tmp/parsed.json"; then
	ok "k8s manifests and compose.yml agree with mxcp's routes, port and environment"
else
	no "k8s manifests / compose.yml"
fi
if [ -f "$tmp/k8s.json" ] && (cd "$here" && node validate_k8s.mjs "$tmp/k8s.json"); then
	ok "k8s manifests valid against the Kubernetes schemas"
else
	no "k8s schema validation"
fi

# The ConfigMap's files, with /app where this test's copy is.
sed "s|/app/|$tmp/app/|g" "$tmp/mxcp-site.yml" >"$tmp/app/mxcp-site.yml"
mkdir -p "$tmp/app/audit" "$tmp/app/drift"
if (cd "$tmp/app" && MXCP_CONFIG="$tmp/config.yml" "$MXCP" query --file seed/seed.sql >/dev/null &&
	MXCP_CONFIG="$tmp/config.yml" "$MXCP" validate >"$tmp/validate.out" 2>&1); then
	ok "the ConfigMap's config.yml and mxcp-site.yml validate"
else
	cat "$tmp/validate.out"
	no "the ConfigMap's files do not validate"
fi

# ---------------------------------------------------------------- probes, health
port=$(free_port 1)
(cd "$tmp/app" && MXCP_CONFIG="$tmp/config.yml" MXCP_ADMIN_ENABLED=1 MXCP_ADMIN_SOCKET="$tmp/run/mxcp.sock" \
	exec "$MXCP" serve --transport streamable-http --host 127.0.0.1 --port "$port" >"$tmp/serve1.log" 2>&1) &
serve1=$!
pids="$pids $serve1"
if wait_for "$MXCP" health --url "http://127.0.0.1:$port/health"; then
	ok "mxcp health: 0 against a live server"
else
	cat "$tmp/serve1.log"
	no "server with the ConfigMap's config did not come up"
fi
while read -r path; do
	if "$MXCP" health --url "http://127.0.0.1:$port$path" >/dev/null; then
		ok "probe path $path answers 2xx"
	else
		no "probe path $path"
	fi
done <"$tmp/probes"
"$MXCP" health --socket "$tmp/run/mxcp.sock" >/dev/null && ok "mxcp health --socket: the admin API" || no "mxcp health --socket"
"$MXCP" health --url "http://127.0.0.1:$port/nope" >/dev/null 2>&1 && no "mxcp health: a 404 is healthy" || ok "mxcp health: 1 on a 404"
"$MXCP" health --url "http://127.0.0.1:$(free_port 9)/health" >/dev/null 2>&1 && no "mxcp health: nothing listening" ||
	ok "mxcp health: 1 when nothing listens"
rc=0
"$MXCP" health --url "ftp://x" >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] && ok "mxcp health: 2 on a bad --url" || no "mxcp health: bad --url gave $rc"
# The next server opens the same DuckDB file (one writer): stop this one.
kill -TERM "$serve1"
rc=0
wait "$serve1" || rc=$?
[ $rc -eq 0 ] && ok "SIGTERM: mxcp exits 0" || no "SIGTERM: mxcp exited $rc"

# ---------------------------------------------------------------- nginx
port2=$(free_port 2)
nport=$(free_port 3)
(cd "$tmp/app" && MXCP_CONFIG="$MXCP_SOURCE_DIR/deploy/config.yml" exec "$MXCP" serve --port "$port2" >"$tmp/serve2.log" 2>&1) &
pids="$pids $!"
mkdir -p "$tmp/nginx/logs"
sed -e "s|server mxcp:8000;|server 127.0.0.1:$port2;|" -e "s|listen 80;|listen 127.0.0.1:$nport;|" \
	-e "s|access_log /dev/stdout;|access_log $tmp/nginx/logs/access.log;|" \
	"$MXCP_SOURCE_DIR/deploy/nginx.conf" >"$tmp/nginx/nginx.conf"
for d in client_body proxy fastcgi uwsgi scgi; do mkdir -p "$tmp/nginx/$d"; done
ngx_g="daemon off; pid $tmp/nginx/nginx.pid; error_log $tmp/nginx/logs/error.log;"
if "$NGINX" -t -q -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g "$ngx_g" 2>"$tmp/nginx-t.log"; then
	ok "deploy/nginx.conf: nginx -t"
else
	cat "$tmp/nginx-t.log"
	no "deploy/nginx.conf: nginx -t"
fi
"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g "$ngx_g" 2>>"$tmp/nginx/logs/error.log" &
pids="$pids $!"
wait_for "$MXCP" health --url "http://127.0.0.1:$port2/health" || no "mxcp with deploy/config.yml did not come up"
nb="http://127.0.0.1:$nport"
if wait_for "$MXCP" health --url "$nb/health"; then ok "/health through nginx"; else no "/health through nginx"; fi
code=$(curl -s -o /dev/null -w '%{http_code}' "$nb/metrics" || true)
[ "$code" = 404 ] && ok "/metrics kept inside (404 through nginx)" || no "/metrics through nginx gave $code"
sid=$(mcp_session "$nb" -H "Origin: $nb") || sid=""
if [ -n "$sid" ] && mcp_call "$nb" "$sid" search_products '{"query":"o","max_price":100}' -H "Origin: $nb" |
	grep -q '"isError":false'; then
	ok "MCP session and tools/call through nginx, browser Origin accepted (trust_proxy, X-Forwarded-Host)"
else
	no "MCP through nginx"
fi
# The same Origin straight to mxcp, whose Host then differs: refused.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
	-H "Origin: $nb" -X POST "http://127.0.0.1:$port2/mcp" -d '{"jsonrpc":"2.0","id":1,"method":"ping"}' || true)
[ "$code" = 403 ] && ok "a foreign Origin straight to mxcp is refused (403)" || no "foreign Origin straight to mxcp gave $code"

# ---------------------------------------------------------------- systemd
sed "s|/usr/local/bin/mxcp|$MXCP|" "$MXCP_SOURCE_DIR/deploy/mxcp.service" >"$tmp/mxcp.service"
if systemd-analyze verify "$tmp/mxcp.service" >"$tmp/verify.log" 2>&1; then
	ok "systemd-analyze verify deploy/mxcp.service"
else
	cat "$tmp/verify.log"
	no "systemd-analyze verify"
fi
score=$(systemd-analyze security --offline=true "$tmp/mxcp.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for mxcp.service: \([0-9.]*\).*/\1/p')
if [ -n "$score" ] && awk "BEGIN { exit !($score <= 2.0) }"; then
	ok "systemd-analyze security: $score (at most 2.0)"
else
	no "systemd-analyze security: '${score:-no score}' (want at most 2.0)"
fi

# ---------------------------------------------------------------- Dockerfile
# The runtime stage installs Debian packages by name; a library added to the
# build must be among them (the image test finds out only minutes later).
image_pkgs=" $(sed -n 's/.*pkgs="\([^"]*\)".*/\1/p' "$MXCP_SOURCE_DIR/deploy/Dockerfile" | tr '\n' ' ') "
unlisted=""
bindir=$(dirname "$MXCP")
for b in "$MXCP" "$bindir/mxcp_python.so" "$MXCP_SOURCE_DIR/deps/duckdb/lib/libduckdb.so"; do
	for so in $(readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		# libduckdb.so is copied in; the sanitizers' runtimes are the ASan build's.
		case $so in libduckdb.so | ld-linux* | libasan.so* | libubsan.so*) continue ;; esac
		path=$(readlink -f "$(ldd "$b" | awk -v so="$so" '$1 == so { print $3 }')")
		pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null || echo "?")
		pkg=${pkg%%:*}
		case "$image_pkgs libc6 libgcc-s1 " in *" $pkg "*) continue ;; esac
		[ "$(dpkg-query -W -f='${Essential}' "$pkg" 2>/dev/null)" = yes ] || unlisted="$unlisted $so($pkg)"
	done
done
if [ -z "$unlisted" ]; then
	ok "deploy/Dockerfile's runtime packages hold every library mxcp, mxcp_python.so and libduckdb.so link"
else
	no "deploy/Dockerfile's runtime stage lacks the packages of:$unlisted"
fi

[ $fails -eq 0 ] || { echo "deploy/static: $fails failed" >&2; exit 1; }
echo "deploy/static: all passed"
