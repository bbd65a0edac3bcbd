// Status page of a tinyp2p node: polls /status every 2 s and updates the DOM in place.
// Every value is written with textContent, never innerHTML: peer-supplied strings stay text.
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

// Formats a duration in milliseconds as "1d 2h 3m" (at most the three largest units).
function duration(ms) {
  let s = Math.max(0, Math.floor(ms / 1000));
  const parts = [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']]
    .map(([n, u]) => { const v = Math.floor(s / n); s %= n; return v ? v + u : ''; })
    .filter(Boolean);
  return parts.slice(0, 3).join(' ') || '0s';
}

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

// Renders any JSON value as a DOM node: objects as key/value tables, arrays as lists, the rest as text.
function generic(value) {
  if (value === null || typeof value !== 'object') return el('span', 'mono', typeof value === 'string' ? value : JSON.stringify(value));
  if (Array.isArray(value)) {
    const ul = el('ul', 'mono-list');
    fillList(ul, value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))));
    return ul;
  }
  const table = el('table', 'kv');
  const body = table.createTBody();
  for (const [k, v] of Object.entries(value)) body.append(row([k, 'key'], generic(v)));
  if (!body.rows.length) body.append(row(['none', 'none']));
  return table;
}

// Shows extra top-level fields the page does not know (e.g. "requests", "gossipsub") as generic cards.
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

// Writes one /status response into the page.
function render(s) {
  $('peer-id').textContent = s.peerId || '—';
  $('uptime').textContent = s.uptimeMs == null ? '—' : duration(s.uptimeMs);
  $('version').textContent = s.version || '—';
  fillList($('listen-addrs'), s.listenAddrs);
  fillList($('topics'), s.topics);
  const now = Date.now();
  fillTable($('connections'), s.connections, (c) => {
    const opened = c.openedAt ? new Date(c.openedAt) : null;
    const when = el('span', null, opened ? opened.toLocaleTimeString() : '—');
    if (opened) {
      when.title = opened.toLocaleString();
      when.append(el('span', 'muted', ' · ' + duration(now - c.openedAt) + ' ago'));
    }
    return row([c.peerId, 'id'], [c.remoteAddr, 'mono'], [el('span', 'dir ' + (c.direction === 'inbound' ? 'in' : 'out'), c.direction)],
      [when, 'when'], [c.streams, 'num']);
  });
  fillTable($('known-peers'), s.knownPeers, (p) => {
    const ul = el('ul', 'mono-list');
    fillList(ul, p.addrs);
    return row([p.peerId, 'id'], ul);
  });
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
  $('events-count').textContent = String(++eventCount);
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
followEvents();
refresh();
