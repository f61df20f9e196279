// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/cursor_state.h"

namespace stackscope::ui {
namespace {
// Past this distance replaying from the start is as cheap as walking and simpler.
constexpr std::uint64_t kIncrementalLimit = 20000;
} // namespace

void CursorState::clear() { *this = CursorState(); }

PacketState& CursorState::state(PacketId id) {
    const std::size_t slot = packetSlot(id);
    if (m_packets.size() <= slot) m_packets.resize(slot + 1);
    return m_packets[slot];
}

const PacketState* CursorState::packet(PacketId id) const {
    if (id == kNoPacket || packetSlot(id) >= m_packets.size()) return nullptr;
    return &m_packets[packetSlot(id)];
}

std::uint64_t CursorState::dropsForReason(DropReason r) const {
    std::uint64_t n = 0;
    for (auto it = m_drops.lower_bound({r, Stage(0)}); it != m_drops.end() && it->first.reason == r;
         ++it)
        n += it->second.count;
    return n;
}

void CursorState::index(const std::vector<TraceEvent>& events) {
    for (std::uint64_t i = m_prevSame.size(); i < events.size(); ++i) {
        const PacketId p = events[i].packet;
        if (p == kNoPacket) {
            m_prevSame.push_back(kNoSeq);
            continue;
        }
        const std::size_t slot = packetSlot(p);
        if (m_lastIndexed.size() <= slot) m_lastIndexed.resize(slot + 1, kNoSeq);
        m_prevSame.push_back(m_lastIndexed[slot]);
        m_lastIndexed[slot] = i;
        PacketState& s = state(p);
        if (s.firstSeq == kNoSeq) s.firstSeq = i;
    }
}

void CursorState::apply(const std::vector<TraceEvent>& events, std::uint64_t i) {
    const TraceEvent& e = events[i];
    if (e.verdict == Verdict::Dropped) {
        ++m_dropped[std::size_t(e.stage)];
        DropCount& d = m_drops[{e.reason, e.stage}];
        if (d.count++ == 0) d.firstSeq = i;
    } else if (!isCallReturn(e)) {
        ++m_passed[std::size_t(e.stage)];
    }
    if (e.packet == kNoPacket) return;
    PacketState& s = state(e.packet);
    s.lastSeq = i;
    s.terminal = isTerminal(e.verdict);
    if (s.terminal)
        m_inFlight.erase(e.packet);
    else
        m_inFlight.insert(e.packet);
}

void CursorState::unapply(const std::vector<TraceEvent>& events, std::uint64_t i) {
    const TraceEvent& e = events[i];
    if (e.verdict == Verdict::Dropped) {
        --m_dropped[std::size_t(e.stage)];
        auto it = m_drops.find({e.reason, e.stage});
        if (it != m_drops.end() && --it->second.count == 0) m_drops.erase(it);
    } else if (!isCallReturn(e)) {
        --m_passed[std::size_t(e.stage)];
    }
    if (e.packet == kNoPacket) return;
    PacketState& s = state(e.packet);
    s.lastSeq = m_prevSame[i];
    s.terminal = s.lastSeq != kNoSeq && isTerminal(events[s.lastSeq].verdict);
    if (s.lastSeq == kNoSeq || s.terminal)
        m_inFlight.erase(e.packet);
    else
        m_inFlight.insert(e.packet);
}

std::vector<PacketId> CursorState::moveTo(const std::vector<TraceEvent>& events,
                                          std::uint64_t position, bool* rebuilt) {
    index(events);
    std::vector<PacketId> changed;
    const std::uint64_t from = m_position;
    const std::uint64_t distance = position > from ? position - from : from - position;
    const bool fromScratch = distance > kIncrementalLimit && distance > position / 2;
    if (rebuilt) *rebuilt = fromScratch;
    if (fromScratch) {
        m_passed = {};
        m_dropped = {};
        m_drops.clear();
        m_inFlight.clear();
        for (auto& s : m_packets) {
            s.lastSeq = kNoSeq;
            s.terminal = false;
        }
        for (std::uint64_t i = 0; i < position; ++i) apply(events, i);
    } else if (position > from) {
        for (std::uint64_t i = from; i < position; ++i) {
            apply(events, i);
            if (events[i].packet != kNoPacket) changed.push_back(events[i].packet);
        }
    } else {
        for (std::uint64_t i = from; i > position; --i) {
            unapply(events, i - 1);
            if (events[i - 1].packet != kNoPacket) changed.push_back(events[i - 1].packet);
        }
    }
    m_position = position;
    return changed;
}

} // namespace stackscope::ui
