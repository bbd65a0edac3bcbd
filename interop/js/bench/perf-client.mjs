// A /perf/1.0.0 client: dials a perf server (any implementation), runs one
// perf exchange and prints the result as one JSON line.
//
//   node --import ../polyfill.mjs perf-client.mjs <multiaddr with /p2p/> <uploadBytes> <downloadBytes> [timeoutMs]
//
// stdout, exit 0: {"ok":true,"uploadMBps","downloadMBps","uploadBytes","downloadBytes",
//                  "uploadSeconds","downloadSeconds","seconds","dialMs"}
// stdout, exit 1: {"ok":false,"error":"Name: message"}
// MB = 10^6 bytes. One stream: the upload is timed from just before the stream
// is opened until the first downloaded byte arrives (or the server's close when
// downloadBytes is 0), the download from then until the server closes; see
// runPerf in perf.mjs. The dial (TCP + Noise + Yamux) is not in either time
// (dialMs). A MBps is null when its byte count is 0. timeoutMs defaults to
// 120000 and covers dial + exchange. Logs go to stderr.

import { multiaddr } from '@multiformats/multiaddr'
import { MB, createBenchNode, round, timeoutSignal } from './common.mjs'
import { runPerf } from './perf.mjs'

console.log = console.error // nothing but the result on stdout

function parseCount (text, what) {
  if (text == null || !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(text)}`)
  }
  return Number(text)
}

function finish (code, obj) {
  process.stdout.write(JSON.stringify(obj) + '\n', () => process.exit(code))
}

let node
let signal
let timeoutMs = 120_000
try {
  const [addrText, uploadText, downloadText, timeoutText] = process.argv.slice(2)
  if (addrText == null) throw new Error('usage: perf-client.mjs <multiaddr with /p2p/> <uploadBytes> <downloadBytes> [timeoutMs]')
  const addr = multiaddr(addrText)
  if (addr.getComponents().every(c => c.name !== 'p2p')) throw new Error('the multiaddr needs a /p2p/<peer id> part')
  const uploadBytes = parseCount(uploadText, 'uploadBytes')
  const downloadBytes = parseCount(downloadText, 'downloadBytes')
  if (timeoutText != null) timeoutMs = parseCount(timeoutText, 'timeoutMs')
  signal = timeoutSignal(timeoutMs)

  node = await createBenchNode({ listen: false })
  const dialStarted = performance.now()
  const connection = await node.dial(addr, { signal })
  const dialMs = performance.now() - dialStarted
  const r = await runPerf(connection, { uploadBytes, downloadBytes, signal })
  await node.stop().catch(() => {})
  finish(0, {
    ok: true,
    uploadMBps: uploadBytes === 0 ? null : round(uploadBytes / MB / r.uploadSeconds, 2),
    downloadMBps: downloadBytes === 0 ? null : round(downloadBytes / MB / r.downloadSeconds, 2),
    uploadBytes,
    downloadBytes,
    uploadSeconds: round(r.uploadSeconds, 4),
    downloadSeconds: round(r.downloadSeconds, 4),
    seconds: round(r.seconds, 4),
    dialMs: round(dialMs, 2)
  })
} catch (err) {
  console.error('perf-client failed:', err)
  // do not wait long for a clean stop: the answer matters more
  await Promise.race([node?.stop().catch(() => {}), new Promise(resolve => setTimeout(resolve, 2_000))])
  const error = signal?.aborted === true
    ? `TimeoutError: no result within ${timeoutMs} ms (${err?.message ?? err})`
    : `${err?.name ?? 'Error'}: ${err?.message ?? err}`
  finish(1, { ok: false, error })
}
