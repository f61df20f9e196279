// SPDX-License-Identifier: GPL-3.0-or-later
// Rule matching as ipt_do_table does it (ip_packet_match, then each xt match's
// .match), shared by the table walk and the verdict explanation. When asked, a
// failed rule reports the first option that did not match and why.
#pragma once

#include "netfilter/rule.h"
#include "netfilter/types.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace stackscope::netfilter {

// The header fields rules look at, read once per traversal (RFC 791 section 3.1 offsets).
struct PacketFields {
    bool valid = false;
    std::uint32_t src = 0, dst = 0;
    std::uint8_t proto = 0, ttl = 0, tos = 0;
    std::uint16_t totLen = 0, id = 0, fragField = 0;
    std::size_t ihl = 20;
    bool fragment = false; // non-first fragment: no transport header here
    bool l4 = false;       // transport header fields below are present
    std::uint16_t sport = 0, dport = 0;
    std::uint8_t tcpFlags = 0, icmpType = 0, icmpCode = 0;
};

PacketFields readPacketFields(std::span<const std::uint8_t> ip);

// The first option of a rule that did not match: option as iptables-save writes it
// ("--dport 22", "! -s 10.0.0.0/8") and what the packet had instead ("destination port is 53").
struct MatchFailure {
    std::string option;
    std::string detail;
};

// True when every part of the rule matches. Limit matches consume tokens from the
// rule's bucket. why (optional) is filled only when the rule does not match.
bool ruleMatches(Rule& rule, const PacketFields& f, const PacketInfo& p, Nanos now,
                 MatchFailure* why = nullptr);

// The rule's QuickCheck: false means the rule cannot match (ruleMatches would say so too).
inline bool quickPasses(const QuickCheck& q, const PacketFields& f) {
    if (!q.valid) return true;
    if (((f.src & q.srcMask) != q.src) != q.invSrc) return false;
    if (((f.dst & q.dstMask) != q.dst) != q.invDst) return false;
    if (q.proto && (f.proto == q.proto) == q.invProto) return false;
    if (q.ports) {
        if (f.fragment || !f.l4) return false;
        if (q.hasDport && (f.dport >= q.dportLo && f.dport <= q.dportHi) == q.invDport) return false;
        if (q.hasSport && (f.sport >= q.sportLo && f.sport <= q.sportHi) == q.invSport) return false;
    }
    return true;
}

// The single conntrack state bit (kState*) of the packet.
std::uint16_t packetStateBit(const PacketInfo& p);

} // namespace stackscope::netfilter
