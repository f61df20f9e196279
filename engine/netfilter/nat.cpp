// SPDX-License-Identifier: GPL-3.0-or-later
// NAT bindings and packet rewriting: net/netfilter/nf_nat_core.c
// (nf_nat_setup_info, get_unique_tuple, find_appropriate_src,
// find_best_ips_proto, nf_nat_l4proto_unique_tuple, nf_nat_packet,
// nf_nat_alloc_null_binding), nf_nat_proto.c (nf_nat_ipv4_manip_pkt,
// nf_nat_icmp_reply_translation), nf_nat_masquerade.c and nf_nat_redirect.c.
#include "netfilter/nat.h"

#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#include <algorithm>

namespace stackscope::netfilter {

namespace {

bool portProtocol(std::uint8_t protocol) {
    return protocol == wire::kIpProtoTcp || protocol == wire::kIpProtoUdp || protocol == 33 ||
           protocol == 132 || protocol == 136;
}

bool icmpQuery(std::uint8_t type) {
    switch (type) {
    case wire::kIcmpEcho:
    case wire::kIcmpEchoReply:
    case wire::kIcmpTimestamp:
    case wire::kIcmpTimestampReply:
    case wire::kIcmpInfoRequest:
    case wire::kIcmpInfoReply:
    case wire::kIcmpAddressMask:
    case wire::kIcmpAddressMaskReply:
        return true;
    default:
        return false;
    }
}

NatManip otherManip(NatManip m) {
    return m == NatManip::Src ? NatManip::Dst : NatManip::Src;
}

// The L4 key get_unique_tuple varies: the ICMP id, else the port on the manip's side.
std::uint16_t& l4Key(CtTuple& t, NatManip manip) {
    if (t.protocol == wire::kIpProtoIcmp) return t.srcPort;
    return manip == NatManip::Src ? t.srcPort : t.dstPort;
}

// A stand-in for the kernel's jhash2 in find_best_ips_proto: any stable spread
// of (source, destination) keeps a client on one mapped address.
std::uint32_t addressHash(wire::Ipv4Address src, wire::Ipv4Address dst) {
    std::uint32_t h = 2166136261u;
    for (std::uint32_t v : {src.value, dst.value}) {
        for (int i = 0; i < 4; ++i) {
            h ^= (v >> (8 * i)) & 0xffu;
            h *= 16777619u;
        }
    }
    return h;
}

} // namespace

std::optional<NatManip> hookManip(Hook hook) {
    switch (hook) {
    case Hook::PreRouting:
    case Hook::LocalOut:
        return NatManip::Dst;
    case Hook::PostRouting:
    case Hook::LocalIn:
        return NatManip::Src;
    case Hook::Forward:
        return std::nullopt;
    }
    return std::nullopt;
}

std::optional<bool> natManipPacket(std::span<std::uint8_t> bytes, std::size_t ipOffset,
                                   const CtTuple& target, NatManip manip) {
    if (bytes.size() < ipOffset + wire::kIpv4MinHeaderLen) return std::nullopt;
    std::span<std::uint8_t> ip = bytes.subspan(ipOffset);
    const std::size_t ihl = std::size_t(ip[0] & 0x0f) * 4;
    if (ihl < wire::kIpv4MinHeaderLen || ip.size() < ihl) return std::nullopt;
    // The quoted header inside an ICMP error claims more than was quoted.
    std::size_t end = std::min<std::size_t>(ip.size(), wire::loadBe16(ip.data() + 2));
    std::span<std::uint8_t> l4 = end > ihl ? ip.subspan(ihl, end - ihl) : ip.subspan(ihl, 0);

    const bool src = manip == NatManip::Src;
    const std::size_t addrOffset = src ? wire::kIpv4SrcOffset : wire::kIpv4DstOffset;
    const wire::Ipv4Address oldAddr = wire::loadIpv4(ip.data() + addrOffset);
    const wire::Ipv4Address newAddr = src ? target.src : target.dst;
    bool changed = oldAddr != newAddr;

    if (portProtocol(target.protocol)) {
        if (l4.size() < 8) return std::nullopt;
        std::uint8_t* port = l4.data() + (src ? 0 : 2);
        const std::uint16_t oldPort = wire::loadBe16(port);
        const std::uint16_t newPort = src ? target.srcPort : target.dstPort;
        changed = changed || oldPort != newPort;
        std::uint8_t* check = nullptr;
        if (target.protocol == wire::kIpProtoUdp || target.protocol == 136) {
            check = l4.data() + wire::kUdpChecksumOffset;
            // udp_manip_pkt: a zero UDP checksum means none and stays zero.
            if (target.protocol == wire::kIpProtoUdp && wire::loadBe16(check) == 0) check = nullptr;
        } else if (target.protocol == wire::kIpProtoTcp && l4.size() >= wire::kTcpMinHeaderLen) {
            // A header quoted in an ICMP error may be cut at 8 bytes: ports only then.
            check = l4.data() + wire::kTcpChecksumOffset;
        }
        if (check) {
            std::uint16_t sum = wire::loadBe16(check);
            sum = wire::checksumReplace32(sum, oldAddr.value, newAddr.value); // pseudo-header
            sum = wire::checksumReplace16(sum, oldPort, newPort);
            if (sum == 0 && target.protocol == wire::kIpProtoUdp) sum = 0xffff; // CSUM_MANGLED_0
            wire::storeBe16(check, sum);
        }
        wire::storeBe16(port, newPort);
    } else if (target.protocol == wire::kIpProtoIcmp) {
        if (l4.size() < wire::kIcmpHeaderLen) return std::nullopt;
        if (icmpQuery(l4[wire::kIcmpTypeOffset])) {
            std::uint8_t* id = l4.data() + wire::kIcmpIdOffset;
            const std::uint16_t oldId = wire::loadBe16(id);
            changed = changed || oldId != target.srcPort;
            std::uint8_t* check = l4.data() + wire::kIcmpChecksumOffset;
            wire::storeBe16(check,
                            wire::checksumReplace16(wire::loadBe16(check), oldId, target.srcPort));
            wire::storeBe16(id, target.srcPort);
        }
    }

    std::uint8_t* ipCheck = ip.data() + wire::kIpv4ChecksumOffset;
    wire::storeBe16(ipCheck,
                    wire::checksumReplace32(wire::loadBe16(ipCheck), oldAddr.value, newAddr.value));
    wire::storeIpv4(ip.data() + addrOffset, newAddr);
    return changed;
}

bool Conntrack::hasBinding(std::uint64_t id, NatManip manip) const {
    const Entry* e = entry(id);
    return e && e->has(manip == NatManip::Src ? kSrcNatDone : kDstNatDone);
}

bool Conntrack::isNatted(std::uint64_t id, NatManip manip) const {
    const Entry* e = entry(id);
    return e && e->has(manip == NatManip::Src ? kSrcNat : kDstNat);
}

bool Conntrack::tupleTaken(const CtTuple& tuple, std::uint64_t ignore) const {
    // nf_nat_used_tuple: only incoming tuples are hashed, so look for the reply.
    auto reply = invertTuple(tuple);
    if (!reply) return false;
    auto it = m_index.find(*reply);
    if (it == m_index.end() || it->second.id == ignore) return false;
    const Entry* e = entry(it->second.id);
    return e && live(*e);
}

bool Conntrack::uniqueTuple(CtTuple& tuple, const CtTuple& orig, NatManip manip, bool mapIps,
                            wire::Ipv4Address minAddr, wire::Ipv4Address maxAddr,
                            bool protoSpecified, std::uint16_t minPort, std::uint16_t maxPort,
                            std::uint64_t id) const {
    if (maxPort < minPort) std::swap(minPort, maxPort);
    auto l4InRange = [&](const CtTuple& t) {
        if (!protoSpecified) return true;
        if (t.protocol != wire::kIpProtoIcmp && !portProtocol(t.protocol)) return true;
        std::uint16_t key = t.protocol == wire::kIpProtoIcmp ? t.srcPort
                            : manip == NatManip::Src         ? t.srcPort
                                                             : t.dstPort;
        return key >= minPort && key <= maxPort;
    };
    auto inRange = [&](const CtTuple& t) { // nf_in_range, source side
        if (mapIps && (t.src < minAddr || maxAddr < t.src)) return false;
        return l4InRange(t);
    };

    if (manip == NatManip::Src) {
        // Keep the source as it is when that already fits and is free.
        if (inRange(orig)) {
            if (!tupleTaken(orig, id)) {
                tuple = orig;
                return true;
            }
        } else {
            // find_appropriate_src: reuse the mapping another connection from
            // the same source address and port already has.
            for (const auto& [otherId, e] : m_entries) {
                if (otherId == id || !e.has(kSrcNatDone) || !live(e)) continue;
                const CtTuple& o = e.tuple[0];
                if (o.protocol != orig.protocol || o.src != orig.src || o.srcPort != orig.srcPort)
                    continue;
                auto mapped = invertTuple(e.tuple[1]);
                if (!mapped) continue;
                CtTuple candidate = orig;
                candidate.src = mapped->src;
                candidate.srcPort = mapped->srcPort;
                if (inRange(candidate) && !tupleTaken(candidate, id)) {
                    tuple = candidate;
                    return true;
                }
                break;
            }
        }
    }

    // find_best_ips_proto
    tuple = orig;
    if (mapIps) {
        std::uint32_t count = maxAddr.value - minAddr.value + 1;
        wire::Ipv4Address chosen = minAddr;
        if (maxAddr.value > minAddr.value)
            chosen.value += count == 0 ? addressHash(orig.src, orig.dst)
                                       : addressHash(orig.src, orig.dst) % count;
        (manip == NatManip::Src ? tuple.src : tuple.dst) = chosen;
    }

    if (protoSpecified) {
        // A single port is taken as given, even when in use: the clash shows at confirm.
        if (l4InRange(tuple) && (minPort == maxPort || !tupleTaken(tuple, id))) return true;
    } else if (!tupleTaken(tuple, id)) {
        return true;
    }

    // nf_nat_l4proto_unique_tuple, searching from the bottom of the range.
    std::uint32_t low = 0;
    std::uint32_t size = 0;
    std::uint16_t& key = l4Key(tuple, manip);
    if (tuple.protocol == wire::kIpProtoIcmp) {
        low = protoSpecified ? minPort : 0;
        size = protoSpecified ? std::uint32_t(maxPort - minPort) + 1 : 65536;
    } else if (portProtocol(tuple.protocol)) {
        if (protoSpecified) {
            low = minPort;
            size = std::uint32_t(maxPort - minPort) + 1;
        } else if (manip == NatManip::Dst) {
            // A destination port is never moved unasked. A clash may still be
            // resolved by the source binding that follows, else confirm fails.
            return true;
        } else if (key < 1024) {
            // Low ports stay low; below 512 they stay below 512 (credential passing).
            low = key < 512 ? 1 : 600;
            size = key < 512 ? 511 : 424;
        } else {
            low = 1024;
            size = 65536 - 1024;
        }
    } else {
        return true; // no L4 key to vary: any clash shows at confirm
    }
    for (std::uint32_t off = 0; off < size; ++off) {
        key = std::uint16_t(low + off);
        if (!tupleTaken(tuple, id)) return true;
    }
    return false;
}

bool Conntrack::setupNatRange(std::uint64_t id, NatManip manip, bool mapIps,
                              wire::Ipv4Address minAddr, wire::Ipv4Address maxAddr,
                              bool protoSpecified, std::uint16_t minPort, std::uint16_t maxPort) {
    Entry* e = entry(id);
    const std::uint16_t done = manip == NatManip::Src ? kSrcNatDone : kDstNatDone;
    if (!e || e->has(done)) return false;
    // The original tuple as it looks after the manips already bound.
    auto current = invertTuple(e->tuple[1]);
    if (!current) return false;
    CtTuple next;
    if (!uniqueTuple(next, *current, manip, mapIps, minAddr, maxAddr, protoSpecified, minPort,
                     maxPort, id))
        return false;
    if (next != *current) {
        auto reply = invertTuple(next);
        if (!reply) return false;
        // nf_conntrack_alter_reply
        const bool indexed = e->has(kConfirmed);
        if (indexed) m_index.erase(e->tuple[1]);
        e->tuple[1] = *reply;
        if (indexed) m_index[e->tuple[1]] = IndexValue{id, CtDir::Reply};
        e->status |= manip == NatManip::Src ? kSrcNat : kDstNat;
    }
    e->status |= done;
    return true;
}

bool Conntrack::setupNat(std::uint64_t id, NatManip manip, const NatRequest& request,
                         wire::Ipv4Address masqAddress, wire::Ipv4Address redirectAddress) {
    const NatRange& r = request.range;
    switch (request.kind) {
    case NatKind::None:
        if (!entry(id) || hasBinding(id, manip)) return false;
        setNullBinding(id, manip);
        return true;
    case NatKind::Dnat:
    case NatKind::Snat: {
        NatManip wanted = request.kind == NatKind::Dnat ? NatManip::Dst : NatManip::Src;
        if (manip != wanted) return false;
        return setupNatRange(id, manip, r.hasAddress, r.minAddress, r.maxAddress, r.hasPorts,
                             r.minPort, r.maxPort);
    }
    case NatKind::Masquerade: {
        // nf_nat_masquerade_ipv4: no usable source address means NF_DROP.
        if (manip != NatManip::Src || masqAddress.isAny()) return false;
        if (!setupNatRange(id, manip, true, masqAddress, masqAddress, r.hasPorts, r.minPort,
                           r.maxPort))
            return false;
        entry(id)->status |= kMasquerade;
        return true;
    }
    case NatKind::Redirect:
        // nf_nat_redirect_ipv4: an in device without an address means NF_DROP.
        if (manip != NatManip::Dst || redirectAddress.isAny()) return false;
        return setupNatRange(id, manip, true, redirectAddress, redirectAddress, r.hasPorts,
                             r.minPort, r.maxPort);
    }
    return false;
}

void Conntrack::setNullBinding(std::uint64_t id, NatManip manip) {
    Entry* e = entry(id);
    if (!e || hasBinding(id, manip)) return;
    // The address the other side already sees: unchanged unless a clash moves the port.
    wire::Ipv4Address address = manip == NatManip::Src ? e->tuple[1].dst : e->tuple[1].src;
    if (!setupNatRange(id, manip, true, address, address, false, 0, 0))
        e->status |= manip == NatManip::Src ? kSrcNatDone : kDstNatDone;
}

NatResult Conntrack::natPacket(std::uint64_t id, CtDir dir, Hook hook,
                               std::span<std::uint8_t> ip) const {
    NatResult result;
    const Entry* e = entry(id);
    auto manip = hookManip(hook);
    if (!e || !manip) return result;
    std::uint16_t statusBit = *manip == NatManip::Src ? kSrcNat : kDstNat;
    if (dir == CtDir::Reply) statusBit = statusBit == kSrcNat ? kDstNat : kSrcNat;
    const CtTuple& other = e->tuple[dir == CtDir::Original ? 1 : 0];

    auto pkt = wire::Ipv4Packet::view(ip);
    if (!pkt) {
        result.drop = true;
        return result;
    }
    const std::size_t ihl = pkt->headerLength();
    const std::size_t end = std::min<std::size_t>(ip.size(), pkt->totalLength());
    if (pkt->protocol() == wire::kIpProtoIcmp && end >= ihl + wire::kIcmpHeaderLen &&
        wire::icmpIsError(ip[ihl + wire::kIcmpTypeOffset])) {
        // nf_nat_icmp_reply_translation for a RELATED error.
        std::span<std::uint8_t> icmp = ip.subspan(ihl, end - ihl);
        if (icmp[wire::kIcmpTypeOffset] == wire::kIcmpRedirect) {
            // Redirects about NATed flows would let the ends bypass the translation.
            if (!e->has(kSrcNatDone | kDstNatDone) || (e->status & (kSrcNat | kDstNat))) {
                result.drop = true;
                return result;
            }
        }
        if (!(e->status & statusBit)) return result;
        if (wire::internetChecksum(icmp) != 0) {
            result.drop = true;
            return result;
        }
        // The quoted packet is put back as the sender saw it: the opposite manip.
        auto inner = natManipPacket(ip, ihl + wire::kIcmpHeaderLen, other, otherManip(*manip));
        if (!inner) {
            result.drop = true;
            return result;
        }
        wire::storeBe16(icmp.data() + wire::kIcmpChecksumOffset, 0);
        wire::storeBe16(icmp.data() + wire::kIcmpChecksumOffset, wire::internetChecksum(icmp));
        auto target = invertTuple(other);
        if (!target) return result;
        target->protocol = wire::kIpProtoIcmp;
        auto outer = natManipPacket(ip, 0, *target, *manip);
        if (!outer) {
            result.drop = true;
            return result;
        }
        result.changed = *inner || *outer;
        return result;
    }

    if (!(e->status & statusBit)) return result;
    // nf_nat_manip_pkt: the target is the inverse of the other direction's tuple.
    auto target = invertTuple(other);
    if (!target) return result;
    auto changed = natManipPacket(ip, 0, *target, *manip);
    if (!changed) {
        result.drop = true;
        return result;
    }
    result.changed = *changed;
    return result;
}

std::size_t Conntrack::flushMasquerade(wire::Ipv4Address address) {
    std::size_t removed = 0;
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (it->second.has(kMasquerade) && it->second.tuple[1].dst == address) {
            unindex(it->first, it->second);
            it = m_entries.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    return removed;
}

} // namespace stackscope::netfilter
