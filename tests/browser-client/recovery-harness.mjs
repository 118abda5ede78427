// What the recovery scripts (recovery.test.mjs, recovery-unsupported.test.mjs) share: the bridge's address from
// BRIDGE_URL, one deadline for the whole script, FAIL/exit on any error, polling until a condition holds, and the
// browser client loaded as the bridge serves it.
import assert from 'node:assert/strict';

export const base = process.env.BRIDGE_URL;
if (!base) {
  console.log('FAIL: set BRIDGE_URL (e.g. http://127.0.0.1:5000)');
  process.exit(1);
}

export function fail(err) {
  console.log(`FAIL: ${err?.stack ?? err}`);
  process.exit(1);
}

/** Fails the script unless it calls the returned function within `ms`. */
export function deadline(ms) {
  const timer = setTimeout(() => fail(new Error(`the script did not finish within ${ms / 1000} s`)), ms);
  return () => clearTimeout(timer);
}

export function until(predicate, ms, what) {
  return new Promise((resolve, reject) => {
    const end = Date.now() + ms;
    const poll = setInterval(() => {
      if (predicate()) { clearInterval(poll); resolve(); }
      else if (Date.now() > end) { clearInterval(poll); reject(new Error(`timed out: ${what}`)); }
    }, 10);
  });
}

/** The module /client/bridge.js as the bridge at `base` serves it. */
export async function loadBridgeClient() {
  const response = await fetch(new URL('/client/bridge.js', base));
  assert.equal(response.status, 200, 'GET /client/bridge.js');
  return import('data:text/javascript;base64,' + Buffer.from(await response.text()).toString('base64'));
}
