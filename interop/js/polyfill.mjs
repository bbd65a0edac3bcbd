// js-libp2p 3.x calls Promise.withResolvers(), which only exists from Node 22 on.
// Loaded with `node --import ./polyfill.mjs ...` so it runs before any libp2p module.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
