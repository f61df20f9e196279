// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/tcp_input.c: the LISTEN branch of tcp_rcv_state_process and
// tcp_conn_request (SYN queue, accept queue, syncookies), the receive path of
// a full socket (tcp_validate_incoming, tcp_ack, tcp_data_queue, tcp_fin),
// and the application side: accept() and recvmsg() in virtual time.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <fmt/format.h>

namespace stackscope::stack {

void tcp_set_state(Counters& counters, TcpSock& tp, TcpState state) {
    const TcpState old = tp.state;
    tp.state = state;
    if (state == TcpState::Established) {
        if (old != TcpState::Established) counters.add(Mib::TcpCurrEstab);
        return;
    }
    if (state == TcpState::CloseWait) {
        if (old == TcpState::SynRecv) counters.add(Mib::TcpCurrEstab);
        return;
    }
    if (state == TcpState::Close && (old == TcpState::CloseWait || old == TcpState::Established))
        counters.add(Mib::TcpEstabResets);
    // A gauge: the journal records the decrement as -1.
    if (old == TcpState::Established || old == TcpState::CloseWait)
        counters.add(Mib::TcpCurrEstab, std::uint64_t(-1));
}

namespace {

struct Segment {
    std::uint32_t seq = 0, ack = 0, endSeq = 0, len = 0;
    std::uint8_t flags = 0;
    wire::TcpOptions opts;
    bool syn() const { return flags & wire::kTcpSyn; }
    bool fin() const { return flags & wire::kTcpFin; }
    bool rst() const { return flags & wire::kTcpRst; }
    bool ack_() const { return flags & wire::kTcpAck; }
};

Segment segmentOf(const Skb& skb) {
    const auto th = *wire::TcpPacket::view(skb.l4());
    Segment s;
    s.seq = th.seqNumber();
    s.ack = th.ackNumber();
    s.flags = th.flags();
    s.len = std::uint32_t(skb.l4().size() - th.headerLength());
    s.endSeq = s.seq + s.len + (th.syn() ? 1 : 0) + (th.fin() ? 1 : 0);
    // tcp_parse_options stops at a malformed option and keeps what it read.
    if (auto o = wire::parseTcpOptions(th.options()); o.ok()) s.opts = o.value();
    return s;
}

// tcp_event_data_recv: the delayed-ACK estimator. ato starts at TCP_ATO_MIN with the first
// data and follows the gaps between data segments (in jiffies, as the kernel counts).
void tcp_event_data_recv(TcpSock& tp, Nanos now) {
    const std::int64_t m = now / kJiffy - tp.lrcvtime / kJiffy;
    const std::int64_t atoMin = kTcpAtoMin / kJiffy;
    std::int64_t ato = tp.ato / kJiffy;
    if (tp.ato == 0) {
        ato = atoMin;
    } else if (m <= atoMin / 2) {
        ato = (ato >> 1) + atoMin / 2;
    } else if (m < ato) {
        ato = std::min<std::int64_t>((ato >> 1) + m, tp.rto / kJiffy);
    }
    tp.ato = ato * kJiffy;
    tp.lrcvtime = now;
}

} // namespace

void Host::tcp_v4_do_rcv_listen(int listener, Skb& skb) {
    const Segment s = segmentOf(skb);
    const Socket& lsk = m_sockets[std::size_t(listener)];
    const std::string where = fmt::format("{}:{}", lsk.config.bindAddress.toString(), lsk.config.port);
    TcpListener& lst = tcpListener(listener);
    // tcp_v4_cookie_check: an ACK may return a cookie sent while the SYN queue overflowed.
    if (!s.syn() && s.ack_() && !s.rst() && sysctl("net.ipv4.tcp_syncookies") &&
        lst.lastSynqOverflow >= 0 && m_now <= lst.lastSynqOverflow + kTcpSyncookieValid) {
        if (auto mss = cookie_v4_check(listener, skb)) {
            m_counters.add(Mib::TcpExtSyncookiesRecv);
            const auto ip = *wire::Ipv4Packet::view(skb.l3());
            TcpRequestSock req;
            req.listener = listener;
            req.key = {ip.dst().value, std::uint16_t(skb.l4()[2] << 8 | skb.l4()[3]), ip.src().value,
                       std::uint16_t(skb.l4()[0] << 8 | skb.l4()[1])};
            req.iif = skb.device;
            req.rcvIsn = s.seq - 1;
            req.rcvNxt = s.seq;
            req.sntIsn = s.ack - 1;
            req.mss = *mss;
            req.rcvWnd = 65535;
            SS_TRACE(skb, Stage::TcpRcv, Verdict::Continue,
                     fmt::format("ACK carries a valid syncookie for listener {} (mss {}): "
                                 "TcpExtSyncookiesRecv +1",
                                 where, *mss));
            const std::uint32_t child = tcpCreateChild(listener, req, skb);
            if (!child) {
                SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_LISTEN_OVERFLOW,
                        "the accept queue is full: no socket from the cookie");
                return;
            }
            tcp_rcv_state_process(child, skb);
            return;
        }
        m_counters.add(Mib::TcpExtSyncookiesFailed);
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Continue,
                 fmt::format("ACK to listener {} after a recent SYN-queue overflow, but its "
                             "acknowledgment is no valid cookie: TcpExtSyncookiesFailed +1",
                             where));
    }
    if (s.ack_()) {
        tcp_v4_send_reset(skb, "ACK to a listening socket");
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_FLAGS,
                fmt::format("listener {} (LISTEN) got an ACK that belongs to no connection: RST", where));
        return;
    }
    if (s.rst()) {
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_RESET, fmt::format("RST to listener {} ignored", where));
        return;
    }
    if (!s.syn() || s.fin()) {
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_FLAGS,
                fmt::format("listener {} ignores a segment with flags 0x{:02x}", where, s.flags));
        return;
    }
    tcp_conn_request(listener, skb);
}

// tcp_v4_conn_request + tcp_conn_request. Every way out is consume_skb: a SYN the listener
// cannot take is not a kfree_skb drop; it shows in ListenDrops.
void Host::tcp_conn_request(int listener, Skb& skb) {
    const Socket& lsk = m_sockets[std::size_t(listener)];
    TcpListener& lst = tcpListener(listener);
    const std::string where = fmt::format("{}:{}", lsk.config.bindAddress.toString(), lsk.config.port);
    auto listendrop = [&](std::string why) {
        m_counters.add(Mib::TcpExtListenDrops);
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                 fmt::format("SYN to {} not answered: {}, TcpExtListenDrops +1", where, why));
    };
    if (skb.dst.broadcast || skb.dst.type == RtType::Multicast)
        return listendrop("sent to a broadcast or multicast address");
    const std::int64_t syncookies = sysctl("net.ipv4.tcp_syncookies");
    bool wantCookie = false;
    // inet_csk_reqsk_queue_is_full: more request socks than sk_max_ack_backlog.
    if (syncookies == 2 || lst.qlen > lst.maxAckBacklog) {
        if (syncookies) {
            wantCookie = true;
            m_counters.add(Mib::TcpExtTCPReqQFullDoCookies);
        } else {
            m_counters.add(Mib::TcpExtTCPReqQFullDrop);
            return listendrop(fmt::format("SYN queue full ({} > backlog {}) and tcp_syncookies 0: "
                                          "TcpExtTCPReqQFullDrop +1",
                                          lst.qlen, lst.maxAckBacklog));
        }
    }
    // sk_acceptq_is_full: more children waiting for accept() than the backlog.
    if (lst.acceptQueue.size() > lst.maxAckBacklog) {
        m_counters.add(Mib::TcpExtListenOverflows);
        return listendrop(fmt::format("accept queue full ({} > backlog {}): TcpExtListenOverflows +1",
                                      lst.acceptQueue.size(), lst.maxAckBacklog));
    }
    const Segment s = segmentOf(skb);
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    TcpRequestSock req;
    req.listener = listener;
    req.key = {ip.dst().value, std::uint16_t(skb.l4()[2] << 8 | skb.l4()[3]), ip.src().value,
               std::uint16_t(skb.l4()[0] << 8 | skb.l4()[1])};
    req.iif = skb.device;
    req.tos = ip.tos();
    req.rcvIsn = s.seq;
    req.rcvNxt = s.seq + 1;
    // tcp_parse_options into tmp_opt; a cookie without timestamps keeps no option at all.
    wire::TcpOptions o = s.opts;
    if (wantCookie && !o.timestamps) o = {};
    req.mss = o.mss ? std::min<std::uint16_t>(*o.mss, 65535) : kTcpMssDefault;
    req.wscaleOk = o.windowScale.has_value();
    req.sndWscale = std::min<std::uint8_t>(o.windowScale.value_or(0), wire::kTcpMaxWindowScale);
    req.sackOk = o.sackPermitted;
    req.tstampOk = o.timestamps.has_value();
    if (req.tstampOk) {
        req.tsRecent = o.timestamps->value;
        req.tsOff = secure_tcp_ts_off(req.key);
    }
    // tcp_openreq_init_rwin -> tcp_select_initial_window: half the receive buffer, rounded
    // down to whole segments, at most 64 KiB unscaled; the scale covers tcp_rmem[2].
    OutputRoute rt = ip_route_output(ip.src(), ip.dst());
    const std::uint32_t advmss = (rt.error ? 1500 : rt.dst.mtu) - 40 - (req.tstampOk ? 12 : 0);
    const std::uint64_t rcvbuf = lsk.config.rcvbuf ? lsk.rcvbuf : kTcpRmemDefault;
    std::uint32_t space = std::uint32_t(rcvbuf / 2);
    if (space > advmss) space -= space % advmss;
    req.rcvWnd = std::min<std::uint32_t>(space, 65535);
    if (req.wscaleOk) {
        std::uint32_t maxSpace = std::max<std::uint32_t>({space, kTcpRmemMax,
                                                          std::uint32_t(sysctl("net.core.rmem_max"))});
        int log = 0;
        while ((maxSpace >> (log + 1)) != 0) ++log;
        req.rcvWscale = std::uint8_t(std::clamp(log - 15, 0, int(wire::kTcpMaxWindowScale)));
    }
    if (wantCookie) {
        lst.lastSynqOverflow = m_now; // tcp_synq_overflow
        m_counters.add(Mib::TcpExtSyncookiesSent);
        req.sntIsn = cookie_v4_init_sequence(req.key, s.seq, req.mss);
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                 fmt::format("SYN to {}: SYN queue {} (backlog {}){}, answered with a syncookie "
                             "(mss {}) and no request sock: TcpExtTCPReqQFullDoCookies +1, "
                             "TcpExtSyncookiesSent +1",
                             where, lst.qlen, lst.maxAckBacklog,
                             syncookies == 2 ? ", tcp_syncookies 2" : " is full", req.mss));
        tcp_v4_send_synack(req, true, skb.id);
        return;
    }
    // Without cookies the last quarter of tcp_max_syn_backlog is kept for peers proven alive;
    // a fresh host knows none (tcp_peer_is_proven).
    const std::int64_t maxSynBacklog = sysctl("net.ipv4.tcp_max_syn_backlog");
    if (!syncookies && maxSynBacklog - std::int64_t(lst.qlen) < (maxSynBacklog >> 2))
        return listendrop(fmt::format("without syncookies the last quarter of tcp_max_syn_backlog "
                                      "({}) is kept for proven peers, {} requests pending",
                                      maxSynBacklog, lst.qlen));
    req.sntIsn = secure_tcp_seq(req.key);
    req.id = ++m_tcp.nextId;
    // inet_csk_reqsk_queue_hash_add: hashed as TCP_NEW_SYN_RECV, qlen and young +1.
    ++lst.qlen;
    ++lst.young;
    m_tcp.ehash[req.key] = {true, req.id};
    auto& stored = m_tcp.requests[req.id] = req;
    tcpArmTimer(TcpTimerKind::SynAck, stored.id, m_now + stored.timeout, stored.timerGen);
    SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
             fmt::format("SYN to {}: request sock #{} in the SYN queue ({} of backlog {}), mss {}{}{}{}",
                         where, stored.id, lst.qlen, lst.maxAckBacklog, stored.mss,
                         stored.wscaleOk ? fmt::format(", wscale {}", stored.sndWscale) : "",
                         stored.sackOk ? ", sack" : "", stored.tstampOk ? ", timestamps" : ""));
    tcp_v4_send_synack(stored, false, skb.id);
}

void Host::tcp_rcv_state_process(std::uint32_t sockId, Skb& skb) {
    TcpSock& tp = m_tcp.socks.at(sockId);
    if (tp.state == TcpState::SynSent) {
        tcp_rcv_synsent_state_process(sockId, skb);
        return;
    }
    const Segment s = segmentOf(skb);
    const std::string who = fmt::format("socket #{} ({})", tp.id, tcpStateName(tp.state));
    if (s.opts.timestamps && tp.tstampOk && !seqAfter(s.seq, tp.rcvNxt)) tp.tsRecent = s.opts.timestamps->value;
    // tcp_validate_incoming, step 1: tcp_sequence.
    const std::uint32_t window = tp.rcvWup + tp.rcvWnd - tp.rcvNxt;
    const bool old = seqBefore(s.endSeq, tp.rcvWup);
    if (old || seqAfter(s.seq, tp.rcvNxt + window)) {
        if (s.syn() && !s.rst()) {
            m_counters.add(Mib::TcpExtTCPSYNChallenge);
            m_counters.add(Mib::TcpExtTCPChallengeACK);
            tcpSendAck(tp, skb.id, "challenge ACK to an unexpected SYN");
        } else if (!s.rst()) {
            if (s.len && seqBefore(s.seq, tp.rcvNxt)) {
                m_counters.add(Mib::TcpExtDelayedACKLost);
                if (tp.sackOk) m_counters.add(Mib::TcpExtTCPDSACKOldSent);
            }
            tcpSendAck(tp, skb.id, "duplicate ACK for a segment outside the window");
        }
        SS_DROP(skb, Stage::TcpRcv, old ? DropReason::TCP_OLD_SEQUENCE : DropReason::TCP_INVALID_SEQUENCE,
                fmt::format("{}: seq {}..{} outside rcv_wup {} .. rcv_nxt {} + window {}", who, s.seq,
                            s.endSeq, tp.rcvWup, tp.rcvNxt, window));
        return;
    }
    // Step 2: RST. Only the exact next sequence resets; others get a challenge ACK (RFC 5961).
    if (s.rst()) {
        if (s.seq == tp.rcvNxt) {
            SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                     fmt::format("{}: RST at rcv_nxt: connection reset{}", who,
                                 tp.state == TcpState::Established || tp.state == TcpState::CloseWait
                                     ? ", TcpEstabResets +1" : ""));
            tcp_done(sockId);
            return;
        }
        m_counters.add(Mib::TcpExtTCPChallengeACK);
        tcpSendAck(tp, skb.id, "challenge ACK to an in-window RST (RFC 5961)");
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_RESET,
                fmt::format("{}: RST seq {} is in the window but not rcv_nxt {}: TcpExtTCPChallengeACK +1",
                            who, s.seq, tp.rcvNxt));
        return;
    }
    // Step 4: a SYN inside the window.
    if (s.syn()) {
        m_counters.add(Mib::TcpExtTCPSYNChallenge);
        m_counters.add(Mib::TcpExtTCPChallengeACK);
        tcpSendAck(tp, skb.id, "challenge ACK to an in-window SYN");
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_INVALID_SYN,
                fmt::format("{}: SYN in an open connection: TcpExtTCPSYNChallenge +1, "
                            "TcpExtTCPChallengeACK +1", who));
        return;
    }
    if (!s.ack_()) {
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_FLAGS, fmt::format("{}: segment without ACK", who));
        return;
    }
    // Step 5: tcp_ack.
    if (seqAfter(s.ack, tp.sndNxt)) {
        if (tp.state == TcpState::SynRecv) {
            tcp_v4_send_reset(skb, "ACK of data never sent, in SYN_RECV");
            tcp_done(sockId);
            SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_ACK_UNSENT_DATA, who + ": unacceptable ACK");
            return;
        }
        m_counters.add(Mib::TcpExtTCPChallengeACK);
        tcpSendAck(tp, skb.id, "challenge ACK to an ACK of unsent data");
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_ACK_UNSENT_DATA,
                fmt::format("{}: ack {} is past snd_nxt {}: TcpExtTCPChallengeACK +1", who, s.ack, tp.sndNxt));
        return;
    }
    // Header prediction (tcp_rcv_established): pred_flags armed, the expected flags, header
    // length and unchanged window, in sequence, nothing out of order.
    const auto th = *wire::TcpPacket::view(skb.l4());
    const std::uint16_t rawWindow = th.window();
    const bool fastPath = tp.state == TcpState::Established && tp.predOn && s.seq == tp.rcvNxt &&
                          (s.flags & ~wire::kTcpPsh) == wire::kTcpAck && tp.ofoQueue.empty() && window > 0 &&
                          s.opts.timestamps.has_value() == tp.tstampOk &&
                          th.headerLength() == 20u + (tp.tstampOk ? 12u : 0u) &&
                          (std::uint32_t(rawWindow) << tp.sndWscale) == tp.sndWnd &&
                          // tcp_rcv_established: data larger than sk_forward_alloc takes the slow
                          // path, which schedules memory (a fresh socket has none reserved).
                          (!s.len || std::int64_t(skb.truesize) <= tp.forwardAlloc);
    const std::uint32_t priorUna = tp.sndUna;
    const bool oldAck = seqBefore(s.ack, tp.sndUna);
    std::optional<std::uint32_t> tsecr;
    if (s.opts.timestamps && s.opts.timestamps->echo) tsecr = s.opts.timestamps->echo;
    if (!oldAck) tcpAck(tp, s.ack, rawWindow, tsecr);
    if (!oldAck) {
        // tcp_ack: an advancing ACK on the fast path is a TCPHPAcks; on the slow path a
        // segment that occupies no sequence space is a TCPPureAcks.
        if (fastPath && seqAfter(s.ack, priorUna))
            m_counters.add(Mib::TcpExtTCPHPAcks);
        else if ((!fastPath || !s.len) && s.seq == s.endSeq)
            m_counters.add(Mib::TcpExtTCPPureAcks);
    }
    auto finAcked = [&] { return tp.finQueued && tp.sndUna == tp.writeSeq + 1; };
    switch (tp.state) {
    case TcpState::SynRecv:
        tcp_set_state(m_counters, tp, TcpState::Established);
        tp.copiedSeq = tp.rcvNxt;
        tp.predOn = true; // tcp_fast_path_on
        ++tp.delivered;   // tcp_rcv_state_process: SYN-ACK delivery, not counted in TCPDelivered
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Continue,
                 fmt::format("socket #{}: handshake complete, ESTABLISHED: TcpCurrEstab +1", tp.id));
        break;
    case TcpState::FinWait1:
        if (!finAcked()) break;
        tcp_set_state(m_counters, tp, TcpState::FinWait2);
        if (!tp.dead) break;
        // An orphan: new data after close() aborts; otherwise the socket becomes a
        // FIN_WAIT2 timewait sock for tcp_fin_timeout, unless this segment brings the FIN.
        if (s.endSeq != s.seq && seqAfter(s.endSeq - (s.fin() ? 1 : 0), tp.rcvNxt)) {
            m_counters.add(Mib::TcpExtTCPAbortOnData);
            tcp_v4_send_reset(skb, "data after close() in FIN_WAIT2");
            tcp_done(sockId);
            SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_ABORT_ON_DATA,
                    who + ": our FIN is acknowledged but new data arrives after close(): "
                          "TcpExtTCPAbortOnData +1, RST");
            return;
        }
        if (!s.fin()) {
            const Nanos tmo = tcpSysctl("net.ipv4.tcp_fin_timeout", 60) * kSecond;
            SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                     fmt::format("{}: our FIN is acknowledged: FIN_WAIT2, kept as a timewait sock for "
                                 "tcp_fin_timeout ({} s)",
                                 who, tmo / kSecond));
            tcp_time_wait(sockId, TcpState::FinWait2, tmo);
            return;
        }
        break;
    case TcpState::Closing:
        if (!finAcked()) break;
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                 who + ": our FIN is acknowledged in CLOSING: TIME_WAIT");
        tcp_time_wait(sockId, TcpState::TimeWait, 0);
        return;
    case TcpState::LastAck:
        if (!finAcked()) break;
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                 fmt::format("socket #{}: our FIN is acknowledged in LAST_ACK: closed", tp.id));
        tcp_done(sockId);
        return;
    default: break;
    }
    if (fastPath && s.len) m_counters.add(Mib::TcpExtTCPHPHits);
    // Step 7: the segment text.
    if (s.len || s.fin()) {
        const bool finWait = tp.state == TcpState::FinWait1 || tp.state == TcpState::FinWait2;
        if (tp.state == TcpState::Established || tp.state == TcpState::SynRecv || finWait) {
            // RFC 1122: data after close() (RCV_SHUTDOWN) resets the connection.
            if (finWait && tp.dead && s.len && seqAfter(s.endSeq - (s.fin() ? 1 : 0), tp.rcvNxt)) {
                m_counters.add(Mib::TcpExtTCPAbortOnData);
                tcp_v4_send_reset(skb, "data after close()");
                tcp_done(sockId);
                SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_ABORT_ON_DATA,
                        who + ": data after close(): TcpExtTCPAbortOnData +1, RST");
                return;
            }
            const bool wasFinWait2 = tp.state == TcpState::FinWait2;
            tcp_data_queue(tp, skb);
            if (wasFinWait2 && tp.finReceived && tp.ofoQueue.empty()) {
                // tcp_fin in FIN_WAIT2: ACK the FIN and go to TIME_WAIT.
                tcpSendAck(tp, skb.id, "ACK of the peer's FIN in FIN_WAIT2");
                tcp_time_wait(sockId, TcpState::TimeWait, 0);
                return;
            }
            tcpAckSndCheck(tp, skb.id);
            tcp_write_xmit(tp, skb.id);
            return;
        }
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_CLOSE,
                fmt::format("{}: data after the peer's FIN is ignored", who));
        return;
    }
    tcp_write_xmit(tp, skb.id);
    SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
             fmt::format("{}: ACK {} processed{}", who, s.ack, fastPath ? " (fast path)" : ""));
}

// tcp_rcv_synsent_state_process: our SYN is out. A SYN-ACK acknowledging it establishes the
// connection; an acceptable RST refuses it; an unacceptable ACK is answered with a RST.
void Host::tcp_rcv_synsent_state_process(std::uint32_t sockId, Skb& skb) {
    TcpSock& tp = m_tcp.socks.at(sockId);
    const Segment s = segmentOf(skb);
    const std::string who = fmt::format("socket #{} (SYN_SENT)", tp.id);
    if (s.ack_()) {
        if (!seqAfter(s.ack, tp.sndUna) || seqAfter(s.ack, tp.sndNxt)) {
            // The SYN goes out again soon (TCP_TIMEOUT_MIN) unless it was already retransmitted.
            if (tp.retransmits == 0) {
                tp.rtoArmed = true;
                tcpArmTimer(TcpTimerKind::Retrans, tp.id, m_now + 2 * kJiffy, tp.rtoGen);
            }
            if (!s.rst()) tcp_v4_send_reset(skb, "unacceptable ACK in SYN_SENT");
            SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_ACK_UNSENT_DATA,
                    fmt::format("{}: ack {} does not acknowledge our SYN (ISN {})", who, s.ack, tp.isn));
            return;
        }
        if (s.opts.timestamps && s.opts.timestamps->echo && tp.tstampOk) {
            // PAWS on the echo: it must lie between our first SYN and now.
            const std::uint32_t echo = s.opts.timestamps->echo - tp.tsOff;
            const auto first = std::uint32_t(tp.retransStamp / kMillisecond);
            if (echo - first > tcpClockMs() - first) {
                m_counters.add(Mib::TcpExtPAWSActive);
                if (!s.rst()) tcp_v4_send_reset(skb, "timestamp echo outside our SYN's lifetime");
                SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_RFC7323_PAWS,
                        who + ": the echoed timestamp was never sent: TcpExtPAWSActive +1");
                return;
            }
        }
        if (s.rst()) {
            SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                     who + ": RST|ACK: connect() fails with ECONNREFUSED, TcpAttemptFails +1");
            tcp_done(sockId);
            return;
        }
        if (!s.syn()) {
            SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_FLAGS, who + ": ACK without SYN ignored");
            return;
        }
        // The SYN-ACK: the peer's options, then tcp_ack and tcp_finish_connect.
        const auto th = *wire::TcpPacket::view(skb.l4());
        const wire::TcpOptions& o = s.opts;
        tp.wscaleOk = tp.wscaleOk && o.windowScale.has_value();
        if (tp.wscaleOk) tp.sndWscale = std::min<std::uint8_t>(*o.windowScale, wire::kTcpMaxWindowScale);
        else tp.sndWscale = tp.rcvWscale = 0;
        tp.sackOk = tp.sackOk && o.sackPermitted;
        tp.tstampOk = tp.tstampOk && o.timestamps.has_value();
        if (tp.tstampOk) tp.tsRecent = o.timestamps->value;
        std::optional<std::uint32_t> tsecr;
        if (tp.tstampOk && o.timestamps->echo) tsecr = o.timestamps->echo;
        tcpAck(tp, s.ack, th.window(), tsecr);
        tp.rcvNxt = tp.rcvWup = tp.copiedSeq = s.seq + 1;
        tp.sndWnd = th.window(); // RFC 7323: a SYN's window is never scaled
        tp.maxWindow = tp.sndWnd;
        // tcp_sync_mss: the peer's MSS clamps ours; timestamps take 12 bytes of each segment.
        const std::uint16_t clamp = o.mss.value_or(kTcpMssDefault);
        tp.mss = std::uint16_t(std::min<std::uint32_t>(tp.advmss, clamp) - (tp.tstampOk ? 12 : 0));
        // tcp_init_transfer: the initial window, or one segment after repeated SYN timeouts.
        tp.sndCwnd = tp.totalRetrans > 1 ? 1 : kTcpInitCwnd;
        if (tp.srtt == 0) tp.rto = 3 * kSecond; // TCP_TIMEOUT_FALLBACK without an RTT sample
        tcp_set_state(m_counters, tp, TcpState::Established);
        tp.predOn = tp.sndWscale == 0; // tcp_finish_connect: __tcp_fast_path_on only unscaled
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                 fmt::format("{}: SYN-ACK, connection ESTABLISHED (mss {}{}{}{}): TcpCurrEstab +1", who,
                             tp.mss, tp.wscaleOk ? fmt::format(", wscale {}", tp.sndWscale) : "",
                             tp.sackOk ? ", sack" : "", tp.tstampOk ? ", timestamps" : ""));
        // connect() returns; the application goes on with send() and close().
        const ConnectConfig& cfg = m_config.connects.at(std::size_t(tp.connectIndex));
        if (cfg.sendBytes || cfg.close) {
            std::uint64_t unusedGen = 0;
            tcpArmTimer(TcpTimerKind::AppSend, tp.id, m_now + kWakeupLatency, unusedGen);
        }
        tcpSendAck(tp, skb.id, "ACK completing the handshake (tcp_send_ack)");
        return;
    }
    if (s.rst()) {
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_RESET, who + ": RST without ACK ignored");
        return;
    }
    // A SYN alone would be a simultaneous open; the model does not take it.
    SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_FLAGS,
            who + (s.syn() ? ": SYN without ACK (simultaneous open) is not modelled"
                           : ": segment without ACK ignored"));
}

// tcp_data_queue: in-order data to the receive queue, duplicates answered with a D-SACK,
// data past rcv_nxt to the out-of-order queue; both queues are charged to the receive buffer.
void Host::tcp_data_queue(TcpSock& tp, Skb& skb) {
    Segment s = segmentOf(skb);
    const std::string who = fmt::format("socket #{}", tp.id);
    const std::uint32_t window = tp.rcvWup + tp.rcvWnd - tp.rcvNxt;
    // tcp_enter_quickack_mode with inet_csk_schedule_ack: ACK at once, leave pingpong mode.
    auto scheduleAckNow = [&] {
        tp.ackScheduled = true;
        tp.quickAcks = std::max<std::uint32_t>(tp.quickAcks, 1);
        tp.pingpong = 0; // inet_csk_exit_pingpong_mode
        tp.ato = kTcpAtoMin;
    };
    // ICSK_ACK_NOW: one immediate ACK whatever the mode (memory drops).
    auto ackNow = [&] {
        tp.ackScheduled = true;
        tp.ackNow = true;
    };
    if (s.seq == tp.rcvNxt) {
        if (window == 0 && s.len) {
            m_counters.add(Mib::TcpExtTCPZeroWindowDrop);
            scheduleAckNow();
            SS_DROP(skb, Stage::SocketQueue, DropReason::TCP_ZEROWINDOW,
                    who + ": receive window is zero: TcpExtTCPZeroWindowDrop +1");
            return;
        }
        if (s.len && tp.rmemAlloc + skb.truesize > tp.rcvbuf && !tp.receiveQueue.empty()) {
            m_counters.add(Mib::TcpExtTCPRcvQDrop);
            ackNow();
            SS_DROP(skb, Stage::SocketQueue, DropReason::PROTO_MEM,
                    fmt::format("{}: rmem {} + truesize {} > rcvbuf {}: TcpExtTCPRcvQDrop +1", who,
                                tp.rmemAlloc, skb.truesize, tp.rcvbuf));
            return;
        }
        if (!tp.unackedBytes && !tp.quickAcks && tp.rcvNxt == tp.copiedSeq && tp.receiveQueue.empty() &&
            tp.rmemAlloc == 0)
            tp.quickAcks = std::min<std::uint32_t>(tp.rcvWnd / (2 * std::max<std::uint32_t>(tp.mss, 1)), 16);
        tp.rcvNxt = s.endSeq - (s.fin() ? 1 : 0);
        tp.ackScheduled = true;
        tp.unackedBytes += s.len;
        const bool fin = s.fin();
        if (s.len) tcp_event_data_recv(tp, m_now);
        // tcp_try_coalesce: a FIN right behind unread data merges into that skb (nothing to
        // copy, no truesize delta). Coalescing data into data is not modelled.
        const bool coalesce = !s.len && fin && !tp.receiveQueue.empty() && [&] {
            const Segment tail = segmentOf(tp.receiveQueue.back());
            return tail.seq + tail.len == s.seq;
        }();
        if (coalesce) {
            m_counters.add(Mib::TcpExtTCPRcvCoalesce);
            SS_TRACE(skb, Stage::SocketQueue, Verdict::Consumed,
                     who + ": FIN coalesced into the unread skb at the queue's tail: TcpExtTCPRcvCoalesce +1");
        }
        if (s.len) {
            // tcp_try_rmem_schedule -> sk_rmem_schedule: whole pages beyond sk_forward_alloc,
            // then skb_set_owner_r charges the skb.
            const std::int64_t need = std::int64_t(skb.truesize) - tp.forwardAlloc;
            if (need > 0) tp.forwardAlloc += (need + kPageSize - 1) / kPageSize * kPageSize;
            tp.forwardAlloc -= skb.truesize;
            tp.rmemAlloc += skb.truesize;
            SS_TRACE(skb, Stage::SocketQueue, Verdict::Queued,
                     fmt::format("{}: {} bytes in order, rcv_nxt {}; sk_rmem_alloc {} of rcvbuf {}", who,
                                 s.len, tp.rcvNxt, tp.rmemAlloc, tp.rcvbuf));
            tp.receiveQueue.push_back(std::move(skb));
        }
        // tcp_ofo_queue: segments the new data made contiguous move over.
        while (!tp.ofoQueue.empty()) {
            auto it = tp.ofoQueue.begin();
            if (seqAfter(it->first, tp.rcvNxt)) break;
            Skb next = std::move(it->second);
            tp.ofoQueue.erase(it);
            const Segment n = segmentOf(next);
            if (!seqAfter(n.endSeq, tp.rcvNxt)) {
                tp.rmemAlloc -= next.truesize;
                continue;
            }
            tp.rcvNxt = n.endSeq - (n.fin() ? 1 : 0);
            tp.unackedBytes += n.len;
            if (n.fin()) tp.finReceived = true;
            tp.receiveQueue.push_back(std::move(next));
        }
        if (fin && !tp.finReceived) tp.finReceived = true;
        const bool finOpen = tp.state == TcpState::Established || tp.state == TcpState::FinWait1 ||
                             tp.state == TcpState::FinWait2;
        if (tp.finReceived && finOpen && tp.ofoQueue.empty()) {
            ++tp.rcvNxt; // the FIN occupies one sequence number
            // tcp_fin: ESTABLISHED -> CLOSE_WAIT; FIN_WAIT1 -> CLOSING (simultaneous close,
            // ACKed at once); FIN_WAIT2 is left to the caller, which moves it to TIME_WAIT.
            if (tp.state == TcpState::Established) {
                // inet_csk_schedule_ack and inet_csk_enter_pingpong_mode: the ACK is delayed
                // (tcp_in_quickack_mode is false in pingpong mode) so our FIN can carry it.
                tcp_set_state(m_counters, tp, TcpState::CloseWait);
                tp.ackScheduled = true;
                const std::int64_t thresh = tcpSysctl("net.ipv4.tcp_pingpong_thresh", 1);
                tp.pingpong = std::uint8_t(std::clamp<std::int64_t>(thresh, 1, 255));
                if (!s.len && !coalesce)
                    SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                             who + ": FIN received, CLOSE_WAIT, pingpong mode: the ACK waits");
            } else if (tp.state == TcpState::FinWait1) {
                tcp_set_state(m_counters, tp, TcpState::Closing);
                tcpSendAck(tp, skb.id, "ACK of the peer's FIN in FIN_WAIT1 (simultaneous close)");
                if (!s.len)
                    SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                             who + ": FIN while our FIN is unacknowledged: CLOSING");
            } else if (!s.len) {
                SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed, who + ": FIN received in FIN_WAIT2");
            }
        }
        tcpScheduleRead(tp);
        return;
    }
    if (!seqAfter(s.endSeq, tp.rcvNxt)) {
        m_counters.add(Mib::TcpExtDelayedACKLost);
        if (tp.sackOk) m_counters.add(Mib::TcpExtTCPDSACKOldSent);
        scheduleAckNow();
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_OLD_DATA,
                fmt::format("{}: seq {}..{} was already received: TcpExtDelayedACKLost +1{}", who, s.seq,
                            s.endSeq, tp.sackOk ? ", TcpExtTCPDSACKOldSent +1" : ""));
        return;
    }
    if (!seqBefore(s.seq, tp.rcvNxt + window)) {
        scheduleAckNow();
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_OVERWINDOW,
                fmt::format("{}: seq {} is beyond the window ending at {}", who, s.seq, tp.rcvNxt + window));
        return;
    }
    if (seqBefore(s.seq, tp.rcvNxt)) {
        // Partly old: D-SACK the old part and keep the rest as in-order data.
        if (tp.sackOk) m_counters.add(Mib::TcpExtTCPDSACKOldSent);
        const std::uint32_t cut = tp.rcvNxt - s.seq;
        auto th = wire::TcpPacket::view(skb.l4());
        const std::size_t payloadAt = skb.transport + th->headerLength();
        skb.data.erase(skb.data.begin() + std::ptrdiff_t(payloadAt),
                       skb.data.begin() + std::ptrdiff_t(payloadAt + cut));
        wire::storeBe32(skb.data.data() + skb.transport + wire::kTcpSeqOffset, tp.rcvNxt);
        tcp_data_queue(tp, skb);
        return;
    }
    // tcp_data_queue_ofo
    m_counters.add(Mib::TcpExtTCPOFOQueue);
    if (tp.rmemAlloc + skb.truesize > tp.rcvbuf) {
        m_counters.add(Mib::TcpExtTCPOFODrop);
        ackNow();
        SS_DROP(skb, Stage::SocketQueue, DropReason::TCP_OFO_DROP,
                fmt::format("{}: no receive buffer for out-of-order data: TcpExtTCPOFODrop +1", who));
        return;
    }
    for (const auto& [start, held] : tp.ofoQueue) {
        const Segment h = segmentOf(held);
        if (!seqBefore(s.seq, start) && !seqAfter(s.endSeq, h.endSeq)) {
            m_counters.add(Mib::TcpExtTCPOFOMerge);
            ackNow();
            SS_DROP(skb, Stage::SocketQueue, DropReason::TCP_OFOMERGE,
                    fmt::format("{}: seq {}..{} is already in the out-of-order queue: TcpExtTCPOFOMerge +1",
                                who, s.seq, s.endSeq));
            return;
        }
    }
    tp.rmemAlloc += skb.truesize;
    tp.ackScheduled = true;
    SS_TRACE(skb, Stage::SocketQueue, Verdict::Queued,
             fmt::format("{}: seq {} is past rcv_nxt {}: out-of-order queue ({} held), TcpExtTCPOFOQueue +1",
                         who, s.seq, tp.rcvNxt, tp.ofoQueue.size() + 1));
    tp.ofoQueue[s.seq] = std::move(skb);
}

void Host::tcp_done(std::uint32_t sockId) {
    auto it = m_tcp.socks.find(sockId);
    if (it == m_tcp.socks.end()) return;
    TcpSock& tp = it->second;
    // tcp_done: a connection that dies before it was established is a failed attempt.
    if (tp.state == TcpState::SynSent || tp.state == TcpState::SynRecv) m_counters.add(Mib::TcpAttemptFails);
    tcp_set_state(m_counters, tp, TcpState::Close);
    if (tp.inAcceptQueue) {
        // A child reset before accept() stays queued until accept() returns it; the model
        // removes it at once and frees its slot.
        auto& q = tcpListener(tp.listener).acceptQueue;
        q.erase(std::remove(q.begin(), q.end(), sockId), q.end());
    }
    m_tcp.ehash.erase(tp.key);
    m_tcp.socks.erase(it);
}

void Host::tcpScheduleAccept(int listener) {
    const Socket& lsk = m_sockets[std::size_t(listener)];
    TcpListener& lst = tcpListener(listener);
    if (lsk.config.read == SocketConfig::ReadMode::None || lst.acceptScheduled || lst.acceptQueue.empty())
        return;
    lst.acceptScheduled = true;
    std::uint64_t unusedGen = 0;
    tcpArmTimer(TcpTimerKind::Accept, std::uint32_t(listener),
                std::max(m_now + kWakeupLatency, lst.nextAcceptAllowed), unusedGen);
}

void Host::tcpScheduleRead(TcpSock& tp) {
    if (!tp.accepted || tp.dead || tp.readScheduled || (tp.receiveQueue.empty() && !tp.finReceived)) return;
    // The `connect` line's application reads everything; a listener's children read as
    // the listening socket says.
    if (tp.listener >= 0 &&
        m_sockets[std::size_t(tp.listener)].config.read == SocketConfig::ReadMode::None)
        return;
    tp.readScheduled = true;
    std::uint64_t unusedGen = 0;
    tcpArmTimer(TcpTimerKind::Read, tp.id, std::max(m_now + kWakeupLatency, tp.nextReadAllowed), unusedGen);
}

// inet_csk_accept: the application takes the oldest child off the accept queue.
void Host::inet_csk_accept(int listener) {
    TcpListener& lst = tcpListener(listener);
    lst.acceptScheduled = false;
    if (lst.acceptQueue.empty()) return;
    m_context = Context::Process;
    const std::uint32_t id = lst.acceptQueue.front();
    lst.acceptQueue.pop_front();
    TcpSock& tp = m_tcp.socks.at(id);
    tp.inAcceptQueue = false;
    tp.accepted = true;
    const Socket& lsk = m_sockets[std::size_t(listener)];
    if (lsk.config.read == SocketConfig::ReadMode::Rate && lsk.config.readRate > 0)
        lst.nextAcceptAllowed = m_now + kSecond / lsk.config.readRate;
    tcpScheduleRead(tp);
    tcpScheduleAccept(listener);
}

// tcp_recvmsg: a reader in `all` mode drains the queue, a rate-limited one takes one skb per
// call; reading the peer's FIN makes the application close (CLOSE_WAIT -> LAST_ACK).
void Host::tcp_recvmsg(std::uint32_t sockId) {
    auto it = m_tcp.socks.find(sockId);
    if (it == m_tcp.socks.end()) return;
    TcpSock& tp = it->second;
    tp.readScheduled = false;
    m_context = Context::Process;
    static const Socket kReadAll{};
    const Socket& lsk = tp.listener >= 0 ? m_sockets[std::size_t(tp.listener)] : kReadAll;
    const bool rate = lsk.config.read == SocketConfig::ReadMode::Rate && lsk.config.readRate > 0;
    while (!tp.receiveQueue.empty()) {
        Skb skb = std::move(tp.receiveQueue.front());
        tp.receiveQueue.pop_front();
        tp.rmemAlloc -= skb.truesize;
        // sk_mem_uncharge -> sk_mem_reclaim: whole pages go back, the remainder stays.
        tp.forwardAlloc += skb.truesize;
        if (tp.forwardAlloc >= kPageSize) tp.forwardAlloc %= kPageSize;
        const Segment s = segmentOf(skb);
        tp.copiedSeq = s.seq + s.len;
        SS_TRACE(skb, Stage::AppRead, Verdict::Delivered,
                 fmt::format("recvmsg on socket #{} returns {} bytes", tp.id, s.len));
        if (rate) break;
    }
    if (rate) tp.nextReadAllowed = m_now + kSecond / lsk.config.readRate;
    if (!tp.receiveQueue.empty()) {
        tcpScheduleRead(tp);
        return;
    }
    // A listener's child sees end of file and its application closes: tcp_close sends our
    // FIN (CLOSE_WAIT -> LAST_ACK). The `connect` application closes on its own schedule.
    if (tp.finReceived && tp.state == TcpState::CloseWait && tp.connectIndex < 0 && !tp.dead)
        tcp_close(sockId, kNoPacket);
}

} // namespace stackscope::stack
