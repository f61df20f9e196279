// SPDX-License-Identifier: GPL-3.0-or-later
// Per-stage and per-drop-reason behaviour of the IPv4 stack model: each row
// sends frames into a host and checks the counters Linux would show.
#include "frames.h"

#include "sim/simulator.h"
#include "stack/host.h"
#include "stack/skb.h"
#include "wire/ipv4.h"

#include <catch2/catch.hpp>
#include <map>

using namespace stackscope;
using namespace stackscope::test;


TEST_CASE("skb truesize follows the small-head cache and kmalloc buckets") {
    using stack::skbTruesizeForHead;
    // Measured on the conformance kernel: frames of payload 0..100 -> 832, 200..500 -> 1280,
    // 700..1472 -> 2304 (AF_PACKET sender, head = frame + 16).
    CHECK(skbTruesizeForHead(42 + 16) == 832);
    CHECK(skbTruesizeForHead(142 + 16) == 832);
    CHECK(skbTruesizeForHead(242 + 16) == 1280);
    CHECK(skbTruesizeForHead(542 + 16) == 1280);
    CHECK(skbTruesizeForHead(742 + 16) == 2304);
    CHECK(skbTruesizeForHead(1514 + 16) == 2304);
    CHECK(stack::kSockMinRcvbuf == 2304);
}

TEST_CASE("ip_rcv_core header checks count and drop as Linux does") {
    struct Row {
        const char* name;
        UdpSpec spec;
        Mib counter;
        DropReason reason;
    };
    const Row rows[] = {
        {"bad header checksum", {.badIpChecksum = true}, Mib::IpExtInCsumErrors, DropReason::IP_CSUM},
        {"version 6 in an IPv4 frame", {.version = 6}, Mib::IpInHdrErrors, DropReason::IP_INHDR},
        {"ihl below 5", {.ihl = 4}, Mib::IpInHdrErrors, DropReason::IP_INHDR},
        {"tot_len past the frame", {.totalLengthDelta = 40}, Mib::IpExtInTruncatedPkts, DropReason::PKT_TOO_SMALL},
    };
    for (const auto& row : rows) {
        SECTION(row.name) {
            Run r(serverConfig(), {at(0, udpFrame(row.spec))});
            CHECK(r.mib(Mib::IpInReceives) == 1);
            CHECK(r.mib(row.counter) == 1);
            CHECK(r.rec.drops[row.reason] == 1);
            CHECK(r.mib(Mib::IpInDelivers) == 0);
        }
    }
    SECTION("a bad checksum is also a header error") {
        Run r(serverConfig(), {at(0, udpFrame({.badIpChecksum = true}))});
        CHECK(r.mib(Mib::IpInHdrErrors) == 1);
    }
}

TEST_CASE("UDP to a closed port: UdpNoPorts and one ICMP port unreachable") {
    Run r(serverConfig(), {at(0, udpFrame({.dport = 9}))});
    CHECK(r.mib(Mib::IpInDelivers) == 1);
    CHECK(r.mib(Mib::UdpNoPorts) == 1);
    CHECK(r.mib(Mib::IcmpOutDestUnreachs) == 1);
    CHECK(r.sim.counters().icmpMsgOut(3) == 1);
    CHECK(r.mib(Mib::IcmpOutMsgs) == 1);
    CHECK(r.mib(Mib::IpOutRequests) == 1);
    CHECK(r.rec.drops[DropReason::NO_SOCKET] == 1);
    REQUIRE(r.rec.tx.size() == 1);
    const auto& f = r.rec.tx[0].bytes;
    auto ip = *wire::Ipv4Packet::view(std::span<const std::uint8_t>(f).subspan(14));
    CHECK(ip.check() == std::nullopt);
    CHECK(ip.src() == *Ipv4Address::parse("10.0.0.2"));
    CHECK(ip.dst() == *Ipv4Address::parse("10.0.0.7"));
    CHECK(ip.tos() == 0xc0);
    CHECK(f[34] == 3);
    CHECK(f[35] == 3);
}

TEST_CASE("port unreachable is rate limited per destination: 6 back to back") {
    std::vector<InputFrame> frames;
    for (int i = 0; i < 10; ++i) frames.push_back(at(i * kMicrosecond, udpFrame({.dport = 9})));
    Run r(serverConfig(), std::move(frames));
    CHECK(r.mib(Mib::UdpNoPorts) == 10);
    CHECK(r.mib(Mib::IcmpOutDestUnreachs) == 6);
    CHECK(r.mib(Mib::IcmpOutRateLimitHost) == 4);
}

TEST_CASE("a socket that never reads accepts floor(rcvbuf / truesize) datagrams") {
    HostConfig h = serverConfig(LinkKind::Veth);
    SocketConfig s;
    s.port = 53;
    s.read = SocketConfig::ReadMode::None;
    h.sockets.push_back(s);
    std::vector<InputFrame> frames;
    for (int i = 0; i < 300; ++i) frames.push_back(at(i * kMicrosecond, udpFrame({.payload = 100})));
    Run r(h, std::move(frames));
    // veth: the sender's skb (frame + 16 bytes of headroom) is small: truesize 832, and
    // 256 x 832 fills 212992 exactly, as the kernel shows (d44 of 300 in ss -uamn).
    CHECK(r.mib(Mib::UdpRcvbufErrors) == 44);
    CHECK(r.mib(Mib::UdpInErrors) == 44);
    CHECK(r.mib(Mib::UdpInDatagrams) == 0);
    CHECK(r.sim.sockets().at(0).queued == 256);
    CHECK(r.sim.sockets().at(0).rmemAlloc == 212992);
    CHECK(r.rec.drops[DropReason::SOCKET_RCVBUFF] == 44);
}

TEST_CASE("SO_RCVBUF is doubled and bounded below by SOCK_MIN_RCVBUF") {
    HostConfig h = serverConfig();
    SocketConfig s;
    s.port = 53;
    s.rcvbuf = 100;
    h.sockets.push_back(s);
    s.port = 54;
    s.rcvbuf = 4096;
    h.sockets.push_back(s);
    Simulator sim(h);
    CHECK(sim.sockets()[0].rcvbuf == 2304);
    CHECK(sim.sockets()[1].rcvbuf == 8192);
}

TEST_CASE("a reading socket counts UdpInDatagrams; a bad UDP checksum is counted before queueing") {
    HostConfig h = serverConfig();
    SocketConfig s;
    s.port = 53;
    h.sockets.push_back(s);
    Run r(h, {at(0, udpFrame({})), at(kMillisecond, udpFrame({.badUdpChecksum = true}))});
    CHECK(r.mib(Mib::UdpInDatagrams) == 1);
    CHECK(r.mib(Mib::UdpInCsumErrors) == 1);
    CHECK(r.mib(Mib::UdpInErrors) == 1);
    CHECK(r.rec.drops[DropReason::UDP_CSUM] == 1);
}

TEST_CASE("a bad UDP checksum to a socket that never reads is still counted") {
    HostConfig h = serverConfig(LinkKind::Veth);
    SocketConfig s;
    s.port = 53;
    s.read = SocketConfig::ReadMode::None;
    h.sockets.push_back(s);
    Run r(h, {at(0, udpFrame({.badUdpChecksum = true}))});
    CHECK(r.mib(Mib::UdpInCsumErrors) == 1);
    CHECK(r.sim.sockets().at(0).queued == 0);
}

TEST_CASE("echo requests are answered; broadcasts are ignored by default") {
    Run r(serverConfig(), {at(0, icmpEchoFrame("10.0.0.7", "10.0.0.2")),
                           at(kMillisecond, icmpEchoFrame("10.0.0.7", "10.0.0.255", MacAddress::broadcast()))});
    CHECK(r.mib(Mib::IcmpInMsgs) == 2);
    CHECK(r.mib(Mib::IcmpInEchos) == 2);
    CHECK(r.mib(Mib::IcmpOutEchoReps) == 1);
    CHECK(r.mib(Mib::IcmpInErrors) == 1);
    CHECK(r.mib(Mib::IpExtInBcastPkts) == 1);
    CHECK(r.rec.drops[DropReason::INVALID_PROTO] == 1);
    REQUIRE(r.rec.tx.size() == 1);
    CHECK(r.rec.tx[0].bytes[34] == 0); // echo reply
}

TEST_CASE("forwarding off: a packet for another address is an InAddrError") {
    Run r(serverConfig(), {at(0, udpFrame({.dst = "192.168.9.9"}))});
    CHECK(r.mib(Mib::IpInAddrErrors) == 1);
    CHECK(r.rec.drops[DropReason::IP_INADDRERRORS] == 1);
    CHECK(r.rec.tx.empty());
}

TEST_CASE("forwarding on: TTL 1 expires with time exceeded, TTL 9 is forwarded with TTL 8 and a redirect") {
    HostConfig h = serverConfig();
    REQUIRE_FALSE(h.sysctls.set("net.ipv4.ip_forward", "1").has_value());
    Run r(h, {at(0, udpFrame({.dst = "192.168.9.9", .ttl = 1})),
              at(kMillisecond, udpFrame({.dst = "192.168.9.9", .ttl = 9}))});
    CHECK(r.mib(Mib::IpInHdrErrors) == 1);
    CHECK(r.mib(Mib::IcmpOutTimeExcds) == 1);
    CHECK(r.mib(Mib::IpForwDatagrams) == 1);
    // It leaves by the interface it came in on from an on-link sender: ICMP redirect too.
    CHECK(r.mib(Mib::IcmpOutRedirects) == 1);
    CHECK(r.mib(Mib::IpOutTransmits) == 3); // time exceeded, redirect, the forwarded packet
    CHECK(r.mib(Mib::IpOutRequests) == 2);  // only the locally generated ICMP
    REQUIRE(r.rec.tx.size() == 3);
    auto fwd = *wire::Ipv4Packet::view(std::span<const std::uint8_t>(r.rec.tx[2].bytes).subspan(14));
    CHECK(fwd.ttl() == 8);
    CHECK(fwd.verifyChecksum());
}

TEST_CASE("martians and layer-2 filtering") {
    SECTION("a frame for another MAC never reaches the kernel of a NIC") {
        Run r(serverConfig(), {at(0, udpFrame({.dstMac = MacAddress{{2, 9, 9, 9, 9, 9}}}))});
        CHECK(r.mib(Mib::IpInReceives) == 0);
        CHECK(r.sim.counters().link(2, LinkStat::rx_packets) == 0);
    }
    SECTION("on a veth it does, and ip_rcv drops it as OTHERHOST") {
        Run r(serverConfig(LinkKind::Veth), {at(0, udpFrame({.dstMac = MacAddress{{2, 9, 9, 9, 9, 9}}}))});
        CHECK(r.mib(Mib::IpInReceives) == 0);
        CHECK(r.sim.counters().link(2, LinkStat::rx_otherhost_dropped) == 1);
        CHECK(r.rec.drops[DropReason::OTHERHOST] == 1);
    }
    SECTION("our own address as source is a martian") {
        Run r(serverConfig(), {at(0, udpFrame({.src = "10.0.0.2"}))});
        CHECK(r.rec.drops[DropReason::IP_LOCAL_SOURCE] == 1);
    }
    SECTION("rp_filter strict drops a source routed elsewhere") {
        HostConfig h = serverConfig();
        auto& eth1 = h.ensureInterface("eth1");
        eth1.up = true;
        eth1.addresses.push_back({*Ipv4Address::parse("172.16.0.1"), 24, std::nullopt, "eth1", {}});
        REQUIRE_FALSE(h.sysctls.set("net.ipv4.conf.all.rp_filter", "1").has_value());
        Run r(h, {at(0, udpFrame({.src = "172.16.0.9"}))});
        CHECK(r.rec.drops[DropReason::IP_RPFILTER] == 1);
        CHECK(r.mib(Mib::TcpExtIPReversePathFilter) == 1);
    }
}

TEST_CASE("ARP requests for our address are answered and teach us the sender") {
    HostConfig h = serverConfig();
    h.neighbours.clear();
    Run r(h, {at(0, arpRequestFrame("10.0.0.1", "10.0.0.2")), at(kMillisecond, arpRequestFrame("10.0.0.1", "10.0.0.3"))});
    REQUIRE(r.rec.tx.size() == 1);
    CHECK(wire::loadBe16(&r.rec.tx[0].bytes[20]) == 2); // ARP reply
    auto n = r.sim.neighbours();
    REQUIRE(n.size() == 1);
    CHECK(n[0].address == "10.0.0.1");
    CHECK(n[0].state == "STALE");
}

TEST_CASE("unresolved next hop: ARP probes, then NEIGH_FAILED") {
    HostConfig h = serverConfig();
    h.neighbours.clear();
    SendConfig s;
    s.destination = *Ipv4Address::parse("10.0.0.50");
    s.destinationPort = 9;
    s.payloadSize = 20;
    h.sends.push_back(s);
    Run r(h, {}, 10 * kSecond);
    int arpRequests = 0;
    for (const auto& f : r.rec.tx)
        if (wire::loadBe16(&f.bytes[12]) == 0x0806) ++arpRequests;
    CHECK(arpRequests == 3);
    CHECK(r.rec.drops[DropReason::NEIGH_FAILED] == 1);
    CHECK(r.mib(Mib::UdpOutDatagrams) == 1);
    // arp_error_report: a host unreachable quoting the whole 48-byte datagram comes back
    // through lo, whose one counter (tx and rx alike) takes skb->len after eth_type_trans
    // pulled the Ethernet header: 20 + 8 + 48 bytes, not the 90-byte frame.
    CHECK(r.mib(Mib::IcmpOutDestUnreachs) == 1);
    const auto* loConfig = r.sim.config().findInterface("lo");
    REQUIRE(loConfig);
    const int lo = loConfig->ifindex;
    for (LinkStat packets : {LinkStat::tx_packets, LinkStat::rx_packets})
        CHECK(r.sim.counters().link(lo, packets) == 1);
    for (LinkStat bytes : {LinkStat::tx_bytes, LinkStat::rx_bytes})
        CHECK(r.sim.counters().link(lo, bytes) == 76);
}

namespace {

// serverConfig with `q` as eth0's root qdisc and one send line of `count` datagrams of
// `payload` bytes at once to 10.0.0.7:9.
// tc qdisc ... tbf with its rate in bytes per second, burst and limit in bytes.
QdiscConfig tbf(std::uint64_t rateBytesPerSec, std::uint32_t burst, std::uint32_t limit) {
    QdiscConfig q;
    q.kind = QdiscKind::Tbf;
    q.rateBytesPerSec = rateBytesPerSec;
    q.burstBytes = burst;
    q.limit = limit;
    return q;
}

HostConfig sendingThrough(const QdiscConfig& q, std::uint32_t count, std::uint32_t payload,
                          LinkKind kind = LinkKind::Ethernet) {
    HostConfig h = serverConfig(kind);
    h.findInterface("eth0")->qdisc = q;
    SendConfig s;
    s.destination = *Ipv4Address::parse("10.0.0.7");
    s.destinationPort = 9;
    s.count = count;
    s.interval = 0;
    s.payloadSize = payload;
    h.sends.push_back(s);
    return h;
}

} // namespace

TEST_CASE("a full pfifo drops with QDISC_DROP and counts in tc -s") {
    QdiscConfig q;
    q.kind = QdiscKind::Pfifo;
    q.limit = 2;
    HostConfig h = sendingThrough(q, 10, 0);
    h.findInterface("eth0")->txRing = 1;
    Run r(h, {});
    const auto& stats = r.sim.counters().qdiscs().at(2);
    CHECK(stats.dropped == 7);
    CHECK(stats.sentPackets == 3);
    CHECK(r.rec.drops[DropReason::QDISC_DROP] == 7);
    // The sender hears -ENOBUFS: SndbufErrors and OutDiscards instead of OutDatagrams.
    CHECK(r.mib(Mib::UdpOutDatagrams) == 3);
    CHECK(r.mib(Mib::UdpSndbufErrors) == 7);
    CHECK(r.mib(Mib::IpOutDiscards) == 7);
}

TEST_CASE("the same input gives the same trace") {
    auto run = [] {
        struct Lines : TraceObserver {
            std::string all;
            void onTrace(const TraceEvent& e) override { all += formatTraceLine(e, "") + "\n"; }
        } lines;
        Simulator sim(serverConfig());
        sim.addTraceObserver(&lines);
        std::vector<InputFrame> f;
        for (int i = 0; i < 20; ++i) f.push_back(at(i * kMicrosecond, udpFrame({.dport = std::uint16_t(i)})));
        sim.setInput(std::make_shared<const std::vector<InputFrame>>(f));
        sim.run(kSecond);
        return lines.all;
    };
    const auto a = run(), b = run();
    CHECK(a == b);
    CHECK(a.size() > 1000);
}

TEST_CASE("tbf overlimits: a veth on several CPUs bulk-dequeues after each packet") {
    // tbf rate 80kbit burst 1600 limit 2000 and 20 datagrams of 200 bytes back to back:
    // six leave at once, eight wait, six are dropped. Every enqueue attempt with packets
    // waiting is a failed dequeue (14); each watchdog wakeup that leaves packets behind
    // fails once more (7). A veth has a TX queue per possible CPU, and on a multiqueue
    // device every packet dequeued is followed by a bulk attempt: 7 more. Measured on
    // Linux 6.18: overlimits 21 with numtxqueues 1, 28 with 2 or 4.
    for (const auto& [cpus, overlimits] : {std::pair{1, 21u}, std::pair{2, 28u}, std::pair{4, 28u}}) {
        INFO(cpus << " CPUs");
        HostConfig h = sendingThrough(tbf(10000, 1600, 2000), 20, 200, LinkKind::Veth);
        h.cpus = cpus;
        Run r(h, {}, 2 * kSecond);
        const auto& stats = r.sim.counters().qdiscs().at(2);
        CHECK(stats.sentPackets == 14);
        CHECK(stats.dropped == 6);
        CHECK(stats.overlimits == overlimits);
    }
    // The queues a veth was created with (ip link add ... numtxqueues N), whatever the CPUs.
    for (const auto& [queues, overlimits] : {std::pair{1u, 21u}, std::pair{2u, 28u}}) {
        INFO(queues << " TX queues on 4 CPUs");
        HostConfig h = sendingThrough(tbf(10000, 1600, 2000), 20, 200, LinkKind::Veth);
        h.cpus = 4;
        h.findInterface("eth0")->numTxQueues = queues;
        Run r(h, {}, 2 * kSecond);
        CHECK(r.sim.counters().qdiscs().at(2).overlimits == overlimits);
    }
}

namespace {

// eth0 with fq_codel and one send line of `count` datagrams at once to 10.0.0.7.
Run fqCodelRun(std::optional<std::uint32_t> limit, std::uint32_t txRing, std::uint32_t count,
               std::uint32_t payload) {
    QdiscConfig q;
    q.kind = QdiscKind::FqCodel;
    q.limit = limit;
    HostConfig h = sendingThrough(q, count, payload);
    h.findInterface("eth0")->txRing = txRing;
    // Room in the socket's send buffer for all of them at once (the default 212992 bytes
    // holds 92 full-size datagrams), as an administrator would give it.
    REQUIRE_FALSE(h.sysctls.set("net.core.wmem_max", "67108864").has_value());
    h.sends[0].sndbuf = 67108864;
    return Run(h, {}, 2 * kSecond);
}

} // namespace

TEST_CASE("fq_codel over its limit drops half the fattest flow from its head") {
    // limit 10, a one-descriptor TX ring, 30 datagrams of one flow at once: the first
    // takes the ring, ten wait; the 12th makes eleven, and fq_codel_drop takes packets
    // from the head of the fattest (the only) flow until half its bytes are gone: 6 of
    // 11. Then every sixth arrival does it again: 4 batches, 24 drops, 5 left to send.
    Run r = fqCodelRun(10, 1, 30, 20);
    const auto& stats = r.sim.counters().qdiscs().at(2);
    CHECK(stats.dropped == 24);
    CHECK(stats.dropOverlimit == 24);
    CHECK(stats.sentPackets == 6);
    CHECK(stats.backlogPackets == 0);
    CHECK(stats.newFlowCount == 1);
    CHECK(stats.maxpacket == 62);
    CHECK(stats.newFlowsLen + stats.oldFlowsLen == 0);
    CHECK(stats.memoryUsage == 0);
    CHECK(r.rec.drops[DropReason::QDISC_OVERLIMIT] == 24);
    // NET_XMIT_CN is no error for the sender: every datagram counts as sent.
    CHECK(r.mib(Mib::UdpOutDatagrams) == 30);
    CHECK(r.mib(Mib::UdpSndbufErrors) == 0);
    CHECK(r.mib(Mib::IpOutDiscards) == 0);
}

TEST_CASE("fq_codel's CoDel drops only after the delay stayed above target for an interval") {
    // Full-size frames leave a 1 Gbit/s NIC every 12.3 us behind its 256-descriptor ring.
    // The packet 407 places behind the ring has waited 5 ms (target); CoDel may drop once
    // the delay has stayed above target for 100 ms more, which the 8,535th reaches: a
    // queue of 10,000 gets one drop (the next is due 100 ms later, after the queue is
    // gone), one of 8,000 drains in 95 ms and gets none.
    for (const auto& [count, drops] : {std::pair{8000u, 0u}, std::pair{10000u, 1u}}) {
        INFO(count << " datagrams");
        Run r = fqCodelRun(std::nullopt, 256, count, 1472);
        const auto& stats = r.sim.counters().qdiscs().at(2);
        CHECK(r.rec.drops[DropReason::QDISC_CONGESTED] == int(drops));
        CHECK(stats.dropped == drops);
        CHECK(stats.dropOverlimit == 0);
        CHECK(stats.sentPackets == count - drops);
        CHECK(stats.maxpacket == 1514);
        // Until the ring fills, each datagram leaves at once and the dequeue after it finds
        // the flow empty and takes it off the list: the first 256 each start a new flow.
        CHECK(stats.newFlowCount == 256);
        CHECK(stats.newFlowsLen + stats.oldFlowsLen == 0);
    }
}

TEST_CASE("a qdisc on lo still loops packets back into the stack") {
    // tc qdisc add dev lo root pfifo and three datagrams to a closed port on 127.0.0.1:
    // the datagrams and the three port unreachables all pass the qdisc (Ethernet header
    // counted: 6 packets, 456 bytes) and come back in; lo's counter has 372 bytes each way.
    // Measured the same on Linux 6.18 in a namespace.
    HostConfig h = HostConfig::withLoopback();
    InterfaceConfig* lo = h.findInterface("lo");
    REQUIRE(lo);
    lo->up = true;
    QdiscConfig q;
    q.kind = QdiscKind::Pfifo;
    lo->qdisc = q;
    SendConfig s;
    s.destination = *Ipv4Address::parse("127.0.0.1");
    s.source = *Ipv4Address::parse("127.0.0.1");
    s.sourcePort = 4000;
    s.destinationPort = 9;
    s.count = 3;
    s.interval = 0;
    s.payloadSize = 20;
    h.sends.push_back(s);
    Run r(h, {}, kSecond);
    const auto& stats = r.sim.counters().qdiscs().at(lo->ifindex);
    CHECK(stats.sentPackets == 6);
    CHECK(stats.sentBytes == 456);
    for (LinkStat packets : {LinkStat::tx_packets, LinkStat::rx_packets})
        CHECK(r.sim.counters().link(lo->ifindex, packets) == 6);
    for (LinkStat bytes : {LinkStat::tx_bytes, LinkStat::rx_bytes})
        CHECK(r.sim.counters().link(lo->ifindex, bytes) == 372);
    CHECK(r.mib(Mib::UdpNoPorts) == 3);
    CHECK(r.mib(Mib::IcmpInDestUnreachs) == 3);
    CHECK(r.rec.tx.empty()); // nothing reaches a wire
}

namespace {

// eth0, a veth, with tbf and one send line of `count` datagrams of 1000 bytes (truesize
// 2304) at once to 10.0.0.7.
HostConfig sndbufConfig(std::uint64_t rateBytesPerSec, std::uint32_t burst, std::uint32_t limit,
                        std::uint32_t count, std::optional<std::uint32_t> sndbuf,
                        bool nonBlocking) {
    HostConfig h = sendingThrough(tbf(rateBytesPerSec, burst, limit), count, 1000, LinkKind::Veth);
    h.sends[0].sndbuf = sndbuf;
    h.sends[0].nonBlocking = nonBlocking;
    return h;
}

} // namespace

TEST_CASE("a blocking sender sleeps while its send buffer is full and wakes at half") {
    // Measured on Linux 6.18 (veth, tbf rate 1mbit burst 5000, SO_SNDBUF 212992, so
    // sk_sndbuf 425984, 300 datagrams of 1000 bytes in a loop): four leave within the
    // burst; 185 more fill the buffer (184 x 2304 < 425984); the 190th sendto returns
    // 0.769 s later, when 93 have left and the buffer is below half; the sender then fills
    // it again: the 283rd returns at 1.545 s.
    HostConfig h = sndbufConfig(125000, 5000, 1000000, 300, 212992, false);
    Simulator sim(h, 1);
    auto sent = [&] { return sim.counters().get(Mib::UdpOutDatagrams); };
    sim.runUntil(kMillisecond);
    CHECK(sent() == 189);
    CHECK(sim.host().sendSockets().at(0).sndbuf == 425984);
    CHECK(sim.host().sendSockets().at(0).wmemAlloc == 185 * 2304);
    sim.runUntil(765 * kMillisecond);
    CHECK(sent() == 189);
    sim.runUntil(775 * kMillisecond);
    CHECK(sent() == 282);
    sim.runUntil(1540 * kMillisecond);
    CHECK(sent() == 282);
    sim.runUntil(1550 * kMillisecond);
    CHECK(sent() == 300);
    sim.run(5 * kSecond);
    CHECK(sim.counters().qdiscs().at(2).sentPackets == 300);
    CHECK(sim.counters().qdiscs().at(2).dropped == 0);
    CHECK(sim.host().sendSockets().at(0).blockedTimes == 2);
    CHECK(sim.host().sendSockets().at(0).wmemAlloc == 0);
    CHECK(sim.counters().get(Mib::UdpSndbufErrors) == 0);
}

TEST_CASE("a non-blocking sender gets EAGAIN while its send buffer is full") {
    // Measured on Linux 6.18 with the setup above and MSG_DONTWAIT: 97 sent, 203 fail with
    // EAGAIN, each counted as IpOutDiscards and UdpSndbufErrors.
    Run r(sndbufConfig(125000, 5000, 1000000, 300, std::nullopt, true), {}, 2 * kSecond);
    CHECK(r.sim.host().sendSockets().at(0).sndbuf == 212992);
    CHECK(r.mib(Mib::UdpOutDatagrams) == 97);
    CHECK(r.mib(Mib::UdpSndbufErrors) == 203);
    CHECK(r.mib(Mib::IpOutDiscards) == 203);
    CHECK(r.mib(Mib::IpOutRequests) == 97);
    CHECK(r.sim.counters().qdiscs().at(2).sentPackets == 97);
    CHECK(r.sim.host().sendSockets().at(0).wmemAlloc == 0);
}

TEST_CASE("SO_SNDBUF doubles the value asked for, within wmem_max and SOCK_MIN_SNDBUF") {
    for (const auto& [asked, expected] :
         {std::pair{1u, 4608u}, std::pair{20000u, 40000u}, std::pair{100000000u, 8388608u}}) {
        Simulator sim(sndbufConfig(125000, 5000, 1000000, 1, asked, false), 1);
        CHECK(sim.host().sendSockets().at(0).sndbuf == expected);
    }
}

TEST_CASE("fragments may take the send buffer to twice sndbuf, then ENOBUFS") {
    // The minimum sndbuf (4608) and no DF: 5900 bytes make 4 fragments and leave; 6000
    // make 5, and the fifth would take sk_wmem_alloc (with the reference it starts at)
    // past 9216: the call fails with ENOBUFS. Measured the same on Linux 6.18.
    for (const auto& [size, ok] : {std::pair{5900u, true}, std::pair{6000u, false}}) {
        INFO(size << " bytes");
        HostConfig h = sendingThrough(QdiscConfig{}, 2, size, LinkKind::Veth);
        h.sends[0].sndbuf = 1;
        h.sends[0].dontFragment = false;
        h.sends[0].interval = 10 * kMillisecond;
        Run r(h, {}, kSecond);
        CHECK(r.mib(Mib::UdpOutDatagrams) == (ok ? 2u : 0u));
        CHECK(r.mib(Mib::UdpSndbufErrors) == (ok ? 0u : 2u));
        CHECK(r.mib(Mib::IpOutDiscards) == (ok ? 0u : 2u));
        CHECK(r.mib(Mib::IpFragCreates) == (ok ? 8u : 0u));
        CHECK(r.rec.tx.size() == (ok ? 8u : 0u));
        CHECK(r.sim.host().sendSockets().at(0).wmemAlloc == 0);
    }
}

TEST_CASE(
    "a send buffer is charged until the driver completes, the neighbour resolves or the skb dies") {
    // Every path a sent datagram can end on gives its truesize back: the NIC's completion,
    // a qdisc drop, a netfilter drop, the unresolved neighbour queue's failure, loopback.
    SECTION("NIC TX ring") {
        QdiscConfig q;
        q.kind = QdiscKind::Pfifo;
        q.limit = 2;
        HostConfig h = sendingThrough(q, 10, 1000);
        h.findInterface("eth0")->txRing = 1;
        Simulator sim(h, 1);
        sim.runUntil(0);
        // One in the ring, two in the pfifo; seven dropped and given back at once.
        CHECK(sim.host().sendSockets().at(0).wmemAlloc == 3 * 2304);
        sim.run(kSecond);
        CHECK(sim.host().sendSockets().at(0).wmemAlloc == 0);
    }
    SECTION("netfilter DROP in OUTPUT") {
        HostConfig h = sendingThrough(QdiscConfig{}, 3, 100);
        h.iptables.push_back(iptablesLine("iptables -A OUTPUT -p udp -j DROP"));
        Run r(h, {}, kSecond);
        CHECK(r.rec.drops[DropReason::NETFILTER_DROP] == 3);
        // sendto returns -EPERM: an output discard, not a datagram sent (Linux 6.18).
        CHECK(r.mib(Mib::IpOutDiscards) == 3);
        CHECK(r.mib(Mib::UdpOutDatagrams) == 0);
        CHECK(r.mib(Mib::UdpSndbufErrors) == 0);
        CHECK(r.sim.host().sendSockets().at(0).wmemAlloc == 0);
    }
    SECTION("neighbour never answers") {
        HostConfig h = sendingThrough(QdiscConfig{}, 3, 100);
        h.sends[0].destination = *Ipv4Address::parse("10.0.0.50");
        Run r(h, {}, 5 * kSecond);
        CHECK(r.rec.drops[DropReason::NEIGH_FAILED] == 3);
        CHECK(r.sim.host().sendSockets().at(0).wmemAlloc == 0);
    }
}

TEST_CASE("a burst to an unresolved neighbour: evictions give the sender its room back") {
    // unres_qlen_bytes and the send buffer are both 212992: the queue keeps the newest 92
    // datagrams of truesize 2304, and each eviction frees the sender's charge, so all 100
    // calls succeed (checked against Linux 6.18, conformance case neigh_queue_and_sndbuf).
    HostConfig h = sendingThrough(QdiscConfig{}, 100, 1000, LinkKind::Veth);
    h.sends[0].destination = *Ipv4Address::parse("10.0.0.50");
    h.sends[0].nonBlocking = true;
    Run r(h, {}, 5 * kSecond);
    CHECK(r.mib(Mib::UdpOutDatagrams) == 100);
    CHECK(r.mib(Mib::UdpSndbufErrors) == 0);
    CHECK(r.rec.drops[DropReason::NEIGH_QUEUEFULL] == 8);
    CHECK(r.rec.drops[DropReason::NEIGH_FAILED] == 92);
    CHECK(r.sim.host().sendSockets().at(0).wmemAlloc == 0);
    // The host unreachables go to the host itself, over lo: no per-destination limit, but
    // each one sent takes 0 to 2 of the global burst of 50 (icmp_global_consume), so the
    // global limit stops some of the 92.
    CHECK(r.mib(Mib::IcmpOutDestUnreachs) + r.mib(Mib::IcmpOutRateLimitGlobal) == 92);
    CHECK(r.mib(Mib::IcmpOutRateLimitGlobal) > 0);
    CHECK(r.mib(Mib::IcmpOutRateLimitHost) == 0);
}

TEST_CASE("REJECT of a UDP datagram: no ICMP when its checksum is bad, one when it has none") {
    HostConfig h = serverConfig();
    h.iptables.push_back(iptablesLine("iptables -A INPUT -p udp -j REJECT"));
    std::vector<std::uint8_t> noChecksum = udpFrame({.dport = 9});
    noChecksum[14 + 20 + 6] = noChecksum[14 + 20 + 7] = 0; // UDP checksum 0: none
    Run r(h, {at(0, udpFrame({.dport = 9})),
              at(kMillisecond, udpFrame({.dport = 9, .badUdpChecksum = true})),
              at(2 * kMillisecond, noChecksum)});
    CHECK(r.rec.drops[DropReason::NETFILTER_DROP] == 3);
    CHECK(r.mib(Mib::IcmpOutDestUnreachs) == 2);
    CHECK(r.rec.tx.size() == 2);
}

TEST_CASE("REJECT on the way out: the error reaches the sending socket, sendto gets EPERM") {
    // As on Linux 6.18 (conformance case output_reject_own_datagram): the port unreachable
    // goes to the host itself over lo and finds the sender's socket, still open inside
    // sendto, so it is no IcmpInErrors.
    HostConfig h = sendingThrough(QdiscConfig{}, 3, 100, LinkKind::Veth);
    h.sends[0].source = *Ipv4Address::parse("10.0.0.2");
    h.sends[0].sourcePort = 4000;
    h.sends[0].interval = 10 * kMillisecond;
    h.iptables.push_back(iptablesLine("iptables -A OUTPUT -p udp --dport 9 -j REJECT"));
    Run r(h, {}, kSecond);
    CHECK(r.mib(Mib::IcmpOutDestUnreachs) == 3);
    CHECK(r.mib(Mib::IcmpInDestUnreachs) == 3);
    CHECK(r.mib(Mib::IcmpInErrors) == 0);
    CHECK(r.mib(Mib::IpOutDiscards) == 3);
    CHECK(r.mib(Mib::UdpOutDatagrams) == 0);
    CHECK(r.rec.tx.empty());
    CHECK_FALSE(r.sim.host().sendSockets().at(0).open); // closed after the last call
}
