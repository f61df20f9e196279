// SPDX-License-Identifier: GPL-3.0-or-later
// IPv4 reassembly (ip_defrag) and fragmentation (ip_do_fragment): counters,
// drop reasons, timers and the bytes of the fragments sent.
#include "frames.h"

#include "sim/simulator.h"
#include "stack/host.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

#include <catch2/catch.hpp>
#include <map>

using namespace stackscope;
using namespace stackscope::test;

namespace {

// The IP payload (UDP header and data) of one datagram from 10.0.0.7:40000 to 10.0.0.2:53.
std::vector<std::uint8_t> udpDatagram(std::size_t payload, const char* src = "10.0.0.7",
                                      const char* dst = "10.0.0.2") {
    std::vector<std::uint8_t> data(payload);
    for (std::size_t i = 0; i < payload; ++i) data[i] = std::uint8_t(i * 7 + 3);
    wire::UdpRepr udp{40000, 53, data};
    std::vector<std::uint8_t> out(udp.bufferLength());
    udp.writeTo(out, *Ipv4Address::parse(src), *Ipv4Address::parse(dst));
    return out;
}

struct FragSpec {
    std::size_t offset = 0; // bytes into the IP payload
    std::size_t length = 0;
    bool more = true;
};

// One Ethernet frame carrying bytes [offset, offset+length) of `ipPayload` as a fragment.
std::vector<std::uint8_t> fragmentFrame(const std::vector<std::uint8_t>& ipPayload, FragSpec f,
                                        std::uint16_t ident = 0x1234, const char* src = "10.0.0.7",
                                        const char* dst = "10.0.0.2", bool df = false) {
    wire::Ipv4Repr ip;
    ip.src = *Ipv4Address::parse(src);
    ip.dst = *Ipv4Address::parse(dst);
    ip.protocol = wire::kIpProtoUdp;
    ip.ident = ident;
    ip.dontFragment = df;
    ip.moreFragments = f.more;
    ip.fragmentOffset = std::uint16_t(f.offset);
    ip.payloadLength = std::uint16_t(f.length);
    std::vector<std::uint8_t> frame(14 + 20 + f.length);
    wire::EthernetRepr{kHostMac, kPeerMac, wire::kEtherTypeIpv4, std::nullopt}.writeTo(frame);
    ip.writeTo(std::span<std::uint8_t>(frame).subspan(14, 20));
    std::copy_n(ipPayload.begin() + std::ptrdiff_t(f.offset), f.length, frame.begin() + 34);
    return frame;
}

HostConfig serverWithSocket() {
    HostConfig h = serverConfig();
    SocketConfig s;
    s.port = 53;
    h.sockets.push_back(s);
    return h;
}

wire::Ipv4Packet ipOf(const TxFrame& f) {
    return *wire::Ipv4Packet::view(std::span<const std::uint8_t>(f.bytes).subspan(14));
}

} // namespace

TEST_CASE("ip_defrag reassembles fragments in any order into one UDP datagram") {
    struct Row {
        const char* name;
        std::size_t payload;
        std::vector<FragSpec> fragments; // in arrival order
    };
    // 2008 bytes of UDP: 1480 + 528; 3508 bytes: 1480 + 1480 + 548.
    const Row rows[] = {
        {"two in order", 2000, {{0, 1480, true}, {1480, 528, false}}},
        {"two, last first", 2000, {{1480, 528, false}, {0, 1480, true}}},
        {"three in order", 3500, {{0, 1480, true}, {1480, 1480, true}, {2960, 548, false}}},
        {"three, last, first, middle", 3500, {{2960, 548, false}, {0, 1480, true}, {1480, 1480, true}}},
        {"three, middle, last, first", 3500, {{1480, 1480, true}, {2960, 548, false}, {0, 1480, true}}},
    };
    for (const auto& row : rows) {
        SECTION(row.name) {
            const auto dgram = udpDatagram(row.payload);
            std::vector<InputFrame> frames;
            for (std::size_t i = 0; i < row.fragments.size(); ++i)
                frames.push_back(at(Nanos(i) * kMillisecond, fragmentFrame(dgram, row.fragments[i])));
            Run r(serverWithSocket(), std::move(frames));
            const auto n = row.fragments.size();
            CHECK(r.mib(Mib::IpInReceives) == n);
            CHECK(r.mib(Mib::IpReasmReqds) == n);
            CHECK(r.mib(Mib::IpReasmOKs) == 1);
            CHECK(r.mib(Mib::IpReasmFails) == 0);
            CHECK(r.mib(Mib::IpInDelivers) == 1);
            CHECK(r.mib(Mib::UdpInDatagrams) == 1);
            CHECK(r.mib(Mib::UdpInErrors) == 0); // the UDP checksum covers the whole datagram
            CHECK(r.rec.stolen == int(n - 1));
            CHECK(r.rec.drops.empty());
            CHECK(r.sim.host().fragQueues().empty());
            CHECK(r.sim.host().fragMemory() == 0);
        }
    }
}

TEST_CASE("the reassembled datagram is charged the sum of its fragments' truesizes") {
    // A socket that never reads keeps the datagram, so its charge is visible in rmem_alloc.
    HostConfig h = serverWithSocket();
    h.sockets[0].read = SocketConfig::ReadMode::None;
    const auto dgram = udpDatagram(2000);
    auto f1 = fragmentFrame(dgram, {0, 1480, true}), f2 = fragmentFrame(dgram, {1480, 528, false});
    Run r(h, {at(0, f1), at(kMillisecond, f2)});
    CHECK(r.mib(Mib::IpReasmOKs) == 1);
    // Each fragment is charged what the same frame would be charged whole.
    auto charged = [&](std::size_t payload) {
        Run one(h, {at(0, udpFrame({.payload = payload}))});
        return one.sim.host().sockets().at(0).rmemAlloc;
    };
    const std::uint64_t expected = charged(f1.size() - 42) + charged(f2.size() - 42);
    CHECK(expected > 0);
    CHECK(r.sim.host().sockets().at(0).rmemAlloc == expected);
}

TEST_CASE("a queue that never completes expires after ipfrag_time") {
    const auto dgram = udpDatagram(3500);
    SECTION("first fragment received: ICMP time exceeded, code 1, about it") {
        Run r(serverWithSocket(),
              {at(0, fragmentFrame(dgram, {0, 1480, true})), at(kMillisecond, fragmentFrame(dgram, {2960, 548, false}))},
              29 * kSecond);
        CHECK(r.mib(Mib::IpReasmFails) == 0); // not yet: the timer runs 30 s
        CHECK(r.sim.host().fragQueues().size() == 1);
        CHECK(r.sim.host().fragMemory() > 0);
        r.sim.runUntil(31 * kSecond);
        CHECK(r.mib(Mib::IpReasmReqds) == 2);
        CHECK(r.mib(Mib::IpReasmFails) == 1);
        CHECK(r.mib(Mib::IpReasmTimeout) == 1);
        CHECK(r.mib(Mib::IpReasmOKs) == 0);
        CHECK(r.mib(Mib::UdpInDatagrams) == 0);
        CHECK(r.mib(Mib::IcmpOutTimeExcds) == 1);
        CHECK(r.rec.drops[DropReason::FRAG_REASM_TIMEOUT] == 2);
        REQUIRE(r.rec.tx.size() == 1);
        const auto& icmp = r.rec.tx[0].bytes;
        CHECK(icmp[34] == wire::kIcmpTimeExceeded);
        CHECK(icmp[35] == wire::kIcmpExcFragTime);
        // It quotes the first fragment's header: same IP ID, offset 0 with MF.
        auto quoted = *wire::Ipv4Packet::view(std::span<const std::uint8_t>(icmp).subspan(42));
        CHECK(quoted.ident() == 0x1234);
        CHECK(quoted.moreFragments());
        CHECK(quoted.fragmentOffset() == 0);
        CHECK(r.sim.host().fragQueues().empty());
        CHECK(r.sim.host().fragMemory() == 0);
    }
    SECTION("first fragment missing: no ICMP") {
        Run r(serverWithSocket(),
              {at(0, fragmentFrame(dgram, {1480, 1480, true})), at(kMillisecond, fragmentFrame(dgram, {2960, 548, false}))},
              31 * kSecond);
        CHECK(r.mib(Mib::IpReasmFails) == 1);
        CHECK(r.mib(Mib::IpReasmTimeout) == 1);
        CHECK(r.mib(Mib::IcmpOutTimeExcds) == 0);
        CHECK(r.rec.tx.empty());
        CHECK(r.rec.drops[DropReason::FRAG_REASM_TIMEOUT] == 2);
    }
    SECTION("ipfrag_time is honoured") {
        HostConfig h = serverWithSocket();
        REQUIRE_FALSE(h.sysctls.set("net.ipv4.ipfrag_time", "5").has_value());
        Run r(h, {at(0, fragmentFrame(dgram, {0, 1480, true}))}, 6 * kSecond);
        CHECK(r.mib(Mib::IpReasmTimeout) == 1);
        CHECK(r.mib(Mib::IcmpOutTimeExcds) == 1);
    }
}

TEST_CASE("overlapping fragments discard the queue; duplicates are dropped alone") {
    const auto dgram = udpDatagram(3500);
    SECTION("overlap") {
        Run r(serverWithSocket(), {at(0, fragmentFrame(dgram, {0, 1480, true})),
                                   at(kMillisecond, fragmentFrame(dgram, {1000, 1480, true})),
                                   at(2 * kMillisecond, fragmentFrame(dgram, {2960, 548, false}))},
              kSecond);
        CHECK(r.mib(Mib::IpReasmReqds) == 3);
        CHECK(r.mib(Mib::IpExtReasmOverlaps) == 1);
        CHECK(r.mib(Mib::IpReasmFails) == 1);
        CHECK(r.mib(Mib::IpReasmOKs) == 0);
        CHECK(r.mib(Mib::UdpInDatagrams) == 0);
        // The offending fragment is dropped; the queue's own fragments are freed as consumed.
        CHECK(r.rec.drops[DropReason::NOT_SPECIFIED] == 1);
        // The last fragment starts a fresh queue that waits for the rest.
        CHECK(r.sim.host().fragQueues().size() == 1);
    }
    SECTION("duplicate") {
        Run r(serverWithSocket(), {at(0, fragmentFrame(dgram, {0, 1480, true})),
                                   at(kMillisecond, fragmentFrame(dgram, {0, 1480, true})),
                                   at(2 * kMillisecond, fragmentFrame(dgram, {1480, 1480, true})),
                                   at(3 * kMillisecond, fragmentFrame(dgram, {2960, 548, false}))});
        CHECK(r.mib(Mib::IpReasmReqds) == 4);
        CHECK(r.rec.drops[DropReason::DUP_FRAG] == 1);
        CHECK(r.mib(Mib::IpReasmFails) == 0);
        CHECK(r.mib(Mib::IpReasmOKs) == 1);
        CHECK(r.mib(Mib::UdpInDatagrams) == 1);
    }
    SECTION("a last fragment that disagrees with the known end") {
        Run r(serverWithSocket(), {at(0, fragmentFrame(dgram, {2960, 548, false})),
                                   at(kMillisecond, fragmentFrame(dgram, {1480, 8, false}))});
        CHECK(r.mib(Mib::IpReasmFails) == 1);
        CHECK(r.sim.host().fragQueues().empty());
    }
}

TEST_CASE("a reassembled datagram longer than 65535 bytes fails") {
    // Raw data (not a valid UDP datagram: reassembly refuses it before UDP looks).
    std::vector<std::uint8_t> data(65600, 0x5a);
    std::vector<InputFrame> frames;
    std::size_t off = 0;
    int n = 0;
    while (off < data.size()) {
        const std::size_t len = std::min<std::size_t>(1480, data.size() - off);
        frames.push_back(at(Nanos(n++) * kMicrosecond * 10,
                            fragmentFrame(data, {off, len, off + len < data.size()})));
        off += len;
    }
    Run r(serverWithSocket(), std::move(frames));
    CHECK(r.mib(Mib::IpReasmReqds) == std::uint64_t(n));
    CHECK(r.mib(Mib::IpReasmFails) == 1);
    CHECK(r.mib(Mib::IpReasmOKs) == 0);
    CHECK(r.mib(Mib::IpInDelivers) == 0);
    CHECK(r.sim.host().fragQueues().empty());
    CHECK(r.sim.host().fragMemory() == 0);
}

TEST_CASE("above ipfrag_high_thresh every fragment fails") {
    HostConfig h = serverWithSocket();
    REQUIRE_FALSE(h.sysctls.set("net.ipv4.ipfrag_high_thresh", "3000").has_value());
    const auto dgram = udpDatagram(3500);
    // The first queue holds 2304 + the queue's own size; the second fragment still fits
    // (the check is made before charging), the third does not.
    Run r(h, {at(0, fragmentFrame(dgram, {0, 1480, true})),
              at(kMillisecond, fragmentFrame(dgram, {1480, 1480, true})),
              at(2 * kMillisecond, fragmentFrame(dgram, {2960, 548, false}))});
    CHECK(r.mib(Mib::IpReasmReqds) == 3);
    CHECK(r.mib(Mib::IpReasmFails) == 1);
    CHECK(r.mib(Mib::IpReasmOKs) == 0);
}

TEST_CASE("ip_do_fragment splits a forwarded 3000-byte datagram for a 1500 MTU") {
    HostConfig h = serverConfig();
    REQUIRE_FALSE(h.sysctls.set("net.ipv4.ip_forward", "1").has_value());
    h.findInterface("eth0")->mtu = 9000;
    auto& eth1 = h.ensureInterface("eth1");
    eth1.up = true;
    eth1.mtu = 1500;
    eth1.mac = MacAddress{{0x02, 0, 0, 0, 1, 1}};
    eth1.addresses.push_back({*Ipv4Address::parse("172.16.0.1"), 24, std::nullopt, "eth1", {}});
    h.neighbours.push_back({*Ipv4Address::parse("172.16.0.9"), kPeerMac, "eth1", NeighState::Permanent});
    // 3000 bytes of IP: 2980 of UDP, sent whole (offset 0, no MF, DF clear).
    const auto dgram = udpDatagram(2972, "10.0.0.7", "172.16.0.9");
    REQUIRE(dgram.size() == 2980);
    auto frame = fragmentFrame(dgram, {0, dgram.size(), false}, 0x4242, "10.0.0.7", "172.16.0.9");
    Run r(h, {at(0, frame)});
    CHECK(r.mib(Mib::IpForwDatagrams) == 1);
    CHECK(r.mib(Mib::IpFragOKs) == 1);
    CHECK(r.mib(Mib::IpFragCreates) == 3);
    CHECK(r.mib(Mib::IpFragFails) == 0);
    CHECK(r.mib(Mib::IpOutTransmits) == 3);
    CHECK(r.mib(Mib::IpExtOutOctets) == 1500 + 1500 + 40);
    REQUIRE(r.rec.tx.size() == 3);
    struct Expect {
        std::uint16_t totalLength, offset;
        bool more;
    };
    const Expect expect[] = {{1500, 0, true}, {1500, 1480, true}, {40, 2960, false}};
    std::vector<std::uint8_t> rebuilt;
    for (std::size_t i = 0; i < 3; ++i) {
        CAPTURE(i);
        const auto& f = r.rec.tx[i];
        CHECK(f.device == "eth1");
        auto ip = ipOf(f);
        CHECK(ip.check() == std::nullopt); // includes the header checksum
        CHECK(ip.totalLength() == expect[i].totalLength);
        CHECK(ip.fragmentOffset() == expect[i].offset);
        CHECK(ip.moreFragments() == expect[i].more);
        CHECK_FALSE(ip.dontFragment());
        CHECK(ip.ident() == 0x4242);
        CHECK(ip.ttl() == 63);
        CHECK(ip.src() == *Ipv4Address::parse("10.0.0.7"));
        CHECK(ip.dst() == *Ipv4Address::parse("172.16.0.9"));
        auto p = ip.payload();
        rebuilt.insert(rebuilt.end(), p.begin(), p.end());
    }
    CHECK(rebuilt == dgram);
}

TEST_CASE("DF set and too big is still refused with frag needed") {
    HostConfig h = serverConfig();
    REQUIRE_FALSE(h.sysctls.set("net.ipv4.ip_forward", "1").has_value());
    h.findInterface("eth0")->mtu = 9000;
    auto& eth1 = h.ensureInterface("eth1");
    eth1.up = true;
    eth1.addresses.push_back({*Ipv4Address::parse("172.16.0.1"), 24, std::nullopt, "eth1", {}});
    h.neighbours.push_back({*Ipv4Address::parse("172.16.0.9"), kPeerMac, "eth1", NeighState::Permanent});
    const auto dgram = udpDatagram(2972, "10.0.0.7", "172.16.0.9");
    Run r(h, {at(0, fragmentFrame(dgram, {0, dgram.size(), false}, 1, "10.0.0.7", "172.16.0.9", true))});
    CHECK(r.mib(Mib::IpFragFails) == 1);
    CHECK(r.mib(Mib::IpFragOKs) == 0);
    CHECK(r.mib(Mib::IcmpOutDestUnreachs) == 1);
    CHECK(r.rec.drops[DropReason::PKT_TOO_BIG] == 1);
}

TEST_CASE("a local UDP send larger than the MTU leaves as fragments and is reassembled") {
    HostConfig h = serverConfig();
    SendConfig s;
    s.destination = *Ipv4Address::parse("10.0.0.7");
    s.destinationPort = 53;
    s.sourcePort = 40000;
    s.payloadSize = 3500;
    h.sends.push_back(s);
    Run r(h, {});
    CHECK(r.mib(Mib::UdpOutDatagrams) == 1);
    CHECK(r.mib(Mib::IpOutRequests) == 1);
    // ip_do_fragment's frag_list fast path counts like the slow path.
    CHECK(r.mib(Mib::IpFragOKs) == 1);
    CHECK(r.mib(Mib::IpFragCreates) == 3);
    CHECK(r.mib(Mib::IpOutTransmits) == 3);
    REQUIRE(r.rec.tx.size() == 3);
    std::vector<InputFrame> back;
    for (std::size_t i = 0; i < 3; ++i) {
        auto ip = ipOf(r.rec.tx[i]);
        CHECK(ip.check() == std::nullopt);
        CHECK_FALSE(ip.dontFragment());
        CHECK(ip.moreFragments() == (i < 2));
        CHECK(ip.fragmentOffset() == i * 1480);
        // Turned around: the same fragments, addressed to the receiving host.
        auto bytes = r.rec.tx[i].bytes;
        std::copy_n(kHostMac.bytes.begin(), 6, bytes.begin());
        back.push_back(at(Nanos(i) * kMillisecond, bytes));
    }
    // The receiving host owns 10.0.0.7 here.
    HostConfig rx = serverWithSocket();
    rx.findInterface("eth0")->addresses.front().address = *Ipv4Address::parse("10.0.0.7");
    rx.neighbours.clear();
    rx.neighbours.push_back({*Ipv4Address::parse("10.0.0.2"), kPeerMac, "eth0", NeighState::Permanent});
    Run r2(rx, std::move(back));
    CHECK(r2.mib(Mib::IpReasmReqds) == 3);
    CHECK(r2.mib(Mib::IpReasmOKs) == 1);
    CHECK(r2.mib(Mib::UdpInDatagrams) == 1);
    CHECK(r2.mib(Mib::UdpInErrors) == 0);
}

TEST_CASE("reassembly and its timeout count the same with nobody tracing") {
    const auto dgram = udpDatagram(3500);
    Simulator sim(serverWithSocket(), 1);
    sim.setInput(std::make_shared<const std::vector<InputFrame>>(std::vector<InputFrame>{
        at(0, fragmentFrame(dgram, {2960, 548, false})), at(kMillisecond, fragmentFrame(dgram, {0, 1480, true})),
        at(2 * kMillisecond, fragmentFrame(dgram, {1480, 1480, true})),
        at(3 * kMillisecond, fragmentFrame(dgram, {0, 1480, true}, 0x999))}));
    sim.run(31 * kSecond);
    CHECK(sim.counters().get(Mib::IpReasmReqds) == 4);
    CHECK(sim.counters().get(Mib::IpReasmOKs) == 1);
    CHECK(sim.counters().get(Mib::UdpInDatagrams) == 1);
    CHECK(sim.counters().get(Mib::IpReasmTimeout) == 1);
    CHECK(sim.counters().get(Mib::IcmpOutTimeExcds) == 1);
    CHECK(sim.host().fragMemory() == 0);
}
