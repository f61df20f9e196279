// SPDX-License-Identifier: GPL-3.0-or-later
// writeScenario: what it writes reads back to an equal configuration.
#include "scenario/shell_words.h"
#include "scenario_test_util.h"

using namespace stackscope;
using namespace stackscope::scenario;
using stackscope::scenario::test::errorsOf;
using stackscope::scenario::test::run;

// HostConfig has no operator==; these compare every field, for the tests only.
namespace stackscope {
bool operator==(const InterfaceAddress& a, const InterfaceAddress& b) {
    return a.address == b.address && a.prefixLength == b.prefixLength &&
           a.broadcast == b.broadcast && a.label == b.label && a.scope == b.scope;
}
bool operator==(const QdiscConfig& a, const QdiscConfig& b) {
    return a.kind == b.kind && a.limit == b.limit && a.rateBytesPerSec == b.rateBytesPerSec &&
           a.burstBytes == b.burstBytes && a.latency == b.latency && a.target == b.target &&
           a.interval == b.interval && a.flows == b.flows;
}
bool operator==(const InterfaceConfig& a, const InterfaceConfig& b) {
    return a.name == b.name && a.ifindex == b.ifindex && a.kind == b.kind && a.mac == b.mac &&
           a.mtu == b.mtu && a.up == b.up && a.promisc == b.promisc && a.gro == b.gro &&
           a.rxRing == b.rxRing && a.txRing == b.txRing && a.txqueuelen == b.txqueuelen &&
           a.addresses == b.addresses && a.qdisc == b.qdisc;
}
bool operator==(const RouteConfig& a, const RouteConfig& b) {
    return a.type == b.type && a.destination == b.destination && a.gateway == b.gateway &&
           a.device == b.device && a.prefsrc == b.prefsrc && a.metric == b.metric &&
           a.table == b.table && a.scope == b.scope && a.protocol == b.protocol;
}
bool operator==(const NeighbourConfig& a, const NeighbourConfig& b) {
    return a.address == b.address && a.lladdr == b.lladdr && a.device == b.device &&
           a.state == b.state;
}
bool operator==(const SocketConfig& a, const SocketConfig& b) {
    return a.protocol == b.protocol && a.bindAddress == b.bindAddress && a.port == b.port &&
           a.connectAddress == b.connectAddress && a.connectPort == b.connectPort &&
           a.rcvbuf == b.rcvbuf && a.sndbuf == b.sndbuf && a.read == b.read &&
           a.readRate == b.readRate && a.listen == b.listen && a.backlog == b.backlog &&
           a.device == b.device;
}
bool operator==(const SendConfig& a, const SendConfig& b) {
    return a.protocol == b.protocol && a.destination == b.destination &&
           a.destinationPort == b.destinationPort && a.source == b.source &&
           a.sourcePort == b.sourcePort && a.count == b.count && a.interval == b.interval &&
           a.start == b.start && a.payloadSize == b.payloadSize && a.dontFragment == b.dontFragment;
}
bool operator==(const ConnectConfig& a, const ConnectConfig& b) {
    return a.destination == b.destination && a.destinationPort == b.destinationPort &&
           a.source == b.source && a.sourcePort == b.sourcePort && a.start == b.start &&
           a.sendBytes == b.sendBytes && a.close == b.close;
}
bool operator==(const TapConfig& a, const TapConfig& b) {
    return a.device == b.device && a.filter == b.filter;
}
// Line numbers move when a scenario is rewritten; the content must not.
bool operator==(const IptablesInput& a, const IptablesInput& b) {
    return a.kind == b.kind && a.argv == b.argv && a.text == b.text;
}
} // namespace stackscope

namespace {

void checkEqual(const HostConfig& a, const HostConfig& b) {
    CHECK(a.hostname == b.hostname);
    CHECK(a.cpus == b.cpus);
    REQUIRE(a.interfaces.size() == b.interfaces.size());
    for (std::size_t i = 0; i < a.interfaces.size(); ++i) {
        INFO("interface " << a.interfaces[i].name);
        CHECK(a.interfaces[i] == b.interfaces[i]);
    }
    CHECK(a.routes == b.routes);
    CHECK(a.neighbours == b.neighbours);
    CHECK(a.sysctls.all() == b.sysctls.all());
    CHECK(a.sockets == b.sockets);
    CHECK(a.sends == b.sends);
    CHECK(a.connects == b.connects);
    CHECK(a.taps == b.taps);
    CHECK(a.iptables == b.iptables);
}

ScenarioReader acceptingReader() {
    ScenarioReader reader;
    reader.setIptablesValidator([](const IptablesInput&) { return std::optional<std::string>(); });
    return reader;
}

void roundTrip(const std::string& text) {
    auto reader = acceptingReader();
    auto first = reader.read(text, "original.scn");
    INFO("original errors:\n" << errorsOf(first));
    REQUIRE(first.ok());
    std::string written = writeScenario(first.config);
    auto second = reader.read(written, "written.scn");
    INFO("written:\n" << written << "\nerrors:\n" << errorsOf(second));
    REQUIRE(second.ok());
    checkEqual(first.config, second.config);
    // Writing is stable: the rewrite of the rewrite is the same text.
    CHECK(writeScenario(second.config) == written);
}

} // namespace

TEST_CASE("an empty host writes nothing", "[scenario][writer]") {
    CHECK(writeScenario(HostConfig::withLoopback()).empty());
}

TEST_CASE("round trip: the design's web server", "[scenario][writer]") {
    roundTrip(
        "hostname web1\ncpus 2\n"
        "ip link set dev lo up\n"
        "ip link set dev eth0 address 02:00:00:00:00:01 mtu 1500 up\n"
        "ip addr add 10.0.0.2/24 dev eth0\n"
        "ip route add default via 10.0.0.1 dev eth0\n"
        "ip neigh replace 10.0.0.1 lladdr 02:00:00:00:00:fe dev eth0 nud permanent\n"
        "sysctl -w net.ipv4.ip_forward=0\n"
        "sysctl -w net.core.netdev_max_backlog=300\n"
        "iptables -t filter -A INPUT -p udp --dport 9 -j DROP\n"
        "iptables-restore <<EOF\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\nEOF\n"
        "tc qdisc replace dev eth0 root pfifo limit 100\n"
        "ethtool -G eth0 rx 256 tx 1024\n"
        "socket udp bind 0.0.0.0:5353 rcvbuf 4096 read none\n"
        "socket tcp listen 0.0.0.0:80 backlog 16\n");
}

TEST_CASE("round trip: a router with every kind of line", "[scenario][writer]") {
    roundTrip(
        "hostname r1\n"
        "ip link set dev lo mtu 16384\n"
        "ip addr add 127.0.0.53/8 dev lo\n"
        "ip link set eth0 up promisc on txqueuelen 2000\n"
        "ip link set eth1 address 02:11:22:33:44:55 mtu 9000 up\n"
        "ip link add veth0 type veth peer name veth0-ns\n"
        "ip link set veth0 up\n"
        "ip link add dummy0 type dummy\n"
        "ip link set dummy0 mtu 40 up\n"
        "ip link add veth1 numtxqueues 1 type veth\n"
        "sysctl -w net.ipv4.conf.default.rp_filter=1\n" // eth0, eth1, veth0, dummy0 exist: they
                                                        // keep 0
        "ip link add late0 type dummy\n"                // created after: copies 1
        "sysctl -w net.ipv4.ip_forward=1\n"
        "sysctl -w net.ipv4.conf.eth1.forwarding=0\n"
        "sysctl -w net.ipv4.conf.eth0.rp_filter=2\n"
        "sysctl -w net.ipv4.neigh.eth0.unres_qlen=5\n"
        "sysctl -w 'net.ipv4.ip_local_port_range=2000 3000'\n"
        "ip addr add 10.0.0.1/24 brd + dev eth0\n"
        "ip addr add 10.0.0.100/24 label eth0:vip dev eth0\n"
        "ip addr add 192.168.1.1/24 scope link dev eth1\n"
        "ip addr add 172.16.0.1/30 brd - dev veth0\n"
        "ip addr add 10.99.0.1/32 dev dummy0\n"
        "ip route add 10.1.0.0/16 via 10.0.0.254\n"
        "ip route add 10.2.0.0/16 via 10.0.0.254 metric 10 table 100 proto static src 10.0.0.1\n"
        "ip route add 10.3.0.0/16 dev eth1 scope global proto 42\n"
        "ip route add blackhole 10.4.0.0/16\n"
        "ip route add unreachable 10.5.0.0/16 table 7\n"
        "ip route add prohibit 10.6.0.0/16 metric 3\n"
        "ip route add throw 10.7.0.0/16 table 100\n"
        "ip route add local 10.8.0.1 dev eth0\n"
        "ip route add local 10.8.0.2 dev eth0 table main\n"
        "ip route add broadcast 10.0.0.255 dev eth0\n"
        "ip route append 10.1.0.0/16 via 192.168.1.254\n"
        "ip route add 10.9.0.0/16 via 172.16.0.2 dev veth0 scope link\n"
        "ip neigh add 10.0.0.254 lladdr 02:00:00:00:00:fe dev eth0\n"
        "ip neigh add 192.168.1.254 lladdr 02:00:00:00:01:fe dev eth1 nud stale\n"
        "ip neigh add 192.168.1.253 dev eth1 nud failed\n"
        "ethtool -G eth0 rx 4096\n"
        "ethtool -K eth1 gro off\n"
        "ethtool -K veth0 gro off\n"
        "tc qdisc add dev eth0 root tbf rate 8mbit burst 32kb latency 400ms\n"
        "tc qdisc add dev eth1 root fq_codel limit 500 target 2ms interval 50ms flows 64\n"
        "tc qdisc add dev veth0 root bfifo limit 64k\n"
        "tc qdisc add dev dummy0 root tbf rate 1500kbit burst 1540 limit 10000\n"
        "tc qdisc add dev late0 root noqueue\n"
        "socket udp bind 10.0.0.1:5000 rcvbuf 8192 sndbuf 4096 read 250/s dev eth0 connect "
        "10.0.0.254:9\n"
        "socket udp bind 0.0.0.0:53 read all\n"
        "socket tcp listen 10.0.0.1:80 backlog 16 rcvbuf 65536\n"
        "socket tcp listen 0.0.0.0:22\n"
        "send udp 10.0.0.254:9 from 10.0.0.1:5000 count 10 interval 2ms size 100 at 1.5s df off\n"
        "send udp 10.1.2.3:7 from 10.0.0.1 interval 250us at 3ns\n"
        "send udp 10.1.2.3:7\n"
        "send udp 10.1.2.3:7 count 60 interval 0ns size 1000 sndbuf 20000 nonblock on\n"
        "socket tcp listen 0.0.0.0:8080 read 20/s\n"
        "connect tcp 10.0.0.254:80 from 10.0.0.1:40000 at 2s send 5000 close\n"
        "connect tcp 10.1.2.3:443 from 10.0.0.1\n"
        "connect tcp 10.1.2.3:443 send 1\n"
        "tcpdump -ni eth0\n"
        "tcpdump -i any\n"
        "iptables -t nat -A POSTROUTING -o eth1 -m comment --comment 'masq out' -j MASQUERADE\n"
        "iptables-restore --noflush <<'END'\n*filter\nEOF\n:FORWARD DROP [0:0]\nCOMMIT\nEND\n"
        "iptables -A FORWARD -i eth0 \\\n  -o eth1 -j ACCEPT\n");
}

TEST_CASE("round trip: the router fixture", "[scenario][writer]") {
    auto reader = acceptingReader();
    auto r = reader.readFile(std::string(STACKSCOPE_SOURCE_DIR) +
                             "/tests/engine/scenario/data/router.scn");
    INFO(errorsOf(r));
    REQUIRE(r.ok());
    CHECK(r.config.iptables.size() == 2);
    auto back = reader.read(writeScenario(r.config), "written.scn");
    INFO(writeScenario(r.config));
    REQUIRE(back.ok());
    checkEqual(r.config, back.config);
}

TEST_CASE("round trip: deleted state stays deleted", "[scenario][writer]") {
    roundTrip("ip addr del 127.0.0.1/8 dev lo\n"
              "ip link set lo down\n"
              "ip link set eth0 up\n"
              "ip addr add 10.0.0.1/24 dev eth0\n"
              "ip addr add 10.0.0.2/24 dev eth0\n"
              "ip addr del 10.0.0.1/24 dev eth0\n"
              "ip route add 10.1.0.0/16 via 10.0.0.9\n"
              "ip route add 10.2.0.0/16 via 10.0.0.9\n"
              "ip route del 10.1.0.0/16\n"
              "tc qdisc add dev eth0 root pfifo\n"
              "tc qdisc del dev eth0 root\n"
              "sysctl -w net.ipv4.ip_forward=1\n"
              "sysctl -w net.ipv4.ip_forward=0\n");
}

TEST_CASE("the writer's lines are the commands an administrator types", "[scenario][writer]") {
    auto r = run(
        "ip link set eth0 up\nip addr add 10.0.0.2/24 dev eth0\nip route add default via 10.0.0.1\n"
        "sysctl -w net.ipv4.ip_forward=1\n");
    REQUIRE(r.ok());
    CHECK(writeScenario(r.config) == "sysctl -w net.ipv4.ip_forward=1\n"
                                     "ip link set dev eth0 up\n"
                                     "ip addr add 10.0.0.2/24 dev eth0\n"
                                     "ip route add default via 10.0.0.1\n");
}
