// Recovery in the browser client (issue 16 §1), as the bridge serves it, under Node with `ws`. Driven by
// Bridge.IntegrationTests/Clients/BrowserClientRecoveryTests: BRIDGE_URL names a running bridge on which the
// driver publishes {"n":0,1,2,...} to on.test with routing key js.<n>, every few milliseconds. The script drops
// its socket abruptly, lets the client reconnect, and checks that the numbers go on with no gap and no repeat,
// and that the watch was told it recovered. Prints "OK" at the end; any failure prints "FAIL: ..." and exits 1.
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { base, deadline, fail, loadBridgeClient, until } from './recovery-harness.mjs';

const finished = deadline(45_000);

try {
  const { BridgeClient } = await loadBridgeClient();

  const wsUrl = base.replace(/^http/, 'ws').replace(/\/?$/, '/mq');
  // A reconnection that waits at least 300 ms: messages are certainly published while the client is away.
  const client = new BridgeClient(wsUrl, { WebSocket, reconnectDelay: 600, maxReconnectDelay: 600 });
  const sent = [];
  await client.connect();
  const watch = client.watch({ exchange: 'on.test', routingKey: 'js.#' }, 'mq');
  const seen = [];
  const recovered = [];
  watch.on('item', (msg) => seen.push({ n: msg.data.n, position: msg.position }));
  watch.on('recovered', (msg) => recovered.push(msg));

  await until(() => seen.length >= 20, 15_000, 'twenty items before the drop');
  assert.ok(seen.every((s) => typeof s.position === 'string'), 'every item of a recovering watch has a position');
  const positionBefore = watch.position;
  assert.equal(positionBefore, seen.at(-1).position, 'the watch keeps its last position');

  // Watch what the client sends on the next connection: the watch must carry since = the last position.
  const originalSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data, ...rest) { sent.push(String(data)); return originalSend.call(this, data, ...rest); };
  client._socket.terminate();

  await until(() => recovered.length === 1, 15_000, 'the recovered event after reconnecting');
  const atRecovery = seen.length;
  await until(() => seen.length >= atRecovery + 20, 15_000, 'twenty live items after the recovery');
  WebSocket.prototype.send = originalSend;

  const rewatch = sent.map((s) => JSON.parse(s)).find((m) => m.handler === 'watch');
  assert.ok(rewatch, `the client re-sent the watch (sent: ${sent.join(' | ')})`);
  assert.equal(rewatch.recover, true);
  assert.equal(typeof rewatch.since, 'string', 'the re-sent watch names where it stopped');
  assert.ok(rewatch.since === positionBefore || seen.some((s) => s.position === rewatch.since), 'since is a position the watch received');

  assert.equal(recovered[0].recovered, true, JSON.stringify(recovered[0]));
  assert.ok(recovered[0].missed > 0, `messages were published while away: missed ${recovered[0].missed}`);

  const numbers = seen.map((s) => s.n);
  for (let i = 1; i < numbers.length; i++) {
    assert.equal(numbers[i], numbers[i - 1] + 1, `no gap and no repeat: ${numbers.slice(Math.max(0, i - 3), i + 3).join(',')}`);
  }
  console.log(`recovered ${recovered[0].missed} missed, ${numbers.length} items ${numbers[0]}..${numbers.at(-1)} without a gap`);

  client.disconnect();
  finished();
  console.log('OK');
  process.exit(0);
} catch (err) {
  fail(err);
}
