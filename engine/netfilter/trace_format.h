// SPDX-License-Identifier: GPL-3.0-or-later
// Trace lines in the layout `xtables-monitor --trace` of iptables 1.8.9 prints for
// packets a TRACE rule marked (one PACKET line per table traversal, one TRACE line
// per rule that matched, and the policy).
#pragma once

#include "netfilter/ruleset.h"

#include <cstdint>
#include <string>

namespace stackscope::netfilter {

// "PACKET: 2 589d393b OUT=lo SRC=127.0.0.1 DST=127.0.0.1 LEN=31 TOS=0x0 TTL=64 ID=60277 DF SPORT=47609 DPORT=9 "
std::string xtablesMonitorPacket(const PacketInfo& packet, std::uint32_t traceId);
// " TRACE: 2 589d393b filter:OUTPUT:rule:0x2:ACCEPT  -4 -t filter -A OUTPUT -p udp -j ACCEPT"
std::string xtablesMonitorTrace(const Ruleset& ruleset, const TraceEntry& entry, std::uint32_t traceId);

} // namespace stackscope::netfilter
