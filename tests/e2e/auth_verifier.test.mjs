// SPDX-License-Identifier: Apache-2.0
//
// auth_verifier.test.mjs — verifier mode against a real OpenID Connect
// provider on loopback (oidc.mjs): JWT access tokens signed RS256, PS256
// and ES256 accepted over streamable HTTP by the official MCP TypeScript
// SDK client; the user reaching policies (user.email, user.capabilities
// from claim_mappings), the SQL user functions and the audit trail;
// 401/403 with WWW-Authenticate; the protected-resource metadata; /ready
// and /metrics; stdio with MXCP_ACCESS_TOKEN; and hostile tokens (forged,
// expired, wrong audience or issuer, alg none, HS256 keyed with the public
// key, oversized, garbage), each refused 401 with no token text in the log.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { HttpServer, connect, post } from './lib.mjs';
import { AUDIENCE, signJwt, startOidc, verifierConfig } from './oidc.mjs';

const USERS = {
	alice: { email: 'alice@example.com', preferred_username: 'alice', name: 'Alice', groups: ['admins', 'staff'] },
	bob: { email: 'bob@example.com', groups: 'staff readers' },
};
const CLAIMS = {
	groups: { admins: ['admin'], staff: ['read'], readers: ['read'] },
	'https://example.com/flags': { true: ['flagged'] },
};

let op, dir, srv;

function project() {
	const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mxcp-authv-'));
	fs.mkdirSync(path.join(d, 'tools'));
	fs.writeFileSync(path.join(d, 'mxcp-site.yml'), `mxcp: 1
project: demo
profile: default
profiles:
  default:
    duckdb:
      path: ":memory:"
    audit:
      enabled: true
      path: audit/calls.jsonl
      fsync: always
`);
	fs.writeFileSync(path.join(d, 'tools', 'whoami.yml'), `mxcp: 1
tool:
  name: whoami
  description: The caller as the SQL functions see it.
  return:
    type: object
    properties:
      username: {type: string}
      email: {type: string}
      provider: {type: string}
      has_token: {type: boolean}
  source:
    code: >
      SELECT get_username() AS username, get_user_email() AS email,
             get_user_provider() AS provider, get_user_external_token() <> '' AS has_token
`);
	fs.writeFileSync(path.join(d, 'tools', 'admin_only.yml'), `mxcp: 1
tool:
  name: admin_only
  description: Only callers with the admin capability.
  return: {type: string}
  policies:
    input:
      - condition: "!('admin' in user.capabilities)"
        action: deny
        reason: "admins only"
  source:
    code: SELECT 'secret plans'
`);
	fs.writeFileSync(path.join(d, 'tools', 'alice_only.yml'), `mxcp: 1
tool:
  name: alice_only
  description: Only alice, by e-mail.
  return: {type: string}
  policies:
    input:
      - condition: "user.email != 'alice@example.com'"
        action: deny
        reason: "alice only"
  source:
    code: SELECT 'hello alice'
`);
	return d;
}

function writeConfig(d, opts = {}) {
	const file = path.join(d, 'config.yml');
	fs.writeFileSync(file, verifierConfig(op, { claimMappings: CLAIMS, ...opts }));
	return { MXCP_CONFIG: file };
}

async function sdkClient(token) {
	const transport = new StreamableHTTPClientTransport(srv.url('/mcp'), {
		requestInit: { headers: { authorization: `Bearer ${token}` } },
	});
	const client = new Client({ name: 'authv-e2e', version: '1.0.0' }, { capabilities: {} });
	await client.connect(transport);
	return client;
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize',
	params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

before(async () => {
	op = await startOidc(USERS);
	dir = project();
	srv = await HttpServer.start(dir, [], writeConfig(dir));
});

after(async () => {
	await srv?.stop();
	await op?.close();
});

test('verifier: RS256, PS256 and ES256 tokens through the MCP SDK; the user in SQL', async () => {
	for (const alg of ['RS256', 'PS256', 'ES256']) {
		const client = await sdkClient(await op.token('alice', { alg }));
		const r = await client.callTool({ name: 'whoami', arguments: {} });
		assert.ok(!r.isError, `${alg}: ${JSON.stringify(r)}`);
		assert.deepEqual(r.structuredContent,
			{ username: 'alice', email: 'alice@example.com', provider: 'oidc', has_token: true }, alg);
		await client.close();
	}
	// bob has no preferred_username: the e-mail's local part.
	const client = await sdkClient(await op.token('bob'));
	const r = await client.callTool({ name: 'whoami', arguments: {} });
	assert.equal(r.structuredContent.username, 'bob');
	await client.close();
});

test('verifier: policies see user.capabilities (claim_mappings) and user.email', async () => {
	const alice = await sdkClient(await op.token('alice'));
	const bob = await sdkClient(await op.token('bob', { alg: 'ES256' }));
	assert.equal((await alice.callTool({ name: 'admin_only', arguments: {} })).content[0].text, 'secret plans');
	assert.equal((await alice.callTool({ name: 'alice_only', arguments: {} })).content[0].text, 'hello alice');
	for (const name of ['admin_only', 'alice_only']) {
		let denied;
		try {
			const r = await bob.callTool({ name, arguments: {} });
			denied = r.isError ? r.content[0].text : null;
		} catch (e) {
			denied = e.message;
		}
		assert.match(String(denied), /Policy enforcement failed/, name);
	}
	await alice.close();
	await bob.close();
});

test('verifier: audit records carry the user id and the session id', async () => {
	const client = await sdkClient(await op.token('alice', { alg: 'PS256' }));
	await client.callTool({ name: 'whoami', arguments: {} });
	const sid = client.transport.sessionId;
	await client.close();
	const file = path.join(dir, 'audit', 'calls.jsonl');
	let recs = [];
	for (let i = 0; i < 50; i++) {
		const files = fs.existsSync(path.dirname(file)) ? fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith('calls-') && f.endsWith('.jsonl')) : [];
		recs = files.flatMap((f) => fs.readFileSync(path.join(path.dirname(file), f), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
		if (recs.some((r) => r.session_id === sid)) break;
		await new Promise((r) => setTimeout(r, 100));
	}
	const mine = recs.filter((r) => r.session_id === sid);
	assert.ok(mine.length >= 1, 'a record of the session');
	assert.equal(mine[0].user_id, 'alice');
	assert.equal(mine[0].caller_type, 'http');
});

test('verifier: 401 with WWW-Authenticate, protected-resource metadata, ops routes open', async () => {
	const r = await post(srv, INIT);
	assert.equal(r.status, 401);
	const challenge = r.headers.get('www-authenticate');
	assert.match(challenge, /^Bearer /);
	assert.match(challenge, new RegExp(`resource_metadata="${srv.base}/.well-known/oauth-protected-resource"`));
	const body = await r.json();
	assert.equal(body.jsonrpc, '2.0');
	assert.ok(body.error.message);
	for (const p of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
		const m = await fetch(srv.url(p));
		assert.equal(m.status, 200, p);
		const md = await m.json();
		assert.deepEqual(md.authorization_servers, [op.issuer]);
		assert.equal(md.resource, p.endsWith('/mcp') ? `${srv.base}/mcp` : srv.base);
		assert.deepEqual(md.bearer_methods_supported, ['header']);
	}
	assert.equal((await fetch(srv.url('/health'))).status, 200);
	const ready = await fetch(srv.url('/ready'));
	assert.equal(ready.status, 200);
	assert.equal((await ready.json()).checks.auth, 'ok');
	const metrics = await (await fetch(srv.url('/metrics'))).text();
	assert.match(metrics, /mxcp_auth_requests_total\{provider="oidc",result="ok"\} [1-9]/);
	assert.match(metrics, /mxcp_auth_requests_total\{provider="oidc",result="no_token"\} [1-9]/);
});

test('verifier: hostile tokens are refused 401 and never logged', async () => {
	const now = Math.floor(Date.now() / 1000);
	const good = { iss: op.issuer, aud: AUDIENCE, sub: 'mallory', email: 'mallory@example.com', iat: now, exp: now + 600, scope: 'openid' };
	const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
	const pubPem = op.rsa.publicKey.export({ type: 'spki', format: 'pem' });
	const real = await op.token('alice');
	const [h, p] = real.split('.');
	const cases = {
		forged: signJwt(good, 'RS256', other, { kid: 'rsa-1' }),
		tampered: `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url')), sub: 'root' })).toString('base64url')}.${real.split('.')[2]}`,
		expired: signJwt({ ...good, iat: now - 7200, exp: now - 3600 }, 'RS256', op.rsa.privateKey, { kid: 'rsa-1' }),
		not_yet: signJwt({ ...good, nbf: now + 3600 }, 'ES256', op.ec.privateKey, { kid: 'ec-1' }),
		wrong_audience: await op.token('alice', { resource: 'https://other.test/' }),
		wrong_audience_signed: signJwt({ ...good, aud: 'someone-else' }, 'PS256', op.rsa.privateKey, { kid: 'rsa-1' }),
		wrong_issuer: signJwt({ ...good, iss: 'https://evil.example' }, 'RS256', op.rsa.privateKey, { kid: 'rsa-1' }),
		alg_none: signJwt(good, 'none', null, { kid: 'rsa-1' }),
		hs256_public_key: signJwt(good, 'HS256', pubPem, { kid: 'rsa-1' }),
		oversized: signJwt({ ...good, pad: 'x'.repeat(20000) }, 'RS256', op.rsa.privateKey, { kid: 'rsa-1' }),
		garbage: 'not-a-token-at-all',
		garbage_dots: 'aaa.bbb.ccc',
	};
	for (const [name, token] of Object.entries(cases)) {
		const r = await post(srv, INIT, { authorization: `Bearer ${token}` });
		assert.equal(r.status, name === 'oversized' && r.status === 431 ? 431 : 401, `${name}: ${r.status}`);
		if (r.status === 401) assert.match(r.headers.get('www-authenticate'), /error="invalid_token"/, name);
		await r.arrayBuffer();
	}
	// A call with each: refused too, and the log holds no token text.
	for (const [name, token] of Object.entries(cases)) {
		if (name === 'oversized') continue;
		const sig = token.split('.').pop();
		assert.ok(!srv.stderr.includes(token), `${name}: token in the log`);
		if (sig.length > 8) assert.ok(!srv.stderr.includes(sig), `${name}: signature in the log`);
	}
	assert.ok(!srv.stderr.includes(real));
});

test('verifier: required scopes answer 403 insufficient_scope with the scope hint', async () => {
	const d = project();
	const s = await HttpServer.start(d, [], writeConfig(d, { requiredScopes: ['tools:write'] }));
	try {
		const r = await post(s, INIT, { authorization: `Bearer ${await op.token('alice')}` });
		assert.equal(r.status, 403);
		const ch = r.headers.get('www-authenticate');
		assert.match(ch, /error="insufficient_scope"/);
		assert.match(ch, /scope="tools:write"/);
		const ok = await post(s, INIT, { authorization: `Bearer ${await op.token('alice', { scope: 'openid tools:write' })}` });
		assert.equal(ok.status, 200);
	} finally {
		await s.stop();
	}
});

test('verifier: stdio refuses calls without a token, and serves the MXCP_ACCESS_TOKEN user', async () => {
	const d = project();
	const env = writeConfig(d);
	const anon = await connect(d, undefined, env);
	await assert.rejects(anon.callTool({ name: 'whoami', arguments: {} }), /Authentication required/);
	await anon.close();
	const named = await connect(d, undefined, { ...env, MXCP_ACCESS_TOKEN: await op.token('alice', { alg: 'ES256' }) });
	const r = await named.callTool({ name: 'whoami', arguments: {} });
	assert.equal(r.structuredContent.username, 'alice');
	await named.close();
});
