// SPDX-License-Identifier: GPL-3.0-or-later
// Extension point for the netfilter counters (--show iptables and the "iptables"
// key of --counters-json). They belong to the netfilter module's Ruleset; this is
// the one place the CLI asks for them.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace stackscope {
class Simulator;
namespace report {
class DropCounter;
}
} // namespace stackscope

namespace stackscope::cli {

struct IptablesReport {
    std::string text; // `iptables-save -c` of every table, counters included
    nlohmann::json
        json; // {table: {chain: {policy, packets, bytes, rules: [{rule, packets, bytes}]}}}
};

// nullopt while the simulator exposes no netfilter ruleset to read counters from.
std::optional<IptablesReport> iptablesReport(const Simulator& sim);

// What `run` and `live` print when they finish (commands.cpp): the --counters-json
// document, and the --show views (nstat when nothing else was asked for). printViews
// returns kExitFailure when a view is unavailable.
std::string countersJsonText(const Simulator& sim, const report::DropCounter& drops,
                             const std::optional<IptablesReport>& iptables);
int printViews(const Simulator& sim, const report::DropCounter& drops,
               const std::optional<IptablesReport>& iptables, const std::vector<std::string>& show,
               bool wroteJson, std::ostream& out, std::ostream& err);

} // namespace stackscope::cli
