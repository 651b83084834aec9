// SPDX-License-Identifier: Apache-2.0
//
// client_requests.test.mjs — Python endpoints that ask the client
// (mxcp.runtime.mcp.sample / mcp.elicit: sampling/createMessage and
// elicitation/create from inside a running tool) and return MCP content
// (mxcp.content), on the fixture tests/projects/client_requests. Over stdio
// with the official SDK client registering handlers — sync and async
// endpoints, two requests of one call at once, a timeout, cancellation
// reaching the client's handler, a client without the capabilities — and
// over streamable HTTP with raw requests: the request travels on the
// POST's SSE stream and the answer comes back as a later POST.

import assert from 'node:assert/strict';
import { describe, test, before, after } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

import { HttpServer, MXCP, copyProject, post, serverEnv, sleep } from './lib.mjs';

const FIXTURE = 'tests/projects/client_requests';

async function connectWith(dir, capabilities) {
	const transport = new StdioClientTransport({
		command: MXCP,
		args: ['serve', '--transport', 'stdio'],
		cwd: dir,
		env: serverEnv(),
		stderr: 'pipe',
	});
	let stderr = '';
	transport.stderr?.on('data', (d) => (stderr += d));
	const client = new Client({ name: 'client-requests-e2e', version: '1.0.0' }, { capabilities });
	client.stderr = () => stderr;
	return { client, transport };
}

const json = (r) => JSON.parse(r.content[0].text);

describe('over stdio, a client with sampling and elicitation', () => {
	let client;
	const samples = [];
	const elicits = [];
	let aborted = 0;
	let hang = false;
	before(async () => {
		const c = await connectWith(copyProject(FIXTURE), { sampling: {}, elicitation: {} });
		client = c.client;
		client.setRequestHandler(CreateMessageRequestSchema, async (req, extra) => {
			samples.push(req.params);
			if (hang || req.params.messages[0].content.text === 'never answered')
				return new Promise((_, reject) =>
					extra.signal.addEventListener('abort', () => {
						aborted++;
						reject(new Error('aborted'));
					}),
				);
			const text = req.params.messages[0].content.text;
			if (text === 'first') await sleep(100); // the second answer comes first
			return { role: 'assistant', content: { type: 'text', text: `echo: ${text}` }, model: 'test-model', stopReason: 'endTurn' };
		});
		client.setRequestHandler(ElicitRequestSchema, async (req) => {
			elicits.push(req.params);
			return { action: 'accept', content: { name: 'Ada', age: 36 } };
		});
		await client.connect(c.transport);
	});
	after(async () => client.close());

	test('a sync endpoint samples: the request as built, the answer back in Python', async () => {
		const r = await client.callTool({ name: 'ask_llm', arguments: { prompt: 'Say hi' } });
		assert.notEqual(r.isError, true, JSON.stringify(r));
		assert.deepEqual(json(r), { text: 'echo: Say hi', model: 'test-model', stop_reason: 'endTurn', role: 'assistant' });
		assert.deepEqual(samples.at(-1), {
			messages: [{ role: 'user', content: { type: 'text', text: 'Say hi' } }],
			maxTokens: 50,
			systemPrompt: 'Be brief.',
			temperature: 0.5,
		});
	});

	test('an async endpoint elicits: the schema from a dict of types, the action and content back', async () => {
		const r = await client.callTool({ name: 'ask_user', arguments: { message: 'Who are you?' } });
		assert.deepEqual(json(r), { action: 'accept', content: { name: 'Ada', age: 36 } });
		assert.deepEqual(elicits.at(-1), {
			message: 'Who are you?',
			requestedSchema: {
				type: 'object',
				properties: { name: { type: 'string' }, age: { type: 'integer' } },
				required: ['name', 'age'],
			},
		});
	});

	test('two requests of one call in flight at once, answered out of order', async () => {
		const r = await client.callTool({ name: 'ask_twice', arguments: {} });
		assert.deepEqual(r.content.map((c) => c.text), ['echo: first', 'echo: second']);
	});

	test('a request not answered in time: ClientRequestError in Python, notifications/cancelled to the client', async () => {
		const before = aborted;
		const r = await client.callTool({ name: 'ask_with_timeout', arguments: { seconds: 0.3 } });
		assert.equal(r.content[0].text, 'ClientRequestError: sampling/createMessage: the client did not answer in time');
		for (let i = 0; i < 50 && aborted === before; i++) await sleep(20);
		assert.equal(aborted, before + 1, 'the client handler was told to stop');
	});

	test('cancelling the call cancels its request to the client; the server serves on', async () => {
		const before = aborted;
		hang = true;
		const ac = new AbortController();
		const call = client.callTool({ name: 'ask_forever', arguments: {} }, undefined, { signal: ac.signal });
		for (let i = 0; i < 100 && !samples.some((s) => s.messages[0].content.text === 'wait for me'); i++) await sleep(20);
		ac.abort();
		await assert.rejects(call);
		for (let i = 0; i < 100 && aborted === before; i++) await sleep(20);
		assert.equal(aborted, before + 1);
		hang = false;
		const r = await client.callTool({ name: 'ask_llm', arguments: { prompt: 'still there?' } });
		assert.equal(json(r).text, 'echo: still there?');
	});

	test('MCP content from Python: text and image blocks; a resource\'s bytes as a blob', async () => {
		const r = await client.callTool({ name: 'picture', arguments: { caption: 'a picture' } });
		assert.deepEqual(r.content, [
			{ type: 'text', text: 'a picture' },
			{ type: 'image', data: Buffer.from('\x89PNG\r\n\x1a\n', 'latin1').toString('base64'), mimeType: 'image/png' },
		]);
		assert.equal(r.structuredContent, undefined);
		const res = await client.readResource({ uri: 'demo://logo' });
		assert.deepEqual(res.contents, [
			{ uri: 'demo://logo', mimeType: 'application/octet-stream', blob: Buffer.from('\x00\x01binary\xff', 'latin1').toString('base64') },
		]);
	});
});

test('over stdio, a client without the capabilities: a clear error in Python, nothing sent', async () => {
	const { client, transport } = await connectWith(copyProject(FIXTURE), {});
	await client.connect(transport);
	try {
		const r = await client.callTool({ name: 'ask_llm', arguments: { prompt: 'hi' } });
		assert.deepEqual(json(r), {
			error: 'capability',
			message: "sampling/createMessage: the client did not declare the 'sampling' capability in initialize",
		});
		const e = await client.callTool({ name: 'ask_user', arguments: { message: 'hi' } });
		assert.deepEqual(json(e), {
			error: 'capability',
			message: "elicitation/create: the client did not declare the 'elicitation' capability in initialize",
		});
	} finally {
		await client.close();
	}
});

// Read SSE events from a fetch response as they come.
async function* sseEvents(res) {
	const reader = res.body.getReader();
	const dec = new TextDecoder();
	let buf = '';
	for (;;) {
		const { value, done } = await reader.read();
		if (done) return;
		buf += dec.decode(value, { stream: true });
		let i;
		while ((i = buf.indexOf('\n\n')) >= 0) {
			const ev = buf.slice(0, i);
			buf = buf.slice(i + 2);
			const data = ev.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
			if (data) yield JSON.parse(data);
		}
	}
}

describe('over streamable HTTP', () => {
	let srv;
	before(async () => {
		srv = await HttpServer.start(copyProject(FIXTURE));
	});
	after(async () => assert.equal((await srv.stop()).code, 0));

	test('the request on the POST\'s SSE stream, the answer as a later POST', async () => {
		const init = await post(srv, {
			jsonrpc: '2.0',
			id: 0,
			method: 'initialize',
			params: { protocolVersion: '2025-11-25', capabilities: { elicitation: {} }, clientInfo: { name: 'raw', version: '1' } },
		});
		assert.equal(init.status, 200);
		await init.text();
		const sid = init.headers.get('mcp-session-id');
		const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
		assert.equal((await post(srv, { jsonrpc: '2.0', method: 'notifications/initialized' }, h)).status, 202);

		const call = await post(srv, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ask_user', arguments: { message: 'Name?' } } }, h);
		assert.equal(call.status, 200);
		assert.match(call.headers.get('content-type'), /^text\/event-stream/);
		const events = sseEvents(call);
		const ask = (await events.next()).value;
		assert.equal(ask.method, 'elicitation/create');
		assert.equal(ask.params.message, 'Name?');
		assert.ok(Number.isInteger(ask.id));
		const answer = await post(srv, { jsonrpc: '2.0', id: ask.id, result: { action: 'decline' } }, h);
		assert.equal(answer.status, 202);
		const final = (await events.next()).value;
		assert.equal(final.id, 1);
		assert.deepEqual(JSON.parse(final.result.content[0].text), { action: 'decline', content: null });

		// A client error answer reaches Python as ClientRequestError with its code.
		const call2 = await post(srv, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ask_user', arguments: { message: 'Again?' } } }, h);
		const events2 = sseEvents(call2);
		const ask2 = (await events2.next()).value;
		assert.notEqual(ask2.id, ask.id);
		await post(srv, { jsonrpc: '2.0', id: ask2.id, error: { code: -32600, message: 'no user here' } }, h);
		const final2 = (await events2.next()).value;
		assert.deepEqual(JSON.parse(final2.result.content[0].text), {
			error: 'request',
			message: 'elicitation/create: the client answered with an error: no user here',
			code: -32600,
		});

		// Sampling was not declared: refused without a request.
		const r3 = await post(srv, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'ask_llm', arguments: { prompt: 'hi' } } }, h);
		const final3 = (await sseEvents(r3).next()).value;
		assert.equal(JSON.parse(final3.result.content[0].text).error, 'capability');
	});
});
