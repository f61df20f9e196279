// SPDX-License-Identifier: GPL-3.0-or-later
// Extension point for the netfilter counters (--show iptables and the "iptables"
// key of --counters-json). They belong to the netfilter module's Ruleset; this is
// the one place the CLI asks for them.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace stackscope {
class Simulator;
}

namespace stackscope::cli {

struct IptablesReport {
    std::string text; // `iptables-save -c` of every table, counters included
    nlohmann::json
        json; // {table: {chain: {policy, packets, bytes, rules: [{rule, packets, bytes}]}}}
};

// nullopt while the simulator exposes no netfilter ruleset to read counters from.
std::optional<IptablesReport> iptablesReport(const Simulator& sim);

} // namespace stackscope::cli
