// A js-libp2p 3.x peer for tinyp2p's interop tests, driven by JSON lines.
//
//   node --import ./polyfill.mjs peer.mjs '{"port":0,"secret":"<base58btc seed>","kad":false,"gossipsub":false}'
//
// Options (all optional): port (0 = any), secret (base58btc of a 32-byte
// Ed25519 seed; random identity without it), kad, gossipsub (enable those
// services), floodsub (floodsub instead of gossipsub as the pubsub service),
// kadOptions / gossipsubOptions / floodsubOptions / yamuxOptions (merged into
// the factories' init), connectionMonitor (false disables the 10 s ping heartbeat),
// userAgent (identify's agentVersion), reqRespMaxRequestSize (largest request
// the /tinyp2p/req-resp/1.0.0 server accepts, default 1 MiB), security (the
// connection encrypters in order of preference, out of "noise" and "tls";
// default ["noise"]), transports ("tcp" and "quic", default ["tcp"]; quicPort
// for QUIC's listen port), host (the IPv4 address to listen on, default
// 127.0.0.1), autonat (the @libp2p/autonat service, AutoNAT v1 server and
// client; autonatOptions merged into its init), relayServer (serve Circuit
// Relay v2's hop protocol, relayServerOptions merged into circuitRelayServer's
// init), relayTransport (dial and listen through relays; relays: relay
// multiaddrs to reserve a slot on, listened on as <relay>/p2p-circuit), dcutr
// (the @libp2p/dcutr service, hole punching over relayed connections with
// /libp2p/dcutr; needs identify, which every peer runs; dcutrOptions merged
// into its init), allow (extra multiaddr ranges such as
// "/ip4/11.0.113.0/ipcidr/24" for the connection manager's allow list, which
// always holds 127.0.0.0/8: peers there are exempt from the inbound rate limit,
// the pending-connection cap and pruning), appendAnnounce (multiaddrs announced
// besides the listen addresses, taken as verified: js-libp2p 3 leaves a listen
// address on a public IP out of its own addresses, identify and relay
// reservations until AutoNAT confirms it, so a peer on a public host announces
// it here). See README.md for the command set.
//
// stdout carries ONLY JSON lines: the "ready" line first, then events
// ({"event":...}) and one reply per command ({"id":..,"ok":..}), interleaved.
// Everything else (libp2p debug logs via DEBUG=libp2p*, our own diagnostics)
// goes to stderr. Commands are read from stdin, one JSON object per line; when
// stdin closes (the parent died or is done with us) the node stops and the
// process exits.

import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair, generateKeyPairFromSeed, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'

const ECHO_PROTOCOL = '/tinyp2p/echo/1.0.0'
const RAW_CODEC = 0x55
// Per-connection stream limits for the echo protocol. The registrar's default
// is 32 inbound / 64 outbound, too few for "100 parallel streams" tests.
const ECHO_MAX_STREAMS = 1024
const ECHO_CHUNK = 64 * 1024
const DEFAULT_COMMAND_TIMEOUT_MS = 120_000
const REQ_RESP_PROTOCOL = '/tinyp2p/req-resp/1.0.0'
const REQ_RESP_MAX_STREAMS = 1024
const DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024
const DEFAULT_MAX_RESPONSE_SIZE = 1024 * 1024
// an unsigned varint longer than this cannot describe a length we would accept
const MAX_UVARINT_BYTES = 9
const STOP_TIMEOUT_MS = 5_000
const AUTONAT_PROTOCOL = '/libp2p/autonat/1.0.0'
const AUTONAT_MAX_MESSAGE_SIZE = 8192

// Nothing but protocol lines may reach stdout.
console.log = console.error
console.info = console.error
console.debug = console.error

function emit (obj) {
  // stdout is a pipe: writes are synchronous on Linux, so ordering is kept and
  // nothing is lost when we call process.exit() right after.
  process.stdout.write(JSON.stringify(obj) + '\n')
}

function log (...args) {
  console.error('[js-peer]', ...args)
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64')
const utf8 = new TextDecoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** An Error whose name is shown in replies as "Name: message". */
function namedError (name, message) {
  const err = new Error(message)
  err.name = name
  return err
}

/** The bytes as text when they are valid UTF-8 without control characters (tab, CR, LF allowed), else null. */
function printableText (bytes) {
  let text
  try {
    text = strictUtf8.decode(bytes)
  } catch {
    return null
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text) ? null : text
}

/** Decodes the 32-byte Ed25519 seed; accepts plain base58btc or multibase ('z' prefixed). */
function decodeSeed (secret) {
  let seed
  try {
    seed = base58btc.baseDecode(secret)
  } catch {}
  if ((seed == null || seed.length !== 32) && secret.startsWith('z')) {
    try {
      seed = base58btc.baseDecode(secret.slice(1))
    } catch {}
  }
  if (seed == null || seed.length !== 32) {
    throw new Error(`"secret" must be base58btc of exactly 32 bytes, got ${seed == null ? 'undecodable text' : seed.length + ' bytes'}`)
  }
  return seed
}

// ---------------------------------------------------------------- options

const options = JSON.parse(process.argv[2] ?? '{}')
const port = options.port ?? 0
const host = options.host ?? '127.0.0.1'
const maxRequestSize = options.reqRespMaxRequestSize ?? DEFAULT_MAX_REQUEST_SIZE
const privateKey = options.secret != null
  ? await generateKeyPairFromSeed('Ed25519', decodeSeed(options.secret))
  : await generateKeyPair('Ed25519')

const services = {
  identify: identify(),
  // ping defaults to 2 inbound / 1 outbound stream per connection (the spec's
  // advice); kad-dht and parallel test pings need more.
  ping: ping({ maxInboundStreams: 32, maxOutboundStreams: 32 })
}

if (options.kad === true) {
  const { kadDHT } = await import('@libp2p/kad-dht')
  services.dht = kadDHT({
    protocol: '/ipfs/kad/1.0.0',
    clientMode: false,
    // the default mapper drops private and loopback addresses, which are the
    // only ones we have
    peerInfoMapper: (p) => p,
    ...(options.kadOptions ?? {})
  })
}

if (options.autonat === true) {
  const { autoNAT } = await import('@libp2p/autonat')
  services.autoNAT = autoNAT({ ...(options.autonatOptions ?? {}) })
}

if (options.gossipsub === true && options.floodsub === true) {
  throw new Error('"gossipsub" and "floodsub" are both true: one pubsub service at a time')
}

if (options.floodsub === true) {
  const { floodsub } = await import('@libp2p/floodsub')
  services.pubsub = floodsub({ ...(options.floodsubOptions ?? {}) })
}

if (options.gossipsub === true) {
  const { gossipsub } = await import('@libp2p/gossipsub')
  services.pubsub = gossipsub({
    // all test peers share 127.0.0.1; keep colocation scoring out of the way
    scoreParams: { IPColocationFactorWeight: 0 },
    ...(options.gossipsubOptions ?? {})
  })
}

// DCUtR: upgrades a relayed connection to a direct one (the inbound side of the
// relayed connection starts it); depends on identify (services.identify above)
if (options.dcutr === true) {
  const { dcutr } = await import('@libp2p/dcutr')
  services.dcutr = dcutr({ ...(options.dcutrOptions ?? {}) })
}

// Circuit Relay v2: the hop server, and the transport that dials through relays
// and reserves on them
if (options.relayServer === true) {
  const { circuitRelayServer } = await import('@libp2p/circuit-relay-v2')
  services.relay = circuitRelayServer({ ...(options.relayServerOptions ?? {}) })
}

const encrypters = []
for (const name of options.security ?? ['noise']) {
  if (name === 'noise') {
    encrypters.push(noise())
  } else if (name === 'tls') {
    const { tls } = await import('@libp2p/tls')
    encrypters.push(tls())
  } else {
    throw new Error(`"security" holds "noise" and "tls", got ${JSON.stringify(name)}`)
  }
}

// transports out of "tcp" and "quic" (quic-v1 with its own TLS; listens on
// /udp/<quicPort>/quic-v1); default ["tcp"]
const listen = []
const transports = []
for (const name of options.transports ?? ['tcp']) {
  if (name === 'tcp') {
    transports.push(tcp())
    listen.push(`/ip4/${host}/tcp/${port}`)
  } else if (name === 'quic') {
    const { quic } = await import('@chainsafe/libp2p-quic')
    transports.push(quic())
    listen.push(`/ip4/${host}/udp/${options.quicPort ?? 0}/quic-v1`)
  } else {
    throw new Error(`"transports" holds "tcp" and "quic", got ${JSON.stringify(name)}`)
  }
}
if (options.relayTransport === true || options.relays != null) {
  const { circuitRelayTransport } = await import('@libp2p/circuit-relay-v2')
  transports.push(circuitRelayTransport({ ...(options.relayTransportOptions ?? {}) }))
  for (const relay of options.relays ?? []) {
    listen.push(`${relay}/p2p-circuit`)
  }
}

const node = await createLibp2p({
  privateKey,
  addresses: { listen, appendAnnounce: options.appendAnnounce ?? [] },
  transports,
  connectionEncrypters: encrypters,
  streamMuxers: [yamux(options.yamuxOptions ?? {})],
  // The connection monitor pings (/ipfs/ping/1.0.0) every connection every 10 s
  // and aborts connections whose ping fails or times out ("na" is fine).
  connectionMonitor: { enabled: options.connectionMonitor !== false },
  ...(options.userAgent != null ? { nodeInfo: { userAgent: options.userAgent } } : {}),
  connectionManager: {
    // loopback (and the "allow" option's ranges) are exempt from the inbound
    // rate limit (5 connections/s per host), the pending-connection cap and
    // connection pruning
    allow: ['/ip4/127.0.0.0/ipcidr/8', ...(options.allow ?? [])]
  },
  services
})

// ---------------------------------------------------------------- events

node.addEventListener('connection:open', (evt) => {
  const c = evt.detail
  emit({
    event: 'connection:open',
    peerId: c.remotePeer.toString(),
    remoteAddr: c.remoteAddr.toString(),
    direction: c.direction,
    connectionId: c.id,
    multiplexer: c.multiplexer ?? null,
    encryption: c.encryption ?? null
  })
})

node.addEventListener('connection:close', (evt) => {
  const c = evt.detail
  emit({
    event: 'connection:close',
    peerId: c.remotePeer.toString(),
    remoteAddr: c.remoteAddr.toString(),
    connectionId: c.id
  })
})

// Our own addresses changed (a relay reservation came or went)
node.addEventListener('self:peer:update', () => {
  emit({ event: 'addrs', addrs: node.getMultiaddrs().map(String) })
})

// Fired after identify with a peer succeeded (the identify *request* we make on
// every new connection). detail.publicKey is the raw protobuf from the wire.
node.addEventListener('peer:identify', (evt) => {
  const r = evt.detail
  emit({
    event: 'identify',
    peerId: r.peerId.toString(),
    protocols: r.protocols,
    listenAddrs: r.listenAddrs.map(String),
    publicKey: r.publicKey == null ? null : b64(r.publicKey),
    observedAddr: r.observedAddr?.toString() ?? null,
    agentVersion: r.agentVersion ?? null,
    protocolVersion: r.protocolVersion ?? null,
    signedPeerRecord: r.signedPeerRecord != null
  })
})

if (node.services.pubsub != null) {
  node.services.pubsub.addEventListener('message', (evt) => {
    const m = evt.detail
    emit({
      event: 'pubsub:message',
      topic: m.topic,
      data: b64(m.data),
      type: m.type,
      from: m.type === 'signed' ? m.from.toString() : null,
      seqno: m.type === 'signed' ? m.sequenceNumber.toString() : null
    })
  })
  node.services.pubsub.addEventListener('subscription-change', (evt) => {
    emit({
      event: 'pubsub:subscription-change',
      peerId: evt.detail.peerId.toString(),
      subscriptions: evt.detail.subscriptions.map(s => ({ topic: s.topic, subscribe: s.subscribe }))
    })
  })
}

// ---------------------------------------------------------------- echo server

// js-libp2p 3 streams are event emitters: bytes arrive as 'message' events
// (Uint8Array or Uint8ArrayList), stream.send() queues bytes and returns false
// when the caller should wait for 'drain', stream.close() closes our write
// side. We echo each chunk as it arrives and close once the remote has closed
// its write side and every received byte has been sent back.
function handleEcho (stream) {
  let closing = false

  const maybeFinish = () => {
    if (closing || stream.status !== 'open') return
    if (stream.remoteWriteStatus !== 'closed') return
    // bytes still held back (paused) will be echoed before we close
    if (stream.readBufferLength > 0 || stream.readStatus === 'paused') return
    closing = true
    stream.close().catch((err) => stream.abort(err))
  }
  // Deferred: yamux reports a FIN before it hands over the payload of the same
  // frame, so look again once the current frame has been fully processed.
  const scheduleFinish = () => queueMicrotask(maybeFinish)

  stream.addEventListener('message', (evt) => {
    let canSendMore
    try {
      canSendMore = stream.send(evt.data)
    } catch (err) {
      stream.abort(err)
      return
    }
    if (!canSendMore && stream.readStatus === 'readable') {
      // backpressure: stop reading (yamux stops granting window) until the
      // bytes we queued have been written out
      stream.pause()
      stream.onDrain().then(() => {
        if (stream.readStatus === 'paused') stream.resume()
        scheduleFinish()
      }, (err) => stream.abort(err))
    }
    scheduleFinish()
  })
  stream.addEventListener('remoteCloseWrite', scheduleFinish)
  // the remote may have closed before this handler was attached
  scheduleFinish()
}

await node.handle(ECHO_PROTOCOL, handleEcho, {
  runOnLimitedConnection: true, // relayed connections too
  maxInboundStreams: ECHO_MAX_STREAMS,
  maxOutboundStreams: ECHO_MAX_STREAMS
})

// ---------------------------------------------------------------- echo client

/** Runs one echo exchange on a new stream; resolves or throws with a reason. */
async function echoOnce (connection, bytes, signal) {
  const payload = randomBytes(bytes)
  const stream = await connection.newStream(ECHO_PROTOCOL, { signal, runOnLimitedConnection: true })
  const received = Buffer.allocUnsafe(bytes)
  let got = 0
  let overflow = 0

  // Start listening before writing anything: data is delivered as events.
  const finished = new Promise((resolve, reject) => {
    stream.addEventListener('message', (evt) => {
      const chunk = evt.data.subarray() // Uint8Array or a flattened Uint8ArrayList
      const room = bytes - got
      if (chunk.length > room) overflow += chunk.length - room
      received.set(chunk.subarray(0, Math.min(room, chunk.length)), got)
      got += Math.min(room, chunk.length)
    })
    // 'close' fires once both sides closed their write ends (or on reset/abort)
    stream.addEventListener('close', (evt) => {
      if (evt.error != null) reject(evt.error)
      else resolve()
    })
    const onAbort = () => reject(signal.reason ?? new Error('aborted'))
    signal.addEventListener('abort', onAbort, { once: true })
    stream.addEventListener('close', () => signal.removeEventListener('abort', onAbort))
  })
  finished.catch(() => {}) // observed below; avoid an unhandled rejection meanwhile

  try {
    for (let off = 0; off < bytes; off += ECHO_CHUNK) {
      if (!stream.send(payload.subarray(off, Math.min(bytes, off + ECHO_CHUNK)))) {
        await stream.onDrain({ signal })
      }
    }
    await stream.close({ signal })
    await finished
  } catch (err) {
    stream.abort(err)
    throw new Error(`${err.name ?? 'Error'}: ${err.message} (sent ${bytes}, received ${got} bytes so far)`)
  }
  if (overflow > 0) throw new Error(`received ${overflow} bytes more than the ${bytes} sent`)
  if (got !== bytes) throw new Error(`received ${got} of ${bytes} bytes before the stream closed`)
  if (payload.equals(received)) return
  const mismatch = payload.findIndex((b, i) => b !== received[i])
  throw new Error(`byte ${mismatch} differs: sent ${payload[mismatch]}, got ${received[mismatch]}`)
}

// ---------------------------------------------------------------- request-response

// /tinyp2p/req-resp/1.0.0, the original (Rust) tinyp2p's wire format: one stream
// per request. The requester writes uvarint(length) ‖ payload and closes its
// write side; the responder reads exactly that request, answers
// uvarint(length) ‖ payload and closes. An error response is a close without
// any bytes at all (which is not the same as an empty response, "\x00").

const reqRespStats = { inbound: 0, outbound: 0 }

function encodeUvarint (value) {
  const out = []
  let rest = value
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
  return Uint8Array.from(out)
}

/** Sends every chunk, waiting for 'drain' whenever the stream asks us to. */
async function sendAll (stream, chunks, signal) {
  for (const chunk of chunks) {
    if (!stream.send(chunk)) await stream.onDrain({ signal })
  }
}

/**
 * Reads one length-prefixed message: a uvarint length, then exactly that many
 * bytes. Resolves with the payload, or with null when the remote closed its
 * write side without sending a single byte. Rejects with
 *   `${label}TooLarge`  the declared length is above maxLength (nothing more is read),
 *   ProtocolError       the remote closed mid-message, or sent an overlong varint,
 *   the stream's error  when it was reset or aborted, or signal.reason on abort.
 * Bytes after the message are ignored. The caller owns the stream: on
 * rejection it should abort it.
 */
function readLengthPrefixed (stream, { maxLength, label, signal }) {
  return new Promise((resolve, reject) => {
    const header = []
    let declared = null
    const body = []
    let received = 0
    let sawBytes = false
    let done = false

    const finish = (settle, value) => {
      if (done) return
      done = true
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('remoteCloseWrite', onRemoteEnd)
      stream.removeEventListener('end', onRemoteEnd)
      stream.removeEventListener('close', onClose)
      signal?.removeEventListener('abort', onAbort)
      settle(value)
    }

    const onMessage = (evt) => {
      if (done) return
      const bytes = evt.data.subarray() // Uint8Array, or a flattened Uint8ArrayList
      if (bytes.length > 0) sawBytes = true
      let pos = 0
      while (declared == null && pos < bytes.length) {
        const b = bytes[pos++]
        header.push(b)
        if (b < 0x80) {
          declared = header.reduceRight((acc, byte) => acc * 0x80 + (byte & 0x7f), 0)
        } else if (header.length >= MAX_UVARINT_BYTES) {
          finish(reject, namedError('ProtocolError', `${label} length prefix is longer than ${MAX_UVARINT_BYTES} bytes`))
          return
        }
      }
      if (declared == null) return
      if (declared > maxLength) {
        finish(reject, namedError(`${label[0].toUpperCase()}${label.slice(1)}TooLarge`,
          `declared ${label} length ${declared} exceeds the limit of ${maxLength} bytes`))
        return
      }
      const take = Math.min(bytes.length - pos, declared - received)
      if (take > 0) {
        body.push(bytes.subarray(pos, pos + take))
        received += take
      }
      if (received === declared) {
        const extra = bytes.length - pos - take
        if (extra > 0) log(`ignoring ${extra} bytes after the ${declared}-byte ${label}`)
        finish(resolve, Buffer.concat(body, declared))
      }
    }

    // The remote closed its write side. Deferred: yamux reports a FIN before it
    // hands over the payload of the same frame, and bytes read ahead during
    // protocol negotiation are re-delivered on a later tick ('end' follows them).
    const onRemoteEnd = () => queueMicrotask(() => {
      if (done || stream.readBufferLength > 0) return
      if (!sawBytes) {
        finish(resolve, null)
      } else if (declared == null) {
        finish(reject, namedError('ProtocolError', `stream closed inside the ${label} length prefix`))
      } else {
        finish(reject, namedError('ProtocolError', `stream closed after ${received} of ${declared} ${label} bytes`))
      }
    })

    const onClose = (evt) => {
      if (evt.error != null) finish(reject, evt.error)
      else onRemoteEnd()
    }

    const onAbort = () => finish(reject, signal.reason ?? new Error('aborted'))

    stream.addEventListener('message', onMessage)
    stream.addEventListener('remoteCloseWrite', onRemoteEnd)
    stream.addEventListener('end', onRemoteEnd)
    stream.addEventListener('close', onClose)
    if (signal != null) {
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    }
    // the remote may have finished before we started listening
    if (stream.remoteWriteStatus === 'closed' || stream.status !== 'open') onRemoteEnd()
  })
}

const FAIL = Buffer.from('fail')
const NEVER = Buffer.from('never')
const BIG = /^big:(\d+)$/
const BIG_CHUNK = Buffer.alloc(64 * 1024, 'x')

/**
 * The test server: echoes the request, except
 *   "fail"   → error response (close without bytes),
 *   "never"  → no answer at all, the stream stays open until the requester gives up,
 *   "big:N"  → N bytes of 'x'.
 * A declared request length above reqRespMaxRequestSize resets the stream.
 */
async function handleRequest (stream, connection) {
  reqRespStats.inbound++
  const from = connection.remotePeer.toString()
  let request
  try {
    request = await readLengthPrefixed(stream, { maxLength: maxRequestSize, label: 'request' })
  } catch (err) {
    log(`req-resp: bad request from ${from}, resetting the stream:`, err.message)
    stream.abort(err)
    return
  }
  if (request == null) {
    log(`req-resp: ${from} closed the stream without a request`)
    stream.abort(namedError('ProtocolError', 'stream closed without a request'))
    return
  }
  try {
    if (request.equals(NEVER)) {
      log(`req-resp: "never" from ${from}: not answering`)
      return
    }
    if (request.equals(FAIL)) {
      await stream.close()
      return
    }
    const big = BIG.exec(request.toString('latin1'))
    if (big != null && Number.isSafeInteger(Number(big[1]))) {
      const size = Number(big[1])
      const chunks = [encodeUvarint(size)]
      for (let off = 0; off < size; off += BIG_CHUNK.length) {
        chunks.push(BIG_CHUNK.subarray(0, Math.min(BIG_CHUNK.length, size - off)))
      }
      await sendAll(stream, chunks)
    } else {
      await sendAll(stream, [encodeUvarint(request.length), request])
    }
    await stream.close()
  } catch (err) {
    // typically the requester reset the stream (e.g. the response was too large for it)
    log(`req-resp: answering ${from} failed:`, err.message)
    stream.abort(err)
  }
}

await node.handle(REQ_RESP_PROTOCOL, handleRequest, {
  runOnLimitedConnection: true, // relayed connections too
  maxInboundStreams: REQ_RESP_MAX_STREAMS,
  maxOutboundStreams: REQ_RESP_MAX_STREAMS
})

/** An open connection to the command's peer, or a new one ("addr", or "peer" through the peer store / peer routing). */
async function connectionFor (cmd, signal) {
  if (cmd.addr == null) {
    const open = node.getConnections(peerArg(cmd)).find(c => c.status === 'open')
    if (open != null) return open
  }
  return node.dial(targetArg(cmd), { signal })
}

/** Sends one request and waits for its response; see the "request" command. */
async function sendRequest (cmd, signal) {
  const payload = cmd.data != null ? Buffer.from(cmd.data, 'base64') : Buffer.from(cmd.text ?? '', 'utf8')
  const maxResponseSize = cmd.maxResponseSize ?? DEFAULT_MAX_RESPONSE_SIZE
  const target = cmd.peer ?? cmd.addr
  const started = performance.now()
  let stage = 'dialing'
  let stream
  try {
    const connection = await connectionFor(cmd, signal)
    stage = 'opening a stream'
    stream = await connection.newStream(REQ_RESP_PROTOCOL, { signal, runOnLimitedConnection: true })
    reqRespStats.outbound++
    // listen before writing: the response arrives as events
    const response = readLengthPrefixed(stream, { maxLength: maxResponseSize, label: 'response', signal })
    response.catch(() => {}) // observed below
    stage = 'sending the request'
    await sendAll(stream, [encodeUvarint(payload.length), payload], signal)
    await stream.close({ signal })
    stage = 'waiting for the response'
    const body = await response
    if (body == null) {
      throw namedError('RemoteError', `${target} sent an error response (closed the stream without a response)`)
    }
    return {
      data: b64(body),
      text: printableText(body),
      bytes: body.length,
      ms: Math.round((performance.now() - started) * 1000) / 1000
    }
  } catch (err) {
    stream?.abort(err)
    if (signal.aborted && signal.reason?.name === 'TimeoutError') {
      throw namedError('Timeout', `no response from ${target} within ${cmd.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS} ms (while ${stage})`)
    }
    throw err
  }
}

/**
 * AutoNAT v1's protobuf codec, from @libp2p/autonat itself (the package exports
 * only its service, so the generated module is loaded by its path).
 */
async function autonatMessage () {
  const pb = await import(new URL('./node_modules/@libp2p/autonat/dist/src/pb/index.js', import.meta.url))
  return pb.Message
}

/** One AutoNAT v1 DIAL request on a new stream; see the "autonatDial" command. */
async function autonatDial (cmd, signal) {
  const Message = await autonatMessage()
  const connection = await connectionFor(cmd, signal)
  const stream = await connection.newStream(AUTONAT_PROTOCOL, { signal })
  try {
    const response = readLengthPrefixed(stream, { maxLength: AUTONAT_MAX_MESSAGE_SIZE, label: 'AutonatResponse', signal })
    response.catch(() => {}) // observed below
    const addrs = cmd.addrs ?? node.getMultiaddrs().map(a => a.toString().replace(/\/p2p\/[^/]+$/, ''))
    const id = cmd.peerIdInRequest != null ? peerIdFromString(cmd.peerIdInRequest) : node.peerId
    const request = Message.encode({
      type: Message.MessageType.DIAL,
      dial: { peer: { id: id.toMultihash().bytes, addrs: addrs.map(a => multiaddr(a).bytes) } }
    })
    await sendAll(stream, [encodeUvarint(request.length), request], signal)
    await stream.close({ signal })
    const body = await response
    if (body == null) throw namedError('ProtocolError', 'the server closed the stream without an answer')
    const answer = Message.decode(body)
    const r = answer.dialResponse
    return {
      type: answer.type,
      status: r?.status ?? null,
      statusText: r?.statusText ?? null,
      addr: r?.addr != null ? multiaddr(r.addr).toString() : null,
      asked: addrs
    }
  } catch (err) {
    stream.abort(err)
    throw err
  }
}

// ---------------------------------------------------------------- commands

function peerArg (cmd) {
  if (cmd.peer == null) throw new Error('missing "peer"')
  return peerIdFromString(cmd.peer)
}

/** A dial target from "addr" (multiaddr) or "peer" (peer id). */
function targetArg (cmd) {
  if (cmd.addr != null) return multiaddr(cmd.addr)
  return peerArg(cmd)
}

function describeConnection (c) {
  return {
    peerId: c.remotePeer.toString(),
    remoteAddr: c.remoteAddr.toString(),
    direction: c.direction,
    multiplexer: c.multiplexer ?? null,
    encryption: c.encryption ?? null,
    status: c.status,
    connectionId: c.id,
    limited: c.limits != null, // a relayed connection the relay limits
    streams: c.streams.map(s => ({ id: s.id, protocol: s.protocol, direction: s.direction, status: s.status }))
  }
}

function requireService (name) {
  const svc = node.services[name]
  if (svc == null) throw new Error(`service "${name}" is not enabled in this peer's options`)
  return svc
}

const commands = {
  autonatDial,

  async dial (cmd, signal) {
    const conn = await node.dial(targetArg(cmd), { signal })
    return { peerId: conn.remotePeer.toString(), remoteAddr: conn.remoteAddr.toString(), direction: conn.direction }
  },

  async ping (cmd, signal) {
    // the ping service measures with Date.now(): whole milliseconds
    const rttMs = await node.services.ping.ping(targetArg(cmd), { signal })
    return { rttMs }
  },

  async peerInfo (cmd, signal) {
    const peer = await node.peerStore.get(peerArg(cmd), { signal })
    const meta = (k) => peer.metadata.has(k) ? utf8.decode(peer.metadata.get(k)) : null
    return {
      peerId: peer.id.toString(),
      protocols: peer.protocols,
      addrs: peer.addresses.map(a => a.multiaddr.toString()),
      publicKey: peer.id.publicKey == null ? null : b64(publicKeyToProtobuf(peer.id.publicKey)),
      agentVersion: meta('AgentVersion'),
      protocolVersion: meta('ProtocolVersion')
    }
  },

  async echo (cmd, signal) {
    const streams = cmd.streams ?? 1
    const bytes = cmd.bytes ?? 1024
    const peer = peerArg(cmd)
    const conn = node.getConnections(peer).find(c => c.status === 'open') ?? await node.dial(peer, { signal })
    const started = performance.now()
    const results = await Promise.allSettled(
      Array.from({ length: streams }, () => echoOnce(conn, bytes, signal))
    )
    const failures = results
      .map((r, index) => ({ index, r }))
      .filter(({ r }) => r.status === 'rejected')
    if (failures.length > 0) {
      const { index, r } = failures[0]
      throw new Error(`${failures.length}/${streams} echo streams failed; first: stream #${index}: ${r.reason?.message ?? r.reason}`)
    }
    return { streams, bytes, ms: Math.round((performance.now() - started) * 1000) / 1000 }
  },

  async connections () {
    return { connections: node.getConnections().map(describeConnection) }
  },

  async hangup (cmd, signal) {
    await node.hangUp(targetArg(cmd), { signal })
    return {}
  },

  async self () {
    return selfInfo()
  },

  // our addresses now, with circuit addresses once a reservation holds
  async addrs () {
    return { addrs: node.getMultiaddrs().map(String) }
  },

  // ---- request-response (/tinyp2p/req-resp/1.0.0)
  async request (cmd, signal) {
    return sendRequest(cmd, signal)
  },

  async requestStats () {
    return { ...reqRespStats }
  },

  // ---- kad-dht (only with {"kad": true})
  async findPeer (cmd, signal) {
    const dht = requireService('dht')
    const target = peerArg(cmd)
    // kad answers from the peer store / routing table first when it knows the
    // peer; "useCache": false forces a network lookup (FIND_NODE queries)
    const lookup = async (useCache) => {
      for await (const ev of dht.findPeer(target, { signal, useCache })) {
        if (ev.name === 'FINAL_PEER' && ev.peer.id.equals(target)) {
          return {
            peerId: ev.peer.id.toString(),
            addrs: ev.peer.multiaddrs.map(String),
            source: ev.from.equals(node.peerId) ? 'local' : 'network',
            from: ev.from.toString()
          }
        }
      }
      return null
    }
    let found = await lookup(cmd.useCache !== false)
    // a peer-store entry without addresses is no answer: ask the network
    if (found != null && found.addrs.length === 0 && found.source === 'local') found = await lookup(false)
    if (found == null) throw namedError('NotFoundError', `peer ${cmd.peer} not found`)
    return found
  },

  async routingTable () {
    const dht = requireService('dht')
    const self = node.peerId.toString()
    const peers = [...dht.routingTable.kb.toIterable()]
      .map(contact => contact.peerId.toString())
      .filter(id => id !== self)
    return { size: peers.length, peers, mode: dht.getMode() }
  },

  // Dials "addrs" (optional), then runs a lookup of our own id, which is what
  // kad's self-query does. kad queues for its routing table every peer that
  // answers a query and every peer named in an answer's closer-peers list, and
  // a new contact enters the table only after it answered a ping; so the reply
  // waits up to "settleMs" (default 2000) for all those peers to show up.
  // With "refresh": true it also starts kad's routing-table refresh (random
  // lookups per bucket, in the background).
  async bootstrap (cmd, signal) {
    const dht = requireService('dht')
    const started = performance.now()
    const self = node.peerId.toString()
    const dialed = []
    for (const addr of cmd.addrs ?? []) {
      const conn = await node.dial(multiaddr(addr), { signal })
      dialed.push(conn.remotePeer.toString())
    }
    const found = new Set()
    for await (const ev of dht.getClosestPeers(node.peerId.toMultihash().bytes, { signal })) {
      if (ev.name === 'PEER_RESPONSE') {
        found.add(ev.from.toString())
        for (const p of ev.closer) found.add(p.id.toString())
      }
    }
    found.delete(self)
    if (cmd.refresh === true) await dht.refreshRoutingTable()
    const settleUntil = performance.now() + (cmd.settleMs ?? 2000)
    let table = await commands.routingTable()
    while (![...found].every(id => table.peers.includes(id)) && performance.now() < settleUntil && !signal.aborted) {
      await new Promise(resolve => setTimeout(resolve, 20))
      table = await commands.routingTable()
    }
    return { dialed, found: [...found], ...table, ms: Math.round(performance.now() - started) }
  },

  async getClosestPeers (cmd, signal) {
    const dht = requireService('dht')
    // key: base64 bytes; defaults to our own peer id's bytes
    const key = cmd.key != null ? Buffer.from(cmd.key, 'base64') : node.peerId.toMultihash().bytes
    const peers = []
    for await (const ev of dht.getClosestPeers(key, { signal })) {
      if (ev.name === 'FINAL_PEER') peers.push(ev.peer.id.toString())
    }
    return { peers }
  },

  // Records and provider records. Keys, values and multihashes are base64.
  // putValue: stores locally and sends PUT_VALUE to the closest peers; replies
  // with the peers that acknowledged it and the errors of the others.
  async putValue (cmd, signal) {
    const dht = requireService('dht')
    const key = Buffer.from(cmd.key, 'base64')
    const value = Buffer.from(cmd.value, 'base64')
    const stored = new Set()
    const errors = []
    for await (const ev of dht.put(key, value, { signal })) {
      if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'PUT_VALUE') stored.add(ev.from.toString())
      if (ev.name === 'QUERY_ERROR') {
        stored.delete(ev.from.toString())
        errors.push(`${ev.from}: ${ev.error?.message}`)
      }
    }
    return { peers: [...stored], errors }
  },

  // getValue: the best valid value (js's own store first, then the network)
  async getValue (cmd, signal) {
    const dht = requireService('dht')
    const key = Buffer.from(cmd.key, 'base64')
    for await (const ev of dht.get(key, { signal })) {
      if (ev.name === 'VALUE') return { value: b64(ev.value), from: ev.from.toString() }
    }
    throw namedError('NotFoundError', 'no record for the key')
  },

  // provide: "multihash" (a sha2-256 multihash, base64) as a CIDv1 raw
  async provide (cmd, signal) {
    const dht = requireService('dht')
    const told = new Set()
    for await (const ev of dht.provide(cidOf(cmd.multihash), { signal })) {
      if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'ADD_PROVIDER') told.add(ev.from.toString())
    }
    return { peers: [...told] }
  },

  // findProviders: up to "count" (default 1) providers of "multihash"
  async findProviders (cmd, signal) {
    const dht = requireService('dht')
    const count = cmd.count ?? 1
    const found = new Map()
    for await (const ev of dht.findProviders(cidOf(cmd.multihash), { signal })) {
      if (ev.name !== 'PROVIDER') continue
      for (const p of ev.providers) {
        found.set(p.id.toString(), { peerId: p.id.toString(), addrs: p.multiaddrs.map(String) })
      }
      if (found.size >= count) break
    }
    return { providers: [...found.values()] }
  },

  // ---- pubsub (only with {"gossipsub": true} or {"floodsub": true}); data is base64
  async subscribe (cmd) {
    requireService('pubsub').subscribe(cmd.topic)
    return {}
  },

  async unsubscribe (cmd) {
    requireService('pubsub').unsubscribe(cmd.topic)
    return {}
  },

  async publish (cmd) {
    const data = cmd.data != null ? Buffer.from(cmd.data, 'base64') : new TextEncoder().encode(cmd.text ?? '')
    const result = await requireService('pubsub').publish(cmd.topic, data)
    return { recipients: result.recipients.map(String) }
  },

  async pubsubPeers (cmd) {
    const ps = requireService('pubsub')
    return {
      subscribers: ps.getSubscribers(cmd.topic).map(String),
      // floodsub has no mesh
      mesh: typeof ps.getMeshPeers === 'function' ? ps.getMeshPeers(cmd.topic) : null,
      topics: ps.getTopics()
    }
  }
}

function cidOf (multihashBase64) {
  return CID.createV1(RAW_CODEC, Digest.decode(Buffer.from(multihashBase64, 'base64')))
}

function selfInfo () {
  return {
    peerId: node.peerId.toString(),
    addrs: node.getMultiaddrs().map(String),
    publicKey: b64(publicKeyToProtobuf(privateKey.publicKey)),
    protocols: node.getProtocols()
  }
}

// ---------------------------------------------------------------- lifecycle

let stopping = null

/** Stops the node (bounded in time) and exits; safe to call more than once. */
function shutdown (code, beforeExit) {
  if (stopping != null) return stopping
  const timer = setTimeout(() => {
    log('node.stop() timed out, exiting anyway')
    beforeExit?.()
    process.exit(code)
  }, STOP_TIMEOUT_MS)
  stopping = node.stop()
    .catch((err) => log('error while stopping:', err))
    .finally(() => {
      clearTimeout(timer)
      beforeExit?.()
      process.exit(code)
    })
  return stopping
}

async function runCommand (line) {
  let cmd
  try {
    cmd = JSON.parse(line)
  } catch (err) {
    log('ignoring a line that is not JSON:', line)
    return
  }
  const id = cmd?.id ?? null
  if (cmd?.cmd === 'stop') {
    // reply once the node has stopped, then exit
    shutdown(0, () => emit({ id, ok: true }))
    return
  }
  const handler = Object.hasOwn(commands, cmd?.cmd) ? commands[cmd.cmd] : undefined
  if (handler == null) {
    emit({ id, ok: false, error: `unknown command ${JSON.stringify(cmd?.cmd)}` })
    return
  }
  const signal = AbortSignal.timeout(cmd.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS)
  // one signal is shared by every stream of a command (echo opens hundreds)
  setMaxListeners(Infinity, signal)
  try {
    const result = await handler(cmd, signal)
    emit({ id, ok: true, ...result })
  } catch (err) {
    log(`command ${cmd.cmd} (id ${id}) failed:`, err)
    emit({ id, ok: false, error: `${err?.name ?? 'Error'}: ${err?.message ?? err}` })
  }
}

// stdout gone (EPIPE): nobody can read our replies any more
process.stdout.on('error', () => process.exit(0))
process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))
process.on('unhandledRejection', (err) => log('unhandled rejection:', err))

emit({ event: 'ready', ...selfInfo() })

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
lines.on('line', (line) => {
  if (line.trim() === '') return
  runCommand(line).catch((err) => log('internal error:', err))
})
// stdin closed: whoever drives us is gone, never linger
lines.on('close', () => shutdown(0))
