// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/trace_format.h"

#include <fmt/format.h>

namespace stackscope::netfilter {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t off) {
    return std::uint16_t((b[off] << 8) | b[off + 1]);
}

// ether_ntoa: hex bytes without zero padding.
std::string etherNtoa(std::span<const std::uint8_t> b, std::size_t off) {
    return fmt::format("{:x}:{:x}:{:x}:{:x}:{:x}:{:x}", b[off], b[off + 1], b[off + 2], b[off + 3], b[off + 4], b[off + 5]);
}

std::string addrAt(std::span<const std::uint8_t> b, std::size_t off) {
    return wire::Ipv4Address::fromOctets(b[off], b[off + 1], b[off + 2], b[off + 3]).toString();
}

} // namespace

std::string xtablesMonitorPacket(const PacketInfo& p, std::uint32_t traceId) {
    std::string o = fmt::format("PACKET: 2 {:08x} ", traceId);
    if (!p.inDev.empty()) o += fmt::format("IN={} ", p.inDev);
    if (!p.outDev.empty()) o += fmt::format("OUT={} ", p.outDev);
    if (!p.inDev.empty()) {
        // The link-layer header goes with received packets; lo is ARPHRD_LOOPBACK.
        if (p.inDev == "lo") o += "LOOPBACK ";
        else if (p.mac.size() >= 14)
            o += fmt::format("MACSRC={} MACDST={} MACPROTO={:04x} ", etherNtoa(p.mac, 6), etherNtoa(p.mac, 0), be16(p.mac, 12));
    }
    const auto ip = p.ip;
    if (ip.size() >= 20) {
        o += fmt::format("SRC={} DST={} ", addrAt(ip, 12), addrAt(ip, 16));
        o += fmt::format("LEN={} TOS=0x{:x} TTL={} ID={} ", be16(ip, 2), ip[1], ip[8], be16(ip, 4));
        const std::uint16_t frag = be16(ip, 6);
        if (frag & 0x8000) o += "CE ";
        if (frag & 0x4000) o += "DF ";
        if (frag & 0x2000) o += "MF ";
        if (frag & 0x1fff) o += fmt::format("FRAG:{} ", frag & 0x1fff);
        const std::size_t ihl = std::size_t(ip[0] & 0x0f) * 4;
        if (ihl > 20 && ip.size() >= ihl) {
            o += "OPT (";
            for (std::size_t k = 20; k < ihl; ++k) o += fmt::format("{:02X}", ip[k]);
            o += ")";
        }
        const auto l4 = ip.size() >= ihl && ihl >= 20 ? ip.subspan(ihl) : std::span<const std::uint8_t>{};
        const std::uint8_t proto = ip[9];
        if (!(frag & 0x1fff)) {
            if ((proto == 17 || proto == 136 || proto == 132 || proto == 33) && l4.size() >= 4) {
                o += fmt::format("SPORT={} DPORT={} ", be16(l4, 0), be16(l4, 2));
            } else if (proto == 6 && l4.size() >= 20) {
                o += fmt::format("SPORT={} DPORT={} ", be16(l4, 0), be16(l4, 2));
                static constexpr std::pair<std::uint8_t, const char*> kFlags[] = {
                    {0x02, "SYN "}, {0x10, "ACK "}, {0x01, "FIN "}, {0x04, "RST "}, {0x08, "PSH "}, {0x20, "URG "}};
                for (auto& [bit, name] : kFlags)
                    if (l4[13] & bit) o += name;
            }
        }
    }
    if (p.mark) o += fmt::format("MARK=0x{:x} ", p.mark);
    return o;
}

std::string xtablesMonitorTrace(const Ruleset& rs, const TraceEntry& e, std::uint32_t traceId) {
    std::string o = fmt::format(" TRACE: 2 {:08x} {}:{}", traceId, tableName(e.table), e.chain);
    auto verdict = [&]() -> std::string {
        switch (e.verdict) {
        case TraceVerdict::Accept: return "ACCEPT";
        case TraceVerdict::Drop: return "DROP";
        case TraceVerdict::Continue: return "CONTINUE";
        case TraceVerdict::Jump: return fmt::format("JUMP:{}", e.jumpTarget);
        case TraceVerdict::Goto: return fmt::format("GOTO:{}", e.jumpTarget);
        case TraceVerdict::Return: return "0xfffffffb"; // NFT_RETURN printed as a number
        }
        return "";
    };
    if (e.policy) return o + ":policy:" + verdict() + " ";
    o += fmt::format(":rule:0x{:x}:{} ", e.handle, verdict());
    int chain = rs.findChain(e.table, e.chain);
    return o + fmt::format(" -4 -t {} {}", tableName(e.table), rs.ruleText(e.table, chain, e.position));
}

} // namespace stackscope::netfilter
