// SPDX-License-Identifier: GPL-3.0-or-later
// The stages a packet passes through, each named after the kernel function
// that does the work. The stack diagram has one box per stage.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace stackscope {

enum class Path : std::uint8_t { Rx, Forward, Local, Tx };

// X(enumerator, kernel function, short label, path)
#define STACKSCOPE_STAGES(X)                                                                       \
    X(NicRx, "netdev_rx", "NIC", Rx)                                                               \
    X(RxRing, "rx_ring", "RX ring", Rx)                                                            \
    X(HardIrq, "napi_schedule", "hard IRQ", Rx)                                                    \
    X(NapiPoll, "net_rx_action", "NAPI poll", Rx)                                                  \
    X(Gro, "napi_gro_receive", "GRO", Rx)                                                          \
    X(GroComplete, "napi_gro_complete", "GRO flush", Rx)                                           \
    X(Backlog, "enqueue_to_backlog", "RPS backlog", Rx)                                            \
    X(ProcessBacklog, "process_backlog", "backlog poll", Rx)                                       \
    X(NetifReceive, "__netif_receive_skb_core", "netif_receive", Rx)                               \
    X(PacketTap, "deliver_skb", "packet taps", Rx)                                                 \
    X(ArpRcv, "arp_rcv", "ARP", Rx)                                                                \
    X(IpRcv, "ip_rcv_core", "ip_rcv", Rx)                                                          \
    X(RawPrerouting, "iptable_raw_hook", "raw PREROUTING", Rx)                                     \
    X(ConntrackIn, "nf_conntrack_in", "conntrack", Rx)                                             \
    X(ManglePrerouting, "iptable_mangle_hook", "mangle PREROUTING", Rx)                            \
    X(NatPrerouting, "nf_nat_ipv4_pre_routing", "nat PREROUTING", Rx)                              \
    X(RouteInput, "ip_route_input_noref", "routing decision", Rx)                                  \
    X(IpDefrag, "ip_defrag", "defragment", Local)                                                  \
    X(IpLocalDeliver, "ip_local_deliver", "ip_local_deliver", Local)                               \
    X(MangleInput, "iptable_mangle_hook", "mangle INPUT", Local)                                   \
    X(FilterInput, "iptable_filter_hook", "filter INPUT", Local)                                   \
    X(NatInput, "nf_nat_ipv4_local_in", "nat INPUT", Local)                                        \
    X(ConntrackConfirm, "__nf_conntrack_confirm", "conntrack confirm", Local)                      \
    X(IpProtocolDeliver, "ip_protocol_deliver_rcu", "protocol dispatch", Local)                    \
    X(UdpRcv, "__udp4_lib_rcv", "UDP", Local)                                                      \
    X(TcpRcv, "tcp_v4_rcv", "TCP", Local)                                                          \
    X(IcmpRcv, "icmp_rcv", "ICMP", Local)                                                          \
    X(SocketQueue, "__udp_enqueue_schedule_skb", "socket queue", Local)                            \
    X(AppRead, "udp_recvmsg", "application", Local)                                                \
    X(IpForward, "ip_forward", "ip_forward", Forward)                                              \
    X(MangleForward, "iptable_mangle_hook", "mangle FORWARD", Forward)                             \
    X(FilterForward, "iptable_filter_hook", "filter FORWARD", Forward)                             \
    X(AppSend, "udp_sendmsg", "sendto", Tx)                                                        \
    X(RouteOutput, "ip_route_output_key", "route output", Tx)                                      \
    X(IpLocalOut, "__ip_local_out", "ip_local_out", Tx)                                            \
    X(RawOutput, "iptable_raw_hook", "raw OUTPUT", Tx)                                             \
    X(ConntrackOut, "nf_conntrack_in", "conntrack OUTPUT", Tx)                                     \
    X(MangleOutput, "iptable_mangle_hook", "mangle OUTPUT", Tx)                                    \
    X(NatOutput, "nf_nat_ipv4_local_fn", "nat OUTPUT", Tx)                                         \
    X(FilterOutput, "iptable_filter_hook", "filter OUTPUT", Tx)                                    \
    X(IpOutput, "ip_output", "ip_output", Tx)                                                      \
    X(ManglePostrouting, "iptable_mangle_hook", "mangle POSTROUTING", Tx)                          \
    X(NatPostrouting, "nf_nat_ipv4_out", "nat POSTROUTING", Tx)                                    \
    X(ConntrackConfirmOut, "__nf_conntrack_confirm", "conntrack confirm", Tx)                      \
    X(IpFinishOutput, "ip_finish_output", "ip_finish_output", Tx)                                  \
    X(Neighbour, "ip_finish_output2", "neighbour", Tx)                                             \
    X(ArpSolicit, "arp_solicit", "ARP request", Tx)                                                \
    X(DevQueueXmit, "__dev_queue_xmit", "dev_queue_xmit", Tx)                                      \
    X(QdiscEnqueue, "qdisc_enqueue", "qdisc", Tx)                                                  \
    X(QdiscDequeue, "sch_direct_xmit", "qdisc dequeue", Tx)                                        \
    X(DriverTx, "ndo_start_xmit", "driver TX", Tx)                                                 \
    X(Wire, "wire", "wire", Tx)                                                                    \
    X(Timer, "timer", "timer", Local)

enum class Stage : std::uint8_t {
#define STACKSCOPE_STAGE_ENUM(e, fn, label, path) e,
    STACKSCOPE_STAGES(STACKSCOPE_STAGE_ENUM)
#undef STACKSCOPE_STAGE_ENUM
        Count
};

std::string_view stageName(Stage s);           // "IpRcv"
std::string_view stageKernelFunction(Stage s); // "ip_rcv_core"
std::string_view stageLabel(Stage s);          // "ip_rcv"
Path stagePath(Stage s);
std::optional<Stage> stageFromName(std::string_view name); // enum name or kernel function

} // namespace stackscope
