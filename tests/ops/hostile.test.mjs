// SPDX-License-Identifier: Apache-2.0
//
// Hostile and careless clients over streamable HTTP: JSON-RPC batches in
// every revision, an opaque Origin and a missing Host, a chunked body past
// the limit, clients that send slowly or open too many connections, clients
// that leave while their call runs, and SIGTERM under keep-alive load (wrk,
// from Debian). Each test checks what the client gets and what the server
// keeps (in-flight gauge, workers, audit records, exit status).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';

import { callTool, makeProject, rpc, scratch, serveHttp, serverEnv, sleep, stop } from './lib.mjs';

const ACCEPT = 'application/json, text/event-stream';

function withConfig(dir, yaml) {
	const file = path.join(dir, 'mxcp-config.yml');
	fs.writeFileSync(file, `mxcp: 1\ntransport:\n${yaml}`);
	return { env: serverEnv({ MXCP_CONFIG: file }) };
}

async function metric(base, name) {
	const text = await (await fetch(`${base}/metrics`)).text();
	const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
	assert.ok(m, `${name} missing from /metrics`);
	return Number(m[1]);
}

async function post(base, body, headers = {}) {
	const res = await fetch(`${base}/mcp`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body),
		signal: AbortSignal.timeout(10000),
	});
	const text = await res.text();
	return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

async function openSession(base, revision) {
	const init = await post(base, {
		jsonrpc: '2.0',
		id: 0,
		method: 'initialize',
		params: { protocolVersion: revision, capabilities: {}, clientInfo: { name: 'hostile', version: '1' } },
	});
	assert.equal(init.status, 200);
	assert.equal(init.body.result.protocolVersion, revision);
	const sid = init.headers.get('mcp-session-id');
	const n = await post(base, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sid });
	assert.equal(n.status, 202);
	return sid;
}

// Raw bytes on a fresh connection (optionally from another local address);
// resolves to everything the server sent before it closed or `waitMs` passed.
function raw(port, bytes, { waitMs = 3000, localAddress } = {}) {
	return new Promise((resolve, reject) => {
		const s = net.connect({ port, host: '127.0.0.1', localAddress });
		let got = '';
		const t = setTimeout(() => {
			s.destroy();
			resolve(got);
		}, waitMs);
		s.on('data', (d) => (got += d));
		s.on('close', () => {
			clearTimeout(t);
			resolve(got);
		});
		s.on('error', (e) => (e.code === 'ECONNRESET' ? null : reject(e)));
		s.write(bytes);
	});
}

const BATCH = [{ jsonrpc: '2.0', id: 1, method: 'ping' }];
const NO_BATCH = /batches are not supported by this protocol revision/;

test('a batch is answered in every revision: -32600 (400) where batches were removed, results in 2025-03-26', async (t) => {
	const dir = makeProject();
	// Few connections: a batch left unanswered would hold one each.
	const srv = await serveHttp(dir, [], withConfig(dir, '  http:\n    max_connections: 20\n'));
	t.after(() => stop(srv));
	for (const rev of ['2025-06-18', '2025-11-25']) {
		const sid = await openSession(srv.url, rev);
		const r = await post(srv.url, BATCH, { 'mcp-session-id': sid, 'mcp-protocol-version': rev });
		assert.equal(r.status, 400, `${rev}: ${JSON.stringify(r.body)}`);
		assert.equal(r.body.id, null);
		assert.equal(r.body.error.code, -32600);
		assert.match(r.body.error.message, NO_BATCH);
	}
	const old = await openSession(srv.url, '2025-03-26');
	const r = await post(srv.url, [...BATCH, { jsonrpc: '2.0', id: 2, method: 'tools/list' }], { 'mcp-session-id': old });
	assert.equal(r.status, 200);
	assert.deepEqual(r.body.map((m) => m.id).sort(), [1, 2]);
	assert.deepEqual(r.body.find((m) => m.id === 1).result, {});
	// Many more batches than connections: every one answered, nothing held.
	const sid = await openSession(srv.url, '2025-11-25');
	for (let i = 0; i < 60; i++) {
		const b = await post(srv.url, BATCH, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
		assert.equal(b.status, 400);
	}
	assert.equal(await metric(srv.url, 'mxcp_requests_in_flight'), 0);
	assert.equal((await fetch(`${srv.url}/health`)).status, 200);
});

test('a batch in stateless mode and in revision 2026-07-28 is refused with 400, never left unanswered', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless']);
	t.after(() => stop(srv));
	for (const rev of ['2025-06-18', '2025-11-25', '2026-07-28']) {
		const r = await post(srv.url, BATCH, { 'mcp-protocol-version': rev });
		assert.equal(r.status, 400, rev);
		assert.equal(r.body.error.code, -32600, rev);
	}
	const r = await post(srv.url, BATCH, { 'mcp-protocol-version': '2025-03-26' });
	assert.equal(r.status, 200);
	assert.deepEqual(r.body, [{ jsonrpc: '2.0', id: 1, result: {} }]);
	// A request whose method is not a string is still a request: answered.
	const bad = await post(srv.url, { jsonrpc: '2.0', id: 9, method: 5 }, { 'mcp-protocol-version': '2025-06-18' });
	assert.equal(bad.body.id, 9);
	assert.equal(bad.body.error.code, -32600);
	assert.equal(await metric(srv.url, 'mxcp_requests_in_flight'), 0);
});

test('Origin: null is refused with 403, a request without Host with 400', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless']);
	t.after(() => stop(srv));
	const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
	const nul = await post(srv.url, ping, { origin: 'null' });
	assert.equal(nul.status, 403);
	assert.match(nul.body.error.message, /invalid Origin/);
	const body = JSON.stringify(ping);
	for (const version of ['1.0', '1.1']) {
		const got = await raw(
			srv.port,
			`POST /mcp HTTP/${version}\r\nContent-Type: application/json\r\nAccept: ${ACCEPT}\r\n` +
				`Connection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
		);
		assert.match(got, /^HTTP\/1\.[01] 400 /, `HTTP/${version} without Host: ${got}`);
		assert.doesNotMatch(got, /"result"/);
	}
	// The same request with a Host is served.
	const ok = await raw(
		srv.port,
		`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/json\r\nAccept: ${ACCEPT}\r\n` +
			`Connection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
	);
	assert.match(ok, /^HTTP\/1\.1 200 /);
});

test('a chunked body is refused with 413 as soon as it passes the limit, not when it ends', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless'], withConfig(dir, '  max_message_bytes: 65536\n'));
	t.after(() => stop(srv));
	const total = 256 << 20; // what the client would send: 256 MiB
	const result = await new Promise((resolve) => {
		const s = net.connect(srv.port, '127.0.0.1');
		let sent = 0;
		let got = '';
		const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x61), Buffer.from('\r\n')]);
		const finish = () => {
			const m = /^HTTP\/1\.1 (\d+) [^]*?\r\n\r\n([^]*)$/.exec(got);
			resolve({ status: m ? Number(m[1]) : null, body: m ? m[2] : got, sent });
		};
		s.on('data', (d) => (got += d));
		s.on('error', () => {});
		s.on('close', finish);
		const pump = () => {
			while (got === '' && sent < total && !s.destroyed) {
				sent += 0x10000;
				if (!s.write(chunk)) return s.once('drain', pump);
			}
			if (got === '' && !s.destroyed) s.end('0\r\n\r\n');
		};
		s.write(
			`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/json\r\n` +
				`Accept: ${ACCEPT}\r\nTransfer-Encoding: chunked\r\n\r\n`,
		);
		pump();
	});
	assert.equal(result.status, 413, JSON.stringify(result));
	assert.match(result.body, /Request body larger than 65536 bytes/);
	assert.ok(result.sent < total, `the whole ${total} bytes were taken before the answer`);
	assert.equal((await callTool(srv.url, 'plus_one', { n: 1 })).body.result.structuredContent?.result ?? 2, 2);
});

test('slow clients: a request must arrive within transport.http.read_timeout', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless'], withConfig(dir, '  http:\n    read_timeout: 1\n'));
	t.after(() => stop(srv));
	// A byte every 200 ms: the head alone would take ~20 s.
	const head = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/json\r\nAccept: ${ACCEPT}\r\nX-Pad: ${'p'.repeat(40)}\r\n\r\n`;
	const dropped = await new Promise((resolve) => {
		const s = net.connect(srv.port, '127.0.0.1');
		let i = 0;
		const tick = setInterval(() => {
			if (i < head.length && !s.destroyed) s.write(head[i++]);
		}, 200);
		s.on('error', () => {});
		s.on('close', () => {
			clearInterval(tick);
			resolve(i);
		});
	});
	assert.ok(dropped < head.length, `the server waited for the whole slow request (${dropped} bytes)`);
	// An honest client is served as before.
	const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'plus_one', arguments: { n: 41 } } });
	const ok = await raw(
		srv.port,
		`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/json\r\nAccept: ${ACCEPT}\r\n` +
			`Connection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
	);
	assert.match(ok, /^HTTP\/1\.1 200 [^]*"text":"42"/);
});

test('transport.http.max_connections_per_client caps the connections of one address', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless'], withConfig(dir, '  http:\n    max_connections_per_client: 4\n'));
	t.after(() => stop(srv));
	// Six connections from 127.0.0.3 (no other client uses it): four stay.
	const conns = await Promise.all(
		Array.from({ length: 6 }, () => new Promise((resolve) => {
			const s = net.connect({ port: srv.port, host: '127.0.0.1', localAddress: '127.0.0.3' }, () => resolve(s));
			s.gone = false;
			s.on('close', () => (s.gone = true));
			s.on('error', () => {});
		})),
	);
	t.after(() => conns.forEach((s) => s.destroy()));
	await sleep(500);
	assert.equal(conns.filter((s) => s.gone).length, 2);
	// Another address is not affected.
	const other = await raw(srv.port, 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', {
		localAddress: '127.0.0.2',
	});
	assert.match(other, /^HTTP\/1\.1 200 /);
	// A slot freed is a slot again.
	conns.forEach((s) => s.destroy());
	await sleep(200);
	const again = await raw(srv.port, 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', {
		localAddress: '127.0.0.3',
	});
	assert.match(again, /^HTTP\/1\.1 200 /);
});

test('a call whose client went away is cancelled: its worker serves the next call', async (t) => {
	const dir = makeProject({ audit: true });
	const srv = await serveHttp(dir, ['--stateless'], withConfig(dir, '  workers: 2\n'));
	t.after(() => stop(srv));
	// Two calls that would run for minutes hold both workers, then their
	// clients leave.
	const leave = () =>
		new Promise((resolve) => {
			const req = http.request(`${srv.url}/mcp`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', accept: ACCEPT },
			});
			req.on('error', () => resolve());
			req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: { n: 200000000000 } } }));
			setTimeout(() => {
				req.destroy();
				resolve();
			}, 500);
		});
	await Promise.all([leave(), leave()]);
	// With both workers still busy this call would wait for minutes.
	const r = await post(
		srv.url,
		{ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'plus_one', arguments: { n: 1 } } },
		{ 'mcp-protocol-version': '2025-06-18' },
	);
	assert.equal(r.status, 200);
	assert.equal(r.body.result.content[0].text, '2');
	// Both abandoned calls are in the audit trail as ended in error.
	const file = path.join(dir, 'audit', 'calls.jsonl');
	let records = [];
	for (let i = 0; i < 100 && records.length < 3; i++) {
		records = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(JSON.parse) : [];
		await sleep(50);
	}
	const slow = records.filter((x) => x.name === 'slow');
	assert.equal(slow.length, 2, JSON.stringify(records));
	for (const x of slow) {
		assert.equal(x.status, 'error', JSON.stringify(x));
		assert.equal(x.error, 'Request cancelled', JSON.stringify(x));
	}
	assert.equal(await metric(srv.url, 'mxcp_requests_in_flight'), 0);
});

test('SIGTERM under keep-alive load: exit 0, every executed call answered', async (t) => {
	const dir = makeProject({ audit: true });
	const srv = await serveHttp(dir, ['--stateless'], withConfig(dir, '  workers: 2\n  shutdown_grace: 3\n'));
	t.after(() => stop(srv, 'SIGKILL'));
	// Every 50th call is a scan that outlives the grace; the rest are quick.
	const lua = path.join(scratch, 'shutdown.lua');
	fs.writeFileSync(
		lua,
		`local n = 0
ok = 0; refused = 0; cut = 0; other = 0
request = function()
  n = n + 1
  local call = (n % 50 == 0) and '"name":"slow","arguments":{"n":200000000000}' or '"name":"plus_one","arguments":{"n":1}'
  return wrk.format("POST", "/mcp", {["Content-Type"]="application/json", ["Accept"]="${ACCEPT}"},
    '{"jsonrpc":"2.0","id":' .. n .. ',"method":"tools/call","params":{' .. call .. '}}')
end
response = function(status, headers, body)
  if status == 200 then ok = ok + 1
  elseif status == 503 and string.find(body, '"id":null', 1, true) then refused = refused + 1
  elseif status == 503 then cut = cut + 1
  else other = other + 1 end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local t = {ok = 0, refused = 0, cut = 0, other = 0}
  for _, th in ipairs(threads) do for k, _ in pairs(t) do t[k] = t[k] + th:get(k) end end
  io.write(string.format("RESULT %d %d %d %d\\n", t.ok, t.refused, t.cut, t.other))
end
`,
	);
	const load = new Promise((resolve, reject) =>
		execFile('wrk', ['-t2', '-c16', '-d12s', '-s', lua, `${srv.url}/mcp`], (e, out, err) =>
			e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out),
		),
	);
	await sleep(2000);
	srv.kill('SIGTERM');
	const { code, sig } = await srv.exited;
	assert.equal(sig, null, srv.output);
	assert.equal(code, 0, srv.output);
	assert.doesNotMatch(srv.output, /MHD_stop_daemon|suspended connections/);
	const out = await load;
	const m = /RESULT (\d+) (\d+) (\d+) (\d+)/.exec(out);
	assert.ok(m, out);
	const [ok, refused, cut, other] = m.slice(1).map(Number);
	assert.ok(ok > 0, out);
	assert.equal(other, 0, out);
	// One audit record per executed call; each was answered: the quick ones
	// with their result, the ones still running at the end of the grace
	// with a 503 that names their request.
	const records = fs
		.readFileSync(path.join(dir, 'audit', 'calls.jsonl'), 'utf8')
		.trim()
		.split('\n')
		.map(JSON.parse);
	const success = records.filter((x) => x.status === 'success').length;
	const failed = records.filter((x) => x.status !== 'success').length;
	assert.equal(success, ok, `${out}\naudited ${success} successes`);
	assert.equal(failed, cut, `${out}\naudited ${failed} failures`);
	assert.ok(refused >= 0);
});
