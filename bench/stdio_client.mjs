// SPDX-License-Identifier: Apache-2.0
//
// bench/stdio_client.mjs — the measuring client of bench/stdio.sh. Speaks raw
// newline-delimited JSON-RPC to a server it launches (no SDK on the client
// side, so the client costs the same for every server measured).
//
//   node stdio_client.mjs cold RUNS CWD CMD ARGS...
//       RUNS launches; each writes initialize, notifications/initialized and
//       tools/list at once and times from spawn to the last page of the
//       tool list (following nextCursor). Prints the median in ms and the
//       number of tools listed.
//   node stdio_client.mjs calls SECONDS CWD CMD ARGS...
//       One launch; sequential tools/call round trips for SECONDS of the tool
//       $TOOL (default `trivial`, argument n; tool_0 gets limit 1), checking
//       the first answer. Prints calls per second.

import { spawn } from 'node:child_process';

const [mode, amount, cwd, cmd, ...args] = process.argv.slice(2);

function launch() {
	const child = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'inherit'] });
	let buf = '';
	const pending = new Map();
	child.stdout.setEncoding('utf8');
	child.stdout.on('data', (d) => {
		buf += d;
		let i;
		while ((i = buf.indexOf('\n')) >= 0) {
			const msg = JSON.parse(buf.slice(0, i));
			buf = buf.slice(i + 1);
			const p = pending.get(msg.id);
			if (p) pending.delete(msg.id), p(msg);
		}
	});
	const send = (m) => child.stdin.write(JSON.stringify(m) + '\n');
	const request = (id, method, params) =>
		new Promise((resolve) => {
			pending.set(id, resolve);
			send({ jsonrpc: '2.0', id, method, params });
		});
	const stop = () =>
		new Promise((resolve) => {
			child.on('exit', resolve);
			child.stdin.end();
		});
	return { child, send, request, stop };
}

const init = {
	protocolVersion: '2025-11-25',
	capabilities: {},
	clientInfo: { name: 'bench', version: '1.0.0' },
};

if (mode === 'cold') {
	const times = [];
	let ntools = 0;
	for (let r = 0; r < Number(amount); r++) {
		const t0 = process.hrtime.bigint();
		const s = launch();
		const first = s.request(1, 'initialize', init);
		s.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
		let list = await s.request(2, 'tools/list', {});
		if (!list.result) throw new Error(`tools/list failed: ${JSON.stringify(list)}`);
		ntools = list.result.tools.length;
		// the whole list: follow nextCursor
		for (let id = 3; list.result.nextCursor; id++) {
			list = await s.request(id, 'tools/list', { cursor: list.result.nextCursor });
			if (!list.result) throw new Error(`tools/list failed: ${JSON.stringify(list)}`);
			ntools += list.result.tools.length;
		}
		const t1 = process.hrtime.bigint();
		await first;
		times.push(Number(t1 - t0) / 1e6);
		await s.stop();
	}
	times.sort((a, b) => a - b);
	const median = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
	console.log(`${median.toFixed(1)} ${ntools}`);
} else if (mode === 'calls') {
	const s = launch();
	await s.request(1, 'initialize', init);
	s.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
	const tool = process.env.TOOL || 'trivial';
	const params = tool === 'trivial' ? { name: tool, arguments: { n: 41 } } : { name: tool, arguments: { limit: 1 } };
	const check = await s.request(2, 'tools/call', params);
	if (!check.result || check.result.isError) throw new Error(`tools/call failed: ${JSON.stringify(check)}`);
	if (tool === 'trivial' && check.result.structuredContent?.result !== 42)
		throw new Error(`trivial: expected {"result": 42}, got ${JSON.stringify(check.result)}`);
	let id = 3, n = 0;
	const until = process.hrtime.bigint() + BigInt(Math.round(Number(amount) * 1e9));
	const t0 = process.hrtime.bigint();
	while (process.hrtime.bigint() < until) {
		await s.request(id++, 'tools/call', params);
		n++;
	}
	const secs = Number(process.hrtime.bigint() - t0) / 1e9;
	console.log((n / secs).toFixed(0));
	await s.stop();
} else {
	console.error('usage: stdio_client.mjs cold RUNS CWD CMD ARGS... | calls SECONDS CWD CMD ARGS...');
	process.exit(2);
}
