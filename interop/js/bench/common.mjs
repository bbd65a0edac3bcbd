// Shared helpers for the js-libp2p benchmarks: the node factory, stream
// reading helpers, statistics, timeouts and the child-process server handle.
//
// Every benchmark node is TCP + Noise + Yamux (or QUIC, @chainsafe/libp2p-quic,
// when asked) on 127.0.0.1 with identify and ping, like ../peer.mjs, with the
// limits that would otherwise get in the way of a benchmark raised (connection
// count, per-protocol stream counts).

import { spawn } from 'node:child_process'
import { setMaxListeners } from 'node:events'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'

export const HERE = dirname(fileURLToPath(import.meta.url))
export const POLYFILL = join(HERE, '..', 'polyfill.mjs')

/** Installed version of a package, read from its package.json. */
export async function packageVersion (name) {
  const { readFile } = await import('node:fs/promises')
  const pkg = JSON.parse(await readFile(join(HERE, '..', 'node_modules', name, 'package.json'), 'utf8'))
  return pkg.version
}

export function log (...args) {
  console.error(`[${process.pid}]`, ...args)
}

/** The transports a bench node may have: its factory and its listen address on 127.0.0.1. */
const TRANSPORTS = {
  tcp: { create: () => tcp(), listen: (port) => `/ip4/127.0.0.1/tcp/${port}` },
  quic: {
    create: async () => (await import('@chainsafe/libp2p-quic')).quic(),
    listen: (port) => `/ip4/127.0.0.1/udp/${port}/quic-v1`
  }
}
export const TRANSPORT_NAMES = Object.keys(TRANSPORTS)

/**
 * A js-libp2p node for benchmarks.
 *   transport: "tcp" (+ Noise + Yamux, the default) or "quic" (quic-v1: TLS 1.3 inside QUIC, QUIC's streams)
 *   listen: listen on 127.0.0.1 (an ephemeral port unless `port`); clients do not need to
 *   gossipsub: also run @libp2p/gossipsub (colocation scoring off: every node is on 127.0.0.1)
 *   connectionMonitor: keep js-libp2p's 10 s ping heartbeat per connection (default on, as in production)
 */
export async function createBenchNode ({ transport = 'tcp', listen = true, port = 0, gossipsub = false, gossipsubOptions = {}, connectionMonitor = true } = {}) {
  const t = TRANSPORTS[transport]
  if (t == null) throw new Error(`unknown transport ${JSON.stringify(transport)}; known: ${TRANSPORT_NAMES.join(', ')}`)
  const services = {
    identify: identify(),
    ping: ping({ maxInboundStreams: 32, maxOutboundStreams: 32 })
  }
  if (gossipsub) {
    const { gossipsub: createGossipsub } = await import('@libp2p/gossipsub')
    services.pubsub = createGossipsub({
      scoreParams: { IPColocationFactorWeight: 0 },
      ...gossipsubOptions
    })
  }
  return createLibp2p({
    addresses: { listen: listen ? [t.listen(port)] : [] },
    transports: [await t.create()],
    // QUIC brings its own security and streams; these two serve TCP
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: connectionMonitor },
    connectionManager: {
      // loopback is exempt from the inbound rate limit, the pending-connection
      // cap and pruning; the default 300 connections would cap "footprint"
      allow: ['/ip4/127.0.0.0/ipcidr/8'],
      maxConnections: 10_000
    },
    services
  })
}

// ---------------------------------------------------------------- streams

/**
 * Reads a stream until the remote has closed its write side, handing every
 * chunk (Uint8Array or Uint8ArrayList) to onChunk. Resolves once the remote's
 * close was seen AND every buffered byte was delivered; rejects when the stream
 * is reset/aborted or the signal fires.
 *
 * Why not just 'end' or `for await`: yamux in js reports a FIN before the
 * payload of the same frame, and bytes read ahead during protocol negotiation
 * are pushed back and delivered on a later tick. So "finished" is only decided
 * in a microtask, and only when nothing is left in the read buffer.
 */
export function readUntilEnd (stream, onChunk, signal) {
  return new Promise((resolve, reject) => {
    let done = false
    const finish = (err) => {
      if (done) return
      done = true
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('remoteCloseWrite', check)
      stream.removeEventListener('end', check)
      stream.removeEventListener('close', onClose)
      signal?.removeEventListener('abort', onAbort)
      if (err != null) reject(err)
      else resolve()
    }
    const check = () => queueMicrotask(() => {
      if (!done && stream.remoteWriteStatus === 'closed' && stream.readBufferLength === 0) finish()
    })
    const onMessage = (evt) => {
      try {
        onChunk(evt.data)
      } catch (err) {
        finish(err)
        return
      }
      if (stream.remoteWriteStatus === 'closed') check()
    }
    const onClose = (evt) => {
      if (evt.error != null) finish(evt.error)
      else check()
    }
    const onAbort = () => finish(signal.reason ?? new Error('aborted'))
    stream.addEventListener('message', onMessage)
    stream.addEventListener('remoteCloseWrite', check)
    stream.addEventListener('end', check)
    stream.addEventListener('close', onClose)
    if (signal != null) {
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    }
    // the remote may have closed before we started listening
    check()
  })
}

/** Sends `total` bytes taken from `chunk` (repeated), honouring backpressure. */
export async function sendRepeated (stream, chunk, total, signal) {
  let left = total
  while (left > 0) {
    const n = Math.min(left, chunk.length)
    left -= n
    if (!stream.send(n === chunk.length ? chunk : chunk.subarray(0, n))) {
      await stream.onDrain({ signal })
    }
  }
}

// ---------------------------------------------------------------- statistics

/** Nearest-rank percentile (p in 0..100) of an unsorted array; null when empty. */
export function percentile (values, p) {
  if (values.length === 0) return null
  const sorted = Float64Array.from(values).sort()
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p / 100 * sorted.length)))
  return sorted[rank - 1]
}

/** Rounds to `digits` decimals (keeps JSON output readable). */
export function round (x, digits = 3) {
  if (x == null || !Number.isFinite(x)) return x ?? null
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export const MB = 1e6

// ---------------------------------------------------------------- time

export const sleep = (ms) => new Promise(resolve => setTimeout(resolve, ms))

/** An AbortSignal that fires after ms, usable by many listeners. */
export function timeoutSignal (ms) {
  const signal = AbortSignal.timeout(ms)
  setMaxListeners(Infinity, signal)
  return signal
}

/** Rejects with a TimeoutError named after `what` unless the promise settles within ms. */
export function withTimeout (promise, ms, what) {
  let timer
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`${what} did not finish within ${ms} ms`)
      err.name = 'TimeoutError'
      reject(err)
    }, ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Deterministic PRNG (mulberry32): returns floats in [0, 1). */
export function seededRandom (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// ---------------------------------------------------------------- child server

/**
 * Starts server.mjs in a child node process and waits for its ready line.
 * Returns { addr, peerId, pid, call(cmd) → reply, stop() }.
 * `gc: true` runs the child with --expose-gc (needed for the "heap" command);
 * `transport` is the server node's (createBenchNode).
 */
export async function spawnServer ({ gc = false, transport = 'tcp', timeoutMs = 20_000 } = {}) {
  // BENCH_SERVER_NODE_ARGS: extra node flags for the server, e.g. "--cpu-prof" when profiling
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(a => a !== '')
  const args = ['--import', POLYFILL, ...(gc ? ['--expose-gc'] : []), ...extra, join(HERE, 'server.mjs'), transport]
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity })
  const waiting = new Map()
  let nextId = 1
  let ready
  const readyPromise = new Promise((resolve, reject) => { ready = { resolve, reject } })
  const exited = new Promise(resolve => child.once('exit', (code, sig) => {
    const err = new Error(`server process exited (code ${code}, signal ${sig})`)
    ready.reject(err)
    for (const w of waiting.values()) w.reject(err)
    waiting.clear()
    resolve()
  }))
  child.once('error', (err) => ready.reject(err))
  // writing to a dead child must not crash us (its exit rejects the callers)
  child.stdin.on('error', () => {})
  lines.on('line', (line) => {
    let msg
    try { msg = JSON.parse(line) } catch { log('server said:', line); return }
    if (msg.event === 'ready') { ready.resolve(msg); return }
    const w = waiting.get(msg.id)
    if (w == null) return
    waiting.delete(msg.id)
    if (msg.ok) w.resolve(msg)
    else w.reject(new Error(`server: ${msg.error}`))
  })

  let info
  try {
    info = await withTimeout(readyPromise, timeoutMs, 'server start')
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }

  const call = (cmd, ms = 30_000) => {
    const id = nextId++
    const reply = new Promise((resolve, reject) => waiting.set(id, { resolve, reject }))
    child.stdin.write(JSON.stringify({ ...cmd, id }) + '\n')
    return withTimeout(reply, ms, `server command ${cmd.cmd}`)
  }

  let stopped = null
  const stop = () => {
    if (stopped != null) return stopped
    // closing stdin makes the server stop its node and exit; kill it if it lingers
    child.stdin.end()
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    stopped = exited.finally(() => clearTimeout(timer))
    return stopped
  }

  return { addr: info.addrs[0], peerId: info.peerId, pid: child.pid, call, stop }
}
