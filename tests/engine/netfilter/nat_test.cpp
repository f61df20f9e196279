// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/nat.h"

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
const Ipv4Address kClient2 = Ipv4Address::fromOctets(10, 0, 0, 8);
const Ipv4Address kClient3 = Ipv4Address::fromOctets(10, 0, 0, 9);
const Ipv4Address kPublic = Ipv4Address::fromOctets(203, 0, 113, 1);
const Ipv4Address kServer = Ipv4Address::fromOctets(192, 168, 1, 10);
const Ipv4Address kRemote = Ipv4Address::fromOctets(198, 51, 100, 5);
const Ipv4Address kRouter = Ipv4Address::fromOctets(198, 51, 100, 254);
const Ipv4Address kLoopback = Ipv4Address::fromOctets(127, 0, 0, 1);
const std::uint8_t kPayload[4] = {1, 2, 3, 4};

Bytes withIp(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol, std::size_t l4Length) {
    wire::Ipv4Repr ip;
    ip.src = src;
    ip.dst = dst;
    ip.protocol = protocol;
    ip.ident = 0x4242;
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
    // Both sides use seq 7 and a 4-byte payload; an ACK acknowledges the
    // other side's SYN and payload (7 + 4 + 1), so conntrack's window check passes.
    t.seq = 7;
    t.ack = (flags & wire::kTcpAck) ? 12 : 0;
    t.window = 1024;
    t.payload = kPayload;
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

Bytes icmpError(Ipv4Address src, Ipv4Address dst, std::uint8_t type, std::uint8_t code,
                const Bytes& offending) {
    return icmp(src, dst, type, code, 0, std::span(offending).first(28));
}

wire::Ipv4Packet view(const Bytes& p) {
    return *wire::Ipv4Packet::view(p);
}
std::uint16_t sport(const Bytes& p) {
    return wire::loadBe16(p.data() + 20);
}
std::uint16_t dport(const Bytes& p) {
    return wire::loadBe16(p.data() + 22);
}

// Every checksum the packet carries verifies (a zero UDP checksum counts as fine).
bool checksumsOk(const Bytes& p) {
    auto ip = view(p);
    if (ip.check()) return false;
    switch (ip.protocol()) {
    case wire::kIpProtoUdp:
        return wire::UdpPacket::view(ip.payload())->verifyChecksum(ip.src(), ip.dst());
    case wire::kIpProtoTcp:
        return wire::TcpPacket::view(ip.payload())->verifyChecksum(ip.src(), ip.dst());
    case wire::kIpProtoIcmp:
        return wire::IcmpPacket::view(ip.payload())->verifyChecksum();
    default:
        return true;
    }
}

NatRequest dnat(Ipv4Address to, std::uint16_t port = 0) {
    NatRequest r;
    r.kind = NatKind::Dnat;
    r.range.hasAddress = true;
    r.range.minAddress = r.range.maxAddress = to;
    if (port) {
        r.range.hasPorts = true;
        r.range.minPort = r.range.maxPort = port;
    }
    return r;
}

NatRequest snat(Ipv4Address to, std::uint16_t minPort = 0, std::uint16_t maxPort = 0) {
    NatRequest r = dnat(to);
    r.kind = NatKind::Snat;
    if (minPort) {
        r.range.hasPorts = true;
        r.range.minPort = minPort;
        r.range.maxPort = maxPort;
    }
    return r;
}

// A forwarded first packet through PRE_ROUTING (null Dst binding) and
// POST_ROUTING (the given Src request), then confirmed.
std::uint64_t forwardSnat(Conntrack& ct, Bytes& p, const NatRequest& request, Nanos now = 0) {
    CtLookup r = ct.in(p, now);
    REQUIRE(r.created);
    ct.setNullBinding(r.id, NatManip::Dst);
    ct.applyNat(r.id, r.dir, Hook::PreRouting, p);
    REQUIRE(ct.setupNat(r.id, NatManip::Src, request));
    ct.applyNat(r.id, r.dir, Hook::PostRouting, p);
    REQUIRE(ct.confirm(r.id, now));
    return r.id;
}

} // namespace

TEST_CASE("hook to manip mapping", "[nat]") {
    CHECK(hookManip(Hook::PreRouting) == NatManip::Dst);
    CHECK(hookManip(Hook::LocalOut) == NatManip::Dst);
    CHECK(hookManip(Hook::PostRouting) == NatManip::Src);
    CHECK(hookManip(Hook::LocalIn) == NatManip::Src);
    CHECK_FALSE(hookManip(Hook::Forward).has_value());
}

TEST_CASE("DNAT rewrites the destination and the reply is de-NATed", "[nat]") {
    using namespace wire;
    Conntrack ct;
    Bytes syn = tcp(kRemote, 40000, kPublic, 80, kTcpSyn);
    CtLookup r = ct.in(syn, 0);
    REQUIRE(r.created);
    CHECK_FALSE(ct.hasBinding(r.id, NatManip::Dst));
    REQUIRE(ct.setupNat(r.id, NatManip::Dst, dnat(kServer, 8080)));
    CHECK(ct.hasBinding(r.id, NatManip::Dst));
    CHECK(ct.isNatted(r.id, NatManip::Dst));
    CHECK(ct.applyNat(r.id, r.dir, Hook::PreRouting, syn));
    CHECK(view(syn).dst() == kServer);
    CHECK(dport(syn) == 8080);
    CHECK(view(syn).src() == kRemote);
    CHECK(sport(syn) == 40000);
    CHECK(checksumsOk(syn));
    CHECK_FALSE(ct.applyNat(r.id, r.dir, Hook::Forward, syn));
    ct.setNullBinding(r.id, NatManip::Src);
    CHECK(ct.hasBinding(r.id, NatManip::Src));
    CHECK_FALSE(ct.isNatted(r.id, NatManip::Src));
    CHECK_FALSE(ct.applyNat(r.id, r.dir, Hook::PostRouting, syn));
    REQUIRE(ct.confirm(r.id, 0));
    CHECK(ct.tuple(r.id, CtDir::Reply) == CtTuple{kServer, kRemote, kIpProtoTcp, 8080, 40000});

    Bytes synAck = tcp(kServer, 8080, kRemote, 40000, kTcpSyn | kTcpAck);
    CtLookup back = ct.in(synAck, kMillisecond);
    CHECK(back.id == r.id);
    CHECK(back.dir == CtDir::Reply);
    CHECK(back.state == CtState::Established);
    CHECK_FALSE(ct.applyNat(back.id, back.dir, Hook::PreRouting, synAck));
    CHECK(ct.applyNat(back.id, back.dir, Hook::PostRouting, synAck));
    CHECK(view(synAck).src() == kPublic);
    CHECK(sport(synAck) == 80);
    CHECK(view(synAck).dst() == kRemote);
    CHECK(checksumsOk(synAck));

    // Later packets use the stored binding.
    Bytes ack = tcp(kRemote, 40000, kPublic, 80, kTcpAck);
    CtLookup third = ct.in(ack, 2 * kMillisecond);
    CHECK(third.id == r.id);
    CHECK(ct.applyNat(third.id, third.dir, Hook::PreRouting, ack));
    CHECK(view(ack).dst() == kServer);
    CHECK(dport(ack) == 8080);
    CHECK(checksumsOk(ack));

    // A binding is made once, for its own manip only.
    CHECK_FALSE(ct.setupNat(r.id, NatManip::Dst, dnat(kServer)));
    Bytes other = udp(kRemote, 1, kPublic, 2);
    CtLookup o = ct.in(other, 0);
    CHECK_FALSE(ct.setupNat(o.id, NatManip::Src, dnat(kServer)));
    CHECK_FALSE(ct.setupNat(o.id, NatManip::Dst, snat(kServer)));
}

TEST_CASE("SNAT keeps the port when free, else takes the lowest free one", "[nat]") {
    Conntrack ct;
    Bytes a = udp(kClient, 40000, kRemote, 53);
    std::uint64_t first = forwardSnat(ct, a, snat(kPublic));
    CHECK(view(a).src() == kPublic);
    CHECK(sport(a) == 40000);
    CHECK(checksumsOk(a));

    Bytes b = udp(kClient2, 40000, kRemote, 53);
    std::uint64_t second = forwardSnat(ct, b, snat(kPublic));
    CHECK(second != first);
    CHECK(view(b).src() == kPublic);
    CHECK(sport(b) == 1024);
    CHECK(checksumsOk(b));
    CHECK(ct.tuple(second, CtDir::Reply) == CtTuple{kRemote, kPublic, wire::kIpProtoUdp, 53, 1024});

    // The reply to the moved flow finds its way back.
    Bytes reply = udp(kRemote, 53, kPublic, 1024);
    CtLookup r = ct.in(reply, kMillisecond);
    CHECK(r.id == second);
    CHECK(ct.applyNat(r.id, r.dir, Hook::PreRouting, reply));
    CHECK(view(reply).dst() == kClient2);
    CHECK(dport(reply) == 40000);
    CHECK(checksumsOk(reply));

    // Privileged source ports stay below 512.
    Bytes c = udp(kClient, 500, kRemote, 53);
    forwardSnat(ct, c, snat(kPublic));
    Bytes d = udp(kClient2, 500, kRemote, 53);
    forwardSnat(ct, d, snat(kPublic));
    CHECK(sport(c) == 500);
    CHECK(sport(d) == 1);
}

TEST_CASE("SNAT port ranges: allocation, exhaustion and the single-port clash", "[nat]") {
    Conntrack ct;
    Bytes a = udp(kClient, 40000, kRemote, 53);
    forwardSnat(ct, a, snat(kPublic, 6000, 6001));
    Bytes b = udp(kClient2, 40000, kRemote, 53);
    forwardSnat(ct, b, snat(kPublic, 6000, 6001));
    CHECK(sport(a) == 6000);
    CHECK(sport(b) == 6001);
    Bytes c = udp(kClient3, 40000, kRemote, 53);
    CtLookup r = ct.in(c, 0);
    CHECK_FALSE(ct.setupNat(r.id, NatManip::Src, snat(kPublic, 6000, 6001)));

    // One port is taken as given; the clash is found at confirmation.
    Conntrack single;
    Bytes x = udp(kClient, 40000, kRemote, 53);
    forwardSnat(single, x, snat(kPublic, 7000, 7000));
    Bytes y = udp(kClient2, 7000, kRemote, 53);
    CtLookup ry = single.in(y, 0);
    single.setNullBinding(ry.id, NatManip::Dst);
    CHECK(single.setupNat(ry.id, NatManip::Src, snat(kPublic, 7000, 7000)));
    CHECK_FALSE(single.confirm(ry.id, 0));
    CHECK_FALSE(single.exists(ry.id));
    CHECK(single.size() == 1);
}

TEST_CASE("a null source binding moves a clashing port", "[nat]") {
    // One client reaches two public addresses DNATed to the same server from
    // the same port: both reply tuples would be server:53 -> client:40000, so
    // the second one's null Src binding moves its source port.
    Conntrack ct;
    const Ipv4Address publics[] = {kPublic, Ipv4Address::fromOctets(203, 0, 113, 2)};
    const std::uint16_t expectedPort[] = {40000, 1024};
    for (int i = 0; i < 2; ++i) {
        Bytes p = udp(kClient, 40000, publics[i], 53);
        CtLookup r = ct.in(p, 0);
        REQUIRE(ct.setupNat(r.id, NatManip::Dst, dnat(kServer)));
        ct.applyNat(r.id, r.dir, Hook::PreRouting, p);
        ct.setNullBinding(r.id, NatManip::Src);
        CHECK(ct.isNatted(r.id, NatManip::Src) == (i == 1));
        ct.applyNat(r.id, r.dir, Hook::PostRouting, p);
        REQUIRE(ct.confirm(r.id, 0));
        CHECK(view(p).src() == kClient);
        CHECK(view(p).dst() == kServer);
        CHECK(sport(p) == expectedPort[i]);
        CHECK(checksumsOk(p));
    }
    CHECK(ct.table(0).size() == 2);
}

TEST_CASE("a zero UDP checksum stays zero", "[nat]") {
    Conntrack ct;
    Bytes p = udp(kClient, 40000, kRemote, 53);
    p[26] = p[27] = 0;
    forwardSnat(ct, p, snat(kPublic));
    CHECK(view(p).src() == kPublic);
    CHECK(p[26] == 0);
    CHECK(p[27] == 0);
    CHECK(checksumsOk(p));
}

TEST_CASE("MASQUERADE uses the given address and is flushed with it", "[nat]") {
    Conntrack ct;
    Bytes p = tcp(kClient, 40000, kRemote, 443, wire::kTcpSyn);
    CtLookup r = ct.in(p, 0);
    NatRequest masq;
    masq.kind = NatKind::Masquerade;
    CHECK_FALSE(ct.setupNat(r.id, NatManip::Src, masq)); // no address on the out device
    REQUIRE(ct.setupNat(r.id, NatManip::Src, masq, kPublic));
    CHECK(ct.applyNat(r.id, r.dir, Hook::PostRouting, p));
    CHECK(view(p).src() == kPublic);
    CHECK(sport(p) == 40000);
    CHECK(checksumsOk(p));
    REQUIRE(ct.confirm(r.id, 0));
    auto rows = ct.table(0);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].text == "tcp      6 120 SYN_SENT src=10.0.0.7 dst=198.51.100.5 sport=40000 "
                          "dport=443 [UNREPLIED] src=198.51.100.5 dst=203.0.113.1 sport=443 "
                          "dport=40000 mark=0 use=1");
    CHECK(ct.flushMasquerade(kClient) == 0);
    CHECK(ct.flushMasquerade(kPublic) == 1);
    CHECK(ct.size() == 0);
}

TEST_CASE("REDIRECT to the in device or to loopback", "[nat]") {
    Conntrack ct;
    NatRequest redirect;
    redirect.kind = NatKind::Redirect;
    redirect.range.hasPorts = true;
    redirect.range.minPort = redirect.range.maxPort = 3128;
    const Ipv4Address eth0 = Ipv4Address::fromOctets(10, 0, 0, 2);

    Bytes in = tcp(kClient, 40000, kRemote, 80, wire::kTcpSyn);
    CtLookup r = ct.in(in, 0);
    CHECK_FALSE(ct.setupNat(r.id, NatManip::Dst, redirect)); // device without an address
    REQUIRE(ct.setupNat(r.id, NatManip::Dst, redirect, {}, eth0));
    CHECK(ct.applyNat(r.id, r.dir, Hook::PreRouting, in));
    CHECK(view(in).dst() == eth0);
    CHECK(dport(in) == 3128);
    CHECK(checksumsOk(in));
    ct.setNullBinding(r.id, NatManip::Src);
    REQUIRE(ct.confirm(r.id, 0));
    Bytes answer = tcp(eth0, 3128, kClient, 40000, wire::kTcpSyn | wire::kTcpAck);
    CtLookup a = ct.in(answer, 0);
    CHECK(a.id == r.id);
    CHECK_FALSE(ct.applyNat(a.id, a.dir, Hook::LocalOut, answer));
    CHECK(ct.applyNat(a.id, a.dir, Hook::PostRouting, answer));
    CHECK(view(answer).src() == kRemote);
    CHECK(sport(answer) == 80);
    CHECK(checksumsOk(answer));

    Bytes local = udp(kClient, 5000, kRemote, 53);
    CtLookup l = ct.in(local, 0);
    NatRequest toLoopback;
    toLoopback.kind = NatKind::Redirect;
    REQUIRE(ct.setupNat(l.id, NatManip::Dst, toLoopback, {}, kLoopback));
    CHECK(ct.applyNat(l.id, l.dir, Hook::LocalOut, local));
    CHECK(view(local).dst() == kLoopback);
    CHECK(dport(local) == 53);
    CHECK(checksumsOk(local));
}

TEST_CASE("ICMP echo ids are NATed like ports", "[nat]") {
    using namespace wire;
    Conntrack ct;
    Bytes a = icmp(kClient, kRemote, kIcmpEcho, 0, IcmpRepr::echoRest(77, 1));
    forwardSnat(ct, a, snat(kPublic));
    Bytes b = icmp(kClient2, kRemote, kIcmpEcho, 0, IcmpRepr::echoRest(77, 1));
    std::uint64_t second = forwardSnat(ct, b, snat(kPublic));
    CHECK(IcmpPacket::view(view(a).payload())->echoId() == 77);
    CHECK(IcmpPacket::view(view(b).payload())->echoId() == 0);
    CHECK(checksumsOk(b));

    Bytes reply = icmp(kRemote, kPublic, kIcmpEchoReply, 0, IcmpRepr::echoRest(0, 1));
    CtLookup r = ct.in(reply, kMillisecond);
    CHECK(r.id == second);
    CHECK(r.state == CtState::Established);
    CHECK(ct.applyNat(r.id, r.dir, Hook::PreRouting, reply));
    CHECK(view(reply).dst() == kClient2);
    CHECK(IcmpPacket::view(view(reply).payload())->echoId() == 77);
    CHECK(checksumsOk(reply));
}

TEST_CASE("ICMP errors about NATed flows are translated inside and out", "[nat]") {
    using namespace wire;
    SECTION("port unreachable from a DNATed server") {
        Conntrack ct;
        const Bytes original = udp(kRemote, 5000, kPublic, 53);
        Bytes p = original;
        CtLookup r = ct.in(p, 0);
        REQUIRE(ct.setupNat(r.id, NatManip::Dst, dnat(kServer, 5353)));
        ct.applyNat(r.id, r.dir, Hook::PreRouting, p);
        ct.setNullBinding(r.id, NatManip::Src);
        REQUIRE(ct.confirm(r.id, 0));

        Bytes error = icmpError(kServer, kRemote, kIcmpDestUnreach, kIcmpPortUnreach, p);
        CtLookup e = ct.in(error, kMillisecond);
        CHECK(e.state == CtState::Related);
        CHECK(e.dir == CtDir::Reply);
        CHECK(e.id == r.id);
        CHECK_FALSE(ct.applyNat(e.id, e.dir, Hook::PreRouting, error));
        NatResult result = ct.natPacket(e.id, e.dir, Hook::PostRouting, error);
        CHECK(result.changed);
        CHECK_FALSE(result.drop);
        CHECK(view(error).src() == kPublic);
        CHECK(view(error).dst() == kRemote);
        CHECK(checksumsOk(error));
        // The quoted datagram is again what the client sent.
        CHECK(Bytes(error.begin() + 28, error.end()) ==
              Bytes(original.begin(), original.begin() + 28));
    }
    SECTION("time exceeded from a router about a SNATed flow") {
        Conntrack ct;
        const Bytes original = udp(kClient, 40000, kRemote, 33434);
        Bytes p = original;
        forwardSnat(ct, p, snat(kPublic, 2000, 2000));
        CHECK(sport(p) == 2000);
        Bytes error = icmpError(kRouter, kPublic, kIcmpTimeExceeded, kIcmpExcTtl, p);
        CtLookup e = ct.in(error, kMillisecond);
        CHECK(e.state == CtState::Related);
        CHECK(ct.applyNat(e.id, e.dir, Hook::PreRouting, error));
        CHECK(view(error).src() == kRouter);
        CHECK(view(error).dst() == kClient);
        CHECK(checksumsOk(error));
        CHECK(Bytes(error.begin() + 28, error.end()) ==
              Bytes(original.begin(), original.begin() + 28));
        CHECK_FALSE(ct.applyNat(e.id, e.dir, Hook::PostRouting, error));
    }
    SECTION("a redirect about a NATed flow is dropped") {
        Conntrack ct;
        Bytes p = udp(kClient, 40000, kRemote, 53);
        forwardSnat(ct, p, snat(kPublic));
        Bytes redirect = icmpError(kRouter, kPublic, kIcmpRedirect, kIcmpRedirHost, p);
        CtLookup e = ct.in(redirect, kMillisecond);
        REQUIRE(e.state == CtState::Related);
        CHECK(ct.natPacket(e.id, e.dir, Hook::PreRouting, redirect).drop);
    }
}

TEST_CASE("natManipPacket refuses a truncated header", "[nat]") {
    Bytes p = udp(kClient, 40000, kRemote, 53);
    p.resize(24);
    CtTuple target{kPublic, kRemote, wire::kIpProtoUdp, 1, 53};
    CHECK_FALSE(natManipPacket(p, 0, target, NatManip::Src).has_value());
}
