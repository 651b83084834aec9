# `mxcp dbt-config` (profiles.yml and dbt_project.yml, merged into what is
# there; secrets as env_var() templates or embedded) and `mxcp dbt` (runs
# dbt with the secrets in MXCP_SECRET_* variables, exit status passed on).
# dbt itself cannot be installed here (it comes from PyPI): a stand-in `dbt`
# on PATH records the arguments and the environment it was run with.
# On tests/projects/dbt.
set -eu
. "$(dirname "$0")/lib.sh"
TOJSON="$(dirname "$MXCP")/tests/yaml_to_json"

proj=$(copy_project "$SRC/tests/projects/dbt")
cd "$proj"
cat >"$HOME/config.yml" <<'YML'
mxcp: 1
projects:
  sales-data:
    profiles:
      dev:
        secrets:
          - name: api
            type: http
            parameters:
              BEARER_TOKEN: "it's-secret"
          - name: hdrs
            type: http
            parameters:
              EXTRA_HTTP_HEADERS:
                X-Key: abc
          - name: bucket
            type: s3
            parameters:
              KEY_ID: k1
YML
export MXCP_CONFIG="$HOME/config.yml"
PROFILES="$HOME/.dbt/profiles.yml"
# yaml FILE FILTER EXPECTED: the YAML file read back, through jq (key order aside).
yaml() {
	got=$("$TOJSON" "$1" | jq -cS "$2") || fail "$1 does not read back as YAML"
	want=$(printf '%s' "$3" | jq -cS .)
	[ "$got" = "$want" ] || fail "$1 | jq '$2': expected
$want
got
$got"
}

# ---- dry run: nothing written, both documents printed
run dbt-config --dry-run
expect_rc 0
expect_out_contains "Would write the following to profiles.yml:"
expect_out_contains "sales_data_dev:"
expect_out_contains "Would write the following to dbt_project.yml:"
expect_out_contains "DRY RUN MODE - No files will be modified"
expect_out_contains "dbt CLI is not installed or not available in PATH."
[ ! -e "$PROFILES" ] || fail "dry run wrote $PROFILES"
[ ! -e dbt_project.yml ] || fail "dry run wrote dbt_project.yml"

# ---- written next to what the user has
mkdir -p "$HOME/.dbt"
printf 'theirs:\n  target: prod\n  outputs:\n    prod:\n      type: postgres\n      threads: 4\n' >"$PROFILES"
printf 'name: old\nvars:\n  region: eu\n' >dbt_project.yml
run dbt-config
expect_rc 0
expect_out_contains "profiles.yml and dbt_project.yml updated (env_var mode)"
yaml "$PROFILES" '.theirs' '{"target":"prod","outputs":{"prod":{"type":"postgres","threads":4}}}'
yaml "$PROFILES" '.sales_data_dev.target' '"dev"'
yaml "$PROFILES" '.sales_data_dev.outputs.dev | [.type, .path, .extensions]' '["duckdb",":memory:",["httpfs"]]'
yaml "$PROFILES" '.sales_data_dev.outputs.dev.secrets' \
	"[{\"name\":\"api\",\"type\":\"http\",\"scope\":\"\",\"extra_http_headers\":\"map { 'Authorization': 'Bearer {{ env_var('MXCP_SECRET_API_BEARER_TOKEN') }}' }\"},{\"name\":\"hdrs\",\"type\":\"http\",\"scope\":\"\",\"extra_http_headers\":\"map { 'X-Key': '{{ env_var('MXCP_SECRET_HDRS_HEADERS_X-KEY') }}' }\"}]"
yaml dbt_project.yml '.' '{"name":"sales_data","vars":{"region":"eu"},"analysis-paths":["analyses"],"clean-targets":["target","dbt_packages"],"config-version":2,"macro-paths":["macros"],"model-paths":["models","marts"],"profile":"sales_data_dev","seed-paths":["seeds"],"snapshot-paths":["snapshots"],"target-path":"target","test-paths":["tests"]}'
[ ! -e "$PROFILES.tmp" ] || fail "a temp file was left behind"

# ---- the profile exists: refused without --force; with it, merged
run dbt-config
expect_rc 1 "existing profile"
expect_err_contains "Error: Profile 'sales_data_dev' already exists. Use --force to update configuration."
# (a user's own key in our output survives a --force update)
printf 'sales_data_dev:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      threads: 8\ntheirs:\n  target: prod\n' >"$PROFILES"
run dbt-config --force
expect_rc 0
yaml "$PROFILES" '.sales_data_dev.outputs.dev | [.threads, .type, (.secrets | length)]' '[8,"duckdb",2]'
yaml "$PROFILES" '.theirs' '{"target":"prod"}'

# ---- embedded secrets: only with --force; quotes stay data in the MAP
run dbt-config --embed-secrets
expect_rc 1
expect_err_contains "Error: --embed-secrets requires --force to be set"
run dbt-config --embed-secrets --force --dry-run
expect_rc 0
expect_out_contains "Embed secrets"
expect_out_contains "extra_http_headers: 'map { ''Authorization'': ''Bearer it''''s-secret'' }'"
expect_out_contains "extra_http_headers: 'map { ''X-Key'': ''abc'' }'"

# ---- dbt disabled
cp mxcp-site.yml site.bak
printf 'mxcp: 1\nproject: sales-data\nprofile: dev\ndbt:\n  enabled: false\n' >mxcp-site.yml
run dbt-config
expect_rc 1
expect_err_contains "Error: dbt integration is disabled in mxcp-site.yml"
run dbt run
expect_rc 1
expect_err_contains "Error: dbt integration is disabled in mxcp-site.yml"
cp site.bak mxcp-site.yml

# ---- mxcp dbt: no dbt on PATH
PATH_SAVED=$PATH
export PATH="/usr/bin:/bin"
command -v dbt >/dev/null && fail "a dbt is on PATH already"
run dbt run
expect_rc 1
expect_err_contains "Error: dbt CLI is not installed. Please install dbt-core and dbt-duckdb."

# ---- mxcp dbt: the stand-in records what it got; its exit status is ours
mkdir -p "$SCRATCH/bin"
cat >"$SCRATCH/bin/dbt" <<SH
#!/bin/sh
printf '%s\n' "\$@" >"$SCRATCH/dbt.args"
tr '\0' '\n' </proc/\$\$/environ | grep '^MXCP_SECRET_' | sort >"$SCRATCH/dbt.env"
exit \${DBT_EXIT:-0}
SH
chmod +x "$SCRATCH/bin/dbt"
export PATH="$SCRATCH/bin:$PATH_SAVED"
run dbt run --profile dev --select "my model" --debug
expect_rc 0
expect_out_contains "Command: dbt run --select my model"
expect_out_contains "Secrets: 4 environment variables injected"
expect_out_contains "dbt command completed successfully!"
[ "$(cat "$SCRATCH/dbt.args")" = "run
--select
my model" ] || fail "dbt got: $(cat "$SCRATCH/dbt.args")"
[ "$(cat "$SCRATCH/dbt.env")" = "MXCP_SECRET_API_BEARER_TOKEN=it's-secret
MXCP_SECRET_BUCKET_KEY_ID=k1
MXCP_SECRET_HDRS_EXTRA_HTTP_HEADERS_X-KEY=abc
MXCP_SECRET_HDRS_HEADERS_X-KEY=abc" ] || fail "dbt's environment: $(cat "$SCRATCH/dbt.env")"
DBT_EXIT=3 run dbt test
expect_rc 3 "dbt's exit status"
expect_out_contains "dbt command failed with exit code: 3"

done_testing
