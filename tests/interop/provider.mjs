#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// A third-party OpenID provider for the interop tests: node's oidc-provider
// (OpenID Certified, not ours) on loopback, configured from a profile in
// profiles.json. See README.md.
//
//   node provider.mjs --profile public-native [--access-ttl 60] [--host ::1]
//
// stdout: first line "listening on http://127.0.0.1:PORT" (the issuer), then
// one JSON line per provider event ({"event":"grant.success",...}); never a
// token, code or secret. Ends on SIGTERM/SIGINT, and with
// --exit-on-stdin-close when its stdin closes (the test that started it died).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import { exportJWK, generateKeyPair } from 'jose';

// oidc-provider prints its notices with console.info, on stdout: keep stdout
// for the listening line and the event log.
console.info = (...args) => console.error(...args);

const { values: opts } = parseArgs({
  options: {
    profile: { type: 'string', default: 'public-native' },
    profiles: { type: 'string', default: new URL('./profiles.json', import.meta.url).pathname },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'access-ttl': { type: 'string' },
    'exit-on-stdin-close': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    'list-profiles': { type: 'boolean', default: false },
  },
});

const config = JSON.parse(readFileSync(opts.profiles, 'utf8'));
if (opts['list-profiles']) {
  for (const [name, p] of Object.entries(config.profiles)) console.log(`${name}\t${p.clients.join(',')}\t${p.description}`);
  process.exit(0);
}
const profile = config.profiles[opts.profile];
if (!profile) {
  console.error(`provider.mjs: no profile "${opts.profile}" in ${opts.profiles}`);
  process.exit(2);
}
// Loopback only (the tests' network rule): refuse anything else.
if (!['127.0.0.1', '::1'].includes(opts.host)) {
  console.error('provider.mjs: --host must be 127.0.0.1 or ::1');
  process.exit(2);
}

// Fresh signing keys for every run. RSA key generation runs in node's thread
// pool while the main thread loads oidc-provider (about half a second each).
async function signingKeys() {
  const keys = [];
  for (const alg of ['RS256', 'ES256']) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    keys.push({ ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `interop-${alg.toLowerCase()}-${randomBytes(4).toString('hex')}` });
  }
  return { keys };
}
const jwks = signingKeys();
const { default: Provider, errors } = await import('oidc-provider');
const { sources } = await import('./lib/pages.mjs');
const { adminMiddleware, interactionMiddleware, offlineAccessMiddleware } = await import('./lib/routes.mjs');
const { Store } = await import('./lib/store.mjs');

const accessTtl = Number(opts['access-ttl'] ?? profile.accessTokenTtl ?? 300);
const withoutComments = (o) => Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('$')));
const clients = profile.clients.map((id) => {
  if (!config.clients[id]) throw new Error(`profile ${opts.profile}: unknown client ${id}`);
  return { client_id: id, ...withoutComments(config.clients[id]) };
});

const store = new Store();
const counters = {};
const log = opts.quiet ? () => {} : (entry) => process.stdout.write(`${JSON.stringify(entry)}\n`);
const { account } = config;

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(opts.port), opts.host, resolve);
});
const { port } = server.address();
const issuer = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;

const resourceServer = (indicator) => {
  const rs = config.resourceServers[indicator];
  if (!rs) throw new errors.InvalidTarget();
  return {
    scope: rs.scope,
    audience: indicator, // aud = the resource indicator (RFC 8707 §2, RFC 9068 §3)
    accessTokenTTL: accessTtl,
    accessTokenFormat: profile.accessTokenFormat ?? 'jwt',
    ...(profile.accessTokenFormat === 'opaque' ? {} : { jwt: { sign: { alg: 'RS256' } } }),
  };
};

const provider = new Provider(issuer, {
  adapter: (model) => store.adapterFor(model),
  clients,
  jwks: await jwks,
  cookies: { keys: [randomBytes(32).toString('hex')] },
  async findAccount(ctx, sub) {
    if (sub !== account.claims.sub) return undefined;
    return { accountId: sub, claims: async () => ({ ...account.claims }) };
  },
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  // RFC 7636: PKCE for every client, S256 only (oidc-provider's only method).
  pkce: { required: () => true },
  // Rotation with reuse detection: a reused refresh token revokes the grant.
  rotateRefreshToken: () => profile.rotateRefreshTokens !== false,
  clientBasedCORS: () => false,
  ttl: {
    AccessToken: accessTtl,
    AuthorizationCode: 60,
    ClientCredentials: accessTtl,
    DeviceCode: 600,
    Grant: 14 * 24 * 3600,
    IdToken: 3600,
    Interaction: 600,
    RefreshToken: 14 * 24 * 3600,
    Session: 14 * 24 * 3600,
  },
  features: {
    devInteractions: { enabled: false },
    deviceFlow: {
      enabled: true,
      userCodeInputSource: sources.userCodeInputSource,
      userCodeConfirmSource: sources.userCodeConfirmSource,
      successSource: sources.successSource,
    },
    revocation: { enabled: profile.revocation !== false },
    introspection: { enabled: true },
    userinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: sources.logoutSource,
      postLogoutSuccessSource: sources.postLogoutSuccessSource,
    },
    pushedAuthorizationRequests: {
      enabled: true,
      requirePushedAuthorizationRequests: profile.requirePar === true,
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client, oneOf) => oneOf ?? profile.defaultResource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, indicator) => resourceServer(indicator),
    },
    dPoP: {
      enabled: true,
      nonceSecret: randomBytes(32),
      requireNonce: () => profile.dpopNonce === true,
    },
  },
  renderError: sources.renderError,
});

// Event log and counters: names and client ids only, never a token value.
const emit = provider.emit.bind(provider);
provider.emit = (name, ...args) => {
  counters[name] = (counters[name] || 0) + 1;
  const [first, second] = args;
  const ctx = first?.oidc ? first : undefined;
  const entry = { event: name };
  const client = ctx?.oidc?.client?.clientId ?? first?.clientId;
  if (client) entry.client = client;
  if (ctx?.oidc?.params?.grant_type) entry.grant_type = ctx.oidc.params.grant_type;
  // RFC 8707 §2.2: the resource a grant asked for (a URI, not a secret).
  const resource = ctx?.oidc?.params?.resource;
  if (resource) entry.resource = resource;
  if (name === 'grant.success' && ctx?.oidc?.params?.grant_type) {
    const key = `grant.success:${ctx.oidc.params.grant_type}`;
    counters[key] = (counters[key] || 0) + 1;
    // Per resource too ("grant.success:refresh_token@https://api-a.interop.test/"),
    // so a test counts one API's grants from the provider's side.
    for (const r of [resource ?? []].flat()) counters[`${key}@${r}`] = (counters[`${key}@${r}`] || 0) + 1;
  }
  const err = second instanceof Error ? second : undefined;
  if (err) {
    entry.error = err.error ?? err.name;
    if (err.error_description) entry.description = err.error_description;
    // Server-side detail oidc-provider keeps out of the response.
    if (err.error_detail) entry.detail = err.error_detail;
    const key = `${name}:${entry.error}`;
    counters[key] = (counters[key] || 0) + 1;
  }
  log(entry);
  if (name === 'server_error') console.error(err?.stack ?? err);
  return emit(name, ...args);
};

if (profile.offlineAccess !== 'oidc-core') provider.use(offlineAccessMiddleware(provider));
// Our own events (interop.*) are counted like the provider's.
const record = (entry) => {
  counters[entry.event] = (counters[entry.event] || 0) + 1;
  log(entry);
};
provider.use(interactionMiddleware(provider, account, record));
provider.use(adminMiddleware(store, counters, opts.profile));

server.on('request', provider.callback());
process.stdout.write(`listening on ${issuer}\n`);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (opts['exit-on-stdin-close']) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
