// SPDX-License-Identifier: GPL-3.0-or-later
// The UDP header (RFC 768).
//
//   0      7 8     15 16    23 24    31
//  +--------+--------+--------+--------+
//  |     Source      |   Destination   |
//  |      Port       |      Port       |
//  +--------+--------+--------+--------+
//  |                 |                 |
//  |     Length      |    Checksum     |
//  +--------+--------+--------+--------+
//  |          data octets ...
//  +---------------- ...
//
// Length counts header and data. The checksum covers the IPv4 pseudo-header
// (source, destination, zero, protocol 17, UDP length), the header and the
// data. A transmitted checksum of zero means "none" over IPv4; a computed
// zero is sent as all ones (RFC 768 "Fields", the kernel's CSUM_MANGLED_0).
#pragma once

#include "wire/address.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/error.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace stackscope::wire {

inline constexpr std::size_t kUdpHeaderLen = 8;
inline constexpr std::size_t kUdpSrcPortOffset = 0;
inline constexpr std::size_t kUdpDstPortOffset = 2;
inline constexpr std::size_t kUdpLengthOffset = 4;
inline constexpr std::size_t kUdpChecksumOffset = 6;
inline constexpr std::uint8_t kUdpProtocol = 17;

// Zero-copy view of a UDP datagram; view() guarantees the 8-byte header.
class UdpPacket {
  public:
    static std::optional<UdpPacket> view(std::span<const std::uint8_t> bytes) {
        if (bytes.size() < kUdpHeaderLen) return std::nullopt;
        return UdpPacket(bytes);
    }

    // The length checks of __udp4_lib_rcv.
    std::optional<Error> check() const {
        if (length() < kUdpHeaderLen) return Error::BadHeaderLength;
        if (m_bytes.size() < length()) return Error::Truncated;
        return std::nullopt;
    }

    std::uint16_t srcPort() const { return loadBe16(m_bytes.data() + kUdpSrcPortOffset); }
    std::uint16_t dstPort() const { return loadBe16(m_bytes.data() + kUdpDstPortOffset); }
    std::uint16_t length() const { return loadBe16(m_bytes.data() + kUdpLengthOffset); }
    std::uint16_t checksum() const { return loadBe16(m_bytes.data() + kUdpChecksumOffset); }
    // Data up to min(length, buffer); empty when length is below the header size.
    std::span<const std::uint8_t> payload() const {
        std::size_t end = std::min<std::size_t>(length(), m_bytes.size());
        if (end <= kUdpHeaderLen) return {};
        return m_bytes.subspan(kUdpHeaderLen, end - kUdpHeaderLen);
    }
    // True for checksum 0 ("none"); false when the length field is invalid.
    bool verifyChecksum(Ipv4Address src, Ipv4Address dst) const {
        if (checksum() == 0) return true;
        if (check()) return false;
        std::uint32_t sum = pseudoHeaderSum(src, dst, kUdpProtocol, length());
        return internetChecksum(m_bytes.first(length()), sum) == 0;
    }
    std::span<const std::uint8_t> bytes() const { return m_bytes; }

  private:
    explicit UdpPacket(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}
    std::span<const std::uint8_t> m_bytes;
};

struct UdpRepr {
    std::uint16_t srcPort = 0;
    std::uint16_t dstPort = 0;
    std::span<const std::uint8_t> payload; // borrowed from the parsed buffer or the caller

    // Header and length checks only: the kernel defers the UDP checksum.
    static Result<UdpRepr> parse(std::span<const std::uint8_t> bytes);
    // The same, then BadChecksum if a nonzero checksum does not verify.
    static Result<UdpRepr> parse(std::span<const std::uint8_t> bytes, Ipv4Address src,
                                 Ipv4Address dst);

    std::size_t bufferLength() const { return kUdpHeaderLen + payload.size(); }
    // Writes bufferLength() bytes (header, payload, checksum) into out, which must be that long.
    void writeTo(std::span<std::uint8_t> out, Ipv4Address src, Ipv4Address dst) const;
};

} // namespace stackscope::wire
