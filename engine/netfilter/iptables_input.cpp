// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/iptables_input.h"

#include <algorithm>

namespace stackscope::netfilter {

std::optional<std::string> applyIptablesInput(Ruleset& rules, const IptablesInput& input) {
    if (input.kind == IptablesInput::Kind::Command) return rules.command(input.argv);
    // iptables-restore keeps [packets:bytes] only with -c / --counters.
    const bool counters = std::any_of(input.argv.begin(), input.argv.end(), [](const std::string& w) {
        return w == "-c" || w == "--counters";
    });
    return rules.restore(input.text, counters);
}

} // namespace stackscope::netfilter
