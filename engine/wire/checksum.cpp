// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/checksum.h"

namespace stackscope::wire {

std::uint32_t checksumPartial(std::span<const std::uint8_t> data, std::uint32_t sum) {
    // A 64-bit accumulator cannot overflow for any buffer that fits in memory
    // when fed 16-bit words, so carries are folded once at the end.
    std::uint64_t acc = sum;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    while (n >= 8) {
        acc += (std::uint32_t(p[0]) << 8 | p[1]) + (std::uint32_t(p[2]) << 8 | p[3]) +
               (std::uint32_t(p[4]) << 8 | p[5]) + (std::uint32_t(p[6]) << 8 | p[7]);
        p += 8;
        n -= 8;
    }
    while (n >= 2) {
        acc += std::uint32_t(p[0]) << 8 | p[1];
        p += 2;
        n -= 2;
    }
    if (n == 1) acc += std::uint32_t(p[0]) << 8;
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    return std::uint32_t(acc);
}

} // namespace stackscope::wire
