// SPDX-License-Identifier: GPL-3.0-or-later
// Why a packet was freed: the names of enum skb_drop_reason
// (include/net/dropreason-core.h). Numeric values differ between kernel
// versions, so only the names are part of Stackscope's contract.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace stackscope {

#define STACKSCOPE_DROP_REASONS(X)                                                                 \
    X(NOT_SPECIFIED) X(NO_SOCKET) X(SOCKET_CLOSE) X(SOCKET_FILTER) X(SOCKET_RCVBUFF)              \
    X(PKT_TOO_SMALL) X(TCP_CSUM) X(UDP_CSUM) X(NETFILTER_DROP) X(OTHERHOST) X(IP_CSUM)             \
    X(IP_INHDR) X(IP_RPFILTER) X(UNICAST_IN_L2_MULTICAST) X(XFRM_POLICY) X(IP_NOPROTO)             \
    X(PROTO_MEM) X(SOCKET_BACKLOG) X(TCP_FLAGS) X(TCP_ABORT_ON_DATA) X(TCP_ZEROWINDOW)             \
    X(TCP_OLD_DATA) X(TCP_OVERWINDOW) X(TCP_OFOMERGE) X(TCP_RFC7323_PAWS) X(TCP_LISTEN_OVERFLOW)   \
    X(TCP_OLD_SEQUENCE) X(TCP_INVALID_SEQUENCE) X(TCP_INVALID_ACK_SEQUENCE) X(TCP_RESET)           \
    X(TCP_INVALID_SYN) X(TCP_CLOSE) X(TCP_FASTOPEN) X(TCP_OLD_ACK) X(TCP_TOO_OLD_ACK)              \
    X(TCP_ACK_UNSENT_DATA) X(TCP_OFO_QUEUE_PRUNE) X(TCP_OFO_DROP) X(IP_OUTNOROUTES)                \
    X(BPF_CGROUP_EGRESS) X(IPV6DISABLED) X(NEIGH_CREATEFAIL) X(NEIGH_FAILED) X(NEIGH_QUEUEFULL)    \
    X(NEIGH_DEAD) X(TC_EGRESS) X(SECURITY_HOOK) X(QDISC_DROP) X(QDISC_OVERLIMIT)                   \
    X(QDISC_CONGESTED) X(FQ_BAND_LIMIT) X(FQ_HORIZON_LIMIT) X(FQ_FLOW_LIMIT) X(CPU_BACKLOG) X(XDP) \
    X(TC_INGRESS) X(UNHANDLED_PROTO) X(SKB_CSUM) X(SKB_GSO_SEG) X(SKB_UCOPY_FAULT) X(DEV_HDR)      \
    X(DEV_READY) X(FULL_RING) X(NOMEM) X(HDR_TRUNC) X(TAP_FILTER) X(TAP_TXFILTER) X(ICMP_CSUM)     \
    X(INVALID_PROTO) X(IP_INADDRERRORS) X(IP_INNOROUTES) X(IP_LOCAL_SOURCE) X(IP_INVALID_SOURCE)   \
    X(IP_LOCALNET) X(IP_INVALID_DEST) X(PKT_TOO_BIG) X(DUP_FRAG) X(FRAG_REASM_TIMEOUT)             \
    X(FRAG_TOO_FAR) X(TCP_MINTTL) X(QUEUE_PURGE) X(PACKET_SOCK_ERROR) X(MAC_INVALID_SOURCE)        \
    X(LOCAL_MAC) X(ARP_PVLAN_DISABLE)

enum class DropReason : std::uint8_t {
    None = 0, // SKB_NOT_DROPPED_YET
    Consumed, // SKB_CONSUMED: freed after successful use, not a drop
#define STACKSCOPE_DROP_ENUM(name) name,
    STACKSCOPE_DROP_REASONS(STACKSCOPE_DROP_ENUM)
#undef STACKSCOPE_DROP_ENUM
        Count
};

// "NO_SOCKET"; "NOT_DROPPED_YET" and "CONSUMED" for the two non-drops.
std::string_view dropReasonName(DropReason r);
std::optional<DropReason> dropReasonFromName(std::string_view name); // accepts SKB_DROP_REASON_ prefix
constexpr bool isDrop(DropReason r) { return r != DropReason::None && r != DropReason::Consumed; }

} // namespace stackscope
