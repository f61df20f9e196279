// SPDX-License-Identifier: GPL-3.0-or-later
// Turns iptables rule options ("-p udp --dport 53 -j ACCEPT") into a Rule, with
// the error texts iptables 1.8.9 prints (iptables/xshared.c and the libxt_* parsers).
#pragma once

#include "netfilter/rule.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stackscope::netfilter {

struct RuleParseResult {
    std::string error;          // empty on success; text after "iptables v1.8.9 (nf_tables): "
    bool hasCounters = false;   // "-c PKTS BYTES" was given
};

// args holds only rule options (no command, no -t). table decides the nat DROP check.
RuleParseResult parseRule(const std::vector<std::string>& args, TableId table, Rule& rule);

// Splits one iptables-restore line into words the way iptables-restore does:
// double quotes group, a backslash inside quotes escapes the next character.
std::vector<std::string> splitRestoreLine(std::string_view line);

std::optional<std::uint8_t> parseProtocol(std::string_view text);
std::string protocolName(std::uint8_t proto); // getprotobynumber() name, or the number

} // namespace stackscope::netfilter
