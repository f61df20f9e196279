// SPDX-License-Identifier: GPL-3.0-or-later
// TCP connection state of one host: listeners with their SYN and accept queues
// (struct request_sock_queue), request socks (struct tcp_request_sock, state
// TCP_NEW_SYN_RECV) and full sockets (struct tcp_sock), all plain values so a
// Host copy is a snapshot.
#pragma once

#include "sim/time.h"
#include "stack/skb.h"
#include "wire/address.h"
#include "wire/tcp.h"

#include <cstdint>
#include <deque>
#include <map>
#include <string_view>
#include <vector>

namespace stackscope {
class Counters;
}

namespace stackscope::stack {

// include/net/tcp_states.h, same numbering.
enum class TcpState : std::uint8_t {
    Established = 1, SynSent, SynRecv, FinWait1, FinWait2, TimeWait, Close, CloseWait, LastAck,
    Listen, Closing, NewSynRecv,
};
std::string_view tcpStateName(TcpState s); // "ESTABLISHED"

// Kernel constants (include/net/tcp.h).
inline constexpr Nanos kTcpTimeoutInit = kSecond;          // TCP_TIMEOUT_INIT: first SYN-ACK RTO
inline constexpr Nanos kTcpRtoMax = 120 * kSecond;         // TCP_RTO_MAX
inline constexpr Nanos kTcpDelackMin = kSecond / 25;       // TCP_DELACK_MIN (40 ms)
inline constexpr Nanos kTcpDelackMax = kSecond / 5;        // TCP_DELACK_MAX (200 ms)
inline constexpr Nanos kTcpAtoMin = kSecond / 25;          // TCP_ATO_MIN (40 ms)
inline constexpr std::int64_t kPageSize = 4096;            // PAGE_SIZE, the sk_mem_schedule quantum
inline constexpr Nanos kTcpSyncookieValid = 120 * kSecond; // TCP_SYNCOOKIE_VALID
inline constexpr Nanos kTcpInvalidRatelimit = kSecond / 2; // tcp_invalid_ratelimit (HZ/2)
inline constexpr std::uint16_t kTcpMssDefault = 536;       // TCP_MSS_DEFAULT
inline constexpr std::uint32_t kTcpRmemDefault = 131072;   // tcp_rmem[1]
inline constexpr std::uint32_t kTcpRmemMax = 33554432;     // tcp_rmem[2] (32 MiB since 6.16)
inline constexpr Nanos kTcpRtoMin = kSecond / 5;           // TCP_RTO_MIN
inline constexpr Nanos kTcpTimewaitLen = 60 * kSecond;     // TCP_TIMEWAIT_LEN
inline constexpr std::uint32_t kTcpInitCwnd = 10;          // TCP_INIT_CWND
inline constexpr std::uint32_t kTcpDefaultAdvWin = 65535;  // largest unscaled SYN window

// The 4-tuple as the established hash keys it (local first).
struct TcpFlowKey {
    std::uint32_t localAddr = 0;
    std::uint16_t localPort = 0;
    std::uint32_t remoteAddr = 0;
    std::uint16_t remotePort = 0;
    auto operator<=>(const TcpFlowKey&) const = default;
};

// struct tcp_request_sock: one entry of a listener's SYN queue.
struct TcpRequestSock {
    std::uint32_t id = 0;
    int listener = -1; // index in Host::sockets()
    TcpFlowKey key;
    int iif = 0;
    std::uint8_t tos = 0;
    std::uint32_t sntIsn = 0; // our ISN (SYN-ACK seq)
    std::uint32_t rcvIsn = 0; // the peer's ISN
    std::uint32_t rcvNxt = 0;
    std::uint16_t mss = kTcpMssDefault; // the peer's MSS, clamped
    bool wscaleOk = false, sackOk = false, tstampOk = false;
    std::uint8_t sndWscale = 0, rcvWscale = 0;
    std::uint32_t rcvWnd = 0;
    std::uint32_t tsRecent = 0, tsOff = 0;
    std::uint32_t sntTsvalFirst = 0, sntTsvalLast = 0;
    std::uint8_t numRetrans = 0, numTimeout = 0;
    bool acked = false;         // ACK seen while the accept queue was full
    Nanos timeout = kTcpTimeoutInit;
    std::uint64_t timerGen = 0; // the armed rsk_timer
    Nanos lastOowAck = -1;      // last_oow_ack_time, -1 = never
};

// struct tcp_sock: a passively opened connection.
struct TcpSock {
    std::uint32_t id = 0;
    TcpState state = TcpState::Close;
    int listener = -1; // the listening socket it was born from
    bool inAcceptQueue = false;
    bool accepted = false; // accept() returned it to the application
    // sock_owned_by_user: the application is inside a system call on it (lock_sock), as
    // while connect() sends the SYN; an ICMP error arriving then is only noted.
    bool ownedByUser = false;
    TcpFlowKey key;
    int iif = 0;
    std::uint8_t tos = 0;
    std::uint32_t sndUna = 0, sndNxt = 0;
    std::uint32_t rcvNxt = 0, copiedSeq = 0, rcvWup = 0;
    std::uint32_t rcvWnd = 0;   // advertised right edge minus rcv_wup
    std::uint32_t sndWnd = 0;
    std::uint8_t sndWscale = 0, rcvWscale = 0;
    bool tstampOk = false, sackOk = false;
    std::uint32_t tsRecent = 0, tsOff = 0;
    std::uint16_t mss = kTcpMssDefault;
    std::uint64_t rcvbuf = kTcpRmemDefault;
    std::uint64_t rmemAlloc = 0;
    std::deque<Skb> receiveQueue;   // in-order data, sk_receive_queue
    std::map<std::uint32_t, Skb> ofoQueue; // out_of_order_queue by start seq
    bool finReceived = false;       // RCV_SHUTDOWN
    // Delayed ACK (struct inet_connection_sock icsk_ack).
    bool ackScheduled = false;      // ICSK_ACK_SCHED
    bool ackTimerArmed = false;
    std::uint32_t quickAcks = 0;    // icsk_ack.quick
    std::uint32_t unackedBytes = 0; // received since the last ACK we sent
    bool ackNow = false;            // ICSK_ACK_NOW: the next __tcp_ack_snd_check ACKs at once
    std::uint8_t pingpong = 0;      // icsk_ack.pingpong: interactive, ACKs ride on our replies
    Nanos ato = 0;                  // icsk_ack.ato, 0 until the first data arrives
    Nanos lrcvtime = 0;             // icsk_ack.lrcvtime: last data received
    // sk_forward_alloc as the receive side charges it (sk_rmem_schedule, sk_mem_uncharge);
    // send-queue charges are not modelled.
    std::int64_t forwardAlloc = 0;
    std::uint32_t delivered = 0;    // tp->delivered
    std::uint64_t timerGen = 0;
    bool readScheduled = false;
    Nanos nextReadAllowed = 0;
    Nanos lastOowAck = -1;
    // Active open and the send side (tcp_v4_connect, tcp_sendmsg, tcp_write_xmit).
    int connectIndex = -1;     // the `connect` line that opened it; -1 for a passive child
    std::uint32_t isn = 0;
    std::uint32_t writeSeq = 0;  // write_seq: end of the data the application queued
    bool finQueued = false;      // close() queued a FIN after writeSeq
    bool dead = false;           // SOCK_DEAD: the application closed the socket
    bool wscaleOk = false;
    std::uint16_t advmss = 1460;
    std::uint32_t sndCwnd = kTcpInitCwnd, cwndCnt = 0;
    std::uint32_t sndSsthresh = 0x7fffffff; // TCP_INFINITE_SSTHRESH
    std::uint32_t maxWindow = 0;
    std::uint32_t pushedSeq = 0;  // end of the last segment sent with PSH
    Nanos rto = kTcpTimeoutInit;  // icsk_rto
    std::uint32_t retransmits = 0, backoff = 0; // icsk_retransmits, icsk_backoff
    Nanos retransStamp = -1;      // retrans_stamp: first retransmission of this episode
    bool rtoArmed = false;
    std::uint64_t rtoGen = 0;
    std::uint32_t totalRetrans = 0;
    Nanos srtt = 0, mdev = 0;    // tcp_rtt_estimator; srtt 0 = no sample yet
    bool predOn = false;         // header prediction armed (pred_flags != 0)
    // The retransmit queue: segments sent and not yet acknowledged.
    struct Sent {
        std::uint32_t seq = 0, endSeq = 0; // endSeq counts SYN and FIN
        Nanos firstSent = 0;
        bool lost = false, retransmitted = false;
    };
    std::deque<Sent> rtxQueue;
};

// struct tcp_timewait_sock: what is left of a connection after tcp_time_wait. Its
// substate is FIN_WAIT2 (an orphan waiting for the peer's FIN) or TIME_WAIT.
struct TcpTimewaitSock {
    std::uint32_t id = 0;
    TcpFlowKey key;
    TcpState substate = TcpState::TimeWait;
    std::uint32_t rcvNxt = 0, sndNxt = 0, rcvWnd = 0;
    std::uint8_t rcvWscale = 0, tos = 0;
    bool tstampOk = false;
    std::uint32_t tsRecent = 0, tsOff = 0;
    Nanos lastOowAck = -1; // tw_last_oow_ack_time, -1 = never
    Nanos expires = 0;
    std::uint64_t timerGen = 0;
};

// A listening socket's queues (struct request_sock_queue and sk_ack_backlog).
struct TcpListener {
    std::uint32_t qlen = 0;  // request socks in the SYN queue
    std::uint32_t young = 0; // of those, never timed out
    std::uint32_t maxAckBacklog = 0;
    std::deque<std::uint32_t> acceptQueue; // child TcpSock ids
    Nanos lastSynqOverflow = -1;           // tcp_synq_overflow stamp, -1 = never
    bool acceptScheduled = false;
    Nanos nextAcceptAllowed = 0;
};

// Timers of the TCP model, carried in Event::value with the object id.
// Connect and AppSend are the `connect` line's application (connect(), then send() and
// close()); Retrans is icsk_retransmit_timer, TimeWait the timewait sock's tw_timer.
enum class TcpTimerKind : std::uint8_t { SynAck, DelAck, Accept, Read, Connect, AppSend, Retrans, TimeWait };

struct TcpTables {
    std::map<int, TcpListener> listeners; // by socket index
    std::map<std::uint32_t, TcpRequestSock> requests;
    std::map<std::uint32_t, TcpSock> socks;
    std::map<std::uint32_t, TcpTimewaitSock> timewait;
    // __inet_hash_connect's table_perturb, by index; filled from the seeded RNG on first use.
    std::map<std::uint32_t, std::uint32_t> tablePerturb;
    // The established hash: request socks and full sockets by 4-tuple.
    struct EhashEntry {
        bool request = false;
        std::uint32_t id = 0;
        bool timewait = false;
    };
    std::map<TcpFlowKey, EhashEntry> ehash;
    std::uint32_t nextId = 0;
    std::uint64_t nextTimerGen = 0;
    bool secretsReady = false;
    std::uint64_t isnSecret = 0, tsSecret = 0, cookieSecret = 0, portSecret = 0;
};

// tcp_set_state: TcpCurrEstab counts ESTABLISHED and CLOSE_WAIT sockets; a move to CLOSE
// from either is an established reset (TcpEstabResets).
void tcp_set_state(Counters& counters, TcpSock& tp, TcpState state);

// Sequence-space comparisons (before(), after() in include/net/tcp.h).
constexpr bool seqBefore(std::uint32_t a, std::uint32_t b) { return std::int32_t(a - b) < 0; }
constexpr bool seqAfter(std::uint32_t a, std::uint32_t b) { return seqBefore(b, a); }

} // namespace stackscope::stack
