// SPDX-License-Identifier: GPL-3.0-or-later
// Writes a HostConfig as the commands that rebuild it. The order matters as it
// does in a shell: sysctl defaults before the links that copy them, links
// before addresses, addresses before the routes whose gateways they reach.
#include "scenario/scenario.h"
#include "scenario/shell_words.h"

#include <algorithm>
#include <fmt/format.h>
#include <map>

namespace stackscope::scenario {
namespace {

std::string duration(Nanos t) {
    if (t % kSecond == 0) return fmt::format("{}s", t / kSecond);
    if (t % kMillisecond == 0) return fmt::format("{}ms", t / kMillisecond);
    if (t % kMicrosecond == 0) return fmt::format("{}us", t / kMicrosecond);
    return fmt::format("{}ns", t);
}

std::string tcTime(Nanos t) {
    if (t % kMicrosecond == 0) return fmt::format("{}us", t / kMicrosecond);
    return fmt::format("{}us", double(t) / double(kMicrosecond));
}

std::string_view addrScopeName(InterfaceAddress::Scope s) {
    switch (s) {
    case InterfaceAddress::Scope::Global:
        return "global";
    case InterfaceAddress::Scope::Link:
        return "link";
    case InterfaceAddress::Scope::Host:
        return "host";
    }
    return "global";
}

std::string_view routeScopeName(RouteScope s) {
    switch (s) {
    case RouteScope::Universe:
        return "global";
    case RouteScope::Link:
        return "link";
    case RouteScope::Host:
        return "host";
    }
    return "global";
}

bool isDeviceKey(const std::string& key) {
    for (std::string_view prefix : {"net.ipv4.conf.", "net.ipv4.neigh."}) {
        if (!key.starts_with(prefix)) continue;
        auto rest = std::string_view(key).substr(prefix.size());
        auto dev = rest.substr(0, rest.rfind('.'));
        return dev != "all" && dev != "default";
    }
    return false;
}

bool sameAddress(const InterfaceAddress& a, const InterfaceAddress& b) {
    return a.address == b.address && a.prefixLength == b.prefixLength &&
           a.broadcast == b.broadcast && a.label == b.label && a.scope == b.scope;
}

void emitSysctls(std::string& out, Sysctls& sim, const std::map<std::string, std::string>& target,
                 bool deviceKeys) {
    auto emit = [&](const std::string& key, const std::string& value) {
        auto now = sim.all();
        auto it =
            std::find_if(now.begin(), now.end(), [&](const auto& kv) { return kv.first == key; });
        if (it != now.end() && it->second == value) return;
        // Multi-field values ("32768\t60999") are written with a space, quoted.
        std::string text = value;
        std::replace(text.begin(), text.end(), '\t', ' ');
        out += fmt::format("sysctl -w {}\n", quoteShellWord(key + "=" + text));
        sim.set(key, text);
    };
    // ip_forward first: writing it also sets every conf.*.forwarding.
    if (!deviceKeys)
        if (auto it = target.find("net.ipv4.ip_forward"); it != target.end())
            emit(it->first, it->second);
    for (const auto& [key, value] : target)
        if (isDeviceKey(key) == deviceKeys) emit(key, value);
}

void emitQdisc(std::string& out, const InterfaceConfig& i) {
    const QdiscConfig& q = *i.qdisc;
    std::string line = fmt::format("tc qdisc add dev {} root {}", i.name, qdiscKindName(q.kind));
    switch (q.kind) {
    case QdiscKind::Pfifo:
    case QdiscKind::Bfifo:
        if (q.limit) line += fmt::format(" limit {}", *q.limit);
        break;
    case QdiscKind::Tbf:
        line += fmt::format(" rate {}bps burst {}", q.rateBytesPerSec, q.burstBytes);
        if (q.latency) line += " latency " + tcTime(*q.latency);
        if (q.limit) line += fmt::format(" limit {}", *q.limit);
        break;
    case QdiscKind::FqCodel:
        if (q.limit) line += fmt::format(" limit {}", *q.limit);
        if (q.flows) line += fmt::format(" flows {}", *q.flows);
        if (q.target) line += " target " + tcTime(*q.target);
        if (q.interval) line += " interval " + tcTime(*q.interval);
        break;
    case QdiscKind::PfifoFast:
    case QdiscKind::Noqueue:
        break;
    }
    out += line + "\n";
}

std::string routeLine(const RouteConfig& r, bool append) {
    // A second route to the same destination, table and metric can only be appended.
    std::string line = append ? "ip route append" : "ip route add";
    if (r.type != RouteType::Unicast) line += fmt::format(" {}", routeTypeName(r.type));
    line += r.destination.length == 0 && r.destination.address.isAny()
                ? std::string(" default")
                : " " + r.destination.toString();
    if (r.gateway) line += " via " + r.gateway->toString();
    if (!r.device.empty()) line += " dev " + quoteShellWord(r.device);
    if (r.prefsrc) line += " src " + r.prefsrc->toString();
    if (r.metric != 0) line += fmt::format(" metric {}", r.metric);
    std::uint32_t defaultTable =
        r.type == RouteType::Local || r.type == RouteType::Broadcast ? 255 : 254;
    if (r.table != defaultTable) {
        if (r.table == 254)
            line += " table main";
        else if (r.table == 255)
            line += " table local";
        else
            line += fmt::format(" table {}", r.table);
    }
    if (r.protocol != "boot") line += " proto " + quoteShellWord(r.protocol);
    RouteScope defaultScope = RouteScope::Universe;
    if (r.type == RouteType::Local)
        defaultScope = RouteScope::Host;
    else if (r.type == RouteType::Broadcast || (r.type == RouteType::Unicast && !r.gateway))
        defaultScope = RouteScope::Link;
    if (r.scope != defaultScope) line += fmt::format(" scope {}", routeScopeName(r.scope));
    return line;
}

} // namespace

std::string writeScenario(const HostConfig& h) {
    std::string out;
    const HostConfig base = HostConfig::withLoopback();
    if (h.hostname != base.hostname) out += "hostname " + quoteShellWord(h.hostname) + "\n";
    if (h.cpus != base.cpus) out += fmt::format("cpus {}\n", h.cpus);

    std::map<std::string, std::string> target;
    for (auto& [k, v] : h.sysctls.all())
        target[k] = v;
    Sysctls sim = base.sysctls;
    emitSysctls(out, sim, target, false);

    // Links in ifindex order, so the reader hands out the same ifindexes and MACs.
    std::vector<const InterfaceConfig*> links;
    for (const auto& i : h.interfaces)
        links.push_back(&i);
    std::sort(links.begin(), links.end(), [](auto* a, auto* b) { return a->ifindex < b->ifindex; });
    HostConfig scratch = base;
    for (const InterfaceConfig* i : links) {
        const InterfaceConfig* fresh = scratch.findInterface(i->name);
        std::string name = quoteShellWord(i->name);
        if (!fresh) {
            if (i->kind == LinkKind::Veth || i->kind == LinkKind::Dummy)
                out += fmt::format("ip link add {}{} type {}\n", name,
                                   i->numTxQueues ? fmt::format(" numtxqueues {}", *i->numTxQueues)
                                                  : std::string(),
                                   i->kind == LinkKind::Veth ? "veth" : "dummy");
            fresh = &scratch.ensureInterface(i->name, i->kind);
            sim.addDevice(i->name);
        }
        std::string attrs;
        if (i->mac != fresh->mac) attrs += " address " + i->mac.toString();
        if (i->mtu != fresh->mtu) attrs += fmt::format(" mtu {}", i->mtu);
        if (i->txqueuelen != fresh->txqueuelen)
            attrs += fmt::format(" txqueuelen {}", i->txqueuelen);
        if (i->promisc != fresh->promisc) attrs += i->promisc ? " promisc on" : " promisc off";
        if (i->up != fresh->up) attrs += i->up ? " up" : " down";
        bool created =
            i->kind == LinkKind::Veth || i->kind == LinkKind::Dummy || base.findInterface(i->name);
        if (!attrs.empty() || !created) out += fmt::format("ip link set dev {}{}\n", name, attrs);
    }
    emitSysctls(out, sim, target, true);

    for (const InterfaceConfig* i : links) {
        std::size_t skip = 0;
        if (const InterfaceConfig* b = base.findInterface(i->name)) {
            // lo starts with 127.0.0.1/8; keep it or take it away as the file did.
            bool keeps =
                !i->addresses.empty() && sameAddress(i->addresses.front(), b->addresses.front());
            if (keeps)
                skip = 1;
            else
                out += fmt::format("ip addr del {}/{} dev {}\n",
                                   b->addresses.front().address.toString(),
                                   b->addresses.front().prefixLength, i->name);
        }
        for (std::size_t k = skip; k < i->addresses.size(); ++k) {
            const auto& a = i->addresses[k];
            std::string line =
                fmt::format("ip addr add {}/{}", a.address.toString(), a.prefixLength);
            if (a.broadcast) line += " brd " + a.broadcast->toString();
            auto defaultScope = a.address.isLoopback() ? InterfaceAddress::Scope::Host
                                                       : InterfaceAddress::Scope::Global;
            if (a.scope != defaultScope) line += fmt::format(" scope {}", addrScopeName(a.scope));
            if (a.label != i->name) line += " label " + quoteShellWord(a.label);
            out += line + " dev " + quoteShellWord(i->name) + "\n";
        }
    }
    for (std::size_t k = 0; k < h.routes.size(); ++k) {
        const RouteConfig& r = h.routes[k];
        bool append = std::any_of(
            h.routes.begin(), h.routes.begin() + std::ptrdiff_t(k), [&](const RouteConfig& x) {
                return x.table == r.table && x.destination == r.destination && x.metric == r.metric;
            });
        out += routeLine(r, append) + "\n";
    }
    for (const auto& n : h.neighbours) {
        out += fmt::format("ip neigh add {}{} dev {} nud {}\n", n.address.toString(),
                           n.lladdr ? " lladdr " + n.lladdr->toString() : std::string(),
                           quoteShellWord(n.device), neighStateName(n.state));
    }
    for (const InterfaceConfig* i : links) {
        const InterfaceConfig fresh;
        if (i->kind == LinkKind::Ethernet &&
            (i->rxRing != fresh.rxRing || i->txRing != fresh.txRing))
            out += fmt::format("ethtool -G {} rx {} tx {}\n", quoteShellWord(i->name), i->rxRing,
                               i->txRing);
        if (i->gro != fresh.gro)
            out += fmt::format("ethtool -K {} gro {}\n", quoteShellWord(i->name),
                               i->gro ? "on" : "off");
        if (i->qdisc) emitQdisc(out, *i);
    }
    for (const auto& s : h.sockets) {
        bool udp = s.protocol == SocketProtocol::Udp;
        std::string line =
            fmt::format("socket {} {} {}:{}", udp ? "udp" : "tcp", s.listen ? "listen" : "bind",
                        s.bindAddress.toString(), s.port);
        if (s.listen && s.backlog != SocketConfig{}.backlog)
            line += fmt::format(" backlog {}", s.backlog);
        if (s.rcvbuf) line += fmt::format(" rcvbuf {}", *s.rcvbuf);
        if (s.sndbuf) line += fmt::format(" sndbuf {}", *s.sndbuf);
        if (s.read == SocketConfig::ReadMode::None)
            line += " read none";
        else if (s.read == SocketConfig::ReadMode::Rate)
            line += fmt::format(" read {}/s", s.readRate);
        if (!s.device.empty()) line += " dev " + quoteShellWord(s.device);
        if (s.connectAddress && s.connectPort)
            line += fmt::format(" connect {}:{}", s.connectAddress->toString(), *s.connectPort);
        out += line + "\n";
    }
    const SendConfig defaults;
    for (const auto& s : h.sends) {
        std::string line =
            fmt::format("send udp {}:{}", s.destination.toString(), s.destinationPort);
        if (s.source || s.sourcePort) {
            line += " from " + s.source.value_or(Ipv4Address{}).toString();
            if (s.sourcePort) line += fmt::format(":{}", *s.sourcePort);
        }
        if (s.count != defaults.count) line += fmt::format(" count {}", s.count);
        if (s.interval != defaults.interval) line += " interval " + duration(s.interval);
        if (s.payloadSize != defaults.payloadSize) line += fmt::format(" size {}", s.payloadSize);
        if (s.start != defaults.start) line += " at " + duration(s.start);
        if (s.dontFragment != defaults.dontFragment) line += s.dontFragment ? " df on" : " df off";
        if (s.sndbuf) line += fmt::format(" sndbuf {}", *s.sndbuf);
        if (s.nonBlocking) line += " nonblock on";
        out += line + "\n";
    }
    for (const auto& c : h.connects) {
        std::string line =
            fmt::format("connect tcp {}:{}", c.destination.toString(), c.destinationPort);
        if (c.source || c.sourcePort) {
            line += " from " + c.source.value_or(Ipv4Address{}).toString();
            if (c.sourcePort) line += fmt::format(":{}", *c.sourcePort);
        }
        if (c.start != 0) line += " at " + duration(c.start);
        if (c.sendBytes != 0) line += fmt::format(" send {}", c.sendBytes);
        if (c.close) line += " close";
        out += line + "\n";
    }
    for (const auto& t : h.taps) {
        out += "tcpdump -i " + quoteShellWord(t.device);
        if (!t.filter.empty()) out += " " + t.filter;
        out += "\n";
    }
    for (const auto& in : h.iptables) {
        if (in.kind == IptablesInput::Kind::Command) {
            if (!in.text.empty()) {
                out += in.text + "\n";
            } else {
                std::string line;
                for (const auto& w : in.argv)
                    line += (line.empty() ? "" : " ") + quoteShellWord(w);
                out += line + "\n";
            }
            continue;
        }
        std::string delimiter = "EOF";
        for (int n = 2; ("\n" + in.text).find("\n" + delimiter + "\n") != std::string::npos; ++n)
            delimiter = fmt::format("EOF{}", n);
        std::string command;
        for (const auto& w : in.argv)
            command += (command.empty() ? "" : " ") + quoteShellWord(w);
        if (command.empty()) command = "iptables-restore";
        out += fmt::format("{} <<'{}'\n{}", command, delimiter, in.text);
        if (!in.text.empty() && in.text.back() != '\n') out += "\n";
        out += delimiter + "\n";
    }
    return out;
}

} // namespace stackscope::scenario
