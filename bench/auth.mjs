// SPDX-License-Identifier: Apache-2.0
//
// bench/auth.mjs — what authentication costs, driven by bench/auth.sh (which
// makes the project and passes its directory, the seconds and connections).
// In one run, on the same project and flags (--stateless --readonly, the
// trivial tool), three `mxcp serve`s: auth off; issuer mode (a real OpenID
// Connect provider, oidc-provider under Keycloak's paths, tests/e2e/idp.mjs);
// verifier mode (RS256 JWT access tokens of oidc-provider, tests/e2e/oidc.mjs).
//
//   1. the full issuer flow with the official MCP SDK client, /authorize to
//      the first successful tool call (discovery, registration, PKCE, the
//      provider's login, the code exchange, initialize, tools/call), N times;
//   2. the added cost per authenticated call: h2load with one connection
//      (each call waits for the previous), mean latency with auth minus
//      without: the issuer's token lookup (SHA-256 + the SQLite store), the
//      verifier's JWT check with cached keys;
//   3. calls/s with CONNS connections, auth off vs on.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, SECS = '10', CONNS = '32', FLOWS = '5'] = process.argv.slice(2);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const E2E = path.join(ROOT, 'tests', 'e2e');
const MXCP = process.env.MXCP || path.join(ROOT, 'build', 'mxcp');
const imp = (p) => import(pathToFileURL(path.join(E2E, p)).href);
const { browse, startIdp } = await imp('idp.mjs');
const { startOidc, verifierConfig } = await imp('oidc.mjs');
const { freePort, sleep } = await imp('lib.mjs');
const { auth } = await imp('node_modules/@modelcontextprotocol/sdk/dist/esm/client/auth.js');
const { Client } = await imp('node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js');
const { StreamableHTTPClientTransport } = await imp('node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.js');

const procs = [];
async function serve(port, cfg) {
	const env = { ...process.env, MXCP_LOG_LEVEL: 'warning' };
	if (cfg) env.MXCP_CONFIG = cfg;
	else delete env.MXCP_CONFIG;
	const child = spawn(MXCP, ['serve', '--transport', 'streamable-http', '--stateless', '--readonly', '--port', String(port)], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
	let err = '';
	child.stderr.on('data', (d) => (err += d));
	procs.push(child);
	for (let i = 0; i < 200; i++) {
		try {
			if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child;
		} catch {}
		if (child.exitCode !== null) throw new Error(`mxcp exited: ${err}`);
		await sleep(50);
	}
	throw new Error('mxcp did not start');
}

const ACCOUNTS = { alice: { email: 'alice@example.com', email_verified: true, preferred_username: 'alice', name: 'Alice' } };
const CLIENT = { client_id: 'mxcp-issuer', client_secret: 'idp-secret-for-mxcp-0123456789abcdef' };
const pOff = await freePort(), pIss = await freePort(), pVer = await freePort();
const idp = await startIdp({ client: { ...CLIENT, redirect_uris: [`http://127.0.0.1:${pIss}/kc/callback`] }, accounts: ACCOUNTS });
const op = await startOidc({ alice: { email: 'alice@example.com', preferred_username: 'alice' } });
const issCfg = path.join(dir, 'config-issuer.yml');
fs.writeFileSync(issCfg, `mxcp: 1
projects:
  bench:
    profiles:
      default:
        auth:
          provider: keycloak
          keycloak:
            client_id: ${CLIENT.client_id}
            client_secret: ${CLIENT.client_secret}
            realm: ${idp.realm}
            server_url: ${idp.origin}
            scope: "openid email profile offline_access"
            callback_path: /kc/callback
          persistence:
            type: sqlite
            path: ${path.join(dir, 'oauth.db')}
            auth_encryption_key: ${Buffer.alloc(32, 7).toString('base64url')}=
`);
const verCfg = path.join(dir, 'config-verifier.yml');
fs.writeFileSync(verCfg, verifierConfig(op, { project: 'bench' }));
await serve(pOff, null);
await serve(pIss, issCfg);
await serve(pVer, verCfg);

// 1. The full flow, FLOWS times.
class Provider {
	constructor(redirectUrl) {
		this.redirectUrl = redirectUrl;
		this.clientMetadata = { client_name: 'bench', redirect_uris: [redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' };
	}
	clientInformation() { return this.info; }
	saveClientInformation(i) { this.info = i; }
	tokens() { return this.tok; }
	saveTokens(t) { this.tok = t; }
	saveCodeVerifier(v) { this.verifier = v; }
	codeVerifier() { return this.verifier; }
	async redirectToAuthorization(url) { this.authorizeUrl = url.href; }
}
const flows = [];
let token;
for (let i = 0; i < Number(FLOWS); i++) {
	const redirect = 'http://127.0.0.1:1/callback';
	const p = new Provider(redirect);
	const server = `http://127.0.0.1:${pIss}/mcp`;
	const t0 = performance.now();
	if ((await auth(p, { serverUrl: server })) !== 'REDIRECT') throw new Error('no redirect');
	const end = await browse(p.authorizeUrl, { stopAt: redirect, username: 'alice' });
	const code = new URL(end.url).searchParams.get('code');
	if ((await auth(p, { serverUrl: server, authorizationCode: code })) !== 'AUTHORIZED') throw new Error('not authorized');
	const client = new Client({ name: 'bench', version: '1' }, { capabilities: {} });
	await client.connect(new StreamableHTTPClientTransport(new URL(server), { authProvider: p }));
	const r = await client.callTool({ name: 'trivial', arguments: { n: 41 } });
	flows.push(performance.now() - t0);
	if (r.isError) throw new Error(JSON.stringify(r));
	await client.close();
	token = p.tok.access_token;
}
const vtoken = await op.token('alice');

// 2 and 3. h2load.
const body = path.join(dir, 'body.json');
fs.writeFileSync(body, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'trivial', arguments: { n: 41 } } }));
function load(port, bearer, conns, secs, name) {
	const log = path.join(dir, `${name}.log`);
	const args = ['--h1', `-c${conns}`, `-D${secs}`, '--warm-up-time=1', '-d', body, '-H', 'content-type: application/json',
		'-H', 'accept: application/json, text/event-stream', `--log-file=${log}`];
	if (bearer) args.push('-H', `authorization: Bearer ${bearer}`);
	const out = execFileSync('h2load', [...args, `http://127.0.0.1:${port}/mcp`], { encoding: 'utf8' });
	const ok = /(\d+) succeeded, (\d+) failed/.exec(out);
	const rps = Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(out)[1]);
	const lat = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split('\t')).filter((f) => f[1] === '200').map((f) => Number(f[2])).sort((a, b) => a - b);
	if (!ok || Number(ok[2]) > 0 || lat.length === 0) throw new Error(`${name}: ${out}`);
	const mean = lat.reduce((a, b) => a + b, 0) / lat.length;
	return { rps, mean, p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)] };
}
const modes = [['off', pOff, null], ['issuer', pIss, token], ['verifier', pVer, vtoken]];
const seq = {}, par = {};
for (let round = 0; round < 2; round++)
	for (const [name, port, bearer] of modes) {
		const r = load(port, bearer, 1, Math.max(3, Number(SECS) / 2), `${name}-c1`);
		if (!seq[name] || r.mean < seq[name].mean) seq[name] = r; // the quieter of two rounds
	}
for (let round = 0; round < 2; round++)
	for (const [name, port, bearer] of modes) {
		const r = load(port, bearer, Number(CONNS), Number(SECS), `${name}-c${CONNS}`);
		if (!par[name] || r.rps > par[name].rps) par[name] = r;
	}

const f = flows.slice().sort((a, b) => a - b);
console.log(`auth bench: ${process.env.NPROC || '?'} CPUs, tools/call on the trivial tool, --stateless --readonly, best of two rounds each`);
console.log(`full issuer flow (/authorize → first successful tool call, MCP SDK client, oidc-provider login), ${f.length} runs: median ${f[Math.floor(f.length / 2)].toFixed(0)} ms, min ${f[0].toFixed(0)} ms, max ${f.at(-1).toFixed(0)} ms`);
console.log('one connection (each call waits for the last):');
for (const [name] of modes)
	console.log(`  ${name.padEnd(8)} mean ${seq[name].mean.toFixed(0).padStart(5)} µs  p50 ${String(seq[name].p50).padStart(5)} µs  p99 ${String(seq[name].p99).padStart(5)} µs  ${seq[name].rps.toFixed(0)} calls/s` +
		(name === 'off' ? '' : `   added per call: ${(seq[name].mean - seq.off.mean).toFixed(0)} µs (mean), ${seq[name].p50 - seq.off.p50} µs (p50)`));
console.log(`${CONNS} connections, ${SECS} s:`);
for (const [name] of modes)
	console.log(`  ${name.padEnd(8)} ${par[name].rps.toFixed(0).padStart(7)} calls/s  p50 ${(par[name].p50 / 1000).toFixed(2)} ms  p99 ${(par[name].p99 / 1000).toFixed(2)} ms` +
		(name === 'off' ? '' : `   ${((par[name].rps / par.off.rps) * 100).toFixed(0)}% of auth off`));

for (const p of procs) p.kill('SIGTERM');
await idp.close();
await op.close();
