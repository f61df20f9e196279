// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/analysis.h"
#include "netfilter/rule_parser.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace stackscope;
using namespace stackscope::netfilter;

namespace {

// A ruleset from iptables-restore text (filter table unless the text says otherwise).
Ruleset load(const std::string& body, const std::string& table = "filter") {
    Ruleset rs;
    auto err = rs.restore("*" + table + "\n" + body + "COMMIT\n");
    INFO(body);
    REQUIRE_FALSE(err.has_value());
    return rs;
}

// The (rule, shadowedBy) pairs found in chain INPUT of the filter table.
std::vector<std::pair<std::size_t, std::size_t>> shadows(const Ruleset& rs,
                                                         const std::string& chain = "INPUT") {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    for (const auto& s : findShadowedRules(rs))
        if (s.chain == chain) out.emplace_back(s.rule, s.shadowedBy);
    return out;
}

using Pairs = std::vector<std::pair<std::size_t, std::size_t>>;

std::vector<std::uint8_t> ipv4(std::uint8_t proto, std::vector<std::uint8_t> l4,
                               std::uint8_t ttl = 64) {
    const std::size_t len = 20 + l4.size();
    std::vector<std::uint8_t> b{0x45,
                                0,
                                std::uint8_t(len >> 8),
                                std::uint8_t(len),
                                0x12,
                                0x34,
                                0x40,
                                0,
                                ttl,
                                proto,
                                0,
                                0,
                                10,
                                0,
                                0,
                                1,
                                10,
                                0,
                                0,
                                2};
    b.insert(b.end(), l4.begin(), l4.end());
    return b;
}
std::vector<std::uint8_t> udp(std::uint16_t sport, std::uint16_t dport) {
    return ipv4(17, {std::uint8_t(sport >> 8), std::uint8_t(sport), std::uint8_t(dport >> 8),
                     std::uint8_t(dport), 0, 12, 0, 0, 1, 2, 3, 4});
}
std::vector<std::uint8_t> tcp(std::uint16_t dport, std::uint8_t flags) {
    return ipv4(6, {0x30,
                    0x39,
                    std::uint8_t(dport >> 8),
                    std::uint8_t(dport),
                    0,
                    0,
                    0,
                    1,
                    0,
                    0,
                    0,
                    0,
                    0x50,
                    flags,
                    0xff,
                    0xff,
                    0,
                    0,
                    0,
                    0});
}

} // namespace

TEST_CASE("shadowed rules: what covers what", "[netfilter][analysis]") {
    struct Row {
        const char* rules;
        Pairs expected;
    };
    const Row rows[] = {
        // addresses: prefix containment, ranges, negation
        {"-A INPUT -s 10.0.0.0/8 -j DROP\n-A INPUT -s 10.1.0.0/16 -p tcp -j ACCEPT\n", {{1, 0}}},
        {"-A INPUT -s 10.1.0.0/16 -j DROP\n-A INPUT -s 10.0.0.0/8 -j ACCEPT\n", {}},
        {"-A INPUT -s 10.0.0.0/8 -j DROP\n-A INPUT -m iprange --src-range 10.2.0.1-10.2.0.9 -j "
         "ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT -s 10.0.0.0/8 -j DROP\n-A INPUT -m iprange --src-range 9.255.255.255-10.0.0.9 "
         "-j ACCEPT\n",
         {}},
        {"-A INPUT ! -s 10.0.0.0/8 -j DROP\n-A INPUT -s 192.168.0.0/16 -j ACCEPT\n", {{1, 0}}},
        {"-A INPUT ! -s 10.0.0.0/8 -j DROP\n-A INPUT -s 10.0.0.0/16 -j ACCEPT\n", {}},
        {"-A INPUT ! -s 10.0.0.0/8 -j DROP\n-A INPUT ! -s 10.0.0.0/7 -j ACCEPT\n", {{1, 0}}},
        {"-A INPUT ! -s 10.0.0.0/7 -j DROP\n-A INPUT ! -s 10.0.0.0/8 -j ACCEPT\n", {}},
        {"-A INPUT -d 10.0.0.0/255.0.255.0 -j DROP\n-A INPUT -d 10.7.0.0/255.255.255.0 -j ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT -d 10.0.0.0/255.0.255.0 -j DROP\n-A INPUT -d 10.0.0.0/8 -j ACCEPT\n", {}},
        // interfaces, with + wildcards and negation
        {"-A INPUT -i eth+ -j DROP\n-A INPUT -i eth0 -j ACCEPT\n-A INPUT -i eth+ -p udp -j "
         "ACCEPT\n-A INPUT -i wlan0 -j ACCEPT\n",
         {{1, 0}, {2, 0}}},
        {"-A INPUT -i eth0 -j DROP\n-A INPUT -i eth+ -j ACCEPT\n", {}},
        {"-A INPUT ! -i eth0 -j DROP\n-A INPUT -i wlan0 -j ACCEPT\n-A INPUT -i eth+ -j ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT ! -i eth+ -j DROP\n-A INPUT -i wl+ -j ACCEPT\n-A INPUT -i e+ -j ACCEPT\n",
         {{1, 0}}},
        // protocol and ports
        {"-A INPUT -p tcp -j DROP\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -p udp -j "
         "ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT ! -p tcp -j DROP\n-A INPUT -p udp --dport 53 -j ACCEPT\n-A INPUT -p tcp -j "
         "ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT -p tcp --dport 1:1024 -j DROP\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT "
         "-p tcp --dport 1000:2000 -j ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT -p udp --dport 53 -j DROP\n-A INPUT -p tcp --dport 53 -j ACCEPT\n", {}},
        {"-A INPUT -p tcp ! --dport 22 -j DROP\n-A INPUT -p tcp --dport 80 -j ACCEPT\n-A INPUT -p "
         "tcp --dport 22 -j ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT\n-A INPUT -p tcp --dport 80 -j "
         "DROP\n"
         "-A INPUT -p tcp -m multiport --dports 80,443 -j DROP\n-A INPUT -p tcp -m multiport "
         "--dports 80,8080 -j DROP\n",
         {{1, 0}, {2, 0}}},
        {"-A INPUT -p tcp -m multiport --ports 1000:2000 -j ACCEPT\n-A INPUT -p tcp --sport 1500 "
         "-j DROP\n"
         "-A INPUT -p tcp -m multiport --ports 1200,1300 -j DROP\n",
         {{1, 0}, {2, 0}}},
        {"-A INPUT -p tcp --dport 22 -j DROP\n-A INPUT -p tcp -m multiport --dports 22 -j ACCEPT\n",
         {{1, 0}}},
        // tcp flags
        {"-A INPUT -p tcp --syn -j DROP\n-A INPUT -p tcp --tcp-flags SYN,RST,ACK,FIN SYN --dport "
         "80 -j ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT -p tcp --tcp-flags SYN SYN -j DROP\n-A INPUT -p tcp --syn -j ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT -p tcp --syn -j DROP\n-A INPUT -p tcp --tcp-flags SYN SYN -j ACCEPT\n", {}},
        // conntrack states
        {"-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n-A INPUT -m state --state "
         "ESTABLISHED -j DROP\n"
         "-A INPUT -m conntrack --ctstate NEW -j DROP\n",
         {{1, 0}}},
        {"-A INPUT -m conntrack ! --ctstate NEW -j ACCEPT\n-A INPUT -m conntrack --ctstate INVALID "
         "-j DROP\n",
         {{1, 0}}},
        {"-A INPUT -m conntrack --ctstate NEW,DNAT -j ACCEPT\n-A INPUT -m conntrack --ctstate NEW "
         "-j DROP\n",
         {{1, 0}}},
        {"-A INPUT -m conntrack --ctstate NEW -j ACCEPT\n-A INPUT -m conntrack --ctstate NEW,DNAT "
         "-j DROP\n",
         {}},
        // icmp types
        {"-A INPUT -p icmp --icmp-type destination-unreachable -j ACCEPT\n-A INPUT -p icmp "
         "--icmp-type port-unreachable -j DROP\n"
         "-A INPUT -p icmp --icmp-type echo-request -j DROP\n",
         {{1, 0}}},
        {"-A INPUT -p icmp -j ACCEPT\n-A INPUT -p icmp --icmp-type any -j DROP\n", {{1, 0}}},
        // marks: value and mask, and a MARK in between makes the comparison void
        {"-A INPUT -m mark --mark 0x1/0xf -j ACCEPT\n-A INPUT -m mark --mark 0x11 -j DROP\n-A "
         "INPUT -m mark --mark 0x2 -j DROP\n",
         {{1, 0}}},
        {"-A INPUT -m mark --mark 0x1 -j ACCEPT\n-A INPUT -j MARK --set-mark 0x1\n-A INPUT -m mark "
         "--mark 0x1 -j DROP\n",
         {}},
        // things that are not comparable never shadow
        {"-A INPUT -m limit --limit 1/sec -j ACCEPT\n-A INPUT -m limit --limit 1/sec -j DROP\n",
         {}},
        {"-A INPUT -m comment --comment \"all\" -j ACCEPT\n-A INPUT -p udp -j DROP\n", {{1, 0}}},
        // lengths, ttl and packet types
        {"-A INPUT -m length --length 0:100 -j DROP\n-A INPUT -m length --length 20:40 -j ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT -m ttl --ttl-lt 10 -j DROP\n-A INPUT -m ttl --ttl-eq 3 -j ACCEPT\n-A INPUT -m "
         "ttl --ttl-eq 10 -j ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT -m pkttype ! --pkt-type unicast -j DROP\n-A INPUT -m pkttype --pkt-type "
         "broadcast -j ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT -m addrtype --dst-type LOCAL,BROADCAST -j ACCEPT\n-A INPUT -m addrtype "
         "--dst-type LOCAL -j DROP\n",
         {{1, 0}}},
        // only chain-ending targets shadow
        {"-A INPUT -j LOG\n-A INPUT -p udp -j DROP\n", {}},
        {"-A INPUT -p udp -j RETURN\n-A INPUT -p udp --dport 53 -j DROP\n", {{1, 0}}},
        {"-A INPUT -f -j DROP\n-A INPUT -f -p udp -j ACCEPT\n-A INPUT -p udp -j ACCEPT\n",
         {{1, 0}}},
        {"-A INPUT ! -f -j DROP\n-A INPUT -p udp --dport 9 -j ACCEPT\n-A INPUT -p udp -j ACCEPT\n",
         {{1, 0}}},
    };
    for (const auto& row : rows) {
        INFO(row.rules);
        Ruleset rs = load(row.rules);
        CHECK(shadows(rs) == row.expected);
    }
}

TEST_CASE("shadowed rules: jumps, goto and the reason line", "[netfilter][analysis]") {
    Ruleset rs = load(":SUB - [0:0]\n:SUB2 - [0:0]\n"
                      "-A INPUT -s 10.0.0.0/8 -j DROP\n"
                      "-A INPUT -s 10.1.2.3/32 -p udp -m udp --dport 53 -j ACCEPT\n"
                      "-A INPUT -p tcp -j SUB\n"
                      "-A INPUT -p tcp --dport 22 -j ACCEPT\n"
                      "-A INPUT -p udp -g SUB\n"
                      "-A INPUT -p udp --dport 53 -j ACCEPT\n"
                      "-A SUB -m ttl --ttl-eq 5 -j RETURN\n"
                      "-A SUB -j SUB2\n"
                      "-A SUB -m ttl --ttl-eq 5 -j ACCEPT\n"
                      "-A SUB2 -j TTL --ttl-set 5\n",
                      "mangle");
    auto found = findShadowedRules(rs);
    REQUIRE(found.size() == 2);
    CHECK(found[0].table == "mangle");
    CHECK(found[0].chain == "INPUT");
    CHECK(found[0].rule == 1);
    CHECK(found[0].shadowedBy == 0);
    CHECK(found[0].reason ==
          "rule 1 (-s 10.0.0.0/8 -j DROP) already decides every packet this rule matches");
    // A jump comes back, so the tcp/22 rule after "-j SUB" stays reachable; a goto does not.
    CHECK(found[1].rule == 5);
    CHECK(found[1].shadowedBy == 4);
    CHECK(found[1].reason == "rule 5 (-p udp -g SUB) already sends every packet this rule matches "
                             "to chain SUB for good (goto)");
    // SUB's last rule is reachable only because SUB2 rewrites the TTL in between.
    CHECK(shadows(rs, "SUB").empty());
    Ruleset direct = load(":SUB - [0:0]\n:SUB2 - [0:0]\n"
                          "-A SUB -m ttl --ttl-eq 5 -j RETURN\n"
                          "-A SUB -j SUB2\n"
                          "-A SUB -m ttl --ttl-eq 5 -j ACCEPT\n"
                          "-A SUB2 -j MARK --set-mark 1\n",
                          "mangle");
    auto again = findShadowedRules(direct);
    REQUIRE(again.size() == 1);
    CHECK(again[0].chain == "SUB");
    CHECK(again[0].rule == 2);
    CHECK(again[0].shadowedBy == 0);
    CHECK(again[0].reason == "rule 1 (-m ttl --ttl-eq 5 -j RETURN) already returns every packet "
                             "this rule matches to the calling chain");
}

TEST_CASE("explain a verdict rule by rule", "[netfilter][analysis]") {
    Ruleset rs = load(":LOGDROP - [0:0]\n"
                      "-A INPUT -p tcp -j ACCEPT\n"
                      "-A INPUT -p udp -m udp --dport 22 -j ACCEPT\n"
                      "-A INPUT -s 192.168.0.0/16 -j ACCEPT\n"
                      "-A INPUT -i wlan0 -j ACCEPT\n"
                      "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT\n"
                      "-A INPUT -m mark --mark 0x7 -j ACCEPT\n"
                      "-A INPUT -j MARK --set-xmark 0x7/0xffffffff\n"
                      "-A INPUT -p udp -m multiport --dports 1,2,3 -j ACCEPT\n"
                      "-A INPUT -m mark ! --mark 0x7 -j ACCEPT\n"
                      "-A INPUT -p udp -j LOGDROP\n"
                      "-A INPUT -j ACCEPT\n"
                      "-A LOGDROP -m length --length 1000:2000 -j ACCEPT\n"
                      "-A LOGDROP -j LOG --log-prefix \"drop: \"\n"
                      "-A LOGDROP -j DROP\n",
                      "mangle");
    const auto bytes = udp(5000, 53);
    PacketInfo p;
    p.ip = bytes;
    p.inDev = "eth0";
    p.ctState = CtState::New;
    auto steps = explainChain(rs, TableId::Mangle, "INPUT", p);
    std::vector<std::string> got;
    for (const auto& e : steps)
        got.push_back(
            fmt::format("{} {} {} {}", e.chain, e.rule, e.matched ? "yes" : "no", e.reason));
    const std::vector<std::string> want = {
        "INPUT 0 no -p tcp: packet is udp",
        "INPUT 1 no --dport 22: destination port is 53",
        "INPUT 2 no -s 192.168.0.0/16: source is 10.0.0.1",
        "INPUT 3 no -i wlan0: input interface is eth0",
        "INPUT 4 no --ctstate ESTABLISHED: connection state is NEW",
        "INPUT 5 no --mark 0x7: packet mark is 0x0",
        "INPUT 6 yes matched: MARK --set-xmark 0x7/0xffffffff, the walk continues",
        "INPUT 7 no --dports 1,2,3: destination port is 53",
        "INPUT 8 no ! --mark 0x7: packet mark is 0x7",
        "INPUT 9 yes matched: jump to LOGDROP",
        "LOGDROP 0 no --length 1000:2000: IP length is 32",
        "LOGDROP 1 yes matched: LOG --log-prefix \"drop: \", the walk continues",
        "LOGDROP 2 yes matched: DROP decides the packet",
    };
    CHECK(got == want);
    CHECK(steps[1].failedMatch == "--dport 22");
    // Nothing moved: counters and the packet's own mark are untouched.
    CHECK(rs.table(TableId::Mangle).chains[1].rules[6].packets == 0);
    CHECK(p.mark == 0);

    // Falling off a built-in chain ends with its policy; the traversal agrees.
    Ruleset pol = load(":INPUT DROP [0:0]\n-A INPUT -p tcp --syn -j ACCEPT\n");
    const auto ack = tcp(80, 0x10);
    PacketInfo q;
    q.ip = ack;
    auto s2 = explainChain(pol, TableId::Filter, "INPUT", q);
    REQUIRE(s2.size() == 2);
    CHECK(s2[0].reason == "--tcp-flags FIN,SYN,RST,ACK SYN: TCP flags are ACK");
    CHECK(s2[1].policy);
    CHECK(s2[1].reason == "no rule decided: policy DROP");
    CHECK(pol.traverse(TableId::Filter, Hook::LocalIn, q, 0).byPolicy);
    CHECK(explainChain(pol, TableId::Filter, "NOPE", q).empty());
}
