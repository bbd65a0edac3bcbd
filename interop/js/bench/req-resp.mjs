// /tinyp2p/req-resp/1.0.0 for the benchmarks: the same wire format as
// ../peer.mjs (see README "Request-response protocol"), reduced to what a
// benchmark needs: an echo server and a client that times one request.
//
// One stream per request. The requester writes uvarint(length) ‖ payload and
// closes its write side; the responder reads the length prefix and exactly that
// many bytes (without waiting for the close), answers uvarint(length) ‖ payload
// and closes its write side.

export const REQ_RESP_PROTOCOL = '/tinyp2p/req-resp/1.0.0'
// per-connection stream limit, each direction (js-libp2p's default is 32 in / 64 out)
export const REQ_RESP_MAX_STREAMS = 1024
export const MAX_MESSAGE_SIZE = 1024 * 1024
const MAX_UVARINT_BYTES = 9

function namedError (name, message) {
  const err = new Error(message)
  err.name = name
  return err
}

export function encodeUvarint (value) {
  const out = []
  let rest = value
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
  return Uint8Array.from(out)
}

/**
 * Resolves with the first uvarint-length-prefixed message read from `stream`
 * (bytes after it are ignored), or null when the remote closed its write side
 * without sending anything (the protocol's error response). Rejects on a
 * malformed or oversized message, a reset, or the signal.
 */
export function readMessage (stream, { maxLength = MAX_MESSAGE_SIZE, signal } = {}) {
  return new Promise((resolve, reject) => {
    let declared = null
    let prefixValue = 0
    let prefixBytes = 0
    let body = null
    let filled = 0
    let sawBytes = false
    let done = false

    const finish = (err, value) => {
      if (done) return
      done = true
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('remoteCloseWrite', onRemoteEnd)
      stream.removeEventListener('end', onRemoteEnd)
      stream.removeEventListener('close', onClose)
      signal?.removeEventListener('abort', onAbort)
      if (err != null) reject(err)
      else resolve(value)
    }

    const onMessage = (evt) => {
      if (done) return
      const bytes = evt.data.subarray() // Uint8Array, or a flattened Uint8ArrayList
      if (bytes.length > 0) sawBytes = true
      let pos = 0
      while (declared == null && pos < bytes.length) {
        const b = bytes[pos++]
        prefixValue += (b & 0x7f) * 2 ** (7 * prefixBytes)
        prefixBytes++
        if (b < 0x80) {
          declared = prefixValue
          if (declared > maxLength) {
            finish(namedError('MessageTooLarge', `declared length ${declared} exceeds ${maxLength}`))
            return
          }
          body = new Uint8Array(declared)
        } else if (prefixBytes >= MAX_UVARINT_BYTES) {
          finish(namedError('ProtocolError', 'length prefix too long'))
          return
        }
      }
      if (declared == null) return
      const take = Math.min(bytes.length - pos, declared - filled)
      body.set(bytes.subarray(pos, pos + take), filled)
      filled += take
      if (filled === declared) finish(null, body)
    }

    // Deferred, and only once nothing is left in the read buffer: yamux reports
    // a FIN before the payload of the same frame.
    const onRemoteEnd = () => queueMicrotask(() => {
      if (done || stream.remoteWriteStatus !== 'closed' || stream.readBufferLength > 0) return
      if (!sawBytes) finish(null, null)
      else finish(namedError('ProtocolError', `stream closed after ${filled} of ${declared ?? '?'} bytes`))
    })
    const onClose = (evt) => {
      if (evt.error != null) finish(evt.error)
      else onRemoteEnd()
    }
    const onAbort = () => finish(signal.reason ?? new Error('aborted'))

    stream.addEventListener('message', onMessage)
    stream.addEventListener('remoteCloseWrite', onRemoteEnd)
    stream.addEventListener('end', onRemoteEnd)
    stream.addEventListener('close', onClose)
    if (signal != null) {
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    }
    onRemoteEnd()
  })
}

/** The echo server: answers every request with the request itself. */
export async function handleEchoRequest (stream) {
  try {
    const request = await readMessage(stream)
    if (request == null) throw namedError('ProtocolError', 'stream closed without a request')
    const prefix = encodeUvarint(request.length)
    stream.send(prefix)
    if (!stream.send(request)) await stream.onDrain()
    await stream.close()
  } catch (err) {
    stream.abort(err)
  }
}

/**
 * Sends one request on a new stream of `connection` and waits for the whole
 * response. Resolves with { response, ms } where ms runs from just before the
 * stream is opened (protocol negotiation included) to the last response byte.
 */
export async function request (connection, payload, { signal } = {}) {
  const started = performance.now()
  const stream = await connection.newStream(REQ_RESP_PROTOCOL, {
    signal,
    // this client does not register the protocol, so the limit comes from here
    maxOutboundStreams: REQ_RESP_MAX_STREAMS
  })
  const reading = readMessage(stream, { signal })
  reading.catch(() => {}) // awaited below
  try {
    stream.send(encodeUvarint(payload.length))
    if (!stream.send(payload)) await stream.onDrain({ signal })
    await stream.close({ signal })
    const response = await reading
    if (response == null) throw namedError('RemoteError', 'error response (closed without bytes)')
    return { response, ms: performance.now() - started }
  } catch (err) {
    stream.abort(err)
    throw err
  }
}
