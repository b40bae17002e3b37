// SPDX-License-Identifier: MIT
// parseProcNetTcpLine(): one line of /proc/net/tcp{,6}, as the loopback
// redirect listener reads it to tell who is connecting (issue 19, finding 1).
// The lines are built the way the kernel prints them (each 32-bit address
// word in this machine's byte order), and one real table is read too.

#include "signin/procnettcp_p.h"

#include <QFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <array>
#include <cstring>

#include <unistd.h>

using namespace SecureTokens;

namespace {

//! The kernel's %08X of one 32-bit word holding \a bytes (network order) in memory.
QByteArray word(std::array<quint8, 4> bytes)
{
    quint32 value = 0;
    std::memcpy(&value, bytes.data(), 4);
    return QByteArray::number(value, 16).toUpper().rightJustified(8, '0');
}

QByteArray ipv4(quint8 a, quint8 b, quint8 c, quint8 d)
{
    return word({a, b, c, d});
}

QByteArray ipv6Loopback()
{
    return word({0, 0, 0, 0}) + word({0, 0, 0, 0}) + word({0, 0, 0, 0}) + word({0, 0, 0, 1});
}

QByteArray ipv4Mapped(quint8 a, quint8 b, quint8 c, quint8 d)
{
    return word({0, 0, 0, 0}) + word({0, 0, 0, 0}) + word({0, 0, 0xff, 0xff}) + word({a, b, c, d});
}

//! A line in the kernel's layout (get_tcp4_sock / get_tcp6_sock).
QByteArray line(const QByteArray &local, const QByteArray &remote, const QByteArray &uid = "1000",
                const QByteArray &inode = "123456", const QByteArray &state = "01")
{
    return "   4: " + local + ' ' + remote + ' ' + state
            + " 00000000:00000000 00:00000000 00000000  " + uid + "        0 " + inode
            + " 1 0000000000000000 20 4 30 10 -1\n";
}

} // namespace

class tst_ProcNetTcp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ipv4Line();
    void ipv6Line();
    void v4MappedLine();
    void timeWaitLine();
    void malformed_data();
    void malformed();
    void realTable();
};

void tst_ProcNetTcp::ipv4Line()
{
    const auto entry = parseProcNetTcpLine(
            line(ipv4(127, 0, 0, 1) + ":A1B2", ipv4(127, 0, 0, 2) + ":C350", "65534", "987654"));
    QVERIFY(entry);
    QCOMPARE(entry->localAddress, QHostAddress(QStringLiteral("127.0.0.1")));
    QCOMPARE(entry->localPort, quint16(0xA1B2));
    QCOMPARE(entry->remoteAddress, QHostAddress(QStringLiteral("127.0.0.2")));
    QCOMPARE(entry->remotePort, quint16(50000));
    QCOMPARE(entry->state, procNetTcpEstablished);
    QCOMPARE(entry->uid, 65534u);
    QCOMPARE(entry->inode, quint64(987654));
    // Without the newline, and the largest uid and inode.
    const auto max
            = parseProcNetTcpLine(line(ipv4(10, 1, 2, 3) + ":0001", ipv4(0, 0, 0, 0) + ":0000",
                                       "4294967295", "18446744073709551615")
                                          .chopped(1));
    QVERIFY(max);
    QCOMPARE(max->localAddress, QHostAddress(QStringLiteral("10.1.2.3")));
    QCOMPARE(max->uid, 4294967295u);
    QCOMPARE(max->inode, quint64(18446744073709551615ull));
}

void tst_ProcNetTcp::ipv6Line()
{
    const auto entry = parseProcNetTcpLine(
            line(ipv6Loopback() + ":1F90", ipv6Loopback() + ":D431", "0", "42"));
    QVERIFY(entry);
    QCOMPARE(entry->localAddress, QHostAddress(QHostAddress::LocalHostIPv6));
    QCOMPARE(entry->localPort, quint16(8080));
    QCOMPARE(entry->remoteAddress, QHostAddress(QHostAddress::LocalHostIPv6));
    QCOMPARE(entry->remotePort, quint16(0xD431));
    QCOMPARE(entry->uid, 0u);
}

void tst_ProcNetTcp::v4MappedLine()
{
    // An IPv4 peer of a dual-stack IPv6 socket: kept as ::ffff:a.b.c.d, equal
    // to the IPv4 address once converted.
    const auto entry = parseProcNetTcpLine(
            line(ipv4Mapped(127, 0, 0, 1) + ":A1B2", ipv4Mapped(127, 0, 0, 1) + ":C350", "1000"));
    QVERIFY(entry);
    QCOMPARE(entry->localAddress.protocol(), QAbstractSocket::IPv6Protocol);
    QCOMPARE(entry->localAddress, QHostAddress(QStringLiteral("::ffff:127.0.0.1")));
    QVERIFY(entry->localAddress.isEqual(QHostAddress(QStringLiteral("127.0.0.1")),
                                        QHostAddress::ConvertV4MappedToIPv4));
    QCOMPARE(entry->uid, 1000u);
}

void tst_ProcNetTcp::timeWaitLine()
{
    // TIME_WAIT sockets are printed with fewer fields, uid 0 and inode 0: the
    // caller must not read "uid 0" as root's.
    const QByteArray tw = "  12: " + ipv4(127, 0, 0, 1) + ":A1B2 " + ipv4(127, 0, 0, 1)
            + ":C350 06 00000000:00000000 03:00001771 00000000     0        0 0 3 "
              "0000000000000000\n";
    const auto entry = parseProcNetTcpLine(tw);
    QVERIFY(entry);
    QCOMPARE(entry->state, quint8(6));
    QCOMPARE(entry->uid, 0u);
    QCOMPARE(entry->inode, quint64(0));
}

void tst_ProcNetTcp::malformed_data()
{
    QTest::addColumn<QByteArray>("input");
    const QByteArray v4 = ipv4(127, 0, 0, 1);
    const QByteArray good = line(v4 + ":A1B2", v4 + ":C350");
    QVERIFY(parseProcNetTcpLine(good)); // the rows below differ from it in one thing
    QTest::addRow("empty") << QByteArray();
    QTest::addRow("header") << QByteArray("  sl  local_address rem_address   st tx_queue rx_queue "
                                          "tr tm->when retrnsmt   uid  timeout inode\n");
    QTest::addRow("too long") << good.chopped(1) + QByteArray(maxProcNetTcpLineBytes, ' ');
    QTest::addRow("truncated") << good.left(good.indexOf(" 1000"));
    QTest::addRow("no row number") << QByteArray(good).replace("   4: ", "   4 ");
    QTest::addRow("row number not decimal") << QByteArray(good).replace("   4: ", "  x4: ");
    QTest::addRow("short address") << line(v4.left(7) + ":A1B2", v4 + ":C350");
    QTest::addRow("long address") << line(v4 + "0:A1B2", v4 + ":C350");
    QTest::addRow("families differ") << line(v4 + ":A1B2", ipv6Loopback() + ":C350");
    QTest::addRow("not hex") << line("0100007G:A1B2", v4 + ":C350");
    QTest::addRow("port too short") << line(v4 + ":A1B", v4 + ":C350");
    QTest::addRow("port too long") << line(v4 + ":A1B20", v4 + ":C350");
    QTest::addRow("no port") << line(v4, v4 + ":C350");
    QTest::addRow("state not hex") << line(v4 + ":A1B2", v4 + ":C350", "1000", "1", "0Z");
    QTest::addRow("uid negative") << line(v4 + ":A1B2", v4 + ":C350", "-1");
    QTest::addRow("uid past 32 bits") << line(v4 + ":A1B2", v4 + ":C350", "4294967296");
    QTest::addRow("uid not decimal") << line(v4 + ":A1B2", v4 + ":C350", "0x10");
    QTest::addRow("inode past 64 bits")
            << line(v4 + ":A1B2", v4 + ":C350", "1000", "18446744073709551616");
    QTest::addRow("tab separated") << QByteArray(good).replace(' ', '\t');
    QTest::addRow("NUL in the uid") << line(v4 + ":A1B2", v4 + ":C350",
                                            QByteArray("10\0"
                                                       "0",
                                                       4));
}

void tst_ProcNetTcp::malformed()
{
    QFETCH(QByteArray, input);
    QVERIFY(!parseProcNetTcpLine(input));
}

void tst_ProcNetTcp::realTable()
{
    // This machine's own table: a connection of ours is there, with our uid
    // (the format is the kernel's, not the one the rows above imitate).
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, server.serverPort());
    QVERIFY(client.waitForConnected(5000));
    QFile table(QStringLiteral("/proc/net/tcp"));
    QVERIFY2(table.open(QIODevice::ReadOnly), qPrintable(table.errorString()));
    int parsed = 0;
    int ours = 0;
    QByteArray text = table.readLine(maxProcNetTcpLineBytes + 1); // the header
    QVERIFY(!parseProcNetTcpLine(text));
    while (!(text = table.readLine(maxProcNetTcpLineBytes + 1)).isEmpty()) {
        const auto entry = parseProcNetTcpLine(text);
        QVERIFY2(entry, text.constData());
        ++parsed;
        if (entry->localPort == client.localPort() && entry->remotePort == server.serverPort()
            && entry->localAddress == QHostAddress(QHostAddress::LocalHost)) {
            ++ours;
            QCOMPARE(entry->uid, quint32(getuid()));
            QVERIFY(entry->inode != 0);
            QCOMPARE(entry->state, procNetTcpEstablished);
        }
    }
    QVERIFY(parsed >= 2); // the listening socket and the client at least
    QCOMPARE(ours, 1);
}

QTEST_GUILESS_MAIN(tst_ProcNetTcp)
#include "tst_procnettcp.moc"
