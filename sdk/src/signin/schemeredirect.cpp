// SPDX-License-Identifier: MIT
// Private-use URI scheme redirects (RFC 8252 §7.1): the URI's form, and the
// per-user registration of the app as the scheme's handler.
#include <securetokens/schemeredirect.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QProcess>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStandardPaths>

#ifdef Q_OS_WIN
#include <QSettings>
#endif

namespace SecureTokens {

namespace {

ErrorInfo invalid(const QString &why)
{
    return ErrorInfo::make(Error::InvalidConfiguration, why);
}

//! RFC 3986 §3.1 scheme syntax with the period RFC 8252 §7.1 asks for (reverse DNS).
bool isPrivateUseScheme(const QString &scheme)
{
    static const QRegularExpression syntax(QStringLiteral("^[A-Za-z][A-Za-z0-9+.-]*$"));
    return scheme.size() <= 100 && syntax.match(scheme).hasMatch()
            && scheme.contains(QLatin1Char('.')) && !scheme.startsWith(QLatin1Char('.'))
            && !scheme.endsWith(QLatin1Char('.'));
}

} // namespace

ErrorInfo checkPrivateUseRedirectUri(const QUrl &uri)
{
    const QString text = uri.toString(QUrl::FullyEncoded);
    if (!uri.isValid() || text.size() > 200)
        return invalid(QStringLiteral("The redirect URI is not a valid URI of at most 200 "
                                      "characters."));
    const QString scheme = uri.scheme();
    if (!isPrivateUseScheme(scheme))
        return invalid(QStringLiteral("The redirect URI \"%1\" needs a private-use scheme in "
                                      "reverse-DNS form with a period, such as "
                                      "com.example.app:/callback (RFC 8252 §7.1).")
                               .arg(text.left(200)));
    // §7.1: "a single slash" after the scheme: no authority, which a browser
    // or OS may treat as a host and lower-case or drop.
    const QString rest = text.mid(scheme.size() + 1);
    if (!rest.startsWith(QLatin1Char('/')) || rest.startsWith(QLatin1String("//"))
        || !uri.authority().isEmpty())
        return invalid(QStringLiteral("The redirect URI must be SCHEME:/path with a single "
                                      "slash and no authority (RFC 8252 §7.1), not \"%1\".")
                               .arg(text.left(200)));
    if (uri.hasQuery() || uri.hasFragment())
        return invalid(QStringLiteral("The redirect URI must have no query and no fragment "
                                      "(RFC 6749 §3.1.2): the response's parameters go there."));
    return {};
}

ErrorInfo checkClaimedHttpsRedirectUri(const QUrl &uri)
{
    const QString text = uri.toString(QUrl::FullyEncoded);
    if (!uri.isValid() || text.size() > 200)
        return invalid(QStringLiteral("The redirect URI is not a valid URI of at most 200 "
                                      "characters."));
    // RFC 8252 §7.2: the app claims an https URI of a domain it controls.
    if (uri.scheme() != QLatin1String("https") || uri.host().isEmpty())
        return invalid(QStringLiteral("A claimed redirect URI must be https://HOST/path "
                                      "(RFC 8252 §7.2), not \"%1\".")
                               .arg(text.left(200)));
    const QString host = uri.host().toLower();
    if (host == QLatin1String("localhost") || host.endsWith(QLatin1String(".localhost"))
        || QHostAddress(host).isLoopback())
        return invalid(QStringLiteral("The redirect URI \"%1\" is a loopback address: leave "
                                      "SessionConfig::redirectUri empty for the loopback "
                                      "listener (RFC 8252 §7.3); a claimed https redirect "
                                      "(§7.2) names the app's own domain.")
                               .arg(text.left(200)));
    if (!uri.userInfo().isEmpty())
        return invalid(QStringLiteral("The redirect URI must have no user information "
                                      "(RFC 8252 §7.2)."));
    if (uri.hasQuery() || uri.hasFragment())
        return invalid(QStringLiteral("The redirect URI must have no query and no fragment "
                                      "(RFC 6749 §3.1.2): the response's parameters go there."));
    return {};
}

ErrorInfo checkAppRedirectUri(const QUrl &uri)
{
    if (uri.scheme().compare(QLatin1String("https"), Qt::CaseInsensitive) == 0)
        return checkClaimedHttpsRedirectUri(uri);
    return checkPrivateUseRedirectUri(uri);
}

namespace {

#if defined(Q_OS_UNIX) && !defined(Q_OS_MACOS) && !defined(Q_OS_IOS) && !defined(Q_OS_ANDROID)
/*!
    Desktop Entry Specification "Exec" quoting: an argument of plain
    characters as it is (xdg-open takes the program as the first word, quotes
    and all), else double-quoted with \ " ` $ escaped.
*/
QString desktopExecArgument(const QString &argument)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9/._+,:@=-]+$"));
    if (plain.match(argument).hasMatch())
        return argument;
    QString quoted = argument;
    quoted.replace(QLatin1Char('\\'), QLatin1String(R"(\\\\)"));
    quoted.replace(QLatin1Char('"'), QLatin1String(R"(\\")"));
    quoted.replace(QLatin1Char('`'), QLatin1String("\\\\`"));
    quoted.replace(QLatin1Char('$'), QLatin1String("\\\\$"));
    quoted.replace(QLatin1Char('%'), QLatin1String("%%"));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

ErrorInfo registerFreedesktop(const SchemeRegistration &r)
{
    const QString name
            = r.desktopName.isEmpty() ? r.scheme + QStringLiteral("-redirect") : r.desktopName;
    static const QRegularExpression nameSyntax(QStringLiteral("^[A-Za-z0-9_.-]{1,100}$"));
    if (!nameSyntax.match(name).hasMatch())
        return invalid(QStringLiteral("The .desktop name may hold letters, digits and - _ . "
                                      "only."));
    QString dataHome = qEnvironmentVariable("XDG_DATA_HOME");
    if (dataHome.isEmpty() || !QDir::isAbsolutePath(dataHome))
        dataHome = QDir::homePath() + QStringLiteral("/.local/share");
    const QString dir = dataHome + QStringLiteral("/applications");
    if (!QDir().mkpath(dir))
        return ErrorInfo::make(Error::StorageFailed, QStringLiteral("Cannot create ") + dir);
    QString exec = desktopExecArgument(r.executable);
    for (const QString &argument : r.arguments)
        exec += QLatin1Char(' ') + desktopExecArgument(argument);
    exec += QStringLiteral(" %u");
    QString display = r.displayName.isEmpty() ? r.scheme : r.displayName;
    display.replace(QLatin1Char('\n'), QLatin1Char(' '));
    const QString entry = QStringLiteral("[Desktop Entry]\nType=Application\nName=%1\n"
                                         "Exec=%2\nMimeType=x-scheme-handler/%3;\n"
                                         "NoDisplay=true\nTerminal=false\n")
                                  .arg(display, exec, r.scheme.toLower());
    const QString file = dir + QLatin1Char('/') + name + QStringLiteral(".desktop");
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly) || out.write(entry.toUtf8()) < 0 || !out.commit())
        return ErrorInfo::make(Error::StorageFailed,
                               QStringLiteral("Cannot write %1: %2").arg(file, out.errorString()));
    QProcess mime;
    mime.setProcessChannelMode(QProcess::MergedChannels);
    mime.start(QStringLiteral("xdg-mime"),
               {QStringLiteral("default"), name + QStringLiteral(".desktop"),
                QStringLiteral("x-scheme-handler/") + r.scheme.toLower()});
    if (!mime.waitForFinished(10000) || mime.exitStatus() != QProcess::NormalExit
        || mime.exitCode() != 0) {
        const QString output = QString::fromLocal8Bit(mime.readAll()).trimmed().left(300);
        mime.kill();
        return ErrorInfo::make(Error::StorageFailed,
                               QStringLiteral("xdg-mime default failed (is xdg-utils "
                                              "installed?): %1")
                                       .arg(output.isEmpty() ? mime.errorString() : output));
    }
    return {};
}
#endif

#ifdef Q_OS_WIN
ErrorInfo registerWindows(const SchemeRegistration &r)
{
    // Per user, no elevation: HKCU\Software\Classes\SCHEME (the "URL Protocol"
    // value marks it as a scheme; the command gets the URL as "%1").
    QSettings key(QStringLiteral("HKEY_CURRENT_USER\\Software\\Classes\\") + r.scheme,
                  QSettings::NativeFormat);
    key.setValue(QStringLiteral("Default"),
                 QStringLiteral("URL:") + (r.displayName.isEmpty() ? r.scheme : r.displayName));
    key.setValue(QStringLiteral("URL Protocol"), QString());
    QString command = QLatin1Char('"') + QDir::toNativeSeparators(r.executable) + QLatin1Char('"');
    for (const QString &argument : r.arguments)
        command += QStringLiteral(" \"") + argument + QLatin1Char('"');
    command += QStringLiteral(" \"%1\"");
    key.setValue(QStringLiteral("shell/open/command/Default"), command);
    key.sync();
    if (key.status() != QSettings::NoError)
        return ErrorInfo::make(Error::StorageFailed,
                               QStringLiteral("Cannot write HKCU\\Software\\Classes\\") + r.scheme);
    return {};
}
#endif

} // namespace

ErrorInfo registerUriScheme(const SchemeRegistration &registration)
{
    ErrorInfo form = checkPrivateUseRedirectUri(
            QUrl(registration.scheme + QStringLiteral(":/"), QUrl::StrictMode));
    if (form.isError())
        return form;
    if (registration.executable.isEmpty() || !QFileInfo(registration.executable).isAbsolute())
        return invalid(QStringLiteral("registerUriScheme() needs the executable's absolute "
                                      "path."));
#if defined(Q_OS_WIN)
    return registerWindows(registration);
#elif defined(Q_OS_MACOS) || defined(Q_OS_IOS) || defined(Q_OS_ANDROID)
    return invalid(QStringLiteral("On this platform the scheme is declared in the app's "
                                  "Info.plist (CFBundleURLTypes) or AndroidManifest.xml "
                                  "(an intent filter); see docs/platforms.md."));
#else
    return registerFreedesktop(registration);
#endif
}

} // namespace SecureTokens
