// SPDX-License-Identifier: Apache-2.0
//
// bench/peer/server.mjs — the peer server for bench/stdio.sh: the same
// generated project (bench/gen_project.sh) served over stdio by the official
// TypeScript SDK's McpServer with DuckDB through @duckdb/node-api, the way a
// hand-written Node MCP server would do it.
//
// Startup does the work mxcp's does, minus full YAML parsing: read every
// tools/*.yml (name and description lifted with a regular expression; the
// parameters are the generator's three, or `trivial`'s one), read its SQL, open the
// database, prepare every statement once (mxcp validates each against the
// database too), register each tool with input and output schemas, then
// connect the stdio transport. Calls bind the named parameters (defaults
// applied by zod) and return the rows as text and structuredContent
// {"result": rows}, as mxcp does.
//
// Packages resolve from tests/e2e/node_modules (installed by tests/e2e/run.sh).
// Usage: node bench/peer/server.mjs PROJECT_DIR

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const req = createRequire(path.join(HERE, '..', '..', 'tests', 'e2e', 'package.json'));
const load = (spec) => import(pathToFileURL(req.resolve(spec)).href);

const [{ McpServer }, { StdioServerTransport }, zod, duck] = await Promise.all([
	load('@modelcontextprotocol/sdk/server/mcp.js'),
	load('@modelcontextprotocol/sdk/server/stdio.js'),
	load('zod'),
	load('@duckdb/node-api'),
]);
const z = zod.z ?? zod.default?.z ?? zod;

const dir = path.resolve(process.argv[2] ?? '.');
const toolsDir = path.join(dir, 'tools');
const files = fs.readdirSync(toolsDir).filter((f) => f.endsWith('.yml')).sort();

const instance = await duck.DuckDBInstance.create(path.join(dir, 'data', 'bench.duckdb'));
const conn = await instance.connect();

const server = new McpServer({ name: 'peer', version: '1.0.0' });
const field = (yml, key) => yml.match(new RegExp(`^  ${key}: (.*)$`, 'm'))[1];
// BIGINT columns come back as bigint; JSON (and mxcp) carry them as numbers.
const plain = (r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
const row = z.object({ id: z.number().int().nullable(), name: z.string().nullable(), score: z.number().nullable() });

for (const f of files) {
	const yml = fs.readFileSync(path.join(toolsDir, f), 'utf8');
	const name = field(yml, 'name');
	if (name === 'trivial') {
		// bench/stdio.sh's one hand-written tool: SELECT $n + 1.
		const stmt = await conn.prepare(yml.match(/^    code: (.*)$/m)[1]);
		server.registerTool(
			name,
			{
				description: field(yml, 'description'),
				inputSchema: { n: z.number().int().describe('The integer') },
				outputSchema: { result: z.number().int() },
			},
			async ({ n }) => {
				stmt.bind({ n });
				const value = Number((await stmt.runAndReadAll()).getRowObjectsJS()[0].n);
				return { content: [{ type: 'text', text: String(value) }], structuredContent: { result: value } };
			},
		);
		continue;
	}
	const sqlFile = path.resolve(toolsDir, yml.match(/^    file: (.*)$/m)[1]);
	const sql = fs.readFileSync(sqlFile, 'utf8');
	const stmt = await conn.prepare(sql); // validates the SQL against the database
	server.registerTool(
		name,
		{
			description: field(yml, 'description'),
			annotations: { readOnlyHint: true },
			inputSchema: {
				min_score: z.number().min(0).default(0).describe('Lowest score to include'),
				prefix: z.string().max(20).default('').describe('Name prefix'),
				limit: z.number().int().min(1).max(1000).default(10).describe('Row limit'),
			},
			outputSchema: { result: z.array(row) },
		},
		async (args) => {
			// One prepared statement per tool, bound per call: fine for the
			// sequential calls bench/stdio.sh makes (not for concurrent ones).
			stmt.bind({ min_score: args.min_score, prefix: args.prefix, limit: args.limit });
			const rows = (await stmt.runAndReadAll()).getRowObjectsJS().map(plain);
			return {
				content: [{ type: 'text', text: JSON.stringify(rows) }],
				structuredContent: { result: rows },
			};
		},
	);
}

await server.connect(new StdioServerTransport());
