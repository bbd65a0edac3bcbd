// Self-test of the interop harness alone: two peer.mjs processes (A, B) talk to
// each other through the same JSON-lines protocol the Java tests use; two more
// (C, D) join them for a small kad-dht check.
//
//   node --import ./polyfill.mjs selftest.mjs      (or: npm run selftest)
//
// Exits 0 when every check passed, 1 otherwise.

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { generateKeyPairFromSeed, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { base58btc } from 'multiformats/bases/base58'

const here = new URL('.', import.meta.url).pathname
const TIMEOUT_MS = 60_000

/** One peer.mjs child process with request/reply and event helpers. */
class Peer {
  constructor (name, options) {
    this.name = name
    this.nextId = 1
    this.pending = new Map()
    this.events = []
    this.waiters = []
    this.proc = spawn(process.execPath, ['--import', './polyfill.mjs', 'peer.mjs', JSON.stringify(options)], {
      cwd: here,
      stdio: ['pipe', 'pipe', 'pipe']
    })
    this.exited = new Promise(resolve => this.proc.on('exit', (code, signal) => resolve({ code, signal })))
    this.stderr = ''
    this.proc.stderr.on('data', d => { this.stderr += d })
    createInterface({ input: this.proc.stdout }).on('line', line => this.onLine(line))
  }

  onLine (line) {
    let msg
    try {
      msg = JSON.parse(line)
    } catch {
      throw new Error(`${this.name} printed a non-JSON line on stdout: ${line}`)
    }
    if (msg.event != null) {
      this.events.push(msg)
      for (const w of [...this.waiters]) {
        if (w.predicate(msg)) {
          this.waiters.splice(this.waiters.indexOf(w), 1)
          w.resolve(msg)
        }
      }
    } else {
      const p = this.pending.get(msg.id)
      if (p == null) throw new Error(`${this.name}: reply for unknown id ${line}`)
      this.pending.delete(msg.id)
      p(msg)
    }
  }

  awaitEvent (predicate, what) {
    const seen = this.events.find(predicate)
    if (seen != null) return Promise.resolve(seen)
    return withTimeout(new Promise(resolve => this.waiters.push({ predicate, resolve })), `${this.name}: event ${what}`)
  }

  /** Sends a command; resolves with the reply (ok or not). */
  request (cmd) {
    const id = this.nextId++
    const reply = new Promise(resolve => this.pending.set(id, resolve))
    this.proc.stdin.write(JSON.stringify({ id, ...cmd }) + '\n')
    return withTimeout(reply, `${this.name}: reply to ${cmd.cmd}`)
  }

  /** Sends a command that must succeed. */
  async call (cmd) {
    const reply = await this.request(cmd)
    if (reply.ok !== true) throw new Error(`${this.name}: ${cmd.cmd} failed: ${reply.error}`)
    return reply
  }
}

function withTimeout (promise, what) {
  let timer
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((resolve, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT_MS) })
  ])
}

function check (cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`)
  console.log(`ok - ${message}`)
}

const peers = []
try {
  // A has a fixed identity derived from a seed, B a random one.
  const seed = new Uint8Array(32).map((_, i) => i + 1)
  const key = await generateKeyPairFromSeed('Ed25519', seed)
  const expectedA = peerIdFromPrivateKey(key).toString()
  const expectedKeyA = Buffer.from(publicKeyToProtobuf(key.publicKey)).toString('base64')

  const a = new Peer('A', { port: 0, secret: base58btc.baseEncode(seed), kad: true, gossipsub: true })
  const b = new Peer('B', { port: 0, kad: true, gossipsub: true, userAgent: 'selftest-b/1.0', connectionMonitor: false, reqRespMaxRequestSize: 65536 })
  peers.push(a, b)
  const [readyA, readyB] = await Promise.all([
    a.awaitEvent(e => e.event === 'ready', 'ready'),
    b.awaitEvent(e => e.event === 'ready', 'ready')
  ])
  check(readyA.peerId === expectedA, `A's peer id comes from its secret (${expectedA})`)
  check(readyA.publicKey === expectedKeyA, 'A reports its protobuf public key')
  check(readyA.addrs.length === 1 && readyA.addrs[0].startsWith('/ip4/127.0.0.1/tcp/') && readyA.addrs[0].endsWith(`/p2p/${expectedA}`), `A listens on ${readyA.addrs[0]}`)

  // dial + connection events + identify both ways
  const dialed = await b.call({ cmd: 'dial', addr: readyA.addrs[0] })
  check(dialed.peerId === readyA.peerId, 'B dialed A')
  const openA = await a.awaitEvent(e => e.event === 'connection:open' && e.peerId === readyB.peerId, 'connection:open')
  check(openA.direction === 'inbound', 'A saw an inbound connection from B')
  const idOfA = await b.awaitEvent(e => e.event === 'identify' && e.peerId === readyA.peerId, 'identify of A')
  check(idOfA.publicKey === readyA.publicKey && idOfA.protocols.includes('/tinyp2p/echo/1.0.0'), 'B identified A (key, echo protocol)')
  const idOfB = await a.awaitEvent(e => e.event === 'identify' && e.peerId === readyB.peerId, 'identify of B')
  check(idOfB.publicKey === readyB.publicKey, 'A identified B')
  check(idOfB.agentVersion === 'selftest-b/1.0', 'B\'s userAgent option reached A via identify')

  // ping by peer id and by address
  const p1 = await b.call({ cmd: 'ping', peer: readyA.peerId })
  check(typeof p1.rttMs === 'number', `B pinged A by peer id (${p1.rttMs} ms)`)
  const p2 = await a.call({ cmd: 'ping', addr: readyB.addrs[0] })
  check(typeof p2.rttMs === 'number', `A pinged B by address (${p2.rttMs} ms)`)

  // peer store
  const info = await b.call({ cmd: 'peerInfo', peer: readyA.peerId })
  check(info.publicKey === readyA.publicKey, 'peerInfo has A\'s public key')
  check(info.protocols.includes('/ipfs/ping/1.0.0') && info.protocols.includes('/tinyp2p/echo/1.0.0'), 'peerInfo has A\'s protocols')
  check(info.addrs.some(x => readyA.addrs[0].startsWith(x)), 'peerInfo has A\'s listen address')
  check(typeof info.agentVersion === 'string' && info.agentVersion.length > 0, `peerInfo has agentVersion "${info.agentVersion}"`)

  // echo, both directions, including the empty case
  const e1 = await b.call({ cmd: 'echo', peer: readyA.peerId, streams: 100, bytes: 1048576 })
  check(e1.streams === 100 && e1.bytes === 1048576, `B echoed 100 x 1 MiB through A in ${e1.ms} ms`)
  const e2 = await a.call({ cmd: 'echo', peer: readyB.peerId, streams: 10, bytes: 1 })
  check(e2.streams === 10, 'A echoed 10 x 1 byte through B')
  const e3 = await a.call({ cmd: 'echo', peer: readyB.peerId, streams: 1, bytes: 0 })
  check(e3.streams === 1, 'A echoed an empty stream through B')

  const conns = await b.call({ cmd: 'connections' })
  const c = conns.connections.find(x => x.peerId === readyA.peerId)
  check(c != null && c.multiplexer === '/yamux/1.0.0' && c.encryption === '/noise' && c.direction === 'outbound', `connections: ${c?.encryption} + ${c?.multiplexer}`)

  // errors are replies, not crashes
  const bad = await a.request({ cmd: 'nope' })
  check(bad.ok === false && typeof bad.error === 'string', 'unknown command gives ok:false')
  const badPeer = await a.request({ cmd: 'peerInfo', peer: 'not-a-peer-id' })
  check(badPeer.ok === false, 'bad peer id gives ok:false')

  // gossipsub
  await a.call({ cmd: 'subscribe', topic: 'selftest' })
  await b.call({ cmd: 'subscribe', topic: 'selftest' })
  await a.awaitEvent(e => e.event === 'pubsub:subscription-change' && e.peerId === readyB.peerId, 'B subscribed')
  await b.awaitEvent(e => e.event === 'pubsub:subscription-change' && e.peerId === readyA.peerId, 'A subscribed')
  const pub = await a.call({ cmd: 'publish', topic: 'selftest', data: Buffer.from('hello').toString('base64') })
  check(pub.recipients.includes(readyB.peerId), 'A published to B')
  const msg = await b.awaitEvent(e => e.event === 'pubsub:message' && e.topic === 'selftest', 'pubsub message')
  check(Buffer.from(msg.data, 'base64').toString() === 'hello' && msg.from === readyA.peerId, 'B received A\'s message')

  // kad-dht: the routing table fills in the background after identify
  let table
  for (let i = 0; i < 50; i++) {
    table = await b.call({ cmd: 'routingTable' })
    if (table.peers.includes(readyA.peerId)) break
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  check(table.peers.includes(readyA.peerId), 'A is in B\'s kad routing table')
  const found = await b.call({ cmd: 'findPeer', peer: readyA.peerId })
  check(found.peerId === readyA.peerId, `findPeer(A) from B: ${found.addrs}`)

  // request-response /tinyp2p/req-resp/1.0.0 (B's server has a 64 KiB request limit)
  check(idOfA.protocols.includes('/tinyp2p/req-resp/1.0.0'), 'A announces /tinyp2p/req-resp/1.0.0')
  const statsBefore = await b.call({ cmd: 'requestStats' })
  const r1 = await a.call({ cmd: 'request', peer: readyB.peerId, text: 'hello req-resp' })
  check(r1.text === 'hello req-resp' && Buffer.from(r1.data, 'base64').toString() === 'hello req-resp', `request echo A→B (${r1.ms} ms)`)
  const binary = Buffer.from([0, 1, 2, 255, 254, 10])
  const r2 = await a.call({ cmd: 'request', peer: readyB.peerId, data: binary.toString('base64') })
  check(Buffer.from(r2.data, 'base64').equals(binary) && r2.text === null, 'binary request echoed, no "text" for unprintable bytes')
  const r3 = await a.call({ cmd: 'request', peer: readyB.peerId, data: '' })
  check(r3.data === '' && r3.bytes === 0, 'empty request gets an empty (not an error) response')
  const r4 = await a.request({ cmd: 'request', peer: readyB.peerId, text: 'fail' })
  check(r4.ok === false && r4.error.startsWith('RemoteError: '), `"fail" → ${r4.error}`)
  const t0 = Date.now()
  const r5 = await a.request({ cmd: 'request', peer: readyB.peerId, text: 'never', timeoutMs: 500 })
  check(r5.ok === false && r5.error.startsWith('Timeout: ') && Date.now() - t0 < 5000, `"never" with timeoutMs 500 → ${r5.error}`)
  const r6 = await a.request({ cmd: 'request', peer: readyB.peerId, text: 'big:100000', maxResponseSize: 1000 })
  check(r6.ok === false && r6.error.startsWith('ResponseTooLarge: '), `"big:100000" with maxResponseSize 1000 → ${r6.error}`)
  const r7 = await a.call({ cmd: 'request', peer: readyB.peerId, text: 'big:3000000', maxResponseSize: 3000000 })
  check(r7.bytes === 3000000 && r7.text === 'x'.repeat(3000000), `"big:3000000" within the limit: 3000000 bytes of 'x' (${r7.ms} ms)`)
  const r8 = await a.request({ cmd: 'request', peer: readyB.peerId, data: Buffer.alloc(65537).toString('base64') })
  check(r8.ok === false, `request above B's reqRespMaxRequestSize is refused: ${r8.error}`)
  const r9 = await b.call({ cmd: 'request', peer: readyA.peerId, data: Buffer.alloc(65537, 7).toString('base64') })
  check(r9.bytes === 65537, 'the same request B→A fits A\'s default 1 MiB limit')
  const parallel = await Promise.all(Array.from({ length: 50 }, (_, i) => a.call({ cmd: 'request', peer: readyB.peerId, text: `n${i}` })))
  check(parallel.every((r, i) => r.text === `n${i}`), '50 parallel requests A→B each get their own response')
  const statsB = await b.call({ cmd: 'requestStats' })
  check(statsB.inbound - statsBefore.inbound === 58 && statsB.outbound === 1, `requestStats of B: inbound ${statsB.inbound}, outbound ${statsB.outbound}`)
  const statsA = await a.call({ cmd: 'requestStats' })
  check(statsA.outbound === 58 && statsA.inbound === 1, `requestStats of A: inbound ${statsA.inbound}, outbound ${statsA.outbound}`)

  // kad with 4 nodes: C and D bootstrap off A only (A and B are connected
  // already); D then finds C and sends it a request by peer id alone
  const fastKad = { initialQuerySelfInterval: 0 }
  const cNode = new Peer('C', { port: 0, kad: true, kadOptions: fastKad })
  const dNode = new Peer('D', { port: 0, kad: true, kadOptions: fastKad })
  peers.push(cNode, dNode)
  const [readyC, readyD] = await Promise.all([
    cNode.awaitEvent(e => e.event === 'ready', 'ready'),
    dNode.awaitEvent(e => e.event === 'ready', 'ready')
  ])
  const bootC = await cNode.call({ cmd: 'bootstrap', addrs: [readyA.addrs[0]] })
  check(bootC.dialed[0] === readyA.peerId && [readyA.peerId, readyB.peerId].every(id => bootC.peers.includes(id)),
    `C bootstrapped off A: A and B in its routing table after ${bootC.ms} ms`)
  const tD = Date.now()
  await dNode.call({ cmd: 'dial', addr: readyA.addrs[0] })
  const foundC = await dNode.call({ cmd: 'findPeer', peer: readyC.peerId, useCache: false })
  check(foundC.source === 'network' && foundC.addrs.some(x => readyC.addrs[0].startsWith(x)), `D, knowing only A, found C through the DHT in ${Date.now() - tD} ms (answer from ${{ [readyA.peerId]: 'A', [readyB.peerId]: 'B', [readyC.peerId]: 'C' }[foundC.from] ?? foundC.from})`)
  const viaRouting = await dNode.call({ cmd: 'request', peer: readyC.peerId, text: 'found you' })
  check(viaRouting.text === 'found you', 'D sent C a request by peer id')
  const everyone = [readyA, readyB, readyC, readyD].map(r => r.peerId)
  const tFill = Date.now()
  for (const [p, ready] of [[a, readyA], [b, readyB], [cNode, readyC], [dNode, readyD]]) {
    let tab
    for (let i = 0; i < 100; i++) {
      tab = await p.call({ cmd: 'routingTable' })
      if (everyone.every(id => id === ready.peerId || tab.peers.includes(id))) break
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    check(everyone.every(id => id === ready.peerId || tab.peers.includes(id)), `${p.name}'s routing table holds the 3 others (mode ${tab.mode}, after ${Date.now() - tFill} ms more)`)
  }
  const closest = await a.call({ cmd: 'getClosestPeers' })
  check(closest.peers.length === 3, `getClosestPeers from A: ${closest.peers.length} peers`)
  cNode.proc.stdin.end()
  dNode.proc.stdin.end()

  // floodsub: E runs @libp2p/floodsub; A's gossipsub speaks /floodsub/1.0.0 with it
  const eNode = new Peer('E', { port: 0, floodsub: true })
  peers.push(eNode)
  const readyE = await eNode.awaitEvent(e => e.event === 'ready', 'ready')
  await eNode.call({ cmd: 'subscribe', topic: 'selftest' })
  await eNode.call({ cmd: 'dial', addr: readyA.addrs[0] })
  await eNode.awaitEvent(e => e.event === 'pubsub:subscription-change' && e.peerId === readyA.peerId, 'A subscribed')
  await a.awaitEvent(e => e.event === 'pubsub:subscription-change' && e.peerId === readyE.peerId, 'E subscribed')
  const toE = await a.call({ cmd: 'publish', topic: 'selftest', text: 'hello floodsub' })
  check(toE.recipients.includes(readyE.peerId), 'A published to E')
  const atE = await eNode.awaitEvent(e => e.event === 'pubsub:message' && Buffer.from(e.data, 'base64').toString() === 'hello floodsub', 'floodsub message')
  check(atE.from === readyA.peerId, 'E (floodsub) received A\'s message')
  const ePeers = await eNode.call({ cmd: 'pubsubPeers', topic: 'selftest' })
  check(ePeers.subscribers.includes(readyA.peerId) && ePeers.mesh === null, 'E sees A subscribed; floodsub has no mesh')
  eNode.proc.stdin.end()

  // hangup
  await b.call({ cmd: 'hangup', peer: readyA.peerId })
  await a.awaitEvent(e => e.event === 'connection:close' && e.peerId === readyB.peerId, 'connection:close')
  check(true, 'hangup closed the connection')

  // shutdown: A by "stop", B by closing its stdin
  await a.call({ cmd: 'stop' })
  const exitA = await withTimeout(a.exited, 'A to exit')
  check(exitA.code === 0, 'A exited 0 after stop')
  b.proc.stdin.end()
  const exitB = await withTimeout(b.exited, 'B to exit after stdin closed')
  check(exitB.code === 0, 'B exited 0 when its stdin closed')

  console.log('selftest: all checks passed')
  process.exit(0)
} catch (err) {
  console.error('selftest FAILED:', err)
  for (const p of peers) {
    console.error(`---- stderr of ${p.name} (last 4000 chars) ----\n${p.stderr.slice(-4000)}`)
    p.proc.kill('SIGKILL')
  }
  process.exit(1)
}
