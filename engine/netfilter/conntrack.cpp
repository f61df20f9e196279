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

#include <algorithm>
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
        /* synack */ {kIv, kIv, sSR, kIv, kIv, kIv, kIv, kIv, kIv, sSR},
        /* fin    */ {kIv, kIv, sFW, sFW, sLA, sLA, sLA, sTW, sCL, kIv},
        /* ack    */ {sES, kIv, sES, sES, sCW, sCW, sTW, sTW, sCL, kIv},
        /* rst    */ {kIv, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
        /* none   */ {kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv},
    },
    {
        // REPLY       sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2
        /* syn    */ {kIv, sS2, kIv, kIv, kIv, kIv, kIv, sSS, kIv, sS2},
        /* synack */ {kIv, sSR, kIg, kIg, kIg, kIg, kIg, kIg, kIg, sSR},
        /* fin    */ {kIv, kIv, sFW, sFW, sLA, sLA, sLA, sTW, sCL, kIv},
        /* ack    */ {kIv, kIg, sSR, sES, sCW, sCW, sTW, sTW, sCL, kIg},
        /* rst    */ {kIv, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
        /* none   */ {kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv, kIv},
    },
};

// last_flags bits of struct ip_ct_tcp beyond the per-direction ones.
constexpr std::uint8_t kTcpExpChallengeAck = 0x40;  // IP_CT_EXP_CHALLENGE_ACK
constexpr std::uint8_t kTcpSimultaneousOpen = 0x80; // IP_CT_TCP_SIMULTANEOUS_OPEN

// before() / after() of include/net/tcp.h: sequence comparison modulo 2^32.
bool seqBefore(std::uint32_t a, std::uint32_t b) { return std::int32_t(a - b) < 0; }
bool seqAfter(std::uint32_t a, std::uint32_t b) { return seqBefore(b, a); }

// MAXACKWINDOW: how far below the receiver's td_end an ACK may lag.
std::uint32_t maxAckWindow(const CtTcpWindow& sender) {
    constexpr std::uint32_t kMaxAckWinConst = 66000;
    return sender.tdMaxWin > kMaxAckWinConst ? sender.tdMaxWin : kMaxAckWinConst;
}

// tcp_options: window scale and SACK-permitted, parsed the way conntrack's
// simplified tcp_parse_options does (a malformed option ends the walk).
void tcpOptions(std::span<const std::uint8_t> opts, CtTcpWindow& state) {
    if (opts.empty()) return;
    state.tdScale = 0;
    state.flags &= kCtTcpFlagBeLiberal;
    std::size_t i = 0;
    std::ptrdiff_t length = std::ptrdiff_t(opts.size());
    while (length > 0) {
        const std::uint8_t opcode = opts[i++];
        if (opcode == wire::kTcpOptEol) return;
        if (opcode == wire::kTcpOptNop) {
            --length;
            continue;
        }
        if (length < 2) return;
        const std::uint8_t opsize = opts[i++];
        if (opsize < 2 || opsize > length) return;
        if (opcode == wire::kTcpOptSackPermitted && opsize == wire::kTcpOptLenSackPermitted) {
            state.flags |= kCtTcpFlagSackPerm;
        } else if (opcode == wire::kTcpOptWindowScale && opsize == wire::kTcpOptLenWindowScale) {
            state.tdScale = std::min(opts[i], wire::kTcpMaxWindowScale);
            state.flags |= kCtTcpFlagWindowScale;
        }
        i += opsize - 2;
        length -= opsize;
    }
}

// tcp_sack: the highest right edge of the SACK blocks, if above sack.
void tcpSack(std::span<const std::uint8_t> opts, std::uint32_t& sack) {
    if (opts.empty()) return;
    // Fast path: NOP NOP TIMESTAMP alone.
    if (opts.size() == 12 && opts[0] == wire::kTcpOptNop && opts[1] == wire::kTcpOptNop &&
        opts[2] == wire::kTcpOptTimestamp && opts[3] == wire::kTcpOptLenTimestamp)
        return;
    std::size_t i = 0;
    std::ptrdiff_t length = std::ptrdiff_t(opts.size());
    while (length > 0) {
        const std::uint8_t opcode = opts[i++];
        if (opcode == wire::kTcpOptEol) return;
        if (opcode == wire::kTcpOptNop) {
            --length;
            continue;
        }
        if (length < 2) return;
        const std::uint8_t opsize = opts[i++];
        if (opsize < 2 || opsize > length) return;
        if (opcode == wire::kTcpOptSack && opsize >= 2 + wire::kTcpOptLenSackBlock &&
            (opsize - 2) % wire::kTcpOptLenSackBlock == 0) {
            for (std::size_t b = 0; b < std::size_t(opsize - 2); b += wire::kTcpOptLenSackBlock) {
                const std::uint32_t right = wire::loadBe32(opts.data() + i + b + 4);
                if (seqAfter(right, sack)) sack = right;
            }
            return;
        }
        i += opsize - 2;
        length -= opsize;
    }
}

// tcp_init_sender: the SYN-ACK answering the SYN (or a simultaneous-open SYN).
void tcpInitSender(CtTcpWindow& sender, CtTcpWindow& receiver, std::span<const std::uint8_t> opts,
                   std::uint32_t end, std::uint32_t win, CtDir dir) {
    sender.tdEnd = sender.tdMaxEnd = end;
    sender.tdMaxWin = win == 0 ? 1 : win;
    tcpOptions(opts, sender);
    // RFC 7323: scaling is on only when both sides sent the option.
    if (dir == CtDir::Reply && !((sender.flags & kCtTcpFlagWindowScale) &&
                                 (receiver.flags & kCtTcpFlagWindowScale))) {
        sender.tdScale = 0;
        receiver.tdScale = 0;
    }
}

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
    const CtTimeouts& t = m_settings.timeouts;
    switch (state) {
    case TcpCtState::None:
        return t.tcpClose;
    case TcpCtState::SynSent:
        return t.tcpSynSent;
    case TcpCtState::SynSent2:
        return t.tcpSynSent2;
    case TcpCtState::SynRecv:
        return t.tcpSynRecv;
    case TcpCtState::Established:
        return t.tcpEstablished;
    case TcpCtState::FinWait:
        return t.tcpFinWait;
    case TcpCtState::CloseWait:
        return t.tcpCloseWait;
    case TcpCtState::LastAck:
        return t.tcpLastAck;
    case TcpCtState::TimeWait:
        return t.tcpTimeWait;
    case TcpCtState::Close:
        return t.tcpClose;
    }
    return t.tcpClose;
}

bool Conntrack::udpPacket(Entry& e, CtDir, Nanos now) {
    const CtTimeouts& t = m_settings.timeouts;
    if (e.has(kSeenReply)) {
        // Still active two seconds after creation: a stream, 120 s and ASSURED.
        bool stream = now > e.created + 2 * kSecond;
        refresh(e, stream ? t.udpStream : t.udp, now);
        if (stream) e.status |= kAssured;
    } else {
        refresh(e, t.udp, now);
    }
    return true;
}

bool Conntrack::icmpPacket(Entry& e, Nanos now) {
    refresh(e, m_settings.timeouts.icmp, now);
    return true;
}

// The fields of one segment nf_conntrack_tcp_packet looks at.
struct Conntrack::TcpSegment {
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint32_t end = 0; // segment_seq_plus_len: seq + payload + SYN + FIN
    std::uint16_t window = 0;
    std::uint8_t flags = 0;
    std::span<const std::uint8_t> options;
};

Conntrack::TcpVerdict Conntrack::tcpLogInvalid(const CtTcpWindow& sender, TcpVerdict verdict,
                                               std::string_view why,
                                               std::string_view& note) const {
    // nf_tcp_log_invalid: liberal tracking lets every window failure through.
    if ((sender.flags & kCtTcpFlagBeLiberal) || m_settings.tcpBeLiberal) return TcpVerdict::Accept;
    note = why;
    return verdict;
}

bool Conntrack::tcpNew(Entry& e, const TcpSegment& seg, std::string_view& note) const {
    const std::uint8_t first = kTcpTable[0][tcpIndex(seg.flags)][sNO];
    if (first == kIv || first == kIg) {
        note = "invalid new";
        return false;
    }
    TcpTrack& t = e.tcp;
    CtTcpWindow& s = t.seen[0];
    if (first == sSS) {
        t = TcpTrack{};
        s.tdEnd = seg.end;
        s.tdMaxWin = seg.window == 0 ? 1 : seg.window;
        s.tdMaxEnd = s.tdEnd;
        tcpOptions(seg.options, s);
    } else if (!m_settings.tcpLoose) {
        note = "mid-stream pickup refused (nf_conntrack_tcp_loose = 0)";
        return false;
    } else {
        // The history is lost: start from this segment, and track liberally
        // since the window scale factors were never seen.
        t = TcpTrack{};
        s.tdEnd = seg.end;
        s.tdMaxWin = seg.window == 0 ? 1 : seg.window;
        s.tdMaxEnd = s.tdEnd + s.tdMaxWin;
        t.seen[0].flags = t.seen[1].flags = kCtTcpFlagSackPerm | kCtTcpFlagBeLiberal;
    }
    t.lastIndex = kNoneSet;
    return true;
}

Conntrack::TcpVerdict Conntrack::tcpInWindow(Entry& e, CtDir dir, std::uint8_t index,
                                             const TcpSegment& seg,
                                             std::string_view& note) const {
    TcpTrack& t = e.tcp;
    const std::size_t d = std::size_t(dir);
    CtTcpWindow& sender = t.seen[d];
    CtTcpWindow& receiver = t.seen[1 - d];
    const bool syn = seg.flags & wire::kTcpSyn;
    const bool hasAck = seg.flags & wire::kTcpAck;
    const bool rst = seg.flags & wire::kTcpRst;
    std::uint32_t seq = seg.seq, ack = seg.ack, sack = seg.ack, end = seg.end;
    std::uint32_t win = seg.window;

    if (receiver.flags & kCtTcpFlagSackPerm) tcpSack(seg.options, sack);

    if (sender.tdMaxWin == 0) {
        if (syn) {
            // SYN-ACK answering the SYN, or a SYN from the reply side (simultaneous open).
            tcpInitSender(sender, receiver, seg.options, end, win, dir);
            if (!hasAck) return TcpVerdict::Accept;
        } else {
            // First segment seen from this side of a picked-up connection.
            sender.tdEnd = end;
            const std::uint32_t swin = win << sender.tdScale;
            sender.tdMaxWin = swin == 0 ? 1 : swin;
            sender.tdMaxEnd = end + sender.tdMaxWin;
            if (receiver.tdMaxWin == 0)
                receiver.tdEnd = receiver.tdMaxEnd = sack; // lets III and IV pass for now
            else if (sack == receiver.tdEnd + 1)
                ++receiver.tdEnd; // likely the answer to a keepalive
        }
    } else if (syn && seqAfter(end, sender.tdEnd) &&
               (t.state == TcpCtState::SynSent || t.state == TcpCtState::SynRecv)) {
        // A re-initialised endpoint (RFC 793) with a new sequence number or options.
        tcpInitSender(sender, receiver, seg.options, end, win, dir);
        if (dir == CtDir::Reply && !hasAck) return TcpVerdict::Accept;
    }

    if (!hasAck) {
        ack = sack = receiver.tdEnd; // no ACK: pretend it acks what was seen
    } else if (rst && ack == 0) {
        ack = sack = receiver.tdEnd; // stacks that set ACK with a zero ack in a RST
    }
    if (rst && seq == 0 && t.state == TcpCtState::SynSent) seq = end = sender.tdEnd; // RST answering a SYN

    // I. seq <= sender.td_maxend
    if (!seqBefore(seq, sender.tdMaxEnd + 1)) {
        const std::uint32_t overshot = end - sender.tdMaxEnd + 1;
        const bool ackOk = seqAfter(sack, receiver.tdEnd - maxAckWindow(sender) - 1);
        const bool inRecvWin =
            receiver.tdMaxWin != 0 && seqAfter(end, sender.tdEnd - receiver.tdMaxWin - 1);
        if (inRecvWin && ackOk && overshot <= receiver.tdMaxWin &&
            seqBefore(sack, receiver.tdEnd + 1)) {
            // A sender overshooting the receive window a little: remember the
            // data so the peer's ACK for it stays valid, but let the packet pass.
            sender.tdEnd = end;
            sender.flags |= kCtTcpFlagDataUnacknowledged;
            return tcpLogInvalid(sender, TcpVerdict::Ignore, "more bytes than the window allows",
                                 note);
        }
        return tcpLogInvalid(sender, TcpVerdict::Invalid,
                             "SEQ is over upper bound (over the window of the receiver)", note);
    }
    // III. sack <= receiver.td_end
    if (!seqBefore(sack, receiver.tdEnd + 1))
        return tcpLogInvalid(sender, TcpVerdict::Invalid,
                             "ACK is over upper bound (ACKed data not seen yet)", note);
    // II. seq + len >= sender.td_end - receiver.td_maxwin
    const bool inRecvWin =
        receiver.tdMaxWin == 0 || seqAfter(end, sender.tdEnd - receiver.tdMaxWin - 1);
    if (!inRecvWin)
        return tcpLogInvalid(sender, TcpVerdict::Ignore,
                             "SEQ is under lower bound (already ACKed data retransmitted)", note);
    // IV. sack >= receiver.td_end - MAXACKWINDOW
    if (!seqAfter(sack, receiver.tdEnd - maxAckWindow(sender) - 1))
        return tcpLogInvalid(sender, TcpVerdict::Ignore,
                             "ignored ACK under lower bound (possible overly delayed)", note);

    if (!syn) win <<= sender.tdScale; // RFC 7323: SYN windows are never scaled

    const std::uint32_t swin = win + (sack - ack);
    if (sender.tdMaxWin < swin) sender.tdMaxWin = swin;
    if (seqAfter(end, sender.tdEnd)) {
        sender.tdEnd = end;
        sender.flags |= kCtTcpFlagDataUnacknowledged;
    }
    if (hasAck) {
        if (!(sender.flags & kCtTcpFlagMaxAckSet)) {
            sender.tdMaxAck = ack;
            sender.flags |= kCtTcpFlagMaxAckSet;
        } else if (seqAfter(ack, sender.tdMaxAck)) {
            sender.tdMaxAck = ack;
        }
    }

    if (receiver.tdMaxWin != 0 && seqAfter(end, sender.tdMaxEnd))
        receiver.tdMaxWin += end - sender.tdMaxEnd;
    if (seqAfter(sack + win, receiver.tdMaxEnd - 1)) {
        receiver.tdMaxEnd = sack + win;
        if (win == 0) ++receiver.tdMaxEnd;
    }
    if (ack == receiver.tdEnd) receiver.flags &= std::uint8_t(~kCtTcpFlagDataUnacknowledged);

    // Retransmission count: the same pure ACK again and again.
    if (index == kAckSet) {
        if (t.lastDir == d && t.lastSeq == seq && t.lastAck == ack && t.lastEnd == end &&
            t.lastWin == seg.window) {
            if (t.retrans < 255) ++t.retrans;
        } else {
            t.lastDir = std::uint8_t(d);
            t.lastSeq = seq;
            t.lastAck = ack;
            t.lastEnd = end;
            t.lastWin = seg.window;
            t.retrans = 0;
        }
    }
    return TcpVerdict::Accept;
}

void Conntrack::tcpHandleInvalid(Entry& e, CtDir dir, std::uint8_t index, Nanos now) const {
    // nf_tcp_handle_invalid: an out-of-window FIN/RST answering the other side's
    // FIN/RST of an assured connection shortens its life to the unacknowledged timeout.
    if (!e.has(kAssured) || !e.has(kConfirmed)) return;
    if (index != kRstSet && index != kFinSet) return;
    TcpTrack& t = e.tcp;
    if (t.lastDir != std::uint8_t(dir) && (t.lastIndex == kFinSet || t.lastIndex == kRstSet)) {
        const Nanos expires = e.timeout - now;
        if (expires < 120 * kSecond) return;
        if (expires > m_settings.timeouts.tcpUnacknowledged)
            e.timeout = now + m_settings.timeouts.tcpUnacknowledged;
    } else {
        t.lastIndex = index;
        t.lastDir = std::uint8_t(dir);
    }
}

Conntrack::TcpVerdict Conntrack::tcpPacket(Entry& e, CtDir dir, const TcpSegment& seg, bool isNew,
                                           Nanos now, std::string_view& note) {
    if (isNew && !tcpNew(e, seg, note)) return TcpVerdict::Invalid;
    TcpTrack& t = e.tcp;
    const std::size_t d = std::size_t(dir);
    const std::uint8_t index = tcpIndex(seg.flags);
    TcpCtState old = t.state;
    std::uint8_t next = kTcpTable[d][index][std::size_t(old)];
    bool skipWindow = false;

    auto ignore = [&]() {
        // A packet the endpoints may consider valid while conntrack's view is
        // out of date: note it, let it pass, change nothing.
        t.lastIndex = index;
        t.lastDir = std::uint8_t(d);
        t.lastSeq = seg.seq;
        t.lastEnd = seg.end;
        t.lastWin = seg.window;
        if (index == kSynSet && dir == CtDir::Original) {
            CtTcpWindow seen;
            tcpOptions(seg.options, seen);
            t.lastFlags = t.lastWscale = 0;
            if (seen.flags & kCtTcpFlagWindowScale) {
                t.lastFlags |= kCtTcpFlagWindowScale;
                t.lastWscale = seen.tdScale;
            }
            if (seen.flags & kCtTcpFlagSackPerm) t.lastFlags |= kCtTcpFlagSackPerm;
            // An RFC 5961 challenge ACK may answer this SYN: it must not be taken
            // for the ACK of the last FIN.
            if (old == TcpCtState::LastAck) t.lastFlags |= kTcpExpChallengeAck;
        }
        if (old == TcpCtState::SynSent && index == kAckSet && dir == CtDir::Reply)
            t.lastAck = seg.ack; // possible challenge ACK answering the SYN
        note = "ignored: may be valid for the endpoints, not for the tracked state";
        return TcpVerdict::Ignore;
    };

    switch (next) {
    case sSS:
        if (std::uint8_t(old) < sTW) break;
        // A SYN on a TIME_WAIT or CLOSE entry: re-open only when the connection
        // was closed by a FIN, or aborted by a RST from this same side.
        if (((t.seen[d].flags | t.seen[1 - d].flags) & kCtTcpFlagCloseInit) ||
            (t.lastDir == d && t.lastIndex == kRstSet))
            return TcpVerdict::Repeat;
        return ignore();
    case kIg:
        if (index == kSynAckSet && t.lastIndex == kSynSet && t.lastDir != d &&
            seg.ack == t.lastEnd) {
            // This SYN-ACK answers a SYN ignored earlier: the endpoints are in
            // sync and conntrack is not. Rebuild from what the SYN annotated.
            old = TcpCtState::SynSent;
            next = sSR;
            CtTcpWindow& ls = t.seen[t.lastDir];
            ls.tdEnd = t.lastEnd;
            ls.tdMaxEnd = t.lastEnd;
            ls.tdMaxWin = t.lastWin == 0 ? 1 : t.lastWin;
            ls.tdScale = t.lastWscale;
            t.lastFlags &= std::uint8_t(~kTcpExpChallengeAck);
            ls.flags = t.lastFlags;
            CtTcpWindow& mine = t.seen[d];
            mine.tdEnd = mine.tdMaxEnd = mine.tdMaxWin = mine.tdMaxAck = 0;
            mine.tdScale = 0;
            mine.flags &= kCtTcpFlagBeLiberal;
            break;
        }
        return ignore();
    case kIv:
        note = "invalid in this state";
        return TcpVerdict::Invalid;
    case sTW:
        if (old == TcpCtState::LastAck && index == kAckSet && t.lastDir != d &&
            t.lastIndex == kSynSet && (t.lastFlags & kTcpExpChallengeAck)) {
            t.lastFlags &= std::uint8_t(~kTcpExpChallengeAck);
            note = "challenge-ack ignored";
            return TcpVerdict::Ignore;
        }
        break;
    case sS2:
        t.lastFlags |= kTcpSimultaneousOpen; // the table cannot express simultaneous open
        break;
    case sSR:
        if (dir == CtDir::Reply && index == kAckSet && (t.lastFlags & kTcpSimultaneousOpen))
            next = sES;
        break;
    case sCL: {
        if (index != kRstSet) break;
        // tcp_can_early_drop: a closing connection's tuple may already be reused.
        if (old == TcpCtState::FinWait || old == TcpCtState::LastAck ||
            old == TcpCtState::TimeWait || old == TcpCtState::Close ||
            old == TcpCtState::CloseWait) {
            skipWindow = true;
            break;
        }
        const CtTcpWindow& other = t.seen[1 - d];
        const bool established = old == TcpCtState::Established && e.has(kAssured);
        bool checked = false; // one of the RST checks decided
        if ((other.flags & kCtTcpFlagMaxAckSet) && t.lastIndex != kSynSet) {
            const std::uint32_t seq = seg.seq;
            if (seq == 0 && !established) {
                checked = true; // likely the answer to a SYN let through
            } else if (seqBefore(seq, other.tdMaxAck) && !m_settings.tcpIgnoreInvalidRst) {
                note = "invalid rst";
                return TcpVerdict::Invalid;
            } else if (!established || seq == other.tdMaxAck) {
                checked = true;
            } else if (t.lastIndex == kAckSet && t.lastDir == d && seq == t.lastEnd) {
                checked = true; // part of a data train followed by a RST
            } else {
                next = std::uint8_t(old); // not exact: keep the state for a challenge ACK
            }
        }
        if (checked) break;
        if (((e.has(kSeenReply) && t.lastIndex == kSynSet) ||
             (!e.has(kAssured) && t.lastIndex == kAckSet)) &&
            seg.ack == t.lastEnd) {
            skipWindow = true; // RST answering a SYN or ACK let through above
        } else if (old == TcpCtState::SynSent && t.lastIndex == kAckSet &&
                   t.lastDir == std::uint8_t(CtDir::Reply) && seg.seq == t.lastAck) {
            skipWindow = true; // RST answering a challenge ACK
        }
        break;
    }
    default:
        break;
    }

    if (!skipWindow) {
        TcpVerdict v = tcpInWindow(e, dir, index, seg, note);
        if (v == TcpVerdict::Ignore) return v;
        if (v == TcpVerdict::Invalid) {
            tcpHandleInvalid(e, dir, index, now);
            return v;
        }
    }

    t.lastIndex = index;
    t.lastDir = std::uint8_t(d);
    t.state = TcpCtState(next);
    if (old != t.state && t.state == TcpCtState::FinWait) t.seen[d].flags |= kCtTcpFlagCloseInit;

    const CtTimeouts& to = m_settings.timeouts;
    const Nanos stateTimeout = tcpTimeout(t.state);
    Nanos timeout = stateTimeout;
    if (t.retrans >= m_settings.tcpMaxRetrans && stateTimeout > to.tcpMaxRetrans)
        timeout = to.tcpMaxRetrans;
    else if (index == kRstSet)
        timeout = to.tcpClose;
    else if (((t.seen[0].flags | t.seen[1].flags) & kCtTcpFlagDataUnacknowledged) &&
             stateTimeout > to.tcpUnacknowledged)
        timeout = to.tcpUnacknowledged;
    else if (t.lastWin == 0 && stateTimeout > to.tcpMaxRetrans)
        timeout = to.tcpMaxRetrans;

    if (!e.has(kSeenReply)) {
        // A RST as the only answer: no connection was ever established.
        if (seg.flags & wire::kTcpRst) {
            e.status |= kDying;
            return TcpVerdict::Accept;
        }
        // A retransmitted SYN does not renew the timeout (port reuse keeps it alive otherwise).
        if (index == kSynSet && old == TcpCtState::SynSent) return TcpVerdict::Accept;
        // An unreplied mid-stream pickup gets no 5-day timeout.
        if (t.state == TcpCtState::Established && timeout > to.tcpUnacknowledged)
            timeout = to.tcpUnacknowledged;
    } else if (!e.has(kAssured) && (old == TcpCtState::SynRecv || old == TcpCtState::Established) &&
               t.state == TcpCtState::Established) {
        e.status |= kAssured;
    }
    refresh(e, timeout, now);
    return TcpVerdict::Accept;
}

CtLookup Conntrack::relatedIcmp(std::span<const std::uint8_t> ip, std::size_t icmpOffset,
                                std::size_t icmpLength, Nanos now) {
    CtLookup invalid{CtState::Invalid, CtDir::Original, 0, false, "ICMP error about no tracked connection"};
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
    return CtLookup{CtState::Related, hit->dir, hit->id, false, {}};
}

CtLookup Conntrack::in(std::span<const std::uint8_t> ip, Nanos now, bool verifyChecksum) {
    m_now = now;
    // Every INVALID answer but the ICMP tracker's counts as `invalid` in conntrack -S;
    // nf_conntrack_handle_icmp's refusals count as `error`.
    auto invalid = [this](std::string_view why) {
        ++m_stats.invalid;
        return CtLookup{CtState::Invalid, CtDir::Original, 0, false, why};
    };
    auto icmpError = [this](std::string_view why) {
        ++m_stats.error;
        return CtLookup{CtState::Invalid, CtDir::Original, 0, false, why};
    };
    auto pkt = wire::Ipv4Packet::view(ip);
    if (!pkt || pkt->check()) return invalid("malformed IP header");
    // Defragmentation runs before conntrack; a fragment that gets here has no L4 header.
    if (pkt->fragmentOffset() != 0) return invalid("fragment");
    std::span<const std::uint8_t> l4 = pkt->payload();
    const std::size_t l4Offset = pkt->headerLength();
    const std::uint8_t protocol = pkt->protocol();
    TcpSegment seg;

    if (protocol == wire::kIpProtoUdp) {
        auto udp = wire::UdpPacket::view(l4);
        if (!udp || udp->check()) return invalid("truncated/malformed packet"); // udp_error
        if (verifyChecksum && !udp->verifyChecksum(pkt->src(), pkt->dst()))
            return invalid("bad checksum");
    } else if (protocol == wire::kIpProtoTcp) {
        auto tcp = wire::TcpPacket::view(l4);
        if (!tcp || tcp->check()) return invalid("truncated packet"); // tcp_error
        if (verifyChecksum && !tcp->verifyChecksum(pkt->src(), pkt->dst()))
            return invalid("bad checksum");
        seg.flags = tcp->flags();
        if (!tcpValidFlags(seg.flags)) return invalid("invalid tcp flag combination");
        seg.seq = tcp->seqNumber();
        seg.ack = tcp->ackNumber();
        seg.window = tcp->window();
        seg.options = tcp->options();
        seg.end = seg.seq + std::uint32_t(l4.size() - tcp->headerLength()) +
                  ((seg.flags & wire::kTcpSyn) ? 1 : 0) + ((seg.flags & wire::kTcpFin) ? 1 : 0);
    } else if (protocol == wire::kIpProtoIcmp) {
        auto icmp = wire::IcmpPacket::view(l4);
        if (!icmp) return icmpError("short packet");
        if (verifyChecksum && !icmp->verifyChecksum()) return icmpError("bad hw icmp checksum");
        if (icmp->type() > kIcmpTypeMax) return icmpError("invalid icmp type");
        if (wire::icmpIsError(icmp->type())) {
            CtLookup r = relatedIcmp(ip, l4Offset, l4.size(), now);
            if (r.state == CtState::Invalid) ++m_stats.error;
            return r;
        }
    }

    auto tuple = packetTuple(ip.first(std::min<std::size_t>(ip.size(), pkt->totalLength())));
    if (!tuple) return invalid("no tuple");

    auto hit = lookupLive(*tuple, now);
    // Loops once more when TCP re-opens a closed connection (NF_REPEAT).
    for (;;) {
        CtLookup result;
        if (hit) {
            result.id = hit->id;
            result.dir = hit->dir;
        } else {
            // init_conntrack; the ICMP tracker refuses to start with a non-request.
            if (protocol == wire::kIpProtoIcmp &&
                !icmpValidNew(std::uint8_t(tuple->dstPort >> 8)))
                return invalid("invalid new icmp type");
            auto reply = invertTuple(*tuple);
            if (!reply) return invalid("no reply tuple");
            Entry e;
            e.tuple[0] = *tuple;
            e.tuple[1] = *reply;
            e.created = now;
            result.id = m_nextId++;
            result.created = true;
            m_entries.emplace(result.id, e);
        }

        Entry& e = *entry(result.id);
        result.state = (result.dir == CtDir::Reply || e.has(kSeenReply)) ? CtState::Established
                                                                         : CtState::New;
        bool ok = true;
        switch (protocol) {
        case wire::kIpProtoUdp:
            ok = udpPacket(e, result.dir, now);
            break;
        case wire::kIpProtoTcp: {
            std::string_view note;
            TcpVerdict v = tcpPacket(e, result.dir, seg, result.created, now, note);
            if (v == TcpVerdict::Repeat) {
                // nf_ct_kill and look up again: the SYN starts a fresh entry.
                erase(result.id);
                hit.reset();
                continue;
            }
            ok = v != TcpVerdict::Invalid;
            result.note = note;
            break;
        }
        case wire::kIpProtoIcmp:
            ok = icmpPacket(e, now);
            break;
        default:
            refresh(e, m_settings.timeouts.generic, now);
            break;
        }
        if (!ok) {
            if (result.created) m_entries.erase(result.id);
            return invalid(result.note);
        }
        if (result.dir == CtDir::Reply) e.status |= kSeenReply;
        if (e.has(kDying)) unindex(result.id, e);
        return result;
    }
}

bool Conntrack::confirm(std::uint64_t id, Nanos now) {
    m_now = now;
    Entry* e = entry(id);
    if (!e) return false;
    if (e->has(kConfirmed)) return true;
    if (e->has(kDying)) {
        ++m_stats.insertFailed;
        erase(id);
        return false;
    }
    for (const CtTuple& t : e->tuple) {
        auto hit = lookupLive(t, now);
        if (!hit) continue;
        const Entry* other = entry(hit->id);
        bool sameFlow = other->tuple[0] == e->tuple[0] && other->tuple[1] == e->tuple[1];
        ++(sameFlow ? m_stats.clashResolve : m_stats.insertFailed);
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
            text += tcpCtStateName(e.tcp.state);
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
    return e->tcp.state;
}

std::optional<CtTcpWindow> Conntrack::tcpWindow(std::uint64_t id, CtDir dir) const {
    const Entry* e = entry(id);
    if (!e || e->tuple[0].protocol != wire::kIpProtoTcp) return std::nullopt;
    return e->tcp.seen[std::size_t(dir)];
}

std::optional<Nanos> Conntrack::timeoutOf(std::uint64_t id) const {
    const Entry* e = entry(id);
    if (!e) return std::nullopt;
    return e->timeout;
}

std::string Conntrack::statsLine() const {
    return fmt::format("cpu=0 found=0 invalid={} insert=0 insert_failed={} drop=0 early_drop=0 "
                       "error={} search_restart=0 clash_resolve={} chaintoolong=0",
                       m_stats.invalid, m_stats.insertFailed, m_stats.error,
                       m_stats.clashResolve);
}

CtSettings ctSettingsFromSysctls(const std::function<std::int64_t(std::string_view)>& lookup) {
    CtSettings s;
    CtTimeouts& t = s.timeouts;
    const auto secs = [&](std::string_view name) {
        return Nanos(lookup(fmt::format("net.netfilter.nf_conntrack_{}", name))) * kSecond;
    };
    const auto value = [&](std::string_view name) {
        return lookup(fmt::format("net.netfilter.nf_conntrack_{}", name));
    };
    t.udp = secs("udp_timeout");
    t.udpStream = secs("udp_timeout_stream");
    t.icmp = secs("icmp_timeout");
    t.generic = secs("generic_timeout");
    t.tcpSynSent = secs("tcp_timeout_syn_sent");
    t.tcpSynRecv = secs("tcp_timeout_syn_recv");
    t.tcpEstablished = secs("tcp_timeout_established");
    t.tcpFinWait = secs("tcp_timeout_fin_wait");
    t.tcpCloseWait = secs("tcp_timeout_close_wait");
    t.tcpLastAck = secs("tcp_timeout_last_ack");
    t.tcpTimeWait = secs("tcp_timeout_time_wait");
    t.tcpClose = secs("tcp_timeout_close");
    t.tcpMaxRetrans = secs("tcp_timeout_max_retrans");
    t.tcpUnacknowledged = secs("tcp_timeout_unacknowledged");
    s.tcpLoose = value("tcp_loose") != 0;
    s.tcpBeLiberal = value("tcp_be_liberal") != 0;
    s.tcpIgnoreInvalidRst = value("tcp_ignore_invalid_rst") != 0;
    s.tcpMaxRetrans = std::uint32_t(std::max<std::int64_t>(0, value("tcp_max_retrans")));
    return s;
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
    if (!e) {
        std::string out(ctStateName(lookup.id ? CtState::Invalid : lookup.state));
        if (!lookup.note.empty()) out += fmt::format(" ({})", lookup.note);
        return out;
    }
    std::string out = fmt::format("{} {}", ctStateName(lookup.state),
                                  formatTuple(e->tuple[std::size_t(lookup.dir)]));
    if (e->tuple[0].protocol == wire::kIpProtoTcp) {
        out += ' ';
        out += tcpCtStateName(e->tcp.state);
    }
    if (!lookup.note.empty()) out += fmt::format(" ({})", lookup.note);
    return out;
}

} // namespace stackscope::netfilter
