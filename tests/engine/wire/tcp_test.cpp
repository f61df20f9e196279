// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/tcp.h"

#include "golden_frames.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace stackscope::wire;

namespace {

const Ipv4Address kSrc = Ipv4Address::fromOctets(10, 0, 0, 1);
const Ipv4Address kDst = Ipv4Address::fromOctets(10, 0, 0, 2);

std::vector<std::uint8_t> synSegment() {
    auto tcp = golden::ipOf(golden::kTcpSynFrame).subspan(20);
    return {tcp.begin(), tcp.end()};
}

TcpRepr synRepr() {
    TcpRepr r;
    r.srcPort = 40000;
    r.dstPort = 80;
    r.seq = 0x12345678;
    r.flags = kTcpSyn;
    r.window = 64240;
    r.options.mss = 1460;
    r.options.sackPermitted = true;
    r.options.timestamps = TcpTimestamps{1000, 0};
    r.options.windowScale = 7;
    return r;
}

} // namespace

TEST_CASE("TCP deconstruct SYN", "[wire][tcp]") {
    auto bytes = synSegment();
    REQUIRE(bytes.size() == 40);
    auto p = TcpPacket::view(bytes);
    REQUIRE(p);
    CHECK_FALSE(p->check());
    CHECK(p->srcPort() == 40000);
    CHECK(p->dstPort() == 80);
    CHECK(p->seqNumber() == 0x12345678u);
    CHECK(p->ackNumber() == 0u);
    CHECK(p->dataOffset() == 10);
    CHECK(p->headerLength() == 40);
    CHECK(p->flags() == kTcpSyn);
    CHECK(p->syn());
    CHECK_FALSE(p->ack());
    CHECK_FALSE(p->fin());
    CHECK_FALSE(p->rst());
    CHECK(p->window() == 64240);
    CHECK(p->checksum() == 0x2fe8);
    CHECK(p->urgentPointer() == 0);
    CHECK(p->options().size() == 20);
    CHECK(p->payload().empty());
    CHECK(p->verifyChecksum(kSrc, kDst));
    CHECK_FALSE(p->verifyChecksum(kSrc, Ipv4Address::fromOctets(10, 0, 0, 3)));
}

TEST_CASE("TCP option reader walks the SYN options", "[wire][tcp]") {
    auto bytes = synSegment();
    TcpOptionReader reader(TcpPacket::view(bytes)->options());
    std::vector<std::uint8_t> kinds;
    while (auto option = reader.next())
        kinds.push_back(option->kind);
    CHECK_FALSE(reader.error());
    CHECK(kinds == std::vector<std::uint8_t>{kTcpOptMss, kTcpOptSackPermitted, kTcpOptTimestamp,
                                             kTcpOptNop, kTcpOptWindowScale});
}

TEST_CASE("TCP parse and construct SYN", "[wire][tcp]") {
    auto bytes = synSegment();
    auto repr = TcpRepr::parse(bytes, kSrc, kDst);
    REQUIRE(repr.ok());
    auto expected = synRepr();
    CHECK(repr->srcPort == expected.srcPort);
    CHECK(repr->dstPort == expected.dstPort);
    CHECK(repr->seq == expected.seq);
    CHECK(repr->ack == 0u);
    CHECK(repr->flags == kTcpSyn);
    CHECK(repr->window == 64240);
    CHECK(repr->options == expected.options);
    CHECK(repr->payload.empty());

    REQUIRE(expected.headerLength() == 40);
    std::vector<std::uint8_t> out(expected.bufferLength());
    expected.writeTo(out, kSrc, kDst);
    CHECK(out == bytes);
}

TEST_CASE("TCP construct with payload and SACK blocks round trips", "[wire][tcp]") {
    TcpRepr r;
    r.srcPort = 80;
    r.dstPort = 40000;
    r.seq = 0xfffffff0u;
    r.ack = 0x12345679u;
    r.flags = kTcpAck | kTcpPsh | kTcpEce | kTcpCwr;
    r.window = 502;
    r.options.timestamps = TcpTimestamps{0xdeadbeef, 1000};
    r.options.sackBlockCount = 2;
    r.options.sackBlocks[0] = {100, 200};
    r.options.sackBlocks[1] = {300, 400};
    const std::vector<std::uint8_t> data{'G', 'E', 'T', ' ', '/', '\r', '\n'};
    r.payload = data;
    REQUIRE(r.optionsLength() == 12 + 4 + 16);

    std::vector<std::uint8_t> out(r.bufferLength());
    r.writeTo(out, kDst, kSrc);
    CHECK(out[20] == kTcpOptNop); // NOP NOP TS when SACK is not permitted
    CHECK(out[22] == kTcpOptTimestamp);
    CHECK(out[32] == kTcpOptNop);
    CHECK(out[34] == kTcpOptSack);
    CHECK(out[35] == 18);

    auto back = TcpRepr::parse(out, kDst, kSrc);
    REQUIRE(back.ok());
    CHECK(back->options == r.options);
    CHECK(back->seq == r.seq);
    CHECK(back->ack == r.ack);
    CHECK(back->flags == r.flags);
    CHECK(std::equal(back->payload.begin(), back->payload.end(), data.begin(), data.end()));
    auto p = TcpPacket::view(out);
    CHECK(p->ece());
    CHECK(p->cwr());
    CHECK(p->psh());
    CHECK_FALSE(p->urg());
}

TEST_CASE("TCP option lengths", "[wire][tcp]") {
    struct Row {
        const char* what;
        std::vector<std::uint8_t> options;
        bool malformed;
    };
    const std::vector<Row> rows{
        {"nops and eol", {kTcpOptNop, kTcpOptNop, kTcpOptEol, 0x55}, false},
        {"mss length 3", {kTcpOptMss, 3, 5, kTcpOptNop}, true},
        {"window scale length 4", {kTcpOptWindowScale, 4, 7, 0}, true},
        {"sack permitted length 3", {kTcpOptSackPermitted, 3, 0, 0}, true},
        {"timestamps length 8", {kTcpOptTimestamp, 8, 0, 0, 0, 0, 0, 0}, true},
        {"sack with half a block", {kTcpOptSack, 6, 0, 0, 0, 0, 0, 0}, true},
        {"sack with no block", {kTcpOptSack, 2, 0, 0}, true},
        {"length below 2", {0x1e, 1, 0, 0}, true},
        {"length past the end", {kTcpOptNop, kTcpOptMss, 4, 5}, true},
        {"no room for length", {kTcpOptNop, kTcpOptNop, kTcpOptNop, kTcpOptMss}, true},
        {"unknown kind skipped", {0x1e, 4, 1, 2, kTcpOptMss, 4, 0x05, 0xb4}, false},
    };
    for (const auto& row : rows) {
        INFO(row.what);
        auto parsed = parseTcpOptions(row.options);
        CHECK(parsed.ok() == !row.malformed);
        if (row.malformed) CHECK(parsed.error() == Error::Malformed);
    }
    CHECK(parseTcpOptions(rows.back().options)->mss == 1460);
}

TEST_CASE("TCP too short and bad header length", "[wire][tcp]") {
    auto bytes = synSegment();
    std::span<const std::uint8_t> s(bytes);
    CHECK_FALSE(TcpPacket::view(s.first(19)));
    CHECK(TcpRepr::parse(s.first(19)).error() == Error::Truncated);
    CHECK(TcpRepr::parse(s.first(39)).error() == Error::Truncated); // options cut
    CHECK(TcpPacket::view(s.first(30))->options().size() == 10);

    auto bad = bytes;
    bad[12] = 0x40; // data offset 4
    CHECK(TcpRepr::parse(bad).error() == Error::BadHeaderLength);
    CHECK(TcpPacket::view(bad)->options().empty());
    CHECK(TcpPacket::view(bad)->payload().size() == 20);
}

TEST_CASE("TCP bad checksum and malformed options", "[wire][tcp]") {
    auto bytes = synSegment();
    auto corrupt = bytes;
    corrupt[4] ^= 0x80;
    CHECK(TcpRepr::parse(corrupt).ok());
    CHECK(TcpRepr::parse(corrupt, kSrc, kDst).error() == Error::BadChecksum);

    auto badOption = bytes;
    badOption[21] = 5; // MSS length 5
    CHECK(TcpRepr::parse(badOption).error() == Error::Malformed);
}
