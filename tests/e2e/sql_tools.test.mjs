// SPDX-License-Identifier: Apache-2.0
//
// sql_tools.test.mjs — `mxcp serve --sql-tools true|false` against the
// project's own setting (`sql_tools.enabled` in mxcp-site.yml), over stdio
// and streamable HTTP. The built-in SQL tools run arbitrary SQL on the
// project's database, so the flag is a security switch: `false` must take
// them away even when the site enables them — from tools/list, from
// tools/call, from GET /tools/list, and after a SIGHUP reload — and `true`
// must give them even when the site leaves them off. Without the flag the
// site's setting holds.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { HttpServer, MXCP, RawServer, copyProject, post, serverEnv, sleep } from './lib.mjs';

const SQL_TOOLS = ['execute_sql_query', 'get_table_schema', 'list_tables'];
const OWN_TOOLS = ['add', 'series', 'shout', 'slow'];
const V = { 'mcp-protocol-version': '2025-11-25' };

// A copy of the e2e fixture whose mxcp-site.yml says `site` about SQL tools:
// true, false, or null (no sql_tools section at all).
function project(site) {
	const dir = copyProject('tests/projects/e2e');
	if (site !== null) fs.appendFileSync(path.join(dir, 'mxcp-site.yml'), `sql_tools:\n  enabled: ${site}\n`);
	return dir;
}

// The cases: the site's setting, the flag (null: not given), and whether
// the SQL tools must be served.
const CASES = [
	{ site: true, flag: 'false', on: false },
	{ site: false, flag: 'true', on: true },
	{ site: null, flag: 'true', on: true },
	{ site: null, flag: 'false', on: false },
	{ site: true, flag: null, on: true },
	{ site: false, flag: null, on: false },
	{ site: null, flag: null, on: false },
];
const flagArgs = (flag) => (flag === null ? [] : ['--sql-tools', flag]);
const label = (c) => `site ${c.site === null ? 'unset' : `enabled: ${c.site}`}, ${c.flag === null ? 'no flag' : `--sql-tools ${c.flag}`}`;
const expectedTools = (on) => (on ? [...OWN_TOOLS, ...SQL_TOOLS].sort() : OWN_TOOLS);

// What a tools/call of execute_sql_query must answer: the rows when the
// tools are on, the unknown-tool error when they are off.
function checkSqlCall(msg, on) {
	if (on) {
		assert.equal(msg.error, undefined, JSON.stringify(msg));
		assert.equal(msg.result.isError, false, JSON.stringify(msg));
		assert.deepEqual(msg.result.content, [{ type: 'text', text: '{"x":42}' }]);
	} else {
		assert.equal(msg.result, undefined, `execute_sql_query answered while off: ${JSON.stringify(msg)}`);
		assert.equal(msg.error.code, -32602);
		assert.equal(msg.error.message, 'Unknown tool: execute_sql_query');
	}
}

const SQL_CALL = { name: 'execute_sql_query', arguments: { sql: 'SELECT 41 + 1 AS x' } };

describe('--sql-tools over stdio', () => {
	for (const c of CASES)
		test(label(c), async () => {
			const dir = project(c.site);
			const srv = new RawServer(dir, ['serve', '--transport', 'stdio', ...flagArgs(c.flag)]);
			await srv.initialize();
			const list = await srv.request(1, 'tools/list', {});
			assert.deepEqual(list.result.tools.map((t) => t.name).sort(), expectedTools(c.on));
			checkSqlCall(await srv.request(2, 'tools/call', SQL_CALL), c.on);
			const tables = await srv.request(3, 'tools/call', { name: 'list_tables', arguments: {} });
			assert.equal('result' in tables, c.on, JSON.stringify(tables));

			// A reload rebuilds the tool list: the flag still wins over the site.
			srv.child.kill('SIGHUP');
			for (let i = 0; i < 200 && !srv.stderr.includes('reload done'); i++) await sleep(50);
			assert.match(srv.stderr, /reload done/);
			const again = await srv.request(4, 'tools/list', {});
			assert.deepEqual(again.result.tools.map((t) => t.name).sort(), expectedTools(c.on));
			checkSqlCall(await srv.request(5, 'tools/call', SQL_CALL), c.on);
			const { code } = await (srv.end(), srv.exit());
			assert.equal(code, 0, srv.stderr);
		});
});

describe('--sql-tools over streamable HTTP', () => {
	for (const c of CASES)
		test(label(c), async () => {
			const srv = await HttpServer.start(project(c.site), ['--stateless', ...flagArgs(c.flag)]);
			try {
				const list = await (await post(srv, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, V)).json();
				assert.deepEqual(list.result.tools.map((t) => t.name).sort(), expectedTools(c.on));
				const route = await (await fetch(srv.url('/tools/list'))).json();
				assert.deepEqual(route.tools.map((t) => t.name).sort(), expectedTools(c.on));
				const call = await post(srv, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: SQL_CALL }, V);
				checkSqlCall(await call.json(), c.on);

				srv.child.kill('SIGHUP');
				for (let i = 0; i < 200 && !srv.stderr.includes('reload done'); i++) await sleep(50);
				assert.match(srv.stderr, /reload done/);
				const again = await (await post(srv, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, V)).json();
				assert.deepEqual(again.result.tools.map((t) => t.name).sort(), expectedTools(c.on));
				const call2 = await post(srv, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: SQL_CALL }, V);
				checkSqlCall(await call2.json(), c.on);
			} finally {
				assert.equal((await srv.stop()).code, 0, srv.stderr);
			}
		});
});

test('--sql-tools takes only true or false', () => {
	for (const v of ['yes', 'False', '1', '']) {
		const r = spawnSync(MXCP, ['serve', '--transport', 'stdio', '--sql-tools', v], { cwd: project(true), env: serverEnv(), encoding: 'utf8' });
		assert.equal(r.status, 2, `--sql-tools '${v}': ${r.stderr}`);
		assert.equal(r.stdout, '');
		assert.match(r.stderr, new RegExp(`Invalid value for '--sql-tools': '${v}' is not one of 'true', 'false'`));
	}
});
