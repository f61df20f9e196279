// SPDX-License-Identifier: GPL-3.0-or-later
// Table traversal: the ipt_do_table / nft_do_chain walk over one hook's chain,
// the match functions (xt_tcpudp, xt_multiport, xt_conntrack, nft_limit ...).
#include "netfilter/ruleset.h"

#include "netfilter/nf_log.h"

#include <algorithm>
#include <array>

namespace stackscope::netfilter {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t off) {
    return std::uint16_t((b[off] << 8) | b[off + 1]);
}
std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t off) {
    return (std::uint32_t(b[off]) << 24) | (std::uint32_t(b[off + 1]) << 16) | (std::uint32_t(b[off + 2]) << 8) | b[off + 3];
}

// The header fields rules look at, read once per traversal (RFC 791 section 3.1 offsets).
struct Fields {
    bool valid = false;
    std::uint32_t src = 0, dst = 0;
    std::uint8_t proto = 0, ttl = 0, tos = 0;
    std::uint16_t totLen = 0, id = 0, fragField = 0;
    std::size_t ihl = 20;
    bool fragment = false; // non-first fragment: no transport header here
    bool l4 = false;       // transport header fields below are present
    std::uint16_t sport = 0, dport = 0;
    std::uint8_t tcpFlags = 0, icmpType = 0, icmpCode = 0;
};

Fields readFields(std::span<const std::uint8_t> ip) {
    Fields f;
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
    if ((f.proto == 6 && l4.size() >= 14) || ((f.proto == 17 || f.proto == 132 || f.proto == 136) && l4.size() >= 4)) {
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

bool ifaceMatches(const std::array<char, 16>& name, std::uint8_t len, bool wildcard, std::string_view dev) {
    if (wildcard) return dev.size() >= len && std::equal(name.begin(), name.begin() + len, dev.begin());
    return dev.size() + 1 == len && std::equal(dev.begin(), dev.end(), name.begin());
}

AddrType defaultAddrType(wire::Ipv4Address a) {
    if (a.isLimitedBroadcast()) return AddrType::Broadcast;
    if (a.isMulticast()) return AddrType::Multicast;
    if (a.isAny()) return AddrType::Unspec;
    return AddrType::Unicast;
}

std::uint16_t stateBit(const PacketInfo& p) {
    switch (p.ctState) {
    case CtState::New: return kStateNew;
    case CtState::Established: return kStateEstablished;
    case CtState::Related: return kStateRelated;
    case CtState::Invalid: return kStateInvalid;
    case CtState::Untracked: return kStateUntracked;
    }
    return kStateInvalid;
}

bool inRange(std::uint16_t v, std::uint16_t lo, std::uint16_t hi) { return v >= lo && v <= hi; }

bool matchOne(Match& m, const Fields& f, const PacketInfo& p, Nanos now) {
    switch (m.kind) {
    case MatchKind::Tcp:
    case MatchKind::Udp:
        if (f.fragment || !f.l4) return false;
        if (m.hasSport && inRange(f.sport, m.sportLo, m.sportHi) == m.invSport) return false;
        if (m.hasDport && inRange(f.dport, m.dportLo, m.dportHi) == m.invDport) return false;
        if (m.hasFlags && (((f.tcpFlags & m.flagMask) == m.flagComp) == m.invFlags)) return false;
        return true;
    case MatchKind::Icmp: {
        if (f.fragment || !f.l4) return false;
        bool hit = m.icmpType == 0xff || (f.icmpType == m.icmpType && f.icmpCode >= m.codeLo && f.icmpCode <= m.codeHi);
        return hit != m.invert;
    }
    case MatchKind::Multiport: {
        if (f.fragment || !f.l4) return false;
        bool hit = false;
        for (int k = 0; k < m.portCount && !hit; ++k) {
            std::uint16_t lo = m.ports[k], hi = lo;
            if (m.rangeStart[k]) hi = m.ports[++k];
            bool s = inRange(f.sport, lo, hi), d = inRange(f.dport, lo, hi);
            hit = m.mpMode == MultiportMode::Source ? s : m.mpMode == MultiportMode::Destination ? d : (s || d);
        }
        return hit != m.invert;
    }
    case MatchKind::Conntrack:
    case MatchKind::State: {
        std::uint16_t bits = stateBit(p);
        if (m.kind == MatchKind::Conntrack) {
            if (p.ctSnat) bits |= kStateSnat;
            if (p.ctDnat) bits |= kStateDnat;
        }
        return ((bits & m.stateMask) != 0) != m.invert;
    }
    case MatchKind::Mark: return ((p.mark & m.markMask) == m.markValue) != m.invert;
    case MatchKind::Comment: return true;
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
        return false;
    }
    case MatchKind::IpRange:
        if (m.hasSrcRange && ((f.src >= m.srcLo && f.src <= m.srcHi) == m.invSrcRange)) return false;
        if (m.hasDstRange && ((f.dst >= m.dstLo && f.dst <= m.dstHi) == m.invDstRange)) return false;
        return true;
    case MatchKind::AddrType: {
        auto type = [&](std::uint32_t a, std::string_view dev) {
            wire::Ipv4Address addr{a};
            return p.addrType && *p.addrType ? (*p.addrType)(addr, dev) : defaultAddrType(addr);
        };
        std::string_view dev = m.limitIfaceIn ? p.inDev : m.limitIfaceOut ? p.outDev : std::string_view{};
        if (m.srcTypes && (((m.srcTypes >> unsigned(type(f.src, dev))) & 1) != 0) == m.invSrcType) return false;
        if (m.dstTypes && (((m.dstTypes >> unsigned(type(f.dst, dev))) & 1) != 0) == m.invDstType) return false;
        return true;
    }
    case MatchKind::Length: return inRange(f.totLen, m.lenMin, m.lenMax) != m.invert;
    case MatchKind::Ttl:
        switch (m.ttlMode) {
        case TtlMode::Eq: return f.ttl == m.ttl;
        case TtlMode::Ne: return f.ttl != m.ttl;
        case TtlMode::Lt: return f.ttl < m.ttl;
        case TtlMode::Gt: return f.ttl > m.ttl;
        }
        return false;
    case MatchKind::PktType: return (p.pktType == m.pktType) != m.invert;
    }
    return false;
}

bool ipMatches(const IpPart& ip, const Fields& f, const PacketInfo& p) {
    if (((f.src & ip.srcMask) != ip.src) != ip.invSrc) return false;
    if (((f.dst & ip.dstMask) != ip.dst) != ip.invDst) return false;
    if (ip.inLen && ifaceMatches(ip.inIface, ip.inLen, ip.inWildcard, p.inDev) == ip.invIn) return false;
    if (ip.outLen && ifaceMatches(ip.outIface, ip.outLen, ip.outWildcard, p.outDev) == ip.invOut) return false;
    if (ip.proto && (f.proto == ip.proto) == ip.invProto) return false;
    if (ip.frag && f.fragment == ip.invFrag) return false;
    return true;
}

TraceVerdict traceVerdict(TargetKind kind) {
    switch (kind) {
    case TargetKind::Accept:
    case TargetKind::Dnat:
    case TargetKind::Snat:
    case TargetKind::Masquerade:
    case TargetKind::Redirect: return TraceVerdict::Accept;
    case TargetKind::Drop:
    case TargetKind::Reject: return TraceVerdict::Drop;
    case TargetKind::Return: return TraceVerdict::Return;
    case TargetKind::Jump: return TraceVerdict::Jump;
    case TargetKind::Goto: return TraceVerdict::Goto;
    default: return TraceVerdict::Continue;
    }
}

} // namespace

TraversalResult Ruleset::traverse(TableId tid, Hook hook, PacketInfo& packet, Nanos now, TraceSink* sink) {
    TraversalResult result;
    Table& t = m_tables[std::size_t(tid)];
    int start = -1;
    for (std::size_t k = 0; k < t.chains.size(); ++k)
        if (t.chains[k].builtin && t.chains[k].hook == hook) start = int(k);
    if (start < 0) return result;

    Fields f = readFields(packet.ip);
    const std::uint64_t len = packet.ip.size();
    // nft's jump stack holds 16 frames (NFT_JUMP_STACK_SIZE).
    std::array<std::pair<int, std::size_t>, 16> stack{};
    std::size_t depth = 0;
    int c = start;
    std::size_t r = 0;
    auto policy = [&]() {
        Chain& base = t.chains[std::size_t(start)];
        if (base.policyCounted) {
            base.packets += 1;
            base.bytes += len;
        }
        result.verdict = base.policy;
        result.byPolicy = true;
        result.chain = start;
        result.position = 0;
        if (sink) {
            TraceEntry e;
            e.table = tid;
            e.chain = base.name;
            e.policy = true;
            e.verdict = base.policy == Verdict::Accept ? TraceVerdict::Accept : TraceVerdict::Drop;
            sink->onRule(e);
        }
        return result;
    };
    auto decide = [&](Verdict v) {
        result.verdict = v;
        result.chain = c;
        result.position = int(r) + 1;
        return result;
    };
    while (true) {
        Chain& chain = t.chains[std::size_t(c)];
        if (r >= chain.rules.size()) {
            if (depth == 0) return policy();
            std::tie(c, r) = stack[--depth];
            ++r;
            continue;
        }
        Rule& rule = chain.rules[r];
        bool hit = f.valid && ipMatches(rule.ip, f, packet);
        for (std::size_t k = 0; hit && k < rule.matches.size(); ++k) hit = matchOne(rule.matches[k], f, packet, now);
        if (!hit) {
            ++r;
            continue;
        }
        rule.packets += 1;
        rule.bytes += len;
        Target& tg = rule.target;
        if (sink) {
            TraceEntry e;
            e.table = tid;
            e.chain = chain.name;
            e.position = int(r) + 1;
            e.handle = rule.handle;
            e.verdict = traceVerdict(tg.kind);
            if (tg.kind == TargetKind::Jump || tg.kind == TargetKind::Goto) e.jumpTarget = tg.chain;
            sink->onRule(e);
        }
        switch (tg.kind) {
        case TargetKind::Accept: return decide(Verdict::Accept);
        case TargetKind::Drop: return decide(Verdict::Drop);
        case TargetKind::Return:
            if (depth == 0) return policy();
            std::tie(c, r) = stack[--depth];
            ++r;
            continue;
        case TargetKind::Jump:
            if (depth == stack.size()) return decide(Verdict::Drop);
            stack[depth++] = {c, r};
            c = tg.chainIndex;
            r = 0;
            continue;
        case TargetKind::Goto:
            c = tg.chainIndex;
            r = 0;
            continue;
        case TargetKind::Reject:
            result.reject = tg.reject;
            return decide(Verdict::Drop);
        case TargetKind::Log: result.logs.push_back({tg.logLevel, nfLogIpPacket(packet, tg.logPrefix, tg.logFlags)}); break;
        case TargetKind::Mark:
            packet.mark = (packet.mark & ~tg.markMask) ^ tg.markValue;
            result.markChanged = true;
            break;
        case TargetKind::Connmark:
            if (packet.ctState == CtState::Invalid || packet.ctState == CtState::Untracked) break;
            if (tg.connmarkMode == ConnmarkMode::Set) {
                packet.ctmark = (packet.ctmark & ~tg.markMask) ^ tg.markValue;
                result.ctmarkChanged = true;
            } else if (tg.connmarkMode == ConnmarkMode::Save) {
                packet.ctmark = (packet.ctmark & ~tg.ctmask) ^ (packet.mark & tg.nfmask);
                result.ctmarkChanged = true;
            } else {
                packet.mark = (packet.mark & ~tg.nfmask) ^ (packet.ctmark & tg.ctmask);
                result.markChanged = true;
            }
            break;
        case TargetKind::Ct:
        case TargetKind::Notrack: result.notrack = true; break;
        case TargetKind::Trace: result.trace = true; break;
        case TargetKind::Dnat:
        case TargetKind::Snat:
        case TargetKind::Masquerade:
        case TargetKind::Redirect:
            result.nat.kind = tg.kind == TargetKind::Dnat ? NatKind::Dnat
                              : tg.kind == TargetKind::Snat ? NatKind::Snat
                              : tg.kind == TargetKind::Masquerade ? NatKind::Masquerade : NatKind::Redirect;
            result.nat.range = tg.nat;
            return decide(Verdict::Accept);
        case TargetKind::Ttl: {
            int v = tg.ttlMode == TtlTargetMode::Set ? tg.ttlValue
                    : tg.ttlMode == TtlTargetMode::Dec ? std::max(0, int(f.ttl) - tg.ttlValue)
                                                       : std::min(255, int(f.ttl) + tg.ttlValue);
            f.ttl = std::uint8_t(v);
            result.newTtl = f.ttl;
            break;
        }
        case TargetKind::None: break;
        }
        ++r;
    }
}

} // namespace stackscope::netfilter
