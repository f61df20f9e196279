// SPDX-License-Identifier: GPL-3.0-or-later
// ARP for IPv4 over Ethernet (RFC 826; hardware types from RFC 5342 / IANA).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |        Hardware type          |         Protocol type         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  HW addr len  | Proto addr len|           Operation           |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                Sender hardware address (6)                    |
//  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                               |  Sender protocol address (4)  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                               |                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//  |                Target hardware address (6)                    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                Target protocol address (4)                    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
#pragma once

#include "wire/address.h"
#include "wire/bytes.h"
#include "wire/error.h"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace stackscope::wire {

inline constexpr std::size_t kArpFixedLen = 8;    // the part before the addresses
inline constexpr std::size_t kArpEthIpv4Len = 28; // with 6-byte MACs and 4-byte IPv4 addresses

inline constexpr std::size_t kArpHtypeOffset = 0;
inline constexpr std::size_t kArpPtypeOffset = 2;
inline constexpr std::size_t kArpHlenOffset = 4;
inline constexpr std::size_t kArpPlenOffset = 5;
inline constexpr std::size_t kArpOperOffset = 6;
inline constexpr std::size_t kArpShaOffset = 8;
inline constexpr std::size_t kArpSpaOffset = 14;
inline constexpr std::size_t kArpThaOffset = 18;
inline constexpr std::size_t kArpTpaOffset = 24;

inline constexpr std::uint16_t kArpHrdEther = 1;       // ARPHRD_ETHER
inline constexpr std::uint16_t kArpProtoIpv4 = 0x0800; // an EtherType
inline constexpr std::uint16_t kArpRequest = 1;        // ARPOP_REQUEST
inline constexpr std::uint16_t kArpReply = 2;          // ARPOP_REPLY

// Zero-copy view of an ARP packet. view() guarantees the fixed 8 bytes; the
// address accessors additionally need check() to have returned nullopt.
class ArpPacket {
  public:
    static std::optional<ArpPacket> view(std::span<const std::uint8_t> bytes) {
        if (bytes.size() < kArpFixedLen) return std::nullopt;
        return ArpPacket(bytes);
    }

    // Unsupported unless Ethernet/IPv4 (the only kind arp_rcv handles here); Truncated if short.
    std::optional<Error> check() const {
        if (hardwareType() != kArpHrdEther || protocolType() != kArpProtoIpv4 ||
            hardwareLength() != 6 || protocolLength() != 4)
            return Error::Unsupported;
        if (m_bytes.size() < kArpEthIpv4Len) return Error::Truncated;
        return std::nullopt;
    }

    std::uint16_t hardwareType() const { return loadBe16(m_bytes.data() + kArpHtypeOffset); }
    std::uint16_t protocolType() const { return loadBe16(m_bytes.data() + kArpPtypeOffset); }
    std::uint8_t hardwareLength() const { return m_bytes[kArpHlenOffset]; }
    std::uint8_t protocolLength() const { return m_bytes[kArpPlenOffset]; }
    std::uint16_t operation() const { return loadBe16(m_bytes.data() + kArpOperOffset); }

    MacAddress senderMac() const { return loadMac(at(kArpShaOffset)); }
    Ipv4Address senderIp() const { return loadIpv4(at(kArpSpaOffset)); }
    MacAddress targetMac() const { return loadMac(at(kArpThaOffset)); }
    Ipv4Address targetIp() const { return loadIpv4(at(kArpTpaOffset)); }
    std::span<const std::uint8_t> bytes() const { return m_bytes; }

  private:
    explicit ArpPacket(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}
    const std::uint8_t* at(std::size_t offset) const {
        assert(m_bytes.size() >= kArpEthIpv4Len);
        return m_bytes.data() + offset;
    }
    std::span<const std::uint8_t> m_bytes;
};

struct ArpRepr {
    static constexpr std::size_t kLength = kArpEthIpv4Len;

    std::uint16_t operation = kArpRequest;
    MacAddress senderMac;
    Ipv4Address senderIp;
    MacAddress targetMac;
    Ipv4Address targetIp;

    static Result<ArpRepr> parse(std::span<const std::uint8_t> bytes);
    // Writes kLength bytes into out (which must be that long).
    void writeTo(std::span<std::uint8_t> out) const;

    bool operator==(const ArpRepr&) const = default;
};

} // namespace stackscope::wire
