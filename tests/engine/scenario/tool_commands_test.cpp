// SPDX-License-Identifier: GPL-3.0-or-later
// sysctl, ethtool, tc, socket, send and tcpdump lines.
#include "scenario/commands.h"
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

TEST_CASE("sysctl lines", "[scenario][sysctl]") {
    checkRows(
        "ip link set dev eth0 up",
        {
            {"sysctl -w net.ipv4.ip_forward=1", ""},
            {"sysctl net.ipv4.ip_forward=1", ""},
            {"sysctl -q -w net.core.netdev_max_backlog=10 net.ipv4.tcp_syncookies=2", ""},
            {"sysctl -w net/ipv4/conf/eth0/rp_filter=1", ""},
            {"sysctl -w net.ipv4.conf.eth0.rp_filter=2", ""},
            {"sysctl -w 'net.ipv4.ip_local_port_range=1024 65000'", ""},
            {"sysctl -w \"net.ipv4.ip_forward = 1\"", ""},
            {"sysctl -w net.ipv4.foo=1",
             "sysctl: cannot stat /proc/sys/net/ipv4/foo: No such file or directory"},
            {"sysctl -w net.ipv4.conf.eth9.rp_filter=1",
             "sysctl: cannot stat /proc/sys/net/ipv4/conf/eth9/rp_filter: No such file or "
             "directory"},
            {"sysctl -w net.ipv4.ip_forward=2",
             "sysctl: setting key \"net.ipv4.ip_forward\": Invalid argument"},
            {"sysctl -w net.ipv4.ip_forward=yes",
             "sysctl: setting key \"net.ipv4.ip_forward\": Invalid argument"},
            {"sysctl -w net.ipv4.ip_forward",
             "sysctl: \"net.ipv4.ip_forward\" must be of the form name=value"},
            {"sysctl net.ipv4.ip_forward", "sysctl: reading \"net.ipv4.ip_forward\" changes "
                                           "nothing; write net.ipv4.ip_forward=VALUE"},
            {"sysctl -p /etc/sysctl.conf",
             "sysctl -p: loading files is not supported in a scenario; write KEY=VALUE lines"},
            {"sysctl -w", "sysctl: no variables specified"},
        });

    SECTION("several settings on one line report each bad one and apply the good ones") {
        auto r = run("sysctl -w net.ipv4.bad1=1 net.core.somaxconn=64 net.ipv4.bad2=1\n");
        REQUIRE(r.errors.size() == 2);
        CHECK(r.errors[0].toString() ==
              "t.scn:1: sysctl: cannot stat /proc/sys/net/ipv4/bad1: No such file or directory");
        CHECK(r.errors[1].line == 1);
        CHECK(r.config.sysctls.get("net.core.somaxconn") == 64);
    }
    SECTION("values land in Sysctls") {
        auto r = run("ip link set eth0 up\nsysctl -w net.ipv4.ip_forward=1 "
                     "net/ipv4/conf/eth0/rp_filter=2\n");
        REQUIRE(r.ok());
        CHECK(r.config.sysctls.get("net.ipv4.ip_forward") == 1);
        CHECK(r.config.sysctls.conf("eth0", "forwarding") == 1);
        CHECK(r.config.sysctls.conf("eth0", "rp_filter") == 2);
    }
}

TEST_CASE("ethtool lines", "[scenario][ethtool]") {
    checkRows(
        "ip link set dev eth0 up\nip link add v0 type veth",
        {
            {"ethtool -G eth0 rx 1024", ""},
            {"ethtool --set-ring eth0 rx 128 tx 512", ""},
            {"ethtool -K eth0 gro off", ""},
            {"ethtool --offload eth0 gro on", ""},
            {"ethtool --features v0 generic-receive-offload off", ""},
            {"ethtool -G eth9 rx 10", "Cannot get device ring settings: No such device (eth9)"},
            {"ethtool -K eth9 gro off", "Cannot get device feature names: No such device (eth9)"},
            {"ethtool -G v0 rx 10", "Cannot set device ring parameters: Operation not supported "
                                    "(v0 is a veth link without a NIC ring)"},
            {"ethtool -G eth0 rx 0",
             "Cannot set device ring parameters: Invalid argument (rx 0 is outside 1..4096)"},
            {"ethtool -G eth0 rx 8192",
             "Cannot set device ring parameters: Invalid argument (rx 8192 is outside 1..4096)"},
            {"ethtool -G eth0 rx",
             "ethtool: bad command line argument(s): parameters come in NAME VALUE pairs"},
            {"ethtool -G eth0 rx many",
             "ethtool: bad command line argument(s): \"many\" is not a number"},
            {"ethtool -G eth0 rx-jumbo 10",
             "ethtool -G: \"rx-jumbo\" is not modelled (only rx and tx)"},
            {"ethtool -G eth0 xr 10",
             "ethtool: bad command line argument(s): \"xr\"; did you mean \"rx\"?"},
            {"ethtool -K eth0 tso off",
             "ethtool -K: feature \"tso\" is not modelled (only gro is)"},
            {"ethtool -K eth0 gro maybe",
             "ethtool: bad command line argument(s): \"maybe\" must be on or off"},
            {"ethtool -K eth0 gor off", "ethtool: unknown feature \"gor\"; did you mean \"gro\"?"},
            {"ethtool -L eth0 combined 4",
             "ethtool -L is not modelled (supported: -G/--set-ring, -K/--offload/--features)"},
            {"ethtool eth0",
             "ethtool with only a device prints state; a scenario only configures (use -G or -K)"},
        });
    auto r = run("ip link set eth0 up\nethtool -G eth0 rx 1024 tx 128\nethtool -K eth0 gro off\n");
    REQUIRE(r.ok());
    const auto* eth0 = r.config.findInterface("eth0");
    CHECK(eth0->rxRing == 1024);
    CHECK(eth0->txRing == 128);
    CHECK_FALSE(eth0->gro);
}

TEST_CASE("tc units follow tc's parsers", "[scenario][tc]") {
    using namespace stackscope::scenario::detail;
    CHECK(parseTcRate("8000") == 1000u); // bare number: bits per second
    CHECK(parseTcRate("1mbit") == 125000u);
    CHECK(parseTcRate("1Mbit") == 125000u);
    CHECK(parseTcRate("10kbit") == 1250u);
    CHECK(parseTcRate("1gbit") == 125000000u);
    CHECK(parseTcRate("100bps") == 100u); // bps: bytes per second
    CHECK(parseTcRate("2kbps") == 2000u);
    CHECK(parseTcRate("1mibit") == 131072u);
    CHECK_FALSE(parseTcRate("fast"));
    CHECK_FALSE(parseTcRate("10furlongs"));
    CHECK(parseTcSize("1500") == 1500u);
    CHECK(parseTcSize("10k") == 10240u);
    CHECK(parseTcSize("10kb") == 10240u);
    CHECK(parseTcSize("1m") == 1048576u);
    CHECK(parseTcSize("8kbit") == 1024u);
    CHECK(parseTcSize("100b") == 100u);
    CHECK_FALSE(parseTcSize("10q"));
    CHECK(parseTcTime("50ms") == 50 * kMillisecond);
    CHECK(parseTcTime("5") == 5 * kMicrosecond); // bare number: microseconds
    CHECK(parseTcTime("1.5s") == 1500 * kMillisecond);
    CHECK(parseTcTime("100us") == 100 * kMicrosecond);
    CHECK_FALSE(parseTcTime("1h"));
}

TEST_CASE("tc qdisc lines", "[scenario][tc]") {
    checkRows(
        "ip link set dev eth0 up\nip link set dev eth1 up\ntc qdisc add dev eth1 root pfifo limit "
        "10",
        {
            {"tc qdisc add dev eth0 root pfifo", ""},
            {"tc qdisc add dev eth0 root pfifo limit 100", ""},
            {"tc qdisc replace dev eth0 root bfifo limit 10kb", ""},
            {"tc qdisc add root dev eth0 pfifo_fast", ""},
            {"tc qdisc add dev eth0 root noqueue", ""},
            {"tc qdisc add dev eth0 root tbf rate 1mbit burst 10kb latency 50ms", ""},
            {"tc qdisc add dev eth0 root tbf rate 1mbit burst 1540 limit 3000", ""},
            {"tc qdisc add dev eth0 root fq_codel limit 1000 target 5ms interval 100ms flows 1024",
             ""},
            {"tc qdisc add dev eth1 root pfifo", "Error: Exclusivity flag on, cannot modify."},
            {"tc qdisc replace dev eth1 root pfifo limit 20", ""},
            {"tc qdisc change dev eth1 root pfifo limit 20", ""},
            {"tc qdisc change dev eth1 root bfifo limit 20", "Error: Specified qdisc not found."},
            {"tc qdisc del dev eth1 root", ""},
            {"tc qdisc delete dev eth1 root pfifo", ""},
            {"tc qdisc del dev eth1 root bfifo", "Error: Invalid qdisc name."},
            {"tc qdisc del dev eth0 root", "Error: Cannot delete qdisc with handle of zero."},
            {"tc qdisc add dev eth9 root pfifo", "Cannot find device \"eth9\""},
            {"tc qdisc add dev eth0 parent 1: pfifo",
             "tc qdisc: \"parent\" is not modelled (only one root qdisc: tc qdisc add dev DEV root "
             "KIND)"},
            {"tc qdisc add dev eth0 root handle 1: pfifo",
             "tc qdisc: \"handle\" is not modelled (only one root qdisc: tc qdisc add dev DEV root "
             "KIND)"},
            {"tc qdisc add dev eth0 pfifo",
             "tc qdisc: give \"root\" (only the root qdisc is modelled)"},
            {"tc qdisc add root pfifo", "tc qdisc: \"dev DEV\" is required"},
            {"tc qdisc add dev eth0 root htb", "qdisc \"htb\" is not modelled (supported: pfifo, "
                                               "bfifo, pfifo_fast, noqueue, tbf, fq_codel)"},
            {"tc qdisc add dev eth0 root pfiffo",
             "Error: Specified qdisc kind is unknown.; did you mean \"pfifo\"?"},
            {"tc qdisc add dev eth0 root pfifo limit x",
             "pfifo: Illegal value for \"limit\": \"x\""},
            {"tc qdisc add dev eth0 root pfifo size 3", "pfifo: unknown parameter \"size\""},
            {"tc qdisc add dev eth0 root pfifo_fast limit 3",
             "qdisc 'pfifo_fast' does not support option parsing"},
            {"tc qdisc add dev eth0 root tbf burst 10kb latency 50ms",
             "tbf: the \"rate\" parameter is mandatory."},
            {"tc qdisc add dev eth0 root tbf rate 1mbit latency 50ms",
             "tbf: the \"burst\" parameter is mandatory."},
            {"tc qdisc add dev eth0 root tbf rate 1mbit burst 10kb",
             "tbf: either \"limit\" or \"latency\" is required."},
            {"tc qdisc add dev eth0 root tbf rate 1mbit burst 10kb limit 1k latency 1ms",
             "tbf: specifying both \"limit\" and \"latency\" is not allowed."},
            {"tc qdisc add dev eth0 root tbf rate fast burst 10kb latency 1ms", "Illegal \"rate\""},
            {"tc qdisc add dev eth0 root tbf rate 1mbit brust 10kb latency 1ms",
             "What is \"brust\"?; did you mean \"burst\"?"},
            {"tc qdisc add dev eth0 root tbf rate 1mbit burst 10kb latency 1ms peakrate 2mbit",
             "tbf: \"peakrate\" is not modelled (supported: rate, burst, latency, limit)"},
            {"tc qdisc add dev eth0 root fq_codel ecn",
             "fq_codel: \"ecn\" is not modelled (supported: limit, flows, target, interval)"},
            {"tc qdisc add dev eth0 root fq_codel target soon", "Illegal \"target\""},
            {"tc class add dev eth0 parent 1: classid 1:1 htb rate 1mbit",
             "tc class is not modelled (only a root qdisc)"},
            {"tc qdisc show dev eth0", "tc qdisc show prints state; a scenario only configures"},
        });
    auto r = run(
        "ip link set eth0 up\ntc qdisc add dev eth0 root tbf rate 8mbit burst 32kb latency 400ms\n"
        "ip link set eth1 up\ntc qdisc add dev eth1 root fq_codel limit 500 target 2ms interval "
        "50ms flows 64\n");
    INFO(errorsOf(r));
    REQUIRE(r.ok());
    const auto& tbf = *r.config.findInterface("eth0")->qdisc;
    CHECK(tbf.kind == QdiscKind::Tbf);
    CHECK(tbf.rateBytesPerSec == 1000000u);
    CHECK(tbf.burstBytes == 32768u);
    CHECK(tbf.latency == 400 * kMillisecond);
    CHECK_FALSE(tbf.limit);
    const auto& fq = *r.config.findInterface("eth1")->qdisc;
    CHECK(fq.kind == QdiscKind::FqCodel);
    CHECK(fq.limit == 500u);
    CHECK(fq.target == 2 * kMillisecond);
    CHECK(fq.interval == 50 * kMillisecond);
    CHECK(fq.flows == 64u);
}

TEST_CASE("socket lines", "[scenario][socket]") {
    checkRows(
        "ip link set dev eth0 up\nip addr add 10.0.0.2/24 dev eth0\nsocket udp bind 0.0.0.0:53",
        {
            {"socket udp bind 0.0.0.0:5353 rcvbuf 4096 read none", ""},
            {"socket udp bind 10.0.0.2:5000 read 100/s dev eth0 connect 10.0.0.1:9", ""},
            {"socket tcp listen 0.0.0.0:80 backlog 16 rcvbuf 65536", ""},
            {"socket tcp listen 0.0.0.0:53", ""}, // TCP and UDP ports are separate
            {"socket udp bind 0.0.0.0:53", "bind: Address already in use"},
            {"socket udp bind 10.0.0.2:53", "bind: Address already in use"},
            {"socket udp bind 0.0.0.0:0",
             "socket udp: port 0 lets the kernel pick a port; give the port the application binds"},
            {"socket udp bind 10.9.9.9:99", "bind: Cannot assign requested address"},
            {"socket udp bind 0.0.0.0:99 dev eth7",
             "setsockopt SO_BINDTODEVICE: No such device (eth7)"},
            {"socket udp bind 0.0.0.0:70000", "socket udp: \"0.0.0.0:70000\" is not ADDRESS:PORT"},
            {"socket udp bind 0.0.0.0:99 read sometimes",
             "socket udp: read takes none, all or a rate like 100/s, not \"sometimes\""},
            {"socket udp bind 0.0.0.0:99 rcvbuf 0",
             "socket udp: rcvbuf must be a positive number, not \"0\""},
            {"socket udp rcvbuf 10", "socket udp: give the address with bind ADDR:PORT"},
            {"socket tcp bind 0.0.0.0:80", "socket tcp: unknown option \"bind\""},
            {"socket udp listen 0.0.0.0:80", "socket udp: unknown option \"listen\""},
            {"socket sctp bind 0.0.0.0:80", "socket: unknown protocol \"sctp\" (udp or tcp)"},
            {"socket udp bind 0.0.0.0:99 connect 10.0.0.1:0",
             "connect: Invalid argument (the peer needs an address and a port)"},
            {"socket tcp listen 0.0.0.0:81 read none", ""},
            {"socket tcp listen 0.0.0.0:82 read 5/s", ""},
            {"socket tcp listen 0.0.0.0:83 read often",
             "socket tcp: read takes none, all or a rate like 100/s, not \"often\""},
        });
    auto r =
        run("ip link set eth0 up\nip addr add 10.0.0.2/24 dev eth0\n"
            "socket udp bind 10.0.0.2:5000 rcvbuf 8192 read 250/s dev eth0 connect 10.0.0.1:9\n"
            "socket tcp listen 0.0.0.0:80 backlog 16\n");
    INFO(errorsOf(r));
    REQUIRE(r.ok());
    REQUIRE(r.config.sockets.size() == 2);
    const auto& u = r.config.sockets[0];
    CHECK(u.protocol == SocketProtocol::Udp);
    CHECK(u.bindAddress.toString() == "10.0.0.2");
    CHECK(u.port == 5000);
    CHECK(u.rcvbuf == 8192);
    CHECK(u.read == SocketConfig::ReadMode::Rate);
    CHECK(u.readRate == 250u);
    CHECK(u.device == "eth0");
    CHECK(u.connectAddress->toString() == "10.0.0.1");
    CHECK(u.connectPort == 9);
    const auto& t = r.config.sockets[1];
    CHECK(t.protocol == SocketProtocol::Tcp);
    CHECK(t.listen);
    CHECK(t.backlog == 16u);
}

TEST_CASE("send lines", "[scenario][send]") {
    checkRows(
        "ip link set dev eth0 up\nip addr add 10.0.0.2/24 dev eth0",
        {
            {"send udp 10.0.0.1:9", ""},
            {"send udp 10.0.0.1:9 from 10.0.0.2:5000 count 10 interval 1ms size 100 at 1s df off",
             ""},
            {"send udp 10.0.0.1:9 from 10.0.0.2", ""},
            {"send udp 10.0.0.1:0", "sendto: Invalid argument (destination port 0)"},
            {"send udp 10.0.0.1", "send udp: \"10.0.0.1\" is not ADDRESS:PORT"},
            {"send udp", "send udp: give the destination ADDR:PORT"},
            {"send udp 10.0.0.1:9 size 65508", "sendto: Message too long"},
            {"send udp 10.0.0.1:9 size 65507", ""},
            {"send udp 10.0.0.1:9 from 10.9.9.9", "bind: Cannot assign requested address"},
            {"send udp 10.0.0.1:9 interval soon",
             "send udp: \"soon\" is not a duration (like 1ms, 2s, 500us)"},
            {"send udp 10.0.0.1:9 count 0", "send udp: count must be a positive number, not \"0\""},
            {"send udp 10.0.0.1:9 cuont 3",
             "send udp: unknown option \"cuont\"; did you mean \"count\"?"},
            {"send udp 10.0.0.1:9 df maybe", "send udp: df takes on or off, not \"maybe\""},
            {"send udp 10.0.0.1:9 sndbuf 20000 nonblock on", ""},
            {"send udp 10.0.0.1:9 sndbuf big",
             "send udp: sndbuf must be a number of bytes, not \"big\""},
            {"send udp 10.0.0.1:9 nonblock yes", "send udp: nonblock takes on or off, not \"yes\""},
            {"send udp 10.0.0.1:9 nonblock", "send udp: \"nonblock\" needs a value"},
            {"send udp 10.0.0.1:9 sndbfu 1",
             "send udp: unknown option \"sndbfu\"; did you mean \"sndbuf\"?"},
            {"send tcp 10.0.0.1:80", "send tcp is not modelled yet (only udp)"},
        });
    auto r = run(
        "ip link set eth0 up\nip addr add 10.0.0.2/24 dev eth0\n"
        "send udp 10.0.0.1:9 from 10.0.0.2:5000 count 10 interval 2ms size 100 at 1.5s df off\n");
    REQUIRE(r.ok());
    REQUIRE(r.config.sends.size() == 1);
    const auto& s = r.config.sends[0];
    CHECK(s.destination.toString() == "10.0.0.1");
    CHECK(s.destinationPort == 9);
    CHECK(s.source->toString() == "10.0.0.2");
    CHECK(s.sourcePort == 5000);
    CHECK(s.count == 10u);
    CHECK(s.interval == 2 * kMillisecond);
    CHECK(s.payloadSize == 100u);
    CHECK(s.start == 1500 * kMillisecond);
    CHECK_FALSE(s.dontFragment);
    CHECK_FALSE(s.sndbuf.has_value());
    CHECK_FALSE(s.nonBlocking);
    auto nb = run("send udp 10.0.0.1:9 sndbuf 20000 nonblock on\n");
    REQUIRE(nb.ok());
    CHECK(nb.config.sends.at(0).sndbuf == 20000u);
    CHECK(nb.config.sends.at(0).nonBlocking);
}

TEST_CASE("tcpdump lines", "[scenario][tcpdump]") {
    checkRows("ip link set dev eth0 up",
              {
                  {"tcpdump -i eth0", ""},
                  {"tcpdump -n -e -v -i eth0", ""},
                  {"tcpdump -nei eth0", ""},
                  {"tcpdump -ieth0 -vv", ""},
                  {"tcpdump --interface=eth0", ""},
                  {"tcpdump -i any", ""},
                  {"tcpdump -i eth9", "tcpdump: eth9: No such device exists"},
                  {"tcpdump -n",
                   "tcpdump: give the interface with -i (tcpdump would pick one on its own)"},
                  {"tcpdump -i", "tcpdump: option requires an argument -- 'i'"},
                  {"tcpdump -i eth0 udp port 53",
                   "tcpdump: capture filters are not modelled yet (\"udp port 53\"); capture "
                   "everything and leave the filter out"},
                  {"tcpdump -i eth0 -w out.pcap",
                   "tcpdump option -w is not modelled (supported: -i, -n, -e, -v)"},
                  {"tcpdump -i eth0 -%", "tcpdump: invalid option -- '%'"},
              });
    auto r = run("ip link set eth0 up\ntcpdump -ni eth0\n");
    REQUIRE(r.ok());
    REQUIRE(r.config.taps.size() == 1);
    CHECK(r.config.taps[0].device == "eth0");
    CHECK(r.config.taps[0].filter.empty());
}

TEST_CASE("connect lines", "[scenario][connect]") {
    checkRows(
        "ip link set dev eth0 up\nip addr add 10.0.0.2/24 dev eth0\n"
        "socket tcp listen 0.0.0.0:80",
        {
            {"connect tcp 10.0.0.1:80", ""},
            {"connect tcp 10.0.0.1:80 from 10.0.0.2:40000 at 1s send 5000 close", ""},
            {"connect tcp 10.0.0.1:80 close send 10 from 10.0.0.2", ""},
            {"connect tcp 10.0.0.1:80 send 0", ""},
            {"connect", "connect: give the protocol and destination: connect tcp ADDR:PORT ..."},
            {"connect tcp", "connect tcp: give the destination ADDR:PORT"},
            {"connect tpc 10.0.0.1:80", "connect: unknown protocol \"tpc\" (only tcp); did you mean \"tcp\"?"},
            {"connect udp 10.0.0.1:53",
             "connect udp: a connected UDP socket is written socket udp bind ADDR:PORT connect ADDR:PORT"},
            {"connect tcp 10.0.0.1", "connect tcp: \"10.0.0.1\" is not ADDRESS:PORT"},
            {"connect tcp 10.0.0.1:0", "connect tcp: give the peer's port (port 0 is no destination)"},
            {"connect tcp 0.0.0.0:80",
             "connect tcp: give the peer's address (0.0.0.0 is no destination)"},
            {"connect tcp 10.0.0.1:80 from 10.9.9.9", "bind: Cannot assign requested address"},
            {"connect tcp 10.0.0.1:80 from 10.0.0.2:80", "bind: Address already in use"},
            {"connect tcp 10.0.0.1:80 from nowhere",
             "connect tcp: \"nowhere\" is not ADDRESS or ADDRESS:PORT"},
            {"connect tcp 10.0.0.1:80 at soon",
             "connect tcp: \"soon\" is not a duration (like 1ms, 2s, 500us)"},
            {"connect tcp 10.0.0.1:80 send lots",
             "connect tcp: send takes a number of bytes, not \"lots\""},
            {"connect tcp 10.0.0.1:80 send", "connect tcp: \"send\" needs a value"},
            {"connect tcp 10.0.0.1:80 sned 10",
             "connect tcp: unknown option \"sned\"; did you mean \"send\"?"},
            {"connect tcp 10.0.0.1:80 close close", "connect tcp: \"close\" is given twice"},
        });
    auto r = run("ip link set eth0 up\nip addr add 10.0.0.2/24 dev eth0\n"
                 "connect tcp 10.0.0.1:80 from 10.0.0.2:40000 at 1.5s send 5000 close\n"
                 "connect tcp 10.0.0.1:443\n");
    INFO(errorsOf(r));
    REQUIRE(r.ok());
    REQUIRE(r.config.connects.size() == 2);
    const auto& c = r.config.connects[0];
    CHECK(c.destination.toString() == "10.0.0.1");
    CHECK(c.destinationPort == 80);
    CHECK(c.source->toString() == "10.0.0.2");
    CHECK(c.sourcePort == 40000);
    CHECK(c.start == 1500 * kMillisecond);
    CHECK(c.sendBytes == 5000u);
    CHECK(c.close);
    const auto& d = r.config.connects[1];
    CHECK_FALSE(d.source);
    CHECK_FALSE(d.sourcePort);
    CHECK(d.start == 0);
    CHECK(d.sendBytes == 0u);
    CHECK_FALSE(d.close);
}
