// SPDX-License-Identifier: Apache-2.0
//
// The limits of the user config's `transport` section, as a server sees
// them: the body size (413), the session cap (503 + Retry-After), a full
// worker queue (503 + Retry-After, no call lost: every accepted call is
// answered) and the shutdown grace.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { callTool, makeProject, rpc, serveHttp, serverEnv, sleep, stop } from './lib.mjs';

const INIT = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'limits-test', version: '1' } };

function withConfig(dir, yaml) {
	const file = path.join(dir, 'mxcp-config.yml');
	fs.writeFileSync(file, `mxcp: 1\ntransport:\n${yaml}`);
	return { env: serverEnv({ MXCP_CONFIG: file }) };
}

test('transport.max_message_bytes: a larger body is refused with 413', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless'], withConfig(dir, '  max_message_bytes: 2048\n'));
	t.after(() => stop(srv));
	const small = await callTool(srv.url, 'plus_one', { n: 1 });
	assert.equal(small.status, 200);
	const big = await rpc(srv.url, 'tools/call', { name: 'plus_one', arguments: { n: 1 }, pad: 'x'.repeat(4000) });
	assert.equal(big.status, 413);
	assert.match(big.body.error.message, /larger than 2048 bytes/);
});

test('transport.http.max_sessions: past the cap initialize gets 503 with Retry-After', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, [], withConfig(dir, '  http:\n    max_sessions: 2\n'));
	t.after(() => stop(srv));
	for (let i = 0; i < 2; i++) {
		const r = await rpc(srv.url, 'initialize', INIT);
		assert.equal(r.status, 200);
	}
	const res = await fetch(`${srv.url}/mcp`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'initialize', params: INIT }),
	});
	assert.equal(res.status, 503);
	assert.equal(res.headers.get('retry-after'), '1');
	assert.match((await res.json()).error.message, /too many sessions \(2\)/);
});

test('a full worker queue answers 503 with Retry-After; every accepted call completes', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless'], withConfig(dir, '  workers: 1\n  queue_size: 2\n'));
	t.after(() => stop(srv));
	// One slow call occupies the only worker; then a burst.
	const slow = callTool(srv.url, 'slow', { n: 150000000 });
	await sleep(200);
	const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => callTool(srv.url, 'plus_one', { n: i }).then((r) => ({ ...r, n: i }))));
	const refused = burst.filter((r) => r.status === 503);
	const served = burst.filter((r) => r.status === 200);
	assert.ok(refused.length >= 1, `expected some 503s, got ${burst.map((r) => r.status)}`);
	assert.ok(served.length >= 1, `expected some calls queued and served, got ${burst.map((r) => r.status)}`);
	assert.equal(refused.length + served.length, 8);
	for (const r of refused) assert.match(r.body.error.message, /every worker is busy and the queue is full/);
	for (const r of served) {
		assert.equal(r.body.result.isError, false, JSON.stringify(r.body));
		assert.deepEqual(r.body.result.structuredContent, { result: r.n + 1 });
	}
	const s = await slow;
	assert.equal(s.status, 200);
	assert.equal(s.body.result.isError, false, JSON.stringify(s.body));
	assert.deepEqual(s.body.result.structuredContent, { result: 21428572 });
});

test('transport.shutdown_grace bounds how long SIGTERM waits for a call in flight', { timeout: 120000 }, async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless'], withConfig(dir, '  shutdown_grace: 1\n'));
	t.after(() => stop(srv));
	// A call that would run for minutes: the server exits only because the
	// grace ran out and it cancelled the call (node's test timeout is the
	// hang guard, not a duration asserted here).
	const slow = callTool(srv.url, 'slow', { n: 3000000000000 }).catch((e) => ({ error: e }));
	await sleep(300);
	srv.kill('SIGTERM');
	const { code } = await srv.exited;
	assert.equal(code, 0, srv.output);
	assert.match(srv.output, /shutdown grace of 1 s is over: cancelled 1 call\(s\) still in flight/);
	// The cancelled call was answered (503, an error naming its request),
	// not left hanging.
	const r = await slow;
	assert.equal(r.status, 503, JSON.stringify(r));
	assert.deepEqual(r.body?.error, { code: -32000, message: 'Service Unavailable: the server is shutting down' }, JSON.stringify(r));
	assert.notEqual(r.body?.id, null, JSON.stringify(r));
});
