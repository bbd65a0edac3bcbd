// Self-test of the interop harness alone: two peer.mjs processes talk to each
// other through the same JSON-lines protocol the Java tests use.
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
  const b = new Peer('B', { port: 0, kad: true, gossipsub: true, userAgent: 'selftest-b/1.0', connectionMonitor: false })
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
