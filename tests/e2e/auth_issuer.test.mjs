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
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { MXCP, freePort, serverEnv, sleep } from './lib.mjs';
import { browse, startAtlassian, startGithub, startGoogle, startIdp, startSalesforce } from './idp.mjs';

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

function config(dir, provider, block, extra = '', { key = true, name = provider } = {}) {
	const file = path.join(dir, `config-${name}.yml`);
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
            path: ${JSON.stringify(path.join(dir, `oauth-${name}.db`))}
${key ? `            auth_encryption_key: ${JSON.stringify(FERNET_KEY)}\n` : ''}${extra}`);
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
async function rawCode(s, c, user = 'bob', extra = {}, callbackPath = '/kc/callback') {
	const { verifier, challenge } = pkce();
	const q = new URLSearchParams({ client_id: c.client_id, redirect_uri: 'http://127.0.0.1:1/cb', response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', state: 'xyz', scope: 'evil', ...extra });
	const r = await fetch(`${s.base}/authorize?${q}`, { redirect: 'manual' });
	assert.equal(r.status, 302, await r.clone().text());
	const idpUrl = r.headers.get('location');
	let callbackUrl;
	const end = await browse(idpUrl, { stopAt: `${s.base}${callbackPath}`, username: user });
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

// ---------------------------------------------------------------------------
// The providers' real endpoints by default; stand-ins for Atlassian,
// Salesforce and Google; oidc discovery; CIMD; RFC 8707 at /mcp; reload.

const servers = [];
async function serve(cfg, env = {}) {
	const s = await startMxcp(dir, await freePort(), { MXCP_CONFIG: cfg, ...env });
	servers.push(s);
	return s;
}
after(async () => {
	for (const s of servers) await s.stop();
});

test('issuer: github, atlassian, salesforce and google default to their real endpoints (auth_url, token_url optional)', async () => {
	const want = {
		github: ['https://github.com/login/oauth/authorize', {}],
		atlassian: ['https://auth.atlassian.com/authorize', { scope: 'read:me offline_access' }],
		salesforce: ['https://login.salesforce.com/services/oauth2/authorize', {}],
		google: ['https://accounts.google.com/o/oauth2/v2/auth', { scope: 'openid email profile' }],
	};
	for (const [provider, [authUrl, extra]] of Object.entries(want)) {
		const cfg = config(dir, provider, { client_id: `${provider}-id`, client_secret: 's3cret', callback_path: `/${provider}/callback`, ...extra }, '', { name: `default-${provider}` });
		const s = await serve(cfg);
		const c = await register(s);
		const { challenge } = pkce();
		const q = new URLSearchParams({ client_id: c.client_id, redirect_uri: 'http://127.0.0.1:1/cb', response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', state: 's' });
		const r = await fetch(`${s.base}/authorize?${q}`, { redirect: 'manual' });
		assert.equal(r.status, 302, `${provider}: ${await r.text()}`);
		const to = new URL(r.headers.get('location'));
		assert.equal(`${to.origin}${to.pathname}`, authUrl, provider);
		assert.equal(to.searchParams.get('client_id'), `${provider}-id`);
		assert.equal(to.searchParams.get('redirect_uri'), `${s.base}/${provider}/callback`);
		assert.equal((await fetch(`${s.base}/ready`)).status, 200, `${provider} ready`);
		await s.stop();
		servers.splice(servers.indexOf(s), 1);
	}
	// MXCP's errors stay: a missing client_id, and atlassian's and google's scope.
	for (const [provider, block, key] of [['github', { client_secret: 'x', callback_path: '/cb' }, 'client_id'], ['atlassian', { client_id: 'a', client_secret: 'x', callback_path: '/cb' }, 'scope'], ['google', { client_id: 'a', client_secret: 'x', callback_path: '/cb' }, 'scope']]) {
		const cfg = config(dir, provider, block, '', { name: `bad-${provider}` });
		let out = '';
		try {
			execFileSync(MXCP, ['serve', '--transport', 'streamable-http', '--port', String(await freePort())], { cwd: dir, env: serverEnv({ MXCP_CONFIG: cfg }), encoding: 'utf8', stdio: 'pipe', timeout: 20000 });
		} catch (e) {
			out = `${e.stdout}${e.stderr}`;
		}
		assert.match(out, new RegExp(`auth\\.${provider}\\.${key}: required`), `${provider} without ${key}: ${out}`);
	}
});

test('issuer (Atlassian stand-in): JSON token endpoint, audience and consent, /me, rotating refresh', async () => {
	const at = await startAtlassian({ clientId: 'atl-client', clientSecret: 'atl-secret-0123456789', users: { jdoe: { account_id: '557058:f1f1f1f1-aaaa-bbbb-cccc-0123456789ab', email: 'jdoe@atl.example', name: 'Jane Doe', nickname: 'jdoe' } } });
	try {
		const cfg = config(dir, 'atlassian', { client_id: 'atl-client', client_secret: 'atl-secret-0123456789', scope: 'read:me read:jira-work offline_access', callback_path: '/atlassian/callback',
			auth_url: `${at.origin}/authorize`, token_url: `${at.origin}/oauth/token`, userinfo_url: `${at.origin}/me` });
		const s = await serve(cfg);
		const { client, first, p } = await login(s, 'jdoe');
		assert.ok(!first.isError, JSON.stringify(first));
		assert.deepEqual(first.structuredContent, { username: 'jdoe', email: 'jdoe@atl.example', provider: 'atlassian', has_token: true });
		const a = at.seen.authorize.at(-1);
		assert.equal(a.audience, 'api.atlassian.com');
		assert.equal(a.prompt, 'consent');
		assert.equal(a.scope, 'read:me read:jira-work offline_access');
		assert.equal(a.code_challenge_method, 'S256');
		assert.match(at.seen.contentType.at(-1), /^application\/json/, 'the token request is JSON');
		assert.ok(at.seen.token.at(-1).code_verifier);
		assert.equal(at.seen.me, 1);
		// Refresh: upstream with Atlassian's rotating refresh token, twice.
		const r1 = at.seen.token.length;
		assert.equal(await auth(p, { serverUrl: `${s.base}/mcp` }), 'AUTHORIZED');
		p.tok.expires_in = 0;
		assert.equal(await auth(p, { serverUrl: `${s.base}/mcp` }), 'AUTHORIZED');
		assert.equal(at.seen.token.length, r1 + 2);
		assert.equal(at.seen.token.at(-1).grant_type, 'refresh_token');
		assert.notEqual(at.seen.token.at(-1).refresh_token, at.seen.token.at(-2).refresh_token, 'the rotated refresh token went upstream');
		assert.equal(await mcpStatus(s, p.tok.access_token), 200);
		await client.close();
	} finally {
		await at.close();
	}
});

test('issuer (Salesforce stand-in): form token endpoint, userinfo, refresh without a new refresh token', async () => {
	const sf = await startSalesforce({ clientId: '3MVG9sf.client', clientSecret: 'sf-secret-0123456789', users: { sfu: { user_id: '0055g00000AbCdEAAZ', username: 'sam.force@sf.example', email: 'sam@sf.example', name: 'Sam Force' } } });
	try {
		const cfg = config(dir, 'salesforce', { client_id: '3MVG9sf.client', client_secret: 'sf-secret-0123456789', scope: 'openid api refresh_token', callback_path: '/salesforce/callback',
			auth_url: `${sf.origin}/services/oauth2/authorize`, token_url: `${sf.origin}/services/oauth2/token`, userinfo_url: `${sf.origin}/services/oauth2/userinfo` });
		const s = await serve(cfg);
		const { client, first, p } = await login(s, 'sfu');
		assert.ok(!first.isError, JSON.stringify(first));
		assert.deepEqual(first.structuredContent, { username: 'sam.force@sf.example', email: 'sam@sf.example', provider: 'salesforce', has_token: true });
		assert.equal(sf.seen.authorize.at(-1).scope, 'openid api refresh_token');
		assert.ok(sf.seen.token.at(-1).code_verifier);
		// Salesforce answers a refresh without a refresh token: the first one serves again.
		assert.equal(await auth(p, { serverUrl: `${s.base}/mcp` }), 'AUTHORIZED');
		p.tok.expires_in = 0;
		assert.equal(await auth(p, { serverUrl: `${s.base}/mcp` }), 'AUTHORIZED');
		const refreshes = sf.seen.token.filter((f) => f.grant_type === 'refresh_token');
		assert.equal(refreshes.length, 2);
		assert.equal(refreshes[0].refresh_token, refreshes[1].refresh_token);
		assert.equal(await mcpStatus(s, p.tok.access_token), 200);
		await client.close();
	} finally {
		await sf.close();
	}
});

test('issuer (Google via oidc-provider): offline access and consent, the v2 userinfo shape', async () => {
	const port = await freePort();
	const gclient = { client_id: '1234-abc.apps.googleusercontent.com', client_secret: 'GOCSPX-google-secret-0123', redirect_uris: [`http://127.0.0.1:${port}/google/callback`] };
	const g = await startGoogle({ client: gclient, accounts: { '109876543210987654321': { email: 'gina@gmail.example', email_verified: true, name: 'Gina Google' } } });
	try {
		const cfg = config(dir, 'google', { client_id: gclient.client_id, client_secret: gclient.client_secret, scope: 'openid email profile', callback_path: '/google/callback',
			auth_url: g.authUrl, token_url: g.tokenUrl, userinfo_url: g.userinfoUrl });
		const s = await startMxcp(dir, port, { MXCP_CONFIG: cfg });
		servers.push(s);
		const { client, first, p } = await login(s, '109876543210987654321');
		assert.ok(!first.isError, JSON.stringify(first));
		assert.deepEqual(first.structuredContent, { username: 'gina', email: 'gina@gmail.example', provider: 'google', has_token: true });
		const a = g.seen.authorize.at(-1);
		assert.equal(a.access_type, 'offline');
		assert.equal(a.prompt, 'consent');
		assert.equal(a.scope, 'openid email profile');
		assert.equal(g.seen.userinfo.length, 1, 'the user came from /oauth2/v2/userinfo');
		assert.equal(await auth(p, { serverUrl: `${s.base}/mcp` }), 'AUTHORIZED');
		assert.equal(g.seen.token.at(-1).grant_type, 'refresh_token');
		await client.close();
	} finally {
		await g.close();
	}
});

// A loopback server of Client ID Metadata Documents.
async function startDocs() {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const docs = {
		'/good.json': { client_id: `${origin}/good.json`, client_name: 'CIMD client', redirect_uris: ['http://127.0.0.1:1/cb'], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] },
		'/other-id.json': { client_id: `${origin}/good.json`, redirect_uris: ['http://127.0.0.1:1/cb'] },
		'/secret.json': { client_id: `${origin}/secret.json`, redirect_uris: ['http://127.0.0.1:1/cb'], client_secret: 'x', token_endpoint_auth_method: 'client_secret_post' },
		'/no-redirects.json': { client_id: `${origin}/no-redirects.json` },
	};
	const { createServer } = await import('node:http');
	const hits = {};
	const server = createServer((req, res) => {
		hits[req.url] = (hits[req.url] || 0) + 1;
		const d = docs[req.url];
		if (!d) return res.writeHead(404).end();
		res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(d));
	});
	await new Promise((r) => server.listen(port, '127.0.0.1', r));
	return { origin, hits, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

test('issuer (oidc, discovery from config_url): login, CIMD clients, the warning without auth_encryption_key', async () => {
	const port = await freePort();
	const oclient = { client_id: 'mxcp-oidc', client_secret: 'oidc-secret-0123456789abcdef', redirect_uris: [`http://127.0.0.1:${port}/oidc/callback`] };
	const o = await startIdp({ realm: 'corp', client: oclient, accounts: ACCOUNTS });
	const docs = await startDocs();
	try {
		const cfg = config(dir, 'oidc', { config_url: o.configUrl, client_id: oclient.client_id, client_secret: oclient.client_secret, scope: 'openid email profile groups offline_access', callback_path: '/oidc/callback' }, '', { key: false });
		const s = await startMxcp(dir, port, { MXCP_CONFIG: cfg, MXCP_AUTH_CIMD_ALLOW_LOOPBACK_HTTP: '1' });
		servers.push(s);
		assert.match(s.stderr, /auth_encryption_key is not set/, 'the warning');
		// The endpoints came from the discovery document (Keycloak's paths under /realms/corp).
		const { client, first } = await login(s, 'alice');
		assert.ok(!first.isError, JSON.stringify(first));
		assert.deepEqual(first.structuredContent, { username: 'alice', email: 'alice@example.com', provider: 'oidc', has_token: true });
		assert.equal((await client.callTool({ name: 'admin_only', arguments: {} })).content[0].text, 'secret plans');
		assert.equal(o.seen.authorize.at(-1).scope, 'openid email profile groups offline_access');
		await client.close();
		// Without the key, the provider's tokens are stored as they are.
		const dump = execFileSync('sqlite3', [path.join(dir, 'oauth-oidc.db'), '.dump'], { encoding: 'utf8' });
		assert.ok(!/gAAAAA/.test(dump));

		// CIMD: a client_id that is the URL of its metadata document.
		const good = { client_id: `${docs.origin}/good.json` };
		const c = await rawCode(s, good, 'bob', {}, '/oidc/callback');
		let r = await tokenForm(s, { grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: 'http://127.0.0.1:1/cb', client_id: good.client_id });
		assert.equal(r.status, 200, await r.clone().text());
		const tok = await r.json();
		assert.equal(await mcpStatus(s, tok.access_token), 200);
		assert.equal(docs.hits['/good.json'], 1, 'fetched once, then cached');
		// Redirect URI not in the document: refused, not redirected.
		const { challenge } = pkce();
		const q = (id, redirect = 'http://127.0.0.1:1/cb') => new URLSearchParams({ client_id: id, redirect_uri: redirect, response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', state: 's' });
		r = await fetch(`${s.base}/authorize?${q(good.client_id, 'http://127.0.0.1:1/evil')}`, { redirect: 'manual' });
		assert.equal(r.status, 400);
		assert.equal((await r.json()).error_description, 'Redirect URI not registered for client');
		// Invalid documents.
		for (const [doc, why] of [['/other-id.json', "Client metadata document's client_id differs from its URL"], ['/secret.json', 'Client metadata document may not use a client secret'],
			['/no-redirects.json', 'Client metadata document has no redirect_uris'], ['/missing.json', 'Client metadata document could not be fetched']]) {
			r = await fetch(`${s.base}/authorize?${q(`${docs.origin}${doc}`)}`, { redirect: 'manual' });
			assert.equal(r.status, 400, doc);
			assert.equal((await r.json()).error_description, why, doc);
		}
		// The documents' URLs are not tokens' clients: /token refuses them too.
		r = await tokenForm(s, { grant_type: 'authorization_code', code: 'mcp_x', code_verifier: 'x'.repeat(43), redirect_uri: 'http://127.0.0.1:1/cb', client_id: `${docs.origin}/other-id.json` });
		assert.equal(r.status, 401);
	} finally {
		await docs.close();
		await o.close();
	}
});

test('issuer: a token bound to another resource (RFC 8707) is refused at /mcp', async () => {
	const c = await register(srv);
	const exchange = async (resource) => {
		const x = await rawCode(srv, c, 'bob', { resource });
		const r = await tokenForm(srv, { grant_type: 'authorization_code', code: x.code, code_verifier: x.verifier, redirect_uri: 'http://127.0.0.1:1/cb', client_id: c.client_id, client_secret: c.client_secret });
		assert.equal(r.status, 200);
		return r.json();
	};
	// Bound to the MCP URL, and to the server's base URL: both serve /mcp.
	assert.equal(await mcpStatus(srv, (await exchange(`${srv.base}/mcp`)).access_token), 200);
	assert.equal(await mcpStatus(srv, (await exchange(srv.base)).access_token), 200);
	// Bound to another path of this server: not the MCP endpoint.
	const other = await exchange(`${srv.base}/other`);
	assert.equal(await mcpStatus(srv, other.access_token), 401);
	assert.match(srv.stderr, /token issued for another resource/);
	// Bound to the MCP URL under 127.0.0.1, presented under another name of the server.
	const mine = await exchange(`${srv.base}/mcp`);
	const viaLocalhost = await new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port: srv.port, path: '/mcp', method: 'POST',
			headers: { host: `localhost:${srv.port}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${mine.access_token}` } }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode));
		});
		req.on('error', reject);
		req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }));
	});
	assert.equal(viaLocalhost, 401);
	// The resource at /token binds when /authorize named none.
	const y = await rawCode(srv, c, 'bob');
	const r = await tokenForm(srv, { grant_type: 'authorization_code', code: y.code, code_verifier: y.verifier, redirect_uri: 'http://127.0.0.1:1/cb', client_id: c.client_id, client_secret: c.client_secret, resource: `${srv.base}/other` });
	assert.equal(r.status, 200);
	assert.equal(await mcpStatus(srv, (await r.json()).access_token), 401);
	// The refreshed token keeps the binding.
	const rr = await tokenForm(srv, { grant_type: 'refresh_token', refresh_token: other.refresh_token, client_id: c.client_id, client_secret: c.client_secret });
	assert.equal(rr.status, 200);
	assert.equal(await mcpStatus(srv, (await rr.json()).access_token), 401);
});

test('issuer: a reload (SIGHUP) that changes the auth block warns that it takes a restart', async () => {
	const cfg = config(dir, 'github', { client_id: 'gh-a', client_secret: 's', callback_path: '/gh/cb' }, '', { name: 'reload' });
	const s = await serve(cfg);
	const c = await register(s);
	s.child.kill('SIGHUP');
	for (let i = 0; i < 100 && !/reload done/.test(s.stderr); i++) await sleep(50);
	assert.match(s.stderr, /reload done/);
	assert.doesNotMatch(s.stderr, /auth configuration changed/, 'an unchanged block says nothing');
	fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('gh-a', 'gh-b'));
	const before = s.stderr.length;
	s.child.kill('SIGHUP');
	for (let i = 0; i < 100 && !/reload done/.test(s.stderr.slice(before)); i++) await sleep(50);
	assert.match(s.stderr.slice(before), /the auth configuration changed; .* until it is restarted/);
	// Still the configuration it started with.
	const { challenge } = pkce();
	const q = new URLSearchParams({ client_id: c.client_id, redirect_uri: 'http://127.0.0.1:1/cb', response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256' });
	const r = await fetch(`${s.base}/authorize?${q}`, { redirect: 'manual' });
	assert.equal(new URL(r.headers.get('location')).searchParams.get('client_id'), 'gh-a');
});
