// A third-party, certified OpenID provider (panva/oidc-provider) on loopback, playing
// OpenAM's part for the interop session. Users, their `keystoneid` claims and the clients
// come from a JSON file that the Python side writes with fresh secrets:
//
//   node provider.mjs --config FILE --port N [--host 127.0.0.1] [--prefix /openam]
//
// The issuer is http://HOST:PORT{prefix}/oauth2, like OpenAM's root realm. Only the
// login and consent pages are ours (oidc-provider leaves them to the deployer); every
// protocol endpoint is oidc-provider's own. Nothing here logs a password or a token.

import { createServer } from 'node:http';
import { generateKeyPairSync, timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    prefix: { type: 'string', default: '/openam' },
  },
});
if (!args.config || !args.port) {
  console.error('usage: node provider.mjs --config FILE --port N [--host H] [--prefix P]');
  process.exit(2);
}

const config = JSON.parse(readFileSync(args.config, 'utf8'));
const users = new Map(config.users.map((user) => [user.username, user]));
const issuer = `http://${args.host}:${args.port}${args.prefix}/oauth2`;

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = createHash('sha256').update(jwk.n).digest('base64url').slice(0, 16);
  return { ...jwk, kid, use: 'sig', alg: 'RS256' };
}

async function findAccount(_ctx, id) {
  const user = users.get(id);
  if (!user) return undefined;
  return {
    accountId: id,
    async claims() {
      return { sub: id, ...user.claims };
    },
  };
}

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    client_id: client.client_id,
    client_secret: client.client_secret,
    grant_types: client.grant_types,
    redirect_uris: client.redirect_uris ?? [],
    response_types: client.grant_types.includes('authorization_code') ? ['code'] : [],
    ...(client.scopes.length ? { scope: client.scopes.join(' ') } : {}),
  })),
  jwks: { keys: [signingKey()] },
  cookies: { keys: [config.cookie_key] },
  findAccount,
  scopes: ['openid', 'offline_access', 'profile', 'email', 'keystoneid', 'udr:write'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name'],
    email: ['email'],
    keystoneid: ['keystoneid'],
  },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true, allowedPolicy: async () => true },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: {
    // A client may be given a lifetime of its own: the suite's short-lived client.
    AccessToken: (_ctx, _token, client) => Number(
      config.clients.find((c) => c.client_id === client?.clientId)?.access_token_lifetime
        ?? config.access_token_lifetime ?? 3600,
    ),
  },
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
});

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>`
    + `<body><h1>${title}</h1>${body}</body></html>`;
}

function loginForm(uid, message) {
  const error = message ? `<p data-testid="login-error">${message}</p>` : '';
  return page('Sign in', `${error}
<form id="login-form" method="post" action="/interaction/${uid}/login">
  <label>Username <input name="username" autocomplete="username"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form>`);
}

function passwordMatches(user, password) {
  const expected = Buffer.from(String(user?.password ?? ''));
  const given = Buffer.from(String(password ?? ''));
  const same = expected.length === given.length && timingSafeEqual(expected, given);
  return Boolean(user) && same;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16384) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

async function grantConsent(details) {
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

// The login page (the only prompt a person sees); consent is given for our own clients.
async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page('Bad request', '<p>Unknown interaction.</p>'));

  if (details.prompt.name === 'consent') {
    const grantId = await grantConsent(details);
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (req.method === 'GET') return send(res, 200, loginForm(uid));
  if (req.method !== 'POST' || action !== 'login') return send(res, 405, page('Not allowed', ''));

  const form = await readForm(req);
  const username = form.get('username') ?? '';
  if (!passwordMatches(users.get(username), form.get('password'))) {
    return send(res, 200, loginForm(uid, 'Invalid username or password.'));
  }
  return provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
const mountPath = new URL(issuer).pathname;
const server = createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname === '/health') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end('{"status":"ok"}');
  }
  const match = url.pathname.match(/^\/interaction\/([\w-]+)(?:\/(login))?$/);
  if (match) {
    try {
      return await interaction(req, res, match[1], match[2]);
    } catch (err) {
      return send(res, 400, page('Bad request', `<p>${err.name}</p>`));
    }
  }
  // oidc-provider routes from its root; it finds its mount path through originalUrl.
  if (url.pathname.startsWith(`${mountPath}/`)) {
    req.originalUrl = req.url;
    req.url = req.url.slice(mountPath.length);
    return callback(req, res);
  }
  return send(res, 404, page('Not found', ''));
});

server.listen(Number(args.port), args.host, () => {
  console.log(`oidc-provider ${issuer} ready`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
