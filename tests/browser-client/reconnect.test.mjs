// The browser client's reconnection policy against a fake bridge (a `ws` server on loopback): after a close
// with 1012 (service restart) it reconnects at once; after any other close it backs off first. Driven by
// Bridge.IntegrationTests/Clients/BrowserClientReconnectTests with BRIDGE_CLIENT_FILE naming bridge.js.
// Prints "OK" at the end; any failure prints "FAIL: ..." and exits 1.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import WebSocket, { WebSocketServer } from 'ws';

const overall = setTimeout(() => fail(new Error('the script did not finish within 30 s')), 30_000);

function fail(err) {
  console.log(`FAIL: ${err?.stack ?? err}`);
  process.exit(1);
}

try {
  const source = await readFile(process.env.BRIDGE_CLIENT_FILE, 'utf8');
  const { BridgeClient } = await import('data:text/javascript;base64,' + Buffer.from(source).toString('base64'));

  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const connections = [];
  server.on('connection', (socket) => {
    connections.push({ socket, at: performance.now() });
    socket.on('message', (data) => {
      if (JSON.parse(data.toString()).handler === 'init') {
        socket.send(JSON.stringify({ handler: 'session', id: '00000000-0000-0000-0000-00000000000' + connections.length }));
      }
    });
  });
  const waitForConnection = (n) => new Promise((resolve) => {
    const poll = setInterval(() => { if (connections.length >= n) { clearInterval(poll); resolve(connections[n - 1]); } }, 5);
  });

  // A backoff of at least 2 s (half of 4 s, jittered) would show at once.
  const client = new BridgeClient(`ws://127.0.0.1:${server.address().port}/nodes`, { WebSocket, reconnectDelay: 4000, maxReconnectDelay: 4000 });
  const closes = [];
  client.on('close', (info) => closes.push(info));
  await client.connect();

  const first = await waitForConnection(1);
  // Listening before the close: on a fast machine the new session can be ready before the next line runs.
  const readyAgain = new Promise((resolve) => client.once('ready', resolve));
  const restartAt = performance.now();
  first.socket.close(1012, 'bridge shutting down; reconnect');
  const second = await waitForConnection(2);
  const afterRestart = second.at - restartAt;
  assert.ok(afterRestart < 1000, `reconnected ${afterRestart.toFixed(0)} ms after a 1012, expected at once`);
  assert.equal(closes[0].code, 1012);
  assert.equal(closes[0].reason, 'bridge shutting down; reconnect');
  console.log(`after 1012: reconnected in ${afterRestart.toFixed(0)} ms`);

  // Wait for the session on the new connection, then close with another code: this one backs off.
  await readyAgain;
  const crashAt = performance.now();
  second.socket.close(1011, 'internal error');
  const third = await waitForConnection(3);
  const afterCrash = third.at - crashAt;
  assert.ok(afterCrash >= 1900, `reconnected ${afterCrash.toFixed(0)} ms after a 1011, expected a backoff of at least 2 s`);
  console.log(`after 1011: reconnected in ${afterCrash.toFixed(0)} ms`);

  client.disconnect();
  server.close();
  clearTimeout(overall);
  console.log('OK');
  process.exit(0);
} catch (err) {
  fail(err);
}
