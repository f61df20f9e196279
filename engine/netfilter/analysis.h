// SPDX-License-Identifier: GPL-3.0-or-later
// Questions about a ruleset rather than about one packet's fate: which rules can
// never match because an earlier rule catches all their packets, and why a
// packet got the verdict it got, rule by rule.
#pragma once

#include "netfilter/ruleset.h"
#include "netfilter/types.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace stackscope::netfilter {

// A rule no packet can reach: an earlier rule of the same chain matches every packet it
// matches and ends that packet's walk through the chain.
struct ShadowedRule {
    std::string table;
    std::string chain;
    std::size_t rule = 0;       // 0-based index in chain
    std::size_t shadowedBy = 0; // 0-based index of the earlier rule in the same chain
    std::string
        reason; // one line; rules are numbered from 1 in it, as `iptables -L --line-numbers` does
};

// Ending rules are those with ACCEPT, DROP, REJECT, RETURN, DNAT, SNAT, MASQUERADE,
// REDIRECT or a goto (-g): none of them comes back to the next rule of the chain. A jump
// (-j CHAIN) is never treated as ending, even when the chain always decides. The
// comparison is conservative: a match that cannot be compared (limit, an addrtype
// with --limit-iface-*, a mark or TTL test when a rule between the two can rewrite the
// mark or TTL ...) makes the earlier rule not cover the later one, so no rule is
// reported that some packet could still reach.
std::vector<ShadowedRule> findShadowedRules(const Ruleset& rules);

// One step of a packet's walk through a chain.
struct RuleExplanation {
    std::string table;
    std::string chain;
    std::size_t rule = 0; // 0-based index in chain (unused when policy is set)
    bool policy = false;  // the packet fell off the built-in chain and its policy decided
    bool matched = false;
    std::string
        failedMatch;    // the first option that failed, as iptables-save writes it: "--dport 22"
    std::string reason; // "--dport 22: destination port is 53"; for a match, what the rule did
};

// Walks table/chain for the packet the way Ruleset::traverse does (jumps, goto, RETURN,
// MARK/CONNMARK/TTL effects on later rules, limit buckets as they stand at now) without
// changing the ruleset or its counters, and explains every rule tested, in order. The
// walk ends at the deciding rule, at the policy of a built-in chain, or at the end of a
// user chain it started in. Empty when the table has no such chain.
std::vector<RuleExplanation> explainChain(const Ruleset& rules, TableId table,
                                          std::string_view chain, const PacketInfo& packet,
                                          Nanos now = 0);

} // namespace stackscope::netfilter
