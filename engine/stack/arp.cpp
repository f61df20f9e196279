// SPDX-License-Identifier: GPL-3.0-or-later
// ARP (net/ipv4/arp.c): arp_rcv, arp_process, arp_send, arp_solicit.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/arp.h"
#include "wire/ethernet.h"

#include <fmt/format.h>

namespace stackscope::stack {

using wire::Ipv4Address;
using wire::MacAddress;

void Host::arp_rcv(Skb skb) {
    Device* d = dev(skb.device);
    auto view = skb.l3();
    if (view.size() < wire::kArpEthIpv4Len) {
        SS_DROP(skb, Stage::ArpRcv, DropReason::PKT_TOO_SMALL,
             fmt::format("ARP packet of {} bytes is shorter than 28: pskb_may_pull fails", view.size()));
        return;
    }
    if (skb.pktType == PktType::OtherHost) {
        SS_TRACE(skb, Stage::ArpRcv, Verdict::Consumed, "addressed to another host: ignored");
        return;
    }
    auto parsed = wire::ArpRepr::parse(view);
    if (!parsed.ok()) {
        SS_TRACE(skb, Stage::ArpRcv, Verdict::Consumed,
              fmt::format("not Ethernet/IPv4 ARP ({}): consumed without effect",
                          wire::errorName(parsed.error())));
        return;
    }
    const wire::ArpRepr& arp = parsed.value();
    if (arp.operation != wire::kArpRequest && arp.operation != wire::kArpReply) {
        SS_TRACE(skb, Stage::ArpRcv, Verdict::Consumed,
              fmt::format("ARP operation {} is neither request nor reply", arp.operation));
        return;
    }
    if (arp.targetIp.isMulticast() ||
        (arp.targetIp.isLoopback() && !devConf(skb.device, "route_localnet"))) {
        SS_TRACE(skb, Stage::ArpRcv, Verdict::Consumed, "target is multicast or loopback: ignored");
        return;
    }
    const bool targetLocal = isLocalAddress(arp.targetIp);
    if (arp.senderIp.isAny()) {
        // Duplicate address detection probe.
        if (arp.operation == wire::kArpRequest && targetLocal) {
            SS_TRACE(skb, Stage::ArpRcv, Verdict::Consumed,
                  fmt::format("DAD probe for our {}: answered", arp.targetIp.toString()));
            arp_send(wire::kArpReply, skb.device, arp.senderIp, arp.targetIp, arp.senderMac,
                     arp.senderMac, skb.id);
        } else {
            SS_TRACE(skb, Stage::ArpRcv, Verdict::Consumed, "sender 0.0.0.0: not learnt");
        }
        return;
    }
    if (arp.operation == wire::kArpRequest && targetLocal && !arp.senderIp.isMulticast()) {
        // neigh_event_ns: the requester is learnt (STALE) before the reply is sent.
        neigh_update(arp.senderIp, skb.device, arp.senderMac, NeighState::Stale);
        SS_TRACE(skb, Stage::ArpRcv, Verdict::Consumed,
              fmt::format("who-has {} tell {}: ours, reply from {} and learn {} at {}",
                          arp.targetIp.toString(), arp.senderIp.toString(),
                          d->config.mac.toString(), arp.senderIp.toString(),
                          arp.senderMac.toString()));
        arp_send(wire::kArpReply, skb.device, arp.senderIp, arp.targetIp, arp.senderMac,
                 arp.senderMac, skb.id);
        return;
    }
    // Update an existing entry only (arp_accept is 0): replies to us assert reachability.
    auto it = m_neigh.find({arp.senderIp.value, skb.device});
    if (it != m_neigh.end() && it->second.state != NeighState::Permanent &&
        it->second.state != NeighState::Noarp) {
        const NeighState state = (arp.operation == wire::kArpReply && skb.pktType == PktType::Host)
                                     ? NeighState::Reachable
                                     : NeighState::Stale;
        SS_TRACE(skb, Stage::ArpRcv, Verdict::Consumed,
              fmt::format("{} is at {}: neighbour entry now {}", arp.senderIp.toString(),
                          arp.senderMac.toString(), neighStateName(state)));
        neigh_update(arp.senderIp, skb.device, arp.senderMac, state);
        return;
    }
    SS_TRACE(skb, Stage::ArpRcv, Verdict::Consumed,
          it == m_neigh.end() ? "not for us and no neighbour entry to update: nothing learnt"
                              : "entry is permanent: not changed");
}

void Host::arp_send(std::uint16_t op, int device, Ipv4Address dstIp, Ipv4Address srcIp,
                    const MacAddress& dstHw, const MacAddress& targetHw, PacketId cause) {
    Device* d = dev(device);
    if (!d) return;
    Skb skb;
    skb.id = newPacketId();
    skb.device = device;
    skb.locallyGenerated = true;
    skb.protocol = wire::kEtherTypeArp;
    skb.data.assign(wire::kEthHeaderLen + wire::kArpEthIpv4Len, 0);
    wire::EthernetRepr eth{dstHw.isZero() ? MacAddress::broadcast() : dstHw, d->config.mac,
                           wire::kEtherTypeArp, std::nullopt};
    eth.writeTo(skb.data);
    wire::ArpRepr arp{op, d->config.mac, srcIp, targetHw, dstIp};
    arp.writeTo(std::span<std::uint8_t>(skb.data).subspan(wire::kEthHeaderLen));
    skb.truesize = skbTruesizeForHead(std::uint32_t(skb.data.size()) + 16);
    m_context = m_context == Context::HardIrq ? Context::SoftIrq : m_context;
    SS_TRACE(skb, Stage::ArpSolicit, Verdict::Continue,
          fmt::format("{} {} {} (caused by packet #{})", op == wire::kArpReply ? "reply" : "who-has",
                      op == wire::kArpReply ? srcIp.toString() + " is-at " + d->config.mac.toString()
                                            : dstIp.toString() + " tell",
                      op == wire::kArpReply ? std::string() : srcIp.toString(), cause),
          DropReason::None, true);
    dev_queue_xmit(std::move(skb));
}

void Host::arp_solicit(NeighEntry& n, PacketId cause) {
    Ipv4Address saddr;
    // arp_announce 0: the source of the packet waiting for resolution if it is local, else
    // the device's address in the target's subnet.
    if (!n.arpQueue.empty()) {
        const auto& waiting = n.arpQueue.back();
        if (waiting.data.size() >= std::size_t(waiting.network) + 20) {
            Ipv4Address src = wire::loadIpv4(waiting.data.data() + waiting.network + 12);
            if (isLocalAddress(src)) saddr = src;
        }
    }
    if (saddr.isAny()) saddr = inet_select_addr(n.device, n.address, int(RouteScope::Link));
    const bool unicastProbe = n.lladdr && n.state == NeighState::Probe;
    arp_send(wire::kArpRequest, n.device, n.address, saddr,
             unicastProbe ? *n.lladdr : MacAddress::broadcast(), MacAddress{}, cause);
}

} // namespace stackscope::stack
