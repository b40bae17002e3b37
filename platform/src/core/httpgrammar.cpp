// SPDX-License-Identifier: MIT
#include "httpgrammar.h"

#include <QDate>

#include <algorithm>
#include <array>

namespace SecureTokens {

namespace {

constexpr int maxRetryAfterSeconds = 24 * 3600;

// A tiny cursor for the fixed-format HTTP-date grammars of RFC 9110 §5.6.7.
struct DateCursor
{
    QByteArrayView s;
    qsizetype i = 0;

    bool atEnd() const { return i == s.size(); }
    bool literal(QByteArrayView lit)
    {
        if (s.size() - i < lit.size() || s.sliced(i, lit.size()) != lit)
            return false;
        i += lit.size();
        return true;
    }
    bool digits(int count, int *value)
    {
        int v = 0;
        for (int k = 0; k < count; ++k) {
            if (i >= s.size() || s[i] < '0' || s[i] > '9')
                return false;
            v = v * 10 + (s[i++] - '0');
        }
        *value = v;
        return true;
    }
    // Matches one of names; returns its index or -1.
    template<std::size_t N> int oneOf(const std::array<const char *, N> &names)
    {
        int index = 0;
        for (const char *name : names) {
            if (literal(QByteArrayView(name)))
                return index;
            ++index;
        }
        return -1;
    }
    bool timeOfDay(int *h, int *m, int *sec)
    {
        return digits(2, h) && literal(":") && digits(2, m) && literal(":") && digits(2, sec);
    }
};

constexpr std::array<const char *, 7> shortDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<const char *, 7> longDays
        = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr std::array<const char *, 12> months
        = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Returns seconds since the Unix epoch, or false.
bool toEpoch(int year, int month, int day, int h, int m, int s, qint64 *epoch)
{
    const QDate date(year, month, day);
    if (!date.isValid() || h > 23 || m > 59 || s > 60) // 60: leap second (RFC 5322 §3.3)
        return false;
    const qint64 days = date.toJulianDay() - QDate(1970, 1, 1).toJulianDay();
    *epoch = days * 86400 + qint64(h) * 3600 + qint64(m) * 60 + s;
    return true;
}

} // namespace

bool isHttpTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isHttpToken(QByteArrayView s)
{
    return !s.isEmpty() && std::all_of(s.begin(), s.end(), isHttpTokenChar);
}

bool isToken68Char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
            || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

QByteArrayView trimOws(QByteArrayView s)
{
    while (!s.isEmpty() && (s.front() == ' ' || s.front() == '\t'))
        s = s.sliced(1);
    while (!s.isEmpty() && (s.back() == ' ' || s.back() == '\t'))
        s.chop(1);
    return s;
}

qsizetype readQuotedString(QByteArrayView s, qsizetype pos, QByteArray *value)
{
    ++pos; // opening DQUOTE
    while (pos < s.size()) {
        char c = s[pos++];
        if (c == '"')
            return pos;
        const bool escaped = c == '\\';
        if (escaped) {
            if (pos >= s.size())
                return -1;
            c = s[pos++];
        }
        // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; a
        // quoted-pair may escape HTAB, SP, VCHAR and obs-text.
        const auto u = uchar(c);
        const bool text = c == '\t' || c == ' ' || u >= 0x80
                || (u >= 0x21 && u != 0x7f && (escaped || (c != '"' && c != '\\')));
        if (!text)
            return -1; // controls (CR and LF included)
        value->append(c);
    }
    return -1; // unterminated
}

bool isJsonContentType(QByteArrayView contentType)
{
    // RFC 9110 §8.3.1: media-type = type "/" subtype parameters; both
    // case-insensitive. Parameters (charset...) do not change the format:
    // JSON is UTF-8 (RFC 8259 §8.1).
    const qsizetype semicolon = contentType.indexOf(';');
    const QByteArrayView mediaType
            = trimOws(semicolon < 0 ? contentType : contentType.first(semicolon));
    const qsizetype slash = mediaType.indexOf('/');
    if (slash < 0)
        return false;
    const QByteArrayView type = mediaType.first(slash);
    const QByteArrayView subtype = mediaType.sliced(slash + 1);
    if (!isHttpToken(type) || !isHttpToken(subtype))
        return false;
    if (type.compare("application", Qt::CaseInsensitive) != 0)
        return false;
    if (subtype.compare("json", Qt::CaseInsensitive) == 0)
        return true;
    // RFC 6839 §3.1: structured syntax suffix, e.g. application/problem+json.
    return subtype.size() > 5 && subtype.last(5).compare("+json", Qt::CaseInsensitive) == 0;
}

bool parseHttpDate(QByteArrayView value, int nowYear, qint64 *epoch)
{
    int day = 0;
    int year = 0;
    int h = 0;
    int m = 0;
    int s = 0;
    int month = -1;

    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    DateCursor c {value};
    if (c.oneOf(shortDays) >= 0 && c.literal(", ") && c.digits(2, &day) && c.literal(" ")
        && (month = c.oneOf(months)) >= 0 && c.literal(" ") && c.digits(4, &year) && c.literal(" ")
        && c.timeOfDay(&h, &m, &s) && c.literal(" GMT") && c.atEnd())
        return toEpoch(year, month + 1, day, h, m, s, epoch);

    // obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
    c = DateCursor {value};
    if (c.oneOf(longDays) >= 0 && c.literal(", ") && c.digits(2, &day) && c.literal("-")
        && (month = c.oneOf(months)) >= 0 && c.literal("-") && c.digits(2, &year) && c.literal(" ")
        && c.timeOfDay(&h, &m, &s) && c.literal(" GMT") && c.atEnd()) {
        // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future
        // means the most recent past year with the same last two digits.
        year += (nowYear / 100) * 100;
        if (year > nowYear + 50)
            year -= 100;
        return toEpoch(year, month + 1, day, h, m, s, epoch);
    }

    // obsolete asctime: Sun Nov  6 08:49:37 1994
    c = DateCursor {value};
    if (c.oneOf(shortDays) >= 0 && c.literal(" ") && (month = c.oneOf(months)) >= 0
        && c.literal(" ")) {
        if (c.literal(" ")) {
            if (!c.digits(1, &day))
                return false;
        } else if (!c.digits(2, &day)) {
            return false;
        }
        if (c.literal(" ") && c.timeOfDay(&h, &m, &s) && c.literal(" ") && c.digits(4, &year)
            && c.atEnd())
            return toEpoch(year, month + 1, day, h, m, s, epoch);
    }
    return false;
}

int parseRetryAfter(QByteArrayView value, const QDateTime &now)
{
    value = trimOws(value);
    if (value.isEmpty() || value.size() > 64)
        return -1;

    // delay-seconds = 1*DIGIT
    bool allDigits = true;
    for (char c : value)
        allDigits = allDigits && c >= '0' && c <= '9';
    if (allDigits) {
        qint64 seconds = 0;
        for (char c : value) {
            seconds = seconds * 10 + (c - '0');
            if (seconds > maxRetryAfterSeconds)
                return maxRetryAfterSeconds;
        }
        return int(seconds);
    }

    if (!now.isValid())
        return -1;
    qint64 epoch = 0;
    if (!parseHttpDate(value, now.toUTC().date().year(), &epoch))
        return -1;
    const qint64 delay = epoch - now.toSecsSinceEpoch();
    return int(qBound<qint64>(0, delay, qint64(maxRetryAfterSeconds)));
}

} // namespace SecureTokens
