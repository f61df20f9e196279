// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/ethernet.h"

#include "golden_frames.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace stackscope::wire;

namespace {
const MacAddress kA{{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
const MacAddress kB{{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}};
} // namespace

TEST_CASE("Ethernet deconstruct", "[wire][ethernet]") {
    auto frame = EthernetFrame::view(golden::kDnsQueryFrame);
    REQUIRE(frame);
    CHECK(frame->dst() == kB);
    CHECK(frame->src() == kA);
    CHECK(frame->etherType() == kEtherTypeIpv4);
    CHECK_FALSE(frame->vlanTci());
    CHECK(frame->headerLength() == kEthHeaderLen);
    CHECK(frame->payload().size() == sizeof(golden::kDnsQueryFrame) - 14);
    CHECK(frame->payload()[0] == 0x45);

    auto arp = EthernetFrame::view(golden::kArpRequestFrame);
    REQUIRE(arp);
    CHECK(arp->dst().isBroadcast());
    CHECK(arp->etherType() == kEtherTypeArp);
}

TEST_CASE("Ethernet parse and construct round trip", "[wire][ethernet]") {
    auto repr = EthernetRepr::parse(golden::kDnsQueryFrame);
    REQUIRE(repr);
    CHECK(*repr == EthernetRepr{kB, kA, kEtherTypeIpv4, std::nullopt});
    std::vector<std::uint8_t> out(repr->headerLength());
    repr->writeTo(out);
    CHECK(std::equal(out.begin(), out.end(), std::begin(golden::kDnsQueryFrame)));
}

TEST_CASE("Ethernet with one 802.1Q tag", "[wire][ethernet]") {
    EthernetRepr repr{kB, kA, kEtherTypeIpv4, std::uint16_t(0x6064)}; // PCP 3, VID 100
    REQUIRE(repr.headerLength() == 18);
    std::vector<std::uint8_t> out(18 + 4, 0xee);
    repr.writeTo(out);
    const std::vector<std::uint8_t> expected{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef, 0x52, 0x54,
                                             0x00, 0x12, 0x34, 0x56, 0x81, 0x00, 0x60, 0x64,
                                             0x08, 0x00, 0xee, 0xee, 0xee, 0xee};
    CHECK(out == expected);

    auto frame = EthernetFrame::view(out);
    REQUIRE(frame);
    CHECK(frame->outerEtherType() == kEtherTypeVlan);
    CHECK(frame->etherType() == kEtherTypeIpv4);
    REQUIRE(frame->vlanTci());
    CHECK(vlanId(*frame->vlanTci()) == 100);
    CHECK(vlanPriority(*frame->vlanTci()) == 3);
    CHECK(frame->headerLength() == 18);
    CHECK(frame->payload().size() == 4);
    CHECK(EthernetRepr::parse(out) == repr);
}

TEST_CASE("Ethernet QinQ outer tag is not unwrapped", "[wire][ethernet]") {
    std::vector<std::uint8_t> bytes(20, 0);
    bytes[12] = 0x88;
    bytes[13] = 0xa8;
    auto frame = EthernetFrame::view(bytes);
    REQUIRE(frame);
    CHECK(frame->etherType() == kEtherTypeQinQ);
    CHECK(frame->headerLength() == 14);
}

TEST_CASE("Ethernet too short", "[wire][ethernet]") {
    std::span<const std::uint8_t> frame(golden::kDnsQueryFrame);
    CHECK_FALSE(EthernetFrame::view(frame.first(13)));
    CHECK(EthernetFrame::view(frame.first(14)));
    CHECK(EthernetFrame::view(frame.first(14))->payload().empty());
    CHECK_FALSE(EthernetRepr::parse(frame.first(0)));

    // A VLAN-tagged frame needs 18 bytes.
    std::vector<std::uint8_t> tagged(17, 0);
    tagged[12] = 0x81;
    CHECK_FALSE(EthernetFrame::view(tagged));
    tagged.push_back(0);
    CHECK(EthernetFrame::view(tagged));
}
