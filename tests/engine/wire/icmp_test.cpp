// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/icmp.h"

#include "golden_frames.h"

#include <catch2/catch.hpp>

#include <string_view>
#include <vector>

using namespace stackscope::wire;

namespace {

std::vector<std::uint8_t> pingIcmp() {
    auto icmp = golden::ipOf(golden::kPingFrame).subspan(20);
    return {icmp.begin(), icmp.end()};
}

std::span<const std::uint8_t> pingData() {
    static constexpr std::string_view kData = "abcdefghijklmnopqrstuvwabcdefghi";
    return {reinterpret_cast<const std::uint8_t*>(kData.data()), kData.size()};
}

} // namespace

TEST_CASE("ICMP deconstruct echo request", "[wire][icmp]") {
    auto bytes = pingIcmp();
    REQUIRE(bytes.size() == 40);
    auto p = IcmpPacket::view(bytes);
    REQUIRE(p);
    CHECK(p->type() == kIcmpEcho);
    CHECK(p->code() == 0);
    CHECK(p->checksum() == 0x3b27);
    CHECK(p->echoId() == 0x1234);
    CHECK(p->echoSeq() == 1);
    CHECK(p->restOfHeader() == 0x12340001u);
    CHECK(p->verifyChecksum());
    CHECK(
        std::equal(p->payload().begin(), p->payload().end(), pingData().begin(), pingData().end()));
    CHECK_FALSE(icmpIsError(p->type()));
}

TEST_CASE("ICMP parse and construct", "[wire][icmp]") {
    auto bytes = pingIcmp();
    auto repr = IcmpRepr::parse(bytes);
    REQUIRE(repr.ok());
    CHECK(repr->type == kIcmpEcho);
    CHECK(repr->echoId() == 0x1234);
    CHECK(repr->echoSeq() == 1);
    CHECK(repr->payload.size() == 32);

    IcmpRepr built{kIcmpEcho, 0, IcmpRepr::echoRest(0x1234, 1), pingData()};
    std::vector<std::uint8_t> out(built.bufferLength());
    built.writeTo(out);
    CHECK(out == bytes);

    // The echo reply the kernel's icmp_echo would build: same id, seq and data.
    IcmpRepr reply{kIcmpEchoReply, 0, repr->restOfHeader, repr->payload};
    std::vector<std::uint8_t> replyBytes(reply.bufferLength());
    reply.writeTo(replyBytes);
    auto back = IcmpRepr::parse(replyBytes);
    REQUIRE(back.ok());
    CHECK(back->type == kIcmpEchoReply);
    CHECK(back->echoSeq() == 1);
    // Only the type changed, by 8 in the high byte: the checksum moves by the same.
    CHECK(IcmpPacket::view(replyBytes)->checksum() == 0x4327);
}

TEST_CASE("ICMP emit with the payload already in place", "[wire][icmp]") {
    auto bytes = pingIcmp();
    std::span<std::uint8_t> buffer(bytes);
    IcmpRepr r{kIcmpEcho, 0, IcmpRepr::echoRest(0x1234, 1), buffer.subspan(8)};
    std::fill(bytes.begin(), bytes.begin() + 8, 0);
    r.writeTo(buffer);
    CHECK(bytes == pingIcmp());
}

TEST_CASE("ICMP errors: destination unreachable with next-hop MTU", "[wire][icmp]") {
    // Frag needed, MTU 1400, quoting the DNS query's IP header and first 8 bytes.
    auto quoted = golden::ipOf(golden::kDnsQueryFrame).first(28);
    IcmpRepr r{kIcmpDestUnreach, kIcmpFragNeeded, IcmpRepr::mtuRest(1400), quoted};
    std::vector<std::uint8_t> out(r.bufferLength());
    r.writeTo(out);
    const std::vector<std::uint8_t> header{0x03, 0x04, 0, 0, 0x00, 0x00, 0x05, 0x78};
    CHECK(out[0] == 3);
    CHECK(out[1] == 4);
    CHECK(std::equal(header.begin() + 4, header.end(), out.begin() + 4));
    auto p = IcmpPacket::view(out);
    REQUIRE(p);
    CHECK(p->verifyChecksum());
    CHECK(p->nextHopMtu() == 1400);
    CHECK(icmpIsError(p->type()));
    CHECK(p->payload().size() == 28);

    IcmpRepr redirect{kIcmpRedirect, kIcmpRedirHost, Ipv4Address::fromOctets(10, 0, 0, 254).value,
                      quoted};
    redirect.writeTo(out);
    CHECK(IcmpPacket::view(out)->gateway() == Ipv4Address::fromOctets(10, 0, 0, 254));

    IcmpRepr param{kIcmpParameterProblem, 0, IcmpRepr::pointerRest(22), quoted};
    param.writeTo(out);
    CHECK(IcmpPacket::view(out)->pointer() == 22);
    CHECK(out[4] == 22);
}

TEST_CASE("ICMP constants follow RFC 792", "[wire][icmp]") {
    CHECK(kIcmpEchoReply == 0);
    CHECK(kIcmpDestUnreach == 3);
    CHECK(kIcmpSourceQuench == 4);
    CHECK(kIcmpRedirect == 5);
    CHECK(kIcmpEcho == 8);
    CHECK(kIcmpTimeExceeded == 11);
    CHECK(kIcmpParameterProblem == 12);
    CHECK(kIcmpTimestamp == 13);
    CHECK(kIcmpTimestampReply == 14);
    CHECK(kIcmpAddressMask == 17);
    CHECK(kIcmpAddressMaskReply == 18);
    CHECK(kIcmpNetUnreach == 0);
    CHECK(kIcmpHostUnreach == 1);
    CHECK(kIcmpProtUnreach == 2);
    CHECK(kIcmpPortUnreach == 3);
    CHECK(kIcmpFragNeeded == 4);
    CHECK(kIcmpNetAno == 9);
    CHECK(kIcmpHostAno == 10);
    CHECK(kIcmpPktFiltered == 13);
}

TEST_CASE("ICMP too short and bad checksum", "[wire][icmp]") {
    auto bytes = pingIcmp();
    std::span<const std::uint8_t> s(bytes);
    CHECK_FALSE(IcmpPacket::view(s.first(7)));
    CHECK(IcmpRepr::parse(s.first(7)).error() == Error::Truncated);
    // Cutting the payload breaks the checksum over the whole message.
    CHECK(IcmpRepr::parse(s.first(39)).error() == Error::BadChecksum);
    bytes[20] ^= 0x20;
    CHECK(IcmpRepr::parse(bytes).error() == Error::BadChecksum);
}
