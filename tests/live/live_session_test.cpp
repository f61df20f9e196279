// SPDX-License-Identifier: GPL-3.0-or-later
// LiveSession over a SOCK_SEQPACKET socket pair standing in for a TAP (it keeps
// frame boundaries the same way), on a clock the test moves: frames in, answers
// back, and a recording that `run` replays to the same counters.
#include "io/pcap_reader.h"
#include "live/live_session.h"
#include "live/tap_device.h"
#include "report/counters_json.h"
#include "report/drop_counter.h"
#include "scenario/scenario.h"
#include "sim/simulator.h"
#include "wire/arp.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

using namespace stackscope;
namespace fs = std::filesystem;

namespace {

const MacAddress kSimMac{{0x02, 0, 0, 0, 0x99, 0x02}};
const MacAddress kRealMac{{0x02, 0, 0, 0, 0x99, 0x01}};

constexpr const char* kScenario = R"(ip link set dev lo up
ip link set dev eth0 address 02:00:00:00:99:02 up
ip addr add 10.99.0.2/24 dev eth0
socket udp bind 0.0.0.0:7000 read all
iptables -A INPUT -p icmp --icmp-type echo-request -m length --length 100: -j DROP
)";

HostConfig scenarioConfig() {
    scenario::ScenarioResult r = scenario::readScenario(kScenario, "live.scn");
    for (const auto& e : r.errors)
        FAIL(e.toString());
    return r.config;
}

std::vector<std::uint8_t> ipv4Frame(std::uint8_t protocol, std::span<const std::uint8_t> l4,
                                    const MacAddress& dstMac) {
    std::vector<std::uint8_t> f(14 + 20 + l4.size());
    wire::EthernetRepr{dstMac, kRealMac, wire::kEtherTypeIpv4, std::nullopt}.writeTo(f);
    wire::Ipv4Repr ip;
    ip.src = *Ipv4Address::parse("10.99.0.1");
    ip.dst = *Ipv4Address::parse("10.99.0.2");
    ip.protocol = protocol;
    ip.payloadLength = std::uint16_t(l4.size());
    ip.writeTo(std::span<std::uint8_t>(f).subspan(14, 20));
    std::copy(l4.begin(), l4.end(), f.begin() + 34);
    return f;
}

std::vector<std::uint8_t> arpRequest() {
    std::vector<std::uint8_t> f(14 + 28);
    wire::EthernetRepr{MacAddress::broadcast(), kRealMac, wire::kEtherTypeArp, std::nullopt}.writeTo(
        f);
    wire::ArpRepr{wire::kArpRequest, kRealMac, *Ipv4Address::parse("10.99.0.1"), MacAddress{},
                  *Ipv4Address::parse("10.99.0.2")}
        .writeTo(std::span<std::uint8_t>(f).subspan(14));
    return f;
}

std::vector<std::uint8_t> echoRequest(std::uint16_t seq, std::size_t dataSize) {
    std::vector<std::uint8_t> data(dataSize, 'e');
    wire::IcmpRepr icmp{wire::kIcmpEcho, 0, wire::IcmpRepr::echoRest(0x1234, seq), data};
    std::vector<std::uint8_t> l4(icmp.bufferLength());
    icmp.writeTo(l4);
    return ipv4Frame(wire::kIpProtoIcmp, l4, kSimMac);
}

std::vector<std::uint8_t> udpDatagram(std::uint16_t port) {
    std::vector<std::uint8_t> payload(12, 'u');
    const auto src = *Ipv4Address::parse("10.99.0.1"), dst = *Ipv4Address::parse("10.99.0.2");
    wire::UdpRepr udp{40000, port, payload};
    std::vector<std::uint8_t> l4(udp.bufferLength());
    udp.writeTo(l4, src, dst);
    return ipv4Frame(wire::kIpProtoUdp, l4, kSimMac);
}

// Every frame the simulated host wrote back, read from the real side of the pair.
std::vector<std::vector<std::uint8_t>> drain(int fd) {
    std::vector<std::vector<std::uint8_t>> frames;
    for (;;) {
        std::vector<std::uint8_t> f(2048);
        const ssize_t n = ::recv(fd, f.data(), f.size(), MSG_DONTWAIT);
        if (n <= 0) break;
        f.resize(std::size_t(n));
        frames.push_back(std::move(f));
    }
    return frames;
}

std::uint16_t etherType(const std::vector<std::uint8_t>& f) {
    return std::uint16_t(f[12] << 8 | f[13]);
}

std::string countersOf(const Simulator& sim, const report::DropCounter& drops) {
    report::JsonSections sections;
    sections.drops = &drops;
    return report::countersJson(sim, sections).dump(1);
}

struct Pair {
    int real = -1;
    int sim = -1;
    Pair() {
        int sv[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
        real = sv[0];
        sim = sv[1];
    }
    ~Pair() { ::close(real); }
    void send(const std::vector<std::uint8_t>& f) const {
        REQUIRE(::send(real, f.data(), f.size(), 0) == ssize_t(f.size()));
    }
};

} // namespace

TEST_CASE("a live session answers ARP, ping and UDP on a TAP and records what it got") {
    const HostConfig config = scenarioConfig();
    // Removed however the test ends.
    struct TempDir {
        fs::path path =
            fs::temp_directory_path() / ("stackscope-live-test-" + std::to_string(::getpid()));
        TempDir() { fs::create_directories(path); }
        ~TempDir() {
            std::error_code ec;
            fs::remove_all(path, ec);
        }
    } dir;
    const std::string recording = (dir.path / "session.pcap").string();

    Pair pair;
    Nanos now = 0;
    Simulator sim(config, 1);
    report::DropCounter drops;
    sim.addDropObserver(&drops);
    std::string liveCounters;
    Nanos end = 0, lastInput = 0;
    {
        live::LiveSession session(sim, [&now] { return now; });
        session.addTap("eth0", live::TapDevice::adopt(pair.sim, "faketap"));
        std::string error;
        REQUIRE(session.record("eth0", recording, &error));
        CHECK(session.fds().size() == 1);
        // Nothing has arrived: the session may sleep as long as the caller likes.
        CHECK(session.timeoutMs(250) == 250);

        // The model takes virtual time to answer (softirq, qdisc, driver): answers leave
        // a little after the request, at a later poll.
        auto settle = [&] {
            now += kMillisecond;
            session.poll();
        };
        now = 5 * kMillisecond;
        pair.send(arpRequest());
        CHECK(session.poll().framesRead == 1);
        settle();
        auto out = drain(pair.real);
        REQUIRE(out.size() == 1);
        CHECK(etherType(out[0]) == wire::kEtherTypeArp);
        CHECK(std::equal(out[0].begin(), out[0].begin() + 6, kRealMac.bytes.begin()));

        for (std::uint16_t seq = 1; seq <= 3; ++seq) {
            now += 200 * kMillisecond;
            pair.send(echoRequest(seq, 56));
            session.poll();
            settle();
            out = drain(pair.real);
            REQUIRE(out.size() == 1);
            auto ip = wire::Ipv4Packet::view(std::span<const std::uint8_t>(out[0]).subspan(14));
            REQUIRE(ip);
            CHECK(!ip->check());
            CHECK(ip->protocol() == wire::kIpProtoIcmp);
            CHECK(out[0][34] == wire::kIcmpEchoReply);
        }
        // The rule drops big pings: no answer.
        now += 200 * kMillisecond;
        pair.send(echoRequest(4, 200));
        // Two datagrams read in one poll get distinct, ordered times.
        pair.send(udpDatagram(7000));
        pair.send(udpDatagram(7001)); // closed port: port unreachable goes back
        CHECK(session.poll().framesRead == 3);
        settle();
        out = drain(pair.real);
        REQUIRE(out.size() == 1);
        CHECK(out[0][34] == wire::kIcmpDestUnreach);

        now += 300 * kMillisecond;
        session.poll();
        CHECK(session.framesIn() == 7);
        CHECK(session.stats()[0].framesOut == 5);
        CHECK(session.stats()[0].writeErrors == 0);
        CHECK_FALSE(session.activityBeforeFirstInput());
        REQUIRE(session.flushRecordings(&error));
        // Virtual time starts at the first frame (the ARP request at 5 ms), as in the replay.
        end = session.now();
        CHECK(end == now - 5 * kMillisecond);
        lastInput = session.lastInputTime();
        CHECK(lastInput > 803 * kMillisecond);
        CHECK(lastInput < 805 * kMillisecond);
    }
    // The big ping died in INPUT, before icmp_rcv counted it.
    CHECK(sim.counters().get(Mib::IcmpInEchos) == 3);
    CHECK(sim.counters().get(Mib::IcmpOutEchoReps) == 3);
    CHECK(sim.counters().get(Mib::UdpInDatagrams) == 1);
    CHECK(sim.counters().get(Mib::UdpNoPorts) == 1);
    liveCounters = countersOf(sim, drops);

    SECTION("the recording replays to the same counters") {
        io::CaptureError error;
        auto reader = io::PcapReader::open(recording, "eth0", &error);
        REQUIRE(reader);
        Simulator replay(config, 1);
        report::DropCounter replayDrops;
        replay.addDropObserver(&replayDrops);
        replay.setInput(reader.get());
        replay.run(end - lastInput);
        CHECK(reader->framesRead() == 7);
        CHECK(countersOf(replay, replayDrops) == liveCounters);
    }
}

TEST_CASE("frames that arrive while the front end holds the simulator wait, then run in order") {
    const HostConfig config = scenarioConfig();
    Pair pair;
    Nanos now = 1 * kMillisecond;
    Simulator sim(config, 1);
    live::LiveSession session(sim, [&now] { return now; });
    session.addTap("eth0", live::TapDevice::adopt(pair.sim, "faketap"));

    pair.send(arpRequest());
    CHECK(session.readDevices().framesRead == 1);
    now += kMillisecond;
    pair.send(
        echoRequest(1, 56)); // read while the first is still waiting: re-arming must not lose it
    CHECK(session.readDevices().framesRead == 1);
    CHECK(drain(pair.real).empty());
    session.advanceTo(now + kMillisecond);
    const auto out = drain(pair.real);
    REQUIRE(out.size() == 2);
    CHECK(etherType(out[0]) == wire::kEtherTypeArp);
    CHECK(out[1][34] == wire::kIcmpEchoReply);
    CHECK(sim.packetsInjected() == 2);
}

TEST_CASE("a device that goes away is reported, not a crash") {
    const HostConfig config = scenarioConfig();
    Nanos now = 0;
    Simulator sim(config, 1);
    live::LiveSession session(sim, [&now] { return now; });
    {
        Pair pair;
        session.addTap("eth0", live::TapDevice::adopt(pair.sim, "faketap"));
    } // the real side closes
    const live::LivePollResult r = session.poll();
    CHECK(r.deviceFailed);
    CHECK(session.stats()[0].lastError == "the device was closed");
}

TEST_CASE("a captured frame left to checksum offload gets the checksum the NIC would write") {
    const std::vector<std::uint8_t> good = udpDatagram(7000);
    constexpr std::size_t kCheck = 14 + 20 + 6;
    // What a sender with CHECKSUM_PARTIAL puts in the field: the folded pseudo-header sum.
    const std::uint32_t pseudo = wire::pseudoHeaderSum(*Ipv4Address::parse("10.99.0.1"),
                                                       *Ipv4Address::parse("10.99.0.2"),
                                                       wire::kIpProtoUdp, 8 + 12);
    const auto partialField = std::uint16_t(~wire::checksumFold(pseudo));
    std::vector<std::uint8_t> partial = good;
    partial[kCheck] = std::uint8_t(partialField >> 8);
    partial[kCheck + 1] = std::uint8_t(partialField);
    REQUIRE(partial != good);
    CHECK(live::LiveCapture::completePartialChecksum(partial));
    CHECK(partial == good);

    // A correct checksum and a corrupted one (not the partial value) stay as they are.
    std::vector<std::uint8_t> copy = good;
    CHECK_FALSE(live::LiveCapture::completePartialChecksum(copy));
    CHECK(copy == good);
    std::vector<std::uint8_t> bad = good;
    bad[kCheck] ^= 0x5a;
    const std::vector<std::uint8_t> badCopy = bad;
    CHECK_FALSE(live::LiveCapture::completePartialChecksum(bad));
    CHECK(bad == badCopy);
    // ICMP has no offloaded checksum.
    std::vector<std::uint8_t> echo = echoRequest(1, 8);
    const std::vector<std::uint8_t> echoCopy = echo;
    CHECK_FALSE(live::LiveCapture::completePartialChecksum(echo));
    CHECK(echo == echoCopy);
}

TEST_CASE("timers run on time while no frame arrives") {
    // The simulated host sends a datagram at 1 s to an address nobody answers: the ARP
    // request, then its retries one retrans_time (1 s) apart, all without input.
    scenario::ScenarioResult r =
        scenario::readScenario(std::string(kScenario) + "send udp 10.99.0.77:9 at 1s\n", "t.scn");
    for (const auto& e : r.errors)
        FAIL(e.toString());
    Nanos now = 0;
    Simulator sim(r.config, 1);
    live::LiveSession session(sim, [&now] { return now; });
    Pair pair;
    session.addTap("eth0", live::TapDevice::adopt(pair.sim, "faketap"));

    std::vector<Nanos> requests;
    // What the CLI loop does: wait timeoutMs() (the clock jumps there), then poll().
    while (now < 5 * kSecond) {
        now += Nanos(session.timeoutMs(70)) * kMillisecond; // 70: never lands on 1 s by itself
        session.poll();
        for (const auto& f : drain(pair.real)) {
            REQUIRE(etherType(f) == wire::kEtherTypeArp);
            requests.push_back(now);
        }
    }
    REQUIRE(requests.size() == 3);
    CHECK(requests[0] == 1 * kSecond);
    CHECK(requests[1] == 2 * kSecond);
    CHECK(requests[2] == 3 * kSecond);
    CHECK(session.framesIn() == 0);
    CHECK(session.now() == now); // busy before any input: no shift of the time base
}
