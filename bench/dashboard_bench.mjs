// The dashboard in Chromium (driven by playwright-core), against a waxd of its own:
//
// 1. The JavaScript a first load ships: every script response of a fresh browser (empty cache)
//    that opens a one-time sign-in link and shows the list, in bytes as sent (gzip), summed.
//    Goal: <= 250 kB (1 kB = 1,000 bytes).
// 2. A list of 1,000 dataflows (suspended, so that no process runs) against an empty list (the
//    baseline, measured in the same run, in alternating rounds; medians), measured in the
//    page: the time from navigation to the rows painted; the longest main-thread task
//    (PerformanceObserver 'longtask', tasks of 50 ms or more) and the longest frame (the gap
//    between two animation frames) before they are; and the time from a key typed into the
//    search box to the filtered rows painted. Each is printed as a ratio 1,000 / empty.
//
// Painted: the first animation frame in which the page shows the rows (or the empty list's
// notice), then a task queued from that frame, which runs once the frame has been drawn.
//
//   node bench/dashboard_bench.mjs
//
// WAX_BENCH_DATAFLOWS (default 1000) and WAX_BENCH_ROUNDS (default 5) make it smaller for a
// trial; WAX_CHROMIUM, WAX_PYTHON and WAX_BIN_DIR as for tests/dashboard.
import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = process.env.WAX_BIN_DIR ?? path.join(ROOT, 'build', 'bin');
const PYTHON =
  process.env.WAX_PYTHON ?? path.join(os.homedir(), '.cache', 'wax', 'python', 'bytewax-0.21.1', 'bin', 'python');
const CHROMIUM = process.env.WAX_CHROMIUM ?? '/usr/bin/chromium';

// playwright-core is a devDependency of the front end (web/package.json).
const { chromium } = createRequire(path.join(ROOT, 'web', 'package.json'))('playwright-core');

const COUNT = Number(process.env.WAX_BENCH_DATAFLOWS ?? 1000);
const ROUNDS = Number(process.env.WAX_BENCH_ROUNDS ?? 5);
const FULL = 'bench'; // the namespace of the dataflows
const EMPTY = 'empty'; // a namespace with none
const KEY = '7'; // typed into the search box: it matches the names that hold a 7
const JS_GOAL_KB = 250;
const CREATE_CONCURRENCY = 8;
const NAMES = Array.from({ length: COUNT }, (_, i) => `flow-${String(i).padStart(4, '0')}`);
// The other fields the search reads (namespace, image, code object) hold no KEY.
const MATCHING = NAMES.filter((name) => name.includes(KEY)).length;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const kB = (bytes) => (bytes / 1000).toFixed(1);

async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// waxd on a temporary data directory, on a port of its choosing, logging to DIR/waxd.log.
class Waxd {
  constructor(dataDir) {
    this.dataDir = dataDir;
    this.logPath = path.join(path.dirname(dataDir), 'waxd.log');
  }

  async start() {
    const log = openSync(this.logPath, 'a');
    this.process = spawn(path.join(BIN, 'waxd'), ['--data-dir', this.dataDir, '--port', '0',
      '--python', PYTHON, '--log-level', 'warn'], { stdio: ['ignore', log, log] });
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null || this.process.signalCode !== null) break;
      try {
        const state = JSON.parse(readFileSync(path.join(this.dataDir, 'waxd.json'), 'utf8'));
        if (state.pid === this.process.pid) {
          const health = await fetch(`${state.url}/healthz`, { signal: AbortSignal.timeout(2000) });
          if (health.ok) {
            this.url = state.url;
            this.token = readFileSync(path.join(this.dataDir, 'token'), 'utf8').trim();
            return;
          }
        }
      } catch {
        // not yet
      }
      await sleep(100);
    }
    throw new Error(`waxd did not start; its log:\n${this.logTail()}`);
  }

  // SIGTERM, then SIGKILL after 30 s.
  async stop() {
    if (!this.process || this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }

  logTail(lines = 30) {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async api(method, urlPath, body) {
    const response = await fetch(this.url + urlPath, {
      method,
      headers: { Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${urlPath}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  // A one-time sign-in link from `waxctl local dashboard`.
  signInLink() {
    return new Promise((resolve, reject) => {
      execFile(path.join(BIN, 'waxctl'), ['local', 'dashboard'], {
        env: { ...process.env, WAX_DATA_DIR: this.dataDir }, timeout: 60_000,
      }, (error, stdout, stderr) => {
        const link = /https?:\/\/\S+#sign-in=\S+/.exec(stdout ?? '');
        if (error || !link) reject(new Error(`waxctl local dashboard failed: ${error?.message ?? ''}\n${stdout}${stderr}`));
        else resolve(link[0]);
      });
    });
  }
}

// One code object, then COUNT suspended dataflows that run it.
async function createDataflows(waxd) {
  await waxd.api('POST', `/api/v1/namespaces/${FULL}/configmaps`, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bench-code' },
    data: { 'flow.py': 'x = 1\n' },
  });
  let next = 0;
  const worker = async () => {
    while (next < NAMES.length) {
      const name = NAMES[next++];
      await waxd.api('POST', `/api/v1/namespaces/${FULL}/dataflows`, {
        apiVersion: 'bytewax.io/v1alpha1', kind: 'Dataflow', metadata: { name },
        spec: { image: { tag: '0.21.1' }, pythonFileName: 'flow.py', configMapName: 'bench-code', suspend: true },
      });
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
  // Every one reconciled (phase Suspended), so that no status change lands during a round.
  const deadline = Date.now() + 600_000;
  for (;;) {
    const list = await waxd.api('GET', `/api/v1/namespaces/${FULL}/dataflows`);
    const settled = (list.items ?? []).filter((d) => d.status?.phase === 'Suspended').length;
    if (settled === COUNT) return;
    if (Date.now() > deadline) throw new Error(`only ${settled} of ${COUNT} dataflows reached Suspended`);
    await sleep(500);
  }
}

async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Ctrl-C and the like are handled below: browser and waxd first, then the exit.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const newContext = (browser) => browser.newContext({ viewport: { width: 1280, height: 860 } });

// (1) A fresh context (empty cache) opens a sign-in link; the script responses until the list
// shows, with their bytes as sent (the body as it came over the wire) and as decoded.
async function firstLoadJs(browser, waxd) {
  const context = await newContext(browser);
  try {
    const responses = [];
    context.on('response', (response) => responses.push(response));
    const page = await context.newPage();
    await page.goto(await waxd.signInLink());
    await page.locator('[data-testid="dataflows-table"], [data-testid="list-empty"]').first().waitFor({ timeout: 120_000 });
    await sleep(1000); // any script the page asks for after (the list's watch never goes idle)
    const scripts = [];
    for (const response of responses) {
      const type = response.headers()['content-type'] ?? '';
      if (response.request().resourceType() !== 'script' && !/javascript/.test(type)) continue;
      const body = await response.body();
      const sizes = await response.request().sizes();
      scripts.push({
        url: response.url(),
        encoding: response.headers()['content-encoding'] ?? 'identity',
        sent: sizes.responseBodySize,
        decoded: body.length,
        gzip9: zlib.gzipSync(body, { level: 9 }).length,
      });
    }
    return scripts;
  } finally {
    await context.close();
  }
}

// The instruments of a measured page, installed before its own scripts: long tasks, animation
// frames, and when the list (of `rows` rows, or the empty notice) is first painted.
function instrument({ namespace, rows }) {
  try {
    localStorage.setItem('wax.namespace', namespace);
  } catch {
    return; // not the dashboard's document
  }
  const bench = { longTasks: [], frames: [], shownAt: null, paintedAt: null, longTaskSupported: false };
  window.__bench = bench;
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) bench.longTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask', buffered: true });
    bench.longTaskSupported = true;
  } catch {
    // not offered
  }
  bench.listShown = (want) => {
    if (want === 0) return document.querySelector('[data-testid="list-empty"]') !== null;
    return document.querySelector('[data-testid="dataflows-table"] > tbody')?.childElementCount === want;
  };
  const frame = (time) => {
    bench.frames.push(time);
    if (bench.listShown(rows) && bench.shownAt === null) {
      bench.shownAt = performance.now();
      setTimeout(() => {
        bench.paintedAt = performance.now();
      }, 0);
    }
    // Until the first frame after the list was painted (the gap up to it holds its drawing).
    if ((bench.paintedAt === null || time <= bench.paintedAt) && bench.frames.length < 100_000) {
      requestAnimationFrame(frame);
    }
  };
  requestAnimationFrame(frame);
}

// In the page: focuses the search box and resolves, once KEY has been typed into it, with the
// key's time and the time the filtered list (`rows` rows) was painted.
function armSearch({ key, rows }) {
  const bench = window.__bench;
  const input = document.querySelector('[data-testid="search"]');
  input.focus();
  bench.searched = new Promise((resolve) => {
    let pressed = null;
    input.addEventListener('keydown', (event) => {
      const now = performance.now();
      // The event's own time counts its wait in the queue; the handler's time is the fallback.
      pressed = event.timeStamp > 0 && event.timeStamp <= now && now - event.timeStamp < 10_000 ? event.timeStamp : now;
    }, { once: true, capture: true });
    const frame = () => {
      if (pressed !== null && input.value === key && bench.listShown(rows)) {
        const shown = performance.now();
        setTimeout(() => resolve({ pressed, shown, painted: performance.now() }), 0);
        return;
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}

// One measurement: a new page (same context: signed in, warm cache) opens the list of
// `namespace`; then KEY is typed into the search box.
async function measure(context, origin, namespace, rows, searchRows) {
  const page = await context.newPage();
  try {
    await page.addInitScript(instrument, { namespace, rows });
    await page.goto(`${origin}/ui/dataflows`, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__bench?.paintedAt != null && window.__bench.frames.at(-1) > window.__bench.paintedAt,
      null, { polling: 100, timeout: 120_000 });
    const render = await page.evaluate(() => {
      const b = window.__bench;
      const before = b.longTasks.filter(([start]) => start < b.paintedAt);
      let frame = 0;
      for (let i = 1; i < b.frames.length && b.frames[i - 1] < b.paintedAt; i++) {
        frame = Math.max(frame, b.frames[i] - b.frames[i - 1]);
      }
      return {
        painted: b.paintedAt,
        longestTask: before.reduce((max, [, duration]) => Math.max(max, duration), 0),
        longestFrame: frame,
        longTaskSupported: b.longTaskSupported,
      };
    });
    // Let the watch connect and the page settle before typing.
    await page.locator('[data-testid="live"].on').waitFor({ timeout: 60_000 });
    await sleep(500);
    await page.evaluate(armSearch, { key: KEY, rows: searchRows });
    await page.keyboard.press(KEY);
    const search = await withTimeout(page.evaluate(() => window.__bench.searched), 120_000, 'the filtered list');
    return { ...render, search: search.painted - search.pressed };
  } finally {
    await page.close();
  }
}

let waxd;
let browser;
let scratch;
let cleaning = null;

function cleanup() {
  cleaning ??= (async () => {
    try {
      await browser?.close();
    } catch {
      // gone
    }
    try {
      await waxd?.stop();
    } finally {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`dashboard_bench: ${signal}, cleaning up`);
    cleanup().finally(() => process.exit(128 + os.constants.signals[signal]));
  });
}

async function main() {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'wax-bench-dashboard-'));
  waxd = new Waxd(path.join(scratch, 'data'));
  await waxd.start();
  browser = await launchBrowser();

  const scripts = await firstLoadJs(browser, waxd);

  const created = Date.now();
  await createDataflows(waxd);
  const createdIn = (Date.now() - created) / 1000;

  const context = await newContext(browser);
  const link = await waxd.signInLink();
  const signIn = await context.newPage();
  await signIn.goto(link);
  await signIn.getByTestId('user-name').waitFor({ timeout: 120_000 });
  await signIn.close();

  const cases = { empty: [EMPTY, 0, 0], full: [FULL, COUNT, MATCHING] };
  const runs = { empty: [], full: [] };
  // A first round of each warms the cache and the server; then alternating rounds, the order
  // swapped every round.
  for (let round = -1; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['full', 'empty'] : ['empty', 'full'];
    for (const kind of order) {
      const result = await measure(context, waxd.url, ...cases[kind]);
      if (round >= 0) runs[kind].push(result);
    }
  }
  await context.close();
  report(scripts, runs, createdIn);
}

function report(scripts, runs, createdIn) {
  const sent = scripts.reduce((sum, s) => sum + s.sent, 0);
  const decoded = scripts.reduce((sum, s) => sum + s.decoded, 0);
  const gzip9 = scripts.reduce((sum, s) => sum + s.gzip9, 0);
  console.log(`first-load JavaScript as sent: ${kB(sent)} kB in ${scripts.length} file(s) `
    + `(goal <= ${JS_GOAL_KB} kB); ${kB(decoded)} kB uncompressed, ${kB(gzip9)} kB gzipped here (-9)`);
  for (const s of scripts) {
    console.log(`  ${new URL(s.url).pathname}: ${kB(s.sent)} kB sent, Content-Encoding: ${s.encoding}, `
      + `${kB(s.decoded)} kB uncompressed`);
    if (s.encoding.includes(',')) {
      console.log('  (more than one coding: the server compressed the compressed file again)');
    }
  }

  console.log(`${COUNT} suspended dataflows created in ${createdIn.toFixed(1)} s; `
    + `${ROUNDS} alternating rounds each (medians)`);
  const m = (kind, field) => median(runs[kind].map((r) => r[field]));
  // `floor`: what a 0 means (no long task, i.e. none of `floor` ms or more).
  const line = (what, field, floor = 0) => {
    const empty = m('empty', field);
    const full = m('full', field);
    const ms = (value) => (value > 0 || !floor ? `${value.toFixed(1)} ms` : `none >= ${floor} ms`);
    let ratio = 'n/a';
    if (empty > 0) ratio = (full / empty).toFixed(2);
    else if (floor && full > 0) ratio = `>= ${(full / floor).toFixed(2)} (against ${floor} ms)`;
    console.log(`${what}: empty ${ms(empty)}, ${COUNT} dataflows ${ms(full)}; ratio ${COUNT} / empty: ${ratio}`);
  };
  line('list render, navigation to rows painted', 'painted');
  if (runs.full.every((r) => r.longTaskSupported)) {
    line('longest main-thread task before the rows are painted', 'longestTask', 50);
  } else {
    console.log('longest main-thread task: this Chromium reports no long tasks');
  }
  line('longest frame before the rows are painted', 'longestFrame');
  line(`search, key "${KEY}" to the filtered rows painted (${MATCHING} of ${COUNT})`, 'search');
}

try {
  await main();
} catch (error) {
  console.error(`dashboard_bench: ${error.stack ?? error}`);
  if (waxd) console.error(`waxd's log:\n${waxd.logTail()}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
