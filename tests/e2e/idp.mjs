// SPDX-License-Identifier: Apache-2.0
//
// idp.mjs — identity providers for issuer mode's tests, on loopback.
//
// startIdp(): a real OpenID Connect provider (the `oidc-provider` package)
// with the authorization code flow, PKCE, refresh tokens and a login page,
// served under Keycloak's paths (/realms/<realm>/protocol/openid-connect/
// {auth,token,userinfo,certs}) so that it stands in for Keycloak, for a
// generic OIDC provider (discovery at /.well-known/openid-configuration)
// and for Google. Users log in at /interaction/<uid> with a password (the
// test's scripted browser posts the form).
//
// startGithub(): a stand-in for GitHub's OAuth App endpoints, speaking
// their wire protocol: /login/oauth/authorize redirects back with code and
// state; /login/oauth/access_token answers form-encoded unless the client
// sends Accept: application/json; /user and /user/emails as the REST API.
// It checks client credentials, redirect_uri, one-time codes and PKCE S256
// (GitHub supports it since 2025), and records what it was sent.

import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

import { freePort } from './lib.mjs';

export const PASSWORD = 'correct horse battery staple';

async function body(req) {
	let b = '';
	for await (const c of req) b += c;
	return b;
}

export async function startIdp({ realm = 'test', client, accounts }) {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const base = `/realms/${realm}/protocol/openid-connect`;
	const seen = { authorize: [], token: [] };
	const provider = new Provider(`${origin}/realms/${realm}`, {
		clients: [{ ...client, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
			token_endpoint_auth_method: 'client_secret_post' }],
		routes: { authorization: `${base}/auth`, token: `${base}/token`, userinfo: `${base}/userinfo`,
			jwks: `${base}/certs`, end_session: `${base}/logout`, revocation: `${base}/revoke`,
			introspection: `${base}/token/introspect` },
		claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username', 'picture'],
			groups: ['groups'] },
		scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
		features: { devInteractions: { enabled: false } },
		pkce: { required: () => false },
		interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
		issueRefreshToken: async () => true,
		ttl: { AccessToken: 600, AuthorizationCode: 60, RefreshToken: 86400, Interaction: 600, Session: 600, Grant: 600 },
		loadExistingGrant: async (ctx) => {
			const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
			grant.addOIDCScope('openid email profile groups offline_access');
			await grant.save();
			return grant;
		},
		findAccount: async (ctx, id) => (accounts[id] ? { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) } : undefined),
	});
	const cb = provider.callback();
	const server = http.createServer(async (req, res) => {
		try {
			const u = new URL(req.url, origin);
			if (u.pathname === `${base}/auth`) seen.authorize.push(Object.fromEntries(u.searchParams));
			if (u.pathname.startsWith('/interaction/')) {
				const uid = u.pathname.split('/')[2];
				if (req.method === 'GET') {
					res.writeHead(200, { 'content-type': 'text/html' });
					res.end(`<form method="post" action="/interaction/${uid}/login"><input name="username"><input name="password" type="password"></form>`);
					return;
				}
				const f = new URLSearchParams(await body(req));
				const user = f.get('username');
				if (!accounts[user] || f.get('password') !== PASSWORD) {
					res.writeHead(401).end('bad login');
					return;
				}
				await provider.interactionFinished(req, res, { login: { accountId: user } }, { mergeWithLastSubmission: false });
				return;
			}
			if (u.pathname === `${base}/token` && req.method === 'POST') {
				// Record the form, then hand the request on with its body intact.
				const raw = await body(req);
				seen.token.push(Object.fromEntries(new URLSearchParams(raw)));
				const { Readable } = await import('node:stream');
				const re = Readable.from([Buffer.from(raw)]);
				Object.assign(re, { method: req.method, url: req.url, headers: req.headers, socket: req.socket,
					connection: req.socket, httpVersion: req.httpVersion, httpVersionMajor: 1, httpVersionMinor: 1 });
				return cb(re, res);
			}
			return cb(req, res);
		} catch (e) {
			res.writeHead(500).end(String(e));
		}
	});
	await new Promise((r) => server.listen(port, '127.0.0.1', r));
	return {
		origin, realm, seen, provider,
		configUrl: `${origin}/.well-known/openid-configuration`,
		close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
	};
}

export async function startGithub({ clientId, clientSecret, users }) {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const codes = new Map();
	const tokens = new Map();
	const seen = { authorize: [], token: [], accept: [] };
	const b64url = (buf) => buf.toString('base64url');
	const server = http.createServer(async (req, res) => {
		const u = new URL(req.url, origin);
		if (u.pathname === '/login/oauth/authorize') {
			const q = Object.fromEntries(u.searchParams);
			seen.authorize.push(q);
			if (q.client_id !== clientId) return res.writeHead(404).end('unknown client');
			// The scripted browser says who logs in with ?login=<user> (GitHub's own page would ask).
			const login = q.login || Object.keys(users)[0];
			const code = crypto.randomBytes(10).toString('hex');
			codes.set(code, { login, redirect_uri: q.redirect_uri, challenge: q.code_challenge });
			const to = new URL(q.redirect_uri);
			to.searchParams.set('code', code);
			to.searchParams.set('state', q.state);
			return res.writeHead(302, { location: to.href }).end();
		}
		if (u.pathname === '/login/oauth/access_token' && req.method === 'POST') {
			const f = Object.fromEntries(new URLSearchParams(await body(req)));
			seen.token.push(f);
			seen.accept.push(req.headers.accept);
			const json = /application\/json/.test(req.headers.accept || '');
			const answer = (o) => {
				if (json) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(o));
				else res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end(new URLSearchParams(o).toString());
			};
			if (f.client_id !== clientId || f.client_secret !== clientSecret) return answer({ error: 'incorrect_client_credentials' });
			let login;
			if (f.grant_type === 'refresh_token') {
				const t = tokens.get(`r:${f.refresh_token}`);
				if (!t) return answer({ error: 'bad_refresh_token' });
				tokens.delete(`r:${f.refresh_token}`);
				login = t;
			} else {
				const c = codes.get(f.code);
				codes.delete(f.code);
				if (!c || c.redirect_uri !== f.redirect_uri) return answer({ error: 'bad_verification_code' });
				if (c.challenge && b64url(crypto.createHash('sha256').update(f.code_verifier || '').digest()) !== c.challenge)
					return answer({ error: 'bad_verification_code', error_description: 'PKCE' });
				login = c.login;
			}
			const access = `gho_${crypto.randomBytes(16).toString('hex')}`;
			const refresh = `ghr_${crypto.randomBytes(16).toString('hex')}`;
			tokens.set(`a:${access}`, login);
			tokens.set(`r:${refresh}`, login);
			return answer({ access_token: access, token_type: 'bearer', scope: 'read:user,user:email', expires_in: '28800', refresh_token: refresh });
		}
		const auth = /^Bearer (.+)$/.exec(req.headers.authorization || '');
		const login = auth && tokens.get(`a:${auth[1]}`);
		if (u.pathname === '/user' || u.pathname === '/user/emails') {
			if (!login) return res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Bad credentials"}');
			const usr = users[login];
			const o = u.pathname === '/user'
				? { login, id: usr.id, name: usr.name, email: usr.public_email ?? null, avatar_url: `https://avatars.example/${usr.id}` }
				: usr.emails;
			return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(o));
		}
		res.writeHead(404).end();
	});
	await new Promise((r) => server.listen(port, '127.0.0.1', r));
	return { origin, seen, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

// A scripted browser: follows redirects (with cookies per origin) until a
// URL under stopAt, logging in at the test IdP's form on the way.
export async function browse(url, { stopAt, username, password = PASSWORD, max = 20 }) {
	const jar = new Map();
	let method = 'GET', form;
	for (let i = 0; i < max; i++) {
		if (url.startsWith(stopAt)) return { url };
		const o = new URL(url).origin;
		const headers = { cookie: jar.get(o) || '' };
		if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
		const r = await fetch(url, { method, redirect: 'manual', headers, body: form });
		for (const c of r.headers.getSetCookie?.() || []) {
			const kv = c.split(';')[0];
			const name = kv.split('=')[0];
			const rest = (jar.get(o) || '').split('; ').filter((x) => x && !x.startsWith(`${name}=`));
			jar.set(o, [...rest, kv].join('; '));
		}
		method = 'GET';
		form = undefined;
		if (r.status >= 300 && r.status < 400) {
			url = new URL(r.headers.get('location'), url).href;
			continue;
		}
		const text = await r.text();
		const m = /action="([^"]+\/login)"/.exec(text);
		if (r.status === 200 && m) {
			url = new URL(m[1], url).href;
			method = 'POST';
			form = new URLSearchParams({ username, password }).toString();
			continue;
		}
		return { url, status: r.status, body: text };
	}
	throw new Error('too many redirects');
}
