// SPDX-License-Identifier: GPL-3.0-or-later
// NF_HOOK for IPv4 (include/linux/netfilter.h, net/netfilter/core.c): the
// tables registered at a hook run in priority order (raw -300, mangle -150,
// nat dst -100, filter 0, security 50, nat src 100). iptables-nft registers a
// table's hooks only once the table exists, so a host without rules has
// empty hooks and packets pass straight through.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/icmp.h"
#include "netfilter/nat.h"
#include "netfilter/trace_format.h"
#include "wire/ipv4.h"

#include <fmt/format.h>

namespace stackscope::stack {

namespace {

using netfilter::TableId;

struct HookTable {
    TableId table;
    Stage stage;
};

std::vector<HookTable> tablesAt(NfHook hook) {
    switch (hook) {
    case NfHook::PreRouting:
        return {{TableId::Raw, Stage::RawPrerouting}, {TableId::Mangle, Stage::ManglePrerouting},
                {TableId::Nat, Stage::NatPrerouting}};
    case NfHook::LocalIn:
        return {{TableId::Mangle, Stage::MangleInput}, {TableId::Filter, Stage::FilterInput},
                {TableId::Security, Stage::FilterInput}, {TableId::Nat, Stage::NatInput}};
    case NfHook::Forward:
        return {{TableId::Mangle, Stage::MangleForward}, {TableId::Filter, Stage::FilterForward},
                {TableId::Security, Stage::FilterForward}};
    case NfHook::LocalOut:
        return {{TableId::Raw, Stage::RawOutput}, {TableId::Mangle, Stage::MangleOutput},
                {TableId::Nat, Stage::NatOutput}, {TableId::Filter, Stage::FilterOutput},
                {TableId::Security, Stage::FilterOutput}};
    case NfHook::PostRouting:
        return {{TableId::Mangle, Stage::ManglePostrouting}, {TableId::Nat, Stage::NatPostrouting}};
    }
    return {};
}

netfilter::Hook toHook(NfHook h) { return netfilter::Hook(std::uint8_t(h)); }

// Collects the rules a TRACE-marked packet passes, for xtables-monitor style lines.
struct TraceCollector final : netfilter::TraceSink {
    std::vector<netfilter::TraceEntry> entries;
    void onRule(const netfilter::TraceEntry& e) override { entries.push_back(e); }
};

// The ICMP a REJECT target sends (ipt_REJECT.c reject_tg).
std::optional<std::uint8_t> rejectCode(netfilter::RejectWith w) {
    using netfilter::RejectWith;
    switch (w) {
    case RejectWith::NetUnreachable: return 0;
    case RejectWith::HostUnreachable: return 1;
    case RejectWith::ProtoUnreachable: return 2;
    case RejectWith::PortUnreachable: return 3;
    case RejectWith::NetProhibited: return 9;
    case RejectWith::HostProhibited: return 10;
    case RejectWith::AdminProhibited: return 13;
    case RejectWith::TcpReset: return std::nullopt;
    }
    return std::nullopt;
}

} // namespace

bool Host::nfHook(Skb& skb, NfHook hook, int in, int out) {
    if (!m_nfActive) return true;
    using netfilter::CtState;
    using netfilter::NatManip;

    const Device* inDevice = device(in);
    const Device* outDevice = device(out);
    const std::string_view inDev = inDevice ? std::string_view(inDevice->config.name) : std::string_view();
    const std::string_view outDev = outDevice ? std::string_view(outDevice->config.name) : std::string_view();
    const netfilter::AddrTypeResolver addrType = [this](wire::Ipv4Address a, std::string_view) {
        using netfilter::AddrType;
        if (a.isMulticast()) return AddrType::Multicast;
        if (a.isLimitedBroadcast()) return AddrType::Broadcast;
        FibResult r = m_fib.lookup(a);
        if (!r.entry) return AddrType::Unreachable;
        switch (r.entry->type) {
        case RouteType::Local: return AddrType::Local;
        case RouteType::Broadcast: return AddrType::Broadcast;
        case RouteType::Blackhole: return AddrType::Blackhole;
        case RouteType::Unreachable: return AddrType::Unreachable;
        case RouteType::Prohibit: return AddrType::Prohibit;
        case RouteType::Throw: return AddrType::Throw;
        default: return AddrType::Unicast;
        }
    };
    const std::string_view chainName = netfilter::hookChainName(toHook(hook));
    bool notrack = false;

    // nf_conntrack_in (priority -200) runs after the raw table, at PRE_ROUTING and LOCAL_OUT.
    auto conntrackIn = [&]() {
        if (!m_ctActive || skb.ctSeen) return;
        skb.ctSeen = true;
        if (notrack) {
            skb.ctState = std::uint8_t(CtState::Untracked);
            SS_TRACE(skb, hook == NfHook::PreRouting ? Stage::ConntrackIn : Stage::ConntrackOut,
                  Verdict::Continue, "untracked: the raw table said NOTRACK");
            return;
        }
        const bool verify = hook == NfHook::PreRouting && sysctl("net.netfilter.nf_conntrack_checksum");
        netfilter::CtLookup l = m_conntrack.in(skb.l3().first(skb.l3Length), m_now, verify);
        skb.ct = l.id;
        skb.ctReply = l.dir == netfilter::CtDir::Reply;
        skb.ctState = std::uint8_t(l.state);
        SS_TRACE(skb, hook == NfHook::PreRouting ? Stage::ConntrackIn : Stage::ConntrackOut,
              Verdict::Continue, m_conntrack.describe(l));
    };

    auto natStep = [&](const HookTable& ht, netfilter::PacketInfo& p) -> bool {
        const NatManip manip = netfilter::hookManip(toHook(hook)).value_or(NatManip::Dst);
        std::string what;
        if (skb.ct && !m_conntrack.hasBinding(skb.ct, manip)) {
            netfilter::TraversalResult r = m_rules.traverse(ht.table, toHook(hook), p, m_now);
            if (r.nat.kind != netfilter::NatKind::None) {
                wire::Ipv4Address masq, redirect;
                if (r.nat.kind == netfilter::NatKind::Masquerade) {
                    const auto ip = *wire::Ipv4Packet::view(skb.l3());
                    masq = inet_select_addr(out, skb.dst.gateway.isAny() ? ip.dst() : skb.dst.gateway,
                                            int(RouteScope::Universe));
                }
                if (r.nat.kind == netfilter::NatKind::Redirect) {
                    redirect = hook == NfHook::LocalOut ? wire::Ipv4Address::fromOctets(127, 0, 0, 1)
                                                        : inet_select_addr(in, {}, int(RouteScope::Universe));
                }
                if (!m_conntrack.setupNat(skb.ct, manip, r.nat, masq, redirect)) {
                    SS_DROP(skb, ht.stage, DropReason::NETFILTER_DROP,
                         fmt::format("nat {}: no free tuple for {}", chainName,
                                     m_rules.ruleText(ht.table, r.chain, r.position)));
                    return false;
                }
                what = fmt::format("nat {}: {} sets the binding", chainName,
                                   m_rules.ruleText(ht.table, r.chain, r.position));
            } else {
                m_conntrack.setNullBinding(skb.ct, manip);
                what = fmt::format("nat {}: no NAT rule matched, null binding", chainName);
            }
        } else if (skb.ct) {
            what = fmt::format("nat {}: connection already bound, the table is not consulted", chainName);
        } else {
            what = fmt::format("nat {}: untracked packet, not translated", chainName);
        }
        if (skb.ct) {
            auto res = m_conntrack.natPacket(skb.ct, skb.ctReply ? netfilter::CtDir::Reply
                                                                  : netfilter::CtDir::Original,
                                             toHook(hook), skb.l3().first(skb.l3Length));
            if (res.drop) {
                SS_DROP(skb, ht.stage, DropReason::NETFILTER_DROP, what + "; the packet cannot be translated");
                return false;
            }
            if (res.changed) what += "; addresses rewritten";
            SS_TRACE(skb, ht.stage, Verdict::Continue, what, DropReason::None, res.changed);
        } else {
            SS_TRACE(skb, ht.stage, Verdict::Continue, what);
        }
        return true;
    };

    for (const HookTable& ht : tablesAt(hook)) {
        if ((hook == NfHook::PreRouting || hook == NfHook::LocalOut) && ht.table != TableId::Raw)
            conntrackIn();
        const auto& table = m_rules.table(ht.table);
        if (!table.present) continue;
        netfilter::PacketInfo p;
        p.ip = std::span<const std::uint8_t>(skb.data.data() + skb.network, skb.l3Length);
        if (hook == NfHook::PreRouting || hook == NfHook::LocalIn || hook == NfHook::Forward)
            p.mac = std::span<const std::uint8_t>(skb.data.data(), skb.network);
        p.inDev = inDev;
        p.outDev = outDev;
        p.mark = skb.mark;
        p.ctState = m_ctActive && skb.ctSeen ? CtState(skb.ctState) : CtState::Untracked;
        if (m_ctActive && skb.ctSeen && !skb.ct && CtState(skb.ctState) != CtState::Untracked)
            p.ctState = CtState::Invalid;
        if (skb.ct) {
            p.ctmark = m_conntrack.mark(skb.ct);
            p.ctSnat = m_conntrack.isNatted(skb.ct, NatManip::Src);
            p.ctDnat = m_conntrack.isNatted(skb.ct, NatManip::Dst);
        }
        p.pktType = netfilter::PktType(std::uint8_t(skb.pktType));
        p.addrType = &addrType;
        if (ht.table == TableId::Nat) {
            if (!natStep(ht, p)) return false;
            continue;
        }
        TraceCollector collector;
        const bool traced = skb.nftrace && tracing();
        netfilter::TraversalResult r =
            m_rules.traverse(ht.table, toHook(hook), p, m_now, traced ? &collector : nullptr);
        if (r.trace && !skb.nftrace) skb.nftrace = true;
        if (traced && !collector.entries.empty()) {
            // The lines `xtables-monitor --trace` prints for this table, trace id = packet id.
            const auto id = std::uint32_t(skb.id);
            std::string lines = netfilter::xtablesMonitorPacket(p, id);
            for (const auto& e : collector.entries) lines += " | " + netfilter::xtablesMonitorTrace(m_rules, e, id);
            SS_TRACE(skb, ht.stage, Verdict::Continue, "TRACE: " + lines);
        }
        skb.mark = p.mark;
        if (r.ctmarkChanged && skb.ct) m_conntrack.setMark(skb.ct, p.ctmark);
        if (r.notrack) notrack = true;
        // The narration is built only when someone traces (the macros skip these calls).
        auto who = [&] {
            return r.position > 0 ? m_rules.ruleText(ht.table, r.chain, r.position)
                                  : fmt::format("policy {}", r.verdict == netfilter::Verdict::Accept
                                                                 ? "ACCEPT" : "DROP");
        };
        auto logs = [&](bool reset) {
            std::string out;
            for (const auto& l : r.logs) out += fmt::format("; LOG: {}", l.text);
            if (reset) out += "; tcp-reset: the RST is not modelled yet";
            return out;
        };
        if (r.newTtl) wire::setTtl(skb.l3(), *r.newTtl);
        const std::string_view tableName = netfilter::tableName(ht.table);
        if (r.verdict == netfilter::Verdict::Drop) {
            bool reset = false;
            if (r.reject) {
                if (auto code = rejectCode(*r.reject)) icmp_send(skb, wire::kIcmpDestUnreach, *code, 0, ht.stage);
                else reset = true;
            }
            SS_DROP(skb, ht.stage, DropReason::NETFILTER_DROP,
                 fmt::format("{} {}: {}{}{}", tableName, chainName, who(),
                             r.reject ? fmt::format(" (REJECT {})", netfilter::rejectWithName(*r.reject))
                                      : std::string(),
                             logs(reset)));
            return false;
        }
        SS_TRACE(skb, ht.stage, Verdict::Continue,
              fmt::format("{} {}: {}{}{}", tableName, chainName,
                          r.position > 0 ? who() : std::string("no rule decided, ") + who(),
                          r.markChanged ? fmt::format(", mark now 0x{:x}", skb.mark) : std::string(), logs(false)),
              DropReason::None, r.newTtl.has_value());
    }
    if ((hook == NfHook::PreRouting || hook == NfHook::LocalOut)) conntrackIn();
    // __nf_conntrack_confirm runs last at LOCAL_IN and POST_ROUTING.
    if ((hook == NfHook::LocalIn || hook == NfHook::PostRouting) && skb.ct &&
        !m_conntrack.isConfirmed(skb.ct)) {
        if (!m_conntrack.confirm(skb.ct, m_now)) {
            const std::uint64_t id = skb.ct;
            skb.ct = 0;
            SS_DROP(skb, hook == NfHook::LocalIn ? Stage::ConntrackConfirm : Stage::ConntrackConfirmOut,
                 DropReason::NETFILTER_DROP,
                 fmt::format("conntrack confirm: connection {} clashes with an existing one", id));
            return false;
        }
        SS_TRACE(skb, hook == NfHook::LocalIn ? Stage::ConntrackConfirm : Stage::ConntrackConfirmOut,
              Verdict::Continue, "conntrack confirmed: the connection enters the table");
    }
    return true;
}

} // namespace stackscope::stack
