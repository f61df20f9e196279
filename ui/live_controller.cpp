// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/live_controller.h"

#include "io/pcap_writer.h"
#include "ui/session.h"

#include <QFile>
#include <QFileInfo>
#include <QSocketNotifier>

#include <algorithm>

namespace stackscope::ui {
namespace {
constexpr int kTickMs = 10;
constexpr int kMaxFramesPerPoll = 4096; // so one flooding device cannot freeze the window
constexpr std::uint64_t kMaxEventsPerPoll = 50000;

QString withSuffix(const QString& path, const QString& insert, const QString& extension) {
    const QFileInfo info(path);
    const QString base = info.path() + QLatin1Char('/') + info.completeBaseName() + insert;
    return base + (extension.isEmpty()
                       ? (info.suffix().isEmpty() ? QString() : QLatin1Char('.') + info.suffix())
                       : extension);
}
} // namespace

struct LiveController::Device {
    std::size_t statsIndex = 0;
    std::unique_ptr<live::TapDevice> tap;
    std::unique_ptr<live::LiveCapture> capture;
    std::unique_ptr<QSocketNotifier> notifier;
    std::uint64_t frameNumber = 0;
};

LiveController::LiveController(Session* session, QObject* parent)
    : QObject(parent), m_session(session) {
    m_timer.setInterval(kTickMs);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &LiveController::poll);
    // A user step or seek while live stops the clock; Run resumes it.
    connect(m_session, &Session::cursorMoved, this, [this] {
        if (m_live && !m_moving && !m_paused) setPaused(true);
    });
    // Anything else loaded into the session ends live mode: the input is no longer ours.
    connect(m_session, &Session::loaded, this, [this] {
        if (m_live && !m_moving) stop();
    });
    connect(m_session, &Session::runningChanged, this, [this](bool running) {
        if (!m_live || !running) return;
        m_session->setRunning(false); // live time, not the stepping timer, drives the cursor
        setPaused(false);
    });
}

LiveController::~LiveController() {
    blockSignals(true); // the window listening may already be half destroyed
    stop();
}

void LiveController::addTap(const QString& interface, std::unique_ptr<live::TapDevice> tap) {
    LiveDeviceStats s;
    s.interface = interface;
    s.device = QString::fromStdString(tap->name());
    s.tap = true;
    m_stats.push_back(s);
    auto d = std::make_unique<Device>();
    d->statsIndex = m_stats.size() - 1;
    d->tap = std::move(tap);
    m_devices.push_back(std::move(d));
}

void LiveController::addCapture(const QString& interface,
                                std::unique_ptr<live::LiveCapture> capture) {
    LiveDeviceStats s;
    s.interface = interface;
    s.device = QString::fromStdString(capture->interface());
    m_stats.push_back(s);
    auto d = std::make_unique<Device>();
    d->statsIndex = m_stats.size() - 1;
    d->capture = std::move(capture);
    m_devices.push_back(std::move(d));
}

void LiveController::start(const HostConfig& config, const QStringList& sources) {
    m_config = config;
    m_sources = sources;
    m_frames = std::make_shared<std::vector<InputFrame>>();
    m_frames->reserve(kMaxFrames);
    m_lastStamp = 0;
    m_txDone = 0;
    m_paused = false;
    m_moving = true;
    m_session->load(config, m_frames, sources);
    m_moving = false;
    for (auto& d : m_devices) {
        const int fd = d->tap ? d->tap->fd() : d->capture->fd();
        if (fd < 0) continue;
        d->notifier = std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Read);
        connect(d->notifier.get(), &QSocketNotifier::activated, this, &LiveController::poll);
    }
    m_clock.start();
    m_live = true;
    m_timer.start();
    emit liveChanged(true);
    emit statsChanged();
}

void LiveController::stop() {
    if (!m_live) {
        m_devices.clear();
        m_stats.clear();
        return;
    }
    m_timer.stop();
    m_live = false;
    m_devices.clear(); // closes the TAPs and captures
    emit liveChanged(false);
}

void LiveController::setPaused(bool paused) {
    if (paused == m_paused) return;
    m_paused = paused;
    emit statsChanged();
}

std::uint64_t LiveController::framesIn() const {
    std::uint64_t n = 0;
    for (const auto& s : m_stats)
        n += s.framesIn;
    return n;
}

std::uint64_t LiveController::framesOut() const {
    std::uint64_t n = 0;
    for (const auto& s : m_stats)
        n += s.framesOut;
    return n;
}

void LiveController::accept(Device& device, std::vector<std::uint8_t>&& bytes) {
    LiveDeviceStats& s = m_stats[device.statsIndex];
    // Never before what the simulator already ran. Paused, every frame comes at the same
    // virtual time: input goes before events of equal time, so the NIC takes them all
    // before the softirq could drain the ring.
    // The stepper is rebuilt to the cursor before the frames run (refreshStepper): after every
    // shown event (input goes before events of equal time, which would rewrite what was
    // shown), and what it produced past the cursor does not count.
    const TraceEvent* shown = m_session->current();
    Nanos stamp = std::max(m_lastStamp, shown ? shown->time + 1 : Nanos(0));
    if (!m_paused) stamp = std::max(stamp, clock());
    m_lastStamp = stamp;
    ++s.framesIn;
    InputFrame frame;
    frame.time = stamp;
    frame.device = s.interface.toStdString();
    frame.wireLength = std::uint32_t(bytes.size());
    frame.captureNumber = ++device.frameNumber;
    frame.bytes = std::move(bytes);
    m_frames->push_back(std::move(frame));
}

void LiveController::poll() {
    if (!m_live || m_inPoll) return;
    m_inPoll = true;
    std::uint64_t read = 0;
    QString failure;
    std::vector<std::uint8_t> buffer;
    for (auto& d : m_devices) {
        LiveDeviceStats& s = m_stats[d->statsIndex];
        for (int i = 0; i < kMaxFramesPerPoll; ++i) {
            if (m_frames->size() >= kMaxFrames) {
                failure = tr("The live session holds %1 frames, its limit: live mode stopped. "
                             "Record it to keep it.")
                              .arg(kMaxFrames);
                break;
            }
            bool frame = false, error = false;
            if (d->tap) {
                const auto r = d->tap->read(buffer);
                frame = r == live::TapDevice::ReadResult::Frame;
                error = r == live::TapDevice::ReadResult::Error;
                if (error) s.lastError = QString::fromStdString(d->tap->errorText());
            } else {
                const auto r = d->capture->read(buffer);
                frame = r == live::LiveCapture::ReadResult::Frame;
                error = r == live::LiveCapture::ReadResult::Error;
                if (error) s.lastError = QString::fromStdString(d->capture->errorText());
            }
            if (error) failure = tr("%1 (for %2): %3").arg(s.device, s.interface, s.lastError);
            if (!frame) break;
            ++read;
            accept(*d, std::move(buffer));
            buffer = {};
        }
    }
    if (read > 0) refreshStepper();
    advance(m_paused);
    m_inPoll = false;
    if (read > 0) emit statsChanged();
    if (!failure.isEmpty()) {
        stop();
        emit failed(failure);
    }
}

void LiveController::refreshStepper() {
    // A stepper that ran out of input stops at a settle deadline; one built afresh on the
    // grown input replays to the same cursor (the simulation is deterministic) and goes on.
    const Stepper* old = m_session->stepper();
    if (!old) return;
    auto fresh = std::make_unique<Stepper>(
        m_config, std::shared_ptr<const std::vector<InputFrame>>(m_frames));
    fresh->seek(old->position());
    m_moving = true;
    m_session->adoptStepper(std::move(fresh));
    m_moving = false;
}

void LiveController::advance(bool hardIrqOnly) {
    Stepper* st = m_session->stepper();
    if (!st) return;
    const Nanos now = clock();
    const std::uint64_t from = st->position();
    std::uint64_t n = 0;
    while (n < kMaxEventsPerPoll && !st->atEnd()) {
        const TraceEvent& next = st->events()[st->position()];
        // Paused: only the NIC works (DMA into the ring, the interrupt); no softirq runs.
        if (hardIrqOnly ? next.context != Context::HardIrq : next.time > now) break;
        st->stepForward();
        ++n;
    }
    const std::uint64_t to = st->position();
    if (to == from) return;
    st->seek(from);
    m_moving = true;
    m_session->seek(to);
    m_moving = false;
    writeTransmissions(from, to);
}

void LiveController::writeTransmissions(std::uint64_t from, std::uint64_t to) {
    const Stepper* st = m_session->stepper();
    for (std::uint64_t i = std::max(from, m_txDone); i < to; ++i) {
        const TraceEvent& e = st->events()[i];
        if (e.stage != Stage::Wire || e.verdict != Verdict::Transmitted) continue;
        const InterfaceConfig* iface = m_config.interfaceByIndex(e.ifindex);
        if (!iface) continue;
        for (auto& d : m_devices) {
            LiveDeviceStats& s = m_stats[d->statsIndex];
            if (!d->tap || s.interface.toStdString() != iface->name) continue;
            const auto bytes = m_session->bytesAt(e.packet, e.seq);
            if (!bytes) continue;
            if (d->tap->write(*bytes)) {
                ++s.framesOut;
            } else {
                ++s.writeErrors;
                s.lastError = QString::fromStdString(d->tap->errorText());
            }
        }
    }
    m_txDone = std::max(m_txDone, to);
    emit statsChanged();
}

bool LiveController::record(const QString& pcapPath, QString* error, QString* replayCommand) {
    const QString scenarioCopy = withSuffix(pcapPath, QString(), QStringLiteral(".scn"));
    QString scenario;
    for (const QString& s : m_sources)
        if (s.endsWith(QLatin1String(".scn"))) scenario = s;
    QStringList interfaces;
    for (const auto& s : m_stats)
        if (!interfaces.contains(s.interface)) interfaces << s.interface;
    QString replay = QStringLiteral("stackscope-cli run ") + scenarioCopy;
    for (const QString& iface : interfaces) {
        const QString path =
            interfaces.size() == 1 ? pcapPath : withSuffix(pcapPath, QLatin1Char('-') + iface, {});
        const QString absolute = QFileInfo(path).absoluteFilePath();
        if (absolute == QFileInfo(scenarioCopy).absoluteFilePath() ||
            (!scenario.isEmpty() && absolute == QFileInfo(scenario).absoluteFilePath())) {
            if (error) *error = tr("%1: the recording would overwrite a scenario file").arg(path);
            return false;
        }
        io::CaptureError e;
        auto writer = io::PcapWriter::open(path.toStdString(), iface.toStdString(), &e);
        if (!writer) {
            if (error) *error = QString::fromStdString(e.toString());
            return false;
        }
        const std::size_t count = m_frames ? m_frames->size() : 0;
        for (std::size_t i = 0; i < count; ++i) {
            const InputFrame& f = (*m_frames)[i];
            if (f.device != iface.toStdString()) continue;
            TxFrame copy;
            copy.time = f.time;
            copy.device = f.device;
            copy.bytes = f.bytes;
            writer->onTransmit(copy);
        }
        writer->flush();
        if (writer->error()) {
            if (error) *error = QString::fromStdString(writer->error()->toString());
            return false;
        }
        replay += QLatin1Char(' ') + iface + QLatin1Char('=') + path;
    }
    QByteArray text;
    if (!scenario.isEmpty()) {
        QFile in(scenario);
        if (!in.open(QIODevice::ReadOnly)) {
            if (error) *error = tr("%1: cannot read the scenario file").arg(scenario);
            return false;
        }
        text = in.readAll();
    }
    QFile out(scenarioCopy);
    if (!out.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        if (error) *error = tr("%1: cannot write the scenario copy").arg(scenarioCopy);
        return false;
    }
    out.write("# Scenario of a live session recorded by stackscope.\n");
    out.write(text);
    if (!text.isEmpty() && !text.endsWith('\n')) out.write("\n");
    if (replayCommand) *replayCommand = replay;
    return true;
}

} // namespace stackscope::ui
