// SPDX-License-Identifier: GPL-3.0-or-later
#include "live/live_capture.h"

#include "wire/checksum.h"
#include "wire/ipv4.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <span>

namespace stackscope::live {

std::string LiveCaptureError::toString() const {
    return "capture on " + interface + ": " + message;
}

LiveCapture::LiveCapture(pcap* handle, int fd, std::string interface)
    : m_handle(handle), m_fd(fd), m_interface(std::move(interface)) {}

LiveCapture::~LiveCapture() {
    pcap_close(m_handle);
}

std::unique_ptr<LiveCapture> LiveCapture::open(const std::string& hostInterface,
                                               const std::string& filter, LiveCaptureError* error) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    auto fail = [&](std::string message, bool denied = false) -> std::unique_ptr<LiveCapture> {
        if (error) *error = LiveCaptureError{hostInterface, std::move(message), denied};
        return nullptr;
    };
    pcap_t* handle = pcap_create(hostInterface.c_str(), errbuf);
    if (!handle) return fail(errbuf);
    // Immediate mode: a frame reaches the simulator when it arrives, not when a
    // buffer fills, since virtual time follows the wall clock.
    pcap_set_snaplen(handle, kSnapLength);
    pcap_set_promisc(handle, 0);
    pcap_set_immediate_mode(handle, 1);
    const int rc = pcap_activate(handle);
    if (rc < 0) {
        std::string message = pcap_geterr(handle);
        pcap_close(handle);
        switch (rc) {
        case PCAP_ERROR_PERM_DENIED:
            return fail("permission denied: capturing needs CAP_NET_RAW (" + message + ")", true);
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return fail("no such interface on this host");
        case PCAP_ERROR_IFACE_NOT_UP:
            return fail("the interface is down");
        default:
            return fail(message);
        }
    }
    const int link = pcap_datalink(handle);
    if (link != DLT_EN10MB) {
        const char* name = pcap_datalink_val_to_name(link);
        pcap_close(handle);
        return fail(std::string("not an Ethernet interface (link type ") +
                    (name ? name : "unknown") +
                    "); capture from an Ethernet interface or use a TAP device");
    }
    // A copy of what arrives: the real host's own transmissions are not input.
    pcap_setdirection(handle, PCAP_D_IN);
    if (!filter.empty()) {
        bpf_program program{};
        if (pcap_compile(handle, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) < 0) {
            std::string message = pcap_geterr(handle);
            pcap_close(handle);
            return fail("bad capture filter \"" + filter + "\": " + message);
        }
        const int set = pcap_setfilter(handle, &program);
        pcap_freecode(&program);
        if (set < 0) {
            std::string message = pcap_geterr(handle);
            pcap_close(handle);
            return fail("cannot install the capture filter: " + message);
        }
    }
    if (pcap_setnonblock(handle, 1, errbuf) < 0) {
        pcap_close(handle);
        return fail(errbuf);
    }
    const int fd = pcap_get_selectable_fd(handle);
    if (fd < 0) {
        pcap_close(handle);
        return fail("the interface cannot be polled");
    }
    return std::unique_ptr<LiveCapture>(new LiveCapture(handle, fd, hostInterface));
}

LiveCapture::ReadResult LiveCapture::read(std::vector<std::uint8_t>& frame) {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(m_handle, &header, &data);
    if (rc == 1) {
        frame.assign(data, data + header->caplen);
        if (completePartialChecksum(frame)) ++m_checksumsCompleted;
        return ReadResult::Frame;
    }
    frame.clear();
    if (rc == 0) return ReadResult::Empty;
    m_errorText = pcap_geterr(m_handle);
    return ReadResult::Error;
}

std::uint64_t LiveCapture::kernelDrops() const {
    pcap_stat stats{};
    if (pcap_stats(m_handle, &stats) < 0) return 0;
    return stats.ps_drop;
}

bool LiveCapture::completePartialChecksum(std::vector<std::uint8_t>& frame) {
    constexpr std::size_t kEth = 14;
    if (frame.size() < kEth + 20 || frame[12] != 0x08 || frame[13] != 0x00) return false;
    const std::span<std::uint8_t> ip = std::span<std::uint8_t>(frame).subspan(kEth);
    const std::size_t ihl = std::size_t(ip[0] & 0x0f) * 4;
    const std::size_t total = std::size_t(ip[2]) << 8 | ip[3];
    const bool fragment = ((ip[6] & 0x3f) | ip[7]) != 0; // MF or an offset
    if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || total > ip.size() || fragment) return false;
    const std::uint8_t protocol = ip[9];
    std::size_t checkOffset = 0;
    if (protocol == wire::kIpProtoTcp)
        checkOffset = 16;
    else if (protocol == wire::kIpProtoUdp)
        checkOffset = 6;
    else
        return false;
    const std::span<std::uint8_t> l4 = ip.subspan(ihl, total - ihl);
    if (l4.size() < checkOffset + 2) return false;
    const auto be32 = [](std::span<const std::uint8_t> b) {
        return std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | std::uint32_t(b[2]) << 8 | b[3];
    };
    const std::uint32_t pseudo =
        wire::pseudoHeaderSum(wire::Ipv4Address{be32(ip.subspan(12, 4))},
                              wire::Ipv4Address{be32(ip.subspan(16, 4))}, protocol,
                              std::uint16_t(l4.size()));
    const std::uint16_t field = std::uint16_t(l4[checkOffset] << 8 | l4[checkOffset + 1]);
    if (field != std::uint16_t(~wire::checksumFold(pseudo))) return false;
    // A correct checksum may hold that value too (once in 65536): leave it alone.
    if (wire::internetChecksum(l4, pseudo) == 0) return false;
    l4[checkOffset] = 0;
    l4[checkOffset + 1] = 0;
    std::uint16_t sum = wire::internetChecksum(l4, pseudo);
    if (sum == 0 && protocol == wire::kIpProtoUdp) sum = 0xffff; // 0 means "no checksum"
    l4[checkOffset] = std::uint8_t(sum >> 8);
    l4[checkOffset + 1] = std::uint8_t(sum);
    return true;
}

} // namespace stackscope::live
