// SPDX-License-Identifier: MIT
#include "redirectrequest_p.h"

#include "core/httpgrammar.h"

namespace SecureTokens {

namespace {

constexpr int maxHeaderLines = 100;

QByteArray formDecode(QByteArrayView value)
{
    QByteArray text = value.toByteArray();
    text.replace('+', ' ');
    return QByteArray::fromPercentEncoding(text);
}

} // namespace

bool parseUrlQuery(QByteArrayView query, QList<QPair<QByteArray, QByteArray>> *out)
{
    QList<QPair<QByteArray, QByteArray>> params;
    qsizetype start = 0;
    while (start <= query.size()) {
        qsizetype end = query.indexOf('&', start);
        if (end < 0)
            end = query.size();
        const QByteArrayView pair = query.sliced(start, end - start);
        if (!pair.isEmpty()) {
            const qsizetype eq = pair.indexOf('=');
            const QByteArray name = formDecode(eq < 0 ? pair : pair.first(eq));
            const QByteArray value = eq < 0 ? QByteArray() : formDecode(pair.sliced(eq + 1));
            for (const auto &existing : std::as_const(params)) {
                if (existing.first == name)
                    return false;
            }
            if (params.size() >= 64)
                return false;
            params.append({name, value});
        }
        start = end + 1;
    }
    *out = std::move(params);
    return true;
}

RedirectRequest parseRedirectRequest(QByteArrayView head)
{
    RedirectRequest r;
    auto fail = [&r](const char *why) {
        RedirectRequest bad;
        bad.error = why;
        return bad;
    };
    if (head.size() > maxRedirectRequestBytes)
        return fail("request too large");
    const qsizetype end = head.indexOf("\r\n\r\n");
    if (end < 0)
        return fail("incomplete request");
    const QByteArrayView block = head.first(end);
    qsizetype lineEnd = block.indexOf("\r\n");
    const QByteArrayView requestLine = lineEnd < 0 ? block : block.first(lineEnd);

    // request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
    const qsizetype sp1 = requestLine.indexOf(' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 <= sp1 + 1 || requestLine.indexOf(' ', sp2 + 1) >= 0)
        return fail("malformed request line");
    r.method = requestLine.first(sp1).toByteArray();
    const QByteArrayView target = requestLine.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = requestLine.sliced(sp2 + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return fail("unsupported HTTP version");
    for (const char c : r.method) {
        if (!isHttpTokenChar(c))
            return fail("malformed method");
    }
    if (r.method != "GET")
        return fail("method not allowed");
    if (!target.startsWith('/'))
        return fail("origin-form target expected");
    for (const char c : target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '#')
            return fail("malformed target");
    }
    const qsizetype question = target.indexOf('?');
    r.path = (question < 0 ? target : target.first(question)).toByteArray();
    if (question >= 0 && !parseUrlQuery(target.sliced(question + 1), &r.params))
        return fail("repeated parameter");

    int hostCount = 0;
    int lines = 0;
    while (lineEnd >= 0) {
        const qsizetype next = lineEnd + 2;
        qsizetype nextEnd = block.indexOf("\r\n", next);
        const QByteArrayView line
                = nextEnd < 0 ? block.sliced(next) : block.sliced(next, nextEnd - next);
        lineEnd = nextEnd;
        if (++lines > maxHeaderLines)
            return fail("too many header fields");
        if (line.isEmpty())
            return fail("malformed header");
        if (line.front() == ' ' || line.front() == '\t')
            return fail("obsolete line folding"); // RFC 9112 §5.2
        // RFC 9110 §5.5: CR, LF or NUL inside a field must be rejected; a bare
        // LF would otherwise hide a second header line inside this one.
        if (line.contains('\r') || line.contains('\n') || line.contains('\0'))
            return fail("malformed header"); // found by fuzz_redirectrequest
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return fail("malformed header");
        const QByteArrayView name = line.first(colon);
        for (const char c : name) {
            if (!isHttpTokenChar(c))
                return fail("malformed header name");
        }
        if (name.compare("host", Qt::CaseInsensitive) == 0) {
            ++hostCount;
            r.host = line.sliced(colon + 1).trimmed().toByteArray();
        }
    }
    if (hostCount > 1 || (hostCount == 0 && version == "HTTP/1.1"))
        return fail("exactly one Host header expected"); // RFC 9112 §3.2
    r.ok = true;
    return r;
}

} // namespace SecureTokens
