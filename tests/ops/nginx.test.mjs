// SPDX-License-Identifier: Apache-2.0
//
// Horizontal scaling as the operational guide describes it: three stateless
// instances of the same project (database opened read-only by all three)
// behind nginx (Debian's binary, run as the test user from a temp prefix,
// config tests/ops/nginx.conf.in). The official SDK client drives a session
// of list and call traffic through nginx; every instance gets traffic and
// none reports a failed request (read off each one's /metrics); an SSE
// stream passes through nginx unbuffered.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { NGINX, SRC, callTool, freePort, makeProject, parseMetrics, scrape, scratch, serveHttp, start, stop, waitHttp } from './lib.mjs';

const req = createRequire(path.join(SRC, 'tests', 'e2e', 'package.json'));
const load = (spec) => import(pathToFileURL(req.resolve(spec)).href);

let instances = [];
let nginx, lb;
before(async () => {
	const dir = makeProject();
	for (let i = 0; i < 3; i++) instances.push(await serveHttp(dir, ['--stateless', '--readonly']));
	const port = await freePort();
	const prefix = path.join(scratch, 'nginx');
	fs.mkdirSync(path.join(prefix, 'logs'), { recursive: true });
	const conf = path.join(prefix, 'nginx.conf');
	const template = fs.readFileSync(path.join(SRC, 'tests', 'ops', 'nginx.conf.in'), 'utf8');
	fs.writeFileSync(
		conf,
		template
			.replaceAll('@PREFIX@', prefix)
			.replaceAll('@PORT@', String(port))
			.replace('@UPSTREAMS@', instances.map((s) => `server 127.0.0.1:${s.port};`).join('\n\t\t')),
	);
	nginx = start(NGINX, ['-p', prefix, '-c', conf, '-e', path.join(prefix, 'logs', 'error.log')]);
	lb = `http://127.0.0.1:${port}`;
	await waitHttp(`${lb}/health`, nginx);
});
after(async () => {
	if (nginx) await stop(nginx, 'SIGQUIT');
	for (const s of instances) await stop(s);
});

const callsOn = async (srv) =>
	parseMetrics((await scrape(srv.url)).text).get('mxcp_requests_total{method="tools/call",endpoint="plus_one",outcome="ok"}') ?? 0;

test('the SDK client calls through nginx and every instance serves', async () => {
	const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
		load('@modelcontextprotocol/sdk/client/index.js'),
		load('@modelcontextprotocol/sdk/client/streamableHttp.js'),
	]);
	const client = new Client({ name: 'mxcp-ops', version: '1.0.0' }, { capabilities: {} });
	await client.connect(new StreamableHTTPClientTransport(new URL(`${lb}/mcp`)));
	const tools = await client.listTools();
	assert.deepEqual(tools.tools.map((t) => t.name).sort(), ['item', 'plus_one', 'slow']);
	for (let i = 0; i < 30; i++) {
		const r = await client.callTool({ name: 'plus_one', arguments: { n: i } });
		assert.equal(r.isError, false, JSON.stringify(r));
		assert.equal(JSON.parse(r.content[0].text), i + 1);
	}
	await client.close();
	// plain JSON-RPC too, concurrently
	const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => callTool(lb, 'item', { id: i })));
	for (const [i, r] of rs.entries()) assert.match(r.body.result.content[0].text, new RegExp(`"name":\\s*"item${i}"`));
	const counts = await Promise.all(instances.map(callsOn));
	assert.equal(counts.reduce((x, y) => x + y, 0), 30, `plus_one calls per instance: ${counts}`);
	assert.ok(counts.every((n) => n > 0), `round robin: ${counts}`);
	// no MCP request failed on any instance (the transport-level `/mcp`
	// series also counts the 405 a stateless server gives the SDK's optional
	// GET stream, which the client expects)
	for (const s of instances) {
		const m = parseMetrics((await scrape(s.url)).text);
		for (const [k, v] of m)
			if (k.startsWith('mxcp_requests_total{') && k.includes('outcome="error"') && !k.includes('method="/mcp"'))
				assert.equal(v, 0, `${s.url}: ${k}`);
	}
});

test('SSE passes through nginx unbuffered', async () => {
	// The legacy /sse stream sends its endpoint event at once and stays open:
	// it only arrives through a proxy that does not buffer.
	const ctl = new AbortController();
	const res = await fetch(`${lb}/sse`, { headers: { accept: 'text/event-stream' }, signal: ctl.signal });
	assert.equal(res.status, 200);
	assert.match(res.headers.get('content-type'), /^text\/event-stream/);
	const reader = res.body.getReader();
	const timer = setTimeout(() => ctl.abort(), 5000);
	let got = '';
	try {
		while (!got.includes('\n\n')) {
			const { value, done } = await reader.read();
			if (done) break;
			got += new TextDecoder().decode(value);
		}
	} finally {
		clearTimeout(timer);
		ctl.abort();
	}
	assert.match(got, /event: endpoint\ndata: \/messages\/?\?session_id=/);
	// and a POST answered as an SSE stream (Accept: only text/event-stream is refused; both → server's choice)
	const r = await callTool(lb, 'plus_one', { n: 41 });
	assert.equal(r.status, 200);
	assert.equal(JSON.parse(r.body.result.content[0].text), 42);
});
