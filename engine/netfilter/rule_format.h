// SPDX-License-Identifier: GPL-3.0-or-later
// Prints rules the way iptables-save and `iptables -L -v -n -x` of iptables 1.8.9 do.
#pragma once

#include "netfilter/rule.h"

#include <string>

namespace stackscope::netfilter {

// The rule after "-A CHAIN": " -s 10.0.0.0/24 -p udp -m udp --dport 53 -j ACCEPT".
std::string formatRuleSpec(const Rule& rule);
// One `iptables -L -v -n -x` row, without the trailing newline.
std::string formatListRow(const Rule& rule);
// xtables_save_string: bare when only [A-Za-z0-9_-], else double-quoted with \" \\ \' escapes.
std::string saveString(std::string_view value);

} // namespace stackscope::netfilter
