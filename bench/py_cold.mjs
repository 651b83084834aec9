// SPDX-License-Identifier: Apache-2.0
//
// bench/py_cold.mjs — cold start for bench/python.sh: the method of
// bench/stdio_client.mjs `cold`, ending at the first answered tools/call
// instead of tools/list. Each of RUNS launches writes initialize,
// notifications/initialized and tools/call TOOL {n: 41} at once and times
// from spawn to the tools/call answer (which must be {"x": 42}). Prints the
// median and the minimum in ms.
//   node py_cold.mjs RUNS TOOL CWD CMD ARGS...

import { spawn } from 'node:child_process';

const [runs, tool, cwd, cmd, ...args] = process.argv.slice(2);
const init = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1.0.0' } };

function once() {
	return new Promise((resolve, reject) => {
		const t0 = process.hrtime.bigint();
		const child = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'inherit'] });
		let buf = '';
		let t1 = null;
		child.stdout.setEncoding('utf8');
		child.stdout.on('data', (d) => {
			buf += d;
			let i;
			while ((i = buf.indexOf('\n')) >= 0) {
				const msg = JSON.parse(buf.slice(0, i));
				buf = buf.slice(i + 1);
				if (msg.id !== 2) continue;
				t1 = process.hrtime.bigint();
				const text = msg.result?.content?.[0]?.text;
				if (msg.result?.isError || text === undefined || JSON.parse(text).x !== 42)
					return reject(new Error(`tools/call ${tool} failed: ${JSON.stringify(msg)}`));
				child.stdin.end();
			}
		});
		child.on('exit', () => (t1 ? resolve(Number(t1 - t0) / 1e6) : reject(new Error('server exited'))));
		const send = (m) => child.stdin.write(JSON.stringify(m) + '\n');
		send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: init });
		send({ jsonrpc: '2.0', method: 'notifications/initialized' });
		send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: tool, arguments: { n: 41 } } });
	});
}

const times = [];
for (let r = 0; r < Number(runs); r++) times.push(await once());
times.sort((a, b) => a - b);
const n = times.length;
const median = n % 2 ? times[(n - 1) / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
console.log(`${median.toFixed(1)} ${times[0].toFixed(1)}`);
