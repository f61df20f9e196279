// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/ip_input.c: ip_rcv_core's header checks, ip_rcv_finish
// (routing), ip_local_deliver and protocol dispatch.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ipv4.h"
#include "wire/icmp.h"

#include <cerrno>
#include <fmt/format.h>

namespace stackscope::stack {

void Host::ip_rcv(Skb&& skb) {
    const int devIndex = skb.device;
    if (skb.pktType == PktType::OtherHost) {
        m_counters.addLink(devIndex, LinkStat::rx_otherhost_dropped);
        SS_DROP(skb, Stage::IpRcv, DropReason::OTHERHOST,
             "pkt_type is PACKET_OTHERHOST (promiscuous capture of someone else's frame): "
             "rx_otherhost_dropped +1");
        return;
    }
    // skb->len here still includes any Ethernet padding: InOctets counts it.
    m_counters.add(Mib::IpInReceives);
    m_counters.add(Mib::IpExtInOctets, skb.l3Length);
    auto l3 = skb.l3();
    // why() makes the text, called only when someone traces.
    auto inhdr = [&](auto why, DropReason r = DropReason::IP_INHDR) {
        m_counters.add(Mib::IpInHdrErrors);
        SS_DROP(skb, Stage::IpRcv, r, why() + ": IpInHdrErrors +1");
    };
    if (l3.size() < wire::kIpv4MinHeaderLen) {
        inhdr([&] { return fmt::format("only {} bytes, less than an IP header", l3.size()); });
        return;
    }
    const auto ip = *wire::Ipv4Packet::view(l3);
    if (ip.ihl() < 5 || ip.version() != 4) {
        inhdr([&] {
            return ip.version() != 4 ? fmt::format("version {} is not 4", ip.version())
                                     : fmt::format("ihl {} is below 5", ip.ihl());
        });
        return;
    }
    // ECN counters take gso_segs, not 1 (ip_rcv_core).
    static constexpr Mib kEcn[] = {Mib::IpExtInNoECTPkts, Mib::IpExtInECT1Pkts, Mib::IpExtInECT0Pkts,
                                   Mib::IpExtInCEPkts};
    m_counters.add(kEcn[ip.ecn()], skb.gsoSegs);
    if (l3.size() < ip.headerLength()) {
        inhdr([&] {
            return fmt::format("ihl says {} header bytes, only {} present", ip.headerLength(),
                               l3.size());
        });
        return;
    }
    if (!ip.verifyChecksum()) {
        m_counters.add(Mib::IpExtInCsumErrors);
        inhdr([&] {
            return fmt::format("header checksum 0x{:04x} is wrong: IpExtInCsumErrors +1",
                               ip.headerChecksum());
        }, DropReason::IP_CSUM);
        return;
    }
    const std::uint32_t len = ip.totalLength();
    if (skb.l3Length < len) {
        m_counters.add(Mib::IpExtInTruncatedPkts);
        SS_DROP(skb, Stage::IpRcv, DropReason::PKT_TOO_SMALL,
             fmt::format("tot_len {} but only {} bytes arrived: IpExtInTruncatedPkts +1", len,
                         skb.l3Length));
        return;
    }
    if (len < ip.headerLength()) {
        inhdr([&] {
            return fmt::format("tot_len {} is smaller than the header ({})", len, ip.headerLength());
        });
        return;
    }
    // pskb_trim_rcsum: drop the link-layer padding.
    skb.data.resize(skb.network + len);
    skb.l3Length = len;
    skb.transport = std::uint16_t(skb.network + ip.headerLength());
    SS_TRACE(skb, Stage::IpRcv, Verdict::Continue,
          fmt::format("{} -> {} proto {} ttl {} len {}: header valid", ip.src().toString(),
                      ip.dst().toString(), ip.protocol(), ip.ttl(), len));
    if (!nfHook(skb, NfHook::PreRouting, skb.device, 0)) return;
    ip_rcv_finish(std::move(skb));
}

void Host::ip_rcv_finish(Skb&& skb) {
    // Packets looped back by this host keep the route they were sent with (skb_dst_force in
    // loopback_xmit), so only foreign packets are routed here.
    if (!(skb.dst.local && skb.dst.type == RtType::Local && skb.locallyGenerated)) {
        DropReason reason = DropReason::None;
        ip_route_input_noref(skb, reason);
        if (reason != DropReason::None) return; // route input traced and dropped it
    } else {
        SS_TRACE(skb, Stage::RouteInput, Verdict::Continue, "looped back: keeps its output route (local)");
    }
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    if (ip.ihl() > 5) {
        auto opts = wire::compileIpv4Options(ip.options());
        if (!opts.ok()) {
            m_counters.add(Mib::IpInHdrErrors);
            // ip_options_rcv_srr aside, a malformed option gets a parameter problem.
            icmp_send(skb, wire::kIcmpParameterProblem, 0,
                      std::uint32_t(20 + opts.error().pointer) << 24, Stage::IpRcv);
            SS_DROP(skb, Stage::IpRcv, DropReason::IP_INHDR,
                 "malformed IP options: parameter problem sent, IpInHdrErrors +1");
            return;
        }
        if (opts.value().srr && !hotConf(skb.device).acceptSourceRoute) {
            SS_DROP(skb, Stage::IpRcv, DropReason::NOT_SPECIFIED,
                 "source-routed packet and accept_source_route is 0");
            return;
        }
    }
    if (skb.dst.type == RtType::Broadcast) {
        m_counters.add(Mib::IpExtInBcastPkts);
        m_counters.add(Mib::IpExtInBcastOctets, skb.l3Length);
    } else if (skb.dst.type == RtType::Multicast) {
        m_counters.add(Mib::IpExtInMcastPkts);
        m_counters.add(Mib::IpExtInMcastOctets, skb.l3Length);
    }
    // dst_input
    if (skb.dst.error || skb.dst.type == RtType::Unreachable) {
        ip_error(std::move(skb));
    } else if (skb.dst.local) {
        ip_local_deliver(std::move(skb));
    } else {
        ip_forward(std::move(skb));
    }
}

void Host::ip_local_deliver(Skb&& skb) {
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    // ip_defrag queues (steals) fragments; the one that completes a datagram continues as it.
    if (ip.isFragment() && !ip_defrag(skb)) return;
    SS_TRACE(skb, Stage::IpLocalDeliver, Verdict::Continue, "destined to this host");
    if (!nfHook(skb, NfHook::LocalIn, skb.device, 0)) return;
    ip_local_deliver_finish(std::move(skb));
}

void Host::ip_local_deliver_finish(Skb&& skb) {
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    const std::uint8_t proto = ip.protocol();
    if (proto == wire::kIpProtoUdp || proto == wire::kIpProtoIcmp) {
        SS_TRACE(skb, Stage::IpProtocolDeliver, Verdict::Continue,
              fmt::format("inet_protos[{}] is {}: IpInDelivers +1", proto,
                          proto == wire::kIpProtoUdp ? "udp_rcv" : "icmp_rcv"));
        m_counters.add(Mib::IpInDelivers);
        if (proto == wire::kIpProtoUdp) __udp4_lib_rcv(std::move(skb));
        else icmp_rcv(std::move(skb));
        return;
    }
    if (proto == wire::kIpProtoTcp) {
        SS_TRACE(skb, Stage::IpProtocolDeliver, Verdict::Continue,
                 "inet_protos[6] is tcp_v4_rcv: IpInDelivers +1");
        m_counters.add(Mib::IpInDelivers);
        tcp_v4_rcv(std::move(skb));
        return;
    }
    m_counters.add(Mib::IpInUnknownProtos);
    icmp_send(skb, wire::kIcmpDestUnreach, wire::kIcmpProtUnreach, 0, Stage::IpProtocolDeliver);
    SS_DROP(skb, Stage::IpProtocolDeliver, DropReason::IP_NOPROTO,
         fmt::format("no handler for IP protocol {}: protocol unreachable sent, IpInUnknownProtos +1",
                     proto));
}

} // namespace stackscope::stack
