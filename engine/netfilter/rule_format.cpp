// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/rule_format.h"

#include "netfilter/rule_parser.h"

#include <fmt/format.h>

namespace stackscope::netfilter {

namespace {

std::string addr(std::uint32_t a) {
    return wire::Ipv4Address{a}.toString();
}

// xtables_ipmask_to_numeric: "/len" for contiguous masks, "/a.b.c.d" otherwise; "" for /32 in -L.
std::string maskSuffix(std::uint32_t mask, bool listing) {
    int len = 0;
    std::uint32_t m = mask;
    while (m & 0x80000000u) {
        ++len;
        m <<= 1;
    }
    if (m != 0) return "/" + addr(mask);
    if (listing && len == 32) return "";
    return fmt::format("/{}", len);
}

std::string ifaceName(const std::array<char, 16>& n) {
    return std::string(n.data());
}

} // namespace

std::string addressMaskText(std::uint32_t address, std::uint32_t mask) {
    return addr(address) + maskSuffix(mask, false);
}

std::string portRangeText(std::uint16_t lo, std::uint16_t hi) {
    return lo == hi ? fmt::format("{}", lo) : fmt::format("{}:{}", lo, hi);
}

std::string tcpFlagNames(std::uint8_t flags) {
    static constexpr std::pair<const char*, std::uint8_t> kNames[] = {
        {"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04}, {"PSH", 0x08}, {"ACK", 0x10}, {"URG", 0x20}};
    std::string out;
    for (auto& [name, bit] : kNames)
        if (flags & bit) out += (out.empty() ? "" : ",") + std::string(name);
    return out.empty() ? "NONE" : out;
}

std::string stateNames(std::uint16_t mask) {
    static constexpr std::pair<std::uint16_t, const char*> kNames[] = {
        {kStateInvalid, "INVALID"},
        {kStateNew, "NEW"},
        {kStateRelated, "RELATED"},
        {kStateEstablished, "ESTABLISHED"},
        {kStateUntracked, "UNTRACKED"},
        {kStateSnat, "SNAT"},
        {kStateDnat, "DNAT"}};
    std::string out;
    for (auto& [bit, name] : kNames)
        if (mask & bit) out += (out.empty() ? "" : ",") + std::string(name);
    return out;
}

std::string addrTypeNames(std::uint16_t mask) {
    static constexpr const char* kNames[] = {"UNSPEC",   "UNICAST",   "LOCAL",     "BROADCAST",
                                             "ANYCAST",  "MULTICAST", "BLACKHOLE", "UNREACHABLE",
                                             "PROHIBIT", "THROW",     "NAT",       "XRESOLVE"};
    std::string out;
    for (int i = 0; i < 12; ++i)
        if (mask & (1u << i)) out += (out.empty() ? "" : ",") + std::string(kNames[i]);
    return out;
}

std::string multiportText(const Match& m) {
    std::string out;
    for (int k = 0; k < m.portCount; ++k) {
        if (k) out += ",";
        out += fmt::format("{}", m.ports[k]);
        if (m.rangeStart[k]) out += fmt::format(":{}", m.ports[++k]);
    }
    return out;
}

// print_rate of libxt_limit: the largest unit that divides evenly enough.
std::string rateText(std::uint32_t avg) {
    static constexpr std::pair<const char*, std::uint32_t> kRates[] = {
        {"day", 10000u * 86400u}, {"hour", 10000u * 3600u}, {"min", 10000u * 60u}, {"sec", 10000u}};
    std::size_t i = 1;
    for (; i < 4; ++i)
        if (avg > kRates[i].second || kRates[i].second / avg < kRates[i].second % avg) break;
    return fmt::format("{}/{}", kRates[i - 1].second / avg, kRates[i - 1].first);
}

std::string pktTypeText(PktType t) {
    switch (t) {
    case PktType::Host:
        return "unicast";
    case PktType::Broadcast:
        return "broadcast";
    case PktType::Multicast:
        return "multicast";
    case PktType::OtherHost:
        return "otherhost";
    case PktType::Outgoing:
        return "outgoing";
    }
    return "unicast";
}

namespace {

std::string natRange(const NatRange& r) {
    std::string out;
    if (r.hasAddress) {
        out += r.minAddress.toString();
        if (r.maxAddress != r.minAddress) out += "-" + r.maxAddress.toString();
    }
    if (r.hasPorts) {
        out += fmt::format(":{}", r.minPort);
        if (r.maxPort != r.minPort) out += fmt::format("-{}", r.maxPort);
    }
    return out;
}

// " --random --random-fully --persistent" (iptables-save) or " random ..." (-L), in that order.
std::string natFlags(const Target& t, std::string_view dashes) {
    std::string out;
    if (t.natRandom) out += fmt::format(" {}random", dashes);
    if (t.natRandomFully) out += fmt::format(" {}random-fully", dashes);
    if (t.natPersistent) out += fmt::format(" {}persistent", dashes);
    return out;
}

std::string toPorts(const NatRange& r) {
    return r.minPort == r.maxPort ? fmt::format("{}", r.minPort)
                                  : fmt::format("{}-{}", r.minPort, r.maxPort);
}

std::string targetName(const Target& t) {
    switch (t.kind) {
    case TargetKind::None:
        return "";
    case TargetKind::Accept:
        return "ACCEPT";
    case TargetKind::Drop:
        return "DROP";
    case TargetKind::Return:
        return "RETURN";
    case TargetKind::Jump:
    case TargetKind::Goto:
        return t.chain;
    case TargetKind::Reject:
        return "REJECT";
    case TargetKind::Log:
        return "LOG";
    case TargetKind::Mark:
        return "MARK";
    case TargetKind::Connmark:
        return "CONNMARK";
    case TargetKind::Ct:
        return "CT";
    case TargetKind::Notrack:
        return "NOTRACK";
    case TargetKind::Dnat:
        return "DNAT";
    case TargetKind::Snat:
        return "SNAT";
    case TargetKind::Masquerade:
        return "MASQUERADE";
    case TargetKind::Redirect:
        return "REDIRECT";
    case TargetKind::Ttl:
        return "TTL";
    case TargetKind::Trace:
        return "TRACE";
    }
    return "";
}

std::string markOp(const char* who, std::uint32_t value, std::uint32_t mask) {
    if (mask == 0xffffffffu) return fmt::format(" {} set 0x{:x}", who, value);
    if (value == 0) return fmt::format(" {} and 0x{:x}", who, ~mask);
    if (value == mask) return fmt::format(" {} or 0x{:x}", who, value);
    if (mask == 0) return fmt::format(" {} xor 0x{:x}", who, value);
    return fmt::format(" {} xset 0x{:x}/0x{:x}", who, value, mask);
}

} // namespace

std::string saveString(std::string_view value) {
    bool plain = !value.empty();
    for (char c : value)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) plain = false;
    if (plain) return std::string(value);
    std::string out = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\' || c == '\'') out += '\\';
        out += c;
    }
    return out + "\"";
}

namespace {
bool fullRange(std::uint16_t lo, std::uint16_t hi, bool inv) {
    return lo == 0 && hi == 0xffff && !inv;
}
} // namespace

std::string formatRuleSpec(const Rule& rule) {
    std::string o;
    const auto& ip = rule.ip;
    auto neg = [](bool inv) { return inv ? " !" : ""; };
    if (ip.srcMask || ip.invSrc)
        o += fmt::format("{} -s {}{}", neg(ip.invSrc), addr(ip.src), maskSuffix(ip.srcMask, false));
    if (ip.dstMask || ip.invDst)
        o += fmt::format("{} -d {}{}", neg(ip.invDst), addr(ip.dst), maskSuffix(ip.dstMask, false));
    // "-i +" matches every name and iptables-nft leaves it out; "! -i +" stays.
    if (ip.inIface[0] && (ip.inLen || ip.invIn))
        o += fmt::format("{} -i {}", neg(ip.invIn), ifaceName(ip.inIface));
    if (ip.outIface[0] && (ip.outLen || ip.invOut))
        o += fmt::format("{} -o {}", neg(ip.invOut), ifaceName(ip.outIface));
    if (ip.proto) o += fmt::format("{} -p {}", neg(ip.invProto), protocolName(ip.proto));
    if (ip.frag) o += fmt::format("{} -f", neg(ip.invFrag));
    for (const auto& m : rule.matches) {
        switch (m.kind) {
        case MatchKind::Tcp:
        case MatchKind::Udp:
            o += m.kind == MatchKind::Tcp ? " -m tcp" : " -m udp";
            // A full range or an empty flag mask tests nothing; iptables-nft leaves it out.
            if (m.hasSport && !fullRange(m.sportLo, m.sportHi, m.invSport))
                o += fmt::format("{} --sport {}", neg(m.invSport),
                                 portRangeText(m.sportLo, m.sportHi));
            if (m.hasDport && !fullRange(m.dportLo, m.dportHi, m.invDport))
                o += fmt::format("{} --dport {}", neg(m.invDport),
                                 portRangeText(m.dportLo, m.dportHi));
            if (m.hasFlags && (m.flagMask || m.invFlags))
                o += fmt::format("{} --tcp-flags {} {}", neg(m.invFlags), tcpFlagNames(m.flagMask),
                                 tcpFlagNames(m.flagComp));
            break;
        case MatchKind::Icmp:
            o += " -m icmp";
            o += neg(m.invert);
            if (m.icmpType == 0xff)
                o += " --icmp-type any";
            else {
                o += fmt::format(" --icmp-type {}", m.icmpType);
                if (m.codeLo == m.codeHi) o += fmt::format("/{}", m.codeLo);
            }
            break;
        case MatchKind::Multiport:
            o += " -m multiport";
            o += neg(m.invert);
            o += m.mpMode == MultiportMode::Source        ? " --sports "
                 : m.mpMode == MultiportMode::Destination ? " --dports "
                                                          : " --ports ";
            o += multiportText(m);
            break;
        case MatchKind::Conntrack:
            o +=
                fmt::format(" -m conntrack{} --ctstate {}", neg(m.invert), stateNames(m.stateMask));
            break;
        case MatchKind::State:
            o += fmt::format(" -m state{} --state {}", neg(m.invert), stateNames(m.stateMask));
            break;
        case MatchKind::Mark:
            o += fmt::format(" -m mark{} --mark 0x{:x}", neg(m.invert), m.markValue);
            if (m.markMask != 0xffffffffu) o += fmt::format("/0x{:x}", m.markMask);
            break;
        case MatchKind::Comment:
            o += " -m comment --comment " + saveString(m.comment);
            break;
        case MatchKind::Limit:
            o += " -m limit --limit " + rateText(m.limitAvg);
            if (m.limitBurst != 5) o += fmt::format(" --limit-burst {}", m.limitBurst);
            break;
        case MatchKind::IpRange:
            o += " -m iprange";
            if (m.hasSrcRange)
                o += fmt::format("{} --src-range {}-{}", neg(m.invSrcRange), addr(m.srcLo),
                                 addr(m.srcHi));
            if (m.hasDstRange)
                o += fmt::format("{} --dst-range {}-{}", neg(m.invDstRange), addr(m.dstLo),
                                 addr(m.dstHi));
            break;
        case MatchKind::AddrType:
            o += " -m addrtype";
            if (m.srcTypes)
                o += fmt::format("{} --src-type {}", neg(m.invSrcType), addrTypeNames(m.srcTypes));
            if (m.dstTypes)
                o += fmt::format("{} --dst-type {}", neg(m.invDstType), addrTypeNames(m.dstTypes));
            if (m.limitIfaceIn) o += " --limit-iface-in";
            if (m.limitIfaceOut) o += " --limit-iface-out";
            break;
        case MatchKind::Length:
            o += fmt::format(" -m length{} --length {}", neg(m.invert),
                             portRangeText(m.lenMin, m.lenMax));
            break;
        case MatchKind::Ttl:
            o += " -m ttl";
            if (m.ttlMode == TtlMode::Eq)
                o += fmt::format(" --ttl-eq {}", m.ttl);
            else if (m.ttlMode == TtlMode::Ne)
                o += fmt::format(" ! --ttl-eq {}", m.ttl);
            else if (m.ttlMode == TtlMode::Gt)
                o += fmt::format(" --ttl-gt {}", m.ttl);
            else
                o += fmt::format(" --ttl-lt {}", m.ttl);
            break;
        case MatchKind::PktType:
            o += fmt::format(" -m pkttype{} --pkt-type {}", neg(m.invert), pktTypeText(m.pktType));
            break;
        }
    }
    const Target& t = rule.target;
    if (t.kind == TargetKind::None) return o;
    o += (t.kind == TargetKind::Goto ? " -g " : " -j ") + targetName(t);
    switch (t.kind) {
    case TargetKind::Reject:
        o += " --reject-with " + std::string(rejectWithName(t.reject));
        break;
    case TargetKind::Log:
        if (!t.logPrefix.empty()) o += " --log-prefix " + saveString(t.logPrefix);
        if (t.logLevel != 4) o += fmt::format(" --log-level {}", t.logLevel);
        if (t.logFlags & kLogTcpSeq) o += " --log-tcp-sequence";
        if (t.logFlags & kLogTcpOpt) o += " --log-tcp-options";
        if (t.logFlags & kLogIpOpt) o += " --log-ip-options";
        if (t.logFlags & kLogUid) o += " --log-uid";
        if (t.logFlags & kLogMacDecode) o += " --log-macdecode";
        break;
    case TargetKind::Mark:
        o += fmt::format(" --set-xmark 0x{:x}/0x{:x}", t.markValue, t.markMask);
        break;
    case TargetKind::Connmark:
        if (t.connmarkMode == ConnmarkMode::Set)
            o += fmt::format(" --set-xmark 0x{:x}/0x{:x}", t.markValue, t.markMask);
        else
            o +=
                fmt::format(" {} --nfmask 0x{:x} --ctmask 0x{:x}",
                            t.connmarkMode == ConnmarkMode::Save ? "--save-mark" : "--restore-mark",
                            t.nfmask, t.ctmask);
        break;
    case TargetKind::Ct:
        if (t.ctNotrack) o += " --notrack";
        break;
    case TargetKind::Dnat:
        o += " --to-destination " + natRange(t.nat) + natFlags(t, "--");
        break;
    case TargetKind::Snat:
        o += " --to-source " + natRange(t.nat) + natFlags(t, "--");
        break;
    case TargetKind::Masquerade:
    case TargetKind::Redirect:
        if (t.nat.hasPorts) o += " --to-ports " + toPorts(t.nat);
        o += natFlags(t, "--");
        break;
    case TargetKind::Ttl:
        o += fmt::format(" --ttl-{} {}",
                         t.ttlMode == TtlTargetMode::Set   ? "set"
                         : t.ttlMode == TtlTargetMode::Dec ? "dec"
                                                           : "inc",
                         t.ttlValue);
        break;
    default:
        break;
    }
    return o;
}

std::string formatListRow(const Rule& rule) {
    const auto& ip = rule.ip;
    std::string o = fmt::format("{:>8} {:>8} {:<9} {}{:<5}", rule.packets, rule.bytes,
                                rule.target.kind == TargetKind::Notrack ? std::string("CT")
                                                                        : targetName(rule.target),
                                ip.invProto ? '!' : ' ', ip.proto);
    o += ip.invFrag ? '!' : '-';
    o += ip.frag ? 'f' : '-';
    o += ' ';
    auto iface = [](bool inv, const std::array<char, 16>& n) {
        return std::string(inv ? "!" : "") + (n[0] ? std::string(n.data()) : std::string("*"));
    };
    o += fmt::format(" {:<6} ", iface(ip.invIn, ip.inIface));
    o += fmt::format("{:<6} ", iface(ip.invOut, ip.outIface));
    o += ip.invSrc ? '!' : ' ';
    o += fmt::format("{:<19} ", addr(ip.src) + maskSuffix(ip.srcMask, true));
    o += ip.invDst ? '!' : ' ';
    o += fmt::format("{:<19} ", addr(ip.dst) + maskSuffix(ip.dstMask, true));
    auto ports = [](const char* name, bool has, bool inv, std::uint16_t lo,
                    std::uint16_t hi) -> std::string {
        if (!has && !inv) return "";
        if (lo == 0 && hi == 0xffff && !inv) return "";
        if (lo == hi) return fmt::format(" {}:{}{}", name, inv ? "!" : "", lo);
        return fmt::format(" {}s:{}{}:{}", name, inv ? "!" : "", lo, hi);
    };
    for (const auto& m : rule.matches) {
        switch (m.kind) {
        case MatchKind::Tcp:
        case MatchKind::Udp:
            o += m.kind == MatchKind::Tcp ? " tcp" : " udp";
            o += ports("spt", m.hasSport, m.invSport, m.sportLo, m.sportHi);
            o += ports("dpt", m.hasDport, m.invDport, m.dportLo, m.dportHi);
            if (m.hasFlags)
                o += fmt::format(" flags:{}0x{:02X}/0x{:02X}", m.invFlags ? "!" : "", m.flagMask,
                                 m.flagComp);
            break;
        case MatchKind::Icmp:
            o += " icmp";
            if (m.invert) o += " !";
            o += fmt::format("type {}", m.icmpType);
            if (m.codeLo == m.codeHi)
                o += fmt::format(" code {}", m.codeLo);
            else if (m.codeLo != 0 || m.codeHi != 0xff)
                o += fmt::format(" codes {}-{}", m.codeLo, m.codeHi);
            break;
        case MatchKind::Multiport:
            o += fmt::format(" multiport {} ", m.mpMode == MultiportMode::Source        ? "sports"
                                               : m.mpMode == MultiportMode::Destination ? "dports"
                                                                                        : "ports");
            if (m.invert) o += " !";
            o += multiportText(m);
            break;
        case MatchKind::Conntrack:
            o += fmt::format("{} ctstate {}", m.invert ? " !" : "", stateNames(m.stateMask));
            break;
        case MatchKind::State:
            o += fmt::format("{} state {}", m.invert ? " !" : "", stateNames(m.stateMask));
            break;
        case MatchKind::Mark:
            o += fmt::format(" mark match {}0x{:x}", m.invert ? "! " : "", m.markValue);
            if (m.markMask != 0xffffffffu) o += fmt::format("/0x{:x}", m.markMask);
            break;
        case MatchKind::Comment:
            o += " /* " + m.comment + " */";
            break;
        case MatchKind::Limit:
            o += fmt::format(" limit: avg {} burst {}", rateText(m.limitAvg), m.limitBurst);
            break;
        case MatchKind::IpRange:
            if (m.hasSrcRange)
                o += fmt::format(" source IP range {}{}-{}", m.invSrcRange ? "! " : "",
                                 addr(m.srcLo), addr(m.srcHi));
            if (m.hasDstRange)
                o += fmt::format(" destination IP range {}{}-{}", m.invDstRange ? "! " : "",
                                 addr(m.dstLo), addr(m.dstHi));
            break;
        case MatchKind::AddrType:
            o += " ADDRTYPE match";
            if (m.srcTypes)
                o += fmt::format(" src-type {}{}", m.invSrcType ? "!" : "",
                                 addrTypeNames(m.srcTypes));
            if (m.dstTypes)
                o += fmt::format(" dst-type {}{}", m.invDstType ? "!" : "",
                                 addrTypeNames(m.dstTypes));
            if (m.limitIfaceIn) o += " limit-in";
            if (m.limitIfaceOut) o += " limit-out";
            break;
        case MatchKind::Length:
            o +=
                fmt::format(" length {}{}", m.invert ? "!" : "", portRangeText(m.lenMin, m.lenMax));
            break;
        case MatchKind::Ttl: {
            static constexpr const char* kOps[] = {"==", "!=", "<", ">"};
            o += fmt::format(" TTL match TTL {} {}", kOps[int(m.ttlMode)], m.ttl);
            break;
        }
        case MatchKind::PktType:
            o += fmt::format(" PKTTYPE {}= {}", m.invert ? "!" : "", pktTypeText(m.pktType));
            break;
        }
    }
    const Target& t = rule.target;
    switch (t.kind) {
    case TargetKind::Reject:
        o += " reject-with " + std::string(rejectWithName(t.reject));
        break;
    case TargetKind::Log:
        o += fmt::format(" LOG flags {} level {}", t.logFlags, t.logLevel);
        if (!t.logPrefix.empty()) o += " prefix \"" + t.logPrefix + "\"";
        break;
    case TargetKind::Mark:
        o += markOp("MARK", t.markValue, t.markMask);
        break;
    case TargetKind::Connmark:
        if (t.connmarkMode == ConnmarkMode::Set)
            o += markOp("CONNMARK", t.markValue, t.markMask);
        else {
            bool save = t.connmarkMode == ConnmarkMode::Save;
            o += save ? " CONNMARK save" : " CONNMARK restore";
            if (t.nfmask == t.ctmask) {
                if (t.nfmask != 0xffffffffu) o += fmt::format(" mask 0x{:x}", t.nfmask);
            } else if (save) {
                o += fmt::format(" nfmask 0x{:x} ctmask ~0x{:x}", t.nfmask, t.ctmask);
            } else {
                o += fmt::format(" ctmask 0x{:x} nfmask ~0x{:x}", t.ctmask, t.nfmask);
            }
        }
        break;
    case TargetKind::Ct:
        o += t.ctNotrack ? " CT notrack" : " CT";
        break;
    case TargetKind::Notrack:
        o += " NOTRACK";
        break;
    case TargetKind::Dnat:
    case TargetKind::Snat:
        o += " to:" + natRange(t.nat) + natFlags(t, "");
        break;
    case TargetKind::Masquerade:
        if (t.nat.hasPorts) o += " masq ports: " + toPorts(t.nat);
        o += natFlags(t, "");
        break;
    case TargetKind::Redirect:
        if (t.nat.hasPorts) o += " redir ports " + toPorts(t.nat);
        o += natFlags(t, "");
        break;
    case TargetKind::Ttl:
        o += fmt::format(" TTL {} {}",
                         t.ttlMode == TtlTargetMode::Set   ? "set to"
                         : t.ttlMode == TtlTargetMode::Dec ? "decrement by"
                                                           : "increment by",
                         t.ttlValue);
        break;
    default:
        break;
    }
    return o;
}

} // namespace stackscope::netfilter
