// SPDX-License-Identifier: MIT
// Koa middleware in front of oidc-provider: our interaction routes (sign-in,
// consent), the test-only /_interop/* endpoints, and the profile's
// offline_access rule.
import { consentPage, loginPage } from './pages.mjs';

async function readBody(req, limit = 64 * 1024) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const isForm = (ctx) => ctx.is('application/x-www-form-urlencoded');

// OIDC Core §11 lets the provider ignore offline_access unless prompt=consent
// is asked for, and oidc-provider does. Auth0, Okta and Entra ID issue refresh
// tokens for offline_access alone; profiles with offlineAccess "scope" (the
// default) behave like them by adding prompt=consent to such requests (the
// consent page is then always shown). "oidc-core" keeps oidc-provider's rule.
function withConsentPrompt(params) {
  const scopes = (params.get('scope') || '').split(' ');
  if (scopes.includes('offline_access') && !params.has('prompt') && !params.has('request_uri')) {
    params.set('prompt', 'consent');
    return true;
  }
  return false;
}

export function offlineAccessMiddleware(provider) {
  const authorization = provider.pathFor('authorization');
  const par = provider.pathFor('pushed_authorization_request');
  return async (ctx, next) => {
    if (ctx.path === authorization && ctx.method === 'GET') {
      const params = new URLSearchParams(ctx.querystring);
      if (withConsentPrompt(params)) ctx.querystring = params.toString();
    } else if ((ctx.path === authorization || ctx.path === par) && ctx.method === 'POST' && isForm(ctx)) {
      const params = new URLSearchParams(await readBody(ctx.req));
      withConsentPrompt(params);
      // oidc-provider reads an already-read body from req.body.
      ctx.req.body = params.toString();
    }
    await next();
  };
}

export function interactionMiddleware(provider, account, log) {
  const redirectTo = (ctx, url) => {
    ctx.status = 303;
    ctx.redirect(url);
  };
  return async (ctx, next) => {
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm))?$/.exec(ctx.path);
    if (!match) return next();
    const [, uid, step] = match;
    ctx.set('Cache-Control', 'no-store');
    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      // No or an expired interaction cookie: say so on a page, not with a 500.
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><p data-error="interaction_not_found">${err.name}</p>`;
      return undefined;
    }
    if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
    const { prompt, params } = details;
    ctx.type = 'html';

    if (!step && ctx.method === 'GET') {
      if (prompt.name === 'login') {
        ctx.body = loginPage(uid, params.client_id);
      } else if (prompt.name === 'consent') {
        const resources = Object.keys(prompt.details.missingResourceScopes || {});
        ctx.body = consentPage(uid, params.client_id, (params.scope || '').split(' ').filter(Boolean), resources);
      } else {
        ctx.throw(501, `prompt ${prompt.name} not implemented`);
      }
      return undefined;
    }
    if (ctx.method !== 'POST' || !isForm(ctx)) ctx.throw(405);
    const form = new URLSearchParams(await readBody(ctx.req));

    if (form.get('action') === 'deny') {
      log({ event: 'interop.interaction_denied', prompt: prompt.name, client: params.client_id });
      return redirectTo(ctx, await provider.interactionResult(ctx.req, ctx.res, {
        error: 'access_denied',
        error_description: 'End-User aborted interaction',
      }, { mergeWithLastSubmission: false }));
    }
    if (step === 'login' && prompt.name === 'login') {
      if (form.get('username') !== account.login || form.get('password') !== account.password) {
        log({ event: 'interop.login_failed', client: params.client_id });
        ctx.body = loginPage(uid, params.client_id, { code: 'invalid_credentials', text: 'Wrong user name or password.' });
        return undefined;
      }
      return redirectTo(ctx, await provider.interactionResult(ctx.req, ctx.res, {
        login: { accountId: account.claims.sub },
      }, { mergeWithLastSubmission: false }));
    }
    if (step === 'confirm' && prompt.name === 'consent') {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missingResourceScopes || {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      return redirectTo(ctx, await provider.interactionResult(ctx.req, ctx.res, {
        consent: { grantId },
      }, { mergeWithLastSubmission: true }));
    }
    ctx.throw(400, `unexpected ${step} for prompt ${prompt.name}`);
    return undefined;
  };
}

// Test-only endpoints, loopback only like the whole provider.
export function adminMiddleware(store, counters, profileName) {
  return async (ctx, next) => {
    if (!ctx.path.startsWith('/_interop/')) return next();
    ctx.set('Cache-Control', 'no-store');
    switch (`${ctx.method} ${ctx.path}`) {
      case 'GET /_interop/stats':
        ctx.body = {
          profile: profileName,
          events: counters,
          live: store.live(),
          issued: store.issued,
          dpop_bound: store.dpopBound,
        };
        return undefined;
      // Any method, so that `securetokens call` can hit it between two API
      // calls of one process (it sends the bearer token along; ignored).
      case 'GET /_interop/drop-access-tokens':
      case 'POST /_interop/drop-access-tokens':
        ctx.body = { dropped: store.dropAccessTokens() };
        return undefined;
      case 'POST /_interop/leak-check':
        ctx.body = { leaked: store.leaks(await readBody(ctx.req, 4 * 1024 * 1024)) };
        return undefined;
      default:
        ctx.throw(404);
    }
    return undefined;
  };
}
