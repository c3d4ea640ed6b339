// The dashboard of a waxd without a provider, in a real browser: signing in with a one-time
// link from `waxctl local dashboard`, deploying from the form, watching, observing, stopping,
// starting and deleting a dataflow, and signing out.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  TICKER_FLOW,
  Waxd,
  eventually,
  keepAndRemove,
  launchBrowser,
  newContext,
  screenshot,
  tempDir,
} from './helpers.mjs';

const NAME = 'ticker';
// The phase badge inside the element `testId`, showing `phase`.
const phaseIn = (page, testId, phase) =>
  page.locator(`[data-testid="${testId}"] [data-testid="phase"][data-phase="${phase}"]`);

describe('dashboard, signed in with a one-time link', () => {
  const dir = tempDir('wax-dashboard-link-');
  const waxd = new Waxd(path.join(dir, 'data'));
  const problems = [];
  let browser;
  let context;
  let page;
  let link;
  let sessionCookie;

  before(async () => {
    await waxd.start();
    browser = await launchBrowser();
    context = await newContext(browser, problems);
    page = await context.newPage();
  });

  after(async () => {
    try {
      await browser?.close();
      await waxd.stop();
    } finally {
      waxd.kill();
      keepAndRemove(dir, [[waxd.logPath, 'link-waxd.log']]);
      if (problems.length) console.log(`browser problems:\n${problems.join('\n')}`);
    }
  });

  it('signs in with the link, which leaves the address bar', async () => {
    const result = await waxd.waxctl('local', 'dashboard');
    assert.equal(result.code, 0, `waxctl local dashboard: ${result.stderr}`);
    const match = /https?:\/\/\S+#sign-in=\S+/.exec(result.stdout);
    assert.ok(match, `no sign-in link in: ${result.stdout}`);
    link = match[0];
    assert.ok(link.startsWith(waxd.url), `${link} is not on ${waxd.url}`);

    await page.goto(link);
    await page.getByTestId('user-name').waitFor();
    await page.getByTestId('logout-button').waitFor();
    const address = page.url();
    assert.ok(!address.includes('sign-in='), `the code is still in the address bar: ${address}`);
    assert.equal(new URL(address).hash, '');
    assert.equal(new URL(address).pathname, '/ui/dataflows');
    await page.getByTestId('list-empty').waitFor();
    await screenshot(page, 'link-01-empty-list');

    const cookies = await context.cookies(waxd.url);
    assert.ok(cookies.length > 0, 'no session cookie was set');
    sessionCookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  });

  it('refuses the same link a second time, with a message', async () => {
    const other = await newContext(browser, problems);
    try {
      const second = await other.newPage();
      await second.goto(link);
      const message = second.getByTestId('sign-in-error');
      await message.waitFor();
      assert.match(await message.innerText(), /used already|ended/i);
      await second.getByTestId('link-needed').waitFor();
      assert.equal(await second.getByTestId('user-name').count(), 0);
      assert.ok(!second.url().includes('sign-in='), second.url());
      await screenshot(second, 'link-02-link-used-twice');
    } finally {
      await other.close();
    }
  });

  it('deploys a dataflow from the form', async () => {
    const file = path.join(dir, `${NAME}.py`);
    writeFileSync(file, TICKER_FLOW);

    // A mark that a reload would wipe out.
    await page.evaluate(() => {
      window.__waxNoReload = true;
    });
    await page.getByTestId('nav-deploy').click();
    await page.getByTestId('deploy-form').waitFor();
    await page.getByTestId('deploy-file').setInputFiles(file);
    assert.equal(await page.getByTestId('deploy-name').inputValue(), NAME);
    assert.equal(await page.getByTestId('deploy-namespace').inputValue(), 'default');
    await screenshot(page, 'link-03-deploy-form');
    await page.getByTestId('deploy-submit').click();

    // The form takes the browser to the dataflow's page.
    await page.waitForURL(`**/ui/namespaces/default/dataflows/${NAME}`);
    await page.getByTestId('dataflow-page').waitFor();
    const stored = await waxd.api('GET', `/api/v1/namespaces/default/dataflows/${NAME}`);
    assert.equal(stored.status, 200, JSON.stringify(stored.body));
    assert.equal(stored.body.spec.pythonFileName, `${NAME}.py`);
  });

  it('shows it reach Running in the list, live (no reload)', async () => {
    await page.getByTestId('nav-dataflows').click();
    await page.getByTestId(`row-default-${NAME}`).waitFor();
    // waxd has it Running within seconds; the list must follow through its watch.
    await eventually(async () => (await waxd.api('GET', `/api/v1/namespaces/default/dataflows/${NAME}`)).body.status?.phase === 'Running', {
      what: 'waxd to report the dataflow Running',
    });
    try {
      await phaseIn(page, `phase-default-${NAME}`, 'Running').waitFor({ timeout: 30_000 });
    } finally {
      await screenshot(page, 'link-04-list-running');
    }
    assert.equal(await page.evaluate(() => window.__waxNoReload), true, 'the page was reloaded');
    assert.equal(await page.getByTestId('live').innerText(), '● live');
  });

  // Browsers send Accept-Encoding: gzip, deflate, br, zstd. A compressed stream reaches them
  // only when the compressor flushes, so a watch or a followed log would show nothing.
  it('sends its streams (watch, followed log) uncompressed to a browser', async () => {
    const headersOf = (urlPath) =>
      new Promise((resolve, reject) => {
        const request = http.get(waxd.url + urlPath, {
          headers: {
            Authorization: `Bearer ${waxd.token}`,
            'Accept-Encoding': 'gzip, deflate, br, zstd',
          },
        }, (response) => {
          resolve({ status: response.statusCode, encoding: response.headers['content-encoding'] });
          request.destroy();
        });
        request.on('error', (error) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
        request.setTimeout(10_000, () => request.destroy(new Error(`no answer from ${urlPath}`)));
      });
    for (const urlPath of ['/api/v1/dataflows?watch=true',
      `/api/v1/namespaces/default/dataflows/${NAME}/log?process=0&follow=true`]) {
      const { status, encoding } = await headersOf(urlPath);
      assert.equal(status, 200, urlPath);
      assert.equal(encoding, undefined, `GET ${urlPath} is a stream sent with Content-Encoding: ${encoding}`);
    }
  });

  it('opens the dataflow page: overview', async () => {
    await page.getByTestId(`row-default-${NAME}`).getByTestId('dataflow-link').click();
    await page.waitForURL(`**/ui/namespaces/default/dataflows/${NAME}`);
    assert.equal(await page.getByTestId('dataflow-name').innerText(), NAME);
    await phaseIn(page, 'dataflow-phase', 'Running').waitFor();
    await page.getByTestId('process-0').waitFor();
    await screenshot(page, 'link-05-dataflow-overview');
  });

  it('shows the logs, followed', async () => {
    await page.getByTestId('tab-logs').click();
    const log = page.getByTestId('log-view');
    const count = async () => ((await log.innerText()).match(/ticker: tick \d+/g) ?? []).length;
    try {
      await eventually(async () => (await count()) > 0, { timeout: 30_000, what: 'the ticker output in the log view' });
      // Followed: more ticks arrive without a reload.
      const before = await count();
      await eventually(async () => (await count()) > before, { timeout: 20_000, what: 'new log lines' });
    } finally {
      await screenshot(page, 'link-06-dataflow-logs');
    }
  });

  it('draws the graph with the steps', async () => {
    await page.getByTestId('tab-graph').click();
    const svg = page.getByTestId('graph-svg');
    try {
      await svg.waitFor({ timeout: 60_000 });
    } finally {
      await screenshot(page, 'link-07-dataflow-graph');
    }
    const graphText = await svg.textContent();
    for (const step of ['ticks', 'double', 'print_out']) {
      assert.ok(graphText.includes(step), `the graph lacks step ${step}: ${graphText}`);
    }
    assert.ok((await page.getByTestId('graph-edge').count()) >= 2, 'the graph has too few edges');
  });

  it('draws the metrics charts', async () => {
    await page.getByTestId('tab-metrics').click();
    try {
      for (const step of ['ticker.ticks', 'ticker.double', 'ticker.print_out']) {
        await page.getByTestId(`chart-items-${step}`).waitFor({ timeout: 60_000 });
      }
      // Two samples make a rate: a line is drawn.
      await page.locator('[data-testid="chart-items-ticker.double"] polyline').first().waitFor({ timeout: 60_000 });
    } finally {
      await screenshot(page, 'link-08-dataflow-metrics');
    }
  });

  it('stops and starts the dataflow', async () => {
    await page.getByTestId('tab-overview').click();
    await page.getByTestId('action-stop').click();
    await phaseIn(page, 'dataflow-phase', 'Suspended').waitFor({ timeout: 60_000 });
    await page.getByTestId('action-start').waitFor();
    await screenshot(page, 'link-09-dataflow-suspended');
    const suspended = await waxd.api('GET', `/api/v1/namespaces/default/dataflows/${NAME}`);
    assert.equal(suspended.body.spec.suspend, true);

    await page.getByTestId('action-start').click();
    await phaseIn(page, 'dataflow-phase', 'Running').waitFor({ timeout: 120_000 });
    await page.getByTestId('action-stop').waitFor();
    await screenshot(page, 'link-10-dataflow-started');
  });

  it('deletes the dataflow once its name is typed', async () => {
    await page.getByTestId('action-delete').click();
    const confirm = page.getByTestId('delete-confirm');
    assert.equal(await confirm.isDisabled(), true, 'Delete is enabled before the name is typed');
    await page.getByTestId('delete-confirm-name').fill('ticke');
    assert.equal(await confirm.isDisabled(), true, 'Delete is enabled for a wrong name');
    await page.getByTestId('delete-confirm-name').fill(NAME);
    await screenshot(page, 'link-11-delete-dialog');
    await confirm.click();
    await page.waitForURL('**/ui/dataflows');
    await eventually(async () => (await waxd.api('GET', `/api/v1/namespaces/default/dataflows/${NAME}`)).status === 404, {
      what: 'the dataflow to be gone from the API',
    });
    try {
      await page.getByTestId('list-empty').waitFor({ timeout: 30_000 });
    } finally {
      await screenshot(page, 'link-12-deleted');
    }
    assert.equal(await page.getByTestId(`row-default-${NAME}`).count(), 0);
  });

  it('signs out; the old cookie then gets 401', async () => {
    const withCookie = await waxd.api('GET', '/api/v1/namespaces/default/dataflows', undefined, {
      token: null,
      headers: { Cookie: sessionCookie },
    });
    assert.equal(withCookie.status, 200, `the session cookie did not work before sign-out: ${JSON.stringify(withCookie.body)}`);

    await page.getByTestId('logout-button').click();
    await page.getByTestId('signed-out').waitFor();
    assert.equal(new URL(page.url()).pathname, '/logout');
    await screenshot(page, 'link-13-signed-out');

    const after = await waxd.api('GET', '/api/v1/namespaces/default/dataflows', undefined, {
      token: null,
      headers: { Cookie: sessionCookie },
    });
    assert.equal(after.status, 401, `the old cookie still works: ${JSON.stringify(after.body)}`);
    const session = await waxd.api('GET', '/auth/session', undefined, { token: null, headers: { Cookie: sessionCookie } });
    assert.equal(session.body.authenticated, false);

    // The browser itself is signed out too: the list asks for a link.
    await page.goto(`${waxd.url}/ui/dataflows`);
    await page.getByTestId('link-needed').waitFor();
  });
});
