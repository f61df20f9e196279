// SPDX-License-Identifier: GPL-3.0-or-later
// Transmit: __dev_queue_xmit (net/core/dev.c), the qdiscs (net/sched/
// sch_generic.c pfifo_fast, sch_fifo.c, sch_tbf.c), the driver TX ring,
// veth_xmit towards the peer and loopback_xmit back into the stack.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

#include <fmt/format.h>
#include <utility>

namespace stackscope::stack {

namespace {

// pfifo_fast's prio2band for the TOS-derived priority (sch_generic.c).
constexpr std::array<int, 16> kPrio2Band = {1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};

// rt_tos2priority (include/net/route.h) via ip_tos2prio.
constexpr std::array<std::uint8_t, 16> kTos2Prio = {0, 0, 0, 0, 2, 2, 2, 2, 6, 6, 6, 6, 4, 4, 4, 4};

std::uint32_t qdiscLimit(const QdiscState& q, const InterfaceConfig& dev) {
    switch (q.config.kind) {
    case QdiscKind::PfifoFast: return dev.txqueuelen ? dev.txqueuelen : 1;
    case QdiscKind::Pfifo: return q.config.limit.value_or(dev.txqueuelen ? dev.txqueuelen : 1);
    case QdiscKind::Bfifo: return q.config.limit.value_or((dev.txqueuelen ? dev.txqueuelen : 1) * dev.mtu);
    case QdiscKind::Tbf: return q.config.limit.value_or(0);
    case QdiscKind::FqCodel: return q.config.limit.value_or(10240);
    case QdiscKind::Noqueue: return 0;
    }
    return 0;
}

} // namespace

void Host::dev_queue_xmit(Skb skb) {
    Device* d = dev(skb.device);
    if (!d) return;
    const int ifindex = d->config.ifindex;
    QdiscState& q = d->qdisc;
    const std::size_t len = skb.data.size();
    if (q.config.kind == QdiscKind::Noqueue) {
        if (!d->config.up) {
            m_counters.addLink(ifindex, LinkStat::tx_dropped);
            SS_DROP(skb, Stage::DevQueueXmit, DropReason::DEV_READY,
                 "noqueue device is down: tx_dropped +1");
            return;
        }
        SS_TRACE(skb, Stage::DevQueueXmit, Verdict::Continue, "noqueue: straight to the driver");
        if (d->config.kind == LinkKind::Loopback) {
            loopback_xmit(ifindex, std::move(skb));
            return;
        }
        m_counters.addLink(ifindex, LinkStat::tx_packets);
        m_counters.addLink(ifindex, LinkStat::tx_bytes, len);
        TxFrame f{m_now, ifindex, d->config.name, skb.id, skb.data};
        SS_TRACE(skb, Stage::Wire, Verdict::Transmitted,
              fmt::format("{}: {} bytes handed to the peer", d->config.name, len));
        for (auto* o : txObservers) o->onTransmit(f);
        sock_wfree(skb); // the peer's ip_rcv_core orphans it in this same softirq
        return;
    }
    if (q.config.kind == QdiscKind::FqCodel) {
        fq_codel_enqueue(*d, std::move(skb)); // over the limit it drops from the fattest flow
        qdisc_run(ifindex);
        return;
    }
    // Enqueue.
    const std::uint32_t limit = qdiscLimit(q, d->config);
    bool full = false;
    if (q.config.kind == QdiscKind::Bfifo || q.config.kind == QdiscKind::Tbf)
        full = q.backlogBytes + len > limit;
    else
        full = q.backlogPackets >= limit;
    if (full) {
        m_xmitDropped = skb.id;
        m_counters.addQdisc(ifindex, Counters::QdiscField::Dropped, 1);
        SS_DROP(skb, Stage::QdiscEnqueue,
             q.config.kind == QdiscKind::Tbf ? DropReason::QDISC_OVERLIMIT : DropReason::QDISC_DROP,
             fmt::format("{} full ({} of limit {}{}): qdisc dropped +1", qdiscKindName(q.config.kind),
                         q.config.kind == QdiscKind::Bfifo || q.config.kind == QdiscKind::Tbf
                             ? q.backlogBytes : q.backlogPackets,
                         limit,
                         q.config.kind == QdiscKind::Bfifo || q.config.kind == QdiscKind::Tbf ? " bytes" : ""));
        // __dev_xmit_skb runs the qdisc after every enqueue attempt, refused or not.
        qdisc_run(ifindex);
        return;
    }
    int band = 0;
    if (q.config.kind == QdiscKind::PfifoFast) {
        std::uint8_t prio = 0;
        if (skb.protocol == wire::kEtherTypeIpv4 || skb.data.size() > std::size_t(skb.network) + 1) {
            if (wire::loadBe16(skb.data.data() + 12) == wire::kEtherTypeIpv4)
                prio = kTos2Prio[(skb.data[skb.network + 1] & 0x1e) >> 1];
        }
        band = kPrio2Band[prio & 15];
    }
    q.backlogBytes += len;
    ++q.backlogPackets;
    m_counters.addQdisc(ifindex, Counters::QdiscField::BacklogBytes, std::int64_t(len));
    m_counters.addQdisc(ifindex, Counters::QdiscField::BacklogPackets, 1);
    SS_TRACE(skb, Stage::QdiscEnqueue, Verdict::Queued,
          fmt::format("{}{}: {} packets, {} bytes queued", qdiscKindName(q.config.kind),
                      q.config.kind == QdiscKind::PfifoFast ? fmt::format(" band {}", band) : std::string(),
                      q.backlogPackets, q.backlogBytes));
    q.bands[std::size_t(band)].push_back(std::move(skb));
    qdisc_run(ifindex);
}

// loopback_xmit (drivers/net/loopback.c): the same skb comes back in through netif_rx,
// keeping its route. Its one counter (tx and rx alike) grows by skb->len after
// eth_type_trans has pulled the Ethernet header, and only for a packet the backlog took.
void Host::loopback_xmit(int ifindex, Skb&& skb) {
    const std::size_t len = skb.data.size();
    const std::size_t counted = len >= wire::kEthHeaderLen ? len - wire::kEthHeaderLen : 0;
    SS_TRACE(skb, Stage::DriverTx, Verdict::Continue, "loopback_xmit: back into netif_rx");
    sock_wfree(skb); // skb_orphan: the sender's buffer no longer holds it
    skb.pktType = PktType::Host;
    skb.inputDevice = ifindex;
    const Context saved = m_context;
    m_context = Context::Process;
    const int cpu = skb.cpu;
    if (enqueue_to_backlog(skb, cpu)) {
        for (LinkStat packets : {LinkStat::tx_packets, LinkStat::rx_packets})
            m_counters.addLink(ifindex, packets);
        for (LinkStat bytes : {LinkStat::tx_bytes, LinkStat::rx_bytes})
            m_counters.addLink(ifindex, bytes, counted);
        if (m_softnet[std::size_t(cpu)].softirqRaised) net_rx_action(cpu);
    }
    m_context = saved;
}

void Host::qdisc_run(int ifindex) {
    Device* d = dev(ifindex);
    if (!d) return;
    QdiscState& q = d->qdisc;
    // dequeue_skb: after a packet, a qdisc shared by several TX queues (a veth has one per
    // possible CPU unless created with numtxqueues) is asked for up to 8 more at once
    // (try_bulk_dequeue_skb_slow). For tbf a refused one is a failed dequeue like any
    // other: an overlimit, and __qdisc_run's next attempt fails once more. A one-queue
    // device does not bulk without BQL room.
    const std::uint32_t defaultQueues =
        d->config.kind == LinkKind::Veth ? std::uint32_t(m_config.cpus) : 1;
    const std::uint32_t txQueues = d->config.numTxQueues.value_or(defaultQueues);
    const bool bulkSlow = d->config.kind != LinkKind::Ethernet && txQueues > 1;
    int bulkLeft = 0; // further packets the current bulk dequeue may take
    // __qdisc_run dequeues until the qdisc has nothing (or the driver stops the queue):
    // fq_codel's last dequeue finds its flow empty and takes it off the list.
    const bool fq = q.config.kind == QdiscKind::FqCodel;
    while (q.backlogPackets > 0 || (fq && (!q.newFlows.empty() || !q.oldFlows.empty()))) {
        if (d->txRingUsed >= d->config.txRing) return; // netif_tx_stop_queue until a completion
        std::optional<Skb> taken;
        if (q.config.kind == QdiscKind::FqCodel) {
            taken = fq_codel_dequeue(*d); // keeps the backlog and drop counters itself
            if (!taken) return;
        } else {
            taken = dequeueFifo(ifindex, q);
            if (!taken) {
                if (bulkLeft > 0) { // the bulk ends; the batch goes out and the loop tries again
                    bulkLeft = 0;
                    continue;
                }
                return;
            }
        }
        Skb skb = std::move(*taken);
        const std::size_t len = skb.data.size();
        m_counters.addQdisc(ifindex, Counters::QdiscField::SentBytes, std::int64_t(len));
        m_counters.addQdisc(ifindex, Counters::QdiscField::SentPackets, 1);
        SS_TRACE(skb, Stage::QdiscDequeue, Verdict::Continue, "dequeued: sch_direct_xmit to the driver");
        if (!d->config.up) {
            m_counters.addLink(ifindex, LinkStat::tx_dropped);
            SS_DROP(skb, Stage::DriverTx, DropReason::DEV_READY, "device is down: tx_dropped +1");
            continue;
        }
        if (d->config.kind == LinkKind::Loopback) { // a qdisc on lo: still back into the stack
            loopback_xmit(ifindex, std::move(skb));
            continue;
        }
        const bool hasRing = d->config.kind == LinkKind::Ethernet;
        if (hasRing) {
            ++d->txRingUsed;
            ++d->txDescriptors;
            // The driver frees the skb when its descriptor completes; until then it stays
            // charged to the socket that sent it.
            if (skb.wmemOwner >= 0)
                d->txRingCharges.push_back(
                    {d->txDescriptors, std::exchange(skb.wmemOwner, -1), skb.truesize});
        } else {
            sock_wfree(skb); // veth: orphaned by the peer's ip_rcv_core in the same softirq
        }
        m_counters.addLink(ifindex, LinkStat::tx_packets);
        m_counters.addLink(ifindex, LinkStat::tx_bytes, len);
        // Serialisation at wire speed, with preamble, FCS and inter-frame gap (24 bytes).
        const Nanos start = std::max(m_now, d->txBusyUntil);
        const Nanos duration = Nanos((std::max<std::size_t>(len, 60) + 24) * 8 * kSecond / kLinkBitsPerSecond);
        d->txBusyUntil = start + duration;
        SS_TRACE(skb, Stage::DriverTx, Verdict::Continue,
              fmt::format("TX ring {}/{}: tx_packets +1", d->txRingUsed, d->config.txRing));
        // Software devices (veth) hand the frame over at once: no ring, no completion.
        if (hasRing) schedule({d->txBusyUntil, 0, Event::Kind::TxComplete, ifindex, 0});
        TxFrame f{m_now, ifindex, d->config.name, skb.id, skb.data};
        SS_TRACE(skb, Stage::Wire, Verdict::Transmitted, fmt::format("{} bytes on the wire", len));
        for (auto* o : txObservers) o->onTransmit(f);
        if (bulkSlow) bulkLeft = bulkLeft > 0 ? bulkLeft - 1 : 8;
    }
}

// The head of the first non-empty band, when the qdisc lets it go: tbf_dequeue refuses
// it until the tokens suffice, counting an overlimit and arming the watchdog.
std::optional<Skb> Host::dequeueFifo(int ifindex, QdiscState& q) {
    int band = 0;
    while (band < 3 && q.bands[std::size_t(band)].empty()) ++band;
    if (band == 3) return std::nullopt;
    {
        Skb& head = q.bands[std::size_t(band)].front();
        const std::size_t len = head.data.size();
        if (q.config.kind == QdiscKind::Tbf && q.config.rateBytesPerSec) {
            // tbf_dequeue: tokens and the bucket size are time at the configured rate; a failed
            // dequeue counts an overlimit and arms the watchdog for when the tokens suffice.
            const auto rate = std::int64_t(q.config.rateBytesPerSec);
            const std::int64_t buffer = std::int64_t(q.config.burstBytes) * kSecond / rate;
            const std::int64_t cost = std::int64_t(len) * kSecond / rate;
            std::int64_t toks = std::min<std::int64_t>(m_now - q.tc, buffer) + q.tokensNs;
            toks = std::min(toks, buffer) - cost;
            if (toks < 0) {
                m_counters.addQdisc(ifindex, Counters::QdiscField::Overlimits, 1);
                if (!q.runScheduled) {
                    q.runScheduled = true;
                    schedule({m_now - toks, 0, Event::Kind::QdiscRun, ifindex, 0});
                }
                return std::nullopt;
            }
            q.tc = m_now;
            q.tokensNs = toks;
        }
    }
    Skb skb = std::move(q.bands[std::size_t(band)].front());
    q.bands[std::size_t(band)].pop_front();
    const std::size_t len = skb.data.size();
    q.backlogBytes -= len;
    --q.backlogPackets;
    m_counters.addQdisc(ifindex, Counters::QdiscField::BacklogBytes, -std::int64_t(len));
    m_counters.addQdisc(ifindex, Counters::QdiscField::BacklogPackets, -1);
    return skb;
}

void Host::tx_complete(int ifindex) {
    Device* d = dev(ifindex);
    if (!d || d->txRingUsed == 0) return;
    // The driver wakes the queue it stopped when the ring was full (netif_wake_queue ->
    // __netif_schedule); a queue that was not stopped is not run again by a completion.
    const bool stopped = d->txRingUsed >= d->config.txRing;
    --d->txRingUsed;
    ++d->txCompleted;
    while (!d->txRingCharges.empty() && d->txRingCharges.front().descriptor <= d->txCompleted) {
        const Device::TxRingCharge c = d->txRingCharges.front();
        d->txRingCharges.pop_front();
        sock_wfree(c.owner, c.truesize); // napi_consume_skb -> sock_wfree
    }
    if (stopped) qdisc_run(ifindex);
}

} // namespace stackscope::stack
