// SPDX-License-Identifier: GPL-3.0-or-later
// Values shared by the iptables model: tables, hooks, conntrack states and the
// per-packet input and output of a table traversal (net/ipv4/netfilter/ip_tables.c
// ipt_do_table, as iptables-nft 1.8.9 programs nf_tables).
#pragma once

#include "sim/time.h"
#include "wire/address.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace stackscope::netfilter {

// Declared in iptables-save's output order (the nft backend's table enum).
enum class TableId : std::uint8_t { Mangle, Security, Raw, Filter, Nat };
inline constexpr int kTableCount = 5;

enum class Hook : std::uint8_t { PreRouting, LocalIn, Forward, LocalOut, PostRouting };
inline constexpr int kHookCount = 5;

std::string_view tableName(TableId table);
std::optional<TableId> parseTableName(std::string_view name);
std::string_view hookChainName(Hook hook); // "PREROUTING", "INPUT", ...

enum class Verdict : std::uint8_t { Accept, Drop };

// The conntrack view a rule can see (enum ip_conntrack_info folded by direction).
enum class CtState : std::uint8_t { New, Established, Related, Invalid, Untracked };

// skb->pkt_type values the pkttype match distinguishes (include/uapi/linux/if_packet.h).
enum class PktType : std::uint8_t { Host = 0, Broadcast = 1, Multicast = 2, OtherHost = 3, Outgoing = 4 };

// Route types as the addrtype match numbers them (enum rtn_type: 1 << RTN_x).
enum class AddrType : std::uint8_t {
    Unspec = 0, Unicast, Local, Broadcast, Anycast, Multicast, Blackhole, Unreachable,
    Prohibit, Throw, Nat, XResolve
};

enum class RejectWith : std::uint8_t {
    NetUnreachable, HostUnreachable, PortUnreachable, ProtoUnreachable, NetProhibited,
    HostProhibited, AdminProhibited, TcpReset
};
std::string_view rejectWithName(RejectWith with); // "icmp-port-unreachable", "tcp-reset"

enum class NatKind : std::uint8_t { None, Dnat, Snat, Masquerade, Redirect };

// A NAT range as the xt_nat / MASQUERADE / REDIRECT targets carry it (nf_nat_range2).
struct NatRange {
    bool hasAddress = false;
    bool hasPorts = false;
    wire::Ipv4Address minAddress;
    wire::Ipv4Address maxAddress;
    std::uint16_t minPort = 0;
    std::uint16_t maxPort = 0;
};

struct NatRequest {
    NatKind kind = NatKind::None;
    NatRange range;
};

// Decides the route type of an address (inet_dev_addr_type); dev is empty unless
// the rule limits the lookup to the packet's interface. An interface rather than a
// std::function: the hook sets one up for every packet, and this costs nothing to build.
class AddrTypeResolver {
public:
    virtual AddrType classify(wire::Ipv4Address address, std::string_view dev) const = 0;

protected:
    ~AddrTypeResolver() = default;
};

// The owner of a local socket, for LOG --log-uid (UID= GID=).
struct SocketCred {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
};

// Everything a rule can look at. ip starts at the IPv4 header; mac is the link
// header LOG prints as MAC= (empty for locally generated packets).
struct PacketInfo {
    std::span<const std::uint8_t> ip;
    std::span<const std::uint8_t> mac;
    std::string_view inDev;
    std::string_view outDev;
    std::uint32_t mark = 0;
    CtState ctState = CtState::New;
    std::uint32_t ctmark = 0;
    bool ctSnat = false; // IPS_SRC_NAT on the connection (ctstate SNAT)
    bool ctDnat = false; // IPS_DST_NAT on the connection (ctstate DNAT)
    PktType pktType = PktType::Host;
    const AddrTypeResolver* addrType = nullptr; // nullptr: classify from the address alone
    const SocketCred* socketCred = nullptr;     // locally generated packets with a socket
};

struct LogLine {
    int level = 4;
    std::string text; // the kernel's line: prefix, "IN=... OUT= ... "
};

struct TraversalResult {
    Verdict verdict = Verdict::Accept;
    bool byPolicy = false;         // the packet fell off the built-in chain
    std::optional<RejectWith> reject;
    NatRequest nat;
    bool notrack = false;          // CT --notrack / NOTRACK fired
    bool trace = false;            // TRACE fired
    bool markChanged = false;
    bool ctmarkChanged = false;
    std::optional<std::uint8_t> newTtl; // TTL target rewrote the header's TTL to this
    std::vector<LogLine> logs;
    // The deciding rule: chain index and 1-based position (0 when the policy decided).
    int chain = -1;
    int position = 0;
};

// What a traced rule did, as nft reports it (NF_ACCEPT, NF_DROP, NFT_CONTINUE ...).
enum class TraceVerdict : std::uint8_t { Continue, Accept, Drop, Jump, Goto, Return };

// One rule whose matches all passed, or the policy, in evaluation order.
struct TraceEntry {
    TableId table = TableId::Filter;
    std::string_view chain;
    int position = 0;           // 1-based; 0 for the policy
    bool policy = false;
    std::uint64_t handle = 0;   // the nft rule handle iptables-nft gave the rule
    TraceVerdict verdict = TraceVerdict::Continue; // for the policy: Accept or Drop
    std::string_view jumpTarget; // Jump and Goto
};

class TraceSink {
public:
    virtual ~TraceSink() = default;
    virtual void onRule(const TraceEntry& entry) = 0;
};

} // namespace stackscope::netfilter
