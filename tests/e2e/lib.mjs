// SPDX-License-Identifier: Apache-2.0
//
// lib.mjs — helpers for the end-to-end tests of `mxcp serve --transport stdio`:
// scratch copies of projects (HOME pointed at an empty folder so the
// developer's ~/.mxcp/config.yml is never read), an official-SDK client
// launched the way Claude Desktop launches a server, and a raw line-level
// peer for what the SDK cannot express (other protocol eras, framing, exit
// codes).

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

// Every server a test starts is killed when the test file's process ends,
// whatever the tests' outcome: a failed assertion must not leave a server
// running (or the runner waiting on its pipes).
const live = new Set();
function track(child) {
	live.add(child);
	child.on('exit', () => live.delete(child));
	return child;
}
process.on('exit', () => {
	for (const c of live) {
		try {
			c.kill('SIGKILL');
		} catch {}
	}
});

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SRC = process.env.MXCP_SOURCE_DIR || path.resolve(HERE, '..', '..');
export const MXCP = process.env.MXCP ? path.resolve(process.env.MXCP) : path.join(SRC, 'build', 'mxcp');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mxcp-e2e-'));
const home = path.join(scratch, 'home');
fs.mkdirSync(home);
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));

// The environment every server runs in: no MXCP_* from the caller, empty HOME.
export function serverEnv(extra = {}) {
	const env = {};
	for (const [k, v] of Object.entries(process.env))
		if (!k.startsWith('MXCP_') && k !== 'MXCP') env[k] = v;
	return { ...env, HOME: home, ...extra };
}

let copies = 0;
// A fresh copy of a project folder (relative to the source tree, or absolute).
export function copyProject(rel) {
	const dest = path.join(scratch, `p${copies++}-${path.basename(rel)}`);
	fs.cpSync(path.isAbsolute(rel) ? rel : path.join(SRC, rel), dest, { recursive: true });
	fs.rmSync(path.join(dest, 'data'), { recursive: true, force: true });
	return dest;
}

export function mxcp(cwd, args) {
	return execFileSync(MXCP, args, { cwd, env: serverEnv(), encoding: 'utf8' });
}

// A user config (MXCP_CONFIG) in dir giving the server one worker: a call
// then runs only once the one before it has left the worker. Returns the
// environment to pass to the server.
export function oneWorker(dir) {
	const file = path.join(dir, 'one-worker.yml');
	fs.writeFileSync(file, 'mxcp: 1\ntransport:\n  workers: 1\n');
	return { MXCP_CONFIG: file };
}

// The bundled example, seeded as scripts/serve-example.sh seeds it.
export function exampleProject() {
	const dir = copyProject('examples');
	mxcp(dir, ['query', '--file', 'seed/seed.sql']);
	return dir;
}

// A generated project (bench/gen_project.sh) with n tools over a seeded table.
export function generatedProject(n) {
	const dir = path.join(scratch, `gen${copies++}`);
	execFileSync('sh', [path.join(SRC, 'bench', 'gen_project.sh'), dir, String(n)]);
	mxcp(dir, ['query', "CREATE TABLE items AS SELECT range AS id, 'item' || range AS name, range % 100 AS score FROM range(1000)"]);
	return dir;
}

// Connect the official SDK client exactly as Claude Desktop's config does:
// {"command": "mxcp", "args": ["serve", "--transport", "stdio"], "cwd": <project>}.
export async function connect(cwd, args = ['serve', '--transport', 'stdio'], env = {}) {
	const transport = new StdioClientTransport({ command: MXCP, args, cwd, env: serverEnv(env), stderr: 'pipe' });
	let stderr = '';
	transport.stderr?.on('data', (d) => (stderr += d));
	const client = new Client({ name: 'mxcp-e2e', version: '1.0.0' }, { capabilities: {} });
	await client.connect(transport);
	client.stderr = () => stderr;
	return client;
}

// A raw peer: write JSON-RPC lines, read every stdout line (each must be JSON).
export class RawServer {
	constructor(cwd, args = ['serve', '--transport', 'stdio'], env = {}) {
		this.child = track(spawn(MXCP, args, { cwd, env: serverEnv(env), stdio: ['pipe', 'pipe', 'pipe'] }));
		this.lines = [];        // every stdout line, raw
		this.messages = [];     // parsed
		this.stderr = '';
		this.waiters = [];
		let buf = '';
		this.child.stdout.setEncoding('utf8');
		this.child.stdout.on('data', (d) => {
			buf += d;
			let i;
			while ((i = buf.indexOf('\n')) >= 0) {
				const line = buf.slice(0, i);
				buf = buf.slice(i + 1);
				this.lines.push(line);
				let msg;
				try {
					msg = JSON.parse(line);
				} catch {
					msg = { unparsable: line };
				}
				this.messages.push(msg);
				this.waiters = this.waiters.filter((w) => !w(msg));
			}
		});
		this.child.stdout.on('end', () => {
			if (buf.length) this.lines.push(buf), this.messages.push({ unterminated: buf });
		});
		this.child.stderr.on('data', (d) => (this.stderr += d));
		this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
		this.child.stdin.on('error', () => {});
	}

	send(msg) {
		this.child.stdin.write((typeof msg === 'string' ? msg : JSON.stringify(msg)) + '\n');
	}

	// The response with this id (waits up to ms).
	response(id, ms = 10000) {
		const found = this.messages.find((m) => m.id === id && ('result' in m || 'error' in m));
		if (found) return Promise.resolve(found);
		return new Promise((resolve, reject) => {
			const t = setTimeout(() => reject(new Error(`no response to id ${id} in ${ms} ms; stderr: ${this.stderr}`)), ms);
			this.waiters.push((m) => {
				if (m.id === id && ('result' in m || 'error' in m)) {
					clearTimeout(t);
					resolve(m);
					return true;
				}
				return false;
			});
		});
	}

	async request(id, method, params) {
		this.send({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
		return this.response(id);
	}

	async initialize(version = '2025-11-25') {
		const r = await this.request(0, 'initialize', {
			protocolVersion: version,
			capabilities: {},
			clientInfo: { name: 'raw-e2e', version: '1.0.0' },
		});
		this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
		return r;
	}

	end() {
		this.child.stdin.end();
		return this.exited;
	}

	// Wait for exit with a deadline; kills and fails past it.
	async exit(ms = 10000) {
		let timer;
		const deadline = new Promise((_, reject) => {
			timer = setTimeout(() => {
				this.child.kill('SIGKILL');
				reject(new Error(`server did not exit within ${ms} ms; stderr: ${this.stderr}`));
			}, ms);
		});
		try {
			return await Promise.race([this.exited, deadline]);
		} finally {
			clearTimeout(timer);
		}
	}
}

// Run mxcp to completion: {code, stdout, stderr}.
export function runMxcp(cwd, args, input = '') {
	return new Promise((resolve) => {
		const child = spawn(MXCP, args, { cwd, env: serverEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
		let stdout = '', stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.on('exit', (code) => resolve({ code, stdout, stderr }));
		child.stdin.on('error', () => {});
		child.stdin.end(input);
	});
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ HTTP

export const ACCEPT = 'application/json, text/event-stream';

import { freePort } from '../ports.mjs';
export { freePort };

// One `mxcp serve` over HTTP; stops with SIGTERM and reports the exit code.
export class HttpServer {
	static async start(cwd, args = [], env = {}) {
		const srv = new HttpServer();
		srv.port = await freePort();
		srv.base = `http://127.0.0.1:${srv.port}`;
		srv.stderr = '';
		srv.child = track(
			spawn(MXCP, ['serve', '--transport', 'streamable-http', '--port', String(srv.port), ...args], {
				cwd,
				env: serverEnv(env),
				stdio: ['ignore', 'pipe', 'pipe'],
			}),
		);
		srv.child.stdout.on('data', () => {});
		srv.child.stderr.on('data', (d) => (srv.stderr += d));
		srv.exited = new Promise((resolve) => srv.child.on('exit', (code, signal) => resolve({ code, signal })));
		for (let i = 0; i < 200; i++) {
			try {
				const r = await fetch(`${srv.base}/health`);
				if (r.ok) return srv;
			} catch {}
			await sleep(50);
		}
		srv.child.kill('SIGKILL');
		throw new Error(`server did not come up: ${srv.stderr}`);
	}

	url(p = '/mcp') {
		return new URL(p, this.base);
	}

	async stop() {
		this.child.kill('SIGTERM');
		const t = setTimeout(() => this.child.kill('SIGKILL'), 15000);
		const r = await this.exited;
		clearTimeout(t);
		return r;
	}
}

// One POST to /mcp (JSON body, both Accept types).
export function post(srv, body, headers = {}) {
	return fetch(srv.url(), {
		method: 'POST',
		headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});
}
