// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/analysis.h"

#include "netfilter/match.h"
#include "netfilter/rule_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

namespace stackscope::netfilter {

namespace {

// A set of integers as sorted, disjoint, non-adjacent inclusive intervals.
using Intervals = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

Intervals normalise(Intervals v) {
    std::sort(v.begin(), v.end());
    Intervals out;
    for (auto iv : v) {
        if (iv.first > iv.second) continue;
        if (!out.empty() && iv.first <= out.back().second + 1)
            out.back().second = std::max(out.back().second, iv.second);
        else
            out.push_back(iv);
    }
    return out;
}

Intervals complement(const Intervals& set, std::uint64_t max) {
    Intervals out;
    std::uint64_t next = 0;
    for (auto [lo, hi] : set) {
        if (lo > next) out.emplace_back(next, lo - 1);
        next = hi + 1;
    }
    if (next <= max && (set.empty() || set.back().second < max)) out.emplace_back(next, max);
    return out;
}

Intervals maybeInvert(Intervals set, bool invert, std::uint64_t max) {
    set = normalise(std::move(set));
    return invert ? complement(set, max) : set;
}

// Every member of a is in b (both normalised, so each interval of a must sit inside one of b).
bool subset(const Intervals& a, const Intervals& b) {
    return std::all_of(a.begin(), a.end(), [&](const auto& iv) {
        return std::any_of(b.begin(), b.end(), [&](const auto& jv) {
            return jv.first <= iv.first && iv.second <= jv.second;
        });
    });
}

// One of b's known supersets lies inside a's set: then everything b matches satisfies a.
bool anySubset(const std::vector<Intervals>& bSets, const Intervals& a) {
    return std::any_of(bSets.begin(), bSets.end(),
                       [&](const Intervals& s) { return subset(s, a); });
}

constexpr std::uint64_t kAddrMax = 0xffffffffull;
constexpr std::uint64_t kPortMax = 0xffff;

// "(x & mask) == value", possibly negated: the shape of -s/-d, --mark and --tcp-flags.
struct Masked {
    std::uint32_t value = 0, mask = 0;
    bool invert = false;
};

// Every x satisfying b satisfies a.
bool maskedImplies(const Masked& b, const Masked& a) {
    if (!b.invert && !a.invert) return (a.mask & ~b.mask) == 0 && (b.value & a.mask) == a.value;
    if (!b.invert && a.invert)
        return (b.value & ~b.mask) == 0 && (a.value & ~a.mask) == 0 &&
               ((b.value ^ a.value) & a.mask & b.mask) != 0;
    if (b.invert && a.invert)
        return (b.mask & ~a.mask) == 0 && (a.value & b.mask) == b.value && (b.value & ~b.mask) == 0;
    return false;
}

// The address block of a contiguous mask as an interval, else nothing.
std::optional<Intervals> prefixInterval(std::uint32_t addr, std::uint32_t mask, bool invert) {
    if (mask != 0 && (~mask & (~mask + 1)) != 0) return std::nullopt; // ~mask must be 2^k - 1
    Intervals iv{{addr & mask, std::uint64_t(addr & mask) | ~mask}};
    return maybeInvert(iv, invert, kAddrMax);
}

bool isL4Match(MatchKind k) {
    return k == MatchKind::Tcp || k == MatchKind::Udp || k == MatchKind::Icmp ||
           k == MatchKind::Multiport;
}

bool startsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

struct Iface {
    bool present = false, wildcard = false, invert = false;
    std::string name; // the prefix for a wildcard
};

Iface iface(const std::array<char, 16>& name, std::uint8_t len, bool wildcard, bool invert) {
    Iface i;
    i.present = len != 0; // "+" alone tests nothing, as the walk treats it
    i.wildcard = wildcard;
    i.invert = invert;
    i.name = wildcard ? std::string(name.data(), len) : std::string(name.data());
    return i;
}

bool ifaceImplies(const Iface& b, const Iface& a) {
    if (!a.present) return true;
    if (!b.present) return false;
    const std::string &x = a.name, &y = b.name;
    if (!a.invert && !a.wildcard) return !b.invert && !b.wildcard && y == x;
    if (!a.invert) return !b.invert && startsWith(y, x);
    if (!a.wildcard) {
        if (!b.invert) return b.wildcard ? !startsWith(x, y) : y != x;
        return b.wildcard ? startsWith(x, y) : y == x;
    }
    if (!b.invert) return b.wildcard ? (!startsWith(y, x) && !startsWith(x, y)) : !startsWith(y, x);
    return b.wildcard && startsWith(x, y);
}

// What b's own options guarantee about a packet it matches.
struct Facts {
    std::vector<Intervals> src, dst, sport, dport, length, ttl;
    std::vector<Masked> srcMasked, dstMasked, marks, flags;
    std::uint16_t states =
        kStateInvalid | kStateEstablished | kStateRelated | kStateNew | kStateUntracked;
    std::uint8_t pktTypes = 0x1f;
    bool l4 = false; // a transport header is present and the packet is not a later fragment
};

Facts factsOf(const Rule& b) {
    Facts f;
    const IpPart& ip = b.ip;
    if (ip.srcMask || ip.invSrc) {
        f.srcMasked.push_back({ip.src, ip.srcMask, ip.invSrc});
        if (auto iv = prefixInterval(ip.src, ip.srcMask, ip.invSrc)) f.src.push_back(*iv);
    }
    if (ip.dstMask || ip.invDst) {
        f.dstMasked.push_back({ip.dst, ip.dstMask, ip.invDst});
        if (auto iv = prefixInterval(ip.dst, ip.dstMask, ip.invDst)) f.dst.push_back(*iv);
    }
    for (const auto& m : b.matches) {
        if (isL4Match(m.kind) && ip.proto != 0 && !ip.invProto) f.l4 = true;
        switch (m.kind) {
        case MatchKind::Tcp:
        case MatchKind::Udp:
            if (m.hasSport)
                f.sport.push_back(maybeInvert({{m.sportLo, m.sportHi}}, m.invSport, kPortMax));
            if (m.hasDport)
                f.dport.push_back(maybeInvert({{m.dportLo, m.dportHi}}, m.invDport, kPortMax));
            if (m.hasFlags) f.flags.push_back({m.flagComp, m.flagMask, m.invFlags});
            break;
        case MatchKind::Multiport: {
            Intervals ports;
            for (int k = 0; k < m.portCount; ++k) {
                std::uint16_t lo = m.ports[k], hi = lo;
                if (m.rangeStart[k]) hi = m.ports[++k];
                ports.emplace_back(lo, hi);
            }
            ports = maybeInvert(ports, m.invert, kPortMax);
            if (m.mpMode == MultiportMode::Source)
                f.sport.push_back(ports);
            else if (m.mpMode == MultiportMode::Destination)
                f.dport.push_back(ports);
            else if (m.invert) { // neither port is in the list
                f.sport.push_back(ports);
                f.dport.push_back(ports);
            }
            break;
        }
        case MatchKind::Conntrack:
        case MatchKind::State: {
            const std::uint16_t base = m.stateMask & ~(kStateSnat | kStateDnat);
            if (m.invert)
                f.states &= std::uint16_t(~base);
            else if (base == m.stateMask)
                f.states &= base; // SNAT/DNAT bits would admit other states
            break;
        }
        case MatchKind::Mark:
            f.marks.push_back({m.markValue, m.markMask, m.invert});
            break;
        case MatchKind::IpRange:
            if (m.hasSrcRange)
                f.src.push_back(maybeInvert({{m.srcLo, m.srcHi}}, m.invSrcRange, kAddrMax));
            if (m.hasDstRange)
                f.dst.push_back(maybeInvert({{m.dstLo, m.dstHi}}, m.invDstRange, kAddrMax));
            break;
        case MatchKind::Length:
            f.length.push_back(maybeInvert({{m.lenMin, m.lenMax}}, m.invert, kPortMax));
            break;
        case MatchKind::Ttl:
            switch (m.ttlMode) {
            case TtlMode::Eq:
                f.ttl.push_back({{m.ttl, m.ttl}});
                break;
            case TtlMode::Ne:
                f.ttl.push_back(maybeInvert({{m.ttl, m.ttl}}, true, 255));
                break;
            case TtlMode::Lt:
                f.ttl.push_back(m.ttl == 0 ? Intervals{} : Intervals{{0, m.ttl - 1u}});
                break;
            case TtlMode::Gt:
                f.ttl.push_back(m.ttl == 255 ? Intervals{} : Intervals{{m.ttl + 1u, 255}});
                break;
            }
            break;
        case MatchKind::PktType: {
            const std::uint8_t bit = std::uint8_t(1u << unsigned(m.pktType));
            f.pktTypes &= m.invert ? std::uint8_t(~bit) : bit;
            break;
        }
        default:
            break;
        }
    }
    return f;
}

struct Mutations {
    bool mark = false;
    bool ttl = false;
};

// An address predicate of a (prefix or range) holds for every packet b matches.
bool addressImplied(const std::vector<Intervals>& bSets, const std::vector<Masked>& bMasked,
                    std::optional<Intervals> aSet, const std::optional<Masked>& aMasked) {
    if (aSet && anySubset(bSets, *aSet)) return true;
    if (aMasked)
        for (const auto& m : bMasked)
            if (maskedImplies(m, *aMasked)) return true;
    return false;
}

bool matchImplied(const Match& m, const Rule& a, const Rule& b, const Facts& facts,
                  const Mutations& mut) {
    // Port and ICMP matches also require the transport header of the same protocol.
    if (isL4Match(m.kind) && !(facts.l4 && b.ip.proto == a.ip.proto && !a.ip.invProto))
        return false;
    switch (m.kind) {
    case MatchKind::Comment:
        return true;
    case MatchKind::Limit:
        return false; // depends on time and on the packets before
    case MatchKind::Tcp:
    case MatchKind::Udp: {
        if (m.hasSport &&
            !anySubset(facts.sport, maybeInvert({{m.sportLo, m.sportHi}}, m.invSport, kPortMax)))
            return false;
        if (m.hasDport &&
            !anySubset(facts.dport, maybeInvert({{m.dportLo, m.dportHi}}, m.invDport, kPortMax)))
            return false;
        if (m.hasFlags) {
            const Masked want{m.flagComp, m.flagMask, m.invFlags};
            if (!std::any_of(facts.flags.begin(), facts.flags.end(),
                             [&](const Masked& x) { return maskedImplies(x, want); }))
                return false;
        }
        return true;
    }
    case MatchKind::Icmp: {
        if (m.icmpType == 0xff) return !m.invert;
        for (const auto& o : b.matches) {
            if (o.kind != MatchKind::Icmp || o.icmpType == 0xff) continue;
            const bool sameType = o.icmpType == m.icmpType;
            const bool inside = o.codeLo >= m.codeLo && o.codeHi <= m.codeHi;
            const bool disjoint = o.codeHi < m.codeLo || o.codeLo > m.codeHi;
            const bool covers = m.codeLo >= o.codeLo && m.codeHi <= o.codeHi;
            if (!m.invert && !o.invert && sameType && inside) return true;
            if (m.invert && !o.invert && (!sameType || disjoint)) return true;
            if (m.invert && o.invert && sameType && covers) return true;
        }
        return false;
    }
    case MatchKind::Multiport: {
        Intervals ports;
        for (int k = 0; k < m.portCount; ++k) {
            std::uint16_t lo = m.ports[k], hi = lo;
            if (m.rangeStart[k]) hi = m.ports[++k];
            ports.emplace_back(lo, hi);
        }
        const Intervals want = maybeInvert(ports, m.invert, kPortMax);
        const bool s = anySubset(facts.sport, want), d = anySubset(facts.dport, want);
        if (m.mpMode == MultiportMode::Source) return s;
        if (m.mpMode == MultiportMode::Destination) return d;
        if (m.invert) return s && d;
        if (s || d) return true;
        // b itself requires one of its ports to be in a list inside ours.
        return std::any_of(b.matches.begin(), b.matches.end(), [&](const Match& o) {
            if (o.kind != MatchKind::Multiport || o.mpMode != MultiportMode::Either || o.invert)
                return false;
            Intervals theirs;
            for (int k = 0; k < o.portCount; ++k) {
                std::uint16_t lo = o.ports[k], hi = lo;
                if (o.rangeStart[k]) hi = o.ports[++k];
                theirs.emplace_back(lo, hi);
            }
            return subset(normalise(theirs), want);
        });
    }
    case MatchKind::Conntrack:
    case MatchKind::State: {
        const std::uint16_t base = m.stateMask & ~(kStateSnat | kStateDnat);
        if (!m.invert) return (facts.states & ~base) == 0;
        return base == m.stateMask && (facts.states & base) == 0;
    }
    case MatchKind::Mark: {
        if (mut.mark) return false;
        const Masked want{m.markValue, m.markMask, m.invert};
        return std::any_of(facts.marks.begin(), facts.marks.end(),
                           [&](const Masked& x) { return maskedImplies(x, want); });
    }
    case MatchKind::IpRange:
        if (m.hasSrcRange &&
            !anySubset(facts.src, maybeInvert({{m.srcLo, m.srcHi}}, m.invSrcRange, kAddrMax)))
            return false;
        if (m.hasDstRange &&
            !anySubset(facts.dst, maybeInvert({{m.dstLo, m.dstHi}}, m.invDstRange, kAddrMax)))
            return false;
        return true;
    case MatchKind::AddrType: {
        // Only addrtype matches resolving addresses the same way (same --limit-iface-*) compare.
        std::uint16_t src = 0x0fff, dst = 0x0fff;
        for (const auto& o : b.matches) {
            if (o.kind != MatchKind::AddrType || o.limitIfaceIn != m.limitIfaceIn ||
                o.limitIfaceOut != m.limitIfaceOut)
                continue;
            if (o.srcTypes) src &= o.invSrcType ? std::uint16_t(~o.srcTypes) : o.srcTypes;
            if (o.dstTypes) dst &= o.invDstType ? std::uint16_t(~o.dstTypes) : o.dstTypes;
        }
        auto within = [](std::uint16_t possible, std::uint16_t types, bool inv) {
            const std::uint16_t allowed = inv ? std::uint16_t(~types & 0x0fff) : types;
            return (possible & ~allowed & 0x0fff) == 0;
        };
        if (m.srcTypes && !within(src, m.srcTypes, m.invSrcType)) return false;
        if (m.dstTypes && !within(dst, m.dstTypes, m.invDstType)) return false;
        return true;
    }
    case MatchKind::Length:
        return anySubset(facts.length, maybeInvert({{m.lenMin, m.lenMax}}, m.invert, kPortMax));
    case MatchKind::Ttl: {
        if (mut.ttl) return false;
        Intervals want;
        switch (m.ttlMode) {
        case TtlMode::Eq:
            want = {{m.ttl, m.ttl}};
            break;
        case TtlMode::Ne:
            want = maybeInvert({{m.ttl, m.ttl}}, true, 255);
            break;
        case TtlMode::Lt:
            want = m.ttl == 0 ? Intervals{} : Intervals{{0, m.ttl - 1u}};
            break;
        case TtlMode::Gt:
            want = m.ttl == 255 ? Intervals{} : Intervals{{m.ttl + 1u, 255}};
            break;
        }
        return anySubset(facts.ttl, want);
    }
    case MatchKind::PktType: {
        const std::uint8_t bit = std::uint8_t(1u << unsigned(m.pktType));
        const std::uint8_t allowed = m.invert ? std::uint8_t(~bit & 0x1f) : bit;
        return (facts.pktTypes & ~allowed & 0x1f) == 0;
    }
    }
    return false;
}

// Every packet b matches also matches a (when it reaches a).
bool covers(const Rule& a, const Rule& b, const Mutations& mut) {
    const IpPart &x = a.ip, &y = b.ip;
    const Facts facts = factsOf(b);
    if (x.srcMask || x.invSrc) {
        if (!addressImplied(facts.src, facts.srcMasked, prefixInterval(x.src, x.srcMask, x.invSrc),
                            Masked{x.src, x.srcMask, x.invSrc}))
            return false;
    }
    if (x.dstMask || x.invDst) {
        if (!addressImplied(facts.dst, facts.dstMasked, prefixInterval(x.dst, x.dstMask, x.invDst),
                            Masked{x.dst, x.dstMask, x.invDst}))
            return false;
    }
    if (!ifaceImplies(iface(y.inIface, y.inLen, y.inWildcard, y.invIn),
                      iface(x.inIface, x.inLen, x.inWildcard, x.invIn)))
        return false;
    if (!ifaceImplies(iface(y.outIface, y.outLen, y.outWildcard, y.invOut),
                      iface(x.outIface, x.outLen, x.outWildcard, x.invOut)))
        return false;
    if (x.proto) {
        const bool ok = !x.invProto ? (!y.invProto && y.proto == x.proto)
                                    : ((!y.invProto && y.proto != 0 && y.proto != x.proto) ||
                                       (y.invProto && y.proto == x.proto));
        if (!ok) return false;
    }
    if (x.frag) {
        const bool ok = !x.invFrag ? (y.frag && !y.invFrag) : ((y.frag && y.invFrag) || facts.l4);
        if (!ok) return false;
    }
    return std::all_of(a.matches.begin(), a.matches.end(),
                       [&](const Match& m) { return matchImplied(m, a, b, facts, mut); });
}

// Targets after which the walk never reaches the chain's next rule.
bool endsChain(TargetKind k) {
    switch (k) {
    case TargetKind::Accept:
    case TargetKind::Drop:
    case TargetKind::Reject:
    case TargetKind::Return:
    case TargetKind::Goto:
    case TargetKind::Dnat:
    case TargetKind::Snat:
    case TargetKind::Masquerade:
    case TargetKind::Redirect:
        return true;
    default:
        return false;
    }
}

// What a rule, and every chain it can jump or go to, may rewrite for the rules after it.
Mutations ruleMutations(const Table& t, const Rule& r, std::vector<char>& visiting) {
    Mutations m;
    const Target& tg = r.target;
    if (tg.kind == TargetKind::Mark ||
        (tg.kind == TargetKind::Connmark && tg.connmarkMode == ConnmarkMode::Restore))
        m.mark = true;
    if (tg.kind == TargetKind::Ttl) m.ttl = true;
    if ((tg.kind == TargetKind::Jump || tg.kind == TargetKind::Goto) && tg.chainIndex >= 0 &&
        std::size_t(tg.chainIndex) < t.chains.size() && !visiting[std::size_t(tg.chainIndex)]) {
        visiting[std::size_t(tg.chainIndex)] = 1;
        for (const auto& inner : t.chains[std::size_t(tg.chainIndex)].rules) {
            Mutations sub = ruleMutations(t, inner, visiting);
            m.mark = m.mark || sub.mark;
            m.ttl = m.ttl || sub.ttl;
        }
    }
    return m;
}

std::string trimmedSpec(const Rule& r) {
    std::string s = formatRuleSpec(r);
    if (!s.empty() && s[0] == ' ') s.erase(0, 1);
    return s;
}

std::string shadowReason(std::size_t by, const Rule& a) {
    const std::string head = fmt::format("rule {} ({})", by + 1, trimmedSpec(a));
    switch (a.target.kind) {
    case TargetKind::Return:
        return head + " already returns every packet this rule matches to the calling chain";
    case TargetKind::Goto:
        return head +
               fmt::format(
                   " already sends every packet this rule matches to chain {} for good (goto)",
                   a.target.chain);
    default:
        return head + " already decides every packet this rule matches";
    }
}

std::string targetWord(const Target& t) {
    Rule bare;
    bare.target = t;
    std::string spec = formatRuleSpec(bare);
    if (spec.size() > 4) spec.erase(0, 4); // " -j " / " -g "
    return spec;
}

} // namespace

std::vector<ShadowedRule> findShadowedRules(const Ruleset& rules) {
    std::vector<ShadowedRule> out;
    for (int ti = 0; ti < kTableCount; ++ti) {
        const Table& t = rules.table(TableId(ti));
        for (const Chain& c : t.chains) {
            for (std::size_t bi = 1; bi < c.rules.size(); ++bi) {
                Mutations between; // rewrites by the rules strictly between a and b
                for (std::size_t k = bi; k-- > 0;) {
                    const Rule& a = c.rules[k];
                    if (endsChain(a.target.kind) && covers(a, c.rules[bi], between)) {
                        out.push_back(
                            {std::string(tableName(t.id)), c.name, bi, k, shadowReason(k, a)});
                        break;
                    }
                    std::vector<char> visiting(t.chains.size(), 0);
                    Mutations m = ruleMutations(t, a, visiting);
                    between.mark = between.mark || m.mark;
                    between.ttl = between.ttl || m.ttl;
                }
            }
        }
    }
    return out;
}

std::vector<RuleExplanation> explainChain(const Ruleset& rules, TableId tid,
                                          std::string_view chainName, const PacketInfo& packet,
                                          Nanos now) {
    std::vector<RuleExplanation> out;
    const Table& t = rules.table(tid);
    const int start = rules.findChain(tid, chainName);
    if (start < 0) return out;
    const std::string table(tableName(tid));
    PacketInfo p = packet;
    PacketFields f = readPacketFields(p.ip);
    std::array<std::pair<int, std::size_t>, 16> stack{}; // NFT_JUMP_STACK_SIZE, as the walk
    std::size_t depth = 0;
    int c = start;
    std::size_t r = 0;
    auto policy = [&] {
        const Chain& base = t.chains[std::size_t(start)];
        if (!base.builtin) return;
        RuleExplanation e;
        e.table = table;
        e.chain = base.name;
        e.policy = true;
        e.matched = true;
        e.reason = fmt::format("no rule decided: policy {}",
                               base.policy == Verdict::Accept ? "ACCEPT" : "DROP");
        out.push_back(std::move(e));
    };
    while (true) {
        const Chain& chain = t.chains[std::size_t(c)];
        if (r >= chain.rules.size()) {
            if (depth == 0) {
                policy();
                return out;
            }
            std::tie(c, r) = stack[--depth];
            ++r;
            continue;
        }
        Rule rule = chain.rules[r]; // a copy: limit buckets must not move
        RuleExplanation e;
        e.table = table;
        e.chain = chain.name;
        e.rule = r;
        MatchFailure why;
        if (!ruleMatches(rule, f, p, now, &why)) {
            e.failedMatch = why.option;
            e.reason = why.option.empty() ? why.detail : why.option + ": " + why.detail;
            out.push_back(std::move(e));
            ++r;
            continue;
        }
        e.matched = true;
        const Target& tg = rule.target;
        switch (tg.kind) {
        case TargetKind::Accept:
        case TargetKind::Drop:
        case TargetKind::Reject:
        case TargetKind::Dnat:
        case TargetKind::Snat:
        case TargetKind::Masquerade:
        case TargetKind::Redirect:
            e.reason = "matched: " + targetWord(tg) + " decides the packet";
            out.push_back(std::move(e));
            return out;
        case TargetKind::Return:
            e.reason = depth == 0 && t.chains[std::size_t(start)].builtin
                           ? "matched: RETURN, the chain's policy decides"
                           : "matched: RETURN to the calling chain";
            out.push_back(std::move(e));
            if (depth == 0) {
                policy();
                return out;
            }
            std::tie(c, r) = stack[--depth];
            ++r;
            continue;
        case TargetKind::Jump:
            if (depth == stack.size()) {
                e.reason = fmt::format("matched: jump to {}, but the jump stack is full ({} "
                                       "chains): the packet is dropped",
                                       tg.chain, stack.size());
                out.push_back(std::move(e));
                return out;
            }
            e.reason = "matched: jump to " + tg.chain;
            out.push_back(std::move(e));
            stack[depth++] = {c, r};
            c = tg.chainIndex;
            r = 0;
            continue;
        case TargetKind::Goto:
            e.reason = "matched: goto " + tg.chain;
            out.push_back(std::move(e));
            c = tg.chainIndex;
            r = 0;
            continue;
        case TargetKind::Mark:
            p.mark = (p.mark & ~tg.markMask) ^ tg.markValue;
            break;
        case TargetKind::Connmark:
            if (p.ctState == CtState::Invalid || p.ctState == CtState::Untracked) break;
            if (tg.connmarkMode == ConnmarkMode::Set)
                p.ctmark = (p.ctmark & ~tg.markMask) ^ tg.markValue;
            else if (tg.connmarkMode == ConnmarkMode::Save)
                p.ctmark = (p.ctmark & ~tg.ctmask) ^ (p.mark & tg.nfmask);
            else
                p.mark = (p.mark & ~tg.nfmask) ^ (p.ctmark & tg.ctmask);
            break;
        case TargetKind::Ttl: {
            int v = tg.ttlMode == TtlTargetMode::Set   ? tg.ttlValue
                    : tg.ttlMode == TtlTargetMode::Dec ? std::max(0, int(f.ttl) - tg.ttlValue)
                                                       : std::min(255, int(f.ttl) + tg.ttlValue);
            f.ttl = std::uint8_t(v);
            break;
        }
        default:
            break;
        }
        e.reason = tg.kind == TargetKind::None
                       ? "matched: no target, only the counters move, the walk continues"
                       : "matched: " + targetWord(tg) + ", the walk continues";
        out.push_back(std::move(e));
        ++r;
    }
}

} // namespace stackscope::netfilter
