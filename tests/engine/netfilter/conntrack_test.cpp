// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/conntrack.h"

#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace stackscope;
using namespace stackscope::netfilter;
using wire::Ipv4Address;

namespace {

using Bytes = std::vector<std::uint8_t>;

const Ipv4Address kClient = Ipv4Address::fromOctets(10, 0, 0, 7);
const Ipv4Address kServer = Ipv4Address::fromOctets(10, 0, 0, 2);
const Ipv4Address kOther = Ipv4Address::fromOctets(10, 0, 0, 9);
const std::uint8_t kPayload[4] = {1, 2, 3, 4};

Bytes withIp(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol, std::size_t l4Length) {
    wire::Ipv4Repr ip;
    ip.src = src;
    ip.dst = dst;
    ip.protocol = protocol;
    ip.payloadLength = std::uint16_t(l4Length);
    Bytes out(ip.totalLength());
    ip.writeTo(std::span(out).first(ip.headerLength()));
    return out;
}

Bytes udp(Ipv4Address src, std::uint16_t sport, Ipv4Address dst, std::uint16_t dport) {
    wire::UdpRepr u{sport, dport, kPayload};
    Bytes out = withIp(src, dst, wire::kIpProtoUdp, u.bufferLength());
    u.writeTo(std::span(out).subspan(20), src, dst);
    return out;
}

Bytes tcp(Ipv4Address src, std::uint16_t sport, Ipv4Address dst, std::uint16_t dport,
          std::uint8_t flags) {
    wire::TcpRepr t;
    t.srcPort = sport;
    t.dstPort = dport;
    t.flags = flags;
    t.seq = 1000;
    t.window = 64240;
    Bytes out = withIp(src, dst, wire::kIpProtoTcp, t.bufferLength());
    t.writeTo(std::span(out).subspan(20), src, dst);
    return out;
}

Bytes icmp(Ipv4Address src, Ipv4Address dst, std::uint8_t type, std::uint8_t code,
           std::uint32_t rest, std::span<const std::uint8_t> payload = {}) {
    wire::IcmpRepr m;
    m.type = type;
    m.code = code;
    m.restOfHeader = rest;
    m.payload = payload;
    Bytes out = withIp(src, dst, wire::kIpProtoIcmp, m.bufferLength());
    m.writeTo(std::span(out).subspan(20));
    return out;
}

// An ICMP error quoting the IP header and 8 bytes of the offending packet.
Bytes icmpError(Ipv4Address src, Ipv4Address dst, std::uint8_t type, std::uint8_t code,
                const Bytes& offending) {
    std::span<const std::uint8_t> quoted(offending.data(),
                                         std::min<std::size_t>(28, offending.size()));
    return icmp(src, dst, type, code, 0, quoted);
}

enum class Side { C2S, S2C };

struct Row {
    Side side;
    std::uint8_t flags; // TCP rows only
    CtState state;
    CtDir dir;
    bool created;
};

} // namespace

TEST_CASE("UDP: unreplied packets stay NEW, the reply makes the flow ESTABLISHED", "[conntrack]") {
    Conntrack ct;
    const Row rows[] = {
        {Side::C2S, 0, CtState::New, CtDir::Original, true},
        {Side::C2S, 0, CtState::New, CtDir::Original, false},
        {Side::C2S, 0, CtState::New, CtDir::Original, false},
        {Side::S2C, 0, CtState::Established, CtDir::Reply, false},
        {Side::C2S, 0, CtState::Established, CtDir::Original, false},
        {Side::S2C, 0, CtState::Established, CtDir::Reply, false},
    };
    std::uint64_t id = 0;
    Nanos now = 0;
    for (const Row& row : rows) {
        Bytes p = row.side == Side::C2S ? udp(kClient, 40000, kServer, 53)
                                        : udp(kServer, 53, kClient, 40000);
        CtLookup r = ct.in(p, now);
        INFO("packet at " << now);
        CHECK(r.state == row.state);
        CHECK(r.dir == row.dir);
        CHECK(r.created == row.created);
        REQUIRE(r.id != 0);
        if (id == 0) id = r.id;
        CHECK(r.id == id);
        ct.confirm(r.id, now);
        now += 100 * kMillisecond;
    }
    CHECK(ct.size() == 1);
    CHECK(ct.seenReply(id));
}

TEST_CASE("TCP: handshake, teardown and state per packet", "[conntrack]") {
    using namespace wire;
    Conntrack ct;
    struct TcpRow {
        Side side;
        std::uint8_t flags;
        CtState state;
        CtDir dir;
        TcpCtState tcp;
    };
    const TcpRow rows[] = {
        {Side::C2S, kTcpSyn, CtState::New, CtDir::Original, TcpCtState::SynSent},
        {Side::C2S, kTcpSyn, CtState::New, CtDir::Original, TcpCtState::SynSent}, // retransmit
        {Side::S2C, kTcpSyn | kTcpAck, CtState::Established, CtDir::Reply, TcpCtState::SynRecv},
        {Side::C2S, kTcpAck, CtState::Established, CtDir::Original, TcpCtState::Established},
        {Side::C2S, kTcpAck | kTcpPsh, CtState::Established, CtDir::Original,
         TcpCtState::Established},
        {Side::C2S, kTcpFin | kTcpAck, CtState::Established, CtDir::Original, TcpCtState::FinWait},
        {Side::S2C, kTcpAck, CtState::Established, CtDir::Reply, TcpCtState::CloseWait},
        {Side::S2C, kTcpFin | kTcpAck, CtState::Established, CtDir::Reply, TcpCtState::LastAck},
        {Side::C2S, kTcpAck, CtState::Established, CtDir::Original, TcpCtState::TimeWait},
    };
    std::uint64_t id = 0;
    int i = 0;
    for (const TcpRow& row : rows) {
        Bytes p = row.side == Side::C2S ? tcp(kClient, 40000, kServer, 80, row.flags)
                                        : tcp(kServer, 80, kClient, 40000, row.flags);
        CtLookup r = ct.in(p, i * kMillisecond);
        INFO("row " << i);
        REQUIRE(r.id != 0);
        if (id == 0) id = r.id;
        CHECK(r.id == id);
        CHECK(r.state == row.state);
        CHECK(r.dir == row.dir);
        CHECK(ct.tcpState(id) == row.tcp);
        ct.confirm(r.id, i * kMillisecond);
        ++i;
    }
    CHECK(ct.isAssured(id));
    // A new SYN on the TIME_WAIT connection re-opens it as a new entry.
    CtLookup again = ct.in(tcp(kClient, 40000, kServer, 80, kTcpSyn), 20 * kMillisecond);
    CHECK(again.created);
    CHECK(again.id != id);
    CHECK(again.state == CtState::New);
}

TEST_CASE("TCP: invalid flag combinations and first packets", "[conntrack]") {
    using namespace wire;
    struct FlagRow {
        std::uint8_t flags;
        CtState state;
    };
    const FlagRow rows[] = {
        {kTcpSyn | kTcpFin, CtState::Invalid},
        {0, CtState::Invalid},
        {kTcpFin, CtState::Invalid},
        {kTcpSyn | kTcpRst, CtState::Invalid},
        {kTcpRst, CtState::Invalid},           // a RST opens nothing
        {kTcpSyn | kTcpAck, CtState::Invalid}, // SYN-ACK without a SYN
        {kTcpFin | kTcpAck, CtState::Invalid},
        {kTcpAck, CtState::New}, // mid-stream pickup (tcp_loose)
        {kTcpSyn | kTcpEce | kTcpCwr, CtState::New},
    };
    for (const FlagRow& row : rows) {
        Conntrack ct;
        CtLookup r = ct.in(tcp(kClient, 40000, kServer, 80, row.flags), 0);
        INFO("flags " << int(row.flags));
        CHECK(r.state == row.state);
        CHECK((r.id == 0) == (row.state == CtState::Invalid));
        CHECK(r.created == (row.state != CtState::Invalid));
        CHECK(ct.size() == (row.state == CtState::Invalid ? 0u : 1u));
    }

    Conntrack strict;
    strict.setTcpLoose(false);
    CHECK(strict.in(tcp(kClient, 40000, kServer, 80, kTcpAck), 0).state == CtState::Invalid);
}

TEST_CASE("TCP: mid-stream pickup and a RST answering a SYN", "[conntrack]") {
    using namespace wire;
    Conntrack ct;
    CtLookup ack = ct.in(tcp(kClient, 40000, kServer, 80, kTcpAck), 0);
    ct.confirm(ack.id, 0);
    CHECK(ct.tcpState(ack.id) == TcpCtState::Established);
    // Unreplied pickups are held for the unacknowledged timeout only.
    auto rows = ct.table(0);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].text.rfind("tcp      6 300 ESTABLISHED ", 0) == 0);
    CtLookup reply = ct.in(tcp(kServer, 80, kClient, 40000, kTcpAck), kSecond);
    CHECK(reply.state == CtState::Established);
    CHECK(ct.in(tcp(kClient, 40000, kServer, 80, kTcpAck), 2 * kSecond).state ==
          CtState::Established);
    CHECK(ct.isAssured(ack.id));

    Conntrack reset;
    CtLookup syn = reset.in(tcp(kClient, 40001, kServer, 81, kTcpSyn), 0);
    reset.confirm(syn.id, 0);
    CtLookup rst = reset.in(tcp(kServer, 81, kClient, 40001, kTcpRst | kTcpAck), kMillisecond);
    CHECK(rst.state == CtState::Established);
    CHECK(rst.id == syn.id);
    CHECK(reset.table(kMillisecond).empty());
    CHECK(reset.expire(kMillisecond) == 1);
    CHECK(reset.in(tcp(kClient, 40001, kServer, 81, kTcpSyn), 2 * kMillisecond).created);
}

TEST_CASE("ICMP echo: request NEW, reply ESTABLISHED, stray reply INVALID", "[conntrack]") {
    Conntrack ct;
    Bytes request = icmp(kClient, kServer, wire::kIcmpEcho, 0, wire::IcmpRepr::echoRest(77, 1));
    Bytes reply = icmp(kServer, kClient, wire::kIcmpEchoReply, 0, wire::IcmpRepr::echoRest(77, 1));
    CtLookup a = ct.in(request, 0);
    CHECK(a.state == CtState::New);
    CHECK(a.created);
    ct.confirm(a.id, 0);
    CtLookup b = ct.in(reply, kMillisecond);
    CHECK(b.state == CtState::Established);
    CHECK(b.dir == CtDir::Reply);
    CHECK(b.id == a.id);
    CHECK(ct.in(request, 2 * kMillisecond).state == CtState::Established);

    Bytes stray = icmp(kServer, kClient, wire::kIcmpEchoReply, 0, wire::IcmpRepr::echoRest(78, 1));
    CtLookup c = ct.in(stray, 3 * kMillisecond);
    CHECK(c.state == CtState::Invalid);
    CHECK(c.id == 0);
    CHECK(ct.size() == 1);
}

TEST_CASE("ICMP errors about a tracked flow are RELATED, others INVALID", "[conntrack]") {
    Conntrack ct;
    Bytes query = udp(kClient, 40000, kServer, 53);
    CtLookup q = ct.in(query, 0);
    ct.confirm(q.id, 0);

    Bytes unreach =
        icmpError(kServer, kClient, wire::kIcmpDestUnreach, wire::kIcmpPortUnreach, query);
    CtLookup r = ct.in(unreach, kMillisecond);
    CHECK(r.state == CtState::Related);
    CHECK(r.dir == CtDir::Reply);
    CHECK(r.id == q.id);
    CHECK_FALSE(r.created);
    // A router on the way may send it too (time exceeded).
    CtLookup t = ct.in(icmpError(kOther, kClient, wire::kIcmpTimeExceeded, 0, query), kMillisecond);
    CHECK(t.state == CtState::Related);
    // The error only relates the flow; it is not a reply.
    CHECK_FALSE(ct.seenReply(q.id));

    Bytes unknown = udp(kClient, 40001, kServer, 53);
    CHECK(ct.in(icmpError(kServer, kClient, wire::kIcmpDestUnreach, 3, unknown), kMillisecond)
              .state == CtState::Invalid);
    // Sent to someone other than the quoted sender.
    CHECK(ct.in(icmpError(kServer, kOther, wire::kIcmpDestUnreach, 3, query), kMillisecond).state ==
          CtState::Invalid);
    // Too short to quote a header.
    CHECK(ct.in(icmp(kServer, kClient, wire::kIcmpDestUnreach, 3, 0), kMillisecond).state ==
          CtState::Invalid);
    CHECK(ct.size() == 1);
}

TEST_CASE("malformed packets are INVALID and allocate nothing", "[conntrack]") {
    Conntrack ct;
    Bytes good = udp(kClient, 40000, kServer, 53);

    Bytes badLength = good;
    badLength[20 + 4] = 0x00;
    badLength[20 + 5] = 0x40; // UDP length past the datagram
    Bytes shortHeader = good;
    shortHeader.resize(24);
    shortHeader[3] = 24;
    wire::fillIpv4Checksum(shortHeader);
    Bytes fragment = good;
    fragment[6] = 0x00;
    fragment[7] = 0x10; // offset 128 bytes
    wire::fillIpv4Checksum(fragment);
    Bytes badIpChecksum = good;
    badIpChecksum[10] ^= 0xff;
    Bytes badUdpChecksum = good;
    badUdpChecksum[27] ^= 0xff;

    for (const Bytes* p : {&badLength, &shortHeader, &fragment, &badIpChecksum}) {
        CtLookup r = ct.in(*p, 0, true);
        CHECK(r.state == CtState::Invalid);
        CHECK(r.id == 0);
    }
    CHECK(ct.in(badUdpChecksum, 0, true).state == CtState::Invalid);
    CHECK(ct.in(badUdpChecksum, 0, false).state == CtState::New); // nf_conntrack_checksum=0
    CHECK(ct.size() == 1);
}

TEST_CASE("UDP timeouts: 30 s unreplied, 120 s and ASSURED once a replied flow is 2 s old",
          "[conntrack]") {
    Conntrack ct;
    Bytes out = udp(kClient, 40000, kServer, 53);
    Bytes back = udp(kServer, 53, kClient, 40000);
    CtLookup a = ct.in(out, 0);
    // The timeout runs from confirmation, not from the first packet.
    ct.confirm(a.id, 500 * kMillisecond);
    REQUIRE(ct.table(500 * kMillisecond).size() == 1);
    CHECK(ct.table(500 * kMillisecond)[0].text.rfind("udp      17 30 ", 0) == 0);
    CHECK(ct.table(1500 * kMillisecond)[0].text.rfind("udp      17 29 ", 0) == 0);

    ct.in(back, kSecond);
    CHECK_FALSE(ct.isAssured(a.id));
    CHECK(ct.table(kSecond)[0].text.rfind("udp      17 30 ", 0) == 0);
    ct.in(out, 2 * kSecond); // exactly 2 s: not yet a stream
    CHECK_FALSE(ct.isAssured(a.id));
    ct.in(out, 2 * kSecond + 1);
    CHECK(ct.isAssured(a.id));
    auto rows = ct.table(2 * kSecond + 1);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].text.rfind("udp      17 120 ", 0) == 0);
    CHECK(rows[0].text.find("[ASSURED]") != std::string::npos);

    CHECK(ct.expire(122 * kSecond) == 0);
    CHECK(ct.expire(122 * kSecond + 1) == 1);
    CHECK(ct.size() == 0);
    CHECK(ct.in(out, 123 * kSecond).created);
}

TEST_CASE("timeouts are settable and expired entries are reaped on lookup", "[conntrack]") {
    Conntrack ct;
    CtTimeouts t;
    t.udp = 5 * kSecond;
    t.icmp = 7 * kSecond;
    ct.setTimeouts(t);
    Bytes out = udp(kClient, 40000, kServer, 53);
    CtLookup a = ct.in(out, 0);
    ct.confirm(a.id, 0);
    CHECK(ct.table(4 * kSecond).size() == 1);
    CHECK(ct.table(5 * kSecond).empty());
    // No gc ran, but the lookup finds the entry dead and starts over.
    CtLookup b = ct.in(out, 5 * kSecond);
    CHECK(b.created);
    CHECK(b.id != a.id);
    CHECK(ct.size() == 1);

    CtLookup ping = ct.in(icmp(kClient, kServer, wire::kIcmpEcho, 0, 5), 5 * kSecond);
    ct.confirm(ping.id, 5 * kSecond);
    CHECK(ct.expire(12 * kSecond - 1) == 0);
    CHECK(ct.expire(12 * kSecond) == 1);
    CHECK_FALSE(ct.exists(ping.id));
    CHECK(ct.exists(b.id)); // never confirmed: the gc does not look at it
}

TEST_CASE("destroyUnconfirmed: the next packet is a first packet again", "[conntrack]") {
    Conntrack ct;
    Bytes p = udp(kClient, 40000, kServer, 9);
    CtLookup a = ct.in(p, 0);
    REQUIRE(a.created);
    CHECK_FALSE(ct.isConfirmed(a.id));
    ct.destroyUnconfirmed(a.id); // filter INPUT dropped it
    CHECK(ct.size() == 0);
    CtLookup b = ct.in(p, kSecond);
    CHECK(b.created);
    CHECK(b.state == CtState::New);
    CHECK(b.id != a.id);
    CHECK(ct.confirm(b.id, kSecond));
    CHECK(ct.isConfirmed(b.id));
    ct.destroyUnconfirmed(b.id); // confirmed entries are not touched
    CHECK(ct.isConfirmed(b.id));
}

TEST_CASE("unconfirmed entries are invisible; the confirm clash merges the same flow",
          "[conntrack]") {
    Conntrack ct;
    Bytes p = udp(kClient, 40000, kServer, 53);
    CtLookup a = ct.in(p, 0);
    CtLookup b = ct.in(p, 1);
    CHECK(a.created);
    CHECK(b.created);
    CHECK(a.id != b.id);
    CHECK(ct.table(1).empty());
    CHECK(ct.confirm(a.id, 2));
    CHECK(ct.confirm(b.id, 3)); // same tuples: folded into a
    CHECK(ct.size() == 1);
    CHECK(ct.isConfirmed(a.id));
    CHECK_FALSE(ct.exists(b.id));
}

TEST_CASE("table() prints what conntrack -L prints", "[conntrack]") {
    using namespace wire;
    Conntrack ct;
    CtLookup u = ct.in(udp(kClient, 40000, kServer, 53), 0);
    ct.confirm(u.id, 0);
    CtLookup i = ct.in(icmp(kClient, kServer, kIcmpEcho, 0, IcmpRepr::echoRest(77, 1)), 0);
    ct.confirm(i.id, 0);
    CtLookup t = ct.in(tcp(kClient, 40000, kServer, 22, kTcpSyn), 0);
    ct.confirm(t.id, 0);
    ct.in(tcp(kServer, 22, kClient, 40000, kTcpSyn | kTcpAck), 0);
    ct.in(tcp(kClient, 40000, kServer, 22, kTcpAck), 0);
    ct.setMark(t.id, 7);
    CHECK(ct.mark(t.id) == 7);

    auto rows = ct.table(kSecond);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].text ==
          "udp      17 29 src=10.0.0.7 dst=10.0.0.2 sport=40000 dport=53 "
          "[UNREPLIED] src=10.0.0.2 dst=10.0.0.7 sport=53 dport=40000 mark=0 use=1");
    CHECK(rows[1].text == "icmp     1 29 src=10.0.0.7 dst=10.0.0.2 type=8 code=0 id=77 "
                          "[UNREPLIED] src=10.0.0.2 dst=10.0.0.7 type=0 code=0 id=77 mark=0 use=1");
    CHECK(rows[2].text ==
          "tcp      6 431999 ESTABLISHED src=10.0.0.7 dst=10.0.0.2 sport=40000 dport=22 "
          "src=10.0.0.2 dst=10.0.0.7 sport=22 dport=40000 [ASSURED] mark=7 use=1");
    CHECK(rows[0].id == u.id);
    CHECK(ct.describe(u) == "NEW udp 10.0.0.7:40000 -> 10.0.0.2:53");
    CHECK(ct.describe(CtLookup{CtState::Invalid}) == "INVALID");
}

TEST_CASE("generic protocols are tracked by address", "[conntrack]") {
    Conntrack ct;
    Bytes gre = withIp(kClient, kServer, 47, 4);
    CtLookup a = ct.in(gre, 0);
    ct.confirm(a.id, 0);
    CHECK(a.state == CtState::New);
    Bytes back = withIp(kServer, kClient, 47, 4);
    CHECK(ct.in(back, 1).state == CtState::Established);
    REQUIRE(ct.table(1).size() == 1);
    CHECK(ct.table(1)[0].text ==
          "gre      47 600 src=10.0.0.7 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.7 mark=0 use=1");
}

TEST_CASE("Conntrack is a value: copies are independent snapshots", "[conntrack]") {
    Conntrack ct;
    Bytes out = udp(kClient, 40000, kServer, 53);
    CtLookup a = ct.in(out, 0);
    ct.confirm(a.id, 0);
    Conntrack snapshot = ct;
    ct.in(udp(kServer, 53, kClient, 40000), 1);
    CHECK(ct.seenReply(a.id));
    CHECK_FALSE(snapshot.seenReply(a.id));
    CHECK(snapshot.in(out, 2).state == CtState::New);
    CHECK(ct.in(out, 2).state == CtState::Established);
}
