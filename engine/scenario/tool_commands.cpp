// SPDX-License-Identifier: GPL-3.0-or-later
// sysctl, ethtool and tc lines, with the messages procps, ethtool and tc print.
#include "scenario/commands.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <strings.h>

namespace stackscope::scenario::detail {
namespace {

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

std::string procPath(std::string key) {
    for (auto& ch : key)
        if (ch == '.') ch = '/';
    return "/proc/sys/" + key;
}

// strtod over the whole number part, then the rest as a unit suffix.
std::optional<std::pair<double, std::string>> numberAndUnit(std::string_view text) {
    std::string s(text);
    if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.'))
        return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || v < 0 || !std::isfinite(v)) return std::nullopt;
    return std::pair{v, std::string(end)};
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

// tc's get_rate64: a bare number is bits per second; "bps" means bytes per second.
std::optional<std::uint64_t> parseTcRate(std::string_view text) {
    auto nu = numberAndUnit(text);
    if (!nu) return std::nullopt;
    static const std::pair<std::string_view, double> kSuffixes[] = {
        {"bit", 1.},
        {"kibit", 1024.},
        {"kbit", 1000.},
        {"mibit", 1024. * 1024},
        {"mbit", 1e6},
        {"gibit", 1024. * 1024 * 1024},
        {"gbit", 1e9},
        {"tibit", 1024. * 1024 * 1024 * 1024},
        {"tbit", 1e12},
        {"bps", 8.},
        {"kibps", 8. * 1024},
        {"kbps", 8000.},
        {"mibps", 8. * 1024 * 1024},
        {"mbps", 8e6},
        {"gibps", 8. * 1024 * 1024 * 1024},
        {"gbps", 8e9},
        {"tibps", 8. * 1024 * 1024 * 1024 * 1024},
        {"tbps", 8e12}};
    double bits = nu->first;
    if (!nu->second.empty()) {
        bool found = false;
        for (auto [name, scale] : kSuffixes)
            if (iequals(nu->second, name)) {
                bits *= scale;
                found = true;
                break;
            }
        if (!found) return std::nullopt;
    }
    return std::uint64_t(bits / 8);
}

// tc's get_size: bytes, with k/m/g (binary) and kbit/mbit/gbit suffixes.
std::optional<std::uint32_t> parseTcSize(std::string_view text) {
    auto nu = numberAndUnit(text);
    if (!nu) return std::nullopt;
    double v = nu->first;
    const std::string& u = nu->second;
    if (u.empty() || iequals(u, "b")) {
    } else if (iequals(u, "k") || iequals(u, "kb"))
        v *= 1024;
    else if (iequals(u, "m") || iequals(u, "mb"))
        v *= 1024. * 1024;
    else if (iequals(u, "g") || iequals(u, "gb"))
        v *= 1024. * 1024 * 1024;
    else if (iequals(u, "kbit"))
        v *= 1024. / 8;
    else if (iequals(u, "mbit"))
        v *= 1024. * 1024 / 8;
    else if (iequals(u, "gbit"))
        v *= 1024. * 1024 * 1024 / 8;
    else
        return std::nullopt;
    if (v > double(UINT32_MAX)) return std::nullopt;
    return std::uint32_t(v);
}

// tc's get_time: microseconds when bare, with s/ms/us suffixes.
std::optional<Nanos> parseTcTime(std::string_view text) {
    auto nu = numberAndUnit(text);
    if (!nu) return std::nullopt;
    const std::string& u = nu->second;
    double us = nu->first;
    if (u == "s" || u == "sec" || u == "secs")
        us *= 1e6;
    else if (u == "ms" || u == "msec" || u == "msecs")
        us *= 1e3;
    else if (!(u.empty() || u == "us" || u == "usec" || u == "usecs"))
        return std::nullopt;
    return Nanos(std::llround(us)) * kMicrosecond;
}

void runSysctl(HostConfig& host, Words args, Errors& errors) {
    bool write = false;
    std::vector<std::string> settings;
    for (const auto& a : args) {
        if (a == "-w" || a == "--write")
            write = true;
        else if (a == "-q" || a == "--quiet")
            continue; // only silences the echo of what was set
        else if (a == "-p" || a == "--load" || a == "--system")
            return errors.push_back(fmt::format(
                "sysctl {}: loading files is not supported in a scenario; write KEY=VALUE lines",
                a));
        else if (a.starts_with("-"))
            return errors.push_back(
                fmt::format("sysctl: option \"{}\" is not supported (use -w, -q)", a));
        else
            settings.push_back(a);
    }
    if (settings.empty()) return errors.push_back("sysctl: no variables specified");
    for (const auto& s : settings) {
        auto eq = s.find('=');
        if (eq == std::string::npos) {
            if (write)
                errors.push_back(fmt::format("sysctl: \"{}\" must be of the form name=value", s));
            else
                errors.push_back(
                    fmt::format("sysctl: reading \"{}\" changes nothing; write {}=VALUE", s, s));
            continue;
        }
        std::string key = trim(std::string_view(s).substr(0, eq));
        std::string value = trim(std::string_view(s).substr(eq + 1));
        for (auto& ch : key)
            if (ch == '/') ch = '.';
        if (key.empty()) {
            errors.push_back(fmt::format("sysctl: malformed setting \"{}\"", s));
            continue;
        }
        auto err = host.sysctls.set(key, value);
        if (!err) continue;
        if (*err == Sysctls::SetError::UnknownKey)
            errors.push_back(
                fmt::format("sysctl: cannot stat {}: No such file or directory", procPath(key)));
        else
            errors.push_back(fmt::format("sysctl: setting key \"{}\": Invalid argument", key));
    }
}

void runEthtool(HostConfig& host, Words args, Errors& errors) {
    if (args.empty()) return errors.push_back("ethtool: bad command line argument(s)");
    const std::string& opt = args[0];
    bool ring = opt == "-G" || opt == "--set-ring";
    bool features = opt == "-K" || opt == "--offload" || opt == "--features";
    if (!ring && !features) {
        if (opt.starts_with("-"))
            return errors.push_back(fmt::format(
                "ethtool {} is not modelled (supported: -G/--set-ring, -K/--offload/--features)",
                opt));
        return errors.push_back(
            "ethtool with only a device prints state; a scenario only configures (use -G or -K)");
    }
    if (args.size() < 2) return errors.push_back("ethtool: bad command line argument(s)");
    const std::string& dev = args[1];
    InterfaceConfig* i = host.findInterface(dev);
    if (!i) {
        return errors.push_back(fmt::format("Cannot get device {}: No such device ({})",
                                            ring ? "ring settings" : "feature names", dev));
    }
    if (args.size() < 4 || (args.size() - 2) % 2 != 0)
        return errors.push_back(
            "ethtool: bad command line argument(s): parameters come in NAME VALUE pairs");
    if (ring) {
        if (i->kind != LinkKind::Ethernet)
            return errors.push_back(fmt::format("Cannot set device ring parameters: Operation not "
                                                "supported ({} is a {} link without a NIC ring)",
                                                dev, linkKindName(i->kind)));
        std::optional<std::uint32_t> rx, tx;
        for (std::size_t k = 2; k < args.size(); k += 2) {
            const auto& name = args[k];
            auto n = parseU32(args[k + 1]);
            if (name != "rx" && name != "tx") {
                if (name == "rx-mini" || name == "rx-jumbo" || name == "rx-buf-len" ||
                    name == "cqe-size" || name == "tx-push" || name == "rx-push")
                    return errors.push_back(
                        fmt::format("ethtool -G: \"{}\" is not modelled (only rx and tx)", name));
                return errors.push_back(
                    fmt::format("ethtool: bad command line argument(s): \"{}\"{}", name,
                                didYouMean(name, {"rx", "tx"})));
            }
            if (!n)
                return errors.push_back(fmt::format(
                    "ethtool: bad command line argument(s): \"{}\" is not a number", args[k + 1]));
            // The modelled NIC's limits: at least one descriptor, at most 4096 as common NICs
            // allow.
            if (*n < 1 || *n > 4096)
                return errors.push_back(fmt::format("Cannot set device ring parameters: Invalid "
                                                    "argument ({} {} is outside 1..4096)",
                                                    name, *n));
            (name == "rx" ? rx : tx) = *n;
        }
        if (rx) i->rxRing = *rx;
        if (tx) i->txRing = *tx;
        return;
    }
    std::optional<bool> gro;
    for (std::size_t k = 2; k < args.size(); k += 2) {
        const auto& name = args[k];
        auto on = parseOnOff(args[k + 1]);
        if (!on)
            return errors.push_back(fmt::format(
                "ethtool: bad command line argument(s): \"{}\" must be on or off", args[k + 1]));
        if (name == "gro" || name == "generic-receive-offload") {
            gro = *on;
            continue;
        }
        static constexpr std::string_view kKnown[] = {"rx",
                                                      "tx",
                                                      "sg",
                                                      "tso",
                                                      "ufo",
                                                      "gso",
                                                      "lro",
                                                      "rxvlan",
                                                      "txvlan",
                                                      "ntuple",
                                                      "rxhash",
                                                      "highdma",
                                                      "rx-gro-hw",
                                                      "rx-gro-list",
                                                      "rx-udp-gro-forwarding",
                                                      "rx-checksumming",
                                                      "tx-checksumming",
                                                      "scatter-gather",
                                                      "tcp-segmentation-offload",
                                                      "generic-segmentation-offload",
                                                      "large-receive-offload",
                                                      "rx-vlan-filter",
                                                      "loopback",
                                                      "rx-fcs",
                                                      "rx-all",
                                                      "hw-tc-offload",
                                                      "tx-udp-segmentation"};
        for (auto known : kKnown)
            if (name == known)
                return errors.push_back(
                    fmt::format("ethtool -K: feature \"{}\" is not modelled (only gro is)", name));
        return errors.push_back(fmt::format("ethtool: unknown feature \"{}\"{}", name,
                                            didYouMean(name, {"gro", "gso", "tso", "lro"})));
    }
    if (gro) i->gro = *gro;
}

namespace {

bool parseQdiscParams(QdiscKind kind, std::string_view kindName, ArgCursor& c, QdiscConfig& q,
                      Errors& errors) {
    auto what = [&](const std::string& w) {
        errors.push_back(fmt::format("{}: unknown parameter \"{}\"", kindName, w));
        return false;
    };
    switch (kind) {
    case QdiscKind::PfifoFast:
    case QdiscKind::Noqueue:
        if (!c.done())
            return errors.push_back(
                       fmt::format("qdisc '{}' does not support option parsing", kindName)),
                   false;
        return true;
    case QdiscKind::Pfifo:
    case QdiscKind::Bfifo:
        while (!c.done()) {
            std::string w = c.take();
            if (w != "limit") return what(w);
            auto v = c.value();
            if (!v) return errors.push_back(std::string(kIncomplete)), false;
            auto n = kind == QdiscKind::Bfifo ? parseTcSize(*v) : parseU32(*v);
            if (!n)
                return errors.push_back(
                           fmt::format("{}: Illegal value for \"limit\": \"{}\"", kindName, *v)),
                       false;
            q.limit = *n;
        }
        return true;
    case QdiscKind::Tbf: {
        while (!c.done()) {
            std::string w = c.take();
            bool known = w == "rate" || w == "burst" || w == "buffer" || w == "maxburst" ||
                         w == "limit" || w == "latency";
            if (!known) {
                if (w == "peakrate" || w == "mtu" || w == "minburst" || w == "overhead" ||
                    w == "linklayer" || w == "mpu")
                    return errors.push_back(fmt::format("tbf: \"{}\" is not modelled (supported: "
                                                        "rate, burst, latency, limit)",
                                                        w)),
                           false;
                errors.push_back(fmt::format("What is \"{}\"?{}", w,
                                             didYouMean(w, {"rate", "burst", "latency", "limit"})));
                return false;
            }
            auto v = c.value();
            if (!v) return errors.push_back(std::string(kIncomplete)), false;
            if (w == "rate") {
                auto r = parseTcRate(*v);
                if (!r || *r == 0) return errors.push_back("Illegal \"rate\""), false;
                q.rateBytesPerSec = *r;
            } else if (w == "limit") {
                auto n = parseTcSize(*v);
                if (!n) return errors.push_back("Illegal \"limit\""), false;
                q.limit = *n;
            } else if (w == "latency") {
                auto t = parseTcTime(*v);
                if (!t) return errors.push_back("Illegal \"latency\""), false;
                q.latency = *t;
            } else {
                if (v->find('/') != std::string::npos)
                    return errors.push_back("tbf: a cell size after \"burst\" is not modelled"),
                           false;
                auto n = parseTcSize(*v);
                if (!n) return errors.push_back("Illegal \"burst\""), false;
                q.burstBytes = *n;
            }
        }
        if (q.rateBytesPerSec == 0)
            return errors.push_back("tbf: the \"rate\" parameter is mandatory."), false;
        if (q.burstBytes == 0)
            return errors.push_back("tbf: the \"burst\" parameter is mandatory."), false;
        if (!q.limit && !q.latency)
            return errors.push_back("tbf: either \"limit\" or \"latency\" is required."), false;
        if (q.limit && q.latency)
            return errors.push_back(
                       "tbf: specifying both \"limit\" and \"latency\" is not allowed."),
                   false;
        return true;
    }
    case QdiscKind::FqCodel:
        while (!c.done()) {
            std::string w = c.take();
            if (w == "quantum" || w == "ecn" || w == "noecn" || w == "ce_threshold" ||
                w == "memory_limit" || w == "drop_batch" || w == "ce_threshold_selector")
                return errors.push_back(fmt::format("fq_codel: \"{}\" is not modelled (supported: "
                                                    "limit, flows, target, interval)",
                                                    w)),
                       false;
            if (w != "limit" && w != "flows" && w != "target" && w != "interval") {
                errors.push_back(
                    fmt::format("What is \"{}\"?{}", w,
                                didYouMean(w, {"limit", "flows", "target", "interval"})));
                return false;
            }
            auto v = c.value();
            if (!v) return errors.push_back(std::string(kIncomplete)), false;
            if (w == "limit" || w == "flows") {
                auto n = parseU32(*v);
                if (!n || *n == 0) return errors.push_back(fmt::format("Illegal \"{}\"", w)), false;
                (w == "limit" ? q.limit : q.flows) = *n;
            } else {
                auto t = parseTcTime(*v);
                if (!t) return errors.push_back(fmt::format("Illegal \"{}\"", w)), false;
                (w == "target" ? q.target : q.interval) = *t;
            }
        }
        return true;
    }
    return true;
}

std::optional<QdiscKind> qdiscKindFromName(std::string_view name) {
    for (auto k : {QdiscKind::PfifoFast, QdiscKind::Pfifo, QdiscKind::Bfifo, QdiscKind::Tbf,
                   QdiscKind::FqCodel, QdiscKind::Noqueue})
        if (qdiscKindName(k) == name) return k;
    return std::nullopt;
}

} // namespace

void runTc(HostConfig& host, Words args, Errors& errors) {
    ArgCursor c(args);
    if (c.done()) return errors.push_back("tc: give an object (only \"qdisc\" is modelled)");
    std::string obj = c.take();
    if (!matches(obj, "qdisc")) {
        if (matches(obj, "class") || matches(obj, "filter") || matches(obj, "action") ||
            obj == "chain")
            return errors.push_back(fmt::format("tc {} is not modelled (only a root qdisc)", obj));
        return errors.push_back(fmt::format("Object \"{}\" is unknown, try \"tc help\".{}", obj,
                                            didYouMean(obj, {"qdisc"})));
    }
    if (c.done()) return errors.push_back("tc qdisc show prints state; a scenario only configures");
    std::string op = c.take();
    enum class Op { Add, Replace, Change, Del } o;
    if (matches(op, "add"))
        o = Op::Add;
    else if (matches(op, "replace"))
        o = Op::Replace;
    else if (matches(op, "change"))
        o = Op::Change;
    else if (matches(op, "delete"))
        o = Op::Del;
    else if (matches(op, "show") || matches(op, "list") || op == "ls")
        return errors.push_back("tc qdisc show prints state; a scenario only configures");
    else
        return errors.push_back(
            fmt::format("Command \"{}\" is unknown, try \"tc qdisc help\".{}", op,
                        didYouMean(op, {"add", "replace", "change", "delete"})));

    std::string dev, kindName;
    bool root = false;
    while (!c.done() && kindName.empty()) {
        std::string w = c.take();
        if (w == "dev") {
            auto v = c.value();
            if (!v) return errors.push_back(std::string(kIncomplete));
            if (!dev.empty())
                return errors.push_back(
                    fmt::format("Error: duplicate \"dev\": \"{}\" is the second value.", *v));
            dev = *v;
        } else if (w == "root") {
            root = true;
        } else if (w == "parent" || w == "ingress" || w == "clsact" || w == "handle" ||
                   w == "estimator" || w == "stab" || w == "ingress_block" || w == "egress_block") {
            return errors.push_back(fmt::format("tc qdisc: \"{}\" is not modelled (only one root "
                                                "qdisc: tc qdisc add dev DEV root KIND)",
                                                w));
        } else {
            kindName = w;
        }
    }
    if (dev.empty()) return errors.push_back("tc qdisc: \"dev DEV\" is required");
    if (!root) return errors.push_back("tc qdisc: give \"root\" (only the root qdisc is modelled)");
    InterfaceConfig* i = host.findInterface(dev);
    if (!i) return errors.push_back(cannotFindDevice(dev));

    if (o == Op::Del) {
        if (!c.done()) return errors.push_back(fmt::format("What is \"{}\"?", c.peek()));
        if (!i->qdisc) return errors.push_back("Error: Cannot delete qdisc with handle of zero.");
        if (!kindName.empty() && kindName != qdiscKindName(i->qdisc->kind))
            return errors.push_back("Error: Invalid qdisc name.");
        i->qdisc.reset();
        return;
    }
    if (kindName.empty())
        return errors.push_back(
            "tc qdisc: give the qdisc kind (pfifo, bfifo, pfifo_fast, noqueue, tbf, fq_codel)");
    auto kind = qdiscKindFromName(kindName);
    if (!kind) {
        static constexpr std::string_view kKnownKinds[] = {
            "fq",  "htb", "hfsc",  "prio", "sfq",    "netem",   "cake",   "red",    "mq",
            "drr", "qfq", "codel", "pie",  "fq_pie", "multiq",  "mqprio", "taprio", "etf",
            "cbs", "sfb", "choke", "gred", "hhf",    "skbprio", "plug",   "ets"};
        for (auto k : kKnownKinds)
            if (kindName == k)
                return errors.push_back(
                    fmt::format("qdisc \"{}\" is not modelled (supported: pfifo, bfifo, "
                                "pfifo_fast, noqueue, tbf, fq_codel)",
                                kindName));
        auto hint =
            didYouMean(kindName, {"pfifo", "bfifo", "pfifo_fast", "noqueue", "tbf", "fq_codel"});
        if (c.done()) return errors.push_back("Error: Specified qdisc kind is unknown." + hint);
        return errors.push_back(fmt::format(
            "Unknown qdisc \"{}\", hence option \"{}\" is unparsable{}", kindName, c.peek(), hint));
    }
    QdiscConfig q;
    q.kind = *kind;
    if (!parseQdiscParams(*kind, kindName, c, q, errors)) return;
    if (o == Op::Add && i->qdisc)
        return errors.push_back("Error: Exclusivity flag on, cannot modify.");
    if (o == Op::Change && (!i->qdisc || i->qdisc->kind != *kind))
        return errors.push_back("Error: Specified qdisc not found.");
    i->qdisc = q;
}

} // namespace stackscope::scenario::detail
