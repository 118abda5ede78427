'use strict'
// Connects ilp-plugin-bells to a ledger (here: the bridge) as one account and prints what the plugin emits,
// one JSON object per line on stdout: {"event":"connect"}, {"event":"incoming_prepare","args":[...]}, ...
// Usage: node listen.js <account URI> <password>. Runs until stdin closes or it is killed.
const PluginBells = require('ilp-plugin-bells')

const [account, password] = process.argv.slice(2)
if (!account || !password) {
  console.error('usage: node listen.js <account URI> <password>')
  process.exit(2)
}

const print = (event, args) => process.stdout.write(JSON.stringify({ event, args }) + '\n')

const plugin = new PluginBells({ account, password })
const events = ['connect', 'disconnect', 'incoming_prepare', 'incoming_transfer', 'incoming_fulfill',
  'incoming_reject', 'incoming_cancel', 'incoming_message', 'incoming_request',
  'outgoing_prepare', 'outgoing_transfer', 'outgoing_fulfill', 'outgoing_reject', 'outgoing_cancel']
for (const event of events) {
  plugin.on(event, (...args) => print(event, args))
}

plugin.connect({ timeout: 30000 })
  .then(() => print('connected', [plugin.getAccount(), plugin.getInfo()]))
  .catch((err) => {
    print('error', [String(err && err.stack ? err.stack : err)])
    process.exit(1)
  })

process.stdin.resume()
process.stdin.on('end', () => process.exit(0))
