// SPDX-License-Identifier: GPL-3.0-or-later
// Expected lines follow the format strings of net/netfilter/nf_log_syslog.c.
#include "netfilter/nf_log.h"
#include "netfilter/rule.h"

#include <catch2/catch.hpp>

#include <vector>

using namespace stackscope::netfilter;

namespace {

// 192.168.1.10:40000 -> 192.168.1.1:22 SYN, TTL 64, ID 7, DF, seq 1000, window 64240, one NOP option word.
const std::vector<std::uint8_t> kTcpSyn = {
    0x45, 0x10, 0x00, 0x2c, 0x00, 0x07, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 192, 168, 1, 10, 192, 168, 1, 1,
    0x9c, 0x40, 0x00, 0x16, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xfa, 0xf0,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01};
const std::vector<std::uint8_t> kMac = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0xfe, 0x08, 0x00};

} // namespace

TEST_CASE("LOG line for an incoming TCP SYN", "[netfilter][log]") {
    PacketInfo p;
    p.ip = kTcpSyn;
    p.mac = kMac;
    p.inDev = "eth0";
    CHECK(nfLogIpPacket(p, "ssh: ", 0) ==
          "ssh: IN=eth0 OUT= MAC=02:00:00:00:00:01:02:00:00:00:00:fe:08:00 SRC=192.168.1.10 DST=192.168.1.1 "
          "LEN=44 TOS=0x10 PREC=0x00 TTL=64 ID=7 DF PROTO=TCP SPT=40000 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0 ");
    p.mark = 0x2a;
    CHECK(nfLogIpPacket(p, "", kLogTcpSeq | kLogTcpOpt | kLogMacDecode) ==
          "IN=eth0 OUT= MACSRC=02:00:00:00:00:fe MACDST=02:00:00:00:00:01 MACPROTO=0800 SRC=192.168.1.10 "
          "DST=192.168.1.1 LEN=44 TOS=0x10 PREC=0x00 TTL=64 ID=7 DF PROTO=TCP SPT=40000 DPT=22 SEQ=1000 ACK=0 "
          "WINDOW=64240 RES=0x00 SYN URGP=0 OPT (01010101) MARK=0x2a ");
}

TEST_CASE("LOG line for an outgoing ICMP error nests the quoted header", "[netfilter][log]") {
    // 10.0.0.2 -> 10.0.0.1 port unreachable quoting a UDP datagram 10.0.0.1:5000 -> 10.0.0.2:9.
    const std::vector<std::uint8_t> icmp = {
        0x45, 0xc0, 0x00, 0x38, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 10, 0, 0, 2, 10, 0, 0, 1,
        0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 10, 0, 0, 1, 10, 0, 0, 2,
        0x13, 0x88, 0x00, 0x09, 0x00, 0x0c, 0x00, 0x00};
    PacketInfo p;
    p.ip = icmp;
    p.outDev = "eth0";
    CHECK(nfLogIpPacket(p, "out ", 0) ==
          "out IN= OUT=eth0 SRC=10.0.0.2 DST=10.0.0.1 LEN=56 TOS=0x00 PREC=0xC0 TTL=64 ID=1 PROTO=ICMP TYPE=3 CODE=3 "
          "[SRC=10.0.0.1 DST=10.0.0.2 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 DF PROTO=UDP SPT=5000 DPT=9 LEN=12 ] ");
    auto truncated = std::vector<std::uint8_t>(icmp.begin(), icmp.begin() + 40);
    p.ip = truncated;
    CHECK(nfLogIpPacket(p, "", 0) ==
          "IN= OUT=eth0 SRC=10.0.0.2 DST=10.0.0.1 LEN=56 TOS=0x00 PREC=0xC0 TTL=64 ID=1 PROTO=ICMP TYPE=3 CODE=3 "
          "INCOMPLETE [20 bytes] ");
}

TEST_CASE("LOG line for a non-first fragment and an unknown protocol", "[netfilter][log]") {
    std::vector<std::uint8_t> frag = {0x45, 0x00, 0x00, 0x1c, 0x00, 0x09, 0x20, 0x10, 0x40, 0x11, 0, 0, 1, 2, 3, 4,
                                      5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0};
    PacketInfo p;
    p.ip = frag;
    CHECK(nfLogIpPacket(p, "", 0) ==
          "IN= OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=9 MF FRAG:16 PROTO=UDP ");
    frag[6] = 0;
    frag[7] = 0;
    frag[9] = 47;
    CHECK(nfLogIpPacket(p, "", 0) == "IN= OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=9 PROTO=47 ");
}
