// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/checksum.h"

#include <bit>
#include <cstring>

namespace stackscope::wire {

std::uint32_t checksumPartial(std::span<const std::uint8_t> data, std::uint32_t sum) {
    // RFC 1071 section 2(B): the one's complement sum is independent of byte order, so the
    // data is added in native order eight bytes at a time and the folded result swapped
    // back once. Carries out of the 64-bit accumulator are counted apart (the compiler
    // makes an add and an add-with-carry per word, like the kernel's assembler loop); a
    // carry is worth 2^64, which is 1 modulo 0xffff. Four words per round keep the loads
    // ahead of the adds.
    std::uint64_t acc = 0;
    std::uint64_t carries = 0;
    const auto add = [&](std::uint64_t word) {
        acc += word;
        carries += acc < word ? 1 : 0;
    };
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    const auto load = [](const std::uint8_t* at) {
        std::uint64_t word;
        std::memcpy(&word, at, sizeof word);
        return word;
    };
    for (; n >= 32; p += 32, n -= 32) {
        add(load(p));
        add(load(p + 8));
        add(load(p + 16));
        add(load(p + 24));
    }
    for (; n >= 8; p += 8, n -= 8)
        add(load(p));
    // The tail starts on a 16-bit word boundary, and a word counts the same at any such
    // position in the sum (2^16 is 1 modulo 0xffff), so its pieces are added as they are.
    if (n & 4) {
        std::uint32_t word;
        std::memcpy(&word, p, sizeof word);
        add(word);
        p += 4;
    }
    if (n & 2) {
        std::uint16_t word;
        std::memcpy(&word, p, sizeof word);
        add(word);
        p += 2;
    }
    if (n & 1) {
        // A lone last byte is the high byte of a big-endian word padded with zero.
        add(std::endian::native == std::endian::little ? std::uint64_t(p[0])
                                                       : std::uint64_t(p[0]) << 8);
    }
    // Fold with end-around carries: 64 -> 32 -> 16 bits.
    std::uint64_t acc64 = acc + carries;
    acc64 += acc64 < carries ? 1 : 0;
    acc64 = (acc64 & 0xffffffffu) + (acc64 >> 32);
    acc64 = (acc64 & 0xffffffffu) + (acc64 >> 32);
    std::uint32_t folded = std::uint32_t(acc64);
    folded = (folded & 0xffffu) + (folded >> 16);
    folded = (folded & 0xffffu) + (folded >> 16);
    if constexpr (std::endian::native == std::endian::little)
        folded = ((folded & 0xffu) << 8) | (folded >> 8);
    std::uint64_t total = std::uint64_t(sum) + folded;
    total = (total & 0xffffffffu) + (total >> 32);
    return std::uint32_t(total);
}

} // namespace stackscope::wire
