// The libp2p perf protocol, /perf/1.0.0 (libp2p/specs perf/perf.md), server
// and client, written against js-libp2p 3's stream API (no @libp2p/perf
// package is available for libp2p 3 from the registry we can reach).
//
// Client: opens a stream, writes the number of bytes it wants back as a
// big-endian u64, uploads its bytes, closes its write side, then reads until
// the server closes. Server: reads the u64, reads and discards until the
// client closed its write side, only THEN sends the requested bytes and closes.

import { readUntilEnd, sendRepeated } from './common.mjs'

export const PERF_PROTOCOL = '/perf/1.0.0'

// The spec allows any fixed bytes: zeros, sent from one reusable buffer so that
// producing the data costs nothing. Handed to the stream 256 KiB at a time
// (yamux and Noise cut it into frames of at most 64 KiB below us); 64 KiB and
// 1 MiB measured the same within noise.
export const PERF_CHUNK_SIZE = 256 * 1024
const CHUNK = new Uint8Array(PERF_CHUNK_SIZE)

function protocolError (message) {
  const err = new Error(message)
  err.name = 'ProtocolError'
  return err
}

/**
 * Stream handler for the perf server: register with
 *   node.handle(PERF_PROTOCOL, handlePerf, { maxInboundStreams: ... })
 * onDone (optional) is told { uploaded, downloaded } for every finished stream.
 */
export function perfHandler (onDone) {
  return async function handlePerf (stream) {
    const header = new Uint8Array(8)
    let headerLength = 0
    let uploaded = 0
    try {
      // steps 1 + 2: the u64, then everything else until the client's EOF
      await readUntilEnd(stream, (data) => {
        let offset = 0
        if (headerLength < 8) {
          offset = Math.min(8 - headerLength, data.byteLength)
          header.set(data.subarray(0, offset), headerLength)
          headerLength += offset
        }
        uploaded += data.byteLength - offset
      })
      if (headerLength < 8) {
        throw protocolError(`stream closed after ${headerLength} of the 8 header bytes`)
      }
      // step 3: the requested bytes (not concurrently with step 2). A request
      // beyond 2^53 (the spec's "max u64" timer mode) means "until the client
      // goes away": sending stops when the client resets the stream.
      const wanted = new DataView(header.buffer).getBigUint64(0, false)
      const toSend = wanted <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(wanted) : Infinity
      await sendRepeated(stream, CHUNK, toSend)
      // step 4: close
      await stream.close()
      onDone?.({ uploaded, downloaded: toSend })
    } catch (err) {
      stream.abort(err)
    }
  }
}

/**
 * Runs one perf exchange on a new stream of `connection` and times both
 * phases as seen by the client:
 *   upload   = from just before opening the stream until the first byte of
 *              the answer arrives (the server answers only after it has read
 *              our EOF, so everything has been received by then), or until
 *              the server's close when downloadBytes is 0;
 *   download = from that moment until the server's close, all bytes read.
 * Returns { uploadBytes, downloadBytes, uploadSeconds, downloadSeconds, seconds }.
 */
export async function runPerf (connection, { uploadBytes, downloadBytes, signal }) {
  const started = performance.now()
  const stream = await connection.newStream(PERF_PROTOCOL, { signal })
  let received = 0
  let firstByteAt = null
  // listen before writing anything: the answer arrives as events
  const reading = readUntilEnd(stream, (data) => {
    if (firstByteAt == null) firstByteAt = performance.now()
    received += data.byteLength
  }, signal)
  reading.catch(() => {}) // awaited below; no unhandled rejection meanwhile
  try {
    const header = new Uint8Array(8)
    new DataView(header.buffer).setBigUint64(0, BigInt(downloadBytes), false)
    if (!stream.send(header)) await stream.onDrain({ signal })
    await sendRepeated(stream, CHUNK, uploadBytes, signal)
    await stream.close({ signal })
    await reading
  } catch (err) {
    stream.abort(err)
    throw err
  }
  const ended = performance.now()
  if (received !== downloadBytes) {
    throw protocolError(`asked for ${downloadBytes} bytes, the server sent ${received} before closing`)
  }
  const uploadDone = firstByteAt ?? ended
  return {
    uploadBytes,
    downloadBytes,
    uploadSeconds: (uploadDone - started) / 1000,
    downloadSeconds: (ended - uploadDone) / 1000,
    seconds: (ended - started) / 1000
  }
}
