// SPDX-License-Identifier: Apache-2.0
//
// subscriptions.test.mjs — resources/subscribe and resources/unsubscribe
// with the official SDK client over stdio, on the bundled example (a
// database file): a subscribed resource gets notifications/resources/updated
// when its data may have changed (a write tool ran: the database file
// changed) and when a reload changes its definition; an unsubscribed one
// gets nothing more, and a resource that does not exist cannot be
// subscribed to.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { connect, exampleProject, sleep } from './lib.mjs';

test('resource subscriptions: updates on writes and on reload, none after unsubscribe', { timeout: 60000 }, async () => {
	const dir = exampleProject();
	fs.writeFileSync(
		path.join(dir, 'tools', 'add_product.yml'),
		`mxcp: 1
tool:
  name: add_product
  description: Add a product (a write).
  parameters:
    - {name: id, type: integer, description: id}
    - {name: category, type: string, description: category}
  return: {type: integer}
  source:
    code: INSERT INTO products VALUES ($id, 'New', $category, 1.0, true) RETURNING product_id
`,
	);
	const client = await connect(dir);
	assert.equal(client.getServerCapabilities().resources.subscribe, true);
	const updates = [];
	client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updates.push(n.params.uri));
	const waitFor = async (n) => {
		for (let i = 0; i < 100 && updates.length < n; i++) await sleep(50);
	};

	await assert.rejects(client.subscribeResource({ uri: 'catalog://nothing-here' }), /Resource not found/);
	assert.deepEqual(await client.subscribeResource({ uri: 'catalog://categories' }), {});

	// a read changes nothing
	await client.readResource({ uri: 'catalog://categories' });
	await sleep(1500);
	assert.deepEqual(updates, []);

	// a write: the database file changes, the subscriber hears of it
	await client.callTool({ name: 'add_product', arguments: { id: 90, category: 'toys' } });
	await waitFor(1);
	assert.deepEqual(updates, ['catalog://categories']);

	// a reload that changes the resource's definition
	const file = path.join(dir, 'resources', 'categories.yml');
	fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('ORDER BY category', 'ORDER BY category DESC'));
	process.kill(client.transport.pid, 'SIGHUP');
	await waitFor(2);
	assert.deepEqual(updates, ['catalog://categories', 'catalog://categories']);

	// after unsubscribing, a write is not announced
	assert.deepEqual(await client.unsubscribeResource({ uri: 'catalog://categories' }), {});
	await client.callTool({ name: 'add_product', arguments: { id: 91, category: 'toys' } });
	await sleep(1500);
	assert.equal(updates.length, 2);
	await client.close();
});
