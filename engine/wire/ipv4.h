// SPDX-License-Identifier: GPL-3.0-or-later
// The IPv4 header (RFC 791 section 3.1).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version|  IHL  |Type of Service|          Total Length         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Identification        |Flags|      Fragment Offset    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Time to Live |    Protocol   |         Header Checksum       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       Source Address                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Destination Address                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Options                    |    Padding    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The TOS byte is DSCP (6 bits, RFC 2474) and ECN (2 bits, RFC 3168).
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
#include <vector>

namespace stackscope::wire {

inline constexpr std::size_t kIpv4MinHeaderLen = 20;
inline constexpr std::size_t kIpv4MaxHeaderLen = 60; // IHL is 4 bits of 32-bit words
inline constexpr std::size_t kIpv4MaxOptionsLen = 40;
inline constexpr std::uint8_t kIpv4Version = 4;

inline constexpr std::size_t kIpv4VersionIhlOffset = 0;
inline constexpr std::size_t kIpv4TosOffset = 1;
inline constexpr std::size_t kIpv4TotalLengthOffset = 2;
inline constexpr std::size_t kIpv4IdentOffset = 4;
inline constexpr std::size_t kIpv4FragOffset = 6;
inline constexpr std::size_t kIpv4TtlOffset = 8;
inline constexpr std::size_t kIpv4ProtocolOffset = 9;
inline constexpr std::size_t kIpv4ChecksumOffset = 10;
inline constexpr std::size_t kIpv4SrcOffset = 12;
inline constexpr std::size_t kIpv4DstOffset = 16;
inline constexpr std::size_t kIpv4OptionsOffset = 20;

// Flags and fragment offset share one 16-bit word (RFC 791 section 3.1, "Flags").
inline constexpr std::uint16_t kIpv4FlagReserved = 0x8000;      // IP_CE in the kernel
inline constexpr std::uint16_t kIpv4FlagDontFragment = 0x4000;  // IP_DF
inline constexpr std::uint16_t kIpv4FlagMoreFragments = 0x2000; // IP_MF
inline constexpr std::uint16_t kIpv4FragOffsetMask = 0x1fff;    // IP_OFFSET, in 8-byte units

// Assigned protocol numbers (RFC 790, IANA registry).
inline constexpr std::uint8_t kIpProtoIcmp = 1;
inline constexpr std::uint8_t kIpProtoIgmp = 2;
inline constexpr std::uint8_t kIpProtoTcp = 6;
inline constexpr std::uint8_t kIpProtoUdp = 17;

// Option types (RFC 791 section 3.1 "Options"; RFC 2113 router alert; the
// kernel's IPOPT_* values, which include the copied flag and class bits).
inline constexpr std::uint8_t kIpOptEnd = 0;
inline constexpr std::uint8_t kIpOptNoop = 1;
inline constexpr std::uint8_t kIpOptRr = 7;
inline constexpr std::uint8_t kIpOptTimestamp = 68;
inline constexpr std::uint8_t kIpOptSec = 130;
inline constexpr std::uint8_t kIpOptLsrr = 131;
inline constexpr std::uint8_t kIpOptCipso = 134;
inline constexpr std::uint8_t kIpOptSid = 136;
inline constexpr std::uint8_t kIpOptSsrr = 137;
inline constexpr std::uint8_t kIpOptRa = 148;
// Timestamp option flag values (RFC 791, "Internet Timestamp").
inline constexpr std::uint8_t kIpOptTsOnly = 0;
inline constexpr std::uint8_t kIpOptTsAndAddr = 1;
inline constexpr std::uint8_t kIpOptTsPrespec = 3;

// Zero-copy view of an IPv4 packet. view() guarantees the 20-byte fixed
// header, so the fixed-field accessors are always safe; options() and
// payload() clamp themselves to the buffer. check() validates the rest.
class Ipv4Packet {
  public:
    static std::optional<Ipv4Packet> view(std::span<const std::uint8_t> bytes) {
        if (bytes.size() < kIpv4MinHeaderLen) return std::nullopt;
        return Ipv4Packet(bytes);
    }

    // The checks of the kernel's ip_rcv_core, in its order.
    std::optional<Error> check() const {
        if (version() != kIpv4Version) return Error::BadVersion;
        if (ihl() < 5) return Error::BadHeaderLength;
        if (m_bytes.size() < headerLength()) return Error::Truncated;
        if (!verifyChecksum()) return Error::BadChecksum;
        if (totalLength() < headerLength()) return Error::BadTotalLength;
        if (m_bytes.size() < totalLength()) return Error::Truncated;
        return std::nullopt;
    }

    std::uint8_t version() const { return m_bytes[kIpv4VersionIhlOffset] >> 4; }
    std::uint8_t ihl() const { return m_bytes[kIpv4VersionIhlOffset] & 0x0f; }
    std::size_t headerLength() const { return std::size_t(ihl()) * 4; }
    std::uint8_t tos() const { return m_bytes[kIpv4TosOffset]; }
    std::uint8_t dscp() const { return tos() >> 2; }
    std::uint8_t ecn() const { return tos() & 0x03; }
    std::uint16_t totalLength() const { return loadBe16(m_bytes.data() + kIpv4TotalLengthOffset); }
    std::uint16_t ident() const { return loadBe16(m_bytes.data() + kIpv4IdentOffset); }
    std::uint16_t flagsAndFragment() const { return loadBe16(m_bytes.data() + kIpv4FragOffset); }
    bool reservedFlag() const { return (flagsAndFragment() & kIpv4FlagReserved) != 0; }
    bool dontFragment() const { return (flagsAndFragment() & kIpv4FlagDontFragment) != 0; }
    bool moreFragments() const { return (flagsAndFragment() & kIpv4FlagMoreFragments) != 0; }
    // In bytes, not in the 8-byte units of the wire.
    std::uint16_t fragmentOffset() const {
        return std::uint16_t((flagsAndFragment() & kIpv4FragOffsetMask) * 8);
    }
    // ip_is_fragment: more fragments follow or this is not the first.
    bool isFragment() const {
        return (flagsAndFragment() & (kIpv4FlagMoreFragments | kIpv4FragOffsetMask)) != 0;
    }
    std::uint8_t ttl() const { return m_bytes[kIpv4TtlOffset]; }
    std::uint8_t protocol() const { return m_bytes[kIpv4ProtocolOffset]; }
    std::uint16_t headerChecksum() const { return loadBe16(m_bytes.data() + kIpv4ChecksumOffset); }
    Ipv4Address src() const { return loadIpv4(m_bytes.data() + kIpv4SrcOffset); }
    Ipv4Address dst() const { return loadIpv4(m_bytes.data() + kIpv4DstOffset); }

    std::span<const std::uint8_t> options() const {
        std::size_t end = std::min(headerLength(), m_bytes.size());
        if (end <= kIpv4OptionsOffset) return {};
        return m_bytes.subspan(kIpv4OptionsOffset, end - kIpv4OptionsOffset);
    }
    // From the end of the header to min(totalLength, buffer): link-layer padding is excluded.
    std::span<const std::uint8_t> payload() const {
        std::size_t begin = headerLength();
        std::size_t end = std::min<std::size_t>(totalLength(), m_bytes.size());
        if (begin >= end) return {};
        return m_bytes.subspan(begin, end - begin);
    }
    // The header checksum over headerLength() bytes; false when the buffer is shorter.
    bool verifyChecksum() const {
        std::size_t len = headerLength();
        if (len < kIpv4MinHeaderLen || m_bytes.size() < len) return false;
        return internetChecksum(m_bytes.first(len)) == 0;
    }
    std::span<const std::uint8_t> bytes() const { return m_bytes; }

  private:
    explicit Ipv4Packet(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}
    std::span<const std::uint8_t> m_bytes;
};

// In-place edits of a header that keep its checksum valid by incremental
// update (RFC 1624), as the forwarding path does. They return false and leave
// the bytes alone when the buffer is shorter than the fixed header.
bool setTtl(std::span<std::uint8_t> packet, std::uint8_t ttl);
// ip_decrease_ttl; returns the new TTL. The TTL must be nonzero.
std::uint8_t decreaseTtl(std::span<std::uint8_t> packet);
bool setSrc(std::span<std::uint8_t> packet, Ipv4Address address);
bool setDst(std::span<std::uint8_t> packet, Ipv4Address address);
// Recomputes the header checksum from scratch (ip_send_check); false if the
// buffer is shorter than the header length IHL claims.
bool fillIpv4Checksum(std::span<std::uint8_t> packet);

// One option as found in the header. EOL and NOP have length 1 and no data.
struct Ipv4Option {
    std::uint8_t type = 0;
    std::uint8_t length = 1;            // whole option, including type and length bytes
    std::span<const std::uint8_t> data; // bytes after the type and length
    std::size_t offset = 0;             // from the start of the options
};

// Walks the option list without allocating. next() returns nullopt at the end
// of the list (after EOL, whose trailing bytes are padding) or on a malformed
// option, which error() then reports: an option other than EOL/NOP with no
// room for its length byte, a length below 2, or a length past the header.
class Ipv4OptionReader {
  public:
    explicit Ipv4OptionReader(std::span<const std::uint8_t> options) : m_options(options) {}
    std::optional<Ipv4Option> next();
    std::optional<Error> error() const { return m_error; }
    std::size_t errorOffset() const { return m_errorOffset; } // from the start of the options

  private:
    std::span<const std::uint8_t> m_options;
    std::size_t m_pos = 0;
    bool m_done = false;
    std::optional<Error> m_error;
    std::size_t m_errorOffset = 0;
};

// What the receive path learns from the options (the kernel's struct
// ip_options). Offsets are from the start of the IP header; 0 means absent.
struct Ipv4OptionsInfo {
    std::uint8_t optlen = 0;
    std::uint8_t srr = 0;
    std::uint8_t rr = 0;
    std::uint8_t ts = 0;
    std::uint8_t routerAlert = 0;
    std::uint8_t cipso = 0;
    bool isStrictRoute = false;
    bool rrNeedAddr = false;
    bool tsNeedTime = false;
    bool tsNeedAddr = false;
};

// Why the options were rejected, with the pointer an ICMP parameter problem
// carries: the offending byte's offset from the start of the IP header.
struct Ipv4OptionProblem {
    Error error = Error::Malformed;
    std::uint8_t pointer = 0;
};

// The receive-path validation of ip_options_compile (skb != NULL): structure,
// duplicate source-route/record-route/timestamp/CIPSO options, and the pointer
// and length rules of each. It only reads: filling in recorded addresses and
// timestamps is left to the stage that models the kernel doing it. The CIPSO
// option body is not validated (cipso_v4_validate).
Result<Ipv4OptionsInfo, Ipv4OptionProblem>
compileIpv4Options(std::span<const std::uint8_t> options);

struct Ipv4Repr {
    Ipv4Address src;
    Ipv4Address dst;
    std::uint8_t protocol = 0;
    std::uint8_t ttl = 64;
    std::uint8_t tos = 0;
    std::uint16_t ident = 0;
    bool dontFragment = false;
    bool moreFragments = false;
    std::uint16_t fragmentOffset = 0;  // bytes, a multiple of 8
    std::vector<std::uint8_t> options; // raw option bytes; emit pads them to 32 bits with EOL
    std::uint16_t payloadLength = 0;

    // Runs Ipv4Packet::check(), then walks the options (Malformed if they are).
    static Result<Ipv4Repr> parse(std::span<const std::uint8_t> bytes);

    std::size_t headerLength() const {
        return kIpv4MinHeaderLen +
               ((std::min(options.size(), kIpv4MaxOptionsLen) + 3) & ~std::size_t(3));
    }
    std::size_t totalLength() const { return headerLength() + payloadLength; }
    // Writes headerLength() bytes into out (which must be that long) with a correct checksum.
    void writeTo(std::span<std::uint8_t> out) const;

    bool operator==(const Ipv4Repr&) const = default;
};

} // namespace stackscope::wire
