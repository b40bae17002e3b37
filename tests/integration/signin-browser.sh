#!/bin/bash
# SPDX-License-Identifier: MIT
# A scripted "person at a browser" for `securetokens login --browser`, used as
# $BROWSER by tst_signin_cli: opens the authorization URL (the only argument),
# fills in the mock server's sign-in form, and follows the redirect back to the
# CLI's loopback listener. Writes the listener's answer to $SIGNIN_BROWSER_LOG.
# Credentials come from $SIGNIN_USER / $SIGNIN_PASSWORD; $SIGNIN_ACTION is
# "allow" (default) or "deny".
set -euo pipefail
url="$1"
log="${SIGNIN_BROWSER_LOG:-/dev/null}"
origin=$(printf '%s' "$url" | sed -E 's#^(https?://[^/]+).*#\1#')
page=$(curl -sS --max-time 20 "$url")

# The request parameters travel as hidden fields: <input type="hidden" name="N" value="V">
fields=()
while IFS=$'\t' read -r name value; do
    [ -n "$name" ] || continue
    value=${value//&quot;/\"}
    value=${value//&lt;/<}
    value=${value//&gt;/>}
    value=${value//&amp;/&}
    fields+=(--data-urlencode "$name=$value")
done < <(printf '%s\n' "$page" \
    | grep -o '<input type="hidden" name="[^"]*" value="[^"]*">' \
    | sed -E 's#<input type="hidden" name="([^"]*)" value="([^"]*)">#\1\t\2#')

redirect=$(curl -sS --max-time 20 -o /dev/null -w '%{redirect_url}' \
    "${fields[@]}" \
    --data-urlencode "username=${SIGNIN_USER:-alice}" \
    --data-urlencode "password=${SIGNIN_PASSWORD:-wonderland}" \
    --data-urlencode "action=${SIGNIN_ACTION:-allow}" \
    "$origin/oauth/authorize")
[ -n "$redirect" ] || { echo "no redirect" > "$log"; exit 1; }
# Back to the app: the loopback listener answers with a small page.
curl -sS --max-time 20 -w '\nHTTP %{http_code}\n' "$redirect" > "$log" 2>&1 || true
