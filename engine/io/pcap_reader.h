// SPDX-License-Identifier: GPL-3.0-or-later
// Reads pcap and pcapng captures through libpcap and turns every record into an
// Ethernet InputFrame. Linux cooked (SLL, SLL2) and raw IPv4 captures get a
// synthesized Ethernet header; other link types are refused when the file is opened.
#pragma once

#include "io/capture_error.h"
#include "sim/frame.h"
#include "sim/time.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct pcap; // pcap_t, kept out of this header so users need no libpcap include path

namespace stackscope::io {

// What a record the reader cannot convert (an SLL frame shorter than its header,
// an empty raw IP frame) does to the read.
enum class BadFramePolicy {
    Skip, // drop the frame, record a warning, go on with the next one
    Stop, // end the read; error() names the frame
};

class PcapReader final : public FrameSource {
  public:
    // Warnings beyond this many are counted but not kept.
    static constexpr std::size_t kMaxKeptWarnings = 100;

    // nullptr (and *error filled when given) when the file cannot be opened, is not a
    // capture, or has a link type the reader cannot convert. Frames are given `device`.
    static std::unique_ptr<PcapReader> open(const std::string& path, std::string device,
                                            CaptureError* error);
    ~PcapReader() override;
    PcapReader(const PcapReader&) = delete;
    PcapReader& operator=(const PcapReader&) = delete;

    // The next frame; nullopt at the end of the file or when the read stopped on an
    // error, which error() then holds.
    std::optional<InputFrame> next() override;

    const std::optional<CaptureError>& error() const { return m_error; }
    const std::vector<CaptureError>& warnings() const { return m_warnings; }
    std::uint64_t warningCount() const { return m_warningCount; }

    // Records read from the file, including the ones skipped with a warning.
    std::uint64_t framesRead() const { return m_framesRead; }
    // Frames whose timestamp went backwards and were given the previous frame's time.
    std::uint64_t reorderedTimestamps() const { return m_reordered; }

    int linkType() const { return m_linkType; }
    std::string linkTypeName() const;
    const std::string& path() const { return m_path; }

    // Added to every frame time; the first frame of the file is at `offset`.
    void setTimeOffset(Nanos offset) { m_timeOffset = offset; }
    void setBadFramePolicy(BadFramePolicy policy) { m_policy = policy; }

    // File position in bytes, for progress reporting.
    std::uint64_t bytePosition() const;

  private:
    PcapReader(pcap* handle, std::string path, std::string device, int linkType);

    Nanos frameTime(std::int64_t sec, std::int64_t nsec);
    // Fills frame.bytes and the l2 fields; an error message when the record cannot be
    // converted.
    std::optional<std::string> convert(const std::uint8_t* data, std::uint32_t caplen,
                                       std::uint32_t len, InputFrame& frame) const;
    void warn(std::uint64_t packet, std::string message);

    pcap* m_handle = nullptr;
    std::unique_ptr<char[]> m_streamBuffer; // the stdio buffer of m_handle's stream
    std::string m_path;
    std::string m_device;
    int m_linkType = 0;
    BadFramePolicy m_policy = BadFramePolicy::Skip;
    Nanos m_timeOffset = 0;

    bool m_done = false;
    bool m_haveBase = false;
    std::int64_t m_baseSec = 0;
    std::int64_t m_baseNsec = 0;
    Nanos m_lastTime = 0;

    std::uint64_t m_framesRead = 0;
    std::uint64_t m_reordered = 0;
    std::optional<CaptureError> m_error;
    std::vector<CaptureError> m_warnings;
    std::uint64_t m_warningCount = 0;
};

// Reads a whole capture into memory, for the GUI. `progress` is called now and then
// with the bytes read so far and the file size; returning false cancels the read.
// *error (when given) is reset first; afterwards its message is empty when the whole
// file was read. On a read error the frames before it are returned; on cancel the
// result is empty and the message is "reading cancelled".
std::vector<InputFrame>
readAll(const std::string& path, const std::string& device, CaptureError* error,
        std::vector<CaptureError>* warnings = nullptr,
        std::function<bool(std::uint64_t bytesRead, std::uint64_t fileSize)> progress = {});

// True when the file starts with a pcap magic number (either byte order, micro- or
// nanosecond) or a pcapng Section Header Block: tells captures from scenario files.
bool looksLikeCapture(const std::string& path);

} // namespace stackscope::io
