// SPDX-License-Identifier: Apache-2.0
//
// vault.test.mjs — `vault://path#key` references in the user config, read
// from a stand-in HashiCorp Vault that speaks Vault's HTTP API (the calls
// MXCP's hvac client makes): GET /v1/auth/token/lookup-self, KV v2
// GET /v1/secret/data/<path> and the KV v1 fallback GET /v1/secret/<path>,
// token in X-Vault-Token, errors as {"errors": [...]}. The values end up
// as DuckDB secrets (tests/projects/secrets), read back through a tool.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { MXCP, SRC, scratch, serverEnv } from './lib.mjs';

const TOKEN = 'hvs.test-root-token';
const KV2 = { 'secret/db': { password: "p@ss'word", user: 'ann' } };
const KV1 = { 'legacy/api': { key: 'v1-value' } };
const seen = [];
let vault;
let address;

const reply = (res, status, body) => {
	res.writeHead(status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(body));
};

before(async () => {
	vault = http.createServer((req, res) => {
		seen.push({ method: req.method, url: req.url, token: req.headers['x-vault-token'] });
		if (req.method !== 'GET') return reply(res, 405, { errors: [] });
		if (req.headers['x-vault-token'] !== TOKEN) return reply(res, 403, { errors: ['permission denied'] });
		if (req.url === '/v1/auth/token/lookup-self')
			return reply(res, 200, { data: { id: TOKEN, policies: ['root'], ttl: 0 } });
		let m = req.url.match(/^\/v1\/secret\/data\/(.+)$/);
		if (m) {
			const data = KV2[decodeURIComponent(m[1])];
			return data ? reply(res, 200, { request_id: 'r1', data: { data, metadata: { version: 1 } } })
				: reply(res, 404, { errors: [] });
		}
		m = req.url.match(/^\/v1\/secret\/(.+)$/);
		if (m) {
			const data = KV1[decodeURIComponent(m[1])];
			return data ? reply(res, 200, { request_id: 'r2', data, lease_duration: 2764800 })
				: reply(res, 404, { errors: [] });
		}
		return reply(res, 404, { errors: [] });
	});
	await new Promise((r) => vault.listen(0, '127.0.0.1', r));
	address = `http://127.0.0.1:${vault.address().port}`;
});

after(() => vault.close());

let n = 0;
// A copy of tests/projects/secrets with a user config; runs `mxcp run tool
// secret_strings` (asynchronously: the stand-in answers from this process).
function run(config, env = {}) {
	const dir = path.join(scratch, `vault${n++}`);
	fs.cpSync(path.join(SRC, 'tests/projects/secrets'), dir, { recursive: true });
	fs.writeFileSync(path.join(dir, 'config.yml'), config);
	return new Promise((resolve) => {
		const child = spawn(MXCP, ['run', 'tool', 'secret_strings', '--json-output'], {
			cwd: dir,
			env: serverEnv({ MXCP_CONFIG: path.join(dir, 'config.yml'), ...env }),
		});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		// --json-output: a failed run's error is in the JSON on stdout.
		child.on('exit', (code) => resolve({ code, stdout, stderr, said: stdout + stderr }));
	});
}

const config = ({ enabled = true, bearer = 'vault://secret/db#password', header = 'vault://legacy/api#key' } = {}) =>
	'mxcp: 1\n' +
	`vault:\n  enabled: ${enabled}\n  address: "\${VAULT_TEST_ADDR}/"\n  token_env: MY_VAULT_TOKEN\n` +
	'projects:\n  vault_demo:\n    profiles:\n      default:\n        secrets:\n' +
	`          - name: api_token\n            type: http\n            parameters:\n              BEARER_TOKEN: "${bearer}"\n` +
	`          - name: headers\n            type: http\n            parameters:\n              EXTRA_HTTP_HEADERS:\n                X-Key: "${header}"\n`;

test('vault:// values reach DuckDB: KV v2, and KV v1 when v2 has no such secret', async () => {
	seen.length = 0;
	const r = await run(config(), { VAULT_TEST_ADDR: address, MY_VAULT_TOKEN: TOKEN });
	assert.equal(r.code, 0, r.stderr);
	const rows = JSON.parse(r.stdout).result;
	assert.deepEqual(rows.map((x) => x.name), ['api_token', 'headers']);
	assert.match(rows[0].secret_string, /bearer_token=p@ss'word$/);
	assert.match(rows[1].secret_string, /extra_http_headers=\{X-Key=v1-value\}/);
	// hvac's calls, with the token from token_env, the address's trailing slash dropped.
	assert.ok(seen.every((s) => s.token === TOKEN && s.method === 'GET'));
	const urls = seen.map((s) => s.url);
	assert.ok(urls.includes('/v1/auth/token/lookup-self'));
	assert.ok(urls.includes('/v1/secret/data/secret/db'));
	assert.ok(urls.includes('/v1/secret/data/legacy/api'));
	assert.ok(urls.includes('/v1/secret/legacy/api'));
	assert.ok(!urls.includes('/v1/secret/secret/db'), 'no KV v1 read when KV v2 answered');
});

test('a token Vault refuses: the run fails naming the config file, line and key', async () => {
	const r = await run(config(), { VAULT_TEST_ADDR: address, MY_VAULT_TOKEN: 'wrong' });
	assert.equal(r.code, 1);
	assert.match(r.said, /config\.yml:14:\d+: .*BEARER_TOKEN.*Failed to authenticate with Vault/);
});

test('vault:// errors say what is wrong', async () => {
	const env = { VAULT_TEST_ADDR: address, MY_VAULT_TOKEN: TOKEN };
	let r = await run(config({ bearer: 'vault://secret/db#nope' }), env);
	assert.equal(r.code, 1);
	assert.match(r.said, /Key 'nope' not found in Vault secret at path 'secret\/db'/);
	r = await run(config({ bearer: 'vault://secret/missing#k' }), env);
	assert.equal(r.code, 1);
	assert.match(r.said, /Failed to read secret from Vault path 'secret\/missing': KV v2 HTTP 404; KV v1 HTTP 404/);
	r = await run(config({ bearer: 'vault://secret/db' }), env);
	assert.equal(r.code, 1);
	assert.match(r.said, /Vault URL 'vault:\/\/secret\/db' must specify a key after '#'/);
	r = await run(config({ enabled: false }), env);
	assert.equal(r.code, 1);
	assert.match(r.said, /Vault URL 'vault:\/\/secret\/db#password' found but Vault is not enabled in configuration/);
	r = await run(config(), { VAULT_TEST_ADDR: address });
	assert.equal(r.code, 1);
	assert.match(r.said, /Vault token not found in environment variable 'MY_VAULT_TOKEN'/);
	r = await run(config(), { VAULT_TEST_ADDR: 'http://127.0.0.1:1', MY_VAULT_TOKEN: TOKEN });
	assert.equal(r.code, 1);
	assert.match(r.said, /Error connecting to Vault: /);
});
