// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/ip_forward.c (ip_forward, ip_forward_finish), the redirect
// logic of ip_rt_send_redirect and ip_error from net/ipv4/route.c.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#include <cerrno>
#include <fmt/format.h>

namespace stackscope::stack {

void Host::ip_forward(Skb&& skb) {
    if (skb.pktType != PktType::Host) {
        SS_DROP(skb, Stage::IpForward, DropReason::OTHERHOST,
             "link-layer broadcast or multicast frame: never forwarded");
        return;
    }
    auto ip = *wire::Ipv4Packet::view(skb.l3());
    if (ip.ttl() <= 1) {
        m_counters.add(Mib::IpInHdrErrors);
        icmp_send(skb, wire::kIcmpTimeExceeded, 0, 0, Stage::IpForward);
        SS_DROP(skb, Stage::IpForward, DropReason::IP_INHDR,
             fmt::format("TTL {} would reach 0: time exceeded sent, IpInHdrErrors +1", ip.ttl()));
        return;
    }
    const std::uint32_t mtu = skb.dst.mtu;
    // ip_exceeds_mtu: a GRO packet fits when each of its segments would
    // (skb_gso_validate_network_len: IP and TCP headers plus gso_size).
    const bool gsoFits = skb.gsoSegmentsFit(mtu);
    if (skb.l3Length > mtu && ip.dontFragment() && !gsoFits) {
        m_counters.add(Mib::IpFragFails);
        icmp_send(skb, wire::kIcmpDestUnreach, wire::kIcmpFragNeeded, mtu, Stage::IpForward);
        SS_DROP(skb, Stage::IpForward, DropReason::PKT_TOO_BIG,
             fmt::format("{} bytes with DF set exceed MTU {} of {}: fragmentation needed sent, "
                         "IpFragFails +1",
                         skb.l3Length, mtu, deviceName(skb.dst.device)));
        return;
    }
    wire::decreaseTtl(skb.l3());
    if (skb.dst.doRedirect) {
        // ip_rt_send_redirect: exponential back-off per source, silence resets it.
        const auto src = ip.src();
        InetPeer& p = peer(src);
        const std::int64_t now = jiffies();
        constexpr std::int64_t kSilence = (kHz / 50) << 10, kLoad = kHz / 50;
        constexpr std::uint32_t kNumber = 9;
        if (now > p.redirectLast + kSilence) p.redirects = 0;
        if (p.redirects < kNumber &&
            (p.redirects == 0 || now > p.redirectLast + (kLoad << p.redirects))) {
            const auto gw = skb.dst.gateway.isAny() ? ip.dst() : skb.dst.gateway;
            icmp_send(skb, wire::kIcmpRedirect, 1, gw.value, Stage::IpForward);
            p.redirectLast = now;
            ++p.redirects;
        } else if (p.redirects >= kNumber) {
            p.redirectLast = now;
        }
    }
    SS_TRACE(skb, Stage::IpForward, Verdict::Continue,
          fmt::format("forwarding: TTL {} -> {} (checksum updated)", ip.ttl(), ip.ttl() - 1),
          DropReason::None, true);
    if (!nfHook(skb, NfHook::Forward, skb.inputDevice, skb.dst.device)) return;
    // ip_forward_finish
    m_counters.add(Mib::IpForwDatagrams);
    ip_output(std::move(skb));
}

void Host::ip_error(Skb&& skb) {
    const int err = skb.dst.error;
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    if (!devForwarding(skb.device)) {
        if (err == EHOSTUNREACH) {
            m_counters.add(Mib::IpInAddrErrors);
            SS_DROP(skb, Stage::RouteInput, DropReason::IP_INADDRERRORS,
                 fmt::format("{} is not ours and forwarding is off: IpInAddrErrors +1",
                             ip.dst().toString()));
        } else if (err == ENETUNREACH) {
            m_counters.add(Mib::IpExtInNoRoutes);
            SS_DROP(skb, Stage::RouteInput, DropReason::IP_INNOROUTES,
                 "no route: IpExtInNoRoutes +1");
        } else {
            SS_DROP(skb, Stage::RouteInput, DropReason::NOT_SPECIFIED, "route error: dropped");
        }
        return;
    }
    std::uint8_t code = 0;
    DropReason reason = DropReason::NOT_SPECIFIED;
    std::string why;
    switch (err) {
    case EHOSTUNREACH:
        code = wire::kIcmpHostUnreach;
        why = "unreachable route: host unreachable";
        break;
    case ENETUNREACH:
        code = wire::kIcmpNetUnreach;
        reason = DropReason::IP_INNOROUTES;
        m_counters.add(Mib::IpExtInNoRoutes);
        why = "no route to the destination: net unreachable, IpExtInNoRoutes +1";
        break;
    case EACCES:
        code = 13; // ICMP_PKT_FILTERED
        why = "prohibit route: administratively prohibited";
        break;
    default:
        SS_DROP(skb, Stage::RouteInput, DropReason::NOT_SPECIFIED,
             "blackhole route: dropped silently");
        return;
    }
    // ip_error spends the per-source inet_peer bucket (burst 5 s worth, cost 1 s) that
    // icmp_send's per-destination limit spends again for the same peer.
    InetPeer& p = peer(ip.src());
    const std::int64_t now = jiffies();
    p.rateTokens = std::min<std::int64_t>(p.rateTokens + now - p.rateLast, 5 * kHz);
    p.rateLast = now;
    bool send = false;
    if (p.rateTokens >= kHz) {
        p.rateTokens -= kHz;
        send = true;
    }
    if (send) icmp_send(skb, wire::kIcmpDestUnreach, code, 0, Stage::RouteInput);
    SS_DROP(skb, Stage::RouteInput, reason, why + (send ? ", ICMP sent" : ", ICMP suppressed by ip_error's rate limit"));
}

} // namespace stackscope::stack
