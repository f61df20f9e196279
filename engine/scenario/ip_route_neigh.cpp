// SPDX-License-Identifier: GPL-3.0-or-later
// `ip route` and `ip neigh`, and the `ip` object dispatch. The route checks
// follow fib_create_info / fib_check_nh (net/ipv4/fib_semantics.c) and
// fib_table_insert / fib_table_delete (net/ipv4/fib_trie.c).
#include "scenario/commands.h"
#include "scenario/ip_internal.h"

#include <algorithm>
#include <fmt/format.h>

namespace stackscope::scenario::detail {
namespace {

std::string invarg(std::string_view msg, std::string_view arg) {
    return fmt::format("Error: argument \"{}\" is wrong: {}", arg, msg);
}

std::optional<RouteType> parseRouteType(std::string_view w) {
    if (w == "unicast") return RouteType::Unicast;
    if (w == "local") return RouteType::Local;
    if (w == "broadcast" || w == "brd") return RouteType::Broadcast;
    if (w == "blackhole") return RouteType::Blackhole;
    if (w == "unreachable") return RouteType::Unreachable;
    if (w == "prohibit") return RouteType::Prohibit;
    if (w == "throw") return RouteType::Throw;
    return std::nullopt;
}

std::optional<std::uint32_t> parseTable(std::string_view w) {
    if (w == "main") return 254;
    if (w == "local") return 255;
    if (w == "default") return 253;
    auto n = parseU32(w);
    if (n && *n == 0) return 254; // fib_new_table treats RT_TABLE_UNSPEC as main
    return n;
}

std::optional<std::string> parseProtocol(std::string_view w) {
    static const std::pair<std::string_view, std::uint32_t> kNames[] = {
        {"redirect", 1}, {"kernel", 2}, {"boot", 3}, {"static", 4}, {"dhcp", 16}};
    for (auto [name, n] : kNames)
        if (w == name) return std::string(name);
    auto n = parseU32(w);
    if (!n || *n > 255) return std::nullopt;
    for (auto [name, v] : kNames)
        if (v == *n) return std::string(name);
    return std::to_string(*n);
}

std::optional<RouteScope> parseRouteScope(std::string_view w) {
    if (w == "global" || w == "universe" || w == "0") return RouteScope::Universe;
    if (w == "link" || w == "253") return RouteScope::Link;
    if (w == "host" || w == "254") return RouteScope::Host;
    return std::nullopt;
}

bool isErrorType(RouteType t) {
    return t == RouteType::Blackhole || t == RouteType::Unreachable || t == RouteType::Prohibit ||
           t == RouteType::Throw;
}

struct RouteRequest {
    RouteConfig route;
    bool haveDestination = false;
    bool typeGiven = false, metricGiven = false, tableGiven = false, protoGiven = false,
         scopeGiven = false;
};

const std::initializer_list<std::string_view> kRouteKeywords = {
    "via", "dev", "src", "metric", "table", "proto", "scope", "preference", "priority", "oif"};

bool parseRoute(ArgCursor& c, RouteRequest& req, Errors& errors) {
    RouteConfig& r = req.route;
    while (!c.done()) {
        std::string w = c.take();
        auto need = [&]() -> std::optional<std::string> {
            auto v = c.value();
            if (!v) errors.push_back(std::string(kIncomplete));
            return v;
        };
        if (w == "via") {
            auto v = need();
            if (!v) return false;
            std::string text = *v;
            if (text == "inet") {
                auto again = need();
                if (!again) return false;
                text = *again;
            }
            auto gw = Ipv4Address::parse(text);
            if (!gw)
                return errors.push_back(fmt::format(
                           "Error: any valid address is expected rather than \"{}\".", text)),
                       false;
            r.gateway = *gw;
        } else if (w == "dev" || w == "oif") {
            auto v = need();
            if (!v) return false;
            r.device = *v;
        } else if (w == "src") {
            auto v = need();
            if (!v) return false;
            auto a = Ipv4Address::parse(*v);
            if (!a)
                return errors.push_back(fmt::format(
                           "Error: any valid address is expected rather than \"{}\".", *v)),
                       false;
            r.prefsrc = *a;
        } else if (w == "metric" || w == "preference" || w == "priority") {
            auto v = need();
            if (!v) return false;
            auto n = parseU32(*v);
            if (!n) return errors.push_back(invarg("\"metric\" value is invalid", *v)), false;
            r.metric = *n;
            req.metricGiven = true;
        } else if (w == "table") {
            auto v = need();
            if (!v) return false;
            auto n = parseTable(*v);
            if (!n) return errors.push_back(invarg("\"table\" value is invalid", *v)), false;
            r.table = *n;
            req.tableGiven = true;
        } else if (matches(w, "protocol") && w.size() >= 5) {
            auto v = need();
            if (!v) return false;
            auto p = parseProtocol(*v);
            if (!p) return errors.push_back(invarg("\"protocol\" value is invalid", *v)), false;
            r.protocol = *p;
            req.protoGiven = true;
        } else if (w == "scope") {
            auto v = need();
            if (!v) return false;
            auto s = parseRouteScope(*v);
            if (!s) return errors.push_back(invarg("invalid \"scope\" value", *v)), false;
            r.scope = *s;
            req.scopeGiven = true;
        } else if (w == "onlink" || w == "nexthop" || w == "mtu" || w == "advmss" || w == "tos" ||
                   w == "dsfield" || w == "realm" || w == "realms" || w == "weight" ||
                   w == "encap" || w == "expires" || w == "congctl" || w == "initcwnd" ||
                   w == "initrwnd" || w == "rtt" || w == "rttvar" || w == "window" ||
                   w == "hoplimit" || w == "nhid" || w == "pref" || w == "features" ||
                   w == "quickack" || w == "fastopen_no_cookie" || w == "ttl-propagate" ||
                   w == "from" || w == "lock") {
            return errors.push_back(
                       fmt::format("ip route option \"{}\" is not modelled (supported: TYPE, via, "
                                   "dev, src, metric, table, proto, scope)",
                                   w)),
                   false;
        } else {
            if (w == "to") {
                auto v = need();
                if (!v) return false;
                w = *v;
            }
            if (req.haveDestination)
                return errors.push_back(fmt::format(
                           "Error: either \"to\" is duplicate, or \"{}\" is a garbage.{}", w,
                           didYouMean(w, kRouteKeywords))),
                       false;
            if (!(w[0] >= '0' && w[0] <= '9') && w != "default" && w != "all" && w != "any") {
                if (auto t = parseRouteType(w)) {
                    r.type = *t;
                    req.typeGiven = true;
                    auto v = need();
                    if (!v) return false;
                    w = *v;
                } else if (w == "nat" || w == "anycast" || w == "multicast" || w == "xresolve") {
                    return errors.push_back(fmt::format("route type \"{}\" is not modelled", w)),
                           false;
                }
            }
            auto p = Ipv4Prefix::parse(w);
            if (!p)
                return errors.push_back(
                           fmt::format("Error: any valid prefix is expected rather than \"{}\".{}",
                                       w, didYouMean(w, kRouteKeywords))),
                       false;
            r.destination = *p;
            req.haveDestination = true;
        }
    }
    return true;
}

bool isUp(const HostConfig& host, std::string_view dev) {
    const InterfaceConfig* i = host.findInterface(dev);
    return i && i->up;
}

// fib_lookup with scope >= link, as fib_check_nh_v4_gw does: the gateway must sit
// on a connected prefix of an up device, or on a device route of scope link.
bool gatewayReachable(const HostConfig& host, Ipv4Address gw, std::string_view dev) {
    for (const auto& i : host.interfaces) {
        if (!i.up || (!dev.empty() && i.name != dev)) continue;
        for (const auto& a : i.addresses) {
            // A local address resolves to an RTN_LOCAL route, which fib_check_nh_v4_gw accepts.
            if (a.address == gw) return true;
            Ipv4Prefix p{a.address, a.prefixLength};
            // fib_add_ifaddr adds no prefix route for a /32 or for 0/8.
            if (a.prefixLength < 32 && !p.network().isZeronet() && p.contains(gw)) return true;
        }
    }
    for (const auto& r : host.routes) {
        if (r.type != RouteType::Unicast || r.device.empty() || r.scope == RouteScope::Universe)
            continue;
        if (!dev.empty() && r.device != dev) continue;
        if (isUp(host, r.device) && r.destination.contains(gw)) return true;
    }
    return false;
}

bool sameRoute(const RouteConfig& a, const RouteConfig& b) {
    return a.type == b.type && a.destination == b.destination && a.gateway == b.gateway &&
           a.device == b.device && a.prefsrc == b.prefsrc && a.metric == b.metric &&
           a.table == b.table && a.scope == b.scope && a.protocol == b.protocol;
}

enum class RouteOp { Add, Replace, Append, Prepend, Change, Del };

void routeModify(HostConfig& host, ArgCursor& c, RouteOp op, Errors& errors) {
    RouteRequest req;
    if (!parseRoute(c, req, errors)) return;
    RouteConfig& r = req.route;
    if (!req.haveDestination) return errors.push_back("Error: \"to\" argument is required.");
    if (!r.device.empty() && !host.findInterface(r.device))
        return errors.push_back(cannotFindDevice(r.device));
    // iproute2 puts local and broadcast routes in the local table unless told otherwise.
    if (!req.tableGiven && (r.type == RouteType::Local || r.type == RouteType::Broadcast))
        r.table = 255;

    if (op == RouteOp::Del) {
        auto it = std::find_if(host.routes.begin(), host.routes.end(), [&](const RouteConfig& x) {
            return x.table == r.table && x.destination == r.destination &&
                   (!req.typeGiven || x.type == r.type) &&
                   (!req.metricGiven || x.metric == r.metric) &&
                   (!r.gateway || x.gateway == r.gateway) &&
                   (r.device.empty() || x.device == r.device) &&
                   (!r.prefsrc || x.prefsrc == r.prefsrc) &&
                   (!req.protoGiven || x.protocol == r.protocol) &&
                   (!req.scopeGiven || x.scope == r.scope);
        });
        if (it == host.routes.end()) return errors.push_back("RTNETLINK answers: No such process");
        host.routes.erase(it);
        return;
    }

    if (r.destination.address != r.destination.network())
        return errors.push_back("Error: Invalid prefix for given prefix length.");
    if (!req.scopeGiven) {
        // iproute2's defaults: host for local, link for broadcast and gateway-less unicast.
        if (r.type == RouteType::Local)
            r.scope = RouteScope::Host;
        else if (r.type == RouteType::Broadcast)
            r.scope = RouteScope::Link;
        else if (r.type == RouteType::Unicast && !r.gateway)
            r.scope = RouteScope::Link;
    }
    if (isErrorType(r.type)) {
        if (r.gateway || !r.device.empty())
            return errors.push_back(
                "Error: Gateway, device and multipath can not be specified for this route type.");
    } else if (r.scope == RouteScope::Host) {
        if (r.gateway)
            return errors.push_back("Error: Route with host scope can not have a gateway.");
        if (r.device.empty()) return errors.push_back("RTNETLINK answers: No such device");
    } else if (r.gateway) {
        if (!gatewayReachable(host, *r.gateway, r.device))
            return errors.push_back("Error: Nexthop has invalid gateway.");
    } else {
        if (r.device.empty()) return errors.push_back("RTNETLINK answers: No such device");
        if (!isUp(host, r.device)) return errors.push_back("Error: Device for nexthop is not up.");
    }
    if (r.prefsrc &&
        !(r.type == RouteType::Local && r.prefsrc == r.destination.address &&
          r.destination.length == 32) &&
        !isLocalAddress(host, *r.prefsrc))
        return errors.push_back("Error: Invalid prefsrc address.");

    auto sameKey = [&](const RouteConfig& x) {
        return x.table == r.table && x.destination == r.destination && x.metric == r.metric;
    };
    auto it = std::find_if(host.routes.begin(), host.routes.end(), sameKey);
    switch (op) {
    case RouteOp::Add:
        if (it != host.routes.end()) return errors.push_back("RTNETLINK answers: File exists");
        host.routes.push_back(r);
        break;
    case RouteOp::Append:
    case RouteOp::Prepend:
        if (std::any_of(host.routes.begin(), host.routes.end(),
                        [&](const RouteConfig& x) { return sameRoute(x, r); }))
            return errors.push_back("RTNETLINK answers: File exists");
        if (op == RouteOp::Prepend && it != host.routes.end())
            host.routes.insert(it, r);
        else
            host.routes.push_back(r);
        break;
    case RouteOp::Replace:
        if (it != host.routes.end())
            *it = r;
        else
            host.routes.push_back(r);
        break;
    case RouteOp::Change:
        if (it == host.routes.end())
            return errors.push_back("RTNETLINK answers: No such file or directory");
        *it = r;
        break;
    case RouteOp::Del:
        break;
    }
}

// ---- ip neigh ----

std::optional<NeighState> parseNud(std::string_view w) {
    for (auto s :
         {NeighState::Permanent, NeighState::Noarp, NeighState::Reachable, NeighState::Stale,
          NeighState::Delay, NeighState::Probe, NeighState::Failed, NeighState::Incomplete})
        if (neighStateName(s) == w) return s;
    return std::nullopt;
}

enum class NeighOp { Add, Replace, Change, Del };

void neighModify(HostConfig& host, ArgCursor& c, NeighOp op, Errors& errors) {
    std::optional<Ipv4Address> dst;
    std::optional<MacAddress> lladdr;
    std::string dev;
    NeighState state = NeighState::Permanent; // iproute2 asks for NUD_PERMANENT unless told
    while (!c.done()) {
        std::string w = c.take();
        if (w == "lladdr" || w == "dev" || w == "nud") {
            auto v = c.value();
            if (!v) return errors.push_back(std::string(kIncomplete));
            if (w == "lladdr") {
                lladdr = MacAddress::parse(*v);
                if (!lladdr) return errors.push_back(fmt::format("\"{}\" is invalid lladdr.", *v));
            } else if (w == "dev") {
                dev = *v;
            } else {
                auto s = parseNud(*v);
                if (!s)
                    return errors.push_back(
                        invarg("nud state is bad", *v) +
                        didYouMean(*v, {"permanent", "noarp", "reachable", "stale"}));
                state = *s;
            }
        } else if (w == "router" || w == "proxy" || w == "extern_learn" || w == "use" ||
                   w == "managed" || w == "protocol" || w == "vrf") {
            return errors.push_back(fmt::format(
                "ip neigh option \"{}\" is not modelled (supported: lladdr, dev, nud)", w));
        } else {
            if (w == "to") {
                auto v = c.value();
                if (!v) return errors.push_back(std::string(kIncomplete));
                w = *v;
            }
            if (dst)
                return errors.push_back(
                    fmt::format("Error: either \"to\" is duplicate, or \"{}\" is a garbage.{}", w,
                                didYouMean(w, {"lladdr", "dev", "nud"})));
            dst = Ipv4Address::parse(w);
            if (!dst)
                return errors.push_back(
                    fmt::format("Error: any valid address is expected rather than \"{}\".", w));
        }
    }
    if (!dst || dev.empty())
        return errors.push_back("Device and destination are required arguments.");
    if (!host.findInterface(dev)) return errors.push_back(cannotFindDevice(dev));
    auto it =
        std::find_if(host.neighbours.begin(), host.neighbours.end(), [&](const NeighbourConfig& n) {
            return n.address == *dst && n.device == dev;
        });
    bool exists = it != host.neighbours.end();
    if (op == NeighOp::Del) {
        if (!exists) return errors.push_back("RTNETLINK answers: No such file or directory");
        host.neighbours.erase(it);
        return;
    }
    if (op == NeighOp::Add && exists) return errors.push_back("RTNETLINK answers: File exists");
    if (op == NeighOp::Change && !exists)
        return errors.push_back("RTNETLINK answers: No such file or directory");
    bool valid = state != NeighState::Failed && state != NeighState::Incomplete;
    // neigh_update: a valid state needs an address, given or already known.
    if (valid && !lladdr && !(exists && it->lladdr))
        return errors.push_back("Error: No link layer address given.");
    NeighbourConfig n{*dst, lladdr ? lladdr : (exists ? it->lladdr : std::nullopt), dev, state};
    if (exists)
        *it = n;
    else
        host.neighbours.push_back(n);
}

} // namespace

void ipRoute(HostConfig& host, ArgCursor& c, Errors& errors) {
    if (c.done())
        return errors.push_back(
            "ip route show prints state; a scenario only configures (use add, replace, del)");
    std::string sub = c.take();
    if (matches(sub, "add")) return routeModify(host, c, RouteOp::Add, errors);
    if (matches(sub, "replace")) return routeModify(host, c, RouteOp::Replace, errors);
    if (matches(sub, "append")) return routeModify(host, c, RouteOp::Append, errors);
    if (matches(sub, "prepend")) return routeModify(host, c, RouteOp::Prepend, errors);
    if (matches(sub, "change") || sub == "chg")
        return routeModify(host, c, RouteOp::Change, errors);
    if (matches(sub, "delete")) return routeModify(host, c, RouteOp::Del, errors);
    if (matches(sub, "show") || matches(sub, "list") || sub == "lst" || matches(sub, "get"))
        return errors.push_back(
            "ip route show/get prints state; a scenario only configures (use add, replace, del)");
    errors.push_back(fmt::format(
        "Command \"{}\" is unknown, try \"ip route help\".{}", sub,
        didYouMean(sub, {"add", "replace", "append", "delete", "del", "change", "prepend"})));
}

void ipNeigh(HostConfig& host, ArgCursor& c, Errors& errors) {
    if (c.done())
        return errors.push_back(
            "ip neigh show prints state; a scenario only configures (use add, replace, del)");
    std::string sub = c.take();
    if (matches(sub, "add")) return neighModify(host, c, NeighOp::Add, errors);
    if (matches(sub, "replace")) return neighModify(host, c, NeighOp::Replace, errors);
    if (matches(sub, "change") || sub == "chg")
        return neighModify(host, c, NeighOp::Change, errors);
    if (matches(sub, "delete")) return neighModify(host, c, NeighOp::Del, errors);
    if (matches(sub, "show") || matches(sub, "list") || sub == "lst" || matches(sub, "get"))
        return errors.push_back(
            "ip neigh show prints state; a scenario only configures (use add, replace, del)");
    errors.push_back(fmt::format("Command \"{}\" is unknown, try \"ip neigh help\".{}", sub,
                                 didYouMean(sub, {"add", "replace", "change", "delete", "del"})));
}

void runIp(HostConfig& host, Words args, Errors& errors) {
    ArgCursor c(args);
    while (!c.done() && c.peek().starts_with("-")) {
        std::string opt = c.take();
        if (opt == "-4" || opt == "-f" || opt == "-family") {
            if (opt != "-4") {
                auto v = c.value();
                if (!v || *v != "inet")
                    return errors.push_back("ip: only the inet family is modelled");
            }
            continue;
        }
        if (opt == "-6") return errors.push_back("ip -6: IPv6 is not modelled");
        return errors.push_back(fmt::format("Option \"{}\" is unknown, try \"ip -help\".", opt));
    }
    if (c.done()) return errors.push_back("ip: give an object (link, address, route, neigh)");
    std::string obj = c.take();
    // iproute2 takes the first object in its table that the word abbreviates.
    static constexpr std::string_view kObjects[] = {
        "address", "addrlabel", "maddress", "route", "rule",       "neighbor",    "neighbour",
        "ntable",  "ntbl",      "link",     "l2tp",  "fou",        "ila",         "macsec",
        "tunnel",  "tuntap",    "tap",      "token", "tcpmetrics", "tcp_metrics", "monitor",
        "xfrm",    "mroute",    "mrule",    "netns", "netconf",    "vrf",         "sr",
        "nexthop", "mptcp",     "ioam",     "stats"};
    std::string_view found;
    for (auto o : kObjects)
        if (matches(obj, o)) {
            found = o;
            break;
        }
    if (found == "address") return ipAddress(host, c, errors);
    if (found == "route") return ipRoute(host, c, errors);
    if (found == "neighbor" || found == "neighbour") return ipNeigh(host, c, errors);
    if (found == "link") return ipLink(host, c, errors);
    if (!found.empty())
        return errors.push_back(
            fmt::format("ip {} is not modelled (supported: link, address, route, neigh)", found));
    errors.push_back(fmt::format(
        "Object \"{}\" is unknown, try \"ip help\".{}", obj,
        didYouMean(obj, {"address", "route", "neighbour", "neighbor", "link", "addr"})));
}

} // namespace stackscope::scenario::detail
