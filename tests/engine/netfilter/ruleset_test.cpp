// SPDX-License-Identifier: GPL-3.0-or-later
// Golden outputs below were recorded from iptables v1.8.9 (nf_tables) on Debian 12,
// in a throwaway network namespace (`ip netns exec NS iptables ...` then `iptables-save`).
#include "netfilter/iptables_input.h"
#include "netfilter/ruleset.h"

#include <catch2/catch.hpp>

#include <sstream>

using namespace stackscope::netfilter;

namespace {

std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    bool quote = false, have = false;
    for (char c : line) {
        if (c == '\'') {
            quote = !quote;
            have = true;
        } else if (c == ' ' && !quote) {
            if (have) out.push_back(cur);
            cur.clear();
            have = false;
        } else {
            cur += c;
            have = true;
        }
    }
    if (have) out.push_back(cur);
    return out;
}

std::optional<std::string> run(Ruleset& rs, const std::string& line) { return rs.command(words(line)); }

} // namespace

TEST_CASE("iptables-save canonical form of matches", "[netfilter][save]") {
    Ruleset rs;
    const char* commands[] = {
        "iptables -A INPUT -s 10.0.0.0/24 -p udp --dport 53 -j ACCEPT",
        "iptables -A INPUT -s 10.0.0.1 -d 192.168.1.0/255.255.255.0 -j DROP",
        "iptables -A INPUT ! -s 10.0.0.1 ! -d 10.1.2.3/8 -j RETURN",
        "iptables -A INPUT -p tcp --sport 1000:2000 --dport 80 --syn -j ACCEPT",
        "iptables -A INPUT -p tcp ! --syn -j ACCEPT",
        "iptables -A INPUT -p tcp --tcp-flags SYN,ACK SYN -j ACCEPT",
        "iptables -A INPUT -p tcp --tcp-flags ALL NONE -j DROP",
        "iptables -A INPUT -p tcp ! --dport 22 -j DROP",
        "iptables -A INPUT -p icmp --icmp-type 8 -j ACCEPT",
        "iptables -A INPUT -p icmp --icmp-type echo-request -j ACCEPT",
        "iptables -A INPUT -p icmp --icmp-type 3/4 -j ACCEPT",
        "iptables -A INPUT -p icmp --icmp-type port-unreachable -j ACCEPT",
        "iptables -A INPUT -p icmp --icmp-type any -j ACCEPT",
        "iptables -A INPUT -p icmp ! --icmp-type 0 -j ACCEPT",
        "iptables -A INPUT -p 17 -j ACCEPT",
        "iptables -A INPUT -p all -j ACCEPT",
        "iptables -A INPUT ! -p tcp -j ACCEPT",
        "iptables -A INPUT -p 47 -j ACCEPT",
        "iptables -A FORWARD -i eth0 -o eth+ -j ACCEPT",
        "iptables -A FORWARD ! -i eth0 ! -o eth+ -j ACCEPT",
        "iptables -A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT",
        "iptables -A INPUT -p tcp -m multiport ! --ports 1,2 -j ACCEPT",
        "iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
        "iptables -A INPUT -m conntrack ! --ctstate INVALID -j ACCEPT",
        "iptables -A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT",
        "iptables -A INPUT -m mark --mark 5/0xff -j ACCEPT",
        "iptables -A INPUT -m mark ! --mark 1/1 -j ACCEPT",
        "iptables -A INPUT -m comment --comment 'allow dns' -j ACCEPT",
        "iptables -A INPUT -m comment --comment allowdns -j ACCEPT",
        "iptables -A INPUT -m comment --comment 'he said \"hi\"' -j ACCEPT",
        "iptables -A INPUT -m comment --comment 'a\\b' -j ACCEPT",
        "iptables -A INPUT -m limit --limit 5/sec --limit-burst 10 -j ACCEPT",
        "iptables -A INPUT -m limit -j ACCEPT",
        "iptables -A INPUT -m limit --limit 3/minute -j ACCEPT",
        "iptables -A INPUT -m limit --limit 100 -j ACCEPT",
        "iptables -A INPUT -m iprange ! --dst-range 10.0.0.1-10.0.0.9 -j ACCEPT",
        "iptables -A INPUT -m addrtype ! --dst-type UNICAST --limit-iface-in -j ACCEPT",
        "iptables -A INPUT -m length ! --length 100: -j ACCEPT",
        "iptables -A INPUT -m ttl ! --ttl-eq 5 -j ACCEPT",
        "iptables -A INPUT -m pkttype --pkt-type host -j ACCEPT",
        "iptables -A INPUT ! -f -j ACCEPT",
        "iptables -A INPUT -p udp -m udp --sport 53 -m comment --comment x -j ACCEPT",
    };
    for (auto c : commands) {
        INFO(c);
        REQUIRE_FALSE(run(rs, c).has_value());
    }
    // iptables-save after the same commands.
    const std::string expected = R"(*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 10.0.0.0/24 -p udp -m udp --dport 53 -j ACCEPT
-A INPUT -s 10.0.0.1/32 -d 192.168.1.0/24 -j DROP
-A INPUT ! -s 10.0.0.1/32 ! -d 10.0.0.0/8 -j RETURN
-A INPUT -p tcp -m tcp --sport 1000:2000 --dport 80 --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT
-A INPUT -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT
-A INPUT -p tcp -m tcp --tcp-flags SYN,ACK SYN -j ACCEPT
-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j DROP
-A INPUT -p tcp -m tcp ! --dport 22 -j DROP
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 3/3 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type any -j ACCEPT
-A INPUT -p icmp -m icmp ! --icmp-type 0 -j ACCEPT
-A INPUT -p udp -j ACCEPT
-A INPUT -j ACCEPT
-A INPUT ! -p tcp -j ACCEPT
-A INPUT -p gre -j ACCEPT
-A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT
-A INPUT -p tcp -m multiport ! --ports 1,2 -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack ! --ctstate INVALID -j ACCEPT
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m mark --mark 0x5/0xff -j ACCEPT
-A INPUT -m mark ! --mark 0x1/0x1 -j ACCEPT
-A INPUT -m comment --comment "allow dns" -j ACCEPT
-A INPUT -m comment --comment allowdns -j ACCEPT
-A INPUT -m comment --comment "he said \"hi\"" -j ACCEPT
-A INPUT -m comment --comment "a\\b" -j ACCEPT
-A INPUT -m limit --limit 5/sec --limit-burst 10 -j ACCEPT
-A INPUT -m limit --limit 3/hour -j ACCEPT
-A INPUT -m limit --limit 3/min -j ACCEPT
-A INPUT -m limit --limit 100/sec -j ACCEPT
-A INPUT -m iprange ! --dst-range 10.0.0.1-10.0.0.9 -j ACCEPT
-A INPUT -m addrtype ! --dst-type UNICAST --limit-iface-in -j ACCEPT
-A INPUT -m length ! --length 100:65535 -j ACCEPT
-A INPUT -m ttl ! --ttl-eq 5 -j ACCEPT
-A INPUT -m pkttype --pkt-type unicast -j ACCEPT
-A INPUT ! -f -j ACCEPT
-A INPUT -p udp -m udp --sport 53 -m comment --comment x -j ACCEPT
-A FORWARD -i eth0 -o eth+ -j ACCEPT
-A FORWARD ! -i eth0 ! -o eth+ -j ACCEPT
COMMIT
)";
    CHECK(rs.save(false) == expected);
}

TEST_CASE("iptables-save canonical form of targets and table order", "[netfilter][save]") {
    Ruleset rs;
    const char* commands[] = {
        "iptables -t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080",
        "iptables -t nat -A PREROUTING -p tcp --dport 81 -j DNAT --to-destination 10.0.0.2-10.0.0.5:8000-8010",
        "iptables -t nat -A POSTROUTING -o eth0 -p udp -j SNAT --to-source 1.2.3.4:1000-2000",
        "iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE",
        "iptables -t nat -A POSTROUTING -p tcp -o eth0 -j MASQUERADE --to-ports 1000-2000",
        "iptables -t nat -A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 3128",
        "iptables -t mangle -A PREROUTING -j MARK --set-mark 1/0xff",
        "iptables -t mangle -A PREROUTING -j MARK --and-mark 0xf",
        "iptables -t mangle -A PREROUTING -j MARK --or-mark 0xf",
        "iptables -t mangle -A PREROUTING -j MARK --xor-mark 0xf",
        "iptables -t mangle -A PREROUTING -j CONNMARK --save-mark",
        "iptables -t mangle -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xf --ctmask 0xff",
        "iptables -t mangle -A FORWARD -j TTL --ttl-dec 1",
        "iptables -t mangle -A PREROUTING -j LOG --log-prefix 'a b' --log-level 7 --log-tcp-sequence --log-uid",
        "iptables -t raw -A PREROUTING -j CT --notrack",
        "iptables -t raw -A OUTPUT -j NOTRACK",
        "iptables -t security -A INPUT -j ACCEPT",
        "iptables -N ZED",
        "iptables -N ALPHA",
        "iptables -A INPUT -j ZED",
        "iptables -A INPUT -g ALPHA",
        "iptables -A ZED -p tcp -j REJECT --reject-with tcp-reset",
        "iptables -A ALPHA -j REJECT --reject-with host-prohib",
        "iptables -A OUTPUT -j LOG --log-prefix 'a\"b' --log-level warning",
    };
    for (auto c : commands) {
        INFO(c);
        REQUIRE_FALSE(run(rs, c).has_value());
    }
    const std::string expected = R"(# Generated by iptables-save v1.8.9 (nf_tables) on Thu Nov 26 07:13:08 2026
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j MARK --set-xmark 0x1/0xff
-A PREROUTING -j MARK --set-xmark 0x0/0xfffffff0
-A PREROUTING -j MARK --set-xmark 0xf/0xf
-A PREROUTING -j MARK --set-xmark 0xf/0x0
-A PREROUTING -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xf --ctmask 0xff
-A PREROUTING -j LOG --log-prefix "a b" --log-level 7 --log-tcp-sequence --log-uid
-A FORWARD -j TTL --ttl-dec 1
COMMIT
# Completed on Thu Nov 26 07:13:08 2026
# Generated by iptables-save v1.8.9 (nf_tables) on Thu Nov 26 07:13:08 2026
*security
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -j ACCEPT
COMMIT
# Completed on Thu Nov 26 07:13:08 2026
# Generated by iptables-save v1.8.9 (nf_tables) on Thu Nov 26 07:13:08 2026
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -j CT --notrack
-A OUTPUT -j NOTRACK
COMMIT
# Completed on Thu Nov 26 07:13:08 2026
# Generated by iptables-save v1.8.9 (nf_tables) on Thu Nov 26 07:13:08 2026
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:ALPHA - [0:0]
:ZED - [0:0]
-A INPUT -j ZED
-A INPUT -g ALPHA
-A OUTPUT -j LOG --log-prefix "a\"b"
-A ALPHA -j REJECT --reject-with icmp-host-prohibited
-A ZED -p tcp -j REJECT --reject-with tcp-reset
COMMIT
# Completed on Thu Nov 26 07:13:08 2026
# Generated by iptables-save v1.8.9 (nf_tables) on Thu Nov 26 07:13:08 2026
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080
-A PREROUTING -p tcp -m tcp --dport 81 -j DNAT --to-destination 10.0.0.2-10.0.0.5:8000-8010
-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 3128
-A POSTROUTING -o eth0 -p udp -j SNAT --to-source 1.2.3.4:1000-2000
-A POSTROUTING -o eth0 -j MASQUERADE
-A POSTROUTING -o eth0 -p tcp -j MASQUERADE --to-ports 1000-2000
COMMIT
# Completed on Thu Nov 26 07:13:08 2026
)";
    CHECK(rs.save(false, "Thu Nov 26 07:13:08 2026") == expected);
}

TEST_CASE("command errors use iptables' words", "[netfilter][errors]") {
    Ruleset rs;
    REQUIRE_FALSE(run(rs, "iptables -N MYCHAIN"));
    REQUIRE_FALSE(run(rs, "iptables -A INPUT -j MYCHAIN"));
    const std::pair<const char*, const char*> cases[] = {
        {"iptables -N MYCHAIN", "iptables: Chain already exists."},
        {"iptables -A INPUT -i eth0 -o eth+ -j ACCEPT", "iptables v1.8.9 (nf_tables): Can't use -o with INPUT"},
        {"iptables -A OUTPUT -j REJECT --reject-with tcp-reset",
         "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain OUTPUT"},
        {"iptables -A OUTPUT -j REJECT --reject-with bogus", "iptables v1.8.9 (nf_tables): unknown reject type \"bogus\""},
        {"iptables -A INPUT -j CT --notrack", "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT"},
        {"iptables -A INPUT -j FOO", "iptables v1.8.9 (nf_tables): Chain 'FOO' does not exist"},
        {"iptables -A INPUT -p tcp --dprot 5 -j ACCEPT", "iptables v1.8.9 (nf_tables): unknown option \"--dprot\""},
        {"iptables -D INPUT -p tcp --dport 9 -j ACCEPT", "iptables: Bad rule (does a matching rule exist in that chain?)."},
        {"iptables -D INPUT 99", "iptables: Index of deletion too big."},
        {"iptables -A NOPE -j ACCEPT", "iptables: No chain/target/match by that name."},
        {"iptables -X MYCHAIN", "iptables v1.8.9 (nf_tables):  CHAIN_DEL failed (Device or resource busy): chain MYCHAIN"},
        {"iptables -P MYCHAIN DROP", "iptables: Bad built-in chain name."},
        {"iptables -P INPUT FOO", "iptables: Bad policy name. Run `dmesg' for more information."},
        {"iptables -E MYCHAIN INPUT", "iptables: File exists."},
        {"iptables -R INPUT 99 -j ACCEPT", "iptables: Index of replacement too big."},
        {"iptables -I INPUT 99 -j ACCEPT", "iptables: Index of insertion too big."},
        {"iptables -t bogus -A INPUT -j ACCEPT", "iptables v1.8.9 (nf_tables): table 'bogus' does not exist"},
        {"iptables -A INPUT -p udp --icmp-type 8 -j ACCEPT", "iptables v1.8.9 (nf_tables): unknown option \"--icmp-type\""},
        {"iptables -A INPUT -p tcp --tcp-flags SYN -j ACCEPT", "iptables v1.8.9 (nf_tables): --tcp-flags requires two args."},
        {"iptables -A INPUT -s 300.0.0.1 -j ACCEPT", "iptables v1.8.9 (nf_tables): host/network `300.0.0.1' not found"},
        {"iptables -A INPUT -m bogusmatch -j ACCEPT",
         "iptables v1.8.9 (nf_tables): Couldn't load match `bogusmatch':No such file or directory\n"},
        {"iptables -A INPUT -p bogusproto -j ACCEPT", "iptables v1.8.9 (nf_tables): unknown protocol \"bogusproto\" specified"},
        {"iptables -A INPUT -m limit --limit 5/week -j ACCEPT", "iptables v1.8.9 (nf_tables): bad rate \"5/week\"'"},
        {"iptables -A INPUT -j", "iptables v1.8.9 (nf_tables): option \"-j\" requires an argument"},
        {"iptables -F NOPE", "iptables: No chain/target/match by that name."},
        {"iptables -A INPUT -m state --state FOO -j ACCEPT", "iptables v1.8.9 (nf_tables): Bad state \"FOO\""},
        {"iptables -A INPUT -p icmp --icmp-type foo -j ACCEPT", "iptables v1.8.9 (nf_tables): Unknown ICMP type `foo'"},
        {"iptables -t nat -A POSTROUTING -j DNAT --to-destination 10.0.0.3",
         "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain POSTROUTING"},
        {"iptables -t nat -A PREROUTING -j DNAT --to-destination 10.0.0.2:80",
         "iptables v1.8.9 (nf_tables): Need TCP, UDP, SCTP or DCCP with port specification"},
        {"iptables -t mangle -A INPUT -j REJECT", "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT"},
        {"iptables -t raw -A INPUT -j ACCEPT", "iptables: No chain/target/match by that name."},
        {"iptables -A INPUT -j MARK --set-mark 1 --and-mark 2",
         "iptables v1.8.9 (nf_tables): MARK: option \"--set-mark\" cannot be used together with \"--and-mark\".\n"},
        {"iptables -A INPUT -m multiport --dports 1:5 -j ACCEPT",
         "iptables v1.8.9 (nf_tables): multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'"},
    };
    for (auto& [cmd, msg] : cases) {
        INFO(cmd);
        auto e = run(rs, cmd);
        REQUIRE(e.has_value());
        CHECK(*e == msg);
    }
    // Nothing above changed the table.
    CHECK(rs.table(TableId::Filter).chains[0].rules.size() == 1);
}

TEST_CASE("delete, insert, replace, rename, flush", "[netfilter][commands]") {
    Ruleset rs;
    REQUIRE_FALSE(run(rs, "iptables -A INPUT -p udp --dport 53 -j ACCEPT"));
    REQUIRE_FALSE(run(rs, "iptables -A INPUT -p tcp --dport 22 -j ACCEPT"));
    REQUIRE_FALSE(run(rs, "iptables -I INPUT -s 1.2.3.4 -j DROP"));
    REQUIRE_FALSE(run(rs, "iptables -I INPUT 2 -j LOG"));
    REQUIRE_FALSE(run(rs, "iptables -R INPUT 4 -p tcp --dport 23 -j DROP"));
    REQUIRE_FALSE(run(rs, "iptables -D INPUT -p udp -m udp --dport 53 -j ACCEPT"));
    REQUIRE_FALSE(run(rs, "iptables -N A"));
    REQUIRE_FALSE(run(rs, "iptables -A OUTPUT -j A"));
    REQUIRE_FALSE(run(rs, "iptables -E A B"));
    REQUIRE_FALSE(run(rs, "iptables -P FORWARD DROP"));
    CHECK(rs.save(false) == R"(*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:B - [0:0]
-A INPUT -s 1.2.3.4/32 -j DROP
-A INPUT -j LOG
-A INPUT -p tcp -m tcp --dport 23 -j DROP
-A OUTPUT -j B
COMMIT
)");
    REQUIRE_FALSE(run(rs, "iptables -D INPUT 1"));
    REQUIRE_FALSE(run(rs, "iptables -F"));
    REQUIRE_FALSE(run(rs, "iptables -X B"));
    CHECK(rs.table(TableId::Filter).chains.size() == 3);
}

TEST_CASE("restore with counters, save -c and -L -v -n -x", "[netfilter][restore]") {
    Ruleset rs;
    auto err = rs.restore(R"(*filter
:INPUT DROP [5:300]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [123456789:98765432101]
:ZED - [0:0]
:ALPHA - [7:7]
[3:180] -A INPUT -p udp -m udp --dport 53 -j ACCEPT
-A INPUT -c 10 20 -p tcp --syn -j ZED
[1234567890:123456789012] -A INPUT -j ALPHA
-A ALPHA -j LOG --log-prefix "x "
-A ZED -p tcp -j REJECT --reject-with tcp-reset
COMMIT
)");
    REQUIRE_FALSE(err.has_value());
    // iptables-restore -c of the text above, then iptables-save -c.
    CHECK(rs.save(true) == R"(*filter
:INPUT DROP [5:300]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [123456789:98765432101]
:ALPHA - [0:0]
:ZED - [0:0]
[3:180] -A INPUT -p udp -m udp --dport 53 -j ACCEPT
[10:20] -A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j ZED
[1234567890:123456789012] -A INPUT -j ALPHA
[0:0] -A ALPHA -j LOG --log-prefix "x "
[0:0] -A ZED -p tcp -j REJECT --reject-with tcp-reset
COMMIT
)");
    // iptables -L -v -n -x of the same state.
    CHECK(rs.listVerbose(TableId::Filter) == R"(Chain INPUT (policy DROP 5 packets, 300 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       3      180 ACCEPT     17   --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:53
      10       20 ZED        6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:0x17/0x02
1234567890 123456789012 ALPHA      0    --  *      *       0.0.0.0/0            0.0.0.0/0           

Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         

Chain OUTPUT (policy ACCEPT 123456789 packets, 98765432101 bytes)
    pkts      bytes target     prot opt in     out     source               destination         

Chain ALPHA (1 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 LOG        0    --  *      *       0.0.0.0/0            0.0.0.0/0            LOG flags 0 level 4 prefix "x "

Chain ZED (1 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 REJECT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            reject-with tcp-reset
)");
}

TEST_CASE("restore errors name the line and change nothing", "[netfilter][restore]") {
    Ruleset rs;
    REQUIRE_FALSE(run(rs, "iptables -A INPUT -j ACCEPT"));
    const auto before = rs.save(true);
    const std::pair<const char*, const char*> cases[] = {
        {"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp --dprot 5 -j ACCEPT\nCOMMIT\n",
         "iptables-restore v1.8.9 (nf_tables): unknown option \"--dprot\"\nError occurred at line: 3"},
        {"*filter\n-A INPUT -j ACCEPT\n-A INPUT -j FOO\nCOMMIT\n",
         "iptables-restore v1.8.9 (nf_tables): Chain 'FOO' does not exist\nError occurred at line: 3"},
        {"*filter\n-A NOPE -j ACCEPT\nCOMMIT\n", "iptables-restore: line 2 failed: No chain/target/match by that name."},
        {"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n", "iptables-restore: COMMIT expected at line 4"},
        {"*filter\n:INPUT FOO [0:0]\nCOMMIT\n", "iptables-restore: line 2 failed: Bad policy name."},
        {"*filter\n# comment\n\n:X - [0:0]\n-A X -j DROP\n-A INPUT -j REJECT --reject-with tcp-reset\nCOMMIT\n",
         "iptables-restore v1.8.9 (nf_tables): \nline 6: RULE_APPEND failed (Invalid argument): rule in chain INPUT"},
        {"*filter\ngarbage\nCOMMIT\n", "Bad argument `garbage'\nError occurred at line: 2"},
        {":INPUT ACCEPT [0:0]\n*filter\nCOMMIT\n", "iptables-restore: line 1 failed"},
        {"*filter\n:INPUT\nCOMMIT\n",
         "iptables-restore v1.8.9 (nf_tables): iptables-restore: line 2 policy invalid\nError occurred at line: 2"},
        {"*filter\n*nat\nCOMMIT\n", "Bad argument `*nat'\nError occurred at line: 2"},
        {"*bogus\n-A INPUT -j ACCEPT\nCOMMIT\n",
         "iptables-restore v1.8.9 (nf_tables): iptables-restore: line 1 table name 'bogus' invalid\nError occurred at line: 1"},
    };
    for (auto& [text, msg] : cases) {
        INFO(text);
        auto e = rs.restore(text);
        REQUIRE(e.has_value());
        CHECK(*e == msg);
        CHECK(rs.save(true) == before);
    }
}

TEST_CASE("listVerbose matches iptables -L -v -n -x for nat targets", "[netfilter][list]") {
    Ruleset rs;
    const char* commands[] = {
        "iptables -t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.2:8080",
        "iptables -t nat -A PREROUTING -j DNAT --to-destination 10.0.0.2",
        "iptables -t nat -A PREROUTING -p tcp --dport 80 -j REDIRECT --to-ports 3128",
        "iptables -t nat -A INPUT -j SNAT --to-source 1.2.3.4",
        "iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE",
        "iptables -t nat -A POSTROUTING -p tcp -o eth0 -j MASQUERADE --to-ports 1000-2000",
        "iptables -t nat -N NATCH",
        "iptables -t nat -A NATCH -j DNAT --to-destination 10.0.0.3",
    };
    for (auto c : commands) {
        INFO(c);
        REQUIRE_FALSE(run(rs, c).has_value());
    }
    // iptables -t nat -L -v -n -x after the same commands.
    CHECK(rs.listVerbose(TableId::Nat) == R"(Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 DNAT       6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80 to:10.0.0.2:8080
       0        0 DNAT       0    --  *      *       0.0.0.0/0            0.0.0.0/0            to:10.0.0.2
       0        0 REDIRECT   6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80 redir ports 3128

Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 SNAT       0    --  *      *       0.0.0.0/0            0.0.0.0/0            to:1.2.3.4

Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         

Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 MASQUERADE  0    --  *      eth0    0.0.0.0/0            0.0.0.0/0           
       0        0 MASQUERADE  6    --  *      eth0    0.0.0.0/0            0.0.0.0/0            masq ports: 1000-2000

Chain NATCH (0 references)
    pkts      bytes target     prot opt in     out     source               destination         
       0        0 DNAT       0    --  *      *       0.0.0.0/0            0.0.0.0/0            to:10.0.0.3
)");
}

TEST_CASE("listVerbose matches iptables -L -v -n -x rows of matches", "[netfilter][list]") {
    // Each command, then the row `iptables -L -v -n -x` printed for it.
    const std::pair<const char*, const char*> cases[] = {
        {"iptables -A INPUT -s 10.0.0.0/24 -p udp --dport 53 -j ACCEPT",
         "       0        0 ACCEPT     17   --  *      *       10.0.0.0/24          0.0.0.0/0            udp dpt:53"},
        {"iptables -A INPUT ! -s 10.0.0.1 ! -d 10.1.2.3/8 -j RETURN",
         "       0        0 RETURN     0    --  *      *      !10.0.0.1            !10.0.0.0/8          "},
        {"iptables -A INPUT -p tcp --sport 1000:2000 --dport 80 --syn -j ACCEPT",
         "       0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp spts:1000:2000 dpt:80 flags:0x17/0x02"},
        {"iptables -A INPUT -p tcp ! --syn -j ACCEPT",
         "       0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp flags:!0x17/0x02"},
        {"iptables -A INPUT -p tcp ! --dport 22 -j DROP",
         "       0        0 DROP       6    --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:!22"},
        {"iptables -A INPUT -p icmp --icmp-type 3/4 -j ACCEPT",
         "       0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 3 code 4"},
        {"iptables -A INPUT -p icmp --icmp-type any -j ACCEPT",
         "       0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmptype 255"},
        {"iptables -A INPUT -p icmp ! --icmp-type 0 -j ACCEPT",
         "       0        0 ACCEPT     1    --  *      *       0.0.0.0/0            0.0.0.0/0            icmp !type 0"},
        {"iptables -A INPUT ! -p tcp -j ACCEPT",
         "       0        0 ACCEPT    !6    --  *      *       0.0.0.0/0            0.0.0.0/0           "},
        {"iptables -A INPUT -p tcp -m multiport ! --ports 1,2 -j ACCEPT",
         "       0        0 ACCEPT     6    --  *      *       0.0.0.0/0            0.0.0.0/0            multiport ports  !1,2"},
        {"iptables -A INPUT -m conntrack ! --ctstate INVALID -j ACCEPT",
         "       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ! ctstate INVALID"},
        {"iptables -A INPUT -m mark ! --mark 1/1 -j ACCEPT",
         "       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            mark match ! 0x1/0x1"},
        {"iptables -A INPUT -m comment --comment 'allow dns' -j ACCEPT",
         "       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            /* allow dns */"},
        {"iptables -A INPUT -m limit --limit 3/minute -j ACCEPT",
         "       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            limit: avg 3/min burst 5"},
        {"iptables -A INPUT -m iprange ! --dst-range 10.0.0.1-10.0.0.9 -j ACCEPT",
         "       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            destination IP range ! 10.0.0.1-10.0.0.9"},
        {"iptables -A INPUT -m addrtype ! --dst-type UNICAST --limit-iface-in -j ACCEPT",
         "       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            ADDRTYPE match dst-type !UNICAST limit-in"},
        {"iptables -A INPUT -m length ! --length 100: -j ACCEPT",
         "       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            length !100:65535"},
        {"iptables -A INPUT -m ttl ! --ttl-eq 5 -j ACCEPT",
         "       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            TTL match TTL != 5"},
        {"iptables -A INPUT -m pkttype ! --pkt-type multicast -j ACCEPT",
         "       0        0 ACCEPT     0    --  *      *       0.0.0.0/0            0.0.0.0/0            PKTTYPE != multicast"},
        {"iptables -A INPUT ! -f -j ACCEPT",
         "       0        0 ACCEPT     0    !f  *      *       0.0.0.0/0            0.0.0.0/0           "},
        {"iptables -A FORWARD ! -i eth0 ! -o eth+ -j ACCEPT",
         "       0        0 ACCEPT     0    --  !eth0  !eth+   0.0.0.0/0            0.0.0.0/0           "},
        {"iptables -A INPUT -s 10.0.0.0/255.0.255.0 -j ACCEPT",
         "       0        0 ACCEPT     0    --  *      *       10.0.0.0/255.0.255.0  0.0.0.0/0           "},
        {"iptables -A INPUT -j MARK --set-mark 1/0xff",
         "       0        0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xset 0x1/0xff"},
        {"iptables -A INPUT -j CONNMARK --restore-mark --nfmask 0xf --ctmask 0xff",
         "       0        0 CONNMARK   0    --  *      *       0.0.0.0/0            0.0.0.0/0            CONNMARK restore ctmask 0xff nfmask ~0xf"},
    };
    for (auto& [cmd, row] : cases) {
        INFO(cmd);
        Ruleset rs;
        REQUIRE_FALSE(run(rs, cmd).has_value());
        auto text = rs.listVerbose(TableId::Filter);
        CHECK(text.find(std::string("\n") + row + "\n") != std::string::npos);
    }
}

TEST_CASE("more command errors and silent truncation", "[netfilter][errors]") {
    Ruleset rs;
    const std::pair<const char*, const char*> cases[] = {
        {"iptables -A INPUT ! -s 0.0.0.0/0 -j ACCEPT", "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT"},
        {"iptables -A INPUT -p tcp --dport 70:60 -j ACCEPT", "iptables v1.8.9 (nf_tables): invalid portrange (min > max)"},
        {"iptables -A INPUT -p tcp --dport 99999 -j ACCEPT", "iptables v1.8.9 (nf_tables): invalid port/service `99999' specified"},
        {"iptables -A INPUT -p udp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 -j ACCEPT",
         "iptables v1.8.9 (nf_tables): too many ports specified"},
        {"iptables -I INPUT 0 -j ACCEPT", "iptables v1.8.9 (nf_tables): Invalid rule number `0'"},
        {"iptables -N ACCEPT", "iptables v1.8.9 (nf_tables): chain name may not clash with target name"},
        {"iptables -N xxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
         "iptables v1.8.9 (nf_tables): chain name `xxxxxxxxxxxxxxxxxxxxxxxxxxxxx' too long (must be under 29 chars)"},
        {"iptables -A INPUT ! -p tcp -j REJECT --reject-with tcp-reset",
         "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT"},
        {"iptables -A INPUT -m conntrack -j ACCEPT", "iptables v1.8.9 (nf_tables): conntrack: At least one option is required"},
        {"iptables -A INPUT -m limit --limit 20000/sec -j ACCEPT", "iptables v1.8.9 (nf_tables): Rate too fast \"20000/sec\""},
        {"iptables -A INPUT -m pkttype --pkt-type foo -j ACCEPT", "iptables v1.8.9 (nf_tables): Bad packet type 'foo'"},
        {"iptables -A INPUT -m addrtype --src-type FOO -j ACCEPT", "iptables v1.8.9 (nf_tables): addrtype: bad type \"FOO\""},
        {"iptables -A INPUT -i xxxxxxxxxxxxxxxx -j ACCEPT",
         "iptables v1.8.9 (nf_tables): interface name `xxxxxxxxxxxxxxxx' must be shorter than IFNAMSIZ (15)"},
        {"iptables -A INPUT -s 10.0.0.0/33 -j ACCEPT", "iptables v1.8.9 (nf_tables): invalid mask `33' specified"},
        {"iptables -A INPUT -j ACCEPT -j DROP", "iptables v1.8.9 (nf_tables): multiple -j flags not allowed"},
        {"iptables -A INPUT -p tcp -m multiport --dports 22:22 -j ACCEPT", "iptables v1.8.9 (nf_tables): invalid portrange specified"},
        {"iptables -t mangle -A INPUT -j TTL --ttl-inc 0",
         "iptables v1.8.9 (nf_tables): TTL: bad value for option \"--ttl-inc\", or out of range (1-255).\n"},
        {"iptables -A INPUT -p icmp -m icmp -j ACCEPT", "iptables v1.8.9 (nf_tables): icmp: option \"--icmp-type\" must be specified\n"},
        {"iptables -A INPUT -m pkttype --pkt-type outgoing", "iptables v1.8.9 (nf_tables): Bad packet type 'outgoing'"},
        {"iptables -A INPUT -j REJECT --reject-with echo-reply", "--reject-with echo-reply no longer supported"},
        {"iptables -A INPUT -j REJECT --reject-with icmp-port-unreachablex",
         "iptables v1.8.9 (nf_tables): unknown reject type \"icmp-port-unreachablex\""},
        {"iptables -t nat -A POSTROUTING -j SNAT --to-source 1.2.3.4 --to-source 1.2.3.5",
         "iptables v1.8.9 (nf_tables): SNAT: option \"--to-source\" can only be used once.\n"},
        {"iptables -t nat -A PREROUTING -p tcp -j REDIRECT --persistent", "iptables v1.8.9 (nf_tables): unknown option \"--persistent\""},
        {"iptables -D INPUT -A INPUT", "iptables v1.8.9 (nf_tables): Cannot use -A with -D"},
        {"iptables -A INPUT extra -j ACCEPT", "Bad argument `extra'"},
        {"iptables -A INPUT -p udp -m tcp --dport 5 -j ACCEPT", "iptables v1.8.9 (nf_tables): TCP match requires '-p tcp'"},
        {"iptables -A INPUT -m icmp --icmp-type 8 -j ACCEPT",
         "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain INPUT"},
        {"iptables -E NOPE X", "iptables: No chain/target/match by that name."},
        {"iptables -A OUTPUT -m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT",
         "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Invalid argument): rule in chain OUTPUT"},
        {"iptables -A INPUT -m addrtype --dst-type LOCAL --limit-iface-out --limit-iface-in -j ACCEPT",
         "iptables v1.8.9 (nf_tables): addrtype: option \"--limit-iface-in\" cannot be used together with \"--limit-iface-out\".\n"},
        {"iptables -t nat -A POSTROUTING -j SNAT", "iptables v1.8.9 (nf_tables): SNAT: option \"--to-source\" must be specified\n"},
        {"iptables -t nat -A PREROUTING -j DROP",
         "iptables v1.8.9 (nf_tables): \nThe \"nat\" table is not intended for filtering, the use of DROP is therefore inhibited.\n\n"},
    };
    for (auto& [cmd, msg] : cases) {
        INFO(cmd);
        auto e = run(rs, cmd);
        REQUIRE(e.has_value());
        CHECK(*e == msg);
    }
    // A loop is refused once a built-in chain reaches it.
    REQUIRE_FALSE(run(rs, "iptables -N X1"));
    REQUIRE_FALSE(run(rs, "iptables -N X2"));
    REQUIRE_FALSE(run(rs, "iptables -A X1 -j X2"));
    REQUIRE_FALSE(run(rs, "iptables -A X2 -j X1"));
    auto loop = run(rs, "iptables -A INPUT -j X1");
    REQUIRE(loop.has_value());
    CHECK(*loop == "iptables v1.8.9 (nf_tables):  RULE_APPEND failed (Too many links): rule in chain INPUT");
    // iptables-nft keeps 29 bytes of a log prefix and 255 of a comment.
    REQUIRE_FALSE(run(rs, "iptables -A OUTPUT -j LOG --log-prefix " + std::string(40, 'p')));
    REQUIRE_FALSE(run(rs, "iptables -A OUTPUT -m comment --comment " + std::string(300, 'c') + " -j ACCEPT"));
    auto saved = rs.save(false);
    CHECK(saved.find("--log-prefix " + std::string(29, 'p') + "\n") != std::string::npos);
    CHECK(saved.find("--comment " + std::string(255, 'c') + " -j ACCEPT\n") != std::string::npos);
}

TEST_CASE("matches keep the order they were given in", "[netfilter][save]") {
    Ruleset rs;
    REQUIRE_FALSE(run(rs, "iptables -A INPUT -m comment --comment x -p udp --dport 53 -j ACCEPT"));
    REQUIRE_FALSE(run(rs, "iptables -A INPUT -m mark --mark 1 -m comment --comment x -m limit -j ACCEPT"));
    REQUIRE_FALSE(run(rs, "iptables -A INPUT -m limit -p tcp --dport 5 -m conntrack --ctstate NEW -j ACCEPT"));
    REQUIRE_FALSE(run(rs, "iptables -A INPUT -m comment --comment a -m comment --comment b -j ACCEPT"));
    // iptables-save after the same commands.
    CHECK(rs.save(false) == R"(*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp -m comment --comment x -m udp --dport 53 -j ACCEPT
-A INPUT -m mark --mark 0x1 -m comment --comment x -m limit --limit 3/hour -j ACCEPT
-A INPUT -p tcp -m limit --limit 3/hour -m tcp --dport 5 -m conntrack --ctstate NEW -j ACCEPT
-A INPUT -m comment --comment a -m comment --comment b -j ACCEPT
COMMIT
)");
}

// Recorded from iptables 1.8.9 (nf_tables): the spellings iptables accepts and rewrites.
TEST_CASE("iptables-save rewrites of abbreviations, aliases and no-op options",
          "[netfilter][save]") {
    Ruleset rs;
    auto err = rs.restore(
        "*filter\n"
        "-A INPUT -i + -j ACCEPT\n"
        "-A INPUT ! -i + -j ACCEPT\n"
        "-A INPUT -p tcp --dport 0:65535 --sport 5 -j ACCEPT\n"
        "-A INPUT -p tcp --tcp-flags NONE NONE -j ACCEPT\n"
        "-A INPUT -m conntrack --ctstate new,Estab -j ACCEPT\n"
        "-A INPUT -m state --state inv -j DROP\n"
        "-A INPUT -j REJECT --reject-with icmp-proto-unreach\n"
        "-A INPUT -j REJECT --reject-with ICMP\n"
        "-A INPUT -j REJECT --reject-with icmp-host\n"
        "-A INPUT -p tcp -j REJECT --reject-with tcp-rst\n"
        "COMMIT\n"
        "*raw\n-A OUTPUT -j CT\nCOMMIT\n"
        "*nat\n"
        "-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4 --random --persistent\n"
        "-A PREROUTING -p tcp -j REDIRECT --to-ports 5 --random\n"
        "-A POSTROUTING -p tcp -j SNAT --to-source 1.2.3.4 --random-fully --persistent --random\n"
        "-A POSTROUTING -p tcp -j MASQUERADE --to-ports 5-6 --random-fully --random\n"
        "COMMIT\n");
    REQUIRE_FALSE(err.has_value());
    CHECK(rs.save(false) ==
          "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j CT\nCOMMIT\n"
          "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
          "-A INPUT -j ACCEPT\n"
          "-A INPUT ! -i + -j ACCEPT\n"
          "-A INPUT -p tcp -m tcp --sport 5 -j ACCEPT\n"
          "-A INPUT -p tcp -m tcp -j ACCEPT\n"
          "-A INPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT\n"
          "-A INPUT -m state --state INVALID -j DROP\n"
          "-A INPUT -j REJECT --reject-with icmp-proto-unreachable\n"
          "-A INPUT -j REJECT --reject-with icmp-net-unreachable\n"
          "-A INPUT -j REJECT --reject-with icmp-host-unreachable\n"
          "-A INPUT -p tcp -j REJECT --reject-with tcp-reset\n"
          "COMMIT\n"
          "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING "
          "ACCEPT [0:0]\n"
          "-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4 --random --persistent\n"
          "-A PREROUTING -p tcp -j REDIRECT --to-ports 5 --random\n"
          "-A POSTROUTING -p tcp -j SNAT --to-source 1.2.3.4 --random --random-fully --persistent\n"
          "-A POSTROUTING -p tcp -j MASQUERADE --to-ports 5-6 --random --random-fully\n"
          "COMMIT\n");
    // A bare CT only attaches a template: the packet stays tracked.
    PacketInfo p;
    const std::vector<std::uint8_t> bytes{0x45, 0, 0,  20, 0, 0, 0,  0, 64, 17,
                                          0,    0, 10, 0,  0, 1, 10, 0, 0,  2};
    p.ip = bytes;
    CHECK_FALSE(rs.traverse(TableId::Raw, Hook::LocalOut, p, 0).notrack);
    CHECK(rs.listVerbose(TableId::Nat).find("to:1.2.3.4 random random-fully persistent") !=
          std::string::npos);
}

// Recorded from iptables 1.8.9 (nf_tables): `iptables-restore --noflush` adds to the tables,
// flushes a user chain its ":CHAIN" line names and leaves built-in chains' rules alone.
TEST_CASE("iptables-restore --noflush from a scenario block", "[netfilter][restore]") {
    Ruleset rs;
    REQUIRE_FALSE(run(rs, "iptables -N X"));
    REQUIRE_FALSE(run(rs, "iptables -A X -j ACCEPT"));
    REQUIRE_FALSE(run(rs, "iptables -A INPUT -j X"));
    REQUIRE_FALSE(run(rs, "iptables -P INPUT DROP"));
    stackscope::IptablesInput in;
    in.kind = stackscope::IptablesInput::Kind::Restore;
    in.argv = {"iptables-restore", "--noflush"};
    in.text = "*filter\n:X - [0:0]\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j ACCEPT\n-A X -j "
              "DROP\nCOMMIT\n";
    REQUIRE_FALSE(applyIptablesInput(rs, in));
    in.argv = {"iptables-restore", "-n"};
    in.text = "*filter\n-D INPUT -p udp -j ACCEPT\n-I INPUT 1 -p tcp -j ACCEPT\n-N NEWC\nCOMMIT\n";
    REQUIRE_FALSE(applyIptablesInput(rs, in));
    CHECK(rs.save(false) ==
          "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
          ":NEWC - [0:0]\n:X - [0:0]\n"
          "-A INPUT -p tcp -j ACCEPT\n-A INPUT -j X\n-A X -j DROP\nCOMMIT\n");
    // Without --noflush the block replaces the table; -c keeps the counters it names.
    in.argv = {"iptables-restore", "-c"};
    in.text = "*filter\n:INPUT DROP [3:120]\n[1:40] -A INPUT -j ACCEPT\nCOMMIT\n";
    REQUIRE_FALSE(applyIptablesInput(rs, in));
    CHECK(rs.save(true) ==
          "*filter\n:INPUT DROP [3:120]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
          "[1:40] -A INPUT -j ACCEPT\nCOMMIT\n");
}
