// Opens tinyp2p's status page in Debian's headless Chromium and waits until it shows a node.
//
//   node browser-check.mjs <url> <peerId> [connectedPeerId] [--timeout=<ms>] [--screenshot=<file.png>]
//                          [--request=<text>]  (sends text to connectedPeerId with the request form)
//                          [--broadcast=<text>] (publishes text on "block" with the broadcast form)
//                          [--expect-event=<text>] (waits until the live event list shows text)
//                          [--token=<text>] (types the API token into the form the page shows on 401)
//                          [--expect-charts=<n>] (waits until every chart has a line of at least n points)
//                          [--expect-agent=<text>] (waits until connectedPeerId's row shows this agent and a ping)
//
// After the checks it unfolds "All counters" and measures every number on the page (counters,
// table numbers, badges): "counters" in the result says how many there are, how many have two
// digits or more, and the most lines one of them takes (1: none is wrapped).
//
// Succeeds once #peer-id contains <peerId> and (when given) the #connections table contains
// <connectedPeerId>. Prints one JSON line on stdout:
//   {"ok":true,"peerId":"…","connections":N,"ms":…}                  exit 0
//   {"ok":false,"error":"…","pageText":"<first 2000 chars of body>"}  exit 1 (timeout, launch failure…)
// Usage errors exit 2; exit 3 (with an ok:false line) when Chromium or playwright-core is missing,
// so a caller can skip rather than fail. The browser always runs on a fresh temporary profile, removed at the end.
// Env: CHROMIUM overrides the browser path (default /usr/bin/chromium).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Splits argv into positional arguments and --name=value options.
function parseArgs(argv) {
  const opts = {};
  const pos = [];
  for (const a of argv) {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (m) opts[m[1]] = m[2]; else pos.push(a);
  }
  return { pos, opts };
}

// Prints the one result line and sets the exit code.
function finish(result, code) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exitCode = code;
}

// Loads url, retrying while the server is not up yet, until the deadline.
async function gotoRetrying(page, url, deadline) {
  for (;;) {
    try {
      await page.goto(url, { timeout: Math.max(1, deadline - Date.now()), waitUntil: 'domcontentloaded' });
      return;
    } catch (e) {
      if (Date.now() + 250 >= deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

// Launches the browser, runs the check, and always closes the browser and removes its profile.
async function main() {
  const { pos, opts } = parseArgs(process.argv.slice(2));
  const [url, peerId, connPeerId] = pos;
  const timeout = Number(opts.timeout ?? 20000);
  if (!url || !peerId || !(timeout > 0)) {
    process.stderr.write('usage: node browser-check.mjs <url> <peerId> [connectedPeerId] [--timeout=ms] [--screenshot=file.png]\n');
    process.exitCode = 2;
    return;
  }
  if (!existsSync(CHROMIUM)) return finish({ ok: false, error: `no Chromium at ${CHROMIUM}`, pageText: '' }, 3);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    return finish({ ok: false, error: `playwright-core not installed (npm ci): ${e.message}`, pageText: '' }, 3);
  }
  const start = Date.now();
  const deadline = start + timeout;
  // Last resort against a hung browser: exiting makes Playwright kill the Chromium it started.
  setTimeout(() => {
    finish({ ok: false, error: 'watchdog: browser did not close', pageText: '' }, 1);
    process.exit(1);
  }, timeout + 60000).unref();
  const profile = mkdtempSync(join(tmpdir(), 'tinyp2p-browser-check-'));
  let context;
  let page;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: ARGS, timeout: Math.max(timeout, 30000),
      viewport: { width: 1200, height: 800 },
    });
    page = context.pages()[0] || await context.newPage();
    await gotoRetrying(page, url, deadline);
    if (opts.token != null) {
      await page.waitForSelector('#token-card:not([hidden])', { timeout: Math.max(1, deadline - Date.now()) });
      await page.fill('#token', String(opts.token));
      await page.click('#token-form button[type=submit]');
    }
    await page.waitForFunction(([p, c]) => {
      const id = document.getElementById('peer-id');
      const conns = document.getElementById('connections');
      return !!id && id.textContent.includes(p) && (!c || (!!conns && conns.textContent.includes(c)));
    }, [peerId, connPeerId || ''], { timeout: Math.max(1, deadline - Date.now()), polling: 100 });
    const connections = await page.evaluate(() =>
      [...document.querySelectorAll('#connections tbody tr')].filter((tr) => !tr.querySelector('.none')).length);
    let response;
    if (opts.request != null && connPeerId) {
      // the request form: send the text to the connected peer, wait for its answer
      await page.fill('#request-peer', connPeerId);
      await page.fill('#request-body', String(opts.request));
      await page.click('#request-form button[type=submit]');
      await page.waitForFunction(() => {
        const r = document.getElementById('request-result');
        return !!r && /^(response|error|failed)/.test(r.textContent);
      }, null, { timeout: Math.max(1, deadline - Date.now()), polling: 100 });
      response = await page.evaluate(() => document.getElementById('request-result').textContent);
    }
    let broadcast;
    if (opts.broadcast != null) {
      // the broadcast form: publish the text on "block"
      await page.fill('#broadcast-topic', 'block');
      await page.fill('#broadcast-body', String(opts.broadcast));
      await page.click('#broadcast-form button[type=submit]');
      await page.waitForFunction(() => {
        const r = document.getElementById('broadcast-result');
        return !!r && /^(published|error|failed)/.test(r.textContent);
      }, null, { timeout: Math.max(1, deadline - Date.now()), polling: 100 });
      broadcast = await page.evaluate(() => document.getElementById('broadcast-result').textContent);
    }
    if (opts['expect-event'] != null) {
      // the live event list (GET /events) shows an inbound broadcast with this text
      await page.waitForFunction((t) => {
        const ev = document.getElementById('events');
        return !!ev && ev.textContent.includes(t);
      }, String(opts['expect-event']), { timeout: Math.max(1, deadline - Date.now()), polling: 100 });
    }
    let charts;
    if (opts['expect-charts'] != null) {
      // the charts of /history: each has a line of at least n points
      const n = Number(opts['expect-charts']);
      await page.waitForFunction((min) => {
        const figs = [...document.querySelectorAll('figure.chart')];
        return figs.length > 0 && figs.every((f) => Number(f.dataset.points) >= min);
      }, n, { timeout: Math.max(1, deadline - Date.now()), polling: 100 });
      charts = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('figure.chart')]
        .map((f) => [f.id.replace(/^chart-/, ''), Number(f.dataset.points)])));
    }
    let peer;
    if (opts['expect-agent'] != null && connPeerId) {
      // the peers view: the connected peer's agent (from identify) and its last ping
      await page.waitForFunction(([c, agent]) => {
        const tr = [...document.querySelectorAll('#connections tbody tr')].find((r) => r.textContent.includes(c));
        const ping = tr && tr.querySelector('td.ping');
        return !!tr && tr.querySelector('.agent').textContent.includes(agent) && /^\d+\.\d (ms|s)$/.test(ping.textContent);
      }, [connPeerId, String(opts['expect-agent'])], { timeout: Math.max(1, deadline - Date.now()), polling: 100 });
      peer = await page.evaluate((c) => {
        const tr = [...document.querySelectorAll('#connections tbody tr')].find((r) => r.textContent.includes(c));
        const text = (sel) => { const e = tr.querySelector(sel); return e ? e.textContent : null; };
        return { agent: text('.agent'), ping: text('td.ping'), score: text('td.score'), protocols: text('.protocols summary') };
      }, connPeerId);
    }
    if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });
    // every number on one line: the counters, the raw ones under "All counters" too
    await page.evaluate(() => { const d = document.getElementById('all-counters'); if (d) d.open = true; });
    const counters = await page.evaluate(() => {
      // the lines an element's text takes: the distinct tops of its text's boxes
      const lines = (e) => {
        const range = document.createRange();
        range.selectNodeContents(e);
        return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
      };
      const nums = [...document.querySelectorAll('.value, .count, td.num, .number')]
        .filter((e) => e.getClientRects().length && e.textContent.trim());
      let most = { lines: 0, text: '' };
      for (const e of nums) {
        const n = lines(e);
        if (n > most.lines) most = { lines: n, text: e.textContent };
      }
      return { checked: nums.length, long: nums.filter((e) => e.textContent.replace(/\D/g, '').length >= 2).length,
        maxLines: most.lines, longest: most.text };
    });
    finish({ ok: true, peerId, connections, response, broadcast, charts, peer, counters, ms: Date.now() - start }, 0);
  } catch (e) {
    let pageText = '';
    try {
      if (page) pageText = (await page.evaluate(() => document.body ? document.body.innerText : '', null)).slice(0, 2000);
    } catch { /* page unusable: leave pageText empty */ }
    const what = `#peer-id to contain ${peerId}` + (connPeerId ? ` and #connections to contain ${connPeerId}` : '');
    const error = e && e.name === 'TimeoutError'
      ? `timed out after ${timeout} ms waiting for ${what}`
      : String(e && e.message || e).split('\n')[0];
    finish({ ok: false, error, pageText }, 1);
  } finally {
    if (context) await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
