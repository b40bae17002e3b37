#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// A tiny resource server (an API) for the interop tests: accepts JWT access
// tokens (RFC 9068) signed with the provider's JWKS, for one audience.
//
//   node resource-server.mjs --issuer http://127.0.0.1:PORT --audience https://api-a.interop.test/
//                            [--dpop] [--name api-a] [--exit-on-stdin-close]
//
// stdout: "listening on http://127.0.0.1:PORT", then one JSON line per
// request ({"request":"accepted"|"rejected",...}; never a token).
// GET /me (any path but /_interop/*) answers the token's claims as JSON;
// GET /_interop/stats the counts; GET /_interop/stolen-token the last access
// token it accepted (the tests play a thief who read it off the wire: a
// loopback test harness, never a pattern for a real API); POST
// /_interop/revoke refuses from then on every token it accepted so far
// (by jti: an API told that they were revoked), with 401 invalid_token
// (RFC 6750 §3.1), answering {"revoked": N}. With --dpop only DPoP-bound tokens are
// accepted and each request needs a valid proof (RFC 9449 §7).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import { calculateJwkThumbprint, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, EmbeddedJWK } from 'jose';

const { values: opts } = parseArgs({
  options: {
    issuer: { type: 'string' },
    audience: { type: 'string' },
    name: { type: 'string', default: 'api' },
    dpop: { type: 'boolean', default: false },
    host: { type: 'string', default: '127.0.0.1' },
    'exit-on-stdin-close': { type: 'boolean', default: false },
  },
});
if (!opts.issuer || !opts.audience || !['127.0.0.1', '::1'].includes(opts.host)) {
  console.error('usage: resource-server.mjs --issuer URL --audience AUD [--dpop] [--name N] [--host 127.0.0.1|::1]');
  process.exit(2);
}

// The JWKS comes from the provider's discovery document (OIDC Discovery §3).
const metadata = await (await fetch(new URL('.well-known/openid-configuration', `${opts.issuer}/`))).json();
if (metadata.issuer !== opts.issuer) {
  console.error(`resource-server.mjs: discovery names issuer ${metadata.issuer}, not ${opts.issuer}`);
  process.exit(2);
}
const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
const algorithms = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const stats = { accepted: 0, rejected: {} };
const seenProofs = new Map(); // jti -> expiry (ms), replay check (RFC 9449 §11.1)
const log = (entry) => process.stdout.write(`${JSON.stringify({ api: opts.name, ...entry })}\n`);
const b64sha256 = (s) => createHash('sha256').update(s).digest('base64url');

class Rejection extends Error {
  constructor(error, description) {
    super(description);
    this.error = error;
  }
}

async function verifyProof(req, proof, token, claims) {
  // RFC 9449 §4.3: typ, an asymmetric alg, the public key in the header,
  // htm/htu of this request, a fresh iat, a unique jti, ath of this token.
  if (!proof || proof.includes(',')) throw new Rejection('invalid_dpop_proof', 'exactly one DPoP proof needed');
  let header;
  let payload;
  try {
    header = decodeProtectedHeader(proof);
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms }));
  } catch (err) {
    throw new Rejection('invalid_dpop_proof', `proof: ${err.code ?? err.message}`);
  }
  const htu = new URL(req.url, `http://${req.headers.host}`);
  htu.search = '';
  if (payload.htm !== req.method) throw new Rejection('invalid_dpop_proof', 'htm does not match');
  if (payload.htu !== htu.href) throw new Rejection('invalid_dpop_proof', 'htu does not match');
  if (typeof payload.iat !== 'number' || Math.abs(Date.now() / 1000 - payload.iat) > 60) {
    throw new Rejection('invalid_dpop_proof', 'iat too far from now');
  }
  const now = Date.now();
  for (const [jti, expiry] of seenProofs) if (expiry < now) seenProofs.delete(jti);
  if (typeof payload.jti !== 'string' || seenProofs.has(payload.jti)) throw new Rejection('invalid_dpop_proof', 'jti reused');
  seenProofs.set(payload.jti, now + 120000);
  if (payload.ath !== b64sha256(token)) throw new Rejection('invalid_dpop_proof', 'ath does not match the token');
  // RFC 9449 §6.1: the token is bound to the proof's key.
  if (claims.cnf?.jkt !== (await calculateJwkThumbprint(header.jwk))) {
    throw new Rejection('invalid_token', 'cnf.jkt does not match the proof key');
  }
}

async function authorize(req) {
  const [scheme, token, extra] = (req.headers.authorization ?? '').split(' ');
  const expected = opts.dpop ? 'dpop' : 'bearer';
  if (!scheme || !token || extra !== undefined || scheme.toLowerCase() !== expected) {
    throw new Rejection('invalid_token', `${expected === 'dpop' ? 'DPoP' : 'Bearer'} token required`);
  }
  let payload;
  try {
    // RFC 9068 §4: typ at+jwt, iss, aud = this API, exp; signature by the provider.
    ({ payload } = await jwtVerify(token, jwks, { issuer: opts.issuer, audience: opts.audience, typ: 'at+jwt', algorithms }));
  } catch (err) {
    throw new Rejection('invalid_token', `${err.code ?? 'ERR'}: ${err.claim ?? err.message}`);
  }
  if (revoked.has(payload.jti)) throw new Rejection('invalid_token', 'token revoked');
  if (opts.dpop) await verifyProof(req, req.headers.dpop, token, payload);
  else if (payload.cnf?.jkt) throw new Rejection('invalid_token', 'DPoP-bound token sent as a bearer token');
  return payload;
}

let lastToken = null;
const acceptedJtis = new Set(); // jti of every token accepted, for /_interop/revoke
const revoked = new Set();
const server = createServer(async (req, res) => {
  const send = (status, body, headers = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };
  if (req.url === '/_interop/stats') return send(200, stats);
  if (req.url === '/_interop/stolen-token') return send(200, { token: lastToken });
  if (req.url === '/_interop/revoke' && req.method === 'POST') {
    for (const jti of acceptedJtis) revoked.add(jti);
    log({ request: 'revoke', revoked: acceptedJtis.size });
    const body = { revoked: acceptedJtis.size };
    acceptedJtis.clear();
    return send(200, body);
  }
  try {
    const claims = await authorize(req);
    lastToken = (req.headers.authorization ?? '').split(' ')[1] ?? null;
    stats.accepted += 1;
    if (typeof claims.jti === 'string') acceptedJtis.add(claims.jti);
    log({ request: 'accepted', path: req.url.split('?')[0], client: claims.client_id });
    return send(200, {
      api: opts.name, sub: claims.sub, aud: claims.aud, scope: claims.scope, client_id: claims.client_id,
      bound: Boolean(claims.cnf?.jkt),
    });
  } catch (err) {
    if (!(err instanceof Rejection)) throw err;
    stats.rejected[err.error] = (stats.rejected[err.error] || 0) + 1;
    log({ request: 'rejected', path: req.url.split('?')[0], error: err.error, description: err.message });
    // RFC 6750 §3 / RFC 9449 §7.1 challenge.
    const challenge = `${opts.dpop ? 'DPoP' : 'Bearer'} error="${err.error}", error_description="${err.message.replace(/"/g, "'")}"${opts.dpop ? `, algs="${algorithms.join(' ')}"` : ''}`;
    return send(401, { error: err.error }, { 'WWW-Authenticate': challenge });
  }
});
await new Promise((resolve) => server.listen(0, opts.host, resolve));
const { port } = server.address();
process.stdout.write(`listening on http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}\n`);

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (opts['exit-on-stdin-close']) {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
