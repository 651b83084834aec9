// SPDX-License-Identifier: Apache-2.0
//
// bench/sessions_client.mjs — the client of bench/many_sessions.sh: opens
// SESSIONS stateful MCP sessions over streamable HTTP (initialize, then
// notifications/initialized, each with its Mcp-Session-Id), then for
// SECONDS has every session call the `trivial` tool once a second (start
// times spread over the second), through a pool of keep-alive connections.
// Prints JSON: sessions opened, calls, errors (HTTP, JSON-RPC or a wrong
// answer), p50/p99/max latency of the calls in ms, and the achieved rate.
// Usage: node sessions_client.mjs URL SESSIONS SECONDS [SOCKETS]

import http from 'node:http';

const [url, nsess, secs, nsock] = process.argv.slice(2);
const N = Number(nsess), S = Number(secs);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(nsock ?? 64) });
const u = new URL(url);

function post(body, sid) {
	return new Promise((resolve) => {
		const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
		if (sid) headers['mcp-session-id'] = sid;
		const rq = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers }, (rs) => {
			const chunks = [];
			rs.on('data', (c) => chunks.push(c));
			rs.on('end', () => resolve({ status: rs.statusCode, sid: rs.headers['mcp-session-id'], body: Buffer.concat(chunks).toString('utf8') }));
			rs.on('error', () => resolve({ status: 0, body: '' }));
		});
		rq.on('error', (e) => resolve({ status: 0, body: String(e) }));
		rq.end(JSON.stringify(body));
	});
}

const init = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'sessions', version: '1' } };
const sids = [];
let errors = 0;
const firstErrors = [];
const fail = (what) => { errors++; if (firstErrors.length < 5) firstErrors.push(what.slice(0, 200)); };
// open the sessions, 64 at a time
for (let i = 0; i < N; i += 64) {
	const batch = [];
	for (let j = i; j < Math.min(N, i + 64); j++)
		batch.push(post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: init }).then(async (r) => {
			if (r.status !== 200 || !r.sid) return fail(`initialize ${r.status} ${r.body}`);
			const n = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, r.sid);
			if (n.status !== 202) return fail(`initialized ${n.status} ${n.body}`);
			sids.push(r.sid);
		}));
	await Promise.all(batch);
}
process.stderr.write(`sessions open: ${sids.length}\n`);
if (process.env.PAUSE_FILE) {
	// the shell samples RSS with every session open and idle
	const fs = await import('node:fs');
	fs.writeFileSync(process.env.PAUSE_FILE, 'open');
	await new Promise((r) => setTimeout(r, 2000));
}
const lat = [];
let calls = 0;
const t0 = Date.now();
const end = t0 + S * 1000;
let id = 1;
async function session(sid, offset) {
	let next = t0 + offset;
	while (next < end) {
		const wait = next - Date.now();
		if (wait > 0) await new Promise((r) => setTimeout(r, wait));
		const a = process.hrtime.bigint();
		const r = await post({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name: 'trivial', arguments: { n: 41 } } }, sid);
		lat.push(Number(process.hrtime.bigint() - a) / 1e6);
		calls++;
		if (r.status !== 200 || !r.body.includes('"text":"42"')) fail(`call ${r.status} ${r.body}`);
		next += 1000;
	}
}
await Promise.all(sids.map((sid, i) => session(sid, (i * 1000) / sids.length)));
const took = (Date.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] : 0);
console.log(JSON.stringify({ sessions: sids.length, calls, errors, first_errors: firstErrors, rate: +(calls / took).toFixed(1),
	p50: +pct(0.5).toFixed(2), p99: +pct(0.99).toFixed(2), max: +(lat.at(-1) ?? 0).toFixed(2) }));
agent.destroy();
