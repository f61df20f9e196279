// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/packet_seeker.h"

#include "ui/packet_decode.h"
#include "ui/session.h"

#include <QProgressDialog>
#include <QThread>
#include <QTimer>

#include <atomic>

namespace stackscope::ui {
namespace {
constexpr std::uint64_t kChunkEvents = 4096; // between checks for cancel and progress
constexpr int kPollMs = 50;
constexpr int kDialogDelayMs = 400; // quick seeks finish without a dialog flashing up
} // namespace

struct PacketSeeker::Job {
    PacketId packet = kNoPacket;
    std::uint64_t generation = 0; // the session load the job belongs to
    HostConfig config;
    std::shared_ptr<const std::vector<InputFrame>> frames;
    std::atomic<bool> cancel{false};
    std::atomic<int> percent{0};
    // Written by the worker, read by the GUI thread after the thread has finished.
    std::unique_ptr<Stepper> stepper;
    bool found = false;
};

PacketSeeker::PacketSeeker(Session* session, QWidget* dialogParent)
    : QObject(session), m_session(session), m_dialogParent(dialogParent), m_poll(new QTimer(this)) {
    m_poll->setInterval(kPollMs);
    connect(m_poll, &QTimer::timeout, this, [this] {
        if (m_dialog) m_dialog->setValue(progressPercent());
    });
    // A reload makes the running job useless.
    connect(session, &Session::loaded, this, &PacketSeeker::cancel);
}

PacketSeeker::~PacketSeeker() {
    if (m_job) m_job->cancel = true;
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
}

int PacketSeeker::progressPercent() const { return m_job ? m_job->percent.load() : 0; }

void PacketSeeker::cancel() {
    if (m_job) m_job->cancel = true;
}

void PacketSeeker::seek(PacketId packet) {
    if (!m_session->isLoaded() || packet == kNoPacket) return;
    m_session->setRunning(false);
    if (const PacketState* s = m_session->state().packet(packet); s && s->firstSeq != kNoSeq) {
        m_session->seek(s->firstSeq + 1);
        emit finished(true);
        return;
    }
    // Already simulated, only not shown yet: no new simulation is needed.
    const auto& events = m_session->stepper()->events();
    for (std::uint64_t i = m_session->position(); i < events.size(); ++i) {
        if (events[i].packet == packet) {
            m_session->seek(i + 1);
            emit finished(true);
            return;
        }
    }
    if (m_thread) { // one seek at a time: the newest wins
        m_job->cancel = true;
        m_thread->wait();
        finish();
    }

    auto job = std::make_shared<Job>();
    job->packet = packet;
    job->generation = m_session->loadGeneration();
    job->config = m_session->stepper()->config();
    job->frames = m_session->sharedFrames();
    m_job = job;
    m_thread = QThread::create([job] {
        auto stepper = std::make_unique<Stepper>(job->config, job->frames);
        Breakpoint bp;
        bp.packet = job->packet;
        const double target = job->packet < kGeneratedPacketBase ? double(job->packet) : 0.0;
        while (!job->cancel) {
            if (stepper->runUntil(bp, kChunkEvents)) {
                job->found = true;
                break;
            }
            if (stepper->atEnd()) break;
            // Input packets enter in order, so the newest one seen measures the way there.
            const TraceEvent* e = stepper->current();
            if (target > 0 && e && e->packet < kGeneratedPacketBase)
                job->percent = int(std::min(99.0, 100.0 * double(e->packet) / target));
        }
        job->stepper = std::move(stepper);
    });
    connect(m_thread, &QThread::finished, this, [this, thread = m_thread] {
        if (thread == m_thread) finish(); // a superseded worker was finished already
    });
    m_thread->start(QThread::LowPriority);
    m_poll->start();
    if (m_dialogParent) {
        m_dialog = new QProgressDialog(tr("Simulating up to packet %1…").arg(packetLabel(packet)), tr("Cancel"), 0, 100,
                                       m_dialogParent);
        m_dialog->setObjectName(QStringLiteral("packetSeekProgress"));
        m_dialog->setWindowModality(Qt::WindowModal);
        m_dialog->setMinimumDuration(kDialogDelayMs);
        m_dialog->setAutoClose(false);
        m_dialog->setAutoReset(false);
        connect(m_dialog, &QProgressDialog::canceled, this, &PacketSeeker::cancel);
    }
}

void PacketSeeker::finish() {
    if (!m_thread) return;
    m_thread->wait();
    m_thread->deleteLater();
    m_thread = nullptr;
    m_poll->stop();
    if (m_dialog) {
        m_dialog->deleteLater();
        m_dialog = nullptr;
    }
    std::shared_ptr<Job> job = std::move(m_job);
    const bool usable = job && job->found && !job->cancel && job->generation == m_session->loadGeneration();
    if (usable) m_session->adoptStepper(std::move(job->stepper));
    emit finished(usable);
}

} // namespace stackscope::ui
