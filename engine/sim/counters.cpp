// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/counters.h"

#include <algorithm>
#include <fmt/format.h>

namespace stackscope {
namespace {

constexpr std::array kMibNames{
#define STACKSCOPE_MIB_NAME(name) std::string_view{#name},
    STACKSCOPE_MIBS(STACKSCOPE_MIB_NAME)
#undef STACKSCOPE_MIB_NAME
};
static_assert(kMibNames.size() == std::size_t(Mib::Count));

constexpr std::array kLinkNames{
#define STACKSCOPE_LINK_NAME(name) std::string_view{#name},
    STACKSCOPE_LINK_STATS(STACKSCOPE_LINK_NAME)
#undef STACKSCOPE_LINK_NAME
};
static_assert(kLinkNames.size() == std::size_t(LinkStat::Count));

// nstat prints groups in file order: /proc/net/snmp (Ip, Icmp, IcmpMsg, Tcp, Udp) then
// /proc/net/netstat (TcpExt, IpExt).
int groupRank(std::string_view name) {
    if (name.starts_with("IpExt")) return 6;
    if (name.starts_with("TcpExt")) return 5;
    if (name.starts_with("Udp")) return 4;
    if (name.starts_with("Tcp")) return 3;
    if (name.starts_with("IcmpMsg")) return 2;
    if (name.starts_with("Icmp")) return 1;
    return 0;
}

} // namespace

std::string_view mibName(Mib m) { return kMibNames.at(std::size_t(m)); }

std::optional<Mib> mibFromName(std::string_view name) {
    for (std::size_t i = 0; i < kMibNames.size(); ++i)
        if (kMibNames[i] == name) return Mib(i);
    return std::nullopt;
}

std::string_view linkStatName(LinkStat s) { return kLinkNames.at(std::size_t(s)); }

Counters::Counters(int cpus) : m_softnet(std::size_t(cpus < 1 ? 1 : cpus)) {}

namespace {
// icmp_put (net/ipv4/proc.c): the per-type columns of the Icmp line.
std::optional<Mib> icmpTypeColumn(std::uint8_t type, bool out) {
    switch (type) {
    case 0: return out ? Mib::IcmpOutEchoReps : Mib::IcmpInEchoReps;
    case 3: return out ? Mib::IcmpOutDestUnreachs : Mib::IcmpInDestUnreachs;
    case 4: return out ? Mib::IcmpOutSrcQuenchs : Mib::IcmpInSrcQuenchs;
    case 5: return out ? Mib::IcmpOutRedirects : Mib::IcmpInRedirects;
    case 8: return out ? Mib::IcmpOutEchos : Mib::IcmpInEchos;
    case 11: return out ? Mib::IcmpOutTimeExcds : Mib::IcmpInTimeExcds;
    case 12: return out ? Mib::IcmpOutParmProbs : Mib::IcmpInParmProbs;
    case 13: return out ? Mib::IcmpOutTimestamps : Mib::IcmpInTimestamps;
    case 14: return out ? Mib::IcmpOutTimestampReps : Mib::IcmpInTimestampReps;
    case 17: return out ? Mib::IcmpOutAddrMasks : Mib::IcmpInAddrMasks;
    case 18: return out ? Mib::IcmpOutAddrMaskReps : Mib::IcmpInAddrMaskReps;
    default: return std::nullopt;
    }
}
} // namespace

void Counters::addIcmpMsgIn(std::uint8_t type) {
    ++m_icmpIn[type];
    journal(CounterDelta::Kind::IcmpMsgIn, 0, type, 1);
    if (auto m = icmpTypeColumn(type, false)) add(*m);
}

void Counters::addIcmpMsgOut(std::uint8_t type) {
    ++m_icmpOut[type];
    journal(CounterDelta::Kind::IcmpMsgOut, 0, type, 1);
    if (auto m = icmpTypeColumn(type, true)) add(*m);
}

void Counters::addQdisc(int ifindex, QdiscField f, std::int64_t n) {
    CounterDelta d{CounterDelta::Kind::Qdisc, std::uint16_t(ifindex), std::uint16_t(f), n};
    apply(d);
    journal(d.kind, d.object, d.field, n);
}

std::uint64_t Counters::link(int ifindex, LinkStat s) const {
    if (ifindex < 0 || std::size_t(ifindex) >= m_link.size()) return 0;
    return m_link[std::size_t(ifindex)][std::size_t(s)];
}

Counters::LinkStats& Counters::growLinks(int ifindex) {
    const auto i = std::size_t(std::max(ifindex, 0));
    if (i >= m_link.size()) m_link.resize(i + 1, LinkStats{});
    return m_link[i];
}

void Counters::addSoftnetProcessed(int cpu) {
    ++m_softnet[std::size_t(cpu)].processed;
    journal(CounterDelta::Kind::Softnet, std::uint16_t(cpu), 0, 1);
}
void Counters::addSoftnetDropped(int cpu) {
    ++m_softnet.at(std::size_t(cpu)).dropped;
    journal(CounterDelta::Kind::Softnet, std::uint16_t(cpu), 1, 1);
}
void Counters::addSoftnetTimeSqueeze(int cpu) {
    ++m_softnet.at(std::size_t(cpu)).timeSqueeze;
    journal(CounterDelta::Kind::Softnet, std::uint16_t(cpu), 2, 1);
}

void Counters::apply(const CounterDelta& d, int sign) {
    const std::int64_t n = d.delta * sign;
    auto bump = [n](std::uint64_t& v) { v = std::uint64_t(std::int64_t(v) + n); };
    switch (d.kind) {
    case CounterDelta::Kind::Mib: bump(m_mib.at(d.field)); break;
    case CounterDelta::Kind::IcmpMsgIn: bump(m_icmpIn.at(d.field)); break;
    case CounterDelta::Kind::IcmpMsgOut: bump(m_icmpOut.at(d.field)); break;
    case CounterDelta::Kind::Link: bump(linkStats(d.object).at(d.field)); break;
    case CounterDelta::Kind::Softnet: {
        auto& s = m_softnet.at(d.object);
        std::uint64_t* f[] = {&s.processed, &s.dropped, &s.timeSqueeze, &s.receivedRps,
                              &s.flowLimitCount};
        bump(*f[d.field]);
        break;
    }
    case CounterDelta::Kind::Qdisc: {
        auto& q = m_qdisc[d.object];
        std::uint64_t* f[] = {&q.sentBytes,     &q.sentPackets,   &q.dropped,      &q.overlimits,
                              &q.requeues,      &q.backlogBytes,  &q.backlogPackets, &q.maxpacket,
                              &q.dropOverlimit, &q.newFlowCount,  &q.ecnMark,      &q.memoryUsage,
                              &q.newFlowsLen,   &q.oldFlowsLen};
        bump(*f[d.field]);
        break;
    }
    case CounterDelta::Kind::Gauge: break; // queue depths live in the views that track them
    }
}

std::vector<std::pair<std::string, std::uint64_t>> Counters::nstat(bool includeZero) const {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (std::size_t i = 0; i < kMibNames.size(); ++i)
        if (includeZero || m_mib[i]) out.emplace_back(std::string(kMibNames[i]), m_mib[i]);
    for (int t = 0; t < 256; ++t)
        if (m_icmpIn[std::size_t(t)])
            out.emplace_back(fmt::format("IcmpMsgInType{}", t), m_icmpIn[std::size_t(t)]);
    for (int t = 0; t < 256; ++t)
        if (m_icmpOut[std::size_t(t)])
            out.emplace_back(fmt::format("IcmpMsgOutType{}", t), m_icmpOut[std::size_t(t)]);
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return groupRank(a.first) < groupRank(b.first);
    });
    return out;
}

} // namespace stackscope
