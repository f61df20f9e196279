// SPDX-License-Identifier: GPL-3.0-or-later
// Link-layer and IPv4 addresses as small values (RFC 791 section 3.2, IEEE 802).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace stackscope::wire {

// Six bytes compared as a four- and a two-byte load, not a call to memcmp: every
// received frame compares its destination with the interface's address.
inline bool sameMacBytes(const std::uint8_t* a, const std::uint8_t* b) {
    std::uint32_t a4, b4;
    std::uint16_t a2, b2;
    std::memcpy(&a4, a, 4);
    std::memcpy(&b4, b, 4);
    std::memcpy(&a2, a + 4, 2);
    std::memcpy(&b2, b + 4, 2);
    return a4 == b4 && a2 == b2;
}

struct MacAddress {
    std::array<std::uint8_t, 6> bytes{};

    static std::optional<MacAddress> parse(std::string_view text); // "02:00:00:00:00:01"
    static constexpr MacAddress broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    std::string toString() const;
    constexpr bool isBroadcast() const { return *this == broadcast(); }
    constexpr bool isMulticast() const { return (bytes[0] & 0x01) != 0; }
    constexpr bool isZero() const { return *this == MacAddress{}; }
    constexpr auto operator<=>(const MacAddress&) const = default;
    constexpr bool operator==(const MacAddress& other) const {
        if (std::is_constant_evaluated()) return bytes == other.bytes;
        return sameMacBytes(bytes.data(), other.bytes.data());
    }
};

// An IPv4 address held in host byte order so comparisons and masks are plain integer ops.
struct Ipv4Address {
    std::uint32_t value = 0;

    static std::optional<Ipv4Address> parse(std::string_view text); // dotted quad only
    static constexpr Ipv4Address fromOctets(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                            std::uint8_t d) {
        return {(std::uint32_t(a) << 24) | (std::uint32_t(b) << 16) | (std::uint32_t(c) << 8) | d};
    }
    std::string toString() const;

    constexpr bool isAny() const { return value == 0; }
    constexpr bool isLimitedBroadcast() const { return value == 0xffffffffu; }
    constexpr bool isMulticast() const { return (value & 0xf0000000u) == 0xe0000000u; }
    constexpr bool isLoopback() const { return (value & 0xff000000u) == 0x7f000000u; }
    constexpr bool isZeronet() const { return (value & 0xff000000u) == 0; }
    constexpr bool isLinkLocal() const { return (value & 0xffff0000u) == 0xa9fe0000u; }
    // 240.0.0.0/4 minus the limited broadcast (ipv4_is_lbcast / ipv4_is_badclass).
    constexpr bool isBadClass() const { return (value & 0xf0000000u) == 0xf0000000u; }
    constexpr auto operator<=>(const Ipv4Address&) const = default;
};

constexpr std::uint32_t prefixMask(int prefixLen) {
    return prefixLen <= 0 ? 0u : (prefixLen >= 32 ? 0xffffffffu : ~0u << (32 - prefixLen));
}

struct Ipv4Prefix {
    Ipv4Address address;
    int length = 32;

    static std::optional<Ipv4Prefix> parse(std::string_view text); // "10.0.0.0/24", "10.0.0.1", "default"
    std::string toString() const;                                   // "10.0.0.0/24"
    constexpr Ipv4Address network() const { return {address.value & prefixMask(length)}; }
    constexpr bool contains(Ipv4Address a) const {
        return (a.value & prefixMask(length)) == network().value;
    }
    constexpr auto operator<=>(const Ipv4Prefix&) const = default;
};

} // namespace stackscope::wire
