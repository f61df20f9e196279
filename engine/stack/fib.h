// SPDX-License-Identifier: GPL-3.0-or-later
// The forwarding information base: the local (255) and main (254) tables
// with the kernel's derived routes (net/ipv4/fib_frontend.c fib_add_ifaddr)
// and the longest-prefix lookup of fib_lookup with the default rules.
#pragma once

#include "model/host_config.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace stackscope::stack {

struct FibEntry {
    RouteType type = RouteType::Unicast;
    wire::Ipv4Prefix destination;
    int device = 0; // 0 when none (blackhole and friends)
    wire::Ipv4Address gateway;
    wire::Ipv4Address prefsrc;
    std::uint32_t metric = 0;
    std::uint32_t table = 254;
    RouteScope scope = RouteScope::Universe;
    std::string protocol = "boot";
};

struct FibResult {
    int error = 0; // 0, ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL
    const FibEntry* entry = nullptr;
};

class Fib {
public:
    // Rebuilds both tables from the configuration (addresses on up devices, configured routes).
    void rebuild(const HostConfig& config);
    FibResult lookup(wire::Ipv4Address daddr, int oif = 0) const;
    const std::vector<FibEntry>& entries() const { return m_entries; }
    // `ip route show table all` style lines.
    std::vector<std::string> describe(const HostConfig& config) const;

private:
    std::vector<FibEntry> m_entries;
    // Each table (local, then main) as its prefixes with the masks worked out, most specific
    // first: longest prefix, then lowest metric, then insertion order. A lookup stops at the
    // first match.
    struct Slot {
        std::uint32_t network = 0, mask = 0;
        std::uint32_t entry = 0; // index into m_entries
    };
    std::vector<Slot> m_localSlots, m_mainSlots;
};

} // namespace stackscope::stack
