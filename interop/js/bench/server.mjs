// The benchmark server: a js-libp2p node in its own process (so that client
// and server each get a core of their own) serving
//   /perf/1.0.0              the libp2p perf protocol (perf.mjs)
//   /tinyp2p/req-resp/1.0.0  an echo server (req-resp.mjs)
// plus identify and ping, on 127.0.0.1.
//
//   node --import ../polyfill.mjs [--expose-gc] server.mjs [tcp|quic]
//
// The optional argument is the node's transport (createBenchNode in common.mjs): "tcp"
// (+ Noise + Yamux, the default) or "quic" (quic-v1, listening on /ip4/127.0.0.1/udp/N/quic-v1).
// stdout: first {"event":"ready","peerId","addrs":["/ip4/127.0.0.1/tcp/N/p2p/…"],"pid"},
// then one reply per command. stdin: one JSON command per line:
//   {"id":1,"cmd":"heap"}         → {"id":1,"ok":true,"heapUsed","heapTotal","rss","external","arrayBuffers"}
//                                    after two forced GCs (needs --expose-gc)
//   {"id":2,"cmd":"connections"}  → {"id":2,"ok":true,"count","identified"}: open connections, and
//                                    how many of them this node's identify request succeeded on
//   {"id":3,"cmd":"stop"}         → stops the node, exits 0
// The process also stops when stdin closes or on SIGTERM/SIGINT. Logs go to stderr.
// Started by js-bench.mjs; also handy by hand as a perf server for perf-client.mjs.

import { createInterface } from 'node:readline'
import { createBenchNode, log, sleep } from './common.mjs'
import { PERF_PROTOCOL, perfHandler } from './perf.mjs'
import { REQ_RESP_MAX_STREAMS, REQ_RESP_PROTOCOL, handleEchoRequest } from './req-resp.mjs'

console.log = console.error // nothing but protocol lines on stdout

const node = await createBenchNode({ transport: process.argv[2] ?? 'tcp' })
await node.handle(PERF_PROTOCOL, perfHandler(), { maxInboundStreams: 64, maxOutboundStreams: 64 })
await node.handle(REQ_RESP_PROTOCOL, handleEchoRequest, {
  maxInboundStreams: REQ_RESP_MAX_STREAMS,
  maxOutboundStreams: REQ_RESP_MAX_STREAMS
})

// connection ids on which our identify of the remote succeeded
const identified = new Set()
node.addEventListener('peer:identify', (evt) => identified.add(evt.detail.connection.id))
node.addEventListener('connection:close', (evt) => identified.delete(evt.detail.id))

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

async function collectGarbage () {
  if (typeof global.gc !== 'function') throw new Error('run the server with --expose-gc')
  // twice, with a turn of the event loop between: finalizers and weak
  // references released by the first pass are collected by the second
  global.gc()
  await sleep(50)
  global.gc()
}

const commands = {
  async heap () {
    await collectGarbage()
    const m = process.memoryUsage()
    return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers }
  },
  async connections () {
    const open = node.getConnections().filter(c => c.status === 'open')
    return { count: open.length, identified: open.filter(c => identified.has(c.id)).length }
  }
}

let stopping = null
function shutdown () {
  if (stopping != null) return stopping
  setTimeout(() => process.exit(0), 5_000).unref()
  stopping = node.stop().catch(err => log('stop failed:', err)).finally(() => process.exit(0))
  return stopping
}

process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
process.stdout.on('error', shutdown)

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
lines.on('line', async (line) => {
  if (line.trim() === '') return
  let cmd
  try { cmd = JSON.parse(line) } catch { log('not JSON:', line); return }
  if (cmd.cmd === 'stop') {
    emit({ id: cmd.id ?? null, ok: true })
    shutdown()
    return
  }
  const handler = Object.hasOwn(commands, cmd.cmd) ? commands[cmd.cmd] : null
  try {
    if (handler == null) throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`)
    emit({ id: cmd.id ?? null, ok: true, ...(await handler(cmd)) })
  } catch (err) {
    emit({ id: cmd.id ?? null, ok: false, error: `${err.name}: ${err.message}` })
  }
})
lines.on('close', shutdown)

emit({ event: 'ready', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(String), pid: process.pid })
