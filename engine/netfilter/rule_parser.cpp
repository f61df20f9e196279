// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/rule_parser.h"

#include "netfilter/rule_values.h"

#include <algorithm>
#include <charconv>

namespace stackscope::netfilter {

std::vector<std::string> splitRestoreLine(std::string_view line) {
    std::vector<std::string> out;
    std::string cur;
    bool quote = false, escaped = false, have = false;
    for (char c : line) {
        if (quote) {
            if (escaped) {
                cur += c;
                escaped = false;
                continue;
            }
            if (c == '\\') {
                escaped = true;
                continue;
            }
            if (c != '"') {
                cur += c;
                continue;
            }
            quote = false; // a closing quote ends the word, even an empty one
            out.push_back(cur);
            cur.clear();
            have = false;
            continue;
        }
        if (c == '"') {
            quote = true;
            have = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (have) {
                out.push_back(cur);
                cur.clear();
                have = false;
            }
            continue;
        }
        cur += c;
        have = true;
    }
    if (have) out.push_back(cur);
    return out;
}

namespace {

struct Parser {
    const std::vector<std::string>& args;
    TableId table;
    Rule& rule;
    std::size_t i = 0;
    std::string err;
    bool haveTarget = false;
    bool markOption = false;
    std::string markOptionName;
    bool connmarkOption = false;
    bool natTo = false;
    bool commentGiven = false;
    bool icmpTypeGiven = false;

    bool fail(std::string e) {
        err = std::move(e);
        return false;
    }
    std::optional<std::string> value(const std::string& opt) {
        if (i + 1 >= args.size()) {
            err = "option \"" + opt + "\" requires an argument";
            return std::nullopt;
        }
        return args[++i];
    }

    // The flags every NAT target takes; REDIRECT knows only --random.
    bool natFlag(const std::string& opt) {
        Target& t = rule.target;
        if (opt == "--random") return (t.natRandom = true), true;
        if (t.kind == TargetKind::Redirect) return false;
        if (opt == "--random-fully") return (t.natRandomFully = true), true;
        if (opt == "--persistent" && t.kind != TargetKind::Masquerade)
            return (t.natPersistent = true), true;
        return false;
    }
    bool matchOption(Match& m, const std::string& opt, bool inv, bool& handled);
    bool targetOption(const std::string& opt, bool inv, bool& handled);
    bool loadMatch(const std::string& name);
    bool run();
};

bool Parser::loadMatch(const std::string& name) {
    static constexpr std::pair<const char*, MatchKind> kMatches[] = {
        {"tcp", MatchKind::Tcp},
        {"udp", MatchKind::Udp},
        {"icmp", MatchKind::Icmp},
        {"multiport", MatchKind::Multiport},
        {"conntrack", MatchKind::Conntrack},
        {"state", MatchKind::State},
        {"mark", MatchKind::Mark},
        {"comment", MatchKind::Comment},
        {"limit", MatchKind::Limit},
        {"iprange", MatchKind::IpRange},
        {"addrtype", MatchKind::AddrType},
        {"length", MatchKind::Length},
        {"ttl", MatchKind::Ttl},
        {"pkttype", MatchKind::PktType}};
    for (auto& [n, kind] : kMatches) {
        if (name == n) {
            Match m;
            m.kind = kind;
            if (kind == MatchKind::Limit) {
                m.limitAvg = 10000u * 3600u / 3u; // default 3/hour
            }
            rule.matches.push_back(std::move(m));
            return true;
        }
    }
    return fail("Couldn't load match `" + name + "':No such file or directory\n");
}

bool Parser::matchOption(Match& m, const std::string& opt, bool inv, bool& handled) {
    handled = true;
    switch (m.kind) {
    case MatchKind::Tcp:
    case MatchKind::Udp:
        if (opt == "--sport" || opt == "--source-port" || opt == "--dport" ||
            opt == "--destination-port") {
            auto v = value(opt);
            if (!v) return false;
            bool src = opt == "--sport" || opt == "--source-port";
            if (src) {
                m.hasSport = true;
                m.invSport = inv;
                return parsePortRange(*v, m.sportLo, m.sportHi, err);
            }
            m.hasDport = true;
            m.invDport = inv;
            return parsePortRange(*v, m.dportLo, m.dportHi, err);
        }
        if (m.kind == MatchKind::Tcp && opt == "--syn") {
            m.hasFlags = true;
            m.invFlags = inv;
            m.flagMask = 0x17;
            m.flagComp = 0x02;
            return true;
        }
        if (m.kind == MatchKind::Tcp && opt == "--tcp-flags") {
            if (i + 2 >= args.size() || args[i + 2].empty() || args[i + 2][0] == '-' ||
                args[i + 2][0] == '!')
                return fail("--tcp-flags requires two args.");
            m.hasFlags = true;
            m.invFlags = inv;
            if (!parseTcpFlags(args[i + 1], m.flagMask, err)) return false;
            if (!parseTcpFlags(args[i + 2], m.flagComp, err)) return false;
            i += 2;
            return true;
        }
        break;
    case MatchKind::Icmp:
        if (opt == "--icmp-type") {
            auto v = value(opt);
            if (!v) return false;
            m.invert = inv;
            icmpTypeGiven = true;
            return parseIcmpType(*v, m, err);
        }
        break;
    case MatchKind::Multiport:
        if (opt == "--sports" || opt == "--source-ports" || opt == "--dports" ||
            opt == "--destination-ports" || opt == "--ports") {
            auto v = value(opt);
            if (!v) return false;
            m.invert = inv;
            m.mpMode = opt == "--ports" ? MultiportMode::Either
                       : (opt == "--sports" || opt == "--source-ports")
                           ? MultiportMode::Source
                           : MultiportMode::Destination;
            m.portCount = 0;
            std::string_view list = *v;
            std::size_t start = 0;
            while (true) {
                auto comma = list.find(',', start);
                auto word =
                    list.substr(start, comma == std::string_view::npos ? list.npos : comma - start);
                std::uint16_t lo = 0, hi = 0;
                bool range = word.find(':') != std::string_view::npos;
                if (!parsePortRange(word, lo, hi, err)) return false;
                if (range && lo >= hi) return fail("invalid portrange specified");
                if (m.portCount + (range ? 2 : 1) > 15) return fail("too many ports specified");
                if (range) {
                    m.rangeStart[m.portCount] = true;
                    m.ports[m.portCount++] = lo;
                    m.ports[m.portCount++] = hi;
                } else {
                    m.ports[m.portCount++] = lo;
                }
                if (comma == std::string_view::npos) break;
                start = comma + 1;
            }
            return true;
        }
        break;
    case MatchKind::Conntrack:
    case MatchKind::State:
        if ((m.kind == MatchKind::Conntrack && opt == "--ctstate") ||
            (m.kind == MatchKind::State && opt == "--state")) {
            auto v = value(opt);
            if (!v) return false;
            m.invert = inv;
            return parseStates(*v, m.kind == MatchKind::Conntrack, m.stateMask, err);
        }
        break;
    case MatchKind::Mark:
        if (opt == "--mark") {
            auto v = value(opt);
            if (!v) return false;
            bool hasMask = false;
            m.invert = inv;
            if (!parseMarkMask(*v, m.markValue, m.markMask, hasMask))
                return fail("mark: trailing garbage after value for option \"--mark\".\n");
            return true;
        }
        break;
    case MatchKind::Comment:
        if (opt == "--comment") {
            auto v = value(opt);
            if (!v) return false;
            m.comment = v->substr(0, 255);
            commentGiven = true; // xt_comment keeps 255 bytes; iptables-nft truncates silently
            return true;
        }
        break;
    case MatchKind::Limit:
        if (opt == "--limit") {
            auto v = value(opt);
            if (!v) return false;
            if (!parseRate(*v, m.limitAvg)) return fail("bad rate \"" + *v + "\"'");
            if (m.limitAvg == 0) return fail("Rate too fast \"" + *v + "\"");
            return true;
        }
        if (opt == "--limit-burst") {
            auto v = value(opt);
            if (!v) return false;
            auto b = parseDecimal(*v, 10000);
            if (!b)
                return fail(
                    "limit: bad value for option \"--limit-burst\", or out of range (0-10000).\n");
            m.limitBurst = *b;
            return true;
        }
        break;
    case MatchKind::IpRange:
        if (opt == "--src-range" || opt == "--dst-range") {
            auto v = value(opt);
            if (!v) return false;
            auto dash = v->find('-');
            auto lo = wire::Ipv4Address::parse(std::string_view(*v).substr(0, dash));
            auto hi = dash == std::string::npos
                          ? lo
                          : wire::Ipv4Address::parse(std::string_view(*v).substr(dash + 1));
            if (!lo || !hi) return fail("iprange match: Bad IP address \"" + *v + "\"");
            if (opt == "--src-range") {
                m.hasSrcRange = true;
                m.invSrcRange = inv;
                m.srcLo = lo->value;
                m.srcHi = hi->value;
            } else {
                m.hasDstRange = true;
                m.invDstRange = inv;
                m.dstLo = lo->value;
                m.dstHi = hi->value;
            }
            return true;
        }
        break;
    case MatchKind::AddrType:
        if (opt == "--src-type" || opt == "--dst-type") {
            auto v = value(opt);
            if (!v) return false;
            if (opt == "--src-type") {
                m.invSrcType = inv;
                return parseAddrTypes(*v, m.srcTypes, err);
            }
            m.invDstType = inv;
            return parseAddrTypes(*v, m.dstTypes, err);
        }
        if (opt == "--limit-iface-in" || opt == "--limit-iface-out") {
            if (m.limitIfaceIn || m.limitIfaceOut)
                return fail("addrtype: option \"--limit-iface-in\" cannot be used together with "
                            "\"--limit-iface-out\".\n");
            (opt == "--limit-iface-in" ? m.limitIfaceIn : m.limitIfaceOut) = true;
            return true;
        }
        break;
    case MatchKind::Length:
        if (opt == "--length") {
            auto v = value(opt);
            if (!v) return false;
            m.invert = inv;
            auto colon = v->find(':');
            auto lo = parseDecimal(std::string_view(*v).substr(0, colon), 65535);
            std::optional<std::uint32_t> hi = lo;
            if (colon != std::string::npos)
                hi = colon + 1 == v->size()
                         ? std::optional<std::uint32_t>(65535)
                         : parseDecimal(std::string_view(*v).substr(colon + 1), 65535);
            if (!lo || !hi) return fail("length invalid: \"" + *v + "\"");
            m.lenMin = std::uint16_t(*lo);
            m.lenMax = std::uint16_t(*hi);
            return true;
        }
        break;
    case MatchKind::Ttl:
        if (opt == "--ttl-eq" || opt == "--ttl-gt" || opt == "--ttl-lt") {
            auto v = value(opt);
            if (!v) return false;
            auto t = parseDecimal(*v, 255);
            if (!t)
                return fail("ttl: bad value for option \"" + opt +
                            "\", or out of range (0-255).\n");
            m.ttl = std::uint8_t(*t);
            if (opt == "--ttl-eq")
                m.ttlMode = inv ? TtlMode::Ne : TtlMode::Eq;
            else if (inv)
                return fail("unexpected `!' flag before --ttl-" + opt.substr(6));
            else
                m.ttlMode = opt == "--ttl-gt" ? TtlMode::Gt : TtlMode::Lt;
            return true;
        }
        break;
    case MatchKind::PktType:
        if (opt == "--pkt-type") {
            auto v = value(opt);
            if (!v) return false;
            m.invert = inv;
            auto t = asciiLower(*v);
            if (t == "unicast" || t == "host")
                m.pktType = PktType::Host;
            else if (t == "broadcast")
                m.pktType = PktType::Broadcast;
            else if (t == "multicast")
                m.pktType = PktType::Multicast;
            else if (t == "otherhost")
                m.pktType = PktType::OtherHost;
            else
                return fail("Bad packet type '" + *v + "'");
            return true;
        }
        break;
    }
    handled = false;
    return true;
}

// xtables reports clashing options in the order of the extension's option table.
std::string markConflict(const char* who, const std::string& a, const std::string& b) {
    static constexpr std::string_view kOrder[] = {"--set-xmark",   "--set-mark", "--and-mark",
                                                  "--or-mark",     "--xor-mark", "--save-mark",
                                                  "--restore-mark"};
    auto rank = [](const std::string& o) {
        return std::find(std::begin(kOrder), std::end(kOrder), o) - std::begin(kOrder);
    };
    const auto& first = rank(a) <= rank(b) ? a : b;
    const auto& second = rank(a) <= rank(b) ? b : a;
    return std::string(who) + ": option \"" + first + "\" cannot be used together with \"" +
           second + "\".\n";
}

bool Parser::targetOption(const std::string& opt, bool inv, bool& handled) {
    (void)inv;
    handled = true;
    Target& t = rule.target;
    switch (t.kind) {
    case TargetKind::Reject:
        if (opt == "--reject-with") {
            auto v = value(opt);
            if (!v) return false;
            auto w = parseRejectWith(*v, err);
            if (!w) return false;
            t.reject = *w;
            return true;
        }
        break;
    case TargetKind::Log:
        if (opt == "--log-prefix") {
            auto v = value(opt);
            if (!v) return false;
            t.logPrefix =
                v->substr(0, 29); // xt_log_info's prefix[30]; iptables-nft truncates silently
            return true;
        }
        if (opt == "--log-level") {
            auto v = value(opt);
            if (!v) return false;
            auto l = parseLogLevel(*v);
            if (!l) return fail("log level \"" + *v + "\" unknown\n");
            t.logLevel = *l;
            return true;
        }
        if (opt == "--log-tcp-sequence") return (t.logFlags |= kLogTcpSeq), true;
        if (opt == "--log-tcp-options") return (t.logFlags |= kLogTcpOpt), true;
        if (opt == "--log-ip-options") return (t.logFlags |= kLogIpOpt), true;
        if (opt == "--log-uid") return (t.logFlags |= kLogUid), true;
        if (opt == "--log-macdecode") return (t.logFlags |= kLogMacDecode), true;
        break;
    case TargetKind::Mark:
    case TargetKind::Connmark: {
        bool isMark = t.kind == TargetKind::Mark;
        const char* who = isMark ? "MARK" : "CONNMARK";
        if (opt == "--set-mark" || opt == "--set-xmark" || opt == "--and-mark" ||
            opt == "--or-mark" || opt == "--xor-mark") {
            auto v = value(opt);
            if (!v) return false;
            if (markOption) return fail(markConflict(who, markOptionName, opt));
            markOption = true;
            markOptionName = opt;
            std::uint32_t val = 0, mask = 0;
            bool hasMask = false;
            bool takesMask = opt == "--set-mark" || opt == "--set-xmark";
            if (!parseMarkMask(*v, val, mask, hasMask) || (hasMask && !takesMask))
                return fail(std::string(who) + ": trailing garbage after value for option \"" +
                            opt + "\".\n");
            t.connmarkMode = ConnmarkMode::Set;
            if (opt == "--set-mark") {
                t.markValue = val;
                t.markMask = mask | val;
            } else if (opt == "--set-xmark") {
                t.markValue = val;
                t.markMask = mask;
            } else if (opt == "--and-mark") {
                t.markValue = 0;
                t.markMask = ~val;
            } else if (opt == "--or-mark") {
                t.markValue = val;
                t.markMask = val;
            } else {
                t.markValue = val;
                t.markMask = 0;
            }
            return true;
        }
        if (!isMark && (opt == "--save-mark" || opt == "--restore-mark")) {
            if (markOption) return fail(markConflict(who, markOptionName, opt));
            markOption = true;
            markOptionName = opt;
            t.connmarkMode = opt == "--save-mark" ? ConnmarkMode::Save : ConnmarkMode::Restore;
            return true;
        }
        if (!isMark && (opt == "--mask" || opt == "--nfmask" || opt == "--ctmask")) {
            auto v = value(opt);
            if (!v) return false;
            auto m = parseU32(*v);
            if (!m) return fail("Bad MARK value \"" + *v + "\"");
            if (opt != "--ctmask") t.nfmask = *m;
            if (opt != "--nfmask") t.ctmask = *m;
            return true;
        }
        break;
    }
    case TargetKind::Ct:
        if (opt == "--notrack") return (t.ctNotrack = true), true;
        break;
    case TargetKind::Dnat:
    case TargetKind::Snat:
        if ((t.kind == TargetKind::Dnat && opt == "--to-destination") ||
            (t.kind == TargetKind::Snat && opt == "--to-source")) {
            auto v = value(opt);
            if (!v) return false;
            if (natTo)
                return fail(std::string(t.kind == TargetKind::Dnat ? "DNAT" : "SNAT") +
                            ": option \"" + opt + "\" can only be used once.\n");
            natTo = true;
            return parseNatTo(*v, t.nat, err);
        }
        if (natFlag(opt)) return true;
        break;
    case TargetKind::Masquerade:
    case TargetKind::Redirect:
        if (natFlag(opt)) return true;
        if (opt == "--to-ports") {
            auto v = value(opt);
            if (!v) return false;
            return parseToPorts(*v, t.nat, err);
        }
        break;
    case TargetKind::Ttl:
        if (opt == "--ttl-set" || opt == "--ttl-dec" || opt == "--ttl-inc") {
            auto v = value(opt);
            if (!v) return false;
            auto n = parseDecimal(*v, 255);
            if (!n) return fail("TTL: Expected value between 0 and 255");
            if (*n == 0 && opt != "--ttl-set")
                return fail("TTL: bad value for option \"" + opt +
                            "\", or out of range (1-255).\n");
            t.ttlMode = opt == "--ttl-set"   ? TtlTargetMode::Set
                        : opt == "--ttl-dec" ? TtlTargetMode::Dec
                                             : TtlTargetMode::Inc;
            t.ttlValue = std::uint8_t(*n);
            return true;
        }
        break;
    default:
        break;
    }
    handled = false;
    return true;
}

bool Parser::run() {
    bool inv = false;
    for (i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "!") {
            if (inv) return fail("multiple consecutive ! not allowed");
            inv = true;
            continue;
        }
        bool wasInv = inv;
        inv = false;
        auto& ip = rule.ip;
        if (a == "-s" || a == "--source" || a == "--src" || a == "-d" || a == "--destination" ||
            a == "--dst") {
            auto v = value(a);
            if (!v) return false;
            bool src = a == "-s" || a == "--source" || a == "--src";
            if (src) {
                ip.invSrc = wasInv;
                if (!parseAddressMask(*v, ip.src, ip.srcMask, err)) return false;
            } else {
                ip.invDst = wasInv;
                if (!parseAddressMask(*v, ip.dst, ip.dstMask, err)) return false;
            }
        } else if (a == "-i" || a == "--in-interface") {
            auto v = value(a);
            if (!v || !parseIface(*v, ip.inIface, ip.inLen, ip.inWildcard, err)) return false;
            ip.invIn = wasInv;
        } else if (a == "-o" || a == "--out-interface") {
            auto v = value(a);
            if (!v || !parseIface(*v, ip.outIface, ip.outLen, ip.outWildcard, err)) return false;
            ip.invOut = wasInv;
        } else if (a == "-p" || a == "--protocol") {
            auto v = value(a);
            if (!v) return false;
            auto p = parseProtocol(*v);
            if (!p) return fail("unknown protocol \"" + *v + "\" specified");
            if (*p == 0 && wasInv) return fail("rule would never match protocol");
            ip.proto = *p;
            ip.invProto = wasInv;
        } else if (a == "-f" || a == "--fragment") {
            ip.frag = true;
            ip.invFrag = wasInv;
        } else if (a == "-m" || a == "--match") {
            auto v = value(a);
            if (!v || !loadMatch(*v)) return false;
        } else if (a == "-j" || a == "--jump" || a == "-g" || a == "--goto") {
            auto v = value(a);
            if (!v) return false;
            if (haveTarget) return fail("multiple -j flags not allowed");
            haveTarget = true;
            Target& t = rule.target;
            bool jump = a == "-j" || a == "--jump";
            static constexpr std::pair<const char*, TargetKind> kTargets[] = {
                {"ACCEPT", TargetKind::Accept},     {"DROP", TargetKind::Drop},
                {"RETURN", TargetKind::Return},     {"REJECT", TargetKind::Reject},
                {"LOG", TargetKind::Log},           {"MARK", TargetKind::Mark},
                {"CONNMARK", TargetKind::Connmark}, {"CT", TargetKind::Ct},
                {"NOTRACK", TargetKind::Notrack},   {"DNAT", TargetKind::Dnat},
                {"SNAT", TargetKind::Snat},         {"MASQUERADE", TargetKind::Masquerade},
                {"REDIRECT", TargetKind::Redirect}, {"TTL", TargetKind::Ttl},
                {"TRACE", TargetKind::Trace}};
            t.kind = jump ? TargetKind::Jump : TargetKind::Goto;
            if (jump)
                for (auto& [name, kind] : kTargets)
                    if (*v == name) t.kind = kind;
            if (t.kind == TargetKind::Jump || t.kind == TargetKind::Goto) t.chain = *v;
        } else if (a == "-c" || a == "--set-counters") {
            if (i + 2 >= args.size()) return fail("-c requires packet and byte counter");
            std::uint64_t pk = 0, by = 0;
            auto r1 =
                std::from_chars(args[i + 1].data(), args[i + 1].data() + args[i + 1].size(), pk);
            auto r2 =
                std::from_chars(args[i + 2].data(), args[i + 2].data() + args[i + 2].size(), by);
            if (r1.ec != std::errc{} || r2.ec != std::errc{})
                return fail("-c packet counter not numeric");
            rule.packets = pk;
            rule.bytes = by;
            i += 2;
        } else if (a.size() > 1 && a[0] == '-') {
            bool handled = false;
            if (haveTarget && !targetOption(a, wasInv, handled)) return false;
            for (auto it = rule.matches.rbegin(); !handled && it != rule.matches.rend(); ++it)
                if (!matchOption(*it, a, wasInv, handled)) return false;
            if (!handled && (ip.proto == 6 || ip.proto == 17 || ip.proto == 1) && !ip.invProto) {
                MatchKind implicit = ip.proto == 6    ? MatchKind::Tcp
                                     : ip.proto == 17 ? MatchKind::Udp
                                                      : MatchKind::Icmp;
                bool loaded = std::any_of(rule.matches.begin(), rule.matches.end(),
                                          [&](const Match& m) { return m.kind == implicit; });
                if (!loaded) {
                    Match m;
                    m.kind = implicit;
                    if (!matchOption(m, a, wasInv, handled)) return false;
                    if (handled) rule.matches.push_back(std::move(m));
                }
            }
            if (!handled) return fail("unknown option \"" + a + "\"");
        } else {
            return fail("Bad argument `" + a + "'");
        }
    }
    return true;
}

} // namespace

RuleParseResult parseRule(const std::vector<std::string>& args, TableId table, Rule& rule) {
    Parser p{args, table, rule};
    RuleParseResult result;
    if (!p.run()) {
        result.error = p.err;
        return result;
    }
    const auto& ip = rule.ip;
    for (auto& m : rule.matches) {
        if ((m.kind == MatchKind::Tcp && ip.proto != 6) ||
            (m.kind == MatchKind::Udp && ip.proto != 17)) {
            result.error = m.kind == MatchKind::Tcp ? "TCP match requires '-p tcp'"
                                                    : "UDP match requires '-p udp'";
            return result;
        }
        if (m.kind == MatchKind::Multiport && (!isPortProto(ip.proto) || ip.invProto)) {
            result.error =
                "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'";
            return result;
        }
        if (m.kind == MatchKind::Multiport && m.portCount == 0) {
            result.error = "multiport expects an option";
            return result;
        }
        if (m.kind == MatchKind::Limit) {
            // iptables-nft sends nft_limit a whole count per day/hour/min/sec (add_nft_limit).
            static constexpr std::uint32_t kMult[] = {10000u * 86400u, 10000u * 3600u, 10000u * 60u,
                                                      10000u};
            std::size_t k = 1;
            for (; k < 4; ++k)
                if (m.limitAvg > kMult[k] || kMult[k] / m.limitAvg < kMult[k] % m.limitAvg) break;
            m.limitRate = kMult[k - 1] / m.limitAvg;
            m.limitUnit = kMult[k - 1] / 10000u;
        }
        if (m.kind == MatchKind::Conntrack && m.stateMask == 0 && !m.invert) {
            result.error = "conntrack: At least one option is required";
            return result;
        }
        if (m.kind == MatchKind::Icmp && !p.icmpTypeGiven) {
            result.error = "icmp: option \"--icmp-type\" must be specified\n";
            return result;
        }
        if (m.kind == MatchKind::Comment && !p.commentGiven) {
            result.error = "comment: option \"--comment\" must be specified\n";
            return result;
        }
    }
    const Target& t = rule.target;
    if (t.kind == TargetKind::Mark && !p.markOption) {
        result.error = "MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required";
        return result;
    }
    if (t.kind == TargetKind::Connmark && !p.markOption) {
        result.error = "CONNMARK target: No operation specified";
        return result;
    }
    if (t.kind == TargetKind::Dnat && !p.natTo) {
        result.error = "DNAT: option \"--to-destination\" must be specified\n";
        return result;
    }
    if (t.kind == TargetKind::Snat && !p.natTo) {
        result.error = "SNAT: option \"--to-source\" must be specified\n";
        return result;
    }
    if (t.nat.hasPorts && (!isPortProto(ip.proto) || ip.invProto)) {
        result.error = "Need TCP, UDP, SCTP or DCCP with port specification";
        return result;
    }
    if (t.kind == TargetKind::Drop && table == TableId::Nat) {
        result.error = "\nThe \"nat\" table is not intended for filtering, the use of DROP is "
                       "therefore inhibited.\n\n";
        return result;
    }
    result.hasCounters = std::find(args.begin(), args.end(), "-c") != args.end() ||
                         std::find(args.begin(), args.end(), "--set-counters") != args.end();
    return result;
}

} // namespace stackscope::netfilter
