// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/session.h"

#include "ui/breakpoints.h"
#include "ui/stage_text.h"

namespace stackscope::ui {
namespace {
constexpr int kFastTickEvents = 20000; // events per tick at full speed: ~a few ms of work
constexpr int kMinTickMs = 16;
} // namespace

Session::Session(QObject* parent) : QObject(parent), m_breakpoints(new BreakpointList(this, this)) {
    connect(m_breakpoints, &BreakpointList::changed, this, &Session::breakpointsChanged);
    m_runTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_runTimer, &QTimer::timeout, this, &Session::runTick);
    setSpeed(m_speed);
}

Session::~Session() = default;

void Session::load(const HostConfig& config, std::shared_ptr<const std::vector<InputFrame>> frames,
                   const QStringList& sources) {
    setRunning(false);
    m_frames = frames ? std::move(frames) : std::make_shared<const std::vector<InputFrame>>();
    m_sources = sources;
    m_stepper = std::make_unique<Stepper>(config, m_frames);
    m_breakpoints->setConfig(config);
    ++m_generation;
    m_hitPosition = UINT64_MAX;
    m_state.clear();
    emit loaded();
    publish(0, false);
}

void Session::adoptStepper(std::unique_ptr<Stepper> stepper) {
    if (!stepper) return;
    setRunning(false);
    const auto from = position();
    m_stepper = std::move(stepper);
    m_state.clear();
    m_hitPosition = UINT64_MAX;
    publish(from, false);
}

const std::vector<InputFrame>& Session::frames() const {
    static const std::vector<InputFrame> none;
    return m_frames ? *m_frames : none;
}

QString Session::interfaceName(int ifindex) const {
    if (!m_stepper) return {};
    if (const InterfaceConfig* i = m_stepper->config().interfaceByIndex(ifindex))
        return QString::fromStdString(i->name);
    return ifindex ? QStringLiteral("if%1").arg(ifindex) : QString();
}

std::shared_ptr<const std::vector<std::uint8_t>> Session::bytesAt(PacketId packet,
                                                                  std::uint64_t seq) const {
    if (!m_stepper || packet == kNoPacket) return nullptr;
    const auto& events = m_stepper->events();
    for (std::uint64_t i = seq; i != kNoSeq && i < events.size(); i = m_state.previousOfPacket(i))
        if (events[i].packet == packet && events[i].bytes) return events[i].bytes;
    if (packet <= frames().size()) {
        const InputFrame& f = frames()[packet - 1];
        return std::shared_ptr<const std::vector<std::uint8_t>>(m_frames, &f.bytes);
    }
    return nullptr;
}

std::shared_ptr<const std::vector<std::uint8_t>> Session::bytesBefore(PacketId packet,
                                                                      std::uint64_t seq) const {
    if (!m_stepper || packet == kNoPacket) return nullptr;
    const auto& events = m_stepper->events();
    if (seq >= events.size() || !events[seq].bytes) return nullptr;
    const std::uint64_t prev = m_state.previousOfPacket(seq);
    if (prev != kNoSeq) return bytesAt(packet, prev);
    if (packet <= frames().size())
        return std::shared_ptr<const std::vector<std::uint8_t>>(m_frames, &frames()[packet - 1].bytes);
    return nullptr;
}

void Session::publish(std::uint64_t from, bool animate) {
    if (!m_stepper) return;
    CursorMove move;
    move.from = from;
    move.to = m_stepper->position();
    move.changed = m_state.moveTo(m_stepper->events(), move.to, &move.rebuilt);
    move.rebuilt = move.rebuilt || move.to == 0 || from == move.to;
    move.animate = animate && move.to > from && move.to - from <= 64;
    emit cursorMoved(move);
}

void Session::stepForward() {
    if (!m_stepper) return;
    const auto from = position();
    m_stepper->stepForward();
    publish(from, true);
}

void Session::stepPacket() {
    if (!m_stepper) return;
    const auto from = position();
    m_stepper->stepPacket();
    publish(from, true);
}

void Session::stepBack() {
    if (!m_stepper) return;
    setRunning(false);
    const auto from = position();
    m_stepper->stepBack();
    publish(from, false);
}

void Session::stepPacketBack() {
    if (!m_stepper) return;
    setRunning(false);
    const auto from = position();
    m_stepper->stepPacketBack();
    publish(from, false);
}

void Session::seek(quint64 position) {
    if (!m_stepper) return;
    const auto from = this->position();
    m_stepper->seek(position);
    publish(from, false);
}

void Session::reset() {
    setRunning(false);
    seek(0);
}

void Session::setRunning(bool run) {
    if (run == running()) return;
    if (run && (!m_stepper || m_stepper->atEnd())) return;
    if (run)
        m_runTimer.start();
    else
        m_runTimer.stop();
    emit runningChanged(run);
}

void Session::setSpeed(int eventsPerSecond) {
    m_speed = std::max(0, eventsPerSecond);
    m_runTimer.setInterval(m_speed == 0 ? 0 : std::max(kMinTickMs, 1000 / std::max(1, m_speed)));
}

bool Session::hasBreakpoint(Stage s) const { return m_breakpoints->hasStage(s); }

QString Session::breakpointAtCursor() const {
    return m_hitPosition == position() ? m_hitText : QString();
}

Breakpoint Session::breakpoint() {
    // One predicate holds every condition, so nothing depends on how fields combine.
    Breakpoint bp;
    bp.predicate = [this](const TraceEvent& e) {
        return (m_breakOnDrop && e.verdict == Verdict::Dropped) || m_breakpoints->hit(e) >= 0;
    };
    return bp;
}

void Session::runTick() {
    if (!m_stepper) return setRunning(false);
    const auto from = position();
    const int interval = std::max(1, m_runTimer.interval());
    const std::uint64_t budget =
        m_speed == 0 ? kFastTickEvents : std::max<std::uint64_t>(1, std::uint64_t(m_speed) * interval / 1000);
    const bool hit = m_stepper->runUntil(breakpoint(), budget);
    const bool ended = m_stepper->atEnd();
    if (hit) {
        // Say which breakpoint before the views repaint, so the narration can show it.
        const TraceEvent* e = m_stepper->current();
        const int row = e ? m_breakpoints->hit(*e) : -1;
        QString which = row >= 0 ? m_breakpoints->at(row).describe() : tr("any drop");
        m_breakpoints->countHit(row);
        m_hitText = e ? tr("Breakpoint %1: stopped at %2 in %3()")
                            .arg(which, toQString(stageLabel(e->stage)), toQString(e->function))
                      : which;
        m_hitPosition = position();
    }
    publish(from, m_speed != 0);
    if (hit || ended) setRunning(false);
    if (hit) emit breakpointHit(m_hitText);
}

void Session::toggleBreakpoint(Stage stage) { m_breakpoints->toggleStage(stage); }

void Session::setBreakOnDrop(bool on) {
    m_breakOnDrop = on;
    emit breakpointsChanged();
}

} // namespace stackscope::ui
