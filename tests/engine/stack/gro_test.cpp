// SPDX-License-Identifier: GPL-3.0-or-later
// GRO on a NIC's NAPI poll (net/core/gro.c, inet_gro_receive, tcp_gro_receive):
// which TCP segments merge into one skb, what completes a held packet, and how
// the merged skb is counted further up (once, except the ECN counters).
#include "frames.h"

#include "netfilter/ruleset.h"
#include "sim/simulator.h"
#include "stack/host.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

using namespace stackscope;
using namespace stackscope::test;

namespace {

struct Seg {
    std::string src = "10.0.0.7", dst = "10.0.0.2";
    std::uint16_t sport = 40000, dport = 80;
    std::uint32_t seq = 1000, ack = 5000;
    std::uint8_t flags = wire::kTcpAck;
    std::size_t payload = 1000;
    std::uint16_t ipId = 100;
    bool df = true;
    std::uint8_t ttl = 64, tos = 0;
    std::uint16_t window = 502;
    std::optional<wire::TcpTimestamps> ts;
    bool badTcpChecksum = false;
    bool ipOptions = false;
    std::size_t padTo = 0; // Ethernet padding up to this frame length
};

std::vector<std::uint8_t> tcpFrame(const Seg& s) {
    std::vector<std::uint8_t> payload(s.payload, 'd');
    const auto src = *Ipv4Address::parse(s.src), dst = *Ipv4Address::parse(s.dst);
    wire::TcpRepr tcp;
    tcp.srcPort = s.sport;
    tcp.dstPort = s.dport;
    tcp.seq = s.seq;
    tcp.ack = s.ack;
    tcp.flags = s.flags;
    tcp.window = s.window;
    tcp.options.timestamps = s.ts;
    tcp.payload = payload;
    wire::Ipv4Repr ip;
    ip.src = src;
    ip.dst = dst;
    ip.protocol = wire::kIpProtoTcp;
    ip.ttl = s.ttl;
    ip.tos = s.tos;
    ip.ident = s.ipId;
    ip.dontFragment = s.df;
    if (s.ipOptions) ip.options = {1, 1, 1, 0}; // NOP NOP NOP EOL
    ip.payloadLength = std::uint16_t(tcp.bufferLength());
    const std::size_t ihl = ip.headerLength();
    std::vector<std::uint8_t> f(14 + ihl + tcp.bufferLength());
    wire::EthernetRepr{kHostMac, kPeerMac, wire::kEtherTypeIpv4, std::nullopt}.writeTo(f);
    ip.writeTo(std::span<std::uint8_t>(f).subspan(14, ihl));
    tcp.writeTo(std::span<std::uint8_t>(f).subspan(14 + ihl), src, dst);
    if (s.badTcpChecksum) f[14 + ihl + 16] ^= 0x55;
    if (f.size() < s.padTo) f.resize(s.padTo, 0);
    return f;
}

// Segment i of one flow: consecutive sequence numbers and IP IDs.
Seg nth(int i, std::size_t payload = 1000) {
    Seg s;
    s.seq = 1000 + std::uint32_t(i) * std::uint32_t(payload);
    s.ipId = std::uint16_t(100 + i);
    s.payload = payload;
    return s;
}

// What GRO did to each packet, and which skbs reached ip_rcv.
struct GroRecorder : TraceObserver {
    std::vector<PacketId> ipRcv;     // skbs that passed ip_rcv_core, in order
    std::map<PacketId, Verdict> gro; // last napi_gro_receive verdict per packet
    std::map<PacketId, std::string> groText;
    std::map<PacketId, TraceEvent> completed; // napi_gro_complete per held packet
    void onTrace(const TraceEvent& e) override {
        if (e.stage == Stage::IpRcv && e.verdict == Verdict::Continue) ipRcv.push_back(e.packet);
        if (e.stage == Stage::Gro) {
            gro[e.packet] = e.verdict;
            groText[e.packet] = e.detail;
        }
        if (e.stage == Stage::GroComplete) completed[e.packet] = e;
    }
};

struct GroRun {
    Simulator sim;
    GroRecorder rec;
    GroRun(const HostConfig& h, const std::vector<Seg>& segs) : sim(h, 1) {
        std::vector<InputFrame> frames;
        for (const auto& s : segs)
            frames.push_back(at(0, tcpFrame(s)));
        start(std::move(frames));
    }
    GroRun(const HostConfig& h, std::vector<InputFrame> frames) : sim(h, 1) {
        start(std::move(frames));
    }
    void start(std::vector<InputFrame> frames) {
        sim.addTraceObserver(&rec);
        sim.setInput(std::make_shared<const std::vector<InputFrame>>(std::move(frames)));
        sim.run(kSecond);
    }
    std::uint64_t mib(Mib m) const { return sim.counters().get(m); }
};

using Ids = std::vector<PacketId>;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

HostConfig withInputRule() {
    HostConfig h = serverConfig();
    IptablesInput in;
    in.argv = {"iptables", "-A", "INPUT", "-p", "tcp", "--dport", "80"};
    in.text = "iptables -A INPUT -p tcp --dport 80";
    h.iptables.push_back(in);
    return h;
}

const netfilter::Rule& inputRule(const Simulator& sim) {
    for (const auto& c : sim.host().ruleset().table(netfilter::TableId::Filter).chains)
        if (c.name == "INPUT") return c.rules.at(0);
    throw std::runtime_error("no INPUT chain");
}

// Source ports whose flows share a gro_hash bucket with sport 40000.
std::vector<std::uint16_t> portsInSameBucket(std::size_t n) {
    auto bucketOf = [](std::uint16_t sport) {
        Seg s;
        s.sport = sport;
        stack::Skb skb;
        skb.data = tcpFrame(s);
        return stack::Host::rxHash(skb) & (stack::Host::kGroHashBuckets - 1);
    };
    const auto want = bucketOf(40000);
    std::vector<std::uint16_t> ports{40000};
    for (std::uint16_t p = 40001; ports.size() < n; ++p)
        if (bucketOf(p) == want) ports.push_back(p);
    return ports;
}

} // namespace

TEST_CASE("rxHash is the Toeplitz hash of the RSS verification suite") {
    // Microsoft RSS spec: 66.9.149.187:2794 -> 161.142.100.80:1766.
    Seg s;
    s.src = "66.9.149.187";
    s.dst = "161.142.100.80";
    s.sport = 2794;
    s.dport = 1766;
    stack::Skb skb;
    skb.data = tcpFrame(s);
    CHECK(stack::Host::rxHash(skb) == 0x51ccc178u);
    UdpSpec u;
    u.src = "66.9.149.187";
    u.dst = "161.142.100.80";
    skb.data = udpFrame(u);
    CHECK(stack::Host::rxHash(skb) == 0x323e8fc2u); // addresses only
}

TEST_CASE("in-order segments of one flow merge into one skb counted once") {
    GroRun r(withInputRule(), {nth(0), nth(1), nth(2), nth(3)});
    CHECK(r.rec.ipRcv == Ids{1});
    CHECK(r.rec.gro[1] == Verdict::Stolen);
    for (PacketId id : {2, 3, 4}) {
        CHECK(r.rec.gro[id] == Verdict::Consumed);
        CHECK(contains(r.rec.groText[id], "merged into #1"));
    }
    CHECK(contains(r.rec.groText[4], "now 4 segments: #1 #2 #3 #4"));
    REQUIRE(r.rec.completed.count(1) == 1);
    const TraceEvent& done = r.rec.completed[1];
    CHECK(contains(done.detail,
                   "4 segments #1 #2 #3 #4 go up as one skb, len 4040, gso_size 1000, gso_segs 4"));
    CHECK(contains(done.detail, "napi_complete_done"));

    // inet_gro_complete and tcp4_gro_complete rewrote the headers.
    REQUIRE(done.bytes);
    const auto& b = *done.bytes;
    REQUIRE(b.size() == 14 + 4040);
    const auto ip = *wire::Ipv4Packet::view(std::span<const std::uint8_t>(b).subspan(14));
    CHECK(ip.totalLength() == 4040);
    CHECK(ip.verifyChecksum());
    CHECK(ip.ident() == 100);
    const std::uint16_t pseudo = std::uint16_t(
        ~wire::checksumFold(wire::pseudoHeaderSum(ip.src(), ip.dst(), wire::kIpProtoTcp, 4020)));
    CHECK(wire::loadBe16(b.data() + 34 + 16) == pseudo);

    CHECK(r.mib(Mib::IpInReceives) == 1);
    CHECK(r.mib(Mib::IpExtInOctets) == 4040);
    CHECK(r.mib(Mib::IpExtInNoECTPkts) == 4); // ECN counters take gso_segs
    CHECK(r.mib(Mib::IpInDelivers) == 1);
    CHECK(r.mib(Mib::TcpInSegs) == 1);
    // CHECKSUM_PARTIAL: tcp_v4_rcv must not verify the pseudo-header-only checksum field.
    CHECK(r.mib(Mib::TcpInCsumErrors) == 0);
    CHECK(r.sim.counters().softnet()[0].processed == 1);
    const int eth0 = r.sim.config().findInterface("eth0")->ifindex;
    CHECK(r.sim.counters().link(eth0, LinkStat::rx_packets) == 4); // the driver counts frames
    CHECK(r.sim.counters().link(eth0, LinkStat::rx_bytes) == 4 * (14 + 1040));
    const auto& rule = inputRule(r.sim);
    CHECK(rule.packets == 1);
    CHECK(rule.bytes == 4040);
}

TEST_CASE("ECN counters add gso_segs of a merged skb") {
    std::vector<Seg> segs{nth(0), nth(1), nth(2)};
    for (auto& s : segs)
        s.tos = 0x02; // ECT(0)
    GroRun r(serverConfig(), segs);
    CHECK(r.mib(Mib::IpInReceives) == 1);
    CHECK(r.mib(Mib::IpExtInECT0Pkts) == 3);
    CHECK(r.mib(Mib::IpExtInNoECTPkts) == 0);
}

TEST_CASE("what completes a held packet, and what is never held") {
    struct Row {
        const char* name;
        std::vector<Seg> segs;
        Ids ipRcv;           // skbs reaching ip_rcv, in order
        std::uint64_t noEct; // IpExtInNoECTPkts: segments carried
    };
    auto with = [](Seg s, auto change) {
        change(s);
        return s;
    };
    const Row rows[] = {
        {"PSH merges, then completes; the next segment starts a new skb",
         {nth(0), nth(1), with(nth(2), [](Seg& s) { s.flags |= wire::kTcpPsh; }), nth(3)},
         {1, 4},
         4},
        {"FIN merges, then completes",
         {nth(0), with(nth(1), [](Seg& s) { s.flags |= wire::kTcpFin; }), nth(2)},
         {1, 3},
         3},
        {"a segment shorter than gso_size merges, then completes",
         {nth(0), nth(1), with(nth(2), [](Seg& s) { s.payload = 500; }), nth(3)},
         {1, 4},
         4},
        {"a segment larger than gso_size is not merged",
         {nth(0, 500), with(nth(1, 500), [](Seg& s) { s.payload = 1000; })},
         {1, 2},
         2},
        {"out of order: each mismatch completes the held packet",
         {nth(0), nth(2), nth(1)},
         {1, 2, 3},
         3},
        {"RST is never held",
         {nth(0), with(nth(1), [](Seg& s) { s.flags = wire::kTcpRst | wire::kTcpAck; })},
         {1, 2},
         2},
        {"URG completes",
         {nth(0), with(nth(1), [](Seg& s) { s.flags |= wire::kTcpUrg; })},
         {1, 2},
         2},
        {"SYN is never held",
         {with(nth(0),
               [](Seg& s) {
                   s.flags = wire::kTcpSyn;
                   s.payload = 0;
               }),
          nth(1), nth(2)},
         {1, 2},
         3},
        {"pure ACKs (no payload) are never held",
         {with(nth(0), [](Seg& s) { s.payload = 0; }), with(nth(1),
                                                            [](Seg& s) {
                                                                s.payload = 0;
                                                                s.seq = 1000;
                                                            })},
         {1, 2},
         2},
        {"CWR completes the held packet and starts the next one",
         {nth(0), with(nth(1), [](Seg& s) { s.flags |= wire::kTcpCwr; }), nth(2)},
         {1, 2},
         3},
        {"a different ack_seq completes",
         {nth(0), with(nth(1), [](Seg& s) { s.ack = 6000; })},
         {1, 2},
         2},
        {"a different window completes",
         {nth(0), with(nth(1), [](Seg& s) { s.window = 700; })},
         {1, 2},
         2},
        {"different TCP timestamps complete",
         {with(nth(0),
               [](Seg& s) {
                   s.ts = wire::TcpTimestamps{1, 2};
               }),
          with(nth(1),
               [](Seg& s) {
                   s.ts = wire::TcpTimestamps{2, 2};
               })},
         {1, 2},
         2},
        {"equal TCP timestamps merge",
         {with(nth(0),
               [](Seg& s) {
                   s.ts = wire::TcpTimestamps{1, 2};
               }),
          with(nth(1),
               [](Seg& s) {
                   s.ts = wire::TcpTimestamps{1, 2};
               })},
         {1},
         2},
        {"a TTL change completes",
         {nth(0), with(nth(1), [](Seg& s) { s.ttl = 63; }), nth(2)},
         {1, 2, 3},
         3},
        {"a TOS change completes", {nth(0), with(nth(1), [](Seg& s) { s.tos = 0x10; })}, {1, 2}, 2},
        {"a DF change completes", {nth(0), with(nth(1), [](Seg& s) { s.df = false; })}, {1, 2}, 2},
        {"IP ID skipping one is not merged",
         {nth(0), with(nth(1), [](Seg& s) { s.ipId = 102; })},
         {1, 2},
         2},
        {"IP ID going back is not merged",
         {nth(0), with(nth(1), [](Seg& s) { s.ipId = 99; })},
         {1, 2},
         2},
        {"fixed IP ID with DF merges (atomic datagrams)",
         {nth(0), with(nth(1), [](Seg& s) { s.ipId = 100; }),
          with(nth(2), [](Seg& s) { s.ipId = 100; })},
         {1},
         3},
        {"fixed IP ID without DF is not merged",
         {with(nth(0), [](Seg& s) { s.df = false; }), with(nth(1),
                                                           [](Seg& s) {
                                                               s.df = false;
                                                               s.ipId = 100;
                                                           })},
         {1, 2},
         2},
        {"incrementing IP ID without DF merges",
         {with(nth(0), [](Seg& s) { s.df = false; }), with(nth(1), [](Seg& s) { s.df = false; })},
         {1},
         2},
        {"two incrementing IDs, then a fixed one: only the first two merge",
         {nth(0), nth(1), with(nth(2), [](Seg& s) { s.ipId = 101; })},
         {1, 3},
         3},
        {"fixed IDs decided by the second segment, then an increment is refused",
         {nth(0), with(nth(1), [](Seg& s) { s.ipId = 100; }), nth(2)},
         {1, 3},
         3},
        {"a segment with IP options goes up alone and leaves the held packet alone",
         {nth(0), with(nth(1), [](Seg& s) { s.ipOptions = true; }), nth(1)},
         {2, 1},
         3},
        {"Ethernet padding (tot_len below the frame) completes the held packet",
         {nth(0), with(nth(1),
                       [](Seg& s) {
                           s.payload = 2;
                           s.padTo = 60;
                       })},
         {1, 2},
         2},
    };
    for (const auto& row : rows) {
        SECTION(row.name) {
            GroRun r(serverConfig(), row.segs);
            CHECK(r.rec.ipRcv == row.ipRcv);
            CHECK(r.mib(Mib::IpInReceives) == row.ipRcv.size());
            CHECK(r.mib(Mib::IpExtInNoECTPkts) == row.noEct);
            CHECK(r.mib(Mib::IpInHdrErrors) == 0);
        }
    }
}

TEST_CASE("a bad TCP checksum is not merged and is passed up first") {
    // #2 is GRO_NORMAL and waits on rx_list; #3 does not follow #1 (#2's bytes are missing),
    // so #1 is completed behind #2 and #3 is held until the end of the poll.
    Seg bad = nth(1);
    bad.badTcpChecksum = true;
    GroRun r(serverConfig(), {nth(0), bad, nth(2)});
    CHECK(r.rec.ipRcv == Ids{2, 1, 3});
    CHECK(r.rec.gro[2] == Verdict::Queued);
    CHECK(contains(r.rec.groText[2], "bad TCP checksum"));
    REQUIRE(r.rec.completed.count(1) == 1);
    CHECK(contains(r.rec.completed[1].detail, "TTL, TOS, DF or the IP ID sequence differ (by #3)"));
    CHECK(r.mib(Mib::IpInReceives) == 3);
}

TEST_CASE("flows sharing a bucket are merged separately") {
    const auto ports = portsInSameBucket(2);
    std::vector<Seg> segs;
    for (int i = 0; i < 3; ++i)
        for (std::uint16_t port : ports) {
            Seg s = nth(i);
            s.sport = port;
            segs.push_back(s);
        }
    GroRun r(serverConfig(), segs); // A1 B1 A2 B2 A3 B3
    CHECK(r.rec.ipRcv.size() == 2);
    REQUIRE(r.rec.completed.count(1) == 1);
    REQUIRE(r.rec.completed.count(2) == 1);
    CHECK(contains(r.rec.completed[1].detail, "3 segments #1 #3 #5"));
    CHECK(contains(r.rec.completed[2].detail, "3 segments #2 #4 #6"));
    CHECK(r.mib(Mib::IpInReceives) == 2);
    CHECK(r.mib(Mib::IpExtInNoECTPkts) == 6);
}

TEST_CASE("a bucket holds at most MAX_GRO_SKBS packets") {
    const auto ports = portsInSameBucket(9);
    auto flows = [&](std::size_t n) {
        std::vector<Seg> segs;
        for (std::size_t i = 0; i < n; ++i) {
            Seg s = nth(0);
            s.sport = ports[i];
            segs.push_back(s);
        }
        Seg again = nth(1); // the first flow's second segment
        again.sport = ports[0];
        segs.push_back(again);
        return segs;
    };
    SECTION("eight flows: the first flow's next segment still merges") {
        GroRun r(serverConfig(), flows(8));
        CHECK(r.rec.gro[9] == Verdict::Consumed);
        CHECK(r.mib(Mib::IpInReceives) == 8);
    }
    SECTION("nine flows: the ninth completes the oldest, so the first flow starts over") {
        GroRun r(serverConfig(), flows(9));
        REQUIRE(r.rec.completed.count(1) == 1);
        CHECK(contains(r.rec.completed[1].detail,
                       "bucket full (MAX_GRO_SKBS 8): oldest completed (by #9)"));
        CHECK(r.rec.gro[10] == Verdict::Stolen);
        REQUIRE(r.rec.completed.count(2) == 1);
        CHECK(contains(r.rec.completed[2].detail, "(by #10)"));
        CHECK(r.mib(Mib::IpInReceives) == 10);
        CHECK(r.rec.ipRcv.front() == 1);
    }
}

TEST_CASE("a merged packet stays below 64 KiB") {
    // 40 header bytes + 45 * 1448 = 65200; a 46th segment would reach gro_max_size.
    std::vector<Seg> segs;
    for (int i = 0; i < 50; ++i)
        segs.push_back(nth(i, 1448));
    GroRun r(serverConfig(), segs);
    CHECK(r.rec.ipRcv == Ids{1, 46});
    REQUIRE(r.rec.completed.count(1) == 1);
    CHECK(contains(r.rec.completed[1].detail, "would reach gro_max_size (64 KiB) (by #46)"));
    CHECK(contains(r.rec.completed[1].detail, "45 segments"));
    CHECK(contains(r.rec.completed[1].detail, "len 65200, gso_size 1448, gso_segs 45"));
    CHECK(contains(r.rec.completed[46].detail, "5 segments"));
    CHECK(r.mib(Mib::IpInReceives) == 2);
    CHECK(r.mib(Mib::IpExtInOctets) == 65200 + 40 + 5 * 1448);
    CHECK(r.mib(Mib::IpExtInNoECTPkts) == 50);
}

TEST_CASE("a poll that uses its whole weight keeps packets held in this jiffy") {
    // 70 frames: the first poll takes 64 and keeps the merged packet (same jiffy); the
    // repoll takes 6 more into it and completes.
    std::vector<Seg> segs;
    for (int i = 0; i < 70; ++i)
        segs.push_back(nth(i, 100));
    GroRun r(serverConfig(), segs);
    CHECK(r.rec.ipRcv == Ids{1});
    CHECK(contains(r.rec.completed[1].detail, "70 segments"));
    CHECK(r.mib(Mib::IpExtInNoECTPkts) == 70);
}

TEST_CASE("no GRO: ethtool -K gro off, veth, UDP and ICMP") {
    const std::vector<Seg> segs{nth(0), nth(1), nth(2)};
    SECTION("gro off") {
        HostConfig h = serverConfig();
        h.ensureInterface("eth0", LinkKind::Ethernet).gro = false;
        GroRun r(h, segs);
        CHECK(r.rec.ipRcv == Ids{1, 2, 3});
        CHECK(contains(r.rec.groText[1], "GRO is off"));
        CHECK(r.mib(Mib::IpInReceives) == 3);
        CHECK(r.rec.completed.empty());
    }
    SECTION("veth without XDP has no NAPI and no GRO") {
        GroRun r(serverConfig(LinkKind::Veth), segs);
        CHECK(r.rec.ipRcv == Ids{1, 2, 3});
        CHECK(r.rec.gro.empty());
        CHECK(r.mib(Mib::IpInReceives) == 3);
    }
    SECTION("plain UDP and ICMP go up one by one") {
        std::vector<InputFrame> frames;
        for (int i = 0; i < 3; ++i)
            frames.push_back(at(0, udpFrame({})));
        frames.push_back(at(0, icmpEchoFrame("10.0.0.7", "10.0.0.2")));
        GroRun r(serverConfig(), std::move(frames));
        CHECK(r.rec.ipRcv == Ids{1, 2, 3, 4});
        CHECK(r.rec.gro[1] == Verdict::Queued);
        CHECK(contains(r.rec.groText[1], "udp4_gro_receive"));
        CHECK(r.mib(Mib::IpInReceives) == 4);
    }
}

TEST_CASE("GRO_NORMAL packets are batched on rx_list ahead of later completions") {
    // An ICMP echo arriving after a held TCP segment reaches ip_rcv first: napi_complete_done
    // appends the completed packet behind it on rx_list.
    std::vector<InputFrame> frames{at(0, tcpFrame(nth(0))), at(0, tcpFrame(nth(1))),
                                   at(0, icmpEchoFrame("10.0.0.7", "10.0.0.2"))};
    GroRun r(serverConfig(), std::move(frames));
    CHECK(r.rec.ipRcv == Ids{3, 1});
}
