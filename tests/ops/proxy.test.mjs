// SPDX-License-Identifier: Apache-2.0
//
// Behind a reverse proxy: with `transport.http.trust_proxy` the Origin check
// uses X-Forwarded-Host/Proto, and logs name the client from the entry of
// X-Forwarded-For that the proxy appended (the last one); without it those
// headers are ignored and the peer address is named.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { makeProject, rpc, serveHttp, serverEnv, sleep, stop } from './lib.mjs';

const INIT = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'proxy-test', version: '1' } };

function trustingConfig(dir) {
	const file = path.join(dir, 'mxcp-config.yml');
	fs.writeFileSync(file, 'mxcp: 1\ntransport:\n  http:\n    trust_proxy: true\n');
	return file;
}

async function waitLog(child, re) {
	for (let i = 0; i < 100 && !re.test(child.output); i++) await sleep(20);
	return child.output;
}

test('a refused request is logged with the peer address when the proxy is not trusted', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless']);
	t.after(() => stop(srv));
	const r = await rpc(srv.url, 'initialize', INIT, {
		origin: 'http://evil.example',
		'x-forwarded-for': '6.6.6.6, 10.1.2.3',
		'x-forwarded-host': 'evil.example',
	});
	assert.equal(r.status, 403);
	const log = await waitLog(srv, /refused POST \/mcp/);
	assert.match(log, /refused POST \/mcp from 127\.0\.0\.1: Origin http:\/\/evil\.example/);
	assert.doesNotMatch(log, /10\.1\.2\.3|6\.6\.6\.6/);
});

test('with trust_proxy, the client is the last X-Forwarded-For entry', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless'], { env: serverEnv({ MXCP_CONFIG: trustingConfig(dir) }) });
	t.after(() => stop(srv));
	const r = await rpc(srv.url, 'initialize', INIT, {
		origin: 'http://evil.example',
		'x-forwarded-for': '6.6.6.6, 10.1.2.3',
	});
	assert.equal(r.status, 403);
	const log = await waitLog(srv, /refused POST \/mcp/);
	assert.match(log, /refused POST \/mcp from 10\.1\.2\.3:/);
	assert.doesNotMatch(log, /6\.6\.6\.6/);
});

test('with trust_proxy on a public bind, Origin is checked against X-Forwarded-Proto and -Host', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless', '--host', '0.0.0.0'], {
		env: serverEnv({ MXCP_CONFIG: trustingConfig(dir) }),
	});
	t.after(() => stop(srv));
	const fwd = { 'x-forwarded-host': 'mcp.example.com', 'x-forwarded-proto': 'https' };
	const ok = await rpc(srv.url, 'initialize', INIT, { origin: 'https://mcp.example.com', ...fwd });
	assert.equal(ok.status, 200, JSON.stringify(ok.body));
	assert.equal(ok.body.result.serverInfo.name, 'MXCP Server');
	const wrongProto = await rpc(srv.url, 'initialize', INIT, { origin: 'http://mcp.example.com', ...fwd });
	assert.equal(wrongProto.status, 403);
	const wrongHost = await rpc(srv.url, 'initialize', INIT, { origin: 'https://evil.example', ...fwd });
	assert.equal(wrongHost.status, 403);
});

test('without trust_proxy, X-Forwarded-Host cannot vouch for a foreign Origin', async (t) => {
	const dir = makeProject();
	const srv = await serveHttp(dir, ['--stateless', '--host', '0.0.0.0']);
	t.after(() => stop(srv));
	const r = await rpc(srv.url, 'initialize', INIT, {
		origin: 'https://mcp.example.com',
		'x-forwarded-host': 'mcp.example.com',
		'x-forwarded-proto': 'https',
	});
	assert.equal(r.status, 403);
});
