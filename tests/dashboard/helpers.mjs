// Shared pieces of the dashboard's browser tests: a real waxd on a temporary data directory,
// waxctl, the OpenID provider of scripts/testbed, Chromium driven by playwright-core, and
// screenshots under build/test-output/dashboard/.
import { spawn, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.WAX_BIN_DIR ?? path.join(ROOT, 'build', 'bin');
export const PYTHON =
  process.env.WAX_PYTHON ?? path.join(os.homedir(), '.cache', 'wax', 'python', 'bytewax-0.21.1', 'bin', 'python');
export const CHROMIUM = process.env.WAX_CHROMIUM ?? '/usr/bin/chromium';
export const OUTPUT = path.join(ROOT, 'build', 'test-output', 'dashboard');
const OIDC_UP = path.join(ROOT, 'scripts', 'testbed', 'oidc-up.sh');

// playwright-core is a devDependency of the front end (web/package.json).
const requireFromWeb = createRequire(path.join(ROOT, 'web', 'package.json'));
const { chromium } = requireFromWeb('playwright-core');

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A dataflow that runs until stopped: one partition that ticks every 0.5 s and prints each
// tick (flushed, so that the log shows it at once), a map and a print sink.
export const TICKER_FLOW = `\
from datetime import datetime, timedelta, timezone

import bytewax.operators as op
from bytewax.connectors.stdio import StdOutSink
from bytewax.dataflow import Dataflow
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition


class _Ticks(StatefulSourcePartition):
    def __init__(self, resume):
        self._n = resume or 0
        self._awake = datetime.now(timezone.utc)

    def next_batch(self):
        self._n += 1
        self._awake = datetime.now(timezone.utc) + timedelta(seconds=0.5)
        print(f"ticker: tick {self._n}", flush=True)
        return [self._n]

    def next_awake(self):
        return self._awake

    def snapshot(self):
        return self._n


class Ticks(FixedPartitionedSource):
    def list_parts(self):
        return ["only"]

    def build_part(self, step_id, for_part, resume_state):
        return _Ticks(resume_state)


flow = Dataflow("ticker")
ticks = op.input("ticks", flow, Ticks())
doubled = op.map("double", ticks, lambda n: n * 2)
op.output("print_out", doubled, StdOutSink())
`;

export function tempDir(prefix) {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(file, args, options = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 180_000, maxBuffer: 16 << 20, ...options }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

// waxd on its own data directory, logging (debug) to DIR/waxd.log, as tests/e2e/conftest.py
// starts it: ready when DIR/waxd.json names this process and /healthz answers.
export class Waxd {
  constructor(dataDir, extraArgs = []) {
    this.dataDir = dataDir;
    this.extraArgs = extraArgs;
    this.logPath = path.join(dataDir, 'waxd.log');
  }

  async start({ port = 0 } = {}) {
    mkdirSync(this.dataDir, { recursive: true });
    const args = ['--data-dir', this.dataDir, '--port', String(port), '--python', PYTHON,
      '--log-level', 'debug', '--restart-backoff-ms', '300', '--grace-period-ms', '5000',
      ...this.extraArgs];
    const log = openSync(this.logPath, 'a');
    this.process = spawn(path.join(BIN, 'waxd'), args, { stdio: ['ignore', log, log], detached: true });
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
    let exitedEarly = null;
    this.exited.then((status) => { exitedEarly = status; });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (exitedEarly) {
        throw new Error(`waxd exited (${JSON.stringify(exitedEarly)}); log:\n${this.logTail()}`);
      }
      try {
        const state = JSON.parse(readFileSync(path.join(this.dataDir, 'waxd.json'), 'utf8'));
        if (state.pid === this.process.pid) {
          const health = await fetch(`${state.url}/healthz`, { signal: AbortSignal.timeout(2000) });
          if (health.ok) {
            this.url = state.url;
            this.token = readFileSync(path.join(this.dataDir, 'token'), 'utf8').trim();
            return this;
          }
        }
      } catch {
        // not yet
      }
      await sleep(100);
    }
    throw new Error(`waxd did not become ready; log:\n${this.logTail()}`);
  }

  // SIGTERM, then SIGKILL after 60 s.
  async stop() {
    if (!this.process || this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 60_000);
    await this.exited;
    clearTimeout(timer);
  }

  // The last resort of an after hook: whatever is left of this waxd dies.
  kill() {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      try {
        this.process.kill('SIGKILL');
      } catch {
        // gone
      }
    }
  }

  logTail(lines = 40) {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  waxctl(...args) {
    return run(path.join(BIN, 'waxctl'), args.map(String), {
      env: { ...process.env, WAX_DATA_DIR: this.dataDir },
    });
  }

  // The API with the owner's token (or `token`); returns {status, body}.
  async api(method, urlPath, body, { token = this.token, headers = {} } = {}) {
    const response = await fetch(this.url + urlPath, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
    });
    const text = await response.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }
}

// The provider of scripts/testbed/oidc (oidc-provider), started by oidc-up.sh from `config`.
export class OidcProvider {
  constructor(directory, config) {
    this.directory = directory;
    this.config = config;
  }

  async start() {
    mkdirSync(this.directory, { recursive: true });
    const configPath = path.join(this.directory, 'config.json');
    writeFileSync(configPath, JSON.stringify(this.config, null, 2), { mode: 0o600 });
    const result = await run('bash', [OIDC_UP, 'up', this.directory, configPath]);
    if (result.code !== 0) {
      throw new Error(`oidc-up.sh up failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
    this.issuer = result.stdout.trim().split('\n').pop();
    return this;
  }

  async stop() {
    await run('bash', [OIDC_UP, 'down', this.directory]);
  }

  logTail(lines = 40) {
    try {
      return readFileSync(path.join(this.directory, 'provider.log'), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/setup.sh does)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// A fresh browser context (its own cookies) whose pages report console errors and crashes
// into `problems`, so that a test can show them when it fails.
export async function newContext(browser, problems = []) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(30_000);
  context.on('page', (page) => watchPage(page, problems));
  return context;
}

function watchPage(page, problems) {
  page.on('pageerror', (error) => problems.push(`pageerror ${page.url()}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console ${page.url()}: ${message.text()}`);
  });
}

export async function screenshot(page, name) {
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true });
}

// Polls `check` (an async function returning a truthy value when done) until it holds.
export async function eventually(check, { timeout = 60_000, interval = 250, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await sleep(interval);
  }
  throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

// Keeps a copy of `file` under build/test-output/dashboard/ as `name`, then removes `dir`
// (unless WAX_KEEP_TEST_DIRS is set).
export function keepAndRemove(dir, files) {
  mkdirSync(OUTPUT, { recursive: true });
  for (const [file, name] of files) {
    try {
      writeFileSync(path.join(OUTPUT, name), readFileSync(file));
    } catch {
      // never written
    }
  }
  if (process.env.WAX_KEEP_TEST_DIRS) return;
  rmSync(dir, { recursive: true, force: true });
}
