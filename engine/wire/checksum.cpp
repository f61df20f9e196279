// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/checksum.h"

#include <bit>
#include <cstring>

namespace stackscope::wire {

std::uint32_t checksumPartial(std::span<const std::uint8_t> data, std::uint32_t sum) {
    // RFC 1071 section 2(B): the one's complement sum is independent of byte order, so the
    // words are added in native order eight bytes at a time and the folded result swapped
    // back once. A 64-bit accumulator of 32-bit halves cannot overflow for any real buffer.
    std::uint64_t acc = 0;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    while (n >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        acc += (w & 0xffffffffu) + (w >> 32);
        p += 8;
        n -= 8;
    }
    while (n >= 2) {
        std::uint16_t w;
        std::memcpy(&w, p, 2);
        acc += w;
        p += 2;
        n -= 2;
    }
    if (n == 1) {
        // A lone last byte is the high byte of a big-endian word.
        acc += std::endian::native == std::endian::little ? std::uint64_t(p[0])
                                                          : std::uint64_t(p[0]) << 8;
    }
    while (acc >> 16) acc = (acc & 0xffffu) + (acc >> 16);
    std::uint32_t folded = std::uint32_t(acc);
    if constexpr (std::endian::native == std::endian::little)
        folded = ((folded & 0xffu) << 8) | (folded >> 8);
    std::uint64_t total = std::uint64_t(sum) + folded;
    total = (total & 0xffffffffu) + (total >> 32);
    return std::uint32_t(total);
}

} // namespace stackscope::wire
