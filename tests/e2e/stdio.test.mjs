// SPDX-License-Identifier: Apache-2.0
//
// stdio.test.mjs — `mxcp serve --transport stdio` driven by the official MCP
// TypeScript SDK client (@modelcontextprotocol/sdk, pinned in package.json),
// plus raw JSON-RPC lines where the SDK cannot go (the 2026-07-28 era,
// framing, exit codes). Exact values throughout, not shapes.
//
// Run: sh tests/e2e/run.sh (installs the pinned packages, then node --test).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
	MXCP,
	RawServer,
	connect,
	copyProject,
	exampleProject,
	generatedProject,
	oneWorker,
	runMxcp,
	sleep,
} from './lib.mjs';

const FIXTURE = 'tests/projects/e2e';
const text = (r) => r.content.map((c) => c.text);

// ------------------------------------------------------------ the example

test('Claude-Desktop launch on the bundled example: list and call everything', async () => {
	const dir = exampleProject();
	const client = await connect(dir);
	try {
		const info = client.getServerVersion();
		assert.equal(info.name, 'MXCP Server');
		const caps = client.getServerCapabilities();
		assert.ok(caps.tools && caps.resources && caps.prompts);

		const tools = await client.listTools();
		assert.deepEqual(
			tools.tools.map((t) => t.name),
			['get_customer', 'order_count', 'recommend_products', 'sales_by_month', 'search_products'],
		);
		assert.equal(tools.nextCursor, undefined);
		const search = tools.tools.find((t) => t.name === 'search_products');
		assert.equal(
			search.description,
			'Search the product catalogue by name, optionally within a category and below a price.',
		);
		assert.deepEqual(search.inputSchema.required, ['query']);
		assert.equal(search.annotations.title, 'Search products');
		assert.equal(search.annotations.readOnlyHint, true);

		const found = await client.callTool({ name: 'search_products', arguments: { query: 'o', max_price: 100 } });
		assert.equal(found.isError ?? false, false);
		assert.deepEqual(found.structuredContent, {
			result: [
				{ product_id: 20, name: 'SQL for analysts', category: 'books', price: 39.9, in_stock: true },
				{ product_id: 21, name: 'The art of DuckDB', category: 'books', price: 45, in_stock: true },
				{ product_id: 11, name: 'Ergonomic mouse', category: 'hardware', price: 59.5, in_stock: true },
			],
		});

		const count = await client.callTool({ name: 'order_count', arguments: {} });
		assert.deepEqual(count.structuredContent, { result: 2 });
		assert.deepEqual(text(count), ['2']);

		const customer = await client.callTool({ name: 'get_customer', arguments: { customer_id: 1 } });
		assert.equal(customer.structuredContent.name, 'Ada Lovelace');
		assert.equal(customer.structuredContent.orders, 2);
		assert.equal(customer.structuredContent.spent, 208.8);

		const resources = await client.listResources();
		assert.deepEqual(resources.resources.map((r) => r.uri), ['catalog://categories']);
		const templates = await client.listResourceTemplates();
		assert.deepEqual(templates.resourceTemplates.map((t) => t.uriTemplate), ['customers://{customer_id}']);

		const c4 = await client.readResource({ uri: 'customers://4' });
		assert.equal(c4.contents.length, 1);
		assert.equal(c4.contents[0].uri, 'customers://4');
		assert.equal(c4.contents[0].mimeType, 'application/json');
		assert.deepEqual(JSON.parse(c4.contents[0].text), {
			customer_id: 4,
			name: 'Katherine Johnson',
			country: 'US',
			tier: 'gold',
		});

		const prompts = await client.listPrompts();
		assert.deepEqual(prompts.prompts.map((p) => p.name), ['customer_summary']);
	} finally {
		await client.close();
	}
});

// ------------------------------------------------------------- the fixture

test('fixture: every kind of endpoint, exact results', async () => {
	const client = await connect(copyProject(FIXTURE));
	try {
		const { tools } = await client.listTools();
		assert.deepEqual(tools.map((t) => t.name), ['add', 'series', 'shout', 'slow']);
		const add = tools[0];
		assert.equal(add.description, 'Add two integers.');
		assert.deepEqual(add.inputSchema.required, ['a']);
		assert.equal(add.inputSchema.type, 'object');
		assert.equal(add.outputSchema.type, 'object');

		// An object return: structuredContent is the object itself.
		const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
		assert.deepEqual(sum.structuredContent, { sum: 5 });
		assert.deepEqual(JSON.parse(sum.content[0].text), { sum: 5 });
		const dflt = await client.callTool({ name: 'add', arguments: { a: 7 } });
		assert.deepEqual(dflt.structuredContent, { sum: 17 });

		// An array return is wrapped as {"result": …}.
		const series = await client.callTool({ name: 'series', arguments: { n: 3 } });
		assert.deepEqual(series.structuredContent, {
			result: [
				{ i: 1, sq: 1 },
				{ i: 2, sq: 4 },
				{ i: 3, sq: 9 },
			],
		});

		// A scalar string return.
		const shout = await client.callTool({ name: 'shout', arguments: { word: 'duck' } });
		assert.deepEqual(shout.structuredContent, { result: 'DUCK' });
		assert.deepEqual(text(shout), ['DUCK']);

		// Resources: static and through a template.
		const { resources } = await client.listResources();
		assert.deepEqual(resources.map((r) => [r.uri, r.name, r.mimeType]), [['e2e://about', 'about', 'text/plain']]);
		const about = await client.readResource({ uri: 'e2e://about' });
		assert.deepEqual(about.contents, [{ uri: 'e2e://about', mimeType: 'text/plain', text: 'mxcp e2e fixture' }]);
		const { resourceTemplates } = await client.listResourceTemplates();
		assert.deepEqual(
			resourceTemplates.map((t) => [t.uriTemplate, t.name, t.mimeType]),
			[['e2e://planets/{name}', 'planet', 'application/json']],
		);
		const mars = await client.readResource({ uri: 'e2e://planets/mars' });
		assert.equal(mars.contents[0].uri, 'e2e://planets/mars');
		assert.deepEqual(JSON.parse(mars.contents[0].text), { name: 'mars', moons: 2 });

		// Prompts.
		const { prompts } = await client.listPrompts();
		assert.deepEqual(prompts.map((p) => p.name), ['haiku']);
		assert.deepEqual(
			prompts[0].arguments.map((a) => [a.name, a.required ?? false]),
			[
				['topic', true],
				['mood', false],
			],
		);
		const haiku = await client.getPrompt({ name: 'haiku', arguments: { topic: 'rain' } });
		assert.deepEqual(haiku.messages, [
			{ role: 'user', content: { type: 'text', text: 'Write a calm haiku about rain.' } },
			{ role: 'assistant', content: { type: 'text', text: 'Here is a haiku about rain:' } },
		]);
	} finally {
		await client.close();
	}
});

test('argument errors are tool results with isError, naming the parameter', async () => {
	const client = await connect(copyProject(FIXTURE));
	try {
		const neg = await client.callTool({ name: 'add', arguments: { a: -1 } });
		assert.equal(neg.isError, true);
		assert.deepEqual(text(neg), ["Error executing tool add: Error validating parameter 'a': Value must be >= 0"]);

		const missing = await client.callTool({ name: 'add', arguments: { b: 1 } });
		assert.equal(missing.isError, true);
		assert.deepEqual(text(missing), ['Error executing tool add: Required parameter missing: a']);

		const wrongType = await client.callTool({ name: 'series', arguments: { n: 'many' } });
		assert.equal(wrongType.isError, true);
		assert.deepEqual(text(wrongType), ["Error executing tool series: Error validating parameter 'n': Expected integer, got str"]);

		const tooBig = await client.callTool({ name: 'series', arguments: { n: 51 } });
		assert.equal(tooBig.isError, true);
		assert.deepEqual(text(tooBig), ["Error executing tool series: Error validating parameter 'n': Value must be <= 50"]);

		// The server keeps answering after errors.
		const ok = await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
		assert.deepEqual(ok.structuredContent, { sum: 2 });
	} finally {
		await client.close();
	}
});

// ---------------------------------------------------------------- lists

test('pagination: more than 100 tools, follow nextCursor', async () => {
	const dir = generatedProject(150);
	const client = await connect(dir);
	try {
		const names = [];
		const pages = [];
		let cursor;
		do {
			const r = await client.listTools(cursor ? { cursor } : {});
			pages.push(r.tools.length);
			names.push(...r.tools.map((t) => t.name));
			cursor = r.nextCursor;
		} while (cursor);
		assert.deepEqual(pages, [100, 50]);
		const expected = Array.from({ length: 150 }, (_, i) => `tool_${i}`).sort();
		assert.deepEqual(names, expected);
		const r = await client.callTool({ name: 'tool_149', arguments: { limit: 2, prefix: 'item1' } });
		assert.deepEqual(r.structuredContent, {
			result: [
				{ id: 1, name: 'item1', score: 1 },
				{ id: 10, name: 'item10', score: 10 },
			],
		});
	} finally {
		await client.close();
	}
});

// ------------------------------------------------------ concurrency, cancel

// A row count `slow` needs hours for on any machine, and the bound on how
// long a test waits for what must happen at once (a hang guard, far longer
// than any answer takes; never a duration the test asserts).
const ENDLESS = 10_000_000_000_000;
const HANG = 120_000;

test('concurrency: several calls in flight, answered by id, a slow one does not block the rest', async () => {
	const client = await connect(copyProject(FIXTURE));
	try {
		// A scan that would run for hours: the fast calls must all be answered
		// while it still runs, whatever the machine's speed.
		const ac = new AbortController();
		let slowSettled = false;
		const slow = client
			.callTool({ name: 'slow', arguments: { n: ENDLESS } }, undefined, { signal: ac.signal, timeout: HANG })
			.finally(() => (slowSettled = true));
		await sleep(50);
		const fast = await Promise.all(
			[1, 2, 3, 4, 5, 6, 7, 8].map((n) => client.callTool({ name: 'add', arguments: { a: n, b: n * 100 } })),
		);
		fast.forEach((r, i) => assert.deepEqual(r.structuredContent, { sum: (i + 1) * 101 }));
		assert.equal(slowSettled, false, 'the slow call ended before the fast ones were answered');
		ac.abort('done');
		await assert.rejects(slow);
	} finally {
		await client.close();
	}
});

test('cancellation: an aborted long query stops and frees its worker', async () => {
	const dir = copyProject(FIXTURE);
	// One worker: the call after the cancelled one is answered only if the
	// cancelled query left the worker.
	const client = await connect(dir, undefined, oneWorker(dir));
	try {
		const ac = new AbortController();
		const long = client.callTool({ name: 'slow', arguments: { n: ENDLESS } }, undefined, {
			signal: ac.signal,
			timeout: HANG,
		});
		await sleep(300);
		ac.abort('user cancelled');
		await assert.rejects(long);
		const r = await client.callTool({ name: 'add', arguments: { a: 40, b: 2 } }, undefined, { timeout: HANG });
		assert.deepEqual(r.structuredContent, { sum: 42 });
	} finally {
		await client.close();
	}
});

test('cancellation (raw): notifications/cancelled interrupts the query and frees the worker; no response for it; EOF exits 0', async () => {
	const dir = copyProject(FIXTURE);
	const srv = new RawServer(dir, undefined, oneWorker(dir));
	await srv.initialize();
	srv.send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'slow', arguments: { n: ENDLESS } } });
	await sleep(300);
	srv.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 5, reason: 'test' } });
	// Only one worker, busy with call 5 for hours unless it was interrupted.
	srv.send({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 } } });
	const after = await srv.response(6, HANG);
	assert.deepEqual(after.result.structuredContent, { sum: 3 });
	const { code } = await (srv.end(), srv.exit(HANG));
	assert.equal(code, 0);
	assert.equal(srv.messages.filter((m) => m.id === 5).length, 0);
});

// ---------------------------------------------------------- protocol eras

test('2026-07-28 era over raw stdio: server/discover, lists and calls without initialize', async () => {
	const srv = new RawServer(copyProject(FIXTURE));
	const meta = {
		'io.modelcontextprotocol/protocolVersion': '2026-07-28',
		'io.modelcontextprotocol/clientCapabilities': {},
		'io.modelcontextprotocol/clientInfo': { name: 'raw-e2e', version: '1.0.0' },
	};
	const d = await srv.request(1, 'server/discover', { _meta: meta });
	assert.equal(d.jsonrpc, '2.0');
	assert.ok(d.result, JSON.stringify(d));
	assert.deepEqual(d.result.supportedVersions, ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);
	assert.equal(d.result.resultType, 'complete');
	// Identity travels in the result's _meta in this revision.
	assert.equal(d.result._meta['io.modelcontextprotocol/serverInfo'].name, 'MXCP Server');
	assert.ok(d.result.capabilities.tools && d.result.capabilities.resources && d.result.capabilities.prompts);
	assert.equal(d.result.ttlMs, 60000);
	assert.equal(d.result.cacheScope, 'public');

	const list = await srv.request(2, 'tools/list', { _meta: meta });
	assert.deepEqual(list.result.tools.map((t) => t.name), ['add', 'series', 'shout', 'slow']);
	assert.equal(list.result.resultType, 'complete');
	assert.equal(list.result.ttlMs, 60000);
	assert.equal(list.result.cacheScope, 'public');

	const call = await srv.request(3, 'tools/call', { _meta: meta, name: 'add', arguments: { a: 20, b: 22 } });
	assert.deepEqual(call.result.structuredContent, { sum: 42 });

	// Unknown resources are -32602 in this era (-32002 before).
	const nope = await srv.request(4, 'resources/read', { _meta: meta, uri: 'e2e://nope' });
	assert.equal(nope.error.code, -32602);

	// The same process serves the session era too.
	const init = await srv.initialize('2025-06-18');
	assert.equal(init.result.protocolVersion, '2025-06-18');
	const old = await srv.request(7, 'resources/read', { uri: 'e2e://nope' });
	assert.equal(old.error.code, -32002);

	const { code } = await (srv.end(), srv.exit());
	assert.equal(code, 0);
	assert.ok(srv.messages.every((m) => m.jsonrpc === '2.0'));
});

// ------------------------------------------------------- stdio hygiene

test('stdout carries JSON-RPC only: bad lines get errors, every line parses, EOF exits 0', async () => {
	const srv = new RawServer(copyProject(FIXTURE), ['serve', '--transport', 'stdio', '--debug']);
	const init = await srv.initialize();
	assert.equal(init.result.protocolVersion, '2025-11-25');
	srv.send('this is not json');
	srv.send('');
	srv.send('{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"shout","arguments":{"word":"a' + 'b'.repeat(5 << 20) + '"}}}');
	const after = await srv.request(8, 'tools/call', { name: 'shout', arguments: { word: 'ok' } });
	assert.deepEqual(after.result.structuredContent, { result: 'OK' });
	const ping = await srv.request(9, 'ping');
	assert.deepEqual(ping.result, {});
	const { code } = await (srv.end(), srv.exit());
	assert.equal(code, 0);

	for (const line of srv.lines) {
		const m = JSON.parse(line); // throws on anything that is not JSON
		assert.equal(m.jsonrpc, '2.0', line.slice(0, 200));
	}
	const errors = srv.messages.filter((m) => m.error && m.id === null).map((m) => m.error.code);
	assert.deepEqual(errors.sort(), [-32700, -32600].sort());
	assert.equal(srv.messages.filter((m) => m.id === 77).length, 0);
	assert.ok(srv.stderr.length > 0, 'debug logs go to stderr');
});

test('SIGTERM: stop reading, drain, exit 0', async () => {
	const srv = new RawServer(copyProject(FIXTURE));
	await srv.initialize();
	srv.send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'slow', arguments: { n: 100_000_000 } } });
	await sleep(50);
	srv.child.kill('SIGTERM');
	const { code, signal } = await srv.exit();
	assert.equal(signal, null);
	assert.equal(code, 0);
	// The in-flight call was answered before the exit.
	assert.deepEqual(srv.messages.find((m) => m.id === 3)?.result?.structuredContent, { result: 14285714 });
});

test('SIGHUP: endpoints reload, clients get list_changed; a broken project is not swapped in', async () => {
	const dir = copyProject(FIXTURE);
	const srv = new RawServer(dir);
	await srv.initialize();
	const before = (await srv.request(1, 'tools/list', {})).result.tools.map((t) => t.name);
	assert.ok(!before.includes('added_later'));
	fs.writeFileSync(path.join(dir, 'tools', 'added_later.yml'),
		'mxcp: 1\ntool:\n  name: added_later\n  description: Added while serving\n  return: {type: integer}\n  source: {code: SELECT 7 AS n}\n');
	const seen = srv.messages.length;
	srv.child.kill('SIGHUP');
	for (let i = 0; i < 100 && !srv.messages.slice(seen).some((m) => m.method === 'notifications/tools/list_changed'); i++)
		await sleep(50);
	const changed = srv.messages.slice(seen).map((m) => m.method).filter(Boolean);
	assert.deepEqual(changed.sort(), ['notifications/prompts/list_changed', 'notifications/resources/list_changed',
		'notifications/tools/list_changed']);
	const after = (await srv.request(2, 'tools/list', {})).result.tools.map((t) => t.name);
	assert.deepEqual(after, [...before, 'added_later'].sort());
	const call = await srv.request(3, 'tools/call', { name: 'added_later', arguments: {} });
	assert.deepEqual(call.result.structuredContent, { result: 7 });

	// A broken file: the reload is refused and the previous project keeps serving.
	fs.writeFileSync(path.join(dir, 'tools', 'broken.yml'), 'mxcp: 1\ntool:\n  name: broken\n  nope: 1\n');
	srv.child.kill('SIGHUP');
	for (let i = 0; i < 100 && !srv.stderr.includes('reload refused'); i++) await sleep(50);
	assert.match(srv.stderr, /reload refused \(1 invalid endpoint\(s\)\)/);
	assert.match(srv.stderr, /tools\/broken\.yml/);
	const still = (await srv.request(4, 'tools/list', {})).result.tools.map((t) => t.name);
	assert.deepEqual(still, after);
	const { code } = await srv.end();
	assert.equal(code, 0);
});

test('SIGHUP: the user config is read again and DuckDB secrets follow it; new extensions are loaded', async () => {
	const dir = copyProject('tests/projects/secrets');
	const config = path.join(dir, 'config.yml');
	const secretsConfig = (token, extra) => 'mxcp: 1\nprojects:\n  vault_demo:\n    profiles:\n      default:\n        secrets:\n' +
		`          - name: api_token\n            type: http\n            parameters:\n              BEARER_TOKEN: "${token}"\n` +
		(extra ? '          - name: extra\n            type: http\n            parameters:\n              BEARER_TOKEN: x\n' : '');
	fs.writeFileSync(config, secretsConfig('first', true));
	const srv = new RawServer(dir, ['serve', '--transport', 'stdio'], { MXCP_CONFIG: config });
	await srv.initialize();
	const secrets = async (id) => (await srv.request(id, 'tools/call', { name: 'secret_strings', arguments: {} }))
		.result.structuredContent.result.map((r) => [r.name, r.secret_string.replace(/.*bearer_token=/, '')]);
	assert.deepEqual(await secrets(1), [['api_token', 'first'], ['extra', 'x']]);
	fs.writeFileSync(config, secretsConfig('second', false));
	srv.child.kill('SIGHUP');
	for (let i = 0; i < 100 && !srv.stderr.includes('reload done'); i++) await sleep(50);
	assert.match(srv.stderr, /reload done/);
	// Replaced, and the one gone from the config is gone from DuckDB.
	assert.deepEqual(await secrets(2), [['api_token', 'second']]);

	// Extensions the new site config lists are loaded by the reload; one
	// that cannot be loaded refuses it, and the previous project serves on.
	const site = path.join(dir, 'mxcp-site.yml');
	fs.appendFileSync(site, 'extensions:\n  - not_an_extension\n');
	srv.child.kill('SIGHUP');
	for (let i = 0; i < 100 && !srv.stderr.includes('reload failed'); i++) await sleep(50);
	assert.match(srv.stderr, /reload failed, still serving the previous project: Extension 'not_an_extension' is not available offline/);
	assert.deepEqual(await secrets(3), [['api_token', 'second']]);
	const { code } = await srv.end();
	assert.equal(code, 0);
});

test('closed stdout ends the server cleanly', async () => {
	const srv = new RawServer(copyProject(FIXTURE));
	await srv.initialize();
	srv.child.stdout.destroy();
	srv.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
	const { code, signal } = await srv.exit();
	assert.equal(signal, null);
	assert.equal(code, 0);
});

// --------------------------------------------------------- startup checks

function brokenProject() {
	const dir = copyProject(FIXTURE);
	fs.writeFileSync(
		path.join(dir, 'tools', 'broken.yml'),
		'mxcp: 1\ntool:\n  name: broken\n  description: Reads a table that does not exist.\n  return:\n    type: integer\n  source:\n    code: SELECT count(*) FROM no_such_table\n',
	);
	fs.writeFileSync(path.join(dir, 'tools', 'typo.yml'), 'mxcp: 1\ntool:\n  name: typo\n  descripton: misspelt\n  source:\n    code: SELECT 1\n');
	return dir;
}

test('startup report: invalid endpoints stop the server (text on stderr, nothing on stdout)', async () => {
	const r = await runMxcp(brokenProject(), ['serve', '--transport', 'stdio']);
	assert.equal(r.code, 1);
	assert.equal(r.stdout, '');
	assert.match(r.stderr, /Server startup failed!/);
	assert.match(r.stderr, /Found 2 endpoint\(s\) with errors/);
	assert.match(r.stderr, /✗ tools\/broken\.yml\n {4}Error: .*no_such_table/);
	assert.match(r.stderr, /✗ tools\/typo\.yml\n {4}Error: .*tools\/typo\.yml:4:3: .*descripton/);
	assert.match(r.stderr, /--ignore-errors/);
});

test('startup report as JSON (--json-output) goes to stderr in stdio mode', async () => {
	const r = await runMxcp(brokenProject(), ['serve', '--transport', 'stdio', '--json-output']);
	assert.equal(r.code, 1);
	assert.equal(r.stdout, '');
	const doc = JSON.parse(r.stderr);
	assert.equal(doc.status, 'error');
	assert.equal(doc.message, 'Found 2 endpoint(s) with errors');
	assert.deepEqual(doc.failed_endpoints.map((f) => f.path).sort(), ['tools/broken.yml', 'tools/typo.yml']);
	for (const f of doc.failed_endpoints) assert.equal(typeof f.error, 'string');
});

test('--ignore-errors serves the valid endpoints only', async () => {
	const client = await connect(brokenProject(), ['serve', '--transport', 'stdio', '--ignore-errors']);
	try {
		const { tools } = await client.listTools();
		assert.deepEqual(tools.map((t) => t.name), ['add', 'series', 'shout', 'slow']);
		assert.match(client.stderr(), /broken\.yml/);
	} finally {
		await client.close();
	}
});

test('an unknown transport is a usage error; the transport is never replaced silently', async () => {
	const dir = copyProject(FIXTURE);
	const bad = await runMxcp(dir, ['serve', '--transport', 'carrier-pigeon']);
	assert.equal(bad.code, 2);
	assert.equal(bad.stdout, '');
	assert.match(bad.stderr, /carrier-pigeon/);
});

test('the binary under test is the one CTest built', () => {
	assert.ok(fs.existsSync(MXCP), MXCP);
});
