// SPDX-License-Identifier: Apache-2.0
//
// inspector.test.mjs — the README's MCP Inspector commands, run as written
// with the Inspector's CLI from npm (@modelcontextprotocol/inspector, pinned
// in package.json) against the bundled example, from another folder:
//   npx @modelcontextprotocol/inspector --cli --method tools/list -- mxcp serve --transport stdio --project-dir DIR
// `--` keeps the Inspector from taking the server's `--transport` for its own.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { MXCP, exampleProject, serverEnv } from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INSPECTOR = path.join(HERE, 'node_modules', '.bin', 'inspector');

function inspector(args) {
	const r = spawnSync(INSPECTOR, ['--cli', ...args], {
		cwd: os.tmpdir(),
		env: serverEnv(),
		encoding: 'utf8',
		timeout: 120000,
	});
	assert.equal(r.status, 0, `inspector ${args.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
	return JSON.parse(r.stdout);
}

test('the Inspector CLI lists and calls the example\'s tools (README commands)', { skip: !fs.existsSync(INSPECTOR) && 'the Inspector is not installed' }, () => {
	const dir = exampleProject();
	const server = ['--', MXCP, 'serve', '--transport', 'stdio', '--project-dir', dir];
	const list = inspector(['--method', 'tools/list', ...server]);
	const names = list.tools.map((t) => t.name);
	assert.ok(names.includes('search_products'), `tools/list: ${names}`);
	const call = inspector(['--method', 'tools/call', '--tool-name', 'search_products', '--tool-arg', 'query=o', ...server]);
	assert.equal(call.isError, false, JSON.stringify(call));
	assert.ok(call.content.length > 0);
});
