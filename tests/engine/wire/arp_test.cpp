// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/arp.h"

#include "golden_frames.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace stackscope::wire;

namespace {
const MacAddress kA{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
std::span<const std::uint8_t> arpBytes() {
    return std::span<const std::uint8_t>(golden::kArpRequestFrame).subspan(14, 28);
}
} // namespace

TEST_CASE("ARP deconstruct", "[wire][arp]") {
    auto packet = ArpPacket::view(arpBytes());
    REQUIRE(packet);
    CHECK_FALSE(packet->check());
    CHECK(packet->hardwareType() == kArpHrdEther);
    CHECK(packet->protocolType() == kArpProtoIpv4);
    CHECK(packet->hardwareLength() == 6);
    CHECK(packet->protocolLength() == 4);
    CHECK(packet->operation() == kArpRequest);
    CHECK(packet->senderMac() == kA);
    CHECK(packet->senderIp() == Ipv4Address::fromOctets(10, 0, 0, 1));
    CHECK(packet->targetMac().isZero());
    CHECK(packet->targetIp() == Ipv4Address::fromOctets(10, 0, 0, 2));
}

TEST_CASE("ARP parse and construct", "[wire][arp]") {
    // Parsing the whole padded Ethernet payload must ignore the padding.
    auto repr = ArpRepr::parse(std::span<const std::uint8_t>(golden::kArpRequestFrame).subspan(14));
    REQUIRE(repr.ok());
    CHECK(repr->operation == kArpRequest);
    CHECK(repr->senderMac == kA);
    CHECK(repr->senderIp == Ipv4Address::fromOctets(10, 0, 0, 1));
    CHECK(repr->targetIp == Ipv4Address::fromOctets(10, 0, 0, 2));

    std::vector<std::uint8_t> out(ArpRepr::kLength);
    repr->writeTo(out);
    auto golden = arpBytes();
    CHECK(std::equal(out.begin(), out.end(), golden.begin(), golden.end()));

    ArpRepr reply{kArpReply, MacAddress{{2, 0, 0, 0, 0, 2}}, Ipv4Address::fromOctets(10, 0, 0, 2),
                  kA, Ipv4Address::fromOctets(10, 0, 0, 1)};
    reply.writeTo(out);
    auto back = ArpRepr::parse(out);
    REQUIRE(back.ok());
    CHECK(*back == reply);
    CHECK(out[7] == 2);
}

TEST_CASE("ARP too short", "[wire][arp]") {
    auto golden = arpBytes();
    CHECK_FALSE(ArpPacket::view(golden.first(7)));
    CHECK(ArpRepr::parse(golden.first(7)).error() == Error::Truncated);
    CHECK(ArpRepr::parse(golden.first(27)).error() == Error::Truncated);
    CHECK(ArpRepr::parse(golden.first(8)).error() == Error::Truncated);
}

TEST_CASE("ARP other than Ethernet/IPv4 is unsupported", "[wire][arp]") {
    auto golden = arpBytes();
    for (std::size_t offset : {1u, 2u, 4u, 5u}) {
        std::vector<std::uint8_t> bytes(golden.begin(), golden.end());
        bytes[offset] ^= 0x0f;
        INFO("offset " << offset);
        CHECK(ArpRepr::parse(bytes).error() == Error::Unsupported);
    }
}
