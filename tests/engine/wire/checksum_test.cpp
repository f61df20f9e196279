// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/checksum.h"
#include "wire/error.h"

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using namespace stackscope::wire;

namespace {

// A deliberately plain reference: fold after every word.
std::uint16_t referenceChecksum(const std::vector<std::uint8_t>& data) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < data.size(); i += 2) {
        std::uint32_t word = std::uint32_t(data[i]) << 8;
        if (i + 1 < data.size()) word |= data[i + 1];
        sum += word;
        if (sum > 0xffff) sum = (sum & 0xffff) + 1;
    }
    return std::uint16_t(~sum & 0xffff);
}

std::vector<std::uint8_t> randomBytes(std::mt19937& rng, std::size_t n) {
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<std::uint8_t> v(n);
    for (auto& b : v)
        b = std::uint8_t(byte(rng));
    return v;
}

} // namespace

TEST_CASE("RFC 1071 section 3 numerical example", "[wire][checksum]") {
    const std::vector<std::uint8_t> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    // The RFC adds the words to 2ddf0 and folds the carry to ddf2; the partial sum may be
    // returned folded or not, so only its value modulo 0xffff is fixed.
    CHECK(checksumPartial(data) % 0xffffu == 0x2ddf0u % 0xffffu);
    CHECK(checksumFold(checksumPartial(data)) == std::uint16_t(~0xddf2));
    CHECK(internetChecksum(data) == 0x220d);
}

TEST_CASE("checksum edge cases", "[wire][checksum]") {
    CHECK(internetChecksum({}) == 0xffff);
    const std::vector<std::uint8_t> odd{0x01};
    CHECK(internetChecksum(odd) == 0xfeff); // odd byte is the high byte of a padded word
    const std::vector<std::uint8_t> ones(4, 0xff);
    CHECK(internetChecksum(ones) == 0x0000);
    CHECK(checksumFold(0xffffffffu) == 0x0000);
    CHECK(checksumFold(0) == 0xffff);
    CHECK(checksumAdd(0xffffffffu, 1) == 1u); // end-around carry
}

TEST_CASE("checksum matches a plain reference on random data", "[wire][checksum]") {
    std::mt19937 rng(1071);
    // 1200003 bytes span more than two of the vector loop's 512 KiB blocks.
    for (std::size_t n : {1u, 2u, 3u, 7u, 8u, 9u, 20u, 61u, 1500u, 65535u, 200000u, 1200003u}) {
        auto data = randomBytes(rng, n);
        INFO("length " << n);
        CHECK(internetChecksum(data) == referenceChecksum(data));
    }
    // All ones is the largest each word can add: the block accumulators at their fullest.
    for (std::size_t n : {300001u, 1100007u}) {
        std::vector<std::uint8_t> allOnes(n, 0xff);
        INFO("all ones, length " << n);
        CHECK(internetChecksum(allOnes) == referenceChecksum(allOnes));
    }
}

TEST_CASE("checksum of every short length at every alignment", "[wire][checksum]") {
    // The word loop, its tail and the odd last byte meet at every length below a few words,
    // and a buffer may start at any address.
    std::mt19937 rng(1624);
    const auto buffer = randomBytes(rng, 200);
    for (std::size_t offset = 0; offset < 8; ++offset)
        for (std::size_t n = 0; n <= 100; ++n) {
            INFO("offset " << offset << " length " << n);
            const std::vector<std::uint8_t> piece(buffer.begin() + std::ptrdiff_t(offset),
                                                  buffer.begin() + std::ptrdiff_t(offset + n));
            REQUIRE(internetChecksum(std::span(buffer).subspan(offset, n)) ==
                    referenceChecksum(piece));
        }
    const std::vector<std::uint8_t> allOnes(37, 0xff);
    CHECK(internetChecksum(allOnes) == referenceChecksum(allOnes));
}

TEST_CASE("a stored checksum makes the region sum verify", "[wire][checksum]") {
    std::mt19937 rng(7);
    auto data = randomBytes(rng, 40);
    data[10] = data[11] = 0;
    std::uint16_t c = internetChecksum(data);
    data[10] = std::uint8_t(c >> 8);
    data[11] = std::uint8_t(c);
    CHECK(internetChecksum(data) == 0);
}

TEST_CASE("partial sums chain over even-length pieces", "[wire][checksum]") {
    std::mt19937 rng(3);
    auto data = randomBytes(rng, 101);
    std::span<const std::uint8_t> all(data);
    std::uint32_t chained = checksumPartial(all.subspan(64), checksumPartial(all.first(64)));
    CHECK(checksumFold(chained) == internetChecksum(all));
    CHECK(internetChecksum(all.subspan(64), checksumPartial(all.first(64))) ==
          internetChecksum(all));
}

TEST_CASE("pseudo-header sum equals summing the pseudo-header bytes", "[wire][checksum]") {
    auto src = Ipv4Address::fromOctets(192, 168, 1, 100);
    auto dst = Ipv4Address::fromOctets(255, 255, 255, 255);
    const std::vector<std::uint8_t> bytes{192, 168, 1, 100, 255, 255, 255, 255, 0, 17, 0xff, 0xf7};
    CHECK(checksumFold(pseudoHeaderSum(src, dst, 17, 0xfff7)) ==
          checksumFold(checksumPartial(bytes)));
}

TEST_CASE("incremental update equals recomputation (RFC 1624)", "[wire][checksum]") {
    std::mt19937 rng(1624);
    std::uniform_int_distribution<int> word(0, 0xffff);
    for (int round = 0; round < 2000; ++round) {
        auto data = randomBytes(rng, 20);
        data[10] = data[11] = 0;
        std::uint16_t check = internetChecksum(data);

        // 16-bit field at offset 8 (TTL and protocol in an IPv4 header).
        std::uint16_t oldWord = std::uint16_t(data[8] << 8 | data[9]);
        std::uint16_t newWord = std::uint16_t(round < 10 ? oldWord : word(rng));
        auto copy = data;
        copy[8] = std::uint8_t(newWord >> 8);
        copy[9] = std::uint8_t(newWord);
        REQUIRE(checksumReplace16(check, oldWord, newWord) == internetChecksum(copy));

        // 32-bit field at offset 12 (an IPv4 source address).
        std::uint32_t oldAddr = std::uint32_t(data[12]) << 24 | std::uint32_t(data[13]) << 16 |
                                std::uint32_t(data[14]) << 8 | data[15];
        std::uint32_t newAddr = std::uint32_t(word(rng)) << 16 | std::uint32_t(word(rng));
        copy = data;
        copy[12] = std::uint8_t(newAddr >> 24);
        copy[13] = std::uint8_t(newAddr >> 16);
        copy[14] = std::uint8_t(newAddr >> 8);
        copy[15] = std::uint8_t(newAddr);
        REQUIRE(checksumReplace32(check, oldAddr, newAddr) == internetChecksum(copy));
    }
}

TEST_CASE("RFC 1624 section 4 example avoids the negative zero", "[wire][checksum]") {
    // Header sum 0xcd7a with a field going from 0x5555 to 0x3285: equation 3 gives 0x0000.
    CHECK(checksumReplace16(0xdd2f, 0x5555, 0x3285) == 0x0000);
}

TEST_CASE("errorName names every error", "[wire][error]") {
    CHECK(errorName(Error::Truncated) == "truncated");
    CHECK(errorName(Error::BadVersion) == "bad version");
    CHECK(errorName(Error::BadHeaderLength) == "bad header length");
    CHECK(errorName(Error::BadTotalLength) == "bad total length");
    CHECK(errorName(Error::BadChecksum) == "bad checksum");
    CHECK(errorName(Error::Malformed) == "malformed");
    CHECK(errorName(Error::Unsupported) == "unsupported");
}

TEST_CASE("Result is a variant with helpers", "[wire][error]") {
    Result<int> good = 5;
    Result<int> bad = Error::Truncated;
    CHECK(good.ok());
    CHECK(*good == 5);
    CHECK(std::get_if<int>(&good) != nullptr);
    CHECK_FALSE(bad.ok());
    CHECK(bad.error() == Error::Truncated);
    CHECK(std::holds_alternative<Error>(bad));
}
