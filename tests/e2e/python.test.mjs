// SPDX-License-Identifier: Apache-2.0
//
// python.test.mjs — Python endpoints (exec/python/) served to the official
// MCP TypeScript SDK client, over stdio and over streamable HTTP, on the
// fixture tests/projects/python: plain and async functions, db.execute,
// mcp.info/mcp.progress arriving as notifications on the call's own
// stream, a call cancelled by the client (its worker free again at once),
// transport.call_timeout, and a SIGHUP reload that imports the changed
// module (and refuses one that does not import).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { spawn } from 'node:child_process';

import { HttpServer, MXCP, connect, copyProject, serverEnv, sleep } from './lib.mjs';

// The fixture's plugin config; workers: 2 so one slow call leaves one free.
function userConfig(dir, extra = '') {
	const file = path.join(dir, 'user-config.yml');
	fs.writeFileSync(
		file,
		`mxcp: 1\ntransport:\n  workers: 2\n${extra}projects:\n  pyfix:\n    profiles:\n      default:\n        plugin:\n          config:\n            demo_cfg: {greeting: hi}\n`,
	);
	return { MXCP_CONFIG: file };
}

const json = (r) => JSON.parse(r.content[0].text);

// Everything both transports must do with a connected client.
async function exercise(client) {
	const tools = (await client.listTools()).tools.map((t) => t.name);
	for (const t of ['add_one', 'items', 'slow_async', 'spin', 'fail', 'when'])
		assert.ok(tools.includes(t), `tools/list has ${t}: ${tools}`);

	const add = await client.callTool({ name: 'add_one', arguments: { n: 41 } });
	assert.deepEqual(add.structuredContent, { x: 42 });

	const items = await client.callTool({ name: 'items', arguments: { limit: 2 } });
	assert.deepEqual(items.structuredContent, { result: [{ id: 0, name: 'item 0' }, { id: 1, name: 'item 1' }] });

	const failed = await client.callTool({ name: 'fail', arguments: { message: 'no luck' } });
	assert.equal(failed.isError, true);
	assert.equal(failed.content[0].text, 'Error executing tool fail: no luck');

	// mcp.info and mcp.progress from an async tool: notifications/message and
	// notifications/progress before the result
	const logs = [];
	client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params));
	await client.setLoggingLevel('debug');
	const progress = [];
	const slow = await client.callTool({ name: 'slow_async', arguments: { seconds: 0.05 } }, undefined, {
		onprogress: (p) => progress.push(p),
	});
	assert.deepEqual(json(slow), { slept: 0.05 });
	assert.ok(logs.some((l) => l.level === 'info' && l.data === 'starting'), JSON.stringify(logs));
	assert.deepEqual(progress, [{ progress: 1, total: 2, message: 'half way' }]);

	// a CPU-bound call the client cancels: its worker is free again, so the
	// next call is answered while the cancelled one would still be spinning
	const ac = new AbortController();
	const started = Date.now();
	const spinning = client.callTool({ name: 'spin', arguments: { seconds: 60 } }, undefined, { signal: ac.signal });
	await sleep(300);
	ac.abort();
	await assert.rejects(spinning);
	for (let i = 0; i < 3; i++) {
		const r = await client.callTool({ name: 'add_one', arguments: { n: i } });
		assert.deepEqual(r.structuredContent, { x: i + 1 });
	}
	const spin2 = await client.callTool({ name: 'spin', arguments: { seconds: 0.05 } });
	assert.ok(json(spin2).spins > 0);
	assert.ok(Date.now() - started < 20000, 'the cancelled call did not hold its worker');
}

describe('Python endpoints over stdio', () => {
	let dir, client;
	before(async () => {
		dir = copyProject('tests/projects/python');
		client = await connect(dir, ['serve', '--transport', 'stdio'], userConfig(dir));
	});
	after(async () => client?.close());

	test('calls, db.execute, notifications, cancellation', { timeout: 60000 }, async () => {
		await exercise(client);
	});
});

describe('Python endpoints over streamable HTTP', () => {
	let dir, srv;
	before(async () => {
		dir = copyProject('tests/projects/python');
		srv = await HttpServer.start(dir, [], userConfig(dir, '  call_timeout: 2\n'));
	});
	after(async () => {
		const r = await srv.stop();
		assert.equal(r.code, 0, `SIGTERM exit: ${JSON.stringify(r)} ${srv.stderr}`);
		assert.match(srv.stderr, /shutdown hook ran/, 'the @on_shutdown hook ran at exit');
	});

	test('calls, db.execute, notifications, cancellation', { timeout: 60000 }, async () => {
		const client = new Client({ name: 'py-http', version: '1.0.0' }, { capabilities: {} });
		await client.connect(new StreamableHTTPClientTransport(srv.url()));
		await exercise(client);
		await client.close();
	});

	test('transport.call_timeout interrupts Python code, sync and async', { timeout: 30000 }, async () => {
		const client = new Client({ name: 'py-timeout', version: '1.0.0' }, { capabilities: {} });
		await client.connect(new StreamableHTTPClientTransport(srv.url()));
		for (const name of ['spin', 'slow_async']) {
			const t0 = Date.now();
			const r = await client.callTool({ name, arguments: { seconds: 30 } });
			assert.equal(r.isError, true, name);
			assert.match(r.content[0].text, /timed out.*transport\.call_timeout/);
			assert.ok(Date.now() - t0 < 10000, `${name} stopped near its 2 s limit`);
		}
		await client.close();
	});

	test('SIGHUP imports the changed module; one that does not import is refused', { timeout: 30000 }, async () => {
		const client = new Client({ name: 'py-reload', version: '1.0.0' }, { capabilities: {} });
		await client.connect(new StreamableHTTPClientTransport(srv.url()));
		const file = path.join(dir, 'python', 'tools.py');
		const src = fs.readFileSync(file, 'utf8');
		fs.writeFileSync(file, src.replace('return {"x": n + 1}', 'return {"x": n + 100}'));
		const reloaded = (n) => srv.stderr.split('reload done').length - 1 >= n;
		srv.child.kill('SIGHUP');
		for (let i = 0; i < 100 && !reloaded(1); i++) await sleep(50);
		assert.ok(reloaded(1), srv.stderr);
		let r = await client.callTool({ name: 'add_one', arguments: { n: 1 } });
		assert.deepEqual(r.structuredContent, { x: 101 });
		assert.match(srv.stderr, /Running shutdown hook: teardown[\s\S]*Running init hook: setup/);

		fs.writeFileSync(file, src + '\ndef broken(:\n');
		srv.child.kill('SIGHUP');
		for (let i = 0; i < 100 && !/reload failed/.test(srv.stderr); i++) await sleep(50);
		assert.match(srv.stderr, /reload failed, still serving the previous project: .*tools\.py.*invalid syntax/);
		r = await client.callTool({ name: 'add_one', arguments: { n: 1 } });
		assert.deepEqual(r.structuredContent, { x: 101 }, 'the previous snapshot serves on');
		fs.writeFileSync(file, src);

		// reload_duckdb(payload): the payload runs on the server, then the project reloads
		const marker = path.join(dir, 'payload-ran');
		const before = srv.stderr.split('reload done').length;
		r = await client.callTool({ name: 'request_reload', arguments: { marker } });
		assert.deepEqual(json(r), { queued: true });
		for (let i = 0; i < 100 && srv.stderr.split('reload done').length === before; i++) await sleep(50);
		assert.equal(fs.readFileSync(marker, 'utf8'), 'payload ran');
		assert.ok(srv.stderr.split('reload done').length > before, 'the project reloaded');
		r = await client.callTool({ name: 'add_one', arguments: { n: 1 } });
		assert.deepEqual(r.structuredContent, { x: 2 }, 'the reload imported the restored module');
		await client.close();
	});
});

// RSS of a process, in kB.
function rssKb(pid) {
	const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
	return Number(m[1]);
}

describe('Python memory', () => {
	// No reference leaks: many calls of a tool that builds and returns a
	// 100-row list leave the server's RSS flat once warm. The calls go over
	// stdio, a window of them in flight, and only their count is kept.
	test('RSS stays flat over many calls of a 100-row Python tool', { timeout: 600000 }, async () => {
		const sanitized = /asan/.test(MXCP);
		const total = sanitized ? 20000 : 100000;
		const dir = copyProject('tests/projects/python');
		const child = spawn(MXCP, ['serve', '--transport', 'stdio'], { cwd: dir, env: serverEnv(userConfig(dir)), stdio: ['pipe', 'pipe', 'pipe'] });
		let stderr = '';
		child.stderr.on('data', (d) => (stderr += d));
		let answered = 0, failed = 0, buf = '';
		let wake = () => {};
		child.stdout.setEncoding('utf8');
		child.stdout.on('data', (d) => {
			buf += d;
			let i;
			while ((i = buf.indexOf('\n')) >= 0) {
				const line = buf.slice(0, i);
				buf = buf.slice(i + 1);
				if (!line.includes('"id"')) continue;
				answered++;
				if (line.includes('"isError":true') || line.includes('"error"')) failed++;
				wake();
			}
		});
		const send = (m) => child.stdin.write(JSON.stringify(m) + '\n');
		send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mem', version: '1' } } });
		send({ jsonrpc: '2.0', method: 'notifications/initialized' });
		const window = 64;
		let sent = 0;
		const samples = {};
		const marks = [Math.floor(total / 5), total];
		while (answered < total + 1) {
			while (sent < total && sent - (answered - 1) < window) {
				sent++;
				send({ jsonrpc: '2.0', id: sent, method: 'tools/call', params: { name: 'rows100', arguments: {} } });
			}
			await new Promise((r) => (wake = r));
			for (const m of marks) if (answered - 1 >= m && !(m in samples)) samples[m] = rssKb(child.pid);
		}
		child.stdin.end();
		const code = await new Promise((r) => child.on('exit', (c) => r(c)));
		assert.equal(failed, 0, stderr);
		// under ASan, LeakSanitizer checks at exit: a leak is exit code 1
		assert.equal(code, 0, `server exit ${code}: ${stderr.slice(-2000)}`);
		const [warm, end] = marks.map((m) => samples[m]);
		console.log(`python memory: RSS ${warm} kB after ${marks[0]} calls, ${end} kB after ${total}`);
		// 100 rows × 80,000 calls would be hundreds of MB if any reference
		// leaked. ASan's RSS is its quarantine's, not the program's: there the
		// exit code above is the check.
		if (!sanitized)
			assert.ok(end - warm < 8 * 1024, `RSS grew ${end - warm} kB between call ${marks[0]} and ${total}`);
	});
});
