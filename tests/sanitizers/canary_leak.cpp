// SPDX-License-Identifier: MIT
// Leak canary for the AddressSanitizer stage: a deliberate leak in a slot,
// shaped like the SDK bug it stands for. The slot, called from QtCore's event
// loop through a queued connection, allocates a buffer and drops the only
// pointer to it. LeakSanitizer must report it when the process exits.
//
// The allocation's stack passes through libQt6Core (the frames that deliver
// the queued call), so a suppression that matches a whole Qt library
// (leak:libQt6Core.so) silences it, as it would silence a real leak in an SDK
// slot. tests/sanitizers/expect-report.cmake runs this and passes only when
// LeakSanitizer reports this leak (the slot named in its stack).

#include <QCoreApplication>

#include <array>

namespace {

class ReplyHandler : public QObject
{
public:
    // Called from QtCore's event loop. The buffer is never freed: the leak.
    void onReplyFinished()
    {
        auto *buffer = new std::array<char, 320>;
        buffer->fill('x');
        received += buffer->size();
    }

    std::size_t received = 0;
};

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    ReplyHandler handler;
    QMetaObject::invokeMethod(&handler, &ReplyHandler::onReplyFinished, Qt::QueuedConnection);
    QMetaObject::invokeMethod(&app, &QCoreApplication::quit, Qt::QueuedConnection);
    const int status = app.exec();
    return handler.received == 320 ? status : 1;
}
