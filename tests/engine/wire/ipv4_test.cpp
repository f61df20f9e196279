// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/ipv4.h"

#include "golden_frames.h"

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using namespace stackscope::wire;

namespace {

std::vector<std::uint8_t> dnsIp() {
    auto ip = golden::ipOf(golden::kDnsQueryFrame);
    return {ip.begin(), ip.end()};
}

Ipv4Repr dnsRepr() {
    Ipv4Repr r;
    r.src = Ipv4Address::fromOctets(192, 168, 1, 100);
    r.dst = Ipv4Address::fromOctets(192, 168, 1, 1);
    r.protocol = kIpProtoUdp;
    r.ttl = 64;
    r.ident = 0x1c46;
    r.dontFragment = true;
    r.payloadLength = 37;
    return r;
}

// A 20-byte header followed by the given options, checksum filled in.
std::vector<std::uint8_t> withOptions(std::vector<std::uint8_t> options) {
    Ipv4Repr r = dnsRepr();
    r.options = std::move(options);
    r.payloadLength = 0;
    std::vector<std::uint8_t> out(r.headerLength());
    r.writeTo(out);
    return out;
}

Result<Ipv4OptionsInfo, Ipv4OptionProblem> compile(const std::vector<std::uint8_t>& options) {
    return compileIpv4Options(options);
}

} // namespace

TEST_CASE("IPv4 deconstruct", "[wire][ipv4]") {
    auto bytes = dnsIp();
    auto p = Ipv4Packet::view(bytes);
    REQUIRE(p);
    CHECK_FALSE(p->check());
    CHECK(p->version() == 4);
    CHECK(p->ihl() == 5);
    CHECK(p->headerLength() == 20);
    CHECK(p->tos() == 0);
    CHECK(p->dscp() == 0);
    CHECK(p->ecn() == 0);
    CHECK(p->totalLength() == 57);
    CHECK(p->ident() == 0x1c46);
    CHECK(p->dontFragment());
    CHECK_FALSE(p->moreFragments());
    CHECK_FALSE(p->reservedFlag());
    CHECK(p->fragmentOffset() == 0);
    CHECK_FALSE(p->isFragment());
    CHECK(p->ttl() == 64);
    CHECK(p->protocol() == kIpProtoUdp);
    CHECK(p->headerChecksum() == 0x9ab8);
    CHECK(p->src() == Ipv4Address::fromOctets(192, 168, 1, 100));
    CHECK(p->dst() == Ipv4Address::fromOctets(192, 168, 1, 1));
    CHECK(p->options().empty());
    CHECK(p->payload().size() == 37);
    CHECK(p->payload()[0] == 0xd4); // source port 54321
    CHECK(p->verifyChecksum());
}

TEST_CASE("IPv4 payload stops at total length, excluding link padding", "[wire][ipv4]") {
    auto bytes = dnsIp();
    bytes.resize(bytes.size() + 9, 0);
    auto p = Ipv4Packet::view(bytes);
    REQUIRE(p);
    CHECK_FALSE(p->check());
    CHECK(p->payload().size() == 37);
}

TEST_CASE("IPv4 TOS fields and fragments", "[wire][ipv4]") {
    Ipv4Repr r = dnsRepr();
    r.tos = 0xb9; // DSCP 46 (EF), ECN 1 (ECT(1))
    r.dontFragment = false;
    r.moreFragments = true;
    r.fragmentOffset = 1480;
    std::vector<std::uint8_t> out(20 + 37);
    r.writeTo(out);
    auto p = Ipv4Packet::view(out);
    REQUIRE(p);
    CHECK_FALSE(p->check());
    CHECK(p->dscp() == 46);
    CHECK(p->ecn() == 1);
    CHECK(p->moreFragments());
    CHECK_FALSE(p->dontFragment());
    CHECK(p->fragmentOffset() == 1480);
    CHECK(p->flagsAndFragment() == (0x2000 | 185));
    CHECK(p->isFragment());
    auto back = Ipv4Repr::parse(out);
    REQUIRE(back.ok());
    CHECK(*back == r);
}

TEST_CASE("IPv4 parse", "[wire][ipv4]") {
    auto repr = Ipv4Repr::parse(dnsIp());
    REQUIRE(repr.ok());
    CHECK(*repr == dnsRepr());
}

TEST_CASE("IPv4 construct equals golden", "[wire][ipv4]") {
    auto r = dnsRepr();
    REQUIRE(r.headerLength() == 20);
    std::vector<std::uint8_t> out(20, 0xa5);
    r.writeTo(out);
    auto golden = dnsIp();
    CHECK(std::equal(out.begin(), out.end(), golden.begin()));
}

TEST_CASE("IPv4 too short", "[wire][ipv4]") {
    auto bytes = dnsIp();
    std::span<const std::uint8_t> s(bytes);
    CHECK_FALSE(Ipv4Packet::view(s.first(19)));
    CHECK(Ipv4Repr::parse(s.first(19)).error() == Error::Truncated);
    // Header complete but the datagram cut short of total length.
    CHECK(Ipv4Repr::parse(s.first(40)).error() == Error::Truncated);
    CHECK(Ipv4Packet::view(s.first(40))->payload().size() == 20);
}

TEST_CASE("IPv4 bad version", "[wire][ipv4]") {
    auto bytes = dnsIp();
    bytes[0] = 0x65;
    fillIpv4Checksum(bytes); // the version test comes before the checksum
    CHECK(Ipv4Repr::parse(bytes).error() == Error::BadVersion);
}

TEST_CASE("IPv4 bad header length", "[wire][ipv4]") {
    auto bytes = dnsIp();
    bytes[0] = 0x44;
    CHECK(Ipv4Repr::parse(bytes).error() == Error::BadHeaderLength);
    CHECK_FALSE(fillIpv4Checksum(bytes));

    // IHL past the buffer is a truncation, found before the checksum.
    auto copy = dnsIp();
    copy.resize(20);
    copy[0] = 0x46;
    CHECK(Ipv4Repr::parse(copy).error() == Error::Truncated);
    CHECK_FALSE(Ipv4Packet::view(copy)->verifyChecksum());
    CHECK(Ipv4Packet::view(copy)->options().empty());
}

TEST_CASE("IPv4 bad checksum", "[wire][ipv4]") {
    auto bytes = dnsIp();
    bytes[10] ^= 0x01;
    CHECK_FALSE(Ipv4Packet::view(bytes)->verifyChecksum());
    CHECK(Ipv4Repr::parse(bytes).error() == Error::BadChecksum);
    REQUIRE(fillIpv4Checksum(bytes));
    CHECK(Ipv4Repr::parse(bytes).ok());
    CHECK(bytes == dnsIp());
}

TEST_CASE("IPv4 bad total length", "[wire][ipv4]") {
    auto bytes = dnsIp();
    bytes[2] = 0;
    bytes[3] = 19;
    REQUIRE(fillIpv4Checksum(bytes));
    CHECK(Ipv4Repr::parse(bytes).error() == Error::BadTotalLength);
    CHECK(Ipv4Packet::view(bytes)->payload().empty());
}

TEST_CASE("IPv4 in-place edits keep the checksum valid", "[wire][ipv4]") {
    auto bytes = dnsIp();
    REQUIRE(setTtl(bytes, 1));
    CHECK(Ipv4Packet::view(bytes)->ttl() == 1);
    CHECK(Ipv4Packet::view(bytes)->verifyChecksum());
    REQUIRE(setSrc(bytes, Ipv4Address::fromOctets(203, 0, 113, 7)));
    REQUIRE(setDst(bytes, Ipv4Address::fromOctets(198, 51, 100, 9)));
    auto p = Ipv4Packet::view(bytes);
    CHECK(p->src() == Ipv4Address::fromOctets(203, 0, 113, 7));
    CHECK(p->dst() == Ipv4Address::fromOctets(198, 51, 100, 9));
    CHECK(p->verifyChecksum());
    std::uint16_t incremental = p->headerChecksum();
    REQUIRE(fillIpv4Checksum(bytes));
    CHECK(Ipv4Packet::view(bytes)->headerChecksum() == incremental);

    std::vector<std::uint8_t> tiny(19);
    CHECK_FALSE(setTtl(tiny, 3));
    CHECK_FALSE(setSrc(tiny, Ipv4Address{}));
    CHECK_FALSE(fillIpv4Checksum(tiny));
}

TEST_CASE("IPv4 TTL decrement matches setTtl and recomputation", "[wire][ipv4]") {
    std::mt19937 rng(791);
    std::uniform_int_distribution<int> byte(0, 255);
    int steered = 0;
    for (int round = 0; round < 5000; ++round) {
        std::vector<std::uint8_t> h(20);
        for (auto& b : h)
            b = std::uint8_t(byte(rng));
        h[0] = 0x45;
        if (h[8] == 0) h[8] = 1;
        REQUIRE(fillIpv4Checksum(h));
        // Steer some headers to checksum 0xfeff, where adding 0x0100 must give 0x0000.
        for (unsigned w = 0; round % 50 == 0 && w <= 0xffff; ++w) {
            if (loadBe16(h.data() + 10) == 0xfeff) break;
            storeBe16(h.data() + 12, std::uint16_t(w));
            REQUIRE(fillIpv4Checksum(h));
        }
        if (loadBe16(h.data() + 10) == 0xfeff) ++steered;
        auto a = h;
        auto b = h;
        auto c = h;
        std::uint8_t ttl = decreaseTtl(a);
        REQUIRE(ttl == std::uint8_t(h[8] - 1));
        REQUIRE(setTtl(b, ttl));
        c[8] = ttl;
        REQUIRE(fillIpv4Checksum(c));
        REQUIRE(a == b);
        REQUIRE(a == c);
    }
    CHECK(steered >= 50);
}

TEST_CASE("IPv4 emit pads options with EOL", "[wire][ipv4]") {
    auto out = withOptions({kIpOptRa, 4, 0});
    REQUIRE(out.size() == 24);
    CHECK(out[0] == 0x46);
    CHECK(out[20] == kIpOptRa);
    CHECK(out[23] == kIpOptEnd);
    auto p = Ipv4Packet::view(out);
    REQUIRE(p);
    CHECK_FALSE(p->check());
    CHECK(p->options().size() == 4);
}

TEST_CASE("IPv4 options golden record route", "[wire][ipv4]") {
    std::span<const std::uint8_t> bytes(golden::kIpv4RecordRoute);
    auto p = Ipv4Packet::view(bytes);
    REQUIRE(p);
    CHECK_FALSE(p->check());
    CHECK(p->headerLength() == 36);
    CHECK(p->options().size() == 16);
    CHECK(p->payload().size() == 8);

    Ipv4OptionReader reader(p->options());
    auto rr = reader.next();
    REQUIRE(rr);
    CHECK(rr->type == kIpOptRr);
    CHECK(rr->length == 15);
    CHECK(rr->data.size() == 13);
    CHECK(rr->data[0] == 4); // pointer to the first free slot
    auto eol = reader.next();
    REQUIRE(eol);
    CHECK(eol->type == kIpOptEnd);
    CHECK(eol->offset == 15);
    CHECK_FALSE(reader.next());
    CHECK_FALSE(reader.error());

    auto info = compileIpv4Options(p->options());
    REQUIRE(info.ok());
    CHECK(info->rr == 20);
    CHECK(info->rrNeedAddr);
    CHECK(info->optlen == 16);

    auto repr = Ipv4Repr::parse(bytes);
    REQUIRE(repr.ok());
    CHECK(repr->options.size() == 16);
    CHECK(repr->payloadLength == 8);
    std::vector<std::uint8_t> out(repr->headerLength());
    repr->writeTo(out);
    CHECK(std::equal(out.begin(), out.end(), bytes.begin()));
}

TEST_CASE("IPv4 option reader structure errors", "[wire][ipv4]") {
    struct Row {
        std::vector<std::uint8_t> options;
        bool malformed;
        std::size_t offset;
    };
    const std::vector<Row> rows{
        {{kIpOptNoop, kIpOptNoop, kIpOptNoop, kIpOptNoop}, false, 0},
        {{kIpOptEnd, 0xff, 0x01, 0xff}, false, 0},                 // bytes after EOL are padding
        {{kIpOptNoop, kIpOptNoop, kIpOptNoop, kIpOptRr}, true, 3}, // no room for a length
        {{kIpOptRa, 1, 0, 0}, true, 0},                            // length below 2
        {{kIpOptRa, 0, 0, 0}, true, 0},
        {{kIpOptNoop, kIpOptRa, 5, 0, 0}, true, 1}, // length past the end
        {{kIpOptRa, 4, 0, 0}, false, 0},
    };
    for (const auto& row : rows) {
        Ipv4OptionReader reader(row.options);
        while (reader.next()) {
        }
        INFO("first byte " << int(row.options[0]) << " size " << row.options.size());
        CHECK(reader.error().has_value() == row.malformed);
        if (row.malformed) {
            CHECK(reader.error() == Error::Malformed);
            CHECK(reader.errorOffset() == row.offset);
            auto compiled = compile(row.options);
            REQUIRE_FALSE(compiled.ok());
            CHECK(compiled.error().pointer == 20 + row.offset);
        }
    }
}

TEST_CASE("IPv4 parse rejects malformed options", "[wire][ipv4]") {
    auto bytes = withOptions({kIpOptNoop, kIpOptTimestamp, 12, 5});
    CHECK(Ipv4Repr::parse(bytes).error() == Error::Malformed);
    CHECK(Ipv4Repr::parse(withOptions({kIpOptNoop, kIpOptNoop, kIpOptNoop})).ok());
}

TEST_CASE("IPv4 options compile like ip_options_compile", "[wire][ipv4]") {
    struct Row {
        const char* what;
        std::vector<std::uint8_t> options;
        int pointer; // -1: accepted
    };
    const std::vector<Row> rows{
        {"rr pointer below 4", {kIpOptRr, 7, 3, 0, 0, 0, 0, 0}, 22},
        {"rr length below 3", {kIpOptRr, 2, 0, 0}, 21},
        {"rr pointer inside a slot", {kIpOptRr, 7, 5, 0, 0, 0, 0, 0}, 22},
        {"rr full", {kIpOptRr, 7, 8, 0, 0, 0, 0, 0}, -1},
        {"duplicate rr", {kIpOptRr, 3, 4, kIpOptRr, 3, 4, 0, 0}, 23},
        {"lsrr", {kIpOptLsrr, 7, 4, 10, 0, 0, 1, 0}, -1},
        {"lsrr pointer below 4", {kIpOptLsrr, 7, 3, 10, 0, 0, 1, 0}, 22},
        {"two source routes", {kIpOptLsrr, 3, 4, kIpOptSsrr, 3, 4, 0, 0}, 23},
        {"ts length below 4", {kIpOptTimestamp, 3, 5, 0}, 21},
        {"ts pointer below 5", {kIpOptTimestamp, 8, 4, 0, 0, 0, 0, 0}, 22},
        {"ts only", {kIpOptTimestamp, 8, 5, kIpOptTsOnly, 0, 0, 0, 0}, -1},
        {"ts and addr without room", {kIpOptTimestamp, 8, 5, kIpOptTsAndAddr, 0, 0, 0, 0}, 22},
        {"ts full, overflow 15", {kIpOptTimestamp, 8, 9, 0xf0, 0, 0, 0, 0}, 23},
        {"ts full, overflow 14", {kIpOptTimestamp, 8, 9, 0xe0, 0, 0, 0, 0}, -1},
        {"router alert length 3", {kIpOptRa, 3, 0, 0}, 21},
        {"unknown option", {0x55, 4, 1, 2}, -1},
    };
    for (const auto& row : rows) {
        INFO(row.what);
        auto result = compile(row.options);
        if (row.pointer < 0) {
            CHECK(result.ok());
        } else {
            REQUIRE_FALSE(result.ok());
            CHECK(result.error().error == Error::Malformed);
            CHECK(int(result.error().pointer) == row.pointer);
        }
    }

    auto ra = compile({kIpOptRa, 4, 0, 0});
    REQUIRE(ra.ok());
    CHECK(ra->routerAlert == 20);
    auto ssrr = compile({kIpOptNoop, kIpOptSsrr, 7, 4, 10, 0, 0, 1});
    REQUIRE(ssrr.ok());
    CHECK(ssrr->srr == 21);
    CHECK(ssrr->isStrictRoute);
    auto ts = compile({kIpOptTimestamp, 12, 5, kIpOptTsAndAddr, 0, 0, 0, 0, 0, 0, 0, 0});
    REQUIRE(ts.ok());
    CHECK(ts->ts == 20);
    CHECK(ts->tsNeedAddr);
    CHECK(ts->tsNeedTime);
}
