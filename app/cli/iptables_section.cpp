// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/iptables_section.h"

#include "sim/simulator.h"

namespace stackscope::cli {

std::optional<IptablesReport> iptablesReport(const Simulator&) {
    // The netfilter Ruleset (save(true) for the text, its counters for the JSON) is not
    // reachable through Simulator yet; until it is, callers say the section is unavailable.
    return std::nullopt;
}

} // namespace stackscope::cli
