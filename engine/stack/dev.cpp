// SPDX-License-Identifier: GPL-3.0-or-later
// net/core/dev.c receive side: the per-CPU backlog (enqueue_to_backlog,
// process_backlog), netif_receive_skb (GRO's hand-off, gro.cpp) and
// __netif_receive_skb_core with packet taps and protocol dispatch.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ethernet.h"

#include <fmt/format.h>

namespace stackscope::stack {

bool Host::enqueue_to_backlog(Skb& skb, int cpu) {
    SoftnetData& sd = m_softnet[std::size_t(cpu)];
    Device* d = dev(skb.device);
    if (!d || !d->config.up) {
        m_counters.addLink(skb.device, LinkStat::rx_dropped);
        SS_DROP(skb, Stage::Backlog, DropReason::DEV_READY,
             "device is not running: dropped before the backlog, rx_dropped +1");
        return false;
    }
    const auto qlen = std::int64_t(sd.inputPktQueue.size());
    const std::int64_t maxBacklog = m_hot.netdevMaxBacklog;
    if (qlen > maxBacklog) {
        m_counters.addSoftnetDropped(cpu);
        m_counters.addLink(skb.device, LinkStat::rx_dropped);
        SS_DROP(skb, Stage::Backlog, DropReason::CPU_BACKLOG,
             fmt::format("backlog holds {} > netdev_max_backlog {}: softnet dropped +1, rx_dropped +1",
                         qlen, maxBacklog));
        return false;
    }
    skb.cpu = cpu;
    SS_TRACE(skb, Stage::Backlog, Verdict::Queued,
          fmt::format("queued on CPU {}'s input_pkt_queue ({} before it, limit {})", cpu, qlen,
                      maxBacklog));
    sd.inputPktQueue.push_back(std::move(skb));
    if (!sd.backlogScheduled) {
        sd.backlogScheduled = true;
        sd.pollList.push_back(-1);
        if (!sd.softirqRaised) {
            sd.softirqRaised = true;
            // From process context the softirq runs when bottom halves are re-enabled (the
            // caller does it); from interrupts it is raised for irq_exit.
            if (m_context != Context::Process)
                schedule({m_now + kIrqToSoftirq, 0, Event::Kind::NetRxAction, cpu, 0});
        }
    }
    return true;
}

int Host::process_backlog(int cpu, int quota) {
    SoftnetData& sd = m_softnet[std::size_t(cpu)];
    int work = 0;
    while (work < quota && !sd.inputPktQueue.empty()) {
        Skb skb = sd.inputPktQueue.takeFront();
        ++work;
        m_context = Context::SoftIrq;
        SS_TRACE(skb, Stage::ProcessBacklog, Verdict::Continue,
              fmt::format("process_backlog on CPU {}: {} of quota {}", cpu, work, quota));
        __netif_receive_skb_core(std::move(skb));
    }
    if (sd.inputPktQueue.empty()) sd.backlogScheduled = false;
    return work;
}

void Host::netif_receive_skb(Skb&& skb) {
    // Without RPS configured, get_rps_cpu is never consulted: the packet stays on this CPU.
    __netif_receive_skb_core(std::move(skb));
}

void Host::__netif_receive_skb_core(Skb&& skb) {
    m_counters.addSoftnetProcessed(skb.cpu);
    std::size_t l2 = wire::kEthHeaderLen;
    std::uint16_t protocol = wire::loadBe16(skb.data.data() + 12);
    // Packet taps (ptype_all: tcpdump) see the frame before any VLAN or IP processing.
    bool tapped = false;
    for (const auto& tap : m_config.taps) {
        if (tap.device == "any" || tap.device == deviceName(skb.device)) {
            tapped = true;
            SS_TRACE(skb, Stage::PacketTap, Verdict::Continue,
                  fmt::format("deliver_skb: the AF_PACKET socket of `tcpdump -i {}` gets a clone",
                              tap.device));
        }
    }
    if ((protocol == wire::kEtherTypeVlan || protocol == wire::kEtherTypeQinQ) &&
        skb.data.size() >= wire::kEthVlanHeaderLen) {
        const std::uint16_t tci = wire::loadBe16(skb.data.data() + wire::kVlanTciOffset);
        protocol = wire::loadBe16(skb.data.data() + wire::kVlanInnerTypeOffset);
        l2 = wire::kEthVlanHeaderLen;
        if (wire::vlanId(tci) != 0) {
            // No VLAN device exists for this id: the kernel marks the packet for another host.
            skb.pktType = PktType::OtherHost;
            SS_TRACE(skb, Stage::NetifReceive, Verdict::Continue,
                  fmt::format("802.1Q tag with VLAN {} and no VLAN device: pkt_type set to "
                              "PACKET_OTHERHOST",
                              wire::vlanId(tci)));
        }
    }
    skb.network = std::uint16_t(l2);
    skb.protocol = protocol;
    skb.l3Length = std::uint32_t(skb.data.size() - l2);
    if (protocol == wire::kEtherTypeIpv4) {
        SS_TRACE(skb, Stage::NetifReceive, Verdict::Continue, "ETH_P_IP: handed to ip_rcv");
        ip_rcv(std::move(skb));
    } else if (protocol == wire::kEtherTypeArp) {
        SS_TRACE(skb, Stage::NetifReceive, Verdict::Continue, "ETH_P_ARP: handed to arp_rcv");
        arp_rcv(std::move(skb));
    } else if (protocol == wire::kEtherTypeIpv6) {
        SS_TRACE(skb, Stage::NetifReceive, Verdict::Consumed,
              "ETH_P_IPV6: Linux would hand this to ipv6_rcv; IPv6 is not modelled, so it is "
              "left out of every counter");
    } else if (tapped) {
        SS_TRACE(skb, Stage::NetifReceive, Verdict::Consumed,
              fmt::format("no protocol handler for 0x{:04x}; the packet tap was the last handler, "
                          "so nothing is counted as dropped",
                          protocol));
    } else {
        m_counters.addLink(skb.device, LinkStat::rx_dropped);
        SS_DROP(skb, Stage::NetifReceive, DropReason::UNHANDLED_PROTO,
             fmt::format("no protocol handler for ethertype 0x{:04x}: rx_dropped +1", protocol));
    }
}

} // namespace stackscope::stack
