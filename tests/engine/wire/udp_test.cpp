// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/udp.h"

#include "wire/ethernet.h"
#include "wire/ipv4.h"

#include "golden_frames.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace stackscope::wire;

namespace {

const Ipv4Address kSrc = Ipv4Address::fromOctets(192, 168, 1, 100);
const Ipv4Address kDst = Ipv4Address::fromOctets(192, 168, 1, 1);

std::vector<std::uint8_t> dnsUdp() {
    auto udp = golden::ipOf(golden::kDnsQueryFrame).subspan(20);
    return {udp.begin(), udp.end()};
}

} // namespace

TEST_CASE("UDP deconstruct", "[wire][udp]") {
    auto bytes = dnsUdp();
    auto p = UdpPacket::view(bytes);
    REQUIRE(p);
    CHECK_FALSE(p->check());
    CHECK(p->srcPort() == 54321);
    CHECK(p->dstPort() == 53);
    CHECK(p->length() == 37);
    CHECK(p->checksum() == 0x2c4c);
    CHECK(p->payload().size() == 29);
    CHECK(p->payload()[0] == 0xab); // DNS id 0xabcd
    CHECK(p->verifyChecksum(kSrc, kDst));
    CHECK_FALSE(p->verifyChecksum(kSrc, Ipv4Address::fromOctets(192, 168, 1, 2)));
}

TEST_CASE("UDP parse and construct", "[wire][udp]") {
    auto bytes = dnsUdp();
    auto repr = UdpRepr::parse(bytes, kSrc, kDst);
    REQUIRE(repr.ok());
    CHECK(repr->srcPort == 54321);
    CHECK(repr->dstPort == 53);
    REQUIRE(repr->payload.size() == 29);

    std::vector<std::uint8_t> payload(repr->payload.begin(), repr->payload.end());
    UdpRepr built{54321, 53, payload};
    std::vector<std::uint8_t> out(built.bufferLength());
    built.writeTo(out, kSrc, kDst);
    CHECK(out == bytes);
}

TEST_CASE("UDP checksum zero means none, computed zero is sent as all ones", "[wire][udp]") {
    auto bytes = dnsUdp();
    bytes[6] = bytes[7] = 0;
    CHECK(UdpPacket::view(bytes)->verifyChecksum(kSrc, kDst));
    CHECK(UdpRepr::parse(bytes, kSrc, kDst).ok());

    // Choose two payload bytes so that the checksum computes to zero.
    std::vector<std::uint8_t> payload{0, 0};
    UdpRepr r{1000, 2000, payload};
    std::vector<std::uint8_t> out(r.bufferLength());
    r.writeTo(out, kSrc, kDst);
    std::uint16_t c = loadBe16(out.data() + 6);
    // Adding ~c to the data turns the sum into 0xffff, i.e. a checksum of zero.
    std::uint16_t fix = std::uint16_t(c);
    payload[0] = std::uint8_t(fix >> 8);
    payload[1] = std::uint8_t(fix);
    r.payload = payload;
    r.writeTo(out, kSrc, kDst);
    CHECK(loadBe16(out.data() + 6) == 0xffff);
    CHECK(UdpPacket::view(out)->verifyChecksum(kSrc, kDst));
}

TEST_CASE("UDP payload stops at the length field", "[wire][udp]") {
    auto bytes = dnsUdp();
    bytes.push_back(0);
    bytes.push_back(0);
    auto p = UdpPacket::view(bytes);
    CHECK(p->payload().size() == 29);
    CHECK(p->verifyChecksum(kSrc, kDst));
    CHECK(UdpRepr::parse(bytes, kSrc, kDst)->payload.size() == 29);
}

TEST_CASE("UDP too short, bad length, bad checksum", "[wire][udp]") {
    auto bytes = dnsUdp();
    std::span<const std::uint8_t> s(bytes);
    CHECK_FALSE(UdpPacket::view(s.first(7)));
    CHECK(UdpRepr::parse(s.first(7)).error() == Error::Truncated);
    CHECK(UdpRepr::parse(s.first(36)).error() == Error::Truncated); // shorter than length
    CHECK_FALSE(UdpPacket::view(s.first(36))->verifyChecksum(kSrc, kDst));

    auto shortLen = bytes;
    shortLen[4] = 0;
    shortLen[5] = 7;
    CHECK(UdpRepr::parse(shortLen).error() == Error::BadHeaderLength);
    CHECK(UdpPacket::view(shortLen)->payload().empty());

    auto corrupt = bytes;
    corrupt[20] ^= 0x01;
    CHECK(UdpRepr::parse(corrupt).ok()); // checksum deferred, as __udp4_lib_rcv does
    CHECK(UdpRepr::parse(corrupt, kSrc, kDst).error() == Error::BadChecksum);
}

TEST_CASE("UDP in a whole frame: Ethernet, IPv4, UDP layered parse", "[wire][udp]") {
    auto eth = EthernetFrame::view(golden::kDnsQueryFrame);
    REQUIRE(eth);
    REQUIRE(eth->etherType() == kEtherTypeIpv4);
    auto ip = Ipv4Repr::parse(eth->payload());
    REQUIRE(ip.ok());
    REQUIRE(ip->protocol == kIpProtoUdp);
    auto ipPayload = Ipv4Packet::view(eth->payload())->payload();
    CHECK(ipPayload.size() == ip->payloadLength);
    auto udp = UdpRepr::parse(ipPayload, ip->src, ip->dst);
    REQUIRE(udp.ok());
    CHECK(udp->dstPort == 53);

    // Rebuild the frame from the three values.
    std::vector<std::uint8_t> out(kEthHeaderLen + ip->totalLength());
    std::span<std::uint8_t> buffer(out);
    EthernetRepr::parse(golden::kDnsQueryFrame)->writeTo(buffer);
    ip->writeTo(buffer.subspan(kEthHeaderLen));
    udp->writeTo(buffer.subspan(kEthHeaderLen + ip->headerLength()), ip->src, ip->dst);
    CHECK(std::equal(out.begin(), out.end(), std::begin(golden::kDnsQueryFrame),
                     std::end(golden::kDnsQueryFrame)));
}
