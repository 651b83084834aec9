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
//
// startAtlassian(): Atlassian's OAuth 2.0 (3LO) — GET /authorize (with
// audience=api.atlassian.com and prompt=consent, as Atlassian requires),
// POST /oauth/token taking and answering JSON only (rotating refresh
// tokens), GET /me as api.atlassian.com answers it (account_id, nickname …).
//
// startSalesforce(): Salesforce's web server flow — /services/oauth2/
// authorize, /services/oauth2/token (form in, JSON out: instance_url, id,
// issued_at, signature and no expires_in, as Salesforce answers; refresh
// keeps the refresh token), /services/oauth2/userinfo (user_id,
// organization_id, preferred_username, photos …).
//
// startGoogle(): Google through the real oidc-provider under Google's paths
// (/o/oauth2/v2/auth, /token), with Google's user endpoint
// /oauth2/v2/userinfo answering Google's v2 shape (id, verified_email,
// given_name … and no sub) for oidc-provider's access tokens.

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

export async function startIdp({ realm = 'test', client, accounts, google = false }) {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const base = `/realms/${realm}/protocol/openid-connect`;
	const seen = { authorize: [], token: [], userinfo: [] };
	// Google's paths instead of Keycloak's (its issuer has no path).
	const routes = google
		? { authorization: '/o/oauth2/v2/auth', token: '/token', userinfo: '/v1/userinfo', jwks: '/oauth2/v3/certs',
			end_session: '/logout', revocation: '/revoke', introspection: '/tokeninfo' }
		: { authorization: `${base}/auth`, token: `${base}/token`, userinfo: `${base}/userinfo`,
			jwks: `${base}/certs`, end_session: `${base}/logout`, revocation: `${base}/revoke`,
			introspection: `${base}/token/introspect` };
	const provider = new Provider(google ? origin : `${origin}/realms/${realm}`, {
		clients: [{ ...client, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
			token_endpoint_auth_method: 'client_secret_post' }],
		routes,
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
			if (u.pathname === routes.authorization) seen.authorize.push(Object.fromEntries(u.searchParams));
			if (google && u.pathname === '/oauth2/v2/userinfo') {
				// Google's v2 user endpoint: the token is one oidc-provider issued.
				const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
				const at = m && (await provider.AccessToken.find(m[1]));
				seen.userinfo.push({ auth: Boolean(m) });
				if (!at) {
					res.writeHead(401, { 'content-type': 'application/json' });
					res.end(JSON.stringify({ error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } }));
					return;
				}
				const a = accounts[at.accountId];
				const [given, ...family] = (a.name || '').split(' ');
				res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
				res.end(JSON.stringify({ id: a.google_id || at.accountId, email: a.email, verified_email: Boolean(a.email_verified), name: a.name,
					given_name: given, family_name: family.join(' '), picture: `https://lh3.googleusercontent.com/a/${at.accountId}`, locale: 'en' }));
				return;
			}
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
				const details = await provider.interactionDetails(req, res);
				if (details.prompt.name === 'consent') {
					// prompt=consent (Google's, Atlassian's): the user grants what was asked.
					const grant = new provider.Grant({ clientId: details.params.client_id, accountId: details.session.accountId });
					grant.addOIDCScope(details.params.scope);
					await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
					return;
				}
				await provider.interactionFinished(req, res, { login: { accountId: user } }, { mergeWithLastSubmission: false });
				return;
			}
			if (u.pathname === routes.token && req.method === 'POST') {
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

export async function startGoogle({ client, accounts }) {
	const g = await startIdp({ client, accounts, google: true });
	return { ...g, authUrl: `${g.origin}/o/oauth2/v2/auth`, tokenUrl: `${g.origin}/token`, userinfoUrl: `${g.origin}/oauth2/v2/userinfo` };
}

// The shared half of the Atlassian and Salesforce stand-ins: one-time
// codes bound to redirect_uri and the PKCE challenge, opaque tokens.
function codeStore(prefix) {
	const codes = new Map();
	const tokens = new Map();
	const b64url = (buf) => buf.toString('base64url');
	return {
		tokens,
		issueCode(login, q) {
			const code = crypto.randomBytes(12).toString('hex');
			codes.set(code, { login, redirect_uri: q.redirect_uri, challenge: q.code_challenge });
			return code;
		},
		// The login behind a token request, or an OAuth error code.
		redeem(f) {
			if (f.grant_type === 'refresh_token') {
				const login = tokens.get(`r:${f.refresh_token}`);
				return login ? { login } : { error: 'invalid_grant' };
			}
			if (f.grant_type !== 'authorization_code') return { error: 'unsupported_grant_type' };
			const c = codes.get(f.code);
			codes.delete(f.code);
			if (!c || c.redirect_uri !== f.redirect_uri) return { error: 'invalid_grant' };
			if (c.challenge && b64url(crypto.createHash('sha256').update(f.code_verifier || '').digest()) !== c.challenge)
				return { error: 'invalid_grant' };
			return { login: c.login };
		},
		mint(login) {
			const access = `${prefix}${crypto.randomBytes(24).toString('hex')}`;
			tokens.set(`a:${access}`, login);
			return access;
		},
		mintRefresh(login) {
			const refresh = `${prefix}r_${crypto.randomBytes(24).toString('hex')}`;
			tokens.set(`r:${refresh}`, login);
			return refresh;
		},
		user(req) {
			const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
			return m && tokens.get(`a:${m[1]}`);
		},
	};
}

function redirectBack(res, q, code) {
	const to = new URL(q.redirect_uri);
	to.searchParams.set('code', code);
	to.searchParams.set('state', q.state);
	res.writeHead(302, { location: to.href }).end();
}

const sendJson = (res, status, o) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(o));

export async function startAtlassian({ clientId, clientSecret, users }) {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const st = codeStore('eyJatl.');
	const seen = { authorize: [], token: [], contentType: [], me: 0 };
	const server = http.createServer(async (req, res) => {
		const u = new URL(req.url, origin);
		if (u.pathname === '/authorize' && req.method === 'GET') {
			const q = Object.fromEntries(u.searchParams);
			seen.authorize.push(q);
			// 3LO: these are Atlassian's, and it refuses without them.
			if (q.client_id !== clientId || q.audience !== 'api.atlassian.com' || q.response_type !== 'code' || !q.scope || !q.redirect_uri)
				return res.writeHead(400, { 'content-type': 'text/html' }).end('<p>Something went wrong</p>');
			return redirectBack(res, q, st.issueCode(q.login || Object.keys(users)[0], q));
		}
		if (u.pathname === '/oauth/token' && req.method === 'POST') {
			const raw = await body(req);
			seen.contentType.push(req.headers['content-type']);
			let f;
			try {
				if (!/^application\/json/.test(req.headers['content-type'] || '')) throw new Error('not JSON');
				f = JSON.parse(raw);
			} catch {
				return sendJson(res, 415, { error: 'invalid_request', error_description: 'Unsupported content type' });
			}
			seen.token.push(f);
			if (f.client_id !== clientId || f.client_secret !== clientSecret)
				return sendJson(res, 401, { error: 'access_denied', error_description: 'Unauthorized' });
			const r = st.redeem(f);
			if (r.error) return sendJson(res, 403, { error: r.error, error_description: 'Invalid authorization code' });
			if (f.grant_type === 'refresh_token') st.tokens.delete(`r:${f.refresh_token}`); // rotating refresh tokens
			return sendJson(res, 200, { access_token: st.mint(r.login), expires_in: 3600, token_type: 'Bearer', refresh_token: st.mintRefresh(r.login),
				scope: seen.authorize.at(-1)?.scope || 'read:me' });
		}
		if (u.pathname === '/me') {
			seen.me++;
			const login = st.user(req);
			if (!login) return sendJson(res, 401, { code: 401, message: 'Unauthorized' });
			const a = users[login];
			return sendJson(res, 200, { account_type: 'atlassian', account_id: a.account_id, email: a.email, name: a.name,
				picture: `https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/${a.account_id}/128`, account_status: 'active',
				nickname: a.nickname, zoneinfo: 'Europe/Lisbon', locale: 'en-US', extended_profile: { job_title: 'Engineer', organization: 'Example', department: 'R&D' } });
		}
		res.writeHead(404).end();
	});
	await new Promise((r) => server.listen(port, '127.0.0.1', r));
	return { origin, seen, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

export async function startSalesforce({ clientId, clientSecret, users, orgId = '00D5g000004ExAmPLE' }) {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const st = codeStore('00D5g000004ExAm!AQ0A.');
	const seen = { authorize: [], token: [], userinfo: 0 };
	const server = http.createServer(async (req, res) => {
		const u = new URL(req.url, origin);
		if (u.pathname === '/services/oauth2/authorize' && req.method === 'GET') {
			const q = Object.fromEntries(u.searchParams);
			seen.authorize.push(q);
			if (q.client_id !== clientId || q.response_type !== 'code')
				return res.writeHead(400, { 'content-type': 'text/html' }).end('error=invalid_client_id');
			return redirectBack(res, q, st.issueCode(q.login || Object.keys(users)[0], q));
		}
		if (u.pathname === '/services/oauth2/token' && req.method === 'POST') {
			if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] || ''))
				return sendJson(res, 400, { error: 'invalid_request', error_description: 'unsupported content type' });
			const f = Object.fromEntries(new URLSearchParams(await body(req)));
			seen.token.push(f);
			if (f.client_id !== clientId || f.client_secret !== clientSecret)
				return sendJson(res, 400, { error: 'invalid_client', error_description: 'invalid client credentials' });
			const r = st.redeem(f);
			if (r.error) return sendJson(res, 400, { error: 'invalid_grant', error_description: 'authentication failure' });
			const a = users[r.login];
			const access = st.mint(r.login);
			const o = { access_token: access, signature: crypto.createHmac('sha256', clientSecret).update(access).digest('base64'),
				scope: 'refresh_token openid api', instance_url: `${origin}`, id: `${origin}/id/${orgId}/${a.user_id}`,
				token_type: 'Bearer', issued_at: String(Date.now()) };
			// A refresh keeps the refresh token; only the code grant issues one.
			if (f.grant_type === 'authorization_code') o.refresh_token = st.mintRefresh(r.login);
			return sendJson(res, 200, o);
		}
		if (u.pathname === '/services/oauth2/userinfo') {
			seen.userinfo++;
			const login = st.user(req);
			if (!login) return res.writeHead(403, { 'content-type': 'text/plain' }).end('Bad_OAuth_Token');
			const a = users[login];
			return sendJson(res, 200, { sub: `${origin}/id/${orgId}/${a.user_id}`, user_id: a.user_id, organization_id: orgId,
				preferred_username: a.username, nickname: login, name: a.name, email: a.email, email_verified: true,
				given_name: a.name.split(' ')[0], family_name: a.name.split(' ').slice(1).join(' '), zoneinfo: 'America/Los_Angeles',
				photos: { picture: `${origin}/profilephoto/005/F`, thumbnail: `${origin}/profilephoto/005/T` },
				profile: `${origin}/${a.user_id}`, is_app_installed: true, user_type: 'STANDARD', language: 'en_US', locale: 'en_US',
				utcOffset: -28800000, updated_at: '2025-01-01T00:00:00Z' });
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
