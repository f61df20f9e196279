// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/iptables_section.h"

#include "netfilter/ruleset.h"
#include "sim/simulator.h"
#include "stack/host.h"

namespace stackscope::cli {

std::optional<IptablesReport> iptablesReport(const Simulator& sim) {
    const netfilter::Ruleset& rules = sim.host().ruleset();
    IptablesReport report;
    report.text = rules.save(true);
    report.json = nlohmann::json::object();
    for (int t = 0; t < netfilter::kTableCount; ++t) {
        const auto id = netfilter::TableId(t);
        const netfilter::Table& table = rules.table(id);
        if (!table.present) continue;
        nlohmann::json chains = nlohmann::json::object();
        for (std::size_t c = 0; c < table.chains.size(); ++c) {
            const netfilter::Chain& chain = table.chains[c];
            nlohmann::json j;
            if (chain.builtin) {
                j["policy"] = chain.policy == netfilter::Verdict::Accept ? "ACCEPT" : "DROP";
                j["packets"] = chain.packets;
                j["bytes"] = chain.bytes;
            }
            nlohmann::json list = nlohmann::json::array();
            for (std::size_t r = 0; r < chain.rules.size(); ++r)
                list.push_back({{"rule", rules.ruleText(id, int(c), int(r + 1))},
                                {"packets", chain.rules[r].packets},
                                {"bytes", chain.rules[r].bytes}});
            j["rules"] = std::move(list);
            chains[chain.name] = std::move(j);
        }
        report.json[std::string(netfilter::tableName(id))] = std::move(chains);
    }
    return report;
}

} // namespace stackscope::cli
