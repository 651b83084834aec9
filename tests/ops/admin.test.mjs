// SPDX-License-Identifier: Apache-2.0
//
// The admin socket (MXCP_ADMIN_ENABLED / MXCP_ADMIN_SOCKET) with each
// transport: the socket file (mode 0600, folder created, stale file
// removed, a live one refused, removed at shutdown), every route's shape
// and values (/health, /status, /config, /endpoints, /system/*,
// /audit/query, /audit/stats), 404/405/422, and POST /reload bringing in a
// newly added tool, or reporting why a reload was refused.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { MXCP, callTool, freePort, makeProject, rpc, scratch, serverEnv, sleep, start, stop, waitHttp } from './lib.mjs';

let sockets = 0;
// A socket path in a folder that does not exist yet.
const socketPath = () => path.join(scratch, `run${sockets++}`, 'mxcp', 'admin.sock');

// One request over the unix socket; the body parsed as JSON.
function admin(sock, p, method = 'GET') {
	return new Promise((resolve, reject) => {
		const req = http.request({ socketPath: sock, path: p, method, agent: false }, (res) => {
			let data = '';
			res.setEncoding('utf8');
			res.on('data', (d) => (data += d));
			res.on('end', () => {
				try {
					resolve({ status: res.statusCode, headers: res.headers, body: data ? JSON.parse(data) : null });
				} catch (e) {
					reject(new Error(`${p}: not JSON: ${data}`));
				}
			});
		});
		req.on('error', reject);
		req.end();
	});
}

async function waitSocket(sock, child, timeoutMs = 15000) {
	const until = Date.now() + timeoutMs;
	for (;;) {
		try {
			return await admin(sock, '/health');
		} catch (e) {
			if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}):\n${child.output}`);
			if (Date.now() > until) throw new Error(`${sock} did not answer: ${e.message}\n${child.output}`);
			await sleep(50);
		}
	}
}

const adminEnv = (sock, extra = {}) => serverEnv({ MXCP_ADMIN_ENABLED: 'true', MXCP_ADMIN_SOCKET: sock, ...extra });

// `mxcp serve` over HTTP with the admin socket on.
async function serveWithAdmin(dir, sock, { transport = 'streamable-http', args = [], env = {} } = {}) {
	const port = await freePort();
	const child = start(MXCP, ['serve', '--transport', transport, '--port', String(port), ...args], {
		cwd: dir,
		env: adminEnv(sock, env),
	});
	child.url = `http://127.0.0.1:${port}`;
	await waitSocket(sock, child);
	return child;
}

// A socket file nobody listens on: bound by a process that then exits.
function staleSocket(sock) {
	fs.mkdirSync(path.dirname(sock), { recursive: true });
	execFileSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.exit(0))`]);
	assert.ok(fs.statSync(sock).isSocket());
}

async function until(what, fn, timeoutMs = 10000) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
}

const TOOL = (name) =>
	`mxcp: 1\ntool:\n  name: ${name}\n  description: Added later.\n  return:\n    type: integer\n  source:\n    code: SELECT 7 AS n\n`;

test('off by default: no socket unless MXCP_ADMIN_ENABLED is truthy', async (t) => {
	const dir = makeProject();
	for (const flag of [undefined, '0', 'no']) {
		const sock = socketPath();
		const port = await freePort();
		const env = { MXCP_ADMIN_SOCKET: sock, ...(flag === undefined ? {} : { MXCP_ADMIN_ENABLED: flag }) };
		const child = start(MXCP, ['serve', '--transport', 'streamable-http', '--port', String(port)], {
			cwd: dir,
			env: serverEnv(env),
		});
		t.after(() => stop(child));
		assert.equal((await waitHttp(`http://127.0.0.1:${port}/health`, child)).status, 200);
		assert.equal(fs.existsSync(sock), false, `MXCP_ADMIN_ENABLED=${flag}`);
		assert.deepEqual(await stop(child), { code: 0, sig: null });
	}
});

test('streamable-http: socket file, every route, audit records, reload, removal at SIGTERM', async (t) => {
	const dir = makeProject({ audit: true });
	fs.writeFileSync(path.join(dir, 'tools', 'broken.yml'), 'mxcp: 1\ntool: [unclosed\n');
	const sock = socketPath();
	staleSocket(sock);
	const srv = await serveWithAdmin(dir, sock, { args: ['--stateless', '--ignore-errors'] });
	t.after(() => stop(srv));

	// the socket: owner-only, and the stale file was replaced
	const st = fs.statSync(sock);
	assert.ok(st.isSocket());
	assert.equal(st.mode & 0o777, 0o600); // and it answers: the stale file was removed (bind would fail)

	const h = await admin(sock, '/health');
	assert.equal(h.status, 200);
	assert.match(h.headers['content-type'], /^application\/json/);
	assert.equal(h.body.status, 'ok');
	assert.ok(Math.abs(Date.parse(h.body.timestamp) - Date.now()) < 60000, h.body.timestamp);
	assert.match(h.body.timestamp, /Z$/);

	const s = (await admin(sock, '/status')).body;
	assert.equal(s.status, 'ok');
	assert.equal(typeof s.version, 'string');
	assert.match(s.uptime, /^\d+h\d+m\d+s$/);
	assert.ok(Number.isInteger(s.uptime_seconds) && s.uptime_seconds >= 0);
	assert.equal(s.pid, srv.pid);
	assert.equal(s.profile, 'default');
	assert.equal(s.mode, 'readwrite');
	assert.equal(s.debug, false);
	assert.deepEqual(s.reload, {
		in_progress: false,
		draining: false,
		active_requests: 0,
		last_reload: null,
		last_reload_status: null,
		last_reload_error: null,
	});
	assert.deepEqual(s.admin_socket, { path: sock });

	const c = (await admin(sock, '/config')).body;
	assert.deepEqual(c, {
		status: 'ok',
		project: 'ops',
		profile: 'default',
		repository_path: fs.realpathSync(dir),
		duckdb_path: path.join(fs.realpathSync(dir), 'data', 'ops.duckdb'),
		readonly: false,
		debug: false,
		endpoints: { tools: 3, prompts: 0, resources: 0 },
		features: { sql_tools: false, audit_logging: true, telemetry: false },
		transport: 'streamable-http',
	});

	const e = (await admin(sock, '/endpoints')).body.endpoints;
	const ok = e.filter((x) => x.status === 'ok');
	assert.deepEqual(ok.map((x) => x.name), ['item', 'plus_one', 'slow']);
	for (const x of ok) {
		assert.equal(x.type, 'tool');
		assert.equal(x.language, 'sql');
		assert.equal(x.enabled, true);
		assert.equal(x.error, null);
		assert.equal(x.path, path.join(fs.realpathSync(dir), 'tools', `${x.name}.yml`));
	}
	assert.equal(ok.find((x) => x.name === 'plus_one').description, 'Add one.');
	const bad = e.filter((x) => x.status === 'error');
	assert.equal(bad.length, 1);
	assert.match(bad[0].path, /tools\/broken\.yml$/);
	assert.equal(bad[0].name, null);
	assert.equal(bad[0].enabled, false);
	assert.match(bad[0].error, /broken\.yml/);

	// /system: real values of this machine and this process
	const mem = (await admin(sock, '/system/memory')).body;
	assert.equal(mem.total_bytes, os.totalmem());
	for (const k of ['available_bytes', 'used_bytes', 'free_bytes']) assert.ok(mem[k] > 0 && mem[k] <= mem.total_bytes, k);
	assert.ok(mem.percent >= 0 && mem.percent <= 100);
	assert.equal(mem.swap_used_bytes, mem.swap_total_bytes - mem.swap_free_bytes);
	assert.ok(mem.mxcp_process_rss_bytes > 1 << 20 && mem.mxcp_process_rss_bytes < mem.total_bytes);
	assert.ok(mem.mxcp_process_vms_bytes >= mem.mxcp_process_rss_bytes);
	const info = (await admin(sock, '/system/info')).body;
	assert.equal(info.cpu_count_logical, os.cpus().length);
	assert.ok(info.cpu_count_physical >= 1 && info.cpu_count_physical <= info.cpu_count_logical);
	assert.equal(info.memory_total_bytes, os.totalmem());
	assert.ok(Math.abs(info.boot_time_seconds - (Date.now() / 1000 - os.uptime())) < 5);
	const cpu = (await admin(sock, '/system/cpu')).body;
	assert.ok(cpu.percent >= 0 && cpu.percent <= 100);
	assert.equal(cpu.per_cpu_percent.length, os.cpus().length);
	assert.ok(cpu.load_avg_1min >= 0);
	const disk = (await admin(sock, '/system/disk')).body;
	const vfs = fs.statfsSync('/');
	assert.ok(disk.total_bytes > 0 && disk.total_bytes % vfs.blocks === 0); // blocks × fragment size
	assert.ok(disk.used_bytes <= disk.total_bytes && disk.percent >= 0 && disk.percent <= 100);
	const net = (await admin(sock, '/system/network')).body;
	assert.ok(net.bytes_recv >= 0 && net.packets_sent >= 0);
	const proc = (await admin(sock, '/system/process')).body;
	assert.equal(proc.pid, srv.pid);
	assert.ok(proc.num_threads > 1 && proc.num_fds > 2);
	assert.ok(['running', 'sleeping'].includes(proc.status), proc.status);

	// errors in FastAPI's shapes
	assert.deepEqual(await admin(sock, '/nope').then((r) => [r.status, r.body]), [404, { detail: 'Not Found' }]);
	const m = await admin(sock, '/health', 'POST');
	assert.deepEqual([m.status, m.body], [405, { detail: 'Method Not Allowed' }]);
	assert.equal(m.headers.allow, 'GET');
	assert.equal((await admin(sock, '/reload')).status, 405);
	const v = await admin(sock, '/audit/query?limit=1001&offset=-1');
	assert.equal(v.status, 422);
	assert.deepEqual(v.body.detail.map((d) => [d.type, d.loc]), [
		['less_than_equal', ['query', 'limit']],
		['greater_than_equal', ['query', 'offset']],
	]);
	assert.equal((await admin(sock, '/audit/query?limit=zero')).body.detail[0].type, 'int_parsing');
	assert.equal((await admin(sock, '/audit/query?start_time=yesterday')).status, 422);

	// audit: the calls just made, newest first, filtered and paged
	const t0 = new Date().toISOString();
	for (const n of [1, 2, 3]) assert.deepEqual((await callTool(srv.url, 'plus_one', { n })).body.result.structuredContent, { result: n + 1 });
	assert.deepEqual((await callTool(srv.url, 'item', { id: 4 })).body.result.structuredContent, { result: [{ id: 4, name: 'item4' }] });
	const q = (await admin(sock, '/audit/query')).body;
	assert.equal(q.count, 4);
	assert.equal(q.records.length, 4);
	const r0 = q.records[0];
	assert.equal(r0.operation_name, 'item');
	assert.equal(r0.operation_type, 'tool');
	assert.equal(r0.operation_status, 'success');
	assert.equal(r0.caller_type, 'http');
	assert.equal(r0.schema_name, 'mxcp.endpoints');
	assert.deepEqual(r0.input_data, { id: 4 });
	assert.equal(r0.policy_decision, 'n/a');
	assert.ok(Number.isInteger(r0.duration_ms));
	assert.match(r0.record_id, /^[0-9a-f-]{36}$/);
	assert.ok(Date.parse(r0.timestamp) >= Date.parse(t0) - 1000, r0.timestamp);
	assert.deepEqual(q.records.slice(1).map((r) => r.input_data), [{ n: 3 }, { n: 2 }, { n: 1 }]);
	const byName = (await admin(sock, '/audit/query?operation_name=plus_one&limit=2&offset=1')).body;
	assert.deepEqual(byName.records.map((r) => r.input_data), [{ n: 2 }, { n: 1 }]);
	assert.equal(byName.count, 2);
	assert.equal((await admin(sock, '/audit/query?operation_status=error')).body.count, 0);
	assert.equal((await admin(sock, '/audit/query?schema_name=other')).body.count, 0);
	assert.equal((await admin(sock, `/audit/query?end_time=${encodeURIComponent(t0)}`)).body.count, 0);
	assert.equal((await admin(sock, `/audit/query?start_time=${encodeURIComponent(t0)}&operation_type=tool`)).body.count, 4);
	const stats = (await admin(sock, '/audit/stats')).body;
	assert.equal(stats.total_records, 4);
	assert.deepEqual(stats.by_type, { tool: 4 });
	assert.deepEqual(stats.by_status, { success: 4 });
	assert.deepEqual(stats.by_policy, { 'n/a': 4 });
	assert.ok(stats.earliest_timestamp <= stats.latest_timestamp);
	assert.equal(stats.latest_timestamp, r0.timestamp);

	// POST /reload: a tool added on disk appears in tools/list
	fs.writeFileSync(path.join(dir, 'tools', 'added.yml'), TOOL('added'));
	const before = (await rpc(srv.url, 'tools/list', {})).body.result.tools.map((x) => x.name);
	assert.ok(!before.includes('added'));
	const r = await admin(sock, '/reload', 'POST');
	assert.equal(r.status, 200);
	assert.equal(r.body.status, 'reload_initiated');
	assert.match(r.body.reload_request_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
	assert.equal(r.body.message, 'Reload request queued. Use GET /status to check progress.');
	assert.ok(Date.parse(r.body.timestamp) > 0);
	const done = await until('the reload', async () => {
		const st = (await admin(sock, '/status')).body.reload;
		return st.last_reload_status && !st.in_progress ? st : null;
	});
	assert.equal(done.last_reload_status, 'success');
	assert.equal(done.last_reload_error, null);
	assert.ok(Date.parse(done.last_reload) >= Date.parse(r.body.timestamp) - 1000);
	const after = (await rpc(srv.url, 'tools/list', {})).body.result.tools.map((x) => x.name);
	assert.ok(after.includes('added'), after.join(','));
	assert.equal((await admin(sock, '/config')).body.endpoints.tools, 4);
	assert.ok((await admin(sock, '/endpoints')).body.endpoints.some((x) => x.name === 'added'));

	// SIGTERM: clean exit, socket file gone
	assert.deepEqual(await stop(srv), { code: 0, sig: null });
	assert.equal(fs.existsSync(sock), false);
});

test('stdio: the admin socket runs beside the protocol; a refused reload is reported', async (t) => {
	const dir = makeProject();
	const sock = socketPath();
	const child = start(MXCP, ['serve', '--transport', 'stdio'], {
		cwd: dir,
		env: adminEnv(sock),
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	t.after(() => stop(child));
	await waitSocket(sock, child);
	const c = (await admin(sock, '/config')).body;
	assert.equal(c.transport, 'stdio');
	assert.equal(c.endpoints.tools, 3);
	assert.equal((await admin(sock, '/audit/query')).body.count, 0);
	assert.deepEqual((await admin(sock, '/audit/stats')).body, {
		total_records: 0,
		by_type: {},
		by_status: {},
		by_policy: {},
		earliest_timestamp: null,
		latest_timestamp: null,
	});

	// an invalid endpoint: the reload is refused and the old project keeps serving
	fs.writeFileSync(path.join(dir, 'tools', 'bad.yml'), TOOL('bad').replace('SELECT 7 AS n', 'SELECT * FROM no_such_table'));
	assert.equal((await admin(sock, '/reload', 'POST')).status, 200);
	const st = await until('the reload', async () => {
		const s = (await admin(sock, '/status')).body.reload;
		return s.last_reload_status ? s : null;
	});
	assert.equal(st.last_reload_status, 'error');
	assert.match(st.last_reload_error, /1 invalid endpoint/);
	assert.equal((await admin(sock, '/config')).body.endpoints.tools, 3);

	// the protocol still works on stdout
	child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) + '\n');
	await until('the ping answer', async () => child.output.includes('"id":1'));

	child.stdin.end();
	assert.deepEqual(await child.exited, { code: 0, sig: null });
	assert.equal(fs.existsSync(sock), false);
});

test('sse: a second server on a live socket is refused; a path that is not a socket is refused', async (t) => {
	const dir = makeProject();
	const sock = socketPath();
	const srv = await serveWithAdmin(dir, sock, { transport: 'sse' });
	t.after(() => stop(srv));
	assert.equal((await admin(sock, '/config')).body.transport, 'sse');

	const other = makeProject(); // its own database file: DuckDB allows one writer per file
	const port = await freePort();
	const second = start(MXCP, ['serve', '--transport', 'streamable-http', '--port', String(port)], {
		cwd: other,
		env: adminEnv(sock),
	});
	const r = await second.exited;
	assert.equal(r.code, 1, second.output);
	assert.match(second.output, /another server is already answering on the admin socket/);
	// the first one is untouched
	assert.equal((await admin(sock, '/health')).status, 200);

	const file = path.join(scratch, 'not-a-socket');
	fs.writeFileSync(file, 'keep me');
	const third = start(MXCP, ['serve', '--transport', 'stdio'], { cwd: other, env: adminEnv(file), stdio: ['pipe', 'pipe', 'pipe'] });
	assert.equal((await third.exited).code, 1, third.output);
	assert.match(third.output, /is not a socket/);
	assert.equal(fs.readFileSync(file, 'utf8'), 'keep me');

	assert.deepEqual(await stop(srv), { code: 0, sig: null });
	assert.equal(fs.existsSync(sock), false);
});

test('/config features.sql_tools is what is served: --sql-tools wins over mxcp-site.yml', async (t) => {
	for (const [site, flag, want] of [
		[true, 'false', false],
		[false, 'true', true],
		[true, null, true],
	]) {
		const dir = makeProject();
		fs.appendFileSync(path.join(dir, 'mxcp-site.yml'), `sql_tools:\n  enabled: ${site}\n`);
		const sock = socketPath();
		const srv = await serveWithAdmin(dir, sock, { args: ['--stateless', ...(flag ? ['--sql-tools', flag] : [])] });
		t.after(() => stop(srv));
		assert.equal((await admin(sock, '/config')).body.features.sql_tools, want, `site ${site}, --sql-tools ${flag}`);
		const listed = (await rpc(srv.url, 'tools/list', {})).body.result.tools.map((x) => x.name);
		assert.equal(listed.includes('execute_sql_query'), want, listed.join(','));
		assert.deepEqual(await stop(srv), { code: 0, sig: null });
	}
});
