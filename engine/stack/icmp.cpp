// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/icmp.c: icmp_rcv, icmp_echo, icmp_reply and __icmp_send with the
// global and per-destination rate limits of kernels since 6.12.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <type_traits>

namespace stackscope::stack {

using wire::Ipv4Address;

namespace {
constexpr int kNrIcmpTypes = 18;
// icmp_pointers[].error: types that are errors (never answered with an error).
bool isIcmpError(std::uint8_t type) {
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}
} // namespace

// icmp_global_allow: per-netns credit refilled at most every 20 ms.
bool icmpGlobalAllow(Host& h) {
    if (!h.m_icmpGlobalInit) {
        h.m_icmpGlobalInit = true;
        h.m_icmpGlobalStamp = h.jiffies() - kHz; // the first refill finds a full second elapsed
    }
    if (h.m_icmpGlobalCredit > 0) return true;
    const std::int64_t now = h.jiffies();
    const std::int64_t delta = std::min<std::int64_t>(now - h.m_icmpGlobalStamp, kHz);
    if (delta < kHz / 50) return false;
    const std::int64_t incr = h.sysctl("net.ipv4.icmp_msgs_per_sec") * delta / kHz;
    if (!incr) return false;
    h.m_icmpGlobalStamp = now;
    h.m_icmpGlobalCredit =
        std::min<std::int64_t>(h.m_icmpGlobalCredit + incr, h.sysctl("net.ipv4.icmp_msgs_burst"));
    return true;
}

void icmpGlobalConsume(Host& h) {
    // get_random_u32_below(3): 0, 1 or 2 credits, from the seeded generator.
    h.m_icmpGlobalCredit -= std::int64_t(h.m_rng() % 3);
}

void Host::icmp_rcv(Skb&& skb) {
    m_counters.add(Mib::IcmpInMsgs);
    auto icmpBytes = skb.l4();
    auto error = [&](DropReason r, std::string why) {
        m_counters.add(Mib::IcmpInErrors);
        SS_DROP(skb, Stage::IcmpRcv, r, why + ": IcmpInErrors +1");
    };
    if (wire::internetChecksum(icmpBytes) != 0) {
        m_counters.add(Mib::IcmpInCsumErrors);
        error(DropReason::ICMP_CSUM, "bad ICMP checksum: IcmpInCsumErrors +1");
        return;
    }
    if (icmpBytes.size() < wire::kIcmpHeaderLen) {
        error(DropReason::PKT_TOO_SMALL, "shorter than an ICMP header");
        return;
    }
    const std::uint8_t type = icmpBytes[0], code = icmpBytes[1];
    m_counters.addIcmpMsgIn(type);
    if (type > kNrIcmpTypes) {
        error(DropReason::UNHANDLED_PROTO, fmt::format("ICMP type {} is unknown", type));
        return;
    }
    if (skb.dst.broadcast || skb.dst.type == RtType::Multicast) {
        if ((type == wire::kIcmpEcho || type == wire::kIcmpTimestamp) &&
            sysctl("net.ipv4.icmp_echo_ignore_broadcasts")) {
            error(DropReason::INVALID_PROTO,
                  "echo to a broadcast or multicast address and icmp_echo_ignore_broadcasts is 1");
            return;
        }
        if (type != wire::kIcmpEcho && type != wire::kIcmpTimestamp && type != 17 && type != 18) {
            error(DropReason::INVALID_PROTO, "ICMP to a broadcast address that is not a query");
            return;
        }
    }
    if (type == wire::kIcmpEcho) {
        if (sysctl("net.ipv4.icmp_echo_ignore_all")) {
            SS_TRACE(skb, Stage::IcmpRcv, Verdict::Consumed, "echo request ignored: icmp_echo_ignore_all is 1");
            return;
        }
        SS_TRACE(skb, Stage::IcmpRcv, Verdict::Delivered,
              fmt::format("echo request id {} seq {}: icmp_echo answers", wire::loadBe16(&icmpBytes[4]),
                          wire::loadBe16(&icmpBytes[6])));
        icmp_send(skb, wire::kIcmpEchoReply, 0, wire::loadBe32(&icmpBytes[4]), Stage::IcmpRcv);
        return;
    }
    if (type == wire::kIcmpEchoReply) {
        SS_DROP(skb, Stage::IcmpRcv, DropReason::NO_SOCKET, "echo reply: no ping socket waits for it");
        return;
    }
    if (type == wire::kIcmpTimestamp) {
        SS_TRACE(skb, Stage::IcmpRcv, Verdict::Delivered, "timestamp request: answered");
        icmp_send(skb, wire::kIcmpTimestampReply, 0, wire::loadBe32(&icmpBytes[4]), Stage::IcmpRcv);
        return;
    }
    if (isIcmpError(type)) {
        // icmp_unreach -> icmp_socket_deliver: the quoted header names the local socket that
        // sent the offending packet; UDP and TCP count IcmpInErrors when it does not exist
        // (__udp4_lib_err, tcp_v4_err).
        const auto quoted = icmpBytes.subspan(wire::kIcmpHeaderLen);
        auto inner = wire::Ipv4Packet::view(quoted);
        if (!inner || quoted.size() < inner->headerLength() + 8) {
            error(DropReason::PKT_TOO_SMALL, "ICMP error quotes less than an IP header and 8 bytes");
            return;
        }
        const std::uint8_t proto = inner->protocol();
        if (proto == wire::kIpProtoTcp) {
            tcp_v4_err(skb, type, code, inner->src(), inner->dst(),
                       quoted.subspan(inner->headerLength()));
            return;
        }
        bool known = false;
        if (proto == wire::kIpProtoUdp) {
            const auto l4 = quoted.subspan(inner->headerLength());
            const std::uint16_t sport = wire::loadBe16(&l4[0]);
            for (const auto& s : m_sockets)
                if (s.config.protocol == SocketProtocol::Udp && s.boundPort == sport &&
                    (s.config.bindAddress.isAny() || s.config.bindAddress == inner->src()))
                    known = true;
            // A send line's socket, while its application has it open.
            for (std::size_t i = 0; i < m_sendSockets.size(); ++i) {
                const SendSocket& s = m_sendSockets[i];
                const auto bound = m_config.sends[i].source;
                if (s.open && s.port == sport &&
                    (!bound || bound->isAny() || *bound == inner->src()))
                    known = true;
            }
        }
        if (proto == wire::kIpProtoUdp && !known) {
            m_counters.add(Mib::IcmpInErrors);
            SS_TRACE(
                skb, Stage::IcmpRcv, Verdict::Consumed,
                fmt::format("ICMP error type {} code {} about a UDP socket that does not exist: "
                            "IcmpInErrors +1",
                            type, code));
            return;
        }
        SS_TRACE(skb, Stage::IcmpRcv, Verdict::Consumed,
                 fmt::format("ICMP error type {} code {}: handed to the sending socket's error queue",
                             type, code));
        return;
    }
    SS_TRACE(skb, Stage::IcmpRcv, Verdict::Consumed, fmt::format("ICMP type {} needs no answer", type));
}

// Builds and sends an ICMP message about `in`: an error (__icmp_send) or a reply to a query
// (icmp_reply, for echo and timestamp replies).
void Host::icmp_send(const Skb& in, std::uint8_t type, std::uint8_t code, std::uint32_t info,
                     Stage from) {
    const auto iph = *wire::Ipv4Packet::view(in.l3());
    const bool reply = type == wire::kIcmpEchoReply || type == wire::kIcmpTimestampReply;
    // why is text, or a callable making it: a batch run without tracing formats nothing.
    auto refuse = [&](auto&& why) {
        if (!tracing()) return countTrace();
        std::string text;
        if constexpr (std::is_invocable_v<decltype(why)>) text = why();
        else text = why;
        trace(in, from, Verdict::Continue, fmt::format("no ICMP type {} sent: {}", type, text));
    };
    if (!reply) {
        if (in.pktType != PktType::Host) return refuse("the packet was not addressed to us at layer 2");
        if (in.dst.broadcast || in.dst.type == RtType::Multicast)
            return refuse("the packet went to a broadcast or multicast address");
        if (iph.fragmentOffset() != 0) return refuse("only the first fragment gets an error");
        if (isIcmpError(type) && iph.protocol() == wire::kIpProtoIcmp) {
            auto inner = iph.payload();
            if (inner.empty() || inner[0] > kNrIcmpTypes || isIcmpError(inner[0]))
                return refuse("never an ICMP error about an ICMP error");
        }
    }
    // Rate limits: the global bucket (skipped for packets that came in on loopback) and the
    // per-destination bucket; types outside icmp_ratemask and frag-needed are exempt.
    const Device* inDevice = device(in.device);
    const bool inLoopback = inDevice && inDevice->config.kind == LinkKind::Loopback;
    const std::int64_t mask = m_hot.icmpRatemask;
    const bool exempt = type > kNrIcmpTypes ||
                        (type == wire::kIcmpDestUnreach && code == wire::kIcmpFragNeeded) ||
                        !((mask >> type) & 1);
    bool applyRatelimit = false;
    if (!inLoopback && !exempt) {
        if (icmpGlobalAllow(*this)) {
            applyRatelimit = true;
        } else {
            m_counters.add(Mib::IcmpOutRateLimitGlobal);
            return refuse("global ICMP rate limit (icmp_msgs_per_sec): IcmpOutRateLimitGlobal +1");
        }
    }
    // Source address: the address the packet was sent to when it was ours, else chosen by
    // routing (icmp_errors_use_inbound_ifaddr aside).
    Ipv4Address saddr = in.dst.local && !in.dst.broadcast && in.dst.type != RtType::Multicast
                            ? iph.dst() : Ipv4Address{};
    if (saddr.isAny() && m_hot.icmpErrorsUseInboundIfaddr)
        saddr = inet_select_addr(in.device, iph.src(), int(RouteScope::Link));
    OutputRoute rt = ip_route_output(iph.src(), saddr);
    if (rt.error)
        return refuse([&] { return fmt::format("no route back to {}", iph.src().toString()); });
    // icmpv4_xrlim_allow: no per-destination limit towards loopback, but a message that
    // passes (loopback or not) consumes global credit.
    if (applyRatelimit) {
        const Device* outDev = device(rt.dst.device);
        if (!(outDev && outDev->config.kind == LinkKind::Loopback)) {
            InetPeer& p = peer(iph.src());
            const std::int64_t timeout = m_hot.icmpRatelimit * kHz / 1000;
            const std::int64_t now = jiffies();
            std::int64_t token = p.rateTokens + now - p.rateLast;
            p.rateLast = now;
            token = std::min<std::int64_t>(token, 6 * timeout);
            bool ok = false;
            if (token >= timeout) {
                token -= timeout;
                ok = true;
            }
            p.rateTokens = token;
            if (!ok) {
                m_counters.add(Mib::IcmpOutRateLimitHost);
                return refuse([&] {
                    return fmt::format("per-destination rate limit for {} (icmp_ratelimit {} ms): "
                                       "IcmpOutRateLimitHost +1",
                                       iph.src().toString(), m_hot.icmpRatelimit);
                });
            }
        }
        icmpGlobalConsume(*this);
    }
    // Payload: the echo data for replies; for errors the offending IP header and as much of
    // its data as fits in 576 bytes. Both are read from `in` in place; only the timestamp
    // reply, whose payload differs from the request's, needs a buffer of its own.
    std::span<const std::uint8_t> payload;
    std::array<std::uint8_t, 12> timestamps{};
    if (reply) {
        auto data = iph.payload();
        if (data.size() >= wire::kIcmpHeaderLen) payload = data.subspan(wire::kIcmpHeaderLen);
        if (type == wire::kIcmpTimestampReply) {
            // originate copied, receive and transmit = ms since midnight UT of virtual time
            std::copy_n(payload.begin(), std::min(payload.size(), timestamps.size()),
                        timestamps.begin());
            const std::uint32_t ms = std::uint32_t((m_now / kMillisecond) % 86'400'000);
            wire::storeBe32(&timestamps[4], ms);
            wire::storeBe32(&timestamps[8], ms);
            payload = timestamps;
        }
    } else {
        auto whole = iph.bytes().first(std::min<std::size_t>(iph.totalLength(), iph.bytes().size()));
        const std::size_t room = std::min<std::size_t>(rt.dst.mtu, 576) - 20 - wire::kIcmpHeaderLen;
        payload = whole.first(std::min(room, whole.size()));
    }
    wire::IcmpRepr icmp{type, code, info, payload};
    Skb out;
    out.id = newPacketId();
    out.locallyGenerated = true;
    out.cpu = in.cpu;
    out.network = wire::kEthHeaderLen;
    const std::size_t ipLen = 20 + icmp.bufferLength();
    out.data.assign(wire::kEthHeaderLen + ipLen, 0);
    wire::Ipv4Repr ip;
    ip.src = rt.source;
    ip.dst = iph.src();
    ip.protocol = wire::kIpProtoIcmp;
    ip.ttl = std::uint8_t(m_hot.ipDefaultTtl);
    // Errors carry precedence "internetwork control"; replies keep the request's TOS.
    ip.tos = reply ? iph.tos() : std::uint8_t((iph.tos() & 0x1e) | 0xc0);
    ip.dontFragment = false; // the ICMP socket uses IP_PMTUDISC_DONT
    ip.payloadLength = std::uint16_t(icmp.bufferLength());
    ip.ident = nextIpId(ip.dst, ip.protocol);
    ip.writeTo(std::span<std::uint8_t>(out.data).subspan(wire::kEthHeaderLen, 20));
    icmp.writeTo(std::span<std::uint8_t>(out.data).subspan(wire::kEthHeaderLen + 20));
    out.l3Length = std::uint32_t(ipLen);
    out.transport = std::uint16_t(wire::kEthHeaderLen + 20);
    out.dst = rt.dst;
    out.truesize = ipAppendDataTruesize(std::uint32_t(ipLen));
    m_counters.addIcmpMsgOut(type);
    m_counters.add(Mib::IcmpOutMsgs);
    SS_TRACE(out, from, Verdict::Continue,
          fmt::format("ICMP type {} code {} to {} from {} (about packet #{})", type, code,
                      ip.dst.toString(), ip.src.toString(), in.id),
          DropReason::None, true);
    const PacketId id = out.id;
    ip_local_out(std::move(out));
    // ip_push_pending_frames -> ip_send_skb: a qdisc or netfilter drop is an output discard.
    if (xmitDropped(id) || xmitRefused(id)) m_counters.add(Mib::IpOutDiscards);
}

} // namespace stackscope::stack
