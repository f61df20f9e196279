// SPDX-License-Identifier: GPL-3.0-or-later
// Table traversal: the ipt_do_table / nft_do_chain walk over one hook's chain,
// with the match functions of match.cpp.
#include "netfilter/ruleset.h"

#include "netfilter/match.h"
#include "netfilter/nf_log.h"

#include <algorithm>
#include <array>

namespace stackscope::netfilter {

namespace {

TraceVerdict traceVerdict(TargetKind kind) {
    switch (kind) {
    case TargetKind::Accept:
    case TargetKind::Dnat:
    case TargetKind::Snat:
    case TargetKind::Masquerade:
    case TargetKind::Redirect:
        return TraceVerdict::Accept;
    case TargetKind::Drop:
    case TargetKind::Reject:
        return TraceVerdict::Drop;
    case TargetKind::Return:
        return TraceVerdict::Return;
    case TargetKind::Jump:
        return TraceVerdict::Jump;
    case TargetKind::Goto:
        return TraceVerdict::Goto;
    default:
        return TraceVerdict::Continue;
    }
}

// A rule whose destination port range is wider than this stays on the generic list,
// so one wide rule does not repeat itself in thousands of segments.
constexpr std::uint32_t kMaxIndexedPortSpan = 4096;

} // namespace

void Ruleset::buildIndex(TableId tid) {
    const Table& t = m_tables[std::size_t(tid)];
    std::vector<ChainIndex>& index = m_index[std::size_t(tid)];
    index.assign(t.chains.size(), ChainIndex{});
    for (std::size_t c = 0; c < t.chains.size(); ++c) {
        const std::vector<Rule>& rules = t.chains[c].rules;
        ChainIndex& ix = index[c];
        if (rules.size() < 8 || rules.size() > 0xffffffu) continue; // a plain walk is as fast
        // quickPasses rejects these whenever the destination port is outside [lo, hi].
        auto keyed = [](const QuickCheck& q) {
            return q.valid && q.ports && q.hasDport && !q.invDport && q.dportLo <= q.dportHi &&
                   std::uint32_t(q.dportHi - q.dportLo) < kMaxIndexedPortSpan;
        };
        std::vector<std::uint32_t> bounds{0};
        for (std::uint32_t r = 0; r < rules.size(); ++r) {
            const QuickCheck& q = rules[r].quick;
            if (!keyed(q)) {
                ix.generic.push_back(r);
                continue;
            }
            bounds.push_back(q.dportLo);
            if (q.dportHi < 0xffff) bounds.push_back(std::uint32_t(q.dportHi) + 1);
        }
        std::sort(bounds.begin(), bounds.end());
        bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
        std::vector<std::vector<std::uint32_t>> segs(bounds.size());
        std::size_t total = 0;
        for (std::uint32_t r = 0; r < rules.size(); ++r) {
            const QuickCheck& q = rules[r].quick;
            if (!keyed(q)) continue;
            auto first = std::lower_bound(bounds.begin(), bounds.end(), std::uint32_t(q.dportLo));
            for (auto it = first; it != bounds.end() && *it <= q.dportHi; ++it) {
                segs[std::size_t(it - bounds.begin())].push_back(r);
                ++total;
            }
        }
        if (total > 64 * rules.size() + 4096) { // overlapping ranges: the plain walk it is
            ix = ChainIndex{};
            continue;
        }
        // A port finds its segment with one load instead of a search over the bounds;
        // there are at most 65536 segments, one per port, so a segment number fits 16 bits.
        ix.portSegment.resize(0x10000);
        ix.segOffset.reserve(bounds.size() + 1);
        ix.segRules.reserve(total);
        for (std::size_t k = 0; k < bounds.size(); ++k) {
            const std::uint32_t end = k + 1 < bounds.size() ? bounds[k + 1] : 0x10000;
            std::fill(ix.portSegment.begin() + bounds[k], ix.portSegment.begin() + end,
                      std::uint16_t(k));
            ix.segOffset.push_back(std::uint32_t(ix.segRules.size()));
            ix.segRules.insert(ix.segRules.end(), segs[k].begin(), segs[k].end());
        }
        ix.segOffset.push_back(std::uint32_t(ix.segRules.size()));
        ix.usable = true;
    }
    m_indexGeneration[std::size_t(tid)] = m_generation;
}

std::size_t Ruleset::ChainIndex::next(const PacketFields& f, std::size_t from, std::size_t n) const {
    std::size_t best = n;
    auto g = std::lower_bound(generic.begin(), generic.end(), from);
    if (g != generic.end()) best = *g;
    if (f.l4 && !f.fragment) {
        const std::size_t seg = portSegment[f.dport];
        const auto begin = segRules.begin() + segOffset[seg], end = segRules.begin() + segOffset[seg + 1];
        auto s = std::lower_bound(begin, end, from);
        if (s != end && *s < best) best = *s;
    }
    return best;
}

TraversalResult Ruleset::traverse(TableId tid, Hook hook, PacketInfo& packet, Nanos now,
                                  TraceSink* sink) {
    TraversalResult result;
    Table& t = m_tables[std::size_t(tid)];
    int start = -1;
    for (std::size_t k = 0; k < t.chains.size() && t.chains[k].builtin; ++k) // built-ins first
        if (t.chains[k].hook == hook) {
            start = int(k);
            break;
        }
    if (start < 0) return result;

    if (m_indexGeneration[std::size_t(tid)] != m_generation) buildIndex(tid);
    const std::vector<ChainIndex>& index = m_index[std::size_t(tid)];

    PacketFields f = readPacketFields(packet.ip);
    const std::uint64_t len = packet.ip.size();
    // nft's jump stack holds 16 frames (NFT_JUMP_STACK_SIZE). A frame is written before
    // it is read, so the array is left uninitialised: most walks never jump.
    struct Frame {
        int chain;
        std::size_t rule;
    };
    std::array<Frame, 16> stack;
    std::size_t depth = 0;
    int c = start;
    std::size_t r = 0;
    // Both fill in result; the walk then returns result itself, so it is never copied.
    auto policy = [&]() {
        Chain& base = t.chains[std::size_t(start)];
        if (base.policyCounted) {
            base.packets += 1;
            base.bytes += len;
        }
        result.verdict = base.policy;
        result.byPolicy = true;
        result.chain = start;
        result.position = 0;
        if (sink) {
            TraceEntry e;
            e.table = tid;
            e.chain = base.name;
            e.policy = true;
            e.verdict = base.policy == Verdict::Accept ? TraceVerdict::Accept : TraceVerdict::Drop;
            sink->onRule(e);
        }
    };
    auto decide = [&](Verdict v) {
        result.verdict = v;
        result.chain = c;
        result.position = int(r) + 1;
    };
    // Leaves the current chain for the rule after the jump that entered it, or, from the
    // built-in chain, for its policy; false when that ends the walk.
    auto leaveChain = [&] {
        if (depth == 0) {
            policy();
            return false;
        }
        --depth;
        c = stack[depth].chain;
        r = stack[depth].rule + 1;
        return true;
    };
    while (true) {
        Chain& chain = t.chains[std::size_t(c)];
        if (r >= chain.rules.size()) {
            if (!leaveChain()) return result;
            continue;
        }
        if (const ChainIndex& ix = index[std::size_t(c)]; ix.usable) {
            r = ix.next(f, r, chain.rules.size());
            if (r >= chain.rules.size()) continue; // fell off the end: handled above
        } else if (chain.quick.size() == chain.rules.size()) {
            while (r < chain.quick.size() && !quickPasses(chain.quick[r], f)) ++r;
            if (r >= chain.rules.size()) continue; // fell off the end: handled above
        }
        Rule& rule = chain.rules[r];
        // ruleMatches repeats what a complete QuickCheck already tested.
        const bool matched = quickPasses(rule.quick, f) &&
                             ((rule.quick.complete && f.valid) || ruleMatches(rule, f, packet, now));
        if (!matched) {
            ++r;
            continue;
        }
        rule.packets += 1;
        rule.bytes += len;
        Target& tg = rule.target;
        if (sink) {
            TraceEntry e;
            e.table = tid;
            e.chain = chain.name;
            e.position = int(r) + 1;
            e.handle = rule.handle;
            e.verdict = traceVerdict(tg.kind);
            if (tg.kind == TargetKind::Jump || tg.kind == TargetKind::Goto) e.jumpTarget = tg.chain;
            sink->onRule(e);
        }
        switch (tg.kind) {
        case TargetKind::Accept:
            decide(Verdict::Accept);
            return result;
        case TargetKind::Drop:
            decide(Verdict::Drop);
            return result;
        case TargetKind::Return:
            if (!leaveChain()) return result;
            continue;
        case TargetKind::Jump:
            if (depth == stack.size()) {
                decide(Verdict::Drop);
                return result;
            }
            stack[depth++] = {c, r};
            c = tg.chainIndex;
            r = 0;
            continue;
        case TargetKind::Goto:
            c = tg.chainIndex;
            r = 0;
            continue;
        case TargetKind::Reject:
            result.reject = tg.reject;
            decide(Verdict::Drop);
            return result;
        case TargetKind::Log:
            result.logs.push_back({tg.logLevel, nfLogIpPacket(packet, tg.logPrefix, tg.logFlags)});
            break;
        case TargetKind::Mark:
            packet.mark = (packet.mark & ~tg.markMask) ^ tg.markValue;
            result.markChanged = true;
            break;
        case TargetKind::Connmark:
            if (packet.ctState == CtState::Invalid || packet.ctState == CtState::Untracked) break;
            if (tg.connmarkMode == ConnmarkMode::Set) {
                packet.ctmark = (packet.ctmark & ~tg.markMask) ^ tg.markValue;
                result.ctmarkChanged = true;
            } else if (tg.connmarkMode == ConnmarkMode::Save) {
                packet.ctmark = (packet.ctmark & ~tg.ctmask) ^ (packet.mark & tg.nfmask);
                result.ctmarkChanged = true;
            } else {
                packet.mark = (packet.mark & ~tg.nfmask) ^ (packet.ctmark & tg.ctmask);
                result.markChanged = true;
            }
            break;
        case TargetKind::Ct:
            if (tg.ctNotrack) result.notrack = true;
            break;
        case TargetKind::Notrack:
            result.notrack = true;
            break;
        case TargetKind::Trace:
            result.trace = true;
            break;
        case TargetKind::Dnat:
        case TargetKind::Snat:
        case TargetKind::Masquerade:
        case TargetKind::Redirect:
            result.nat.kind = tg.kind == TargetKind::Dnat         ? NatKind::Dnat
                              : tg.kind == TargetKind::Snat       ? NatKind::Snat
                              : tg.kind == TargetKind::Masquerade ? NatKind::Masquerade
                                                                  : NatKind::Redirect;
            result.nat.range = tg.nat;
            decide(Verdict::Accept);
            return result;
        case TargetKind::Ttl: {
            int v = tg.ttlMode == TtlTargetMode::Set   ? tg.ttlValue
                    : tg.ttlMode == TtlTargetMode::Dec ? std::max(0, int(f.ttl) - tg.ttlValue)
                                                       : std::min(255, int(f.ttl) + tg.ttlValue);
            f.ttl = std::uint8_t(v);
            result.newTtl = f.ttl;
            break;
        }
        case TargetKind::None:
            break;
        }
        ++r;
    }
}

} // namespace stackscope::netfilter
