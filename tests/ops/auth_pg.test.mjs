// SPDX-License-Identifier: Apache-2.0
//
// auth_pg.test.mjs — issuer mode on three `mxcp serve --stateless`
// instances behind nginx, sharing one PostgreSQL store
// (`persistence: {type: postgres, dsn: ${OAUTH_DSN}}`), with a real
// OpenID Connect provider (tests/e2e/idp.mjs) for login. The authorize
// state is made on one instance, the provider's callback lands on a
// second and the code is exchanged on the third; the token then works on
// every instance and through nginx, and once revoked on none.
//
// PostgreSQL is a throwaway cluster from Debian's binaries
// (/usr/lib/postgresql/<v>/bin: initdb, pg_ctl) in a temp folder,
// listening on a free loopback port with trust authentication. initdb
// refuses to run as root, so as root the cluster is made and run as the
// `postgres` system user (runuser) in a folder it owns; as anyone else,
// as that user. Skipped when the binaries are absent.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { MXCP, NGINX, SRC, freePort, makeProject, scratch, sleep, start, stop, waitHttp } from './lib.mjs';

const req = createRequire(path.join(SRC, 'tests', 'e2e', 'package.json'));
const load = (spec) => import(pathToFileURL(req.resolve(spec)).href);

const PG_BIN = (() => {
	const root = '/usr/lib/postgresql';
	if (!fs.existsSync(root)) return null;
	const v = fs.readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
	return v && fs.existsSync(path.join(root, v, 'bin', 'initdb')) ? path.join(root, v, 'bin') : null;
})();

const asRoot = process.getuid?.() === 0;
function pg(cmd, args) {
	const bin = path.join(PG_BIN, cmd);
	return asRoot ? execFileSync('runuser', ['-u', 'postgres', '--', bin, ...args], { stdio: 'pipe' })
		: execFileSync(bin, args, { stdio: 'pipe' });
}

let pgdir, pgport, idp, nginx, lb, instances = [], idpMod;
const ACCOUNTS = { carol: { email: 'carol@example.com', preferred_username: 'carol', name: 'Carol' } };
const CLIENT = { client_id: 'mxcp-ha', client_secret: 'ha-secret-0123456789abcdef0123456789' };

before(async () => {
	if (!PG_BIN) return;
	pgdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mxcp-pg-'));
	if (asRoot) execFileSync('chown', ['postgres', pgdir]);
	pgport = await freePort();
	pg('initdb', ['-D', path.join(pgdir, 'data'), '-A', 'trust', '-U', 'mxcp', '--no-sync']);
	pg('pg_ctl', ['-D', path.join(pgdir, 'data'), '-l', path.join(pgdir, 'log'), '-w', '-o',
		`-k ${pgdir} -p ${pgport} -h 127.0.0.1 -F`, 'start']);
	const dsn = `postgresql://mxcp@127.0.0.1:${pgport}/postgres`;

	idpMod = await import(pathToFileURL(path.join(SRC, 'tests', 'e2e', 'idp.mjs')).href);
	const lbPort = await freePort();
	lb = `http://127.0.0.1:${lbPort}`;
	idp = await idpMod.startIdp({ client: { ...CLIENT, redirect_uris: [`${lb}/callback`] }, accounts: ACCOUNTS });
	const dir = makeProject();
	const cfg = path.join(dir, 'config.yml');
	fs.writeFileSync(cfg, `mxcp: 1
transport:
  http:
    base_url: ${lb}
projects:
  ops:
    profiles:
      default:
        auth:
          provider: keycloak
          keycloak:
            client_id: ${CLIENT.client_id}
            client_secret: ${CLIENT.client_secret}
            realm: ${idp.realm}
            server_url: ${idp.origin}
            scope: openid email profile
            callback_path: /callback
          persistence:
            type: postgres
            dsn: \${OAUTH_DSN}
            auth_encryption_key: ${crypto.randomBytes(32).toString('base64url')}=
`);
	for (let i = 0; i < 3; i++) {
		const port = await freePort();
		const child = start(MXCP, ['serve', '--transport', 'streamable-http', '--port', String(port), '--stateless', '--readonly'], {
			cwd: dir, env: { ...process.env, HOME: scratch, MXCP_CONFIG: cfg, OAUTH_DSN: dsn },
		});
		child.port = port;
		child.url = `http://127.0.0.1:${port}`;
		await waitHttp(`${child.url}/health`, child);
		instances.push(child);
	}
	const prefix = path.join(scratch, 'nginx-auth');
	fs.mkdirSync(path.join(prefix, 'logs'), { recursive: true });
	const conf = path.join(prefix, 'nginx.conf');
	fs.writeFileSync(conf, fs.readFileSync(path.join(SRC, 'tests', 'ops', 'nginx.conf.in'), 'utf8')
		.replaceAll('@PREFIX@', prefix).replaceAll('@PORT@', String(lbPort))
		.replace('@UPSTREAMS@', instances.map((s) => `server 127.0.0.1:${s.port};`).join('\n\t\t')));
	nginx = start(NGINX, ['-p', prefix, '-c', conf, '-e', path.join(prefix, 'logs', 'error.log')]);
	await waitHttp(`${lb}/health`, nginx);
});

after(async () => {
	if (nginx) await stop(nginx, 'SIGQUIT');
	for (const s of instances) await stop(s);
	await idp?.close();
	if (pgdir) {
		try { pg('pg_ctl', ['-D', path.join(pgdir, 'data'), '-m', 'immediate', 'stop']); } catch {}
		fs.rmSync(pgdir, { recursive: true, force: true });
	}
});

const form = (base, p, f) => fetch(`${base}${p}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(f).toString() });

async function mcpStatus(base, token) {
	const r = await fetch(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'plus_one', arguments: { n: 41 } } }) });
	const text = await r.text();
	return { status: r.status, text };
}

test('issuer on three stateless instances sharing PostgreSQL behind nginx', { skip: !PG_BIN && 'no PostgreSQL binaries' }, async () => {
	const [a, b, c] = instances.map((s) => s.url);
	// Registration on A.
	let r = await fetch(`${a}/register`, { method: 'POST', headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/cb'], client_name: 'ha' }) });
	assert.equal(r.status, 201);
	const client = await r.json();
	// The state is made on A…
	const verifier = crypto.randomBytes(32).toString('base64url');
	const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
	const q = new URLSearchParams({ client_id: client.client_id, redirect_uri: 'http://127.0.0.1:1/cb', response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256', state: 's1' });
	r = await fetch(`${a}/authorize?${q}`, { redirect: 'manual' });
	assert.equal(r.status, 302);
	// …the provider sends the browser to the load balancer's callback; it lands on B.
	const end = await idpMod.browse(r.headers.get('location'), { stopAt: `${lb}/callback`, username: 'carol' });
	const cb = new URL(end.url);
	r = await fetch(`${b}${cb.pathname}${cb.search}`, { redirect: 'manual' });
	assert.equal(r.status, 302, await r.clone().text());
	const back = new URL(r.headers.get('location'));
	assert.equal(back.searchParams.get('state'), 's1');
	// …and the code is exchanged on C.
	r = await form(c, '/token', { grant_type: 'authorization_code', code: back.searchParams.get('code'), code_verifier: verifier,
		redirect_uri: 'http://127.0.0.1:1/cb', client_id: client.client_id, client_secret: client.client_secret });
	assert.equal(r.status, 200);
	const tok = await r.json();
	// The token works on every instance and through nginx.
	for (const base of [a, b, c, lb, lb, lb]) {
		const m = await mcpStatus(base, tok.access_token);
		assert.equal(m.status, 200, `${base}: ${m.text}`);
		assert.match(m.text, /42/);
	}
	// The code cannot be replayed on another instance.
	r = await form(a, '/token', { grant_type: 'authorization_code', code: back.searchParams.get('code'), code_verifier: verifier,
		redirect_uri: 'http://127.0.0.1:1/cb', client_id: client.client_id, client_secret: client.client_secret });
	assert.equal(r.status, 400);
	// Refresh on B rotates for all.
	r = await form(b, '/token', { grant_type: 'refresh_token', refresh_token: tok.refresh_token, client_id: client.client_id, client_secret: client.client_secret });
	assert.equal(r.status, 200);
	const tok2 = await r.json();
	for (const base of [a, b, c]) assert.equal((await mcpStatus(base, tok.access_token)).status, 401, `${base}: old token`);
	// Revoked on A: dead on every instance.
	r = await form(a, '/revoke', { token: tok2.access_token, client_id: client.client_id, client_secret: client.client_secret });
	assert.equal(r.status, 200);
	for (const base of [a, b, c, lb]) assert.equal((await mcpStatus(base, tok2.access_token)).status, 401, `${base}: revoked`);
	// No token in clear in the shared store.
	const dump = execFileSync(path.join(PG_BIN, 'pg_dump'), ['-h', '127.0.0.1', '-p', String(pgport), '-U', 'mxcp', 'postgres'], { encoding: 'utf8' });
	assert.ok(!dump.includes(tok.access_token) && !dump.includes(tok2.refresh_token));
	assert.ok(!dump.includes('carol@example.com') || /gAAAAA/.test(dump));
	await sleep(0);
});
