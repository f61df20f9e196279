// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/ruleset.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <sstream>

using namespace stackscope;
using namespace stackscope::netfilter;

namespace {

std::vector<std::string> split(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

void run(Ruleset& rs, const std::string& line) {
    auto e = rs.command(split(line));
    INFO(line);
    REQUIRE_FALSE(e.has_value());
}

// A UDP datagram 10.0.0.1:5000 -> 10.0.0.2:dport with 4 bytes of payload, DF, TTL 64, ID 0x1234.
std::vector<std::uint8_t> udp(std::uint16_t dport, std::uint8_t ttl = 64) {
    return {0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x40, 0x00, ttl, 17, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
            0x13, 0x88, std::uint8_t(dport >> 8), std::uint8_t(dport), 0x00, 0x0c, 0x00, 0x00, 1, 2, 3, 4};
}

PacketInfo packetFor(const std::vector<std::uint8_t>& bytes) {
    PacketInfo p;
    p.ip = bytes;
    p.inDev = "eth0";
    return p;
}

struct Recorder : TraceSink {
    std::vector<std::pair<std::string, int>> seen;
    void onRule(const TraceEntry& e) override { seen.emplace_back(std::string(e.chain), e.position); }
};

} // namespace

TEST_CASE("jump, RETURN, goto and policy counters", "[netfilter][traverse]") {
    Ruleset rs;
    run(rs, "iptables -P INPUT DROP");
    run(rs, "iptables -N A");
    run(rs, "iptables -N B");
    run(rs, "iptables -A INPUT -p udp -j A");
    run(rs, "iptables -A INPUT -p udp --dport 53 -j ACCEPT");
    run(rs, "iptables -A A -p udp --dport 7 -j RETURN");
    run(rs, "iptables -A A -p udp --dport 9 -g B");
    run(rs, "iptables -A A -p udp --dport 10 -j DROP");
    run(rs, "iptables -A B -j LOG --log-prefix b:");

    auto send = [&](std::uint16_t dport, Recorder* rec = nullptr) {
        auto bytes = udp(dport);
        auto p = packetFor(bytes);
        return rs.traverse(TableId::Filter, Hook::LocalIn, p, 0, rec);
    };
    Recorder rec;
    auto r53 = send(53, &rec);
    CHECK(r53.verdict == Verdict::Accept);
    CHECK(rs.ruleText(TableId::Filter, r53.chain, r53.position) == "-A INPUT -p udp -m udp --dport 53 -j ACCEPT");
    CHECK(rec.seen == std::vector<std::pair<std::string, int>>{{"INPUT", 1}, {"INPUT", 2}});

    auto r7 = send(7); // RETURN from A, then no INPUT rule matches: policy
    CHECK(r7.verdict == Verdict::Drop);
    CHECK(r7.byPolicy);
    auto r9 = send(9); // goto B, B falls off: back to INPUT's caller = policy, skipping INPUT rule 2
    CHECK(r9.verdict == Verdict::Drop);
    CHECK(r9.byPolicy);
    REQUIRE(r9.logs.size() == 1);
    CHECK(r9.logs[0].text ==
          "b:IN=eth0 OUT= MAC= SRC=10.0.0.1 DST=10.0.0.2 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=5000 DPT=9 LEN=12 ");
    auto r10 = send(10);
    CHECK(r10.verdict == Verdict::Drop);
    CHECK_FALSE(r10.byPolicy);

    const auto& input = rs.table(TableId::Filter).chains[0];
    CHECK(input.packets == 2); // only the packets that fell off the end
    CHECK(input.bytes == 64);
    CHECK(input.rules[0].packets == 4);
    CHECK(input.rules[1].packets == 1);
    CHECK(rs.save(true) == R"(*filter
:INPUT DROP [2:64]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
[4:128] -A INPUT -p udp -j A
[1:32] -A INPUT -p udp -m udp --dport 53 -j ACCEPT
[1:32] -A A -p udp -m udp --dport 7 -j RETURN
[1:32] -A A -p udp -m udp --dport 9 -g B
[1:32] -A A -p udp -m udp --dport 10 -j DROP
[1:32] -A B -j LOG --log-prefix "b:"
COMMIT
)");
    run(rs, "iptables -Z");
    CHECK(rs.table(TableId::Filter).chains[0].packets == 0);
}

TEST_CASE("targets report reject, nat, marks and ttl", "[netfilter][traverse]") {
    Ruleset rs;
    run(rs, "iptables -A INPUT -p udp --dport 1 -j REJECT --reject-with icmp-admin-prohibited");
    run(rs, "iptables -t nat -A PREROUTING -p udp --dport 2 -j DNAT --to-destination 10.9.9.9:53");
    run(rs, "iptables -t mangle -A PREROUTING -j MARK --set-mark 0x10/0xf0");
    run(rs, "iptables -t mangle -A PREROUTING -j CONNMARK --save-mark");
    run(rs, "iptables -t mangle -A PREROUTING -m mark --mark 0x10/0xf0 -j TTL --ttl-dec 5");
    run(rs, "iptables -t mangle -A PREROUTING -m ttl --ttl-eq 59 -j ACCEPT");

    auto b1 = udp(1);
    auto p1 = packetFor(b1);
    auto r1 = rs.traverse(TableId::Filter, Hook::LocalIn, p1, 0);
    CHECK(r1.verdict == Verdict::Drop);
    REQUIRE(r1.reject.has_value());
    CHECK(*r1.reject == RejectWith::AdminProhibited);

    auto b2 = udp(2);
    auto p2 = packetFor(b2);
    auto r2 = rs.traverse(TableId::Nat, Hook::PreRouting, p2, 0);
    CHECK(r2.nat.kind == NatKind::Dnat);
    CHECK(r2.nat.range.minAddress == wire::Ipv4Address::fromOctets(10, 9, 9, 9));
    CHECK(r2.nat.range.minPort == 53);

    p2.mark = 0x7;
    auto r3 = rs.traverse(TableId::Mangle, Hook::PreRouting, p2, 0);
    CHECK(p2.mark == 0x17);
    CHECK(p2.ctmark == 0x17);
    REQUIRE(r3.newTtl.has_value());
    CHECK(*r3.newTtl == 59);
    CHECK(r3.position == 4); // the ttl match saw the rewritten TTL
    CHECK_FALSE(r3.byPolicy);
}

TEST_CASE("limit match follows nft_limit's token bucket", "[netfilter][limit]") {
    Ruleset rs;
    run(rs, "iptables -A INPUT -m limit --limit 2/sec --limit-burst 3 -j ACCEPT");
    run(rs, "iptables -A INPUT -j DROP");
    auto bytes = udp(9);
    auto at = [&](Nanos t) {
        auto p = packetFor(bytes);
        return rs.traverse(TableId::Filter, Hook::LocalIn, p, t).verdict;
    };
    // A full bucket of 3 packets, then one packet every 500 ms.
    CHECK(at(0) == Verdict::Accept);
    CHECK(at(0) == Verdict::Accept);
    CHECK(at(0) == Verdict::Accept);
    CHECK(at(1) == Verdict::Drop);
    CHECK(at(499'999'999) == Verdict::Drop);
    CHECK(at(500'000'001) == Verdict::Accept);
    CHECK(at(600'000'000) == Verdict::Drop);
    CHECK(at(10 * kSecond) == Verdict::Accept);
    CHECK(at(10 * kSecond) == Verdict::Accept);
    CHECK(at(10 * kSecond) == Verdict::Accept);
    CHECK(at(10 * kSecond) == Verdict::Drop);
}

TEST_CASE("interfaces, addresses, ctstate, multiport, fragments", "[netfilter][traverse]") {
    Ruleset rs;
    run(rs, "iptables -A FORWARD -i veth+ -j DROP");
    run(rs, "iptables -A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT");
    run(rs, "iptables -A FORWARD -p udp -m multiport --dports 100:200,300 -j ACCEPT");
    run(rs, "iptables -A FORWARD -f -j ACCEPT");
    run(rs, "iptables -A FORWARD ! -s 10.0.0.0/8 -j ACCEPT");
    run(rs, "iptables -A FORWARD -j REJECT");
    auto verdictOf = [&](std::vector<std::uint8_t> b, std::string_view in, CtState st) {
        PacketInfo p;
        p.ip = b;
        p.inDev = in;
        p.outDev = "eth1";
        p.ctState = st;
        auto r = rs.traverse(TableId::Filter, Hook::Forward, p, 0);
        return r.position;
    };
    CHECK(verdictOf(udp(1), "veth12", CtState::New) == 1);
    CHECK(verdictOf(udp(1), "vet", CtState::Established) == 2);
    CHECK(verdictOf(udp(150), "eth0", CtState::New) == 3);
    CHECK(verdictOf(udp(300), "eth0", CtState::New) == 3);
    auto frag = udp(150);
    frag[7] = 0x10; // fragment offset 16: ports are not visible
    CHECK(verdictOf(frag, "eth0", CtState::New) == 4);
    CHECK(verdictOf(udp(301), "eth0", CtState::New) == 6);
}

TEST_CASE("200-rule chain throughput", "[netfilter][perf]") {
    Ruleset rs;
    for (int i = 0; i < 199; ++i)
        run(rs, "iptables -A INPUT -s 192.168." + std::to_string(i) + ".0/24 -p tcp --dport " + std::to_string(1000 + i) +
                    " -m conntrack --ctstate NEW -j DROP");
    run(rs, "iptables -A INPUT -p udp --dport 9 -j ACCEPT");
    auto bytes = udp(9);
    const int n = 300'000;
    auto start = std::chrono::steady_clock::now();
    int decidedByLast = 0;
    for (int i = 0; i < n; ++i) {
        auto p = packetFor(bytes);
        decidedByLast += rs.traverse(TableId::Filter, Hook::LocalIn, p, i).position == 200;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN("packets per second through 200 rules: " << n / secs);
    CHECK(decidedByLast == n);
    CHECK(rs.table(TableId::Filter).chains[0].rules[199].packets == std::uint64_t(n));
}

TEST_CASE("limit burst and refill match the kernel", "[netfilter][limit]") {
    // In a namespace with these rules, 10 back-to-back datagrams gave [3:90] on the limit
    // rule, and 10 more 1.1 s later raised it to [5:150].
    Ruleset rs;
    run(rs, "iptables -A OUTPUT -p udp -m limit --limit 2/sec --limit-burst 3 -j ACCEPT");
    run(rs, "iptables -A OUTPUT -p udp -j DROP");
    auto bytes = udp(9);
    auto burst = [&](Nanos t) {
        for (int i = 0; i < 10; ++i) {
            auto p = packetFor(bytes);
            p.inDev = {};
            p.outDev = "lo";
            rs.traverse(TableId::Filter, Hook::LocalOut, p, t + i * kMicrosecond);
        }
    };
    burst(0);
    CHECK(rs.table(TableId::Filter).chains[2].rules[0].packets == 3);
    burst(1100 * kMillisecond);
    CHECK(rs.table(TableId::Filter).chains[2].rules[0].packets == 5);
    CHECK(rs.table(TableId::Filter).chains[2].rules[1].packets == 15);
}
