// SPDX-License-Identifier: GPL-3.0-or-later
// TCP active side: a `connect` line's connect(), send() and close() against a
// peer played by crafted frames. Each case checks the frames the host sends
// (byte for byte where Linux fixes them) and the counters nstat would show.
#include "frames.h"

#include "sim/simulator.h"
#include "stack/host.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <catch2/catch.hpp>

using namespace stackscope;
using namespace stackscope::test;
using stack::TcpState;

namespace {

constexpr std::uint32_t kPeerIsn = 5000;

struct Seg {
    std::uint32_t seq = kPeerIsn + 1, ack = 0;
    std::uint8_t flags = wire::kTcpAck;
    std::size_t payload = 0;
    std::uint16_t window = 65535;
    wire::TcpOptions opts{};
};

struct Sent {
    Nanos time = 0;
    std::uint32_t seq = 0, ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t sport = 0, dport = 0, window = 0;
    wire::TcpOptions opts;
    std::uint16_t ipId = 0;
    std::uint8_t ttl = 0;
    bool df = false;
    std::vector<std::uint8_t> payload;
    std::vector<std::uint8_t> optionBytes;
};

Sent parse(const TxFrame& f) {
    auto l3 = std::span<const std::uint8_t>(f.bytes).subspan(wire::kEthHeaderLen);
    auto ip = *wire::Ipv4Packet::view(l3);
    REQUIRE(ip.protocol() == wire::kIpProtoTcp);
    REQUIRE(ip.verifyChecksum());
    auto l4 = l3.subspan(ip.headerLength(), ip.totalLength() - ip.headerLength());
    auto th = *wire::TcpPacket::view(l4);
    REQUIRE(th.verifyChecksum(ip.src(), ip.dst()));
    auto t = wire::TcpRepr::parse(l4, ip.src(), ip.dst());
    REQUIRE(t.ok());
    Sent s;
    s.time = f.time;
    s.seq = t.value().seq;
    s.ack = t.value().ack;
    s.flags = t.value().flags;
    s.sport = t.value().srcPort;
    s.dport = t.value().dstPort;
    s.window = t.value().window;
    s.opts = t.value().options;
    s.ipId = ip.ident();
    s.ttl = ip.ttl();
    s.df = ip.dontFragment();
    s.payload.assign(l4.begin() + std::ptrdiff_t(th.headerLength()), l4.end());
    s.optionBytes.assign(th.options().begin(), th.options().end());
    return s;
}

HostConfig clientConfig(std::uint32_t sendBytes = 0, bool close = false) {
    HostConfig h = serverConfig();
    ConnectConfig c;
    c.destination = *Ipv4Address::parse("10.0.0.7");
    c.destinationPort = 80;
    c.sendBytes = sendBytes;
    c.close = close;
    h.connects.push_back(c);
    return h;
}

// One connection driven by hand: the first SYN is out when it is built.
struct Client {
    Run r;
    Sent syn;
    std::size_t seen = 0;
    explicit Client(const HostConfig& h) : r(h, {}, 10 * kMillisecond) {
        REQUIRE(r.rec.tx.size() == 1);
        syn = parse(r.rec.tx[0]);
        seen = 1;
    }
    std::uint32_t isn() const { return syn.seq; }
    std::vector<std::uint8_t> frame(const Seg& g) const {
        const auto src = *Ipv4Address::parse("10.0.0.7"), dst = *Ipv4Address::parse("10.0.0.2");
        std::vector<std::uint8_t> data(g.payload, 'p');
        wire::TcpRepr t;
        t.srcPort = 80;
        t.dstPort = syn.sport;
        t.seq = g.seq;
        t.ack = g.ack;
        t.flags = g.flags;
        t.window = g.window;
        t.options = g.opts;
        t.payload = data;
        std::vector<std::uint8_t> f(wire::kEthHeaderLen + 20 + t.bufferLength(), 0);
        wire::EthernetRepr{kHostMac, kPeerMac, wire::kEtherTypeIpv4, std::nullopt}.writeTo(f);
        wire::Ipv4Repr ip;
        ip.src = src;
        ip.dst = dst;
        ip.protocol = wire::kIpProtoTcp;
        ip.dontFragment = true;
        ip.payloadLength = std::uint16_t(t.bufferLength());
        ip.writeTo(std::span<std::uint8_t>(f).subspan(wire::kEthHeaderLen, 20));
        t.writeTo(std::span<std::uint8_t>(f).subspan(wire::kEthHeaderLen + 20), src, dst);
        return f;
    }
    // Feeds segments 1 ms apart, runs `settle` past the last, returns what the host sent.
    std::vector<Sent> feed(std::vector<Seg> segs, Nanos settle = 10 * kMillisecond) {
        std::vector<InputFrame> v;
        Nanos t = r.sim.now();
        for (const auto& g : segs) v.push_back(at(t += kMillisecond, frame(g)));
        r.sim.setInput(std::make_shared<const std::vector<InputFrame>>(std::move(v)));
        r.sim.run(settle);
        return fresh();
    }
    std::vector<Sent> fresh() {
        std::vector<Sent> out;
        for (; seen < r.rec.tx.size(); ++seen) out.push_back(parse(r.rec.tx[seen]));
        return out;
    }
    // The peer's SYN-ACK with Linux's options, window scale 7 unless told otherwise.
    std::vector<Sent> synAck(std::uint16_t window = 65160, std::optional<std::uint8_t> wscale = 7,
                             bool timestamps = true) {
        Seg g{.seq = kPeerIsn, .ack = isn() + 1, .flags = wire::kTcpSyn | wire::kTcpAck, .window = window};
        g.opts.mss = 1460;
        g.opts.sackPermitted = true;
        g.opts.windowScale = wscale;
        if (timestamps) g.opts.timestamps = wire::TcpTimestamps{777000, syn.opts.timestamps->value};
        return feed({g});
    }
    const stack::TcpSock* sock() const {
        const auto& socks = r.sim.host().tcpTables().socks;
        return socks.empty() ? nullptr : &socks.begin()->second;
    }
    std::uint64_t mib(Mib m) const { return r.mib(m); }
};

wire::TcpOptions peerTs(std::uint32_t val, std::uint32_t echo) {
    wire::TcpOptions o;
    o.timestamps = wire::TcpTimestamps{val, echo};
    return o;
}

} // namespace

TEST_CASE("connect() sends a SYN laid out as Linux lays it out") {
    Client c(clientConfig());
    const Sent& s = c.syn;
    CHECK(s.flags == wire::kTcpSyn);
    CHECK(s.dport == 80);
    CHECK(s.sport >= 32768);
    CHECK(s.sport <= 60999);
    CHECK(s.ack == 0);
    CHECK(s.window == 64240); // 64 KiB rounded down to 1460-byte segments, unscaled
    CHECK(s.ttl == 64);
    CHECK(s.df);
    // tcp_options_write: MSS, SACK_PERM riding before TS, then NOP and WS.
    REQUIRE(s.optionBytes.size() == 20);
    const std::vector<std::uint8_t> head{0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a};
    CHECK(std::vector<std::uint8_t>(s.optionBytes.begin(), s.optionBytes.begin() + 8) == head);
    const std::vector<std::uint8_t> tail{0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a};
    CHECK(std::vector<std::uint8_t>(s.optionBytes.begin() + 12, s.optionBytes.end()) == tail);
    CHECK(c.mib(Mib::TcpActiveOpens) == 1);
    CHECK(c.mib(Mib::TcpOutSegs) == 1);
    CHECK(c.mib(Mib::IpOutRequests) == 1);
    CHECK(c.mib(Mib::TcpCurrEstab) == 0);
    const auto* tp = c.sock();
    REQUIRE(tp);
    CHECK(tp->state == TcpState::SynSent);
    CHECK(tp->isn == s.seq);
    CHECK(tp->key.localPort == s.sport);

    SECTION("the same seed gives the same port, ISN and timestamp") {
        Client again(clientConfig());
        CHECK(again.syn.sport == s.sport);
        CHECK(again.syn.seq == s.seq);
        CHECK(again.syn.opts.timestamps->value == s.opts.timestamps->value);
    }
}

TEST_CASE("SYN retransmission: four linear timeouts, then exponential, then ETIMEDOUT") {
    Client c(clientConfig(100, true));
    c.r.sim.run(200 * kSecond);
    const auto sent = c.fresh();
    // tcp_syn_retries 6 plus tcp_syn_linear_timeouts 4.
    REQUIRE(sent.size() == 10);
    const std::vector<Nanos> times{1, 2, 3, 4, 5, 7, 11, 19, 35, 67};
    for (std::size_t i = 0; i < sent.size(); ++i) {
        INFO("retransmission " << i + 1);
        CHECK(sent[i].flags == wire::kTcpSyn);
        CHECK(sent[i].seq == c.isn());
        CHECK(sent[i].time / kSecond == times[i]);
        CHECK(sent[i].ipId == std::uint16_t(c.syn.ipId + i + 1)); // inet_id, one per packet
    }
    CHECK(c.mib(Mib::TcpExtTCPTimeouts) == 11);
    CHECK(c.mib(Mib::TcpRetransSegs) == 10);
    CHECK(c.mib(Mib::TcpExtTCPSynRetrans) == 10);
    CHECK(c.mib(Mib::TcpOutSegs) == 1); // retransmissions are not OutSegs
    CHECK(c.mib(Mib::TcpAttemptFails) == 1);
    CHECK(c.mib(Mib::TcpExtTCPAbortOnTimeout) == 1);
    CHECK(c.mib(Mib::TcpActiveOpens) == 1);
    // Every timeout that does not end the connection rethinks the flow hash; from the
    // second on, the retransmission it marks lost was itself a retransmission.
    CHECK(c.mib(Mib::TcpExtTcpTimeoutRehash) == 10);
    CHECK(c.mib(Mib::TcpExtTCPLostRetransmit) == 9);
    CHECK(c.sock() == nullptr);
    CHECK(c.r.sim.host().tcpTables().ehash.empty());
}

TEST_CASE("SYN retransmission ends by time too: tcp_syn_retries 2 gives up after 7 s") {
    // Measured on Linux 6.18 against a peer that never answers: retransmissions at 1 to 5 s
    // (linear), then the timeout at 7 s finds 7 s gone, the time two backoffs from the
    // initial RTO take ((2 << 2) - 1 seconds, tcp_model_timeout), before the count of
    // 2 + 4 retransmissions is reached. TCPTimeouts 6, TcpRetransSegs 5, TCPLostRetransmit 4,
    // TcpTimeoutRehash 5, TCPAbortOnTimeout 1, TcpAttemptFails 1.
    HostConfig h = clientConfig();
    REQUIRE_FALSE(h.sysctls.set("net.ipv4.tcp_syn_retries", "2").has_value());
    Client c(h);
    c.r.sim.runUntil(6900 * kMillisecond);
    REQUIRE(c.sock() != nullptr);
    c.r.sim.run(30 * kSecond);
    const auto sent = c.fresh();
    REQUIRE(sent.size() == 5);
    for (std::size_t i = 0; i < sent.size(); ++i)
        CHECK(sent[i].time / kSecond == Nanos(i + 1));
    CHECK(c.mib(Mib::TcpExtTCPTimeouts) == 6);
    CHECK(c.mib(Mib::TcpRetransSegs) == 5);
    CHECK(c.mib(Mib::TcpExtTCPLostRetransmit) == 4);
    CHECK(c.mib(Mib::TcpExtTcpTimeoutRehash) == 5);
    CHECK(c.mib(Mib::TcpExtTCPAbortOnTimeout) == 1);
    CHECK(c.mib(Mib::TcpAttemptFails) == 1);
    CHECK(c.sock() == nullptr);
}

TEST_CASE("SYN_SENT: RST and unacceptable ACKs") {
    Client c(clientConfig());
    SECTION("RST|ACK for our SYN refuses the connection") {
        const auto sent = c.feed({{.seq = 0, .ack = c.isn() + 1, .flags = wire::kTcpRst | wire::kTcpAck, .window = 0}},
                                 3 * kSecond);
        CHECK(sent.empty());
        CHECK(c.mib(Mib::TcpAttemptFails) == 1);
        CHECK(c.mib(Mib::TcpEstabResets) == 0);
        CHECK(c.mib(Mib::TcpExtTCPTimeouts) == 0);
        CHECK(c.sock() == nullptr);
    }
    SECTION("a RST without ACK is ignored") {
        const auto sent = c.feed({{.seq = 0, .flags = wire::kTcpRst, .window = 0}});
        CHECK(sent.empty());
        REQUIRE(c.sock());
        CHECK(c.sock()->state == TcpState::SynSent);
        CHECK(c.mib(Mib::TcpAttemptFails) == 0);
    }
    SECTION("an ACK of something else gets a RST and the SYN again at once") {
        const auto sent = c.feed({{.seq = 9, .ack = c.isn() + 7, .flags = wire::kTcpSyn | wire::kTcpAck}},
                                 100 * kMillisecond);
        REQUIRE(sent.size() == 2);
        CHECK(sent[0].flags == wire::kTcpRst);
        CHECK(sent[0].seq == c.isn() + 7);
        CHECK(sent[0].ipId == 0); // from the control socket
        CHECK(sent[1].flags == wire::kTcpSyn);
        CHECK(sent[1].time - sent[0].time < 20 * kMillisecond);
        CHECK(c.mib(Mib::TcpOutRsts) == 1);
        CHECK(c.mib(Mib::TcpRetransSegs) == 1);
        REQUIRE(c.sock());
        CHECK(c.sock()->state == TcpState::SynSent);
    }
}

TEST_CASE("the SYN-ACK completes the handshake") {
    Client c(clientConfig());
    const auto sent = c.synAck();
    REQUIRE(sent.size() == 1);
    const Sent& a = sent[0];
    CHECK(a.flags == wire::kTcpAck);
    CHECK(a.seq == c.isn() + 1);
    CHECK(a.ack == kPeerIsn + 1);
    CHECK(a.window == 63); // 64240 rounded up to the 1024-byte unit of window scale 10
    REQUIRE(a.opts.timestamps);
    CHECK(a.opts.timestamps->echo == 777000);
    CHECK(a.ipId == std::uint16_t(c.syn.ipId + 1));
    CHECK(a.payload.empty());
    CHECK(c.mib(Mib::TcpCurrEstab) == 1);
    CHECK(c.mib(Mib::TcpOutSegs) == 2);
    CHECK(c.mib(Mib::TcpInSegs) == 1);
    CHECK(c.mib(Mib::TcpExtTCPPureAcks) == 0); // a SYN-ACK occupies sequence space
    CHECK(c.mib(Mib::TcpExtTCPDelivered) == 1); // our SYN, cleaned from the retransmit queue
    const auto* tp = c.sock();
    REQUIRE(tp);
    CHECK(tp->state == TcpState::Established);
    CHECK(tp->mss == 1448);
    CHECK(tp->sndWscale == 7);
    CHECK(tp->sndWnd == 65160);
    CHECK(tp->rtxQueue.empty());
    CHECK(tp->rto < kSecond); // an RTT sample from the timestamp echo

    SECTION("without timestamps the peer's MSS is the segment size") {
        Client d(clientConfig());
        d.synAck(65535, std::nullopt, false);
        REQUIRE(d.sock());
        CHECK(d.sock()->mss == 1460);
        CHECK(d.sock()->sndWscale == 0);
        CHECK_FALSE(d.sock()->tstampOk);
    }
}

TEST_CASE("send(): MSS-sized segments, PSH on the last, ACKs advance snd_una") {
    Client c(clientConfig(5000));
    const auto sent = c.synAck(65535, std::nullopt);
    REQUIRE(sent.size() == 5); // the handshake ACK, then the data
    const std::vector<std::size_t> lens{1448, 1448, 1448, 656};
    std::uint32_t seq = c.isn() + 1;
    for (std::size_t i = 0; i < 4; ++i) {
        const Sent& d = sent[i + 1];
        INFO("segment " << i);
        CHECK(d.seq == seq);
        CHECK(d.ack == kPeerIsn + 1);
        CHECK(d.payload.size() == lens[i]);
        CHECK(d.flags == (i == 3 ? wire::kTcpAck | wire::kTcpPsh : wire::kTcpAck));
        CHECK(d.ipId == std::uint16_t(c.syn.ipId + 2 + i));
        seq += std::uint32_t(lens[i]);
    }
    // The application's bytes run through the alphabet by stream offset.
    CHECK(sent[1].payload[0] == 'a');
    CHECK(sent[2].payload[0] == 'a' + 1448 % 26);
    CHECK(c.mib(Mib::TcpExtTCPOrigDataSent) == 4);
    CHECK(c.mib(Mib::TcpOutSegs) == 6);
    REQUIRE(c.sock());
    CHECK(c.sock()->rtxQueue.size() == 4);

    const std::uint32_t una = c.isn() + 1;
    const std::uint32_t ours = c.syn.opts.timestamps->value;
    // Header prediction holds for ACKs laid out as the handshake promised (timestamps on,
    // window unchanged); a duplicate without timestamps takes the slow path.
    const auto after = c.feed({{.ack = una + 2896, .opts = peerTs(777001, ours)},
                               {.ack = una + 5000, .opts = peerTs(777002, ours)},
                               {.ack = una + 5000}},
                              kSecond);
    CHECK(after.empty()); // pure ACKs are not answered
    CHECK(c.sock()->sndUna == una + 5000);
    CHECK(c.sock()->rtxQueue.empty());
    CHECK_FALSE(c.sock()->rtoArmed);
    CHECK(c.mib(Mib::TcpRetransSegs) == 0);
    CHECK(c.mib(Mib::TcpExtTCPHPAcks) == 2);
    CHECK(c.mib(Mib::TcpExtTCPPureAcks) == 1);
    CHECK(c.mib(Mib::TcpExtTCPDelivered) == 1 + 4); // the SYN, then four data segments
    CHECK(c.sock()->sndCwnd == 14); // slow start: one segment per segment acknowledged
}

TEST_CASE("tcp_write_xmit respects the initial window and the peer's window") {
    SECTION("ten segments before the first ACK") {
        Client c(clientConfig(30000));
        auto sent = c.synAck(65535, std::nullopt);
        REQUIRE(sent.size() == 11);
        CHECK(c.sock()->writeSeq - c.sock()->sndNxt == 30000 - 10 * 1448);
        const std::uint32_t una = c.isn() + 1;
        sent = c.feed({{.ack = una + 2 * 1448}});
        CHECK(sent.size() == 4); // two acknowledged: cwnd 12, two slots freed plus two more
    }
    SECTION("a 3000-byte window lets 3000 bytes out") {
        Client c(clientConfig(5000));
        auto sent = c.synAck(3000, std::nullopt);
        REQUIRE(sent.size() == 4);
        CHECK(sent[1].payload.size() == 1448);
        CHECK(sent[2].payload.size() == 1448);
        CHECK(sent[3].payload.size() == 104);
        CHECK(sent[3].flags == wire::kTcpAck); // not the end of the data: no PSH
        const std::uint32_t una = c.isn() + 1;
        sent = c.feed({{.ack = una + 3000, .window = 3000}});
        REQUIRE(sent.size() == 2);
        CHECK(sent[1].flags == (wire::kTcpAck | wire::kTcpPsh));
        CHECK(sent[0].payload.size() + sent[1].payload.size() == 2000);
    }
}

TEST_CASE("unacknowledged data is retransmitted on the RTO") {
    Client c(clientConfig(3000));
    auto sent = c.synAck(65535, std::nullopt);
    REQUIRE(sent.size() == 4);
    const Nanos dataAt = sent[1].time;
    const Nanos rto = c.sock()->rto;
    CHECK(rto >= stack::kTcpRtoMin);
    CHECK(rto < kSecond);
    c.r.sim.run(rto + 10 * kMillisecond);
    sent = c.fresh();
    REQUIRE(sent.size() == 1); // cwnd 1: only the head goes again
    CHECK(sent[0].seq == c.isn() + 1);
    CHECK(sent[0].payload.size() == 1448);
    CHECK(sent[0].time - dataAt >= rto);
    CHECK(sent[0].time - dataAt < rto + 2 * kMillisecond);
    CHECK(c.mib(Mib::TcpExtTCPTimeouts) == 1);
    CHECK(c.mib(Mib::TcpRetransSegs) == 1);
    CHECK(c.mib(Mib::TcpOutSegs) == 5);
    CHECK(c.sock()->sndCwnd == 1);
    // The ACK of the head lets the rest, presumed lost, go again (cwnd 2).
    const std::uint32_t una = c.isn() + 1;
    sent = c.feed({{.ack = una + 1448}});
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].seq == una + 1448);
    CHECK(sent[1].seq == una + 2896);
    CHECK((sent[1].flags & wire::kTcpPsh) != 0);
    CHECK(c.mib(Mib::TcpRetransSegs) == 3);
    CHECK(c.mib(Mib::TcpOutSegs) == 5);
    CHECK(c.mib(Mib::TcpExtTCPOrigDataSent) == 3);
}

TEST_CASE("active close: FIN_WAIT1, FIN_WAIT2, TIME_WAIT for 60 s") {
    Client c(clientConfig(100, true));
    auto sent = c.synAck(65535, std::nullopt);
    REQUIRE(sent.size() == 3);
    CHECK(sent[1].flags == (wire::kTcpAck | wire::kTcpPsh));
    CHECK(sent[2].flags == (wire::kTcpAck | wire::kTcpFin)); // the data left before close()
    CHECK(sent[2].seq == c.isn() + 101);
    CHECK(c.sock()->state == TcpState::FinWait1);
    CHECK(c.mib(Mib::TcpCurrEstab) == 0); // ESTABLISHED left
    CHECK(c.mib(Mib::TcpExtTCPOrigDataSent) == 2);
    const std::uint32_t finAck = c.isn() + 102;
    const auto& tables = c.r.sim.host().tcpTables();

    SECTION("the ACK of our FIN leaves a FIN_WAIT2 timewait sock; the peer's FIN, TIME_WAIT") {
        sent = c.feed({{.ack = finAck}});
        CHECK(sent.empty());
        CHECK(tables.socks.empty());
        REQUIRE(tables.timewait.size() == 1);
        CHECK(tables.timewait.begin()->second.substate == TcpState::FinWait2);
        CHECK(c.mib(Mib::TcpExtTW) == 1); // counted when the timewait sock is first armed
        sent = c.feed({{.ack = finAck, .flags = wire::kTcpAck | wire::kTcpFin}});
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].flags == wire::kTcpAck);
        CHECK(sent[0].seq == finAck);
        CHECK(sent[0].ack == kPeerIsn + 2);
        CHECK(sent[0].ipId == 0); // tcp_v4_timewait_ack goes through the control socket
        CHECK(tables.timewait.begin()->second.substate == TcpState::TimeWait);
        CHECK(c.mib(Mib::TcpExtTW) == 1);
        // A retransmitted FIN is acknowledged again, every time.
        sent = c.feed({{.ack = finAck, .flags = wire::kTcpAck | wire::kTcpFin},
                       {.ack = finAck, .flags = wire::kTcpAck | wire::kTcpFin}});
        CHECK(sent.size() == 2);
        CHECK(c.mib(Mib::TcpExtTCPACKSkippedTimeWait) == 0);
        // Gone 60 s after the last segment restarted it.
        const Nanos restarted = c.r.rec.tx.back().time;
        c.r.sim.run(59 * kSecond);
        CHECK(tables.timewait.size() == 1);
        c.r.sim.run(62 * kSecond);
        CHECK(c.r.sim.now() - restarted >= 60 * kSecond);
        CHECK(c.r.sim.now() - restarted < 60 * kSecond + 5 * kMillisecond);
        CHECK(tables.timewait.empty());
        CHECK(tables.ehash.empty());
        CHECK(c.mib(Mib::TcpEstabResets) == 0);
        CHECK(c.mib(Mib::TcpExtTWKilled) == 0);
    }
    SECTION("FIN and ACK of our FIN together go straight to TIME_WAIT") {
        sent = c.feed({{.ack = finAck, .flags = wire::kTcpAck | wire::kTcpFin}});
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].ack == kPeerIsn + 2);
        CHECK(sent[0].ipId != 0); // still the full socket's ACK
        REQUIRE(tables.timewait.size() == 1);
        CHECK(tables.timewait.begin()->second.substate == TcpState::TimeWait);
        CHECK(c.mib(Mib::TcpExtTW) == 1);
    }
    SECTION("simultaneous close: CLOSING, then TIME_WAIT") {
        sent = c.feed({{.ack = finAck - 1, .flags = wire::kTcpAck | wire::kTcpFin}});
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].flags == wire::kTcpAck);
        CHECK(sent[0].ack == kPeerIsn + 2);
        REQUIRE(c.sock());
        CHECK(c.sock()->state == TcpState::Closing);
        sent = c.feed({{.seq = kPeerIsn + 2, .ack = finAck}});
        CHECK(sent.empty());
        REQUIRE(tables.timewait.size() == 1);
        CHECK(tables.timewait.begin()->second.substate == TcpState::TimeWait);
        CHECK(c.mib(Mib::TcpExtTW) == 1);
    }
    SECTION("our FIN is retransmitted on the RTO") {
        c.r.sim.run(kSecond);
        sent = c.fresh();
        REQUIRE_FALSE(sent.empty());
        CHECK(sent[0].seq == c.isn() + 1); // the data first, as the head of the queue
        CHECK(c.mib(Mib::TcpExtTCPTimeouts) >= 1);
        CHECK(c.mib(Mib::TcpRetransSegs) >= 1);
    }
    SECTION("data after close() aborts with a RST") {
        sent = c.feed({{.ack = c.isn() + 101, .flags = wire::kTcpAck | wire::kTcpPsh, .payload = 10}});
        REQUIRE(sent.size() == 1);
        CHECK((sent[0].flags & wire::kTcpRst) != 0);
        CHECK(c.mib(Mib::TcpExtTCPAbortOnData) == 1);
        CHECK(tables.socks.empty());
        CHECK(tables.timewait.empty());
    }
}

TEST_CASE("segments that hit a TIME_WAIT socket") {
    Client c(clientConfig(0, true));
    c.synAck(65535, std::nullopt);
    const std::uint32_t finAck = c.isn() + 2;
    c.feed({{.ack = finAck, .flags = wire::kTcpAck | wire::kTcpFin}});
    const auto& tables = c.r.sim.host().tcpTables();
    REQUIRE(tables.timewait.size() == 1);
    SECTION("a RST at rcv_nxt frees it without a counter") {
        c.feed({{.seq = kPeerIsn + 2, .flags = wire::kTcpRst, .window = 0}});
        CHECK(tables.timewait.empty());
        CHECK(c.mib(Mib::TcpExtTWKilled) == 0);
    }
    SECTION("a bare ACK at rcv_nxt is absorbed") {
        const auto sent = c.feed({{.seq = kPeerIsn + 2, .ack = finAck}});
        CHECK(sent.empty());
        CHECK(tables.timewait.size() == 1);
    }
    SECTION("out-of-window ACKs are answered at most every half second") {
        const auto sent = c.feed({{.seq = kPeerIsn + 900, .ack = finAck}, {.seq = kPeerIsn + 900, .ack = finAck}});
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].ack == kPeerIsn + 2);
        CHECK(c.mib(Mib::TcpExtTCPACKSkippedTimeWait) == 1);
    }
    SECTION("old data is always answered") {
        const auto sent = c.feed({{.seq = kPeerIsn + 1, .ack = finAck, .payload = 5},
                                  {.seq = kPeerIsn + 1, .ack = finAck, .payload = 5}});
        CHECK(sent.size() == 2);
        CHECK(c.mib(Mib::TcpExtTCPACKSkippedTimeWait) == 0);
    }
}

TEST_CASE("the connecting application reads what the peer sends") {
    Client c(clientConfig());
    c.synAck(65535, std::nullopt);
    const std::uint32_t una = c.isn() + 1;
    auto sent = c.feed({{.ack = una, .flags = wire::kTcpAck | wire::kTcpPsh, .payload = 300}}, 500 * kMillisecond);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].ack == kPeerIsn + 301);
    REQUIRE(c.sock());
    CHECK(c.sock()->receiveQueue.empty());
    CHECK(c.sock()->copiedSeq == kPeerIsn + 301);
    // The peer closes; without `close` the application keeps its end open.
    sent = c.feed({{.seq = kPeerIsn + 301, .ack = una, .flags = wire::kTcpAck | wire::kTcpFin}}, kSecond);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].ack == kPeerIsn + 302);
    // tcp_fin entered pingpong mode: the FIN's ACK waited for the delayed-ACK timer.
    CHECK(c.mib(Mib::TcpExtDelayedACKs) == 1);
    CHECK(c.sock()->state == TcpState::CloseWait);
    CHECK(c.mib(Mib::TcpCurrEstab) == 1);
}

TEST_CASE("__inet_hash_connect takes even ports first and refuses a full range") {
    HostConfig h = clientConfig();
    h.sysctls.set("net.ipv4.ip_local_port_range", "40000 40001");
    h.connects.push_back(h.connects[0]);
    h.connects.push_back(h.connects[0]);
    Run r(h, {}, 10 * kMillisecond);
    REQUIRE(r.rec.tx.size() == 2);
    std::vector<std::uint16_t> ports{parse(r.rec.tx[0]).sport, parse(r.rec.tx[1]).sport};
    CHECK(ports == std::vector<std::uint16_t>{40000, 40001});
    CHECK(r.mib(Mib::TcpActiveOpens) == 2);
    CHECK(r.sim.host().tcpTables().socks.size() == 2);
}

TEST_CASE("connect(): no route and a bound source port") {
    SECTION("no route: ENETUNREACH counts IpOutNoRoutes, nothing is sent") {
        HostConfig h = clientConfig();
        h.routes.clear();
        h.connects[0].destination = *Ipv4Address::parse("192.0.2.1");
        Run r(h, {}, 10 * kMillisecond);
        CHECK(r.rec.tx.empty());
        CHECK(r.mib(Mib::IpOutNoRoutes) == 1);
        CHECK(r.mib(Mib::TcpActiveOpens) == 0);
    }
    SECTION("from ADDR:PORT uses that port") {
        HostConfig h = clientConfig();
        h.connects[0].source = Ipv4Address::parse("10.0.0.2");
        h.connects[0].sourcePort = 12345;
        Run r(h, {}, 10 * kMillisecond);
        REQUIRE(r.rec.tx.size() == 1);
        CHECK(parse(r.rec.tx[0]).sport == 12345);
    }
}

TEST_CASE("passive close: our FIN in LAST_ACK is retransmitted until acknowledged") {
    HostConfig h = serverConfig();
    SocketConfig s;
    s.protocol = SocketProtocol::Tcp;
    s.port = 80;
    s.listen = true;
    h.sockets.push_back(s);
    auto seg = [](std::uint32_t seq, std::uint32_t ack, std::uint8_t flags) {
        const auto src = *Ipv4Address::parse("10.0.0.7"), dst = *Ipv4Address::parse("10.0.0.2");
        wire::TcpRepr t;
        t.srcPort = 40000;
        t.dstPort = 80;
        t.seq = seq;
        t.ack = ack;
        t.flags = flags;
        t.window = 64240;
        std::vector<std::uint8_t> f(wire::kEthHeaderLen + 20 + t.bufferLength(), 0);
        wire::EthernetRepr{kHostMac, kPeerMac, wire::kEtherTypeIpv4, std::nullopt}.writeTo(f);
        wire::Ipv4Repr ip;
        ip.src = src;
        ip.dst = dst;
        ip.protocol = wire::kIpProtoTcp;
        ip.payloadLength = std::uint16_t(t.bufferLength());
        ip.writeTo(std::span<std::uint8_t>(f).subspan(wire::kEthHeaderLen, 20));
        t.writeTo(std::span<std::uint8_t>(f).subspan(wire::kEthHeaderLen + 20), src, dst);
        return f;
    };
    Run r(h, {at(0, seg(100, 0, wire::kTcpSyn))}, 10 * kMillisecond);
    REQUIRE(r.rec.tx.size() == 1);
    const std::uint32_t isn = parse(r.rec.tx[0]).seq;
    r.sim.setInput(std::make_shared<const std::vector<InputFrame>>(std::vector<InputFrame>{
        at(r.sim.now() + kMillisecond, seg(101, isn + 1, wire::kTcpAck)),
        at(r.sim.now() + 2 * kMillisecond, seg(101, isn + 1, wire::kTcpAck | wire::kTcpFin))}));
    r.sim.run(10 * kMillisecond);
    const auto& socks = r.sim.host().tcpTables().socks;
    REQUIRE(socks.size() == 1);
    CHECK(socks.begin()->second.state == TcpState::LastAck);
    const Sent fin = parse(r.rec.tx.back());
    CHECK((fin.flags & wire::kTcpFin) != 0);
    CHECK(fin.ipId != 0);
    const std::size_t before = r.rec.tx.size();
    r.sim.run(1500 * kMillisecond);
    REQUIRE(r.rec.tx.size() == before + 1);
    const Sent again = parse(r.rec.tx.back());
    CHECK(again.seq == fin.seq);
    CHECK((again.flags & wire::kTcpFin) != 0);
    CHECK(again.ipId == std::uint16_t(fin.ipId + 1));
    CHECK(r.mib(Mib::TcpRetransSegs) == 1);
    CHECK(r.mib(Mib::TcpExtTCPTimeouts) == 1);
    r.sim.setInput(std::make_shared<const std::vector<InputFrame>>(std::vector<InputFrame>{
        at(r.sim.now() + kMillisecond, seg(102, isn + 2, wire::kTcpAck))}));
    r.sim.run(10 * kMillisecond);
    CHECK(socks.empty());
    CHECK(r.mib(Mib::TcpEstabResets) == 0);
    CHECK(r.mib(Mib::TcpCurrEstab) == 0);
}

TEST_CASE("a connection to a listener on the same host over lo") {
    HostConfig h = serverConfig();
    SocketConfig s;
    s.protocol = SocketProtocol::Tcp;
    s.port = 80;
    s.listen = true;
    h.sockets.push_back(s);
    ConnectConfig c;
    c.destination = *Ipv4Address::parse("127.0.0.1");
    c.destinationPort = 80;
    c.sendBytes = 3000;
    c.close = true;
    h.connects.push_back(c);
    Run r(h, {}, 90 * kSecond);
    // Both ends ran the whole life of the connection: the client's end waits in TIME_WAIT
    // until 60 s after the server's FIN, then nothing is left.
    CHECK(r.mib(Mib::TcpActiveOpens) == 1);
    CHECK(r.mib(Mib::TcpPassiveOpens) == 1);
    CHECK(r.mib(Mib::TcpExtTW) == 1);
    CHECK(r.mib(Mib::TcpCurrEstab) == 0);
    CHECK(r.mib(Mib::TcpEstabResets) == 0);
    CHECK(r.mib(Mib::TcpAttemptFails) == 0);
    CHECK(r.mib(Mib::TcpRetransSegs) == 0);
    // lo's MTU of 65536 makes the 3000 bytes one segment: it, our FIN and the server's FIN.
    CHECK(r.mib(Mib::TcpExtTCPOrigDataSent) == 3);
    const auto& t = r.sim.host().tcpTables();
    CHECK(t.socks.empty());
    CHECK(t.timewait.empty());
    CHECK(t.ehash.empty());
}

TEST_CASE("data sent within ato of data received enters pingpong mode (tcp_event_data_sent)") {
    Client c(clientConfig(100));
    const auto hs = c.synAck(65535, std::nullopt, false);
    REQUIRE(hs.size() == 2); // the handshake ACK and our 100 bytes
    const std::uint32_t una = c.isn() + 1;
    REQUIRE(c.sock());
    CHECK(c.sock()->pingpong == 0); // nothing received yet when the data left: ato is 0
    // The peer sends data without acknowledging ours, shortly before our RTO.
    const Nanos sentAt = hs[1].time;
    const Nanos peerAt = sentAt + c.sock()->rto - 20 * kMillisecond;
    c.r.sim.setInput(std::make_shared<const std::vector<InputFrame>>(std::vector<InputFrame>{
        at(peerAt, c.frame({.ack = una, .flags = wire::kTcpAck | wire::kTcpPsh, .payload = 300}))}));
    c.r.sim.run(peerAt + 100 * kMillisecond - c.r.sim.now());
    auto sent = c.fresh();
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].ack == kPeerIsn + 301); // the first data is ACKed at once (quick ACKs)
    CHECK(sent[1].payload.size() == 100); // the retransmission, within ato of that data
    REQUIRE(sent[1].time - peerAt < stack::kTcpAtoMin);
    CHECK(c.mib(Mib::TcpRetransSegs) == 1);
    CHECK(c.sock()->pingpong == 1);
    // In pingpong mode quick ACKs no longer apply: the next data waits for the timer.
    sent = c.feed({{.seq = kPeerIsn + 301, .ack = una + 100, .payload = 300}}, kSecond);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].ack == kPeerIsn + 601);
    CHECK(c.mib(Mib::TcpExtDelayedACKs) == 1);
    CHECK(c.sock()->pingpong == 0); // the missed delayed ACK leaves pingpong mode
}

TEST_CASE("an ICMP error ends a connection attempt unless connect() holds the socket") {
    // OUTPUT REJECT of our SYN (Linux 6.18, conformance case output_reject_tcp_connect): the
    // port unreachable comes back over lo inside connect(), which holds the socket: only
    // LockDroppedIcmps. The SYN retransmitted at 1 s is refused again (TCPRetransFail), and
    // that error, arriving in the timer's softirq, ends the attempt: ECONNREFUSED.
    HostConfig h = clientConfig(0, true);
    h.iptables.push_back(iptablesLine("iptables -A OUTPUT -p tcp --dport 80 -j REJECT"));
    Run r(h, {}, 10 * kSecond);
    CHECK(r.mib(Mib::TcpExtLockDroppedIcmps) == 1);
    CHECK(r.mib(Mib::TcpExtTCPRetransFail) == 1);
    CHECK(r.mib(Mib::TcpRetransSegs) == 1);
    CHECK(r.mib(Mib::TcpAttemptFails) == 1);
    CHECK(r.mib(Mib::IcmpInDestUnreachs) == 2);
    CHECK(r.mib(Mib::IcmpInErrors) == 0);
    CHECK(r.rec.tx.empty());
    CHECK(r.sim.host().tcpTables().ehash.empty());
}

TEST_CASE("ICMP errors about TCP: no connection, and a sequence not in flight") {
    // An error quoting a segment of no connection counts IcmpInErrors (tcp_v4_err finds no
    // socket); one quoting a sequence our connection has not in flight, OutOfWindowIcmps.
    Client c(clientConfig());
    auto icmpAbout = [&](std::uint16_t sport, std::uint32_t seq) {
        std::vector<std::uint8_t> icmp = {3, 1, 0, 0, 0, 0, 0, 0}; // host unreachable
        std::vector<std::uint8_t> quoted(28, 0);
        quoted[0] = 0x45;
        quoted[9] = 6;
        wire::storeBe32(&quoted[12], Ipv4Address::parse("10.0.0.2")->value);
        wire::storeBe32(&quoted[16], Ipv4Address::parse("10.0.0.7")->value);
        wire::storeBe16(&quoted[20], sport);
        wire::storeBe16(&quoted[22], 80);
        wire::storeBe32(&quoted[24], seq);
        icmp.insert(icmp.end(), quoted.begin(), quoted.end());
        wire::storeBe16(&icmp[2], wire::internetChecksum(icmp));
        std::vector<std::uint8_t> f(wire::kEthHeaderLen + 20 + icmp.size(), 0);
        wire::EthernetRepr{kHostMac, kPeerMac, wire::kEtherTypeIpv4, std::nullopt}.writeTo(f);
        wire::Ipv4Repr ip;
        ip.src = *Ipv4Address::parse("10.0.0.7");
        ip.dst = *Ipv4Address::parse("10.0.0.2");
        ip.protocol = wire::kIpProtoIcmp;
        ip.payloadLength = std::uint16_t(icmp.size());
        ip.writeTo(std::span<std::uint8_t>(f).subspan(wire::kEthHeaderLen, 20));
        std::copy(icmp.begin(), icmp.end(), f.begin() + wire::kEthHeaderLen + 20);
        return f;
    };
    auto inject = [&](std::vector<std::uint8_t> frame) {
        std::vector<InputFrame> v{at(c.r.sim.now() + kMillisecond, std::move(frame))};
        c.r.sim.setInput(std::make_shared<const std::vector<InputFrame>>(std::move(v)));
        c.r.sim.run(10 * kMillisecond);
    };
    inject(icmpAbout(std::uint16_t(c.syn.sport + 1), c.isn()));
    inject(icmpAbout(c.syn.sport, c.isn() + 1000));
    CHECK(c.mib(Mib::IcmpInErrors) == 1);
    CHECK(c.mib(Mib::TcpExtOutOfWindowIcmps) == 1);
    REQUIRE(c.sock() != nullptr); // neither touched the connection
    // One about our SYN, out of connect(): host unreachable ends the attempt.
    inject(icmpAbout(c.syn.sport, c.isn()));
    CHECK(c.mib(Mib::TcpAttemptFails) == 1);
    CHECK(c.sock() == nullptr);
}

TEST_CASE("a SYN that netfilter drops on its way out: retransmissions fail, none is lost again") {
    // Linux 6.18 (conformance case output_drop_tcp_connect), tcp_syn_retries 2: five
    // retransmissions refused with EPERM (TCPRetransFail), no TCPLostRetransmit since none
    // left, ETIMEDOUT at 7 s.
    HostConfig h = clientConfig(0, true);
    REQUIRE_FALSE(h.sysctls.set("net.ipv4.tcp_syn_retries", "2").has_value());
    h.iptables.push_back(iptablesLine("iptables -A OUTPUT -p tcp -j DROP"));
    Run r(h, {}, 10 * kSecond);
    CHECK(r.mib(Mib::TcpRetransSegs) == 5);
    CHECK(r.mib(Mib::TcpExtTCPRetransFail) == 5);
    CHECK(r.mib(Mib::TcpExtTCPLostRetransmit) == 0);
    CHECK(r.mib(Mib::TcpExtTcpTimeoutRehash) == 5);
    CHECK(r.mib(Mib::TcpExtTCPAbortOnTimeout) == 1);
    CHECK(r.mib(Mib::TcpAttemptFails) == 1);
    CHECK(r.rec.tx.empty());
}
