// SPDX-License-Identifier: Apache-2.0
//
// /health (is the process up) and /ready (can it serve: project, database,
// audit path): an unwritable audit path makes /ready 503 with JSON naming
// the failed check while /health stays 200.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { makeProject, serveHttp, stop } from './lib.mjs';

const get = async (url) => {
	const res = await fetch(url);
	return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
};

test('/ready is 200 with every check ok on a healthy server', async (t) => {
	const dir = makeProject({ audit: true });
	fs.mkdirSync(path.join(dir, 'audit'));
	const srv = await serveHttp(dir, ['--stateless']);
	t.after(() => stop(srv));
	const h = await get(`${srv.url}/health`);
	assert.equal(h.status, 200);
	assert.match(h.type, /^application\/json/);
	const r = await get(`${srv.url}/ready`);
	assert.equal(r.status, 200, JSON.stringify(r.body));
	assert.equal(r.body.status, 'ready');
	assert.deepEqual(r.body.checks, { project: 'ok', database: 'ok', audit: 'ok' });
});

test('/ready is 503 naming the database when its file is removed; /health stays 200', async (t) => {
	const dir = makeProject({ audit: false });
	const srv = await serveHttp(dir, ['--stateless']);
	t.after(() => stop(srv));
	assert.equal((await get(`${srv.url}/ready`)).status, 200);
	fs.renameSync(path.join(dir, 'data', 'ops.duckdb'), path.join(dir, 'data', 'moved.duckdb'));
	const r = await get(`${srv.url}/ready`);
	assert.equal(r.status, 503, JSON.stringify(r.body));
	assert.match(r.body.checks.database, /database file .*ops\.duckdb is missing/);
	assert.equal(r.body.checks.project, 'ok');
	assert.equal((await get(`${srv.url}/health`)).status, 200);
	fs.renameSync(path.join(dir, 'data', 'moved.duckdb'), path.join(dir, 'data', 'ops.duckdb'));
	assert.equal((await get(`${srv.url}/ready`)).status, 200);
});

test('/ready is 503 naming the audit check when the audit path is unwritable; /health stays 200', async (t) => {
	const dir = makeProject({ audit: true });
	let restore = () => {};
	if (process.getuid() === 0) {
		// root writes through permission bits: point the trail at a read-only file system
		const site = path.join(dir, 'mxcp-site.yml');
		fs.writeFileSync(site, fs.readFileSync(site, 'utf8').replace('audit/calls.jsonl', '/proc/mxcp-ops/calls.jsonl'));
	} else {
		fs.mkdirSync(path.join(dir, 'audit'), { mode: 0o555 });
		restore = () => fs.chmodSync(path.join(dir, 'audit'), 0o755);
	}
	const srv = await serveHttp(dir, ['--stateless']);
	t.after(async () => {
		await stop(srv);
		restore();
	});
	const r = await get(`${srv.url}/ready`);
	assert.equal(r.status, 503, JSON.stringify(r.body));
	assert.equal(r.body.status, 'not ready');
	assert.equal(r.body.checks.database, 'ok');
	assert.notEqual(r.body.checks.audit, 'ok');
	assert.match(r.body.checks.audit, /audit/);
	assert.equal((await get(`${srv.url}/health`)).status, 200);
});
