// A local OpenID Provider for `crypter dev --sso` and the tests: `oidc-provider` (a
// certified implementation) with two people, `alice` (group `payments-admins`) and `bob`
// (no group), a login page, and a small admin API the tests use to change a person's
// groups and to make the provider misbehave (an expired or wrongly addressed ID token).
//
//   node tools/idp.mjs --port 0 --client-id crypter --client-secret S \
//        --redirect http://127.0.0.1:8080/oidc/callback [--redirect …] [--admin-token T]
//
// When it listens it prints one JSON line on stdout:
//   {"issuer":"http://127.0.0.1:PORT","users":[{"name":"alice","password":"…","groups":[…]},…]}
// Everything is in memory; nothing is kept after exit.

import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';
import * as jose from 'jose';

function args(argv) {
  const out = { redirect: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    i += 1;
    if (key === 'redirect') out.redirect.push(value);
    else out[key.replace(/-(\w)/g, (_, c) => c.toUpperCase())] = value;
  }
  return out;
}

const opts = args(process.argv.slice(2));
const secret = () => crypto.randomBytes(18).toString('base64url');
const clientId = opts.clientId || 'crypter';
const clientSecret = opts.clientSecret || secret();
const adminToken = opts.adminToken || secret();
if (opts.redirect.length === 0) {
  console.error('idp: give at least one --redirect URI (the console callback)');
  process.exit(2);
}

const users = new Map([
  ['alice', { password: opts.alicePassword || secret(), groups: ['payments-admins'] }],
  ['bob', { password: opts.bobPassword || secret(), groups: [] }],
]);

// What the next ID tokens look like: `normal`, `expired` or `wrong_audience`. The tests
// set it through the admin API to check that OpenBao refuses such tokens.
let idTokenMode = 'normal';

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'idp-1', alg: 'RS256', use: 'sig' };

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(opts.port || 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: opts.redirect,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    post_logout_redirect_uris: opts.redirect.map((r) => new URL('/', r).toString()),
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: [secret(), secret()] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  scopes: ['openid', 'profile', 'groups'],
  ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, sub) {
    const user = users.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      claims: async () => ({ sub, name: sub, preferred_username: sub, groups: [...user.groups] }),
    };
  },
});

// The provider's own ID token, re-signed with a past expiry or a foreign audience.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || idTokenMode === 'normal' || !ctx.body?.id_token) return;
  const claims = jose.decodeJwt(ctx.body.id_token);
  const now = Math.floor(Date.now() / 1000);
  if (idTokenMode === 'expired') {
    claims.iat = now - 7200;
    claims.exp = now - 3600;
  } else if (idTokenMode === 'wrong_audience') {
    claims.aud = 'someone-else';
  }
  ctx.body = {
    ...ctx.body,
    id_token: await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
      .sign(privateKey),
  };
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(uid, error) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Sign in: local identity provider</title>
<style>body{font:16px system-ui;margin:3rem auto;max-width:22rem;color:#111;background:#fff}
label{display:block;margin-top:1rem}input{width:100%;padding:.4rem;font:inherit}
button{margin-top:1.2rem;padding:.5rem 1rem;font:inherit;background:#1d4ed8;color:#fff;border:0}
p[role=alert]{color:#b91c1c}</style></head><body>
<main><h1>Local identity provider</h1>
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></main></body></html>`;
}

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, type, text) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
}

async function interaction(req, res, uid, action) {
  // Without the interaction's cookie (a client that keeps none) the page still shows; the
  // sign-in itself then says the interaction expired.
  const details = await provider.interactionDetails(req, res).catch(() => null);
  if (!details) {
    if (req.method === 'GET') return send(res, 200, 'text/html', page(uid));
    return send(res, 400, 'text/html', page(uid, 'This sign-in has expired. Start again from Crypter.'));
  }
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  if (details.prompt.name === 'consent') {
    // The console is the company's own application: consent is implied.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    grant.addOIDCScope(String(details.params.scope || 'openid'));
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (action !== 'login' || req.method !== 'POST') return send(res, 200, 'text/html', page(uid));
  const form = new URLSearchParams(await body(req));
  const name = String(form.get('username') || '').trim().toLowerCase();
  const user = users.get(name);
  if (!user || user.password !== form.get('password')) {
    return send(res, 200, 'text/html', page(uid, 'Wrong username or password.'));
  }
  return provider.interactionFinished(req, res, { login: { accountId: name } }, { mergeWithLastSubmission: false });
}

async function admin(req, res, path) {
  if (req.headers.authorization !== `Bearer ${adminToken}`) return send(res, 401, 'text/plain', 'no');
  const input = JSON.parse((await body(req)) || '{}');
  const groupsOf = path.match(/^\/admin\/users\/([\w.-]+)\/groups$/);
  if (groupsOf && users.has(groupsOf[1])) {
    users.get(groupsOf[1]).groups = (input.groups || []).map(String);
    return send(res, 200, 'application/json', JSON.stringify({ groups: users.get(groupsOf[1]).groups }));
  }
  if (path === '/admin/id-token' && ['normal', 'expired', 'wrong_audience'].includes(input.mode)) {
    idTokenMode = input.mode;
    return send(res, 200, 'application/json', JSON.stringify({ mode: idTokenMode }));
  }
  return send(res, 404, 'text/plain', 'unknown admin request');
}

const oidc = provider.callback();
server.on('request', async (req, res) => {
  const path = new URL(req.url, issuer).pathname;
  try {
    const step = path.match(/^\/interaction\/([\w-]+)(?:\/(login))?$/);
    if (step) return await interaction(req, res, step[1], step[2]);
    if (path.startsWith('/admin/') && req.method === 'POST') return await admin(req, res, path);
    return oidc(req, res);
  } catch (e) {
    return send(res, 400, 'text/plain', `idp: ${e.message}`);
  }
});

console.log(JSON.stringify({
  issuer,
  client_id: clientId,
  users: [...users].map(([name, u]) => ({ name, password: u.password, groups: u.groups })),
}));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
