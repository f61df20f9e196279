// SPDX-License-Identifier: GPL-3.0-or-later
// REJECT --reject-with tcp-reset through the whole host: the RST nf_send_reset builds.
#include "model/host_config.h"
#include "sim/simulator.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <catch2/catch.hpp>

#include <memory>

using namespace stackscope;

namespace {

const MacAddress kHostMac{{0x02, 0, 0, 0, 0, 0x02}};
const MacAddress kPeerMac{{0x02, 0, 0, 0, 0, 0xfe}};

struct TcpSpec {
    std::uint8_t flags = wire::kTcpSyn;
    std::uint32_t seq = 1000, ack = 0;
    std::size_t payload = 0;
    bool badChecksum = false;
    std::uint16_t fragField = 0x4000; // DF
};

// 10.0.0.7:40000 -> 10.0.0.2:80, Ethernet from the peer.
std::vector<std::uint8_t> tcpFrame(const TcpSpec& s) {
    const std::size_t tcpLen = 20 + s.payload, ipLen = 20 + tcpLen;
    std::vector<std::uint8_t> f(14 + ipLen, 0);
    std::copy(kHostMac.bytes.begin(), kHostMac.bytes.end(), f.begin());
    std::copy(kPeerMac.bytes.begin(), kPeerMac.bytes.end(), f.begin() + 6);
    f[12] = 0x08;
    std::uint8_t* ip = f.data() + 14;
    ip[0] = 0x45;
    wire::storeBe16(ip + 2, std::uint16_t(ipLen));
    wire::storeBe16(ip + 4, 0x1234);
    wire::storeBe16(ip + 6, s.fragField);
    ip[8] = 64;
    ip[9] = 6;
    wire::storeBe32(ip + 12, Ipv4Address::parse("10.0.0.7")->value);
    wire::storeBe32(ip + 16, Ipv4Address::parse("10.0.0.2")->value);
    wire::storeBe16(ip + 10, wire::internetChecksum(std::span<const std::uint8_t>(ip, 20)));
    std::uint8_t* th = ip + 20;
    wire::storeBe16(th, 40000);
    wire::storeBe16(th + 2, 80);
    wire::storeBe32(th + 4, s.seq);
    wire::storeBe32(th + 8, s.ack);
    th[12] = 0x50;
    th[13] = s.flags;
    wire::storeBe16(th + 14, 64240);
    for (std::size_t i = 0; i < s.payload; ++i)
        th[20 + i] = std::uint8_t('a' + i);
    const auto src = *Ipv4Address::parse("10.0.0.7"), dst = *Ipv4Address::parse("10.0.0.2");
    std::uint16_t sum =
        wire::internetChecksum(std::span<const std::uint8_t>(th, tcpLen),
                               wire::pseudoHeaderSum(src, dst, 6, std::uint16_t(tcpLen)));
    wire::storeBe16(th + 16, std::uint16_t(sum ^ (s.badChecksum ? 0x0101 : 0)));
    return f;
}

HostConfig rejectingHost(const std::string& rule) {
    HostConfig h = HostConfig::withLoopback();
    auto& eth = h.ensureInterface("eth0", LinkKind::Ethernet);
    eth.mac = kHostMac;
    eth.up = true;
    eth.addresses.push_back({*Ipv4Address::parse("10.0.0.2"), 24, std::nullopt, "eth0", {}});
    h.neighbours.push_back(
        {*Ipv4Address::parse("10.0.0.7"), kPeerMac, "eth0", NeighState::Permanent});
    IptablesInput in;
    std::string word;
    for (char c : rule + " ") {
        if (c != ' ')
            word += c;
        else if (!word.empty())
            in.argv.push_back(std::exchange(word, {}));
    }
    in.text = rule;
    h.iptables.push_back(in);
    return h;
}

struct Tx : TxObserver {
    std::vector<TxFrame> frames;
    void onTransmit(const TxFrame& f) override { frames.push_back(f); }
};

std::vector<TxFrame> sendOne(const std::string& rule, const TcpSpec& spec) {
    Simulator sim(rejectingHost(rule), 1);
    Tx tx;
    sim.addTxObserver(&tx);
    InputFrame f;
    f.device = "eth0";
    f.bytes = tcpFrame(spec);
    f.wireLength = std::uint32_t(f.bytes.size());
    sim.setInput(std::make_shared<const std::vector<InputFrame>>(std::vector<InputFrame>{f}));
    sim.run(kSecond);
    return tx.frames;
}

} // namespace

TEST_CASE("REJECT tcp-reset answers a SYN like nf_send_reset", "[netfilter][reject]") {
    const std::string rule =
        "iptables -A INPUT -p tcp --dport 80 -j REJECT --reject-with tcp-reset";
    struct Row {
        const char* name;
        TcpSpec spec;
        std::uint8_t flags;
        std::uint32_t seq, ack;
    };
    const Row rows[] = {
        // No ACK in the segment: seq 0, ACK everything it occupied (SYN, FIN and data count).
        {"SYN", {}, wire::kTcpRst | wire::kTcpAck, 0, 1001},
        {"SYN+FIN with 10 bytes",
         {.flags = wire::kTcpSyn | wire::kTcpFin, .payload = 10},
         wire::kTcpRst | wire::kTcpAck,
         0,
         1012},
        // An ACK in the segment: the RST takes its sequence number from it and carries no ACK.
        {"ACK with data",
         {.flags = wire::kTcpAck | wire::kTcpPsh, .ack = 5555, .payload = 3},
         wire::kTcpRst,
         5555,
         0},
    };
    for (const auto& row : rows) {
        SECTION(row.name) {
            auto out = sendOne(rule, row.spec);
            REQUIRE(out.size() == 1);
            const auto bytes = std::span<const std::uint8_t>(out[0].bytes);
            CHECK(std::equal(kPeerMac.bytes.begin(), kPeerMac.bytes.end(), bytes.begin()));
            auto ip = *wire::Ipv4Packet::view(bytes.subspan(14));
            CHECK(ip.check() == std::nullopt);
            CHECK(ip.verifyChecksum());
            CHECK(ip.src() == *Ipv4Address::parse("10.0.0.2"));
            CHECK(ip.dst() == *Ipv4Address::parse("10.0.0.7"));
            CHECK(ip.totalLength() == 40);
            CHECK(ip.ident() == 0);
            CHECK(ip.dontFragment());
            CHECK(ip.ttl() == 64);
            CHECK(ip.tos() == 0);
            auto th = *wire::TcpPacket::view(ip.payload());
            CHECK(th.srcPort() == 80);
            CHECK(th.dstPort() == 40000);
            CHECK(th.flags() == row.flags);
            CHECK(th.seqNumber() == row.seq);
            CHECK(th.ackNumber() == row.ack);
            CHECK(th.window() == 0);
            CHECK(th.headerLength() == 20);
            CHECK(th.verifyChecksum(ip.src(), ip.dst()));
        }
    }
}

TEST_CASE("REJECT tcp-reset stays silent where nf_send_reset does", "[netfilter][reject]") {
    const std::string rule = "iptables -A INPUT -p tcp -j REJECT --reject-with tcp-reset";
    CHECK(sendOne(rule, {.flags = wire::kTcpRst}).empty());
    CHECK(sendOne(rule, {.flags = wire::kTcpRst | wire::kTcpAck, .ack = 9}).empty());
    CHECK(sendOne(rule, {.badChecksum = true}).empty());
    // The TTL follows net.ipv4.ip_default_ttl.
    HostConfig h = rejectingHost(rule);
    REQUIRE_FALSE(h.sysctls.set("net.ipv4.ip_default_ttl", "33"));
    Simulator sim(h, 1);
    Tx tx;
    sim.addTxObserver(&tx);
    InputFrame f;
    f.device = "eth0";
    f.bytes = tcpFrame({});
    f.wireLength = std::uint32_t(f.bytes.size());
    sim.setInput(std::make_shared<const std::vector<InputFrame>>(std::vector<InputFrame>{f}));
    sim.run(kSecond);
    REQUIRE(tx.frames.size() == 1);
    CHECK(tx.frames[0].bytes[14 + 8] == 33);
}

TEST_CASE("REJECT sends its ICMP error only for a packet with a good checksum",
          "[netfilter][reject]") {
    // nf_send_unreach verifies the transport checksum first (nf_ip_checksum): a TCP
    // segment with a bad one is dropped without a word. Linux 6.18 does the same for UDP
    // (conformance: random case 44628, a REJECTed datagram with a bad checksum).
    const std::string rule = "iptables -A INPUT -p tcp --dport 80 -j REJECT";
    auto good = sendOne(rule, {});
    REQUIRE(good.size() == 1);
    CHECK(good[0].bytes[14 + 20] == 3); // destination unreachable
    CHECK(good[0].bytes[14 + 21] == 3); // code: port unreachable
    CHECK(sendOne(rule, {.badChecksum = true}).empty());
}
