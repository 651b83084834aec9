// SPDX-License-Identifier: Apache-2.0
//
// revisions.test.mjs — one server process serves clients of every MCP
// revision at once: the official SDK client asking for the oldest revision
// mxcp serves (2024-11-05; the SDK asks for its newest, so its initialize is
// rewritten on the way out) and for the SDK's newest (2025-11-25), side by
// side on the same streamable HTTP server, each listing and calling tools.
// The newest revision, 2026-07-28, which the SDK does not speak yet, is held
// against the official conformance suite in http.test.mjs.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { HttpServer, exampleProject } from './lib.mjs';

// A transport whose initialize asks for `version` instead of the SDK's newest.
function asking(url, version) {
	const t = new StreamableHTTPClientTransport(url);
	const send = t.send.bind(t);
	t.send = (msg, opts) => {
		if (msg.method === 'initialize') msg = { ...msg, params: { ...msg.params, protocolVersion: version } };
		return send(msg, opts);
	};
	return t;
}

test('the oldest and the newest SDK revisions side by side on one server', { timeout: 60000 }, async () => {
	const srv = await HttpServer.start(exampleProject());
	try {
		const clients = [];
		for (const version of ['2024-11-05', '2025-11-25']) {
			const client = new Client({ name: `rev-${version}`, version: '1.0.0' }, { capabilities: {} });
			await client.connect(asking(srv.url(), version));
			assert.equal(client.transport.protocolVersion, version, 'the revision the server agreed to');
			clients.push([version, client]);
		}
		for (const [version, client] of clients) {
			const names = (await client.listTools()).tools.map((t) => t.name);
			assert.ok(names.includes('get_customer'), `${version}: ${names}`);
			const r = await client.callTool({ name: 'get_customer', arguments: { customer_id: 1 } });
			assert.notEqual(r.isError, true, `${version}: ${JSON.stringify(r)}`);
			assert.equal(JSON.parse(r.content[0].text).name, 'Ada Lovelace');
			// structuredContent arrived with 2025-06-18; the oldest revision has none
			assert.equal('structuredContent' in r, version !== '2024-11-05', `${version}: ${JSON.stringify(r)}`);
		}
		for (const [, client] of clients) await client.close();
	} finally {
		assert.equal((await srv.stop()).code, 0);
	}
});
