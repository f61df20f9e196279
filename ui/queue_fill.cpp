// SPDX-License-Identifier: GPL-3.0-or-later
// The kernel model comes before any Qt header: Qt defines `emit` as a macro, and the
// engine's wire headers have a method of that name.
#include "sim/simulator.h"
#include "stack/host.h"

#include "ui/queue_fill.h"

#include <QObject>

#include <algorithm>
#include <unordered_map>

namespace stackscope::ui {
namespace {

// Keeps the instance with the highest fill (or the most used when no limit is known).
void consider(QueueFill& best, std::uint64_t used, std::uint64_t limit, const QString& unit, const QString& where) {
    QueueFill f{used, limit, unit, where};
    const bool better = best.unit.isEmpty() || f.ratio() > best.ratio() ||
                        (f.ratio() == best.ratio() && f.used > best.used);
    if (better) best = f;
}

} // namespace

QString queueName(QueueKind q) {
    switch (q) {
    case QueueKind::RxRing: return QObject::tr("RX ring");
    case QueueKind::Backlog: return QObject::tr("RPS backlog");
    case QueueKind::Socket: return QObject::tr("socket receive queue");
    case QueueKind::ArpQueue: return QObject::tr("neighbour (ARP) queue");
    case QueueKind::Qdisc: return QObject::tr("qdisc");
    case QueueKind::TxRing: return QObject::tr("TX ring");
    case QueueKind::SendBuffer:
        return QObject::tr("socket send buffer");
    case QueueKind::Count: break;
    }
    return {};
}

Stage queueStage(QueueKind q) {
    switch (q) {
    case QueueKind::RxRing: return Stage::RxRing;
    case QueueKind::Backlog: return Stage::Backlog;
    case QueueKind::Socket: return Stage::SocketQueue;
    case QueueKind::ArpQueue: return Stage::Neighbour;
    case QueueKind::Qdisc: return Stage::QdiscEnqueue;
    case QueueKind::TxRing: return Stage::DriverTx;
    case QueueKind::SendBuffer:
        return Stage::AppSend;
    case QueueKind::Count: break;
    }
    return Stage::NicRx;
}

std::optional<QueueKind> queueAtStage(Stage s) {
    for (std::size_t i = 0; i < kQueueKinds; ++i)
        if (queueStage(QueueKind(i)) == s) return QueueKind(i);
    return std::nullopt;
}

std::optional<QueueKind> restingQueue(const TraceEvent& e) {
    switch (e.stage) {
    // The hard IRQ is raised for a frame that stays in the ring until NAPI polls it.
    case Stage::RxRing: return e.verdict == Verdict::Queued ? std::optional(QueueKind::RxRing) : std::nullopt;
    case Stage::HardIrq: return e.verdict == Verdict::Continue ? std::optional(QueueKind::RxRing) : std::nullopt;
    case Stage::Backlog: return e.verdict == Verdict::Queued ? std::optional(QueueKind::Backlog) : std::nullopt;
    case Stage::SocketQueue: return e.verdict == Verdict::Queued ? std::optional(QueueKind::Socket) : std::nullopt;
    case Stage::Neighbour: return e.verdict == Verdict::Stolen ? std::optional(QueueKind::ArpQueue) : std::nullopt;
    case Stage::QdiscEnqueue: return e.verdict == Verdict::Queued ? std::optional(QueueKind::Qdisc) : std::nullopt;
    // After ndo_start_xmit the descriptor is in flight until the wire has sent it.
    case Stage::DriverTx: return e.verdict == Verdict::Continue ? std::optional(QueueKind::TxRing) : std::nullopt;
    default: return std::nullopt;
    }
}

QString QueueFill::text() const {
    QString s = limit ? QObject::tr("%1 / %2 %3").arg(used).arg(limit).arg(unit)
                      : QObject::tr("%1 %2").arg(used).arg(unit);
    if (!where.isEmpty()) s += QStringLiteral(" (%1)").arg(where);
    return s;
}

QueueFills queueFills(const Simulator& sim, const std::vector<std::uint64_t>& backlogByCpu) {
    QueueFills fills;
    const stack::Host& host = sim.host();
    const QString packets = QObject::tr("packets");
    const QString bytes = QObject::tr("bytes");
    for (const stack::Device& d : host.devices()) {
        if (d.config.ifindex == 0) continue;
        const QString name = QString::fromStdString(d.config.name);
        consider(fills[std::size_t(QueueKind::RxRing)], d.rxRing.size(), d.config.rxRing, packets, name);
        consider(fills[std::size_t(QueueKind::TxRing)], d.txRingUsed, d.config.txRing, QObject::tr("descriptors"), name);
        const QdiscConfig& q = d.qdisc.config;
        if (q.kind == QdiscKind::Noqueue) continue;
        // bfifo and tbf limit bytes; pfifo_fast takes the device's txqueuelen (pfifo_fast_enqueue).
        if (q.kind == QdiscKind::Bfifo || q.kind == QdiscKind::Tbf)
            consider(fills[std::size_t(QueueKind::Qdisc)], d.qdisc.backlogBytes, q.limit.value_or(0), bytes, name);
        else if (q.kind == QdiscKind::FqCodel) // fq_codel_init: limit 10240 packets
            consider(fills[std::size_t(QueueKind::Qdisc)], d.qdisc.backlogPackets, q.limit.value_or(10240),
                     packets, name);
        else
            consider(fills[std::size_t(QueueKind::Qdisc)], d.qdisc.backlogPackets,
                     q.kind == QdiscKind::PfifoFast ? d.config.txqueuelen : q.limit.value_or(d.config.txqueuelen),
                     packets, name);
    }
    const auto maxBacklog = std::uint64_t(std::max<std::int64_t>(0, host.sysctl("net.core.netdev_max_backlog")));
    for (std::size_t cpu = 0; cpu < std::max<std::size_t>(1, backlogByCpu.size()); ++cpu)
        consider(fills[std::size_t(QueueKind::Backlog)], cpu < backlogByCpu.size() ? backlogByCpu[cpu] : 0,
                 maxBacklog, packets, QStringLiteral("cpu%1").arg(cpu));
    for (const stack::Socket& s : host.sockets()) {
        const QString where = QStringLiteral("%1 port %2")
                                  .arg(s.config.protocol == SocketProtocol::Udp ? QStringLiteral("udp")
                                                                                : QStringLiteral("tcp"))
                                  .arg(s.config.port);
        consider(fills[std::size_t(QueueKind::Socket)], s.rmemAlloc, s.rcvbuf, bytes, where);
    }
    const std::vector<SendConfig>& sends = host.config().sends;
    for (std::size_t i = 0; i < sends.size() && i < host.sendSockets().size(); ++i) {
        const stack::SendSocket& sk = host.sendSockets()[i];
        consider(fills[std::size_t(QueueKind::SendBuffer)], sk.wmemAlloc, sk.sndbuf, bytes,
                 QStringLiteral("udp to %1:%2")
                     .arg(QString::fromStdString(sends[i].destination.toString()))
                     .arg(sends[i].destinationPort));
    }
    for (const auto& [key, n] : host.neighbours()) {
        const std::string dev = host.deviceName(n.device);
        const auto limit = host.sysctl("net.ipv4.neigh." + dev + ".unres_qlen_bytes");
        consider(fills[std::size_t(QueueKind::ArpQueue)], n.arpQueueBytes, std::uint64_t(std::max<std::int64_t>(0, limit)),
                 bytes, QString::fromStdString(n.address.toString()));
    }
    for (QueueFill& f : fills)
        if (f.unit.isEmpty()) f.unit = packets;
    return fills;
}

QueueDepthSeries queueDepthSeries(const std::vector<TraceEvent>& events, std::uint64_t count, int maxBuckets) {
    QueueDepthSeries out;
    count = std::min<std::uint64_t>(count, events.size());
    if (count == 0) return out;
    out.start = events[0].time;
    out.end = out.start;
    for (std::uint64_t i = 0; i < count; ++i) {
        out.start = std::min(out.start, events[i].time);
        out.end = std::max(out.end, events[i].time);
    }
    const Nanos span = out.end - out.start;
    const int buckets = span == 0 ? 1 : int(std::min<std::uint64_t>(std::uint64_t(std::max(1, maxBuckets)), count));
    for (int b = 0; b < buckets; ++b) out.bucketEnd.push_back(out.start + span * (b + 1) / buckets);
    for (auto& d : out.depth) d.assign(std::size_t(buckets), 0);

    std::array<std::uint64_t, kQueueKinds> now{};
    std::unordered_map<PacketId, QueueKind> where; // packets resting in a queue
    int bucket = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        const TraceEvent& e = events[i];
        const int b = span == 0 ? 0 : std::min(buckets - 1, int((e.time - out.start) * buckets / span));
        // A bucket without events holds the depth the previous one ended with.
        while (bucket < b) {
            ++bucket;
            for (std::size_t k = 0; k < kQueueKinds; ++k) out.depth[k][std::size_t(bucket)] = now[k];
        }
        if (e.packet == kNoPacket) continue;
        if (auto it = where.find(e.packet); it != where.end()) {
            --now[std::size_t(it->second)];
            where.erase(it);
        }
        if (auto q = restingQueue(e)) {
            ++now[std::size_t(*q)];
            where.emplace(e.packet, *q);
        }
        for (std::size_t k = 0; k < kQueueKinds; ++k) {
            auto& v = out.depth[k][std::size_t(bucket)];
            v = std::max(v, now[k]);
            out.peak[k] = std::max(out.peak[k], now[k]);
        }
    }
    return out;
}

} // namespace stackscope::ui
