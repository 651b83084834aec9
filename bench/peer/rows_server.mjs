// SPDX-License-Identifier: Apache-2.0
//
// bench/peer/rows_server.mjs — the peer for bench/big_results.sh: a tool
// `rows` returning N rows (SELECT range AS id, 'item' || range AS name,
// range / 2 AS score FROM range($n) through @duckdb/node-api), served by the
// official TypeScript SDK over streamable HTTP, stateless, JSON responses, as
// bench/peer/http_server.mjs. The answer has mxcp's shape: one text block per
// row (compact JSON) plus structuredContent {result: rows}.
// Usage: node bench/peer/rows_server.mjs PROJECT_DIR PORT

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
const instance = await duck.DuckDBInstance.create(path.join(dir, 'data', 'bench.duckdb'), { access_mode: 'READ_ONLY' });
const conn = await instance.connect();
const SQL = "SELECT range AS id, 'item' || range AS name, range / 2 AS score FROM range($n)";

function makeServer() {
	const server = new McpServer({ name: 'peer', version: '1.0.0' });
	server.registerTool(
		'rows',
		{ description: 'N rows.', inputSchema: { n: z.number().int() } },
		async ({ n }) => {
			const r = await conn.runAndReadAll(SQL, { n });
			const rows = r.getRowObjectsJS().map((o) => ({ id: Number(o.id), name: o.name, score: o.score }));
			return {
				content: rows.map((o) => ({ type: 'text', text: JSON.stringify(o) })),
				structuredContent: { result: rows },
			};
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
