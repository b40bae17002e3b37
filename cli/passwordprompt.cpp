// SPDX-License-Identifier: MIT
#include "passwordprompt.h"

#include <QTextStream>

#include <cstdio>
#include <string>

#include <termios.h>
#include <unistd.h>

namespace Cli {

QString readLineFromStdin()
{
    std::string line;
    int c;
    while ((c = std::fgetc(stdin)) != EOF && c != '\n')
        line.push_back(char(c));
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    QString result = QString::fromStdString(line);
    // Best effort: do not leave the password in this buffer.
    std::fill(line.begin(), line.end(), '\0');
    return result;
}

QString promptPassword(const QString &prompt)
{
    if (!isatty(STDIN_FILENO))
        return {};
    termios old {};
    tcgetattr(STDIN_FILENO, &old);
    termios noEcho = old;
    noEcho.c_lflag &= ~tcflag_t(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &noEcho);
    // The prompt once echo is off: an answer typed (or sent) at once is not shown.
    QTextStream(stderr) << prompt << Qt::flush;
    const QString password = readLineFromStdin();
    tcsetattr(STDIN_FILENO, TCSANOW, &old);
    QTextStream err(stderr);
    err << Qt::endl;
    return password;
}

namespace {

std::optional<QString> &takenPassword()
{
    static std::optional<QString> password;
    return password;
}

} // namespace

void takePasswordFromEnvironment()
{
    if (!qEnvironmentVariableIsSet("SECURETOKENS_PASSWORD"))
        return;
    takenPassword() = qEnvironmentVariable("SECURETOKENS_PASSWORD");
    // Children get the environment as it is when they start: from here on it
    // no longer has the password. (The process's own /proc/PID/environ keeps
    // the initial block; only the same user and root can read that.)
    qunsetenv("SECURETOKENS_PASSWORD");
}

std::optional<QString> passwordFromEnvironment()
{
    std::optional<QString> password = std::move(takenPassword());
    takenPassword().reset();
    return password;
}

} // namespace Cli
