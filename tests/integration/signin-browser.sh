#!/bin/bash
# SPDX-License-Identifier: MIT
# A scripted "person at a browser" for `securetokens login --browser`, used as
# $BROWSER by tst_signin_cli: opens the authorization URL (the only argument),
# fills in the mock server's sign-in form, and follows the redirect back to the
# CLI's loopback listener. Writes the listener's answer to $SIGNIN_BROWSER_LOG.
# Credentials come from $SIGNIN_USER / $SIGNIN_PASSWORD; $SIGNIN_ACTION is
# "allow" (default) or "deny". A redirect to a private-use scheme goes to
# xdg-open instead (tst_signin_scheme; $SIGNIN_FORGE_STATE, $SIGNIN_REPEAT,
# $SIGNIN_OTHER_UID with $SIGNIN_HANDLER add the refused deliveries).
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

# The Location header as sent (curl's %{redirect_url} would rewrite a
# private-use scheme's SCHEME:/path into SCHEME://path/).
redirect=$(curl -sS --max-time 20 -o /dev/null -D - \
    "${fields[@]}" \
    --data-urlencode "username=${SIGNIN_USER:-alice}" \
    --data-urlencode "password=${SIGNIN_PASSWORD:-wonderland}" \
    --data-urlencode "action=${SIGNIN_ACTION:-allow}" \
    "$origin/oauth/authorize" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
[ -n "$redirect" ] || { echo "no redirect" > "$log"; exit 1; }
case "$redirect" in
http://* | https://*) ;;
*)
    # A private-use scheme (RFC 8252 §7.1): the desktop starts the scheme's
    # handler, as a browser does, through xdg-open (which consults scheme
    # handlers only when DISPLAY is set; no X server is needed). $BROWSER is
    # not passed on: xdg-open would fall back to it (this script).
    : > "$log"
    deliver() { # deliver NAME URL: the handler's output and xdg-open's status
        local status=0
        env -u BROWSER DISPLAY="${DISPLAY:-:99}" xdg-open "$2" >> "$log" 2>&1 || status=$?
        echo "$1: $status" >> "$log"
    }
    if [ -n "${SIGNIN_OTHER_UID:-}" ]; then
        # Another user of the machine tries to hand over the URL first.
        setpriv --reuid="$SIGNIN_OTHER_UID" --regid="$SIGNIN_OTHER_UID" --clear-groups \
            "$SIGNIN_HANDLER" "$redirect" >> "$log" 2>&1 && status=0 || status=$?
        echo "other-uid: $status" >> "$log"
    fi
    if [ -n "${SIGNIN_FORGE_STATE:-}" ]; then
        deliver forged "$(printf '%s' "$redirect" | sed -E 's/([?&])state=[^&]*/\1state=forged/')"
    fi
    deliver real "$redirect"
    if [ -n "${SIGNIN_REPEAT:-}" ]; then
        deliver again "$redirect"
    fi
    exit 0
    ;;
esac
# Back to the app: the loopback listener answers with a small page.
curl -sS --max-time 20 -w '\nHTTP %{http_code}\n' "$redirect" > "$log" 2>&1 || true
