// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/route.c input and output routing: ip_route_input_slow's martian
// checks, broadcast and local input, forwarding decisions, fib_validate_source
// (rp_filter) and ip_route_output_key with source address selection.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ipv4.h"

#include <cerrno>
#include <fmt/format.h>

namespace stackscope::stack {

using wire::Ipv4Address;

namespace {
constexpr Ipv4Address kAllHosts = Ipv4Address::fromOctets(224, 0, 0, 1);

std::string_view errnoName(int e) {
    switch (e) {
    case ENETUNREACH: return "ENETUNREACH";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    default: return "error";
    }
}
} // namespace

bool Host::isLocalAddress(Ipv4Address a) const {
    for (const auto& d : m_config.interfaces)
        for (const auto& ifa : d.addresses)
            if (ifa.address == a) return true;
    return false;
}

Ipv4Address Host::inet_select_addr(int device, Ipv4Address dst, int scope) const {
    const Device* d = this->device(device);
    Ipv4Address first;
    if (d) {
        for (const auto& ifa : d->config.addresses) {
            if (int(ifa.scope == InterfaceAddress::Scope::Host ? 254 : ifa.scope == InterfaceAddress::Scope::Link ? 253 : 0) > scope)
                continue;
            if (!dst.isAny() && wire::Ipv4Prefix{ifa.address, ifa.prefixLength}.contains(dst)) return ifa.address;
            if (first.isAny()) first = ifa.address;
        }
    }
    if (!first.isAny()) return first;
    // Any other device's address of a wider-than-link scope (the kernel's fallback).
    for (const auto& other : m_config.interfaces)
        for (const auto& ifa : other.addresses)
            if (ifa.scope == InterfaceAddress::Scope::Global) return ifa.address;
    return {};
}

// fib_validate_source: 0 ok (1 = source on-link), -EINVAL martian/local source, -EXDEV rp_filter.
// conf is the input device's (hotConf(dev)), looked up once by the caller.
static int fibValidateSource(const Host& h, const Device::HotConf& conf, Ipv4Address src, int dev,
                             int oif) {
    const std::int64_t rpf = std::max(conf.rpFilter, h.hotSysctls().confAllRpFilter);
    const bool acceptLocal = conf.acceptLocal != 0;
    const bool txRedirects = conf.sendRedirects || h.hotSysctls().confAllSendRedirects;
    if (!rpf && (dev != oif || !txRedirects)) {
        if (acceptLocal) return 0;
        if (h.isLocalAddress(src)) return -EINVAL;
        return 0;
    }
    FibResult r = h.fib().lookup(src);
    if (r.error || !r.entry) return rpf ? -EXDEV : 0;
    if (r.entry->type != RouteType::Unicast && (r.entry->type != RouteType::Local || !acceptLocal))
        return -EINVAL;
    if (r.entry->device == dev) return r.entry->gateway.isAny() ? 1 : 0;
    if (rpf == 1) return -EXDEV;
    return 0;
}

void Host::ip_route_input_noref(Skb& skb, DropReason& reason) {
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    const Ipv4Address saddr = ip.src(), daddr = ip.dst();
    const int in = skb.device;
    const Device::HotConf& inConf = hotConf(in);
    auto martian = [&](DropReason r, std::string why) {
        reason = r;
        if (r == DropReason::IP_RPFILTER) m_counters.add(Mib::TcpExtIPReversePathFilter);
        SS_DROP(skb, Stage::RouteInput, r, std::move(why));
    };
    auto validate = [&](int oif) -> bool {
        int v = fibValidateSource(*this, inConf, saddr, in, oif);
        if (v == -EXDEV) {
            martian(DropReason::IP_RPFILTER,
                    fmt::format("reverse path filter: no route back to {} through {} "
                                "(rp_filter {}): TcpExtIPReversePathFilter +1",
                                saddr.toString(), deviceName(in),
                                std::max(devConf(in, "rp_filter"), sysctl("net.ipv4.conf.all.rp_filter"))));
            return false;
        }
        if (v < 0) {
            martian(isLocalAddress(saddr) ? DropReason::IP_LOCAL_SOURCE : DropReason::IP_INVALID_SOURCE,
                    fmt::format("martian source {}: {}", saddr.toString(),
                                isLocalAddress(saddr) ? "it is one of our own addresses"
                                                      : "no unicast route back to it"));
            return false;
        }
        if (v > 0) skb.dst.doRedirect = true; // source on-link; ip_forward decides on redirects
        return true;
    };

    skb.dst = Dst{};
    if (daddr.isMulticast()) {
        if (daddr == kAllHosts && !saddr.isMulticast() && !saddr.isLimitedBroadcast()) {
            skb.dst = {RtType::Multicast, in, {}, {}, 1500, 0, true, false, false};
            SS_TRACE(skb, Stage::RouteInput, Verdict::Continue,
                  "multicast to 224.0.0.1, the all-hosts group every interface joins: local");
            return;
        }
        martian(DropReason::NOT_SPECIFIED,
                fmt::format("multicast {}: this host has not joined the group", daddr.toString()));
        return;
    }
    if (saddr.isMulticast() || saddr.isLimitedBroadcast()) {
        martian(DropReason::IP_INVALID_SOURCE,
                fmt::format("martian source {}: multicast or broadcast source", saddr.toString()));
        return;
    }
    auto brdInput = [&]() {
        if (!saddr.isZeronet() && !validate(0)) return;
        skb.dst = {RtType::Broadcast, in, {}, {}, 1500, 0, true, true, false};
        SS_TRACE(skb, Stage::RouteInput, Verdict::Continue,
              fmt::format("{} is a broadcast address: delivered locally (RTCF_BROADCAST)",
                          daddr.toString()));
    };
    if (daddr.isLimitedBroadcast() || (saddr.isAny() && daddr.isAny())) {
        brdInput();
        return;
    }
    if (saddr.isZeronet()) {
        martian(DropReason::IP_INVALID_SOURCE, fmt::format("martian source {}: zero network", saddr.toString()));
        return;
    }
    if (daddr.isZeronet()) {
        martian(DropReason::IP_INVALID_DEST, fmt::format("martian destination {}: zero network", daddr.toString()));
        return;
    }
    const bool localnet = inConf.routeLocalnet || m_hot.confAllRouteLocalnet;
    if (daddr.isLoopback() && !localnet) {
        martian(DropReason::IP_INVALID_DEST,
                fmt::format("martian destination {}: loopback address arriving on {}", daddr.toString(),
                            deviceName(in)));
        return;
    }
    if (!daddr.isLoopback() && saddr.isLoopback() && !localnet) {
        martian(DropReason::IP_INVALID_SOURCE,
                fmt::format("martian source {}: loopback address arriving on {}", saddr.toString(),
                            deviceName(in)));
        return;
    }
    FibResult r = m_fib.lookup(daddr);
    // Looked up only off the local-delivery path: it is a per-device sysctl map lookup.
    auto forwarding = [&] { return devForwarding(in); };
    auto noRoute = [&](int err) {
        skb.dst = {RtType::Unreachable, in, {}, {}, 1500, err, false, false, false};
        SS_TRACE(skb, Stage::RouteInput, Verdict::Continue,
              fmt::format("fib_lookup({}) gives {}{}: the route's input is ip_error", daddr.toString(),
                          errnoName(err), forwarding() ? "" : " (forwarding is off on this interface)"));
    };
    if (r.error) {
        noRoute(forwarding() ? r.error : EHOSTUNREACH);
        return;
    }
    const FibEntry& e = *r.entry;
    if (e.type == RouteType::Broadcast) {
        brdInput();
        return;
    }
    if (e.type == RouteType::Local) {
        if (!validate(0)) return;
        skb.dst = {RtType::Local, in, {}, {}, 1500, 0, true, false, false};
        SS_TRACE(skb, Stage::RouteInput, Verdict::Continue,
              fmt::format("{} is local (table local): ip_local_deliver", daddr.toString()));
        return;
    }
    if (!forwarding()) {
        noRoute(EHOSTUNREACH);
        return;
    }
    if (e.type != RouteType::Unicast) {
        martian(DropReason::IP_INVALID_DEST, "route type cannot be forwarded");
        return;
    }
    skb.dst.doRedirect = false;
    if (!validate(e.device)) return;
    const bool onlinkSource = skb.dst.doRedirect;
    const Device* out = device(e.device);
    skb.dst = {RtType::Unicast, e.device, e.gateway, e.prefsrc, out ? out->config.mtu : 1500, 0,
               false, false, false};
    const bool txRedirects = inConf.sendRedirects || m_hot.confAllSendRedirects;
    skb.dst.doRedirect = e.device == in && onlinkSource && txRedirects;
    SS_TRACE(skb, Stage::RouteInput, Verdict::Continue,
          fmt::format("forward to {}{} via {}", daddr.toString(),
                      e.gateway.isAny() ? std::string() : " gw " + e.gateway.toString(),
                      deviceName(e.device)));
}

Host::OutputRoute Host::ip_route_output(Ipv4Address daddr, Ipv4Address saddr, int oif) {
    OutputRoute out;
    if (!saddr.isAny() && !isLocalAddress(saddr)) {
        out.error = EINVAL;
        return out;
    }
    if (daddr.isLimitedBroadcast() || daddr.isMulticast()) {
        int dev = oif;
        if (!dev) {
            // Without a bound device the main table decides (usually the default route).
            FibResult r = m_fib.lookup(daddr);
            if (r.error || !r.entry) {
                out.error = ENETUNREACH;
                return out;
            }
            dev = r.entry->device;
        }
        out.dst = {daddr.isMulticast() ? RtType::Multicast : RtType::Broadcast, dev, {}, {},
                   device(dev) ? device(dev)->config.mtu : 1500, 0, false, true, false};
        out.source = saddr.isAny() ? inet_select_addr(dev, {}, int(RouteScope::Link)) : saddr;
        return out;
    }
    FibResult r = m_fib.lookup(daddr, oif);
    if (r.error || !r.entry) {
        out.error = r.error ? r.error : ENETUNREACH;
        return out;
    }
    const FibEntry& e = *r.entry;
    if (e.type == RouteType::Local) {
        int lo = 0;
        for (const auto& d : m_config.interfaces)
            if (d.kind == LinkKind::Loopback) lo = d.ifindex;
        out.dst = {RtType::Local, lo, {}, {}, device(lo) ? device(lo)->config.mtu : 65536, 0, true,
                   false, false};
        out.source = saddr.isAny() ? daddr : saddr;
        return out;
    }
    out.dst = {e.type == RouteType::Broadcast ? RtType::Broadcast : RtType::Unicast, e.device, e.gateway,
               e.prefsrc, device(e.device) ? device(e.device)->config.mtu : 1500, 0, false,
               e.type == RouteType::Broadcast, false};
    if (!saddr.isAny()) out.source = saddr;
    else if (!e.prefsrc.isAny()) out.source = e.prefsrc;
    else out.source = inet_select_addr(e.device, e.gateway.isAny() ? daddr : e.gateway, int(e.scope));
    return out;
}

} // namespace stackscope::stack
