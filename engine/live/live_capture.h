// SPDX-License-Identifier: GPL-3.0-or-later
// Live capture from an existing interface of the real host, through libpcap, read
// only: the simulated host sees a copy of what arrives there and its answers go
// nowhere. Only Ethernet interfaces are taken, so a recorded session replays the
// very bytes the simulator saw.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct pcap; // pcap_t

namespace stackscope::live {

struct LiveCaptureError {
    std::string interface;
    std::string message;
    bool permissionDenied = false; // capturing needs CAP_NET_RAW

    // "capture on IFACE: MESSAGE"
    std::string toString() const;
};

class LiveCapture {
  public:
    // Frames longer than this are cut; a live Ethernet frame never is.
    static constexpr int kSnapLength = 262144;

    // Opens `hostInterface` for incoming frames, with `filter` (BPF capture filter
    // syntax, as tcpdump takes it; empty: everything). nullptr with *error on failure.
    static std::unique_ptr<LiveCapture> open(const std::string& hostInterface,
                                             const std::string& filter, LiveCaptureError* error);
    ~LiveCapture();
    LiveCapture(const LiveCapture&) = delete;
    LiveCapture& operator=(const LiveCapture&) = delete;

    int fd() const { return m_fd; } // for poll()
    const std::string& interface() const { return m_interface; }

    enum class ReadResult { Frame, Empty, Error };
    ReadResult read(std::vector<std::uint8_t>& frame);
    const std::string& errorText() const { return m_errorText; }
    // Frames the kernel dropped because they were not read in time (pcap_stats ps_drop).
    std::uint64_t kernelDrops() const;
    // Frames read() completed the TCP/UDP checksum of (see completePartialChecksum).
    std::uint64_t checksumsCompleted() const { return m_checksumsCompleted; }

    // A frame the sending kernel left for checksum offload (CHECKSUM_PARTIAL: veth,
    // bridges, traffic of this machine) carries in its TCP/UDP checksum field only the
    // folded pseudo-header sum; the real receiver skips the check, the simulated one
    // would drop it as UDP_CSUM / TCP_CSUM. Writes the checksum the NIC would have and
    // returns true when `frame` (Ethernet, IPv4, not a fragment) is such a frame.
    static bool completePartialChecksum(std::vector<std::uint8_t>& frame);

  private:
    LiveCapture(pcap* handle, int fd, std::string interface);

    pcap* m_handle = nullptr;
    int m_fd = -1;
    std::string m_interface;
    std::string m_errorText;
    std::uint64_t m_checksumsCompleted = 0;
};

} // namespace stackscope::live
