// SPDX-License-Identifier: GPL-3.0-or-later
// How full the kernel's queues are: the RX ring, the per-CPU backlog, socket
// receive queues, the neighbour's unresolved queue, the qdisc and the TX ring.
// The gauges read the kernel state at the cursor; the chart counts packets
// resting in each queue from the trace, so it costs one pass and no replay.
#pragma once

#include "sim/trace.h"

#include <QString>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace stackscope {
class Simulator;
}

namespace stackscope::ui {

// SendBuffer is a sending socket's sk_wmem_alloc: bytes of sent packets not yet freed
// (they rest in the qdisc or a ring meanwhile, so it has no packets of its own).
enum class QueueKind : std::uint8_t {
    RxRing,
    Backlog,
    Socket,
    ArpQueue,
    Qdisc,
    TxRing,
    SendBuffer,
    Count
};
inline constexpr std::size_t kQueueKinds = std::size_t(QueueKind::Count);

QString queueName(QueueKind q);   // "RX ring", "socket receive queue"
Stage queueStage(QueueKind q);    // the diagram box that shows the queue
std::optional<QueueKind> queueAtStage(Stage s);
// The queue a packet rests in after event `e`, nullopt when it is not queued.
std::optional<QueueKind> restingQueue(const TraceEvent& e);

// The fullest instance of a queue (one ring per device, one backlog per CPU, one
// receive queue per socket, one send buffer per send line).
struct QueueFill {
    std::uint64_t used = 0;
    std::uint64_t limit = 0; // 0 = unknown or unlimited
    QString unit;            // "packets", "bytes", "descriptors"
    QString where;           // "eth0", "cpu0", "udp 0.0.0.0:53"
    double ratio() const { return limit ? std::min(1.0, double(used) / double(limit)) : 0.0; }
    QString text() const;    // "12 / 256 packets (eth0)"
};
using QueueFills = std::array<QueueFill, kQueueKinds>;

// From the kernel state; the backlog, which the model keeps private, from `backlogByCpu`.
QueueFills queueFills(const Simulator& sim, const std::vector<std::uint64_t>& backlogByCpu);

// Packets resting in each queue over time, sampled per time bucket (the maximum in it).
struct QueueDepthSeries {
    Nanos start = 0;
    Nanos end = 0;
    std::vector<Nanos> bucketEnd;
    std::array<std::vector<std::uint64_t>, kQueueKinds> depth; // per bucket
    std::array<std::uint64_t, kQueueKinds> peak{};
};
QueueDepthSeries queueDepthSeries(const std::vector<TraceEvent>& events, std::uint64_t count, int maxBuckets);

} // namespace stackscope::ui
