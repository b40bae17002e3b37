// SPDX-License-Identifier: MIT
// What the application sees of the inner reply now that its signals are relayed
// only when listened to and a finished inner reply is deleted at once: the same
// metadata as a plain QNetworkAccessManager reply, every signal connected after
// get() (as applications do), and no crash when a reply is deleted in its own
// finished() slot.
#include "tst_authenticatedrequests_fixture.h"

#include <QSignalSpy>

using namespace SecureTokens;
using namespace TestSupport;
using namespace Qt::StringLiterals;

class tst_AuthenticatedRequestsRelays : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void metadataMatchesPlainReply();
    void signalsConnectedAfterGetArrive();
    void deletedInsideFinished();
};

void tst_AuthenticatedRequestsRelays::metadataMatchesPlainReply()
{
    auto server = startMockServer();
    QVERIFY(server);
    const QUrl base = server->baseUrl();
    Session session(sessionConfigFor(base));
    QVERIFY(signIn(session));
    AuthenticatedNetworkAccessManager nam(&session);
    QNetworkAccessManager plain;

    QNetworkRequest plainRequest(at(base, "/api/me"));
    const SecretBytes token = session.accessTokenForExternalUse();
    plainRequest.setRawHeader("Authorization", "Bearer " + token.toByteArray());
    std::unique_ptr<QNetworkReply> sdkReply(nam.get(QNetworkRequest(at(base, "/api/me"))));
    std::unique_ptr<QNetworkReply> plainReply(plain.get(plainRequest));
    QTRY_VERIFY_WITH_TIMEOUT(sdkReply->isFinished() && plainReply->isFinished(), 15000);
    QCOMPARE(httpStatus(sdkReply.get()), 200);
    QCOMPARE(sdkReply->readAll(), plainReply->readAll());

    // Every one of Qt's attributes, set or not, as on the plain reply.
    for (int a = 0; a < int(QNetworkRequest::User); ++a) {
        const auto attribute = QNetworkRequest::Attribute(a);
        QCOMPARE(sdkReply->attribute(attribute).isValid(),
                 plainReply->attribute(attribute).isValid());
        // The download buffer is each reply's own (a shared pointer to it).
        if (attribute != QNetworkRequest::DownloadBufferAttribute)
            QCOMPARE(sdkReply->attribute(attribute), plainReply->attribute(attribute));
    }
    // The same headers in the same order (the Date of two answers may differ).
    const auto headers = [](const QNetworkReply *reply) {
        QList<QNetworkReply::RawHeaderPair> pairs = reply->rawHeaderPairs();
        for (auto &pair : pairs) {
            if (pair.first.compare("Date", Qt::CaseInsensitive) == 0)
                pair.second.clear();
        }
        return pairs;
    };
    QVERIFY(!headers(plainReply.get()).isEmpty());
    QCOMPARE(headers(sdkReply.get()), headers(plainReply.get()));
    QCOMPARE(sdkReply->header(QNetworkRequest::ContentTypeHeader),
             plainReply->header(QNetworkRequest::ContentTypeHeader));
    QCOMPARE(sdkReply->url(), plainReply->url());
}

void tst_AuthenticatedRequestsRelays::signalsConnectedAfterGetArrive()
{
    auto server = startMockServer();
    QVERIFY(server);
    const QUrl base = server->baseUrl();
    Session session(sessionConfigFor(base));
    QVERIFY(signIn(session));
    AuthenticatedNetworkAccessManager nam(&session);

    // Twice: the second request reuses the first one's inner request.
    for (int round = 0; round < 2; ++round) {
        QNetworkReply *reply = nam.get(QNetworkRequest(at(base, "/api/me")));
        int metaData = 0, readyReads = 0, progress = 0;
        QByteArray body;
        int statusAtMetaData = 0;
        connect(reply, &QNetworkReply::metaDataChanged, reply, [&] {
            ++metaData;
            statusAtMetaData = httpStatus(reply);
        });
        connect(reply, &QNetworkReply::readyRead, reply, [&] {
            ++readyReads;
            body += reply->readAll();
        });
        connect(reply, &QNetworkReply::downloadProgress, reply,
                [&](qint64 received, qint64) { progress += received > 0 ? 1 : 0; });
        QSignalSpy finished(reply, &QNetworkReply::finished);
        QVERIFY(finished.wait(15000));
        body += reply->readAll();
        QCOMPARE(httpStatus(reply), 200);
        QCOMPARE(metaData, 1);
        QCOMPARE(statusAtMetaData, 200);
        QVERIFY(readyReads >= 1);
        QVERIFY(progress >= 1);
        QVERIFY(body.contains("\"sub\""));
        delete reply;
    }
}

void tst_AuthenticatedRequestsRelays::deletedInsideFinished()
{
    auto server = startMockServer();
    QVERIFY(server);
    const QUrl base = server->baseUrl();
    Session session(sessionConfigFor(base));
    QVERIFY(signIn(session));
    AuthenticatedNetworkAccessManager nam(&session);

    // Against Qt's advice, but it must not crash: the inner reply is still
    // emitting, so it is handed to deleteLater() rather than deleted.
    int done = 0;
    for (int i = 0; i < 3; ++i) {
        QNetworkReply *reply = nam.get(QNetworkRequest(at(base, "/api/me")));
        connect(reply, &QNetworkReply::readyRead, reply, [reply] { reply->readAll(); });
        connect(reply, &QNetworkReply::finished, this, [&done, reply] {
            if (httpStatus(reply) == 200)
                ++done;
            delete reply;
        });
    }
    QTRY_COMPARE_WITH_TIMEOUT(done, 3, 15000);
    // And one deleted from outside any signal, after it finished.
    QNetworkReply *reply = nam.get(QNetworkRequest(at(base, "/api/me")));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(15000));
    QCOMPARE(httpStatus(reply), 200);
    delete reply;
    // No inner reply is left behind, deleted at once or later.
    QTRY_COMPARE_WITH_TIMEOUT(nam.findChildren<QNetworkReply *>().size(), qsizetype(0), 5000);
}

QTEST_GUILESS_MAIN(tst_AuthenticatedRequestsRelays)
#include "tst_authenticatedrequests_relays.moc"
