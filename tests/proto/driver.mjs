// SPDX-License-Identifier: Apache-2.0
//
// driver.mjs — runs the MCP wire-level transcript cases in tests/proto/cases/
// against the real binary ($MXCP serve --transport stdio). Plain node (>= 18),
// no npm dependencies.
//
// For each case: copy the fixture project to a fresh temp dir, start the
// server there (HOME pointed at an empty dir, MXCP_* unset), then walk the
// transcript: every run of `>` lines is written to stdin, every following run
// of `<` lines is read back from stdout (one JSON message per line, with a
// timeout) and compared after parsing, so key order and whitespace do not
// matter. After the last step stdin is closed; any further output is a
// failure ("unexpected output") and the exit code is checked.
// The file format and the placeholders are documented in tests/proto/README.md.
//
// Usage: node driver.mjs [-v] [case files or name substrings...]

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = process.env.MXCP_SOURCE_DIR || path.resolve(HERE, '..', '..');
const CASES = path.join(HERE, 'cases');
const PROJECTS = path.join(SRC, 'tests', 'projects');
const MXCP = process.env.MXCP;

// ---------------------------------------------------------------- parsing

// Expand the send-line macros: {{N*TEXT}} repeats TEXT N times (TEXT may not
// contain "}}"), {{0xHHHH…}} inserts raw bytes. Returns a Buffer.
function expandSend(text) {
	const parts = [];
	const re = /\{\{(?:(\d+)\*(.+?)|0x((?:[0-9A-Fa-f]{2})+))\}\}/g;
	let last = 0, m;
	while ((m = re.exec(text)) !== null) {
		parts.push(Buffer.from(text.slice(last, m.index), 'utf8'));
		if (m[1] !== undefined)
			parts.push(Buffer.from(m[2].repeat(Number(m[1])), 'utf8'));
		else
			parts.push(Buffer.from(m[3], 'hex'));
		last = re.lastIndex;
	}
	parts.push(Buffer.from(text.slice(last), 'utf8'));
	return Buffer.concat(parts);
}

function parseCase(file) {
	const c = { file, name: path.basename(file, '.txt'), header: {}, notes: [], steps: [] };
	const lines = fs.readFileSync(file, 'utf8').split('\n');
	let cur = null; // current step {send: [], expect: [], unordered: bool}
	lines.forEach((line, i) => {
		const where = `${path.basename(file)}:${i + 1}`;
		if (line.trim() === '' || line.startsWith('#'))
			return;
		if (line.startsWith('!')) {
			const m = /^!\s*sleep\s+(\d+)\s*$/.exec(line);
			if (m === null)
				throw new Error(`${where}: unknown directive: ${line}`);
			cur = { send: [], expect: [], unordered: false, sleep: Number(m[1]), line: i + 1 };
			c.steps.push(cur);
			return;
		}
		if (line.startsWith('>')) {
			const raw = line.startsWith('> ') ? line.slice(2) : line.slice(1);
			if (cur === null || cur.expect.length > 0) {
				cur = { send: [], expect: [], unordered: false, line: i + 1 };
				c.steps.push(cur);
			}
			cur.send.push(expandSend(raw));
			return;
		}
		if (line.startsWith('<')) {
			const unordered = line.startsWith('<~');
			const body = line.slice(unordered ? 2 : 1).trim();
			if (cur === null)
				throw new Error(`${where}: '<' before any '>'`);
			if (cur.expect.length > 0 && cur.unordered !== unordered)
				throw new Error(`${where}: a block mixes '<' and '<~'`);
			cur.unordered = unordered;
			let v;
			try {
				v = JSON.parse(body);
			} catch (e) {
				throw new Error(`${where}: expected line is not JSON: ${e.message}`);
			}
			cur.expect.push({ value: v, text: body, line: i + 1 });
			return;
		}
		const m = /^([A-Za-z_-]+):\s?(.*)$/.exec(line);
		if (m === null || c.steps.length > 0)
			throw new Error(`${where}: cannot parse line: ${line}`);
		if (m[1] === 'note')
			c.notes.push(m[2]);
		else
			c.header[m[1]] = m[2];
	});
	for (const k of ['description', 'project'])
		if (!(k in c.header))
			throw new Error(`${path.basename(file)}: header '${k}:' missing`);
	return c;
}

// ---------------------------------------------------------------- matching

const TYPES = {
	$ANY: () => true,
	'$ANY?': () => true,
	$STRING: (v) => typeof v === 'string',
	$NONEMPTY: (v) => typeof v === 'string' && v.length > 0,
	$INT: (v) => Number.isInteger(v),
	$NUMBER: (v) => typeof v === 'number',
	$BOOL: (v) => typeof v === 'boolean',
	$OBJECT: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
	$ARRAY: (v) => Array.isArray(v),
};

const show = (v) => (v === undefined ? '(absent)' : clipText(JSON.stringify(v), 300));
const clipText = (s, n) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

function isPlain(v) {
	return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// Compare expected (with placeholders) against got; push "path: …" lines
// onto diffs. Returns true when they match.
function match(exp, got, p, diffs) {
	if (typeof exp === 'string' && exp in TYPES) {
		if (got !== undefined && TYPES[exp](got))
			return true;
		diffs.push(`${p}: expected ${exp}, got ${show(got)}`);
		return false;
	}
	if (isPlain(exp)) {
		const keys = Object.keys(exp);
		if (keys.length === 1 && keys[0].startsWith('$') && keys[0] !== '$schema')
			return matchOp(keys[0], exp[keys[0]], got, p, diffs);
		if (!isPlain(got)) {
			diffs.push(`${p}: expected an object, got ${show(got)}`);
			return false;
		}
		let ok = true;
		for (const k of keys) {
			if (!(k in got)) {
				if (exp[k] === '$ANY?' || (isPlain(exp[k]) && '$optional' in exp[k]))
					continue;
				diffs.push(`${p}.${k}: missing (expected ${show(exp[k])})`);
				ok = false;
				continue;
			}
			ok = match(exp[k], got[k], `${p}.${k}`, diffs) && ok;
		}
		for (const k of Object.keys(got))
			if (!(k in exp)) {
				diffs.push(`${p}.${k}: unexpected key, got ${show(got[k])}`);
				ok = false;
			}
		return ok;
	}
	if (Array.isArray(exp)) {
		if (!Array.isArray(got)) {
			diffs.push(`${p}: expected an array, got ${show(got)}`);
			return false;
		}
		if (exp.length !== got.length) {
			diffs.push(`${p}: expected ${exp.length} items, got ${got.length}: ${show(got)}`);
			return false;
		}
		let ok = true;
		exp.forEach((e, i) => {
			ok = match(e, got[i], `${p}[${i}]`, diffs) && ok;
		});
		return ok;
	}
	if (exp === got)
		return true;
	diffs.push(`${p}: expected ${show(exp)}, got ${show(got)}`);
	return false;
}

function matchOp(op, arg, got, p, diffs) {
	switch (op) {
	case '$contains': {
		const subs = Array.isArray(arg) ? arg : [arg];
		if (typeof got === 'string' && subs.every((s) => got.includes(s)))
			return true;
		diffs.push(`${p}: expected a string containing ${show(subs)}, got ${show(got)}`);
		return false;
	}
	case '$regex':
		if (typeof got === 'string' && new RegExp(arg).test(got))
			return true;
		diffs.push(`${p}: expected a string matching /${arg}/, got ${show(got)}`);
		return false;
	case '$json': {
		let v;
		try {
			v = typeof got === 'string' ? JSON.parse(got) : undefined;
		} catch {
			v = undefined;
		}
		if (v === undefined) {
			diffs.push(`${p}: expected a string holding JSON ${show(arg)}, got ${show(got)}`);
			return false;
		}
		return match(arg, v, `${p}<json>`, diffs);
	}
	case '$optional':
		return match(arg, got, p, diffs);
	case '$oneOf':
		for (const alt of arg)
			if (match(alt, got, p, []))
				return true;
		diffs.push(`${p}: expected one of ${show(arg)}, got ${show(got)}`);
		return false;
	case '$unordered': {
		if (!Array.isArray(got) || got.length !== arg.length) {
			diffs.push(`${p}: expected ${arg.length} items in any order, got ${show(got)}`);
			return false;
		}
		if (assign(arg, got))
			return true;
		diffs.push(`${p}: expected items ${show(arg)} (any order), got ${show(got)}`);
		return false;
	}
	default:
		diffs.push(`${p}: unknown placeholder ${op} in the case file`);
		return false;
	}
}

// Is there a one-to-one assignment of got items to expected items?
function assign(exp, got) {
	const used = new Array(got.length).fill(false);
	const go = (i) => {
		if (i === exp.length)
			return true;
		for (let j = 0; j < got.length; j++)
			if (!used[j] && match(exp[i], got[j], '', [])) {
				used[j] = true;
				if (go(i + 1))
					return true;
				used[j] = false;
			}
		return false;
	};
	return go(0);
}

// ---------------------------------------------------------------- server

class Server {
	constructor(cwd, args, env) {
		this.lines = [];
		this.waiters = [];
		this.stderr = '';
		this.exit = null;
		this.writeError = null;
		let pending = Buffer.alloc(0);
		this.child = spawn(MXCP, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
		this.child.stdout.on('data', (d) => {
			pending = Buffer.concat([pending, d]);
			let nl;
			while ((nl = pending.indexOf(10)) >= 0) {
				this.lines.push(pending.subarray(0, nl).toString('utf8'));
				pending = pending.subarray(nl + 1);
			}
			this.wake();
		});
		this.child.stdout.on('end', () => {
			if (pending.length > 0)
				this.lines.push(pending.toString('utf8') + '  <-- no newline at end');
			pending = Buffer.alloc(0);
		});
		this.child.stderr.on('data', (d) => {
			if (this.stderr.length < 1 << 16)
				this.stderr += d.toString('utf8');
		});
		this.child.stdin.on('error', (e) => {
			this.writeError = e.code || e.message;
		});
		this.exited = new Promise((resolve) => {
			this.child.on('close', (code, signal) => {
				this.exit = signal ? `signal ${signal}` : code;
				this.wake();
				resolve(this.exit);
			});
			this.child.on('error', (e) => {
				this.exit = `spawn error: ${e.message}`;
				this.wake();
				resolve(this.exit);
			});
		});
	}
	wake() {
		const w = this.waiters;
		this.waiters = [];
		w.forEach((f) => f());
	}
	write(buf) {
		return new Promise((resolve) => {
			if (this.exit !== null || this.writeError)
				return resolve();
			this.child.stdin.write(Buffer.concat([buf, Buffer.from('\n')]), () => resolve());
		});
	}
	// Next stdout line, or null after timeoutMs (or when the server is gone).
	async next(timeoutMs) {
		const deadline = Date.now() + timeoutMs;
		while (this.lines.length === 0) {
			if (this.exit !== null)
				return null;
			const left = deadline - Date.now();
			if (left <= 0)
				return null;
			await new Promise((resolve) => {
				const t = setTimeout(resolve, left);
				this.waiters.push(() => {
					clearTimeout(t);
					resolve();
				});
			});
		}
		return this.lines.shift();
	}
	async close(timeoutMs) {
		this.child.stdin.end();
		const t = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
		const code = await this.exited;
		clearTimeout(t);
		return code;
	}
}

// ---------------------------------------------------------------- running

function scrubbedEnv(home) {
	const env = {};
	for (const [k, v] of Object.entries(process.env))
		if (!k.startsWith('MXCP_') || k === 'MXCP_SOURCE_DIR')
			env[k] = v;
	env.HOME = home;
	delete env.MXCP;
	return env;
}

const clip = (s, n = 600) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

async function runCase(c, verbose) {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mxcp-proto-'));
	const proj = path.join(tmp, 'project');
	const log = [];
	const fail = [];
	let srv = null;
	try {
		const from = path.join(PROJECTS, c.header.project);
		if (!fs.existsSync(path.join(from, 'mxcp-site.yml')))
			throw new Error(`fixture project ${c.header.project} not found in ${PROJECTS}`);
		fs.cpSync(from, proj, { recursive: true });
		fs.mkdirSync(path.join(tmp, 'home'));
		const args = (c.header.args || 'serve --transport stdio').split(/\s+/).filter(Boolean);
		const timeoutMs = Number(c.header.timeout || process.env.MXCP_PROTO_TIMEOUT || 10) * 1000;
		srv = new Server(proj, args, scrubbedEnv(path.join(tmp, 'home')));
		for (const step of c.steps) {
			if (step.sleep) {
				log.push(`! sleep ${step.sleep}`);
				await new Promise((resolve) => setTimeout(resolve, step.sleep));
			}
			for (const b of step.send) {
				log.push(`> ${clip(b.toString('utf8'), 200)}`);
				await srv.write(b);
			}
			const got = [];
			for (let i = 0; i < step.expect.length; i++) {
				const line = await srv.next(timeoutMs);
				if (line === null) {
					const why = srv.exit !== null ? `server exited (${srv.exit})` : `no response within ${timeoutMs / 1000}s`;
					fail.push(`line ${step.expect[i].line}: ${why}\n  expected: ${step.expect[i].text}`);
					break;
				}
				log.push(`< ${clip(line, 300)}`);
				got.push(line);
			}
			if (fail.length > 0)
				break;
			compareStep(step, got, fail);
			if (fail.length > 0)
				break;
		}
		if (fail.length === 0) {
			const code = await srv.close(timeoutMs);
			const extra = srv.lines.splice(0);
			if (extra.length > 0)
				fail.push(`unexpected output:\n${extra.map((l) => `  got: ${clip(l)}`).join('\n')}`);
			const want = c.header.exit === undefined ? '0' : c.header.exit;
			if (want !== 'any' && String(code) !== want)
				fail.push(`exit status: expected ${want}, got ${code}`);
		}
	} catch (e) {
		fail.push(`driver error: ${e.stack || e}`);
	} finally {
		if (srv !== null && srv.exit === null) {
			srv.child.kill('SIGKILL');
			await srv.exited;
		}
		fs.rmSync(tmp, { recursive: true, force: true });
	}
	if (fail.length > 0 || verbose) {
		const out = [];
		if (fail.length > 0)
			out.push(...fail.map((f) => `  ${f.replace(/\n/g, '\n  ')}`));
		out.push('  --- transcript', ...log.map((l) => `  ${l}`));
		if (srv !== null && srv.stderr)
			out.push('  --- server stderr', ...clip(srv.stderr, 4000).split('\n').map((l) => `  ${l}`));
		return { ok: fail.length === 0, detail: out.join('\n') };
	}
	return { ok: true, detail: '' };
}

function compareStep(step, got, fail) {
	const parsed = got.map((g) => {
		try {
			return { ok: true, v: JSON.parse(g) };
		} catch (e) {
			return { ok: false, err: e.message };
		}
	});
	const describe = (e, g, diffs) =>
		`line ${e.line}: response differs\n  expected: ${e.text}\n  got:      ${clip(g)}\n` +
		diffs.map((d) => `    ${d}`).join('\n');
	if (!step.unordered) {
		step.expect.forEach((e, i) => {
			if (!parsed[i].ok) {
				fail.push(`line ${e.line}: response is not JSON (${parsed[i].err})\n  expected: ${e.text}\n  got:      ${clip(got[i])}`);
				return;
			}
			const diffs = [];
			if (!match(e.value, parsed[i].v, '$', diffs))
				fail.push(describe(e, got[i], diffs));
		});
		return;
	}
	const values = parsed.map((p) => (p.ok ? p.v : Symbol('not json')));
	if (assign(step.expect.map((e) => e.value), values))
		return;
	// No assignment: report each expected line against its closest response.
	const msgs = [`lines ${step.expect[0].line}-${step.expect[step.expect.length - 1].line}: responses (any order) differ`];
	for (const e of step.expect) {
		let best = null;
		got.forEach((g, i) => {
			const diffs = [];
			if (!parsed[i].ok)
				return;
			match(e.value, parsed[i].v, '$', diffs);
			if (best === null || diffs.length < best.diffs.length)
				best = { g, diffs };
		});
		msgs.push(`  expected: ${e.text}`);
		if (best !== null && best.diffs.length > 0)
			msgs.push(`  closest:  ${clip(best.g)}`, ...best.diffs.map((d) => `    ${d}`));
	}
	msgs.push(...got.map((g) => `  got: ${clip(g)}`));
	fail.push(msgs.join('\n'));
}

async function main() {
	const argv = process.argv.slice(2);
	const verbose = argv.includes('-v');
	const filters = argv.filter((a) => a !== '-v');
	if (!MXCP) {
		console.error('driver.mjs: set MXCP to the mxcp binary');
		process.exit(2);
	}
	let files = fs.readdirSync(CASES).filter((f) => f.endsWith('.txt')).sort().map((f) => path.join(CASES, f));
	if (filters.length > 0)
		files = files.filter((f) => filters.some((x) => f === path.resolve(x) || path.basename(f).includes(x)));
	if (files.length === 0) {
		console.error(`driver.mjs: no case to run (${CASES}${filters.length ? `, filter ${filters.join(' ')}` : ''})`);
		process.exit(1);
	}
	let pass = 0, failed = [];
	console.log(`1..${files.length}`);
	for (const [i, f] of files.entries()) {
		let c;
		try {
			c = parseCase(f);
		} catch (e) {
			console.log(`not ok ${i + 1} - ${path.basename(f)}\n  bad case file: ${e.message}`);
			failed.push(path.basename(f, '.txt'));
			continue;
		}
		const r = await runCase(c, verbose);
		console.log(`${r.ok ? 'ok' : 'not ok'} ${i + 1} - ${c.name}: ${c.header.description}`);
		if (r.detail)
			console.log(r.detail);
		if (r.ok)
			pass++;
		else
			failed.push(c.name);
	}
	console.log(`# ${pass} passed, ${failed.length} failed of ${files.length}`);
	if (failed.length > 0)
		console.log(`# failed: ${failed.join(' ')}`);
	process.exit(failed.length > 0 ? 1 : 0);
}

main();
