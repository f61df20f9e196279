// SPDX-License-Identifier: GPL-3.0-or-later
// The simulated host: configuration, kernel state, event queue and virtual
// clock. Deterministic: the same configuration, input and seed give the same
// trace. Copying a Simulator takes a snapshot (observers are not copied).
#pragma once

#include "model/host_config.h"
#include "sim/counters.h"
#include "sim/frame.h"
#include "sim/trace.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace stackscope {

namespace stack {
class Host;
}

// Read-only rows for tables in the GUI and the CLI.
struct SocketRow {
    std::string protocol; // "udp", "tcp"
    std::string local;    // "0.0.0.0:53"
    std::string remote;   // "0.0.0.0:*"
    std::string state;    // "UNCONN", "LISTEN", "ESTAB"
    std::uint64_t rmemAlloc = 0; // sk_rmem_alloc, truesize bytes
    std::uint64_t rcvbuf = 0;    // sk_rcvbuf after doubling
    std::uint64_t queued = 0;    // datagrams / connections waiting
    std::uint64_t drops = 0;     // sk_drops
};

struct NeighbourRow {
    std::string address;
    std::string device;
    std::string lladdr; // empty when unresolved
    std::string state;  // "PERMANENT", "REACHABLE", "INCOMPLETE", "FAILED", ...
    std::uint64_t queued = 0;
};

struct RouteRow {
    std::string text;  // as `ip route show table all` prints it
    std::uint32_t table = 254;
};

class Simulator {
public:
    explicit Simulator(const HostConfig& config, std::uint64_t seed = 1);
    Simulator(const Simulator& other); // snapshot
    Simulator& operator=(const Simulator& other);
    Simulator(Simulator&&) noexcept;
    Simulator& operator=(Simulator&&) noexcept;
    ~Simulator();

    // Input: either an in-memory list (GUI, snapshots work) or a stream (CLI batch).
    void setInput(std::shared_ptr<const std::vector<InputFrame>> frames);
    void setInput(FrameSource* source);

    void addTraceObserver(TraceObserver* observer);
    // Drops by reason without the cost of tracing every stage (see DropObserver).
    void addDropObserver(DropObserver* observer);
    void addTxObserver(TxObserver* observer);
    // Attach the counter changes of each step to its trace event (for rewinding views).
    void setJournalling(bool on);
    // Tracing costs time; batch runs without observers skip building events.
    bool tracing() const;

    bool hasWork() const;         // any scheduled event or pending input
    bool inputPending() const;    // input frames not yet injected
    Nanos nextEventTime() const;  // time of the next event; now() when idle
    bool step();                  // run one scheduled event; false when idle
    void runUntil(Nanos deadline); // run every event at or before deadline
    // Run all input, then `settle` more virtual time (timers, queues draining).
    void run(Nanos settle);

    Nanos now() const;
    std::uint64_t traceCount() const; // trace events emitted so far
    std::uint64_t packetsInjected() const;
    const HostConfig& config() const;
    const Counters& counters() const;

    std::vector<SocketRow> sockets() const;
    std::vector<NeighbourRow> neighbours() const;
    std::vector<RouteRow> routes() const;
    std::string interfaceName(int ifindex) const;

    stack::Host& host(); // the kernel model, for tests and advanced views
    const stack::Host& host() const;

private:
    std::unique_ptr<stack::Host> m_host;
};

} // namespace stackscope
