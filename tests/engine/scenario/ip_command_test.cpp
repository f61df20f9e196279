// SPDX-License-Identifier: GPL-3.0-or-later
// `ip link`, `ip address`, `ip route`, `ip neigh`: one table of lines per family,
// each with the error iproute2 (or the kernel through it) would print.
#include "scenario_test_util.h"

using namespace stackscope;
using stackscope::scenario::test::errorAfter;
using stackscope::scenario::test::errorsOf;
using stackscope::scenario::test::run;

namespace {
struct Row {
    const char* line;
    const char* error; // "" = accepted
};

void checkRows(const std::string& setup, std::initializer_list<Row> rows) {
    for (const auto& row : rows) {
        INFO(row.line);
        CHECK(errorAfter(setup, row.line) == row.error);
    }
}
} // namespace

TEST_CASE("ip link lines", "[scenario][ip][link]") {
    checkRows(
        "ip link add v0 type veth",
        {
            {"ip link set dev eth0 up", ""},
            {"ip link set eth0 address 02:aa:bb:cc:dd:ee mtu 9000 txqueuelen 500 promisc on down",
             ""},
            {"ip link set dev eth0 txqlen 10", ""},
            {"ip link set dev eth0 addr 02:00:00:00:00:09", ""},
            {"ip link set up", "Not enough information: \"dev\" argument is required."},
            {"ip link set dev eth0 eth1",
             "Error: either \"dev\" is duplicate, or \"eth1\" is a garbage."},
            {"ip link set dev eth0 mtu", "Command line is not complete. Try option \"help\""},
            {"ip link set dev eth0 mtu big",
             "Error: argument \"big\" is wrong: Invalid \"mtu\" value"},
            {"ip link set dev eth0 mtu 67", "Error: mtu less than device minimum."},
            {"ip link set dev eth0 mtu 70000", "Error: mtu greater than device maximum."},
            {"ip link set dev eth0 address 02:00:00:00:00",
             "\"02:00:00:00:00\" is invalid lladdr."},
            {"ip link set dev eth0 address 01:00:5e:00:00:01",
             "RTNETLINK answers: Cannot assign requested address"},
            {"ip link set dev lo address 02:00:00:00:00:01",
             "RTNETLINK answers: Operation not supported"},
            {"ip link set dev eth0 promisc yes",
             "Error: argument of \"promisc\" must be \"on\" or \"off\", not \"yes\""},
            {"ip link set dev eth0 txqueuelen -1",
             "Error: argument \"-1\" is wrong: Invalid \"txqueuelen\" value"},
            {"ip link set dev eth0 arp off", "ip link option \"arp\" is not modelled (supported: "
                                             "up, down, address, mtu, txqueuelen, promisc, "
                                             "numtxqueues)"},
            {"ip link set dev averyveryverylongname up",
             "Error: argument \"averyveryverylongname\" is wrong: \"dev\" not a valid ifname"},
            {"ip link add d0 type dummy", ""},
            {"ip link add name v1 type veth peer name v1p", ""},
            {"ip link add v1 mtu 9000 type veth", ""},
            {"ip link add v0 type veth", "RTNETLINK answers: File exists"},
            {"ip link add v2 numtxqueues 3 type veth peer name v2p", ""},
            {"ip link add v2 numtxqueues 0 type veth", "Error: Invalid number of transmit queues."},
            {"ip link add v2 numtxqueues 4097 type veth",
             "Error: Invalid number of transmit queues."},
            {"ip link add v2 numtxqueues x type veth",
             "Error: argument \"x\" is wrong: Invalid \"numtxqueues\" value"},
            // Linux accepts it on an existing link and leaves the queues as they are.
            {"ip link set v0 numtxqueues 2", ""},
            {"ip link add br0 type bridge",
             "link type \"bridge\" is not modelled (supported: veth, dummy)"},
            {"ip link add x0 type dumy", "Error: Unknown device type.; did you mean \"dummy\"?"},
            {"ip link add x0", "Not enough information: \"type\" argument is required."},
            {"ip link del v0", ""},
            {"ip link delete dev v0", ""},
            {"ip link del v9", "Cannot find device \"v9\""},
            {"ip link del lo", "RTNETLINK answers: Operation not supported"},
            {"ip link show",
             "ip link show prints state; a scenario only configures (use add, set, del)"},
            {"ip link frob eth0", "Command \"frob\" is unknown, try \"ip link help\"."},
        });

    auto r = run("ip link set eth0 address 02:aa:bb:cc:dd:ee mtu 9000 txqlen 500 promisc on up\n"
                 "ip link add d0 type dummy\nip link add v0 type veth peer name v0-peer\n"
                 "ip link add v1 numtxqueues 1 type veth\nip link set v1 numtxqueues 4\n");
    INFO(errorsOf(r));
    REQUIRE(r.ok());
    const auto* eth0 = r.config.findInterface("eth0");
    REQUIRE(eth0);
    CHECK(eth0->kind == LinkKind::Ethernet);
    CHECK(eth0->mac.toString() == "02:aa:bb:cc:dd:ee");
    CHECK(eth0->mtu == 9000);
    CHECK(eth0->txqueuelen == 500);
    CHECK(eth0->promisc);
    CHECK(eth0->up);
    CHECK(r.config.findInterface("d0")->kind == LinkKind::Dummy);
    CHECK(r.config.findInterface("v0")->kind == LinkKind::Veth);
    CHECK_FALSE(r.config.findInterface("v0-peer")); // the peer is not on this host
    CHECK_FALSE(r.config.findInterface("v0")->numTxQueues.has_value());
    CHECK(r.config.findInterface("v1")->numTxQueues == 1u);
    // the new device got its per-device sysctls
    CHECK(r.config.sysctls.values("net.ipv4.conf.v0.rp_filter"));
}

TEST_CASE("ip link del takes the device's routes and neighbours with it", "[scenario][ip][link]") {
    auto r = run("ip link add v0 type veth\nip link set v0 up\nip addr add 10.1.0.1/24 dev v0\n"
                 "ip route add 10.2.0.0/16 via 10.1.0.254\nip route add 10.3.0.0/16 dev v0\n"
                 "ip neigh add 10.1.0.254 lladdr 02:00:00:00:00:fe dev v0\n"
                 "sysctl -w net.ipv4.conf.v0.rp_filter=1\nip link del v0\n");
    INFO(errorsOf(r));
    REQUIRE(r.ok());
    CHECK_FALSE(r.config.findInterface("v0"));
    CHECK(r.config.routes.empty());
    CHECK(r.config.neighbours.empty());
    CHECK_FALSE(r.config.sysctls.values("net.ipv4.conf.v0.rp_filter"));
}

TEST_CASE("ip address lines", "[scenario][ip][addr]") {
    checkRows(
        "ip link set dev eth0 up\nip addr add 10.0.0.2/24 dev eth0",
        {
            {"ip addr add 10.0.0.3/24 dev eth0", ""},
            {"ip address add 10.0.0.3/24 brd + dev eth0", ""},
            {"ip a add 10.0.0.3/24 broadcast 10.0.0.255 scope link label eth0:1 dev eth0", ""},
            {"ip addr add local 10.0.0.3/24 dev eth0", ""},
            {"ip addr add 10.9.0.1/24 dev eth1", ""}, // creates eth1
            {"ip addr add 10.0.0.2/24 dev eth0", "Error: ipv4: Address already assigned."},
            {"ip addr replace 10.0.0.2/24 brd + dev eth0", ""},
            {"ip addr add 10.0.0.2/25 dev eth0", ""},
            {"ip addr add 10.0.0.0/33 dev eth0",
             "Error: any valid prefix is expected rather than \"10.0.0.0/33\"."},
            {"ip addr add 10.0.0.300/24 dev eth0",
             "Error: any valid prefix is expected rather than \"10.0.0.300/24\"."},
            {"ip addr add 10.0.0.3/24", "Not enough information: \"dev\" argument is required."},
            {"ip addr add 10.0.0.3/24 10.0.0.4/24 dev eth0",
             "Error: either \"local\" is duplicate, or \"10.0.0.4/24\" is a garbage."},
            {"ip addr add 10.0.0.3/24 dev eth0 dev eth1",
             "Error: duplicate \"dev\": \"eth1\" is the second value."},
            {"ip addr add 10.0.0.3/24 scope galaxy dev eth0",
             "Error: argument \"galaxy\" is wrong: invalid scope value."},
            {"ip addr add 10.0.0.3/24 brd x dev eth0",
             "Error: any valid address is expected rather than \"x\"."},
            {"ip addr add 10.0.0.3/24 label wan dev eth0",
             "\"label\" (wan) must match \"dev\" (eth0) or be prefixed by \"dev\" with a colon."},
            {"ip addr add 10.0.0.3/24 valid_lft 100 dev eth0",
             "ip address option \"valid_lft\" is not modelled (supported: brd, scope, label, dev)"},
            {"ip addr add dev eth0", "RTNETLINK answers: Invalid argument (no address given)"},
            {"ip addr del 10.0.0.2/24 dev eth0", ""},
            {"ip addr del 10.0.0.2 dev eth0", ""},
            {"ip addr del 10.0.0.2/16 dev eth0", "Error: ipv4: Address not found."},
            {"ip addr del 10.0.0.2/24 dev eth7", "Cannot find device \"eth7\""},
            {"ip addr flush dev eth0", ""},
            {"ip addr show",
             "ip address show prints state; a scenario only configures (use add, del)"},
        });

    auto r = run("ip addr add 10.0.0.2/24 brd + dev eth0\nip addr add 127.0.0.2/8 dev eth0\n"
                 "ip addr add 10.0.1.2/24 brd - scope link label eth0:x dev eth0\n");
    INFO(errorsOf(r));
    REQUIRE(r.ok());
    const auto& a = r.config.findInterface("eth0")->addresses;
    REQUIRE(a.size() == 3);
    CHECK(a[0].broadcast->toString() == "10.0.0.255");
    CHECK(a[0].scope == InterfaceAddress::Scope::Global);
    CHECK(a[0].label == "eth0");
    CHECK(a[1].scope == InterfaceAddress::Scope::Host); // iproute2's default_scope for 127/8
    CHECK_FALSE(a[1].broadcast);
    CHECK(a[2].broadcast->toString() == "10.0.1.0");
    CHECK(a[2].scope == InterfaceAddress::Scope::Link);
    CHECK(a[2].label == "eth0:x");
}

TEST_CASE("ip route lines", "[scenario][ip][route]") {
    const std::string setup = "ip link set dev eth0 up\nip addr add 10.0.0.2/24 dev eth0\n"
                              "ip link set dev eth1\nip addr add 10.5.0.2/24 dev eth1\n"
                              "ip route add 10.1.0.0/16 via 10.0.0.1";
    checkRows(
        setup,
        {
            {"ip route add default via 10.0.0.1", ""},
            {"ip route add default via 10.0.0.1 dev eth0", ""},
            {"ip route add 10.2.0.0/16 dev eth0", ""},
            {"ip r add to 10.2.0.0/16 via 10.0.0.1 src 10.0.0.2 metric 10 table 100 proto static",
             ""},
            {"ip route add blackhole 10.9.0.0/16", ""},
            {"ip route add unreachable 10.9.0.0/16 metric 5", ""},
            {"ip route add prohibit 10.9.0.0/16 table 7", ""},
            {"ip route add throw 10.9.0.0/16", ""},
            {"ip route add local 10.7.7.7 dev eth0", ""},
            {"ip route add broadcast 10.0.0.255 dev eth0", ""},
            {"ip route add 10.1.0.0/16 via 10.0.0.1", "RTNETLINK answers: File exists"},
            {"ip route add 10.1.0.0/16 via 10.0.0.1 metric 1", ""},
            {"ip route add 10.1.0.0/16 via 10.0.0.1 table 10", ""},
            {"ip route append 10.1.0.0/16 via 10.0.0.3", ""},
            {"ip route append 10.1.0.0/16 via 10.0.0.1", "RTNETLINK answers: File exists"},
            {"ip route replace 10.1.0.0/16 via 10.0.0.3", ""},
            {"ip route change 10.1.0.0/16 via 10.0.0.3", ""},
            {"ip route change 10.8.0.0/16 via 10.0.0.3",
             "RTNETLINK answers: No such file or directory"},
            {"ip route del 10.1.0.0/16", ""},
            {"ip route del 10.1.0.0/16 via 10.0.0.1", ""},
            {"ip route del 10.1.0.0/16 via 10.0.0.9", "RTNETLINK answers: No such process"},
            {"ip route del 10.1.0.0/16 metric 3", "RTNETLINK answers: No such process"},
            {"ip route del 10.8.0.0/16", "RTNETLINK answers: No such process"},
            {"ip route add 10.0.0.0/33 dev eth0",
             "Error: any valid prefix is expected rather than \"10.0.0.0/33\"."},
            {"ip route add 10.2.0.1/16 dev eth0", "Error: Invalid prefix for given prefix length."},
            {"ip route add 10.2.0.0/16 via 10.0.0.1 foo",
             "Error: either \"to\" is duplicate, or \"foo\" is a garbage."},
            {"ip route add 10.2.0.0/16 via 10.0.0.x",
             "Error: any valid address is expected rather than \"10.0.0.x\"."},
            {"ip route add 10.2.0.0/16 via 10.0.0.1 metric x",
             "Error: argument \"x\" is wrong: \"metric\" value is invalid"},
            {"ip route add 10.2.0.0/16 via 10.0.0.1 table nope",
             "Error: argument \"nope\" is wrong: \"table\" value is invalid"},
            {"ip route add 10.2.0.0/16 via 10.0.0.1 proto nope",
             "Error: argument \"nope\" is wrong: \"protocol\" value is invalid"},
            {"ip route add 10.2.0.0/16 dev eth0 scope nope",
             "Error: argument \"nope\" is wrong: invalid \"scope\" value"},
            {"ip route add 10.2.0.0/16 dev eth9", "Cannot find device \"eth9\""},
            {"ip route add 10.2.0.0/16", "RTNETLINK answers: No such device"},
            {"ip route add 10.2.0.0/16 via 10.0.0.1 dev",
             "Command line is not complete. Try option \"help\""},
            {"ip route add 10.2.0.0/16 via 192.168.1.1", "Error: Nexthop has invalid gateway."},
            {"ip route add 10.2.0.0/16 via 10.0.0.1 dev eth1",
             "Error: Nexthop has invalid gateway."},
            // eth1 is down: no connected route yet, and no device routes over it
            {"ip route add 10.2.0.0/16 via 10.5.0.1", "Error: Nexthop has invalid gateway."},
            {"ip route add 10.2.0.0/16 dev eth1", "Error: Device for nexthop is not up."},
            {"ip route add 10.2.0.0/16 via 10.0.0.2", ""}, // a local address: RTN_LOCAL is accepted
            {"ip route add 10.2.0.0/16 via 10.0.0.1 src 10.0.0.99",
             "Error: Invalid prefsrc address."},
            {"ip route add 10.2.0.0/16 via 10.0.0.1 src 10.5.0.2", ""},
            {"ip route add blackhole 10.2.0.0/16 dev eth0",
             "Error: Gateway, device and multipath can not be specified for this route type."},
            {"ip route add local 10.7.7.7", "RTNETLINK answers: No such device"},
            {"ip route add 10.2.0.0/16 via 10.0.0.1 scope host",
             "Error: Route with host scope can not have a gateway."},
            {"ip route add 10.2.0.0/16 via 10.0.0.1 onlink",
             "ip route option \"onlink\" is not modelled (supported: TYPE, via, dev, src, metric, "
             "table, proto, scope)"},
            {"ip route add nat 10.2.0.0/16 via 10.0.0.1", "route type \"nat\" is not modelled"},
            {"ip route add", "Error: \"to\" argument is required."},
            {"ip route show",
             "ip route show/get prints state; a scenario only configures (use add, replace, del)"},
        });

    SECTION("defaults and derived fields") {
        auto r = run(setup +
                     "\nip route add 10.2.0.0/16 dev eth0\nip route add local 10.7.7.7 dev eth0\n"
                     "ip route add 10.3.0.0/16 via 10.0.0.1 dev eth0 src 10.0.0.2 metric 7 table "
                     "100 proto 99\n"
                     "ip route add 10.4.0.0/16 via 10.2.3.4\n");
        INFO(errorsOf(r));
        REQUIRE(r.ok());
        const auto& rt = r.config.routes;
        REQUIRE(rt.size() == 5);
        CHECK(rt[0].scope == RouteScope::Universe);
        CHECK(rt[0].protocol == "boot");
        CHECK(rt[0].table == 254);
        CHECK(rt[0].device.empty());
        CHECK(rt[1].scope == RouteScope::Link); // no gateway: iproute2 asks for scope link
        CHECK(rt[1].device == "eth0");
        CHECK(rt[2].type == RouteType::Local);
        CHECK(rt[2].table == 255);
        CHECK(rt[2].scope == RouteScope::Host);
        CHECK(rt[3].metric == 7);
        CHECK(rt[3].table == 100);
        CHECK(rt[3].protocol == "99");
        CHECK(rt[3].prefsrc->toString() == "10.0.0.2");
        // a gateway reached through a scope-link device route
        CHECK(rt[4].gateway->toString() == "10.2.3.4");
    }
}

TEST_CASE("ip neigh lines", "[scenario][ip][neigh]") {
    const std::string setup =
        "ip link set dev eth0 up\nip neigh add 10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0";
    checkRows(
        setup,
        {
            {"ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0", ""},
            {"ip neighbor add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0 nud reachable", ""},
            {"ip neighbour replace 10.0.0.1 lladdr 02:00:00:00:00:09 dev eth0 nud stale", ""},
            {"ip n change 10.0.0.1 lladdr 02:00:00:00:00:09 dev eth0", ""},
            {"ip n change 10.0.0.1 dev eth0 nud noarp", ""},
            {"ip n add 10.0.0.2 dev eth0 nud failed", ""},
            {"ip neigh add 10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0",
             "RTNETLINK answers: File exists"},
            {"ip neigh change 10.0.0.7 lladdr 02:00:00:00:00:01 dev eth0",
             "RTNETLINK answers: No such file or directory"},
            {"ip neigh del 10.0.0.1 dev eth0", ""},
            {"ip neigh del 10.0.0.7 dev eth0", "RTNETLINK answers: No such file or directory"},
            {"ip neigh add 10.0.0.2 dev eth0", "Error: No link layer address given."},
            {"ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02",
             "Device and destination are required arguments."},
            {"ip neigh add lladdr 02:00:00:00:00:02 dev eth0",
             "Device and destination are required arguments."},
            {"ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth3",
             "Cannot find device \"eth3\""},
            {"ip neigh add 10.0.0.2 lladdr zz dev eth0", "\"zz\" is invalid lladdr."},
            {"ip neigh add 10.0.0.300 lladdr 02:00:00:00:00:02 dev eth0",
             "Error: any valid address is expected rather than \"10.0.0.300\"."},
            {"ip neigh add 10.0.0.2 10.0.0.3 lladdr 02:00:00:00:00:02 dev eth0",
             "Error: either \"to\" is duplicate, or \"10.0.0.3\" is a garbage."},
            {"ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0 nud bogus",
             "Error: argument \"bogus\" is wrong: nud state is bad"},
            {"ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0 router",
             "ip neigh option \"router\" is not modelled (supported: lladdr, dev, nud)"},
        });
    auto r = run(setup + "\nip neigh replace 10.0.0.1 dev eth0 nud stale\n");
    REQUIRE(r.ok());
    REQUIRE(r.config.neighbours.size() == 1);
    CHECK(r.config.neighbours[0].state == NeighState::Stale);
    CHECK(r.config.neighbours[0].lladdr->toString() ==
          "02:00:00:00:00:01"); // kept, as neigh_update does
}

TEST_CASE("ip global options and objects", "[scenario][ip]") {
    checkRows("", {
                      {"ip -4 link set dev eth0 up", ""},
                      {"ip -6 route add default dev lo", "ip -6: IPv6 is not modelled"},
                      {"ip -s link set dev eth0 up", "Option \"-s\" is unknown, try \"ip -help\"."},
                      {"ip rule add from all table 100",
                       "ip rule is not modelled (supported: link, address, route, neigh)"},
                      {"ip", "ip: give an object (link, address, route, neigh)"},
                  });
}
