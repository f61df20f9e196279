// SPDX-License-Identifier: GPL-3.0-or-later
// Frames entering and leaving the simulated host. Input frames are Ethernet
// frames (captures of other link types are given an Ethernet header on load).
#pragma once

#include "sim/time.h"
#include "sim/trace.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stackscope {

struct InputFrame {
    Nanos time = 0;     // virtual arrival time
    std::string device; // interface it arrives on
    std::vector<std::uint8_t> bytes;
    std::uint32_t wireLength = 0; // original length when the capture truncated it (snaplen)
    // Captures without an Ethernet header (Linux cooked, raw IP) get a synthesized one; the
    // simulator then addresses it to the receiving interface according to l2PacketType
    // (0 host, 1 broadcast, 2 multicast, 3 other host: the SLL packet types).
    bool l2Synthesized = false;
    std::uint8_t l2PacketType = 0;
    std::uint64_t captureNumber = 0; // 1-based frame number in its capture file
};

// Asks the CPU to start loading a frame's first `upTo` bytes while other work runs. A
// frame read on another thread reaches the model's core only when first touched; a
// load that waits for it costs hundreds of cycles, most of a small packet's budget.
inline void prefetchFrame(const InputFrame& frame, std::size_t upTo) {
    constexpr std::size_t kLine = 64;
    const std::uint8_t* p = frame.bytes.data();
    const std::size_t n = std::min(frame.bytes.size(), upTo);
    for (std::size_t at = 0; at < n; at += kLine) __builtin_prefetch(p + at);
}

// A stream of input frames in non-decreasing time order; the CLI streams a
// capture through one so memory stays flat however large the file is.
class FrameSource {
public:
    virtual ~FrameSource() = default;
    virtual std::optional<InputFrame> next() = 0;
};

struct TxFrame {
    Nanos time = 0;
    int ifindex = 0;
    std::string device;
    PacketId packet = kNoPacket;
    std::vector<std::uint8_t> bytes;
};

class TxObserver {
public:
    virtual ~TxObserver() = default;
    virtual void onTransmit(const TxFrame& frame) = 0;
};

} // namespace stackscope
