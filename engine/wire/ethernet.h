// SPDX-License-Identifier: GPL-3.0-or-later
// Ethernet II framing (RFC 894 for IPv4 over Ethernet; IEEE 802.3 and the
// IEEE 802.1Q VLAN tag). The frame check sequence is not part of the bytes.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                   Destination MAC address                     |
//  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                               |                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//  |                     Source MAC address                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |           EtherType           |   payload ...
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// With one 802.1Q tag, EtherType is 0x8100 and is followed by the tag control
// information (PCP 3 bits, DEI 1 bit, VID 12 bits) and the inner EtherType.
#pragma once

#include "wire/address.h"
#include "wire/bytes.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace stackscope::wire {

inline constexpr std::size_t kEthAddrLen = 6;
inline constexpr std::size_t kEthHeaderLen = 14;
inline constexpr std::size_t kVlanTagLen = 4;
inline constexpr std::size_t kEthVlanHeaderLen = kEthHeaderLen + kVlanTagLen;
// Minimum frame without FCS (IEEE 802.3 minimum of 64 bytes less the 4-byte FCS).
inline constexpr std::size_t kEthMinFrameLen = 60;

inline constexpr std::size_t kEthDstOffset = 0;
inline constexpr std::size_t kEthSrcOffset = 6;
inline constexpr std::size_t kEthTypeOffset = 12;
inline constexpr std::size_t kVlanTciOffset = 14;
inline constexpr std::size_t kVlanInnerTypeOffset = 16;

// EtherType values (IEEE registry; the kernel's ETH_P_* in if_ether.h).
inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeVlan = 0x8100;
inline constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
// Values below this are an 802.3 length field, not an EtherType (ETH_P_802_3_MIN).
inline constexpr std::uint16_t kEtherTypeMin = 0x0600;

inline constexpr std::uint16_t vlanId(std::uint16_t tci) {
    return tci & 0x0fff;
}
inline constexpr std::uint8_t vlanPriority(std::uint16_t tci) {
    return std::uint8_t(tci >> 13);
}

// Zero-copy view of an Ethernet frame. view() checks the length, so every
// accessor is safe. Only a single 802.1Q tag is unwrapped; an 802.1ad (QinQ)
// outer tag is reported as the EtherType itself.
class EthernetFrame {
  public:
    // nullopt when shorter than 14 bytes, or when a 802.1Q-tagged frame is shorter than 18.
    static std::optional<EthernetFrame> view(std::span<const std::uint8_t> bytes) {
        if (bytes.size() < kEthHeaderLen) return std::nullopt;
        if (loadBe16(bytes.data() + kEthTypeOffset) == kEtherTypeVlan &&
            bytes.size() < kEthVlanHeaderLen)
            return std::nullopt;
        return EthernetFrame(bytes);
    }

    MacAddress dst() const { return loadMac(m_bytes.data() + kEthDstOffset); }
    MacAddress src() const { return loadMac(m_bytes.data() + kEthSrcOffset); }
    std::uint16_t outerEtherType() const { return loadBe16(m_bytes.data() + kEthTypeOffset); }
    bool hasVlanTag() const { return outerEtherType() == kEtherTypeVlan; }
    std::uint16_t etherType() const {
        return hasVlanTag() ? loadBe16(m_bytes.data() + kVlanInnerTypeOffset) : outerEtherType();
    }
    std::optional<std::uint16_t> vlanTci() const {
        if (!hasVlanTag()) return std::nullopt;
        return loadBe16(m_bytes.data() + kVlanTciOffset);
    }
    std::size_t headerLength() const { return hasVlanTag() ? kEthVlanHeaderLen : kEthHeaderLen; }
    std::span<const std::uint8_t> payload() const { return m_bytes.subspan(headerLength()); }
    std::span<const std::uint8_t> bytes() const { return m_bytes; }

  private:
    explicit EthernetFrame(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}
    std::span<const std::uint8_t> m_bytes;
};

struct EthernetRepr {
    MacAddress dst;
    MacAddress src;
    std::uint16_t etherType = kEtherTypeIpv4;
    std::optional<std::uint16_t> vlanTci;

    static std::optional<EthernetRepr> parse(std::span<const std::uint8_t> bytes);
    std::size_t headerLength() const { return vlanTci ? kEthVlanHeaderLen : kEthHeaderLen; }
    // Writes the header into the first headerLength() bytes of out (which must be that long).
    void writeTo(std::span<std::uint8_t> out) const;

    bool operator==(const EthernetRepr&) const = default;
};

} // namespace stackscope::wire
