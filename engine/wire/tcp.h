// SPDX-License-Identifier: GPL-3.0-or-later
// The TCP header (RFC 9293 section 3.1; ECE/CWR from RFC 3168 section 6.1).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |          Source Port          |       Destination Port        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                        Sequence Number                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Acknowledgment Number                      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Data |       |C|E|U|A|P|R|S|F|                               |
//  | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//  |       |       |R|E|G|K|H|T|N|N|                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |           Checksum            |         Urgent Pointer        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                           [Options]                           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                             Data ...
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The checksum covers the IPv4 pseudo-header (protocol 6, TCP length), the
// header and the data. TCP has no length field: the segment is the IP payload.
#pragma once

#include "wire/address.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/error.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace stackscope::wire {

inline constexpr std::size_t kTcpMinHeaderLen = 20;
inline constexpr std::size_t kTcpMaxHeaderLen = 60;
inline constexpr std::size_t kTcpMaxOptionsLen = 40;
inline constexpr std::uint8_t kTcpProtocol = 6;

inline constexpr std::size_t kTcpSrcPortOffset = 0;
inline constexpr std::size_t kTcpDstPortOffset = 2;
inline constexpr std::size_t kTcpSeqOffset = 4;
inline constexpr std::size_t kTcpAckOffset = 8;
inline constexpr std::size_t kTcpDataOffsetOffset = 12;
inline constexpr std::size_t kTcpFlagsOffset = 13;
inline constexpr std::size_t kTcpWindowOffset = 14;
inline constexpr std::size_t kTcpChecksumOffset = 16;
inline constexpr std::size_t kTcpUrgentOffset = 18;
inline constexpr std::size_t kTcpOptionsOffset = 20;

// Control bits (RFC 9293 section 3.1; ECE and CWR from RFC 3168).
inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpPsh = 0x08;
inline constexpr std::uint8_t kTcpAck = 0x10;
inline constexpr std::uint8_t kTcpUrg = 0x20;
inline constexpr std::uint8_t kTcpEce = 0x40;
inline constexpr std::uint8_t kTcpCwr = 0x80;

// Option kinds and their fixed lengths (RFC 9293 section 3.2; window scale and
// timestamps RFC 7323; SACK RFC 2018).
inline constexpr std::uint8_t kTcpOptEol = 0;
inline constexpr std::uint8_t kTcpOptNop = 1;
inline constexpr std::uint8_t kTcpOptMss = 2;
inline constexpr std::uint8_t kTcpOptWindowScale = 3;
inline constexpr std::uint8_t kTcpOptSackPermitted = 4;
inline constexpr std::uint8_t kTcpOptSack = 5;
inline constexpr std::uint8_t kTcpOptTimestamp = 8;
inline constexpr std::uint8_t kTcpOptLenMss = 4;
inline constexpr std::uint8_t kTcpOptLenWindowScale = 3;
inline constexpr std::uint8_t kTcpOptLenSackPermitted = 2;
inline constexpr std::uint8_t kTcpOptLenTimestamp = 10;
inline constexpr std::uint8_t kTcpOptLenSackBlock = 8;
inline constexpr std::size_t kTcpMaxSackBlocks = 4;
// Shifts above 14 are treated as 14 (RFC 7323 section 2.3).
inline constexpr std::uint8_t kTcpMaxWindowScale = 14;

// Zero-copy view of a TCP segment. view() guarantees the 20-byte fixed
// header; options() and payload() clamp to the buffer; check() validates.
class TcpPacket {
  public:
    static std::optional<TcpPacket> view(std::span<const std::uint8_t> bytes) {
        if (bytes.size() < kTcpMinHeaderLen) return std::nullopt;
        return TcpPacket(bytes);
    }

    // tcp_v4_rcv: data offset at least 5 words and the header inside the buffer.
    std::optional<Error> check() const {
        if (dataOffset() < 5) return Error::BadHeaderLength;
        if (m_bytes.size() < headerLength()) return Error::Truncated;
        return std::nullopt;
    }

    std::uint16_t srcPort() const { return loadBe16(m_bytes.data() + kTcpSrcPortOffset); }
    std::uint16_t dstPort() const { return loadBe16(m_bytes.data() + kTcpDstPortOffset); }
    std::uint32_t seqNumber() const { return loadBe32(m_bytes.data() + kTcpSeqOffset); }
    std::uint32_t ackNumber() const { return loadBe32(m_bytes.data() + kTcpAckOffset); }
    std::uint8_t dataOffset() const { return m_bytes[kTcpDataOffsetOffset] >> 4; } // 32-bit words
    std::size_t headerLength() const { return std::size_t(dataOffset()) * 4; }
    std::uint8_t flags() const { return m_bytes[kTcpFlagsOffset]; }
    bool fin() const { return (flags() & kTcpFin) != 0; }
    bool syn() const { return (flags() & kTcpSyn) != 0; }
    bool rst() const { return (flags() & kTcpRst) != 0; }
    bool psh() const { return (flags() & kTcpPsh) != 0; }
    bool ack() const { return (flags() & kTcpAck) != 0; }
    bool urg() const { return (flags() & kTcpUrg) != 0; }
    bool ece() const { return (flags() & kTcpEce) != 0; }
    bool cwr() const { return (flags() & kTcpCwr) != 0; }
    std::uint16_t window() const { return loadBe16(m_bytes.data() + kTcpWindowOffset); }
    std::uint16_t checksum() const { return loadBe16(m_bytes.data() + kTcpChecksumOffset); }
    std::uint16_t urgentPointer() const { return loadBe16(m_bytes.data() + kTcpUrgentOffset); }

    std::span<const std::uint8_t> options() const {
        std::size_t end = std::min(headerLength(), m_bytes.size());
        if (end <= kTcpOptionsOffset) return {};
        return m_bytes.subspan(kTcpOptionsOffset, end - kTcpOptionsOffset);
    }
    std::span<const std::uint8_t> payload() const {
        std::size_t begin = std::max(headerLength(), kTcpMinHeaderLen);
        if (begin >= m_bytes.size()) return {};
        return m_bytes.subspan(begin);
    }
    // Over the whole buffer, which must be exactly the segment (the IP payload).
    bool verifyChecksum(Ipv4Address src, Ipv4Address dst) const {
        if (m_bytes.size() > 0xffff) return false;
        std::uint32_t sum = pseudoHeaderSum(src, dst, kTcpProtocol, std::uint16_t(m_bytes.size()));
        return internetChecksum(m_bytes, sum) == 0;
    }
    std::span<const std::uint8_t> bytes() const { return m_bytes; }

  private:
    explicit TcpPacket(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}
    std::span<const std::uint8_t> m_bytes;
};

struct TcpOption {
    std::uint8_t kind = 0;
    std::uint8_t length = 1;            // whole option; 1 for EOL and NOP
    std::span<const std::uint8_t> data; // bytes after kind and length
    std::size_t offset = 0;             // from the start of the options
};

// Walks the options without allocating. next() returns nullopt at the end
// (after EOL) or on a malformed option, which error() then reports: no room
// for the length byte, a length below 2 or past the header, or a known kind
// with the wrong length. (The kernel's tcp_parse_options stops at the first
// two and skips the third; callers wanting that can use the raw options.)
class TcpOptionReader {
  public:
    explicit TcpOptionReader(std::span<const std::uint8_t> options) : m_options(options) {}
    std::optional<TcpOption> next();
    std::optional<Error> error() const { return m_error; }
    std::size_t errorOffset() const { return m_errorOffset; }

  private:
    std::span<const std::uint8_t> m_options;
    std::size_t m_pos = 0;
    bool m_done = false;
    std::optional<Error> m_error;
    std::size_t m_errorOffset = 0;
};

struct TcpTimestamps {
    std::uint32_t value = 0; // TSval
    std::uint32_t echo = 0;  // TSecr
    bool operator==(const TcpTimestamps&) const = default;
};

struct TcpSackBlock {
    std::uint32_t left = 0;
    std::uint32_t right = 0;
    bool operator==(const TcpSackBlock&) const = default;
};

// The options TCP acts on, decoded.
struct TcpOptions {
    std::optional<std::uint16_t> mss;
    std::optional<std::uint8_t> windowScale; // as sent; the receiver caps it at 14
    bool sackPermitted = false;
    std::optional<TcpTimestamps> timestamps;
    std::array<TcpSackBlock, kTcpMaxSackBlocks> sackBlocks{};
    std::uint8_t sackBlockCount = 0;

    bool operator==(const TcpOptions&) const = default;
};

Result<TcpOptions> parseTcpOptions(std::span<const std::uint8_t> options);

struct TcpRepr {
    std::uint16_t srcPort = 0;
    std::uint16_t dstPort = 0;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;
    std::uint16_t urgentPointer = 0;
    TcpOptions options;
    std::span<const std::uint8_t> payload; // borrowed from the parsed buffer or the caller

    // Header checks and options (Malformed); the checksum is not looked at.
    static Result<TcpRepr> parse(std::span<const std::uint8_t> bytes);
    // The same, then BadChecksum if the checksum does not verify.
    static Result<TcpRepr> parse(std::span<const std::uint8_t> bytes, Ipv4Address src,
                                 Ipv4Address dst);

    // Options are laid out as Linux's tcp_options_write does: MSS; SACK
    // permitted folded with timestamps (or NOP NOP TS); NOP NOP SACK-permitted
    // alone; NOP window scale; NOP NOP SACK blocks. Always a multiple of 4.
    std::size_t optionsLength() const;
    std::size_t headerLength() const { return kTcpMinHeaderLen + optionsLength(); }
    std::size_t bufferLength() const { return headerLength() + payload.size(); }
    // Writes bufferLength() bytes (header, options, payload, checksum) into out.
    void writeTo(std::span<std::uint8_t> out, Ipv4Address src, Ipv4Address dst) const;
};

} // namespace stackscope::wire
