// SPDX-License-Identifier: GPL-3.0-or-later
// A capture taken on the host itself: the host's own frames are recorded output,
// never input; the engine's ISN, TSval offset and IP IDs follow them, and its
// transmissions are compared with them field by field.
#include "frames.h"

#include "sim/simulator.h"
#include "stack/host.h"
#include "stack/recorded_output.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <catch2/catch.hpp>

#include <functional>

using namespace stackscope;
using namespace stackscope::test;

namespace {

constexpr std::uint32_t kClientIsn = 1000;

std::vector<std::uint8_t> clientSegment(std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                                        std::string_view data = {}, std::uint32_t tsval = 500,
                                        std::uint32_t tsecr = 0) {
    const auto src = *Ipv4Address::parse("10.0.0.7"), dst = *Ipv4Address::parse("10.0.0.2");
    wire::TcpRepr t;
    t.srcPort = 40000;
    t.dstPort = 80;
    t.seq = seq;
    t.ack = ack;
    t.flags = flags;
    t.window = 502;
    t.options.timestamps = wire::TcpTimestamps{tsval, tsecr};
    if (flags & wire::kTcpSyn) {
        t.window = 64240;
        t.options.mss = 1460;
        t.options.sackPermitted = true;
        t.options.windowScale = 7;
    }
    const std::vector<std::uint8_t> payload(data.begin(), data.end());
    t.payload = payload;
    std::vector<std::uint8_t> f(wire::kEthHeaderLen + 20 + t.bufferLength(), 0);
    std::copy(kHostMac.bytes.begin(), kHostMac.bytes.end(), f.begin());
    std::copy(kPeerMac.bytes.begin(), kPeerMac.bytes.end(), f.begin() + 6);
    f[12] = 0x08;
    wire::Ipv4Repr ip;
    ip.src = src;
    ip.dst = dst;
    ip.protocol = wire::kIpProtoTcp;
    ip.dontFragment = true;
    ip.ident = 0x77;
    ip.payloadLength = std::uint16_t(t.bufferLength());
    ip.writeTo(std::span<std::uint8_t>(f).subspan(wire::kEthHeaderLen, 20));
    t.writeTo(std::span<std::uint8_t>(f).subspan(wire::kEthHeaderLen + 20), src, dst);
    return f;
}

// Rewrites fields of a transmitted IPv4 frame and fixes its checksums.
std::vector<std::uint8_t> rewrite(const std::vector<std::uint8_t>& frame,
                                  const std::function<void(wire::Ipv4Repr&, wire::TcpRepr*)>& change) {
    auto l3 = std::span<const std::uint8_t>(frame).subspan(wire::kEthHeaderLen);
    auto ip = wire::Ipv4Repr::parse(l3);
    REQUIRE(ip.ok());
    std::vector<std::uint8_t> out = frame;
    auto outL3 = std::span<std::uint8_t>(out).subspan(wire::kEthHeaderLen);
    if (ip->protocol == wire::kIpProtoTcp) {
        auto tcp = wire::TcpRepr::parse(l3.subspan(ip->headerLength()));
        REQUIRE(tcp.ok());
        const std::vector<std::uint8_t> payload(tcp->payload.begin(), tcp->payload.end());
        tcp->payload = payload;
        change(*ip, &*tcp);
        ip->writeTo(outL3.first(ip->headerLength()));
        tcp->writeTo(outL3.subspan(ip->headerLength()), ip->src, ip->dst);
    } else {
        change(*ip, nullptr);
        ip->writeTo(outL3.first(ip->headerLength()));
    }
    return out;
}

const wire::TcpRepr tcpOf(const TxFrame& f) {
    auto l3 = std::span<const std::uint8_t>(f.bytes).subspan(wire::kEthHeaderLen);
    auto ip = *wire::Ipv4Packet::view(l3);
    auto t = wire::TcpRepr::parse(l3.subspan(ip.headerLength()));
    REQUIRE(t.ok());
    return t.value();
}

std::uint16_t ipIdOf(const TxFrame& f) {
    return wire::Ipv4Packet::view(std::span<const std::uint8_t>(f.bytes).subspan(wire::kEthHeaderLen))->ident();
}

HostConfig listener() {
    HostConfig h = serverConfig();
    SocketConfig s;
    s.protocol = SocketProtocol::Tcp;
    s.port = 80;
    s.listen = true;
    h.sockets.push_back(s);
    return h;
}

class VectorSource final : public FrameSource {
public:
    explicit VectorSource(std::vector<InputFrame> frames) : m_frames(std::move(frames)) {}
    std::optional<InputFrame> next() override {
        if (m_next >= m_frames.size()) return std::nullopt;
        return m_frames[m_next++];
    }

private:
    std::vector<InputFrame> m_frames;
    std::size_t m_next = 0;
};

// The client's handshake and 5 bytes of data, with our SYN-ACK (ISN isn) recorded.
struct Conversation {
    std::vector<InputFrame> frames;
    std::uint32_t isn = 0;
    std::uint32_t synAckTsval = 0;
    TxFrame engineSynAck; // what the engine sends without a recording
};

Conversation conversation() {
    Conversation c;
    Run plain(listener(), {at(0, clientSegment(kClientIsn, 0, wire::kTcpSyn))});
    REQUIRE(plain.rec.tx.size() >= 1);
    c.engineSynAck = plain.rec.tx[0];
    const wire::TcpRepr synAck = tcpOf(c.engineSynAck);
    REQUIRE(synAck.flags == (wire::kTcpSyn | wire::kTcpAck));
    REQUIRE(synAck.options.timestamps);
    c.isn = synAck.seq + 0x10000000u;
    c.synAckTsval = synAck.options.timestamps->value + 123456u;
    auto ours = rewrite(c.engineSynAck.bytes, [&](wire::Ipv4Repr&, wire::TcpRepr* t) {
        t->seq = c.isn;
        t->options.timestamps->value = c.synAckTsval;
    });
    c.frames = {at(0, clientSegment(kClientIsn, 0, wire::kTcpSyn)),
                at(c.engineSynAck.time, ours),
                at(1 * kMillisecond, clientSegment(kClientIsn + 1, c.isn + 1, wire::kTcpAck, {}, 501, c.synAckTsval)),
                at(2 * kMillisecond, clientSegment(kClientIsn + 1, c.isn + 1, wire::kTcpAck | wire::kTcpPsh,
                                                   "hello", 502, c.synAckTsval))};
    return c;
}

} // namespace

TEST_CASE("own frames of a capture taken on the host are recorded output, not input") {
    Conversation c = conversation();
    // First pass: only the SYN-ACK is recorded; the engine's ACK of the data is extra.
    Run first(listener(), c.frames);
    const auto& store = first.sim.host().recordedOutput();
    CHECK(store.report().recorded == 1);
    CHECK(first.sim.packetsInjected() == 3); // the recorded SYN-ACK never reached the NIC
    REQUIRE(first.rec.tx.size() >= 2);
    const wire::TcpRepr synAck = tcpOf(first.rec.tx[0]);
    CHECK(synAck.flags == (wire::kTcpSyn | wire::kTcpAck));
    CHECK(synAck.seq == c.isn);
    REQUIRE(synAck.options.timestamps);
    CHECK(synAck.options.timestamps->value == c.synAckTsval);
    CHECK(first.mib(Mib::TcpPassiveOpens) == 1);
    CHECK(first.mib(Mib::TcpOutRsts) == 0);
    CHECK(first.mib(Mib::TcpCurrEstab) == 1);
    const TxFrame& engineAck = first.rec.tx[1];
    const wire::TcpRepr ack = tcpOf(engineAck);
    CHECK(ack.ack == kClientIsn + 1 + 5);
    CHECK(ack.seq == c.isn + 1);
    const auto firstReport = store.report();
    CHECK(firstReport.matched == 1);
    CHECK(firstReport.differenceCount == 0);
    CHECK(firstReport.extraCount == first.rec.tx.size() - 1);

    SECTION("a complete recording replays with no difference; the socket's IP IDs follow it") {
        auto ourAck = rewrite(engineAck.bytes, [](wire::Ipv4Repr& ip, wire::TcpRepr*) { ip.ident = 0x1234; });
        auto frames = c.frames;
        frames.push_back(at(engineAck.time, ourAck));
        Run second(listener(), frames);
        REQUIRE(second.rec.tx.size() >= 2);
        CHECK(tcpOf(second.rec.tx[0]).seq == c.isn);
        CHECK(ipIdOf(second.rec.tx[0]) == 0); // a request sock's SYN-ACK: DF, ID 0
        CHECK(ipIdOf(second.rec.tx[1]) == 0x1234);
        const auto r = second.sim.host().recordedOutput().report();
        CHECK(r.recorded == 2);
        CHECK(r.matched == 2);
        CHECK(r.differenceCount == 0);
        CHECK(r.missingCount == 0);
        CHECK(r.differences.empty());
    }
    SECTION("a streamed capture is read ahead: the recorded reply is known in time") {
        VectorSource source(c.frames);
        Simulator sim(listener(), 1);
        Recorder rec;
        sim.addTxObserver(&rec);
        sim.setInput(&source);
        sim.run(2 * kSecond);
        REQUIRE(!rec.tx.empty());
        CHECK(tcpOf(rec.tx[0]).seq == c.isn);
        CHECK(sim.packetsInjected() == 3);
        CHECK(sim.host().recordedOutput().report().matched == 1);
        CHECK(sim.counters().get(Mib::TcpCurrEstab) == 1);
    }
    SECTION("a recorded field the engine does not reproduce is reported") {
        auto frames = c.frames;
        frames[1].bytes = rewrite(frames[1].bytes, [](wire::Ipv4Repr&, wire::TcpRepr* t) { t->window = 1000; });
        Run third(listener(), frames);
        const auto r = third.sim.host().recordedOutput().report();
        CHECK(r.matched == 1);
        CHECK(r.differingFrames == 1);
        REQUIRE(r.differences.size() == 1);
        CHECK(r.differences[0].field == "tcp.window");
        CHECK(r.differences[0].recorded == "1000");
        CHECK(r.differences[0].engine == std::to_string(tcpOf(c.engineSynAck).window));
        CHECK(r.differences[0].captureNumber == frames[1].captureNumber);
    }
    SECTION("a recorded frame the engine never sends is missing") {
        auto frames = c.frames;
        auto reset = rewrite(engineAck.bytes, [](wire::Ipv4Repr&, wire::TcpRepr* t) {
            t->flags = wire::kTcpRst;
            t->seq += 1000;
        });
        frames.push_back(at(500 * kMillisecond, reset));
        Run fourth(listener(), frames);
        const auto r = fourth.sim.host().recordedOutput().report();
        CHECK(r.recorded == 2);
        CHECK(r.missingCount == 1);
        REQUIRE(r.missing.size() == 1);
        CHECK(r.missing[0].summary.find("[R]") != std::string::npos);
    }
}

TEST_CASE("a port unreachable follows the recorded IP ID, and the counter goes on from it") {
    const auto request = udpFrame({.sport = 40000, .dport = 9});
    Run plain(serverConfig(), {at(0, request)});
    REQUIRE(plain.rec.tx.size() == 1);
    const TxFrame unreach = plain.rec.tx[0];
    const std::uint16_t engineId = ipIdOf(unreach);
    const std::uint16_t recordedId = std::uint16_t(engineId + 0x4321);
    auto ours = rewrite(unreach.bytes, [&](wire::Ipv4Repr& ip, wire::TcpRepr*) { ip.ident = recordedId; });
    Run r(serverConfig(), {at(0, request), at(unreach.time, ours), at(10 * kMillisecond, request)});
    REQUIRE(r.rec.tx.size() == 2);
    CHECK(ipIdOf(r.rec.tx[0]) == recordedId);
    CHECK(ipIdOf(r.rec.tx[1]) == std::uint16_t(recordedId + 1));
    CHECK(r.mib(Mib::UdpNoPorts) == 2);
    const auto report = r.sim.host().recordedOutput().report();
    CHECK(report.recorded == 1);
    CHECK(report.matched == 1);
    CHECK(report.differenceCount == 0);
    CHECK(report.extraCount == 1); // the second reply was not recorded
}

TEST_CASE("recognising the host's own frames") {
    stack::RecordedOutput store;
    SECTION("the lookups answer from the recorded packets of a flow") {
        HostConfig h = serverConfig();
        SocketConfig s;
        s.protocol = SocketProtocol::Udp;
        h.sockets.push_back(s);
        SendConfig send;
        send.destination = *Ipv4Address::parse("10.0.0.7");
        send.destinationPort = 53;
        send.payloadSize = 4;
        h.sends.push_back(send);
        Run plain(h, {});
        REQUIRE(plain.rec.tx.size() == 1);
        auto l3 = std::span<const std::uint8_t>(plain.rec.tx[0].bytes).subspan(wire::kEthHeaderLen);
        std::vector<std::uint8_t> ours = plain.rec.tx[0].bytes;
        // Our recorded datagram left from port 33333.
        ours[wire::kEthHeaderLen + 20] = 33333 >> 8;
        ours[wire::kEthHeaderLen + 21] = 33333 & 0xff;
        ours[wire::kEthHeaderLen + 26] = ours[wire::kEthHeaderLen + 27] = 0; // no UDP checksum
        (void)l3;
        Run followed(h, {at(plain.rec.tx[0].time, ours)});
        REQUIRE(followed.rec.tx.size() == 1);
        const auto& f = followed.rec.tx[0].bytes;
        CHECK((f[wire::kEthHeaderLen + 20] << 8 | f[wire::kEthHeaderLen + 21]) == 33333);
        const auto report = followed.sim.host().recordedOutput().report();
        CHECK(report.matched == 1);
        CHECK(report.differenceCount == 0);
    }
    SECTION("cooked captures: PACKET_OUTGOING is ours whatever its addresses") {
        InputFrame f = at(0, udpFrame({.src = "10.0.0.2", .dst = "10.0.0.7"}));
        f.l2Synthesized = true;
        f.l2PacketType = 4;
        Run r(serverConfig(), {f});
        CHECK(r.sim.packetsInjected() == 0);
        CHECK(r.sim.host().recordedOutput().report().recorded == 1);
        CHECK(r.sim.host().recordedOutput().report().missingCount == 1);
    }
    SECTION("raw IP: our own source address on the interface") {
        InputFrame ours = at(0, udpFrame({.src = "10.0.0.2", .dst = "10.0.0.7"}));
        ours.l2Synthesized = true;
        InputFrame theirs = at(1000, udpFrame({.src = "10.0.0.7", .dst = "10.0.0.2", .dport = 9}));
        theirs.l2Synthesized = true;
        Run r(serverConfig(), {ours, theirs});
        CHECK(r.sim.packetsInjected() == 1);
        CHECK(r.sim.host().recordedOutput().report().recorded == 1);
    }
    CHECK_FALSE(store.active());
}

TEST_CASE("a streamed capture is read ahead a short way until the host's own frames appear") {
    // A counting stream of datagrams 1 us apart: the time bound never ends the read-ahead,
    // only the frame bounds do.
    struct CountingSource final : FrameSource {
        std::vector<std::uint8_t> ownFrameAt; // 1 where the frame is one the host sent
        std::size_t total = 0, calls = 0;
        std::optional<InputFrame> next() override {
            if (calls >= total) return std::nullopt;
            auto bytes = udpFrame({.sport = 40000, .dport = 53});
            if (calls < ownFrameAt.size() && ownFrameAt[calls]) {
                std::copy(kPeerMac.bytes.begin(), kPeerMac.bytes.end(), bytes.begin());
                std::copy(kHostMac.bytes.begin(), kHostMac.bytes.end(), bytes.begin() + 6);
            }
            InputFrame f = at(Nanos(calls) * kMicrosecond, std::move(bytes));
            f.captureNumber = ++calls;
            return f;
        }
    };
    using stack::RecordedOutput;
    CountingSource source;
    source.total = RecordedOutput::kReadAheadFrames + 500;
    SECTION("no own frame: the window stays small") {
        Simulator sim(serverConfig(), 1);
        sim.setInput(&source);
        REQUIRE(sim.step()); // the first frame is received
        CHECK(source.calls == RecordedOutput::kReadAheadFramesIdle);
        CHECK(sim.host().recordedOutput().report().recorded == 0);
    }
    SECTION("an own frame in the first window: the read-ahead grows to the full window") {
        source.ownFrameAt.assign(10, 0);
        source.ownFrameAt[5] = 1;
        Simulator sim(serverConfig(), 1);
        sim.setInput(&source);
        REQUIRE(sim.step());
        CHECK(sim.host().recordedOutput().report().recorded == 1);
        REQUIRE(sim.step()); // reads on with the full window now
        // The frame received first, the own frame, and a full window of received frames.
        CHECK(source.calls == 1 + 1 + RecordedOutput::kReadAheadFrames);
    }
}
