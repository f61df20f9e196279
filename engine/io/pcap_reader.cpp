// SPDX-License-Identifier: GPL-3.0-or-later
#include "io/pcap_reader.h"

#include "io/link_header.h"
#include "sim/frame_buffers.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdio_ext.h>
#include <filesystem>
#include <limits>

namespace stackscope::io {

namespace {

// libpcap reports LINKTYPE_RAW (101) as DLT_RAW, whose value differs between
// platforms; 101 is accepted too in case a build passes it through.
constexpr int kLinktypeRaw = 101;

constexpr std::size_t kStreamBuffer = 64 * 1024;

bool isSupportedLinkType(int dlt) {
    switch (dlt) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_RAW:
    case kLinktypeRaw:
    case DLT_IPV4:
        return true;
    default:
        return false;
    }
}

void setError(CaptureError* error, const std::string& path, std::uint64_t packet,
              std::string message) {
    if (error) *error = CaptureError{path, packet, std::move(message)};
}

// Virtual time must not wrap on absurd timestamps (pcapng times far past 2106).
Nanos saturatingAdd(Nanos a, Nanos b) {
    Nanos result = 0;
    if (__builtin_add_overflow(a, b, &result))
        return b > 0 ? std::numeric_limits<Nanos>::max() : std::numeric_limits<Nanos>::min();
    return result;
}

Nanos secondsToNanos(std::int64_t seconds) {
    Nanos result = 0;
    if (__builtin_mul_overflow(seconds, kSecond, &result))
        return seconds > 0 ? std::numeric_limits<Nanos>::max() : std::numeric_limits<Nanos>::min();
    return result;
}

} // namespace

std::unique_ptr<PcapReader> PcapReader::open(const std::string& path, std::string device,
                                             CaptureError* error) {
    // Opened here rather than by libpcap so that a file named "-" is not stdin.
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) {
        setError(error, path, 0, fmt::format("cannot open the file: {}", std::strerror(errno)));
        return nullptr;
    }
    // libpcap reads every record with two small freads: only this thread uses the stream,
    // so it needs no lock per call, and a larger buffer means fewer read system calls.
    // The buffer is ours: given none, glibc ignores the size and reads a block (4 KiB) at a
    // time. It lives as long as the reader, which closes the stream first.
    __fsetlocking(file, FSETLOCKING_BYCALLER);
    auto buffer = std::make_unique_for_overwrite<char[]>(kStreamBuffer);
    std::setvbuf(file, buffer.get(), _IOFBF, kStreamBuffer);
    std::array<char, PCAP_ERRBUF_SIZE> errbuf{};
    pcap_t* handle =
        pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf.data());
    if (!handle) {
        std::fclose(file); // libpcap leaves the stream to the caller when it fails
        std::string message = errbuf.data();
        setError(error, path, 0, message.empty() ? "not a capture file" : message);
        return nullptr;
    }
    const int dlt = pcap_datalink(handle);
    if (!isSupportedLinkType(dlt)) {
        const char* name = pcap_datalink_val_to_name(dlt);
        setError(error, path, 0,
                 fmt::format("link type {} is not supported (Ethernet, Linux cooked SLL/SLL2 "
                             "and raw IPv4 are)",
                             name ? fmt::format("{} ({})", name, dlt) : fmt::format("{}", dlt)));
        pcap_close(handle);
        return nullptr;
    }
    auto reader = std::unique_ptr<PcapReader>(new PcapReader(handle, path, std::move(device), dlt));
    reader->m_streamBuffer = std::move(buffer);
    return reader;
}

PcapReader::PcapReader(pcap* handle, std::string path, std::string device, int linkType)
    : m_handle(handle), m_path(std::move(path)), m_device(std::move(device)), m_linkType(linkType) {
}

PcapReader::~PcapReader() {
    if (m_handle) pcap_close(m_handle);
}

std::string PcapReader::linkTypeName() const {
    const char* name = pcap_datalink_val_to_name(m_linkType);
    return name ? std::string(name) : fmt::format("{}", m_linkType);
}

std::uint64_t PcapReader::bytePosition() const {
    std::FILE* file = pcap_file(m_handle);
    if (!file) return 0;
    const long position = std::ftell(file);
    return position < 0 ? 0 : static_cast<std::uint64_t>(position);
}

Nanos PcapReader::frameTime(std::int64_t sec, std::int64_t nsec) {
    if (!m_haveBase) {
        m_haveBase = true;
        m_baseSec = sec;
        m_baseNsec = nsec;
        m_lastTime = m_timeOffset;
        return m_lastTime;
    }
    std::int64_t deltaSec = 0;
    if (__builtin_sub_overflow(sec, m_baseSec, &deltaSec))
        deltaSec = sec > m_baseSec ? std::numeric_limits<std::int64_t>::max()
                                   : std::numeric_limits<std::int64_t>::min();
    // nsec is below 10^9 for valid files and below 10^12 for invalid microsecond ones
    // (libpcap scales them by 1000), so this difference cannot overflow.
    const Nanos relative = saturatingAdd(secondsToNanos(deltaSec), nsec - m_baseNsec);
    Nanos time = saturatingAdd(relative, m_timeOffset);
    if (time < m_lastTime) {
        time = m_lastTime;
        ++m_reordered;
    }
    m_lastTime = time;
    return time;
}

std::optional<std::string> PcapReader::convert(const std::uint8_t* data, std::uint32_t caplen,
                                               std::uint32_t len, InputFrame& frame) const {
    switch (m_linkType) {
    case DLT_EN10MB:
        frame.bytes.assign(data, data + caplen);
        frame.wireLength = len;
        return std::nullopt;
    case DLT_LINUX_SLL:
        return convertLinuxSll(data, caplen, len, frame);
    case DLT_LINUX_SLL2:
        return convertLinuxSll2(data, caplen, len, frame);
    case DLT_IPV4:
        return convertRawIp(data, caplen, len, RawIpKind::Ipv4Only, frame);
    default: // DLT_RAW, LINKTYPE_RAW
        return convertRawIp(data, caplen, len, RawIpKind::Ipv4OrIpv6, frame);
    }
}

void PcapReader::warn(std::uint64_t packet, std::string message) {
    ++m_warningCount;
    if (m_warnings.size() < kMaxKeptWarnings)
        m_warnings.push_back(CaptureError{m_path, packet, std::move(message)});
}

std::optional<InputFrame> PcapReader::next() {
    while (!m_done) {
        pcap_pkthdr* header = nullptr;
        const u_char* data = nullptr;
        const int rc = pcap_next_ex(m_handle, &header, &data);
        if (rc == PCAP_ERROR_BREAK) { // end of file
            m_done = true;
            break;
        }
        if (rc != 1) {
            // A savefile never times out (0), so anything but a record is an error.
            m_done = true;
            const char* message = pcap_geterr(m_handle);
            m_error = CaptureError{m_path, m_framesRead + 1,
                                   message && *message ? message : "cannot read the record"};
            break;
        }
        ++m_framesRead;
        InputFrame frame;
        frame.bytes = frame_buffers::take();
        frame.captureNumber = m_framesRead;
        frame.time = frameTime(header->ts.tv_sec, header->ts.tv_usec);
        frame.device = m_device;
        if (auto problem = convert(data, header->caplen, header->len, frame)) {
            if (m_policy == BadFramePolicy::Stop) {
                m_done = true;
                m_error = CaptureError{m_path, m_framesRead, std::move(*problem)};
                break;
            }
            warn(m_framesRead, std::move(*problem));
            continue;
        }
        return frame;
    }
    return std::nullopt;
}

std::vector<InputFrame>
readAll(const std::string& path, const std::string& device, CaptureError* error,
        std::vector<CaptureError>* warnings,
        std::function<bool(std::uint64_t bytesRead, std::uint64_t fileSize)> progress) {
    if (error) *error = CaptureError{};
    if (warnings) warnings->clear();
    std::vector<InputFrame> frames;
    auto reader = PcapReader::open(path, device, error);
    if (!reader) return frames;

    std::error_code sizeError;
    const auto size = std::filesystem::file_size(path, sizeError);
    const std::uint64_t fileSize = sizeError ? 0 : static_cast<std::uint64_t>(size);
    constexpr std::uint64_t kProgressEvery = 4096;
    const auto cancelled = [&](std::uint64_t position) {
        if (!progress || progress(position, fileSize)) return false;
        frames.clear();
        frames.shrink_to_fit();
        setError(error, path, 0, "reading cancelled");
        return true;
    };
    if (cancelled(0)) return frames;
    while (auto frame = reader->next()) {
        frames.push_back(std::move(*frame));
        if (frames.size() % kProgressEvery == 0 && cancelled(reader->bytePosition())) return frames;
    }
    if (warnings) *warnings = reader->warnings();
    if (reader->error()) {
        if (error) *error = *reader->error();
    } else if (cancelled(fileSize)) {
        return frames;
    }
    return frames;
}

bool looksLikeCapture(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) return false;
    std::array<unsigned char, 4> magic{};
    const std::size_t got = std::fread(magic.data(), 1, magic.size(), file);
    std::fclose(file);
    if (got != magic.size()) return false;
    const std::uint32_t value = (std::uint32_t{magic[0]} << 24) | (std::uint32_t{magic[1]} << 16) |
                                (std::uint32_t{magic[2]} << 8) | std::uint32_t{magic[3]};
    switch (value) {
    case 0xa1b2c3d4: // pcap, microseconds, big-endian file
    case 0xd4c3b2a1: // pcap, microseconds, little-endian file
    case 0xa1b23c4d: // pcap, nanoseconds, big-endian file
    case 0x4d3cb2a1: // pcap, nanoseconds, little-endian file
    case 0x0a0d0d0a: // pcapng Section Header Block type
        return true;
    default:
        return false;
    }
}

} // namespace stackscope::io
