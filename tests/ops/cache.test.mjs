// SPDX-License-Identifier: Apache-2.0
//
// The response cache (docs/cache.md), as an operator sees it:
//   - memory backend: a read-only tool's second call is a hit (counted on
//     /metrics, audited with "cached":true, the hash chain intact), a
//     request header bypasses it, an input policy still denies every call,
//     a tool not marked read-only is never cached, a SIGHUP invalidates, and
//     the admin socket's POST /cache/flush empties it; with every worker
//     busy, hits are still answered while other calls get 503;
//   - a cache TTL configured for a tool that is not read-only fails start-up
//     naming the config file and line;
//   - Redis backend: three instances behind nginx share one Redis
//     (redis-server on a free loopback port): one miss serves them all, a
//     reload of one invalidates every one, and with Redis down the calls
//     still succeed, uncached and counted.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
	MXCP,
	NGINX,
	SRC,
	callTool,
	freePort,
	parseMetrics,
	rpc,
	scrape,
	scratch,
	serveHttp,
	serverEnv,
	sleep,
	start,
	stop,
	waitHttp,
} from './lib.mjs';

const REDIS = process.env.REDIS_SERVER || '/usr/bin/redis-server';

let nprojects = 0;
// A project with `greet` (read-only), `write` (not read-only), `guarded`
// (read-only, an input policy denying name "eve") and `stamp` (read-only,
// reads a table so a change is visible). cache: the profile's cache block.
function cacheProject(cache, top = '') {
	const dir = path.join(scratch, `cache${nprojects++}`);
	fs.mkdirSync(path.join(dir, 'tools'), { recursive: true });
	fs.writeFileSync(
		path.join(dir, 'mxcp-site.yml'),
		'mxcp: 1\nproject: cachetest\nprofile: default\nprofiles:\n  default:\n    duckdb:\n      path: data/db.duckdb\n' +
			'    audit:\n      enabled: true\n      path: audit/calls.jsonl\n',
	);
	const tool = (name, extra, code, params = '  parameters:\n    - name: name\n      type: string\n      description: Who\n') =>
		fs.writeFileSync(
			path.join(dir, 'tools', `${name}.yml`),
			`mxcp: 1\ntool:\n  name: ${name}\n  description: ${name}\n${extra}${params}  return:\n    type: string\n  source:\n    code: ${code}\n`,
		);
	const ro = '  annotations:\n    readOnlyHint: true\n';
	tool('greet', ro, "SELECT 'Hello, ' || $name || '!' AS g");
	tool('write', '', "SELECT 'w' || $name AS g");
	tool(
		'guarded',
		ro + '  policies:\n    input:\n      - condition: "name == \'eve\'"\n        action: deny\n        reason: "not eve"\n',
		"SELECT 'ok ' || $name AS g",
	);
	tool('stamp', ro, "SELECT v FROM stamps", '');
	tool(
		'slow',
		'',
		'SELECT count(*)::VARCHAR AS c FROM range($n) t(i) WHERE i % 7 = 2',
		'  parameters:\n    - name: n\n      type: integer\n      description: Rows\n',
	);
	fs.writeFileSync(path.join(dir, 'none.yml'), 'mxcp: 1\n');
	execFileSync(MXCP, ['query', "CREATE TABLE stamps AS SELECT 'one' AS v"], {
		cwd: dir,
		env: serverEnv({ MXCP_CONFIG: path.join(dir, 'none.yml') }),
		stdio: ['ignore', 'ignore', 'inherit'],
	});
	const cfg = path.join(dir, 'config.yml');
	fs.writeFileSync(
		cfg,
		`mxcp: 1\n${top}projects:\n  cachetest:\n    profiles:\n      default:\n        cache:\n` +
			Object.entries(cache)
				.map(([k, v]) =>
					typeof v === 'object'
						? `          ${k}:\n` + Object.entries(v).map(([a, b]) => `            ${a}: ${b}\n`).join('')
						: `          ${k}: ${v}\n`,
				)
				.join(''),
	);
	return { dir, cfg };
}

const text = (r) => r.body?.result?.content?.[0]?.text;
const metric = async (srv, name) =>
	[...parseMetrics((await scrape(srv.url)).text)].filter(([k]) => k.startsWith(`${name}{`)).reduce((a, [, v]) => a + v, 0);

// The audit trail's records, with the chain checked as docs/audit.md says.
function auditRecords(dir) {
	const lines = fs.readFileSync(path.join(dir, 'audit', 'calls.jsonl'));
	const out = [];
	let prev = null;
	for (const raw of lines.toString('utf8').split('\n').filter(Boolean)) {
		const rec = JSON.parse(raw);
		const prefix = raw.slice(0, raw.lastIndexOf(',"record_hash":"'));
		const hash = crypto.createHash('sha256').update(`${rec.prev_hash}\n${prefix}`).digest('hex');
		assert.equal(hash, rec.record_hash, 'record hash');
		if (prev) assert.equal(rec.prev_hash, prev, 'chain');
		prev = rec.record_hash;
		out.push(rec);
	}
	return out;
}

async function waitFor(fn, ms = 10000) {
	const until = Date.now() + ms;
	for (;;) {
		if (await fn()) return;
		if (Date.now() > until) throw new Error('timed out');
		await sleep(50);
	}
}

// POST on the admin unix socket.
function adminPost(socketPath, url) {
	return new Promise((resolve, reject) => {
		const rq = http.request({ socketPath, path: url, method: 'POST' }, (res) => {
			let body = '';
			res.on('data', (d) => (body += d));
			res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body || 'null') }));
		});
		rq.on('error', reject);
		rq.end();
	});
}

describe('memory backend', () => {
	let srv, proj, sock;
	before(async () => {
		proj = cacheProject({ enabled: true, backend: 'memory', default_ttl: 300, endpoints: { greet: 600 } });
		sock = path.join(scratch, 'admin-cache.sock');
		srv = await serveHttp(proj.dir, ['--stateless', '--readonly'], {
			env: serverEnv({ MXCP_CONFIG: proj.cfg, MXCP_ADMIN_ENABLED: '1', MXCP_ADMIN_SOCKET: sock }),
		});
	});
	after(async () => {
		if (srv) await stop(srv);
	});

	test('a second call is a hit: counted, audited as cached, chain intact', async () => {
		const h0 = await metric(srv, 'mxcp_cache_hits_total');
		const m0 = await metric(srv, 'mxcp_cache_misses_total');
		assert.equal(text(await callTool(srv.url, 'greet', { name: 'Ann' })), 'Hello, Ann!');
		assert.equal(text(await callTool(srv.url, 'greet', { name: 'Ann' })), 'Hello, Ann!');
		assert.equal(text(await callTool(srv.url, 'greet', { name: 'Bob' })), 'Hello, Bob!');
		assert.equal((await metric(srv, 'mxcp_cache_hits_total')) - h0, 1);
		assert.equal((await metric(srv, 'mxcp_cache_misses_total')) - m0, 2);
		assert.ok((await metric(srv, 'mxcp_cache_bytes')) > 0);
		assert.ok((await metric(srv, 'mxcp_cache_entries')) >= 2);
		await waitFor(() => auditRecords(proj.dir).filter((r) => r.name === 'greet').length >= 3);
		const recs = auditRecords(proj.dir).filter((r) => r.name === 'greet');
		assert.deepEqual(
			recs.slice(-3).map((r) => r.cached === true),
			[false, true, false],
		);
		assert.ok(!('cached' in recs[recs.length - 1]), 'uncached records keep MXCP\'s keys');
	});

	test('x-mxcp-cache: bypass skips the cache', async () => {
		const h0 = await metric(srv, 'mxcp_cache_hits_total');
		const m0 = await metric(srv, 'mxcp_cache_misses_total');
		const r = await rpc(srv.url, 'tools/call', { name: 'greet', arguments: { name: 'Ann' } }, { 'x-mxcp-cache': 'bypass' });
		assert.equal(text(r), 'Hello, Ann!');
		assert.equal((await metric(srv, 'mxcp_cache_hits_total')) - h0, 0);
		assert.equal((await metric(srv, 'mxcp_cache_misses_total')) - m0, 0);
	});

	test('an input policy denies every call; a deny is never cached', async () => {
		for (let i = 0; i < 3; i++) {
			const r = await callTool(srv.url, 'guarded', { name: 'eve' });
			assert.equal(r.body.result.isError, true);
			assert.match(text(r), /not eve/);
		}
		assert.equal(text(await callTool(srv.url, 'guarded', { name: 'al' })), 'ok al');
		const h0 = await metric(srv, 'mxcp_cache_hits_total');
		assert.equal(text(await callTool(srv.url, 'guarded', { name: 'al' })), 'ok al');
		assert.equal((await metric(srv, 'mxcp_cache_hits_total')) - h0, 1);
		const r = await callTool(srv.url, 'guarded', { name: 'eve' });
		assert.equal(r.body.result.isError, true);
	});

	test('a tool not marked read-only is never cached', async () => {
		const h0 = await metric(srv, 'mxcp_cache_hits_total');
		const m0 = await metric(srv, 'mxcp_cache_misses_total');
		for (let i = 0; i < 3; i++) assert.equal(text(await callTool(srv.url, 'write', { name: 'x' })), 'wx');
		assert.equal((await metric(srv, 'mxcp_cache_hits_total')) - h0, 0);
		assert.equal((await metric(srv, 'mxcp_cache_misses_total')) - m0, 0);
	});

	test('SIGHUP invalidates; POST /cache/flush empties', async () => {
		assert.equal(text(await callTool(srv.url, 'stamp', {})), 'one');
		assert.equal(text(await callTool(srv.url, 'stamp', {})), 'one');
		fs.writeFileSync(
			path.join(proj.dir, 'tools', 'stamp.yml'),
			"mxcp: 1\ntool:\n  name: stamp\n  description: stamp\n  annotations:\n    readOnlyHint: true\n  return:\n    type: string\n  source:\n    code: SELECT v || ' two' AS v FROM stamps\n",
		);
		const r0 = await metric(srv, 'mxcp_config_reloads_total');
		srv.kill('SIGHUP');
		await waitFor(async () => (await metric(srv, 'mxcp_config_reloads_total')) > r0);
		assert.equal(text(await callTool(srv.url, 'stamp', {})), 'one two');
		assert.ok((await metric(srv, 'mxcp_cache_entries')) >= 1);
		const flushed = await adminPost(sock, '/cache/flush');
		assert.equal(flushed.status, 200);
		assert.equal(flushed.body.status, 'flushed');
		assert.equal(await metric(srv, 'mxcp_cache_entries'), 0);
		const m0 = await metric(srv, 'mxcp_cache_misses_total');
		assert.equal(text(await callTool(srv.url, 'stamp', {})), 'one two');
		assert.equal((await metric(srv, 'mxcp_cache_misses_total')) - m0, 1);
	});
});

test('a TTL for a tool that is not read-only fails start-up at file:line', async () => {
	const proj = cacheProject({ enabled: true, endpoints: { greet: 60, write: 30 } });
	const port = await freePort();
	const child = start(MXCP, ['serve', '--transport', 'streamable-http', '--port', String(port)], {
		cwd: proj.dir,
		env: serverEnv({ MXCP_CONFIG: proj.cfg }),
	});
	const { code } = await child.exited;
	assert.notEqual(code, 0);
	assert.match(child.output, new RegExp(`${proj.cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: cache\\.endpoints\\.write: .*readOnlyHint`));
});

test('workers saturated: hits are still answered, other calls get 503', async (t) => {
	const proj = cacheProject({ enabled: true, default_ttl: 300 }, 'transport:\n  workers: 1\n  queue_size: 1\n');
	const srv = await serveHttp(proj.dir, ['--stateless', '--readonly'], { env: serverEnv({ MXCP_CONFIG: proj.cfg }) });
	t.after(() => stop(srv));
	assert.equal(text(await callTool(srv.url, 'greet', { name: 'Sat' })), 'Hello, Sat!');
	// One slow call on the only worker, one more in the queue: saturated.
	const slow = [callTool(srv.url, 'slow', { n: 150000000 })];
	await sleep(150);
	slow.push(callTool(srv.url, 'slow', { n: 1000 }));
	await sleep(100);
	const refused = await callTool(srv.url, 'write', { name: 'x' });
	assert.equal(refused.status, 503, JSON.stringify(refused.body));
	const hits = await Promise.all(Array.from({ length: 6 }, () => callTool(srv.url, 'greet', { name: 'Sat' })));
	for (const h of hits) assert.equal(text(h), 'Hello, Sat!');
	for (const r of await Promise.all(slow)) assert.equal(r.status, 200);
});

describe('redis backend: three instances behind nginx', { skip: !fs.existsSync(REDIS) && 'redis-server not installed' }, () => {
	let redis, nginx, lb, proj;
	const instances = [];
	before(async () => {
		const rport = await freePort();
		redis = start(REDIS, ['--port', String(rport), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
		await waitFor(async () => redis.output.includes('Ready to accept connections'));
		proj = cacheProject({ enabled: true, backend: 'redis', redis_url: `redis://127.0.0.1:${rport}/0`, default_ttl: 300 });
		for (let i = 0; i < 3; i++)
			instances.push(await serveHttp(proj.dir, ['--stateless', '--readonly'], { env: serverEnv({ MXCP_CONFIG: proj.cfg }) }));
		const port = await freePort();
		const prefix = path.join(scratch, 'nginx-cache');
		fs.mkdirSync(path.join(prefix, 'logs'), { recursive: true });
		const conf = path.join(prefix, 'nginx.conf');
		fs.writeFileSync(
			conf,
			fs
				.readFileSync(path.join(SRC, 'tests', 'ops', 'nginx.conf.in'), 'utf8')
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
		if (redis) await stop(redis);
	});
	const total = async (name) => {
		let n = 0;
		for (const s of instances) n += await metric(s, name);
		return n;
	};

	test('one miss serves every instance; a reload anywhere invalidates everywhere', async () => {
		for (let i = 0; i < 12; i++) assert.equal(text(await callTool(lb, 'greet', { name: 'Zoe' })), 'Hello, Zoe!');
		assert.equal(await total('mxcp_cache_misses_total'), 1);
		assert.equal(await total('mxcp_cache_hits_total'), 11);
		for (const s of instances) assert.ok((await metric(s, 'mxcp_cache_hits_total')) > 0, `instance ${s.port} served hits`);
		const r0 = await metric(instances[1], 'mxcp_config_reloads_total');
		instances[1].kill('SIGHUP');
		await waitFor(async () => (await metric(instances[1], 'mxcp_config_reloads_total')) > r0);
		const m0 = await total('mxcp_cache_misses_total');
		for (let i = 0; i < 6; i++) assert.equal(text(await callTool(lb, 'greet', { name: 'Zoe' })), 'Hello, Zoe!');
		assert.equal((await total('mxcp_cache_misses_total')) - m0, 1);
	});

	test('Redis down: calls run uncached, counted, never fail', async () => {
		await stop(redis);
		redis = null;
		for (let i = 0; i < 6; i++) assert.equal(text(await callTool(lb, 'greet', { name: 'Yan' })), 'Hello, Yan!');
		assert.ok((await total('mxcp_cache_errors_total')) > 0);
		assert.ok((await total('mxcp_cache_backend_down')) > 0);
		const logs = instances.map((s) => s.output).join('');
		assert.match(logs, /Redis at 127\.0\.0\.1:\d+ unreachable/);
	});
});
