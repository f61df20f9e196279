// SPDX-License-Identifier: GPL-3.0-or-later
// IPv4 NAT packet rewriting (net/netfilter/nf_nat_proto.c): the header
// manipulations the NAT hooks apply from a connection's bindings. The
// bindings themselves (nf_nat_setup_info, get_unique_tuple) are members of
// Conntrack, implemented in nat.cpp.
#pragma once

#include "netfilter/conntrack.h"
#include "netfilter/types.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace stackscope::netfilter {

// HOOK2MANIP: PRE_ROUTING and LOCAL_OUT rewrite the destination, POST_ROUTING
// and LOCAL_IN the source; FORWARD has no NAT hook.
std::optional<NatManip> hookManip(Hook hook);

// nf_nat_ipv4_manip_pkt: writes the source (Src) or destination (Dst) address
// and port of target into the IPv4 header at bytes[ipOffset], or for ICMP
// query messages the id (always target.srcPort, as icmp_manip_pkt does).
// target.protocol picks the L4 rewrite. IP, UDP (unless 0), TCP (when the whole
// TCP header is present) and ICMP checksums are updated incrementally.
// Returns nullopt when the headers are too short to rewrite (the kernel
// drops), otherwise whether any byte changed.
std::optional<bool> natManipPacket(std::span<std::uint8_t> bytes, std::size_t ipOffset,
                                   const CtTuple& target, NatManip manip);

} // namespace stackscope::netfilter
