// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/tcp_minisocks.c: tcp_check_req (a segment for a request sock) and
// tcp_create_openreq_child; with tcp_v4_syn_recv_sock's accept-queue check and
// the SYN-ACK retransmit timer of net/ipv4/inet_connection_sock.c
// (reqsk_timer_handler, inet_csk_reqsk_queue_drop); tcp_time_wait and
// tcp_timewait_state_process with the timewait sock's timer
// (net/ipv4/inet_timewait_sock.c).
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <fmt/format.h>

namespace stackscope::stack {

namespace {

// tcp_in_window
bool inWindow(std::uint32_t seq, std::uint32_t endSeq, std::uint32_t sWin, std::uint32_t eWin) {
    if (seq == sWin) return true;
    if (seqAfter(endSeq, sWin) && seqBefore(seq, eWin)) return true;
    return seq == eWin && seq == endSeq;
}

} // namespace

void Host::reqskQueueDrop(std::uint32_t reqId) {
    auto it = m_tcp.requests.find(reqId);
    if (it == m_tcp.requests.end()) return;
    TcpListener& lst = tcpListener(it->second.listener);
    --lst.qlen;
    if (it->second.numTimeout == 0) --lst.young;
    m_tcp.ehash.erase(it->second.key);
    m_tcp.requests.erase(it);
}

// tcp_v4_syn_recv_sock + tcp_create_openreq_child: 0 when the accept queue is full.
std::uint32_t Host::tcpCreateChild(int listener, const TcpRequestSock& req, const Skb& skb) {
    TcpListener& lst = tcpListener(listener);
    if (lst.acceptQueue.size() > lst.maxAckBacklog) {
        m_counters.add(Mib::TcpExtListenOverflows);
        m_counters.add(Mib::TcpExtListenDrops);
        return 0;
    }
    m_counters.add(Mib::TcpPassiveOpens);
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    TcpSock tp;
    tp.id = ++m_tcp.nextId;
    tp.state = TcpState::SynRecv;
    tp.listener = listener;
    tp.key = req.key;
    tp.iif = req.iif;
    tp.tos = 0;
    tp.isn = req.sntIsn;
    tp.sndUna = req.sntIsn + 1;
    tp.sndNxt = req.sntIsn + 1;
    tp.writeSeq = tp.pushedSeq = req.sntIsn + 1;
    tp.wscaleOk = req.wscaleOk;
    tp.advmss = 1460;
    tp.rcvNxt = req.rcvNxt;
    tp.rcvWup = req.rcvNxt;
    tp.copiedSeq = req.rcvNxt;
    tp.rcvWnd = req.rcvWnd;
    tp.rcvWscale = req.rcvWscale;
    tp.sndWscale = req.sndWscale;
    tp.tstampOk = req.tstampOk;
    tp.sackOk = req.sackOk;
    tp.tsRecent = req.tsRecent;
    tp.tsOff = req.tsOff;
    tp.mss = std::min<std::uint16_t>(req.mss, std::uint16_t(1460 - (req.tstampOk ? 12 : 0)));
    const Socket& lsk = m_sockets[std::size_t(listener)];
    tp.rcvbuf = lsk.config.rcvbuf ? lsk.rcvbuf : kTcpRmemDefault;
    (void)ip;
    // inet_csk_complete_hashdance: the child replaces the request sock in the established
    // hash and joins the accept queue (sk_ack_backlog +1).
    tp.inAcceptQueue = true;
    m_tcp.ehash[tp.key] = {false, tp.id};
    lst.acceptQueue.push_back(tp.id);
    const std::uint32_t id = tp.id;
    m_tcp.socks.emplace(id, std::move(tp));
    tcpScheduleAccept(listener);
    return id;
}

void Host::tcp_check_req(std::uint32_t reqId, Skb& skb) {
    TcpRequestSock& req = m_tcp.requests.at(reqId);
    const int listener = req.listener;
    const auto th = *wire::TcpPacket::view(skb.l4());
    const std::uint32_t seq = th.seqNumber();
    const std::uint32_t len = std::uint32_t(skb.l4().size() - th.headerLength());
    const std::uint32_t endSeq = seq + len + (th.syn() ? 1 : 0) + (th.fin() ? 1 : 0);
    std::uint8_t flg = th.flags() & (wire::kTcpRst | wire::kTcpSyn | wire::kTcpAck);
    const std::string who = fmt::format("request sock #{} (NEW_SYN_RECV)", req.id);
    auto oowRateLimited = [&] {
        // tcp_oow_rate_limited: data without SYN is never limited.
        if (seq != endSeq && !th.syn()) return false;
        if (req.lastOowAck >= 0 && m_now - req.lastOowAck < kTcpInvalidRatelimit) {
            m_counters.add(Mib::TcpExtTCPACKSkippedSynRecv);
            return true;
        }
        req.lastOowAck = m_now;
        return false;
    };
    // A retransmitted SYN: answer with the SYN-ACK again (inet_rtx_syn_ack).
    if (seq == req.rcvIsn && flg == wire::kTcpSyn) {
        if (oowRateLimited()) {
            SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                     who + ": retransmitted SYN within tcp_invalid_ratelimit: TcpExtTCPACKSkippedSynRecv +1");
            return;
        }
        if (tcp_v4_send_synack(req, false, skb.id)) {
            m_counters.add(Mib::TcpRetransSegs);
            m_counters.add(Mib::TcpExtTCPSynRetrans);
            ++req.numRetrans;
            const Nanos timeout = std::min(req.timeout << req.numTimeout, kTcpRtoMax);
            tcpArmTimer(TcpTimerKind::SynAck, req.id, m_now + timeout, req.timerGen);
        }
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                 who + ": retransmitted SYN, SYN-ACK sent again: TcpRetransSegs +1, TcpExtTCPSynRetrans +1");
        return;
    }
    // An ACK for something other than our SYN: the listener answers it (with a RST).
    if ((flg & wire::kTcpAck) && th.ackNumber() != req.sntIsn + 1) {
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Continue,
                 fmt::format("{}: ack {} is not our ISN + 1 ({}): handed to the listener", who,
                             th.ackNumber(), req.sntIsn + 1));
        tcp_v4_do_rcv_listen(listener, skb);
        return;
    }
    if (!inWindow(seq, endSeq, req.rcvNxt, req.rcvNxt + req.rcvWnd)) {
        if (!(flg & wire::kTcpRst) && !oowRateLimited()) {
            std::optional<wire::TcpTimestamps> ts;
            if (req.tstampOk) ts = wire::TcpTimestamps{tcpClockMs() + req.tsOff, req.tsRecent};
            tcp_v4_send_ack(skb, req.sntIsn + 1, req.rcvNxt,
                            std::uint16_t(std::min<std::uint32_t>(req.rcvWnd >> req.rcvWscale, 65535)), ts,
                            skb.l3()[1], "out-of-window segment for a request sock (tcp_v4_reqsk_send_ack)");
        }
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_OVERWINDOW,
                fmt::format("{}: seq {} outside {} .. {}", who, seq, req.rcvNxt, req.rcvNxt + req.rcvWnd));
        return;
    }
    if (seq == req.rcvIsn) flg &= std::uint8_t(~wire::kTcpSyn); // the SYN is out of window
    if (flg & (wire::kTcpRst | wire::kTcpSyn)) {
        m_counters.add(Mib::TcpAttemptFails);
        if (!(flg & wire::kTcpRst)) tcp_v4_send_reset(skb, "SYN inside a half-open connection");
        reqskQueueDrop(reqId);
        m_counters.add(Mib::TcpExtEmbryonicRsts);
        SS_DROP(skb, Stage::TcpRcv, (flg & wire::kTcpRst) ? DropReason::TCP_RESET : DropReason::TCP_INVALID_SYN,
                who + ": embryonic reset, request dropped: TcpAttemptFails +1, TcpExtEmbryonicRsts +1");
        return;
    }
    if (!(flg & wire::kTcpAck)) {
        SS_DROP(skb, Stage::TcpRcv, DropReason::NOT_SPECIFIED, who + ": segment without ACK ignored");
        return;
    }
    const TcpRequestSock copy = req;
    const std::uint32_t child = tcpCreateChild(listener, copy, skb);
    if (!child) {
        if (!sysctl("net.ipv4.tcp_abort_on_overflow")) {
            m_tcp.requests.at(reqId).acked = true;
            SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_LISTEN_OVERFLOW,
                    who + ": handshake ACK but the accept queue is full: TcpExtListenOverflows +1, "
                          "TcpExtListenDrops +1 (the SYN-ACK timer will try again)");
            return;
        }
        tcp_v4_send_reset(skb, "accept queue full and tcp_abort_on_overflow 1");
        reqskQueueDrop(reqId);
        m_counters.add(Mib::TcpExtEmbryonicRsts);
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_LISTEN_OVERFLOW,
                who + ": accept queue full, tcp_abort_on_overflow: RST, TcpExtEmbryonicRsts +1");
        return;
    }
    // The request sock leaves the SYN queue; the child was hashed in its place.
    TcpListener& lst = tcpListener(listener);
    --lst.qlen;
    if (copy.numTimeout == 0) --lst.young;
    m_tcp.requests.erase(reqId);
    SS_TRACE(skb, Stage::TcpRcv, Verdict::Continue,
             fmt::format("{}: handshake ACK, child socket #{} in the accept queue ({} waiting): "
                         "TcpPassiveOpens +1",
                         who, child, lst.acceptQueue.size()));
    tcp_rcv_state_process(child, skb); // tcp_child_process
}

// reqsk_timer_handler: resend the SYN-ACK with exponential backoff until
// tcp_synack_retries; when the queue is more than half full, requests that already timed
// out get fewer retries so young ones keep room.
void Host::reqsk_timer_handler(std::uint32_t reqId) {
    TcpRequestSock& req = m_tcp.requests.at(reqId);
    TcpListener& lst = tcpListener(req.listener);
    m_context = Context::SoftIrq;
    int maxRetries = int(sysctl("net.ipv4.tcp_synack_retries"));
    const std::uint32_t qlen = lst.qlen;
    if ((qlen << 1) > std::max<std::uint32_t>(8, lst.maxAckBacklog)) {
        std::uint32_t young = lst.young << 1;
        while (maxRetries > 2) {
            if (qlen < young) break;
            --maxRetries;
            young <<= 1;
        }
    }
    const bool expire = req.numTimeout >= maxRetries;
    m_counters.add(Mib::TcpExtTCPTimeouts); // tcp_syn_ack_timeout
    Skb probe;
    probe.id = kNoPacket;
    if (!expire) {
        bool sent = tcp_v4_send_synack(req, false, kNoPacket);
        if (sent) {
            m_counters.add(Mib::TcpRetransSegs);
            m_counters.add(Mib::TcpExtTCPSynRetrans);
            ++req.numRetrans;
        }
        // inet_rsk(req)->acked: the peer answered while the accept queue was full; keep it.
        if (sent || req.acked) {
            if (req.numTimeout++ == 0) --lst.young;
            const Nanos timeout = std::min(req.timeout << req.numTimeout, kTcpRtoMax);
            tcpArmTimer(TcpTimerKind::SynAck, req.id, m_now + timeout, req.timerGen);
            SS_TRACE(probe, Stage::Timer, Verdict::Continue,
                     fmt::format("SYN-ACK timer of request sock #{}: retransmission {} (next in {} ms): "
                                 "TcpExtTCPTimeouts +1, TcpRetransSegs +1, TcpExtTCPSynRetrans +1",
                                 req.id, req.numRetrans, timeout / kMillisecond));
            return;
        }
    }
    SS_TRACE(probe, Stage::Timer, Verdict::Continue,
             fmt::format("SYN-ACK timer of request sock #{}: {} retries exhausted, request dropped: "
                         "TcpExtTCPTimeouts +1",
                         req.id, req.numTimeout));
    reqskQueueDrop(reqId);
}

// tcp_time_wait: the full socket gives way to a timewait sock that keeps what is needed to
// answer the peer. __inet_twsk_schedule counts it when first armed: TcpExtTW, or
// TcpExtTWKilled when its timeout is 4 s or less.
void Host::tcp_time_wait(std::uint32_t sockId, TcpState substate, Nanos timeo) {
    const TcpSock tp = m_tcp.socks.at(sockId);
    TcpTimewaitSock tw;
    tw.id = ++m_tcp.nextId;
    tw.key = tp.key;
    tw.substate = substate;
    tw.rcvNxt = tp.rcvNxt;
    tw.sndNxt = tp.sndNxt;
    tw.rcvWnd = tp.rcvWup + tp.rcvWnd - tp.rcvNxt; // tcp_receive_window
    tw.rcvWscale = tp.rcvWscale;
    tw.tos = tp.tos;
    tw.tstampOk = tp.tstampOk;
    tw.tsRecent = tp.tsRecent;
    tw.tsOff = tp.tsOff;
    const Nanos rto = 3 * tp.rto + tp.rto / 2; // (rto << 2) - (rto >> 1)
    if (timeo < rto) timeo = rto;
    if (substate == TcpState::TimeWait) timeo = kTcpTimewaitLen;
    tcp_done(sockId);
    const bool kill = timeo <= 4 * kSecond;
    m_counters.add(kill ? Mib::TcpExtTWKilled : Mib::TcpExtTW);
    tw.expires = m_now + timeo;
    m_tcp.ehash[tw.key] = {false, tw.id, true};
    auto& stored = m_tcp.timewait[tw.id] = tw;
    tcpArmTimer(TcpTimerKind::TimeWait, stored.id, stored.expires, stored.timerGen);
    Skb probe;
    probe.id = kNoPacket;
    SS_TRACE(probe, Stage::TcpRcv, Verdict::Consumed,
             fmt::format("socket #{} becomes timewait sock #{} ({}) for {} s: {} +1", sockId, stored.id,
                         tcpStateName(substate), timeo / kSecond, kill ? "TcpExtTWKilled" : "TcpExtTW"));
}

// tw_timer_handler -> inet_twsk_kill: the timewait sock leaves the established hash.
void Host::inet_twsk_kill(std::uint32_t twId) {
    auto it = m_tcp.timewait.find(twId);
    if (it == m_tcp.timewait.end()) return;
    m_context = Context::SoftIrq;
    m_tcp.ehash.erase(it->second.key);
    Skb probe;
    probe.id = kNoPacket;
    SS_TRACE(probe, Stage::Timer, Verdict::Consumed,
             fmt::format("timewait sock #{} ({}) expires and is freed", twId, tcpStateName(it->second.substate)));
    m_tcp.timewait.erase(it);
}

// tcp_timewait_state_process and what tcp_v4_rcv does with its verdict (TCP_TW_ACK,
// TCP_TW_RST, TCP_TW_SYN, TCP_TW_SUCCESS). PAWS is not modelled.
void Host::tcp_timewait_state_process(std::uint32_t twId, Skb& skb) {
    TcpTimewaitSock& tw = m_tcp.timewait.at(twId);
    const auto th = *wire::TcpPacket::view(skb.l4());
    const std::uint32_t seq = th.seqNumber();
    const std::uint32_t len = std::uint32_t(skb.l4().size() - th.headerLength());
    const std::uint32_t endSeq = seq + len + (th.syn() ? 1 : 0) + (th.fin() ? 1 : 0);
    const std::string who = fmt::format("timewait sock #{} ({})", tw.id, tcpStateName(tw.substate));
    std::optional<std::uint32_t> tsval;
    if (tw.tstampOk && th.headerLength() > 20)
        if (auto o = wire::parseTcpOptions(th.options()); o.ok() && o.value().timestamps)
            tsval = o.value().timestamps->value;
    auto reschedule = [&] {
        tw.expires = m_now + kTcpTimewaitLen; // inet_twsk_reschedule: not counted again
        tcpArmTimer(TcpTimerKind::TimeWait, tw.id, tw.expires, tw.timerGen);
    };
    auto sendAck = [&](std::string why) {
        // tcp_v4_timewait_ack: from the control socket, with the remembered state.
        std::optional<wire::TcpTimestamps> ts;
        if (tw.tstampOk) ts = wire::TcpTimestamps{tcpClockMs() + tw.tsOff, tw.tsRecent};
        tcp_v4_send_ack(skb, tw.sndNxt, tw.rcvNxt,
                        std::uint16_t(std::min<std::uint32_t>(tw.rcvWnd >> tw.rcvWscale, 65535)), ts, tw.tos,
                        std::move(why));
    };
    // tcp_timewait_check_oow_rate_limit: an ACK at most every tcp_invalid_ratelimit, except
    // for segments that carry data.
    auto oowAck = [&](Mib skipped, std::string_view skippedName, std::string why) {
        if (seq == endSeq || th.syn()) {
            if (tw.lastOowAck >= 0 && m_now - tw.lastOowAck < kTcpInvalidRatelimit) {
                m_counters.add(skipped);
                SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                         fmt::format("{}: {}, but an ACK went out less than 500 ms ago: {} +1", who, why,
                                     skippedName));
                return;
            }
            tw.lastOowAck = m_now;
        }
        sendAck(why);
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed, fmt::format("{}: {}, answered with an ACK", who, why));
    };
    auto sendRst = [&](std::string why) {
        tcp_v4_send_reset(skb, why);
        m_tcp.ehash.erase(tw.key);
        SS_DROP(skb, Stage::TcpRcv, DropReason::TCP_FLAGS, fmt::format("{}: {}: RST, timewait sock freed", who, why));
        m_tcp.timewait.erase(twId);
    };
    if (tw.substate == TcpState::FinWait2) {
        auto inWindow = [&] {
            const std::uint32_t s = tw.rcvNxt, e = tw.rcvNxt + tw.rcvWnd;
            if (seq == s) return true;
            if (seqAfter(endSeq, s) && seqBefore(seq, e)) return true;
            return seq == e && seq == endSeq;
        };
        if (!inWindow()) return oowAck(Mib::TcpExtTCPACKSkippedFinWait2, "TcpExtTCPACKSkippedFinWait2",
                                       "segment outside the window");
        if (th.rst()) {
            SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed, who + ": RST frees the timewait sock");
            m_tcp.ehash.erase(tw.key);
            m_tcp.timewait.erase(twId);
            return;
        }
        if (th.syn() && !seqBefore(seq, tw.rcvNxt)) return sendRst("SYN in FIN_WAIT2");
        if (!th.ack() || !seqAfter(endSeq, tw.rcvNxt) || endSeq == seq) {
            SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed, who + ": duplicate ACK ignored");
            return;
        }
        if (!th.fin() || endSeq != tw.rcvNxt + 1) return sendRst("new data after close()");
        tw.substate = TcpState::TimeWait;
        tw.rcvNxt = endSeq;
        if (tsval) tw.tsRecent = *tsval;
        reschedule();
        sendAck("ACK of the peer's FIN");
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed,
                 who + ": the peer's FIN, TIME_WAIT for 60 s (TCP_TIMEWAIT_LEN)");
        return;
    }
    if (seq == tw.rcvNxt && (seq == endSeq || th.rst())) {
        if (th.rst() && tcpSysctl("net.ipv4.tcp_rfc1337", 0) == 0) {
            // TIME_WAIT assassination (RFC 1337): the RST frees it, with no counter.
            SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed, who + ": RST at rcv_nxt frees the timewait sock");
            m_tcp.ehash.erase(tw.key);
            m_tcp.timewait.erase(twId);
            return;
        }
        reschedule();
        if (tsval) tw.tsRecent = *tsval;
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed, who + ": in-window ACK, TIME_WAIT restarted");
        return;
    }
    if (th.syn() && !th.rst() && !th.ack() &&
        (seqAfter(seq, tw.rcvNxt) || (tsval && std::int32_t(tw.tsRecent - *tsval) < 0))) {
        // TCP_TW_SYN: a new connection may take the 4-tuple if a listener wants it.
        const int listener = __inet_lookup_listener(Ipv4Address{tw.key.localAddr}, tw.key.localPort, skb.device);
        if (listener >= 0) {
            SS_TRACE(skb, Stage::TcpRcv, Verdict::Continue, who + ": a new SYN reuses the 4-tuple");
            m_tcp.ehash.erase(tw.key);
            m_tcp.timewait.erase(twId);
            tcp_v4_do_rcv_listen(listener, skb);
            return;
        }
        sendAck("new SYN and no listener");
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed, who + ": new SYN without a listener, answered with an ACK");
        return;
    }
    if (th.rst()) {
        SS_TRACE(skb, Stage::TcpRcv, Verdict::Consumed, who + ": RST outside rcv_nxt ignored");
        return;
    }
    if (th.ack()) reschedule();
    oowAck(Mib::TcpExtTCPACKSkippedTimeWait, "TcpExtTCPACKSkippedTimeWait",
           th.fin() ? "retransmitted FIN" : (len ? "old data" : "out-of-window segment"));
}

} // namespace stackscope::stack
