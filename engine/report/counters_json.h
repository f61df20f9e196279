// SPDX-License-Identifier: GPL-3.0-or-later
// The --counters-json document: every counter under the kernel's own names.
#pragma once

#include "model/host_config.h"
#include "report/drop_counter.h"
#include "sim/counters.h"

#include <nlohmann/json.hpp>

namespace stackscope {
class Simulator;
}

namespace stackscope::report {

// Sections built outside the counters: each is left out of the document when null.
struct JsonSections {
    // "drops": drop reason name -> packets, counted from the trace.
    const DropCounter* drops = nullptr;
    // "iptables": {table: {chain: {policy, packets, bytes, rules: [{rule, packets, bytes}]}}},
    // made by the netfilter module from its ruleset counters; copied in as given.
    const nlohmann::json* iptables = nullptr;
};

// Keys: "nstat" (non-zero counters, nstat names, IcmpMsgInTypeN/OutTypeN included),
// "links" (every modelled rtnl_link_stats64 field per interface, zeros too), "softnet"
// (one object per CPU), "qdisc" (root qdisc per interface), then the JsonSections.
nlohmann::json countersJson(const HostConfig& config, const Counters& counters,
                            const JsonSections& sections = {});
nlohmann::json countersJson(const Simulator& sim, const JsonSections& sections = {});

} // namespace stackscope::report
