// SPDX-License-Identifier: GPL-3.0-or-later
// `ip link` and `ip address`, with iproute2's parsing and messages and the
// kernel's checks (rtnl_setlink, dev_validate_mtu, inet_rtm_newaddr).
#include "scenario/commands.h"
#include "scenario/ip_internal.h"

#include <algorithm>
#include <fmt/format.h>

namespace stackscope::scenario::detail {
namespace {

std::string invarg(std::string_view msg, std::string_view arg) {
    return fmt::format("Error: argument \"{}\" is wrong: {}", arg, msg);
}

struct LinkAttrs {
    std::optional<bool> up;
    std::optional<MacAddress> mac;
    std::optional<std::uint32_t> mtu;
    std::optional<std::uint32_t> txqueuelen;
    std::optional<bool> promisc;
    std::optional<std::uint32_t> numTxQueues;
};

const std::initializer_list<std::string_view> kLinkKeywords = {
    "dev",    "up",   "down",    "address", "mtu",  "txqueuelen",
    "txqlen", "qlen", "promisc", "name",    "type", "numtxqueues"};

// iplink_parse: returns false after reporting an error. Stops before "type".
bool parseLinkAttrs(ArgCursor& c, LinkAttrs& a, std::string& dev, std::string& error) {
    while (!c.done()) {
        const std::string& w = c.peek();
        if (w == "type") return true;
        c.take();
        if (w == "up" || w == "down") {
            a.up = w == "up";
        } else if (w == "address" || (w.size() >= 4 && matches(w, "address"))) {
            auto v = c.value();
            if (!v) return error = kIncomplete, false;
            auto mac = MacAddress::parse(*v);
            if (!mac) return error = fmt::format("\"{}\" is invalid lladdr.", *v), false;
            a.mac = *mac;
        } else if (matches(w, "mtu")) {
            auto v = c.value();
            if (!v) return error = kIncomplete, false;
            auto n = parseU32(*v);
            if (!n) return error = invarg("Invalid \"mtu\" value", *v), false;
            a.mtu = *n;
        } else if (w == "txqueuelen" || w == "txqlen" || w == "qlen") {
            auto v = c.value();
            if (!v) return error = kIncomplete, false;
            auto n = parseU32(*v);
            if (!n) return error = invarg("Invalid \"txqueuelen\" value", *v), false;
            a.txqueuelen = *n;
        } else if (w == "numtxqueues") {
            auto v = c.value();
            if (!v) return error = kIncomplete, false;
            auto n = parseU32(*v);
            if (!n) return error = invarg("Invalid \"numtxqueues\" value", *v), false;
            a.numTxQueues = *n;
        } else if (w == "promisc") {
            auto v = c.value();
            if (!v) return error = kIncomplete, false;
            auto on = parseOnOff(*v);
            if (!on)
                return error = fmt::format(
                           "Error: argument of \"promisc\" must be \"on\" or \"off\", not \"{}\"",
                           *v),
                       false;
            a.promisc = *on;
        } else if (w == "name") {
            auto v = c.value();
            if (!v) return error = kIncomplete, false;
            if (!dev.empty()) return error = "renaming a link is not modelled", false;
            dev = *v;
        } else if (w == "arp" || w == "multicast" || w == "allmulticast" || w == "dynamic" ||
                   w == "trailers" || w == "carrier" || w == "master" || w == "nomaster" ||
                   w == "netns" || w == "alias" || w == "group" || w == "vf" || w == "xdp" ||
                   w == "broadcast" || w == "brd" || w == "link" || w == "numrxqueues" ||
                   w == "gso_max_size" || w == "gro_max_size") {
            return error =
                       fmt::format("ip link option \"{}\" is not modelled (supported: up, down, "
                                   "address, mtu, txqueuelen, promisc, numtxqueues)",
                                   w),
                   false;
        } else {
            std::string name = w;
            if (w == "dev") {
                auto v = c.value();
                if (!v) return error = kIncomplete, false;
                name = *v;
            }
            if (!dev.empty())
                return error = fmt::format(
                           "Error: either \"dev\" is duplicate, or \"{}\" is a garbage.{}", name,
                           didYouMean(name, kLinkKeywords)),
                       false;
            dev = name;
        }
    }
    return true;
}

bool validDeviceName(std::string_view name) {
    // dev_valid_name: at most IFNAMSIZ-1 bytes, no '/', ':' or whitespace, not "." or "..".
    if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
    return std::none_of(name.begin(), name.end(),
                        [](char ch) { return ch == '/' || ch == ':' || ch == ' ' || ch == '\t'; });
}

std::optional<std::string> checkAttrs(const LinkAttrs& a, LinkKind kind) {
    if (a.mtu) {
        // ether_setup and veth: min ETH_MIN_MTU (68); dummy has no limits; 65535 is ETH_MAX_MTU.
        if (kind != LinkKind::Dummy && *a.mtu < 68) return "Error: mtu less than device minimum.";
        if (kind != LinkKind::Dummy && *a.mtu > 65535)
            return "Error: mtu greater than device maximum.";
    }
    if (a.mac) {
        if (kind == LinkKind::Loopback) return "RTNETLINK answers: Operation not supported";
        if (a.mac->isMulticast() || a.mac->isZero())
            return "RTNETLINK answers: Cannot assign requested address";
    }
    return std::nullopt;
}

void applyAttrs(InterfaceConfig& i, const LinkAttrs& a) {
    if (a.up) i.up = *a.up;
    if (a.mac) i.mac = *a.mac;
    if (a.mtu) i.mtu = *a.mtu;
    if (a.txqueuelen) i.txqueuelen = *a.txqueuelen;
    if (a.promisc) i.promisc = *a.promisc;
}

void linkSet(HostConfig& host, ArgCursor& c, Errors& errors) {
    LinkAttrs a;
    std::string dev, error;
    if (!parseLinkAttrs(c, a, dev, error)) return errors.push_back(error);
    if (!c.done()) return errors.push_back("ip link set: \"type\" belongs to ip link add");
    if (dev.empty())
        return errors.push_back("Not enough information: \"dev\" argument is required.");
    if (!validDeviceName(dev))
        return errors.push_back(
            fmt::format("Error: argument \"{}\" is wrong: \"dev\" not a valid ifname", dev));
    const InterfaceConfig* existing = host.findInterface(dev);
    if (auto err = checkAttrs(a, existing ? existing->kind : LinkKind::Ethernet))
        return errors.push_back(*err);
    // A numtxqueues here is accepted and changes nothing: do_setlink has no attribute for
    // it (on Linux 6.18, `ip link set v0 numtxqueues 2` succeeds and v0 keeps its queues).
    applyAttrs(host.ensureInterface(dev), a);
}

void linkAdd(HostConfig& host, ArgCursor& c, Errors& errors) {
    LinkAttrs a;
    std::string dev, error;
    if (!parseLinkAttrs(c, a, dev, error)) return errors.push_back(error);
    if (c.done()) return errors.push_back("Not enough information: \"type\" argument is required.");
    c.take(); // "type"
    auto type = c.value();
    if (!type) return errors.push_back(std::string(kIncomplete));
    LinkKind kind;
    if (*type == "veth") {
        kind = LinkKind::Veth;
        // The peer end lives outside this host; only its name may be given.
        if (!c.done()) {
            if (c.take() != "peer")
                return errors.push_back(
                    "ip link add type veth: only \"peer name NAME\" may follow");
            if (!c.done() && c.peek() == "name") c.take();
            auto peer = c.value();
            if (!peer) return errors.push_back(std::string(kIncomplete));
            if (*peer == dev || host.findInterface(*peer))
                return errors.push_back("RTNETLINK answers: File exists");
            if (!c.done())
                return errors.push_back(fmt::format("options of the veth peer (\"{}\") are not "
                                                    "modelled: the peer is not part of this host",
                                                    c.peek()));
        }
    } else if (*type == "dummy") {
        kind = LinkKind::Dummy;
        if (!c.done())
            return errors.push_back(fmt::format(
                "Error: either \"dev\" is duplicate, or \"{}\" is a garbage.", c.peek()));
    } else if (*type == "bridge" || *type == "vlan" || *type == "macvlan" || *type == "ipvlan" ||
               *type == "bond" || *type == "vxlan" || *type == "gre" || *type == "ipip" ||
               *type == "vrf" || *type == "tun" || *type == "tap" || *type == "wireguard" ||
               *type == "macvtap" || *type == "geneve" || *type == "team") {
        return errors.push_back(
            fmt::format("link type \"{}\" is not modelled (supported: veth, dummy)", *type));
    } else {
        return errors.push_back(
            fmt::format("Error: Unknown device type.{}", didYouMean(*type, {"veth", "dummy"})));
    }
    if (dev.empty())
        return errors.push_back("Not enough information: \"dev\" argument is required.");
    if (!validDeviceName(dev))
        return errors.push_back(
            fmt::format("Error: argument \"{}\" is wrong: \"name\" not a valid ifname", dev));
    if (host.findInterface(dev)) return errors.push_back("RTNETLINK answers: File exists");
    if (auto err = checkAttrs(a, kind)) return errors.push_back(*err);
    // rtnl_create_link: the TX queues are allocated with the device, 1 to 4096 of them.
    if (a.numTxQueues && (*a.numTxQueues < 1 || *a.numTxQueues > 4096))
        return errors.push_back("Error: Invalid number of transmit queues.");
    InterfaceConfig& link = host.ensureInterface(dev, kind);
    applyAttrs(link, a);
    link.numTxQueues = a.numTxQueues;
}

void linkDel(HostConfig& host, ArgCursor& c, Errors& errors) {
    std::string dev;
    while (!c.done()) {
        std::string w = c.take();
        if (w == "dev") {
            auto v = c.value();
            if (!v) return errors.push_back(std::string(kIncomplete));
            w = *v;
        }
        if (!dev.empty())
            return errors.push_back(
                fmt::format("Error: either \"dev\" is duplicate, or \"{}\" is a garbage.", w));
        dev = w;
    }
    if (dev.empty())
        return errors.push_back("Not enough information: \"dev\" argument is required.");
    const InterfaceConfig* i = host.findInterface(dev);
    if (!i) return errors.push_back(cannotFindDevice(dev));
    // Only virtual links have rtnl dellink; a NIC or lo cannot be deleted.
    if (i->kind != LinkKind::Veth && i->kind != LinkKind::Dummy)
        return errors.push_back("RTNETLINK answers: Operation not supported");
    removeInterface(host, dev);
}

} // namespace

void removeInterface(HostConfig& host, const std::string& dev) {
    const InterfaceConfig* i = host.findInterface(dev);
    if (!i) return;
    std::vector<InterfaceAddress> addrs = i->addresses;
    // The kernel flushes routes whose nexthop uses the device, and its neighbours.
    std::erase_if(host.routes, [&](const RouteConfig& r) {
        if (r.device == dev) return true;
        if (r.device.empty() && r.gateway)
            for (const auto& a : addrs)
                if (a.prefixLength < 32 &&
                    Ipv4Prefix{a.address, a.prefixLength}.contains(*r.gateway))
                    return true;
        return false;
    });
    std::erase_if(host.neighbours, [&](const NeighbourConfig& n) { return n.device == dev; });
    std::erase_if(host.taps, [&](const TapConfig& t) { return t.device == dev; });
    std::erase_if(host.interfaces, [&](const InterfaceConfig& x) { return x.name == dev; });
    host.sysctls.removeDevice(dev);
}

void ipLink(HostConfig& host, ArgCursor& c, Errors& errors) {
    if (c.done())
        return errors.push_back("ip link: \"ip link show\" prints state; a scenario only "
                                "configures (use add, set, del)");
    std::string sub = c.take();
    if (matches(sub, "add")) return linkAdd(host, c, errors);
    if (sub == "set" || matches(sub, "change") || sub == "chg") return linkSet(host, c, errors);
    if (matches(sub, "delete")) return linkDel(host, c, errors);
    if (matches(sub, "show") || matches(sub, "list") || sub == "lst")
        return errors.push_back(
            "ip link show prints state; a scenario only configures (use add, set, del)");
    errors.push_back(fmt::format("Command \"{}\" is unknown, try \"ip link help\".{}", sub,
                                 didYouMean(sub, {"add", "set", "delete", "del", "change"})));
}

// ---- ip address ----

namespace {

std::optional<InterfaceAddress::Scope> parseAddrScope(std::string_view s) {
    if (s == "global" || s == "universe" || s == "0") return InterfaceAddress::Scope::Global;
    if (s == "link" || s == "253") return InterfaceAddress::Scope::Link;
    if (s == "host" || s == "254") return InterfaceAddress::Scope::Host;
    return std::nullopt;
}

const std::initializer_list<std::string_view> kAddrKeywords = {"dev", "label", "broadcast",
                                                               "brd", "scope", "local"};

enum class AddrOp { Add, Replace, Del };

void addrModify(HostConfig& host, ArgCursor& c, AddrOp op, Errors& errors) {
    const bool add = op != AddrOp::Del;
    std::optional<Ipv4Prefix> local;
    bool prefixGiven = false;
    std::string dev, label;
    std::optional<std::string> brd;
    std::optional<InterfaceAddress::Scope> scope;
    while (!c.done()) {
        std::string w = c.take();
        if (w == "dev" || w == "label" || matches(w, "broadcast") || w == "brd" || w == "scope") {
            auto v = c.value();
            if (!v) return errors.push_back(std::string(kIncomplete));
            if (w == "dev") {
                if (!dev.empty())
                    return errors.push_back(
                        fmt::format("Error: duplicate \"dev\": \"{}\" is the second value.", *v));
                dev = *v;
            } else if (w == "label") {
                label = *v;
            } else if (w == "scope") {
                scope = parseAddrScope(*v);
                if (!scope) return errors.push_back(invarg("invalid scope value.", *v));
            } else {
                if (*v != "+" && *v != "-" && !Ipv4Address::parse(*v))
                    return errors.push_back(fmt::format(
                        "Error: any valid address is expected rather than \"{}\".", *v));
                brd = *v;
            }
        } else if (w == "peer" || w == "remote" || w == "anycast" || w == "valid_lft" ||
                   w == "preferred_lft" || w == "metric" || w == "priority" || w == "preference" ||
                   w == "noprefixroute" || w == "home" || w == "nodad" || w == "mngtmpaddr" ||
                   w == "autojoin" || w == "optimistic") {
            return errors.push_back(fmt::format(
                "ip address option \"{}\" is not modelled (supported: brd, scope, label, dev)", w));
        } else {
            if (w == "local") {
                auto v = c.value();
                if (!v) return errors.push_back(std::string(kIncomplete));
                w = *v;
            }
            if (local)
                return errors.push_back(
                    fmt::format("Error: either \"local\" is duplicate, or \"{}\" is a garbage.{}",
                                w, didYouMean(w, kAddrKeywords)));
            local = Ipv4Prefix::parse(w);
            if (!local || w == "default" || w == "any" || w == "all")
                return errors.push_back(
                    fmt::format("Error: any valid prefix is expected rather than \"{}\".", w));
            prefixGiven = w.find('/') != std::string::npos;
        }
    }
    if (dev.empty())
        return errors.push_back("Not enough information: \"dev\" argument is required.");
    if (!label.empty() && label != dev && !label.starts_with(dev + ":"))
        return errors.push_back(fmt::format(
            "\"label\" ({}) must match \"dev\" ({}) or be prefixed by \"dev\" with a colon.", label,
            dev));
    if (!local) return errors.push_back("RTNETLINK answers: Invalid argument (no address given)");

    if (!add) {
        InterfaceConfig* i = host.findInterface(dev);
        if (!i) return errors.push_back(cannotFindDevice(dev));
        auto it =
            std::find_if(i->addresses.begin(), i->addresses.end(), [&](const InterfaceAddress& a) {
                return a.address == local->address &&
                       (!prefixGiven || a.prefixLength == local->length) &&
                       (label.empty() || a.label == label);
            });
        if (it == i->addresses.end()) return errors.push_back("Error: ipv4: Address not found.");
        i->addresses.erase(it);
        return;
    }

    if (!validDeviceName(dev))
        return errors.push_back(
            fmt::format("Error: argument \"{}\" is wrong: \"dev\" not a valid ifname", dev));
    InterfaceAddress a;
    a.address = local->address;
    a.prefixLength = local->length;
    a.label = label.empty() ? dev : label;
    // iproute2's default_scope: 127/8 is host scope, everything else global.
    a.scope = scope ? *scope
                    : (a.address.isLoopback() ? InterfaceAddress::Scope::Host
                                              : InterfaceAddress::Scope::Global);
    if (brd) {
        if (*brd == "+")
            a.broadcast = Ipv4Address{local->address.value | ~wire::prefixMask(local->length)};
        else if (*brd == "-")
            a.broadcast = Ipv4Address{local->address.value & wire::prefixMask(local->length)};
        else
            a.broadcast = Ipv4Address::parse(*brd);
    }
    if (InterfaceConfig* existing = host.findInterface(dev)) {
        for (auto& other : existing->addresses) {
            if (other.address != a.address || other.prefixLength != a.prefixLength) continue;
            if (op != AddrOp::Replace)
                return errors.push_back("Error: ipv4: Address already assigned.");
            other = a;
            return;
        }
    }
    host.ensureInterface(dev).addresses.push_back(a);
}

void addrFlush(HostConfig& host, ArgCursor& c, Errors& errors) {
    std::string dev;
    while (!c.done()) {
        std::string w = c.take();
        if (w == "dev") {
            auto v = c.value();
            if (!v) return errors.push_back(std::string(kIncomplete));
            w = *v;
        }
        if (!dev.empty())
            return errors.push_back(
                fmt::format("Error: either \"dev\" is duplicate, or \"{}\" is a garbage.", w));
        dev = w;
    }
    if (dev.empty()) return errors.push_back("Flush requires arguments.");
    InterfaceConfig* i = host.findInterface(dev);
    if (!i) return errors.push_back(cannotFindDevice(dev));
    i->addresses.clear();
}

} // namespace

void ipAddress(HostConfig& host, ArgCursor& c, Errors& errors) {
    if (c.done())
        return errors.push_back(
            "ip address show prints state; a scenario only configures (use add, del)");
    std::string sub = c.take();
    if (matches(sub, "add")) return addrModify(host, c, AddrOp::Add, errors);
    if (matches(sub, "replace")) return addrModify(host, c, AddrOp::Replace, errors);
    if (matches(sub, "delete")) return addrModify(host, c, AddrOp::Del, errors);
    if (matches(sub, "flush")) return addrFlush(host, c, errors);
    if (matches(sub, "show") || matches(sub, "list") || sub == "lst")
        return errors.push_back(
            "ip address show prints state; a scenario only configures (use add, del)");
    errors.push_back(fmt::format("Command \"{}\" is unknown, try \"ip address help\".{}", sub,
                                 didYouMean(sub, {"add", "delete", "del", "flush", "replace"})));
}

} // namespace stackscope::scenario::detail
