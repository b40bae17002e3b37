// SPDX-License-Identifier: MIT
// hardenProcessMemory(): the process is not dumpable and may write no core.
#include <securetokens/processhardening.h>

#include <QTest>

#include <sys/prctl.h>
#include <sys/resource.h>

class tst_ProcessHardening : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void notDumpableAndNoCore()
    {
        QCOMPARE(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1); // the default: this test could fail
        QVERIFY(SecureTokens::hardenProcessMemory());
        QCOMPARE(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
        rlimit core {};
        QCOMPARE(getrlimit(RLIMIT_CORE, &core), 0);
        QCOMPARE(core.rlim_cur, rlim_t(0));
        QCOMPARE(core.rlim_max, rlim_t(0));
    }
};

QTEST_GUILESS_MAIN(tst_ProcessHardening)
#include "tst_processhardening.moc"
