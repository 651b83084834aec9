// SPDX-License-Identifier: Apache-2.0
//
// oidc.mjs — a real OpenID Connect provider on loopback (the `oidc-provider`
// package), for the auth tests of both modes. It signs with an RSA key
// (RS256, PS256) and a P-256 key (ES256), serves discovery, JWKS,
// introspection and userinfo, and issues JWT access tokens with the client
// credentials grant: each test "user" is a client whose extra claims
// (email, preferred_username, groups …) go into its tokens. A resource
// indicator picks the signing algorithm and the audience:
//   `https://mxcp.test/<alg>`  → aud "mxcp-api", signed with <alg>
//   `https://other.test/`      → aud "other-api", RS256
// The private keys are exported too, so that a test can sign what a real
// provider never would (expired, another issuer, alg none …).

import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

import { freePort } from './lib.mjs';

export const AUDIENCE = 'mxcp-api';
export const MXCP_CLIENT = { client_id: 'mxcp', client_secret: 'mxcp-secret-for-introspection-0123456789' };

function keyPair(type, opts, kid) {
	const { privateKey, publicKey } = crypto.generateKeyPairSync(type, opts);
	return { kid, privateKey, publicKey, jwk: { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig' } };
}

// users: { client_id: {claims…} } — each a client of the provider.
export async function startOidc(users = {}) {
	const port = await freePort();
	const issuer = `http://127.0.0.1:${port}`;
	const rsa = keyPair('rsa', { modulusLength: 2048 }, 'rsa-1');
	const ec = keyPair('ec', { namedCurve: 'P-256' }, 'ec-1');
	const secret = (id) => `${id}-secret-0123456789abcdef0123456789abcdef`;
	const clients = [
		{ ...MXCP_CLIENT, grant_types: ['client_credentials'], redirect_uris: [], response_types: [],
		  token_endpoint_auth_method: 'client_secret_post' },
		...Object.keys(users).map((id) => ({
			client_id: id, client_secret: secret(id), grant_types: ['client_credentials'], redirect_uris: [],
			response_types: [], token_endpoint_auth_method: 'client_secret_post',
			scope: 'openid email profile tools:read tools:write',
		})),
	];
	const provider = new Provider(issuer, {
		clients,
		jwks: { keys: [rsa.jwk, ec.jwk] },
		features: {
			clientCredentials: { enabled: true },
			introspection: { enabled: true },
			devInteractions: { enabled: false },
			resourceIndicators: {
				enabled: true,
				defaultResource: () => 'https://mxcp.test/RS256',
				useGrantedResource: () => true,
				getResourceServerInfo: (ctx, resource) => {
					const m = /^https:\/\/mxcp\.test\/(RS256|PS256|ES256)$/.exec(resource);
					return {
						scope: 'openid email profile tools:read tools:write',
						audience: m ? AUDIENCE : 'other-api',
						accessTokenTTL: 600,
						accessTokenFormat: 'jwt',
						jwt: { sign: { alg: m ? m[1] : 'RS256' } },
					};
				},
			},
		},
		scopes: ['openid', 'email', 'profile', 'tools:read', 'tools:write'],
		extraTokenClaims: (ctx, token) => users[token.clientId] || undefined,
		enabledJWA: { clientCredentialsSigningAlgValues: undefined },
	});
	provider.on('server_error', (ctx, err) => console.error('oidc-provider:', err));
	const server = http.createServer(provider.callback());
	await new Promise((r) => server.listen(port, '127.0.0.1', r));

	// A JWT access token for `user` (a client id), signed with alg.
	async function token(user, { alg = 'RS256', scope = 'openid email tools:read', resource } = {}) {
		const body = new URLSearchParams({
			grant_type: 'client_credentials', client_id: user, client_secret: secret(user), scope,
			resource: resource || `https://mxcp.test/${alg}`,
		});
		const r = await fetch(`${issuer}/token`, { method: 'POST', body,
			headers: { 'content-type': 'application/x-www-form-urlencoded' } });
		const j = await r.json();
		if (!r.ok) throw new Error(`token: ${r.status} ${JSON.stringify(j)}`);
		return j.access_token;
	}

	return {
		issuer,
		configUrl: `${issuer}/.well-known/openid-configuration`,
		rsa, ec, token,
		close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
	};
}

// ---------------------------------------------------------- hand-made JWTs

const b64u = (b) => Buffer.from(b).toString('base64url');

// Sign claims with a node KeyObject (or an HMAC secret) as alg, with header extras.
export function signJwt(claims, alg, key, header = {}) {
	const h = b64u(JSON.stringify({ alg, typ: 'JWT', ...header }));
	const p = b64u(JSON.stringify(claims));
	const input = `${h}.${p}`;
	let sig = '';
	if (alg === 'none') sig = '';
	else if (alg.startsWith('HS')) sig = crypto.createHmac(`sha${alg.slice(2)}`, key).update(input).digest('base64url');
	else if (alg.startsWith('RS')) sig = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(input), key).toString('base64url');
	else if (alg.startsWith('PS'))
		sig = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(input), {
			key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8,
		}).toString('base64url');
	else if (alg.startsWith('ES'))
		sig = crypto.sign(`sha${alg.slice(2)}`, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
	return `${input}.${sig}`;
}

// The user config of a project served in verifier mode against op.
export function verifierConfig(op, { project = 'demo', profile = 'default', claimMappings, requiredScopes, audience = AUDIENCE } = {}) {
	const lines = [
		'mxcp: 1',
		'projects:',
		`  ${project}:`,
		'    profiles:',
		`      ${profile}:`,
		'        auth:',
		'          mode: verifier',
		'          provider: oidc',
		'          oidc:',
		`            config_url: "${op.configUrl}"`,
		`            client_id: "${MXCP_CLIENT.client_id}"`,
		`            client_secret: "${MXCP_CLIENT.client_secret}"`,
		'            scope: "openid email"',
	];
	if (audience) lines.push(`            audience: "${audience}"`);
	if (claimMappings) lines.push(`            claim_mappings: ${JSON.stringify(claimMappings)}`);
	if (requiredScopes) lines.push('          authorization:', `            required_scopes: ${JSON.stringify(requiredScopes)}`);
	return lines.join('\n') + '\n';
}
