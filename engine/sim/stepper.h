// SPDX-License-Identifier: GPL-3.0-or-later
// Stepping through a simulation: forward one stage, one packet, to a
// breakpoint, and back. The simulator runs lazily ahead of the cursor; the
// trace it produced is kept, counters at the cursor are exact (journal
// replay), and the kernel state at any point is rebuilt from the nearest
// snapshot by deterministic replay.
#pragma once

#include "sim/simulator.h"

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace stackscope {

struct Breakpoint {
    std::optional<Stage> stage;
    bool anyDrop = false;
    std::optional<DropReason> reason;
    std::optional<PacketId> packet;
    std::function<bool(const TraceEvent&)> predicate; // e.g. a packet filter
    bool matches(const TraceEvent& e) const;
};

class Stepper : private TraceObserver {
public:
    Stepper(const HostConfig& config, std::shared_ptr<const std::vector<InputFrame>> frames,
            Nanos settle = kSecond, std::uint64_t seed = 1);
    ~Stepper() override;

    // position(): number of trace events shown; 0 before the first.
    std::uint64_t position() const { return m_position; }
    bool atEnd() const; // nothing more to show
    const TraceEvent* current() const; // the last shown event, nullptr at position 0
    const std::vector<TraceEvent>& events() const { return m_events; } // produced so far

    bool stepForward();      // show one more event (one stage)
    bool stepPacket();       // forward to the first event of the next packet
    bool stepBack();         // hide the last shown event
    bool stepPacketBack();   // back to the first event of the current packet
    // Forward until an event matches; true if one did (the cursor stops on it).
    bool runUntil(const Breakpoint& bp, std::uint64_t maxEvents = UINT64_MAX);
    void seek(std::uint64_t position); // forward or back
    void reset() { seek(0); }
    void runToEnd();

    const Counters& counters() const { return m_view; } // exact at the cursor
    // The kernel state (tables, queues) as of the last completed simulator step at or before
    // the cursor; rebuilt from a snapshot and replayed.
    const Simulator& simulatorAtCursor();
    const HostConfig& config() const { return m_config; }

private:
    void onTrace(const TraceEvent& e) override;
    bool produceMore(); // run one simulator step; false when finished

    HostConfig m_config;
    std::shared_ptr<const std::vector<InputFrame>> m_frames;
    Nanos m_settle;
    std::uint64_t m_seed;
    Simulator m_sim;
    bool m_inputDone = false;
    Nanos m_settleDeadline = 0;
    std::vector<TraceEvent> m_events;
    std::uint64_t m_position = 0;
    Counters m_view;
    // (trace count at a step boundary, snapshot) taken every few hundred steps
    std::vector<std::pair<std::uint64_t, std::shared_ptr<const Simulator>>> m_snapshots;
    std::uint64_t m_stepsSinceSnapshot = 0;
    std::unique_ptr<Simulator> m_cursorSim;
    std::uint64_t m_cursorSimTrace = UINT64_MAX;
};

} // namespace stackscope
