// SPDX-License-Identifier: Apache-2.0
//
// bench/peer/inc_http_server.mjs — the peer for bench/python.sh: the tool
// `inc` as a plain JavaScript function ({x: n + 1}, the same work as the
// Python tool `def inc(n: int) -> dict: return {"x": n + 1}`), served by the
// official TypeScript SDK over streamable HTTP in stateless mode with JSON
// responses, as bench/peer/http_server.mjs (and the SDK's stateless example)
// does it: a fresh McpServer and transport per POST. The answer is the one
// mxcp gives for a tool returning an object: the object as JSON text.
// Usage: node bench/peer/inc_http_server.mjs PORT

import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const req = createRequire(path.join(HERE, '..', '..', 'tests', 'e2e', 'package.json'));
const load = (spec) => import(pathToFileURL(req.resolve(spec)).href);
const [{ McpServer }, { StreamableHTTPServerTransport }, zod] = await Promise.all([
	load('@modelcontextprotocol/sdk/server/mcp.js'),
	load('@modelcontextprotocol/sdk/server/streamableHttp.js'),
	load('zod'),
]);
const z = zod.z ?? zod.default?.z ?? zod;
const port = Number(process.argv[2] ?? 8001);

const inc = (n) => ({ x: n + 1 });

function makeServer() {
	const server = new McpServer({ name: 'peer', version: '1.0.0' });
	server.registerTool(
		'inc',
		{ description: 'Add one to an integer.', inputSchema: { n: z.number().int() } },
		async ({ n }) => ({ content: [{ type: 'text', text: JSON.stringify(inc(n)) }] }),
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
