// tests/ports.mjs — shared by the Node test suites (tests/e2e, tests/ops).
import fs from 'node:fs';
import net from 'node:net';

// A free TCP port on 127.0.0.1 for a server the test starts. It is picked
// below the kernel's ephemeral range, where no listen(0) (an identity
// provider the test starts meanwhile, say) and no client socket can take it
// before the server binds it; bound once to see that it is free.
function canBind(port) {
	return new Promise((resolve) => {
		const s = net.createServer();
		s.on('error', () => resolve(false));
		s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
	});
}

export async function freePort() {
	let low = 0;
	try {
		low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
	} catch {}
	// Above 10080: fetch() refuses the "bad ports" below it (6000, 6665, ...).
	for (let i = 0; low > 12000 && i < 100; i++) {
		const port = 10081 + Math.floor(Math.random() * (low - 10081));
		if (await canBind(port)) return port;
	}
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}
