// SPDX-License-Identifier: GPL-3.0-or-later
// nf_conntrack_in and its trackers (net/netfilter/nf_conntrack_core.c,
// nf_conntrack_proto_udp.c, nf_conntrack_proto_tcp.c, nf_conntrack_proto_icmp.c,
// nf_conntrack_proto_generic.c) and the `conntrack -L` line
// (libnetfilter_conntrack's default output format).
#include "netfilter/conntrack.h"

#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#include <fmt/format.h>

#include <array>

namespace stackscope::netfilter {

namespace {

constexpr std::uint8_t kIcmpTypeMax = 18; // NR_ICMP_TYPES

bool hasPorts(std::uint8_t protocol) {
    // The protocols conntrack -L prints sport/dport for (TCP, UDP, DCCP, SCTP, UDP-Lite).
    return protocol == wire::kIpProtoTcp || protocol == wire::kIpProtoUdp || protocol == 33 ||
           protocol == 132 || protocol == 136;
}

std::string_view protoName(std::uint8_t protocol) {
    switch (protocol) {
    case 1:
        return "icmp";
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 33:
        return "dccp";
    case 47:
        return "gre";
    case 58:
        return "icmpv6";
    case 132:
        return "sctp";
    case 136:
        return "udplite";
    default:
        return "unknown";
    }
}

// invmap of nf_conntrack_proto_icmp.c: a query type and its reply, both ways.
std::optional<std::uint8_t> icmpInverseType(std::uint8_t type) {
    switch (type) {
    case wire::kIcmpEcho:
        return wire::kIcmpEchoReply;
    case wire::kIcmpEchoReply:
        return wire::kIcmpEcho;
    case wire::kIcmpTimestamp:
        return wire::kIcmpTimestampReply;
    case wire::kIcmpTimestampReply:
        return wire::kIcmpTimestamp;
    case wire::kIcmpInfoRequest:
        return wire::kIcmpInfoReply;
    case wire::kIcmpInfoReply:
        return wire::kIcmpInfoRequest;
    case wire::kIcmpAddressMask:
        return wire::kIcmpAddressMaskReply;
    case wire::kIcmpAddressMaskReply:
        return wire::kIcmpAddressMask;
    default:
        return std::nullopt;
    }
}

// valid_new[] of the ICMP tracker: only requests may start a connection.
bool icmpValidNew(std::uint8_t type) {
    return type == wire::kIcmpEcho || type == wire::kIcmpTimestamp ||
           type == wire::kIcmpInfoRequest || type == wire::kIcmpAddressMask;
}

// tcp_valid_flags: the combinations tcp_error accepts, PSH, ECE and CWR masked out.
bool tcpValidFlags(std::uint8_t flags) {
    using namespace wire;
    switch (flags & ~(kTcpEce | kTcpCwr | kTcpPsh)) {
    case kTcpSyn:
    case kTcpSyn | kTcpUrg:
    case kTcpSyn | kTcpAck:
    case kTcpRst:
    case kTcpRst | kTcpAck:
    case kTcpFin | kTcpAck:
    case kTcpFin | kTcpAck | kTcpUrg:
    case kTcpAck:
    case kTcpAck | kTcpUrg:
        return true;
    default:
        return false;
    }
}

// enum tcp_bit_set / get_conntrack_index.
enum TcpIndex : std::uint8_t { kSynSet, kSynAckSet, kFinSet, kAckSet, kRstSet, kNoneSet };

TcpIndex tcpIndex(std::uint8_t flags) {
    if (flags & wire::kTcpRst) return kRstSet;
    if (flags & wire::kTcpSyn) return (flags & wire::kTcpAck) ? kSynAckSet : kSynSet;
    if (flags & wire::kTcpFin) return kFinSet;
    if (flags & wire::kTcpAck) return kAckSet;
    return kNoneSet;
}

// tcp_conntracks[dir][index][state]; kIv is sIV (invalid), kIg is sIG (ignored).
constexpr std::uint8_t kIv = 10;
constexpr std::uint8_t kIg = 11;
constexpr std::uint8_t sNO = 0, sSS = 1, sSR = 2, sES = 3, sFW = 4, sCW = 5, sLA = 6, sTW = 7,
                       sCL = 8, sS2 = 9;
constexpr std::uint8_t kTcpTable[2][6][10] = {
    {
        // ORIGINAL    sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
        /* syn    */ {sSS, sSS, kIg, kIg, kIg, kIg, kIg, sSS, sSS, sS2},
        /* synack */ {kIv, kIv, kIg, kIg, kIg, kIg, kIg, kIg, kIg, sSR},
        /* fin    */ {kIv, kIv, sFW, sFW, sLA, sLA, sLA, sTW, sCL, kIv},
        /* ack    */ {sES, kIv, sES, sES, sCW, sCW, sTW, sTW, sCL, kIv},
        /* rst    */ {kIv, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
        /* none   */ {kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv},
    },
    {
        // REPLY       sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
        /* syn    */ {kIv, sS2, kIv, kIv, kIv, kIv, kIv, kIv, kIv, sS2},
        /* synack */ {kIv, sSR, kIg, kIg, kIg, kIg, kIg, kIg, kIg, sSR},
        /* fin    */ {kIv, kIv, sFW, sFW, sLA, sLA, sLA, sTW, sCL, kIv},
        /* ack    */ {kIv, kIg, sSR, sES, sCW, sCW, sTW, sTW, sCL, kIg},
        /* rst    */ {kIv, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
        /* none   */ {kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv},
    },
};

std::string tupleFields(const CtTuple& t) {
    std::string out = fmt::format("src={} dst={} ", t.src.toString(), t.dst.toString());
    if (t.protocol == wire::kIpProtoIcmp)
        out += fmt::format("type={} code={} id={} ", t.dstPort >> 8, t.dstPort & 0xff, t.srcPort);
    else if (hasPorts(t.protocol))
        out += fmt::format("sport={} dport={} ", t.srcPort, t.dstPort);
    return out;
}

} // namespace

std::string_view tcpCtStateName(TcpCtState state) {
    static constexpr std::array<std::string_view, 10> kNames = {
        "NONE",       "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
        "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",       "SYN_SENT2"};
    return kNames[std::size_t(state)];
}

std::string_view ctStateName(CtState state) {
    switch (state) {
    case CtState::New:
        return "NEW";
    case CtState::Established:
        return "ESTABLISHED";
    case CtState::Related:
        return "RELATED";
    case CtState::Invalid:
        return "INVALID";
    case CtState::Untracked:
        return "UNTRACKED";
    }
    return "?";
}

std::string formatTuple(const CtTuple& t) {
    std::string_view name = protoName(t.protocol);
    if (t.protocol == wire::kIpProtoIcmp)
        return fmt::format("icmp {} -> {} type={} code={} id={}", t.src.toString(),
                           t.dst.toString(), t.dstPort >> 8, t.dstPort & 0xff, t.srcPort);
    if (hasPorts(t.protocol))
        return fmt::format("{} {}:{} -> {}:{}", name, t.src.toString(), t.srcPort, t.dst.toString(),
                           t.dstPort);
    if (name == "unknown")
        return fmt::format("proto {} {} -> {}", t.protocol, t.src.toString(), t.dst.toString());
    return fmt::format("{} {} -> {}", name, t.src.toString(), t.dst.toString());
}

std::optional<CtTuple> packetTuple(std::span<const std::uint8_t> ip) {
    auto pkt = wire::Ipv4Packet::view(ip);
    if (!pkt || pkt->ihl() < 5 || ip.size() < pkt->headerLength()) return std::nullopt;
    CtTuple t;
    t.src = pkt->src();
    t.dst = pkt->dst();
    t.protocol = pkt->protocol();
    // ICMP errors quote the offending packet cut short, so the L4 part runs to
    // the end of the buffer rather than to the quoted total length.
    std::span<const std::uint8_t> l4 = ip.subspan(pkt->headerLength());
    if (pkt->totalLength() >= pkt->headerLength() && pkt->totalLength() < ip.size())
        l4 = l4.first(pkt->totalLength() - pkt->headerLength());
    if (hasPorts(t.protocol)) {
        if (l4.size() < 8) return std::nullopt; // tcp_pkt_to_tuple reads 8 bytes
        t.srcPort = wire::loadBe16(l4.data());
        t.dstPort = wire::loadBe16(l4.data() + 2);
    } else if (t.protocol == wire::kIpProtoIcmp) {
        if (l4.size() < wire::kIcmpHeaderLen) return std::nullopt;
        std::uint8_t type = l4[wire::kIcmpTypeOffset];
        t.dstPort = std::uint16_t((type << 8) | l4[wire::kIcmpCodeOffset]);
        if (icmpInverseType(type)) t.srcPort = wire::loadBe16(l4.data() + wire::kIcmpIdOffset);
    }
    return t;
}

std::optional<CtTuple> invertTuple(const CtTuple& t) {
    CtTuple r;
    r.src = t.dst;
    r.dst = t.src;
    r.protocol = t.protocol;
    if (t.protocol == wire::kIpProtoIcmp) {
        auto inverse = icmpInverseType(std::uint8_t(t.dstPort >> 8));
        if (!inverse) return std::nullopt;
        r.srcPort = t.srcPort;
        r.dstPort = std::uint16_t((*inverse << 8) | (t.dstPort & 0xff));
    } else {
        r.srcPort = t.dstPort;
        r.dstPort = t.srcPort;
    }
    return r;
}

Conntrack::Entry* Conntrack::entry(std::uint64_t id) {
    auto it = m_entries.find(id);
    return it == m_entries.end() ? nullptr : &it->second;
}

const Conntrack::Entry* Conntrack::entry(std::uint64_t id) const {
    auto it = m_entries.find(id);
    return it == m_entries.end() ? nullptr : &it->second;
}

bool Conntrack::live(const Entry& e) const {
    return e.has(kConfirmed) && !e.has(kDying) && e.timeout > m_now;
}

void Conntrack::refresh(Entry& e, Nanos timeout, Nanos now) {
    // __nf_ct_refresh_acct: relative until __nf_conntrack_confirm adds the time.
    e.timeout = e.has(kConfirmed) ? now + timeout : timeout;
}

void Conntrack::unindex(std::uint64_t id, const Entry& e) {
    for (const CtTuple& t : e.tuple) {
        auto it = m_index.find(t);
        if (it != m_index.end() && it->second.id == id) m_index.erase(it);
    }
}

void Conntrack::erase(std::uint64_t id) {
    auto it = m_entries.find(id);
    if (it == m_entries.end()) return;
    unindex(id, it->second);
    m_entries.erase(it);
}

std::optional<Conntrack::IndexValue> Conntrack::lookupLive(const CtTuple& tuple, Nanos now) {
    auto it = m_index.find(tuple);
    if (it == m_index.end()) return std::nullopt;
    IndexValue hit = it->second;
    Entry* e = entry(hit.id);
    if (!e) return std::nullopt;
    if (e->timeout <= now || e->has(kDying)) {
        // nf_ct_gc_expired: an expired entry met on lookup is reaped on the spot.
        erase(hit.id);
        return std::nullopt;
    }
    return hit;
}

std::optional<std::pair<std::uint64_t, CtDir>> Conntrack::find(const CtTuple& tuple) const {
    auto it = m_index.find(tuple);
    if (it == m_index.end()) return std::nullopt;
    const Entry* e = entry(it->second.id);
    if (!e || !live(*e)) return std::nullopt;
    return std::pair{it->second.id, it->second.dir};
}

Nanos Conntrack::tcpTimeout(TcpCtState state) const {
    switch (state) {
    case TcpCtState::None:
        return m_timeouts.tcpClose;
    case TcpCtState::SynSent:
    case TcpCtState::SynSent2:
        return m_timeouts.tcpSynSent;
    case TcpCtState::SynRecv:
        return m_timeouts.tcpSynRecv;
    case TcpCtState::Established:
        return m_timeouts.tcpEstablished;
    case TcpCtState::FinWait:
        return m_timeouts.tcpFinWait;
    case TcpCtState::CloseWait:
        return m_timeouts.tcpCloseWait;
    case TcpCtState::LastAck:
        return m_timeouts.tcpLastAck;
    case TcpCtState::TimeWait:
        return m_timeouts.tcpTimeWait;
    case TcpCtState::Close:
        return m_timeouts.tcpClose;
    }
    return m_timeouts.tcpClose;
}

bool Conntrack::udpPacket(Entry& e, CtDir, Nanos now) {
    if (e.has(kSeenReply)) {
        // Still active two seconds after creation: a stream, 120 s and ASSURED.
        bool stream = now > e.created + 2 * kSecond;
        refresh(e, stream ? m_timeouts.udpStream : m_timeouts.udp, now);
        if (stream) e.status |= kAssured;
    } else {
        refresh(e, m_timeouts.udp, now);
    }
    return true;
}

bool Conntrack::icmpPacket(Entry& e, Nanos now) {
    refresh(e, m_timeouts.icmp, now);
    return true;
}

bool Conntrack::tcpPacket(std::uint64_t, Entry& e, CtDir dir, std::uint8_t flags, Nanos now) {
    TcpIndex index = tcpIndex(flags);
    TcpCtState old = e.tcp;
    std::uint8_t next = kTcpTable[dir == CtDir::Reply][index][std::size_t(old)];
    if (next == kIv) return false;
    if (next == kIg) return true; // accepted, no state change and no refresh
    e.tcp = TcpCtState(next);
    Nanos timeout = index == kRstSet ? m_timeouts.tcpClose : tcpTimeout(e.tcp);
    if (!e.has(kSeenReply)) {
        // A RST as the only answer: no connection was ever established.
        if (flags & wire::kTcpRst) {
            e.status |= kDying;
            return true;
        }
        // An unreplied mid-stream pickup gets no 5-day timeout.
        if (e.tcp == TcpCtState::Established && timeout > m_timeouts.tcpUnacknowledged)
            timeout = m_timeouts.tcpUnacknowledged;
    } else if (!e.has(kAssured) && (old == TcpCtState::SynRecv || old == TcpCtState::Established) &&
               e.tcp == TcpCtState::Established) {
        e.status |= kAssured;
    }
    refresh(e, timeout, now);
    return true;
}

CtLookup Conntrack::relatedIcmp(std::span<const std::uint8_t> ip, std::size_t icmpOffset,
                                std::size_t icmpLength, Nanos now) {
    CtLookup invalid{CtState::Invalid, CtDir::Original, 0, false};
    if (icmpLength < wire::kIcmpHeaderLen + wire::kIpv4MinHeaderLen) return invalid;
    std::span<const std::uint8_t> inner =
        ip.subspan(icmpOffset + wire::kIcmpHeaderLen, icmpLength - wire::kIcmpHeaderLen);
    auto innerPkt = wire::Ipv4Packet::view(inner);
    if (!innerPkt || innerPkt->fragmentOffset() != 0) return invalid;
    auto innerTuple = packetTuple(inner);
    if (!innerTuple) return invalid;
    // The quoted packet went out in some direction; the error comes back in the other.
    auto inverted = invertTuple(*innerTuple);
    if (!inverted) return invalid;
    auto hit = lookupLive(*inverted, now);
    if (!hit) return invalid;
    // nf_conntrack_inet_error: the error must be addressed to the quoted sender.
    const Entry* e = entry(hit->id);
    auto outer = wire::Ipv4Packet::view(ip);
    if (outer->dst() != e->tuple[std::size_t(hit->dir)].dst) return invalid;
    return CtLookup{CtState::Related, hit->dir, hit->id, false};
}

CtLookup Conntrack::in(std::span<const std::uint8_t> ip, Nanos now, bool verifyChecksum) {
    m_now = now;
    const CtLookup invalid{CtState::Invalid, CtDir::Original, 0, false};
    auto pkt = wire::Ipv4Packet::view(ip);
    if (!pkt || pkt->check()) return invalid;
    // Defragmentation runs before conntrack; a fragment that gets here has no L4 header.
    if (pkt->fragmentOffset() != 0) return invalid;
    std::span<const std::uint8_t> l4 = pkt->payload();
    const std::size_t l4Offset = pkt->headerLength();
    const std::uint8_t protocol = pkt->protocol();
    std::uint8_t tcpFlags = 0;

    if (protocol == wire::kIpProtoUdp) {
        auto udp = wire::UdpPacket::view(l4);
        if (!udp || udp->check()) return invalid; // udp_error: short, truncated, malformed
        if (verifyChecksum && !udp->verifyChecksum(pkt->src(), pkt->dst())) return invalid;
    } else if (protocol == wire::kIpProtoTcp) {
        auto tcp = wire::TcpPacket::view(l4);
        if (!tcp || tcp->check()) return invalid; // tcp_error: short, bad data offset
        if (verifyChecksum && !tcp->verifyChecksum(pkt->src(), pkt->dst())) return invalid;
        tcpFlags = tcp->flags();
        if (!tcpValidFlags(tcpFlags)) return invalid;
    } else if (protocol == wire::kIpProtoIcmp) {
        auto icmp = wire::IcmpPacket::view(l4);
        if (!icmp) return invalid;
        if (verifyChecksum && !icmp->verifyChecksum()) return invalid;
        if (icmp->type() > kIcmpTypeMax) return invalid;
        if (wire::icmpIsError(icmp->type())) return relatedIcmp(ip, l4Offset, l4.size(), now);
    }

    auto tuple = packetTuple(ip.first(std::min<std::size_t>(ip.size(), pkt->totalLength())));
    if (!tuple) return invalid;

    auto hit = lookupLive(*tuple, now);
    if (hit && protocol == wire::kIpProtoTcp && hit->dir == CtDir::Original &&
        tcpIndex(tcpFlags) == kSynSet) {
        Entry* e = entry(hit->id);
        if (e->tcp == TcpCtState::TimeWait || e->tcp == TcpCtState::Close) {
            // A SYN re-opening a closed connection: kill it and start over (NF_REPEAT).
            erase(hit->id);
            hit.reset();
        }
    }

    CtLookup result;
    if (hit) {
        result.id = hit->id;
        result.dir = hit->dir;
    } else {
        // init_conntrack: only packets that may open a connection get one.
        if (protocol == wire::kIpProtoTcp) {
            std::uint8_t first = kTcpTable[0][tcpIndex(tcpFlags)][sNO];
            if (first == kIv || first == kIg) return invalid;
            if (first == sES && !m_tcpLoose) return invalid;
        } else if (protocol == wire::kIpProtoIcmp) {
            if (!icmpValidNew(std::uint8_t(tuple->dstPort >> 8))) return invalid;
        }
        auto reply = invertTuple(*tuple);
        if (!reply) return invalid;
        Entry e;
        e.tuple[0] = *tuple;
        e.tuple[1] = *reply;
        e.created = now;
        result.id = m_nextId++;
        result.created = true;
        m_entries.emplace(result.id, e);
    }

    Entry& e = *entry(result.id);
    result.state =
        (result.dir == CtDir::Reply || e.has(kSeenReply)) ? CtState::Established : CtState::New;
    bool ok = true;
    switch (protocol) {
    case wire::kIpProtoUdp:
        ok = udpPacket(e, result.dir, now);
        break;
    case wire::kIpProtoTcp:
        ok = tcpPacket(result.id, e, result.dir, tcpFlags, now);
        break;
    case wire::kIpProtoIcmp:
        ok = icmpPacket(e, now);
        break;
    default:
        refresh(e, m_timeouts.generic, now);
        break;
    }
    if (!ok) {
        if (result.created) m_entries.erase(result.id);
        return invalid;
    }
    if (result.dir == CtDir::Reply) e.status |= kSeenReply;
    if (e.has(kDying)) unindex(result.id, e);
    return result;
}

bool Conntrack::confirm(std::uint64_t id, Nanos now) {
    m_now = now;
    Entry* e = entry(id);
    if (!e) return false;
    if (e->has(kConfirmed)) return true;
    if (e->has(kDying)) {
        erase(id);
        return false;
    }
    for (const CtTuple& t : e->tuple) {
        auto hit = lookupLive(t, now);
        if (!hit) continue;
        const Entry* other = entry(hit->id);
        bool sameFlow = other->tuple[0] == e->tuple[0] && other->tuple[1] == e->tuple[1];
        m_entries.erase(id); // never indexed, so nothing else to undo
        return sameFlow;
    }
    e->timeout += now;
    e->status |= kConfirmed;
    m_index[e->tuple[0]] = IndexValue{id, CtDir::Original};
    m_index[e->tuple[1]] = IndexValue{id, CtDir::Reply};
    return true;
}

void Conntrack::destroyUnconfirmed(std::uint64_t id) {
    const Entry* e = entry(id);
    if (e && !e->has(kConfirmed)) m_entries.erase(id);
}

bool Conntrack::isConfirmed(std::uint64_t id) const {
    const Entry* e = entry(id);
    return e && e->has(kConfirmed);
}

std::size_t Conntrack::expire(Nanos now) {
    m_now = now;
    std::size_t removed = 0;
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        const Entry& e = it->second;
        if (e.has(kDying) || (e.has(kConfirmed) && e.timeout <= now)) {
            unindex(it->first, e);
            it = m_entries.erase(it);
            ++removed;
        } else {
            ++it;
        }
    }
    return removed;
}

std::vector<CtRow> Conntrack::table(Nanos now) const {
    std::vector<CtRow> rows;
    for (const auto& [id, e] : m_entries) {
        if (!e.has(kConfirmed) || e.has(kDying) || e.timeout <= now) continue;
        const CtTuple& orig = e.tuple[0];
        std::string text = fmt::format("{:<8} {} {} ", protoName(orig.protocol), orig.protocol,
                                       (e.timeout - now) / kSecond);
        if (orig.protocol == wire::kIpProtoTcp) {
            text += tcpCtStateName(e.tcp);
            text += ' ';
        }
        text += tupleFields(orig);
        if (!e.has(kSeenReply)) text += "[UNREPLIED] ";
        text += tupleFields(e.tuple[1]);
        if (e.has(kAssured)) text += "[ASSURED] ";
        text += fmt::format("mark={} use=1", e.mark);
        rows.push_back(CtRow{std::move(text), id});
    }
    return rows;
}

std::uint32_t Conntrack::mark(std::uint64_t id) const {
    const Entry* e = entry(id);
    return e ? e->mark : 0;
}

void Conntrack::setMark(std::uint64_t id, std::uint32_t mark) {
    if (Entry* e = entry(id)) e->mark = mark;
}

std::optional<CtTuple> Conntrack::tuple(std::uint64_t id, CtDir dir) const {
    const Entry* e = entry(id);
    if (!e) return std::nullopt;
    return e->tuple[std::size_t(dir)];
}

std::optional<TcpCtState> Conntrack::tcpState(std::uint64_t id) const {
    const Entry* e = entry(id);
    if (!e || e->tuple[0].protocol != wire::kIpProtoTcp) return std::nullopt;
    return e->tcp;
}

bool Conntrack::isAssured(std::uint64_t id) const {
    const Entry* e = entry(id);
    return e && e->has(kAssured);
}

bool Conntrack::seenReply(std::uint64_t id) const {
    const Entry* e = entry(id);
    return e && e->has(kSeenReply);
}

std::string Conntrack::describe(const CtLookup& lookup) const {
    const Entry* e = lookup.id ? entry(lookup.id) : nullptr;
    if (!e) return std::string(ctStateName(lookup.id ? CtState::Invalid : lookup.state));
    return fmt::format("{} {}", ctStateName(lookup.state),
                       formatTuple(e->tuple[std::size_t(lookup.dir)]));
}

} // namespace stackscope::netfilter
