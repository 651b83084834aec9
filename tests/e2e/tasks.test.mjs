// tasks.test.mjs — the MCP tasks extension (io.modelcontextprotocol/tasks)
// on `mxcp serve --transport streamable-http`, at the 2026-07-28 wire: a
// slow SQL query (tests/projects/conformance/tools/slow_scan.yml, tagged
// task:optional) run as a task, polled to completion with DuckDB's
// progress rising, and one cancelled mid-query (the query is interrupted:
// the worker is free again at once).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { HttpServer, copyProject, mxcp } from './lib.mjs';

const TASKS = 'io.modelcontextprotocol/tasks';

describe('tasks (2026-07-28)', () => {
	let srv;
	before(async () => {
		const dir = copyProject('tests/projects/conformance');
		mxcp(dir, ['query', '--file', 'seed/seed.sql']);
		srv = await HttpServer.start(dir);
	});
	after(async () => assert.equal((await srv.stop()).code, 0));

	let seq = 1;
	async function rpc(method, params, withTasks = true) {
		const caps = withTasks ? { extensions: { [TASKS]: {} } } : {};
		const headers = {
			'content-type': 'application/json',
			accept: 'application/json, text/event-stream',
			'MCP-Protocol-Version': '2026-07-28',
			'Mcp-Method': method,
		};
		const name = params.name ?? params.taskId;
		if (name) headers['Mcp-Name'] = name;
		const body = {
			jsonrpc: '2.0', id: seq++, method,
			params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': caps } },
		};
		const r = await fetch(srv.url(), { method: 'POST', headers, body: JSON.stringify(body) });
		const text = await r.text();
		const data = text.split('\n').filter((l) => l.startsWith('data:')).pop();
		return JSON.parse(data ? data.slice(5) : text);
	}
	const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
	const progressOf = (t) => t._meta?.['io.mxcp/progress'];

	test('a slow query runs as a task: polled to completion, progress rising', { timeout: 120000 }, async () => {
		const created = (await rpc('tools/call', { name: 'slow_scan', arguments: { rounds: 30 } })).result;
		assert.equal(created.resultType, 'task');
		assert.equal(created.status, 'working');
		assert.ok(Number.isInteger(created.ttlMs) && created.ttlMs > 0);
		assert.ok(Number.isInteger(created.pollIntervalMs));
		const seen = [];
		let t;
		for (let i = 0; i < 1000; i++) {
			t = (await rpc('tasks/get', { taskId: created.taskId })).result;
			assert.equal(t.taskId, created.taskId);
			if (progressOf(t) !== undefined) seen.push(progressOf(t));
			if (t.status !== 'working') break;
			await sleep(100);
		}
		assert.equal(t.status, 'completed');
		assert.equal(t.result.isError, false);
		assert.ok(Number(t.result.content[0].text) > 0);
		for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `progress went down: ${seen}`);
		assert.ok(seen.some((p) => p > 0 && p < 100), `no progress between 0 and 100 seen: ${seen}`);
	});

	test('a task is cancelled: its query is interrupted', { timeout: 120000 }, async () => {
		const created = (await rpc('tools/call', { name: 'slow_scan', arguments: { rounds: 2000 } })).result;
		assert.equal(created.resultType, 'task');
		for (let i = 0; i < 100; i++) {
			const t = (await rpc('tasks/get', { taskId: created.taskId })).result;
			if ((progressOf(t) ?? 0) > 0) break;
			await sleep(100);
		}
		const ack = (await rpc('tasks/cancel', { taskId: created.taskId })).result;
		assert.equal(ack.resultType, 'complete');
		assert.equal(ack.taskId, undefined);
		const t = (await rpc('tasks/get', { taskId: created.taskId })).result;
		assert.equal(t.status, 'cancelled');
		assert.equal(t.result, undefined);
		// The interrupted query left its worker: another runs to the end.
		const started = Date.now();
		const quick = (await rpc('tools/call', { name: 'slow_scan', arguments: { rounds: 1 } }, false)).result;
		assert.equal(quick.resultType, 'complete');
		assert.ok(Date.now() - started < 30000);
		assert.equal((await rpc('tasks/get', { taskId: created.taskId })).result.status, 'cancelled');
	});

	test('without the extension the same tool answers directly; unknown tasks are -32602', async () => {
		const r = (await rpc('tools/call', { name: 'slow_scan', arguments: { rounds: 1 } }, false)).result;
		assert.equal(r.resultType, 'complete');
		assert.equal(r.taskId, undefined);
		assert.equal((await rpc('tasks/get', { taskId: 'nope' })).error.code, -32602);
		assert.equal((await rpc('tasks/get', { taskId: 'nope' }, false)).error.code, -32021);
		assert.equal((await rpc('tasks/list', {})).error.code, -32601);
	});
});
