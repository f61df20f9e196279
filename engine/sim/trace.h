// SPDX-License-Identifier: GPL-3.0-or-later
// Trace events: what one stage did to one packet. The GUI animates them and
// the CLI prints them; both receive them through TraceObserver.
#pragma once

#include "sim/counters.h"
#include "sim/drop_reason.h"
#include "sim/stage.h"
#include "sim/time.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace stackscope {

enum class Context : std::uint8_t { HardIrq, SoftIrq, Process, Timer };
std::string_view contextName(Context c); // "hardirq", "softirq", "process", "timer"

enum class Verdict : std::uint8_t {
    Continue, // handed to the next stage
    Queued,   // placed on a queue (ring, backlog, socket, qdisc, neighbour)
    Delivered, // read by an application or answered
    Transmitted, // left on the wire
    Dropped,
    Consumed, // freed without being a drop (e.g. answered ARP request)
    Stolen,   // taken by a subsystem that will reinject it later (defrag, neigh queue)
};
std::string_view verdictName(Verdict v);

// 1-based input frame number; packets the host generates get ids from 2^32 on.
using PacketId = std::uint64_t;
inline constexpr PacketId kNoPacket = 0;
inline constexpr PacketId kGeneratedPacketBase = PacketId(1) << 32;
// A dense index for tables: input frames and generated packets interleaved.
constexpr std::size_t packetSlot(PacketId id) {
    return id >= kGeneratedPacketBase ? std::size_t(id - kGeneratedPacketBase - 1) * 2 + 1
                                      : std::size_t(id - 1) * 2;
}

struct TraceEvent {
    std::uint64_t seq = 0; // position in the trace, from 0
    Nanos time = 0;
    std::uint16_t cpu = 0;
    Context context = Context::SoftIrq;
    Stage stage = Stage::NicRx;
    std::string_view function; // kernel function, static storage
    PacketId packet = kNoPacket;
    int ifindex = 0;
    Verdict verdict = Verdict::Continue;
    DropReason reason = DropReason::None;
    std::string detail;                // one line: what was decided and why
    std::vector<CounterDelta> counters; // counters changed by this step (when journalling)
    // The packet's bytes (from the L2 header) after this step, when the step changed them.
    std::shared_ptr<const std::vector<std::uint8_t>> bytes;
};

// A system call returning to the application (sendto returns): an event of no packet,
// after the packet went its way, carrying the counters the call bumps on its way out.
// Stage counts leave it out: the call was counted where it began.
inline bool isCallReturn(const TraceEvent& e) {
    return e.packet == kNoPacket && e.verdict == Verdict::Delivered;
}

class TraceObserver {
public:
    virtual ~TraceObserver() = default;
    virtual void onTrace(const TraceEvent& event) = 0;
};

// Sees every packet freed with a drop reason, as the kfree_skb tracepoint does, whether or
// not a TraceObserver is listening; stage says where (its kernel function is the caller).
class DropObserver {
public:
    virtual ~DropObserver() = default;
    virtual void onDrop(DropReason reason, Stage stage) = 0;
};

// "0.000001000 cpu0 softirq ip_rcv_core #12 eth0 DROP IP_CSUM: bad header checksum"
std::string formatTraceLine(const TraceEvent& e, std::string_view ifname);

} // namespace stackscope
