// SPDX-License-Identifier: GPL-3.0-or-later
// A large, reproducible Ethernet/IPv4/UDP capture for the batch-mode benchmark.
// The frames are addressed to the host of bench/bench.scn (eth0 02:00:00:00:00:02,
// 10.0.0.2/24), arriving from remote hosts behind its gateway 10.0.0.1, so the
// model's receive path, socket queues and ICMP replies all get work.
#pragma once

#include "sim/time.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace stackscope::bench {

// What a synthetic frame is meant to exercise.
enum class FrameKind : std::uint8_t {
    ListeningPort, // UDP to a port with a bound socket (53 or 514)
    ClosedPort,    // UDP to a port nobody listens on: ICMP port unreachable
    OtherHost,     // unicast to another MAC: dropped by the NIC address filter
    Malformed,     // a broken IP or UDP header, one of several kinds in turn
};

struct SyntheticCaptureOptions {
    std::uint64_t frames = 1'000'000;
    std::uint64_t seed = 1;
    Nanos interval = 10 * kMicrosecond; // capture time between consecutive frames
};

struct SyntheticCaptureStats {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0; // frame bytes, without pcap headers
    std::uint64_t listeningPort = 0;
    std::uint64_t closedPort = 0;
    std::uint64_t otherHost = 0;
    std::uint64_t malformed = 0;
};

// Builds frame number `index` (0-based) of the sequence for `seed`; the kind it
// chose is stored in *kind when given. Equal arguments give equal bytes.
std::vector<std::uint8_t> syntheticFrame(std::uint64_t seed, std::uint64_t index,
                                         FrameKind* kind = nullptr);

// Writes a classic pcap file (nanosecond timestamps, LINKTYPE_ETHERNET). Returns an
// error message naming the file when it cannot be created or written.
std::optional<std::string> writeSyntheticCapture(const std::string& path,
                                                 const SyntheticCaptureOptions& options,
                                                 SyntheticCaptureStats* stats = nullptr);

} // namespace stackscope::bench
