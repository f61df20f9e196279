// SPDX-License-Identifier: GPL-3.0-or-later
#include "stack/fib.h"

#include <algorithm>
#include <cerrno>
#include <fmt/format.h>

namespace stackscope::stack {

using wire::Ipv4Address;
using wire::Ipv4Prefix;

void Fib::rebuild(const HostConfig& config) {
    m_entries.clear();
    for (const auto& dev : config.interfaces) {
        if (!dev.up) continue;
        for (const auto& a : dev.addresses) {
            const bool loopback = dev.kind == LinkKind::Loopback;
            // local table: the address itself (fib_add_ifaddr)
            m_entries.push_back({RouteType::Local, {a.address, 32}, dev.ifindex, {}, a.address, 0, 255,
                                 RouteScope::Host, "kernel"});
            Ipv4Prefix net{a.address, a.prefixLength};
            const std::uint32_t bcast = net.network().value | ~wire::prefixMask(a.prefixLength);
            if (!net.network().isZeronet() && (net.network() != a.address || a.prefixLength < 32)) {
                m_entries.push_back({loopback ? RouteType::Local : RouteType::Unicast,
                                     {net.network(), a.prefixLength}, dev.ifindex, {}, a.address, 0,
                                     loopback ? 255u : 254u,
                                     loopback ? RouteScope::Host : RouteScope::Link, "kernel"});
                if (a.prefixLength < 31)
                    m_entries.push_back({RouteType::Broadcast, {{bcast}, 32}, dev.ifindex, {}, a.address, 0,
                                         255, RouteScope::Link, "kernel"});
            }
            if (a.broadcast && !a.broadcast->isLimitedBroadcast() && a.broadcast->value != bcast)
                m_entries.push_back({RouteType::Broadcast, {*a.broadcast, 32}, dev.ifindex, {}, a.address,
                                     0, 255, RouteScope::Link, "kernel"});
        }
    }
    for (const auto& r : config.routes) {
        FibEntry e;
        e.type = r.type;
        e.destination = {r.destination.network(), r.destination.length};
        e.metric = r.metric;
        e.table = r.table;
        e.scope = r.scope;
        e.protocol = r.protocol;
        if (r.gateway) e.gateway = *r.gateway;
        if (r.prefsrc) e.prefsrc = *r.prefsrc;
        if (!r.device.empty()) {
            const auto* d = config.findInterface(r.device);
            if (!d || !d->up) continue; // routes over a down device are dead (RTNH_F_DEAD)
            e.device = d->ifindex;
        } else if (r.gateway) {
            // the gateway's device comes from a connected route (fib_check_nh)
            for (const auto& c : m_entries)
                if (c.table == 254 && c.gateway.isAny() && c.type == RouteType::Unicast &&
                    c.destination.contains(*r.gateway))
                    e.device = c.device;
            if (!e.device) continue;
        }
        m_entries.push_back(std::move(e));
    }
    m_localSlots.clear();
    m_mainSlots.clear();
    for (std::uint32_t i = 0; i < m_entries.size(); ++i) {
        const Ipv4Prefix& d = m_entries[i].destination;
        const Slot slot{d.network().value, wire::prefixMask(d.length), i};
        if (m_entries[i].table == 255) m_localSlots.push_back(slot);
        else if (m_entries[i].table == 254) m_mainSlots.push_back(slot);
    }
    auto moreSpecific = [this](const Slot& a, const Slot& b) {
        const FibEntry &x = m_entries[a.entry], &y = m_entries[b.entry];
        if (x.destination.length != y.destination.length)
            return x.destination.length > y.destination.length;
        return x.metric < y.metric;
    };
    std::stable_sort(m_localSlots.begin(), m_localSlots.end(), moreSpecific);
    std::stable_sort(m_mainSlots.begin(), m_mainSlots.end(), moreSpecific);
}

FibResult Fib::lookup(Ipv4Address daddr, int oif) const {
    // Rules: local (0), main (32766), default (32767). Within a table the longest prefix wins,
    // then the lowest metric, then the first inserted.
    // Each table's entries are kept in that order (rebuild), so the first match is the best.
    for (const std::vector<Slot>* slots : {&m_localSlots, &m_mainSlots}) {
        const FibEntry* best = nullptr;
        for (const Slot& slot : *slots) {
            if ((daddr.value & slot.mask) != slot.network) continue;
            const FibEntry& e = m_entries[slot.entry];
            if (oif && e.device && e.device != oif && e.type != RouteType::Local &&
                e.type != RouteType::Broadcast)
                continue;
            best = &e;
            break;
        }
        if (!best) continue;
        switch (best->type) {
        case RouteType::Blackhole: return {EINVAL, best};
        case RouteType::Unreachable: return {EHOSTUNREACH, best};
        case RouteType::Prohibit: return {EACCES, best};
        case RouteType::Throw: continue; // next rule
        default: return {0, best};
        }
    }
    return {ENETUNREACH, nullptr};
}

std::vector<std::string> Fib::describe(const HostConfig& config) const {
    std::vector<std::string> out;
    for (std::uint32_t table : {254u, 255u}) {
        for (const auto& e : m_entries) {
            if (e.table != table) continue;
            std::string s;
            if (e.type != RouteType::Unicast) s += fmt::format("{} ", routeTypeName(e.type));
            s += e.destination.length == 0 ? std::string("default") : e.destination.length == 32
                     ? e.destination.address.toString() : e.destination.toString();
            if (!e.gateway.isAny()) s += " via " + e.gateway.toString();
            if (const auto* d = config.interfaceByIndex(e.device)) s += " dev " + d->name;
            if (table == 255) s += " table local";
            if (e.protocol != "boot") s += " proto " + e.protocol;
            if (e.scope == RouteScope::Link) s += " scope link";
            if (e.scope == RouteScope::Host) s += " scope host";
            if (!e.prefsrc.isAny()) s += " src " + e.prefsrc.toString();
            if (e.metric) s += fmt::format(" metric {}", e.metric);
            out.push_back(std::move(s));
        }
    }
    return out;
}

} // namespace stackscope::stack
