// SPDX-License-Identifier: GPL-3.0-or-later
// Network byte order loads and stores. Every multi-byte field on the wire is
// big-endian (RFC 1700, "Data Notations"); these never assume alignment.
#pragma once

#include "wire/address.h"

#include <cstdint>
#include <cstring>

namespace stackscope::wire {

inline std::uint16_t loadBe16(const std::uint8_t* p) {
    return std::uint16_t((unsigned(p[0]) << 8) | p[1]);
}
inline std::uint32_t loadBe32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
           p[3];
}
inline void storeBe16(std::uint8_t* p, std::uint16_t v) {
    p[0] = std::uint8_t(v >> 8);
    p[1] = std::uint8_t(v);
}
inline void storeBe32(std::uint8_t* p, std::uint32_t v) {
    p[0] = std::uint8_t(v >> 24);
    p[1] = std::uint8_t(v >> 16);
    p[2] = std::uint8_t(v >> 8);
    p[3] = std::uint8_t(v);
}
inline MacAddress loadMac(const std::uint8_t* p) {
    MacAddress mac;
    std::memcpy(mac.bytes.data(), p, mac.bytes.size());
    return mac;
}
inline void storeMac(std::uint8_t* p, const MacAddress& mac) {
    std::memcpy(p, mac.bytes.data(), mac.bytes.size());
}
inline Ipv4Address loadIpv4(const std::uint8_t* p) {
    return Ipv4Address{loadBe32(p)};
}
inline void storeIpv4(std::uint8_t* p, Ipv4Address a) {
    storeBe32(p, a.value);
}

} // namespace stackscope::wire
