// SPDX-License-Identifier: GPL-3.0-or-later
// Stackscope's own lines: `socket` (a process's socket), `send` (a process
// calling sendto), `connect` (a process opening a TCP connection) and
// `tcpdump` (an AF_PACKET tap).
#include "scenario/commands.h"

#include <fmt/format.h>

namespace stackscope::scenario::detail {
namespace {

// inet_bind with SO_REUSEADDR off: the same port conflicts when either side is
// the wildcard address or both are equal, unless bound to different devices.
bool conflicts(const SocketConfig& a, const SocketConfig& b) {
    if (a.protocol != b.protocol || a.port != b.port) return false;
    if (!(a.bindAddress == b.bindAddress || a.bindAddress.isAny() || b.bindAddress.isAny()))
        return false;
    return a.device.empty() || b.device.empty() || a.device == b.device;
}

std::optional<std::uint32_t> parseReadRate(std::string_view text) {
    if (!text.ends_with("/s")) return std::nullopt;
    auto n = parseU32(text.substr(0, text.size() - 2));
    if (!n || *n == 0) return std::nullopt;
    return n;
}

// `from ADDR[:PORT]` of send and connect: port 0 or none leaves the port to autobind.
bool parseSource(std::string_view text, std::optional<Ipv4Address>& source,
                 std::optional<std::uint16_t>& port) {
    if (auto full = parseAddressPort(text)) {
        source = full->first;
        if (full->second != 0) port = full->second;
        return true;
    }
    auto addr = Ipv4Address::parse(text);
    if (addr) source = *addr;
    return addr.has_value();
}

} // namespace

void runSocket(HostConfig& host, Words args, Errors& errors) {
    ArgCursor c(args);
    if (c.done())
        return errors.push_back("socket: give the protocol: socket udp bind ADDR:PORT ... or "
                                "socket tcp listen ADDR:PORT ...");
    std::string proto = c.take();
    SocketConfig s;
    if (proto == "udp")
        s.protocol = SocketProtocol::Udp;
    else if (proto == "tcp")
        s.protocol = SocketProtocol::Tcp;
    else
        return errors.push_back(fmt::format("socket: unknown protocol \"{}\" (udp or tcp){}", proto,
                                            didYouMean(proto, {"udp", "tcp"})));
    const bool udp = s.protocol == SocketProtocol::Udp;
    bool bound = false;
    const std::initializer_list<std::string_view> kUdpWords = {"bind", "rcvbuf", "sndbuf",
                                                               "read", "dev",    "connect"};
    const std::initializer_list<std::string_view> kTcpWords = {"listen", "backlog", "rcvbuf",
                                                               "sndbuf", "read",    "dev"};
    while (!c.done()) {
        std::string w = c.take();
        bool known =
            udp ? (w == "bind" || w == "rcvbuf" || w == "sndbuf" || w == "read" || w == "dev" ||
                   w == "connect")
                : (w == "listen" || w == "backlog" || w == "rcvbuf" || w == "sndbuf" || w == "read" ||
                   w == "dev");
        if (!known)
            return errors.push_back(fmt::format("socket {}: unknown option \"{}\"{}", proto, w,
                                                didYouMean(w, udp ? kUdpWords : kTcpWords)));
        auto v = c.value();
        if (!v) return errors.push_back(fmt::format("socket {}: \"{}\" needs a value", proto, w));
        if (w == "bind" || w == "listen" || w == "connect") {
            auto ap = parseAddressPort(*v);
            if (!ap)
                return errors.push_back(
                    fmt::format("socket {}: \"{}\" is not ADDRESS:PORT", proto, *v));
            if (w == "connect") {
                if (ap->second == 0 || ap->first.isAny())
                    return errors.push_back(
                        "connect: Invalid argument (the peer needs an address and a port)");
                s.connectAddress = ap->first;
                s.connectPort = ap->second;
            } else {
                if (bound)
                    return errors.push_back(
                        fmt::format("socket {}: the address is given twice", proto));
                s.bindAddress = ap->first;
                s.port = ap->second;
                s.listen = w == "listen";
                bound = true;
            }
        } else if (w == "rcvbuf" || w == "sndbuf" || w == "backlog") {
            auto n = parseU32(*v);
            if (!n || *n == 0 || *n > INT32_MAX)
                return errors.push_back(fmt::format(
                    "socket {}: {} must be a positive number, not \"{}\"", proto, w, *v));
            if (w == "rcvbuf")
                s.rcvbuf = int(*n);
            else if (w == "sndbuf")
                s.sndbuf = int(*n);
            else
                s.backlog = *n;
        } else if (w == "read") {
            if (*v == "none")
                s.read = SocketConfig::ReadMode::None;
            else if (*v == "all")
                s.read = SocketConfig::ReadMode::All;
            else if (auto r = parseReadRate(*v)) {
                s.read = SocketConfig::ReadMode::Rate;
                s.readRate = *r;
            } else
                return errors.push_back(fmt::format(
                    "socket {}: read takes none, all or a rate like 100/s, not \"{}\"", proto, *v));
        } else if (w == "dev") {
            if (!host.findInterface(*v))
                return errors.push_back(
                    fmt::format("setsockopt SO_BINDTODEVICE: No such device ({})", *v));
            s.device = *v;
        }
    }
    if (!bound)
        return errors.push_back(udp ? "socket udp: give the address with bind ADDR:PORT"
                                    : "socket tcp: give the address with listen ADDR:PORT");
    if (s.port == 0)
        return errors.push_back(fmt::format(
            "socket {}: port 0 lets the kernel pick a port; give the port the application binds",
            proto));
    if (!s.bindAddress.isAny() && !isLocalAddress(host, s.bindAddress))
        return errors.push_back("bind: Cannot assign requested address");
    for (const auto& other : host.sockets)
        if (conflicts(other, s)) return errors.push_back("bind: Address already in use");
    host.sockets.push_back(s);
}

void runSend(HostConfig& host, Words args, Errors& errors) {
    ArgCursor c(args);
    if (c.done())
        return errors.push_back("send: give the protocol and destination: send udp ADDR:PORT ...");
    std::string proto = c.take();
    if (proto == "tcp") return errors.push_back("send tcp is not modelled yet (only udp)");
    if (proto != "udp")
        return errors.push_back(fmt::format("send: unknown protocol \"{}\" (only udp){}", proto,
                                            didYouMean(proto, {"udp"})));
    SendConfig s;
    auto dst = c.value();
    if (!dst) return errors.push_back("send udp: give the destination ADDR:PORT");
    auto ap = parseAddressPort(*dst);
    if (!ap) return errors.push_back(fmt::format("send udp: \"{}\" is not ADDRESS:PORT", *dst));
    if (ap->second == 0) return errors.push_back("sendto: Invalid argument (destination port 0)");
    s.destination = ap->first;
    s.destinationPort = ap->second;
    const std::initializer_list<std::string_view> kWords = {
        "from", "count", "interval", "size", "at", "df", "sndbuf", "nonblock"};
    while (!c.done()) {
        std::string w = c.take();
        bool known = false;
        for (auto k : kWords)
            known = known || w == k;
        if (!known)
            return errors.push_back(
                fmt::format("send udp: unknown option \"{}\"{}", w, didYouMean(w, kWords)));
        auto v = c.value();
        if (!v) return errors.push_back(fmt::format("send udp: \"{}\" needs a value", w));
        if (w == "from") {
            if (!parseSource(*v, s.source, s.sourcePort))
                return errors.push_back(
                    fmt::format("send udp: \"{}\" is not ADDRESS or ADDRESS:PORT", *v));
        } else if (w == "count") {
            auto n = parseU32(*v);
            if (!n || *n == 0)
                return errors.push_back(
                    fmt::format("send udp: count must be a positive number, not \"{}\"", *v));
            s.count = *n;
        } else if (w == "interval" || w == "at") {
            auto t = parseDuration(*v);
            if (!t)
                return errors.push_back(
                    fmt::format("send udp: \"{}\" is not a duration (like 1ms, 2s, 500us)", *v));
            (w == "at" ? s.start : s.interval) = *t;
        } else if (w == "size") {
            auto n = parseU32(*v);
            if (!n)
                return errors.push_back(
                    fmt::format("send udp: size must be a number of bytes, not \"{}\"", *v));
            // 65535 minus the IPv4 and UDP headers (udp_sendmsg returns EMSGSIZE past it).
            if (*n > 65507) return errors.push_back("sendto: Message too long");
            s.payloadSize = *n;
        } else if (w == "df") {
            auto on = parseOnOff(*v);
            if (!on)
                return errors.push_back(
                    fmt::format("send udp: df takes on or off, not \"{}\"", *v));
            s.dontFragment = *on;
        } else if (w == "sndbuf") {
            auto n = parseU32(*v);
            if (!n)
                return errors.push_back(
                    fmt::format("send udp: sndbuf must be a number of bytes, not \"{}\"", *v));
            s.sndbuf = *n;
        } else if (w == "nonblock") {
            auto on = parseOnOff(*v);
            if (!on)
                return errors.push_back(
                    fmt::format("send udp: nonblock takes on or off, not \"{}\"", *v));
            s.nonBlocking = *on;
        }
    }
    if (s.source && !s.source->isAny() && !isLocalAddress(host, *s.source))
        return errors.push_back("bind: Cannot assign requested address");
    host.sends.push_back(s);
}

void runConnect(HostConfig& host, Words args, Errors& errors) {
    ArgCursor c(args);
    if (c.done())
        return errors.push_back("connect: give the protocol and destination: connect tcp ADDR:PORT ...");
    std::string proto = c.take();
    if (proto == "udp")
        return errors.push_back("connect udp: a connected UDP socket is written "
                                "socket udp bind ADDR:PORT connect ADDR:PORT");
    if (proto != "tcp")
        return errors.push_back(fmt::format("connect: unknown protocol \"{}\" (only tcp){}", proto,
                                            didYouMean(proto, {"tcp"})));
    ConnectConfig cc;
    auto dst = c.value();
    if (!dst) return errors.push_back("connect tcp: give the destination ADDR:PORT");
    auto ap = parseAddressPort(*dst);
    if (!ap) return errors.push_back(fmt::format("connect tcp: \"{}\" is not ADDRESS:PORT", *dst));
    if (ap->first.isAny())
        return errors.push_back("connect tcp: give the peer's address (0.0.0.0 is no destination)");
    if (ap->second == 0)
        return errors.push_back("connect tcp: give the peer's port (port 0 is no destination)");
    cc.destination = ap->first;
    cc.destinationPort = ap->second;
    const std::initializer_list<std::string_view> kWords = {"from", "at", "send", "close"};
    std::vector<std::string> seen;
    while (!c.done()) {
        std::string w = c.take();
        bool known = false;
        for (auto k : kWords)
            known = known || w == k;
        if (!known)
            return errors.push_back(
                fmt::format("connect tcp: unknown option \"{}\"{}", w, didYouMean(w, kWords)));
        for (const auto& s : seen)
            if (s == w)
                return errors.push_back(fmt::format("connect tcp: \"{}\" is given twice", w));
        seen.push_back(w);
        if (w == "close") {
            cc.close = true;
            continue;
        }
        auto v = c.value();
        if (!v) return errors.push_back(fmt::format("connect tcp: \"{}\" needs a value", w));
        if (w == "from") {
            if (!parseSource(*v, cc.source, cc.sourcePort))
                return errors.push_back(
                    fmt::format("connect tcp: \"{}\" is not ADDRESS or ADDRESS:PORT", *v));
        } else if (w == "at") {
            auto t = parseDuration(*v);
            if (!t)
                return errors.push_back(
                    fmt::format("connect tcp: \"{}\" is not a duration (like 1ms, 2s, 500us)", *v));
            cc.start = *t;
        } else if (w == "send") {
            auto n = parseU32(*v);
            if (!n)
                return errors.push_back(
                    fmt::format("connect tcp: send takes a number of bytes, not \"{}\"", *v));
            cc.sendBytes = *n;
        }
    }
    if (cc.source && !cc.source->isAny() && !isLocalAddress(host, *cc.source))
        return errors.push_back("bind: Cannot assign requested address");
    // bind() to a port a TCP listener holds fails as it would on Linux.
    if (cc.sourcePort)
        for (const auto& s : host.sockets)
            if (s.protocol == SocketProtocol::Tcp && s.port == *cc.sourcePort &&
                (s.bindAddress.isAny() || !cc.source || cc.source->isAny() ||
                 s.bindAddress == *cc.source))
                return errors.push_back("bind: Address already in use");
    host.connects.push_back(cc);
}

void runTcpdump(HostConfig& host, Words args, Errors& errors) {
    std::string dev;
    std::vector<std::string> filter;
    std::size_t k = 0;
    for (; k < args.size(); ++k) {
        const std::string& a = args[k];
        if (a == "--") {
            ++k;
            break;
        }
        if (a.starts_with("--interface")) {
            if (a.size() > 11 && a[11] == '=')
                dev = a.substr(12);
            else if (a.size() == 11 && k + 1 < args.size())
                dev = args[++k];
            else
                return errors.push_back("tcpdump: option requires an argument -- 'i'");
            continue;
        }
        if (a.size() < 2 || a[0] != '-') break;
        for (std::size_t j = 1; j < a.size(); ++j) {
            char o = a[j];
            if (o == 'i') {
                if (j + 1 < a.size())
                    dev = a.substr(j + 1);
                else if (k + 1 < args.size())
                    dev = args[++k];
                else
                    return errors.push_back("tcpdump: option requires an argument -- 'i'");
                break;
            }
            // Display options only change how tcpdump prints; the tap sees the same packets.
            if (o == 'n' || o == 'e' || o == 'v' || o == 'q' || o == 't' || o == 'l' || o == 'x' ||
                o == 'X' || o == 'A')
                continue;
            if (std::string_view("cwsBCGWrFyjJzZTEmMQ").find(o) != std::string_view::npos ||
                o == 'p' || o == 'U' || o == 'K' || o == 'S')
                return errors.push_back(fmt::format(
                    "tcpdump option -{} is not modelled (supported: -i, -n, -e, -v)", o));
            return errors.push_back(fmt::format("tcpdump: invalid option -- '{}'", o));
        }
    }
    for (; k < args.size(); ++k)
        filter.push_back(args[k]);
    if (dev.empty())
        return errors.push_back(
            "tcpdump: give the interface with -i (tcpdump would pick one on its own)");
    if (dev != "any" && !host.findInterface(dev))
        return errors.push_back(fmt::format("tcpdump: {}: No such device exists", dev));
    std::string text;
    for (const auto& f : filter)
        text += (text.empty() ? "" : " ") + f;
    if (!text.empty())
        return errors.push_back(fmt::format("tcpdump: capture filters are not modelled yet "
                                            "(\"{}\"); capture everything and leave the filter out",
                                            text));
    host.taps.push_back(TapConfig{dev, text});
}

} // namespace stackscope::scenario::detail
