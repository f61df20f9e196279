// SPDX-License-Identifier: GPL-3.0-or-later
// The configuration of one simulated host: what a scenario file describes
// and what the rule-table editors change. Plain values, copyable, no logic
// beyond lookups; the stack reads it, the scenario reader writes it.
#pragma once

#include "model/sysctl.h"
#include "sim/time.h"
#include "wire/address.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stackscope {

using wire::Ipv4Address;
using wire::Ipv4Prefix;
using wire::MacAddress;

enum class LinkKind : std::uint8_t {
    Ethernet, // physical NIC: RX ring, hard IRQ, NAPI, GRO, hardware MAC filter
    Veth,     // veth: frames reach the stack through netif_rx and the per-CPU backlog
    Loopback,
    Dummy,
};
std::string_view linkKindName(LinkKind k);

struct InterfaceAddress {
    Ipv4Address address;
    int prefixLength = 32;
    std::optional<Ipv4Address> broadcast; // "brd"; derived when absent and prefix < 31
    std::string label;
    enum class Scope : std::uint8_t { Global, Link, Host } scope = Scope::Global;
};

enum class QdiscKind : std::uint8_t { PfifoFast, Pfifo, Bfifo, Tbf, FqCodel, Noqueue };
std::string_view qdiscKindName(QdiscKind k);

struct QdiscConfig {
    QdiscKind kind = QdiscKind::PfifoFast;
    std::optional<std::uint32_t> limit; // packets (pfifo, fq_codel) or bytes (bfifo, tbf)
    // tbf
    std::uint64_t rateBytesPerSec = 0;
    std::uint32_t burstBytes = 0;
    std::optional<Nanos> latency;
    // fq_codel
    std::optional<Nanos> target;
    std::optional<Nanos> interval;
    std::optional<std::uint32_t> flows;
};

struct InterfaceConfig {
    std::string name;
    int ifindex = 0;
    LinkKind kind = LinkKind::Ethernet;
    MacAddress mac;
    std::uint32_t mtu = 1500;
    bool up = false;
    bool promisc = false;
    bool gro = true;                // ethtool -K gro
    std::uint32_t rxRing = 256;     // ethtool -G rx
    std::uint32_t txRing = 256;     // ethtool -G tx
    std::uint32_t txqueuelen = 1000;
    // ip link add ... numtxqueues N; none = the driver's default (veth: one per possible CPU,
    // the `cpus` line; other links: one).
    std::optional<std::uint32_t> numTxQueues;
    std::vector<InterfaceAddress> addresses;
    std::optional<QdiscConfig> qdisc; // root qdisc; nullopt = the kernel's default for this link
};

enum class RouteType : std::uint8_t { Unicast, Local, Broadcast, Blackhole, Unreachable, Prohibit, Throw };
std::string_view routeTypeName(RouteType t);

enum class RouteScope : std::uint8_t { Universe = 0, Link = 253, Host = 254 };

struct RouteConfig {
    RouteType type = RouteType::Unicast;
    Ipv4Prefix destination;
    std::optional<Ipv4Address> gateway; // via
    std::string device;                 // dev, empty when none
    std::optional<Ipv4Address> prefsrc; // src
    std::uint32_t metric = 0;
    std::uint32_t table = 254; // main; 255 local
    RouteScope scope = RouteScope::Universe;
    std::string protocol = "boot"; // kernel, boot, static
};

enum class NeighState : std::uint8_t { Permanent, Noarp, Reachable, Stale, Delay, Probe, Failed, Incomplete };
std::string_view neighStateName(NeighState s);

struct NeighbourConfig {
    Ipv4Address address;
    std::optional<MacAddress> lladdr;
    std::string device;
    NeighState state = NeighState::Permanent;
};

enum class SocketProtocol : std::uint8_t { Udp, Tcp };

struct SocketConfig {
    SocketProtocol protocol = SocketProtocol::Udp;
    Ipv4Address bindAddress;
    std::uint16_t port = 0;
    std::optional<Ipv4Address> connectAddress; // connected UDP / TCP peer
    std::optional<std::uint16_t> connectPort;
    std::optional<int> rcvbuf; // the value passed to SO_RCVBUF (the kernel doubles it)
    std::optional<int> sndbuf;
    enum class ReadMode : std::uint8_t { None, All, Rate } read = ReadMode::All;
    std::uint32_t readRate = 0;  // datagrams per second when read == Rate
    bool listen = false;         // tcp listen
    std::uint32_t backlog = 128; // listen backlog
    std::string device;          // SO_BINDTODEVICE, empty when none
};

// `send udp 10.0.0.1:9 from 10.0.0.2:5000 count 10 interval 1ms size 100 [at 1s]`
struct SendConfig {
    SocketProtocol protocol = SocketProtocol::Udp;
    Ipv4Address destination;
    std::uint16_t destinationPort = 0;
    std::optional<Ipv4Address> source;
    std::optional<std::uint16_t> sourcePort; // none = inet_autobind picks one
    std::uint32_t count = 1;
    Nanos interval = kMillisecond;
    Nanos start = 0;
    std::uint32_t payloadSize = 0;
    bool dontFragment = true; // IP_PMTUDISC_WANT: DF set while the route MTU allows
    std::optional<std::uint32_t> sndbuf; // SO_SNDBUF; none = net.core.wmem_default
    bool nonBlocking = false;            // MSG_DONTWAIT: EAGAIN instead of sleeping when full
};

// `connect tcp 10.0.0.1:80 [from 10.0.0.2[:40000]] [at 1s] [send 5000] [close]`: an
// application calling connect(), then send() of sendBytes bytes once connected, then
// close() when `close` is given.
struct ConnectConfig {
    Ipv4Address destination;
    std::uint16_t destinationPort = 0;
    std::optional<Ipv4Address> source;       // bind() before connect(); none = route's source
    std::optional<std::uint16_t> sourcePort; // none = __inet_hash_connect picks one
    Nanos start = 0;
    std::uint32_t sendBytes = 0;
    bool close = false;
};

// `tcpdump -i eth0`: an AF_PACKET tap that sees what __netif_receive_skb_core sees.
struct TapConfig {
    std::string device; // "any" allowed
    std::string filter; // kept as written; only the empty filter is supported now
};

// One `iptables ...` line or one `iptables-restore` block, as written in the scenario.
struct IptablesInput {
    enum class Kind : std::uint8_t { Command, Restore } kind = Kind::Command;
    std::vector<std::string> argv; // Command: shell words, argv[0] == "iptables"
    std::string text;              // Restore: the block's lines; Command: the line as written
    int line = 0;                  // first line in the scenario file
};

struct HostConfig {
    std::string hostname = "stackscope";
    int cpus = 1;
    std::vector<InterfaceConfig> interfaces;
    std::vector<RouteConfig> routes; // as configured; connected and local routes are derived
    std::vector<NeighbourConfig> neighbours;
    Sysctls sysctls;
    std::vector<SocketConfig> sockets;
    std::vector<SendConfig> sends;
    std::vector<ConnectConfig> connects;
    std::vector<TapConfig> taps;
    std::vector<IptablesInput> iptables; // in scenario order, for the netfilter module

    // A host with `lo` (127.0.0.1/8, up) as the kernel creates every namespace.
    static HostConfig withLoopback();

    InterfaceConfig* findInterface(std::string_view name);
    const InterfaceConfig* findInterface(std::string_view name) const;
    const InterfaceConfig* interfaceByIndex(int ifindex) const;
    // Creates the interface (next free ifindex, a locally administered MAC) if absent.
    InterfaceConfig& ensureInterface(std::string_view name, LinkKind kind = LinkKind::Ethernet);
};

} // namespace stackscope
