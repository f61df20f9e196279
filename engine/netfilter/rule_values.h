// SPDX-License-Identifier: GPL-3.0-or-later
// The value parsers behind iptables' options (xtables_parse_port_range,
// xtables_ipparse_any, the libxt_* helpers), shared by the rule parser.
// On failure they leave iptables' own message in err.
#pragma once

#include "netfilter/rule.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stackscope::netfilter {

std::string asciiLower(std::string_view s);
// strtoul(base 0) semantics for marks and masks: "0x1f", "017", "31".
std::optional<std::uint32_t> parseU32(std::string_view s);
std::optional<std::uint32_t> parseDecimal(std::string_view s, std::uint32_t max);
std::optional<std::uint16_t> parsePort(std::string_view s);
// "a", "a:b", ":b", "a:".
bool parsePortRange(std::string_view s, std::uint16_t& lo, std::uint16_t& hi, std::string& err);
// "a.b.c.d[/len|/a.b.c.d]"; addr comes back masked.
bool parseAddressMask(std::string_view s, std::uint32_t& addr, std::uint32_t& mask, std::string& err);
bool parseIface(std::string_view s, std::array<char, 16>& name, std::uint8_t& len, bool& wildcard, std::string& err);
// A name from iptables' ICMP table, "type" or "type/code"; sets icmpType and the code range.
bool parseIcmpType(std::string_view s, Match& m, std::string& err);
bool parseTcpFlags(std::string_view s, std::uint8_t& out, std::string& err);
bool parseStates(std::string_view s, bool conntrack, std::uint16_t& out, std::string& err);
bool parseAddrTypes(std::string_view s, std::uint16_t& out, std::string& err);
bool parseMarkMask(std::string_view s, std::uint32_t& value, std::uint32_t& mask, bool& hasMask);
// "a.b.c.d[-e.f.g.h][:port[-port]]" of --to-destination / --to-source.
bool parseNatTo(std::string_view s, NatRange& r, std::string& err);
bool parseToPorts(std::string_view s, NatRange& r, std::string& err);
// libxt_REJECT: a case-insensitive prefix of a name or its alias, first in the kernel's order.
std::optional<RejectWith> parseRejectWith(std::string_view s, std::string& err);
std::optional<std::uint8_t> parseLogLevel(std::string_view s);
// N/sec|minute|hour|day (any prefix of the unit) into XT_LIMIT_SCALE units per packet.
bool parseRate(std::string_view s, std::uint32_t& avg);
// Protocols whose ports NAT ranges and multiport can name.
bool isPortProto(std::uint8_t proto);

} // namespace stackscope::netfilter
