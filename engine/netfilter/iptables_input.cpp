// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/iptables_input.h"

namespace stackscope::netfilter {

std::optional<std::string> applyIptablesInput(Ruleset& rules, const IptablesInput& input) {
    if (input.kind == IptablesInput::Kind::Command) return rules.command(input.argv);
    // iptables-restore keeps [packets:bytes] only with -c / --counters; --noflush (-n) adds to
    // the tables instead of replacing them. Short options may be bundled ("-nc").
    bool counters = false, noflush = false;
    for (std::size_t i = 1; i < input.argv.size(); ++i) {
        const std::string& w = input.argv[i];
        if (w == "--counters") counters = true;
        else if (w == "--noflush") noflush = true;
        else if (w.size() > 1 && w[0] == '-' && w[1] != '-') {
            counters = counters || w.find('c') != std::string::npos;
            noflush = noflush || w.find('n') != std::string::npos;
        }
    }
    return rules.restore(input.text, counters, noflush);
}

} // namespace stackscope::netfilter
