// SPDX-License-Identifier: Apache-2.0
//
// otlp_sink.mjs PORT — the cheapest OTLP/HTTP collector for bench/telemetry.sh:
// reads each POST (/v1/traces, /v1/metrics), answers 200 without decoding, and
// prints the requests and bytes it took when it gets SIGTERM.
import http from 'node:http';

const port = Number(process.argv[2]);
const seen = { requests: 0, bytes: 0 };
const server = http.createServer((req, res) => {
	req.on('data', (d) => (seen.bytes += d.length));
	req.on('end', () => {
		seen.requests++;
		res.writeHead(200, { 'content-type': 'application/x-protobuf' });
		res.end();
	});
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
	console.log(`sink: ${seen.requests} requests, ${seen.bytes} bytes`);
	process.exit(0);
});
