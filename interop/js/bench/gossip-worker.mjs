// A worker thread of the gossipsub benchmark (js-bench.mjs): runs some of the
// gossipsub nodes, so that the nodes of one run spread over the machine's cores
// (node runs JavaScript on one thread per isolate).
//
// Talks to the main thread with postMessage: every request is
// { id, cmd, ...args } and gets one reply { id, ok, ...result } or
// { id, ok: false, error }. Commands:
//   init    { indices, topic, messages, gossipsubOptions } → { addrs: {index: multiaddr} }
//           starts one node per index, each subscribed to `topic`
//   dial    { edges: [[from, to]], addrs }                → {} (dials the edges whose `from` lives here)
//   status  {}                                             → { nodes: [{ neighbours, subscribers, mesh }] }
//   publish { node, index, size }                          → { sentAt }  (or error)
//   results { from?, to? }                                 → { receivedBy, lastAt, delivered, duplicates }
//           (per message of [from, to), all of them without a range)
//   stop    {}                                             → {}
//
// Times are milliseconds of process.hrtime (CLOCK_MONOTONIC): the same clock
// in every thread, unlike performance.now(), whose origin is per thread.
// Payload of a message: u32 index ‖ f64 send time ‖ zeros (big-endian).

import { parentPort } from 'node:worker_threads'

console.log = console.error // a worker's stdout is the bench's stdout: keep it clean

// js-libp2p 3 needs Promise.withResolvers (Node 22+): polyfill before loading it
await import('../polyfill.mjs')
const { createBenchNode } = await import('./common.mjs')

const nowMs = () => Number(process.hrtime.bigint()) / 1e6

const nodes = new Map() // index → libp2p node
let topic
let receivedBy // per message: how many of OUR nodes got it
let lastAt // per message: when the last of our nodes got it
let delivered = 0
let duplicates = 0

const commands = {
  async init ({ indices, topic: t, messages, gossipsubOptions }) {
    topic = t
    receivedBy = new Uint32Array(messages)
    lastAt = new Float64Array(messages)
    const addrs = {}
    await Promise.all(indices.map(async (index) => {
      const node = await createBenchNode({ gossipsub: true, gossipsubOptions })
      nodes.set(index, node)
      addrs[index] = node.getMultiaddrs()[0].toString()
      const seen = new Uint8Array(messages)
      node.services.pubsub.addEventListener('message', (evt) => {
        const { topic: got, data } = evt.detail
        if (got !== topic || data.length < 12) return
        const at = nowMs()
        const i = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, false)
        if (i >= messages) return
        if (seen[i] === 1) { duplicates++; return }
        seen[i] = 1
        delivered++
        receivedBy[i]++
        lastAt[i] = Math.max(lastAt[i], at)
      })
      node.services.pubsub.subscribe(topic)
    }))
    return { addrs }
  },

  async dial ({ edges, addrs }) {
    const { multiaddr } = await import('@multiformats/multiaddr')
    await Promise.all(edges
      .filter(([from]) => nodes.has(from))
      .map(([from, to]) => nodes.get(from).dial(multiaddr(addrs[to]), { signal: AbortSignal.timeout(20_000) })))
    return {}
  },

  async status () {
    return {
      nodes: [...nodes.values()].map((node) => ({
        neighbours: new Set(node.getConnections().map(c => c.remotePeer.toString())).size,
        subscribers: node.services.pubsub.getSubscribers(topic).length,
        mesh: node.services.pubsub.getMeshPeers(topic).length
      }))
    }
  },

  async publish ({ node, index, size }) {
    const data = new Uint8Array(size)
    const view = new DataView(data.buffer)
    view.setUint32(0, index, false)
    const sentAt = nowMs()
    view.setFloat64(4, sentAt, false)
    await nodes.get(node).services.pubsub.publish(topic, data)
    return { sentAt }
  },

  async results ({ from, to } = {}) {
    if (from === undefined) return { receivedBy: [...receivedBy], lastAt: [...lastAt], delivered, duplicates }
    return { receivedBy: [...receivedBy.subarray(from, to)], lastAt: [...lastAt.subarray(from, to)], delivered, duplicates }
  },

  async stop () {
    await Promise.all([...nodes.values()].map(n => n.stop()))
    return {}
  }
}

parentPort.on('message', async ({ id, cmd, ...args }) => {
  try {
    parentPort.postMessage({ id, ok: true, ...(await commands[cmd](args)) })
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: `${err?.name ?? 'Error'}: ${err?.message ?? err}` })
  }
})
parentPort.postMessage({ ready: true })
