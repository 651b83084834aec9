#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/deploy/image.sh — the container image of deploy/Dockerfile, built and
# run here without a registry or a container engine daemon (ctest
# deploy/image, label `deploy`, run by ctest only with MXCP_DEPLOY_IMAGE=1;
# on a busy 2-core machine ~20 min cold, ~10 min after a source change, ~3 min
# with everything cached):
#   1. the base, debian:bookworm-slim, made from Debian packages (base.sh,
#      debootstrap, cached weekly under deps/deploy-base/);
#   2. `buildah bud` of deploy/Dockerfile (vfs storage, chroot isolation),
#      with Python support (and without, WITH_PYTHON=0, when
#      MXCP_DEPLOY_NOPYTHON=1), sizes reported;
#   3. the image's configuration checked: non-root user, EXPOSE 8000,
#      HEALTHCHECK without curl, STOPSIGNAL SIGTERM, tini as entrypoint,
#      the volumes;
#   4. its root file system (`buildah mount`) run under bwrap the way a
#      container runtime runs it: as the image's user (uid 1000) in its own
#      user, PID, IPC and UTS namespaces, its entrypoint as PID 1, the root
#      read-only, only the data, audit, /tmp and /run/mxcp volumes writable,
#      the host's network (so curl reaches it):
#        seed the example (init step), serve it over HTTP, the image's own
#        health check, an MCP session with a SQL and a Python tool call from
#        the host, the admin socket, idle and loaded RSS, SIGHUP (reload,
#        still serving), SIGTERM (drain, exit 0, audit trail flushed);
#   5. PID 1 and orphans: a Python tool that orphans processes, under the
#      image's tini (no zombie left) and under mxcp as PID 1 (reported).
# Needs root, buildah, debootstrap, bubblewrap (Debian packages); exits 77
# (skipped) without them. State (buildah storage, ~3 GB) in
# MXCP_DEPLOY_STORE (default /var/tmp/mxcp-deploy).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${MXCP_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
. "$here/lib.sh"
# Under ctest it runs only when asked (it takes minutes and root): a
# separate CI step, MXCP_DEPLOY_IMAGE=1 ctest --test-dir build -L deploy.
if [ -n "${MXCP_DEPLOY_FROM_CTEST:-}" ] && [ "${MXCP_DEPLOY_IMAGE:-0}" != 1 ]; then
	echo "deploy: the image test runs with MXCP_DEPLOY_IMAGE=1 (root, buildah; ~10-25 min); skipped" >&2
	exit 77
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deploy: the image test needs root (buildah, debootstrap); skipped" >&2
	exit 77
fi
for tool in buildah debootstrap bwrap setpriv curl; do
	command -v $tool >/dev/null 2>&1 || {
		echo "deploy: $tool is missing (apt-get install buildah debootstrap bubblewrap); skipped" >&2
		exit 77
	}
done
PY=/usr/bin/python3
STORE=${MXCP_DEPLOY_STORE:-/var/tmp/mxcp-deploy}
mkdir -p "$STORE"
BUILDAH="buildah --root $STORE/storage --runroot $STORE/run --storage-driver vfs"
export BUILDAH MXCP_SOURCE_DIR
IMAGE=localhost/mxcp:test
UID_=1000

tmp=$(mktemp -d /var/tmp/mxcp-deploy-test.XXXXXX)
chmod 0755 "$tmp"
ctrs=""
bgpids=""
cleanup() {
	for p in $bgpids; do kill -KILL "$p" 2>/dev/null || true; done
	for c in $ctrs; do $BUILDAH umount "$c" >/dev/null 2>&1 || true; $BUILDAH rm "$c" >/dev/null 2>&1 || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
ok() { echo "ok - $*"; }
no() {
	echo "not ok - $*"
	fails=$((fails + 1))
}
now() { date +%s; }
t_start=$(now)

# ---------------------------------------------------------------- build
sh "$here/base.sh"
t_base=$(now)
# The build context: the working tree as it is, with deps/ resolved (here it
# may be a symlink) to DuckDB's checksummed npm tarballs, when there, so the
# build needs no npm registry (setup.sh fetches them itself otherwise).
ctx=$STORE/context
rm -rf "$ctx"
mkdir -p "$ctx"
(cd "$MXCP_SOURCE_DIR" && tar --exclude=./.git --exclude=./build --exclude='./build-*' --exclude=./deps \
	--exclude='*/node_modules' --exclude=./fuzz/out -cf - .) | tar -C "$ctx" -xf -
if ls "$MXCP_SOURCE_DIR"/deps/duckdb/dl/*.tgz >/dev/null 2>&1; then
	mkdir -p "$ctx/deps/duckdb/dl"
	cp -L "$MXCP_SOURCE_DIR"/deps/duckdb/dl/*.tgz "$ctx/deps/duckdb/dl/"
fi
build() { # build TAG [--build-arg …]
	tag=$1
	shift
	nice $BUILDAH bud --isolation chroot --layers --format docker --pull-never \
		-f "$ctx/deploy/Dockerfile" --ignorefile "$ctx/deploy/Dockerfile.dockerignore" \
		-t "$tag" "$@" "$ctx" >"$tmp/bud-${tag##*:}.log" 2>&1 ||
		{ tail -n 40 "$tmp/bud-${tag##*:}.log"; echo "not ok - buildah bud $tag"; exit 1; }
}
build "$IMAGE"
t_build=$(now)
ok "buildah bud deploy/Dockerfile: $((t_build - t_base)) s"
size_of() { $BUILDAH images --format '{{.Size}}' "$1" 2>/dev/null | head -n 1; }
# The SQL-only variant (WITH_PYTHON=0): its runtime stage only, but minutes
# more on vfs storage, so on request.
if [ "${MXCP_DEPLOY_NOPYTHON:-0}" = 1 ]; then
	build "$IMAGE-nopython" --build-arg WITH_PYTHON=0
	ok "buildah bud --build-arg WITH_PYTHON=0: $(($(now) - t_build)) s more"
fi
t_build2=$(now)
echo "# sizes: debian:bookworm-slim $(size_of docker.io/library/debian:bookworm-slim); mxcp image $(size_of "$IMAGE") (with Python)${MXCP_DEPLOY_NOPYTHON:+; $(size_of "$IMAGE-nopython") (WITH_PYTHON=0)}"

# ---------------------------------------------------------------- configuration
$BUILDAH inspect --type image "$IMAGE" | $PY -c 'import json, sys; json.dump(json.load(sys.stdin)["Docker"]["config"], sys.stdout)' >"$tmp/config.json"
if $PY - "$tmp/config.json" <<'PYEOF'; then
import json, sys
c = json.load(open(sys.argv[1]))
bad = []
def want(cond, msg):
    if not cond:
        bad.append(msg)
want(c.get("User") == "mxcp", f"User is {c.get('User')!r}, not mxcp")
want("8000/tcp" in (c.get("ExposedPorts") or {}), "EXPOSE 8000 missing")
hc = (c.get("Healthcheck") or {}).get("Test") or []
want(hc[:3] == ["CMD", "mxcp", "health"], f"HEALTHCHECK is {hc}")
want(not any("curl" in t for t in hc), "HEALTHCHECK uses curl")
want(c.get("StopSignal") == "SIGTERM", f"STOPSIGNAL is {c.get('StopSignal')}")
want((c.get("Entrypoint") or [])[:1] == ["/usr/bin/tini"], f"ENTRYPOINT is {c.get('Entrypoint')}")
want((c.get("Cmd") or [])[:2] == ["mxcp", "serve"], f"CMD is {c.get('Cmd')}")
want(c.get("WorkingDir") == "/app", "WORKDIR is not /app")
want({"/app/data", "/app/audit"} <= set(c.get("Volumes") or {}), "VOLUMEs /app/data and /app/audit missing")
env = dict(e.split("=", 1) for e in c.get("Env") or [])
want(env.get("MXCP_ADMIN_SOCKET") == "/run/mxcp/mxcp.sock", "MXCP_ADMIN_SOCKET")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PYEOF
	ok "image config: USER mxcp, EXPOSE 8000, HEALTHCHECK mxcp health, STOPSIGNAL SIGTERM, tini entrypoint, volumes"
else
	no "image config"
fi
hc_url=$($PY -c 'import json,sys; t=json.load(open(sys.argv[1]))["Healthcheck"]["Test"]; print(next((x for x in t if x.startswith("http://")), "http://127.0.0.1:8000/health"))' "$tmp/config.json")

ctr=$($BUILDAH from --pull-never "$IMAGE")
ctrs="$ctrs $ctr"
rootfs=$($BUILDAH mount "$ctr")
# The image's user must reach it: buildah's storage folders are 0700; let
# others traverse them (not list them), from the root file system up to STORE.
d=$rootfs
while [ "$d" != "$STORE" ] && [ "$d" != / ]; do
	d=$(dirname "$d")
	chmod o+x "$d"
done
echo "# root file system: $(du -sh "$rootfs" | cut -f1) (with Python)"
# The image's environment, as a runtime sets it.
$PY -c 'import json,sys; [print(e) for e in json.load(open(sys.argv[1]))["Env"]]' "$tmp/config.json" >"$tmp/env"

# ---------------------------------------------------------------- sandbox
# box VOLDIR [--pid1] [bwrap options…] -- CMD…: run CMD from the image's
# root file system as uid 1000, the root read-only, VOLDIR/{data,audit,run}
# writable at /app/data, /app/audit, /run/mxcp, a tmpfs /tmp.
# BOX_APP: a project folder to bind read-only over /app.
box() {
	vol=$1
	shift
	set -- --ro-bind "$rootfs" / ${BOX_APP:+--ro-bind "$BOX_APP" /app} --proc /proc --dev /dev --tmpfs /tmp \
		--bind "$vol/data" /app/data --bind "$vol/audit" /app/audit --bind "$vol/run" /run/mxcp \
		--ro-bind "$vol/config" /config \
		--unshare-user --unshare-pid --unshare-ipc --unshare-uts --unshare-cgroup-try \
		--uid $UID_ --gid $UID_ --hostname mxcp --die-with-parent --chdir /app --clearenv \
		$(sed 's/^/--setenv /; s/=/ /' "$tmp/env") \
		--setenv MXCP_CONFIG_PATH /config/config.yml --setenv MXCP_ADMIN_ENABLED true \
		--setenv MXCP_AUDIT_ENABLED 1 "$@"
	setpriv --reuid=$UID_ --regid=$UID_ --clear-groups --inh-caps=-all bwrap "$@"
}
volume() { # a fresh set of volumes owned by the image's user
	mkdir -p "$1/data" "$1/audit" "$1/run" "$1/config"
	cp "$MXCP_SOURCE_DIR/deploy/config.yml" "$1/config/config.yml"
	chown -R $UID_:$UID_ "$1/data" "$1/audit" "$1/run"
	chmod 0755 "$1" "$1/config"
	chmod 0644 "$1/config/config.yml"
}
volume "$tmp/v1"

# The init step (compose's mxcp-init, the Deployment's initContainer).
if box "$tmp/v1" -- /usr/bin/tini -- sh -c '[ -f data/shop.duckdb ] || mxcp query --file seed/seed.sql >/dev/null' 2>"$tmp/seed.log"; then
	ok "init step: the example seeded on the data volume"
else
	cat "$tmp/seed.log"
	no "seeding the example"
fi
out=$(box "$tmp/v1" -- sh -c 'id -u; touch /app/x 2>/dev/null && echo rw-root; touch /usr/x 2>/dev/null && echo rw-usr; touch /app/data/x /app/audit/x /tmp/x /run/mxcp/x && echo volumes-rw' 2>&1)
if [ "$out" = "$(printf '1000\nvolumes-rw')" ]; then
	ok "uid 1000; root file system read-only; data, audit, /tmp, /run/mxcp writable"
else
	no "sandbox: $out"
fi
rm -f "$tmp/v1/data/x" "$tmp/v1/audit/x" "$tmp/v1/run/x"

# ---------------------------------------------------------------- serve
port=$(free_port 4)
base="http://127.0.0.1:$port"
# The image's CMD with the port this test may use (the host's network is shared).
cmd=$($PY -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["Cmd"]))' "$tmp/config.json" | sed "s/--port 8000/--port $port/")
box "$tmp/v1" --as-pid-1 --info-fd 3 -- /usr/bin/tini -- $cmd >"$tmp/serve.log" 2>&1 3>"$tmp/info.json" &
bw=$!
bgpids="$bgpids $bw"
healthy=0
box_health() { box "$tmp/v1" -- mxcp health --url "$(echo "$hc_url" | sed "s/:8000/:$port/")" "$@"; }
if wait_for box_health; then
	healthy=1
	ok "the image's HEALTHCHECK command (mxcp health) passes"
else
	cat "$tmp/serve.log"
	no "server in the image did not become healthy"
fi
pid1=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["child-pid"])' "$tmp/info.json" 2>/dev/null || echo "")
mxpid=$(pgrep -P "$pid1" 2>/dev/null | head -n 1 || true)
st() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "/proc/$1/status" 2>/dev/null; }
if [ -n "$pid1" ] && [ "$(st "$pid1" Name)" = tini ] && [ "$(st "$pid1" NSpid | awk '{print $NF}')" = 1 ] &&
	[ -n "$mxpid" ] && [ "$(st "$mxpid" Name)" = mxcp ] && [ "$(st "$mxpid" Uid | awk '{print $1}')" = $UID_ ] &&
	[ "$(st "$mxpid" CapEff)" = 0000000000000000 ]; then
	ok "PID 1 is tini, mxcp its child, uid 1000, no capabilities"
else
	no "process tree: pid1=$pid1 ($(st "$pid1" Name)) mxcp=$mxpid ($(st "$mxpid" Name), uid $(st "$mxpid" Uid))"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/ready" || true)
[ "$code" = 200 ] && ok "GET /ready from the host: 200" || no "GET /ready gave $code"
curl -fsS -o "$tmp/metrics" "$base/metrics" && grep -q '^mxcp_' "$tmp/metrics" && ok "GET /metrics: Prometheus text" || no "/metrics"
rss() { st "$mxpid" "$1" | awk '{print int($1 / 1024)}'; }
idle_rss=$(rss VmRSS)
sid=$(mcp_session "$base" || true)
out=$(mcp_call "$base" "$sid" search_products '{"query":"o","max_price":100}' || true)
echo "$out" | grep -q '"isError":false' && ok "tools/call search_products (SQL) from the host" || no "SQL tool call: $out"
out=$(mcp_call "$base" "$sid" recommend_products '{"customer_id":1}' || true)
echo "$out" | grep -q 'The art of DuckDB' && ok "tools/call recommend_products (Python: mxcp_python.so, libpython3.11)" ||
	no "Python tool call: $out"
box "$tmp/v1" -- mxcp health --socket /run/mxcp/mxcp.sock >/dev/null && ok "admin socket: mxcp health --socket" || no "admin socket"

# Load: 10000 calls, 16 at a time, half SQL and half Python.
body_sql='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_products","arguments":{"query":"o","max_price":100}}}'
body_py='{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"recommend_products","arguments":{"customer_id":2}}}'
urls=$(i=0; while [ $i -lt 5000 ]; do printf '%s/mcp ' "$base"; i=$((i + 1)); done)
t_l=$(now)
for body in "$body_sql" "$body_py"; do
	# shellcheck disable=SC2086
	curl -s -Z --parallel-max 16 -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "Mcp-Session-Id: $sid" -d "$body" $urls >"$tmp/load.out" 2>&1 || true
done
t_l2=$(now)
calls_ok=$(grep -o '"isError":false' "$tmp/load.out" | wc -l)
loaded_rss=$(rss VmRSS)
peak_rss=$(rss VmHWM)
[ "$calls_ok" -ge 4990 ] && ok "load: 10000 calls in $((t_l2 - t_l)) s, 16 concurrent" || no "load: $calls_ok of the last 5000 calls answered"
echo "# RSS of mxcp (example with Python loaded): idle ${idle_rss} MiB; after 10000 calls ${loaded_rss} MiB; peak (VmHWM) ${peak_rss} MiB"

# SIGHUP: reload, keep serving.
kill -HUP "$pid1"
if wait_for grep -q 'reload done' "$tmp/serve.log" && mcp_call "$base" "$sid" search_products '{"query":"o"}' | grep -q '"isError":false'; then
	ok "SIGHUP to PID 1 (tini → mxcp): reloaded, still serving"
else
	tail -n 5 "$tmp/serve.log"
	no "SIGHUP"
fi

# SIGTERM: drain, exit 0, audit trail flushed.
kill -TERM "$pid1"
rc=0
wait "$bw" || rc=$?
bgpids=""
if [ $rc -eq 0 ] && grep -q 'draining' "$tmp/serve.log"; then
	ok "SIGTERM to PID 1: mxcp drained and exited 0"
else
	tail -n 5 "$tmp/serve.log"
	no "SIGTERM: exit $rc"
fi
[ -s "$tmp/v1/audit/shop.jsonl" ] && [ "$(wc -l <"$tmp/v1/audit/shop.jsonl")" -ge 10000 ] &&
	ok "audit trail on the audit volume: $(wc -l <"$tmp/v1/audit/shop.jsonl") records" || no "audit trail missing or short"

# ---------------------------------------------------------------- PID 1 and orphans
volume "$tmp/v2"
cp -R "$here/reaper" "$tmp/reaper"
mkdir -p "$tmp/reaper/data" "$tmp/reaper/audit"
chmod -R a+rX "$tmp/reaper"
zombies() { # zombies whose parent is $1
	n=0
	for s in /proc/[0-9]*/status; do
		awk -v p="$1" '$1 == "State:" { z = ($2 == "Z") } $1 == "PPid:" { pp = $2 } END { exit !(z && pp == p) }' "$s" 2>/dev/null && n=$((n + 1))
	done
	echo $n
}
orphans() { # orphans VOLDIR LABEL CMD…: serve the reaper project, orphan 5 processes, count the zombies
	vol=$1 label=$2
	shift 2
	rport=$(free_port 5)
	BOX_APP=$tmp/reaper box "$vol" --as-pid-1 --info-fd 3 -- "$@" serve --host 127.0.0.1 --port "$rport" \
		>"$tmp/reaper-$label.log" 2>&1 3>"$tmp/info-$label.json" &
	rbw=$!
	bgpids="$rbw"
	if ! wait_for curl -fsS "http://127.0.0.1:$rport/health"; then
		cat "$tmp/reaper-$label.log" >&2
		echo "not-up x"
		return
	fi
	rpid1=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["child-pid"])' "$tmp/info-$label.json")
	rsid=$(mcp_session "http://127.0.0.1:$rport")
	mcp_call "http://127.0.0.1:$rport" "$rsid" spawn_orphans '{"count":5}' | grep -q '"isError":false' ||
		{ cat "$tmp/reaper-$label.log" >&2; echo "no-call x"; kill -KILL "$rpid1"; return; }
	sleep 1.5
	z=$(zombies "$rpid1")
	kill -TERM "$rpid1"
	rc=0
	wait "$rbw" || rc=$?
	bgpids=""
	echo "$z $rc"
}
set -- $(orphans "$tmp/v2" tini /usr/bin/tini -- mxcp)
[ "${1:-x}" = 0 ] && [ "${2:-x}" = 0 ] && ok "image entrypoint (tini as PID 1): 5 orphans of a Python tool reaped, no zombie; SIGTERM exit 0" ||
	no "tini as PID 1: ${1:-?} zombies, exit ${2:-?}"
set -- $(orphans "$tmp/v2" bare mxcp)
echo "# mxcp itself as PID 1 (no tini): ${1:-?} zombie(s) left by 5 orphans, SIGTERM exit ${2:-?} (mxcp does not reap children it did not start; hence tini)"
[ "${2:-x}" = 0 ] && ok "mxcp as PID 1 handles SIGTERM (exit 0)" || no "mxcp as PID 1: SIGTERM exit ${2:-?}"

t_end=$(now)
echo "# time: base $((t_base - t_start)) s, image builds $((t_build2 - t_base)) s, runs $((t_end - t_build2)) s, total $((t_end - t_start)) s"
[ $fails -eq 0 ] || { echo "deploy/image: $fails failed" >&2; exit 1; }
echo "deploy/image: all passed"
