// SPDX-License-Identifier: Apache-2.0
//
// auth_issuer.test.mjs — issuer mode end to end: `mxcp serve` is the OAuth
// authorization server of the official MCP TypeScript SDK client (auth()
// with an OAuthClientProvider: discovery, dynamic registration, PKCE,
// refresh) and delegates login to a real OpenID Connect provider
// (oidc-provider, idp.mjs) under Keycloak's paths — a scripted browser
// follows the redirects and logs in — and to a GitHub stand-in speaking
// GitHub's wire protocol. Then the security invariants, each checked
// against what a broken server would let through: one-time states and
// codes, exact redirect_uri, PKCE, client-requested scopes never reaching
// the provider, refresh rotation, revocation, hashed tokens and Fernet-
// encrypted provider tokens in the SQLite store, and no token, secret,
// e-mail or user id in the log.

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { MXCP, freePort, serverEnv, sleep } from './lib.mjs';
import { browse, startGithub, startIdp } from './idp.mjs';

// A Fernet key as MXCP's users make them (Fernet.generate_key()).
const FERNET_KEY = crypto.randomBytes(32).toString('base64url') + '=';
const ACCOUNTS = {
	alice: { email: 'alice@example.com', email_verified: true, preferred_username: 'alice', name: 'Alice A.', groups: ['admins', 'staff'] },
	bob: { email: 'bob@example.com', email_verified: true, name: 'Bob', groups: ['staff'] },
};
const CLIENT = { client_id: 'mxcp-issuer', client_secret: 'idp-secret-for-mxcp-0123456789abcdef' };

export async function startMxcp(dir, port, env = {}) {
	const srv = { port, base: `http://127.0.0.1:${port}`, stderr: '' };
	srv.child = spawn(MXCP, ['serve', '--transport', 'streamable-http', '--port', String(port)], {
		cwd: dir, env: serverEnv(env), stdio: ['ignore', 'pipe', 'pipe'],
	});
	srv.child.stdout.on('data', () => {});
	srv.child.stderr.on('data', (d) => (srv.stderr += d));
	srv.exited = new Promise((r) => srv.child.on('exit', (code, signal) => r({ code, signal })));
	for (let i = 0; i < 200; i++) {
		try {
			if ((await fetch(`${srv.base}/health`)).ok) break;
		} catch {}
		if (srv.child.exitCode !== null) throw new Error(`mxcp exited: ${srv.stderr}`);
		await sleep(50);
	}
	srv.stop = async () => {
		srv.child.kill('SIGTERM');
		const t = setTimeout(() => srv.child.kill('SIGKILL'), 10000);
		await srv.exited;
		clearTimeout(t);
	};
	return srv;
}

function project() {
	const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mxcp-authi-'));
	fs.mkdirSync(path.join(d, 'tools'));
	fs.writeFileSync(path.join(d, 'mxcp-site.yml'), 'mxcp: 1\nproject: demo\nprofile: default\nprofiles:\n  default:\n    duckdb:\n      path: ":memory:"\n');
	fs.writeFileSync(path.join(d, 'tools', 'whoami.yml'), `mxcp: 1
tool:
  name: whoami
  description: The caller.
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
  description: Only admins.
  return: {type: string}
  policies:
    input:
      - condition: "!('admin' in user.capabilities)"
        action: deny
        reason: "admins only"
  source:
    code: SELECT 'secret plans'
`);
	return d;
}

function config(dir, provider, block, extra = '') {
	const file = path.join(dir, `config-${provider}.yml`);
	const lines = Object.entries(block).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`).join('\n');
	fs.writeFileSync(file, `mxcp: 1
projects:
  demo:
    profiles:
      default:
        auth:
          provider: ${provider}
          ${provider}:
${lines.replace(/^ {10}/gm, '            ')}
            claim_mappings:
              groups: {admins: [admin], staff: [read]}
          persistence:
            type: sqlite
            path: ${JSON.stringify(path.join(dir, `oauth-${provider}.db`))}
            auth_encryption_key: ${JSON.stringify(FERNET_KEY)}
${extra}`);
	return file;
}

// The SDK's OAuthClientProvider, in memory, with the browser step scripted.
class Provider {
	constructor(redirectUrl, login) {
		this.redirectUrl = redirectUrl;
		this.login = login;
		this.clientMetadata = { client_name: 'authi-e2e', redirect_uris: [redirectUrl], grant_types: ['authorization_code', 'refresh_token'],
			response_types: ['code'], token_endpoint_auth_method: 'client_secret_post', scope: 'admin:everything' };
	}
	clientInformation() { return this.info; }
	saveClientInformation(i) { this.info = i; }
	tokens() { return this.tok; }
	saveTokens(t) { this.tok = t; }
	saveCodeVerifier(v) { this.verifier = v; }
	codeVerifier() { return this.verifier; }
	state() { return (this.st = crypto.randomBytes(8).toString('hex')); }
	async redirectToAuthorization(url) { this.authorizeUrl = url.href; }
}

// The whole flow: auth() → browser → auth(code) → an MCP client.
async function login(srv, user) {
	const redirect = 'http://127.0.0.1:1/callback';
	const p = new Provider(redirect);
	const server = `${srv.base}/mcp`;
	const t0 = performance.now();
	assert.equal(await auth(p, { serverUrl: server }), 'REDIRECT');
	const end = await browse(p.authorizeUrl, { stopAt: redirect, username: user });
	const back = new URL(end.url);
	assert.equal(back.searchParams.get('state'), p.st, 'the client state comes back');
	const code = back.searchParams.get('code');
	assert.match(code, /^mcp_[0-9a-f]{32}$/);
	assert.equal(await auth(p, { serverUrl: server, authorizationCode: code }), 'AUTHORIZED');
	const transport = new StreamableHTTPClientTransport(new URL(server), { authProvider: p });
	const client = new Client({ name: 'authi-e2e', version: '1' }, { capabilities: {} });
	await client.connect(transport);
	const first = await client.callTool({ name: 'whoami', arguments: {} });
	const ms = performance.now() - t0;
	return { p, client, first, ms, code };
}

let dir, idp, srv, gh, ghSrv;

before(async () => {
	dir = project();
	const port = await freePort();
	idp = await startIdp({ client: { ...CLIENT, redirect_uris: [`http://127.0.0.1:${port}/kc/callback`] }, accounts: ACCOUNTS });
	const cfg = config(dir, 'keycloak', { ...CLIENT, realm: idp.realm, server_url: idp.origin, scope: 'openid email profile groups offline_access', callback_path: '/kc/callback' });
	srv = await startMxcp(dir, port, { MXCP_CONFIG: cfg, MXCP_LOG_LEVEL: 'debug' });
});

after(async () => {
	await srv?.stop();
	await ghSrv?.stop();
	await idp?.close();
	await gh?.close();
});

test('issuer (keycloak paths, oidc-provider): the MCP SDK logs in, calls tools, refreshes', async () => {
	const { p, client, first, ms } = await login(srv, 'alice');
	console.log(`# /authorize → first tool call: ${ms.toFixed(1)} ms`);
	assert.ok(!first.isError, JSON.stringify(first));
	assert.deepEqual(first.structuredContent, { username: 'alice', email: 'alice@example.com', provider: 'keycloak', has_token: true });
	assert.equal((await client.callTool({ name: 'admin_only', arguments: {} })).content[0].text, 'secret plans');
	assert.match(p.tok.access_token, /^mcp_[0-9a-f]{64}$/);
	assert.match(p.tok.refresh_token, /^mcp_refresh_[0-9a-f]{64}$/);
	assert.equal(p.tok.token_type, 'Bearer');
	assert.equal(p.tok.scope, '');
	// PKCE on the provider leg; the client's scope never reached the provider.
	const a = idp.seen.authorize.at(-1);
	assert.equal(a.code_challenge_method, 'S256');
	assert.equal(a.scope, 'openid email profile groups offline_access');
	assert.ok(!JSON.stringify(idp.seen.authorize).includes('admin:everything'));
	assert.ok(idp.seen.token.at(-1).code_verifier, 'the verifier went to the provider');
	// Refresh with rotation: the old pair dies, the new one works.
	const old = p.tok;
	assert.equal(await auth(p, { serverUrl: `${srv.base}/mcp` }), 'AUTHORIZED');
	assert.notEqual(p.tok.access_token, old.access_token);
	const reuse = await tokenForm(srv, { grant_type: 'refresh_token', refresh_token: old.refresh_token, client_id: p.info.client_id, client_secret: p.info.client_secret });
	assert.equal(reuse.status, 400);
	assert.equal((await reuse.json()).error, 'invalid_grant');
	assert.equal((await mcpStatus(srv, old.access_token)), 401, 'the rotated-out access token is dead');
	assert.equal((await mcpStatus(srv, p.tok.access_token)), 200);
	await client.close();
});

async function tokenForm(s, form, path = '/token') {
	return fetch(`${s.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
}

async function mcpStatus(s, token) {
	const r = await fetch(`${s.base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }) });
	await r.arrayBuffer();
	return r.status;
}

async function register(s, extra = {}) {
	const r = await fetch(`${s.base}/register`, { method: 'POST', headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/cb'], client_name: 'raw', ...extra }) });
	assert.equal(r.status, 201);
	return r.json();
}

function pkce() {
	const verifier = crypto.randomBytes(32).toString('base64url');
	return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

// /authorize by hand up to the code, for the hostile cases.
async function rawCode(s, c, user = 'bob') {
	const { verifier, challenge } = pkce();
	const q = new URLSearchParams({ client_id: c.client_id, redirect_uri: 'http://127.0.0.1:1/cb', response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', state: 'xyz', scope: 'evil' });
	const r = await fetch(`${s.base}/authorize?${q}`, { redirect: 'manual' });
	assert.equal(r.status, 302);
	const idpUrl = r.headers.get('location');
	let callbackUrl;
	const end = await browse(idpUrl, { stopAt: `${s.base}/kc/callback`, username: user });
	callbackUrl = end.url;
	const cb = await fetch(callbackUrl, { redirect: 'manual' });
	assert.equal(cb.status, 302);
	const back = new URL(cb.headers.get('location'));
	return { code: back.searchParams.get('code'), verifier, callbackUrl, state: back.searchParams.get('state') };
}

test('issuer: one-time states and codes, exact redirect_uri, PKCE, client auth', async () => {
	const c = await register(srv);
	const { code, verifier, callbackUrl, state } = await rawCode(srv, c);
	assert.equal(state, 'xyz');
	// The provider's callback replayed: the state is gone.
	const replay = await fetch(callbackUrl, { redirect: 'manual' });
	assert.equal(replay.status, 400);
	assert.equal((await replay.json()).error, 'invalid_state');
	const base = { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:1/cb', client_id: c.client_id, client_secret: c.client_secret };
	// Wrong client secret: 401, and the code survives.
	assert.equal((await tokenForm(srv, { ...base, client_secret: 'nope' })).status, 401);
	// Unknown client.
	assert.equal((await tokenForm(srv, { ...base, client_id: 'nobody' })).status, 401);
	// Wrong PKCE verifier: refused, and the code is burnt.
	let r = await tokenForm(srv, { ...base, code_verifier: pkce().verifier });
	assert.equal(r.status, 400);
	assert.equal((await r.json()).error, 'invalid_grant');
	r = await tokenForm(srv, { ...base, code_verifier: verifier });
	assert.equal(r.status, 400, 'a code is used once, even after a failed try');
	// A fresh code: missing verifier, mismatched redirect_uri, then good, then replayed.
	const b = await rawCode(srv, c);
	const good = { ...base, code: b.code, code_verifier: b.verifier };
	r = await tokenForm(srv, { ...good, code_verifier: undefined });
	assert.equal(r.status, 400);
	r = await tokenForm(srv, { ...good, redirect_uri: 'http://127.0.0.1:1/other' });
	assert.equal((await r.json()).error, 'invalid_grant');
	const d = await rawCode(srv, c);
	r = await tokenForm(srv, { ...good, code: d.code, code_verifier: d.verifier });
	assert.equal(r.status, 200);
	const tok = await r.json();
	assert.equal(r.headers.get('cache-control'), 'no-store');
	r = await tokenForm(srv, { ...good, code: d.code, code_verifier: d.verifier });
	assert.equal(r.status, 400, 'a code replayed');
	assert.equal(await mcpStatus(srv, tok.access_token), 200);
	// Revocation (RFC 7009): the access token and its refresh token die.
	r = await tokenForm(srv, { token: tok.access_token, client_id: c.client_id, client_secret: c.client_secret }, '/revoke');
	assert.equal(r.status, 200);
	assert.equal(await mcpStatus(srv, tok.access_token), 401);
	r = await tokenForm(srv, { grant_type: 'refresh_token', refresh_token: tok.refresh_token, client_id: c.client_id, client_secret: c.client_secret });
	assert.equal(r.status, 400);
});

test('issuer: /authorize refuses unknown clients and unregistered redirect URIs without redirecting', async () => {
	const c = await register(srv);
	const { challenge } = pkce();
	const q = (o) => new URLSearchParams({ client_id: c.client_id, redirect_uri: 'http://127.0.0.1:1/cb', response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', ...o });
	let r = await fetch(`${srv.base}/authorize?${q({ redirect_uri: 'http://evil.example/cb' })}`, { redirect: 'manual' });
	assert.equal(r.status, 400);
	assert.equal((await r.json()).error_description, 'Redirect URI not registered for client');
	r = await fetch(`${srv.base}/authorize?${q({ redirect_uri: 'http://127.0.0.1:1/cb/' })}`, { redirect: 'manual' });
	assert.equal(r.status, 400, 'exact match, not prefix');
	r = await fetch(`${srv.base}/authorize?${q({ client_id: 'nobody' })}`, { redirect: 'manual' });
	assert.equal(r.status, 400);
	assert.equal((await r.json()).error_description, 'Client not found');
	// No PKCE: an error back at the (registered) redirect URI.
	r = await fetch(`${srv.base}/authorize?${q({ code_challenge: '' })}`, { redirect: 'manual' });
	assert.equal(r.status, 302);
	assert.equal(new URL(r.headers.get('location')).searchParams.get('error'), 'invalid_request');
	// RFC 8707: a resource that is not this server.
	r = await fetch(`${srv.base}/authorize?${q({ resource: 'https://other.example/mcp' })}`, { redirect: 'manual' });
	assert.equal(new URL(r.headers.get('location')).searchParams.get('error'), 'invalid_target');
	// Oversized body.
	r = await fetch(`${srv.base}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['http://x/cb'], pad: 'x'.repeat(200000) }) });
	assert.ok(r.status === 413 || r.status === 400, `oversized: ${r.status}`);
	// Metadata.
	const md = await (await fetch(`${srv.base}/.well-known/oauth-authorization-server`)).json();
	assert.equal(md.token_endpoint, `${srv.base}/token`);
	assert.deepEqual(md.code_challenge_methods_supported, ['S256']);
	assert.equal(md.revocation_endpoint, `${srv.base}/revoke`);
	assert.equal(md.client_id_metadata_document_supported, true);
});

test('issuer: the store holds hashes and Fernet tokens, the log no secrets', async () => {
	const db = path.join(dir, 'oauth-keycloak.db');
	const dump = execFileSync('sqlite3', [db, '.dump'], { encoding: 'utf8' });
	assert.ok(!/mcp_[0-9a-f]{64}/.test(dump), 'no access token in clear');
	assert.ok(!/mcp_refresh_/.test(dump), 'no refresh token in clear');
	assert.ok(/gAAAAA/.test(dump), 'Fernet tokens');
	// The Fernet tokens open with the key in Python's cryptography (MXCP's format).
	const m = /"provider_access_token":"(gAAAAA[^"]+)"/.exec(dump);
	assert.ok(m, 'a sealed provider token');
	const plain = execFileSync('python3', ['-c', 'import sys; from cryptography.fernet import Fernet; print(Fernet(sys.argv[1].encode()).decrypt(sys.argv[2].encode()).decode())', FERNET_KEY, m[1]], { encoding: 'utf8' }).trim();
	assert.ok(plain.length > 10);
	assert.ok(!dump.includes(plain), 'the provider token is not in clear');
	for (const secret of ['alice@example.com', 'bob@example.com', CLIENT.client_secret, plain, '"sub"'])
		assert.ok(!srv.stderr.includes(secret), `the log shows ${secret}`);
	assert.ok(!/mcp_[0-9a-f]{20}/.test(srv.stderr), 'no code or token in the log');
});

test('issuer (GitHub stand-in): form-encoded vs JSON token answers, /user/emails, PKCE', async () => {
	const port = await freePort();
	gh = await startGithub({ clientId: 'gh-client', clientSecret: 'gh-secret-0123456789', users: { octo: { id: 583231, name: 'Octo Cat', public_email: null, emails: [{ email: 'octo@private.example', primary: true, verified: true }] } } });
	const cfg = config(dir, 'github', { client_id: 'gh-client', client_secret: 'gh-secret-0123456789', scope: 'read:user user:email', callback_path: '/github/callback',
		auth_url: `${gh.origin}/login/oauth/authorize`, token_url: `${gh.origin}/login/oauth/access_token`, userinfo_url: `${gh.origin}/user`, emails_url: `${gh.origin}/user/emails` });
	ghSrv = await startMxcp(dir, port, { MXCP_CONFIG: cfg });
	const { client, first, p } = await login(ghSrv, 'octo');
	assert.ok(!first.isError, JSON.stringify(first));
	assert.deepEqual(first.structuredContent, { username: 'octo', email: 'octo@private.example', provider: 'github', has_token: true });
	assert.match(gh.seen.accept.at(-1), /application\/json/);
	assert.equal(gh.seen.authorize.at(-1).scope, 'read:user user:email');
	assert.equal(gh.seen.authorize.at(-1).code_challenge_method, 'S256');
	assert.ok(gh.seen.token.at(-1).code_verifier);
	// Refresh goes upstream with GitHub's refresh token.
	assert.equal(await auth(p, { serverUrl: `${ghSrv.base}/mcp` }), 'AUTHORIZED');
	assert.equal(gh.seen.token.at(-1).grant_type, 'refresh_token');
	await client.close();
});
