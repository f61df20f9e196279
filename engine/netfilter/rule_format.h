// SPDX-License-Identifier: GPL-3.0-or-later
// Prints rules the way iptables-save and `iptables -L -v -n -x` of iptables 1.8.9 do.
#pragma once

#include "netfilter/rule.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace stackscope::netfilter {

// The rule after "-A CHAIN": " -s 10.0.0.0/24 -p udp -m udp --dport 53 -j ACCEPT".
std::string formatRuleSpec(const Rule& rule);
// One `iptables -L -v -n -x` row, without the trailing newline.
std::string formatListRow(const Rule& rule);
// xtables_save_string: bare when only [A-Za-z0-9_-], else double-quoted with \" \\ \' escapes.
std::string saveString(std::string_view value);

// The value words iptables-save prints inside a rule, shared with the rule analysis.
std::string addressMaskText(std::uint32_t address, std::uint32_t mask); // "10.0.0.0/8"
std::string portRangeText(std::uint16_t lo, std::uint16_t hi); // "22" or "1024:65535"
std::string tcpFlagNames(std::uint8_t flags);                  // "SYN,ACK", "NONE"
std::string stateNames(std::uint16_t mask);                    // "NEW,ESTABLISHED"
std::string addrTypeNames(std::uint16_t mask);                 // "LOCAL,BROADCAST"
std::string multiportText(const Match& m);                     // "22,80,1000:2000"
std::string rateText(std::uint32_t avg);                       // "3/hour"
std::string pktTypeText(PktType type);                         // "unicast"

} // namespace stackscope::netfilter
