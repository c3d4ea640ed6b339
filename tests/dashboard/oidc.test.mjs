// The dashboard of a waxd with an OpenID provider (scripts/testbed/oidc) and a policy file, in a
// real browser: users sign in through the provider's form, see what the policy lets them see,
// and sign out of the provider too (RP-initiated logout); a forged callback shows an error page.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  OidcProvider,
  TICKER_FLOW,
  Waxd,
  eventually,
  freePort,
  keepAndRemove,
  launchBrowser,
  newContext,
  screenshot,
  tempDir,
} from './helpers.mjs';

const POLICY = `\
rules:
  - groups: [wax-admins]
    namespaces: ["*"]
    verbs: ["*"]
    resources: ["*"]
  - users: [bob]
    namespaces: [team-a]
    verbs: ["*"]
`;

function providerConfig(port, secret, passwords) {
  return {
    issuer: 'http://127.0.0.1:0',
    clients: [
      {
        client_id: 'wax-dashboard',
        client_secret: secret,
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [`http://127.0.0.1:${port}/login`],
        post_logout_redirect_uris: [`http://127.0.0.1:${port}/logout`],
      },
    ],
    users: [
      { username: 'alice', password: passwords.alice, groups: ['wax-admins'], name: 'Alice Admin' },
      { username: 'bob', password: passwords.bob, groups: ['team-a-users'] },
    ],
    // As scripts/testbed/oidc/config.example.json: access tokens are JWTs for wax-api.
    resources: {
      'https://wax.test/api': { audience: 'wax-api', scope: 'dataflows:read dataflows:write' },
    },
    default_resource: 'https://wax.test/api',
    signing_algs: ['RS256', 'ES256', 'PS256'],
    // The dashboard refreshes an access token a minute before it ends: with 65 s, every
    // session here is refreshed 5 s after sign-in, which the refresh test waits for.
    ttl: { access_token: 65, id_token: 300, refresh_token: 3600 },
  };
}

// The values of a <select>'s options, the "all namespaces" one ("") left out.
async function namespaceOptions(page) {
  const values = await page.getByTestId('namespace-select').locator('option').evaluateAll((options) =>
    options.map((o) => o.value));
  return values.filter((v) => v !== '').sort();
}

describe('dashboard, signed in through an OpenID provider', () => {
  const dir = tempDir('wax-dashboard-oidc-');
  const secret = randomBytes(24).toString('base64url');
  const passwords = { alice: randomBytes(12).toString('base64url'), bob: randomBytes(12).toString('base64url') };
  const problems = [];
  let provider;
  let waxd;
  let browser;
  let bobCookie;

  before(async () => {
    const port = await freePort();
    provider = await new OidcProvider(path.join(dir, 'oidc'), providerConfig(port, secret, passwords)).start();
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, POLICY);
    waxd = new Waxd(path.join(dir, 'data'), [
      '--auth-issuer', provider.issuer, '--client-id', 'wax-dashboard', '--audience', 'wax-api',
      '--dashboard-client-secret', secret, '--policy', policy,
    ]);
    await waxd.start({ port });
    assert.equal(waxd.url, `http://127.0.0.1:${port}`);

    // One dataflow in team-a and one in default, deployed with the owner's token (suspended:
    // only their names matter here).
    for (const [namespace, name] of [['team-a', 'team-flow'], ['default', 'default-flow']]) {
      const answer = await waxd.api('POST', '/dataflows', {
        name,
        namespace,
        fileContent: TICKER_FLOW,
        spec: { image: { tag: '0.21.1-python3.11' }, pythonFileName: 'flow.py', processesCount: 1, suspend: true },
      });
      assert.equal(answer.status, 200, `deploying ${namespace}/${name}: ${JSON.stringify(answer.body)}`);
    }
    browser = await launchBrowser();
  });

  after(async () => {
    try {
      await browser?.close();
      await waxd?.stop();
    } finally {
      waxd?.kill();
      await provider?.stop();
      keepAndRemove(dir, [
        [waxd?.logPath ?? '', 'oidc-waxd.log'],
        [path.join(dir, 'oidc', 'provider.log'), 'oidc-provider.log'],
      ]);
      if (problems.length) console.log(`browser problems:\n${problems.join('\n')}`);
    }
  });

  // Opens the dashboard in `context`, which sends the browser to the provider's form; signs in
  // there as `user`; returns the page, back on the dashboard.
  async function signIn(context, user, shot) {
    const page = await context.newPage();
    await page.goto(`${waxd.url}/ui/dataflows`);
    await page.waitForURL((url) => url.origin === provider.issuer && url.pathname.startsWith('/interaction/'));
    await page.locator('form#login input[name="username"]').fill(user);
    await page.locator('form#login input[name="password"]').fill(passwords[user]);
    if (shot) await screenshot(page, shot);
    await page.locator('form#login button[type="submit"]').click();
    await page.waitForURL((url) => url.origin === waxd.url && url.pathname.startsWith('/ui/'));
    await page.getByTestId('user-name').waitFor();
    return page;
  }

  it('signs bob in through the provider; he sees team-a only', async () => {
    const context = await newContext(browser, problems);
    try {
      const page = await signIn(context, 'bob', 'oidc-01-provider-login');
      assert.equal(await page.getByTestId('user-name').innerText(), 'bob');
      assert.equal(new URL(page.url()).pathname, '/ui/dataflows');
      const session = await page.evaluate(() => fetch('/auth/session').then((r) => r.json()));
      assert.equal(session.authenticated, true);
      assert.equal(session.user, 'bob');
      await screenshot(page, 'oidc-02-bob-landed');

      // The server lists team-a alone to bob...
      const cookies = await context.cookies(waxd.url);
      bobCookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      const listed = await waxd.api('GET', '/api/v1/namespaces', undefined, { token: null, headers: { Cookie: bobCookie } });
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      assert.deepEqual(listed.body.items.map((n) => n.metadata.name), ['team-a']);
      const other = await waxd.api('GET', '/api/v1/namespaces/default/dataflows', undefined, { token: null, headers: { Cookie: bobCookie } });
      assert.equal(other.status, 403, JSON.stringify(other.body));

      // ...and the page never shows default's dataflow.
      assert.equal(await page.getByTestId('row-default-default-flow').count(), 0);
      await page.getByTestId('namespace-select').selectOption('team-a');
      await page.getByTestId('row-team-a-team-flow').waitFor();
      assert.equal(await page.getByTestId('row-default-default-flow').count(), 0);
      await screenshot(page, 'oidc-03-bob-team-a');

      // The namespace selector offers bob's namespace only.
      await eventually(async () => (await namespaceOptions(page)).includes('team-a'), { what: 'the namespaces to load' });
      assert.deepEqual(await namespaceOptions(page), ['team-a'],
        'the namespace selector offers namespaces that bob may not see');
    } finally {
      await context.close();
    }
  });

  it('signs alice in; she sees both namespaces and both dataflows', async () => {
    const context = await newContext(browser, problems);
    try {
      const page = await signIn(context, 'alice');
      assert.equal(await page.getByTestId('user-name').innerText(), 'alice');
      await eventually(async () => (await namespaceOptions(page)).includes('team-a'), { what: 'the namespaces to load' });
      assert.deepEqual(await namespaceOptions(page), ['default', 'team-a']);
      await page.getByTestId('namespace-select').selectOption('');
      await page.getByTestId('row-team-a-team-flow').waitFor();
      await page.getByTestId('row-default-default-flow').waitFor();
      await screenshot(page, 'oidc-04-alice-all-namespaces');
    } finally {
      await context.close();
    }
  });

  it('refreshes the access token before it ends, so the user stays signed in', async () => {
    const context = await newContext(browser, problems);
    try {
      const page = await signIn(context, 'alice');
      const session = () => page.evaluate(() => fetch('/auth/session').then((r) => r.json()));
      const first = await session();
      await new Promise((resolve) => setTimeout(resolve, 6000));
      const listed = await page.evaluate(() => fetch('/api/v1/namespaces').then((r) => r.status));
      assert.equal(listed, 200);
      const second = await session();
      assert.equal(second.authenticated, true);
      assert.ok(Date.parse(second.expiresAt) > Date.parse(first.expiresAt),
        `the token was not refreshed: ${first.expiresAt} then ${second.expiresAt}`);
    } finally {
      await context.close();
    }
  });

  it('signs out of the dashboard and of the provider', async () => {
    const context = await newContext(browser, problems);
    try {
      const page = await signIn(context, 'bob');
      const cookie = (await context.cookies(waxd.url)).map((c) => `${c.name}=${c.value}`).join('; ');
      await page.getByTestId('logout-button').click();

      // The provider asks to confirm (RP-initiated logout): confirm.
      await page.waitForURL((url) => url.origin === provider.issuer, { timeout: 15_000 });
      await screenshot(page, 'oidc-05-provider-logout');
      const confirm = page.locator('button[name="logout"][value="yes"]');
      if (await confirm.count()) await confirm.click();

      await page.waitForURL(`${waxd.url}/logout**`);
      await page.getByTestId('signed-out').waitFor();
      await screenshot(page, 'oidc-06-signed-out');

      const old = await waxd.api('GET', '/api/v1/namespaces/team-a/dataflows', undefined, { token: null, headers: { Cookie: cookie } });
      assert.equal(old.status, 401, `the old session still works: ${JSON.stringify(old.body)}`);

      // The provider's session ended too: the dashboard sends the browser to its form again.
      await page.goto(`${waxd.url}/ui/dataflows`);
      await page.waitForURL((url) => url.origin === provider.issuer && url.pathname.startsWith('/interaction/'));
      await page.locator('form#login input[name="password"]').waitFor();
    } finally {
      await context.close();
    }
  });

  it('shows an error page for a callback with a made-up state', async () => {
    const context = await newContext(browser, problems);
    try {
      const page = await context.newPage();
      const response = await page.goto(`${waxd.url}/login?code=made-up-code&state=made-up-state`);
      assert.ok(response.status() < 500, `status ${response.status()}`);
      const error = page.getByTestId('login-error');
      await error.waitFor();
      assert.match(await error.innerText(), /sign-in could not be completed/i);
      await page.getByTestId('sign-in-again').waitFor();
      assert.equal(await page.getByTestId('user-name').count(), 0);
      await screenshot(page, 'oidc-07-made-up-state');
      const session = await page.evaluate(() => fetch('/auth/session').then((r) => r.json()));
      assert.equal(session.authenticated, false);
      assert.match(readFileSync(waxd.logPath, 'utf8'), /sign-in refused/);
    } finally {
      await context.close();
    }
  });
});
