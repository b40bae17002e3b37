// SPDX-License-Identifier: MIT
#include "wwwauthenticate_p.h"

#include <algorithm>

namespace SecureTokens {

namespace {

// RFC 9110 §5.6.2
bool isTchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

// RFC 9110 §11.2: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool isToken68Char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
            || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// RFC 9110 §5.6.4: qdtext and the character after a backslash in a quoted-pair.
bool isQuotedTextChar(char c, bool escaped)
{
    const auto u = uchar(c);
    if (c == '\t' || c == ' ' || u >= 0x80) // HTAB, SP, obs-text
        return true;
    if (u < 0x21 || u == 0x7f) // controls (CR and LF included)
        return false;
    return escaped || (c != '"' && c != '\\');
}

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
        while (!atEnd() && isTchar(m_s[m_i]))
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
                result = peek() == '"' || isTchar(peek());
            }
        }
        m_i = saved;
        return result;
    }

    bool quotedString(QByteArray *value)
    {
        ++m_i; // opening DQUOTE
        while (!atEnd()) {
            char c = m_s[m_i++];
            if (c == '"')
                return true;
            const bool escaped = c == '\\';
            if (escaped) {
                if (atEnd())
                    return false;
                c = m_s[m_i++];
            }
            if (!isQuotedTextChar(c, escaped))
                return false;
            value->append(c);
        }
        return false; // unterminated
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

} // namespace SecureTokens
