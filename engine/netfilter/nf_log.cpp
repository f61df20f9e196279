// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/nf_log.h"

#include "netfilter/rule.h"

#include <fmt/format.h>
#include <iterator>

namespace stackscope::netfilter {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t off) {
    return std::uint16_t((b[off] << 8) | b[off + 1]);
}
std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t off) {
    return (std::uint32_t(b[off]) << 24) | (std::uint32_t(b[off + 1]) << 16) | (std::uint32_t(b[off + 2]) << 8) | b[off + 3];
}
std::string ipv4At(std::span<const std::uint8_t> b, std::size_t off) { return wire::Ipv4Address{be32(b, off)}.toString(); }

std::string incomplete(std::size_t n) { return fmt::format("INCOMPLETE [{} bytes] ", n); }

// nf_log_dump_tcp_header; returns false when the line ends here.
bool dumpTcp(std::string& o, std::span<const std::uint8_t> l4, bool fragment, std::uint8_t flags) {
    o += "PROTO=TCP ";
    if (fragment) return true;
    if (l4.size() < 20) {
        o += incomplete(l4.size());
        return false;
    }
    o += fmt::format("SPT={} DPT={} ", be16(l4, 0), be16(l4, 2));
    if (flags & kLogTcpSeq) o += fmt::format("SEQ={} ACK={} ", be32(l4, 4), be32(l4, 8));
    o += fmt::format("WINDOW={} ", be16(l4, 14));
    // TCP_RESERVED_BITS are the three bits above AE in the data-offset byte.
    o += fmt::format("RES=0x{:02x} ", (l4[12] & 0x0e) << 2);
    if (l4[12] & 0x01) o += "AE ";
    static constexpr std::pair<std::uint8_t, const char*> kFlags[] = {
        {0x80, "CWR "}, {0x40, "ECE "}, {0x20, "URG "}, {0x10, "ACK "},
        {0x08, "PSH "}, {0x04, "RST "}, {0x02, "SYN "}, {0x01, "FIN "}};
    for (auto& [bit, name] : kFlags)
        if (l4[13] & bit) o += name;
    o += fmt::format("URGP={} ", be16(l4, 18));
    std::size_t doff = std::size_t(l4[12] >> 4) * 4;
    if ((flags & kLogTcpOpt) && doff > 20) {
        if (l4.size() < doff) {
            o += "OPT (TRUNCATED)";
            return false;
        }
        o += "OPT (";
        for (std::size_t k = 20; k < doff; ++k) o += fmt::format("{:02X}", l4[k]);
        o += ") ";
    }
    return true;
}

void dumpIpv4(std::string& o, std::span<const std::uint8_t> ip, const PacketInfo& p, std::uint8_t flags, bool outer) {
    if (ip.size() < 20) {
        o += "TRUNCATED";
        return;
    }
    const std::size_t ihl = std::size_t(ip[0] & 0x0f) * 4;
    const std::uint16_t frag = be16(ip, 6);
    const bool fragment = (frag & 0x1fff) != 0;
    const std::uint8_t proto = ip[9];
    o += fmt::format("SRC={} DST={} ", ipv4At(ip, 12), ipv4At(ip, 16));
    o += fmt::format("LEN={} TOS=0x{:02X} PREC=0x{:02X} TTL={} ID={} ", be16(ip, 2), ip[1] & 0x1e, ip[1] & 0xe0,
                     ip[8], be16(ip, 4));
    if (frag & 0x8000) o += "CE ";
    if (frag & 0x4000) o += "DF ";
    if (frag & 0x2000) o += "MF ";
    if (fragment) o += fmt::format("FRAG:{} ", frag & 0x1fff);
    if ((flags & kLogIpOpt) && ihl > 20) {
        if (ip.size() < ihl) {
            o += "TRUNCATED";
            return;
        }
        o += "OPT (";
        for (std::size_t k = 20; k < ihl; ++k) o += fmt::format("{:02X}", ip[k]);
        o += ") ";
    }
    auto l4 = ip.size() >= ihl ? ip.subspan(ihl) : std::span<const std::uint8_t>{};
    switch (proto) {
    case 6:
        if (!dumpTcp(o, l4, fragment, flags)) return;
        break;
    case 17:
    case 136:
        o += proto == 17 ? "PROTO=UDP " : "PROTO=UDPLITE ";
        if (fragment) break;
        if (l4.size() < 8) {
            o += incomplete(l4.size());
            return;
        }
        o += fmt::format("SPT={} DPT={} LEN={} ", be16(l4, 0), be16(l4, 2), be16(l4, 4));
        break;
    case 1: {
        o += "PROTO=ICMP ";
        if (fragment) break;
        if (l4.size() < 8) { // struct icmphdr
            o += incomplete(l4.size());
            break;
        }
        const std::uint8_t type = l4[0], code = l4[1];
        o += fmt::format("TYPE={} CODE={} ", type, code);
        std::size_t required = 0;
        switch (type) {
        case 0:
        case 8: required = 4; break;
        case 3:
        case 4:
        case 5:
        case 11:
        case 12: required = 28; break;
        case 13:
        case 14: required = 20; break;
        case 17:
        case 18: required = 12; break;
        default: break;
        }
        if (l4.size() < required) {
            o += incomplete(l4.size());
            break;
        }
        switch (type) {
        case 0:
        case 8: o += fmt::format("ID={} SEQ={} ", be16(l4, 4), be16(l4, 6)); break;
        case 12: o += fmt::format("PARAMETER={} ", l4[4]); break;
        case 5:
        case 3:
        case 4:
        case 11:
            if (type == 5) o += fmt::format("GATEWAY={} ", ipv4At(l4, 4));
            if (outer) { // only one level of recursion
                o += "[";
                dumpIpv4(o, l4.subspan(8), p, flags, false);
                o += "] ";
            }
            if (type == 3 && code == 4) o += fmt::format("MTU={} ", be16(l4, 6));
            break;
        default: break;
        }
        break;
    }
    case 51: // AH: the fragment test comes before the protocol name here
        if (fragment) break;
        o += "PROTO=AH ";
        if (l4.size() < 12) {
            o += incomplete(l4.size());
            break;
        }
        o += fmt::format("SPI=0x{:x} ", be32(l4, 4));
        break;
    case 50:
        o += "PROTO=ESP ";
        if (fragment) break;
        if (l4.size() < 8) {
            o += incomplete(l4.size());
            break;
        }
        o += fmt::format("SPI=0x{:x} ", be32(l4, 0));
        break;
    default: o += fmt::format("PROTO={} ", proto); break;
    }
    if ((flags & kLogUid) && outer && p.socketCred) o += fmt::format("UID={} GID={} ", p.socketCred->uid, p.socketCred->gid);
    if (outer && p.mark) o += fmt::format("MARK=0x{:x} ", p.mark);
}

std::string mac(std::span<const std::uint8_t> b, std::size_t off) {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[off], b[off + 1], b[off + 2], b[off + 3],
                       b[off + 4], b[off + 5]);
}

} // namespace

std::string nfLogIpPacket(const PacketInfo& p, std::string_view prefix, std::uint8_t flags) {
    std::string o(prefix);
    o += fmt::format("IN={} OUT={} ", p.inDev, p.outDev);
    if (!p.inDev.empty()) {
        if ((flags & kLogMacDecode) && p.mac.size() == 14) {
            o += fmt::format("MACSRC={} MACDST={} MACPROTO={:04x} ", mac(p.mac, 6), mac(p.mac, 0), be16(p.mac, 12));
        } else {
            o += "MAC=";
            for (std::size_t k = 0; k < p.mac.size(); ++k)
                fmt::format_to(std::back_inserter(o), "{}{:02x}", k ? ":" : "", p.mac[k]);
            o += " ";
        }
    }
    dumpIpv4(o, p.ip, p, flags, true);
    return o;
}

} // namespace stackscope::netfilter
