// SPDX-License-Identifier: GPL-3.0-or-later
// The match functions (ip_packet_match, xt_tcpudp, xt_multiport, xt_conntrack,
// nft_limit ...) with an optional account of the first failure.
#include "netfilter/match.h"

#include "netfilter/rule_format.h"
#include "netfilter/rule_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace stackscope::netfilter {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t off) {
    return std::uint16_t((b[off] << 8) | b[off + 1]);
}
std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t off) {
    return (std::uint32_t(b[off]) << 24) | (std::uint32_t(b[off + 1]) << 16) |
           (std::uint32_t(b[off + 2]) << 8) | b[off + 3];
}

bool ifaceMatches(const std::array<char, 16>& name, std::uint8_t len, bool wildcard,
                  std::string_view dev) {
    if (wildcard)
        return dev.size() >= len && std::equal(name.begin(), name.begin() + len, dev.begin());
    return dev.size() + 1 == len && std::equal(dev.begin(), dev.end(), name.begin());
}

AddrType defaultAddrType(wire::Ipv4Address a) {
    if (a.isLimitedBroadcast()) return AddrType::Broadcast;
    if (a.isMulticast()) return AddrType::Multicast;
    if (a.isAny()) return AddrType::Unspec;
    return AddrType::Unicast;
}

bool inRange(std::uint16_t v, std::uint16_t lo, std::uint16_t hi) {
    return v >= lo && v <= hi;
}

std::string ip4(std::uint32_t a) {
    return wire::Ipv4Address{a}.toString();
}
const char* neg(bool inv) {
    return inv ? "! " : "";
}

// Records the failure when someone asked for it; always returns false.
// Both texts are made only when asked for: the walk calls this on every miss.
template <typename Option, typename Detail>
bool fail(MatchFailure* why, Option&& option, Detail&& detail) {
    if (why) {
        why->option = option();
        why->detail = detail();
    }
    return false;
}

std::string l4Missing(const PacketFields& f, std::string_view what) {
    return f.fragment ? fmt::format("packet is a non-first fragment, it carries no {} header", what)
                      : fmt::format("the {} header is truncated", what);
}

bool matchOne(Match& m, const PacketFields& f, const PacketInfo& p, Nanos now, MatchFailure* why) {
    switch (m.kind) {
    case MatchKind::Tcp:
    case MatchKind::Udp: {
        const char* name = m.kind == MatchKind::Tcp ? "tcp" : "udp";
        if (f.fragment || !f.l4)
            return fail(
                why, [&] { return fmt::format("-m {}", name); },
                [&] { return l4Missing(f, name); });
        if (m.hasSport && inRange(f.sport, m.sportLo, m.sportHi) == m.invSport)
            return fail(
                why,
                [&] {
                    return fmt::format("{}--sport {}", neg(m.invSport),
                                       portRangeText(m.sportLo, m.sportHi));
                },
                [&] { return fmt::format("source port is {}", f.sport); });
        if (m.hasDport && inRange(f.dport, m.dportLo, m.dportHi) == m.invDport)
            return fail(
                why,
                [&] {
                    return fmt::format("{}--dport {}", neg(m.invDport),
                                       portRangeText(m.dportLo, m.dportHi));
                },
                [&] { return fmt::format("destination port is {}", f.dport); });
        if (m.hasFlags && (((f.tcpFlags & m.flagMask) == m.flagComp) == m.invFlags))
            return fail(
                why,
                [&] {
                    return fmt::format("{}--tcp-flags {} {}", neg(m.invFlags),
                                       tcpFlagNames(m.flagMask), tcpFlagNames(m.flagComp));
                },
                [&] { return fmt::format("TCP flags are {}", tcpFlagNames(f.tcpFlags & 0x3f)); });
        return true;
    }
    case MatchKind::Icmp: {
        auto option = [&] {
            if (m.icmpType == 0xff) return fmt::format("{}--icmp-type any", neg(m.invert));
            if (m.codeLo == m.codeHi)
                return fmt::format("{}--icmp-type {}/{}", neg(m.invert), m.icmpType, m.codeLo);
            return fmt::format("{}--icmp-type {}", neg(m.invert), m.icmpType);
        };
        if (f.fragment || !f.l4)
            return fail(
                why, [&] { return std::string("-m icmp"); }, [&] { return l4Missing(f, "icmp"); });
        bool hit = m.icmpType == 0xff ||
                   (f.icmpType == m.icmpType && f.icmpCode >= m.codeLo && f.icmpCode <= m.codeHi);
        if (hit == m.invert)
            return fail(why, option, [&] {
                return fmt::format("ICMP type {} code {}", f.icmpType, f.icmpCode);
            });
        return true;
    }
    case MatchKind::Multiport: {
        if (f.fragment || !f.l4)
            return fail(
                why, [&] { return std::string("-m multiport"); },
                [&] { return l4Missing(f, protocolName(f.proto)); });
        bool hit = false;
        for (int k = 0; k < m.portCount && !hit; ++k) {
            std::uint16_t lo = m.ports[k], hi = lo;
            if (m.rangeStart[k]) hi = m.ports[++k];
            bool s = inRange(f.sport, lo, hi), d = inRange(f.dport, lo, hi);
            hit = m.mpMode == MultiportMode::Source        ? s
                  : m.mpMode == MultiportMode::Destination ? d
                                                           : (s || d);
        }
        if (hit == m.invert) {
            const char* opt = m.mpMode == MultiportMode::Source        ? "--sports"
                              : m.mpMode == MultiportMode::Destination ? "--dports"
                                                                       : "--ports";
            return fail(
                why, [&] { return fmt::format("{}{} {}", neg(m.invert), opt, multiportText(m)); },
                [&] {
                    if (m.mpMode == MultiportMode::Source)
                        return fmt::format("source port is {}", f.sport);
                    if (m.mpMode == MultiportMode::Destination)
                        return fmt::format("destination port is {}", f.dport);
                    return fmt::format("ports are {} -> {}", f.sport, f.dport);
                });
        }
        return true;
    }
    case MatchKind::Conntrack:
    case MatchKind::State: {
        std::uint16_t bits = packetStateBit(p);
        if (m.kind == MatchKind::Conntrack) {
            if (p.ctSnat) bits |= kStateSnat;
            if (p.ctDnat) bits |= kStateDnat;
        }
        if (((bits & m.stateMask) != 0) == m.invert)
            return fail(
                why,
                [&] {
                    return fmt::format("{}{} {}", neg(m.invert),
                                       m.kind == MatchKind::Conntrack ? "--ctstate" : "--state",
                                       stateNames(m.stateMask));
                },
                [&] { return fmt::format("connection state is {}", stateNames(bits)); });
        return true;
    }
    case MatchKind::Mark:
        if (((p.mark & m.markMask) == m.markValue) == m.invert) {
            auto opt = [&] {
                std::string o = fmt::format("{}--mark 0x{:x}", neg(m.invert), m.markValue);
                if (m.markMask != 0xffffffffu) o += fmt::format("/0x{:x}", m.markMask);
                return o;
            };
            return fail(why, opt, [&] { return fmt::format("packet mark is 0x{:x}", p.mark); });
        }
        return true;
    case MatchKind::Comment:
        return true;
    case MatchKind::Limit: {
        // nft_limit_eval: tokens are nanoseconds of credit, one packet costs unit/rate.
        std::uint64_t cost = m.limitUnit * 1'000'000'000ull / m.limitRate;
        std::uint64_t max = cost * m.limitBurst;
        if (!m.limit.started) {
            m.limit = {true, max, now};
        }
        std::uint64_t elapsed = now > m.limit.last ? std::uint64_t(now - m.limit.last) : 0;
        std::uint64_t tokens = std::min(m.limit.tokens + elapsed, max);
        m.limit.last = now;
        if (tokens >= cost) {
            m.limit.tokens = tokens - cost;
            return true;
        }
        m.limit.tokens = tokens;
        return fail(
            why, [&] { return fmt::format("--limit {}", rateText(m.limitAvg)); },
            [&] {
                return fmt::format("the rate limit is exhausted (burst {} used up)", m.limitBurst);
            });
    }
    case MatchKind::IpRange:
        if (m.hasSrcRange && ((f.src >= m.srcLo && f.src <= m.srcHi) == m.invSrcRange))
            return fail(
                why,
                [&] {
                    return fmt::format("{}--src-range {}-{}", neg(m.invSrcRange), ip4(m.srcLo),
                                       ip4(m.srcHi));
                },
                [&] { return "source is " + ip4(f.src); });
        if (m.hasDstRange && ((f.dst >= m.dstLo && f.dst <= m.dstHi) == m.invDstRange))
            return fail(
                why,
                [&] {
                    return fmt::format("{}--dst-range {}-{}", neg(m.invDstRange), ip4(m.dstLo),
                                       ip4(m.dstHi));
                },
                [&] { return "destination is " + ip4(f.dst); });
        return true;
    case MatchKind::AddrType: {
        auto type = [&](std::uint32_t a, std::string_view dev) {
            wire::Ipv4Address addr{a};
            return p.addrType ? p.addrType->classify(addr, dev) : defaultAddrType(addr);
        };
        std::string_view dev = m.limitIfaceIn    ? p.inDev
                               : m.limitIfaceOut ? p.outDev
                                                 : std::string_view{};
        if (m.srcTypes) {
            AddrType t = type(f.src, dev);
            if ((((m.srcTypes >> unsigned(t)) & 1) != 0) == m.invSrcType)
                return fail(
                    why,
                    [&] {
                        return fmt::format("{}--src-type {}", neg(m.invSrcType),
                                           addrTypeNames(m.srcTypes));
                    },
                    [&] {
                        return fmt::format("source {} is {}", ip4(f.src),
                                           addrTypeNames(std::uint16_t(1u << unsigned(t))));
                    });
        }
        if (m.dstTypes) {
            AddrType t = type(f.dst, dev);
            if ((((m.dstTypes >> unsigned(t)) & 1) != 0) == m.invDstType)
                return fail(
                    why,
                    [&] {
                        return fmt::format("{}--dst-type {}", neg(m.invDstType),
                                           addrTypeNames(m.dstTypes));
                    },
                    [&] {
                        return fmt::format("destination {} is {}", ip4(f.dst),
                                           addrTypeNames(std::uint16_t(1u << unsigned(t))));
                    });
        }
        return true;
    }
    case MatchKind::Length:
        if (inRange(f.totLen, m.lenMin, m.lenMax) == m.invert)
            return fail(
                why,
                [&] {
                    return fmt::format("{}--length {}", neg(m.invert),
                                       portRangeText(m.lenMin, m.lenMax));
                },
                [&] { return fmt::format("IP length is {}", f.totLen); });
        return true;
    case MatchKind::Ttl: {
        bool hit = false;
        const char* opt = "--ttl-eq";
        switch (m.ttlMode) {
        case TtlMode::Eq:
            hit = f.ttl == m.ttl;
            break;
        case TtlMode::Ne:
            hit = f.ttl != m.ttl, opt = "! --ttl-eq";
            break;
        case TtlMode::Lt:
            hit = f.ttl < m.ttl, opt = "--ttl-lt";
            break;
        case TtlMode::Gt:
            hit = f.ttl > m.ttl, opt = "--ttl-gt";
            break;
        }
        if (!hit)
            return fail(
                why, [&] { return fmt::format("{} {}", opt, m.ttl); },
                [&] { return fmt::format("TTL is {}", f.ttl); });
        return true;
    }
    case MatchKind::PktType:
        if ((p.pktType == m.pktType) == m.invert)
            return fail(
                why,
                [&] {
                    return fmt::format("{}--pkt-type {}", neg(m.invert), pktTypeText(m.pktType));
                },
                [&] { return fmt::format("packet type is {}", pktTypeText(p.pktType)); });
        return true;
    }
    return false;
}

bool ipMatches(const IpPart& ip, const PacketFields& f, const PacketInfo& p, MatchFailure* why) {
    if (((f.src & ip.srcMask) != ip.src) != ip.invSrc)
        return fail(
            why,
            [&] {
                return fmt::format("{}-s {}", neg(ip.invSrc), addressMaskText(ip.src, ip.srcMask));
            },
            [&] { return "source is " + ip4(f.src); });
    if (((f.dst & ip.dstMask) != ip.dst) != ip.invDst)
        return fail(
            why,
            [&] {
                return fmt::format("{}-d {}", neg(ip.invDst), addressMaskText(ip.dst, ip.dstMask));
            },
            [&] { return "destination is " + ip4(f.dst); });
    auto dev = [](std::string_view side, std::string_view name) {
        return name.empty() ? fmt::format("the packet has no {} interface", side)
                            : fmt::format("{} interface is {}", side, name);
    };
    if (ip.inLen && ifaceMatches(ip.inIface, ip.inLen, ip.inWildcard, p.inDev) == ip.invIn)
        return fail(
            why, [&] { return fmt::format("{}-i {}", neg(ip.invIn), ip.inIface.data()); },
            [&] { return dev("input", p.inDev); });
    if (ip.outLen && ifaceMatches(ip.outIface, ip.outLen, ip.outWildcard, p.outDev) == ip.invOut)
        return fail(
            why, [&] { return fmt::format("{}-o {}", neg(ip.invOut), ip.outIface.data()); },
            [&] { return dev("output", p.outDev); });
    if (ip.proto && (f.proto == ip.proto) == ip.invProto)
        return fail(
            why, [&] { return fmt::format("{}-p {}", neg(ip.invProto), protocolName(ip.proto)); },
            [&] { return "packet is " + protocolName(f.proto); });
    if (ip.frag && f.fragment == ip.invFrag)
        return fail(
            why, [&] { return fmt::format("{}-f", neg(ip.invFrag)); },
            [&] {
                return std::string(f.fragment ? "packet is a non-first fragment"
                                              : "packet is not a non-first fragment");
            });
    return true;
}

} // namespace

PacketFields readPacketFields(std::span<const std::uint8_t> ip) {
    PacketFields f;
    if (ip.size() < 20 || (ip[0] >> 4) != 4) return f;
    f.ihl = std::size_t(ip[0] & 0x0f) * 4;
    if (f.ihl < 20 || ip.size() < f.ihl) return f;
    f.valid = true;
    f.tos = ip[1];
    f.totLen = be16(ip, 2);
    f.id = be16(ip, 4);
    f.fragField = be16(ip, 6);
    f.ttl = ip[8];
    f.proto = ip[9];
    f.src = be32(ip, 12);
    f.dst = be32(ip, 16);
    f.fragment = (f.fragField & 0x1fff) != 0;
    if (f.fragment) return f;
    auto l4 = ip.subspan(f.ihl);
    if ((f.proto == 6 && l4.size() >= 14) ||
        ((f.proto == 17 || f.proto == 132 || f.proto == 136) && l4.size() >= 4)) {
        f.sport = be16(l4, 0);
        f.dport = be16(l4, 2);
        if (f.proto == 6) f.tcpFlags = l4[13];
        f.l4 = true;
    } else if (f.proto == 1 && l4.size() >= 2) {
        f.icmpType = l4[0];
        f.icmpCode = l4[1];
        f.l4 = true;
    }
    return f;
}

std::uint16_t packetStateBit(const PacketInfo& p) {
    switch (p.ctState) {
    case CtState::New:
        return kStateNew;
    case CtState::Established:
        return kStateEstablished;
    case CtState::Related:
        return kStateRelated;
    case CtState::Invalid:
        return kStateInvalid;
    case CtState::Untracked:
        return kStateUntracked;
    }
    return kStateInvalid;
}

bool ruleMatches(Rule& rule, const PacketFields& f, const PacketInfo& p, Nanos now,
                 MatchFailure* why) {
    if (!f.valid)
        return fail(
            why, [] { return std::string(); },
            [] { return std::string("the packet has no valid IPv4 header"); });
    if (!ipMatches(rule.ip, f, p, why)) return false;
    for (auto& m : rule.matches)
        if (!matchOne(m, f, p, now, why)) return false;
    return true;
}

QuickCheck quickCheckOf(const Rule& rule) {
    QuickCheck q;
    q.valid = true;
    q.src = rule.ip.src;
    q.srcMask = rule.ip.srcMask;
    q.invSrc = rule.ip.invSrc;
    q.dst = rule.ip.dst;
    q.dstMask = rule.ip.dstMask;
    q.invDst = rule.ip.invDst;
    q.proto = rule.ip.proto;
    q.invProto = rule.ip.invProto;
    for (const Match& m : rule.matches) {
        if (m.kind != MatchKind::Tcp && m.kind != MatchKind::Udp) continue;
        q.ports = true;
        q.hasSport = m.hasSport;
        q.invSport = m.invSport;
        q.sportLo = m.sportLo;
        q.sportHi = m.sportHi;
        q.hasDport = m.hasDport;
        q.invDport = m.invDport;
        q.dportLo = m.dportLo;
        q.dportHi = m.dportHi;
        break;
    }
    const IpPart& ip = rule.ip;
    const bool ipCovered = ip.inLen == 0 && ip.outLen == 0 && !ip.frag;
    const bool matchesCovered =
        rule.matches.empty() ||
        (rule.matches.size() == 1 &&
         (rule.matches[0].kind == MatchKind::Tcp || rule.matches[0].kind == MatchKind::Udp) &&
         !rule.matches[0].hasFlags);
    q.complete = ipCovered && matchesCovered;
    return q;
}

} // namespace stackscope::netfilter
