// SPDX-License-Identifier: Apache-2.0
//
// /metrics of a live server: valid exposition (promtool) with the request,
// latency and in-flight series after real calls, and a real Prometheus
// server (Debian's binary) that scrapes it.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { callTool, freePort, makeProject, parseMetrics, promtoolCheck, scrape, scratch, serveHttp, sleep, start, stop, waitHttp } from './lib.mjs';

let dir, srv;
before(async () => {
	dir = makeProject();
	srv = await serveHttp(dir, ['--stateless', '--readonly']);
});
after(async () => {
	if (srv) await stop(srv);
});

test('live /metrics passes promtool and counts the calls made', async () => {
	for (let i = 0; i < 20; i++) {
		const r = await callTool(srv.url, 'plus_one', { n: i });
		assert.equal(r.status, 200);
		assert.equal(r.body.result.isError, false, JSON.stringify(r.body));
		assert.deepEqual(r.body.result.structuredContent, { result: i + 1 });
	}
	const bad = await callTool(srv.url, 'plus_one', { n: 'not a number' });
	assert.equal(bad.status, 200);
	await fetch(`${srv.url}/health`);

	const { res, text } = await scrape(srv.url);
	assert.equal(res.status, 200);
	assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
	const check = promtoolCheck(text);
	assert.equal(check.code, 0, `promtool check metrics:\n${check.out}\n${text}`);

	const m = parseMetrics(text);
	assert.equal(m.get('mxcp_requests_total{method="tools/call",endpoint="plus_one",outcome="ok"}'), 20);
	const errors = m.get('mxcp_requests_total{method="tools/call",endpoint="plus_one",outcome="error"}');
	assert.equal(errors, 1, text);
	const lbl = 'method="tools/call",endpoint="plus_one"';
	assert.equal(m.get(`mxcp_request_duration_seconds_count{${lbl}}`), 21);
	assert.equal(m.get(`mxcp_request_duration_seconds_bucket{${lbl},le="+Inf"}`), 21);
	assert.ok(m.get(`mxcp_request_duration_seconds_sum{${lbl}}`) > 0);
	assert.ok(m.get(`mxcp_request_duration_seconds_bucket{${lbl},le="10"}`) >= m.get(`mxcp_request_duration_seconds_bucket{${lbl},le="0.0005"}`));
	assert.equal(m.get('mxcp_requests_in_flight'), 0);
	assert.ok(m.get('mxcp_requests_total{method="/health",endpoint="",outcome="ok"}') >= 2);
	assert.ok(m.get('process_resident_memory_bytes') > 1e6);
	assert.ok(m.get('mxcp_alloc_live_bytes') > 0);
	const start = m.get('process_start_time_seconds');
	assert.ok(start > Date.now() / 1000 - 600 && start <= Date.now() / 1000 + 1, `start ${start}`);
});

test('in-flight gauge counts a call while it runs', async () => {
	const slow = callTool(srv.url, 'slow', { n: 100_000_000 });
	let seen = 0;
	const until = Date.now() + 10000;
	let done = false;
	slow.then(() => (done = true));
	while (!done && Date.now() < until && seen < 1) {
		seen = parseMetrics((await scrape(srv.url)).text).get('mxcp_requests_in_flight');
		await sleep(20);
	}
	const r = await slow;
	assert.equal(r.status, 200);
	assert.equal(seen, 1, 'the slow call never showed in mxcp_requests_in_flight');
	assert.equal(parseMetrics((await scrape(srv.url)).text).get('mxcp_requests_in_flight'), 0);
});

test('a real Prometheus server scrapes /metrics', async (t) => {
	const port = await freePort();
	const pdir = path.join(scratch, 'prometheus');
	fs.mkdirSync(pdir, { recursive: true });
	const config = path.join(pdir, 'prometheus.yml');
	fs.writeFileSync(
		config,
		`global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: mxcp\n    static_configs:\n      - targets: ['127.0.0.1:${srv.port}']\n`,
	);
	const prom = start('prometheus', [
		`--config.file=${config}`,
		`--storage.tsdb.path=${path.join(pdir, 'data')}`,
		`--web.listen-address=127.0.0.1:${port}`,
		'--web.enable-lifecycle',
		'--log.level=warn',
	]);
	t.after(() => stop(prom));
	const api = `http://127.0.0.1:${port}/api/v1/query?query=`;
	await waitHttp(`http://127.0.0.1:${port}/-/ready`, prom, 30000);
	await callTool(srv.url, 'plus_one', { n: 1 });

	// Prometheus may answer 503 for a moment after /-/ready: a miss is retried by the loop below
	const query = async (q) => {
		const r = await fetch(api + encodeURIComponent(q));
		if (!r.ok) return [];
		return (await r.json()).data?.result ?? [];
	};
	let up = [], ours = [];
	const until = Date.now() + 30000;
	while (Date.now() < until) {
		up = await query('up{job="mxcp"}');
		ours = await query('mxcp_requests_total{method="tools/call",endpoint="plus_one",outcome="ok"}');
		if (up.length && up[0].value[1] === '1' && ours.length) break;
		await sleep(250);
	}
	assert.equal(up.length, 1, `up: ${JSON.stringify(up)}\n${prom.output}`);
	assert.equal(up[0].value[1], '1', `target down: ${prom.output}`);
	assert.equal(ours.length, 1, `no mxcp series scraped\n${prom.output}`);
	assert.ok(Number(ours[0].value[1]) >= 21);
	// the histogram is usable as Prometheus means it to be
	let q = [];
	for (let i = 0; i < 40 && q.length === 0; i++, await sleep(250))
		q = await query('histogram_quantile(0.99, sum by (le) (mxcp_request_duration_seconds_bucket{method="tools/call"}))');
	assert.equal(q.length, 1);
	assert.ok(Number(q[0].value[1]) > 0 && Number(q[0].value[1]) <= 10, JSON.stringify(q));
	// the scrape itself reported no samples dropped as invalid
	let bad = [];
	for (let i = 0; i < 40 && bad.length === 0; i++, await sleep(250)) bad = await query('scrape_samples_post_metric_relabeling{job="mxcp"}');
	assert.ok(Number(bad[0].value[1]) > 20);
});
