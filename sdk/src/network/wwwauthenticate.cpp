// SPDX-License-Identifier: MIT
#include "wwwauthenticate_p.h"

#include "core/httpgrammar.h"

#include <algorithm>

namespace SecureTokens {

namespace {

// Qt joins repeated header fields with ", " (and some versions with "\n"):
// both separate list elements (RFC 9110 §5.3).
bool isSeparator(char c)
{
    return c == ',' || c == '\n' || c == '\r';
}

class Parser
{
public:
    explicit Parser(QByteArrayView input) : m_s(input) { }

    bool parse(QList<AuthChallenge> *out)
    {
        skipSeparators(); // #rule: empty list elements are allowed (RFC 9110 §5.6.1)
        while (!atEnd()) {
            if (out->size() >= maxAuthChallenges)
                return false;
            AuthChallenge challenge;
            if (!parseChallenge(&challenge))
                return false;
            out->append(std::move(challenge));
        }
        return true;
    }

private:
    bool atEnd() const { return m_i >= m_s.size(); }
    char peek() const { return atEnd() ? '\0' : m_s[m_i]; }

    bool skipOws()
    {
        const qsizetype start = m_i;
        while (!atEnd() && (m_s[m_i] == ' ' || m_s[m_i] == '\t'))
            ++m_i;
        return m_i > start;
    }

    void skipSeparators()
    {
        for (;;) {
            skipOws();
            if (atEnd() || !isSeparator(m_s[m_i]))
                return;
            ++m_i;
        }
    }

    QByteArrayView token()
    {
        const qsizetype start = m_i;
        while (!atEnd() && isHttpTokenChar(m_s[m_i]))
            ++m_i;
        return m_s.sliced(start, m_i - start);
    }

    // auth-param = token BWS "=" BWS ( token / quoted-string ). Looks ahead
    // without consuming: "abc=" and "abc==" are token68, not parameters.
    bool atAuthParam()
    {
        const qsizetype saved = m_i;
        bool result = false;
        if (!token().isEmpty()) {
            skipOws();
            if (peek() == '=') {
                ++m_i;
                skipOws();
                result = peek() == '"' || isHttpTokenChar(peek());
            }
        }
        m_i = saved;
        return result;
    }

    bool quotedString(QByteArray *value)
    {
        const qsizetype end = readQuotedString(m_s, m_i, value);
        if (end < 0)
            return false;
        m_i = end;
        return true;
    }

    bool parseChallenge(AuthChallenge *challenge)
    {
        const QByteArrayView scheme = token();
        if (scheme.isEmpty())
            return false;
        challenge->scheme = scheme.toByteArray();

        const bool hadSpace = skipOws();
        if (atEnd() || isSeparator(peek())) { // a bare scheme, e.g. "Bearer"
            skipSeparators();
            return true;
        }
        if (!hadSpace) // auth-scheme [ 1*SP ( token68 / #auth-param ) ]
            return false;
        if (atAuthParam())
            return parseParams(challenge);
        return parseToken68(challenge);
    }

    bool parseToken68(AuthChallenge *challenge)
    {
        const qsizetype start = m_i;
        while (!atEnd() && isToken68Char(m_s[m_i]))
            ++m_i;
        if (m_i == start)
            return false;
        while (!atEnd() && m_s[m_i] == '=')
            ++m_i;
        challenge->token68 = m_s.sliced(start, m_i - start).toByteArray();
        skipOws();
        if (!atEnd() && !isSeparator(peek()))
            return false;
        skipSeparators();
        return true;
    }

    bool parseParams(AuthChallenge *challenge)
    {
        do {
            const QByteArrayView name = token();
            skipOws();
            ++m_i; // '=', checked by atAuthParam()
            skipOws();
            QByteArray value;
            if (peek() == '"') {
                if (!quotedString(&value))
                    return false;
            } else {
                value = token().toByteArray(); // non-empty, checked by atAuthParam()
            }
            if (challenge->params.size() >= maxAuthParams)
                return false;
            for (const auto &param : std::as_const(challenge->params)) {
                if (name.compare(param.first, Qt::CaseInsensitive) == 0)
                    return false; // RFC 9110 §11.2: each name at most once
            }
            challenge->params.append({name.toByteArray(), value});

            skipOws();
            if (atEnd())
                return true;
            if (!isSeparator(peek()))
                return false;
            skipSeparators();
            // Another parameter of this challenge, or the next challenge.
        } while (!atEnd() && atAuthParam());
        return true;
    }

    QByteArrayView m_s;
    qsizetype m_i = 0;
};

} // namespace

QByteArray AuthChallenge::param(QByteArrayView name) const
{
    for (const auto &p : params) {
        if (name.compare(p.first, Qt::CaseInsensitive) == 0)
            return p.second;
    }
    return {};
}

bool AuthChallenge::isScheme(QByteArrayView name) const
{
    return name.compare(scheme, Qt::CaseInsensitive) == 0;
}

QList<AuthChallenge> parseWwwAuthenticate(QByteArrayView header)
{
    QList<AuthChallenge> challenges;
    if (header.size() > maxWwwAuthenticateBytes)
        return challenges;
    Parser parser(header);
    if (!parser.parse(&challenges))
        challenges.clear();
    return challenges;
}

bool hasBearerChallenge(QByteArrayView header, QByteArray *error)
{
    if (error)
        error->clear();
    const QList<AuthChallenge> challenges = parseWwwAuthenticate(header);
    const auto bearer = std::find_if(challenges.begin(), challenges.end(),
                                     [](const AuthChallenge &c) { return c.isScheme("Bearer"); });
    if (bearer == challenges.end())
        return false;
    if (error)
        *error = bearer->param("error");
    return true;
}

namespace {

QStringList words(const QByteArray &value)
{
    return QString::fromUtf8(value).split(QLatin1Char(' '), Qt::SkipEmptyParts);
}

} // namespace

ResourceChallenge parseResourceChallenge(QByteArrayView header)
{
    ResourceChallenge out;
    const QList<AuthChallenge> challenges = parseWwwAuthenticate(header);
    const AuthChallenge *chosen = nullptr;
    for (const char *scheme : {"Bearer", "DPoP"}) {
        for (const AuthChallenge &c : challenges) {
            if (!c.isScheme(scheme))
                continue;
            if (!chosen)
                chosen = &c;
            if (!c.param("error").isEmpty()) {
                chosen = &c;
                break;
            }
        }
        if (chosen)
            break;
    }
    if (!chosen)
        return out;
    out.present = true;
    out.error = chosen->param("error");
    out.errorDescription = chosen->param("error_description");
    out.scope = words(chosen->param("scope"));
    out.acrValues = words(chosen->param("acr_values"));
    // RFC 9470 §3: max_age is a non-negative integer of seconds.
    const QByteArray maxAge = chosen->param("max_age");
    if (!maxAge.isEmpty() && maxAge.size() <= 10
        && std::all_of(maxAge.begin(), maxAge.end(), [](char c) { return c >= '0' && c <= '9'; }))
        out.maxAge = maxAge.toLongLong();
    return out;
}

} // namespace SecureTokens
