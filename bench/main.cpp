// SPDX-License-Identifier: MIT
// securetokens-bench: numbers for SecureTokens against the alternatives.
// Every figure is a ratio or a count measured side by side in one run; see
// docs/benchmarks.md for what each one means and does not mean.
#include "benchmarks.h"
#include "benchutil.h"
#include "mockserverprocess.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include <cstdio>

namespace {

const QStringList benchmarkNames {
        QStringLiteral("overhead"), QStringLiteral("callgrind"),  QStringLiteral("storm"),
        QStringLiteral("steady"),   QStringLiteral("cold_start"), QStringLiteral("memory"),
        QStringLiteral("scaling"),  QStringLiteral("dpop"),       QStringLiteral("resources")};

QString defaultServerProgram()
{
    const QString env = qEnvironmentVariable("SECURETOKENS_MOCK_SERVER");
    if (!env.isEmpty())
        return env;
    // Installed side by side, or the build tree's bin/ directory.
    const QString sibling
            = QCoreApplication::applicationDirPath() + QStringLiteral("/securetokens-mock-server");
    if (QFileInfo::exists(sibling))
        return sibling;
    return QStringLiteral(SECURETOKENS_BENCH_MOCK_SERVER);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("securetokens-bench"));

    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.contains(QStringLiteral("--cold-start-child")))
        return Bench::coldStartChild(arguments);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Benchmarks SecureTokens against a plain QNetworkAccessManager and QtNetworkAuth, "
            "with securetokens-mock-server in a child process."));
    parser.addHelpOption();
    const QCommandLineOption quickOption(QStringLiteral("quick"),
                                         QStringLiteral("Shorter runs (under 5 minutes)."));
    const QCommandLineOption jsonOption(QStringLiteral("json"),
                                        QStringLiteral("Write the results as JSON to FILE."),
                                        QStringLiteral("FILE"));
    const QCommandLineOption onlyOption(
            QStringLiteral("only"),
            QStringLiteral("Run one benchmark: %1.").arg(benchmarkNames.join(QStringLiteral(", "))),
            QStringLiteral("NAME"));
    const QCommandLineOption serverOption(QStringLiteral("server-program"),
                                          QStringLiteral("The securetokens-mock-server to run."),
                                          QStringLiteral("PATH"));
    const QCommandLineOption cgSdkOption(
            QStringLiteral("callgrind-sdk"),
            QStringLiteral("Internal: the SDK client under callgrind (run by 'callgrind')."));
    const QCommandLineOption cgPlainOption(
            QStringLiteral("callgrind-plain"),
            QStringLiteral("Internal: the plain client under callgrind (run by 'callgrind')."));
    const QCommandLineOption requestsOption(
            QStringLiteral("requests"),
            QStringLiteral("Requests measured by --callgrind-sdk/--callgrind-plain."),
            QStringLiteral("N"), QStringLiteral("500"));
    const QCommandLineOption inFlightOption(
            QStringLiteral("in-flight"),
            QStringLiteral("Requests in flight for --callgrind-sdk/--callgrind-plain."),
            QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption cgSignOption(
            QStringLiteral("callgrind-sign"),
            QStringLiteral("Internal: ES256 signatures alone under callgrind (run by 'dpop')."));
    const QCommandLineOption dpopOption(
            QStringLiteral("dpop"),
            QStringLiteral("Internal: the --callgrind-sdk client's session uses DPoP."));
    parser.addOptions({quickOption, jsonOption, onlyOption, serverOption, cgSdkOption,
                       cgPlainOption, cgSignOption, dpopOption, requestsOption, inFlightOption});
    parser.process(app);

    Bench::Options options;
    options.quick = parser.isSet(quickOption);
    options.only = parser.value(onlyOption);
    options.jsonPath = parser.value(jsonOption);
    options.serverProgram
            = parser.isSet(serverOption) ? parser.value(serverOption) : defaultServerProgram();
    options.selfProgram = QCoreApplication::applicationFilePath();
    if (!options.only.isEmpty() && !benchmarkNames.contains(options.only)) {
        std::fprintf(stderr, "securetokens-bench: unknown benchmark '%s'\n",
                     qPrintable(options.only));
        return 2;
    }
    if (parser.isSet(cgSignOption))
        return Bench::callgrindSignChild(std::max(1, parser.value(requestsOption).toInt()));
    if (parser.isSet(cgSdkOption) || parser.isSet(cgPlainOption))
        return Bench::callgrindChild(options, parser.isSet(cgSdkOption),
                                     std::max(1, parser.value(requestsOption).toInt()),
                                     std::max(1, parser.value(inFlightOption).toInt()),
                                     parser.isSet(dpopOption));

    const QJsonObject machine = Bench::machineInfo();
    std::printf("# securetokens-bench%s — %s\n", options.quick ? " --quick" : "",
                qPrintable(QDateTime::currentDateTimeUtc().toString(Qt::ISODate)));
    std::printf("machine: %d CPUs (%s), %s RAM, Qt %s, %s build, %s; load average at start: %s\n",
                machine.value(QStringLiteral("nproc")).toInt(),
                qPrintable(machine.value(QStringLiteral("cpu_model")).toString()),
                qPrintable(machine.value(QStringLiteral("mem_total")).toString()),
                qPrintable(machine.value(QStringLiteral("qt_version")).toString()),
                qPrintable(machine.value(QStringLiteral("build_type")).toString()),
                qPrintable(machine.value(QStringLiteral("compiler")).toString()),
                qPrintable(machine.value(QStringLiteral("loadavg_at_start")).toString()));
    std::printf("mock server: %s, a child process (HS256 access tokens)\n",
                qPrintable(options.serverProgram));
    std::fflush(stdout);

    MockServerProcess server;
    QString error;
    server.setExecutable(options.serverProgram);
    server.process().setStandardErrorFile(QProcess::nullDevice());
    if (!server.start(Bench::benchServerArguments())) {
        error = server.errorString();
        std::fprintf(stderr, "securetokens-bench: %s\n", qPrintable(error));
        return 2;
    }

    QJsonObject results {{QStringLiteral("machine"), machine},
                         {QStringLiteral("mode"),
                          options.quick ? QStringLiteral("quick") : QStringLiteral("full")},
                         {QStringLiteral("server"), QStringLiteral("child process")}};
    const auto wanted = [&options](const QString &name) {
        return options.only.isEmpty() || options.only == name;
    };
    int missing = 0;
    QElapsedTimer clock;
    clock.start();
    const auto record = [&](const QString &name, const QJsonObject &section) {
        if (section.isEmpty())
            ++missing;
        else
            results.insert(name, section);
    };
    if (wanted(QStringLiteral("overhead")))
        record(QStringLiteral("overhead"), Bench::runOverhead(options, server));
    if (wanted(QStringLiteral("callgrind")))
        record(QStringLiteral("callgrind"), Bench::runCallgrind(options));
    if (wanted(QStringLiteral("storm")))
        record(QStringLiteral("storm"), Bench::runStorm(options, server));
    if (wanted(QStringLiteral("steady")))
        record(QStringLiteral("steady"), Bench::runSteady(options));
    if (wanted(QStringLiteral("cold_start")))
        record(QStringLiteral("cold_start"), Bench::runColdStart(options, server));
    if (wanted(QStringLiteral("memory")))
        record(QStringLiteral("memory"), Bench::runMemory(options, server));
    if (wanted(QStringLiteral("scaling")))
        record(QStringLiteral("scaling"), Bench::runScaling(options, server));
    if (wanted(QStringLiteral("dpop")))
        record(QStringLiteral("dpop"), Bench::runDpop(options));
    if (wanted(QStringLiteral("resources")))
        record(QStringLiteral("resources"), Bench::runResources(options));
    results.insert(QStringLiteral("wall_seconds"), double(clock.elapsed()) / 1000.0);
    std::printf("\nwall time: %.1f s\n", double(clock.elapsed()) / 1000.0);

    if (!options.jsonPath.isEmpty()) {
        QFile file(options.jsonPath);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
            || file.write(QJsonDocument(results).toJson()) < 0) {
            std::fprintf(stderr, "securetokens-bench: cannot write %s\n",
                         qPrintable(options.jsonPath));
            return 2;
        }
        std::printf("results written to %s\n", qPrintable(options.jsonPath));
    }
    return missing == 0 ? 0 : 1;
}
