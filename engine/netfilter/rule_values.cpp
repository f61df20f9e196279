// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/rule_values.h"

#include "netfilter/rule_parser.h"

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
    {1, "icmp"},  {2, "igmp"},  {4, "ipencap"}, {6, "tcp"},    {17, "udp"},
    {41, "ipv6"}, {47, "gre"},  {50, "esp"},    {51, "ah"},    {58, "ipv6-icmp"},
    {89, "ospf"}, {103, "pim"}, {112, "vrrp"},  {132, "sctp"}, {136, "udplite"},
};

} // namespace

std::string asciiLower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = char(std::tolower(static_cast<unsigned char>(c)));
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
        {"ftp", 21},   {"ssh", 22},  {"telnet", 23}, {"smtp", 25},  {"domain", 53}, {"http", 80},
        {"pop3", 110}, {"ntp", 123}, {"imap", 143},  {"snmp", 161}, {"https", 443}};
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
    if (lo > hi) {
        err = "invalid portrange (min > max)";
        return false;
    }
    return true;
}

bool parseAddressMask(std::string_view s, std::uint32_t& addr, std::uint32_t& mask,
                      std::string& err) {
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
        err = "interface name `" + std::string(s) + "' must be shorter than IFNAMSIZ (15)";
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
    {"any", 0xff, 0, 0xff},
    {"echo-reply", 0, 0, 0xff},
    {"pong", 0, 0, 0xff},
    {"destination-unreachable", 3, 0, 0xff},
    {"network-unreachable", 3, 0, 0},
    {"host-unreachable", 3, 1, 1},
    {"protocol-unreachable", 3, 2, 2},
    {"port-unreachable", 3, 3, 3},
    {"fragmentation-needed", 3, 4, 4},
    {"source-route-failed", 3, 5, 5},
    {"network-unknown", 3, 6, 6},
    {"host-unknown", 3, 7, 7},
    {"network-prohibited", 3, 9, 9},
    {"host-prohibited", 3, 10, 10},
    {"TOS-network-unreachable", 3, 11, 11},
    {"TOS-host-unreachable", 3, 12, 12},
    {"communication-prohibited", 3, 13, 13},
    {"host-precedence-violation", 3, 14, 14},
    {"precedence-cutoff", 3, 15, 15},
    {"source-quench", 4, 0, 0xff},
    {"redirect", 5, 0, 0xff},
    {"network-redirect", 5, 0, 0},
    {"host-redirect", 5, 1, 1},
    {"TOS-network-redirect", 5, 2, 2},
    {"TOS-host-redirect", 5, 3, 3},
    {"echo-request", 8, 0, 0xff},
    {"ping", 8, 0, 0xff},
    {"router-advertisement", 9, 0, 0xff},
    {"router-solicitation", 10, 0, 0xff},
    {"time-exceeded", 11, 0, 0xff},
    {"ttl-exceeded", 11, 0, 0xff},
    {"ttl-zero-during-transit", 11, 0, 0},
    {"ttl-zero-during-reassembly", 11, 1, 1},
    {"parameter-problem", 12, 0, 0xff},
    {"ip-header-bad", 12, 0, 0},
    {"required-option-missing", 12, 1, 1},
    {"timestamp-request", 13, 0, 0xff},
    {"timestamp-reply", 14, 0, 0xff},
    {"address-mask-request", 17, 0, 0xff},
    {"address-mask-reply", 18, 0, 0xff},
};

bool parseIcmpType(std::string_view s, Match& m, std::string& err) {
    for (const auto& n : kIcmpNames) {
        if (asciiLower(n.name) == asciiLower(s)) {
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
            if (asciiLower(name) == asciiLower(word)) {
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
        // libxt_conntrack and libxt_state compare with strncasecmp over the word's length.
        const std::string lower = asciiLower(w);
        auto is = [&](std::string_view name) { return !lower.empty() && name.starts_with(lower); };
        if (is("invalid"))
            out |= kStateInvalid;
        else if (!conntrack && is("established"))
            out |= kStateEstablished;
        else if (is("new"))
            out |= kStateNew;
        else if (is("established"))
            out |= kStateEstablished;
        else if (is("related"))
            out |= kStateRelated;
        else if (is("untracked"))
            out |= kStateUntracked;
        else if (conntrack && is("snat"))
            out |= kStateSnat;
        else if (conntrack && is("dnat"))
            out |= kStateDnat;
        else {
            err = conntrack ? "Bad ctstate \"" + w + "\"" : "Bad state \"" + w + "\"";
            return false;
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return true;
}

constexpr const char* kAddrTypeNames[] = {"UNSPEC",   "UNICAST",   "LOCAL",     "BROADCAST",
                                          "ANYCAST",  "MULTICAST", "BLACKHOLE", "UNREACHABLE",
                                          "PROHIBIT", "THROW",     "NAT",       "XRESOLVE"};

bool parseAddrTypes(std::string_view s, std::uint16_t& out, std::string& err) {
    out = 0;
    std::size_t start = 0;
    while (true) {
        auto comma = s.find(',', start);
        auto word = s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
        bool found = false;
        for (int i = 0; i < 12; ++i)
            if (asciiLower(kAddrTypeNames[i]) == asciiLower(word)) {
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
        auto hi =
            dash == std::string_view::npos ? lo : wire::Ipv4Address::parse(addr.substr(dash + 1));
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

std::optional<RejectWith> parseRejectWith(std::string_view s, std::string& err) {
    struct Name {
        const char* name;
        const char* alias;
        std::optional<RejectWith> with; // nullopt: echo-reply, refused since iptables 1.4
    };
    static constexpr Name kNames[] = {
        {"icmp-net-unreachable", "net-unreach", RejectWith::NetUnreachable},
        {"icmp-host-unreachable", "host-unreach", RejectWith::HostUnreachable},
        {"icmp-proto-unreachable", "proto-unreach", RejectWith::ProtoUnreachable},
        {"icmp-port-unreachable", "port-unreach", RejectWith::PortUnreachable},
        {"echo-reply", "echoreply", std::nullopt},
        {"icmp-net-prohibited", "net-prohib", RejectWith::NetProhibited},
        {"icmp-host-prohibited", "host-prohib", RejectWith::HostProhibited},
        {"tcp-reset", "tcp-rst", RejectWith::TcpReset},
        {"icmp-admin-prohibited", "admin-prohib", RejectWith::AdminProhibited}};
    const std::string lower = asciiLower(s);
    for (const auto& n : kNames) {
        if (!std::string_view(n.name).starts_with(lower) &&
            !std::string_view(n.alias).starts_with(lower))
            continue;
        if (!n.with) err = "--reject-with echo-reply no longer supported";
        return n.with;
    }
    err = "unknown reject type \"" + std::string(s) + "\"";
    return std::nullopt;
}

std::optional<std::uint8_t> parseLogLevel(std::string_view s) {
    static constexpr std::pair<const char*, std::uint8_t> kLevels[] = {
        {"emerg", 0},   {"panic", 0}, {"alert", 1},  {"crit", 2}, {"err", 3},  {"error", 3},
        {"warning", 4}, {"warn", 4},  {"notice", 5}, {"info", 6}, {"debug", 7}};
    if (auto v = parseDecimal(s, 7)) return std::uint8_t(*v);
    for (auto& [name, level] : kLevels)
        if (asciiLower(s) == name) return level;
    return std::nullopt;
}

// xtables' limit rate: N/sec|minute|hour|day (any prefix of the unit), default /sec.
bool parseRate(std::string_view s, std::uint32_t& avg) {
    auto slash = s.find('/');
    std::uint32_t mult = 1;
    if (slash != std::string_view::npos) {
        auto unit = s.substr(slash + 1);
        if (unit.empty()) return false;
        auto is = [&](std::string_view full) {
            return unit.size() <= full.size() && full.substr(0, unit.size()) == unit;
        };
        if (is("second"))
            mult = 1;
        else if (is("minute"))
            mult = 60;
        else if (is("hour"))
            mult = 3600;
        else if (is("day"))
            mult = 86400;
        else
            return false;
    }
    auto n = parseDecimal(s.substr(0, slash), 0xffffffffu);
    if (!n || *n == 0) return false;
    avg = std::uint32_t(10000ull * mult / *n);
    return true;
}

bool isPortProto(std::uint8_t p) {
    return p == 6 || p == 17 || p == 132 || p == 33 || p == 136;
}

std::optional<std::uint8_t> parseProtocol(std::string_view text) {
    auto t = asciiLower(text);
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

} // namespace stackscope::netfilter
