// SPDX-License-Identifier: GPL-3.0-or-later
// What every view shows at the stepper's cursor, derived from the trace:
// per-stage pass/drop counts, drops by reason and stage, each packet's fate
// and where in-flight packets rest. Moving the cursor applies or un-applies
// events, so stepping back restores the views exactly.
#pragma once

#include "sim/trace.h"

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

namespace stackscope::ui {

inline constexpr std::uint64_t kNoSeq = UINT64_MAX;

constexpr bool isTerminal(Verdict v) {
    return v == Verdict::Dropped || v == Verdict::Delivered || v == Verdict::Transmitted ||
           v == Verdict::Consumed;
}

struct PacketState {
    std::uint64_t firstSeq = kNoSeq; // first event ever produced for the packet
    std::uint64_t lastSeq = kNoSeq;  // last event at or before the cursor
    bool terminal = false;           // the event at lastSeq ended the packet
};

struct DropKey {
    DropReason reason;
    Stage stage;
    auto operator<=>(const DropKey&) const = default;
};

struct DropCount {
    std::uint64_t count = 0;
    std::uint64_t firstSeq = kNoSeq;
};

class CursorState {
public:
    void clear();
    // Bring the state to `position` events of `events` (which only ever grows).
    // Returns the packets whose state changed; `rebuilt` is set when the move
    // was done from scratch and every packet may have changed.
    std::vector<PacketId> moveTo(const std::vector<TraceEvent>& events, std::uint64_t position,
                                 bool* rebuilt = nullptr);

    std::uint64_t position() const { return m_position; }
    std::uint64_t passed(Stage s) const { return m_passed[std::size_t(s)]; }
    std::uint64_t dropped(Stage s) const { return m_dropped[std::size_t(s)]; }
    const std::map<DropKey, DropCount>& drops() const { return m_drops; }
    std::uint64_t dropsForReason(DropReason r) const;
    // Packets that arrived and have not ended, with the stage of their last event.
    const std::set<PacketId>& inFlight() const { return m_inFlight; }
    const PacketState* packet(PacketId id) const;
    // Index of the previous event of the same packet, kNoSeq for its first.
    std::uint64_t previousOfPacket(std::uint64_t seq) const {
        return seq < m_prevSame.size() ? m_prevSame[seq] : kNoSeq;
    }

private:
    void index(const std::vector<TraceEvent>& events);
    void apply(const std::vector<TraceEvent>& events, std::uint64_t i);
    void unapply(const std::vector<TraceEvent>& events, std::uint64_t i);
    PacketState& state(PacketId id);

    std::uint64_t m_position = 0;
    std::array<std::uint64_t, std::size_t(Stage::Count)> m_passed{};
    std::array<std::uint64_t, std::size_t(Stage::Count)> m_dropped{};
    std::map<DropKey, DropCount> m_drops;
    std::set<PacketId> m_inFlight;
    std::vector<PacketState> m_packets; // by packetSlot(id)
    std::vector<std::uint64_t> m_prevSame;
    std::vector<std::uint64_t> m_lastIndexed; // by packetSlot(id), while indexing
};

} // namespace stackscope::ui
