// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/stepper.h"

namespace stackscope {

namespace {
constexpr std::uint64_t kSnapshotEvery = 256; // simulator steps between snapshots
}

bool Breakpoint::matches(const TraceEvent& e) const {
    if (stage && e.stage != *stage) return false;
    if (anyDrop && e.verdict != Verdict::Dropped) return false;
    if (reason && e.reason != *reason) return false;
    if (packet && e.packet != *packet) return false;
    if (predicate && !predicate(e)) return false;
    return stage || anyDrop || reason || packet || predicate;
}

Stepper::Stepper(const HostConfig& config, std::shared_ptr<const std::vector<InputFrame>> frames,
                 Nanos settle, std::uint64_t seed)
    : m_config(config), m_frames(std::move(frames)), m_settle(settle), m_seed(seed),
      m_sim(config, seed), m_view(std::max(1, config.cpus)) {
    m_sim.setInput(m_frames);
    m_snapshots.emplace_back(0, std::make_shared<const Simulator>(m_sim));
    m_sim.addTraceObserver(this);
    m_sim.setJournalling(true);
}

Stepper::~Stepper() = default;

void Stepper::onTrace(const TraceEvent& e) { m_events.push_back(e); }

bool Stepper::produceMore() {
    while (true) {
        if (!m_sim.hasWork()) return false;
        const bool inputLeft = m_sim.inputPending();
        if (!inputLeft) {
            if (!m_inputDone) {
                m_inputDone = true;
                m_settleDeadline = m_sim.now() + m_settle;
            }
            if (m_sim.nextEventTime() > m_settleDeadline) return false;
        }
        const std::size_t before = m_events.size();
        m_sim.step();
        if (++m_stepsSinceSnapshot >= kSnapshotEvery) {
            m_stepsSinceSnapshot = 0;
            m_snapshots.emplace_back(m_sim.traceCount(), std::make_shared<const Simulator>(m_sim));
        }
        if (m_events.size() > before) return true;
    }
}

bool Stepper::atEnd() const {
    if (m_position < m_events.size()) return false;
    return !const_cast<Stepper*>(this)->produceMore();
}

const TraceEvent* Stepper::current() const {
    return m_position == 0 ? nullptr : &m_events[m_position - 1];
}

bool Stepper::stepForward() {
    if (m_position >= m_events.size() && !produceMore()) return false;
    const TraceEvent& e = m_events[m_position];
    for (const auto& d : e.counters) m_view.apply(d, +1);
    ++m_position;
    return true;
}

bool Stepper::stepBack() {
    if (m_position == 0) return false;
    --m_position;
    const TraceEvent& e = m_events[m_position];
    for (auto it = e.counters.rbegin(); it != e.counters.rend(); ++it) m_view.apply(*it, -1);
    return true;
}

bool Stepper::stepPacket() {
    const PacketId currentPacket = current() ? current()->packet : kNoPacket;
    bool moved = false;
    while (stepForward()) {
        moved = true;
        if (current()->packet != currentPacket) {
            // stop on the first event of the next packet
            return true;
        }
    }
    return moved;
}

bool Stepper::stepPacketBack() {
    if (m_position == 0) return false;
    const PacketId packet = current()->packet;
    stepBack();
    while (m_position > 0 && current()->packet == packet) stepBack();
    return true;
}

bool Stepper::runUntil(const Breakpoint& bp, std::uint64_t maxEvents) {
    for (std::uint64_t n = 0; n < maxEvents; ++n) {
        if (!stepForward()) return false;
        if (bp.matches(*current())) return true;
    }
    return false;
}

void Stepper::seek(std::uint64_t position) {
    while (m_position > position) stepBack();
    while (m_position < position && stepForward()) {
    }
}

void Stepper::runToEnd() {
    while (stepForward()) {
    }
}

const Simulator& Stepper::simulatorAtCursor() {
    if (m_cursorSim && m_cursorSimTrace == m_position) return *m_cursorSim;
    // Latest snapshot taken at or before the cursor, then replay whole steps while they end
    // at or before it.
    std::size_t i = m_snapshots.size();
    while (i > 1 && m_snapshots[i - 1].first > m_position) --i;
    m_cursorSim = std::make_unique<Simulator>(*m_snapshots[i - 1].second);
    while (m_cursorSim->traceCount() < m_position && m_cursorSim->hasWork()) {
        Simulator probe(*m_cursorSim);
        probe.step();
        if (probe.traceCount() > m_position) break;
        *m_cursorSim = std::move(probe);
    }
    m_cursorSimTrace = m_position;
    return *m_cursorSim;
}

} // namespace stackscope
