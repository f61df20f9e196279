// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/address.h"

#include <catch2/catch.hpp>

using namespace stackscope::wire;

TEST_CASE("Ipv4Address parses dotted quads only", "[wire][address]") {
    auto a = Ipv4Address::parse("192.168.1.100");
    REQUIRE(a);
    CHECK(a->value == 0xc0a80164u);
    CHECK(a->toString() == "192.168.1.100");
    CHECK(Ipv4Address::parse("0.0.0.0")->isAny());
    CHECK(Ipv4Address::parse("255.255.255.255")->isLimitedBroadcast());

    for (const char* bad :
         {"256.1.1.1", "1.2.3", "1.2.3.4.5", "", "1..2.3", "1.2.3.", ".1.2.3", "1.2.3.4 ",
          " 1.2.3.4", "1.2.3.-4", "1.2.3.x", "1.2.3.1000", "1.2.3.4/24", "0x1.2.3.4"}) {
        INFO("'" << bad << "'");
        CHECK_FALSE(Ipv4Address::parse(bad));
    }
}

TEST_CASE("Ipv4Address classification", "[wire][address]") {
    CHECK(Ipv4Address::fromOctets(224, 0, 0, 1).isMulticast());
    CHECK(Ipv4Address::fromOctets(239, 255, 255, 255).isMulticast());
    CHECK_FALSE(Ipv4Address::fromOctets(240, 0, 0, 1).isMulticast());
    CHECK(Ipv4Address::fromOctets(127, 1, 2, 3).isLoopback());
    CHECK(Ipv4Address::fromOctets(0, 1, 2, 3).isZeronet());
    CHECK(Ipv4Address::fromOctets(169, 254, 0, 1).isLinkLocal());
    CHECK(Ipv4Address::fromOctets(240, 0, 0, 1).isBadClass());
    CHECK(Ipv4Address::fromOctets(10, 0, 0, 1) < Ipv4Address::fromOctets(10, 0, 0, 2));
}

TEST_CASE("MacAddress parse and print", "[wire][address]") {
    auto m = MacAddress::parse("02:00:00:00:00:01");
    REQUIRE(m);
    CHECK(m->bytes == std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 1});
    CHECK(m->toString() == "02:00:00:00:00:01");
    CHECK(MacAddress::parse("AA-BB-CC-DD-EE-FF")->toString() == "aa:bb:cc:dd:ee:ff");
    CHECK(MacAddress::parse("1:2:3:4:5:6")->toString() == "01:02:03:04:05:06");
    CHECK(MacAddress::parse("ff:ff:ff:ff:ff:ff")->isBroadcast());
    CHECK(MacAddress::parse("01:00:5e:00:00:01")->isMulticast());
    CHECK_FALSE(MacAddress::parse("02:00:5e:00:00:01")->isMulticast());
    CHECK(MacAddress{}.isZero());

    for (const char* bad :
         {"01:02:03:04:05", "01:02:03:04:05:06:07", "", "01:02:03:04:05:", "001:02:03:04:05:06",
          "01:02:03:04:05:0g", "01;02;03;04;05;06", "01:02:03:04:05:06 "}) {
        INFO("'" << bad << "'");
        CHECK_FALSE(MacAddress::parse(bad));
    }
}

TEST_CASE("Ipv4Prefix parse, mask and contains", "[wire][address]") {
    auto p = Ipv4Prefix::parse("10.0.0.5/24");
    REQUIRE(p);
    CHECK(p->length == 24);
    CHECK(p->toString() == "10.0.0.0/24");
    CHECK(p->contains(Ipv4Address::fromOctets(10, 0, 0, 255)));
    CHECK_FALSE(p->contains(Ipv4Address::fromOctets(10, 0, 1, 0)));

    auto host = Ipv4Prefix::parse("10.1.2.3");
    REQUIRE(host);
    CHECK(host->length == 32);
    CHECK(host->toString() == "10.1.2.3/32");

    auto def = Ipv4Prefix::parse("default");
    REQUIRE(def);
    CHECK(def->length == 0);
    CHECK(def->contains(Ipv4Address::fromOctets(8, 8, 8, 8)));
    CHECK(Ipv4Prefix::parse("0.0.0.0/0")->toString() == "0.0.0.0/0");

    for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0/8", "/8",
                            "10.0.0.0/2x", "10.0.0.0/24/1"}) {
        INFO("'" << bad << "'");
        CHECK_FALSE(Ipv4Prefix::parse(bad));
    }

    CHECK(prefixMask(0) == 0u);
    CHECK(prefixMask(1) == 0x80000000u);
    CHECK(prefixMask(24) == 0xffffff00u);
    CHECK(prefixMask(32) == 0xffffffffu);
}
