// SPDX-License-Identifier: GPL-3.0-or-later
// Moving the cursor to a packet the stepper has not reached yet means
// simulating everything before it, which on a big capture takes seconds. A
// worker thread runs a private stepper from the same configuration and input
// (the model is deterministic, so its trace is the session's trace continued);
// the session adopts it when it arrives. Progress and cancel go through a
// dialog; the window keeps painting meanwhile.
#pragma once

#include "sim/trace.h"

#include <QObject>
#include <QPointer>

#include <memory>

class QProgressDialog;
class QThread;
class QTimer;

namespace stackscope::ui {

class Session;

class PacketSeeker : public QObject {
    Q_OBJECT
public:
    // dialogParent: where the progress dialog shows; null for none (tests, batch).
    explicit PacketSeeker(Session* session, QWidget* dialogParent = nullptr);
    ~PacketSeeker() override; // cancels and waits for the worker

    // Moves the cursor to the packet's first event, on a worker when it lies ahead of
    // everything simulated so far. A seek already running is cancelled first.
    void seek(PacketId packet);
    bool busy() const { return m_job != nullptr; }
    void cancel();
    int progressPercent() const; // of the running seek; 0 when idle

signals:
    void finished(bool found); // false when cancelled, not found, or the session reloaded

private:
    struct Job;
    void finish();

    Session* m_session;
    QPointer<QWidget> m_dialogParent;
    std::shared_ptr<Job> m_job;
    QThread* m_thread = nullptr;
    QProgressDialog* m_dialog = nullptr;
    QTimer* m_poll;
};

} // namespace stackscope::ui
