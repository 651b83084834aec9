# The profile's auth block is checked at start (MXCP's required keys,
# verifier mode with oidc only, an oidc scope holding openid), errors naming
# file:line:col and the key; `provider: none` serves unauthenticated; the
# site file's auth.enabled with no provider in the user config fails closed.
# Verifier mode against a real identity provider: tests/e2e/auth_verifier.test.mjs.
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

# user config: provider github without its block
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
expect_rc 1 "serve with a provider but no provider block"
expect_err_contains "config.yml:7:21: projects.demo.profiles.prod.auth.github: provider 'github' needs its 'github' block"
run serve --transport stdio
expect_rc 1 "stdio checks the auth block too"

# verifier mode takes oidc only
cat >config.yml <<'YML'
mxcp: 1
projects:
  demo:
    profiles:
      prod:
        auth:
          mode: verifier
          provider: github
          github: {client_id: a, client_secret: b, callback_path: /cb, auth_url: http://x, token_url: http://y}
YML
run serve --transport streamable-http --port "$PORT"
expect_rc 1 "verifier mode with github"
expect_err_contains "projects.demo.profiles.prod.auth.mode: verifier mode takes provider oidc only (not 'github')"

# an oidc scope without openid; a missing required key
cat >config.yml <<'YML'
mxcp: 1
projects:
  demo:
    profiles:
      prod:
        auth:
          mode: verifier
          provider: oidc
          oidc: {config_url: "http://127.0.0.1:9/.well-known/openid-configuration", client_id: a, client_secret: b, scope: "email"}
YML
run serve --transport streamable-http --port "$PORT"
expect_rc 1 "oidc scope without openid"
expect_err_contains "projects.demo.profiles.prod.auth.oidc.scope: OIDC scope must include 'openid'"
sed -i 's/client_secret: b, //' config.yml
run serve --transport streamable-http --port "$PORT"
expect_rc 1 "oidc without client_secret"
expect_err_contains "projects.demo.profiles.prod.auth.oidc.client_secret: required"

# stdio with auth and an unusable MXCP_ACCESS_TOKEN: refused at start
sed -i 's/client_id: a, /client_id: a, client_secret: b, /; s/scope: "email"/scope: "openid email"/' config.yml
set +e
MXCP_ACCESS_TOKEN=garbage "$MXCP" serve --transport stdio </dev/null >"$SCRATCH/out" 2>"$SCRATCH/err"
rc=$?
set -e
expect_rc 1 "stdio: MXCP_ACCESS_TOKEN refused (the identity provider is unreachable)"
expect_err_contains "MXCP_ACCESS_TOKEN: the token was refused"
if grep -q garbage "$SCRATCH/err"; then echo "not ok: the token is in the log"; exit 1; fi

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
expect_err_contains "mxcp-site.yml:9:7: profiles.prod.auth: authentication is enabled, but the user config configures no provider (projects.demo.profiles.prod.auth); refusing to serve over HTTP without it"
done_testing
