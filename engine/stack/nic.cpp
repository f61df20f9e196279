// SPDX-License-Identifier: GPL-3.0-or-later
// The receiving device: a NIC with an RX ring, hard IRQ and NAPI polling
// (net/core/dev.c napi_schedule, net_rx_action, __napi_poll), or a veth
// whose peer's veth_xmit hands frames to netif_rx (drivers/net/veth.c).
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ethernet.h"

#include <algorithm>
#include <fmt/format.h>

namespace stackscope::stack {

namespace {

// eth_type_trans (net/ethernet/eth.c): pkt_type from the destination MAC.
PktType ethPktType(const std::vector<std::uint8_t>& frame, const wire::MacAddress& own) {
    wire::MacAddress dst;
    std::copy_n(frame.begin(), 6, dst.bytes.begin());
    if (dst.isMulticast()) return dst.isBroadcast() ? PktType::Broadcast : PktType::Multicast;
    return dst == own ? PktType::Host : PktType::OtherHost;
}

// Captures without a link header are addressed to the receiving device as their cooked
// header says they were.
void addressSynthesized(std::vector<std::uint8_t>& frame, std::uint8_t sllType,
                        const wire::MacAddress& own) {
    wire::MacAddress dst = own;
    if (sllType == 1) dst = wire::MacAddress::broadcast();
    else if (sllType == 2) dst = wire::MacAddress{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}};
    else if (sllType == 3) dst = wire::MacAddress{{0x02, 0xee, 0xee, 0xee, 0xee, 0xee}};
    std::copy(dst.bytes.begin(), dst.bytes.end(), frame.begin());
}

} // namespace

void Host::netdevReceive(InputFrame&& frame) {
    const InterfaceConfig* cfg = inputInterface(frame.device);
    Skb skb;
    skb.id = m_injected; // step() counted this frame
    skb.tstamp = m_now;
    skb.cpu = 0;
    skb.device = cfg ? cfg->ifindex : 0;
    skb.inputDevice = skb.device;
    skb.data = std::move(frame.bytes);
    m_context = Context::HardIrq;
    Device* d = cfg ? dev(cfg->ifindex) : nullptr;
    if (!d) {
        SS_TRACE(skb, Stage::NicRx, Verdict::Consumed,
              fmt::format("no interface named {} on this host", frame.device));
        return;
    }
    if (skb.data.size() < wire::kEthHeaderLen) {
        // Runts never leave the MAC: counted as a length error by the driver.
        m_counters.addLink(d->config.ifindex, LinkStat::rx_length_errors);
        m_counters.addLink(d->config.ifindex, LinkStat::rx_errors);
        SS_DROP(skb, Stage::NicRx, DropReason::PKT_TOO_SMALL,
                fmt::format("frame of {} bytes is shorter than an Ethernet header: rx_length_errors",
                            skb.data.size()));
        return;
    }
    if (frame.l2Synthesized) addressSynthesized(skb.data, frame.l2PacketType, d->config.mac);

    if (d->config.kind == LinkKind::Veth || d->config.kind == LinkKind::Loopback ||
        d->config.kind == LinkKind::Dummy) {
        m_context = Context::Process;
        veth_xmit(std::move(skb));
        return;
    }

    if (!d->config.up) {
        SS_TRACE(skb, Stage::NicRx, Verdict::Consumed, "interface is down: the NIC does not receive");
        return;
    }
    const PktType type = ethPktType(skb.data, d->config.mac);
    if (type == PktType::OtherHost && !d->config.promisc) {
        SS_TRACE(skb, Stage::NicRx, Verdict::Consumed,
              "destination MAC is not ours: filtered by the NIC's unicast filter, the kernel never "
              "sees it (promiscuous mode is off)");
        return;
    }
    if (d->rxRing.size() >= d->config.rxRing) {
        m_counters.addLink(d->config.ifindex, LinkStat::rx_missed_errors);
        SS_DROP(skb, Stage::RxRing, DropReason::FULL_RING,
                fmt::format("RX ring full ({} descriptors): the NIC drops the frame, rx_missed_errors +1",
                            d->config.rxRing));
        return;
    }
    SS_TRACE(skb, Stage::NicRx, Verdict::Continue,
          fmt::format("{} bytes DMA'd into the RX ring", skb.data.size()));
    const int ifindex = d->config.ifindex;
    d->rxRing.push_back(std::move(skb));
    const Skb& queued = d->rxRing.back();
    SS_TRACE(queued, Stage::RxRing, Verdict::Queued,
          fmt::format("ring {}/{}", d->rxRing.size(), d->config.rxRing));
    if (!d->napiScheduled) {
        SS_TRACE(queued, Stage::HardIrq, Verdict::Continue,
              "interrupt: the driver masks the IRQ and schedules NAPI (NET_RX_SOFTIRQ raised)");
        napi_schedule(ifindex);
    }
}

void Host::napi_schedule(int ifindex) {
    Device* d = dev(ifindex);
    if (!d || d->napiScheduled) return;
    d->napiScheduled = true;
    SoftnetData& sd = m_softnet[0];
    sd.pollList.push_back(ifindex);
    if (!sd.softirqRaised) {
        sd.softirqRaised = true;
        schedule({m_now + kIrqToSoftirq, 0, Event::Kind::NetRxAction, 0, 0});
    }
}

void Host::net_rx_action(int cpu) {
    SoftnetData& sd = m_softnet[std::size_t(cpu)];
    sd.softirqRaised = false;
    m_context = Context::SoftIrq;
    std::int64_t budget = m_hot.netdevBudget;
    // Virtual time does not advance inside one softirq run, so the netdev_budget_usecs limit
    // never triggers; only the packet budget ends a run early.
    while (!sd.pollList.empty()) {
        const int napi = sd.pollList.front();
        sd.pollList.erase(sd.pollList.begin());
        const int weight = napi < 0 ? int(m_hot.devWeight) : 64;
        const int work = napi < 0 ? process_backlog(cpu, weight) : napi_poll(napi, weight);
        budget -= work;
        // __napi_poll: a driver that used its whole weight did not complete and is polled again.
        const bool more = napi < 0 ? sd.backlogScheduled : work >= weight;
        if (more) sd.pollList.push_back(napi);
        if (budget <= 0) {
            m_counters.addSoftnetTimeSqueeze(cpu);
            break;
        }
    }
    if (!sd.pollList.empty() && !sd.softirqRaised) {
        sd.softirqRaised = true;
        schedule({m_now + kSoftirqRestart, 0, Event::Kind::NetRxAction, cpu, 0});
    }
}

int Host::napi_poll(int ifindex, int budget) {
    Device* d = dev(ifindex);
    if (!d) return 0;
    if (std::size_t(ifindex) >= m_gro.size())
        m_gro.resize(std::max(std::size_t(ifindex) + 1, m_devices.size()));
    GroNapi& napi = m_gro[std::size_t(ifindex)];
    int work = 0;
    while (work < budget && !d->rxRing.empty()) {
        Skb skb = d->rxRing.takeFront();
        ++work;
        // The driver builds the skb around a half-page buffer (build_skb): truesize 2304.
        skb.truesize = skbTruesizeOf(2048 - kSkbSharedInfoSize);
        skb.cpu = 0;
        m_counters.addLink(ifindex, LinkStat::rx_packets);
        m_counters.addLink(ifindex, LinkStat::rx_bytes, skb.data.size());
        skb.pktType = ethPktType(skb.data, d->config.mac);
        if (skb.pktType == PktType::Multicast || skb.pktType == PktType::Broadcast)
            if (skb.pktType == PktType::Multicast) m_counters.addLink(ifindex, LinkStat::multicast);
        skb.protocol = wire::loadBe16(skb.data.data() + 12);
        SS_TRACE(skb, Stage::NapiPoll, Verdict::Continue,
              fmt::format("driver poll ({} of weight {}): skb built, eth_type_trans says {}, "
                          "protocol 0x{:04x}",
                          work, budget, pktTypeName(skb.pktType), skb.protocol));
        // The driver always calls napi_gro_receive; with GRO off it only batches (gro.cpp).
        napi_gro_receive(napi, std::move(skb));
    }
    if (work < budget) {
        // napi_complete_done: gro_flush_timeout is 0, so every held packet is completed and
        // the GRO_NORMAL batch goes up before the IRQ is re-enabled.
        gro_flush_normal(napi, false);
        d->napiScheduled = false;
    } else {
        // __napi_poll with the weight used up: the instance stays on the poll list and only
        // packets held since an earlier jiffy are completed (HZ >= 1000).
        gro_flush_normal(napi, kHz >= 1000);
    }
    return work;
}

void Host::veth_xmit(Skb&& skb) {
    Device* d = dev(skb.device);
    const int ifindex = skb.device;
    // The frame was allocated by the sender (an AF_PACKET socket on the peer): its head holds
    // the frame plus LL_RESERVED_SPACE (16 bytes).
    skb.truesize = skbTruesizeForHead(std::uint32_t(skb.data.size()) + 16);
    // __dev_forward_skb: is_skb_forwardable refuses a down device or a frame over the MTU.
    const std::size_t maxLen = std::size_t(d->config.mtu) + wire::kEthHeaderLen + wire::kVlanTagLen;
    if (!d->config.up || skb.data.size() > maxLen) {
        m_counters.addLink(ifindex, LinkStat::rx_dropped);
        SS_DROP(skb, Stage::NicRx, DropReason::NOT_SPECIFIED,
             !d->config.up ? std::string("veth peer is down: __dev_forward_skb refuses, rx_dropped +1")
                           : fmt::format("frame of {} bytes exceeds MTU {} + header: "
                                         "__dev_forward_skb refuses, rx_dropped +1",
                                         skb.data.size(), d->config.mtu));
        return;
    }
    skb.pktType = ethPktType(skb.data, d->config.mac);
    skb.protocol = wire::loadBe16(skb.data.data() + 12);
    SS_TRACE(skb, Stage::NicRx, Verdict::Continue,
          fmt::format("veth_xmit from the peer: eth_type_trans says {}, netif_rx",
                      pktTypeName(skb.pktType)));
    const std::size_t len = skb.data.size();
    if (enqueue_to_backlog(skb, 0)) {
        // veth reports the peer's TX as its RX: only frames netif_rx accepted.
        m_counters.addLink(ifindex, LinkStat::rx_packets);
        m_counters.addLink(ifindex, LinkStat::rx_bytes, len);
    }
    // netif_rx from process context re-enables bottom halves, which runs the softirq now.
    SoftnetData& sd = m_softnet[0];
    if (sd.softirqRaised) {
        net_rx_action(0);
    }
}

} // namespace stackscope::stack
