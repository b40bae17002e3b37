// SPDX-License-Identifier: MIT
#include "browseropener.h"

#include <QProcess>
#include <QTextStream>

#include <cstdio>

namespace Cli {

bool openInBrowser(const QUrl &url)
{
    return openInBrowserShowing(url, url);
}

bool openInBrowserShowing(const QUrl &url, const QUrl &shown)
{
    const QString encoded = QString::fromLatin1(url.toEncoded());
    {
        QTextStream err(stderr);
        err << "Opening the browser. If it does not open, visit:\n  "
            << QString::fromLatin1(shown.toEncoded()) << Qt::endl;
    }
    QStringList command = QProcess::splitCommand(qEnvironmentVariable("BROWSER"));
    if (command.isEmpty()) {
#ifdef Q_OS_MACOS
        command = {QStringLiteral("open")};
#else
        command = {QStringLiteral("xdg-open")};
#endif
    }
    const QString program = command.takeFirst();
    command.append(encoded);
    // Detached: the browser may outlive this process; no shell is involved.
    if (!QProcess::startDetached(program, command)) {
        QTextStream(stderr) << "securetokens: could not start " << program
                            << "; open the URL above by hand" << Qt::endl;
    }
    // The URL is on the terminal either way: the sign-in can go on.
    return true;
}

} // namespace Cli
