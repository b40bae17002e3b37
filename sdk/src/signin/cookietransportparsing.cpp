// SPDX-License-Identifier: MIT
#include "cookietransportparsing_p.h"

#include <QDateTime>
#include <QList>

#include <algorithm>

namespace SecureTokens {

namespace {

QByteArrayView trimmed(QByteArrayView v)
{
    return v.trimmed();
}

// RFC 6265 §5.1.1 is lenient; the three usual HTTP-date forms cover real servers.
bool parseExpires(QByteArrayView text, qint64 *secs)
{
    QString s = QString::fromLatin1(text.toByteArray()).trimmed();
    if (s.endsWith(QLatin1String(" GMT")) || s.endsWith(QLatin1String(" UTC")))
        s = s.chopped(4) + QStringLiteral(" +0000");
    QDateTime t = QDateTime::fromString(s, Qt::RFC2822Date);
    if (!t.isValid()) {
        QString normalised = s;
        normalised.replace(QLatin1Char('-'), QLatin1Char(' '));
        t = QDateTime::fromString(normalised, Qt::RFC2822Date);
    }
    if (!t.isValid())
        return false;
    *secs = t.toSecsSinceEpoch();
    return true;
}

// §5.2.2: a leading '-' or DIGITs only; otherwise the attribute is ignored.
void applyMaxAge(QByteArrayView val, SetCookie *cookie)
{
    bool ok = !val.isEmpty();
    for (qsizetype i = 0; ok && i < val.size(); ++i)
        ok = (val[i] >= '0' && val[i] <= '9') || (i == 0 && val[i] == '-' && val.size() > 1);
    if (!ok)
        return;
    bool converted = false;
    const qint64 n = val.toLongLong(&converted);
    cookie->hasMaxAge = true;
    cookie->maxAge = converted ? n : (val.front() == '-' ? -1 : (qint64(1) << 40));
}

// One cookie-av (§5.2.1 to §5.2.6); unknown attributes are ignored.
void applyAttribute(QByteArrayView key, QByteArrayView val, qint64 nowUtcSecs, SetCookie *cookie)
{
    if (key.compare("max-age", Qt::CaseInsensitive) == 0) {
        applyMaxAge(val, cookie);
    } else if (key.compare("expires", Qt::CaseInsensitive) == 0) {
        qint64 secs = 0;
        if (parseExpires(val, &secs))
            cookie->expiresInPast = secs <= nowUtcSecs;
    } else if (key.compare("secure", Qt::CaseInsensitive) == 0) {
        cookie->secure = true;
    } else if (key.compare("httponly", Qt::CaseInsensitive) == 0) {
        cookie->httpOnly = true;
    } else if (key.compare("path", Qt::CaseInsensitive) == 0) {
        cookie->path = val.toByteArray();
    } else if (key.compare("domain", Qt::CaseInsensitive) == 0) {
        cookie->domain = val.toByteArray();
    } else if (key.compare("samesite", Qt::CaseInsensitive) == 0) {
        cookie->sameSite = val.toByteArray();
    }
}

} // namespace

bool isCookieOctets(QByteArrayView value)
{
    return std::all_of(value.begin(), value.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x21 && u <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
    });
}

SetCookie parseSetCookie(QByteArrayView header, qint64 nowUtcSecs)
{
    SetCookie cookie;
    if (header.size() > maxSetCookieBytes)
        return cookie;
    for (const char c : header) {
        if (c == '\0' || c == '\r' || c == '\n')
            return cookie;
    }
    const qsizetype semicolon = header.indexOf(';');
    const QByteArrayView pair = semicolon < 0 ? header : header.first(semicolon);
    const qsizetype eq = pair.indexOf('=');
    if (eq < 0)
        return cookie; // §5.2 step 2
    const QByteArrayView name = trimmed(pair.first(eq));
    QByteArrayView value = trimmed(pair.sliced(eq + 1));
    if (name.isEmpty())
        return cookie; // §5.2 step 5
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.sliced(1, value.size() - 2); // §4.1.1 DQUOTE *cookie-octet DQUOTE
    cookie.name = name.toByteArray();
    cookie.value = value.toByteArray();

    QByteArrayView rest = semicolon < 0 ? QByteArrayView() : header.sliced(semicolon + 1);
    int attributes = 0;
    while (!rest.isEmpty() && ++attributes <= 32) {
        const qsizetype next = rest.indexOf(';');
        const QByteArrayView av = next < 0 ? rest : rest.first(next);
        rest = next < 0 ? QByteArrayView() : rest.sliced(next + 1);
        const qsizetype aeq = av.indexOf('=');
        const QByteArrayView key = trimmed(aeq < 0 ? av : av.first(aeq));
        const QByteArrayView val = aeq < 0 ? QByteArrayView() : trimmed(av.sliced(aeq + 1));
        applyAttribute(key, val, nowUtcSecs, &cookie);
    }
    cookie.ok = true;
    return cookie;
}

SecretBytes makeCookieEnvelope(QByteArrayView cookieValue, QByteArrayView csrfToken)
{
    const auto encode = [](QByteArrayView v) {
        return QByteArray(v.data(), v.size())
                .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    };
    QByteArray text = "stc1\n" + encode(cookieValue) + '\n' + encode(csrfToken);
    return SecretBytes::adopt(text);
}

bool parseCookieEnvelope(QByteArrayView envelope, QByteArray *cookieValue, QByteArray *csrfToken)
{
    if (envelope.size() > 3 * maxSetCookieBytes || !envelope.startsWith("stc1\n"))
        return false;
    const QByteArrayView rest = envelope.sliced(5);
    const qsizetype newline = rest.indexOf('\n');
    if (newline < 0 || rest.indexOf('\n', newline + 1) >= 0)
        return false;
    const auto decode = [](QByteArrayView v, QByteArray *out) {
        const auto r = QByteArray::fromBase64Encoding(
                v.toByteArray(),
                QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
        if (!r)
            return false;
        *out = r.decoded;
        return true;
    };
    QByteArray cookie;
    QByteArray csrf;
    if (!decode(rest.first(newline), &cookie) || !decode(rest.sliced(newline + 1), &csrf)
        || cookie.isEmpty() || !isCookieOctets(cookie))
        return false;
    *cookieValue = cookie;
    *csrfToken = csrf;
    return true;
}

} // namespace SecureTokens
