// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/udp.c: __udp4_lib_rcv, socket lookup, __udp_enqueue_schedule_skb,
// udp_recvmsg, and udp_sendmsg with inet_autobind.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <fmt/format.h>
#include <type_traits>
#include <utility>

namespace stackscope::stack {

using wire::Ipv4Address;

namespace {

// compute_score: a bound address or device adds specificity; the best score wins.
int socketScore(const Socket& s, Ipv4Address daddr, std::uint16_t dport, Ipv4Address saddr,
                std::uint16_t sport, std::string_view inDev) {
    if (s.config.protocol != SocketProtocol::Udp || s.boundPort != dport) return -1;
    int score = 0;
    if (!s.config.bindAddress.isAny()) {
        if (s.config.bindAddress != daddr) return -1;
        score += 4;
    }
    if (s.config.connectAddress) {
        if (*s.config.connectAddress != saddr) return -1;
        score += 4;
    }
    if (s.config.connectPort) {
        if (*s.config.connectPort != sport) return -1;
        score += 4;
    }
    if (!s.config.device.empty()) {
        if (s.config.device != inDev) return -1;
        score += 4;
    }
    return score;
}

} // namespace

void Host::__udp4_lib_rcv(Skb&& skb) {
    auto l4 = skb.l4();
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    // why is text, or a callable making it only when someone traces.
    auto inErrors = [&](DropReason r, auto&& why) {
        m_counters.add(Mib::UdpInErrors);
        if constexpr (std::is_invocable_v<decltype(why)>)
            SS_DROP(skb, Stage::UdpRcv, r, why() + ": UdpInErrors +1");
        else
            SS_DROP(skb, Stage::UdpRcv, r, std::string(why) + ": UdpInErrors +1");
    };
    if (l4.size() < wire::kUdpHeaderLen) {
        inErrors(DropReason::NOT_SPECIFIED, "shorter than a UDP header");
        return;
    }
    const auto udp = *wire::UdpPacket::view(l4);
    const std::uint16_t ulen = udp.length();
    if (ulen > l4.size() || ulen < wire::kUdpHeaderLen) {
        inErrors(DropReason::PKT_TOO_SMALL, [&] {
            return fmt::format("UDP length {} but {} bytes present", ulen, l4.size());
        });
        return;
    }
    // pskb_trim_rcsum to the UDP length.
    skb.data.resize(skb.transport + ulen);
    const bool csumOk = udp.checksum() == 0 ||
                        wire::UdpPacket::view(skb.l4())->verifyChecksum(ip.src(), ip.dst());
    const std::uint16_t sport = udp.srcPort(), dport = udp.dstPort();

    // Once, not per socket, and without copying the name.
    const Device* inDevice = dev(skb.device);
    const std::string_view inDev =
        inDevice ? std::string_view(inDevice->config.name) : std::string_view();
    if (skb.dst.broadcast || skb.dst.type == RtType::Multicast) {
        // __udp4_lib_mcast_deliver: every matching socket gets a copy.
        int delivered = 0;
        for (std::size_t i = 0; i < m_sockets.size(); ++i) {
            if (socketScore(m_sockets[i], Ipv4Address{}, dport, ip.src(), sport, inDev) < 0 &&
                socketScore(m_sockets[i], ip.dst(), dport, ip.src(), sport, inDev) < 0)
                continue;
            ++delivered;
        }
        if (!delivered) {
            if (!csumOk) {
                m_counters.add(Mib::UdpInCsumErrors);
                inErrors(DropReason::UDP_CSUM, "bad checksum: UdpInCsumErrors +1");
                return;
            }
            // Broadcasts nobody listens to are not port-unreachable: counted as ignored.
            m_counters.add(Mib::UdpIgnoredMulti);
            SS_TRACE(skb, Stage::UdpRcv, Verdict::Consumed,
                  fmt::format("broadcast/multicast to port {} and no socket: UdpIgnoredMulti +1", dport));
            return;
        }
    }

    int best = -1, bestScore = -1;
    for (std::size_t i = 0; i < m_sockets.size(); ++i) {
        int s = socketScore(m_sockets[i], ip.dst(), dport, ip.src(), sport, inDev);
        if (s > bestScore) {
            bestScore = s;
            best = int(i);
        }
    }
    if (best < 0) {
        if (!csumOk) {
            m_counters.add(Mib::UdpInCsumErrors);
            inErrors(DropReason::UDP_CSUM, "no socket and a bad checksum: dropped silently, UdpInCsumErrors +1");
            return;
        }
        m_counters.add(Mib::UdpNoPorts);
        icmp_send(skb, wire::kIcmpDestUnreach, wire::kIcmpPortUnreach, 0, Stage::UdpRcv);
        SS_DROP(skb, Stage::UdpRcv, DropReason::NO_SOCKET,
             fmt::format("no socket bound to {}:{}: port unreachable, UdpNoPorts +1",
                         ip.dst().toString(), dport));
        return;
    }
    Socket& sk = m_sockets[std::size_t(best)];
    // Linux 6.18 verifies the checksum of a datagram that arrived without a hardware
    // verdict before queueing it (seen on veth: UdpInCsumErrors rises with nothing queued).
    if (!csumOk) {
        m_counters.add(Mib::UdpInCsumErrors);
        inErrors(DropReason::UDP_CSUM, [&] {
            return fmt::format(
                "socket {}:{} matches but the UDP checksum is bad: UdpInCsumErrors +1",
                sk.config.bindAddress.toString(), sk.boundPort);
        });
        return;
    }
    SS_TRACE(skb, Stage::UdpRcv, Verdict::Continue,
          fmt::format("socket {}:{} matches", sk.config.bindAddress.toString(), sk.boundPort));
    // __udp_enqueue_schedule_skb (6.18): a datagram that would push sk_rmem_alloc past
    // sk_rcvbuf is accepted only into an empty queue.
    if (sk.rmemAlloc + skb.truesize > sk.rcvbuf && (sk.rcvbuf > (INT32_MAX >> 1) || sk.rmemAlloc != 0)) {
        ++sk.drops;
        m_counters.add(Mib::UdpRcvbufErrors);
        m_counters.add(Mib::UdpInErrors);
        SS_DROP(skb, Stage::SocketQueue, DropReason::SOCKET_RCVBUFF,
             fmt::format("udp queue full: sk_rmem_alloc {} + truesize {} > rcvbuf {}: "
                         "UdpRcvbufErrors +1, UdpInErrors +1",
                         sk.rmemAlloc, skb.truesize, sk.rcvbuf));
        return;
    }
    sk.rmemAlloc += skb.truesize;
    SS_TRACE(skb, Stage::SocketQueue, Verdict::Queued,
          fmt::format("queued: sk_rmem_alloc {} of rcvbuf {} (truesize {}), {} waiting", sk.rmemAlloc,
                      sk.rcvbuf, skb.truesize, sk.receiveQueue.size() + 1));
    sk.receiveQueue.push_back(std::move(skb));
    if (sk.config.read != SocketConfig::ReadMode::None && !sk.readScheduled) {
        sk.readScheduled = true;
        Nanos at = std::max(m_now + kWakeupLatency, sk.nextReadAllowed);
        schedule({at, 0, Event::Kind::AppRead, best, 0});
    }
}

void Host::udp_recvmsg(int index) {
    Socket* sk = socketAt(index);
    if (!sk) return;
    sk->readScheduled = false;
    if (sk->receiveQueue.empty()) return;
    m_context = Context::Process;
    Skb skb = sk->receiveQueue.takeFront();
    sk->rmemAlloc -= skb.truesize;
    // Datagrams with a bad checksum never reach the queue (checked before queueing).
    m_counters.add(Mib::UdpInDatagrams);
    SS_TRACE(skb, Stage::AppRead, Verdict::Delivered,
             fmt::format("recvmsg returns {} bytes: UdpInDatagrams +1",
                         skb.data.size() - skb.transport - wire::kUdpHeaderLen));
    Nanos next = m_now;
    if (sk->config.read == SocketConfig::ReadMode::Rate && sk->config.readRate > 0)
        next = m_now + kSecond / sk->config.readRate;
    sk->nextReadAllowed = next;
    if (sk->receiveQueue.empty()) return;
    sk->readScheduled = true;
    schedule({next, 0, Event::Kind::AppRead, index, 0});
}

// skb_set_owner_w (net/core/sock.c): the socket's sk_wmem_alloc carries the skb's truesize.
void Host::skb_set_owner_w(Skb& skb, int sendIndex) {
    skb.wmemOwner = sendIndex;
    m_sendSockets[std::size_t(sendIndex)].wmemAlloc += skb.truesize;
}

// sock_wfree (net/core/sock.c), run when the skb is freed or orphaned: its truesize leaves
// the send buffer. sock_def_write_space_wfree wakes a waiting sender only once the buffer
// is below half (sock_writeable, counting sk_wmem_alloc's own reference); it then retries.
void Host::sock_wfree(int owner, std::uint32_t truesize) {
    SendSocket& sk = m_sendSockets[std::size_t(owner)];
    assert(sk.wmemAlloc >= truesize);
    sk.wmemAlloc -= std::min<std::uint64_t>(sk.wmemAlloc, truesize);
    if (sk.blocked && !sk.wakeScheduled && sk.wmemAlloc + 1 < sk.sndbuf / 2) {
        sk.wakeScheduled = true;
        schedule({m_now + kWakeupLatency, 0, Event::Kind::AppSend, owner, sk.blockedCall});
    }
}

void Host::udp_sendmsg(int sendIndex, std::uint64_t number) {
    const SendConfig& cfg = m_config.sends.at(std::size_t(sendIndex));
    SendSocket& sock = m_sendSockets[std::size_t(sendIndex)];
    m_context = Context::Process;
    const bool woken = sock.blocked; // back from sock_wait_for_wmem, inside the same sendto
    sock.wakeScheduled = false;
    // The application closes its socket once its last call has returned (not while it waits).
    sock.open = true;
    struct CloseAfterLast {
        SendSocket& sock;
        bool last;
        ~CloseAfterLast() {
            if (last && !sock.blocked) sock.open = false;
        }
    } closeAfterLast{sock, number + 1 >= cfg.count};
    // The line's next call, one interval after this one was due; a call that had to wait
    // for buffer space is followed at once by those that fell due meanwhile.
    auto scheduleNext = [&] {
        if (number + 1 >= cfg.count) return;
        sock.nextDue = (number == 0 ? cfg.start : sock.nextDue) + cfg.interval;
        schedule({std::max(m_now, sock.nextDue), 0, Event::Kind::AppSend, sendIndex, number + 1});
    };
    // udp_sendmsg's exit: with SOCK_NOSPACE set (this socket once found its buffer full),
    // any failure counts as a send buffer error, as ENOBUFS always does.
    auto failed = [&](int err) {
        if (err == ENOBUFS || sock.noSpace) m_counters.add(Mib::UdpSndbufErrors);
    };
    Skb skb;
    skb.id = woken ? sock.blockedPacket : newPacketId();
    skb.locallyGenerated = true;
    skb.network = wire::kEthHeaderLen;
    OutputRoute rt = ip_route_output(cfg.destination, cfg.source.value_or(Ipv4Address{}));
    if (rt.error) {
        scheduleNext();
        if (rt.error == ENETUNREACH || rt.error == EHOSTUNREACH) m_counters.add(Mib::IpOutNoRoutes);
        failed(rt.error);
        SS_DROP(skb, Stage::RouteOutput, DropReason::IP_OUTNOROUTES,
             fmt::format("sendto {}: no route ({}), IpOutNoRoutes +1", cfg.destination.toString(),
                         rt.error == ENETUNREACH ? "ENETUNREACH" : "error"));
        return;
    }
    // inet_autobind: the first port of the range is chosen by a seeded offset.
    std::uint16_t sport = cfg.sourcePort.value_or(0);
    if (!sport) {
        auto range = m_config.sysctls.values("net.ipv4.ip_local_port_range").value_or(std::vector<std::int64_t>{32768, 60999});
        const auto span = std::uint64_t(range[1] - range[0] + 1);
        sport = std::uint16_t(range[0] + std::int64_t((std::uint64_t(sendIndex) * 7919 + 12345) % span));
        // A capture taken on this host shows the port the kernel picked for this flow.
        if (m_recorded.active())
            if (auto p = m_recorded.ephemeralPort(wire::kIpProtoUdp, rt.source.value, cfg.destination.value,
                                                  cfg.destinationPort))
                sport = *p;
    }
    sock.port = sport;
    const std::size_t ipLen = 20 + wire::kUdpHeaderLen + cfg.payloadSize;
    // The datagram's bytes. A call that cannot have its skb yet is shown with them too (and
    // IP ID 0: __ip_make_skb takes the ID only once the skb exists).
    auto build = [&](std::uint16_t ident) {
        std::vector<std::uint8_t> payload(cfg.payloadSize, 0);
        for (std::size_t i = 0; i < payload.size(); ++i)
            payload[i] = std::uint8_t('a' + i % 26);
        wire::UdpRepr udp{sport, cfg.destinationPort, payload};
        skb.data.assign(wire::kEthHeaderLen + ipLen, 0);
        wire::Ipv4Repr ip;
        ip.src = rt.source;
        ip.dst = cfg.destination;
        ip.protocol = wire::kIpProtoUdp;
        ip.ttl = std::uint8_t(m_hot.ipDefaultTtl);
        ip.payloadLength = std::uint16_t(udp.bufferLength());
        // IP_PMTUDISC_WANT: DF while the datagram fits the route's MTU.
        ip.dontFragment =
            cfg.dontFragment && ipLen <= rt.dst.mtu && !sysctl("net.ipv4.ip_no_pmtu_disc");
        ip.ident = ident;
        ip.writeTo(std::span<std::uint8_t>(skb.data).subspan(wire::kEthHeaderLen, 20));
        udp.writeTo(std::span<std::uint8_t>(skb.data).subspan(wire::kEthHeaderLen + 20), ip.src,
                    ip.dst);
        skb.l3Length = std::uint32_t(ipLen);
        skb.transport = std::uint16_t(wire::kEthHeaderLen + 20);
        skb.dst = rt.dst;
    };
    // sock_alloc_send_pskb, for the first skb of the datagram: room while sk_wmem_alloc is
    // below sk_sndbuf. Otherwise SOCK_NOSPACE, and EAGAIN or a sleep until sock_wfree wakes it.
    if (sock.wmemAlloc >= sock.sndbuf) {
        sock.noSpace = true;
        if (tracing()) build(0);
        if (cfg.nonBlocking) {
            scheduleNext();
            // __ip_append_data's error exit counts the discard; udp_sendmsg the buffer error.
            m_counters.add(Mib::IpOutDiscards);
            failed(EAGAIN);
            SS_TRACE(skb, Stage::AppSend, Verdict::Consumed,
                     fmt::format(
                         "sendto fails with EAGAIN: send buffer full (sk_wmem_alloc {} of sndbuf "
                         "{}, non-blocking): IpOutDiscards +1, UdpSndbufErrors +1",
                         sock.wmemAlloc, sock.sndbuf),
                     DropReason::None, true);
            return;
        }
        if (!woken) ++sock.blockedTimes;
        sock.blocked = true;
        sock.blockedCall = number;
        sock.blockedPacket = skb.id;
        SS_TRACE(skb, Stage::AppSend, Verdict::Queued,
                 fmt::format("sendto waits: send buffer full (sk_wmem_alloc {} of sndbuf {}); the "
                             "process sleeps until sent packets free it below half",
                             sock.wmemAlloc, sock.sndbuf),
                 DropReason::None, true);
        return;
    }
    sock.blocked = false;
    scheduleNext();
    // __ip_append_data: one skb per fragment of the route MTU (8-byte aligned data in all
    // but the last), which ip_do_fragment later sends as they are. The first was charged
    // by sock_alloc_send_skb; the others may take the buffer to twice sk_sndbuf, beyond
    // which the call fails with ENOBUFS.
    std::uint32_t truesize = 0;
    bool noBuffers = false;
    {
        constexpr std::uint32_t hlen = wire::kIpv4MinHeaderLen;
        // No room for 8 data bytes: one skb, which ip_do_fragment then refuses.
        const std::uint32_t room = rt.dst.mtu >= hlen + 8 ? rt.dst.mtu - hlen : UINT32_MAX;
        std::uint32_t left = std::uint32_t(ipLen) - hlen;
        const std::uint32_t first = ipFragmentDataLength(left, room);
        truesize = ipAppendDataTruesize(hlen + first);
        left -= first;
        const std::uint64_t refcount = sock.wmemAlloc + 1 + truesize; // sk_alloc's reference too
        std::uint64_t delta = 0;
        while (left > 0) {
            if (refcount + delta > 2 * sock.sndbuf) {
                noBuffers = true;
                break;
            }
            const std::uint32_t len = ipFragmentDataLength(left, room);
            delta += ipAppendDataTruesize(hlen + len);
            left -= len;
        }
        truesize += std::uint32_t(delta);
    }
    if (noBuffers) {
        m_counters.add(Mib::IpOutDiscards);
        failed(ENOBUFS);
        if (tracing()) build(0);
        SS_DROP(
            skb, Stage::AppSend, DropReason::NOT_SPECIFIED,
            fmt::format("sendto fails with ENOBUFS: the datagram's fragments would take the send "
                        "buffer past twice sndbuf {} (sk_wmem_alloc {}): IpOutDiscards +1, "
                        "UdpSndbufErrors +1",
                        sock.sndbuf, sock.wmemAlloc + truesize));
        return;
    }
    // Kernel 6.18 takes the ID of unconnected DF datagrams from the hashed generator too
    // (seen on the conformance kernel).
    build(nextIpId(cfg.destination, wire::kIpProtoUdp));
    // __ip_make_skb chains the pieces: the head's truesize is theirs together.
    skb.truesize = truesize;
    skb_set_owner_w(skb, sendIndex);
    SS_TRACE(skb, Stage::AppSend, Verdict::Continue,
             fmt::format("{}sendto {}:{} from {}:{}, {} bytes: sk_wmem_alloc {} of sndbuf {}",
                         woken ? "woken with the send buffer below half: " : "",
                         cfg.destination.toString(), cfg.destinationPort, rt.source.toString(),
                         sport, cfg.payloadSize, sock.wmemAlloc, sock.sndbuf),
             DropReason::None, true);
    const PacketId id = skb.id;
    ip_local_out(std::move(skb));
    // udp_send_skb: a qdisc drop comes back as -ENOBUFS, which ip_send_skb counts as
    // IpOutDiscards and UDP as SndbufErrors instead of OutDatagrams (no IP_RECVERR); a
    // netfilter drop as -EPERM, which sendto returns.
    // The call returns once the packet has gone as far as this context takes it; its own
    // event (no packet) carries the counters udp_sendmsg bumps on the way out.
    Skb ret;
    ret.id = kNoPacket;
    if (xmitRefused(id)) {
        m_counters.add(Mib::IpOutDiscards);
        failed(EPERM);
        SS_TRACE(ret, Stage::AppSend, Verdict::Delivered,
                 "sendto returns EPERM: netfilter dropped the datagram on its way out");
    } else if (xmitDropped(id)) {
        m_counters.add(Mib::IpOutDiscards);
        m_counters.add(Mib::UdpSndbufErrors);
        SS_TRACE(
            ret, Stage::AppSend, Verdict::Delivered,
            fmt::format("sendto returns {}: the qdisc dropped the datagram, but without IP_RECVERR "
                        "UDP does not report ENOBUFS",
                        cfg.payloadSize));
    } else {
        m_counters.add(Mib::UdpOutDatagrams);
        SS_TRACE(ret, Stage::AppSend, Verdict::Delivered,
                 fmt::format("sendto returns {}", cfg.payloadSize));
    }
}

} // namespace stackscope::stack
