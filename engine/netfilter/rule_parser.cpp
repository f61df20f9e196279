// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/rule_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace stackscope::netfilter {

namespace {

struct ProtoName {
    std::uint8_t number;
    const char* name;
};
// /etc/protocols names iptables-save prints through getprotobynumber().
constexpr ProtoName kProtocols[] = {
    {1, "icmp"}, {2, "igmp"}, {4, "ipencap"}, {6, "tcp"}, {17, "udp"}, {41, "ipv6"},
    {47, "gre"}, {50, "esp"}, {51, "ah"}, {58, "ipv6-icmp"}, {89, "ospf"}, {103, "pim"},
    {112, "vrrp"}, {132, "sctp"}, {136, "udplite"},
};

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// strtoul(base 0) semantics for marks and masks: "0x1f", "017", "31".
std::optional<std::uint32_t> parseU32(std::string_view s) {
    if (s.empty()) return std::nullopt;
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    } else if (s.size() > 1 && s[0] == '0') {
        base = 8;
        s.remove_prefix(1);
    }
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc{} || p != s.data() + s.size() || v > 0xffffffffull) return std::nullopt;
    return std::uint32_t(v);
}

std::optional<std::uint32_t> parseDecimal(std::string_view s, std::uint32_t max) {
    std::uint64_t v = 0;
    if (s.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || v > max) return std::nullopt;
    return std::uint32_t(v);
}

std::optional<std::uint16_t> parsePort(std::string_view s) {
    static constexpr std::pair<const char*, std::uint16_t> kServices[] = {
        {"ftp", 21}, {"ssh", 22}, {"telnet", 23}, {"smtp", 25}, {"domain", 53}, {"http", 80},
        {"pop3", 110}, {"ntp", 123}, {"imap", 143}, {"snmp", 161}, {"https", 443}};
    if (auto v = parseDecimal(s, 65535)) return std::uint16_t(*v);
    for (auto& [name, port] : kServices)
        if (s == name) return port;
    return std::nullopt;
}

// "a", "a:b", ":b", "a:" as xtables_parse_port_range does.
bool parsePortRange(std::string_view s, std::uint16_t& lo, std::uint16_t& hi, std::string& err) {
    auto colon = s.find(':');
    auto bad = [&](std::string_view what) {
        err = "invalid port/service `" + std::string(what) + "' specified";
        return false;
    };
    if (colon == std::string_view::npos) {
        auto p = parsePort(s);
        if (!p) return bad(s);
        lo = hi = *p;
        return true;
    }
    auto a = s.substr(0, colon), b = s.substr(colon + 1);
    lo = 0;
    hi = 0xffff;
    if (!a.empty()) {
        auto p = parsePort(a);
        if (!p) return bad(a);
        lo = *p;
    }
    if (!b.empty()) {
        auto p = parsePort(b);
        if (!p) return bad(b);
        hi = *p;
    }
    if (lo > hi) std::swap(lo, hi);
    return true;
}

bool parseAddressMask(std::string_view s, std::uint32_t& addr, std::uint32_t& mask, std::string& err) {
    auto slash = s.find('/');
    auto host = s.substr(0, slash);
    auto a = wire::Ipv4Address::parse(host);
    if (!a) {
        err = "host/network `" + std::string(host) + "' not found";
        return false;
    }
    mask = 0xffffffffu;
    if (slash != std::string_view::npos) {
        auto m = s.substr(slash + 1);
        if (auto len = parseDecimal(m, 32)) {
            mask = wire::prefixMask(int(*len));
        } else if (auto dotted = wire::Ipv4Address::parse(m)) {
            mask = dotted->value;
        } else {
            err = "invalid mask `" + std::string(m) + "' specified";
            return false;
        }
    }
    addr = a->value & mask;
    return true;
}

bool parseIface(std::string_view s, std::array<char, 16>& name, std::uint8_t& len, bool& wildcard,
                std::string& err) {
    if (s.size() > 15) {
        err = "interface name `" + std::string(s) + "' must be shorter than IFNAMSIZ (16)";
        return false;
    }
    name = {};
    std::memcpy(name.data(), s.data(), s.size());
    wildcard = !s.empty() && s.back() == '+';
    len = std::uint8_t(wildcard ? s.size() - 1 : s.size() + 1);
    return true;
}

struct IcmpName {
    const char* name;
    std::uint8_t type, lo, hi;
};
constexpr IcmpName kIcmpNames[] = {
    {"any", 0xff, 0, 0xff}, {"echo-reply", 0, 0, 0xff}, {"pong", 0, 0, 0xff},
    {"destination-unreachable", 3, 0, 0xff}, {"network-unreachable", 3, 0, 0},
    {"host-unreachable", 3, 1, 1}, {"protocol-unreachable", 3, 2, 2},
    {"port-unreachable", 3, 3, 3}, {"fragmentation-needed", 3, 4, 4},
    {"source-route-failed", 3, 5, 5}, {"network-unknown", 3, 6, 6}, {"host-unknown", 3, 7, 7},
    {"network-prohibited", 3, 9, 9}, {"host-prohibited", 3, 10, 10},
    {"TOS-network-unreachable", 3, 11, 11}, {"TOS-host-unreachable", 3, 12, 12},
    {"communication-prohibited", 3, 13, 13}, {"host-precedence-violation", 3, 14, 14},
    {"precedence-cutoff", 3, 15, 15}, {"source-quench", 4, 0, 0xff}, {"redirect", 5, 0, 0xff},
    {"network-redirect", 5, 0, 0}, {"host-redirect", 5, 1, 1}, {"TOS-network-redirect", 5, 2, 2},
    {"TOS-host-redirect", 5, 3, 3}, {"echo-request", 8, 0, 0xff}, {"ping", 8, 0, 0xff},
    {"router-advertisement", 9, 0, 0xff}, {"router-solicitation", 10, 0, 0xff},
    {"time-exceeded", 11, 0, 0xff}, {"ttl-exceeded", 11, 0, 0xff},
    {"ttl-zero-during-transit", 11, 0, 0}, {"ttl-zero-during-reassembly", 11, 1, 1},
    {"parameter-problem", 12, 0, 0xff}, {"ip-header-bad", 12, 0, 0},
    {"required-option-missing", 12, 1, 1}, {"timestamp-request", 13, 0, 0xff},
    {"timestamp-reply", 14, 0, 0xff}, {"address-mask-request", 17, 0, 0xff},
    {"address-mask-reply", 18, 0, 0xff},
};

bool parseIcmpType(std::string_view s, Match& m, std::string& err) {
    for (const auto& n : kIcmpNames) {
        if (lower(n.name) == lower(s)) {
            m.icmpType = n.type;
            m.codeLo = n.lo;
            m.codeHi = n.hi;
            return true;
        }
    }
    auto slash = s.find('/');
    auto type = parseDecimal(s.substr(0, slash), 255);
    if (!type) {
        err = "Unknown ICMP type `" + std::string(s) + "'";
        return false;
    }
    m.icmpType = std::uint8_t(*type);
    m.codeLo = 0;
    m.codeHi = 0xff;
    if (slash != std::string_view::npos) {
        auto code = parseDecimal(s.substr(slash + 1), 255);
        if (!code) {
            err = "Invalid ICMP code `" + std::string(s.substr(slash + 1)) + "'";
            return false;
        }
        m.codeLo = m.codeHi = std::uint8_t(*code);
    }
    return true;
}

constexpr std::pair<const char*, std::uint8_t> kTcpFlags[] = {
    {"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04}, {"PSH", 0x08},
    {"ACK", 0x10}, {"URG", 0x20}, {"ALL", 0x3f}, {"NONE", 0x00}};

bool parseTcpFlags(std::string_view s, std::uint8_t& out, std::string& err) {
    out = 0;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto comma = s.find(',', start);
        auto word = s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
        bool found = false;
        for (auto& [name, bit] : kTcpFlags) {
            if (lower(name) == lower(word)) {
                out |= bit;
                found = true;
            }
        }
        if (!found) {
            err = "Unknown TCP flag `" + std::string(word) + "'";
            return false;
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return true;
}

bool parseStates(std::string_view s, bool conntrack, std::uint16_t& out, std::string& err) {
    out = 0;
    std::size_t start = 0;
    while (true) {
        auto comma = s.find(',', start);
        auto word = s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
        std::string w(word);
        if (w == "INVALID") out |= kStateInvalid;
        else if (w == "NEW") out |= kStateNew;
        else if (w == "ESTABLISHED") out |= kStateEstablished;
        else if (w == "RELATED") out |= kStateRelated;
        else if (w == "UNTRACKED") out |= kStateUntracked;
        else if (conntrack && w == "SNAT") out |= kStateSnat;
        else if (conntrack && w == "DNAT") out |= kStateDnat;
        else {
            err = conntrack ? "Bad ctstate \"" + w + "\"" : "Bad state \"" + w + "\"";
            return false;
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return true;
}

constexpr const char* kAddrTypeNames[] = {"UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST",
                                          "MULTICAST", "BLACKHOLE", "UNREACHABLE", "PROHIBIT",
                                          "THROW", "NAT", "XRESOLVE"};

bool parseAddrTypes(std::string_view s, std::uint16_t& out, std::string& err) {
    out = 0;
    std::size_t start = 0;
    while (true) {
        auto comma = s.find(',', start);
        auto word = s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
        bool found = false;
        for (int i = 0; i < 12; ++i)
            if (lower(kAddrTypeNames[i]) == lower(word)) {
                out |= std::uint16_t(1u << i);
                found = true;
            }
        if (!found) {
            err = "addrtype: bad type \"" + std::string(word) + "\"";
            return false;
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return true;
}

bool parseMarkMask(std::string_view s, std::uint32_t& value, std::uint32_t& mask, bool& hasMask) {
    auto slash = s.find('/');
    auto v = parseU32(s.substr(0, slash));
    if (!v) return false;
    value = *v;
    hasMask = slash != std::string_view::npos;
    mask = 0xffffffffu;
    if (hasMask) {
        auto m = parseU32(s.substr(slash + 1));
        if (!m) return false;
        mask = *m;
    }
    return true;
}

// "a.b.c.d[-e.f.g.h][:port[-port]]" (xt_nat's parse_to).
bool parseNatTo(std::string_view s, NatRange& r, std::string& err) {
    auto colon = s.find(':');
    auto addr = s.substr(0, colon);
    if (!addr.empty()) {
        auto dash = addr.find('-');
        auto lo = wire::Ipv4Address::parse(addr.substr(0, dash));
        auto hi = dash == std::string_view::npos ? lo : wire::Ipv4Address::parse(addr.substr(dash + 1));
        if (!lo || !hi) {
            err = "Bad IP address \"" + std::string(addr) + "\"";
            return false;
        }
        r.hasAddress = true;
        r.minAddress = *lo;
        r.maxAddress = *hi;
    }
    if (colon != std::string_view::npos) {
        auto ports = s.substr(colon + 1);
        auto dash = ports.find('-');
        auto lo = parseDecimal(ports.substr(0, dash), 65535);
        auto hi = dash == std::string_view::npos ? lo : parseDecimal(ports.substr(dash + 1), 65535);
        if (!lo || !hi || *lo == 0) {
            err = "Port \"" + std::string(ports) + "\" not valid";
            return false;
        }
        r.hasPorts = true;
        r.minPort = std::uint16_t(*lo);
        r.maxPort = std::uint16_t(*hi);
    }
    return true;
}

bool parseToPorts(std::string_view s, NatRange& r, std::string& err) {
    auto dash = s.find('-');
    auto lo = parseDecimal(s.substr(0, dash), 65535);
    auto hi = dash == std::string_view::npos ? lo : parseDecimal(s.substr(dash + 1), 65535);
    if (!lo || !hi) {
        err = "Port \"" + std::string(s) + "\" not valid";
        return false;
    }
    r.hasPorts = true;
    r.minPort = std::uint16_t(*lo);
    r.maxPort = std::uint16_t(*hi);
    return true;
}

std::optional<RejectWith> parseRejectWith(std::string_view s) {
    static constexpr std::pair<const char*, RejectWith> kNames[] = {
        {"icmp-net-unreachable", RejectWith::NetUnreachable}, {"net-unreach", RejectWith::NetUnreachable},
        {"icmp-host-unreachable", RejectWith::HostUnreachable}, {"host-unreach", RejectWith::HostUnreachable},
        {"icmp-port-unreachable", RejectWith::PortUnreachable}, {"port-unreach", RejectWith::PortUnreachable},
        {"icmp-proto-unreachable", RejectWith::ProtoUnreachable}, {"proto-unreach", RejectWith::ProtoUnreachable},
        {"icmp-net-prohibited", RejectWith::NetProhibited}, {"net-prohib", RejectWith::NetProhibited},
        {"icmp-host-prohibited", RejectWith::HostProhibited}, {"host-prohib", RejectWith::HostProhibited},
        {"icmp-admin-prohibited", RejectWith::AdminProhibited}, {"admin-prohib", RejectWith::AdminProhibited},
        {"tcp-reset", RejectWith::TcpReset}, {"tcp-rst", RejectWith::TcpReset}};
    for (auto& [name, with] : kNames)
        if (s == name) return with;
    return std::nullopt;
}

std::optional<std::uint8_t> parseLogLevel(std::string_view s) {
    static constexpr std::pair<const char*, std::uint8_t> kLevels[] = {
        {"emerg", 0}, {"panic", 0}, {"alert", 1}, {"crit", 2}, {"err", 3}, {"error", 3},
        {"warning", 4}, {"warn", 4}, {"notice", 5}, {"info", 6}, {"debug", 7}};
    if (auto v = parseDecimal(s, 7)) return std::uint8_t(*v);
    for (auto& [name, level] : kLevels)
        if (lower(s) == name) return level;
    return std::nullopt;
}

// xtables' limit rate: N/sec|minute|hour|day (any prefix of the unit), default /sec.
bool parseRate(std::string_view s, std::uint32_t& avg) {
    auto slash = s.find('/');
    std::uint32_t mult = 1;
    if (slash != std::string_view::npos) {
        auto unit = s.substr(slash + 1);
        if (unit.empty()) return false;
        auto is = [&](std::string_view full) { return unit.size() <= full.size() && full.substr(0, unit.size()) == unit; };
        if (is("second")) mult = 1;
        else if (is("minute")) mult = 60;
        else if (is("hour")) mult = 3600;
        else if (is("day")) mult = 86400;
        else return false;
    }
    auto n = parseDecimal(s.substr(0, slash), 0xffffffffu);
    if (!n || *n == 0) return false;
    avg = std::uint32_t(10000ull * mult / *n);
    return true;
}

bool isPortProto(std::uint8_t p) { return p == 6 || p == 17 || p == 132 || p == 33 || p == 136; }

} // namespace

std::optional<std::uint8_t> parseProtocol(std::string_view text) {
    auto t = lower(text);
    if (t == "all") return 0;
    if (auto v = parseDecimal(t, 255)) return std::uint8_t(*v);
    for (const auto& p : kProtocols)
        if (t == p.name) return p.number;
    if (t == "icmpv6") return 58;
    if (t == "dccp") return 33;
    return std::nullopt;
}

std::string protocolName(std::uint8_t proto) {
    for (const auto& p : kProtocols)
        if (p.number == proto) return p.name;
    return std::to_string(proto);
}

std::vector<std::string> splitRestoreLine(std::string_view line) {
    std::vector<std::string> out;
    std::string cur;
    bool quote = false, escaped = false, have = false;
    for (char c : line) {
        if (quote) {
            if (escaped) {
                cur += c;
                escaped = false;
                continue;
            }
            if (c == '\\') {
                escaped = true;
                continue;
            }
            if (c != '"') {
                cur += c;
                continue;
            }
            quote = false; // a closing quote ends the word, even an empty one
            out.push_back(cur);
            cur.clear();
            have = false;
            continue;
        }
        if (c == '"') {
            quote = true;
            have = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (have) {
                out.push_back(cur);
                cur.clear();
                have = false;
            }
            continue;
        }
        cur += c;
        have = true;
    }
    if (have) out.push_back(cur);
    return out;
}

namespace {

struct Parser {
    const std::vector<std::string>& args;
    TableId table;
    Rule& rule;
    std::size_t i = 0;
    std::string err;
    bool haveTarget = false;
    bool markOption = false;
    std::string markOptionName;
    bool connmarkOption = false;
    bool natTo = false;

    bool fail(std::string e) {
        err = std::move(e);
        return false;
    }
    std::optional<std::string> value(const std::string& opt) {
        if (i + 1 >= args.size()) {
            err = "option \"" + opt + "\" requires an argument";
            return std::nullopt;
        }
        return args[++i];
    }

    bool matchOption(Match& m, const std::string& opt, bool inv, bool& handled);
    bool targetOption(const std::string& opt, bool inv, bool& handled);
    bool loadMatch(const std::string& name);
    bool run();
};

bool Parser::loadMatch(const std::string& name) {
    static constexpr std::pair<const char*, MatchKind> kMatches[] = {
        {"tcp", MatchKind::Tcp}, {"udp", MatchKind::Udp}, {"icmp", MatchKind::Icmp},
        {"multiport", MatchKind::Multiport}, {"conntrack", MatchKind::Conntrack},
        {"state", MatchKind::State}, {"mark", MatchKind::Mark}, {"comment", MatchKind::Comment},
        {"limit", MatchKind::Limit}, {"iprange", MatchKind::IpRange},
        {"addrtype", MatchKind::AddrType}, {"length", MatchKind::Length}, {"ttl", MatchKind::Ttl},
        {"pkttype", MatchKind::PktType}};
    for (auto& [n, kind] : kMatches) {
        if (name == n) {
            Match m;
            m.kind = kind;
            if (kind == MatchKind::Limit) {
                m.limitAvg = 10000u * 3600u / 3u; // default 3/hour
            }
            rule.matches.push_back(std::move(m));
            return true;
        }
    }
    return fail("Couldn't load match `" + name + "':No such file or directory");
}

bool Parser::matchOption(Match& m, const std::string& opt, bool inv, bool& handled) {
    handled = true;
    switch (m.kind) {
    case MatchKind::Tcp:
    case MatchKind::Udp:
        if (opt == "--sport" || opt == "--source-port" || opt == "--dport" || opt == "--destination-port") {
            auto v = value(opt);
            if (!v) return false;
            bool src = opt == "--sport" || opt == "--source-port";
            if (src) {
                m.hasSport = true;
                m.invSport = inv;
                return parsePortRange(*v, m.sportLo, m.sportHi, err);
            }
            m.hasDport = true;
            m.invDport = inv;
            return parsePortRange(*v, m.dportLo, m.dportHi, err);
        }
        if (m.kind == MatchKind::Tcp && opt == "--syn") {
            m.hasFlags = true;
            m.invFlags = inv;
            m.flagMask = 0x17;
            m.flagComp = 0x02;
            return true;
        }
        if (m.kind == MatchKind::Tcp && opt == "--tcp-flags") {
            if (i + 2 >= args.size() || args[i + 2].empty() || args[i + 2][0] == '-' || args[i + 2][0] == '!')
                return fail("--tcp-flags requires two args.");
            m.hasFlags = true;
            m.invFlags = inv;
            if (!parseTcpFlags(args[i + 1], m.flagMask, err)) return false;
            if (!parseTcpFlags(args[i + 2], m.flagComp, err)) return false;
            i += 2;
            return true;
        }
        break;
    case MatchKind::Icmp:
        if (opt == "--icmp-type") {
            auto v = value(opt);
            if (!v) return false;
            m.invert = inv;
            return parseIcmpType(*v, m, err);
        }
        break;
    case MatchKind::Multiport:
        if (opt == "--sports" || opt == "--source-ports" || opt == "--dports" ||
            opt == "--destination-ports" || opt == "--ports") {
            auto v = value(opt);
            if (!v) return false;
            m.invert = inv;
            m.mpMode = opt == "--ports" ? MultiportMode::Either
                       : (opt == "--sports" || opt == "--source-ports") ? MultiportMode::Source
                                                                        : MultiportMode::Destination;
            m.portCount = 0;
            std::string_view list = *v;
            std::size_t start = 0;
            while (true) {
                auto comma = list.find(',', start);
                auto word = list.substr(start, comma == std::string_view::npos ? list.npos : comma - start);
                std::uint16_t lo = 0, hi = 0;
                bool range = word.find(':') != std::string_view::npos;
                if (!parsePortRange(word, lo, hi, err)) return false;
                if (m.portCount + (range ? 2 : 1) > 15) return fail("too many ports specified");
                if (range) {
                    m.rangeStart[m.portCount] = true;
                    m.ports[m.portCount++] = lo;
                    m.ports[m.portCount++] = hi;
                } else {
                    m.ports[m.portCount++] = lo;
                }
                if (comma == std::string_view::npos) break;
                start = comma + 1;
            }
            return true;
        }
        break;
    case MatchKind::Conntrack:
    case MatchKind::State:
        if ((m.kind == MatchKind::Conntrack && opt == "--ctstate") ||
            (m.kind == MatchKind::State && opt == "--state")) {
            auto v = value(opt);
            if (!v) return false;
            m.invert = inv;
            return parseStates(*v, m.kind == MatchKind::Conntrack, m.stateMask, err);
        }
        break;
    case MatchKind::Mark:
        if (opt == "--mark") {
            auto v = value(opt);
            if (!v) return false;
            bool hasMask = false;
            m.invert = inv;
            if (!parseMarkMask(*v, m.markValue, m.markMask, hasMask))
                return fail("Bad MARK value \"" + *v + "\"");
            return true;
        }
        break;
    case MatchKind::Comment:
        if (opt == "--comment") {
            auto v = value(opt);
            if (!v) return false;
            if (v->size() > 255) return fail("comment may not be longer than 255 characters");
            m.comment = *v;
            return true;
        }
        break;
    case MatchKind::Limit:
        if (opt == "--limit") {
            auto v = value(opt);
            if (!v) return false;
            if (!parseRate(*v, m.limitAvg)) return fail("bad rate \"" + *v + "\"'");
            return true;
        }
        if (opt == "--limit-burst") {
            auto v = value(opt);
            if (!v) return false;
            auto b = parseDecimal(*v, 10000);
            if (!b) return fail("bad --limit-burst `" + *v + "'");
            m.limitBurst = *b;
            return true;
        }
        break;
    case MatchKind::IpRange:
        if (opt == "--src-range" || opt == "--dst-range") {
            auto v = value(opt);
            if (!v) return false;
            auto dash = v->find('-');
            auto lo = wire::Ipv4Address::parse(std::string_view(*v).substr(0, dash));
            auto hi = dash == std::string::npos ? lo : wire::Ipv4Address::parse(std::string_view(*v).substr(dash + 1));
            if (!lo || !hi) return fail("iprange match: Bad IP address \"" + *v + "\"");
            if (opt == "--src-range") {
                m.hasSrcRange = true;
                m.invSrcRange = inv;
                m.srcLo = lo->value;
                m.srcHi = hi->value;
            } else {
                m.hasDstRange = true;
                m.invDstRange = inv;
                m.dstLo = lo->value;
                m.dstHi = hi->value;
            }
            return true;
        }
        break;
    case MatchKind::AddrType:
        if (opt == "--src-type" || opt == "--dst-type") {
            auto v = value(opt);
            if (!v) return false;
            if (opt == "--src-type") {
                m.invSrcType = inv;
                return parseAddrTypes(*v, m.srcTypes, err);
            }
            m.invDstType = inv;
            return parseAddrTypes(*v, m.dstTypes, err);
        }
        if (opt == "--limit-iface-in") return m.limitIfaceIn = true;
        if (opt == "--limit-iface-out") return m.limitIfaceOut = true;
        break;
    case MatchKind::Length:
        if (opt == "--length") {
            auto v = value(opt);
            if (!v) return false;
            m.invert = inv;
            auto colon = v->find(':');
            auto lo = parseDecimal(std::string_view(*v).substr(0, colon), 65535);
            std::optional<std::uint32_t> hi = lo;
            if (colon != std::string::npos)
                hi = colon + 1 == v->size() ? std::optional<std::uint32_t>(65535)
                                            : parseDecimal(std::string_view(*v).substr(colon + 1), 65535);
            if (!lo || !hi) return fail("length invalid: \"" + *v + "\"");
            m.lenMin = std::uint16_t(*lo);
            m.lenMax = std::uint16_t(*hi);
            return true;
        }
        break;
    case MatchKind::Ttl:
        if (opt == "--ttl-eq" || opt == "--ttl-gt" || opt == "--ttl-lt") {
            auto v = value(opt);
            if (!v) return false;
            auto t = parseDecimal(*v, 255);
            if (!t) return fail("ttl: Expected value between 0 and 255");
            m.ttl = std::uint8_t(*t);
            if (opt == "--ttl-eq") m.ttlMode = inv ? TtlMode::Ne : TtlMode::Eq;
            else if (inv) return fail("unexpected `!' flag before --ttl-" + opt.substr(6));
            else m.ttlMode = opt == "--ttl-gt" ? TtlMode::Gt : TtlMode::Lt;
            return true;
        }
        break;
    case MatchKind::PktType:
        if (opt == "--pkt-type") {
            auto v = value(opt);
            if (!v) return false;
            m.invert = inv;
            auto t = lower(*v);
            if (t == "unicast" || t == "host") m.pktType = PktType::Host;
            else if (t == "broadcast") m.pktType = PktType::Broadcast;
            else if (t == "multicast") m.pktType = PktType::Multicast;
            else if (t == "otherhost") m.pktType = PktType::OtherHost;
            else if (t == "outgoing") m.pktType = PktType::Outgoing;
            else return fail("Bad packet type '" + *v + "'");
            return true;
        }
        break;
    }
    handled = false;
    return true;
}

bool Parser::targetOption(const std::string& opt, bool inv, bool& handled) {
    (void)inv;
    handled = true;
    Target& t = rule.target;
    switch (t.kind) {
    case TargetKind::Reject:
        if (opt == "--reject-with") {
            auto v = value(opt);
            if (!v) return false;
            auto w = parseRejectWith(*v);
            if (!w) return fail("unknown reject type \"" + *v + "\"");
            t.reject = *w;
            return true;
        }
        break;
    case TargetKind::Log:
        if (opt == "--log-prefix") {
            auto v = value(opt);
            if (!v) return false;
            if (v->size() > 29) return fail("Maximum prefix length 29 for --log-prefix");
            t.logPrefix = *v;
            return true;
        }
        if (opt == "--log-level") {
            auto v = value(opt);
            if (!v) return false;
            auto l = parseLogLevel(*v);
            if (!l) return fail("log-level `" + *v + "' unknown");
            t.logLevel = *l;
            return true;
        }
        if (opt == "--log-tcp-sequence") return (t.logFlags |= kLogTcpSeq), true;
        if (opt == "--log-tcp-options") return (t.logFlags |= kLogTcpOpt), true;
        if (opt == "--log-ip-options") return (t.logFlags |= kLogIpOpt), true;
        if (opt == "--log-uid") return (t.logFlags |= kLogUid), true;
        if (opt == "--log-macdecode") return (t.logFlags |= kLogMacDecode), true;
        break;
    case TargetKind::Mark:
    case TargetKind::Connmark: {
        bool isMark = t.kind == TargetKind::Mark;
        const char* who = isMark ? "MARK" : "CONNMARK";
        if (opt == "--set-mark" || opt == "--set-xmark" || opt == "--and-mark" || opt == "--or-mark" ||
            opt == "--xor-mark") {
            auto v = value(opt);
            if (!v) return false;
            if (markOption)
                return fail(std::string(who) + ": option \"" + markOptionName +
                            "\" cannot be used together with \"" + opt + "\".");
            markOption = true;
            markOptionName = opt;
            std::uint32_t val = 0, mask = 0;
            bool hasMask = false;
            if (!parseMarkMask(*v, val, mask, hasMask)) return fail("Bad MARK value \"" + *v + "\"");
            bool takesMask = opt == "--set-mark" || opt == "--set-xmark";
            if (hasMask && !takesMask) return fail("Bad MARK value \"" + *v + "\"");
            t.connmarkMode = ConnmarkMode::Set;
            if (opt == "--set-mark") {
                t.markValue = val;
                t.markMask = mask | val;
            } else if (opt == "--set-xmark") {
                t.markValue = val;
                t.markMask = mask;
            } else if (opt == "--and-mark") {
                t.markValue = 0;
                t.markMask = ~val;
            } else if (opt == "--or-mark") {
                t.markValue = val;
                t.markMask = val;
            } else {
                t.markValue = val;
                t.markMask = 0;
            }
            return true;
        }
        if (!isMark && (opt == "--save-mark" || opt == "--restore-mark")) {
            if (markOption)
                return fail(std::string(who) + ": option \"" + markOptionName +
                            "\" cannot be used together with \"" + opt + "\".");
            markOption = true;
            markOptionName = opt;
            t.connmarkMode = opt == "--save-mark" ? ConnmarkMode::Save : ConnmarkMode::Restore;
            return true;
        }
        if (!isMark && (opt == "--mask" || opt == "--nfmask" || opt == "--ctmask")) {
            auto v = value(opt);
            if (!v) return false;
            auto m = parseU32(*v);
            if (!m) return fail("Bad MARK value \"" + *v + "\"");
            if (opt != "--ctmask") t.nfmask = *m;
            if (opt != "--nfmask") t.ctmask = *m;
            return true;
        }
        break;
    }
    case TargetKind::Ct:
        if (opt == "--notrack") return true;
        break;
    case TargetKind::Dnat:
    case TargetKind::Snat:
        if ((t.kind == TargetKind::Dnat && opt == "--to-destination") ||
            (t.kind == TargetKind::Snat && opt == "--to-source")) {
            auto v = value(opt);
            if (!v) return false;
            natTo = true;
            return parseNatTo(*v, t.nat, err);
        }
        break;
    case TargetKind::Masquerade:
    case TargetKind::Redirect:
        if (opt == "--to-ports") {
            auto v = value(opt);
            if (!v) return false;
            return parseToPorts(*v, t.nat, err);
        }
        break;
    case TargetKind::Ttl:
        if (opt == "--ttl-set" || opt == "--ttl-dec" || opt == "--ttl-inc") {
            auto v = value(opt);
            if (!v) return false;
            auto n = parseDecimal(*v, 255);
            if (!n) return fail("TTL: Expected value between 0 and 255");
            t.ttlMode = opt == "--ttl-set" ? TtlTargetMode::Set
                        : opt == "--ttl-dec" ? TtlTargetMode::Dec
                                             : TtlTargetMode::Inc;
            t.ttlValue = std::uint8_t(*n);
            return true;
        }
        break;
    default:
        break;
    }
    handled = false;
    return true;
}

bool Parser::run() {
    bool inv = false;
    for (i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "!") {
            if (inv) return fail("multiple consecutive ! not allowed");
            inv = true;
            continue;
        }
        bool wasInv = inv;
        inv = false;
        auto& ip = rule.ip;
        if (a == "-s" || a == "--source" || a == "--src" || a == "-d" || a == "--destination" || a == "--dst") {
            auto v = value(a);
            if (!v) return false;
            bool src = a == "-s" || a == "--source" || a == "--src";
            if (src) {
                ip.invSrc = wasInv;
                if (!parseAddressMask(*v, ip.src, ip.srcMask, err)) return false;
            } else {
                ip.invDst = wasInv;
                if (!parseAddressMask(*v, ip.dst, ip.dstMask, err)) return false;
            }
        } else if (a == "-i" || a == "--in-interface") {
            auto v = value(a);
            if (!v || !parseIface(*v, ip.inIface, ip.inLen, ip.inWildcard, err)) return false;
            ip.invIn = wasInv;
        } else if (a == "-o" || a == "--out-interface") {
            auto v = value(a);
            if (!v || !parseIface(*v, ip.outIface, ip.outLen, ip.outWildcard, err)) return false;
            ip.invOut = wasInv;
        } else if (a == "-p" || a == "--protocol") {
            auto v = value(a);
            if (!v) return false;
            auto p = parseProtocol(*v);
            if (!p) return fail("unknown protocol \"" + *v + "\" specified");
            if (*p == 0 && wasInv) return fail("rule would never match protocol");
            ip.proto = *p;
            ip.invProto = wasInv;
        } else if (a == "-f" || a == "--fragment") {
            ip.frag = true;
            ip.invFrag = wasInv;
        } else if (a == "-m" || a == "--match") {
            auto v = value(a);
            if (!v || !loadMatch(*v)) return false;
        } else if (a == "-j" || a == "--jump" || a == "-g" || a == "--goto") {
            auto v = value(a);
            if (!v) return false;
            if (haveTarget) return fail("multiple -j flags not allowed");
            haveTarget = true;
            Target& t = rule.target;
            bool jump = a == "-j" || a == "--jump";
            static constexpr std::pair<const char*, TargetKind> kTargets[] = {
                {"ACCEPT", TargetKind::Accept}, {"DROP", TargetKind::Drop}, {"RETURN", TargetKind::Return},
                {"REJECT", TargetKind::Reject}, {"LOG", TargetKind::Log}, {"MARK", TargetKind::Mark},
                {"CONNMARK", TargetKind::Connmark}, {"CT", TargetKind::Ct}, {"NOTRACK", TargetKind::Notrack},
                {"DNAT", TargetKind::Dnat}, {"SNAT", TargetKind::Snat}, {"MASQUERADE", TargetKind::Masquerade},
                {"REDIRECT", TargetKind::Redirect}, {"TTL", TargetKind::Ttl}, {"TRACE", TargetKind::Trace}};
            t.kind = jump ? TargetKind::Jump : TargetKind::Goto;
            if (jump)
                for (auto& [name, kind] : kTargets)
                    if (*v == name) t.kind = kind;
            if (t.kind == TargetKind::Jump || t.kind == TargetKind::Goto) t.chain = *v;
        } else if (a == "-c" || a == "--set-counters") {
            if (i + 2 >= args.size()) return fail("-c requires packet and byte counter");
            auto p = parseDecimal(args[i + 1], 0xffffffffu);
            std::uint64_t pk = 0, by = 0;
            auto r1 = std::from_chars(args[i + 1].data(), args[i + 1].data() + args[i + 1].size(), pk);
            auto r2 = std::from_chars(args[i + 2].data(), args[i + 2].data() + args[i + 2].size(), by);
            (void)p;
            if (r1.ec != std::errc{} || r2.ec != std::errc{})
                return fail("-c packet counter not numeric");
            rule.packets = pk;
            rule.bytes = by;
            i += 2;
        } else if (a.size() > 1 && a[0] == '-') {
            bool handled = false;
            if (haveTarget && !targetOption(a, wasInv, handled)) return false;
            for (auto it = rule.matches.rbegin(); !handled && it != rule.matches.rend(); ++it)
                if (!matchOption(*it, a, wasInv, handled)) return false;
            if (!handled && (ip.proto == 6 || ip.proto == 17 || ip.proto == 1) && !ip.invProto) {
                MatchKind implicit = ip.proto == 6 ? MatchKind::Tcp : ip.proto == 17 ? MatchKind::Udp : MatchKind::Icmp;
                bool loaded = std::any_of(rule.matches.begin(), rule.matches.end(),
                                          [&](const Match& m) { return m.kind == implicit; });
                if (!loaded) {
                    Match m;
                    m.kind = implicit;
                    if (!matchOption(m, a, wasInv, handled)) return false;
                    if (handled) rule.matches.push_back(std::move(m));
                }
            }
            if (!handled) return fail("unknown option \"" + a + "\"");
        } else {
            return fail("Bad argument `" + a + "'");
        }
    }
    return true;
}

} // namespace

RuleParseResult parseRule(const std::vector<std::string>& args, TableId table, Rule& rule) {
    Parser p{args, table, rule, 0, {}, false, false, {}, false, false};
    RuleParseResult result;
    if (!p.run()) {
        result.error = p.err;
        return result;
    }
    const auto& ip = rule.ip;
    for (auto& m : rule.matches) {
        if ((m.kind == MatchKind::Tcp && ip.proto != 6) || (m.kind == MatchKind::Udp && ip.proto != 17)) {
            result.error = m.kind == MatchKind::Tcp ? "TCP match requires '-p tcp'" : "UDP match requires '-p udp'";
            return result;
        }
        if (m.kind == MatchKind::Multiport && (!isPortProto(ip.proto) || ip.invProto)) {
            result.error = "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'";
            return result;
        }
        if (m.kind == MatchKind::Multiport && m.portCount == 0) {
            result.error = "multiport expects an option";
            return result;
        }
        if (m.kind == MatchKind::Limit) {
            // iptables-nft sends nft_limit a whole count per day/hour/min/sec (add_nft_limit).
            static constexpr std::uint32_t kMult[] = {10000u * 86400u, 10000u * 3600u, 10000u * 60u, 10000u};
            std::size_t k = 1;
            for (; k < 4; ++k)
                if (m.limitAvg > kMult[k] || kMult[k] / m.limitAvg < kMult[k] % m.limitAvg) break;
            m.limitRate = kMult[k - 1] / m.limitAvg;
            m.limitUnit = kMult[k - 1] / 10000u;
        }
        if (m.kind == MatchKind::Conntrack && m.stateMask == 0 && !m.invert) {
            result.error = "conntrack: At least one option is required";
            return result;
        }
        if (m.kind == MatchKind::Comment && m.comment.empty() && false) {
        }
    }
    const Target& t = rule.target;
    if (t.kind == TargetKind::Mark && !p.markOption) {
        result.error = "MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required";
        return result;
    }
    if (t.kind == TargetKind::Connmark && !p.markOption) {
        result.error = "CONNMARK target: No operation specified";
        return result;
    }
    if (t.kind == TargetKind::Dnat && !p.natTo) {
        result.error = "DNAT: option \"--to-destination\" must be specified";
        return result;
    }
    if (t.kind == TargetKind::Snat && !p.natTo) {
        result.error = "SNAT: option \"--to-source\" must be specified";
        return result;
    }
    if (t.nat.hasPorts && (!isPortProto(ip.proto) || ip.invProto)) {
        result.error = "Need TCP, UDP, SCTP or DCCP with port specification";
        return result;
    }
    if (t.kind == TargetKind::Drop && table == TableId::Nat) {
        result.error = "\nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n\n";
        return result;
    }
    result.hasCounters = std::find(args.begin(), args.end(), "-c") != args.end() ||
                         std::find(args.begin(), args.end(), "--set-counters") != args.end();
    return result;
}

} // namespace stackscope::netfilter
