// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/tcp_output.c: tcp_make_synack with tcp_synack_options and
// tcp_select_initial_window's window, tcp_send_ack, tcp_send_delayed_ack,
// and the delayed-ACK timer (tcp_timer.c tcp_delack_timer_handler).
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
// window offered at the handshake.
std::uint32_t freeWindow(const TcpSock& tp) {
    const std::uint64_t freeSpace = tp.rcvbuf > tp.rmemAlloc ? (tp.rcvbuf - tp.rmemAlloc) / 2 : 0;
    return std::uint32_t(std::min<std::uint64_t>(freeSpace, tp.rcvWnd));
}

} // namespace

void Host::tcpSendAck(TcpSock& tp, PacketId cause, std::string why) {
    wire::TcpOptions opts;
    if (tp.tstampOk) opts.timestamps = wire::TcpTimestamps{tcpClockMs() + tp.tsOff, tp.tsRecent};
    const std::uint32_t win = freeWindow(tp);
    const auto window = std::uint16_t(std::min<std::uint32_t>(win >> tp.rcvWscale, 65535));
    tp.rcvWup = tp.rcvNxt;
    tp.unackedBytes = 0;
    tp.ackScheduled = false;
    if (tp.ackTimerArmed) {
        tp.ackTimerArmed = false;
        ++tp.timerGen; // inet_csk_clear_xmit_timer(ICSK_TIME_DACK)
    }
    if (tp.quickAcks) --tp.quickAcks;
    std::uint8_t flags = wire::kTcpAck;
    if (tp.state == TcpState::LastAck && tp.sndNxt == tp.sndUna + 1) flags |= wire::kTcpFin;
    tcpTransmit(tp.key, tp.sndNxt, tp.rcvNxt, flags, window, opts, tp.tos, false, cause, std::move(why));
}

// __tcp_ack_snd_check: ACK now when more than a full segment is unacknowledged, in quick-ACK
// mode or with out-of-order data queued; otherwise arm the delayed-ACK timer.
void Host::tcpAckSndCheck(TcpSock& tp, PacketId cause) {
    if (!tp.ackScheduled) return;
    if (tp.unackedBytes > tp.mss || tp.quickAcks > 0 || !tp.ofoQueue.empty()) {
        tcpSendAck(tp, cause,
                   tp.quickAcks > 0 ? "ACK now (quick-ACK mode)"
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
    m_counters.add(Mib::TcpExtDelayedACKs);
    tcpSendAck(tp, kNoPacket, "delayed ACK timer (tcp_delack_timer): TcpExtDelayedACKs +1");
}

} // namespace stackscope::stack
