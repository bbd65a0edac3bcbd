// A js-libp2p node served over the libp2p-daemon control protocol (@libp2p/daemon-server).
//
// Imported by daemon-suite.mjs, which runs its 'js' daemons in its own process with
// startJsDaemon(spawnOptions). Run as a program it takes the flags tinyp2p's daemon mode
// takes (p2pd's names) and prints what that mode prints, so the suite's child-process
// path can be proven without the Java node:
//
//   node js-daemon.mjs -listen /ip4/127.0.0.1/tcp/0 [-hostAddrs /ip4/127.0.0.1/tcp/0]
//       [-noListen] [-id <key file>] [-dht] [-pubsub] [-pubsubRouter floodsub|gossipsub]
//       [-security noise|tls]
//
// prints "Control socket: <multiaddr>", "Peer ID: <id>", "Peer Addrs:" with one address
// a line, and stops on SIGTERM or SIGINT.

import './polyfill.mjs'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { noise } from '@chainsafe/libp2p-noise'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { yamux } from '@chainsafe/libp2p-yamux'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { createServer } from '@libp2p/daemon-server'
import { floodsub } from '@libp2p/floodsub'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { UnsupportedError } from '@libp2p/interop'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'

export const LOOPBACK = '/ip4/127.0.0.1/tcp/0'
const KAD_PROTOCOL = '/ipfs/kad/1.0.0'

/**
 * Starts a js-libp2p node for the suite's SpawnOptions and its control server on
 * controlAddr; resolves to { node, server, stop }.
 */
export async function startJsDaemon (options, controlAddr = LOOPBACK, listen = [LOOPBACK]) {
  if (options.transport != null && options.transport !== 'tcp') {
    throw new UnsupportedError(`transport ${options.transport} is not set up by this harness`)
  }
  if (options.muxer === 'mplex') throw new Error('mplex is not set up by this harness')
  let connectionEncrypters
  switch (options.encryption ?? 'noise') {
    case 'noise': connectionEncrypters = [noise()]; break
    case 'tls': connectionEncrypters = [tls()]; break
    default: throw new Error(`encryption ${options.encryption} is not set up by this harness`)
  }
  const services = { identify: identify(), ping: ping() }
  if (options.relay === true) {
    services.relay = circuitRelayServer()
  }
  if (options.dht === true) {
    // server mode on the protocol go-libp2p-daemon speaks; loopback addresses are kept
    services.dht = kadDHT({ protocol: KAD_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper })
  }
  if (options.pubsub === true) {
    services.pubsub = options.pubsubRouter === 'gossipsub' ? gossipsub() : floodsub()
  }
  const privateKey = options.key != null ? privateKeyFromProtobuf(await fs.promises.readFile(options.key)) : undefined
  const node = await createLibp2p({
    privateKey,
    addresses: { listen: options.noListen === true ? [] : listen },
    // every node dials and accepts relayed connections, as the suite's relay tests need
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters,
    streamMuxers: [yamux()],
    services
  })
  let server
  try {
    server = createServer(multiaddr(controlAddr), node)
    await server.start()
  } catch (err) {
    await node.stop()
    throw err
  }
  return {
    node,
    server,
    stop: async () => {
      try { await server.stop() } finally { await node.stop() }
    }
  }
}

function parseFlags (argv) {
  const valued = new Set(['-listen', '-hostAddrs', '-id', '-pubsubRouter', '-security'])
  const bare = new Set(['-noListen', '-dht', '-pubsub', '-relayService'])
  const flags = {}
  for (let i = 0; i < argv.length; i++) {
    let name = argv[i]
    let value
    const eq = name.indexOf('=')
    if (eq > 0) { value = name.slice(eq + 1); name = name.slice(0, eq) }
    if (valued.has(name)) {
      if (value == null) {
        if (i + 1 >= argv.length) throw new Error(`${name} needs a value`)
        value = argv[++i]
      }
      flags[name.slice(1)] = value
    } else if (bare.has(name)) {
      flags[name.slice(1)] = value == null ? true : value !== 'false'
    } else {
      throw new Error(`unknown flag ${argv[i]}`)
    }
  }
  return flags
}

async function main () {
  let flags
  try {
    flags = parseFlags(process.argv.slice(2))
  } catch (err) {
    console.error(`js-daemon: ${err.message}`)
    process.exit(2)
  }
  const options = {
    key: flags.id,
    encryption: flags.security,
    dht: flags.dht === true,
    pubsub: flags.pubsub === true,
    pubsubRouter: flags.pubsubRouter,
    noListen: flags.noListen === true,
    relay: flags.relayService === true
  }
  const daemon = await startJsDaemon(options, flags.listen ?? LOOPBACK,
    flags.hostAddrs != null ? flags.hostAddrs.split(',') : [LOOPBACK])
  console.log(`Control socket: ${daemon.server.getMultiaddr().toString()}`)
  console.log(`Peer ID: ${daemon.node.peerId.toString()}`)
  console.log('Peer Addrs:')
  for (const addr of daemon.node.getMultiaddrs()) console.log(addr.toString())
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await daemon.stop()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

if (process.argv[1] != null && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  main().catch(err => {
    console.error('js-daemon:', err)
    process.exit(1)
  })
}
