// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/tcp_ipv4.c: tcp_v4_rcv (header checks, checksum, socket lookup:
// established hash first, then the most specific listener), tcp_v4_send_reset
// and tcp_v4_send_ack (replies from the per-CPU control socket through
// ip_send_unicast_reply), and the segment builder every TCP transmit uses.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace stackscope::stack {

using wire::Ipv4Address;

std::string_view tcpStateName(TcpState s) {
    switch (s) {
    case TcpState::Established: return "ESTABLISHED";
    case TcpState::SynSent: return "SYN_SENT";
    case TcpState::SynRecv: return "SYN_RECV";
    case TcpState::FinWait1: return "FIN_WAIT1";
    case TcpState::FinWait2: return "FIN_WAIT2";
    case TcpState::TimeWait: return "TIME_WAIT";
    case TcpState::Close: return "CLOSE";
    case TcpState::CloseWait: return "CLOSE_WAIT";
    case TcpState::LastAck: return "LAST_ACK";
    case TcpState::Listen: return "LISTEN";
    case TcpState::Closing: return "CLOSING";
    case TcpState::NewSynRecv: return "NEW_SYN_RECV";
    }
    return "?";
}

namespace {

std::string flagText(std::uint8_t f) {
    std::string s;
    if (f & wire::kTcpSyn) s += 'S';
    if (f & wire::kTcpFin) s += 'F';
    if (f & wire::kTcpRst) s += 'R';
    if (f & wire::kTcpPsh) s += 'P';
    if (f & wire::kTcpAck) s += '.';
    return s.empty() ? "none" : s;
}

std::uint64_t mix64(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

} // namespace

// The kernel keys its ISN, timestamp-offset and cookie hashes with boot-time random
// secrets (net_secret, ts_secret, syncookie_secret); here they come from the seeded RNG
// the first time TCP needs them.
void Host::tcpInitSecrets() {
    if (m_tcp.secretsReady) return;
    m_tcp.secretsReady = true;
    m_tcp.isnSecret = m_rng();
    m_tcp.tsSecret = m_rng();
    m_tcp.cookieSecret = m_rng();
    m_tcp.portSecret = m_rng(); // net_secret of secure_ipv4_port_ephemeral
}

// tcp_v4_init_sequence -> secure_tcp_seq: a keyed hash of the 4-tuple plus a 64 ns clock.
// A capture taken on this host that holds our SYN or SYN-ACK of the connection gives its ISN.
std::uint32_t Host::secure_tcp_seq(const TcpFlowKey& key) const {
    if (m_recorded.active())
        if (auto isn = m_recorded.tcpIsn(key)) return *isn;
    return tcpHash(m_tcp.isnSecret, key) + std::uint32_t(m_now >> 6);
}

// secure_tcp_ts_off: the per-connection offset added to the millisecond clock in TSval.
// The recorded SYN or SYN-ACK's TSval gives the offset that reproduces it.
std::uint32_t Host::secure_tcp_ts_off(const TcpFlowKey& key) const {
    if (m_recorded.active())
        if (auto off = m_recorded.tcpTsOffset(key)) return *off;
    return tcpHash(m_tcp.tsSecret, key);
}

std::uint32_t Host::tcpHash(std::uint64_t secret, const TcpFlowKey& k) const {
    std::uint64_t h = mix64(secret ^ (std::uint64_t(k.localAddr) << 32 | k.remoteAddr));
    h = mix64(h ^ (std::uint64_t(k.localPort) << 16 | k.remotePort));
    return std::uint32_t(h);
}

void Host::tcpArmTimer(TcpTimerKind kind, std::uint32_t id, Nanos at, std::uint64_t& gen) {
    gen = ++m_tcp.nextTimerGen;
    schedule({at, 0, Event::Kind::TcpTimer, int(kind), (gen & 0xffffffffu) << 32 | id});
}

void Host::tcpTimer(TcpTimerKind kind, std::uint64_t value) {
    const auto id = std::uint32_t(value & 0xffffffffu);
    const auto gen = value >> 32;
    // A timer that was re-armed or whose owner is gone fires into nothing (del_timer).
    auto live = [&](std::uint64_t g) { return (g & 0xffffffffu) == gen; };
    switch (kind) {
    case TcpTimerKind::SynAck:
        if (auto it = m_tcp.requests.find(id); it != m_tcp.requests.end() && live(it->second.timerGen))
            reqsk_timer_handler(id);
        break;
    case TcpTimerKind::DelAck:
        if (auto it = m_tcp.socks.find(id); it != m_tcp.socks.end() && live(it->second.timerGen))
            tcp_delack_timer(id);
        break;
    case TcpTimerKind::Accept: inet_csk_accept(int(id)); break;
    case TcpTimerKind::Read: tcp_recvmsg(id); break;
    case TcpTimerKind::Connect: tcp_v4_connect(int(id)); break;
    case TcpTimerKind::AppSend: tcpAppSend(id); break;
    case TcpTimerKind::Retrans:
        if (auto it = m_tcp.socks.find(id); it != m_tcp.socks.end() && live(it->second.rtoGen))
            tcp_retransmit_timer(id);
        break;
    case TcpTimerKind::TimeWait:
        if (auto it = m_tcp.timewait.find(id); it != m_tcp.timewait.end() && live(it->second.timerGen))
            inet_twsk_kill(id);
        break;
    }
}

TcpListener& Host::tcpListener(int index) {
    auto [it, fresh] = m_tcp.listeners.try_emplace(index);
    if (fresh) {
        // __sys_listen caps the backlog at somaxconn: sk_max_ack_backlog.
        const auto backlog = std::int64_t(m_sockets[std::size_t(index)].config.backlog);
        it->second.maxAckBacklog = std::uint32_t(std::min(backlog, sysctl("net.core.somaxconn")));
    }
    return it->second;
}

// __inet_lookup_listener: the bucket of the exact local address first, then INADDR_ANY;
// compute_score prefers a socket bound to the receiving device.
int Host::__inet_lookup_listener(Ipv4Address daddr, std::uint16_t dport, int dif) const {
    const std::string inDev = deviceName(dif);
    for (const bool exact : {true, false}) {
        int best = -1, bestScore = 0;
        for (std::size_t i = 0; i < m_sockets.size(); ++i) {
            const SocketConfig& c = m_sockets[i].config;
            if (c.protocol != SocketProtocol::Tcp || !c.listen || c.port != dport) continue;
            if (exact ? c.bindAddress != daddr : !c.bindAddress.isAny()) continue;
            if (!c.device.empty() && c.device != inDev) continue;
            const int score = c.device.empty() ? 1 : 2;
            if (score > bestScore) {
                bestScore = score;
                best = int(i);
            }
        }
        if (best >= 0) return best;
    }
    return -1;
}

bool Host::tcpTransmit(const TcpFlowKey& key, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                       std::uint16_t window, const wire::TcpOptions& opts, std::uint8_t tos,
                       bool ctlSock, PacketId cause, std::string why,
                       std::span<const std::uint8_t> payload, bool countOutSegs) {
    const Ipv4Address local{key.localAddr}, remote{key.remoteAddr};
    Skb out;
    out.id = newPacketId();
    out.locallyGenerated = true;
    out.network = wire::kEthHeaderLen;
    OutputRoute rt = ip_route_output(remote, local);
    if (rt.error) {
        SS_DROP(out, Stage::RouteOutput, DropReason::IP_OUTNOROUTES,
                fmt::format("TCP segment to {}: no route", remote.toString()));
        return false;
    }
    wire::TcpRepr tcp;
    tcp.srcPort = key.localPort;
    tcp.dstPort = key.remotePort;
    tcp.seq = seq;
    tcp.ack = ack;
    tcp.flags = flags;
    tcp.window = window;
    tcp.options = opts;
    tcp.payload = payload;
    const std::size_t ipLen = 20 + tcp.bufferLength();
    out.data.assign(wire::kEthHeaderLen + ipLen, 0);
    wire::Ipv4Repr ip;
    ip.src = local;
    ip.dst = remote;
    ip.protocol = wire::kIpProtoTcp;
    ip.ttl = std::uint8_t(sysctl("net.ipv4.ip_default_ttl"));
    ip.tos = tos;
    ip.dontFragment = true;
    // The control socket and request socks send DF packets with ID 0 (ip_select_ident without
    // a connected socket; ip_build_and_send_pkt); a full socket numbers its own (inet_id).
    ip.ident = ctlSock ? 0 : tcpInetId(key);
    ip.payloadLength = std::uint16_t(tcp.bufferLength());
    ip.writeTo(std::span<std::uint8_t>(out.data).subspan(wire::kEthHeaderLen, 20));
    tcp.writeTo(std::span<std::uint8_t>(out.data).subspan(wire::kEthHeaderLen + 20), local, remote);
    out.l3Length = std::uint32_t(ipLen);
    out.transport = std::uint16_t(wire::kEthHeaderLen + 20);
    out.dst = rt.dst;
    out.truesize = skbTruesizeForHead(std::uint32_t(ipLen) + 16 + 15);
    // __tcp_transmit_skb counts new segments and pure control segments, not retransmissions.
    if (countOutSegs) m_counters.add(Mib::TcpOutSegs);
    SS_TRACE(out, Stage::TcpRcv, Verdict::Continue,
             fmt::format("{}: [{}] seq {} ack {} win {}{} to {}:{} (about packet #{}){}", why, flagText(flags),
                         seq, ack, window, payload.empty() ? "" : fmt::format(" len {}", payload.size()),
                         remote.toString(), key.remotePort, cause, countOutSegs ? ": TcpOutSegs +1" : ""),
             DropReason::None, true);
    const PacketId id = out.id;
    ip_local_out(std::move(out));
    // ip_local_out's error: a qdisc drop or a netfilter drop on the way out.
    return !xmitDropped(id) && !xmitRefused(id);
}

// RFC 793 reset generation: answer the segment's ACK with that sequence; otherwise
// acknowledge everything it occupied.
void Host::tcp_v4_send_reset(const Skb& in, std::string why) {
    const auto ip = *wire::Ipv4Packet::view(in.l3());
    const auto th = *wire::TcpPacket::view(in.l4());
    Skb probe = in;
    if (th.rst()) {
        SS_TRACE(probe, Stage::TcpRcv, Verdict::Continue, "no RST in answer to a RST");
        return;
    }
    if (in.dst.type != RtType::Local) {
        SS_TRACE(probe, Stage::TcpRcv, Verdict::Continue, "no RST: the route is not local");
        return;
    }
    TcpFlowKey key{ip.dst().value, th.dstPort(), ip.src().value, th.srcPort()};
    std::uint32_t seq = 0, ack = 0;
    std::uint8_t flags = wire::kTcpRst;
    if (th.ack()) {
        seq = th.ackNumber();
    } else {
        flags |= wire::kTcpAck;
        ack = th.seqNumber() + (th.syn() ? 1 : 0) + (th.fin() ? 1 : 0) +
              std::uint32_t(in.l4().size() - th.headerLength());
    }
    m_counters.add(Mib::TcpOutRsts);
    tcpTransmit(key, seq, ack, flags, 0, {}, std::uint8_t(ip.tos() & ~0x3u), true, in.id,
                "tcp_v4_send_reset (" + why + "), TcpOutRsts +1");
}

void Host::tcp_v4_send_ack(const Skb& in, std::uint32_t seq, std::uint32_t ack, std::uint16_t window,
                           std::optional<wire::TcpTimestamps> ts, std::uint8_t tos, std::string why) {
    const auto ip = *wire::Ipv4Packet::view(in.l3());
    const auto th = *wire::TcpPacket::view(in.l4());
    TcpFlowKey key{ip.dst().value, th.dstPort(), ip.src().value, th.srcPort()};
    wire::TcpOptions opts;
    if (ts && ts->echo) opts.timestamps = ts;
    tcpTransmit(key, seq, ack, wire::kTcpAck, window, opts, std::uint8_t(tos & ~0x3u), true, in.id,
                "tcp_v4_send_ack (" + why + ")");
}

void Host::tcp_v4_rcv(Skb skb) {
    if (skb.pktType != PktType::Host) {
        SS_DROP(skb, Stage::TcpRcv, DropReason::NOT_SPECIFIED,
                fmt::format("pkt_type {} is not PACKET_HOST", pktTypeName(skb.pktType)));
        return;
    }
    // Counted before any check, bad segments included.
    m_counters.add(Mib::TcpInSegs);
    const auto l4 = skb.l4();
    if (l4.size() < wire::kTcpMinHeaderLen) {
        SS_DROP(skb, Stage::TcpRcv, DropReason::NOT_SPECIFIED,
                fmt::format("{} bytes cannot hold a TCP header (pskb_may_pull fails): TcpInSegs +1",
                            l4.size()));
        return;
    }
    const auto th = *wire::TcpPacket::view(l4);
    if (th.dataOffset() < 5) {
        m_counters.add(Mib::TcpInErrs);
        SS_DROP(skb, Stage::TcpRcv, DropReason::PKT_TOO_SMALL,
                fmt::format("doff {} is below 5: TcpInSegs +1, TcpInErrs +1", th.dataOffset()));
        return;
    }
    if (th.headerLength() > l4.size()) {
        SS_DROP(skb, Stage::TcpRcv, DropReason::NOT_SPECIFIED,
                fmt::format("doff says {} header bytes, {} present: TcpInSegs +1", th.headerLength(),
                            l4.size()));
        return;
    }
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    // skb_checksum_init verifies short segments at once and the rest is verified by
    // tcp_checksum_complete on every path before the segment is used: the counters and
    // the reason are the same wherever it happens.
    // CHECKSUM_UNNECESSARY (verified by GRO) and CHECKSUM_PARTIAL (a merged GRO packet whose
    // field holds only the pseudo-header sum) are trusted as the kernel trusts them.
    const bool csumTrusted = skb.ipSummed == IpSummed::Unnecessary || skb.ipSummed == IpSummed::Partial;
    if (!csumTrusted && !th.verifyChecksum(ip.src(), ip.dst())) {
        m_counters.add(Mib::TcpInCsumErrors);
        m_counters.add(Mib::TcpInErrs);
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_CSUM,
                fmt::format("bad TCP checksum 0x{:04x}: TcpInSegs +1, TcpInCsumErrors +1, TcpInErrs +1",
                            th.checksum()));
        return;
    }
    tcpInitSecrets();
    const TcpFlowKey key{ip.dst().value, th.dstPort(), ip.src().value, th.srcPort()};
    if (auto it = m_tcp.ehash.find(key); it != m_tcp.ehash.end()) {
        const auto entry = it->second;
        if (entry.request) {
            tcp_check_req(entry.id, skb);
            return;
        }
        if (entry.timewait) {
            tcp_timewait_state_process(entry.id, skb);
            return;
        }
        tcp_rcv_state_process(entry.id, skb);
        return;
    }
    const int listener = __inet_lookup_listener(ip.dst(), th.dstPort(), skb.device);
    if (listener >= 0) {
        tcp_v4_do_rcv_listen(listener, skb);
        return;
    }
    tcp_v4_send_reset(skb, "no socket");
    SS_DROP(skb, Stage::TcpRcv, DropReason::NO_SOCKET,
            fmt::format("[{}] to {}:{}: no socket, TcpInSegs +1{}", flagText(th.flags()),
                        ip.dst().toString(), th.dstPort(), th.rst() ? " (a RST is never answered)" : ""));
}

std::int64_t Host::tcpSysctl(std::string_view key, std::int64_t fallback) const {
    // Keys the sysctl table does not know yet keep the kernel's default.
    return m_config.sysctls.values(key) ? sysctl(key) : fallback;
}

// __inet_hash_connect: a keyed hash of (saddr, daddr, dport) plus its table_perturb slot
// picks the starting offset; ports of low's parity are tried first, then the others. A
// port bound by bind() (a listener) is skipped; a port used by connect() is taken only when
// the 4-tuple is unique (__inet_check_established; TIME_WAIT entries count as in use).
std::uint16_t Host::inet_hash_connect_port(const TcpFlowKey& partialKey) {
    // A capture taken on this host shows the port the kernel picked; follow it.
    if (m_recorded.active())
        if (auto p = m_recorded.ephemeralPort(wire::kIpProtoTcp, partialKey.localAddr, partialKey.remoteAddr,
                                              partialKey.remotePort))
            return *p;
    tcpInitSecrets();
    const auto range = m_config.sysctls.values("net.ipv4.ip_local_port_range")
                           .value_or(std::vector<std::int64_t>{32768, 60999});
    const std::uint32_t low = std::uint32_t(range[0]), high = std::uint32_t(range[1]) + 1;
    std::uint32_t remaining = high - low;
    if (remaining > 1) remaining &= ~1u;
    // secure_ipv4_port_ephemeral is 64 bits wide: the low bits pick the perturb slot, the
    // high ones are added to it.
    const TcpFlowKey hashed{partialKey.localAddr, 0, partialKey.remoteAddr, partialKey.remotePort};
    const std::uint64_t portOffset =
        std::uint64_t(tcpHash(m_tcp.portSecret, hashed)) << 32 | tcpHash(~m_tcp.portSecret, hashed);
    constexpr std::uint32_t kPerturbSize = 1u << 16; // INET_TABLE_PERTURB_SIZE
    const std::uint32_t index = std::uint32_t(portOffset & (kPerturbSize - 1));
    auto [slot, fresh] = m_tcp.tablePerturb.try_emplace(index, 0);
    if (fresh) slot->second = tcpHash(m_tcp.portSecret ^ 0x7e57ab1eULL, TcpFlowKey{index, 0, 0, 0});
    std::uint32_t offset = (slot->second + std::uint32_t(portOffset >> 32)) % remaining;
    offset &= ~1u;
    auto taken = [&](std::uint32_t port) {
        for (const Socket& sk : m_sockets)
            if (sk.config.protocol == SocketProtocol::Tcp && sk.config.port == port) return true;
        TcpFlowKey k = partialKey;
        k.localPort = std::uint16_t(port);
        return m_tcp.ehash.count(k) != 0;
    };
    for (;;) {
        std::uint32_t port = low + offset;
        for (std::uint32_t i = 0; i < remaining; i += 2, port += 2) {
            if (port >= high) port -= remaining;
            if (taken(port)) continue;
            // A little randomness for the next search from this slot.
            const std::uint32_t step = std::max<std::uint32_t>(i, std::uint32_t(m_rng() % 8) * 2);
            slot->second += step + 2;
            return std::uint16_t(port);
        }
        ++offset;
        if (!(offset & 1) || remaining <= 1) return 0;
    }
}

// tcp_v4_connect + tcp_connect_init + tcp_connect: route and source address, the local port,
// ISN and timestamp offset, then the SYN; the socket waits in SYN_SENT on the RTO timer.
void Host::tcp_v4_connect(int connectIndex) {
    const ConnectConfig& cfg = m_config.connects.at(std::size_t(connectIndex));
    m_context = Context::Process;
    tcpInitSecrets();
    Skb probe;
    probe.id = kNoPacket;
    const std::string what = fmt::format("connect() to {}:{}", cfg.destination.toString(), cfg.destinationPort);
    OutputRoute rt = ip_route_output(cfg.destination, cfg.source.value_or(Ipv4Address{}));
    if (rt.error) {
        // tcp_v4_connect counts only ENETUNREACH.
        if (rt.error == ENETUNREACH) m_counters.add(Mib::IpOutNoRoutes);
        SS_DROP(probe, Stage::RouteOutput, DropReason::IP_OUTNOROUTES,
                fmt::format("{} fails: no route ({}){}", what,
                            rt.error == ENETUNREACH ? "ENETUNREACH" : "EHOSTUNREACH",
                            rt.error == ENETUNREACH ? ", IpOutNoRoutes +1" : ""));
        return;
    }
    TcpFlowKey key{rt.source.value, 0, cfg.destination.value, cfg.destinationPort};
    if (cfg.sourcePort) {
        key.localPort = *cfg.sourcePort;
        if (m_tcp.ehash.count(key)) {
            SS_TRACE(probe, Stage::TcpRcv, Verdict::Consumed,
                     fmt::format("{} from port {} fails: the 4-tuple is in use (EADDRNOTAVAIL)", what,
                                 key.localPort));
            return;
        }
    } else {
        key.localPort = inet_hash_connect_port(key);
        if (!key.localPort) {
            SS_TRACE(probe, Stage::TcpRcv, Verdict::Consumed,
                     fmt::format("{} fails: no free port in ip_local_port_range (EADDRNOTAVAIL)", what));
            return;
        }
    }
    TcpSock tp;
    tp.id = ++m_tcp.nextId;
    tp.connectIndex = connectIndex;
    tp.key = key;
    tp.state = TcpState::SynSent;
    tp.accepted = true; // the application holds it from the start
    tp.isn = secure_tcp_seq(key);
    tp.tstampOk = tcpSysctl("net.ipv4.tcp_timestamps", 1) != 0;
    if (tp.tstampOk) tp.tsOff = secure_tcp_ts_off(key);
    tp.sackOk = tcpSysctl("net.ipv4.tcp_sack", 1) != 0;
    tp.wscaleOk = tcpSysctl("net.ipv4.tcp_window_scaling", 1) != 0;
    // tcp_connect_init: advmss from the route MTU; tcp_select_initial_window over the default
    // receive buffer (tcp_rmem[1] at a scaling ratio of one half) in whole advmss segments.
    tp.advmss = std::uint16_t(rt.dst.mtu - 40);
    tp.mss = std::uint16_t(tp.advmss - (tp.tstampOk ? 12 : 0));
    tp.rcvbuf = kTcpRmemDefault;
    std::uint32_t space = kTcpRmemDefault / 2;
    if (space > tp.advmss) space -= space % tp.advmss;
    tp.rcvWnd = std::min<std::uint32_t>(space, 65535);
    if (tp.wscaleOk) {
        const std::uint32_t maxSpace =
            std::max<std::uint32_t>({space, kTcpRmemMax, std::uint32_t(sysctl("net.core.rmem_max"))});
        int log = 0;
        while ((maxSpace >> (log + 1)) != 0) ++log;
        tp.rcvWscale = std::uint8_t(std::clamp(log - 15, 0, int(wire::kTcpMaxWindowScale)));
    }
    tp.sndUna = tp.sndNxt = tp.isn;
    tp.writeSeq = tp.pushedSeq = tp.isn + 1;
    tp.rto = kTcpTimeoutInit;
    // tcp_connect: the SYN takes one sequence number and heads the retransmit queue;
    // retrans_stamp starts with it.
    tp.rtxQueue.push_back({tp.isn, tp.isn + 1, m_now, false, false});
    tp.retransStamp = m_now;
    m_tcp.ehash[key] = {false, tp.id};
    const std::uint32_t id = tp.id;
    TcpSock& stored = m_tcp.socks.emplace(id, std::move(tp)).first->second;
    m_counters.add(Mib::TcpActiveOpens);
    SS_TRACE(probe, Stage::TcpRcv, Verdict::Continue,
             fmt::format("{} from {}:{}: socket #{} in SYN_SENT, ISN {}: TcpActiveOpens +1", what,
                         rt.source.toString(), key.localPort, id, stored.isn));
    // snd_nxt and the timer first: over lo the SYN-ACK can come back within the transmit.
    stored.sndNxt = stored.isn + 1;
    tcpRearmRto(stored);
    const TcpOwnedByUser locked(*this, id); // connect() holds the socket while the SYN leaves
    tcpTransmitSkb(stored, stored.isn, 0, wire::kTcpSyn, false, kNoPacket, "SYN (tcp_connect)");
}

} // namespace stackscope::stack

namespace stackscope::stack {

Host::TcpOwnedByUser::TcpOwnedByUser(Host& h, std::uint32_t sockId) : host(h), id(sockId) {
    if (auto it = host.m_tcp.socks.find(id); it != host.m_tcp.socks.end())
        previous = std::exchange(it->second.ownedByUser, true);
}

Host::TcpOwnedByUser::~TcpOwnedByUser() {
    // The call may have ended the connection (an RST over lo, say): look it up again.
    if (auto it = host.m_tcp.socks.find(id); it != host.m_tcp.socks.end())
        it->second.ownedByUser = previous;
}

// tcp_v4_err (net/ipv4/tcp_ipv4.c): the socket that sent the quoted segment, found in the
// established hash. None: IcmpInErrors. TIME_WAIT: ignored. A request sock only checks the
// sequence number (tcp_req_err). A full socket the application holds (lock_sock) notes the
// error (LockDroppedIcmps); one whose quoted sequence is not in flight ignores it
// (OutOfWindowIcmps). In SYN_SENT and SYN_RECV a hard error ends the connection at once
// unless the application holds the socket: connect() fails with it. Once connected, the
// error is only remembered for a later timeout (sk_err_soft; IP_RECVERR is not modelled).
void Host::tcp_v4_err(const Skb& icmp, std::uint8_t type, std::uint8_t code,
                      wire::Ipv4Address localAddr, wire::Ipv4Address remoteAddr,
                      std::span<const std::uint8_t> quotedTcp) {
    const TcpFlowKey key{localAddr.value, wire::loadBe16(&quotedTcp[0]), remoteAddr.value,
                         wire::loadBe16(&quotedTcp[2])};
    const std::uint32_t seq = quotedTcp.size() >= 8 ? wire::loadBe32(&quotedTcp[4]) : 0;
    const std::string what =
        fmt::format("ICMP error type {} code {} about TCP {}:{} -> {}:{}", type, code,
                    localAddr.toString(), key.localPort, remoteAddr.toString(), key.remotePort);
    auto it = m_tcp.ehash.find(key);
    if (it == m_tcp.ehash.end()) {
        m_counters.add(Mib::IcmpInErrors);
        SS_TRACE(icmp, Stage::IcmpRcv, Verdict::Consumed,
                 what + ": no such connection, IcmpInErrors +1");
        return;
    }
    if (it->second.timewait) {
        SS_TRACE(icmp, Stage::IcmpRcv, Verdict::Consumed,
                 what + ": the connection is in TIME_WAIT, ignored");
        return;
    }
    if (it->second.request) {
        const TcpRequestSock& req = m_tcp.requests.at(it->second.id);
        if (seq != req.sntIsn) {
            m_counters.add(Mib::TcpExtOutOfWindowIcmps);
            SS_TRACE(icmp, Stage::IcmpRcv, Verdict::Consumed,
                     what + ": not about our SYN-ACK, TcpExtOutOfWindowIcmps +1");
        } else {
            SS_TRACE(icmp, Stage::IcmpRcv, Verdict::Consumed,
                     what + ": about our SYN-ACK; the request waits for its timer (tcp_req_err)");
        }
        return;
    }
    TcpSock& tp = m_tcp.socks.at(it->second.id);
    const bool owned = tp.ownedByUser;
    const bool fragNeeded = type == wire::kIcmpDestUnreach && code == wire::kIcmpFragNeeded;
    std::string notes;
    if (owned && !fragNeeded) {
        m_counters.add(Mib::TcpExtLockDroppedIcmps);
        notes = ", the application holds the socket: TcpExtLockDroppedIcmps +1";
    }
    if (tp.state == TcpState::Close) {
        SS_TRACE(icmp, Stage::IcmpRcv, Verdict::Consumed, what + ": the socket is closed" + notes);
        return;
    }
    // between(seq, snd_una, snd_nxt)
    if (tp.sndNxt - tp.sndUna < seq - tp.sndUna) {
        m_counters.add(Mib::TcpExtOutOfWindowIcmps);
        SS_TRACE(icmp, Stage::IcmpRcv, Verdict::Consumed,
                 fmt::format("{}: seq {} is not in flight ({}..{}), TcpExtOutOfWindowIcmps +1{}",
                             what, seq, tp.sndUna, tp.sndNxt, notes));
        return;
    }
    // icmp_err_convert: the errno, and whether the error is hard.
    const char* err = nullptr;
    if (type == wire::kIcmpParameterProblem) {
        err = "EPROTO";
    } else if (type == wire::kIcmpTimeExceeded) {
        err = "EHOSTUNREACH";
    } else if (type == wire::kIcmpDestUnreach && code <= 15 && !fragNeeded) {
        constexpr std::array<const char*, 16> kErrno = {
            "ENETUNREACH",  "EHOSTUNREACH", "ENOPROTOOPT",  "ECONNREFUSED",
            "EMSGSIZE",     "EOPNOTSUPP",   "ENETUNREACH",  "EHOSTDOWN",
            "ENONET",       "ENETUNREACH",  "EHOSTUNREACH", "ENETUNREACH",
            "EHOSTUNREACH", "EHOSTUNREACH", "EHOSTUNREACH", "EHOSTUNREACH"};
        err = kErrno[code];
    }
    if (!err) {
        SS_TRACE(icmp, Stage::IcmpRcv, Verdict::Consumed,
                 what +
                     (fragNeeded ? ": fragmentation needed (path MTU discovery is not modelled)"
                                 : ": nothing for TCP to do") +
                     notes);
        return;
    }
    if (tp.state == TcpState::SynSent || tp.state == TcpState::SynRecv) {
        if (owned) {
            SS_TRACE(icmp, Stage::IcmpRcv, Verdict::Consumed,
                     fmt::format("{}: {} kept as a soft error{}", what, err, notes));
            return;
        }
        SS_TRACE(
            icmp, Stage::IcmpRcv, Verdict::Consumed,
            fmt::format("{}: {} ends the connection attempt, connect() fails: TcpAttemptFails +1",
                        what, err));
        tcp_done(tp.id);
        return;
    }
    SS_TRACE(icmp, Stage::IcmpRcv, Verdict::Consumed,
             fmt::format("{}: {} kept as a soft error until a timeout{}", what, err, notes));
}

} // namespace stackscope::stack
