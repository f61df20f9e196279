// SPDX-License-Identifier: GPL-3.0-or-later
// The LOG target's kernel log line, as net/netfilter/nf_log_syslog.c
// (nf_log_ip_packet, dump_mac_header, dump_ipv4_packet) writes it.
#pragma once

#include "netfilter/types.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace stackscope::netfilter {

// "PREFIXIN=eth0 OUT= MAC=... SRC=... DST=... LEN=... ... " with the kernel's
// trailing space; flags are the kLog* bits of the rule.
std::string nfLogIpPacket(const PacketInfo& packet, std::string_view prefix, std::uint8_t flags);

} // namespace stackscope::netfilter
