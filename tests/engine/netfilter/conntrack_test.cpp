// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/conntrack.h"

#include "model/sysctl.h"

#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <array>
#include <optional>
#include <string>
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


// One TCP segment with the fields the window tracking looks at.
struct Seg {
    Seg(std::uint32_t seq_, std::uint32_t ack_, std::uint16_t window_ = 64240,
        std::size_t payload_ = 0, std::optional<std::uint8_t> wscale_ = {}, bool sackPerm_ = false)
        : seq(seq_), ack(ack_), window(window_), payload(payload_), wscale(wscale_),
          sackPerm(sackPerm_) {}
    std::uint32_t seq;
    std::uint32_t ack;
    std::uint16_t window;
    std::size_t payload;                // bytes of payload (zeros)
    std::optional<std::uint8_t> wscale; // window scale option
    bool sackPerm;
};

const std::array<std::uint8_t, 1400> kZeros{};

Bytes tcpSeg(Side side, std::uint8_t flags, const Seg& s, std::uint16_t clientPort = 40000) {
    const Ipv4Address src = side == Side::C2S ? kClient : kServer;
    const Ipv4Address dst = side == Side::C2S ? kServer : kClient;
    wire::TcpRepr t;
    t.srcPort = side == Side::C2S ? clientPort : 80;
    t.dstPort = side == Side::C2S ? 80 : clientPort;
    t.flags = flags;
    t.seq = s.seq;
    t.ack = s.ack;
    t.window = s.window;
    t.options.windowScale = s.wscale;
    t.options.sackPermitted = s.sackPerm;
    if (flags & wire::kTcpSyn) t.options.mss = 1460;
    t.payload = std::span(kZeros).first(s.payload);
    Bytes out = withIp(src, dst, wire::kIpProtoTcp, t.bufferLength());
    t.writeTo(std::span(out).subspan(20), src, dst);
    return out;
}

// Runs one segment through conntrack and confirms a new entry, as the hooks do.
CtLookup send(Conntrack& ct, Side side, std::uint8_t flags, const Seg& s, Nanos now) {
    CtLookup r = ct.in(tcpSeg(side, flags, s), now);
    if (r.created) ct.confirm(r.id, now);
    return r;
}

// Client ISN 1000, server ISN 5000, both with window scale 7 and SACK.
std::uint64_t handshake(Conntrack& ct, Nanos now = 0) {
    using namespace wire;
    CtLookup syn = send(ct, Side::C2S, kTcpSyn, {1000, 0, 64240, 0, 7, true}, now);
    send(ct, Side::S2C, kTcpSyn | kTcpAck, {5000, 1001, 65160, 0, 7, true}, now);
    send(ct, Side::C2S, kTcpAck, {1001, 5001, 502}, now);
    return syn.id;
}

Nanos remaining(const Conntrack& ct, std::uint64_t id, Nanos now) {
    return *ct.timeoutOf(id) - now;
}

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
    CHECK(ct.describe(CtLookup{CtState::Invalid, CtDir::Original, 0, false, {}}) == "INVALID");
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

TEST_CASE("TCP: handshake, data and FIN close walk the states with kernel timeouts",
          "[conntrack][tcp]") {
    using namespace wire;
    Conntrack ct;
    struct Step {
        Side side;
        std::uint8_t flags;
        Seg seg;
        CtState ctstate;
        TcpCtState tcp;
        Nanos timeout;
    };
    // The timeouts are nf_conntrack_tcp_timeout_*; unacknowledged data caps
    // them at 300 s (nf_conntrack_tcp_timeout_unacknowledged).
    const Step steps[] = {
        {Side::C2S, kTcpSyn, {1000, 0, 64240, 0, 7, true}, CtState::New, TcpCtState::SynSent,
         120 * kSecond},
        {Side::S2C, kTcpSyn | kTcpAck, {5000, 1001, 65160, 0, 7, true}, CtState::Established,
         TcpCtState::SynRecv, 60 * kSecond},
        {Side::C2S, kTcpAck, {1001, 5001, 502}, CtState::Established, TcpCtState::Established,
         432000 * kSecond},
        {Side::C2S, kTcpAck | kTcpPsh, {1001, 5001, 502, 100}, CtState::Established,
         TcpCtState::Established, 300 * kSecond},
        {Side::S2C, kTcpAck, {5001, 1101, 509}, CtState::Established, TcpCtState::Established,
         432000 * kSecond},
        {Side::C2S, kTcpFin | kTcpAck, {1101, 5001, 502}, CtState::Established,
         TcpCtState::FinWait, 120 * kSecond},
        {Side::S2C, kTcpAck, {5001, 1102, 509}, CtState::Established, TcpCtState::CloseWait,
         60 * kSecond},
        {Side::S2C, kTcpFin | kTcpAck, {5001, 1102, 509}, CtState::Established,
         TcpCtState::LastAck, 30 * kSecond},
        {Side::C2S, kTcpAck, {1102, 5002, 502}, CtState::Established, TcpCtState::TimeWait,
         120 * kSecond},
    };
    std::uint64_t id = 0;
    Nanos now = 0;
    int i = 0;
    for (const Step& step : steps) {
        INFO("step " << i);
        CtLookup r = send(ct, step.side, step.flags, step.seg, now);
        REQUIRE(r.id != 0);
        if (id == 0) id = r.id;
        CHECK(r.id == id);
        CHECK(r.state == step.ctstate);
        CHECK(r.note.empty());
        CHECK(ct.tcpState(id) == step.tcp);
        CHECK(remaining(ct, id, now) == step.timeout);
        if (i == 2) {
            CHECK(ct.isAssured(id));
            // Both sides offered window scaling, so both factors are in force.
            auto orig = *ct.tcpWindow(id, CtDir::Original);
            auto reply = *ct.tcpWindow(id, CtDir::Reply);
            CHECK(orig.tdScale == 7);
            CHECK(reply.tdScale == 7);
            CHECK((orig.flags & kCtTcpFlagSackPerm) != 0);
            CHECK(orig.tdEnd == 1001);
            CHECK(reply.tdEnd == 5001);
            CHECK(orig.tdMaxWin == 502u << 7); // the ACK's window, scaled
            CHECK(reply.tdMaxEnd == 5001 + (502u << 7));
            CHECK(ct.describe(r) ==
                  "ESTABLISHED tcp 10.0.0.7:40000 -> 10.0.0.2:80 ESTABLISHED");
        }
        now += 10 * kMillisecond;
        ++i;
    }
    auto rows = ct.table(now);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].text.rfind("tcp      6 119 TIME_WAIT src=10.0.0.7 dst=10.0.0.2 ", 0) == 0);
    CHECK(ct.stats().invalid == 0);

    // A new SYN re-opens the closed connection: the old entry dies, a new one starts.
    CtLookup again = send(ct, Side::C2S, kTcpSyn, {90000, 0, 64240}, now);
    CHECK(again.created);
    CHECK(again.id != id);
    CHECK(again.state == CtState::New);
    CHECK(ct.tcpState(again.id) == TcpCtState::SynSent);
    CHECK_FALSE(ct.exists(id));
}

TEST_CASE("TCP: window scaling is off unless both SYNs carry the option", "[conntrack][tcp]") {
    using namespace wire;
    Conntrack ct;
    CtLookup syn = send(ct, Side::C2S, kTcpSyn, {1000, 0, 64240, 0, 7, true}, 0);
    send(ct, Side::S2C, kTcpSyn | kTcpAck, {5000, 1001, 65160}, 0);
    send(ct, Side::C2S, kTcpAck, {1001, 5001, 502}, 0);
    CHECK(ct.tcpWindow(syn.id, CtDir::Original)->tdScale == 0);
    CHECK(ct.tcpWindow(syn.id, CtDir::Reply)->tdScale == 0);
    CHECK(ct.tcpWindow(syn.id, CtDir::Original)->tdMaxWin == 64240); // 502 unscaled is smaller
}

TEST_CASE("TCP: out-of-window segments are INVALID unless nf_conntrack_tcp_be_liberal",
          "[conntrack][tcp]") {
    using namespace wire;
    struct Row {
        const char* what;
        Side side;
        std::uint8_t flags;
        Seg seg;
        CtState strict;   // nf_conntrack_tcp_be_liberal = 0
        bool ignored;     // let through without updating the entry
    };
    const Row rows[] = {
        // The server's SYN-ACK allowed 1001 + 65160; this is far beyond.
        {"SEQ over the upper bound", Side::C2S, kTcpAck | kTcpPsh, {201001, 5001, 502, 100},
         CtState::Invalid, false},
        {"ACK of data never sent", Side::C2S, kTcpAck, {1001, 105001, 502}, CtState::Invalid,
         false},
        {"FIN over the upper bound", Side::S2C, kTcpFin | kTcpAck, {5001 + 300000, 1001, 509},
         CtState::Invalid, false},
        // Old data retransmitted: let through and ignored, not INVALID.
        {"SEQ under the lower bound", Side::C2S, kTcpAck, {1001u - 200000u, 5001, 502},
         CtState::Established, true},
        {"in window", Side::C2S, kTcpAck | kTcpPsh, {1001, 5001, 502, 1000},
         CtState::Established, false},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        Conntrack strict;
        std::uint64_t id = handshake(strict);
        const auto before = *strict.tcpWindow(id, CtDir::Original);
        CtLookup r = strict.in(tcpSeg(row.side, row.flags, row.seg), kMillisecond);
        CHECK(r.state == row.strict);
        CHECK((r.id == 0) == (row.strict == CtState::Invalid));
        CHECK(strict.stats().invalid == (row.strict == CtState::Invalid ? 1u : 0u));
        CHECK(r.note.empty() == (row.strict != CtState::Invalid && !row.ignored));
        CHECK(strict.tcpState(id) == TcpCtState::Established);
        if (row.strict == CtState::Invalid) {
            CHECK(strict.describe(r).rfind("INVALID (", 0) == 0);
            CHECK(strict.tcpWindow(id, CtDir::Original)->tdEnd == before.tdEnd);
        }

        Conntrack liberal;
        liberal.setTcpBeLiberal(true);
        std::uint64_t lid = handshake(liberal);
        CtLookup l = liberal.in(tcpSeg(row.side, row.flags, row.seg), kMillisecond);
        CHECK(l.state == CtState::Established);
        CHECK(l.id == lid);
        CHECK(liberal.stats().invalid == 0);
    }
}

TEST_CASE("TCP: mid-stream pickup with nf_conntrack_tcp_loose 1 and 0", "[conntrack][tcp]") {
    using namespace wire;
    Conntrack loose;
    CtLookup ack = send(loose, Side::C2S, kTcpAck, {777000, 333000, 1000}, 0);
    REQUIRE(ack.id != 0);
    CHECK(ack.state == CtState::New); // no reply seen yet
    CHECK(loose.tcpState(ack.id) == TcpCtState::Established);
    CHECK(remaining(loose, ack.id, 0) == 300 * kSecond); // unacknowledged cap
    // Picked-up connections are tracked liberally: their scale factors are unknown.
    CHECK((loose.tcpWindow(ack.id, CtDir::Original)->flags & kCtTcpFlagBeLiberal) != 0);
    CtLookup reply = send(loose, Side::S2C, kTcpAck, {333000, 777000, 1000}, kSecond);
    CHECK(reply.state == CtState::Established);
    CHECK(reply.id == ack.id);
    CtLookup next = send(loose, Side::C2S, kTcpAck, {777000, 333000, 1000}, 2 * kSecond);
    CHECK(next.state == CtState::Established);
    CHECK(loose.isAssured(ack.id));
    // A segment far outside any window still passes on a picked-up connection.
    CHECK(send(loose, Side::C2S, kTcpAck, {977000000, 333000, 1000}, 3 * kSecond).state ==
          CtState::Established);

    Conntrack strict;
    strict.setTcpLoose(false);
    CtLookup refused = strict.in(tcpSeg(Side::C2S, kTcpAck, {777000, 333000, 1000}), 0);
    CHECK(refused.state == CtState::Invalid);
    CHECK(refused.id == 0);
    CHECK(strict.size() == 0);
    CHECK(strict.stats().invalid == 1);
    CHECK(strict.describe(refused).find("nf_conntrack_tcp_loose") != std::string::npos);
    // A SYN still opens a connection.
    CHECK(send(strict, Side::C2S, kTcpSyn, {1000, 0}, 0).state == CtState::New);
}

TEST_CASE("TCP: SYN on TIME_WAIT re-opens, SYN after a peer's RST is only ignored",
          "[conntrack][tcp]") {
    using namespace wire;
    // The server re-opens a TIME_WAIT connection (roles switched): a new entry.
    {
        Conntrack ct;
        std::uint64_t id = handshake(ct);
        send(ct, Side::C2S, kTcpFin | kTcpAck, {1001, 5001, 502}, 0);
        send(ct, Side::S2C, kTcpFin | kTcpAck, {5001, 1002, 509}, 0);
        send(ct, Side::C2S, kTcpAck, {1002, 5002, 502}, 0);
        REQUIRE(ct.tcpState(id) == TcpCtState::TimeWait);
        CtLookup r = send(ct, Side::S2C, kTcpSyn, {70000, 0}, kSecond);
        CHECK(r.created);
        CHECK(r.dir == CtDir::Original);
        CHECK(r.state == CtState::New);
        CHECK(ct.tuple(r.id, CtDir::Original)->src == kServer);
        CHECK_FALSE(ct.exists(id));
    }
    // The server resets, then the client tries a new SYN: conntrack ignores it
    // (no FIN was seen and the RST came from the other side), and resyncs on
    // the SYN-ACK that answers it.
    {
        Conntrack ct;
        std::uint64_t id = handshake(ct);
        CtLookup rst = send(ct, Side::S2C, kTcpRst, {5001, 0, 0}, 0);
        CHECK(rst.state == CtState::Established);
        REQUIRE(ct.tcpState(id) == TcpCtState::Close);
        CHECK(remaining(ct, id, 0) == 10 * kSecond);
        CtLookup syn = send(ct, Side::C2S, kTcpSyn, {80000, 0, 64240, 0, 7, true}, kSecond);
        CHECK(syn.id == id);
        CHECK_FALSE(syn.created);
        CHECK(syn.state == CtState::Established);
        CHECK_FALSE(syn.note.empty());
        CHECK(ct.tcpState(id) == TcpCtState::Close);
        CtLookup synAck =
            send(ct, Side::S2C, kTcpSyn | kTcpAck, {60000, 80001, 65160, 0, 7, true}, kSecond);
        CHECK(synAck.id == id);
        CHECK(synAck.note.empty());
        CHECK(ct.tcpState(id) == TcpCtState::SynRecv);
        CHECK(ct.tcpWindow(id, CtDir::Original)->tdEnd == 80001);
        send(ct, Side::C2S, kTcpAck, {80001, 60001, 502}, kSecond);
        CHECK(ct.tcpState(id) == TcpCtState::Established);
    }
    // A SYN in ESTABLISHED is ignored, not INVALID; a SYN-ACK from the client is INVALID.
    {
        Conntrack ct;
        std::uint64_t id = handshake(ct);
        CtLookup syn = send(ct, Side::C2S, kTcpSyn, {99000, 0}, 0);
        CHECK(syn.state == CtState::Established);
        CHECK(syn.id == id);
        CHECK(ct.tcpState(id) == TcpCtState::Established);
        CHECK(send(ct, Side::C2S, kTcpSyn | kTcpAck, {1001, 5001}, 0).state == CtState::Invalid);
        // SYN from the server in ESTABLISHED
        CHECK(send(ct, Side::S2C, kTcpSyn, {5001, 0}, 0).state == CtState::Invalid);
    }
}

TEST_CASE("TCP: bad flags and a bad checksum are INVALID and counted", "[conntrack][tcp]") {
    using namespace wire;
    Conntrack ct;
    std::uint64_t id = handshake(ct);
    const std::uint8_t bad[] = {kTcpSyn | kTcpFin, kTcpSyn | kTcpRst, kTcpFin, 0,
                                kTcpFin | kTcpRst | kTcpAck, kTcpSyn | kTcpFin | kTcpAck};
    std::uint64_t n = 0;
    for (std::uint8_t flags : bad) {
        INFO("flags " << int(flags));
        CtLookup r = ct.in(tcpSeg(Side::C2S, flags, {1001, 5001, 502}), 0);
        CHECK(r.state == CtState::Invalid);
        CHECK(r.id == 0);
        CHECK(ct.stats().invalid == ++n);
        CHECK(ct.describe(r) == "INVALID (invalid tcp flag combination)");
    }
    CHECK(ct.tcpState(id) == TcpCtState::Established);

    Bytes corrupt = tcpSeg(Side::C2S, kTcpAck, {1001, 5001, 502});
    corrupt[20 + kTcpChecksumOffset] ^= 0xff;
    CHECK(ct.in(corrupt, 0, /*verifyChecksum=*/false).state == CtState::Established);
    CHECK(ct.in(corrupt, 0, /*verifyChecksum=*/true).state == CtState::Invalid);
    CHECK(ct.stats().invalid == n + 1);
    CHECK(ct.statsLine() ==
          fmt::format("cpu=0 found=0 invalid={} insert=0 insert_failed=0 drop=0 early_drop=0 "
                      "error=0 search_restart=0 clash_resolve=0 chaintoolong=0",
                      n + 1));
}

TEST_CASE("TCP: timeouts expire entries in virtual time", "[conntrack][tcp]") {
    using namespace wire;
    // An unanswered SYN lives 120 s; its retransmission does not extend that.
    {
        Conntrack ct;
        CtLookup syn = send(ct, Side::C2S, kTcpSyn, {1000, 0}, 0);
        CHECK(send(ct, Side::C2S, kTcpSyn, {1000, 0}, 100 * kSecond).id == syn.id);
        CHECK(ct.table(119 * kSecond).size() == 1);
        CHECK(ct.table(120 * kSecond).empty());
        CHECK(ct.expire(120 * kSecond) == 1);
        CHECK(send(ct, Side::C2S, kTcpSyn, {1000, 0}, 121 * kSecond).created);
    }
    // TIME_WAIT lasts nf_conntrack_tcp_timeout_time_wait, set here through the sysctls.
    {
        Sysctls sysctls;
        REQUIRE_FALSE(sysctls.set("net.netfilter.nf_conntrack_tcp_timeout_time_wait", "5"));
        REQUIRE_FALSE(sysctls.set("net.netfilter.nf_conntrack_tcp_timeout_established", "50"));
        Conntrack ct;
        ct.setSettings(ctSettingsFromSysctls(
            [&](std::string_view key) { return sysctls.get(key); }));
        CHECK(ct.settings().tcpLoose);
        CHECK(ct.settings().tcpMaxRetrans == 3);
        CHECK(ct.timeouts().tcpFinWait == 120 * kSecond);
        std::uint64_t id = handshake(ct);
        CHECK(remaining(ct, id, 0) == 50 * kSecond);
        send(ct, Side::C2S, kTcpFin | kTcpAck, {1001, 5001, 502}, kSecond);
        send(ct, Side::S2C, kTcpFin | kTcpAck, {5001, 1002, 509}, kSecond);
        send(ct, Side::C2S, kTcpAck, {1002, 5002, 502}, kSecond);
        REQUIRE(ct.tcpState(id) == TcpCtState::TimeWait);
        CHECK(ct.table(5 * kSecond).size() == 1);
        CHECK(ct.table(6 * kSecond).empty());
        // The next ACK finds nothing and is picked up as a new connection.
        CtLookup late = send(ct, Side::C2S, kTcpAck, {1002, 5002, 502}, 7 * kSecond);
        CHECK(late.created);
        CHECK(late.id != id);
    }
    // The same pure ACK retransmitted nf_conntrack_tcp_max_retrans times
    // shortens an established connection to nf_conntrack_tcp_timeout_max_retrans.
    {
        Conntrack ct;
        std::uint64_t id = handshake(ct);
        CHECK(remaining(ct, id, 0) == 432000 * kSecond);
        for (int i = 1; i <= 3; ++i) {
            send(ct, Side::C2S, kTcpAck, {1001, 5001, 502}, i * kSecond);
            CHECK(remaining(ct, id, i * kSecond) ==
                  (i < 3 ? 432000 * kSecond : 300 * kSecond));
        }
    }
}

TEST_CASE("TCP: SACK blocks count as acknowledgements in the window check", "[conntrack][tcp]") {
    using namespace wire;
    auto sackAck = [](std::uint32_t left, std::uint32_t right) {
        TcpRepr t;
        t.srcPort = 40000;
        t.dstPort = 80;
        t.flags = kTcpAck;
        t.seq = 1001;
        t.ack = 5001;
        t.window = 502;
        t.options.sackBlocks[0] = TcpSackBlock{left, right};
        t.options.sackBlockCount = 1;
        Bytes out = withIp(kClient, kServer, kIpProtoTcp, t.bufferLength());
        t.writeTo(std::span(out).subspan(20), kClient, kServer);
        return out;
    };
    Conntrack ct;
    std::uint64_t id = handshake(ct); // both SYNs offered SACK
    send(ct, Side::S2C, kTcpAck | kTcpPsh, {5001, 1001, 509, 1000}, 0);
    // The server sent up to 6001: a SACK of 5501..6001 is fine, one up to 6002 is not.
    CtLookup ok = ct.in(sackAck(5501, 6001), kMillisecond);
    CHECK(ok.state == CtState::Established);
    CHECK(ok.id == id);
    CtLookup over = ct.in(sackAck(5501, 6002), kMillisecond);
    CHECK(over.state == CtState::Invalid);
    CHECK(ct.describe(over) == "INVALID (ACK is over upper bound (ACKed data not seen yet))");

    // Without SACK permitted on the SYN-ACK, the blocks are not looked at.
    Conntrack plain;
    send(plain, Side::C2S, kTcpSyn, {1000, 0, 64240, 0, 7, true}, 0);
    send(plain, Side::S2C, kTcpSyn | kTcpAck, {5000, 1001, 65160, 0, 7, false}, 0);
    send(plain, Side::C2S, kTcpAck, {1001, 5001, 502}, 0);
    CHECK(plain.in(sackAck(5501, 9999), kMillisecond).state == CtState::Established);
}
