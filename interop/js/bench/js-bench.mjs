// js-libp2p ⇄ js-libp2p benchmarks for tinyp2p (the js side of the comparison).
//
//   node --import ../polyfill.mjs js-bench.mjs '<json params>'
//
// Prints ONE JSON object on stdout (everything else goes to stderr) and exits 0,
// also when a workload failed: that workload's object then carries an "error"
// field next to whatever it had measured. See README.md in this folder for the
// parameters, the exact output format and how each number is measured.
//
// throughput and connections run once per transport of "transports" (default
// ["tcp", "quic"]): the same workload, its nodes on that transport (QUIC:
// @chainsafe/libp2p-quic); the TCP result is output.throughput /
// output.connections, the QUIC one output.throughputQuic /
// output.connectionsQuic, whose parameters {"throughputQuic": {...}} overrides.
//
// Process layout (the machine has 2 cores and node is single-threaded):
//   throughput, reqresp, connections, footprint: the client node runs in this
//     process, the server node in a child process (server.mjs), so each side
//     has a core of its own;
//   gossipsub: the nodes in worker threads of this process (one per CPU by
//     default, node i in thread i % threads), so they too can use both cores.

import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import os from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { multiaddr } from '@multiformats/multiaddr'
import {
  HERE, MB, TRANSPORT_NAMES, createBenchNode, log, packageVersion, percentile, round, seededRandom,
  sleep, spawnServer, timeoutSignal, withTimeout
} from './common.mjs'
import { runPerf } from './perf.mjs'
import { request } from './req-resp.mjs'

console.log = console.error // stdout carries the result only
process.on('unhandledRejection', (err) => log('unhandled rejection:', err))

// ---------------------------------------------------------------- parameters

const DEFAULTS = {
  throughput: { bytes: 1073741824, warmupBytes: 268435456, runs: 3, timeoutMs: 300_000 },
  reqresp: { requests: 20000, size: 100, inFlight: 64, sequential: 2000, warmup: 1000, timeoutMs: 90_000 },
  gossipsub: {
    nodes: 20, messages: 200, size: 1024, ratePerSec: 50, degree: 3, seed: 1, threads: os.cpus().length,
    topic: 'tinyp2p-bench', gossipsubOptions: {}, settleTimeoutMs: 20_000, settleExtraMs: 1_500, drainMs: 5_000, timeoutMs: 300_000,
    // the maximum sustained rate: trials of `seconds` of open-loop load, doubling from `start`, then bisecting
    maxRate: { start: 50, seconds: 3, capacity: 400_000, drainMs: 5_000, p99LimitMs: 1000 }
  },
  connections: { count: 200, parallel: 1, warmup: 10, timeoutMs: 60_000 },
  footprint: { idle: 100, settleMs: 1_000, timeoutMs: 60_000 }
}
const WORKLOADS = Object.keys(DEFAULTS)
// the workloads that run once per transport, with the transport as a parameter
const PER_TRANSPORT = ['throughput', 'connections']
/** Where a workload's result over `transport` goes: its name for TCP, name + "Quic" for QUIC. */
const resultKey = (name, transport) => transport === 'tcp' ? name : name + transport[0].toUpperCase() + transport.slice(1)

/** Bad parameters: one JSON line with the reason, exit 2. */
function usage (message) {
  process.stdout.write(JSON.stringify({ error: `Usage: ${message}` }) + '\n', () => process.exit(2))
  return new Promise(() => {}) // nothing else runs
}

let input
try {
  input = JSON.parse(process.argv[2] ?? '{}')
} catch (err) {
  await usage(`the argument must be a JSON object (${err.message})`)
}
const only = input.only ?? WORKLOADS
for (const name of only) {
  if (!WORKLOADS.includes(name)) await usage(`unknown workload ${JSON.stringify(name)}; known: ${WORKLOADS.join(', ')}`)
}
const transports = input.transports ?? TRANSPORT_NAMES
for (const t of transports) {
  if (!TRANSPORT_NAMES.includes(t)) await usage(`unknown transport ${JSON.stringify(t)}; known: ${TRANSPORT_NAMES.join(', ')}`)
}
// per-workload parameters: {"reqresp": {"requests": 1000}} overrides the defaults
const params = Object.fromEntries(WORKLOADS.map(name => [name, { ...DEFAULTS[name], ...(input[name] ?? {}) }]))
// the whole run stays within this, whatever the workloads' own timeouts say
const budgetMs = (input.budgetSeconds ?? 300) * 1000

// ---------------------------------------------------------------- helpers

/** Dials the server child from `node` and returns the connection. */
async function dialServer (node, server, signal) {
  return node.dial(multiaddr(server.addr), { signal })
}

/**
 * Runs fn(i) for i in [0, total) with at most `parallel` calls in flight, in
 * index order. Stops at the first failure and rethrows it.
 */
async function runPool (total, parallel, fn) {
  let next = 0
  let failure = null
  const worker = async () => {
    while (failure == null && next < total) {
      const i = next++
      try {
        await fn(i)
      } catch (err) {
        failure ??= err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, total) }, worker))
  if (failure != null) throw failure
}

/**
 * Tracks successful identify exchanges of `node` (its own identify request on
 * a connection) so that callers can wait for the one on a given connection.
 */
function identifyTracker (node) {
  const done = new Set()
  const waiters = new Map()
  node.addEventListener('peer:identify', (evt) => {
    const id = evt.detail.connection.id
    done.add(id)
    waiters.get(id)?.()
    waiters.delete(id)
  })
  return {
    wait (connection, ms) {
      if (done.has(connection.id)) return Promise.resolve()
      const p = new Promise(resolve => waiters.set(connection.id, resolve))
      return withTimeout(p, ms, `identify on connection ${connection.id}`)
        .finally(() => waiters.delete(connection.id))
    },
    forget (connection) { done.delete(connection.id) }
  }
}

// ---------------------------------------------------------------- workloads

/**
 * throughput (over p.transport): one /perf/1.0.0 stream on one connection, uploading `bytes` and
 * then downloading `bytes`; the two phases are timed separately (perf.mjs).
 * A smaller exchange on the same connection first warms up the JIT (yamux's
 * receive window is per stream and grows during each run).
 */
async function throughput (p, { result, defer, signal }) {
  Object.assign(result, { transport: p.transport, bytes: p.bytes, layout: 'client: bench process, server: child process' })
  const server = await spawnServer({ transport: p.transport })
  defer(() => server.stop())
  const client = await createBenchNode({ transport: p.transport, listen: false })
  defer(() => client.stop())
  const connection = await dialServer(client, server, signal)
  if (p.warmupBytes > 0) await runPerf(connection, { uploadBytes: p.warmupBytes, downloadBytes: p.warmupBytes, signal })
  // `runs` runs each way (as the Java side does); the median is the figure
  const up = []
  const down = []
  for (let i = 0; i < p.runs; i++) {
    const u = await runPerf(connection, { uploadBytes: p.bytes, downloadBytes: 0, signal })
    up.push(round(p.bytes / MB / u.uploadSeconds, 2))
  }
  for (let i = 0; i < p.runs; i++) {
    const d = await runPerf(connection, { uploadBytes: 0, downloadBytes: p.bytes, signal })
    down.push(round(p.bytes / MB / d.downloadSeconds, 2))
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  Object.assign(result, {
    runs: p.runs,
    uploadMBps: median(up),
    downloadMBps: median(down),
    uploadRunsMBps: up,
    downloadRunsMBps: down
  })
}

/**
 * reqresp: /tinyp2p/req-resp/1.0.0 against the echo server, all on one
 * connection, each request on its own stream. First `requests` requests with
 * `inFlight` outstanding at any time, then `sequential` ones strictly one
 * after the other. A latency runs from opening the stream to the last byte of
 * the response (see request() in req-resp.mjs); every echo is checked.
 */
async function reqresp (p, { result, defer, signal }) {
  Object.assign(result, { requests: p.requests, size: p.size, inFlight: p.inFlight, layout: 'client: bench process, server: child process' })
  const server = await spawnServer()
  defer(() => server.stop())
  const client = await createBenchNode({ listen: false })
  defer(() => client.stop())
  const connection = await dialServer(client, server, signal)
  const payload = randomBytes(p.size)

  const one = async () => {
    const { response, ms } = await request(connection, payload, { signal })
    if (!payload.equals(response)) throw new Error(`echo mismatch (${response.length} bytes back for ${payload.length})`)
    return ms
  }

  await runPool(p.warmup, p.inFlight, one)

  const latencies = new Float64Array(p.requests)
  let started = performance.now()
  await runPool(p.requests, p.inFlight, async (i) => { latencies[i] = await one() })
  let seconds = (performance.now() - started) / 1000
  Object.assign(result, {
    requestsPerSec: round(p.requests / seconds, 1),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    seconds: round(seconds, 3)
  })

  result.sequential = p.sequential
  const seq = new Float64Array(p.sequential)
  started = performance.now()
  for (let i = 0; i < p.sequential; i++) seq[i] = await one()
  seconds = (performance.now() - started) / 1000
  Object.assign(result, {
    seqP50Ms: round(percentile(seq, 50)),
    seqP99Ms: round(percentile(seq, 99)),
    seqRequestsPerSec: round(p.sequential / seconds, 1)
  })
}

/**
 * gossipsub: `nodes` js nodes spread round-robin over `threads` worker threads
 * (gossip-worker.mjs; node i lives in thread i % threads), all subscribed to
 * one topic. Node i dials `degree` others drawn with a seeded PRNG (pairs
 * already connected are not drawn again; a draw that leaves the graph
 * disconnected is redone with the next seed). Once every node knows all its
 * neighbours' subscriptions and has a mesh of min(Dlo = 4, neighbours) peers,
 * plus settleExtraMs, `messages` messages of `size` bytes are published from
 * random nodes at `ratePerSec` (fixed schedule, driven from this thread).
 * Payload: u32 index ‖ f64 send time ‖ zeros. Latency of a message = the
 * moment the LAST of the other nodes received it − its send time, both on
 * process.hrtime (one clock for all threads); counted over messages that
 * reached every node.
 */
async function gossipsub (p, { result, defer, signal }) {
  if (p.size < 12) throw new Error('gossipsub size must be at least 12 bytes (index + timestamp)')
  const threads = Math.max(1, Math.min(p.threads, p.nodes))
  Object.assign(result, {
    nodes: p.nodes, messages: p.messages, size: p.size, ratePerSec: p.ratePerSec, degree: p.degree,
    layout: `${threads} worker thread(s) in the bench process, nodes round-robin`
  })

  // the worker threads and their nodes
  const workers = Array.from({ length: threads }, () => startWorker(join(HERE, 'gossip-worker.mjs')))
  defer(() => Promise.all(workers.map(w => w.terminate())))
  defer(() => Promise.all(workers.map(w => w.call({ cmd: 'stop' }, 10_000).catch(() => {}))))
  const owner = (i) => workers[i % threads]
  const addrs = {}
  await Promise.all(workers.map(async (w, t) => {
    const indices = Array.from({ length: p.nodes }, (_, i) => i).filter(i => i % threads === t)
    const capacity = p.messages + (p.maxRate ? p.maxRate.capacity : 0)
    const r = await w.call({ cmd: 'init', indices, topic: p.topic, messages: capacity, gossipsubOptions: p.gossipsubOptions })
    Object.assign(addrs, r.addrs)
  }))

  // the graph
  let seed = p.seed
  let edges
  for (;; seed++) {
    edges = drawGraph(p.nodes, p.degree, seed)
    if (isConnected(p.nodes, edges)) break
    if (seed - p.seed > 100) throw new Error('no connected graph within 100 seeds')
  }
  Object.assign(result, { seed, edges: edges.length })
  await Promise.all(workers.map(w => w.call({ cmd: 'dial', edges, addrs })))

  // wait for the mesh
  const settleStarted = performance.now()
  let settled = false
  const statuses = async () => (await Promise.all(workers.map(w => w.call({ cmd: 'status' })))).flatMap(r => r.nodes)
  while (performance.now() - settleStarted < p.settleTimeoutMs) {
    signal.throwIfAborted()
    settled = (await statuses()).every(s => s.subscribers >= s.neighbours && s.mesh >= Math.min(4, s.neighbours))
    if (settled) break
    await sleep(50)
  }
  result.settled = settled
  result.settleMs = Math.round(performance.now() - settleStarted)
  await sleep(p.settleExtraMs)
  const meshSizes = (await statuses()).map(s => s.mesh)
  result.meshMin = Math.min(...meshSizes)
  result.meshMax = Math.max(...meshSizes)

  // publish on a fixed schedule from random nodes
  const random = seededRandom(p.seed ^ 0x9e3779b9)
  const interval = 1000 / p.ratePerSec
  const sentAt = new Float64Array(p.messages).fill(NaN)
  const publishes = []
  let publishErrors = 0
  const publishStarted = performance.now()
  for (let i = 0; i < p.messages; i++) {
    const wait = publishStarted + i * interval - performance.now()
    if (wait > 0) await sleep(wait)
    signal.throwIfAborted()
    const node = Math.floor(random() * p.nodes)
    publishes.push(owner(node).call({ cmd: 'publish', node, index: i, size: p.size }).then(
      (r) => { sentAt[i] = r.sentAt },
      (err) => { publishErrors++; log(`gossipsub: publishing message ${i} from node ${node} failed:`, err.message) }
    ))
  }
  result.publishSeconds = round((performance.now() - publishStarted) / 1000, 3)
  await Promise.all(publishes)

  // wait for the stragglers, then gather what every thread saw
  const expected = p.messages * (p.nodes - 1)
  const gather = async () => {
    const all = await Promise.all(workers.map(w => w.call({ cmd: 'results', from: 0, to: p.messages })))
    const receivedBy = new Uint32Array(p.messages)
    const lastAt = new Float64Array(p.messages)
    for (const r of all) {
      for (let i = 0; i < p.messages; i++) {
        receivedBy[i] += r.receivedBy[i]
        lastAt[i] = Math.max(lastAt[i], r.lastAt[i])
      }
    }
    return {
      receivedBy,
      lastAt,
      delivered: all.reduce((a, r) => a + r.delivered, 0),
      duplicates: all.reduce((a, r) => a + r.duplicates, 0)
    }
  }
  const drainUntil = performance.now() + p.drainMs
  let seen = await gather()
  while (seen.delivered < expected && performance.now() < drainUntil) {
    await sleep(50)
    seen = await gather()
  }

  const latencies = []
  for (let i = 0; i < p.messages; i++) {
    if (seen.receivedBy[i] === p.nodes - 1 && !Number.isNaN(sentAt[i])) latencies.push(seen.lastAt[i] - sentAt[i])
  }
  // how long after the last publish the last delivery happened: far above
  // the p50 means the nodes could not keep up and a backlog built up
  const lastSent = sentAt.reduce((a, b) => Number.isNaN(b) ? a : Math.max(a, b), -Infinity)
  const lastDelivery = seen.lastAt.reduce((a, b) => Math.max(a, b), -Infinity)
  Object.assign(result, {
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    backlogMs: Number.isFinite(lastSent) && lastDelivery > 0 ? round(lastDelivery - lastSent, 1) : null,
    deliveryRatio: round(seen.delivered / expected, 5),
    received: seen.delivered,
    expected,
    fullyDelivered: latencies.length,
    duplicates: seen.duplicates,
    publishErrors
  })
  if (p.maxRate) Object.assign(result, await maxRate(p, workers, owner, random, signal))
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6 // the workers' clock too

/**
 * The highest offered rate the network sustains (every message to every other node, p99 from
 * its scheduled time within p99LimitMs): trials of open-loop load, doubling from `start` until
 * one fails, then bisecting between the last that held and the first that did not. Messages
 * of the trials follow the fixed run's indices.
 */
async function maxRate (p, workers, owner, random, signal) {
  const m = p.maxRate
  let next = p.messages
  const trials = []
  const trial = async (rate) => {
    const count = Math.max(50, Math.round(rate * m.seconds))
    if (next + count > p.messages + m.capacity) throw new Error('gossipsub maxRate: out of message capacity')
    const first = next
    next += count
    const due = new Float64Array(count)
    const t0 = nowMs() + 20
    const publishes = []
    let errors = 0
    for (let i = 0; i < count; i++) {
      due[i] = t0 + i * 1000 / rate
      const wait = due[i] - nowMs()
      if (wait > 1) await sleep(wait)
      signal.throwIfAborted()
      const node = Math.floor(random() * p.nodes)
      publishes.push(owner(node).call({ cmd: 'publish', node, index: first + i, size: p.size }).catch(() => { errors++ }))
    }
    const offeredSeconds = (nowMs() - t0) / 1000
    const expected = count * (p.nodes - 1)
    const gather = async () => {
      const all = await Promise.all(workers.map(w => w.call({ cmd: 'results', from: first, to: first + count })))
      const receivedBy = new Uint32Array(count)
      const lastAt = new Float64Array(count)
      for (const r of all) {
        for (let i = 0; i < count; i++) {
          receivedBy[i] += r.receivedBy[i]
          lastAt[i] = Math.max(lastAt[i], r.lastAt[i])
        }
      }
      return { receivedBy, lastAt, delivered: receivedBy.reduce((a, b) => a + b, 0) }
    }
    const drainUntil = nowMs() + m.drainMs
    await Promise.race([Promise.all(publishes), sleep(m.drainMs)])
    let seen = await gather()
    while (seen.delivered < expected && nowMs() < drainUntil) {
      await sleep(50)
      seen = await gather()
    }
    const latencies = []
    for (let i = 0; i < count; i++) {
      if (seen.receivedBy[i] === p.nodes - 1) latencies.push(seen.lastAt[i] - due[i])
    }
    const p99 = percentile(latencies, 99)
    const r = {
      offeredPerSec: rate,
      publishedPerSec: round(count / offeredSeconds, 1),
      messages: count,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(p99),
      deliveryRatio: round(seen.delivered / expected, 5),
      publishErrors: errors,
      sustained: latencies.length === count && p99 <= m.p99LimitMs
    }
    trials.push(r)
    log(`gossipsub trial: ${JSON.stringify(r)}`)
    if (!r.sustained) await sleep(3000) // let an overloaded network drain before the next trial
    return r.sustained
  }
  let good = 0
  let bad = -1
  for (let rate = m.start; bad < 0 && rate <= 100_000; rate *= 2) {
    if (await trial(rate)) good = rate
    else bad = rate
  }
  for (let step = 0; step < 4 && bad > 0 && bad - good > Math.max(1, good / 16); step++) {
    const mid = good === 0 ? Math.floor(bad / 2) : Math.floor((good + bad) / 2)
    if (await trial(mid)) good = mid
    else bad = mid
  }
  return { maxRatePerSec: good, firstFailedPerSec: bad, trials }
}

/** Starts a worker thread speaking gossip-worker.mjs's request/reply protocol. */
function startWorker (file) {
  const worker = new Worker(file, { stdout: false, stderr: false })
  const waiting = new Map()
  let nextId = 1
  let failed = null
  const ready = new Promise((resolve, reject) => {
    worker.on('message', (msg) => {
      if (msg.ready) { resolve(); return }
      const w = waiting.get(msg.id)
      if (w == null) return
      waiting.delete(msg.id)
      if (msg.ok) w.resolve(msg)
      else w.reject(new Error(msg.error))
    })
    const fail = (err) => {
      failed = err
      reject(err)
      for (const w of waiting.values()) w.reject(err)
      waiting.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`worker thread exited (code ${code})`)))
  })
  ready.catch(() => {})
  return {
    async call (cmd, ms = 30_000) {
      await ready
      if (failed != null) throw failed
      const id = nextId++
      const reply = new Promise((resolve, reject) => waiting.set(id, { resolve, reject }))
      worker.postMessage({ ...cmd, id })
      return withTimeout(reply, ms, `worker command ${cmd.cmd}`)
    },
    terminate: () => worker.terminate()
  }
}

/** Node i dials `degree` distinct others not yet linked to it; returns [from, to] pairs. */
function drawGraph (n, degree, seed) {
  const random = seededRandom(seed)
  const linked = Array.from({ length: n }, () => new Set())
  const edges = []
  for (let i = 0; i < n; i++) {
    const candidates = []
    for (let j = 0; j < n; j++) if (j !== i && !linked[i].has(j)) candidates.push(j)
    for (let k = 0; k < degree && candidates.length > 0; k++) {
      const j = candidates.splice(Math.floor(random() * candidates.length), 1)[0]
      linked[i].add(j)
      linked[j].add(i)
      edges.push([i, j])
    }
  }
  return edges
}

function isConnected (n, edges) {
  const adjacent = Array.from({ length: n }, () => [])
  for (const [a, b] of edges) { adjacent[a].push(b); adjacent[b].push(a) }
  const seen = new Set([0])
  const todo = [0]
  while (todo.length > 0) for (const j of adjacent[todo.pop()]) if (!seen.has(j)) { seen.add(j); todo.push(j) }
  return seen.size === n
}

/**
 * connections (over p.transport): the client (this process) dials the server child `count`
 * times, each a new connection (dial with force: true): TCP + multistream +
 * Noise + multistream + Yamux, or QUIC's handshake (TLS 1.3 inside), then waits
 * until its identify request on that connection succeeded, then closes it and
 * awaits the close. `parallel` such loops run at once (default 1: strictly one
 * connection after the other). connectionsPerSec = count / wall time of the
 * whole loop (closes included); per connection, connectedP50Ms / connectedP99Ms
 * are dial start → the dial's connection (authenticated, multiplexed), p50Ms /
 * p99Ms dial start → identify done.
 */
async function connections (p, { result, defer, signal }) {
  Object.assign(result, { transport: p.transport, count: p.count, parallel: p.parallel, layout: 'client: bench process, server: child process' })
  const server = await spawnServer({ transport: p.transport })
  defer(() => server.stop())
  const client = await createBenchNode({ transport: p.transport, listen: false })
  defer(() => client.stop())
  const identified = identifyTracker(client)
  const addr = multiaddr(server.addr)

  const one = async () => {
    const started = performance.now()
    const connection = await client.dial(addr, { signal, force: true })
    const connectedMs = performance.now() - started
    await identified.wait(connection, 10_000)
    const ms = performance.now() - started
    await connection.close({ signal })
    identified.forget(connection)
    return { connectedMs, ms }
  }

  await runPool(p.warmup, p.parallel, one)
  const connected = new Float64Array(p.count)
  const latencies = new Float64Array(p.count)
  const started = performance.now()
  await runPool(p.count, p.parallel, async (i) => { ({ connectedMs: connected[i], ms: latencies[i] } = await one()) })
  const seconds = (performance.now() - started) / 1000
  Object.assign(result, {
    connectionsPerSec: round(p.count / seconds, 1),
    connectedP50Ms: round(percentile(connected, 50)),
    connectedP99Ms: round(percentile(connected, 99)),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    seconds: round(seconds, 3)
  })
}

/**
 * footprint: the server child runs with --expose-gc. Its heap (heapUsed after
 * two forced GCs) is read once it is idle, then again once it holds `idle`
 * idle connections from `idle` distinct client peers (one js node each, all in
 * this process), every connection identified in both directions, plus
 * settleMs. heapPerConnectionKiB = (after − before) / idle.
 */
async function footprint (p, { result, defer, signal }) {
  Object.assign(result, { idle: p.idle, layout: 'server: child process (--expose-gc), clients: bench process, one client node per connection' })
  const server = await spawnServer({ gc: true })
  defer(() => server.stop())
  await sleep(p.settleMs)
  const before = await server.call({ cmd: 'heap' })

  const clients = []
  defer(() => Promise.all(clients.map(c => c.stop())))
  const addr = multiaddr(server.addr)
  await runPool(p.idle, 8, async () => {
    const client = await createBenchNode({ listen: false })
    clients.push(client)
    const identified = identifyTracker(client)
    const connection = await client.dial(addr, { signal })
    await identified.wait(connection, 10_000)
  })
  // the server must have identified every client too
  let status
  for (;;) {
    status = await server.call({ cmd: 'connections' })
    if (status.count >= p.idle && status.identified >= p.idle) break
    signal.throwIfAborted()
    await sleep(50)
  }
  await sleep(p.settleMs)
  const after = await server.call({ cmd: 'heap' })
  status = await server.call({ cmd: 'connections' })
  if (status.count !== p.idle) throw new Error(`server holds ${status.count} connections, expected ${p.idle}`)
  const KiB = 1024
  Object.assign(result, {
    heapPerConnectionKiB: round((after.heapUsed - before.heapUsed) / p.idle / KiB, 2),
    heapWith100KiB: round(after.heapUsed / KiB, 1),
    heapBeforeKiB: round(before.heapUsed / KiB, 1),
    rssBeforeKiB: round(before.rss / KiB, 0),
    rssAfterKiB: round(after.rss / KiB, 0)
  })
}

const RUNNERS = { throughput, reqresp, gossipsub, connections, footprint }

// ---------------------------------------------------------------- runner

/**
 * Runs one workload under a timeout. Whatever it put in `result` survives a
 * failure, which is recorded as result.error. Its cleanups (nodes, children)
 * always run, each bounded in time.
 */
async function runWorkload (name, timeoutMs, p = params[name], label = name) {
  const result = {}
  const cleanups = []
  const controller = new AbortController()
  const signal = AbortSignal.any([controller.signal, timeoutSignal(timeoutMs)])
  setMaxListeners(Infinity, signal) // shared by every request / dial of the workload
  const started = performance.now()
  log(`${label}: starting (timeout ${timeoutMs} ms)`)
  try {
    const run = RUNNERS[name](p, { result, defer: (f) => cleanups.push(f), signal })
    run.catch(() => {}) // if the timeout wins, a later rejection is expected
    await withTimeout(run, timeoutMs, label)
  } catch (err) {
    result.error = `${err?.name ?? 'Error'}: ${err?.message ?? err}`
    log(`${label}: failed:`, err)
  } finally {
    controller.abort(new Error(`${label} is over`))
    for (const cleanup of cleanups.reverse()) {
      await withTimeout(Promise.resolve().then(cleanup), 10_000, `${label} cleanup`)
        .catch(err => log(`${label}: cleanup failed:`, err.message))
    }
  }
  result.wallSeconds = round((performance.now() - started) / 1000, 2)
  log(`${label}:`, JSON.stringify(result))
  return result
}

const runStarted = performance.now()
const output = {
  impl: `js-libp2p ${await packageVersion('libp2p')}`,
  node: process.version,
  cpus: os.cpus().length,
  startedAt: new Date().toISOString(),
  // other work on the machine skews every number: 1-minute load average before / after
  loadAvgStart: round(os.loadavg()[0], 2)
}
for (const name of WORKLOADS) {
  if (!only.includes(name)) continue
  for (const transport of PER_TRANSPORT.includes(name) ? transports : [null]) {
    const key = transport == null ? name : resultKey(name, transport)
    const left = budgetMs - (performance.now() - runStarted)
    if (left < 15_000) {
      output[key] = { error: 'Skipped: the run\'s time budget is used up' }
      continue
    }
    // {"throughputQuic": {...}} overrides the throughput parameters over QUIC only
    const p = transport == null ? params[name] : { ...params[name], ...(key === name ? {} : input[key] ?? {}), transport }
    output[key] = await runWorkload(name, Math.floor(Math.min(p.timeoutMs, left - 10_000)), p, key)
  }
}
output.loadAvgEnd = round(os.loadavg()[0], 2)
output.totalSeconds = round((performance.now() - runStarted) / 1000, 2)
// stdout may be a pipe: exit only once the line is written
process.stdout.write(JSON.stringify(output) + '\n', () => process.exit(0))
