// SPDX-License-Identifier: MIT
// The harness checks itself (node --test selftest.mjs): every profile of
// profiles.json does what README.md says, driven by a minimal OAuth client
// written here (PKCE, PAR, client secrets, resource, DPoP with nonces,
// refresh rotation, revocation, introspection, device flow, end-session).
// So a later SDK test that fails against a profile fails because of the SDK.
// Loopback only; nothing printed is a token.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { SignJWT, calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from 'jose';

const here = new URL('.', import.meta.url).pathname;
const children = [];
after(() => children.forEach((c) => c.kill('SIGTERM')));

// A harness script as a child; resolves with its URL and its event lines.
function startNode(script, args) {
  const child = spawn(process.execPath, [join(here, script), '--exit-on-stdin-close', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = [];
  return new Promise((resolve, reject) => {
    let buffer = '';
    let url;
    child.once('exit', (code) => url || reject(new Error(`${script} exited ${code}`)));
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!url) {
          url = line.replace(/^listening on /, '');
          resolve({ url, lines, child, stop: () => child.kill('SIGTERM') });
        } else lines.push(JSON.parse(line));
      }
    });
  });
}
const provider = async (profile) => {
  const p = await startNode('provider.mjs', ['--profile', profile]);
  p.metadata = await (await fetch(`${p.url}/.well-known/openid-configuration`)).json();
  p.stats = async () => (await fetch(`${p.url}/_interop/stats`)).json();
  return p;
};

// The app's loopback listener: resolves with the redirect's query.
function listener(host = '127.0.0.1') {
  return new Promise((resolve) => {
    let got;
    const received = new Promise((r) => { got = r; });
    const server = createServer((req, res) => {
      res.end('<p>callback received</p>');
      got(new URL(req.url, 'http://x').searchParams);
      server.close();
    });
    server.listen(0, host, () => resolve({ port: server.address().port, received, server }));
  });
}

function runBrowser(args, env = {}) {
  const log = join(mkdtempSync(join(tmpdir(), 'interop-selftest-')), 'browser.log');
  const child = spawn(process.execPath, [join(here, 'browser.mjs'), ...args], {
    stdio: 'ignore', env: { ...process.env, INTEROP_BROWSER_LOG: log, ...env },
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, log: readFileSync(log, 'utf8') })));
}

const b64sha256 = (s) => createHash('sha256').update(s).digest('base64url');
const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: b64sha256(verifier) };
};

// Authorization request (optionally pushed, RFC 9126) through the browser;
// resolves with the callback's parameters.
async function authorize(op, { clientId, params = {}, par = false, auth = {}, redirectHost = '127.0.0.1', redirectName = redirectHost, env }) {
  const cb = await listener(redirectHost === 'localhost' ? '127.0.0.1' : redirectHost);
  const { verifier, challenge } = pkce();
  const redirectUri = `http://${redirectName}:${cb.port}/callback`;
  const request = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: 'openid offline_access email',
    state: randomBytes(16).toString('base64url'), code_challenge: challenge, code_challenge_method: 'S256', ...params,
  });
  let url = `${op.metadata.authorization_endpoint}?${request}`;
  if (par) {
    const pushed = await post(op.metadata.pushed_authorization_request_endpoint, request, auth);
    assert.equal(pushed.status, 201, JSON.stringify(pushed.body));
    url = `${op.metadata.authorization_endpoint}?${new URLSearchParams({ client_id: clientId, request_uri: pushed.body.request_uri })}`;
  }
  const browser = runBrowser([url], env);
  const result = await Promise.race([cb.received, browser.then((b) => { cb.server.close(); return b; })]);
  if (!(result instanceof URLSearchParams)) return { browser: result };
  assert.equal(result.get('state'), request.get('state'));
  return { query: result, verifier, redirectUri, browser: await browser };
}

async function post(url, form, { clientId, secret, basic, dpop } = {}) {
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(form);
  if (secret && basic) headers.Authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  else if (secret) body.set('client_secret', secret);
  if (basic) body.delete('client_id');
  else if (clientId && !body.has('client_id')) body.set('client_id', clientId);
  if (dpop) headers.DPoP = await dpop.proof('POST', url);
  let res = await fetch(url, { method: 'POST', headers, body });
  if (dpop && res.status === 400 && res.headers.get('dpop-nonce')) {
    // RFC 9449 §8: retry once with the server's nonce.
    dpop.nonce = res.headers.get('dpop-nonce');
    headers.DPoP = await dpop.proof('POST', url);
    res = await fetch(url, { method: 'POST', headers, body });
  }
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
}

async function dpopKey() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const key = {
    nonce: undefined,
    jkt: await calculateJwkThumbprint(jwk),
    proof: (htm, htu, accessToken) => new SignJWT({
      htm, htu, jti: randomBytes(12).toString('base64url'),
      ...(key.nonce ? { nonce: key.nonce } : {}), ...(accessToken ? { ath: b64sha256(accessToken) } : {}),
    }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).setIssuedAt().sign(privateKey),
  };
  return key;
}

const exchange = (op, flow, clientId, extra = {}, auth = {}) => post(op.metadata.token_endpoint, {
  grant_type: 'authorization_code', code: flow.query.get('code'), redirect_uri: flow.redirectUri,
  code_verifier: flow.verifier, client_id: clientId, ...extra,
}, { clientId, ...auth });

// Independent profiles, each with its own provider: run a few at a time.
describe('profiles', { concurrency: 3 }, () => {
  test('public-native: discovery, code + PKCE, iss (RFC 9207), rotation with reuse detection, revocation, introspection, userinfo', async () => {
    const op = await provider('public-native');
    const m = op.metadata;
    assert.equal(m.issuer, op.url);
    assert.equal(m.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(m.code_challenge_methods_supported, ['S256']);
    for (const e of ['revocation_endpoint', 'introspection_endpoint', 'userinfo_endpoint', 'device_authorization_endpoint',
      'end_session_endpoint', 'pushed_authorization_request_endpoint']) assert.ok(m[e], e);

    // PKCE is required even when the client would not send it.
    const noPkce = await fetch(`${m.authorization_endpoint}?${new URLSearchParams({ response_type: 'code', client_id: 'native-public', redirect_uri: 'http://127.0.0.1:1/callback', scope: 'openid', state: 's' })}`, { redirect: 'manual' });
    assert.match(noPkce.headers.get('location') ?? '', /error=invalid_request/);

    const flow = await authorize(op, { clientId: 'native-public' });
    assert.equal(flow.query.get('iss'), op.url);
    const tokens = await exchange(op, flow, 'native-public');
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.ok(tokens.body.refresh_token && tokens.body.id_token);
    assert.equal(decodeJwt(tokens.body.id_token).sub, 'interop-alice');

    const me = await fetch(m.userinfo_endpoint, { headers: { Authorization: `Bearer ${tokens.body.access_token}` } });
    assert.equal((await me.json()).email, 'alice@interop.test');

    const rotated = await post(m.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: 'native-public' });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.refresh_token, tokens.body.refresh_token);
    // Reusing the old one fails and revokes the grant (the new one dies too).
    const reuse = await post(m.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: 'native-public' });
    assert.equal(reuse.body.error, 'invalid_grant');
    const afterReuse = await post(m.token_endpoint, { grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token, client_id: 'native-public' });
    assert.equal(afterReuse.body.error, 'invalid_grant');

    // Revocation (RFC 7009) and introspection (RFC 7662) of a fresh grant.
    const flow2 = await authorize(op, { clientId: 'native-public' });
    const t2 = await exchange(op, flow2, 'native-public');
    const introspect = (token) => post(m.introspection_endpoint, { token, client_id: 'native-public' });
    assert.equal((await introspect(t2.body.refresh_token)).body.active, true);
    assert.equal((await post(m.revocation_endpoint, { token: t2.body.refresh_token, token_type_hint: 'refresh_token', client_id: 'native-public' })).status, 200);
    assert.equal((await introspect(t2.body.refresh_token)).body.active, false);
    assert.equal((await op.stats()).live.RefreshToken ?? 0, 0);
  });

  test('public-native over [::1]; deny; wrong password', async () => {
    const op6 = await startNode('provider.mjs', ['--profile', 'public-native', '--host', '::1']);
    assert.match(op6.url, /^http:\/\/\[::1\]:\d+$/);
    op6.stop();
    const op = await provider('public-native');
    const denied = await authorize(op, { clientId: 'native-public', env: { INTEROP_BROWSER_ACTION: 'deny' } });
    assert.equal(denied.query.get('error'), 'access_denied');
    const wrong = await authorize(op, { clientId: 'native-public', env: { INTEROP_BROWSER_PASSWORD: 'nope' } });
    assert.equal(wrong.browser.code, 1);
    assert.match(wrong.browser.log, /invalid_credentials/);
    const ipv6 = await authorize(op, { clientId: 'native-public', redirectHost: '::1', redirectName: '[::1]' });
    assert.ok(ipv6.query.get('code'));
  });

  test('device flow (RFC 8628)', async () => {
    const op = await provider('device');
    const start = await post(op.metadata.device_authorization_endpoint, { client_id: 'device', scope: 'openid offline_access' });
    assert.equal(start.status, 200);
    const poll = () => post(op.metadata.token_endpoint, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: start.body.device_code, client_id: 'device' });
    assert.equal((await poll()).body.error, 'authorization_pending');
    const browser = await runBrowser(['--device', start.body.verification_uri, '--code', start.body.user_code]);
    assert.equal(browser.code, 0, browser.log);
    const tokens = await poll();
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.ok(tokens.body.refresh_token);
  });

  test('google-desktop: client_secret_post and client_secret_basic with PKCE; no rotation', async () => {
    const op = await provider('google-desktop');
    for (const [clientId, secret, basic] of [['desktop-secret-post', 'desktop-secret-post-not-secret', false], ['desktop-secret-basic', 'desktop-secret-basic-not-secret', true]]) {
      const flow = await authorize(op, { clientId });
      const withoutSecret = await exchange(op, flow, clientId);
      assert.equal(withoutSecret.body.error, 'invalid_client');
      const flow2 = await authorize(op, { clientId });
      const tokens = await exchange(op, flow2, clientId, {}, { secret, basic });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const refreshed = await post(op.metadata.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }, { clientId, secret, basic });
      assert.equal(refreshed.status, 200);
      assert.equal(refreshed.body.refresh_token, tokens.body.refresh_token); // not rotated
    }
  });

  test('entra-localhost: http://localhost on any port, not 127.0.0.1; no revocation endpoint', async () => {
    const op = await provider('entra-localhost');
    assert.equal(op.metadata.revocation_endpoint, undefined);
    const ok = await authorize(op, { clientId: 'native-localhost', redirectHost: 'localhost' });
    assert.ok(ok.query.get('code'));
    const refused = await authorize(op, { clientId: 'native-localhost' });
    assert.match(refused.browser.log, /invalid_redirect_uri/);
  });

  test('keycloak-fixed-port: only the registered port', async () => {
    const op = await provider('keycloak-fixed-port');
    const ask = async (port) => {
      const { challenge } = pkce();
      const res = await fetch(`${op.metadata.authorization_endpoint}?${new URLSearchParams({ response_type: 'code', client_id: 'web-fixed-port', redirect_uri: `http://127.0.0.1:${port}/callback`, scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' })}`, { redirect: 'manual' });
      return res.status === 303 ? new URL(res.headers.get('location'), op.url).pathname : `HTTP ${res.status}`;
    };
    assert.match(await ask(53682), /^\/interaction\//);
    assert.equal(await ask(53683), 'HTTP 400');
  });

  test('private-use-scheme: the registered com.example.* redirect exactly (RFC 8252 §7.1), not another scheme or path', async () => {
    const op = await provider('private-use-scheme');
    const ask = async (redirectUri) => {
      const { challenge } = pkce();
      const res = await fetch(`${op.metadata.authorization_endpoint}?${new URLSearchParams({ response_type: 'code', client_id: 'native-scheme', redirect_uri: redirectUri, scope: 'openid', state: 's', code_challenge: challenge, code_challenge_method: 'S256' })}`, { redirect: 'manual' });
      return res.status === 303 ? new URL(res.headers.get('location'), op.url).pathname : `HTTP ${res.status}`;
    };
    assert.match(await ask('com.example.securetokens.interop:/oauth2redirect'), /^\/interaction\//);
    assert.equal(await ask('com.example.other:/oauth2redirect'), 'HTTP 400');
    assert.equal(await ask('com.example.securetokens.interop:/elsewhere'), 'HTTP 400');
  });

  test('audience: JWT per resource (RFC 8707, RFC 9068), checked by the resource servers', async () => {
    const op = await provider('audience');
    const apiA = await startNode('resource-server.mjs', ['--issuer', op.url, '--audience', 'https://api-a.interop.test/', '--name', 'api-a']);
    const apiB = await startNode('resource-server.mjs', ['--issuer', op.url, '--audience', 'https://api-b.interop.test/', '--name', 'api-b']);
    const params = new URLSearchParams({ scope: 'openid offline_access api:read' });
    params.append('resource', 'https://api-a.interop.test/');
    params.append('resource', 'https://api-b.interop.test/');
    const flow = await authorize(op, { clientId: 'native-audience', params: { scope: 'openid offline_access api:read' } });
    // Without a resource: an opaque userinfo token, which the APIs refuse.
    const plain = await exchange(op, flow, 'native-audience');
    assert.equal(plain.status, 200);
    assert.equal((await fetch(`${apiA.url}/me`, { headers: { Authorization: `Bearer ${plain.body.access_token}` } })).status, 401);

    const cb = await listener();
    const { verifier, challenge } = pkce();
    params.set('response_type', 'code'); params.set('client_id', 'native-audience'); params.set('state', 's1');
    params.set('redirect_uri', `http://127.0.0.1:${cb.port}/callback`); params.set('code_challenge', challenge); params.set('code_challenge_method', 'S256');
    await runBrowser([`${op.metadata.authorization_endpoint}?${params}`]);
    const query = await cb.received;
    const tokens = await post(op.metadata.token_endpoint, { grant_type: 'authorization_code', code: query.get('code'), redirect_uri: params.get('redirect_uri'), code_verifier: verifier, client_id: 'native-audience', resource: 'https://api-a.interop.test/' });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal(decodeJwt(tokens.body.access_token).aud, 'https://api-a.interop.test/');
    const call = (api, token) => fetch(`${api.url}/me`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal((await call(apiA, tokens.body.access_token)).status, 200);
    assert.equal((await call(apiB, tokens.body.access_token)).status, 401);
    // A token for api-b from the same refresh token (RFC 8707 §2.2).
    const forB = await post(op.metadata.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: 'native-audience', resource: 'https://api-b.interop.test/' });
    assert.equal(forB.status, 200, JSON.stringify(forB.body));
    assert.equal((await call(apiB, forB.body.access_token)).status, 200);
  });

  test('par-required: plain requests refused, pushed ones work (RFC 9126)', async () => {
    const op = await provider('par-required');
    assert.equal(op.metadata.require_pushed_authorization_requests, true);
    const plain = await authorize(op, { clientId: 'native-par' });
    assert.equal(plain.query.get('error'), 'invalid_request');
    const pushed = await authorize(op, { clientId: 'native-par', par: true, auth: { clientId: 'native-par' } });
    assert.equal((await exchange(op, pushed, 'native-par')).status, 200);
  });

  for (const profile of ['dpop', 'dpop-nonce']) {
    test(`${profile}: DPoP-bound tokens (RFC 9449), checked by a resource server in DPoP mode`, async () => {
      const op = await provider(profile);
      const api = await startNode('resource-server.mjs', ['--issuer', op.url, '--audience', 'https://api-a.interop.test/', '--dpop']);
      const flow = await authorize(op, { clientId: 'native-dpop' });
      assert.equal((await exchange(op, flow, 'native-dpop')).status, 400); // no proof
      const flow2 = await authorize(op, { clientId: 'native-dpop' });
      const key = await dpopKey();
      const tokens = await exchange(op, flow2, 'native-dpop', {}, { dpop: key });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal(tokens.body.token_type, 'DPoP');
      assert.equal(profile === 'dpop-nonce', Boolean(key.nonce));
      assert.equal(decodeJwt(tokens.body.access_token).cnf.jkt, key.jkt);
      const url = `${api.url}/me`;
      const call = async (headers) => (await fetch(url, { headers })).status;
      assert.equal(await call({ Authorization: `DPoP ${tokens.body.access_token}`, DPoP: await key.proof('GET', url, tokens.body.access_token) }), 200);
      assert.equal(await call({ Authorization: `Bearer ${tokens.body.access_token}` }), 401);
      assert.equal(await call({ Authorization: `DPoP ${tokens.body.access_token}`, DPoP: await key.proof('GET', url) }), 401); // no ath
      const other = await dpopKey();
      assert.equal(await call({ Authorization: `DPoP ${tokens.body.access_token}`, DPoP: await other.proof('GET', url, tokens.body.access_token) }), 401);
      // Refresh needs a proof with the same key.
      const refreshed = await post(op.metadata.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: 'native-dpop' }, { dpop: key });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    });
  }

  test('end-session: RP-initiated logout through the browser ends the provider session', async () => {
    const op = await provider('end-session');
    const jar = join(mkdtempSync(join(tmpdir(), 'interop-selftest-')), 'jar.json');
    const flow = await authorize(op, { clientId: 'native-endsession', env: { INTEROP_BROWSER_JAR: jar } });
    const tokens = await exchange(op, flow, 'native-endsession');
    assert.equal((await op.stats()).live.Session, 1);
    const url = `${op.metadata.end_session_endpoint}?${new URLSearchParams({ id_token_hint: tokens.body.id_token, client_id: 'native-endsession' })}`;
    const browser = await runBrowser(['--logout', url], { INTEROP_BROWSER_JAR: jar });
    assert.equal(browser.code, 0, browser.log);
    assert.match(browser.log, /provider final page: logout/);
    const stats = await op.stats();
    assert.equal(stats.events['end_session.success'], 1);
    assert.equal(stats.live.Session ?? 0, 0);
  });

  test('oidc-strict: offline_access without prompt=consent gets no refresh token', async () => {
    const op = await provider('oidc-strict');
    const flow = await authorize(op, { clientId: 'native-public' });
    const tokens = await exchange(op, flow, 'native-public');
    assert.equal(tokens.status, 200);
    assert.equal(tokens.body.refresh_token, undefined);
    const consented = await authorize(op, { clientId: 'native-public', params: { prompt: 'consent' } });
    assert.ok((await exchange(op, consented, 'native-public')).body.refresh_token);
  });

  test('leak check finds issued credentials', async () => {
    const op = await provider('public-native');
    const flow = await authorize(op, { clientId: 'native-public' });
    const tokens = await exchange(op, flow, 'native-public');
    const check = async (text) => (await (await fetch(`${op.url}/_interop/leak-check`, { method: 'POST', body: text })).json()).leaked;
    assert.deepEqual(await check('nothing here'), []);
    assert.deepEqual(await check(`x ${tokens.body.refresh_token} y`), ['opaque token or code']);
    assert.deepEqual(await check(tokens.body.id_token), ['JWT']);
  });
});
