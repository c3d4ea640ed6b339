// An OpenID Connect provider on loopback for Wax's tests, built on oidc-provider (a certified
// OpenID provider). Started by scripts/testbed/oidc-up.sh:  node provider.mjs CONFIG.json
//
// Once it listens it prints one line on stdout: `oidc-provider listening on ISSUER`.
//
// CONFIG.json (only `issuer`, `clients` and `users` are required):
//   issuer             "http://127.0.0.1:0": where to listen; port 0 picks a free port. The
//                      issuer is this origin with the bound port (no path).
//   clients            oidc-provider client metadata, passed as is (client_id, client_secret,
//                      redirect_uris, post_logout_redirect_uris, grant_types,
//                      token_endpoint_auth_method...). A client with application_type "native"
//                      accepts any port on its loopback redirect URIs (RFC 8252).
//   users              [{username, password, groups, name, email, claims}]; sub is the username
//                      and `claims` adds any other claim.
//   resources          {INDICATOR: {audience, scope, alg, ttl}}: the resource servers (RFC 8707)
//                      whose access tokens are JWTs; audience defaults to INDICATOR, scope to "",
//                      alg to the first of signing_algs, ttl to ttl.access_token.
//   default_resource   the resource of a request that names none, so that every access token
//                      is a JWT for it (without one, such tokens are opaque, for userinfo only).
//   access_token_claims  user claims copied into JWT access tokens
//                      (default ["groups", "preferred_username", "email"]).
//   signing_algs       ["RS256"]: one signing key each (RS256, PS256, ES256); the first signs
//                      ID tokens unless a client asks otherwise.
//   jwks_file          private JWKS to load, or to write the generated keys to when absent, so
//                      that a restart keeps the keys.
//   ttl                seconds, each optional: access_token, id_token, refresh_token,
//                      authorization_code, device_code, interaction, session, grant.
//   pkce               "public" (default: required from clients without a secret) or "all".
//   refresh_tokens     "always" (default: to every client allowed the refresh_token grant) or
//                      "offline_access" (only when that scope is granted, as OIDC Core says).
//
// Logins go through /interaction/UID: a plain HTML form (fields `username`, `password`) that a
// test can fill in with any HTTP client; consent is granted without asking, as every client
// here is first-party. The device flow's pages are plain forms too.
import { generateKeyPairSync, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { Provider, errors } from 'oidc-provider';

const MAX_FORM_BYTES = 64 * 1024;
const DEFAULT_TTL = {
  access_token: 300,
  id_token: 300,
  refresh_token: 3600,
  authorization_code: 60,
  device_code: 300,
  interaction: 600,
  session: 3600,
  grant: 3600,
};
const TTL_NAMES = {
  access_token: 'AccessToken',
  id_token: 'IdToken',
  refresh_token: 'RefreshToken',
  authorization_code: 'AuthorizationCode',
  device_code: 'DeviceCode',
  interaction: 'Interaction',
  session: 'Session',
  grant: 'Grant',
};
const KEY_TYPES = {
  RS256: ['rsa', { modulusLength: 2048 }],
  PS256: ['rsa', { modulusLength: 2048 }],
  ES256: ['ec', { namedCurve: 'P-256' }],
};

class ConfigError extends Error {}

function log(message, fields = {}) {
  const pairs = Object.entries(fields).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  console.error([new Date().toISOString(), message, ...pairs].join(' '));
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Pages carry no external stylesheet or font: the tests' machines reach no outside address.
function page(title, body) {
  return `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

function readConfig(path) {
  const config = JSON.parse(readFileSync(path, 'utf8'));
  for (const field of ['issuer', 'clients', 'users']) {
    if (config[field] === undefined) throw new ConfigError(`${path}: "${field}" is missing`);
  }
  for (const user of config.users) {
    if (typeof user.username !== 'string' || typeof user.password !== 'string') {
      throw new ConfigError(`${path}: every user needs a username and a password`);
    }
  }
  const issuer = new URL(config.issuer);
  if (issuer.protocol !== 'http:' || issuer.port === '' || issuer.pathname !== '/') {
    throw new ConfigError(`${path}: issuer must be http://HOST:PORT (PORT 0 for a free one)`);
  }
  for (const alg of config.signing_algs ?? ['RS256']) {
    if (!KEY_TYPES[alg]) {
      throw new ConfigError(`${path}: signing alg ${alg} is not one of ${Object.keys(KEY_TYPES)}`);
    }
  }
  for (const [name, value] of Object.entries(config.ttl ?? {})) {
    if (!TTL_NAMES[name] || !Number.isSafeInteger(value) || value <= 0) {
      throw new ConfigError(`${path}: ttl.${name} must be a positive number of seconds, and one `
        + `of ${Object.keys(TTL_NAMES)}`);
    }
  }
  return config;
}

function generateKeys(algs) {
  return algs.map((alg) => {
    const [type, options] = KEY_TYPES[alg];
    const { privateKey } = generateKeyPairSync(type, options);
    const kid = `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}`;
    // An alg on each key pins it to one algorithm, so that an RS256 and a PS256 key never stand
    // in for each other when a token asks for one of them.
    return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  });
}

function loadOrGenerateKeys(config) {
  const algs = config.signing_algs ?? ['RS256'];
  if (config.jwks_file && existsSync(config.jwks_file)) {
    return JSON.parse(readFileSync(config.jwks_file, 'utf8')).keys;
  }
  const keys = generateKeys(algs);
  if (config.jwks_file) {
    writeFileSync(config.jwks_file, JSON.stringify({ keys }, null, 2), { mode: 0o600 });
  }
  return keys;
}

function digest(value) {
  return createHash('sha256').update(String(value)).digest();
}

class Users {
  constructor(list) {
    this.byName = new Map(list.map((user) => [user.username, user]));
  }

  // Compares digests so that the time taken does not tell how much of a password matched.
  check(username, password) {
    const user = this.byName.get(username);
    const expected = digest(user ? user.password : randomBytes(16));
    return timingSafeEqual(expected, digest(password)) && user !== undefined;
  }

  claims(username) {
    const user = this.byName.get(username);
    if (!user) return undefined;
    return {
      sub: user.username,
      preferred_username: user.username,
      name: user.name ?? user.username,
      email: user.email ?? `${user.username}@wax.test`,
      email_verified: true,
      groups: user.groups ?? [],
      ...user.claims,
    };
  }
}

function resourceIndicators(config, defaultAlg) {
  const resources = config.resources ?? {};
  return {
    enabled: true,

    async defaultResource(_ctx, _client, oneOf) {
      if (!oneOf) return config.default_resource;
      return oneOf.includes(config.default_resource) ? config.default_resource : oneOf[0];
    },

    // A refresh or a code exchange that names no resource keeps the one granted, so that the
    // client gets a JWT for the same audience every time.
    async useGrantedResource() {
      return true;
    },

    async getResourceServerInfo(_ctx, indicator) {
      const resource = resources[indicator];
      if (!resource) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
      return {
        audience: resource.audience ?? indicator,
        scope: resource.scope ?? '',
        accessTokenTTL: resource.ttl,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: resource.alg ?? defaultAlg } },
      };
    },
  };
}

function ttls(config) {
  const merged = { ...DEFAULT_TTL, ...config.ttl };
  const result = Object.fromEntries(Object.entries(merged)
    .map(([name, value]) => [TTL_NAMES[name], value]));
  // A number here would win over the resource's own ttl, which only a function can consult.
  result.AccessToken = (_ctx, token) => token.resourceServer?.accessTokenTTL ?? merged.access_token;
  return result;
}

function deviceFlowPages() {
  return {
    enabled: true,

    async userCodeInputSource(ctx, form, _out, err) {
      const message = err ? 'The code was not accepted; enter it again.' : 'Enter the code shown.';
      ctx.body = page('Device sign-in', `<p>${escapeHtml(message)}</p>
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`);
    },

    async userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
      ctx.body = page('Confirm device', `<p>${escapeHtml(client.clientId)} shows the code
<code>${escapeHtml(userCode)}</code>.</p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`);
    },

    async successSource(ctx) {
      ctx.body = page('Device signed in', '<p>The device is signed in; this page can close.</p>');
    },
  };
}

function logoutPages() {
  return {
    enabled: true,

    async logoutSource(ctx, form) {
      ctx.body = page('Sign out', `${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`);
    },

    async postLogoutSuccessSource(ctx) {
      ctx.body = page('Signed out', '<p>You are signed out.</p>');
    },
  };
}

async function renderError(ctx, out) {
  const lines = Object.entries(out)
    .map(([key, value]) => `<p><code>${escapeHtml(key)}</code>: ${escapeHtml(value)}</p>`);
  ctx.type = 'html';
  ctx.body = page('Error', lines.join('\n'));
}

function providerConfiguration(config, users, keys) {
  const signingAlgs = config.signing_algs ?? ['RS256'];
  const accessTokenClaims = config.access_token_claims ?? ['groups', 'preferred_username', 'email'];
  const refreshTokens = config.refresh_tokens ?? 'always';
  const pkce = config.pkce ?? 'public';

  return {
    clients: config.clients,
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      id_token_signed_response_alg: signingAlgs[0],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    jwks: { keys },
    // Sessions live as long as the process, so keys made at start-up are enough.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // ID tokens carry the scopes' claims (groups among them), as Kubernetes' OIDC
    // authenticator reads them from there.
    conformIdTokenClaims: false,
    ttl: ttls(config),
    pkce: { required: (_ctx, client) => pkce === 'all' || client.clientAuthMethod === 'none' },
    async issueRefreshToken(_ctx, client, code) {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      return refreshTokens === 'always' || code.scopes.has('offline_access');
    },
    async findAccount(_ctx, sub) {
      const claims = users.claims(sub);
      if (!claims) return undefined;
      return { accountId: sub, claims: async () => claims };
    },
    async extraTokenClaims(_ctx, token) {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const claims = users.claims(token.accountId) ?? {};
      return Object.fromEntries(accessTokenClaims.filter((name) => name in claims)
        .map((name) => [name, claims[name]]));
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: deviceFlowPages(),
      rpInitiatedLogout: logoutPages(),
      revocation: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: resourceIndicators(config, signingAlgs[0]),
    },
    // Every origin may call: the only callers are tests on loopback.
    clientBasedCORS: () => true,
    renderError,
  };
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw Object.assign(new Error('form too large'), { status: 413 });
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function loginPage(uid, details, message) {
  const hint = details.params.login_hint ?? '';
  return page('Sign in', `${message ? `<p class="error">${escapeHtml(message)}</p>` : ''}
<p>Client: ${escapeHtml(details.params.client_id)}</p>
<form id="login" method="post" action="/interaction/${escapeHtml(uid)}/login">
<input type="text" name="username" value="${escapeHtml(hint)}" autofocus>
<input type="password" name="password">
<button type="submit">Sign in</button>
</form>
<form id="abort" method="post" action="/interaction/${escapeHtml(uid)}/abort">
<button type="submit">Cancel</button>
</form>`);
}

// The test clients are all first-party, so consent grants what was asked without a page.
async function grantConsent(provider, details) {
  const { prompt: { details: missing }, grantId, session, params } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return { consent: { grantId: await grant.save() } };
}

function redirect(ctx, location) {
  ctx.status = 303;
  ctx.set('location', location);
  ctx.body = '';
}

async function interaction(provider, users, ctx, uid, action) {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) ctx.throw(400, 'this interaction belongs to another sign-in');

  if (ctx.method === 'GET' && action === undefined) {
    if (details.prompt.name === 'login') {
      ctx.type = 'html';
      ctx.body = loginPage(uid, details);
      return;
    }
    const result = await grantConsent(provider, details);
    redirect(ctx, await provider.interactionResult(ctx.req, ctx.res, result));
    return;
  }

  if (ctx.method === 'POST' && action === 'login') {
    const form = await readForm(ctx.req);
    const username = form.get('username') ?? '';
    if (!users.check(username, form.get('password') ?? '')) {
      log('login refused', { username, client: details.params.client_id });
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage(uid, details, 'Wrong username or password.');
      return;
    }
    log('login', { username, client: details.params.client_id });
    const result = { login: { accountId: username } };
    redirect(ctx, await provider.interactionResult(ctx.req, ctx.res, result,
      { mergeWithLastSubmission: false }));
    return;
  }

  if (ctx.method === 'POST' && action === 'abort') {
    const result = { error: 'access_denied', error_description: 'the user cancelled the sign-in' };
    redirect(ctx, await provider.interactionResult(ctx.req, ctx.res, result,
      { mergeWithLastSubmission: false }));
    return;
  }

  ctx.throw(405, 'method not allowed');
}

function interactionRoutes(provider, users) {
  return async (ctx, next) => {
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|abort))?$/.exec(ctx.path);
    if (!match) return next();
    ctx.set('cache-control', 'no-store');
    try {
      await interaction(provider, users, ctx, match[1], match[2]);
    } catch (err) {
      ctx.status = err.status ?? err.statusCode ?? 500;
      ctx.type = 'html';
      ctx.body = page('Error', `<p>${escapeHtml(err.error_description ?? err.message)}</p>`);
      if (ctx.status >= 500) log('interaction failed', { error: err.stack });
    }
    return undefined;
  };
}

// The issuer must name the port, and port 0 has none until bound: bind first, then build the
// provider with the port the kernel chose.
async function listen(issuer) {
  const server = http.createServer();
  const host = issuer.hostname.replace(/^\[|\]$/g, '');
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(issuer.port), host, resolve);
  });
  const bound = new URL(issuer);
  bound.port = String(server.address().port);
  return { server, issuer: bound.origin };
}

// oidc-provider reads static clients on their first request; reading them here makes a wrong
// config fail at start-up, where the person who wrote it looks.
async function checkClients(provider, clients) {
  for (const { client_id: id } of clients) {
    try {
      await provider.Client.find(id);
    } catch (err) {
      throw new ConfigError(`client ${id}: ${err.error_description ?? err.message}`);
    }
  }
}

async function main() {
  const [configPath] = process.argv.slice(2);
  if (!configPath) throw new ConfigError('usage: node provider.mjs CONFIG.json');
  const config = readConfig(configPath);
  const users = new Users(config.users);

  const { server, issuer } = await listen(new URL(config.issuer));
  const provider = new Provider(issuer, providerConfiguration(config, users,
    loadOrGenerateKeys(config)));
  await checkClients(provider, config.clients);
  provider.use(interactionRoutes(provider, users));
  provider.on('server_error', (_ctx, err) => log('server error', { error: err.stack }));
  server.on('request', provider.callback());

  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      server.close(() => process.exit(0));
      server.closeAllConnections();
    });
  }
  console.log(`oidc-provider listening on ${issuer}`);
}

main().catch((err) => {
  console.error(`oidc-provider: ${err instanceof ConfigError ? err.message : err.stack}`);
  process.exit(2);
});
