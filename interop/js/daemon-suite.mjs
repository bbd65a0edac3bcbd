// Runs libp2p's own interop suite (@libp2p/interop) against tinyp2p's daemon mode.
//
//   TINYP2P_DAEMON='["/path/to/java","-jar","/path/to/tinyp2p-fat.jar","daemon"]' node daemon-suite.mjs
//   TINYP2P_DAEMON_AS_JS=1 node daemon-suite.mjs     # the harness alone: 'go' daemons are js ones
//
// The suite drives every node through the libp2p-daemon control protocol. Its 'js'
// daemons are js-libp2p nodes served in this process by @libp2p/daemon-server; its 'go'
// daemons are tinyp2p nodes, child processes started with the command in
// TINYP2P_DAEMON followed by p2pd-style flags (-listen, -hostAddrs, -noListen, -id,
// -dht, -pubsub, -pubsubRouter, -security). A child is ready when it prints
// "Control socket: <multiaddr>"; everything it prints goes to <log dir>/daemon-<n>.log.
//
// Before mocha runs, the tests this node cannot take part in are marked pending, each
// with its reason (see notRunReason). At the end one line
//   INTEROP-SUMMARY {"run":..,"passed":..,"failed":..,"notRun":..,...}
// then one INTEROP-NOT-RUN line per reason and one INTEROP-TEST line per test are
// printed; the exit code is 0 only when nothing failed.
//
// Environment:
//   TINYP2P_DAEMON            JSON array: the command words before the flags (required
//                             unless TINYP2P_DAEMON_AS_JS=1)
//   TINYP2P_DAEMON_AS_JS=1    'go' daemons are in-process js ones (proves the harness)
//   TINYP2P_DAEMON_LOG_DIR    where daemon-<n>.log go (default: the project's target/)
//   TINYP2P_DAEMON_START_MS   how long a child may take to print its control socket (20000,
//                             the bound the suite puts on its own start-up hooks)
//   TINYP2P_SUITE_TEST_MS     mocha's timeout where the suite sets none (60000)
//   TINYP2P_SUITE_TIMEOUT_MS  the whole run's bound (780000); past it the run fails

import './polyfill.mjs'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createClient } from '@libp2p/daemon-client'
import {
  connectInteropTests,
  dhtInteropTests,
  pubsubInteropTests,
  relayInteropTests,
  streamInteropTests,
  UnsupportedError
} from '@libp2p/interop'
import { multiaddr } from '@multiformats/multiaddr'
import Mocha from 'mocha'
import { LOOPBACK, startJsDaemon } from './js-daemon.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const PROJECT_DIR = path.resolve(HERE, '..', '..')
const STOP_GRACE_MS = 5_000

function intEnv (name, fallback) {
  const v = process.env[name]
  if (v == null || v === '') return fallback
  const n = Number.parseInt(v, 10)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive integer, not ${v}`)
  return n
}

const AS_JS = process.env.TINYP2P_DAEMON_AS_JS === '1'
const START_MS = intEnv('TINYP2P_DAEMON_START_MS', 20_000)
const TEST_MS = intEnv('TINYP2P_SUITE_TEST_MS', 60_000)
const SUITE_MS = intEnv('TINYP2P_SUITE_TIMEOUT_MS', 780_000)
const LOG_DIR = path.resolve(process.env.TINYP2P_DAEMON_LOG_DIR ?? path.join(PROJECT_DIR, 'target'))

let daemonCommand = null
if (!AS_JS) {
  const raw = process.env.TINYP2P_DAEMON
  try {
    daemonCommand = JSON.parse(raw ?? '')
  } catch {
    daemonCommand = null
  }
  if (!Array.isArray(daemonCommand) || daemonCommand.length === 0 ||
      !daemonCommand.every(w => typeof w === 'string' && w !== '')) {
    console.error('daemon-suite: set TINYP2P_DAEMON to a JSON array of the command words before the flags, ' +
      'e.g. ["java","-jar","target/tinyp2p-0.1.0-SNAPSHOT-fat.jar","daemon"], or TINYP2P_DAEMON_AS_JS=1')
    process.exit(2)
  }
}
fs.mkdirSync(LOG_DIR, { recursive: true })

// ------------------------------------------------------------------ daemons

/** Every child process still alive, so that none outlives this one. */
const children = new Set()
/** Every daemon not yet stopped (js and child), stopped at the end whatever happened. */
const running = new Set()
let daemonCount = 0

function killChildrenNow () {
  for (const child of children) {
    try { child.kill('SIGKILL') } catch {}
  }
}
process.on('exit', killChildrenNow)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`daemon-suite: ${signal}, killing ${children.size} daemon(s)`)
    killChildrenNow()
    process.exit(130)
  })
}

function track (daemon) {
  let stopped = null
  const tracked = {
    client: daemon.client,
    stop: () => {
      stopped ??= daemon.stop().finally(() => { running.delete(tracked) })
      return stopped
    }
  }
  running.add(tracked)
  return tracked
}

/** A js-libp2p node served over the daemon control protocol in this process. */
async function spawnJs (options) {
  const daemon = await startJsDaemon(options)
  return track({ client: createClient(daemon.server.getMultiaddr()), stop: daemon.stop })
}

function javaFlags (options) {
  if (options.transport != null && options.transport !== 'tcp') {
    throw new UnsupportedError(`tinyp2p has no ${options.transport} transport`)
  }
  if (options.muxer === 'mplex') throw new Error('tinyp2p does not speak mplex')
  if (options.encryption === 'plaintext') throw new Error('tinyp2p does not offer plaintext')
  const flags = ['-listen', LOOPBACK]
  if (options.noListen === true) flags.push('-noListen')
  else flags.push('-hostAddrs', LOOPBACK)
  if (options.key != null) flags.push('-id', options.key)
  if (options.dht === true) flags.push('-dht')
  if (options.relay === true) flags.push('-relayService')
  if (options.pubsub === true) {
    flags.push('-pubsub')
    if (options.pubsubRouter != null) flags.push('-pubsubRouter', options.pubsubRouter)
  }
  if (options.encryption != null) flags.push('-security', options.encryption)
  return flags
}

function tailOf (file, max = 2000) {
  try {
    const text = fs.readFileSync(file, 'utf8')
    return text.length <= max ? text : '...' + text.slice(-max)
  } catch (err) {
    return `(cannot read ${file}: ${err.message})`
  }
}

/** A tinyp2p daemon: a child process started with TINYP2P_DAEMON and the options' flags. */
async function spawnJava (options) {
  const flags = javaFlags(options)
  const n = ++daemonCount
  const logFile = path.join(LOG_DIR, `daemon-${n}.log`)
  const log = fs.openSync(logFile, 'w')
  const write = (text) => { try { fs.writeSync(log, text) } catch {} }
  const [cmd, ...words] = daemonCommand
  const args = [...words, ...flags]
  write(`# ${JSON.stringify([cmd, ...args])}\n# options ${JSON.stringify(options)}\n`)

  const child = spawn(cmd, args, { cwd: PROJECT_DIR, stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(child)
  const exited = new Promise(resolve => {
    child.once('exit', (code, signal) => {
      children.delete(child)
      write(`# exited: code ${code} signal ${signal}\n`)
      resolve({ code, signal })
    })
  })
  child.stderr.on('data', buf => { write(buf.toString()) })

  let controlAddr
  try {
    controlAddr = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`daemon-${n} printed no "Control socket:" line within ${START_MS} ms`))
      }, START_MS)
      child.once('error', err => { clearTimeout(timer); reject(err) })
      exited.then(({ code, signal }) => {
        clearTimeout(timer)
        reject(new Error(`daemon-${n} exited (code ${code}, signal ${signal}) before its control socket listened`))
      })
      const lines = createInterface({ input: child.stdout })
      lines.on('line', line => {
        write(line + '\n')
        const m = /^Control socket: (\S+)/.exec(line)
        if (m != null && controlAddr == null) {
          clearTimeout(timer)
          try { resolve(multiaddr(m[1])) } catch (err) { reject(err) }
        }
      })
    })
  } catch (err) {
    child.kill('SIGKILL')
    await exited
    fs.closeSync(log)
    throw new Error(`${err.message}; see ${logFile}:\n${tailOf(logFile)}`)
  }

  return track({
    client: createClient(controlAddr),
    stop: async () => {
      if (child.exitCode == null && child.signalCode == null) {
        child.kill('SIGTERM')
        let timer
        const outcome = await Promise.race([
          exited,
          new Promise(resolve => { timer = setTimeout(() => resolve(null), STOP_GRACE_MS) })
        ])
        clearTimeout(timer)
        if (outcome == null) {
          write(`# no exit ${STOP_GRACE_MS} ms after SIGTERM: SIGKILL\n`)
          child.kill('SIGKILL')
        }
      }
      await exited
      try { fs.closeSync(log) } catch {}
    }
  })
}

const factory = {
  async spawn (options) {
    if (options.type === 'go' && !AS_JS) return spawnJava(options)
    return spawnJs(options)
  }
}

// ------------------------------------------------------------------ what is not run

const JS_WITH_ITSELF = 'js-libp2p with itself in a configuration this node lacks'
const SUITE_SKIPPED = 'skipped by the suite itself (describe.skip)'
const RUNTIME_SKIPPED = 'skipped at run time (the factory reported the configuration unsupported)'

/** What the tinyp2p node lacks for this test, decided by its suite's and its own titles. */
function lacking (suiteTitle, testTitle) {
  const lacks = []
  let types = []
  let m
  if ((m = /^(ed25519|rsa|secp256k1)\/(noise|tls|plaintext)\/(mplex|yamux) echo$/.exec(suiteTitle)) != null) {
    if (m[1] === 'rsa') lacks.push('RSA keys: the node\'s identities are Ed25519')
    if (m[1] === 'secp256k1') lacks.push('secp256k1 keys: the node\'s identities are Ed25519')
    if (m[2] === 'plaintext') lacks.push('plaintext: not offered, it is insecure')
    if (m[3] === 'mplex') lacks.push('mplex: deprecated, the node speaks yamux')
    const t = /^(js|go) sender to (js|go) listener$/.exec(testTitle)
    if (t != null) types = [t[1], t[2]]
  } else if ((m = /^connection\.(\S+)$/.exec(suiteTitle)) != null) {
    if (m[1] === 'webtransport') lacks.push('WebTransport transport: not implemented')
    else if (m[1] === 'webrtc-direct') lacks.push('WebRTC Direct transport: not implemented')
    else if (m[1] !== 'tcp') lacks.push(`${m[1]} transport: not implemented`)
    const t = /^(js|go) peer to (js|go) peer/.exec(testTitle)
    if (t != null) types = [t[1], t[2]]
  } else if ((m = /^(js|go) to (js|go) over relay (js|go)$/.exec(suiteTitle)) != null) {
    types = [m[1], m[2], m[3]]
  } else {
    const t = /^(js|go) peer to (js|go) peer/.exec(testTitle)
    if (t != null) types = [t[1], t[2]]
  }
  return { lacks, types }
}

/** The reason this test is not run, or null when it runs. */
function notRunReason (suiteTitle, testTitle) {
  const { lacks, types } = lacking(suiteTitle, testTitle)
  if (lacks.length === 0) return null
  if (types.length > 0 && !types.includes('go')) {
    return { reason: JS_WITH_ITSELF, detail: lacks.join('; ') }
  }
  return { reason: lacks[0], detail: lacks.slice(1).join('; ') }
}

// ------------------------------------------------------------------ the run

// TINYP2P_SUITE_GREP: run only the tests whose full titles match (for working on one part; the
// counts then speak of that part only)
const GREP = process.env.TINYP2P_SUITE_GREP
const mocha = new Mocha({ timeout: TEST_MS, reporter: 'spec', color: false, ...(GREP ? { grep: GREP } : {}) })
mocha.suite.emit('pre-require', globalThis, 'daemon-suite.mjs', mocha)

connectInteropTests(factory)
await dhtInteropTests(factory)
await pubsubInteropTests(factory)
await streamInteropTests(factory)
relayInteropTests(factory)

/** test -> { reason, detail } for the tests marked not run here or by the suite. */
const notRun = new Map()

function mark (suite) {
  for (const child of suite.suites) mark(child)
  if (suite.isPending()) {
    for (const test of suite.tests) notRun.set(test, { reason: SUITE_SKIPPED, detail: '' })
    return
  }
  let all = suite.tests.length > 0
  for (const test of suite.tests) {
    const why = test.isPending() ? { reason: SUITE_SKIPPED, detail: '' } : notRunReason(suite.title, test.title)
    if (why == null) {
      all = false
      continue
    }
    test.pending = true
    notRun.set(test, why)
  }
  if (all && suite.suites.length === 0) {
    // nothing of it runs: neither do its hooks (which would start daemons)
    suite.pending = true
    suite._beforeAll = []
    suite._beforeEach = []
    suite._afterEach = []
    suite._afterAll = []
  }
}
mark(mocha.suite)

function allTests (suite, out = []) {
  out.push(...suite.tests)
  for (const child of suite.suites) allTests(child, out)
  return out
}

const results = new Map() // test -> { state, ms, error }
const hookFailures = [] // { title, suite, error }

function firstLine (err) {
  return String(err?.message ?? err).split('\n')[0].slice(0, 300)
}

let finished = false

async function stopAll () {
  await Promise.allSettled([...running].map(d => d.stop()))
}

function report (extra = {}) {
  const tests = allTests(mocha.suite)
  const lines = []
  let passed = 0
  let failed = 0
  const groups = new Map()
  for (const test of tests) {
    const title = test.fullTitle()
    const r = results.get(test)
    const why = notRun.get(test)
    let entry
    if (r != null && r.state === 'passed') {
      passed++
      entry = { title, state: 'passed', ms: r.ms }
    } else if (r != null && r.state === 'failed') {
      failed++
      entry = { title, state: 'failed', ms: r.ms, error: r.error }
    } else if (GREP && r == null && !new RegExp(GREP).test(title)) {
      continue // left out by TINYP2P_SUITE_GREP: neither run nor counted
    } else if (why != null || (r != null && r.state === 'pending')) {
      const w = why ?? { reason: RUNTIME_SKIPPED, detail: '' }
      groups.set(w.reason, (groups.get(w.reason) ?? 0) + 1)
      entry = { title, state: 'notRun', reason: w.reason }
      if (w.detail !== '') entry.detail = w.detail
    } else {
      // never reached: a hook before it failed, or the run was cut short
      failed++
      let s = test.parent
      let hook = null
      while (s != null && hook == null) {
        hook = hookFailures.find(h => h.suite === s) ?? null
        s = s.parent
      }
      entry = { title, state: 'failed', error: hook != null ? `${hook.title}: ${hook.error}` : 'not run: the run ended before it' }
    }
    lines.push('INTEROP-TEST ' + JSON.stringify(entry))
  }
  // an "after" hook failing after its tests passed is a failure of its own
  const afterFailures = hookFailures.filter(h => /^"after (all|each)" hook/.test(h.title))
  failed += afterFailures.length
  for (const h of afterFailures) {
    lines.push('INTEROP-TEST ' + JSON.stringify({ title: `${h.suite.fullTitle()} ${h.title}`, state: 'failed', error: h.error }))
  }
  const notRunCount = [...groups.values()].reduce((a, b) => a + b, 0)
  const summary = {
    run: passed + failed,
    passed,
    failed,
    notRun: notRunCount,
    total: GREP ? passed + failed + notRunCount : tests.length,
    ...(GREP ? { grep: GREP } : {}),
    goDaemon: AS_JS ? 'js in this process (TINYP2P_DAEMON_AS_JS=1)' : daemonCommand,
    suite: '@libp2p/interop',
    ...extra
  }
  console.log('')
  console.log('INTEROP-SUMMARY ' + JSON.stringify(summary))
  for (const [reason, count] of groups) {
    console.log('INTEROP-NOT-RUN ' + JSON.stringify({ reason, count }))
  }
  for (const line of lines) console.log(line)
  return summary
}

const watchdog = setTimeout(() => {
  if (finished) return
  finished = true
  console.error(`daemon-suite: the run did not end within ${SUITE_MS} ms; stopping it`)
  report({ timedOut: true })
  killChildrenNow()
  process.exit(3)
}, SUITE_MS)

const runner = mocha.run()
runner.on('pass', test => { results.set(test, { state: 'passed', ms: test.duration }) })
runner.on('pending', test => { if (!results.has(test)) results.set(test, { state: 'pending' }) })
runner.on('fail', (runnable, err) => {
  if (runnable.type === 'hook') {
    hookFailures.push({ title: runnable.title, suite: runnable.parent, error: firstLine(err) })
    // the test a before-each hook ran for is blamed on the hook, not on itself
  } else {
    results.set(runnable, { state: 'failed', ms: runnable.duration, error: firstLine(err) })
  }
})
runner.on('end', async () => {
  if (finished) return
  finished = true
  clearTimeout(watchdog)
  // whatever a failing hook left running
  let timer
  await Promise.race([
    stopAll(),
    new Promise(resolve => { timer = setTimeout(resolve, 2 * STOP_GRACE_MS) })
  ])
  clearTimeout(timer)
  const summary = report()
  killChildrenNow()
  process.exit(summary.failed === 0 && summary.run > 0 ? 0 : 1)
})
