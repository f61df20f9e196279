// SPDX-License-Identifier: GPL-3.0-or-later
// The Internet checksum (RFC 1071) shared by IPv4, ICMP, UDP and TCP:
// the 16-bit one's complement of the one's complement sum of the data taken
// as big-endian 16-bit words, an odd final byte padded with a zero byte.
//
// Sums are carried as 32-bit "partial" values (like the kernel's __wsum) so
// pieces can be added before one final fold. Every piece except the last must
// have an even length, since a piece of odd length would shift the byte
// positions of the next one.
#pragma once

#include "wire/address.h"

#include <cstdint>
#include <span>

namespace stackscope::wire {

// One's complement sum of data added to sum, not yet folded or complemented (csum_partial).
std::uint32_t checksumPartial(std::span<const std::uint8_t> data, std::uint32_t sum = 0);

// Adds two partial sums with end-around carry (csum_add).
constexpr std::uint32_t checksumAdd(std::uint32_t a, std::uint32_t b) {
    std::uint32_t r = a + b;
    return r + (r < a ? 1u : 0u);
}

// Folds a partial sum to 16 bits and complements it: the value to store in a
// checksum field, or 0 when checking a region that includes its checksum (csum_fold).
constexpr std::uint16_t checksumFold(std::uint32_t sum) {
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    return std::uint16_t(~sum);
}

// RFC 1071 over data, starting from the partial sum initial; ready to store.
inline std::uint16_t internetChecksum(std::span<const std::uint8_t> data,
                                      std::uint32_t initial = 0) {
    return checksumFold(checksumPartial(data, initial));
}

// Partial sum of the IPv4 pseudo-header (RFC 768, RFC 9293 section 3.1):
// source, destination, zero, protocol, and the transport length.
constexpr std::uint32_t pseudoHeaderSum(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol,
                                        std::uint16_t length) {
    return (src.value >> 16) + (src.value & 0xffffu) + (dst.value >> 16) + (dst.value & 0xffffu) +
           protocol + length;
}

// Incremental update when one 16-bit field changes from oldValue to newValue
// (RFC 1624 equation 3, HC' = ~(~HC + ~m + m'), as the kernel's csum_replace2).
constexpr std::uint16_t checksumReplace16(std::uint16_t check, std::uint16_t oldValue,
                                          std::uint16_t newValue) {
    std::uint32_t sum = std::uint32_t(std::uint16_t(~check)) + std::uint16_t(~oldValue) + newValue;
    return checksumFold(sum);
}

// The same for a 32-bit field such as an address (csum_replace4).
constexpr std::uint16_t checksumReplace32(std::uint16_t check, std::uint32_t oldValue,
                                          std::uint32_t newValue) {
    std::uint32_t sum = std::uint32_t(std::uint16_t(~check)) + std::uint16_t(~(oldValue >> 16)) +
                        std::uint16_t(~oldValue) + (newValue >> 16) + (newValue & 0xffffu);
    return checksumFold(sum);
}

} // namespace stackscope::wire
