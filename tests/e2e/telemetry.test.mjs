// SPDX-License-Identifier: Apache-2.0
//
// telemetry.test.mjs — OpenTelemetry export of `mxcp serve` (docs/telemetry.md):
// an OTLP/HTTP receiver on loopback decodes what mxcp sends with the official
// OpenTelemetry protobuf definitions (the generated root that
// @opentelemetry/otlp-transformer ships) and checks MXCP's span names, the
// parent/child links, attributes, the client's W3C traceparent continued, the
// trace id in the audit record, a Python endpoint's span, the metric points
// (the same values /metrics shows), the exporter's own thread (none without
// telemetry), a collector that is down and then comes back, the flush at
// SIGTERM, and a full queue dropping (counted).
// Fixture: tests/projects/audit (audit on, fsync: always; tools with policies).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { HttpServer, copyProject, freePort, post, sleep } from './lib.mjs';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const otlp = root.opentelemetry.proto.collector;
const TraceRequest = otlp.trace.v1.ExportTraceServiceRequest;
const MetricsRequest = otlp.metrics.v1.ExportMetricsServiceRequest;

const FIXTURE = 'tests/projects/audit';
const TRANSFER_SQL = 'SELECT $amount AS amount, $to AS to';

// ------------------------------------------------------------- the receiver

// A collector on loopback: keeps every decoded request (and its headers).
// status() decides the answer (200 unless a test says otherwise).
async function startCollector(port = 0) {
	const c = { traces: [], metrics: [], headers: [], status: () => 200 };
	c.server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (d) => chunks.push(d));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			c.headers.push(req.headers);
			assert.equal(req.method, 'POST');
			assert.equal(req.headers['content-type'], 'application/x-protobuf');
			if (req.url === '/v1/traces') c.traces.push(TraceRequest.decode(body));
			else if (req.url === '/v1/metrics') c.metrics.push(MetricsRequest.decode(body));
			else c.unknown = req.url;
			res.writeHead(c.status(req.url), { 'content-type': 'application/x-protobuf' });
			res.end();
		});
	});
	await new Promise((resolve) => c.server.listen(port, '127.0.0.1', resolve));
	c.port = c.server.address().port;
	c.url = `http://127.0.0.1:${c.port}`;
	c.close = () => new Promise((resolve) => c.server.close(resolve));
	return c;
}

const hex = (b) => Buffer.from(b).toString('hex');

function attrValue(v) {
	if (v.stringValue !== undefined && v.stringValue !== null && v.stringValue !== '') return v.stringValue;
	if (v.intValue !== undefined && v.intValue !== null) return Number(v.intValue);
	if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
	return v.stringValue ?? null;
}

function attrs(list) {
	return Object.fromEntries((list || []).map((kv) => [kv.key, attrValue(kv.value)]));
}

// Every span the collector received, flattened, with its resource.
function spans(c) {
	const out = [];
	for (const req of c.traces)
		for (const rs of req.resourceSpans)
			for (const ss of rs.scopeSpans)
				for (const s of ss.spans)
					out.push({
						name: s.name,
						traceId: hex(s.traceId),
						spanId: hex(s.spanId),
						parentId: s.parentSpanId && s.parentSpanId.length ? hex(s.parentSpanId) : '',
						kind: s.kind,
						start: BigInt(s.startTimeUnixNano.toString()),
						end: BigInt(s.endTimeUnixNano.toString()),
						attrs: attrs(s.attributes),
						status: s.status ? { code: s.status.code, message: s.status.message } : { code: 0 },
						resource: attrs(rs.resource.attributes),
						scope: ss.scope.name,
					});
	return out;
}

// The last metrics export: name → [{labels, value}].
function lastMetrics(c) {
	const req = c.metrics.at(-1);
	const out = {};
	for (const rm of req.resourceMetrics)
		for (const sm of rm.scopeMetrics)
			for (const m of sm.metrics) {
				const data = m.sum || m.gauge;
				out[m.name] = {
					kind: m.sum ? 'sum' : 'gauge',
					monotonic: m.sum ? m.sum.isMonotonic : false,
					points: data.dataPoints.map((p) => ({ labels: attrs(p.attributes), value: Number(p.asInt) })),
					resource: attrs(rm.resource.attributes),
				};
			}
	return out;
}

async function until(what, fn, ms = 10000) {
	const end = Date.now() + ms;
	for (;;) {
		const v = fn();
		if (v) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await sleep(50);
	}
}

// ------------------------------------------------------------- the server

function telemetryConfig(dir, endpoint, extra = '', project = 'audit') {
	const file = path.join(dir, 'telemetry-config.yml');
	fs.writeFileSync(
		file,
		`mxcp: 1
projects:
  ${project}:
    profiles:
      default:
        telemetry:
          enabled: true
          endpoint: ${endpoint}
          headers:
            x-tenant: t1
          resource_attributes:
            team: data
          tracing:
            enabled: true
          metrics:
            enabled: true
            export_interval: 1
${extra}`,
	);
	return { MXCP_CONFIG: file };
}

async function openSession(srv) {
	const r = await post(srv, {
		jsonrpc: '2.0',
		id: 0,
		method: 'initialize',
		params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'otel-test', version: '1' } },
	});
	assert.equal(r.status, 200);
	await r.text();
	const sid = r.headers.get('mcp-session-id');
	const n = await post(srv, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sid });
	assert.equal(n.status, 202);
	return sid;
}

let nextId = 1;
async function callTool(srv, sid, name, args, headers = {}) {
	const r = await post(srv, { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: args } }, { 'mcp-session-id': sid, ...headers });
	assert.equal(r.status, 200);
	return r.text();
}

async function scrape(srv) {
	const text = await (await fetch(`${srv.base}/metrics`)).text();
	const m = new Map();
	for (const line of text.split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const i = line.lastIndexOf(' ');
		m.set(line.slice(0, i), Number(line.slice(i + 1)));
	}
	return m;
}

const threads = (pid) => fs.readdirSync(`/proc/${pid}/task`).length;

const newTraceparent = () => {
	const trace = crypto.randomBytes(16).toString('hex');
	const span = crypto.randomBytes(8).toString('hex');
	return { trace, span, header: `00-${trace}-${span}-01` };
};

// ------------------------------------------------------------------ tests

test('spans, links, attributes, the client trace continued, audit trace_id, metrics = /metrics', async () => {
	const c = await startCollector();
	const dir = copyProject(FIXTURE);
	const srv = await HttpServer.start(dir, [], telemetryConfig(dir, c.url));
	try {
		const sid = await openSession(srv);
		const tp = newTraceparent();
		await callTool(srv, sid, 'transfer', { amount: 10, to: 'bob' }, { traceparent: tp.header });
		const denied = newTraceparent();
		await callTool(srv, sid, 'transfer', { amount: 5000, to: 'bob' }, { traceparent: denied.header });
		await callTool(srv, sid, 'explode', { what: 'now' });

		const mine = await until('the spans of the first call', () => {
			const s = spans(c).filter((x) => x.traceId === tp.trace);
			return s.length >= 7 ? s : null;
		});
		const byName = Object.fromEntries(mine.map((s) => [s.name, s]));
		assert.deepEqual(
			mine.map((s) => s.name).sort(),
			[
				'mxcp.duckdb.execute',
				'mxcp.endpoint.execute',
				'mxcp.execution_engine.execute',
				'mxcp.policy.enforce_input',
				'mxcp.policy.enforce_output',
				'mxcp.validation.input',
				'mxcp.validation.output',
			],
		);
		const rootSpan = byName['mxcp.endpoint.execute'];
		// the client's trace is continued: same trace id, its span is our parent
		assert.equal(rootSpan.parentId, tp.span);
		assert.equal(rootSpan.kind, 2); // SERVER
		assert.equal(rootSpan.status.code, 1);
		assert.deepEqual(
			{ ...rootSpan.attrs },
			{
				'mxcp.endpoint.name': 'transfer',
				'mxcp.endpoint.type': 'tool',
				'mxcp.auth.authenticated': false,
				'mxcp.session.id': sid,
				'mxcp.policy.decision': 'allow',
			},
		);
		for (const n of ['mxcp.validation.input', 'mxcp.policy.enforce_input', 'mxcp.execution_engine.execute', 'mxcp.policy.enforce_output'])
			assert.equal(byName[n].parentId, rootSpan.spanId, `${n} is a child of the endpoint span`);
		const engine = byName['mxcp.execution_engine.execute'];
		assert.equal(byName['mxcp.duckdb.execute'].parentId, engine.spanId);
		assert.equal(byName['mxcp.validation.output'].parentId, engine.spanId);
		assert.equal(engine.attrs['mxcp.execution.language'], 'sql');
		const db = byName['mxcp.duckdb.execute'];
		assert.equal(db.attrs['db.system'], 'duckdb');
		assert.equal(db.attrs['db.statement.hash'], crypto.createHash('sha256').update(TRANSFER_SQL).digest('hex').slice(0, 16));
		assert.equal(db.attrs['db.operation'], 'select');
		assert.equal(db.attrs['db.rows_affected'], 1);
		assert.equal(byName['mxcp.policy.enforce_input'].attrs['mxcp.policy.decision'], 'allow');
		assert.equal(byName['mxcp.policy.enforce_input'].attrs['mxcp.policy.count'], 1);
		// children nest in time inside the root
		for (const s of mine) assert.ok(s.start >= rootSpan.start && s.end <= rootSpan.end, `${s.name} inside the root`);
		// the resource: MXCP's attributes, then the profile's
		assert.equal(rootSpan.resource['service.name'], 'mxcp');
		assert.equal(rootSpan.resource['deployment.environment'], 'default');
		assert.equal(rootSpan.resource['mxcp.project'], 'audit');
		assert.equal(rootSpan.resource['mxcp.profile'], 'default');
		assert.equal(rootSpan.resource.team, 'data');
		assert.equal(rootSpan.scope, 'mxcp');
		assert.ok(c.headers.every((h) => h['x-tenant'] === 't1'), 'the profile headers go with every export');

		// the denied call: an error status, the decision, no execution
		const d = await until('the denied call', () => {
			const s = spans(c).filter((x) => x.traceId === denied.trace);
			return s.length >= 3 ? s : null;
		});
		const droot = d.find((s) => s.name === 'mxcp.endpoint.execute');
		assert.equal(droot.status.code, 2);
		assert.match(droot.status.message, /Amount over the limit/);
		assert.equal(droot.attrs['mxcp.policy.decision'], 'deny');
		assert.ok(!d.some((s) => s.name === 'mxcp.duckdb.execute'));

		// the failing call: its own new trace, the DuckDB span failed
		const boom = await until('the failing call', () => spans(c).find((s) => s.name === 'mxcp.duckdb.execute' && s.status.code === 2));
		assert.match(boom.status.message, /boom now/);

		// metrics: MXCP's names, and the very values /metrics shows
		await sleep(1500); // one more export after the last call
		const before = c.metrics.length;
		await until('a metrics export', () => c.metrics.length > before);
		const om = lastMetrics(c);
		const prom = await scrape(srv);
		const req = om['mxcp.endpoint.requests_total'];
		assert.equal(req.kind, 'sum');
		assert.equal(req.monotonic, true);
		const ok = req.points.find((p) => p.labels.endpoint === 'transfer' && p.labels.status === 'success');
		assert.deepEqual(ok.labels, { endpoint: 'transfer', type: 'tool', status: 'success', caller: 'http', policy_decision: 'allow' });
		assert.equal(ok.value, 1);
		for (const p of req.points) {
			const l = p.labels;
			const key = `mxcp_endpoint_requests_total{endpoint="${l.endpoint}",type="${l.type}",status="${l.status}",caller="${l.caller}",policy_decision="${l.policy_decision}"}`;
			assert.equal(prom.get(key), p.value, key);
		}
		const errs = om['mxcp.endpoint.errors_total'].points;
		assert.ok(errs.some((p) => p.labels.endpoint === 'explode' && p.labels.error_type === 'execution' && p.value === 1));
		const q = om['mxcp.duckdb.queries_total'].points;
		assert.equal(q.find((p) => p.labels.operation === 'select' && p.labels.status === 'success').value, prom.get('mxcp_duckdb_queries_total{operation="select",status="success"}'));
		assert.equal(om['mxcp.policy.denials_total'].points.find((p) => p.labels.endpoint === 'transfer').value, 1);
		assert.equal(om['mxcp.up'].points[0].value, 1);
		assert.equal(om['mxcp.endpoint.concurrent_executions'].kind, 'gauge');
		assert.equal(om['mxcp.endpoint.concurrent_executions'].points[0].value, 0);
		assert.equal(prom.get('mxcp_telemetry_spans_dropped_total'), 0);
		assert.ok(prom.get('mxcp_telemetry_spans_exported_total') >= 14, 'the 7 + 3 + 4 spans of the three calls');

		// the exporter is one thread more than a server without telemetry
		const withTelemetry = threads(srv.child.pid);
		const plainDir = copyProject(FIXTURE);
		const plain = await HttpServer.start(plainDir);
		try {
			assert.equal(withTelemetry - threads(plain.child.pid), 1, 'one exporter thread, only with telemetry');
			const pm = await scrape(plain);
			assert.equal(pm.get('mxcp_telemetry_spans_dropped_total'), undefined, 'no exporter, no exporter metrics');
		} finally {
			await plain.stop();
		}
	} finally {
		assert.equal((await srv.stop()).code, 0);
		await c.close();
	}
	// the audit record carries the trace id (MXCP's trace_id)
	const recs = fs.readFileSync(path.join(dir, 'audit', 'calls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
	const first = recs.find((r) => r.name === 'transfer' && r.status === 'success');
	assert.ok(first, 'the first call is recorded');
	assert.equal(first.trace_id, spans(c).find((s) => s.name === 'mxcp.endpoint.execute' && s.attrs['mxcp.policy.decision'] === 'allow').traceId);
	assert.ok(recs.every((r) => /^[0-9a-f]{32}$/.test(r.trace_id)), 'every traced call has its trace id');
});

test('a Python endpoint: mxcp.python.execute under the engine span, counted', async () => {
	const c = await startCollector();
	const dir = copyProject('tests/projects/python');
	const srv = await HttpServer.start(dir, [], telemetryConfig(dir, c.url, '', 'pyfix'));
	try {
		const sid = await openSession(srv);
		const tp = newTraceparent();
		const out = await callTool(srv, sid, 'add_one', { n: 41 }, { traceparent: tp.header });
		assert.match(out, /42/);
		const mine = await until('the Python spans', () => {
			const s = spans(c).filter((x) => x.traceId === tp.trace);
			return s.some((x) => x.name === 'mxcp.endpoint.execute') && s.some((x) => x.name === 'mxcp.python.execute') ? s : null;
		});
		const engine = mine.find((s) => s.name === 'mxcp.execution_engine.execute');
		const py = mine.find((s) => s.name === 'mxcp.python.execute');
		assert.equal(engine.attrs['mxcp.execution.language'], 'python');
		assert.equal(py.parentId, engine.spanId);
		assert.equal(py.attrs['mxcp.python.name'], 'add_one');
		assert.equal(py.attrs['mxcp.python.params.count'], 1);
		assert.equal(py.status.code, 1);
		assert.ok(!mine.some((s) => s.name === 'mxcp.duckdb.execute'));
		const m = await scrape(srv);
		assert.equal(m.get('mxcp_python_executions_total{name="add_one",status="success"}'), 1);
	} finally {
		await srv.stop();
		await c.close();
	}
});

test('the response cache: one trace per call, a miss traced once by its worker, a hit without DuckDB', async () => {
	const c = await startCollector();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mxcp-otel-cache-'));
	fs.mkdirSync(path.join(dir, 'tools'));
	fs.writeFileSync(path.join(dir, 'mxcp-site.yml'), 'mxcp: 1\nproject: cached\nprofile: default\n');
	fs.writeFileSync(
		path.join(dir, 'tools', 'greet.yml'),
		`mxcp: 1
tool:
  name: greet
  description: greet
  annotations:
    readOnlyHint: true
  parameters:
    - name: name
      type: string
      description: Who
  return:
    type: string
  source:
    code: SELECT 'Hello, ' || $name || '!'
`,
	);
	const extra = '        cache:\n          enabled: true\n          backend: memory\n          default_ttl: 60\n';
	const srv = await HttpServer.start(dir, [], telemetryConfig(dir, c.url, extra, 'cached'));
	try {
		const sid = await openSession(srv);
		const miss = newTraceparent();
		assert.match(await callTool(srv, sid, 'greet', { name: 'a' }, { traceparent: miss.header }), /Hello, a!/);
		const hit = newTraceparent();
		assert.match(await callTool(srv, sid, 'greet', { name: 'a' }, { traceparent: hit.header }), /Hello, a!/);
		const of = (tp) => spans(c).filter((x) => x.traceId === tp.trace);
		await until('both traces', () => of(miss).some((x) => x.name === 'mxcp.endpoint.execute') && of(hit).length > 0);
		await sleep(1500); // a second root span of the miss would be exported by now
		const m = of(miss);
		const roots = m.filter((x) => x.name === 'mxcp.endpoint.execute');
		assert.equal(roots.length, 1, `one root span for the miss: ${JSON.stringify(m.map((x) => x.name))}`);
		assert.equal(roots[0].parentId, miss.span);
		assert.equal(roots[0].attrs['mxcp.cache.result'], 'miss');
		assert.equal(m.filter((x) => x.name === 'mxcp.validation.input').length, 1);
		assert.equal(m.filter((x) => x.name === 'mxcp.duckdb.execute').length, 1);
		for (const s of m) if (s !== roots[0]) assert.notEqual(s.parentId, '', `${s.name} has a parent`);
		const h = of(hit);
		assert.deepEqual(
			h.map((x) => x.name),
			['mxcp.endpoint.execute'],
		);
		assert.equal(h[0].attrs['mxcp.cache.result'], 'hit');
		assert.equal(h[0].parentId, hit.span);
		assert.equal(h[0].status.code, 1);
		assert.ok(h[0].end >= h[0].start);
	} finally {
		await srv.stop();
		await c.close();
		fs.rmSync(dir, { recursive: true, force: true });
	}
});

test('a collector that is down, then back; SIGTERM flushes the queue', async () => {
	const port = await freePort(); // nothing listens yet
	const dir = copyProject(FIXTURE);
	const srv = await HttpServer.start(dir, [], telemetryConfig(dir, `http://127.0.0.1:${port}/`));
	let c;
	try {
		const sid = await openSession(srv);
		const tp = newTraceparent();
		const t0 = Date.now();
		for (let i = 0; i < 5; i++) await callTool(srv, sid, 'transfer', { amount: i, to: 'bob' }, { traceparent: tp.header });
		assert.ok(Date.now() - t0 < 5000, 'calls are not slowed by a collector that is down');
		await until('an export failure', () => /cannot export/.test(srv.stderr));
		await sleep(2500); // several retries
		assert.equal(srv.stderr.match(/cannot export spans/g).length, 1, 'logged at most once a minute');
		const m = await scrape(srv);
		assert.ok(m.get('mxcp_telemetry_export_failures_total') >= 2, 'retried');
		assert.equal(m.get('mxcp_telemetry_exporter_failing'), 1);

		c = await startCollector(port); // the collector comes back
		const got = await until(
			'the spans made while the collector was down',
			() => {
				const s = spans(c).filter((x) => x.traceId === tp.trace && x.name === 'mxcp.endpoint.execute');
				return s.length === 5 ? s : null;
			},
			40000,
		);
		assert.ok(got.every((s) => s.parentId === tp.span));
		await until('the recovery', () => /takes exports again/.test(srv.stderr));

		// SIGTERM: what is queued goes out before the process ends
		const last = newTraceparent();
		await callTool(srv, sid, 'transfer', { amount: 1, to: 'eve' }, { traceparent: last.header });
		assert.equal((await srv.stop()).code, 0);
		assert.ok(spans(c).some((s) => s.traceId === last.trace && s.name === 'mxcp.endpoint.execute'), 'flushed at SIGTERM');
	} finally {
		if (srv.child.exitCode === null) await srv.stop();
		if (c) await c.close();
	}
});

test('a full queue drops spans and counts them; the calls still succeed', async () => {
	const c = await startCollector();
	c.status = () => 503; // refuses everything: the queue fills
	const dir = copyProject(FIXTURE);
	const srv = await HttpServer.start(dir, [], telemetryConfig(dir, c.url));
	try {
		const sid = await openSession(srv);
		// 7 spans per call: 1400 calls overflow the 8192-span queue (the
		// batch held for its retry is part of it)
		const bodies = [];
		for (let wave = 0; wave < 14; wave++) {
			const calls = [];
			for (let i = 0; i < 100; i++) calls.push(callTool(srv, sid, 'transfer', { amount: 1, to: 'bob' }));
			bodies.push(...(await Promise.all(calls)));
		}
		assert.ok(bodies.every((b) => b.includes('bob') && !b.includes('isError":true')), 'every call answered');
		const m = await scrape(srv);
		assert.ok(m.get('mxcp_telemetry_spans_dropped_total') > 0, 'dropped spans are counted');
		assert.ok(m.get('mxcp_telemetry_spans_queued') <= 8192);
	} finally {
		await srv.stop();
		await c.close();
	}
});
