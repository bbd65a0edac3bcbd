// Status page of a tinyp2p node: polls /status every 2 s and /history at its sampling interval,
// and updates the DOM in place: charts of the last 15 minutes (inline SVG drawn here, no
// library), the counters in a few groups, the connected peers with what Identify, gossipsub
// and ping say of them.
// Every value is written with textContent (or as an attribute's value), never innerHTML:
// peer-supplied strings (agents, protocol ids) stay text, and are shown cut to a bounded length.
'use strict';

const REFRESH_MS = 2000;
const KNOWN = new Set(['peerId', 'listenAddrs', 'connections', 'knownPeers', 'topics', 'uptimeMs', 'version']);
const $ = (id) => document.getElementById(id);

// The API token, when the node asks for one (401): typed in once, kept for this tab only.
let token = sessionStorage.getItem('tinyp2p.token') || '';

// fetch() of an API route with the token, if any; a 401 shows the token form.
async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) headers['Authorization'] = 'Bearer ' + token;
  const res = await fetch(path, Object.assign({}, options, { headers }));
  if (res.status === 401) $('token-card').hidden = false;
  return res;
}

function useToken(event) {
  event.preventDefault();
  token = $('token').value.trim();
  sessionStorage.setItem('tinyp2p.token', token);
  $('token-card').hidden = true;
  $('token').value = '';
}

// Creates an element with optional class and text content.
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// ---- number formats ----

// n scaled by powers of `base` with one of `units`: 999 → "999", 1234 → "1.2 k", 56789 → "56.8 k",
// 123456 → "123 k"; a fraction below the first step keeps one decimal (0.4).
function scaled(n, base, units) {
  if (n == null || !Number.isFinite(n)) return '—';
  let v = Math.abs(n);
  let i = 0;
  const digits = (x) => (x < 100 ? 1 : 0);
  while (i < units.length - 1 && Number(v.toFixed(digits(v))) >= base) {
    v /= base;
    i++;
  }
  const text = i === 0 && Number.isInteger(v) ? String(v) : v.toFixed(digits(v));
  return (n < 0 ? '-' : '') + text + units[i];
}
const fmtCount = (n) => scaled(n, 1000, ['', ' k', ' M', ' G', ' T']);
const fmtBytes = (n) => scaled(n, 1000, [' B', ' kB', ' MB', ' GB', ' TB']);
const fmtRate = (n) => (n == null ? '—' : fmtBytes(n) + '/s');
const fmtPerSec = (n) => (n == null ? '—' : fmtCount(n) + '/s');
// Milliseconds rounded to 0.1 ms; from 10 s on, seconds.
function fmtMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return '—';
  return ms < 10000 ? ms.toFixed(1) + ' ms' : (ms / 1000).toFixed(1) + ' s';
}
const fmtScore = (s) => (s == null || !Number.isFinite(s) ? '—' : s.toFixed(1));

// A peer's string, at most n characters (code points) shown.
function cut(s, n) {
  const chars = Array.from(String(s));
  return chars.length > n ? chars.slice(0, n - 1).join('') + '…' : String(s);
}

// Formats a duration in milliseconds as "1d 2h 3m" (at most the three largest units).
function duration(ms) {
  let s = Math.max(0, Math.floor(ms / 1000));
  const parts = [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']]
    .map(([n, u]) => { const v = Math.floor(s / n); s %= n; return v ? v + u : ''; })
    .filter(Boolean);
  return parts.slice(0, 3).join(' ') || '0s';
}

// ---- lists and tables ----

// Fills a <ul> with one <li> per string, or a single "none" item when the list is empty.
function fillList(ul, items) {
  const lis = (items || []).map((t) => el('li', null, t));
  ul.replaceChildren(...(lis.length ? lis : [el('li', 'none', 'none')]));
}

// Replaces a table's body with one row per item (built by makeRow), or a "none" row;
// cells get their column name in data-label for the stacked narrow-window layout.
function fillTable(table, items, makeRow) {
  const cols = table.tHead.rows[0].cells.length;
  const rows = (items || []).map(makeRow);
  if (!rows.length) {
    const td = el('td', 'none', 'none');
    td.colSpan = cols;
    rows.push(el('tr'));
    rows[0].append(td);
  }
  const labels = [...table.tHead.rows[0].cells].map((th) => th.textContent);
  for (const tr of rows) [...tr.cells].forEach((td, i) => { if (!td.classList.contains('none')) td.dataset.label = labels[i]; });
  table.tBodies[0].replaceChildren(...rows);
  const count = $(table.id + '-count');
  if (count) count.textContent = String((items || []).length);
}

// Builds a table row from cells given as [text, class] pairs (or plain text, or a ready Node).
function row(...cells) {
  const tr = el('tr');
  for (const c of cells) {
    const [text, cls] = Array.isArray(c) ? c : [c];
    const td = el('td', cls);
    if (text instanceof Node) td.append(text); else td.textContent = text ?? '';
    tr.append(td);
  }
  return tr;
}

// Renders any JSON value as a DOM node: objects as one key/value table (nested keys joined
// with dots), arrays as lists, numbers with thousands separators (never broken across lines),
// the rest as text.
function generic(value) {
  if (typeof value === 'number') return el('span', 'number', value.toLocaleString('en-US'));
  if (value === null || typeof value !== 'object') return el('span', 'mono', typeof value === 'string' ? value : JSON.stringify(value));
  if (Array.isArray(value)) {
    const ul = el('ul', 'mono-list');
    fillList(ul, value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))));
    return ul;
  }
  const table = el('table', 'kv');
  const body = table.createTBody();
  const add = (prefix, obj) => {
    for (const [k, v] of Object.entries(obj)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) add(prefix + k + '.', v);
      else body.append(row([dotted(prefix + k), 'key'], [generic(v), 'val']));
    }
  };
  add('', value);
  if (!body.rows.length) body.append(row(['none', 'none']));
  return table;
}

// A dotted key that may break after its dots (and only there, if it can).
function dotted(key) {
  const span = el('span');
  key.split('.').forEach((part, i, all) => {
    span.append(part + (i < all.length - 1 ? '.' : ''));
    if (i < all.length - 1) span.append(el('wbr'));
  });
  return span;
}

// Every other top-level field of /status (gossipsub, limits, requests, jvm, http) in full,
// under "All counters".
function renderExtra(status) {
  const cards = Object.keys(status).filter((k) => !KNOWN.has(k)).sort().map((k) => {
    const card = el('section', 'card');
    const box = el('div', 'scroll');
    box.append(generic(status[k]));
    card.append(el('h2', null, k), box);
    return card;
  });
  $('extra').replaceChildren(...cards);
}

// ---- charts: the last 15 minutes of /history, as inline SVG ----

const SVG_NS = 'http://www.w3.org/2000/svg';
const W = 600;
const H = 120;
const PAD = 4;
const MAX_SERIES = 6;

// Messages per second received on each topic (as they appear in the samples), one series each.
function topicSeries(h) {
  const names = [];
  for (const s of h.samples) for (const t of Object.keys(s.topics || {})) if (!names.includes(t)) names.push(t);
  return names.map((t) => ({ name: t, values: h.samples.map((s) => (s.topics && s.topics[t] ? s.topics[t].receivedPerSec : null)) }));
}

const CHARTS = [
  { id: 'connections', title: 'Connections', format: fmtCount, empty: '',
    series: (h) => [{ name: 'open', values: h.samples.map((s) => s.connections) }] },
  { id: 'bandwidth', title: 'Bandwidth', format: fmtRate, empty: '',
    series: (h) => [{ name: 'in', values: h.samples.map((s) => s.bytesInPerSec) },
      { name: 'out', values: h.samples.map((s) => s.bytesOutPerSec) }] },
  { id: 'messages', title: 'Messages received per topic', format: fmtPerSec, empty: 'no topic joined', series: topicSeries },
  { id: 'latency', title: 'Request latency', format: fmtMs, empty: '',
    series: (h) => ['p50', 'p99'].map((q) => ({ name: q, values: h.samples.map((s) => (s.latencyMs ? s.latencyMs[q] : null)) })) },
];

// Builds each chart's fixed frame once: caption and legend, the SVG with its grid, the time axis.
function setupCharts() {
  for (const chart of CHARTS) {
    const fig = $('chart-' + chart.id);
    const caption = el('figcaption');
    chart.legend = el('span', 'legend');
    caption.append(el('span', 'chart-title', chart.title), chart.legend);
    const plot = el('div', 'plot');
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', chart.title + ', last 15 minutes');
    const grid = document.createElementNS(SVG_NS, 'g');
    grid.setAttribute('class', 'grid');
    for (const y of [PAD, H / 2, H - PAD]) {
      const line = document.createElementNS(SVG_NS, 'line');
      for (const [k, v] of [['x1', 0], ['x2', W], ['y1', y], ['y2', y]]) line.setAttribute(k, String(v));
      grid.append(line);
    }
    chart.lines = document.createElementNS(SVG_NS, 'g');
    svg.append(grid, chart.lines);
    chart.ymax = el('span', 'ymax', '');
    plot.append(svg, chart.ymax);
    const axis = el('div', 'xaxis');
    for (const t of ['15 min ago', '10 min', '5 min', 'now']) axis.append(el('span', null, t));
    fig.append(caption, plot, axis);
    fig.dataset.points = '0';
  }
}

// 1, 2 or 5 times a power of ten, at least v (1 for nothing): the top of a chart's scale.
function niceCeil(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v * 0.999999) return m * p;
  return 10 * p;
}

// Draws one chart from the history: a path per series (broken where a sample has no value),
// scaled to the 15-minute window that ends at the newest sample.
function drawChart(chart, h) {
  const all = chart.series(h);
  const shown = all.slice(0, MAX_SERIES);
  const times = h.samples.map((s) => s.at);
  const end = times.length ? times[times.length - 1] : Date.now();
  const start = end - (h.windowMs || 900000);
  let max = 0;
  for (const s of shown) for (const v of s.values) if (v != null && v > max) max = v;
  const top = niceCeil(max);
  let most = 0;
  const paths = shown.map((s, i) => {
    let d = '';
    let points = 0;
    let joined = false;
    s.values.forEach((v, j) => {
      if (v == null || !Number.isFinite(v)) { joined = false; return; }
      const x = ((times[j] - start) / (end - start)) * W;
      const y = H - PAD - (Math.min(v, top) / top) * (H - 2 * PAD);
      // a point on its own is drawn as a dot (a zero-length segment with round caps)
      d += (joined ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1) + (joined ? '' : 'l0 0');
      joined = true;
      points++;
    });
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('class', 'line s' + i);
    path.setAttribute('d', d);
    path.dataset.points = String(points);
    most = Math.max(most, points);
    return path;
  });
  chart.lines.replaceChildren(...paths);
  chart.ymax.textContent = chart.format(top);
  const fig = $('chart-' + chart.id);
  fig.dataset.points = String(most);
  const keys = shown.map((s, i) => {
    const key = el('span', 'key');
    const last = [...s.values].reverse().find((v) => v != null);
    key.append(el('i', 'swatch s' + i), el('span', 'name', cut(s.name, 24)), el('b', 'value', chart.format(last)));
    key.title = s.name;
    return key;
  });
  if (all.length > shown.length) keys.push(el('span', 'muted', '+' + (all.length - shown.length) + ' more'));
  if (!keys.length && chart.empty) keys.push(el('span', 'muted', chart.empty));
  chart.legend.replaceChildren(...keys);
}

let lastHistory = null;

// Fetches /history, redraws the charts, and polls again after the node's sampling interval.
async function refreshHistory() {
  let next = REFRESH_MS;
  try {
    const res = await api('history', { cache: 'no-store', signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const h = await res.json();
    h.samples = Array.isArray(h.samples) ? h.samples : [];
    lastHistory = h;
    next = Math.max(REFRESH_MS, Number(h.intervalMs) || 5000);
    for (const chart of CHARTS) drawChart(chart, h);
    $('history-note').textContent = h.samples.length < 2 ? 'collecting samples…'
      : 'a sample every ' + (h.intervalMs < 1000 ? h.intervalMs + ' ms' : duration(h.intervalMs))
        + ' · ' + h.samples.length + ' samples';
    renderCounters();
  } catch (e) {
    $('history-note').textContent = 'history unavailable: ' + String(e && e.message || e);
  } finally {
    setTimeout(refreshHistory, next);
  }
}

// ---- counters, in groups ----

const sum = (o) => Object.values(o || {}).reduce((a, v) => a + (typeof v === 'number' ? v : 0), 0);
const nonZero = (o) => Object.entries(o || {}).filter(([, v]) => typeof v === 'number' && v)
  .map(([k, v]) => k + ': ' + fmtCount(v)).join(', ');
const only = (o, test) => Object.fromEntries(Object.entries(o || {}).filter(([k]) => test(k)));
const lim = (s) => s.limits || {};
const gc = (s) => (s.gossipsub && s.gossipsub.counters) || {};
const rq = (s) => s.requests || {};
const newest = (h) => (h && h.samples.length ? h.samples[h.samples.length - 1] : {});
const httpRefused = (s) => only(s.http, (k) => k !== 'eventClients');

// [group, [[label, value(status, history), details(status, history) for the tooltip]...]]
const GROUPS = [
  ['Network', [
    ['Connections', (s) => fmtCount((s.connections || []).length)],
    ['Streams open', (s) => fmtCount((s.connections || []).reduce((a, c) => a + (c.streams || 0), 0))],
    ['Known peers', (s) => fmtCount((s.knownPeers || []).length)],
    ['Refused', (s) => fmtCount(sum(lim(s).refused)), (s) => nonZero(lim(s).refused)],
    ['Closed by limits', (s) => fmtCount(sum(lim(s).closed)), (s) => nonZero(lim(s).closed)],
    ['Dials suppressed', (s) => fmtCount(sum(lim(s).dialsSuppressed)), (s) => nonZero(lim(s).dialsSuppressed)],
  ]],
  ['Traffic', [
    ['Received', (s, h) => fmtBytes(newest(h).bytesIn)],
    ['Sent', (s, h) => fmtBytes(newest(h).bytesOut)],
    ['In now', (s, h) => fmtRate(newest(h).bytesInPerSec)],
    ['Out now', (s, h) => fmtRate(newest(h).bytesOutPerSec)],
  ]],
  ['Gossipsub', [
    ['Received', (s) => fmtCount(gc(s).received)],
    ['Delivered', (s) => fmtCount(gc(s).delivered)],
    ['Forwarded', (s) => fmtCount(gc(s).forwarded)],
    ['Published', (s) => fmtCount(gc(s).published)],
    ['Dropped', (s) => fmtCount(sum(only(gc(s), (k) => k.startsWith('dropped.')))),
      (s) => nonZero(only(gc(s), (k) => k.startsWith('dropped.')))],
    ['Mesh peers', (s) => fmtCount(sum(s.gossipsub && s.gossipsub.mesh)), (s) => nonZero(s.gossipsub && s.gossipsub.mesh)],
    ['Validation queue', (s) => fmtCount(gc(s).validationQueue)],
  ]],
  ['Requests', [
    ['Sent', (s) => fmtCount(rq(s).outbound)],
    ['Sent, failed', (s) => fmtCount(sum(rq(s).failures)), (s) => nonZero(rq(s).failures)],
    ['Received', (s) => fmtCount(rq(s).inbound)],
    ['Received, failed', (s) => fmtCount(rq(s).inboundFailed)],
    ['Latency p50', (s) => fmtMs(rq(s).latencyMs && rq(s).latencyMs.p50), () => 'over the last 1024 requests answered'],
    ['Latency p99', (s) => fmtMs(rq(s).latencyMs && rq(s).latencyMs.p99), () => 'over the last 1024 requests answered'],
  ]],
  ['Process', [
    ['Heap used', (s) => fmtBytes(s.jvm && s.jvm.heapUsed)],
    ['Heap after GC', (s) => fmtBytes(s.jvm && s.jvm.heapAfterGc)],
    ['Heap max', (s) => fmtBytes(s.jvm && s.jvm.heapMax)],
    ['Event clients', (s) => fmtCount(s.http && s.http.eventClients)],
    ['HTTP refused', (s) => fmtCount(sum(httpRefused(s))), (s) => nonZero(httpRefused(s))],
  ]],
];
const counterCells = [];

// Builds the groups once (a fixed layout: values change in place, nothing moves).
function setupCounters() {
  const groups = GROUPS.map(([name, stats]) => {
    const group = el('div', 'group');
    const dl = el('dl', 'stats');
    for (const [label, value, details] of stats) {
      const stat = el('div', 'stat');
      const dd = el('dd', 'value', '—');
      stat.append(el('dt', null, label), dd);
      dl.append(stat);
      counterCells.push({ dd, value, details });
    }
    group.append(el('h3', null, name), dl);
    return group;
  });
  $('counters').replaceChildren(...groups);
}

let lastStatus = null;

function renderCounters() {
  if (!lastStatus) return;
  for (const { dd, value, details } of counterCells) {
    dd.textContent = value(lastStatus, lastHistory);
    dd.title = details ? details(lastStatus, lastHistory) : '';
  }
}

// ---- peers ----

const AGENT_CHARS = 40;
const PROTOCOL_CHARS = 80;
const openProtocols = new Set(); // peers whose protocol list is unfolded, kept across refreshes

// A peer's protocols (from Identify) as a list that unfolds.
function protocolList(c) {
  const list = Array.isArray(c.protocols) ? c.protocols : [];
  if (!list.length) return el('span', 'muted', '—');
  const details = el('details', 'protocols');
  details.open = openProtocols.has(c.peerId);
  details.addEventListener('toggle', () => {
    if (details.open) openProtocols.add(c.peerId); else openProtocols.delete(c.peerId);
  });
  details.append(el('summary', null, list.length + (list.length === 1 ? ' protocol' : ' protocols')));
  const ul = el('ul', 'mono-list');
  fillList(ul, list.slice(0, 128).map((p) => cut(p, PROTOCOL_CHARS)));
  details.append(ul);
  return details;
}

function renderPeers(s) {
  const now = Date.now();
  const connected = new Set((s.connections || []).map((c) => c.peerId));
  for (const p of [...openProtocols]) if (!connected.has(p)) openProtocols.delete(p);
  fillTable($('connections'), s.connections, (c) => {
    const opened = c.openedAt ? new Date(c.openedAt) : null;
    const when = el('span', null, opened ? duration(now - c.openedAt) + ' ago' : '—');
    if (opened) when.title = opened.toLocaleString();
    const agent = el('span', 'agent', c.agentVersion ? cut(c.agentVersion, AGENT_CHARS) : '—');
    if (c.agentVersion) agent.title = c.agentVersion;
    const score = typeof c.gossipScore === 'number' ? c.gossipScore : null;
    return row([c.peerId, 'id'], [agent], [c.remoteAddr, 'mono'],
      [el('span', 'dir ' + (c.direction === 'inbound' ? 'in' : 'out'), c.direction)],
      [when, 'when'], [fmtCount(c.streams), 'num'], [fmtMs(c.pingMs), 'num ping'],
      [fmtScore(score), 'num score' + (score < 0 ? ' negative' : '')], [protocolList(c)]);
  });
}

// ---- /status ----

// Writes one /status response into the page.
function render(s) {
  $('peer-id').textContent = s.peerId || '—';
  $('uptime').textContent = s.uptimeMs == null ? '—' : duration(s.uptimeMs);
  $('version').textContent = s.version || '—';
  fillList($('listen-addrs'), s.listenAddrs);
  // AutoNAT: public, private or unknown, and the external addresses it confirmed
  $('reachability').textContent = (s.autonat && s.autonat.reachability) || '—';
  fillList($('external-addrs'), s.autonat && s.autonat.confirmedAddrs);
  fillList($('topics'), s.topics);
  renderPeers(s);
  fillTable($('known-peers'), s.knownPeers, (p) => {
    const ul = el('ul', 'mono-list');
    fillList(ul, p.addrs);
    return row([p.peerId, 'id'], ul);
  });
  lastStatus = s;
  renderCounters();
  renderExtra(s);
  updatePeerChoices(s);
  document.title = 'tinyp2p ' + (s.peerId ? s.peerId.slice(-8) : '');
}

// Sets the live/disconnected badge; `why` explains a failure in the tooltip.
function setLive(ok, why) {
  const live = $('live');
  live.textContent = ok ? 'live' : 'disconnected';
  live.className = 'badge ' + (ok ? 'up' : 'down');
  live.dataset.state = ok ? 'live' : 'disconnected';
  live.title = why || '';
  document.body.classList.toggle('stale', !ok);
  if (ok) $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}

// Fetches /status once (relative URL, 5 s timeout), renders it, then schedules the next poll.
async function refresh() {
  try {
    const res = await api('status', { cache: 'no-store', signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    render(await res.json());
    setLive(true);
  } catch (e) {
    setLive(false, String(e && e.message || e));
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

// Sends the form's payload to POST /request/<peer> and shows the response or the error.
async function sendRequest(event) {
  event.preventDefault();
  const out = $('request-result');
  const peer = $('request-peer').value.trim();
  out.textContent = 'sending…';
  try {
    const res = await api('request/' + encodeURIComponent(peer), {
      method: 'POST', body: $('request-body').value, signal: AbortSignal.timeout(60000) });
    const text = await res.text();
    out.textContent = res.ok ? 'response: ' + text : 'error ' + res.status + ': ' + text;
  } catch (e) {
    out.textContent = 'failed: ' + (e && e.message || e);
  }
}

// Offers the known and connected peers as choices for the request form.
function updatePeerChoices(s) {
  const ids = new Set([...(s.connections || []), ...(s.knownPeers || [])].map(p => p.peerId));
  const list = $('peer-ids');
  list.replaceChildren(...[...ids].map(id => { const o = document.createElement('option'); o.value = id; return o; }));
}

// Publishes the form's text on its topic with POST /broadcast/<topic>.
async function sendBroadcast(event) {
  event.preventDefault();
  const out = $('broadcast-result');
  try {
    const res = await api('broadcast/' + encodeURIComponent($('broadcast-topic').value.trim()), {
      method: 'POST', body: $('broadcast-body').value, signal: AbortSignal.timeout(30000) });
    const text = await res.text();
    out.textContent = (res.ok ? 'published: ' : 'error ' + res.status + ': ') + text;
  } catch (e) {
    out.textContent = 'failed: ' + (e && e.message || e);
  }
}

const MAX_EVENTS = 50;
let eventCount = 0;

// Adds one server-sent event (a broadcast, or a peer coming or going) on top of the table.
function addEvent(ev) {
  const body = $('events').tBodies[0];
  const none = body.querySelector('.none');
  if (none) none.parentElement.remove();
  const tr = document.createElement('tr');
  const when = new Date(ev.at || Date.now()).toLocaleTimeString();
  const who = ev.from || ev.peerId || '';
  const data = ev.data == null ? '' : (ev.encoding === 'base64' ? '(base64) ' : '') + ev.data
    + (ev.truncated ? '… (' + ev.size + ' bytes)' : '');
  for (const [text, cls] of [[when, ''], [ev.type, ''], [ev.topic || '', 'mono'], [who, 'mono id'], [data, '']]) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.append(td);
  }
  body.prepend(tr);
  while (body.rows.length > MAX_EVENTS) body.lastElementChild.remove();
  $('events-count').textContent = fmtCount(++eventCount);
}

// Follows GET /events (server-sent events read with fetch, so that the token can go along),
// and reconnects 2 s after the stream drops.
async function followEvents() {
  for (;;) {
    try {
      const res = await api('events', { cache: 'no-store' });
      if (res.ok && res.body) {
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const data = buffer.slice(0, end).split('\n')
              .filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
            buffer = buffer.slice(end + 2);
            if (data) {
              try { addEvent(JSON.parse(data)); } catch { /* not JSON: ignore */ }
            }
          }
        }
      }
    } catch { /* dropped: try again */ }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

$('token-form').addEventListener('submit', useToken);
$('request-form').addEventListener('submit', sendRequest);
$('broadcast-form').addEventListener('submit', sendBroadcast);
setupCharts();
setupCounters();
followEvents();
refresh();
refreshHistory();
