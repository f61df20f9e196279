// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/counters_json.h"

#include "report/text_views.h"

namespace stackscope::report {

nlohmann::json countersJson(const HostConfig& config, const Counters& counters,
                            const JsonSections& sections) {
    nlohmann::json doc = nlohmann::json::object();

    nlohmann::json nstat = nlohmann::json::object();
    for (const auto& [name, value] : counters.nstat(false))
        nstat[name] = value;
    doc["nstat"] = std::move(nstat);

    if (sections.iptables) doc["iptables"] = *sections.iptables;

    nlohmann::json links = nlohmann::json::object();
    for (const auto& i : config.interfaces) {
        nlohmann::json link = nlohmann::json::object();
        for (std::size_t s = 0; s < std::size_t(LinkStat::Count); ++s)
            link[std::string(linkStatName(LinkStat(s)))] = counters.link(i.ifindex, LinkStat(s));
        links[i.name] = std::move(link);
    }
    doc["links"] = std::move(links);

    nlohmann::json softnet = nlohmann::json::array();
    const auto& cpus = counters.softnet();
    for (std::size_t cpu = 0; cpu < cpus.size(); ++cpu) {
        const SoftnetStat& s = cpus[cpu];
        softnet.push_back({{"cpu", cpu},
                           {"processed", s.processed},
                           {"dropped", s.dropped},
                           {"time_squeeze", s.timeSqueeze},
                           {"received_rps", s.receivedRps},
                           {"flow_limit_count", s.flowLimitCount}});
    }
    doc["softnet"] = std::move(softnet);

    nlohmann::json qdisc = nlohmann::json::object();
    for (const auto& i : config.interfaces) {
        const auto kind = effectiveQdisc(config, i);
        if (!kind) continue; // noop: the device is down and has no qdisc of its own
        const auto it = counters.qdiscs().find(i.ifindex);
        const QdiscStat s = it == counters.qdiscs().end() ? QdiscStat{} : it->second;
        qdisc[i.name] = {{"kind", std::string(qdiscKindName(*kind))},
                         {"sent_bytes", s.sentBytes},
                         {"sent_packets", s.sentPackets},
                         {"dropped", s.dropped},
                         {"overlimits", s.overlimits},
                         {"requeues", s.requeues},
                         {"backlog_bytes", s.backlogBytes},
                         {"backlog_packets", s.backlogPackets}};
        if (*kind == QdiscKind::FqCodel)
            qdisc[i.name]["fq_codel"] = {{"maxpacket", s.maxpacket},
                                         {"drop_overlimit", s.dropOverlimit},
                                         {"new_flow_count", s.newFlowCount},
                                         {"ecn_mark", s.ecnMark},
                                         {"memory_used", s.memoryUsage},
                                         {"new_flows_len", s.newFlowsLen},
                                         {"old_flows_len", s.oldFlowsLen}};
    }
    doc["qdisc"] = std::move(qdisc);

    if (sections.drops) {
        nlohmann::json drops = nlohmann::json::object();
        for (const auto& [reason, n] : sections.drops->byReason())
            drops[std::string(dropReasonName(reason))] = n;
        doc["drops"] = std::move(drops);
    }
    return doc;
}

} // namespace stackscope::report
