// SPDX-License-Identifier: Apache-2.0
//
// Horizontal scaling as the operational guide describes it: two stateless
// instances of the same project (database opened read-only) behind nginx
// (Debian's binary, run as the test user from a temp prefix). The official
// SDK client calls through nginx; both instances get traffic (read off each
// one's /metrics); an SSE stream passes through nginx unbuffered.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { NGINX, SRC, callTool, freePort, makeProject, parseMetrics, scrape, scratch, serveHttp, start, stop, waitHttp } from './lib.mjs';

const req = createRequire(path.join(SRC, 'tests', 'e2e', 'package.json'));
const load = (spec) => import(pathToFileURL(req.resolve(spec)).href);

let a, b, nginx, lb;
before(async () => {
	const dir = makeProject();
	a = await serveHttp(dir, ['--stateless', '--readonly']);
	b = await serveHttp(dir, ['--stateless', '--readonly']);
	const port = await freePort();
	const prefix = path.join(scratch, 'nginx');
	fs.mkdirSync(path.join(prefix, 'logs'), { recursive: true });
	const conf = path.join(prefix, 'nginx.conf');
	const tmp = (n) => path.join(prefix, n);
	fs.writeFileSync(
		conf,
		`daemon off;
worker_processes 1;
pid ${tmp('nginx.pid')};
error_log ${tmp('logs/error.log')} warn;
events { worker_connections 256; }
http {
	access_log ${tmp('logs/access.log')};
	client_body_temp_path ${tmp('body')};
	proxy_temp_path ${tmp('proxy')};
	fastcgi_temp_path ${tmp('fastcgi')};
	uwsgi_temp_path ${tmp('uwsgi')};
	scgi_temp_path ${tmp('scgi')};
	upstream mxcp {
		server 127.0.0.1:${a.port};
		server 127.0.0.1:${b.port};
		keepalive 16;
	}
	server {
		listen 127.0.0.1:${port};
		location / {
			proxy_pass http://mxcp;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host $http_host;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			# SSE: pass events on as they come.
			proxy_buffering off;
			proxy_cache off;
			proxy_read_timeout 1h;
		}
	}
}
`,
	);
	nginx = start(NGINX, ['-p', prefix, '-c', conf, '-e', tmp('logs/error.log')]);
	lb = `http://127.0.0.1:${port}`;
	await waitHttp(`${lb}/health`, nginx);
});
after(async () => {
	for (const c of [nginx, a, b]) if (c) await stop(c, c === nginx ? 'SIGQUIT' : 'SIGTERM');
});

const callsOn = async (srv) =>
	parseMetrics((await scrape(srv.url)).text).get('mxcp_requests_total{method="tools/call",endpoint="plus_one",outcome="ok"}') ?? 0;

test('the SDK client calls through nginx and both instances serve', async () => {
	const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
		load('@modelcontextprotocol/sdk/client/index.js'),
		load('@modelcontextprotocol/sdk/client/streamableHttp.js'),
	]);
	const client = new Client({ name: 'mxcp-ops', version: '1.0.0' }, { capabilities: {} });
	await client.connect(new StreamableHTTPClientTransport(new URL(`${lb}/mcp`)));
	const tools = await client.listTools();
	assert.deepEqual(tools.tools.map((t) => t.name).sort(), ['item', 'plus_one', 'slow']);
	for (let i = 0; i < 20; i++) {
		const r = await client.callTool({ name: 'plus_one', arguments: { n: i } });
		assert.equal(r.isError, false, JSON.stringify(r));
		assert.equal(JSON.parse(r.content[0].text), i + 1);
	}
	await client.close();
	// plain JSON-RPC too, concurrently
	const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => callTool(lb, 'item', { id: i })));
	for (const [i, r] of rs.entries()) assert.match(r.body.result.content[0].text, new RegExp(`"name":\\s*"item${i}"`));
	const na = await callsOn(a), nb = await callsOn(b);
	assert.equal(na + nb, 20);
	assert.ok(na > 0 && nb > 0, `round robin: a=${na} b=${nb}`);
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
