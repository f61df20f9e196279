// SPDX-License-Identifier: GPL-3.0-or-later
// ICMP for IPv4 (RFC 792; "next-hop MTU" from RFC 1191 section 4).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       Rest of header                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Data ... (errors: the offending IP header + 64 bits)
//  +-+-+-+-+-+-+-+-+-
//
// Rest of header by type: Echo/Timestamp/AddressMask: identifier (16) and
// sequence number (16). Redirect: gateway address. Destination unreachable:
// unused (16) and next-hop MTU (16) for "fragmentation needed". Parameter
// problem: pointer (8) and unused (24). The checksum covers the whole message.
#pragma once

#include "wire/address.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/error.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace stackscope::wire {

inline constexpr std::size_t kIcmpHeaderLen = 8;
inline constexpr std::size_t kIcmpTypeOffset = 0;
inline constexpr std::size_t kIcmpCodeOffset = 1;
inline constexpr std::size_t kIcmpChecksumOffset = 2;
inline constexpr std::size_t kIcmpRestOffset = 4;
inline constexpr std::size_t kIcmpIdOffset = 4;
inline constexpr std::size_t kIcmpSeqOffset = 6;
inline constexpr std::size_t kIcmpMtuOffset = 6;
inline constexpr std::size_t kIcmpPayloadOffset = 8;

// Message types (RFC 792; address mask from RFC 950).
inline constexpr std::uint8_t kIcmpEchoReply = 0;
inline constexpr std::uint8_t kIcmpDestUnreach = 3;
inline constexpr std::uint8_t kIcmpSourceQuench = 4;
inline constexpr std::uint8_t kIcmpRedirect = 5;
inline constexpr std::uint8_t kIcmpEcho = 8;
inline constexpr std::uint8_t kIcmpTimeExceeded = 11;
inline constexpr std::uint8_t kIcmpParameterProblem = 12;
inline constexpr std::uint8_t kIcmpTimestamp = 13;
inline constexpr std::uint8_t kIcmpTimestampReply = 14;
inline constexpr std::uint8_t kIcmpInfoRequest = 15;
inline constexpr std::uint8_t kIcmpInfoReply = 16;
inline constexpr std::uint8_t kIcmpAddressMask = 17;
inline constexpr std::uint8_t kIcmpAddressMaskReply = 18;

// Destination unreachable codes (RFC 792; 5-12 RFC 1122 section 3.2.2.1;
// 13-15 RFC 1812 section 5.2.7.1).
inline constexpr std::uint8_t kIcmpNetUnreach = 0;
inline constexpr std::uint8_t kIcmpHostUnreach = 1;
inline constexpr std::uint8_t kIcmpProtUnreach = 2;
inline constexpr std::uint8_t kIcmpPortUnreach = 3;
inline constexpr std::uint8_t kIcmpFragNeeded = 4;
inline constexpr std::uint8_t kIcmpSrFailed = 5;
inline constexpr std::uint8_t kIcmpNetUnknown = 6;
inline constexpr std::uint8_t kIcmpHostUnknown = 7;
inline constexpr std::uint8_t kIcmpHostIsolated = 8;
inline constexpr std::uint8_t kIcmpNetAno = 9;   // network administratively prohibited
inline constexpr std::uint8_t kIcmpHostAno = 10; // host administratively prohibited
inline constexpr std::uint8_t kIcmpNetUnrTos = 11;
inline constexpr std::uint8_t kIcmpHostUnrTos = 12;
inline constexpr std::uint8_t kIcmpPktFiltered = 13; // communication administratively prohibited
inline constexpr std::uint8_t kIcmpPrecViolation = 14;
inline constexpr std::uint8_t kIcmpPrecCutoff = 15;

// Redirect codes (RFC 792).
inline constexpr std::uint8_t kIcmpRedirNet = 0;
inline constexpr std::uint8_t kIcmpRedirHost = 1;
inline constexpr std::uint8_t kIcmpRedirNetTos = 2;
inline constexpr std::uint8_t kIcmpRedirHostTos = 3;

// Time exceeded codes (RFC 792).
inline constexpr std::uint8_t kIcmpExcTtl = 0;
inline constexpr std::uint8_t kIcmpExcFragTime = 1;

// True for the error messages that quote an IP header (icmp_is_err in the kernel).
constexpr bool icmpIsError(std::uint8_t type) {
    return type == kIcmpDestUnreach || type == kIcmpSourceQuench || type == kIcmpRedirect ||
           type == kIcmpTimeExceeded || type == kIcmpParameterProblem;
}

// Zero-copy view of an ICMP message; view() guarantees the 8-byte header.
class IcmpPacket {
  public:
    static std::optional<IcmpPacket> view(std::span<const std::uint8_t> bytes) {
        if (bytes.size() < kIcmpHeaderLen) return std::nullopt;
        return IcmpPacket(bytes);
    }

    std::uint8_t type() const { return m_bytes[kIcmpTypeOffset]; }
    std::uint8_t code() const { return m_bytes[kIcmpCodeOffset]; }
    std::uint16_t checksum() const { return loadBe16(m_bytes.data() + kIcmpChecksumOffset); }
    std::uint32_t restOfHeader() const { return loadBe32(m_bytes.data() + kIcmpRestOffset); }
    std::uint16_t echoId() const { return loadBe16(m_bytes.data() + kIcmpIdOffset); }
    std::uint16_t echoSeq() const { return loadBe16(m_bytes.data() + kIcmpSeqOffset); }
    Ipv4Address gateway() const { return loadIpv4(m_bytes.data() + kIcmpRestOffset); }
    std::uint16_t nextHopMtu() const { return loadBe16(m_bytes.data() + kIcmpMtuOffset); }
    std::uint8_t pointer() const { return m_bytes[kIcmpRestOffset]; }
    std::span<const std::uint8_t> payload() const { return m_bytes.subspan(kIcmpPayloadOffset); }
    // Over the whole buffer, which must be exactly the ICMP message (the IP payload).
    bool verifyChecksum() const { return internetChecksum(m_bytes) == 0; }
    std::span<const std::uint8_t> bytes() const { return m_bytes; }

  private:
    explicit IcmpPacket(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}
    std::span<const std::uint8_t> m_bytes;
};

struct IcmpRepr {
    std::uint8_t type = kIcmpEcho;
    std::uint8_t code = 0;
    std::uint32_t restOfHeader = 0;        // id/seq, gateway, unused+MTU, pointer, per type
    std::span<const std::uint8_t> payload; // borrowed from the parsed buffer or the caller

    static constexpr std::uint32_t echoRest(std::uint16_t id, std::uint16_t seq) {
        return (std::uint32_t(id) << 16) | seq;
    }
    static constexpr std::uint32_t mtuRest(std::uint16_t mtu) { return mtu; }
    static constexpr std::uint32_t pointerRest(std::uint8_t pointer) {
        return std::uint32_t(pointer) << 24;
    }

    // Truncated under 8 bytes, BadChecksum if the checksum over the whole buffer fails.
    static Result<IcmpRepr> parse(std::span<const std::uint8_t> bytes);

    std::uint16_t echoId() const { return std::uint16_t(restOfHeader >> 16); }
    std::uint16_t echoSeq() const { return std::uint16_t(restOfHeader); }
    std::size_t bufferLength() const { return kIcmpHeaderLen + payload.size(); }
    // Writes bufferLength() bytes (header, payload, checksum) into out, which must be that long.
    void writeTo(std::span<std::uint8_t> out) const;
};

} // namespace stackscope::wire
