// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/text_views.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace stackscope::report {
namespace {

std::vector<const InterfaceConfig*> byIfindex(const HostConfig& config) {
    std::vector<const InterfaceConfig*> out;
    for (const auto& i : config.interfaces)
        out.push_back(&i);
    std::stable_sort(out.begin(), out.end(),
                     [](const auto* a, const auto* b) { return a->ifindex < b->ifindex; });
    return out;
}

std::size_t digits(std::uint64_t v) {
    return fmt::formatted_size("{}", v);
}

// Interface flags in the order iproute2 prints them (print_link_flags).
std::string linkFlags(const InterfaceConfig& i) {
    std::vector<std::string_view> f;
    if (i.kind == LinkKind::Loopback)
        f.push_back("LOOPBACK");
    else
        f.push_back("BROADCAST");
    if (i.kind == LinkKind::Ethernet || i.kind == LinkKind::Veth) f.push_back("MULTICAST");
    if (i.kind == LinkKind::Dummy) f.push_back("NOARP");
    if (i.promisc) f.push_back("PROMISC");
    if (i.up) {
        f.push_back("UP");
        f.push_back("LOWER_UP");
    }
    return fmt::format("{}", fmt::join(f, ","));
}

// IF_OPER_* as `ip link` shows it: devices without carrier reporting say UNKNOWN.
std::string_view operState(const InterfaceConfig& i) {
    if (!i.up) return "DOWN";
    return (i.kind == LinkKind::Loopback || i.kind == LinkKind::Dummy) ? "UNKNOWN" : "UP";
}

// tc's size printing: whole Mb or Kb when the value is close to one, bytes otherwise.
std::string tcSize(std::uint64_t bytes) {
    const double v = double(bytes);
    if (bytes >= 1024 * 1024 && std::fabs(1024.0 * 1024 * std::rint(v / (1024 * 1024)) - v) < 1024)
        return fmt::format("{}Mb", std::uint64_t(std::rint(v / (1024 * 1024))));
    if (bytes >= 1024 && std::fabs(1024.0 * std::rint(v / 1024) - v) < 16)
        return fmt::format("{}Kb", std::uint64_t(std::rint(v / 1024)));
    return fmt::format("{}b", bytes);
}

// tc prints rates in bits per second with decimal prefixes.
std::string tcRate(std::uint64_t bytesPerSec) {
    const std::uint64_t bits = bytesPerSec * 8;
    if (bits >= 1'000'000'000 && bits % 1'000'000'000 == 0)
        return fmt::format("{}Gbit", bits / 1'000'000'000);
    if (bits >= 1'000'000 && bits % 1'000'000 == 0) return fmt::format("{}Mbit", bits / 1'000'000);
    if (bits >= 1'000 && bits % 1'000 == 0) return fmt::format("{}Kbit", bits / 1'000);
    return fmt::format("{}bit", bits);
}

// tc prints times in the largest unit that keeps them whole.
std::string tcTime(Nanos t) {
    if (t % kSecond == 0 && t) return fmt::format("{}s", t / kSecond);
    if (t % kMillisecond == 0 && t) return fmt::format("{}ms", t / kMillisecond);
    return fmt::format("{}us", t / kMicrosecond);
}

// The options part of a `tc qdisc` line, after "refcnt 2 ".
std::string qdiscOptions(QdiscKind kind, const QdiscConfig* q, const InterfaceConfig& i) {
    switch (kind) {
    case QdiscKind::PfifoFast:
        return "bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1";
    case QdiscKind::Pfifo: // fifo_init: the limit defaults to txqueuelen packets
        return fmt::format("limit {}p",
                           q && q->limit ? *q->limit : std::max<std::uint32_t>(i.txqueuelen, 1));
    case QdiscKind::Bfifo: // ... or txqueuelen * mtu bytes
        return fmt::format(
            "limit {}",
            tcSize(q && q->limit
                       ? *q->limit
                       : std::uint64_t(std::max<std::uint32_t>(i.txqueuelen, 1)) * i.mtu));
    case QdiscKind::Tbf: {
        if (!q) return {};
        std::string s =
            fmt::format("rate {} burst {} ", tcRate(q->rateBytesPerSec), tcSize(q->burstBytes));
        if (q->latency)
            s += fmt::format("lat {} ", tcTime(*q->latency));
        else if (q->limit)
            s += fmt::format("limit {} ", tcSize(*q->limit));
        return s;
    }
    case QdiscKind::FqCodel: // fq_codel_init defaults
        return fmt::format(
            "limit {}p flows {} quantum {} target {} interval {} memory_limit 32Mb ecn "
            "drop_batch 64 ",
            q && q->limit ? *q->limit : 10240u, q && q->flows ? *q->flows : 1024u, i.mtu + 14,
            tcTime(q && q->target ? *q->target : 5 * kMillisecond),
            tcTime(q && q->interval ? *q->interval : 100 * kMillisecond));
    case QdiscKind::Noqueue:
        return {};
    }
    return {};
}

struct DropRow {
    DropReason reason;
    std::uint64_t total;
    std::vector<std::pair<const DropSite*, std::uint64_t>> sites;
};

} // namespace

std::string nstatText(const Counters& counters, bool includeZero) {
    std::string out = "#kernel\n";
    for (const auto& [name, value] : counters.nstat(includeZero))
        out += fmt::format("{:<32}{:<16}{:6.1f}\n", name, value, 0.0);
    return out;
}

std::string softnetText(const Counters& counters) {
    std::string out;
    const auto& cpus = counters.softnet();
    for (std::size_t cpu = 0; cpu < cpus.size(); ++cpu) {
        const SoftnetStat& s = cpus[cpu];
        // The counters keep no queue gauges; the qlen columns show the drained backlog.
        const std::array<std::uint32_t, 15> cols{std::uint32_t(s.processed),
                                                 std::uint32_t(s.dropped),
                                                 std::uint32_t(s.timeSqueeze),
                                                 0,
                                                 0,
                                                 0,
                                                 0,
                                                 0,
                                                 0,
                                                 std::uint32_t(s.receivedRps),
                                                 std::uint32_t(s.flowLimitCount),
                                                 0,
                                                 std::uint32_t(cpu),
                                                 0,
                                                 0};
        out += fmt::format("{:08x}\n", fmt::join(cols, " "));
    }
    return out;
}

std::optional<QdiscKind> effectiveQdisc(const HostConfig& config, const InterfaceConfig& iface) {
    if (iface.qdisc) return iface.qdisc->kind;
    if (!iface.up) return std::nullopt;
    if (iface.kind != LinkKind::Ethernet) return QdiscKind::Noqueue; // IFF_NO_QUEUE devices
    const std::int64_t def = config.sysctls.get("net.core.default_qdisc");
    if (def >= 0 && def <= std::int64_t(QdiscKind::Noqueue)) return QdiscKind(def);
    return QdiscKind::PfifoFast;
}

std::string linksText(const HostConfig& config, const Counters& c) {
    std::string out;
    for (const InterfaceConfig* i : byIfindex(config)) {
        auto st = [&](LinkStat s) { return c.link(i->ifindex, s); };
        const auto q = effectiveQdisc(config, *i);
        out += fmt::format(
            "{}: {}: <{}> mtu {} qdisc {} state {} mode DEFAULT group default qlen {}\n",
            i->ifindex, i->name, linkFlags(*i), i->mtu,
            i->up && q ? qdiscKindName(*q) : std::string_view("noop"), operState(*i),
            i->txqueuelen);
        if (i->kind == LinkKind::Loopback)
            out += fmt::format("    link/loopback {0} brd {0}\n", i->mac.toString());
        else
            out += fmt::format("    link/ether {} brd ff:ff:ff:ff:ff:ff\n", i->mac.toString());

        const std::array<std::uint64_t, 6> rx{
            st(LinkStat::rx_bytes),   st(LinkStat::rx_packets),       st(LinkStat::rx_errors),
            st(LinkStat::rx_dropped), st(LinkStat::rx_missed_errors), st(LinkStat::multicast)};
        // collisions are not modelled: a full-duplex link never has any
        const std::array<std::uint64_t, 6> tx{
            st(LinkStat::tx_bytes),   st(LinkStat::tx_packets),        st(LinkStat::tx_errors),
            st(LinkStat::tx_dropped), st(LinkStat::tx_carrier_errors), 0};
        // Minimum widths: "*X errors:", "packets", "errors", "dropped", "heartbt", "overrun".
        std::array<std::size_t, 6> cols{10, 7, 6, 7, 7, 7};
        for (std::size_t k = 0; k < cols.size(); ++k)
            cols[k] = std::max({cols[k], digits(rx[k]), digits(tx[k])});
        auto title = [&](std::string_view dir, std::array<std::string_view, 5> names) {
            return fmt::format("    {}: {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>{}} {:>10}\n", dir,
                               "bytes", cols[0] - 4, names[0], cols[1], names[1], cols[2], names[2],
                               cols[3], names[3], cols[4], names[4], cols[5], "");
        };
        auto values = [&](const std::array<std::uint64_t, 6>& v) {
            std::string line = "    ";
            for (std::size_t k = 0; k < v.size(); ++k)
                line += fmt::format("{:>{}} ", v[k], cols[k]);
            return line + "\n";
        };
        out += title("RX", {"packets", "errors", "dropped", "missed", "mcast"});
        out += values(rx);
        out += title("TX", {"packets", "errors", "dropped", "carrier", "collsns"});
        out += values(tx);
    }
    return out;
}

std::string qdiscText(const HostConfig& config, const Counters& counters) {
    std::string out;
    std::uint32_t nextHandle = 0x8001; // qdisc_alloc_handle for roots added by `tc qdisc`
    for (const InterfaceConfig* i : byIfindex(config)) {
        const auto kind = effectiveQdisc(config, *i);
        if (!kind) continue;
        const QdiscConfig* q = i->qdisc ? &*i->qdisc : nullptr;
        const std::uint32_t handle = q ? nextHandle++ : 0;
        const auto it = counters.qdiscs().find(i->ifindex);
        const QdiscStat s = it == counters.qdiscs().end() ? QdiscStat{} : it->second;
        out += fmt::format("qdisc {} {:x}: dev {} root refcnt 2 {}\n", qdiscKindName(*kind), handle,
                           i->name, qdiscOptions(*kind, q, *i));
        out += fmt::format(" Sent {} bytes {} pkt (dropped {}, overlimits {} requeues {}) \n",
                           s.sentBytes, s.sentPackets, s.dropped, s.overlimits, s.requeues);
        out += fmt::format(" backlog {} {}p requeues {}\n", tcSize(s.backlogBytes),
                           s.backlogPackets, s.requeues);
        if (*kind == QdiscKind::FqCodel) { // iproute2's fq_codel_print_xstats
            out += fmt::format("  maxpacket {} drop_overlimit {} new_flow_count {} ecn_mark {}",
                               s.maxpacket, s.dropOverlimit, s.newFlowCount, s.ecnMark);
            if (s.memoryUsage) out += fmt::format(" memory_used {}", s.memoryUsage);
            out += fmt::format("\n  new_flows_len {} old_flows_len {}\n", s.newFlowsLen,
                               s.oldFlowsLen);
        }
    }
    return out;
}

std::string dropsText(const DropCounter& drops) {
    if (drops.total() == 0) return "no drops\n";
    std::vector<DropRow> rows;
    for (const auto& [reason, n] : drops.byReason())
        rows.push_back({reason, n, {}});
    for (const auto& [site, n] : drops.bySite())
        for (auto& r : rows)
            if (r.reason == site.reason) r.sites.emplace_back(&site, n);
    std::stable_sort(rows.begin(), rows.end(), [](const DropRow& a, const DropRow& b) {
        return a.total != b.total ? a.total > b.total
                                  : dropReasonName(a.reason) < dropReasonName(b.reason);
    });

    std::size_t reasonWidth = 6, stageWidth = 5, fnWidth = 15;
    for (auto& r : rows) {
        reasonWidth = std::max(reasonWidth, dropReasonName(r.reason).size());
        std::stable_sort(r.sites.begin(), r.sites.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        for (const auto& [site, n] : r.sites) {
            stageWidth = std::max(stageWidth, stageLabel(site->stage).size());
            fnWidth = std::max(fnWidth, site->function.size());
        }
    }
    std::string out =
        fmt::format("{:<{}}  {:>10}  {:<{}}  {:<{}}  {:>10}\n", "reason", reasonWidth, "packets",
                    "stage", stageWidth, "kernel function", fnWidth, "here");
    for (const auto& r : rows) {
        bool first = true;
        for (const auto& [site, n] : r.sites) {
            out += fmt::format("{:<{}}  {:>10}  {:<{}}  {:<{}}  {:>10}\n",
                               first ? dropReasonName(r.reason) : std::string_view(), reasonWidth,
                               first ? fmt::format("{}", r.total) : std::string(),
                               stageLabel(site->stage), stageWidth, site->function, fnWidth, n);
            first = false;
        }
    }
    out += fmt::format("{:<{}}  {:>10}\n", "total", reasonWidth, drops.total());
    return out;
}

} // namespace stackscope::report
