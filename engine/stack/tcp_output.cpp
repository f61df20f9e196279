// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/tcp_output.c: tcp_make_synack with tcp_synack_options and
// tcp_select_initial_window's window, tcp_send_ack, tcp_send_delayed_ack,
// the send path of a full socket (tcp_transmit_skb, tcp_write_xmit,
// tcp_send_fin, tcp_close) and, from tcp_timer.c, the delayed-ACK timer
// (tcp_delack_timer_handler) and the retransmit timer (tcp_retransmit_timer,
// tcp_write_timeout).
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <fmt/format.h>

namespace stackscope::stack {

using wire::Ipv4Address;

// tcp_make_synack + tcp_v4_send_synack. A cookie SYN-ACK carries only what the cookie can
// encode; the model sends the same options as a normal one when timestamps were offered.
bool Host::tcp_v4_send_synack(TcpRequestSock& req, bool cookie, PacketId cause) {
    wire::TcpOptions opts;
    OutputRoute rt = ip_route_output(Ipv4Address{req.key.remoteAddr}, Ipv4Address{req.key.localAddr});
    const std::uint32_t mtu = rt.error ? 1500 : rt.dst.mtu;
    opts.mss = std::uint16_t(mtu - 40); // dst_metric_advmss
    if (req.wscaleOk) opts.windowScale = req.rcvWscale;
    if (req.tstampOk) {
        const std::uint32_t tsval = tcpClockMs() + req.tsOff;
        if (!req.sntTsvalFirst) req.sntTsvalFirst = tsval;
        req.sntTsvalLast = tsval;
        opts.timestamps = wire::TcpTimestamps{tsval, req.tsRecent};
    }
    opts.sackPermitted = req.sackOk;
    // RFC 7323: the window of a SYN-ACK is never scaled.
    const auto window = std::uint16_t(std::min<std::uint32_t>(req.rcvWnd, 65535));
    return tcpTransmit(req.key, req.sntIsn, req.rcvNxt, wire::kTcpSyn | wire::kTcpAck, window, opts, 0,
                       true, cause,
                       cookie ? "SYN-ACK carrying a syncookie" : "SYN-ACK (tcp_v4_send_synack)");
}

namespace {

// __tcp_select_window, reduced: the free half of the receive buffer, never past the
// window offered at the handshake (rcv_ssthresh), rounded up to the scale's granularity.
std::uint16_t selectWindow(const TcpSock& tp) {
    const std::uint64_t freeSpace = tp.rcvbuf > tp.rmemAlloc ? (tp.rcvbuf - tp.rmemAlloc) / 2 : 0;
    std::uint32_t win = std::uint32_t(std::min<std::uint64_t>(freeSpace, tp.rcvWnd));
    const std::uint32_t unit = 1u << tp.rcvWscale;
    if (tp.rcvWscale && win % unit) win = (win / unit + 1) * unit;
    return std::uint16_t(std::min<std::uint32_t>(win >> tp.rcvWscale, 65535));
}

// tcp_event_ack_sent: every segment carrying an ACK acknowledges all we received.
void ackSent(TcpSock& tp) {
    tp.rcvWup = tp.rcvNxt;
    tp.unackedBytes = 0;
    tp.ackScheduled = false;
    tp.ackNow = false;
    if (tp.ackTimerArmed) {
        tp.ackTimerArmed = false;
        ++tp.timerGen; // inet_csk_clear_xmit_timer(ICSK_TIME_DACK)
    }
    if (tp.quickAcks) --tp.quickAcks;
}

// The application's bytes: a repeating alphabet by stream offset, as the UDP sender fills.
std::vector<std::uint8_t> streamBytes(const TcpSock& tp, std::uint32_t seq, std::uint32_t len) {
    std::vector<std::uint8_t> v(len);
    const std::uint32_t offset = seq - (tp.isn + 1);
    for (std::uint32_t i = 0; i < len; ++i) v[i] = std::uint8_t('a' + (offset + i) % 26);
    return v;
}

std::uint32_t packetsInFlight(const TcpSock& tp) {
    std::uint32_t n = 0;
    for (const auto& e : tp.rtxQueue)
        if (!e.lost || e.retransmitted) ++n;
    return n;
}

} // namespace

void Host::tcpSendAck(TcpSock& tp, PacketId cause, std::string why) {
    wire::TcpOptions opts;
    if (tp.tstampOk) opts.timestamps = wire::TcpTimestamps{tcpClockMs() + tp.tsOff, tp.tsRecent};
    const std::uint16_t window = selectWindow(tp);
    ackSent(tp);
    tcpTransmit(tp.key, tp.sndNxt, tp.rcvNxt, wire::kTcpAck, window, opts, tp.tos, false, cause, std::move(why));
}

// tcp_transmit_skb for a full socket: a SYN carries the options tcp_syn_options writes,
// every other segment the timestamp and the current window with an ACK.
bool Host::tcpTransmitSkb(TcpSock& tp, std::uint32_t seq, std::uint32_t len, std::uint8_t flags,
                          bool retransmission, PacketId cause, std::string why) {
    wire::TcpOptions opts;
    std::uint16_t window = 0;
    std::uint32_t ack = 0;
    if (flags & wire::kTcpSyn) {
        opts.mss = tp.advmss;
        if (tp.tstampOk) opts.timestamps = wire::TcpTimestamps{tcpClockMs() + tp.tsOff, tp.tsRecent};
        opts.sackPermitted = tp.sackOk;
        if (tp.wscaleOk) opts.windowScale = tp.rcvWscale;
        window = std::uint16_t(std::min<std::uint32_t>(tp.rcvWnd, 65535)); // never scaled
    } else {
        flags |= wire::kTcpAck;
        ack = tp.rcvNxt;
        if (tp.tstampOk) opts.timestamps = wire::TcpTimestamps{tcpClockMs() + tp.tsOff, tp.tsRecent};
        window = selectWindow(tp);
        ackSent(tp);
    }
    // tcp_event_data_sent: data sent within ato of the last data received is a reply, one
    // step towards pingpong mode (inet_csk_inc_pingpong_cnt).
    if (len && tp.ato && m_now / kJiffy - tp.lrcvtime / kJiffy < tp.ato / kJiffy && tp.pingpong < 255)
        ++tp.pingpong;
    if (retransmission) {
        // tcp_retransmit_skb: TcpRetransSegs, and TCPSynRetrans for a SYN.
        m_counters.add(Mib::TcpRetransSegs);
        if (flags & wire::kTcpSyn) m_counters.add(Mib::TcpExtTCPSynRetrans);
        ++tp.totalRetrans;
        why += (flags & wire::kTcpSyn) ? ", TcpRetransSegs +1, TcpExtTCPSynRetrans +1" : ", TcpRetransSegs +1";
    }
    const std::vector<std::uint8_t> payload = streamBytes(tp, seq, len);
    // tp may be gone when tcpTransmit returns (an ICMP error over lo can end the connection).
    const bool sent = tcpTransmit(tp.key, seq, ack, flags, window, opts, tp.tos, false, cause,
                                  std::move(why), payload, !retransmission);
    // __tcp_retransmit_skb: a retransmission the stack refused to send (netfilter, qdisc).
    if (retransmission && !sent) m_counters.add(Mib::TcpExtTCPRetransFail);
    return sent;
}

void Host::tcpRearmRto(TcpSock& tp) {
    if (tp.rtxQueue.empty()) {
        if (tp.rtoArmed) ++tp.rtoGen; // inet_csk_clear_xmit_timer(ICSK_TIME_RETRANS)
        tp.rtoArmed = false;
        return;
    }
    tp.rtoArmed = true;
    tcpArmTimer(TcpTimerKind::Retrans, tp.id, m_now + std::min(tp.rto, kTcpRtoMax), tp.rtoGen);
}

// tcp_write_xmit: segments presumed lost go first (tcp_xmit_retransmit_queue), then new
// data in MSS-sized segments while the congestion window (in packets) and the peer's window
// allow. PSH marks the end of what the application wrote; the FIN rides on the last segment
// when close() came before it left, and a lone FIN ignores the congestion window.
void Host::tcp_write_xmit(TcpSock& tp, PacketId cause) {
    // Over lo a transmit can be answered at once and the answer may free the socket.
    const std::uint32_t id = tp.id;
    auto gone = [&] { return m_tcp.socks.count(id) == 0; };
    switch (tp.state) {
    case TcpState::Established: case TcpState::CloseWait: case TcpState::FinWait1:
    case TcpState::Closing: case TcpState::LastAck: break;
    default: return;
    }
    for (std::size_t i = 0; i < tp.rtxQueue.size(); ++i) {
        auto& e = tp.rtxQueue[i];
        if (!e.lost || e.retransmitted) continue;
        if (packetsInFlight(tp) >= tp.sndCwnd) return;
        const bool fin = tp.finQueued && e.endSeq == tp.writeSeq + 1;
        const std::uint32_t len = e.endSeq - e.seq - (fin ? 1 : 0);
        std::uint8_t flags = fin ? wire::kTcpFin : 0;
        if (len && e.seq + len == tp.writeSeq) flags |= wire::kTcpPsh;
        e.retransmitted = true;
        const std::uint32_t seq = e.seq, endSeq = e.endSeq;
        const bool sent = tcpTransmitSkb(
            tp, seq, len, flags, true, cause,
            fmt::format("socket #{} retransmits {}..{} after a timeout", tp.id, seq, endSeq));
        if (gone()) return;
        // TCPCB_RETRANS only for a retransmission that left (tcp_retransmit_skb).
        if (!sent && i < tp.rtxQueue.size() && tp.rtxQueue[i].seq == seq)
            tp.rtxQueue[i].retransmitted = false;
    }
    const std::uint32_t wndEnd = tp.sndUna + tp.sndWnd;
    for (;;) {
        const std::uint32_t unsent = seqBefore(tp.sndNxt, tp.writeSeq) ? tp.writeSeq - tp.sndNxt : 0;
        const bool finDue = tp.finQueued && !seqAfter(tp.sndNxt, tp.writeSeq);
        if (!unsent && !finDue) return;
        std::uint32_t len = std::min<std::uint32_t>(unsent, tp.mss);
        const bool last = len == unsent;
        const bool carriesFin = last && tp.finQueued;
        if (!carriesFin && packetsInFlight(tp) >= tp.sndCwnd) return; // tcp_cwnd_test
        if (len) {
            const std::uint32_t room = seqAfter(wndEnd, tp.sndNxt) ? wndEnd - tp.sndNxt : 0;
            if (room == 0) return; // tcp_snd_wnd_test; zero-window probes are not modelled
            len = std::min(len, room);
        } else if (seqAfter(tp.sndNxt, wndEnd)) {
            return;
        }
        const bool end = tp.sndNxt + len == tp.writeSeq;
        std::uint8_t flags = 0;
        if (end && len) flags |= wire::kTcpPsh;
        if (end && tp.finQueued) flags |= wire::kTcpFin;
        const std::uint32_t seq = tp.sndNxt;
        const std::uint32_t endSeq = seq + len + ((flags & wire::kTcpFin) ? 1 : 0);
        const bool wasEmpty = tp.rtxQueue.empty();
        tp.rtxQueue.push_back({seq, endSeq, m_now, false, false});
        tp.sndNxt = endSeq;
        if (wasEmpty) tcpRearmRto(tp);
        // tcp_event_new_data_sent: every new segment, a lone FIN included.
        m_counters.add(Mib::TcpExtTCPOrigDataSent);
        const std::string what = len == 0 ? std::string("its FIN")
                                 : fmt::format("{} bytes{}", len, (flags & wire::kTcpFin) ? " and its FIN" : "");
        tcpTransmitSkb(tp, seq, len, flags, false, cause,
                       fmt::format("socket #{} ({}) sends {} (tcp_write_xmit), TcpExtTCPOrigDataSent +1", tp.id,
                                   tcpStateName(tp.state), what));
        if (gone()) return;
    }
}

void Host::tcp_send_fin(TcpSock& tp, PacketId cause) {
    tp.finQueued = true;
    tcp_write_xmit(tp, cause);
}

// __tcp_close: unread data aborts with a RST; otherwise tcp_close_state moves the socket on
// and our FIN is queued. The socket is an orphan from here on (SOCK_DEAD).
void Host::tcp_close(std::uint32_t sockId, PacketId cause) {
    auto it = m_tcp.socks.find(sockId);
    if (it == m_tcp.socks.end()) return;
    const TcpOwnedByUser locked(*this, sockId); // close() holds the socket
    TcpSock& tp = it->second;
    m_context = Context::Process;
    tp.dead = true;
    Skb probe;
    probe.id = cause;
    if (!tp.receiveQueue.empty()) {
        // tcp_send_active_reset from the socket itself, then CLOSE.
        m_counters.add(Mib::TcpExtTCPAbortOnClose);
        m_counters.add(Mib::TcpOutRsts);
        wire::TcpOptions opts;
        if (tp.tstampOk) opts.timestamps = wire::TcpTimestamps{tcpClockMs() + tp.tsOff, tp.tsRecent};
        tcpTransmit(tp.key, tp.sndNxt, tp.rcvNxt, wire::kTcpRst | wire::kTcpAck, selectWindow(tp), opts, tp.tos,
                    false, cause,
                    fmt::format("close() on socket #{} with unread data: RST, TcpExtTCPAbortOnClose +1, "
                                "TcpOutRsts +1",
                                tp.id));
        tcp_done(sockId);
        return;
    }
    switch (tp.state) {
    case TcpState::SynSent:
        // tcp_close_state: SYN_SENT -> CLOSE without a FIN, and no failed attempt.
        tcp_set_state(m_counters, tp, TcpState::Close);
        SS_TRACE(probe, Stage::TcpRcv, Verdict::Consumed, fmt::format("close() on socket #{} in SYN_SENT", tp.id));
        tcp_done(sockId);
        return;
    case TcpState::Established:
    case TcpState::SynRecv:
        tcp_set_state(m_counters, tp, TcpState::FinWait1);
        break;
    case TcpState::CloseWait: tcp_set_state(m_counters, tp, TcpState::LastAck); break;
    default: return;
    }
    SS_TRACE(probe, Stage::TcpRcv, Verdict::Continue,
             fmt::format("close() on socket #{}: {}, FIN queued (tcp_send_fin)", tp.id, tcpStateName(tp.state)));
    tcp_send_fin(tp, cause);
}

// The `connect` line's application once connect() returned: send() queues its bytes and
// pushes them (tcp_sendmsg -> tcp_push), then close() if asked.
void Host::tcpAppSend(std::uint32_t sockId) {
    auto it = m_tcp.socks.find(sockId);
    if (it == m_tcp.socks.end()) return;
    const TcpOwnedByUser locked(*this, sockId); // send() holds the socket
    TcpSock& tp = it->second;
    const ConnectConfig& cfg = m_config.connects.at(std::size_t(tp.connectIndex));
    m_context = Context::Process;
    if (cfg.sendBytes && (tp.state == TcpState::Established || tp.state == TcpState::CloseWait)) {
        tp.writeSeq += cfg.sendBytes;
        Skb probe;
        probe.id = kNoPacket;
        SS_TRACE(probe, Stage::AppSend, Verdict::Continue,
                 fmt::format("send() of {} bytes on socket #{}", cfg.sendBytes, tp.id));
        tcp_write_xmit(tp, kNoPacket);
    }
    if (cfg.close) tcp_close(sockId, kNoPacket);
}

// tcp_ack for the send side: window update, tcp_clean_rtx_queue, the RTT estimator
// (tcp_rtt_estimator, RTO = srtt + max(4 * mdev, TCP_RTO_MIN)), and Reno-style growth of
// the congestion window (slow start below ssthresh, then one segment per window).
void Host::tcpAck(TcpSock& tp, std::uint32_t ack, std::uint16_t rawWindow, std::optional<std::uint32_t> tsecr) {
    const std::uint32_t nwin = std::uint32_t(rawWindow) << tp.sndWscale;
    if (nwin != tp.sndWnd) {
        tp.sndWnd = nwin;
        // tcp_fast_path_check
        tp.predOn = tp.ofoQueue.empty() && tp.rcvWnd && tp.rmemAlloc < tp.rcvbuf;
    }
    tp.maxWindow = std::max(tp.maxWindow, nwin);
    if (!seqAfter(ack, tp.sndUna)) return;
    std::uint32_t acked = 0;
    std::optional<Nanos> seqRtt;
    while (!tp.rtxQueue.empty() && !seqAfter(tp.rtxQueue.front().endSeq, ack)) {
        const auto& e = tp.rtxQueue.front();
        if (!e.retransmitted && !e.lost) seqRtt = m_now - e.firstSent; // Karn: fresh segments only
        tp.rtxQueue.pop_front();
        ++acked;
    }
    tp.sndUna = ack;
    // tcp_clean_rtx_queue counts each acknowledged segment in tp->delivered (a SYN and a lone
    // FIN too); tcp_newly_delivered adds them to TCPDelivered.
    tp.delivered += acked;
    if (acked) m_counters.add(Mib::TcpExtTCPDelivered, acked);
    std::optional<Nanos> m;
    if (tsecr && tp.tstampOk)
        m = Nanos(std::max<std::int32_t>(1, std::int32_t(tcpClockMs() + tp.tsOff - *tsecr))) * kMillisecond;
    else if (seqRtt)
        m = std::max<Nanos>(*seqRtt, 1);
    if (m && acked) {
        if (tp.srtt == 0) {
            tp.srtt = *m;
            tp.mdev = *m / 2;
        } else {
            const Nanos err = *m - tp.srtt;
            tp.srtt += err / 8;
            tp.mdev += ((err < 0 ? -err : err) - tp.mdev) / 4;
        }
        tp.rto = std::min(tp.srtt + std::max(4 * tp.mdev, kTcpRtoMin), kTcpRtoMax);
    }
    tp.retransmits = 0;
    tp.backoff = 0;
    tp.retransStamp = -1;
    for (std::uint32_t i = 0; i < acked && tp.state != TcpState::SynSent; ++i) {
        if (tp.sndCwnd < tp.sndSsthresh) {
            ++tp.sndCwnd;
        } else if (++tp.cwndCnt >= tp.sndCwnd) {
            tp.cwndCnt = 0;
            ++tp.sndCwnd;
        }
    }
    tcpRearmRto(tp);
}

// tcp_retransmit_timer with tcp_write_timeout: give up after tcp_syn_retries (plus
// tcp_syn_linear_timeouts for SYN_SENT) or, once established, after the time tcp_retries2
// backoffs would take; otherwise enter loss (cwnd 1), resend the head and back the RTO off.
void Host::tcp_retransmit_timer(std::uint32_t sockId) {
    TcpSock& tp = m_tcp.socks.at(sockId);
    tp.rtoArmed = false;
    if (tp.rtxQueue.empty()) return;
    m_context = Context::SoftIrq;
    Skb probe;
    probe.id = kNoPacket;
    m_counters.add(Mib::TcpExtTCPTimeouts);
    const bool synState = tp.state == TcpState::SynSent || tp.state == TcpState::SynRecv;
    const std::int64_t linear = tcpSysctl("net.ipv4.tcp_syn_linear_timeouts", 4);
    // retransmits_timed_out: the time `boundary` backoffs from rto_base would take
    // (tcp_model_timeout), counted from the first transmission still unacknowledged.
    auto timedOut = [&](std::int64_t boundary, Nanos rtoBase) {
        if (tp.retransmits == 0 || tp.retransStamp < 0) return false;
        std::int64_t thresh = 0; // ilog2(TCP_RTO_MAX / rto_base)
        while ((kTcpRtoMax / rtoBase) >> (thresh + 1))
            ++thresh;
        const Nanos timeout = boundary <= thresh ? ((std::int64_t(2) << boundary) - 1) * rtoBase
                                                 : ((std::int64_t(2) << thresh) - 1) * rtoBase +
                                                       (boundary - thresh) * kTcpRtoMax;
        return m_now - tp.retransStamp >= timeout;
    };
    bool expired = false;
    if (synState) {
        // tcp_write_timeout: tcp_syn_retries retransmissions (plus the linear ones in
        // SYN_SENT), or the time that many backoffs from the initial RTO would take, which
        // linear timeouts reach first: with tcp_syn_retries 2, five retransmissions and the
        // end after 7 s (Linux 6.18).
        const std::int64_t retries = tcpSysctl("net.ipv4.tcp_syn_retries", 6);
        const std::int64_t maxRetrans = retries + (tp.state == TcpState::SynSent ? linear : 0);
        expired = std::int64_t(tp.retransmits) >= maxRetrans || timedOut(retries, kTcpTimeoutInit);
    } else {
        expired = timedOut(tcpSysctl("net.ipv4.tcp_retries2", 15), kTcpRtoMin);
    }
    if (expired) {
        // tcp_write_err: ETIMEDOUT; tcp_done counts a failed attempt in SYN_SENT.
        m_counters.add(Mib::TcpExtTCPAbortOnTimeout);
        SS_TRACE(probe, Stage::Timer, Verdict::Consumed,
                 fmt::format("retransmit timer of socket #{} ({}): {} retransmissions without answer, "
                             "ETIMEDOUT: TcpExtTCPTimeouts +1, TcpExtTCPAbortOnTimeout +1{}",
                             tp.id, tcpStateName(tp.state), tp.retransmits,
                             synState ? ", TcpAttemptFails +1" : ""));
        tcp_done(sockId);
        return;
    }
    // sk_rethink_txhash (net.core.txrehash, on by default): a new flow hash for a path that
    // may be broken, after every timeout that does not end the connection.
    m_counters.add(Mib::TcpExtTcpTimeoutRehash);
    // tcp_enter_loss: ssthresh halves once per loss episode; all outstanding data is lost
    // (tcp_timeout_mark_lost), and a retransmission lost again counts as such.
    if (tp.retransmits == 0) tp.sndSsthresh = std::max<std::uint32_t>(tp.sndCwnd / 2, 2);
    tp.sndCwnd = 1;
    tp.cwndCnt = 0;
    std::uint32_t lostAgain = 0;
    for (auto& e : tp.rtxQueue) {
        if (e.lost && e.retransmitted) ++lostAgain;
        e.lost = true;
        e.retransmitted = false;
    }
    if (lostAgain) m_counters.add(Mib::TcpExtTCPLostRetransmit, lostAgain);
    auto& head = tp.rtxQueue.front();
    if (tp.retransStamp < 0) tp.retransStamp = head.firstSent;
    const bool syn = tp.state == TcpState::SynSent && head.seq == tp.isn;
    const bool fin = tp.finQueued && head.endSeq == tp.writeSeq + 1;
    const std::uint32_t len = head.endSeq - head.seq - (syn ? 1 : 0) - (fin ? 1 : 0);
    std::uint8_t flags = syn ? wire::kTcpSyn : 0;
    if (fin) flags |= wire::kTcpFin;
    if (len && head.seq + len == tp.writeSeq) flags |= wire::kTcpPsh;
    head.retransmitted = true;
    ++tp.backoff;
    ++tp.retransmits;
    // Exponential backoff, except the first tcp_syn_linear_timeouts SYN timeouts.
    if (tp.state != TcpState::SynSent || std::int64_t(tp.backoff) > linear)
        tp.rto = std::min(tp.rto * 2, kTcpRtoMax);
    tp.rtoArmed = true;
    tcpArmTimer(TcpTimerKind::Retrans, tp.id, m_now + tp.rto, tp.rtoGen);
    const std::uint32_t seq = head.seq, endSeq = head.endSeq;
    const bool sent = tcpTransmitSkb(
        tp, seq, len, flags, true, kNoPacket,
        fmt::format(
            "retransmit timer of socket #{} ({}): retransmission {} of {}..{}, next "
            "timeout in {} ms, TcpExtTCPTimeouts +1, TcpExtTcpTimeoutRehash +1{}",
            tp.id, tcpStateName(tp.state), tp.retransmits, seq, endSeq, tp.rto / kMillisecond,
            lostAgain ? fmt::format(", TcpExtTCPLostRetransmit +{}", lostAgain) : std::string()));
    // TCPCB_RETRANS only for a retransmission that left: one netfilter or a qdisc refused
    // is not lost again at the next timeout (the socket may be gone by now).
    if (sent) return;
    if (auto it = m_tcp.socks.find(sockId);
        it != m_tcp.socks.end() && !it->second.rtxQueue.empty() && it->second.rtxQueue.front().seq == seq)
        it->second.rtxQueue.front().retransmitted = false;
}

// __tcp_ack_snd_check: ACK now when more than a full segment is unacknowledged, in quick-ACK
// mode (tcp_in_quickack_mode: quick ACKs left and not in pingpong mode), on ICSK_ACK_NOW or
// with out-of-order data queued; otherwise arm the delayed-ACK timer.
void Host::tcpAckSndCheck(TcpSock& tp, PacketId cause) {
    if (!tp.ackScheduled) return;
    const bool quick = tp.quickAcks > 0 && tp.pingpong < tcpSysctl("net.ipv4.tcp_pingpong_thresh", 1);
    if (tp.unackedBytes > tp.mss || quick || tp.ackNow || !tp.ofoQueue.empty()) {
        tcpSendAck(tp, cause,
                   quick ? "ACK now (quick-ACK mode)"
                   : tp.ackNow ? "ACK now (ICSK_ACK_NOW)"
                   : !tp.ofoQueue.empty() ? "ACK now (out-of-order data queued)"
                                          : "ACK now (more than one full segment unacknowledged)");
        return;
    }
    if (!tp.ackTimerArmed) {
        tp.ackTimerArmed = true;
        tcpArmTimer(TcpTimerKind::DelAck, tp.id, m_now + kTcpDelackMin, tp.timerGen);
    }
}

void Host::tcp_delack_timer(std::uint32_t sockId) {
    TcpSock& tp = m_tcp.socks.at(sockId);
    tp.ackTimerArmed = false;
    if (!tp.ackScheduled) return;
    m_context = Context::SoftIrq;
    // tcp_delack_timer_handler: a missed delayed ACK inflates ato, or in pingpong mode
    // leaves it (inet_csk_exit_pingpong_mode) and deflates ato.
    if (tp.pingpong >= tcpSysctl("net.ipv4.tcp_pingpong_thresh", 1)) {
        tp.pingpong = 0;
        tp.ato = kTcpAtoMin;
    } else {
        tp.ato = std::min(tp.ato * 2, tp.rto);
    }
    m_counters.add(Mib::TcpExtDelayedACKs);
    tcpSendAck(tp, kNoPacket, "delayed ACK timer (tcp_delack_timer): TcpExtDelayedACKs +1");
}

} // namespace stackscope::stack
