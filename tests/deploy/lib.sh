# tests/deploy/lib.sh — shared by the deploy tests (sourced): a free TCP
# port, MCP over HTTP with curl, waiting for a URL.

# A TCP port nothing listens on (from 20000 + pid-derived offset), below
# the kernel's ephemeral range (32768-60999), where no listen(0) or client
# socket can take it before the server binds it.
free_port() {
	p=$((20000 + ($$ * 7 + ${1:-0} * 131) % 12000))
	while ss -Htln "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
	echo "$p"
}

# wait_for CMD... : retry for up to 30 s.
wait_for() {
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 150 ] || return 1
		sleep 0.2
	done
}

# mcp_session BASE [CURL_OPTS...]: initialize; prints the session id.
mcp_session() {
	base=$1
	shift
	hdr=$(mktemp)
	curl -fsS -D "$hdr" -o /dev/null "$@" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' -X POST "$base/mcp" \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"deploy-test","version":"1"}}}' || { rm -f "$hdr"; return 1; }
	sid=$(awk -F': ' 'tolower($1) == "mcp-session-id" { print $2 }' "$hdr" | tr -d '\r')
	rm -f "$hdr"
	curl -fsS -o /dev/null "$@" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "Mcp-Session-Id: $sid" -X POST "$base/mcp" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
	echo "$sid"
}

# mcp_call BASE SID TOOL ARGS_JSON [CURL_OPTS...]: tools/call; prints the answer.
mcp_call() {
	base=$1 sid=$2 tool=$3 args=$4
	shift 4
	curl -fsS "$@" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "Mcp-Session-Id: $sid" -X POST "$base/mcp" \
		-d "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":$args}}"
}

# The environment variables mxcp reads, from its sources.
mxcp_env_names() {
	grep -rhoE '(getenv|mx_env_flag)\("[A-Z_0-9]+"\)' "$1/src" | sed -E 's/.*\("([A-Z_0-9]+)"\)/\1/' | sort -u
}
