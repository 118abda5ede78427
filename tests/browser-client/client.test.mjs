// The browser client, as the bridge serves it, under Node with `ws`. Driven by
// Bridge.IntegrationTests/Clients/BrowserClientNodeTests: BRIDGE_URL names a running bridge whose demo
// producer publishes on.events. The script prints "RESTART" when the driver should restart the bridge on
// the same port, and "OK" at the end; any failure prints "FAIL: ..." and exits 1.
import assert from 'node:assert/strict';
import WebSocket from 'ws';

const base = process.env.BRIDGE_URL;
if (!base) {
  console.log('FAIL: set BRIDGE_URL (e.g. http://127.0.0.1:5000)');
  process.exit(1);
}

const overall = setTimeout(() => fail(new Error('the script did not finish within 90 s')), 90_000);

function fail(err) {
  console.log(`FAIL: ${err?.stack ?? err}`);
  process.exit(1);
}

function within(ms, promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

function nextEvent(watch, predicate, what, ms = 15_000) {
  return within(ms, new Promise((resolve) => {
    const listener = (msg) => { if (predicate(msg)) { resolve(msg); } };
    watch.on('item', listener);
  }), what);
}

try {
  // The module the bridge serves, not a copy from the source tree.
  const response = await fetch(new URL('/client/bridge.js', base));
  assert.equal(response.status, 200, 'GET /client/bridge.js');
  const source = await response.text();
  const { BridgeClient, topicMatches } = await import('data:text/javascript;base64,' + Buffer.from(source).toString('base64'));

  assert.ok(topicMatches('graph.#', 'graph.progress.updated.information.g1'));
  assert.ok(!topicMatches('graph.*', 'graph.progress.updated'));

  const wsUrl = base.replace(/^http/, 'ws').replace(/\/?$/, '/');
  const client = new BridgeClient(wsUrl, { WebSocket, reconnectDelay: 100, maxReconnectDelay: 1000, requestTimeout: 20_000 });
  const readies = [];
  client.on('ready', (info) => readies.push(info));
  const sessionId = await within(10_000, client.connect(), 'connect');
  assert.match(sessionId, /^[0-9a-f-]{36}$/);
  console.log(`connected: session ${sessionId}`);

  // Requests fired together are answered by (kind, resource), in order.
  const [nodes, skus, switches, pdu, missing] = await within(10_000, Promise.all([
    client.all('nodes'),
    client.all('skus'),
    client.query({ type: 'switch' }, 'nodes'),
    client.get({ type: 'pdu' }, 'nodes'),
    client.get({ id: 'no-such-node' }, 'nodes'),
  ]), 'concurrent requests');
  assert.equal(nodes.handler, 'list');
  assert.ok(nodes.items.length > 0, 'nodes');
  assert.ok(skus.items.length > 0, 'skus');
  assert.ok(switches.items.length > 0 && switches.items.every((n) => n.type === 'switch'), 'query');
  assert.equal(pdu?.data?.type, 'pdu', 'get found');
  assert.equal(missing, null, 'get missing');

  const refused = await client.query({ $where: 'sleep(1)' }, 'nodes').then(() => null, (err) => err);
  assert.equal(refused?.code, 'invalid_filter', 'a refused query rejects with the server code');

  const graphs = client.watch({ exchange: 'on.events', routingKey: 'graph.#' }, 'mq');
  const first = await nextEvent(graphs, () => true, 'a graph event from the demo');
  assert.match(first.id, /^graph\./);
  console.log(`watch: ${first.id}`);

  // The driver restarts the bridge on the same port: the client must come back and re-watch by itself.
  console.log('RESTART');
  await within(30_000, new Promise((resolve) => {
    const check = () => { if (readies.some((r) => r.reconnect)) { resolve(); } else { setTimeout(check, 50); } };
    check();
  }), 'the reconnection');
  const restored = readies.find((r) => r.reconnect);
  assert.equal(restored.watchesRestored, 1);
  assert.notEqual(client.sessionId, sessionId);
  const after = await nextEvent(graphs, () => true, 'a graph event after the restart');
  console.log(`reconnected: session ${client.sessionId}, watch continues with ${after.id}`);
  const again = await within(10_000, client.all('skus'), 'a request after the restart');
  assert.equal(again.items.length, skus.items.length);

  // disconnect() stays disconnected (Messenger.js reconnected anyway).
  let opened = 0;
  client.on('open', () => { opened++; });
  client.disconnect();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(opened, 0, 'no reconnection after disconnect()');
  assert.equal(client.state, 'closed');
  await assert.rejects(client.all('nodes'));

  clearTimeout(overall);
  console.log('OK');
  process.exit(0);
} catch (err) {
  fail(err);
}
