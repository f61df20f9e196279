// SPDX-License-Identifier: GPL-3.0-or-later
// net/core/neighbour.c for ARP: neigh_resolve_output, the unresolved
// queue (unres_qlen_bytes), probe timers and NUD_FAILED.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ethernet.h"

#include <fmt/format.h>

namespace stackscope::stack {

using wire::MacAddress;

void Host::neigh_update(wire::Ipv4Address ip, int device, const MacAddress& mac, NeighState state) {
    NeighEntry& n = m_neigh[{ip.value, device}];
    n.address = ip;
    n.device = device;
    if (n.state == NeighState::Permanent || n.state == NeighState::Noarp) return;
    n.lladdr = mac;
    n.state = state;
    n.updated = m_now;
    n.probes = 0;
    ++n.timerGeneration; // cancels a pending probe timer
    n.timerArmed = false;
    // Flush the packets that waited for this address.
    std::deque<Skb> waiting = std::move(n.arpQueue);
    n.arpQueue.clear();
    n.arpQueueBytes = 0;
    for (auto& skb : waiting) {
        wire::EthernetRepr eth{mac, dev(device)->config.mac, wire::kEtherTypeIpv4, std::nullopt};
        eth.writeTo(skb.data);
        SS_TRACE(skb, Stage::Neighbour, Verdict::Continue,
              fmt::format("{} resolved to {}: queued packet released", ip.toString(), mac.toString()),
              DropReason::None, true);
        dev_queue_xmit(std::move(skb));
    }
}

void Host::neigh_output(Skb skb, wire::Ipv4Address nexthop) {
    Device* d = dev(skb.device);
    if (!d) return;
    skb.data.resize(std::max<std::size_t>(skb.data.size(), wire::kEthHeaderLen));
    auto emit = [&](const MacAddress& to) {
        wire::EthernetRepr eth{to, d->config.mac, wire::kEtherTypeIpv4, std::nullopt};
        eth.writeTo(skb.data);
    };
    if (d->config.kind == LinkKind::Loopback) {
        emit(MacAddress{});
        dev_queue_xmit(std::move(skb));
        return;
    }
    if (skb.dst.type == RtType::Broadcast || nexthop.isLimitedBroadcast()) {
        emit(MacAddress::broadcast());
        SS_TRACE(skb, Stage::Neighbour, Verdict::Continue, "broadcast: ff:ff:ff:ff:ff:ff (NUD_NOARP)",
              DropReason::None, true);
        dev_queue_xmit(std::move(skb));
        return;
    }
    if (nexthop.isMulticast()) {
        // ip_eth_mc_map: 01:00:5e + the low 23 bits of the group.
        emit(MacAddress{{0x01, 0x00, 0x5e, std::uint8_t((nexthop.value >> 16) & 0x7f),
                         std::uint8_t(nexthop.value >> 8), std::uint8_t(nexthop.value)}});
        dev_queue_xmit(std::move(skb));
        return;
    }
    auto key = std::make_pair(nexthop.value, skb.device);
    auto it = m_neigh.find(key);
    if (it != m_neigh.end() && it->second.lladdr &&
        it->second.state != NeighState::Failed && it->second.state != NeighState::Incomplete) {
        emit(*it->second.lladdr);
        SS_TRACE(skb, Stage::Neighbour, Verdict::Continue,
              fmt::format("{} is at {} ({})", nexthop.toString(), it->second.lladdr->toString(),
                          neighStateName(it->second.state)),
              DropReason::None, true);
        dev_queue_xmit(std::move(skb));
        return;
    }
    NeighEntry& n = m_neigh[key];
    const bool fresh = it == m_neigh.end() || n.state == NeighState::Failed;
    n.address = nexthop;
    n.device = skb.device;
    if (fresh) {
        n.state = NeighState::Incomplete;
        n.probes = 0;
    }
    // __neigh_event_send: queue while INCOMPLETE, dropping the oldest beyond unres_qlen_bytes.
    const std::uint64_t limit = std::uint64_t(d->hot.neighUnresQlenBytes);
    const PacketId cause = skb.id;
    n.arpQueueBytes += skb.truesize;
    SS_TRACE(skb, Stage::Neighbour, Verdict::Stolen,
          fmt::format("{} unresolved (INCOMPLETE): queued until ARP answers", nexthop.toString()));
    n.arpQueue.push_back(std::move(skb));
    while (n.arpQueueBytes > limit && !n.arpQueue.empty()) {
        Skb old = std::move(n.arpQueue.front());
        n.arpQueue.pop_front();
        n.arpQueueBytes -= old.truesize;
        SS_DROP(old, Stage::Neighbour, DropReason::NEIGH_QUEUEFULL,
             fmt::format("unresolved queue over unres_qlen_bytes {}: oldest packet dropped", limit));
    }
    if (fresh && !n.timerArmed) {
        n.timerArmed = true;
        ++n.probes;
        arp_solicit(n, cause);
        const Nanos retrans = d->hot.neighRetransTimeMs * kMillisecond;
        schedule({m_now + retrans, 0, Event::Kind::NeighTimer, n.device,
                  (std::uint64_t(nexthop.value) << 32) | (n.timerGeneration & 0xffffffffu)});
    }
}

void Host::neigh_timer(std::uint32_t address, int device, std::uint64_t generation) {
    auto it = m_neigh.find({address, device});
    if (it == m_neigh.end()) return;
    NeighEntry& n = it->second;
    if ((n.timerGeneration & 0xffffffffu) != generation || n.state != NeighState::Incomplete) return;
    m_context = Context::Timer;
    Device* d = dev(device);
    const std::int64_t maxProbes =
        d->hot.neighMcastSolicit +
        d->hot.neighAppSolicit;
    if (n.probes >= maxProbes) {
        n.state = NeighState::Failed;
        n.timerArmed = false;
        std::deque<Skb> waiting = std::move(n.arpQueue);
        n.arpQueue.clear();
        n.arpQueueBytes = 0;
        for (auto& skb : waiting) {
            // neigh_invalidate reports the failure to the sender: host unreachable.
            icmp_send(skb, 3, 1, 0, Stage::Neighbour);
            SS_DROP(skb, Stage::Neighbour, DropReason::NEIGH_FAILED,
                 fmt::format("no ARP answer from {} after {} probes: NUD_FAILED",
                             n.address.toString(), n.probes));
        }
        return;
    }
    ++n.probes;
    arp_solicit(n, kNoPacket);
    const Nanos retrans = d->hot.neighRetransTimeMs * kMillisecond;
    schedule({m_now + retrans, 0, Event::Kind::NeighTimer, device,
              (std::uint64_t(address) << 32) | (n.timerGeneration & 0xffffffffu)});
}

} // namespace stackscope::stack
