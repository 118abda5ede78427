// A watch the bridge cannot recover, in the browser client (issue 16), as the bridge serves it, under Node with
// `ws`. Driven by Bridge.IntegrationTests/Clients/BrowserClientRecoveryTests: BRIDGE_URL names a bridge that
// retains on.logging only, on which the driver publishes {"n":0,1,2,...} to on.test (routing key js.<n>) and to
// on.logging (logs.<n>: the client tells mq watches apart by routing key). The on.test watch is refused
// `recover` (not_supported): the client must send it again without `recover`, tell the watch and the client
// once (recovered false, supported false), emit no error, and keep recovering the on.logging watch of the same
// resource. Prints "OK" at the end; a failure prints "FAIL: ...".
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { base, deadline, fail, loadBridgeClient, until } from './recovery-harness.mjs';

const finished = deadline(45_000);

try {
  const { BridgeClient } = await loadBridgeClient();

  const sent = [];
  const originalSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data, ...rest) { sent.push(JSON.parse(String(data))); return originalSend.call(this, data, ...rest); };

  const client = new BridgeClient(base.replace(/^http/, 'ws').replace(/\/?$/, '/mq'), { WebSocket });
  const errors = [];
  const told = [];
  client.on('error', (err) => errors.push(err));
  client.on('recovered', (msg) => told.push(msg));
  await client.connect();

  const plain = client.watch({ exchange: 'on.test', routingKey: 'js.#' }, 'mq');
  const retained = client.watch({ exchange: 'on.logging', routingKey: 'logs.#' }, 'mq');
  const plainItems = [];
  const retainedItems = [];
  const plainRecovered = [];
  plain.on('item', (msg) => plainItems.push(msg));
  plain.on('recovered', (msg) => plainRecovered.push(msg));
  retained.on('item', (msg) => retainedItems.push(msg));

  await until(() => plainRecovered.length === 1, 15_000, 'the watch told that it cannot be recovered');
  assert.equal(plainRecovered[0].recovered, false, JSON.stringify(plainRecovered[0]));
  assert.equal(plainRecovered[0].supported, false, JSON.stringify(plainRecovered[0]));
  assert.equal(plainRecovered[0].params.exchange, 'on.test');
  assert.match(plainRecovered[0].reason, /Bridge:Recovery:Exchanges/);
  assert.deepEqual(told.map((m) => m.params.exchange), ['on.test'], 'the client says it once, for that watch');

  await until(() => plainItems.length >= 10 && retainedItems.length >= 10, 15_000, 'items on both watches');
  assert.ok(plainItems.every((m) => m.position === undefined), 'the watch sent without recover carries no position');
  assert.ok(retainedItems.every((m) => typeof m.position === 'string'), 'the other watch still recovers');
  assert.equal(plain.recovers, false);
  assert.equal(retained.recovers, true);

  const watches = sent.filter((m) => m.handler === 'watch' && m.params?.exchange === 'on.test');
  assert.equal(watches.length, 2, `the on.test watch was sent twice: ${JSON.stringify(watches)}`);
  assert.equal(watches[0].recover, true);
  assert.equal(watches[1].recover, undefined, 'sent again without recover');
  assert.deepEqual(errors.map((e) => e.message), [], 'no error reached the application');
  WebSocket.prototype.send = originalSend;

  client.disconnect();
  finished();
  console.log(`plain ${plainItems.length} items, retained ${retainedItems.length} items`);
  console.log('OK');
  process.exit(0);
} catch (err) {
  fail(err);
}
