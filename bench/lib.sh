# bench/lib.sh — sourced by the bench scripts once ROOT is set: the checks
# and helpers they share.

# h2load (Debian nghttp2-client), or exit 2.
need_h2load() {
	command -v h2load >/dev/null || {
		echo "bench: h2load is required (apt-get install nghttp2-client)" >&2
		exit 2
	}
}

# E2E: tests/e2e, with its npm packages (the official SDK, the peers'
# dependencies) installed on first use.
e2e_modules() {
	E2E=$ROOT/tests/e2e
	[ -d "$E2E/node_modules/@modelcontextprotocol/sdk" ] ||
		(cd "$E2E" && npm install --no-audit --no-fund --no-save --loglevel=error)
}

# scratch: TMP, a folder removed on exit, HOME in it (npm, DuckDB's
# extensions and mxcp's config stay out of the user's), and pids, the
# servers started, killed on exit.
scratch() {
	TMP=$(mktemp -d)
	pids=""
	trap 'for p in $pids; do kill $p 2>/dev/null || true; done; rm -rf "$TMP"' EXIT
	export HOME="$TMP/home"
}

# A free TCP port on 127.0.0.1.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_up PORT [PATH]: until http://127.0.0.1:PORT/PATH (default: health)
# answers, 20 s at most; else the servers' logs ($TMP/*.log) and exit 1.
wait_up() {
	_w=0
	until curl -s -o /dev/null "http://127.0.0.1:$1/${2:-health}"; do
		_w=$((_w + 1))
		if [ $_w -ge 400 ]; then
			echo "bench: server on $1 did not start" >&2
			[ -z "${TMP:-}" ] || cat "$TMP"/*.log >&2 2>/dev/null || true
			exit 1
		fi
		sleep 0.05
	done
}
