// SPDX-License-Identifier: GPL-3.0-or-later
// A capture taken on the host itself holds both directions. The frames the host
// sent (its own MAC, SLL packet type PACKET_OUTGOING, or for raw IP its own source
// address) are not traffic it receives: they are kept here as the recorded output.
// The host lines up the choices the kernel makes at random with them (ISN, TSval
// offset, IP IDs, ephemeral ports), so a recorded conversation replays as it
// happened, and every frame the engine transmits is compared with its recorded
// counterpart.
#pragma once

#include "sim/frame.h"
#include "sim/time.h"
#include "sim/trace.h"
#include "stack/tcp.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace stackscope::stack {

// One frame the host sent, as the capture recorded it.
struct RecordedPacket {
    Nanos time = 0;
    int ifindex = 0;
    std::string device;
    std::uint64_t captureNumber = 0;
    bool l2Synthesized = false; // the capture had no Ethernet header: MACs are not compared
    std::vector<std::uint8_t> bytes; // an Ethernet frame
    // Decoded once for the lookups; zero when the frame is not IPv4.
    bool ipv4 = false;
    std::uint32_t src = 0, dst = 0;
    std::uint8_t protocol = 0;
    std::uint16_t ipId = 0;
    std::uint16_t sport = 0, dport = 0;
    std::uint8_t tcpFlags = 0;
    std::uint32_t seq = 0;
    std::optional<std::uint32_t> tsval;
    bool idFollowed = false; // an IP ID choice already took this frame's ID
    bool matched = false;    // an engine frame was compared with it
};

struct OwnOutputDifference {
    std::uint64_t captureNumber = 0; // the recorded frame in its capture
    Nanos recordedTime = 0;
    Nanos engineTime = 0;
    PacketId packet = kNoPacket;     // the engine's packet
    std::string device;
    std::string field;               // "ip.id", "tcp.window", "time", ...
    std::string recorded;
    std::string engine;
};

struct OwnOutputUnmatched {
    std::uint64_t captureNumber = 0; // recorded frames only
    PacketId packet = kNoPacket;     // engine frames only
    Nanos time = 0;
    std::string device;
    std::string summary;             // "10.0.0.2:80 > 10.0.0.7:40000 tcp [S.] seq 1 ack 2"
};

struct OwnOutputReport {
    std::uint64_t recorded = 0;       // frames of the host's own found in the input
    std::uint64_t matched = 0;        // engine frames paired with a recorded one
    std::uint64_t differingFrames = 0;
    std::uint64_t differenceCount = 0;
    std::uint64_t missingCount = 0;   // recorded, never sent by the engine
    std::uint64_t extraCount = 0;     // sent by the engine, not in the recording
    std::vector<OwnOutputDifference> differences; // the first kMaxListed
    std::vector<OwnOutputUnmatched> missing;
    std::vector<OwnOutputUnmatched> extra;
};

// "10.0.0.2:80 > 10.0.0.7:40000 tcp [S.] seq 1 ack 2 win 64240 len 0" for an Ethernet frame.
std::string describeFrame(const std::vector<std::uint8_t>& frame);

class RecordedOutput {
public:
    // The input is read ahead this far so a recorded reply is known before the engine
    // makes the choice it shows; recorded frames older than this behind the clock and
    // still unmatched are missing.
    static constexpr Nanos kReadAhead = 2 * kSecond;
    // Send times closer than this to the recorded ones are the same (timers tick in jiffies).
    static constexpr Nanos kTimeTolerance = 10 * kMillisecond;
    static constexpr std::size_t kMaxListed = 100;
    // Received frames held while reading ahead, at most (memory stays bounded).
    static constexpr std::size_t kReadAheadFrames = 4096;
    // The same bound while no frame of the host's own has been met: a capture taken
    // elsewhere streams through a window that stays in the CPU cache, and the first own
    // frame (a reply follows its request closely) still arrives ahead of the choice.
    static constexpr std::size_t kReadAheadFramesIdle = 1024;

    bool active() const { return m_report.recorded > 0; }
    bool recordedOn(int ifindex) const { return m_interfaces.count(ifindex) != 0; }
    void add(const InputFrame& frame, int ifindex);

    // Pairs a transmitted frame with its recorded counterpart and compares them.
    void onEngineTransmit(const TxFrame& frame);
    // Recorded frames more than kReadAhead behind `now` that nothing matched are missing.
    void expire(Nanos now);
    // The comparison so far; frames still waiting for their engine counterpart count as
    // missing here (the run is over when a report is read).
    OwnOutputReport report() const;

    // --- lookups for the choices that follow the recording ---
    // Our SYN or SYN-ACK of this connection: its sequence number is the ISN.
    std::optional<std::uint32_t> tcpIsn(const TcpFlowKey& key) const;
    // The TSval offset that gives our recorded SYN or SYN-ACK's TSval on a millisecond
    // clock of virtual time (tcp_clock_ms + ts_off).
    std::optional<std::uint32_t> tcpTsOffset(const TcpFlowKey& key) const;
    // The IP ID of the first packet a full socket of this connection sent (inet_id).
    std::optional<std::uint16_t> tcpFirstIpId(const TcpFlowKey& key) const;
    // The IP ID of the next recorded non-TCP packet to `dst` of `protocol` whose ID no
    // choice took yet; marks it taken.
    std::optional<std::uint16_t> followIpId(std::uint32_t dst, std::uint8_t protocol, Nanos now);
    // The source port our recorded packets of this flow used (inet_autobind, or the
    // ephemeral port of connect: the first SYN not answered yet). localAddr 0 matches any.
    std::optional<std::uint16_t> ephemeralPort(std::uint8_t protocol, std::uint32_t localAddr,
                                               std::uint32_t remoteAddr, std::uint16_t remotePort);

private:
    // Flows ordered by destination and protocol first, so lookups by destination are a range.
    struct FlowKey {
        std::uint32_t dst = 0;
        std::uint8_t protocol = 0;
        std::uint32_t src = 0;
        std::uint16_t sport = 0, dport = 0;
        auto operator<=>(const FlowKey&) const = default;
    };
    static FlowKey flowOf(const RecordedPacket& p);
    RecordedPacket* at(std::uint64_t serial);
    const RecordedPacket* at(std::uint64_t serial) const;
    std::optional<std::uint64_t> findCounterpart(const RecordedPacket& sent) const;
    void compare(const RecordedPacket& recorded, const RecordedPacket& sent, PacketId packet);
    void addDifference(const RecordedPacket& recorded, const RecordedPacket& sent, PacketId packet,
                       std::string field, std::string rec, std::string eng);
    void unindex(const RecordedPacket& p, std::uint64_t serial);
    void noteMissing(const RecordedPacket& p, OwnOutputReport& into) const;
    void popFront();

    std::deque<RecordedPacket> m_pending; // in capture order; matched ones wait to be popped
    std::uint64_t m_frontSerial = 0;      // serial of m_pending.front()
    std::map<FlowKey, std::deque<std::uint64_t>> m_flows; // unmatched serials per flow
    std::set<int> m_interfaces;           // interfaces whose capture held our output
    std::map<std::tuple<std::uint8_t, std::uint32_t, std::uint32_t, std::uint16_t>, std::uint16_t>
        m_ports; // autobind choices already made, kept when their frames are gone
    OwnOutputReport m_report;
};

// Hands the host's transmitted frames to its recorded-output store. Copies start
// detached: the host attaches its own when it runs (a copied host is a snapshot).
class RecordedOutputTap final : public TxObserver {
public:
    RecordedOutputTap() = default;
    RecordedOutputTap(const RecordedOutputTap&) {}
    RecordedOutputTap& operator=(const RecordedOutputTap&) { return *this; }
    void onTransmit(const TxFrame& frame) override {
        if (store) store->onEngineTransmit(frame);
    }
    RecordedOutput* store = nullptr;
};

} // namespace stackscope::stack
