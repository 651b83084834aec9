// SPDX-License-Identifier: Apache-2.0
//
// bench/peer/http_server.mjs — the peer for bench/http.sh and bench/cache.sh:
// the `trivial` tool (SELECT $n + 1 through @duckdb/node-api) and `greet`
// (SELECT 'Hello, ' || $name || '!') served by the official
// TypeScript SDK over streamable HTTP in stateless mode with JSON responses,
// as the SDK's stateless example does it: a fresh McpServer and transport per
// POST, one DuckDB connection shared.
// Usage: node bench/peer/http_server.mjs PROJECT_DIR PORT

import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const req = createRequire(path.join(HERE, '..', '..', 'tests', 'e2e', 'package.json'));
const load = (spec) => import(pathToFileURL(req.resolve(spec)).href);
const [{ McpServer }, { StreamableHTTPServerTransport }, zod, duck] = await Promise.all([
	load('@modelcontextprotocol/sdk/server/mcp.js'),
	load('@modelcontextprotocol/sdk/server/streamableHttp.js'),
	load('zod'),
	load('@duckdb/node-api'),
]);
const z = zod.z ?? zod.default?.z ?? zod;
const dir = path.resolve(process.argv[2] ?? '.');
const port = Number(process.argv[3] ?? 8001);
// The same DuckDB threads setting as mxcp and the floor (MXCP_DUCKDB_THREADS).
const options = { access_mode: 'READ_ONLY' };
if (process.env.MXCP_DUCKDB_THREADS) options.threads = process.env.MXCP_DUCKDB_THREADS;
const instance = await duck.DuckDBInstance.create(path.join(dir, 'data', 'bench.duckdb'), options);
const conn = await instance.connect();

function makeServer() {
	const server = new McpServer({ name: 'peer', version: '1.0.0' });
	server.registerTool(
		'trivial',
		{ description: 'Add one to an integer.', inputSchema: { n: z.number().int() }, outputSchema: { result: z.number().int() } },
		async ({ n }) => {
			const r = await conn.runAndReadAll('SELECT $n + 1 AS n', { n });
			const value = Number(r.getRowObjectsJS()[0].n);
			return { content: [{ type: 'text', text: String(value) }], structuredContent: { result: value } };
		},
	);
	server.registerTool(
		'greet',
		{ description: 'Greet someone.', inputSchema: { name: z.string() }, annotations: { readOnlyHint: true } },
		async ({ name }) => {
			const r = await conn.runAndReadAll("SELECT 'Hello, ' || $name || '!' AS g", { name });
			return { content: [{ type: 'text', text: String(r.getRowObjectsJS()[0].g) }] };
		},
	);
	return server;
}

http.createServer(async (rq, rs) => {
	if (rq.method !== 'POST' || rq.url !== '/mcp') return rs.writeHead(404).end();
	const chunks = [];
	for await (const c of rq) chunks.push(c);
	const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
	const server = makeServer();
	const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
	rs.on('close', () => {
		transport.close();
		server.close();
	});
	await server.connect(transport);
	await transport.handleRequest(rq, rs, body);
}).listen(port, '127.0.0.1', () => process.stderr.write(`peer listening on ${port}\n`));
