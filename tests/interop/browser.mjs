#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// A scripted "person at a browser" for the interop tests, usable as $BROWSER:
//
//   node browser.mjs URL                      authorization URL: sign in, consent,
//                                             follow the redirect to the app's loopback
//                                             listener (the default mode)
//   node browser.mjs --logout URL             end-session URL: confirm, follow the
//                                             post-logout redirect or the provider's page
//   node browser.mjs --device URL --code C    verification URI: enter the code,
//                                             sign in, consent, confirm
//
// Environment (the command line of $BROWSER carries only the URL):
//   INTEROP_BROWSER_LOG       file that gets a short report (default: none)
//   INTEROP_BROWSER_ACTION    allow (default) | deny: the choice on every page
//   INTEROP_BROWSER_USER, INTEROP_BROWSER_PASSWORD   (default alice / wonderland)
//   INTEROP_BROWSER_JAR       cookie file kept between runs (a browser profile),
//                             so a later logout or sign-in sees the provider session
//   INTEROP_BROWSER_SCHEME_DELIVERIES   what to do with a redirect to a private-use
//                             URI scheme (RFC 8252 §7.1), comma-separated, in order
//                             (default "real"): real (the Location as sent),
//                             forged-state (state replaced), forged-iss (iss
//                             replaced, RFC 9207), again (the real one once more).
//                             Each is handed to the desktop as a browser does: run
//                             `xdg-open URL` (DISPLAY set to a placeholder when
//                             unset: xdg-open consults scheme handlers only then;
//                             BROWSER removed, or xdg-open would come back here),
//                             or INTEROP_BROWSER_SCHEME_HANDLER URL when that is set.
//                             The handler's output and exit status go to the report.
//
// Loopback only: any URL whose host is not 127.0.0.1, [::1] or localhost is
// refused. The report and the exit code never carry a token or a code: URLs
// are reported without their query. Exit 0 when the flow reached its end
// (the app's callback answered 2xx, the provider's final page, or the
// private-use scheme's handler exited 0 with the real redirect), 3 when the
// provider showed an error page, 1 otherwise.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { logout: { type: 'boolean' }, device: { type: 'boolean' }, code: { type: 'string' } },
});
const env = process.env;
const logFile = env.INTEROP_BROWSER_LOG;
const action = env.INTEROP_BROWSER_ACTION === 'deny' ? 'deny' : 'allow';
const user = env.INTEROP_BROWSER_USER ?? 'alice';
const password = env.INTEROP_BROWSER_PASSWORD ?? 'wonderland';
const jarFile = env.INTEROP_BROWSER_JAR;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
const MAX_STEPS = 30;

const report = (line) => {
  if (logFile) appendFileSync(logFile, `${line}\n`);
};
const where = (url) => `${url.origin}${url.pathname}`; // never the query: codes live there
function done(code, line) {
  report(line);
  saveJar();
  process.exit(code);
}

// No stack trace (it could quote a URL with a code in it): name the error only.
process.on('uncaughtException', (err) => done(1, `browser error: ${err.name}: ${err.code ?? ''}`));
process.on('unhandledRejection', (err) => done(1, `browser error: ${err?.name}: ${err?.code ?? ''}`));

// Cookies: name, value, path; host-only (every host here is a loopback literal).
let jar = [];
if (jarFile) {
  try {
    jar = JSON.parse(readFileSync(jarFile, 'utf8'));
  } catch {
    jar = [];
  }
}
function saveJar() {
  if (jarFile) writeFileSync(jarFile, JSON.stringify(jar), { mode: 0o600 });
}
function storeCookies(url, response) {
  for (const header of response.headers.getSetCookie()) {
    const [pair, ...attrs] = header.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const cookie = { host: url.host, name: pair.slice(0, eq), value: pair.slice(eq + 1), path: '/' };
    let expired = false;
    for (const attr of attrs) {
      const [k, v = ''] = attr.split('=');
      const key = k.toLowerCase();
      if (key === 'path' && v.startsWith('/')) cookie.path = v;
      if (key === 'max-age' && Number(v) <= 0) expired = true;
      if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
    }
    jar = jar.filter((c) => !(c.host === cookie.host && c.name === cookie.name && c.path === cookie.path));
    if (!expired) jar.push(cookie);
  }
}
function cookieHeader(url) {
  const matches = jar.filter((c) => c.host === url.host
    && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)));
  return matches.map((c) => `${c.name}=${c.value}`).join('; ');
}

async function request(url, { method = 'GET', body } = {}) {
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) {
    done(1, `refused a non-loopback URL: ${url.protocol}//${url.host}`);
  }
  const headers = { Accept: 'text/html', 'User-Agent': 'securetokens-interop-browser' };
  const cookies = cookieHeader(url);
  if (cookies) headers.Cookie = cookies;
  if (body) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(url, { method, body, headers, redirect: 'manual', signal: AbortSignal.timeout(15000) });
  storeCookies(url, response);
  return response;
}

// The forms on a page: action, method, id, fields (name -> value), and the
// submit buttons (inside the form or pointing at it with form="id").
const unescape = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
  .replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const attr = (tag, name) => {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  if (!m) return undefined;
  return unescape(m[2] ?? m[3] ?? m[4]);
};
function parseForms(page) {
  const forms = [];
  for (const m of page.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const tag = m[0].slice(0, m[0].indexOf('>') + 1);
    const form = { action: attr(tag, 'action'), method: (attr(tag, 'method') || 'get').toUpperCase(), id: attr(tag, 'id'), fields: [], buttons: [] };
    for (const input of m[1].matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (name) form.fields.push([name, attr(input[0], 'value') ?? '']);
    }
    for (const button of m[1].matchAll(/<button\b[^>]*>/gi)) form.buttons.push(button[0]);
    forms.push(form);
  }
  for (const button of page.matchAll(/<button\b[^>]*>/gi)) {
    const target = attr(button[0], 'form');
    const form = target && forms.find((f) => f.id === target);
    if (form) form.buttons.push(button[0]);
  }
  return forms;
}

function fill(form) {
  const fields = new URLSearchParams();
  for (const [name, value] of form.fields) {
    if (name === 'username' || name === 'login') fields.append(name, user);
    else if (name === 'password') fields.append(name, password);
    else if (name === 'user_code') fields.append(name, opts.code ?? '');
    else fields.append(name, value);
  }
  const button = form.buttons.find((b) => attr(b, 'data-choice') === action);
  if (!button) return undefined;
  if (attr(button, 'name')) fields.append(attr(button, 'name'), attr(button, 'value') ?? '');
  return fields;
}

const start = positionals[0];
if (!start) done(1, 'usage: browser.mjs [--logout | --device --code CODE] URL');
const first = URL.parse?.(start) ?? (() => { try { return new URL(start); } catch { return null; } })();
if (!first) done(1, 'not an absolute URL');
const providerOrigin = first.origin;
let url = first;
let method = 'GET';
let body;
const seen = new Map(); // page signature -> times, to stop on a form that keeps coming back

// A private-use scheme has a period (RFC 8252 §7.1: reverse DNS); anything
// else that is not http(s) is refused like a non-loopback URL.
const privateUseScheme = (location) => /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:\//i.test(location);
const replaceParam = (location, name, value) => location.replace(
  new RegExp(`([?&])${name}=[^&#]*`), `$1${name}=${encodeURIComponent(value)}`);
// The redirect leaves the browser: the desktop starts the scheme's handler
// (the app's second instance) with the URL, as Firefox or Chromium do.
function handOver(location) {
  const query = location.includes('?') ? location.slice(location.indexOf('?') + 1) : '';
  const names = [...new URLSearchParams(query).keys()].join(', ');
  report(`redirect to ${location.split('?')[0]} with ${names || 'no parameters'}`);
  const deliveries = (env.INTEROP_BROWSER_SCHEME_DELIVERIES || 'real').split(',').map((d) => d.trim());
  const childEnv = { ...env, DISPLAY: env.DISPLAY || ':99' };
  delete childEnv.BROWSER;
  const handler = env.INTEROP_BROWSER_SCHEME_HANDLER;
  let realStatus;
  for (const delivery of deliveries) {
    let target;
    if (delivery === 'real' || delivery === 'again') target = location;
    else if (delivery === 'forged-state') target = replaceParam(location, 'state', 'forged-by-the-browser-script');
    else if (delivery === 'forged-iss') target = replaceParam(location, 'iss', 'http://127.0.0.1:9/');
    else done(1, `unknown delivery "${delivery}" in INTEROP_BROWSER_SCHEME_DELIVERIES`);
    const run = spawnSync(handler || 'xdg-open', [target], { env: childEnv, encoding: 'utf8', timeout: 20000 });
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
    if (output) report(output);
    const status = run.status ?? run.signal ?? run.error?.code;
    report(`${delivery}: ${status}`);
    if (delivery === 'real') realStatus = status;
  }
  done(realStatus === undefined || realStatus === 0 ? 0 : 1, 'handed over');
}

for (let step = 0; step < MAX_STEPS; step += 1) {
  let response;
  try {
    response = await request(url, { method, body });
  } catch (err) {
    done(1, `${method} ${where(url)}: ${err.cause?.code ?? err.name}`);
  }
  const { status } = response;
  if (status >= 300 && status < 400 && response.headers.get('location')) {
    // The Location as sent (new URL() would keep it, but a browser hands the raw string on).
    if (privateUseScheme(response.headers.get('location'))) handOver(response.headers.get('location'));
    url = new URL(response.headers.get('location'), url);
    method = 'GET';
    body = undefined;
    continue;
  }
  const page = await response.text();
  if (url.origin !== providerOrigin) {
    // The app's side: its loopback listener (or post-logout page) answered.
    const text = page.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
    done(status >= 200 && status < 300 ? 0 : 1, `app ${where(url)} answered HTTP ${status}: ${text}`);
  }
  const match = /data-error="([^"]*)"[^>]*>([^<]*)/.exec(page);
  const error = match && [match[0], unescape(match[1]), unescape(match[2])];
  if (error && status >= 400) done(3, `provider error page HTTP ${status}: ${error[1]}: ${error[2]}`);
  const form = parseForms(page).find((f) => f.buttons.length);
  if (!form) {
    const final = /data-done="([^"]*)"/.exec(page);
    if (final) done(0, `provider final page: ${final[1]}`);
    done(error ? 3 : 1, error ? `provider error: ${error[1]}: ${error[2]}` : `page without a form: ${where(url)} HTTP ${status}`);
  }
  if (error) report(`provider said: ${error[1]}`);
  const signature = `${where(url)} ${form.action}`;
  seen.set(signature, (seen.get(signature) || 0) + 1);
  if (seen.get(signature) > 2) done(1, `the same form came back: ${where(url)}${error ? ` (${error[1]})` : ''}`);
  const fields = fill(form);
  if (!fields) done(1, `no "${action}" button on ${where(url)}`);
  const target = new URL(form.action ?? url.href, url);
  if (form.method === 'POST') {
    url = target;
    method = 'POST';
    body = fields.toString();
  } else {
    target.search = fields.toString();
    url = target;
    method = 'GET';
    body = undefined;
  }
}
done(1, `more than ${MAX_STEPS} steps`);
