// SPDX-License-Identifier: GPL-3.0-or-later
// Builders for the frames the stack tests send, with correct checksums
// unless a test breaks them on purpose.
#pragma once

#include "model/host_config.h"
#include "sim/frame.h"
#include "sim/simulator.h"

#include <map>
#include <memory>

#include <cstdint>
#include <string>
#include <vector>

namespace stackscope::test {

inline const MacAddress kHostMac{{0x02, 0, 0, 0, 0, 0x02}};
inline const MacAddress kPeerMac{{0x02, 0, 0, 0, 0, 0xfe}};

struct UdpSpec {
    std::string src = "10.0.0.7", dst = "10.0.0.2";
    std::uint16_t sport = 40000, dport = 53;
    std::size_t payload = 10;
    std::uint8_t ttl = 64;
    bool badIpChecksum = false, badUdpChecksum = false;
    MacAddress dstMac = kHostMac;
    std::uint8_t version = 4, ihl = 5;
    int totalLengthDelta = 0;
};

std::vector<std::uint8_t> udpFrame(const UdpSpec& s);
std::vector<std::uint8_t> icmpEchoFrame(const std::string& src, const std::string& dst,
                                        const MacAddress& dstMac = kHostMac);
std::vector<std::uint8_t> arpRequestFrame(const std::string& sender, const std::string& target);
InputFrame at(Nanos t, std::vector<std::uint8_t> bytes, std::string dev = "eth0");

// Counts drops by reason, fragments held for reassembly, and keeps what was transmitted.
struct Recorder : TraceObserver, TxObserver {
    std::map<DropReason, int> drops;
    int stolen = 0;
    std::vector<TxFrame> tx;
    void onTrace(const TraceEvent& e) override {
        if (e.verdict == Verdict::Dropped) ++drops[e.reason];
        if (e.verdict == Verdict::Stolen && e.stage == Stage::IpDefrag) ++stolen;
    }
    void onTransmit(const TxFrame& f) override { tx.push_back(f); }
};

// One batch run of a host over frames, recorded.
struct Run {
    Simulator sim;
    Recorder rec;
    Run(const HostConfig& h, std::vector<InputFrame> frames, Nanos settle = 2 * kSecond) : sim(h, 1) {
        sim.addTraceObserver(&rec);
        sim.addTxObserver(&rec);
        sim.setInput(std::make_shared<const std::vector<InputFrame>>(std::move(frames)));
        sim.run(settle);
    }
    std::uint64_t mib(Mib m) const { return sim.counters().get(m); }
};

// eth0 10.0.0.2/24 (a NIC, or a veth), default via 10.0.0.1, permanent neighbours.
HostConfig serverConfig(LinkKind kind = LinkKind::Ethernet);

// One `iptables ...` scenario line, split on spaces (no quoting).
IptablesInput iptablesLine(const std::string& line);

} // namespace stackscope::test
