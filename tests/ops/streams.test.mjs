// SPDX-License-Identifier: Apache-2.0
//
// The GET stream of a streamable HTTP session: one at a time (409 for a
// second while the first is open), and a client whose stream dropped can
// open a new one at once instead of waiting for the next heartbeat to
// reveal the drop.

import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import { makeProject, serveHttp, sleep, stop } from './lib.mjs';

const INIT = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'streams-test', version: '1' } };

async function initialize(base) {
	const res = await fetch(`${base}/mcp`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
		body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: INIT }),
	});
	assert.equal(res.status, 200);
	await res.text();
	return res.headers.get('mcp-session-id');
}

// Open the GET stream on a raw socket; resolves once its first bytes came.
function openStream(port, sid) {
	return new Promise((resolve, reject) => {
		const req = http.request({
			host: '127.0.0.1',
			port,
			path: '/mcp',
			method: 'GET',
			agent: false,
			headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' },
		});
		req.on('response', (res) => {
			if (res.statusCode !== 200) {
				res.resume();
				resolve({ status: res.statusCode, req });
				return;
			}
			res.once('data', () => resolve({ status: 200, req, res }));
		});
		req.on('error', reject);
		req.end();
	});
}

test('a second GET stream is refused while the first is open, and allowed once it dropped', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir);
	t.after(() => stop(srv));
	const sid = await initialize(srv.url);
	const first = await openStream(srv.port, sid);
	assert.equal(first.status, 200);
	await sleep(100);
	const second = await openStream(srv.port, sid);
	assert.equal(second.status, 409);
	// The client drops its stream (the socket closes) and comes back at once.
	first.req.destroy();
	await sleep(200);
	const third = await openStream(srv.port, sid);
	assert.equal(third.status, 200, 'a new GET stream right after the old one dropped');
	third.req.destroy();
});
