// SPDX-License-Identifier: MIT
// The provider's own user-facing pages: sign-in and consent (our interaction
// routes instead of oidc-provider's devInteractions, so that a wrong password
// and "deny" exist and the scripted browser has stable forms to fill), and
// the device-flow, logout and error pages oidc-provider lets us render.
//
// Conventions the scripted browser (browser.mjs) relies on: every choice is a
// submit button with data-choice="allow" or data-choice="deny"; an error page
// carries data-error="CODE"; a final page carries data-done="WHAT".

const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const html = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => escapes[c]);

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)} · SecureTokens interop provider</title></head>
<body>
<h1>${html(title)}</h1>
${body}
</body></html>
`;
}

export function loginPage(uid, clientId, error) {
  const message = error
    ? `<p class="error" data-error="${html(error.code)}">${html(error.text)}</p>`
    : '';
  return page('Sign in', `<p>to continue to <strong>${html(clientId)}</strong></p>
${message}
<form method="post" action="/interaction/${html(uid)}/login">
<label>User name <input type="text" name="username" autocomplete="username" autofocus></label>
<label>Password <input type="password" name="password" autocomplete="current-password"></label>
<button type="submit" name="action" value="allow" data-choice="allow">Sign in</button>
<button type="submit" name="action" value="deny" data-choice="deny">Cancel</button>
</form>`);
}

export function consentPage(uid, clientId, scopes, resources) {
  const items = [...scopes].map((s) => `<li>${html(s)}</li>`).join('');
  const apis = resources.length
    ? `<p>APIs: ${resources.map((r) => `<code>${html(r)}</code>`).join(', ')}</p>`
    : '';
  return page('Allow access?', `<p><strong>${html(clientId)}</strong> asks for:</p>
<ul>${items}</ul>
${apis}
<form method="post" action="/interaction/${html(uid)}/confirm">
<button type="submit" name="action" value="allow" data-choice="allow">Allow</button>
<button type="submit" name="action" value="deny" data-choice="deny">Deny</button>
</form>`);
}

export const sources = {
  // `form` is oidc-provider's own <form> (with its xsrf field); the buttons
  // point at it with the form attribute.
  async userCodeInputSource(ctx, form, out, err) {
    const message = err
      ? `<p class="error" data-error="${html(err.userCode ? 'invalid_user_code' : (err.error || err.name))}">The code was not accepted.</p>`
      : '<p>Enter the code shown on your device.</p>';
    ctx.body = page('Connect a device', `${message}
${form}
<button type="submit" form="op.deviceInputForm" data-choice="allow">Continue</button>`);
  },
  async userCodeConfirmSource(ctx, form, client, deviceInfo, userCode) {
    ctx.body = page('Confirm the device', `<p><strong>${html(client.clientId)}</strong> shows the code <code>${html(userCode)}</code>.</p>
${form}
<button type="submit" form="op.deviceConfirmForm" data-choice="allow">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes" data-choice="deny">Abort</button>`);
  },
  async successSource(ctx) {
    ctx.body = page('Device connected', '<p data-done="device">You can close this page and go back to your device.</p>');
  },
  async logoutSource(ctx, form) {
    ctx.body = page('Sign out?', `<p>Sign out of ${html(ctx.host)}?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" data-choice="allow">Sign out</button>
<button type="submit" form="op.logoutForm" data-choice="deny">Stay signed in</button>`);
  },
  async postLogoutSuccessSource(ctx) {
    ctx.body = page('Signed out', '<p data-done="logout">You are signed out.</p>');
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<p data-error="${html(out.error)}">${html(out.error_description)}</p>`);
  },
};
