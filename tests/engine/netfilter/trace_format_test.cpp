// SPDX-License-Identifier: GPL-3.0-or-later
// Golden lines were recorded with `xtables-monitor --trace` (iptables 1.8.9, nf_tables)
// in a network namespace, for a UDP datagram sent to 127.0.0.1:9 with bash's /dev/udp.
#include "netfilter/trace_format.h"

#include <catch2/catch.hpp>

#include <sstream>

using namespace stackscope::netfilter;

namespace {

void run(Ruleset& rs, const std::vector<std::string>& argv) {
    auto e = rs.command(argv);
    REQUIRE_FALSE(e.has_value());
}

struct Lines : TraceSink {
    const Ruleset* rs = nullptr;
    std::uint32_t id = 0;
    std::vector<std::string> lines;
    void onRule(const TraceEntry& e) override { lines.push_back(xtablesMonitorTrace(*rs, e, id)); }
};

// 127.0.0.1:47609 -> 127.0.0.1:9, "hi\n", DF, ID 60277.
const std::vector<std::uint8_t> kUdp = {0x45, 0x00, 0x00, 0x1f, 0xeb, 0x75, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
                                        127,  0,    0,    1,    127,  0,    0,    1,    0xb9, 0xf9, 0x00, 0x09,
                                        0x00, 0x0b, 0x00, 0x00, 'h',  'i',  '\n'};

} // namespace

TEST_CASE("xtables-monitor --trace lines", "[netfilter][trace]") {
    Ruleset rs;
    // The commands, in this order, gave the rule handles 2, 5, 6 and 7.
    run(rs, {"iptables", "-A", "OUTPUT", "-p", "udp", "-m", "comment", "--comment", "out udp", "-j", "ACCEPT"});
    run(rs, {"iptables", "-N", "U"});
    run(rs, {"iptables", "-A", "INPUT", "-j", "U"});
    run(rs, {"iptables", "-A", "U", "-p", "udp", "--dport", "9", "-j", "RETURN"});
    run(rs, {"iptables", "-A", "INPUT", "-p", "udp", "-j", "DROP"});

    PacketInfo out;
    out.ip = kUdp;
    out.outDev = "lo";
    CHECK(xtablesMonitorPacket(out, 0x589d393b) ==
          "PACKET: 2 589d393b OUT=lo SRC=127.0.0.1 DST=127.0.0.1 LEN=31 TOS=0x0 TTL=64 ID=60277 DF SPORT=47609 DPORT=9 ");
    Lines sink;
    sink.rs = &rs;
    sink.id = 0x589d393b;
    rs.traverse(TableId::Filter, Hook::LocalOut, out, 0, &sink);
    CHECK(sink.lines == std::vector<std::string>{
                            " TRACE: 2 589d393b filter:OUTPUT:rule:0x2:ACCEPT  -4 -t filter -A OUTPUT -p udp -m comment "
                            "--comment \"out udp\" -j ACCEPT"});

    PacketInfo in;
    in.ip = kUdp;
    in.inDev = "lo";
    CHECK(xtablesMonitorPacket(in, 0x54da73fe) ==
          "PACKET: 2 54da73fe IN=lo LOOPBACK SRC=127.0.0.1 DST=127.0.0.1 LEN=31 TOS=0x0 TTL=64 ID=60277 DF SPORT=47609 DPORT=9 ");
    sink.lines.clear();
    sink.id = 0x54da73fe;
    rs.traverse(TableId::Filter, Hook::LocalIn, in, 0, &sink);
    CHECK(sink.lines == std::vector<std::string>{
                            " TRACE: 2 54da73fe filter:INPUT:rule:0x5:JUMP:U  -4 -t filter -A INPUT -j U",
                            " TRACE: 2 54da73fe filter:U:rule:0x6:0xfffffffb  -4 -t filter -A U -p udp -m udp --dport 9 -j RETURN",
                            " TRACE: 2 54da73fe filter:INPUT:rule:0x7:DROP  -4 -t filter -A INPUT -p udp -j DROP"});
}

TEST_CASE("trace policy line and rule handles after restore", "[netfilter][trace]") {
    Ruleset rs;
    // iptables-restore of this text gave chains INPUT..A handles 1-5 and the rules 6, 7, 8.
    REQUIRE_FALSE(rs.restore("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT DROP [0:0]\n:Z - [0:0]\n"
                             ":A - [0:0]\n-A INPUT -j A\n-A A -j ACCEPT\n-A OUTPUT -j Z\nCOMMIT\n"));
    Lines sink;
    sink.rs = &rs;
    sink.id = 0xa1ecfeea;
    PacketInfo out;
    out.ip = kUdp;
    out.outDev = "lo";
    rs.traverse(TableId::Filter, Hook::LocalOut, out, 0, &sink);
    CHECK(sink.lines == std::vector<std::string>{" TRACE: 2 a1ecfeea filter:OUTPUT:rule:0x8:JUMP:Z  -4 -t filter -A OUTPUT -j Z",
                                                 " TRACE: 2 a1ecfeea filter:OUTPUT:policy:DROP "});
    // -R keeps the handle, -I takes the next one (nft -a list after the same commands).
    REQUIRE_FALSE(rs.command({"iptables", "-R", "A", "1", "-j", "DROP"}));
    REQUIRE_FALSE(rs.command({"iptables", "-I", "A", "-j", "ACCEPT"}));
    const auto& a = rs.table(TableId::Filter).chains[size_t(rs.findChain(TableId::Filter, "A"))];
    CHECK(a.rules[0].handle == 9);
    CHECK(a.rules[1].handle == 7);
}

TEST_CASE("trace packet line for TCP flags and marks", "[netfilter][trace]") {
    // 127.0.0.1:7 -> 127.0.0.1:35744 RST+ACK, ID 0, DF, marked 5 by a mangle rule.
    std::vector<std::uint8_t> rst = {0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0, 0, 127, 0, 0, 1,
                                     127,  0,    0,    1,    0x00, 0x07, 0x8b, 0xa0, 0,    0,    0, 0, 0,   0, 0, 1,
                                     0x50, 0x14, 0x00, 0x00, 0,    0,    0,    0};
    PacketInfo p;
    p.ip = rst;
    p.outDev = "lo";
    p.mark = 5;
    CHECK(xtablesMonitorPacket(p, 0xb7f3db88) ==
          "PACKET: 2 b7f3db88 OUT=lo SRC=127.0.0.1 DST=127.0.0.1 LEN=40 TOS=0x0 TTL=64 ID=0 DF SPORT=7 DPORT=35744 ACK RST MARK=0x5 ");
}
