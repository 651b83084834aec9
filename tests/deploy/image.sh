#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/deploy/image.sh — the container image of deploy/Dockerfile, built and
# run here without a registry or a container engine daemon (ctest
# deploy/image, labels `deploy` and `slow`; run by ctest only with
# MXCP_DEPLOY_IMAGE=1, as CI's step of its own, .ci/run). On a shared
# 2-core machine about 2-3 min cold on overlay storage (the base 40 s,
# the two builds 1-1.5 min, the runs 20 s), 4.5 min on vfs; 1 min after a
# source change:
#   1. the base, debian:bookworm-slim, made from Debian packages (base.sh,
#      debootstrap, cached weekly under deps/deploy-base/);
#   2. `buildah bud` of deploy/Dockerfile (overlay storage where the kernel
#      allows it, else vfs; chroot isolation; each step cached), with
#      Python support and then without
#      (WITH_PYTHON=0: the runtime stage only), the slow steps' times and
#      the sizes reported;
#   3. the image's configuration checked: non-root user, EXPOSE 8000,
#      HEALTHCHECK without curl, STOPSIGNAL SIGTERM, tini as entrypoint,
#      the volumes; the SQL-only image holds no libpython and mxcp runs;
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
# Needs root, buildah, debootstrap, bubblewrap (Debian packages, in
# scripts/setup.sh); without them it exits 77 (skipped), or fails when
# MXCP_DEPLOY_IMAGE=1 asks for it. State (buildah storage: ~1 GB on
# overlay, ~3.5 GB on vfs) in MXCP_DEPLOY_STORE (default
# /var/tmp/mxcp-deploy), one run at a time;
# MXCP_DEPLOY_CLEAN=1 removes it at the end, `image.sh --clean` at once.
# Cold numbers: a fresh MXCP_DEPLOY_STORE and MXCP_DEPLOY_CACHE.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${MXCP_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
. "$here/lib.sh"
STORE=${MXCP_DEPLOY_STORE:-/var/tmp/mxcp-deploy}
export MXCP_SOURCE_DIR
use_driver() { # buildah on STORE with storage driver $1 (base.sh reads BUILDAH too)
	BUILDAH="buildah --root $STORE/storage --runroot $STORE/run --storage-driver $1"
	export BUILDAH
}

# clean_store: remove everything the test keeps in STORE (images, containers,
# the build context), unmounting what is mounted under it first.
clean_store() {
	case $STORE in
	/*) ;;
	*)
		echo "deploy: MXCP_DEPLOY_STORE must be an absolute path" >&2
		return 1
		;;
	esac
	[ "$STORE" != / ] && [ -d "$STORE" ] || return 0
	use_driver "$(cat "$STORE/driver" 2>/dev/null || echo vfs)"
	$BUILDAH rm -a >/dev/null 2>&1 || true
	$BUILDAH rmi -a -f >/dev/null 2>&1 || true
	awk -v s="$STORE/" 'index($2, s) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$STORE"
}
if [ "${1:-}" = --clean ]; then
	clean_store
	exit 0
fi

# Under ctest it runs only when asked (it takes minutes and root): CI's
# step of its own, MXCP_DEPLOY_IMAGE=1 ctest --test-dir build -L '^slow$'.
# Asked for, a missing prerequisite is a failure, not a skip.
if [ -n "${MXCP_DEPLOY_FROM_CTEST:-}" ] && [ "${MXCP_DEPLOY_IMAGE:-0}" != 1 ]; then
	echo "deploy: the image test runs with MXCP_DEPLOY_IMAGE=1 (root, buildah; minutes); skipped" >&2
	exit 77
fi
unmet() {
	if [ "${MXCP_DEPLOY_IMAGE:-0}" = 1 ]; then
		echo "not ok - deploy: $1 (MXCP_DEPLOY_IMAGE=1 asks for this test)"
		exit 1
	fi
	echo "deploy: $1; skipped" >&2
	exit 77
}
[ "$(id -u)" -eq 0 ] || unmet "the image test needs root (buildah, debootstrap)"
for tool in buildah debootstrap bwrap setpriv curl python3; do
	command -v $tool >/dev/null 2>&1 || unmet "$tool is missing (apt-get install buildah debootstrap bubblewrap)"
done
PY=/usr/bin/python3
IMAGE=localhost/mxcp:test
UID_=1000
mkdir -p "$STORE"
# One run per store at a time; what an interrupted run left there (a
# failed step's working container, containers of a killed run) goes first.
exec 9>"$STORE/lock"
flock -w 1200 9 || { echo "not ok - deploy: another run holds $STORE/lock"; exit 1; }
# The storage driver: overlay where the kernel mounts it on STORE's file
# system (a layer holds only its changes; containers are mounts, not
# copies), else vfs (a full copy per layer and per container: slower, ~3.5
# GB). A store keeps the driver it was made with (STORE/driver; an older
# store without one is vfs); MXCP_DEPLOY_DRIVER chooses for a new store.
overlay_mounts() {
	p=$(mktemp -d "$STORE/probe.XXXXXX")
	mkdir "$p/l" "$p/u" "$p/w" "$p/m"
	r=1
	if mount -t overlay overlay -o "lowerdir=$p/l,upperdir=$p/u,workdir=$p/w" "$p/m" 2>/dev/null; then
		umount "$p/m"
		r=0
	fi
	rm -rf "$p"
	return $r
}
if [ ! -f "$STORE/driver" ]; then
	if [ -d "$STORE/storage" ]; then
		echo vfs
	elif [ -n "${MXCP_DEPLOY_DRIVER:-}" ]; then
		echo "$MXCP_DEPLOY_DRIVER"
	elif overlay_mounts; then
		echo overlay
	else
		echo vfs
	fi >"$STORE/driver"
fi
DRIVER=$(cat "$STORE/driver")
use_driver "$DRIVER"
echo "# buildah storage: $STORE, $DRIVER driver"
$BUILDAH rm -a >/dev/null 2>&1 || true

tmp=$(mktemp -d /var/tmp/mxcp-deploy-test.XXXXXX)
chmod 0755 "$tmp"
ctrs=""
bgpids=""
cleanup() {
	for p in $bgpids; do kill -KILL "$p" 2>/dev/null || true; done
	for c in $ctrs; do $BUILDAH umount "$c" >/dev/null 2>&1 || true; $BUILDAH rm "$c" >/dev/null 2>&1 || true; done
	rm -rf "$tmp"
	# CI: nothing left behind (the storage is a few GB).
	[ "${MXCP_DEPLOY_CLEAN:-0}" != 1 ] || clean_store
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
echo "# base image: $((t_base - t_start)) s"
# The build context: the working tree as it is, with deps/ resolved (here it
# may be a symlink) to DuckDB's checksummed npm tarballs, when there, so the
# build needs no npm registry (setup.sh fetches them itself otherwise).
ctx=$STORE/context
rm -rf "$ctx"
mkdir -p "$ctx"
(cd "$MXCP_SOURCE_DIR" && tar --exclude=./.git --exclude=./build --exclude='./build-*' --exclude=./deps \
	--exclude='*/node_modules' --exclude=./fuzz/out -cf - .) | tar -C "$ctx" -xf -
# DuckDB's checksummed npm tarballs go into the context, fetched here first
# when missing: the host's npm and trust store reach the registry (a proxy's
# CA included), which the build stage's own curl may not.
ls "$MXCP_SOURCE_DIR"/deps/duckdb/dl/*.tgz >/dev/null 2>&1 ||
	sh "$MXCP_SOURCE_DIR/scripts/fetch-duckdb.sh" "$MXCP_SOURCE_DIR/deps/duckdb" ||
	{ echo "not ok - DuckDB's npm tarballs could not be fetched"; exit 1; }
if ls "$MXCP_SOURCE_DIR"/deps/duckdb/dl/*.tgz >/dev/null 2>&1; then
	mkdir -p "$ctx/deps/duckdb/dl"
	cp -L "$MXCP_SOURCE_DIR"/deps/duckdb/dl/*.tgz "$ctx/deps/duckdb/dl/"
fi
# build TAG [--build-arg …]: buildah bud, its output time-stamped (whole
# seconds) in $tmp/bud-TAG.log for the step times below.
build() {
	tag=$1
	shift
	log=$tmp/bud-${tag##*:}.log
	{
		rc=0
		nice $BUILDAH bud --isolation chroot --layers --force-rm --format docker --pull-never \
			-f "$ctx/deploy/Dockerfile" --ignorefile "$ctx/deploy/Dockerfile.dockerignore" \
			-t "$tag" "$@" "$ctx" 2>&1 || rc=$?
		echo "bud exit $rc"
	} | perl -ne 'BEGIN { $| = 1 } print time, " ", $_' >"$log"
	grep -q '^[0-9]* bud exit 0$' "$log" || { tail -n 40 "$log"; echo "not ok - buildah bud $tag"; exit 1; }
}
# steps LOG: the build steps that took 5 s or more, and buildah's own work
# after the last one (the commit, removing the working containers).
steps() {
	$PY - "$1" <<'PYEOF'
import re, sys
marks = []
for line in open(sys.argv[1], errors="replace"):
    t, _, rest = line.partition(" ")
    m = re.match(r"(?:\[(\d+)/\d+\] )?STEP (\d+/\d+): (.*)", rest)
    if m:
        marks.append((int(t), f"stage {m.group(1) or 1} step {m.group(2)} {m.group(3)[:60]}"))
    elif rest.startswith("bud exit"):
        marks.append((int(t), None))
out = [f"{b[0] - a[0]} s {a[1]}{'' if b[1] else ' (and the commit, the clean-up)'}"
       for a, b in zip(marks, marks[1:]) if b[0] - a[0] >= 5]
print("#   " + "\n#   ".join(out) if out else "#   (none over 5 s)")
PYEOF
}
build "$IMAGE"
t_build=$(now)
ok "buildah bud deploy/Dockerfile: $((t_build - t_base)) s"
steps "$tmp/bud-test.log"
size_of() { $BUILDAH images --format '{{.Size}}' "$1" 2>/dev/null | head -n 1; }
# The SQL-only variant (WITH_PYTHON=0): the build stage comes from the
# cache, only the runtime stage is built.
build "$IMAGE-nopython" --build-arg WITH_PYTHON=0
t_build2=$(now)
ok "buildah bud --build-arg WITH_PYTHON=0: $((t_build2 - t_build)) s more"
steps "$tmp/bud-test-nopython.log"
echo "# sizes: debian:bookworm-slim $(size_of docker.io/library/debian:bookworm-slim); mxcp image $(size_of "$IMAGE") (with Python); $(size_of "$IMAGE-nopython") (WITH_PYTHON=0)"

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

# The SQL-only image: neither libpython nor mxcp_python.so, and mxcp runs.
np_ctr=$($BUILDAH from --pull-never "$IMAGE-nopython")
ctrs="$ctrs $np_ctr"
np=$($BUILDAH mount "$np_ctr")
np_py=$(find "$np/usr" \( -name 'libpython3*.so*' -o -name mxcp_python.so \) -print | sed "s|^$np||" | tr '\n' ' ')
np_ver=$(bwrap --ro-bind "$np" / --proc /proc --dev /dev --unshare-all --die-with-parent --clearenv \
	--setenv PATH /usr/local/bin:/usr/bin:/bin mxcp --version 2>&1 || true)
if [ -z "$np_py" ] && echo "$np_ver" | grep -q '^mxcp '; then
	ok "WITH_PYTHON=0 image: no libpython, no mxcp_python.so; $np_ver"
else
	no "WITH_PYTHON=0 image: Python files: $np_py; mxcp --version: $np_ver"
fi
$BUILDAH umount "$np_ctr" >/dev/null 2>&1 || true
$BUILDAH rm "$np_ctr" >/dev/null 2>&1 || true
ctrs=""

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
