# bench/toolbox_env.sh — sourced by the benches that run MCP Toolbox for
# Databases (Google's genai-toolbox, the npm package
# @toolbox-sdk/server-linux-x64): sets TBX_VERSION and TOOLBOX, installing
# it from the npm registry into bench/tools/ on first use (TOOLBOX=… for
# another binary). Needs ROOT.
TBX_VERSION=1.12.0
TOOLBOX=${TOOLBOX:-$ROOT/bench/tools/node_modules/@toolbox-sdk/server-linux-x64/bin/toolbox}
if [ ! -x "$TOOLBOX" ]; then
	mkdir -p "$ROOT/bench/tools"
	npm install --prefix "$ROOT/bench/tools" --no-audit --no-fund --no-save --loglevel=error \
		"@toolbox-sdk/server-linux-x64@$TBX_VERSION"
fi
