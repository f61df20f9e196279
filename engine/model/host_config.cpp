// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/host_config.h"

#include <algorithm>

namespace stackscope {

std::string_view linkKindName(LinkKind k) {
    switch (k) {
    case LinkKind::Ethernet: return "ether";
    case LinkKind::Veth: return "veth";
    case LinkKind::Loopback: return "loopback";
    case LinkKind::Dummy: return "dummy";
    }
    return "?";
}

std::string_view qdiscKindName(QdiscKind k) {
    switch (k) {
    case QdiscKind::PfifoFast: return "pfifo_fast";
    case QdiscKind::Pfifo: return "pfifo";
    case QdiscKind::Bfifo: return "bfifo";
    case QdiscKind::Tbf: return "tbf";
    case QdiscKind::FqCodel: return "fq_codel";
    case QdiscKind::Noqueue: return "noqueue";
    }
    return "?";
}

std::string_view routeTypeName(RouteType t) {
    switch (t) {
    case RouteType::Unicast: return "unicast";
    case RouteType::Local: return "local";
    case RouteType::Broadcast: return "broadcast";
    case RouteType::Blackhole: return "blackhole";
    case RouteType::Unreachable: return "unreachable";
    case RouteType::Prohibit: return "prohibit";
    case RouteType::Throw: return "throw";
    }
    return "?";
}

std::string_view neighStateName(NeighState s) {
    switch (s) {
    case NeighState::Permanent: return "permanent";
    case NeighState::Noarp: return "noarp";
    case NeighState::Reachable: return "reachable";
    case NeighState::Stale: return "stale";
    case NeighState::Delay: return "delay";
    case NeighState::Probe: return "probe";
    case NeighState::Failed: return "failed";
    case NeighState::Incomplete: return "incomplete";
    }
    return "?";
}

HostConfig HostConfig::withLoopback() {
    HostConfig h;
    auto& lo = h.ensureInterface("lo", LinkKind::Loopback);
    lo.mtu = 65536;
    lo.up = true;
    lo.mac = MacAddress{};
    lo.addresses.push_back({Ipv4Address::fromOctets(127, 0, 0, 1), 8, std::nullopt, "lo",
                            InterfaceAddress::Scope::Host});
    return h;
}

InterfaceConfig* HostConfig::findInterface(std::string_view name) {
    auto it = std::find_if(interfaces.begin(), interfaces.end(),
                           [&](const InterfaceConfig& i) { return i.name == name; });
    return it == interfaces.end() ? nullptr : &*it;
}

const InterfaceConfig* HostConfig::findInterface(std::string_view name) const {
    return const_cast<HostConfig*>(this)->findInterface(name);
}

const InterfaceConfig* HostConfig::interfaceByIndex(int ifindex) const {
    for (const auto& i : interfaces)
        if (i.ifindex == ifindex) return &i;
    return nullptr;
}

InterfaceConfig& HostConfig::ensureInterface(std::string_view name, LinkKind kind) {
    if (auto* existing = findInterface(name)) return *existing;
    InterfaceConfig i;
    i.name = std::string(name);
    i.kind = kind;
    int next = 1;
    for (const auto& other : interfaces) next = std::max(next, other.ifindex + 1);
    i.ifindex = next;
    // Locally administered unicast address derived from the ifindex: stable across runs.
    i.mac = MacAddress{{0x02, 0x00, 0x00, 0x00, std::uint8_t(next >> 8), std::uint8_t(next)}};
    if (kind == LinkKind::Loopback) i.mac = MacAddress{};
    interfaces.push_back(std::move(i));
    sysctls.addDevice(name);
    return interfaces.back();
}

} // namespace stackscope
