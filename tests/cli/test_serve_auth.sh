# A profile that asks for OAuth (user config auth.provider, or the site
# file's auth.enabled) is not served over HTTP while OAuth is not built:
# serve fails closed, naming the file, line and key; stdio (where MXCP
# applies no OAuth either) and `provider: none` serve.
set -eu
. "$(dirname "$0")/lib.sh"

cd "$SCRATCH"
PORT=$((20000 + $$ % 30000)) # refused before binding, except in the provider-none case
mkdir -p p/tools && cd p
cat >mxcp-site.yml <<'YML'
mxcp: 1
project: demo
profile: prod
profiles:
  prod:
    duckdb:
      path: data/demo.duckdb
YML
cat >tools/one.yml <<'YML'
mxcp: 1
tool:
  name: one
  description: One.
  return: {type: integer}
  source: {code: "SELECT 1 AS n"}
YML

# user config: provider github
cat >config.yml <<'YML'
mxcp: 1
projects:
  demo:
    profiles:
      prod:
        auth:
          provider: github
YML
export MXCP_CONFIG="$SCRATCH/p/config.yml"
run serve --transport streamable-http --port "$PORT"
expect_rc 1 "serve over HTTP with OAuth configured"
expect_err_contains "config.yml:7:21: projects.demo.profiles.prod.auth.provider: OAuth (provider 'github') is not available in this mxcp yet; refusing to serve over HTTP"
run serve --transport sse --port "$PORT"
expect_rc 1 "legacy SSE with OAuth configured"

# stdio serves (and ends at EOF)
set +e
"$MXCP" serve --transport stdio </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
set -e
expect_rc 0 "stdio with OAuth configured"

# provider: none is no auth
sed -i 's/provider: github/provider: none/' config.yml
unset MXCP_CONFIG
export MXCP_CONFIG="$SCRATCH/p/config.yml"
set +e
timeout 2 "$MXCP" serve --transport streamable-http --port "$PORT" >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
set -e
expect_rc 124 "provider none: serving until stopped"

# the site file's auth: {enabled: true}
unset MXCP_CONFIG
cat >>mxcp-site.yml <<'YML'
    auth:
      enabled: true
      provider: github
YML
run serve --transport streamable-http --port "$PORT"
expect_rc 1 "serve over HTTP with site auth enabled"
expect_err_contains "mxcp-site.yml:9:7: profiles.prod.auth: authentication is enabled (provider 'github'), but OAuth is not available in this mxcp yet"
done_testing
