// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/ip_output.c: __ip_local_out, ip_output, ip_finish_output (MTU)
// and ip_finish_output2 (counters, neighbour output).
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#include <fmt/format.h>

namespace stackscope::stack {

std::uint16_t Host::nextIpId(wire::Ipv4Address dst, std::uint8_t protocol) {
    // ip_idents_reserve: a counter per hash bucket of (daddr, saddr, protocol), started at a
    // random value; here one seeded counter per destination and protocol.
    const std::uint32_t key = dst.value * 31u + protocol;
    // A capture taken on this host: the counter continues from our recorded packet.
    if (m_recorded.active())
        if (auto id = m_recorded.followIpId(dst.value, protocol, m_now)) {
            m_ipIdents[key] = std::uint16_t(*id + 1);
            return *id;
        }
    auto [it, fresh] = m_ipIdents.try_emplace(key, std::uint16_t(m_ipIdCounter ^ (key * 2654435761u >> 16)));
    return it->second++;
}

void Host::ip_local_out(Skb skb) {
    m_context = m_context == Context::HardIrq ? Context::SoftIrq : m_context;
    // OutRequests counts datagrams this host generates (since 6.3), once before fragmentation.
    m_counters.add(Mib::IpOutRequests);
    SS_TRACE(skb, Stage::IpLocalOut, Verdict::Continue, "__ip_local_out: IpOutRequests +1");
    if (!nfHook(skb, NfHook::LocalOut, 0, skb.dst.device)) {
        m_xmitRefused = skb.id; // NF_DROP: nf_hook returns -EPERM to the caller
        return;
    }
    ip_output(std::move(skb));
}

void Host::ip_output(Skb skb) {
    skb.device = skb.dst.device;
    SS_TRACE(skb, Stage::IpOutput, Verdict::Continue, fmt::format("out through {}", deviceName(skb.device)));
    if (!nfHook(skb, NfHook::PostRouting, 0, skb.dst.device)) {
        m_xmitRefused = skb.id;
        return;
    }
    ip_finish_output(std::move(skb));
}

void Host::ip_finish_output(Skb skb) {
    const Device* d = device(skb.device);
    const std::uint32_t mtu = d ? d->config.mtu : 1500;
    // ip_finish_output_gso: a GRO packet whose segments each fit leaves whole; the device
    // (or validate_xmit_skb for one without TSO) cuts it into segments.
    if (skb.l3Length > mtu && !skb.gsoSegmentsFit(mtu)) {
        const auto ip = *wire::Ipv4Packet::view(skb.l3());
        if (ip.dontFragment()) {
            m_counters.add(Mib::IpFragFails);
            if (!skb.locallyGenerated)
                icmp_send(skb, wire::kIcmpDestUnreach, wire::kIcmpFragNeeded, mtu, Stage::IpFinishOutput);
            SS_DROP(skb, Stage::IpFinishOutput, DropReason::PKT_TOO_BIG,
                 fmt::format("{} bytes exceed MTU {} and DF is set: IpFragFails +1", skb.l3Length, mtu));
            return;
        }
        ip_do_fragment(std::move(skb), mtu);
        return;
    }
    ip_finish_output2(std::move(skb));
}

void Host::ip_finish_output2(Skb skb) {
    if (skb.dst.type == RtType::Multicast) {
        m_counters.add(Mib::IpExtOutMcastPkts);
        m_counters.add(Mib::IpExtOutMcastOctets, skb.l3Length);
    } else if (skb.dst.type == RtType::Broadcast) {
        m_counters.add(Mib::IpExtOutBcastPkts);
        m_counters.add(Mib::IpExtOutBcastOctets, skb.l3Length);
    }
    m_counters.add(Mib::IpOutTransmits);
    m_counters.add(Mib::IpExtOutOctets, skb.l3Length);
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    const wire::Ipv4Address nexthop = skb.dst.gateway.isAny() ? ip.dst() : skb.dst.gateway;
    SS_TRACE(skb, Stage::IpFinishOutput, Verdict::Continue,
          fmt::format("next hop {}: IpOutTransmits +1", nexthop.toString()));
    neigh_output(std::move(skb), nexthop);
}

} // namespace stackscope::stack
