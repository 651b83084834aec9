// SPDX-License-Identifier: Apache-2.0
//
// lib.mjs — helpers for the operations tests: a seeded project on a DuckDB
// file, `mxcp serve --transport streamable-http` instances on free ports,
// JSON-RPC over plain fetch, Prometheus text parsing, and child processes
// (prometheus, nginx) that are always stopped when the test ends.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SRC = process.env.MXCP_SOURCE_DIR || path.resolve(HERE, '..', '..');
export const MXCP = process.env.MXCP ? path.resolve(process.env.MXCP) : path.join(SRC, 'build', 'mxcp');
export const NGINX = process.env.NGINX || '/usr/sbin/nginx';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mxcp-ops-'));
const home = path.join(scratch, 'home');
fs.mkdirSync(home);
const children = new Set();
process.on('exit', () => {
	for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
	fs.rmSync(scratch, { recursive: true, force: true });
});

export function serverEnv(extra = {}) {
	const env = {};
	for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MXCP_') && k !== 'MXCP') env[k] = v;
	return { ...env, HOME: home, ...extra };
}

import { freePort } from '../ports.mjs';
export { freePort };

let projects = 0;
// A project on a seeded DuckDB file: `plus_one` (SELECT $n + 1) and `item`
// (a row of the seeded table) and `slow`
// (a scan of n generated rows). audit: enable the audit trail.
export function makeProject({ audit = false } = {}) {
	const dir = path.join(scratch, `p${projects++}`);
	fs.mkdirSync(path.join(dir, 'tools'), { recursive: true });
	fs.writeFileSync(
		path.join(dir, 'mxcp-site.yml'),
		`mxcp: 1\nproject: ops\nprofile: default\nprofiles:\n  default:\n    duckdb:\n      path: data/ops.duckdb\n` +
			(audit ? `    audit:\n      enabled: true\n      path: audit/calls.jsonl\n` : ''),
	);
	fs.writeFileSync(
		path.join(dir, 'tools', 'plus_one.yml'),
		`mxcp: 1\ntool:\n  name: plus_one\n  description: Add one.\n  parameters:\n    - name: n\n      type: integer\n      description: A number\n  return:\n    type: integer\n  source:\n    code: SELECT $n + 1 AS n\n`,
	);
	fs.writeFileSync(
		path.join(dir, 'tools', 'item.yml'),
		`mxcp: 1\ntool:\n  name: item\n  description: One seeded row.\n  parameters:\n    - name: id\n      type: integer\n      description: Row id\n  return:\n    type: array\n  source:\n    code: SELECT id, name FROM items WHERE id = $id\n`,
	);
	fs.writeFileSync(
		path.join(dir, 'tools', 'slow.yml'),
		`mxcp: 1\ntool:\n  name: slow\n  description: A deliberately slow scan.\n  parameters:\n    - name: n\n      type: integer\n      description: Rows\n  return:\n    type: integer\n  source:\n    code: SELECT count(*) AS c FROM range($n) t(i) WHERE i % 7 = 2\n`,
	);
	execFileSync(MXCP, ['query', "CREATE TABLE items AS SELECT range AS id, 'item' || range AS name FROM range(100)"], {
		cwd: dir,
		env: serverEnv(),
		stdio: ['ignore', 'ignore', 'inherit'],
	});
	return dir;
}

// Spawn a child that is killed at exit at the latest; its output is kept.
export function start(cmd, args, opts = {}) {
	const child = spawn(cmd, args, { env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...opts });
	children.add(child);
	child.output = '';
	child.stdout.on('data', (d) => (child.output += d));
	child.stderr.on('data', (d) => (child.output += d));
	child.exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
	return child;
}

export async function stop(child, signal = 'SIGTERM') {
	if (child.exitCode !== null || child.signalCode !== null) return child.exited;
	child.kill(signal);
	const t = setTimeout(() => child.kill('SIGKILL'), 15000);
	const r = await child.exited;
	clearTimeout(t);
	children.delete(child);
	return r;
}

// Poll url until it answers (any status) or timeout.
export async function waitHttp(url, child, timeoutMs = 15000) {
	const until = Date.now() + timeoutMs;
	for (;;) {
		try {
			return await fetch(url);
		} catch (e) {
			if (child && child.exitCode !== null) throw new Error(`exited (${child.exitCode}):\n${child.output}`);
			if (Date.now() > until) throw new Error(`${url} did not answer: ${e.message}\n${child?.output ?? ''}`);
			await sleep(50);
		}
	}
}

// `mxcp serve --transport streamable-http` in dir on a free port.
// opts go to spawn (e.g. env).
export async function serveHttp(dir, extra = [], opts = {}) {
	const port = await freePort();
	const child = start(MXCP, ['serve', '--transport', 'streamable-http', '--port', String(port), ...extra], {
		cwd: dir,
		...opts,
	});
	child.port = port;
	child.url = `http://127.0.0.1:${port}`;
	await waitHttp(`${child.url}/health`, child);
	return child;
}

let ids = 0;
// One JSON-RPC request by plain fetch (stateless streamable HTTP).
export async function rpc(base, method, params, headers = {}) {
	const res = await fetch(`${base}/mcp`, {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			accept: 'application/json, text/event-stream',
			'mcp-protocol-version': '2025-06-18',
			...headers,
		},
		body: JSON.stringify({ jsonrpc: '2.0', id: ++ids, method, params }),
	});
	const text = await res.text();
	if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
		const data = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim());
		return { status: res.status, body: JSON.parse(data[data.length - 1]), sse: true };
	}
	return { status: res.status, body: text ? JSON.parse(text) : null, sse: false };
}

export const callTool = (base, name, args) => rpc(base, 'tools/call', { name, arguments: args });

// Prometheus text → Map of "name{labels}" → number (series lines only).
export function parseMetrics(text) {
	const m = new Map();
	for (const line of text.split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const i = line.lastIndexOf(' ');
		m.set(line.slice(0, i), Number(line.slice(i + 1)));
	}
	return m;
}

export async function scrape(base) {
	const res = await fetch(`${base}/metrics`);
	return { res, text: await res.text() };
}

// Run promtool check metrics on text; { code, out }.
export function promtoolCheck(text) {
	try {
		const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: 'pipe' });
		return { code: 0, out };
	} catch (e) {
		return { code: e.status, out: `${e.stdout}${e.stderr}` };
	}
}
