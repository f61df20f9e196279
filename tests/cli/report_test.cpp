// SPDX-License-Identifier: GPL-3.0-or-later
// The report layouts against golden text taken from the real tools' output
// (nstat -a, ip -s link, tc -s qdisc, /proc/net/softnet_stat on Linux 6.x).
#include "report/counters_json.h"
#include "report/drop_counter.h"
#include "report/text_views.h"

#include <catch2/catch.hpp>

using namespace stackscope;
using namespace stackscope::report;

namespace {

HostConfig twoLinkHost() {
    HostConfig h = HostConfig::withLoopback();
    auto& eth0 = h.ensureInterface("eth0");
    eth0.mac = *MacAddress::parse("02:00:00:00:00:01");
    eth0.up = true;
    return h;
}

Counters sampleCounters(const HostConfig& h) {
    Counters c(2);
    c.add(Mib::IpInReceives, 193);
    c.add(Mib::UdpNoPorts, 4);
    c.add(Mib::IcmpOutMsgs, 4);
    c.add(Mib::IpExtInOctets, 39903);
    for (int i = 0; i < 4; ++i)
        c.addIcmpMsgOut(3); // also IcmpOutDestUnreachs (icmp_put)
    const int eth0 = h.findInterface("eth0")->ifindex;
    c.addLink(eth0, LinkStat::rx_packets, 206);
    c.addLink(eth0, LinkStat::rx_bytes, 39903);
    c.addLink(eth0, LinkStat::multicast, 3);
    c.addLink(eth0, LinkStat::tx_packets, 9);
    c.addLink(eth0, LinkStat::tx_bytes, 439);
    return c;
}

DropCounter sampleDrops() {
    DropCounter d;
    for (int i = 0; i < 4; ++i) d.onDrop(DropReason::NO_SOCKET, Stage::UdpRcv);
    d.onDrop(DropReason::NETFILTER_DROP, Stage::FilterInput);
    d.onDrop(DropReason::NETFILTER_DROP, Stage::FilterForward);
    d.onDrop(DropReason::NETFILTER_DROP, Stage::FilterInput);
    // A drop the model could not name.
    d.onDrop(DropReason::None, Stage::IpRcv);
    return d;
}

} // namespace

TEST_CASE("nstat view prints non-zero counters in /proc order with nstat's columns") {
    const HostConfig h = twoLinkHost();
    const Counters c = sampleCounters(h);
    CHECK(nstatText(c) == "#kernel\n"
                          "IpInReceives                    193                0.0\n"
                          "IcmpOutMsgs                     4                  0.0\n"
                          "IcmpOutDestUnreachs             4                  0.0\n"
                          "IcmpMsgOutType3                 4                  0.0\n"
                          "UdpNoPorts                      4                  0.0\n"
                          "IpExtInOctets                   39903              0.0\n");
}

TEST_CASE("nstat view with zeros lists every counter") {
    const Counters c(1);
    const std::string text = nstatText(c, true);
    CHECK(text.rfind("#kernel\nIpInReceives                    0                  0.0\n", 0) == 0);
    CHECK(text.find("TcpExtListenOverflows           0                  0.0\n") !=
          std::string::npos);
    CHECK(text.find("IcmpMsg") == std::string::npos); // the kernel lists only seen ICMP types
    CHECK(nstatText(c) == "#kernel\n");
}

TEST_CASE("softnet view has the 15 hex columns of Linux 6.x, cpu index in column 13") {
    Counters c(2);
    for (int i = 0; i < 206; ++i)
        c.addSoftnetProcessed(0);
    c.addSoftnetDropped(0);
    c.addSoftnetDropped(0);
    c.addSoftnetTimeSqueeze(0);
    c.softnet(1).receivedRps = 17;
    c.softnet(1).flowLimitCount = 0x1234;
    CHECK(softnetText(c) ==
          "000000ce 00000002 00000001 00000000 00000000 00000000 00000000 00000000 00000000 "
          "00000000 00000000 00000000 00000000 00000000 00000000\n"
          "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
          "00000011 00001234 00000000 00000001 00000000 00000000\n");
}

TEST_CASE("links view matches ip -s link") {
    HostConfig h = twoLinkHost();
    auto& eth1 = h.ensureInterface("eth1");
    eth1.mac = *MacAddress::parse("02:00:00:00:00:02");
    eth1.up = false;
    const Counters c = sampleCounters(h);
    const int eth1Index = eth1.ifindex;
    CHECK(linksText(h, c) ==
          "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group "
          "default qlen 1000\n"
          "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
          "    RX:  bytes packets errors dropped  missed   mcast           \n"
          "             0       0      0       0       0       0 \n"
          "    TX:  bytes packets errors dropped carrier collsns           \n"
          "             0       0      0       0       0       0 \n"
          "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP mode "
          "DEFAULT group default qlen 1000\n"
          "    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n"
          "    RX:  bytes packets errors dropped  missed   mcast           \n"
          "         39903     206      0       0       0       3 \n"
          "    TX:  bytes packets errors dropped carrier collsns           \n"
          "           439       9      0       0       0       0 \n" +
              std::to_string(eth1Index) +
              ": eth1: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group "
              "default qlen 1000\n"
              "    link/ether 02:00:00:00:00:02 brd ff:ff:ff:ff:ff:ff\n"
              "    RX:  bytes packets errors dropped  missed   mcast           \n"
              "             0       0      0       0       0       0 \n"
              "    TX:  bytes packets errors dropped carrier collsns           \n"
              "             0       0      0       0       0       0 \n");
}

TEST_CASE("links view widens a column for long numbers, in RX and TX alike") {
    HostConfig h = HostConfig::withLoopback();
    Counters c(1);
    const int lo = h.findInterface("lo")->ifindex;
    c.addLink(lo, LinkStat::rx_bytes, 12345678901ull);
    c.addLink(lo, LinkStat::tx_bytes, 12345678901ull);
    c.addLink(lo, LinkStat::rx_packets, 206);
    const std::string text = linksText(h, c);
    CHECK(text.find("    RX:   bytes packets errors dropped  missed   mcast           \n"
                    "    12345678901     206      0       0       0       0 \n"
                    "    TX:   bytes packets errors dropped carrier collsns           \n"
                    "    12345678901       0      0       0       0       0 \n") !=
          std::string::npos);
}

TEST_CASE("qdisc view matches tc -s qdisc") {
    HostConfig h = twoLinkHost();
    auto& eth1 = h.ensureInterface("eth1");
    eth1.up = true;
    eth1.qdisc.emplace();
    eth1.qdisc->kind = QdiscKind::Pfifo;
    eth1.qdisc->limit = 100;
    auto& eth2 = h.ensureInterface("eth2"); // down, default qdisc: noop, not listed
    eth2.up = false;
    Counters c = sampleCounters(h);
    using F = Counters::QdiscField;
    const int eth0 = h.findInterface("eth0")->ifindex;
    c.addQdisc(eth0, F::SentBytes, 439);
    c.addQdisc(eth0, F::SentPackets, 9);
    c.addQdisc(eth0, F::BacklogBytes, 1514);
    c.addQdisc(eth0, F::BacklogPackets, 1);
    c.addQdisc(eth1.ifindex, F::Dropped, 5);
    c.addQdisc(eth1.ifindex, F::BacklogBytes, 2048);
    c.addQdisc(eth1.ifindex, F::BacklogPackets, 2);
    CHECK(qdiscText(h, c) == "qdisc noqueue 0: dev lo root refcnt 2 \n"
                             " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) \n"
                             " backlog 0b 0p requeues 0\n"
                             "qdisc pfifo_fast 0: dev eth0 root refcnt 2 bands 3 priomap 1 2 2 2 1 "
                             "2 0 0 1 1 1 1 1 1 1 1\n"
                             " Sent 439 bytes 9 pkt (dropped 0, overlimits 0 requeues 0) \n"
                             " backlog 1514b 1p requeues 0\n"
                             "qdisc pfifo 8001: dev eth1 root refcnt 2 limit 100p\n"
                             " Sent 0 bytes 0 pkt (dropped 5, overlimits 0 requeues 0) \n"
                             " backlog 2Kb 2p requeues 0\n");
}

TEST_CASE("qdisc view prints fq_codel's statistics as tc -s does") {
    HostConfig h = twoLinkHost();
    auto& eth1 = h.ensureInterface("eth1");
    eth1.up = true;
    eth1.qdisc.emplace();
    eth1.qdisc->kind = QdiscKind::FqCodel;
    Counters c = sampleCounters(h);
    using F = Counters::QdiscField;
    c.addQdisc(eth1.ifindex, F::SentBytes, 372);
    c.addQdisc(eth1.ifindex, F::SentPackets, 6);
    c.addQdisc(eth1.ifindex, F::Dropped, 24);
    c.addQdisc(eth1.ifindex, F::MaxPacket, 62);
    c.addQdisc(eth1.ifindex, F::DropOverlimit, 24);
    c.addQdisc(eth1.ifindex, F::NewFlowCount, 1);
    const std::string text = qdiscText(h, c);
    const std::string fq = text.substr(text.find("qdisc fq_codel"));
    CHECK(fq == "qdisc fq_codel 8001: dev eth1 root refcnt 2 limit 10240p flows 1024 quantum 1514 "
                "target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64 \n"
                " Sent 372 bytes 6 pkt (dropped 24, overlimits 0 requeues 0) \n"
                " backlog 0b 0p requeues 0\n"
                "  maxpacket 62 drop_overlimit 24 new_flow_count 1 ecn_mark 0\n"
                "  new_flows_len 0 old_flows_len 0\n");
    // memory_used appears once fq_codel holds skb memory, as iproute2 prints it.
    c.addQdisc(eth1.ifindex, F::MemoryUsage, 2304);
    CHECK(qdiscText(h, c).find("ecn_mark 0 memory_used 2304\n") != std::string::npos);
}

TEST_CASE("effective qdisc follows the link kind, the state and the configured root") {
    HostConfig h = twoLinkHost();
    CHECK(effectiveQdisc(h, *h.findInterface("lo")) == QdiscKind::Noqueue);
    CHECK(effectiveQdisc(h, *h.findInterface("eth0")) == QdiscKind::PfifoFast);
    auto& v = h.ensureInterface("veth0", LinkKind::Veth);
    v.up = true;
    CHECK(effectiveQdisc(h, v) == QdiscKind::Noqueue);
    v.up = false;
    CHECK_FALSE(effectiveQdisc(h, v).has_value());
    v.qdisc.emplace();
    v.qdisc->kind = QdiscKind::Tbf;
    CHECK(effectiveQdisc(h, v) == QdiscKind::Tbf);
}

TEST_CASE("drop counter counts drops by reason and by place") {
    const DropCounter d = sampleDrops();
    CHECK(d.total() == 8);
    CHECK(d.count(DropReason::NO_SOCKET) == 4);
    CHECK(d.count(DropReason::NETFILTER_DROP) == 3);
    CHECK(d.count(DropReason::NOT_SPECIFIED) == 1);
    CHECK(d.count(DropReason::Consumed) == 0);
    CHECK(d.bySite().size() == 4);
    CHECK(d.bySite().at(DropSite{DropReason::NETFILTER_DROP, Stage::FilterInput,
                                 "iptable_filter_hook"}) == 2);
}

TEST_CASE("drop counter adds named places to the counted ones") {
    DropCounter d = sampleDrops();
    CHECK(d.count(DropReason::NO_SOCKET) == 4); // folds the pending counts into the maps
    d.onDrop(DropReason::NO_SOCKET, Stage::UdpRcv);
    d.add(DropReason::NO_SOCKET, Stage::UdpRcv, "__udp4_lib_rcv", 2);
    d.add(DropReason::Consumed, Stage::ArpRcv, "arp_rcv");
    CHECK(d.total() == 12);
    CHECK(d.count(DropReason::NO_SOCKET) == 7);
    CHECK(d.count(DropReason::NOT_SPECIFIED) == 2);
    CHECK(d.bySite().at(DropSite{DropReason::NO_SOCKET, Stage::UdpRcv, "__udp4_lib_rcv"}) == 7);
}

TEST_CASE("drops view groups by reason, then by stage and kernel function") {
    CHECK(dropsText(sampleDrops()) ==
          "reason             packets  stage           kernel function            here\n"
          "NO_SOCKET                4  UDP             __udp4_lib_rcv                4\n"
          "NETFILTER_DROP           3  filter INPUT    iptable_filter_hook           2\n"
          "                            filter FORWARD  iptable_filter_hook           1\n"
          "NOT_SPECIFIED            1  ip_rcv          ip_rcv_core                   1\n"
          "total                    8\n");
    CHECK(dropsText(DropCounter{}) == "no drops\n");
}

TEST_CASE("counters JSON uses the kernel's names") {
    const HostConfig h = twoLinkHost();
    Counters c = sampleCounters(h);
    c.addQdisc(h.findInterface("eth0")->ifindex, Counters::QdiscField::SentPackets, 9);
    const DropCounter drops = sampleDrops();
    JsonSections sections;
    sections.drops = &drops;
    const nlohmann::json j = countersJson(h, c, sections);

    CHECK(j.contains("nstat"));
    CHECK(j.contains("links"));
    CHECK(j.contains("softnet"));
    CHECK(j.contains("qdisc"));
    CHECK(j.contains("drops"));
    CHECK_FALSE(j.contains("iptables")); // only when the netfilter module supplies it

    CHECK(j["nstat"]["IpInReceives"] == 193);
    CHECK(j["nstat"]["UdpNoPorts"] == 4);
    CHECK(j["nstat"]["IcmpMsgOutType3"] == 4);
    CHECK(j["nstat"]["IpExtInOctets"] == 39903);
    CHECK_FALSE(j["nstat"].contains("IpInDiscards")); // zero counters are left out

    const auto& eth0 = j["links"]["eth0"];
    CHECK(eth0["rx_packets"] == 206);
    CHECK(eth0["rx_bytes"] == 39903);
    CHECK(eth0["rx_dropped"] == 0);
    CHECK(eth0["tx_packets"] == 9);
    CHECK(eth0["tx_bytes"] == 439);
    CHECK(eth0["tx_dropped"] == 0);
    CHECK(eth0["multicast"] == 3);
    CHECK(eth0.size() == std::size_t(LinkStat::Count)); // every field, zeros too
    CHECK(j["links"].contains("lo"));

    REQUIRE(j["softnet"].size() == 2);
    CHECK(j["softnet"][1]["cpu"] == 1);
    for (const char* key :
         {"processed", "dropped", "time_squeeze", "received_rps", "flow_limit_count"})
        CHECK(j["softnet"][0].contains(key));

    CHECK(j["qdisc"]["eth0"]["kind"] == "pfifo_fast");
    CHECK(j["qdisc"]["eth0"]["sent_packets"] == 9);
    CHECK(j["qdisc"]["lo"]["kind"] == "noqueue");
    for (const char* key :
         {"sent_bytes", "dropped", "overlimits", "requeues", "backlog_bytes", "backlog_packets"})
        CHECK(j["qdisc"]["eth0"].contains(key));

    CHECK(j["drops"] ==
          nlohmann::json{{"NO_SOCKET", 4}, {"NETFILTER_DROP", 3}, {"NOT_SPECIFIED", 1}});
}

TEST_CASE("counters JSON carries the iptables section it is given") {
    const HostConfig h = twoLinkHost();
    const Counters c(1);
    const nlohmann::json iptables = {
        {"filter", {{"INPUT", {{"policy", "ACCEPT"}, {"packets", 12}}}}}};
    JsonSections sections;
    sections.iptables = &iptables;
    const nlohmann::json j = countersJson(h, c, sections);
    CHECK(j["iptables"] == iptables);
    CHECK_FALSE(j.contains("drops"));
    CHECK(j["nstat"].empty());
}
