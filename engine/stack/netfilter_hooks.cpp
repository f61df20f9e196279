// SPDX-License-Identifier: GPL-3.0-or-later
// NF_HOOK for IPv4 (include/linux/netfilter.h, net/netfilter/core.c): the
// tables registered at a hook run in priority order (raw -300, mangle -150,
// nat dst -100, filter 0, security 50, nat src 100). iptables-nft registers a
// table's hooks only once the table exists, so a host without rules has
// empty hooks and packets pass straight through.
#include "netfilter/nat.h"
#include "netfilter/trace_format.h"
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <span>

namespace stackscope::stack {

namespace {

using netfilter::TableId;

struct HookTable {
    TableId table;
    Stage stage;
};

// Fixed lists, so a hook call allocates nothing.
std::span<const HookTable> tablesAt(NfHook hook) {
    static constexpr HookTable kPreRouting[] = {{TableId::Raw, Stage::RawPrerouting},
                                                {TableId::Mangle, Stage::ManglePrerouting},
                                                {TableId::Nat, Stage::NatPrerouting}};
    static constexpr HookTable kLocalIn[] = {{TableId::Mangle, Stage::MangleInput},
                                             {TableId::Filter, Stage::FilterInput},
                                             {TableId::Security, Stage::FilterInput},
                                             {TableId::Nat, Stage::NatInput}};
    static constexpr HookTable kForward[] = {{TableId::Mangle, Stage::MangleForward},
                                             {TableId::Filter, Stage::FilterForward},
                                             {TableId::Security, Stage::FilterForward}};
    static constexpr HookTable kLocalOut[] = {{TableId::Raw, Stage::RawOutput},
                                              {TableId::Mangle, Stage::MangleOutput},
                                              {TableId::Nat, Stage::NatOutput},
                                              {TableId::Filter, Stage::FilterOutput},
                                              {TableId::Security, Stage::FilterOutput}};
    static constexpr HookTable kPostRouting[] = {{TableId::Mangle, Stage::ManglePostrouting},
                                                 {TableId::Nat, Stage::NatPostrouting}};
    switch (hook) {
    case NfHook::PreRouting: return kPreRouting;
    case NfHook::LocalIn: return kLocalIn;
    case NfHook::Forward: return kForward;
    case NfHook::LocalOut: return kLocalOut;
    case NfHook::PostRouting: return kPostRouting;
    }
    return {};
}

netfilter::Hook toHook(NfHook h) {
    return netfilter::Hook(std::uint8_t(h));
}

// inet_dev_addr_type over the host's FIB, for the addrtype match.
struct FibAddrTypes final : netfilter::AddrTypeResolver {
    explicit FibAddrTypes(const Fib& f) : fib(f) {}
    netfilter::AddrType classify(wire::Ipv4Address a, std::string_view) const override {
        using netfilter::AddrType;
        if (a.isMulticast()) return AddrType::Multicast;
        if (a.isLimitedBroadcast()) return AddrType::Broadcast;
        FibResult r = fib.lookup(a);
        if (!r.entry) return AddrType::Unreachable;
        switch (r.entry->type) {
        case RouteType::Local:
            return AddrType::Local;
        case RouteType::Broadcast:
            return AddrType::Broadcast;
        case RouteType::Blackhole:
            return AddrType::Blackhole;
        case RouteType::Unreachable:
            return AddrType::Unreachable;
        case RouteType::Prohibit:
            return AddrType::Prohibit;
        case RouteType::Throw:
            return AddrType::Throw;
        default:
            return AddrType::Unicast;
        }
    }
    const Fib& fib;
};

// Collects the rules a TRACE-marked packet passes, for xtables-monitor style lines.
struct TraceCollector final : netfilter::TraceSink {
    std::vector<netfilter::TraceEntry> entries;
    void onRule(const netfilter::TraceEntry& e) override { entries.push_back(e); }
};

// The ICMP a REJECT target sends (ipt_REJECT.c reject_tg).
std::optional<std::uint8_t> rejectCode(netfilter::RejectWith w) {
    using netfilter::RejectWith;
    switch (w) {
    case RejectWith::NetUnreachable:
        return 0;
    case RejectWith::HostUnreachable:
        return 1;
    case RejectWith::ProtoUnreachable:
        return 2;
    case RejectWith::PortUnreachable:
        return 3;
    case RejectWith::NetProhibited:
        return 9;
    case RejectWith::HostProhibited:
        return 10;
    case RejectWith::AdminProhibited:
        return 13;
    case RejectWith::TcpReset:
        return std::nullopt;
    }
    return std::nullopt;
}

// nf_send_unreach (net/ipv4/netfilter/nf_reject_ipv4.c): the ICMP error a REJECT sends,
// except for a later fragment or a packet whose transport checksum is bad. A checksum known
// good (our own packets, UNNECESSARY) is not checked; nf_reject_verify_csum skips UDP
// without a checksum and protocols with their own integrity checks (GRE, ESP, AH, SCTP,
// UDP-Lite, DCCP); nf_ip_checksum sums the rest of the packet (TCP and UDP with their
// pseudo-header), so an unknown protocol's bytes rarely pass.
void nf_send_unreach(Host& host, const Skb& in, std::uint8_t code, Stage stage) {
    auto note = [&](const char* why) {
        if (host.tracing())
            host.trace(in, stage, Verdict::Continue, fmt::format("REJECT: no ICMP sent: {}", why));
        else
            host.countTrace();
    };
    const auto ip =
        wire::Ipv4Packet::view(in.l3().first(std::min<std::size_t>(in.l3Length, in.l3().size())));
    if (!ip) return note("no IPv4 header");
    if (ip->fragmentOffset() != 0) return note("the packet is a later fragment");
    const std::uint8_t proto = ip->protocol();
    const auto data = ip->payload();
    bool verify = !(in.locallyGenerated || in.ipSummed == IpSummed::Unnecessary ||
                    in.ipSummed == IpSummed::Partial);
    // DCCP, GRE, ESP, AH, SCTP, UDP-Lite.
    constexpr std::array<std::uint8_t, 6> kOwnChecks = {33, 47, 50, 51, 132, 136};
    if (proto == wire::kIpProtoUdp)
        verify =
            verify && (data.size() < wire::kUdpHeaderLen || wire::loadBe16(data.data() + 6) != 0);
    else if (std::find(kOwnChecks.begin(), kOwnChecks.end(), proto) != kOwnChecks.end())
        verify = false;
    if (verify) {
        std::uint32_t sum = 0;
        if (proto == wire::kIpProtoTcp || proto == wire::kIpProtoUdp)
            sum = wire::pseudoHeaderSum(ip->src(), ip->dst(), proto, std::uint16_t(data.size()));
        if (wire::internetChecksum(data, sum) != 0) {
            if (proto == wire::kIpProtoTcp) return note("the TCP checksum is bad");
            if (proto == wire::kIpProtoUdp) return note("the UDP checksum is bad");
            return note("the packet's data does not sum to a valid checksum");
        }
    }
    host.icmp_send(in, wire::kIcmpDestUnreach, code, 0, stage);
}

// nf_send_reset (net/ipv4/netfilter/nf_reject_ipv4.c): the RST that REJECT --reject-with
// tcp-reset sends back for the TCP segment in old, before old is dropped. It goes out from
// the address the segment was sent to, with IP ID 0, DF, TTL from the old route's hop limit
// (the model has no route metrics, so net.ipv4.ip_default_ttl), rerouted towards the sender
// (ip_route_me_harder) and sent through ip_local_out, attached to the segment's connection
// as RELATED in the opposite direction (nf_ct_attach).
void nf_send_reset(Host& host, const Skb& old, Stage stage) {
    auto note = [&](const std::string& why) {
        if (host.tracing())
            host.trace(old, stage, Verdict::Continue, "tcp-reset: no RST sent: " + why);
        else
            host.countTrace();
    };
    const auto oip = wire::Ipv4Packet::view(
        old.l3().first(std::min<std::size_t>(old.l3Length, old.l3().size())));
    if (!oip) return note("no IPv4 header");
    // nf_reject_ip_tcphdr_get: not a later fragment, TCP, a whole header, not a RST itself.
    if (oip->fragmentOffset() != 0) return note("the packet is a non-first fragment");
    if (oip->protocol() != wire::kTcpProtocol) return note("the packet is not TCP");
    const auto segment = oip->payload();
    const auto oth = wire::TcpPacket::view(segment);
    if (!oth) return note("the TCP header is truncated");
    if (oth->rst()) return note("no RST for a RST");
    // nf_ip_checksum: verified unless the checksum is known good (UNNECESSARY) or not yet
    // filled in (PARTIAL: our own segments, GRO-merged ones).
    const bool csumKnown = old.locallyGenerated || old.ipSummed == IpSummed::Unnecessary ||
                           old.ipSummed == IpSummed::Partial;
    if (!csumKnown && !oth->verifyChecksum(oip->src(), oip->dst()))
        return note("the TCP checksum is bad");
    if (old.dst.broadcast || old.dst.type == RtType::Multicast || old.dst.type == RtType::Broadcast)
        return note("the packet was routed as broadcast or multicast");

    const Host::OutputRoute rt = host.ip_route_output(oip->src(), {});
    if (rt.error)
        return note(fmt::format("no route back to {} (errno {})", oip->src().toString(), rt.error));
    constexpr std::size_t kLen = wire::kIpv4MinHeaderLen + wire::kTcpMinHeaderLen;
    if (kLen > rt.dst.mtu) return note("the route's MTU is below 40 bytes");

    Skb out;
    out.id = host.newPacketId();
    out.locallyGenerated = true;
    out.cpu = old.cpu;
    out.network = wire::kEthHeaderLen;
    out.transport = std::uint16_t(wire::kEthHeaderLen + wire::kIpv4MinHeaderLen);
    out.data.assign(wire::kEthHeaderLen + kLen, 0);
    out.l3Length = std::uint32_t(kLen);
    out.protocol = 0x0800;
    out.mark = host.sysctl("net.ipv4.fwmark_reflect") ? old.mark : 0; // IP4_REPLY_MARK
    out.dst = rt.dst;
    out.truesize = skbTruesizeForHead(std::uint32_t(kLen) + 128); // LL_MAX_HEADER reserve
    wire::Ipv4Repr ip;
    ip.src = oip->dst();
    ip.dst = oip->src();
    ip.protocol = wire::kTcpProtocol;
    ip.ttl = std::uint8_t(host.sysctl("net.ipv4.ip_default_ttl"));
    ip.ident = 0;
    ip.dontFragment = true;
    ip.payloadLength = std::uint16_t(wire::kTcpMinHeaderLen);
    ip.writeTo(
        std::span<std::uint8_t>(out.data).subspan(wire::kEthHeaderLen, wire::kIpv4MinHeaderLen));
    // nf_reject_ip_tcphdr_put: ports swapped; seq = their ACK when they acked, else ACK what
    // they sent (SYN and FIN count one).
    std::uint8_t* th = out.data.data() + out.transport;
    wire::storeBe16(th + wire::kTcpSrcPortOffset, oth->dstPort());
    wire::storeBe16(th + wire::kTcpDstPortOffset, oth->srcPort());
    std::uint8_t flags = wire::kTcpRst;
    if (oth->ack()) {
        wire::storeBe32(th + wire::kTcpSeqOffset, oth->ackNumber());
    } else {
        const std::uint32_t dataLen =
            std::uint32_t(segment.size()) - std::uint32_t(oth->headerLength());
        wire::storeBe32(th + wire::kTcpAckOffset,
                        oth->seqNumber() + (oth->syn() ? 1 : 0) + (oth->fin() ? 1 : 0) + dataLen);
        flags |= wire::kTcpAck;
    }
    th[wire::kTcpDataOffsetOffset] = std::uint8_t((wire::kTcpMinHeaderLen / 4) << 4);
    th[wire::kTcpFlagsOffset] = flags;
    const std::uint32_t pseudo = wire::pseudoHeaderSum(ip.src, ip.dst, wire::kTcpProtocol,
                                                       std::uint16_t(wire::kTcpMinHeaderLen));
    wire::storeBe16(
        th + wire::kTcpChecksumOffset,
        wire::internetChecksum(std::span<const std::uint8_t>(th, wire::kTcpMinHeaderLen), pseudo));
    if (old.ct) {
        out.ct = old.ct;
        out.ctReply = !old.ctReply;
        out.ctSeen = true;
        out.ctState = std::uint8_t(netfilter::CtState::Related);
    }
    if (host.tracing())
        host.trace(out, stage, Verdict::Continue,
                   fmt::format(
                       "tcp-reset: RST {}:{} -> {}:{} {} (about packet #{})", ip.src.toString(),
                       oth->dstPort(), ip.dst.toString(), oth->srcPort(),
                       oth->ack() ? fmt::format("seq {}", oth->ackNumber())
                                  : fmt::format("ack {}", wire::loadBe32(th + wire::kTcpAckOffset)),
                       old.id),
                   DropReason::None, true);
    else
        host.countTrace();
    host.ip_local_out(std::move(out));
}

} // namespace

bool Host::nf_hook_slow(Skb& skb, NfHook hook, int in, int out) {
    using netfilter::CtState;
    using netfilter::NatManip;

    const std::span<const HookTable> tables = tablesAt(hook);
    // Without connection tracking, a hook none of whose tables exists leaves the packet
    // alone: iptables-nft has registered nothing there.
    if (!m_ctActive && !skb.ct &&
        std::none_of(tables.begin(), tables.end(),
                     [&](const HookTable& ht) { return m_rules.table(ht.table).present; }))
        return true;

    const FibAddrTypes addrTypes(m_fib);
    // What every table at this hook sees of the devices, set up at the first table present:
    // a hook whose tables do not exist costs no lookups.
    std::string_view inDev, outDev;
    bool devicesKnown = false;
    // Names for the narration, looked up only when a text is built.
    auto chainName = [hook] { return netfilter::hookChainName(toHook(hook)); };
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
        const bool verify =
            hook == NfHook::PreRouting && sysctl("net.netfilter.nf_conntrack_checksum");
        netfilter::CtLookup l = m_conntrack.in(skb.l3().first(skb.l3Length), m_now, verify);
        skb.ct = l.id;
        skb.ctReply = l.dir == netfilter::CtDir::Reply;
        skb.ctState = std::uint8_t(l.state);
        SS_TRACE(skb, hook == NfHook::PreRouting ? Stage::ConntrackIn : Stage::ConntrackOut,
                 Verdict::Continue, m_conntrack.describe(l));
    };

    auto natStep = [&](const HookTable& ht, netfilter::PacketInfo& p) -> bool {
        const NatManip manip = netfilter::hookManip(toHook(hook)).value_or(NatManip::Dst);
        // The narration, written only when someone traces.
        const bool narrate = tracing();
        std::string what;
        if (skb.ct && !m_conntrack.hasBinding(skb.ct, manip)) {
            netfilter::TraversalResult r = m_rules.traverse(ht.table, toHook(hook), p, m_now);
            if (r.nat.kind != netfilter::NatKind::None) {
                wire::Ipv4Address masq, redirect;
                if (r.nat.kind == netfilter::NatKind::Masquerade) {
                    const auto ip = *wire::Ipv4Packet::view(skb.l3());
                    masq =
                        inet_select_addr(out, skb.dst.gateway.isAny() ? ip.dst() : skb.dst.gateway,
                                         int(RouteScope::Universe));
                }
                if (r.nat.kind == netfilter::NatKind::Redirect) {
                    redirect = hook == NfHook::LocalOut
                                   ? wire::Ipv4Address::fromOctets(127, 0, 0, 1)
                                   : inet_select_addr(in, {}, int(RouteScope::Universe));
                }
                if (!m_conntrack.setupNat(skb.ct, manip, r.nat, masq, redirect)) {
                    SS_DROP(skb, ht.stage, DropReason::NETFILTER_DROP,
                            fmt::format("nat {}: no free tuple for {}", chainName(),
                                        m_rules.ruleText(ht.table, r.chain, r.position)));
                    return false;
                }
                if (narrate)
                    what = fmt::format("nat {}: {} sets the binding", chainName(),
                                       m_rules.ruleText(ht.table, r.chain, r.position));
            } else {
                m_conntrack.setNullBinding(skb.ct, manip);
                if (narrate)
                    what = fmt::format("nat {}: no NAT rule matched, null binding", chainName());
            }
        } else if (skb.ct) {
            if (narrate)
                what = fmt::format("nat {}: connection already bound, the table is not consulted",
                                   chainName());
        } else if (narrate) {
            what = fmt::format("nat {}: untracked packet, not translated", chainName());
        }
        if (skb.ct) {
            auto res = m_conntrack.natPacket(
                skb.ct, skb.ctReply ? netfilter::CtDir::Reply : netfilter::CtDir::Original,
                toHook(hook), skb.l3().first(skb.l3Length));
            if (res.drop) {
                SS_DROP(skb, ht.stage, DropReason::NETFILTER_DROP,
                        what + "; the packet cannot be translated");
                return false;
            }
            if (res.changed && narrate) what += "; addresses rewritten";
            SS_TRACE(skb, ht.stage, Verdict::Continue, what, DropReason::None, res.changed);
        } else {
            SS_TRACE(skb, ht.stage, Verdict::Continue, what);
        }
        return true;
    };

    for (const HookTable& ht : tables) {
        if (m_ctActive && (hook == NfHook::PreRouting || hook == NfHook::LocalOut) &&
            ht.table != TableId::Raw)
            conntrackIn();
        const auto& table = m_rules.table(ht.table);
        if (!table.present) continue;
        if (!devicesKnown) {
            const Device* inDevice = device(in);
            const Device* outDevice = device(out);
            if (inDevice) inDev = inDevice->config.name;
            if (outDevice) outDev = outDevice->config.name;
            devicesKnown = true;
        }
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
        p.addrType = &addrTypes;
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
            for (const auto& e : collector.entries)
                lines += " | " + netfilter::xtablesMonitorTrace(m_rules, e, id);
            SS_TRACE(skb, ht.stage, Verdict::Continue, "TRACE: " + lines);
        }
        skb.mark = p.mark;
        if (r.ctmarkChanged && skb.ct) m_conntrack.setMark(skb.ct, p.ctmark);
        if (r.notrack) notrack = true;
        // The narration is built only when someone traces (the macros skip these calls).
        auto who = [&] {
            return r.position > 0
                       ? m_rules.ruleText(ht.table, r.chain, r.position)
                       : fmt::format("policy {}",
                                     r.verdict == netfilter::Verdict::Accept ? "ACCEPT" : "DROP");
        };
        auto logs = [&] {
            std::string out;
            for (const auto& l : r.logs)
                out += fmt::format("; LOG: {}", l.text);
            return out;
        };
        if (r.newTtl) wire::setTtl(skb.l3(), *r.newTtl);
        if (r.verdict == netfilter::Verdict::Drop) {
            if (r.reject) {
                if (auto code = rejectCode(*r.reject))
                    nf_send_unreach(*this, skb, *code, ht.stage);
                else
                    nf_send_reset(*this, skb, ht.stage);
            }
            SS_DROP(skb, ht.stage, DropReason::NETFILTER_DROP,
                    fmt::format(
                        "{} {}: {}{}{}", netfilter::tableName(ht.table), chainName(), who(),
                        r.reject ? fmt::format(" (REJECT {})", netfilter::rejectWithName(*r.reject))
                                 : std::string(),
                        logs()));
            return false;
        }
        SS_TRACE(
            skb, ht.stage, Verdict::Continue,
            fmt::format("{} {}: {}{}{}", netfilter::tableName(ht.table), chainName(),
                        r.position > 0 ? who() : std::string("no rule decided, ") + who(),
                        r.markChanged ? fmt::format(", mark now 0x{:x}", skb.mark) : std::string(),
                        logs()),
            DropReason::None, r.newTtl.has_value());
    }
    if (m_ctActive && (hook == NfHook::PreRouting || hook == NfHook::LocalOut)) conntrackIn();
    // __nf_conntrack_confirm runs last at LOCAL_IN and POST_ROUTING.
    // Only the original direction confirms (a RST a REJECT sends is RELATED in reply direction).
    if ((hook == NfHook::LocalIn || hook == NfHook::PostRouting) && skb.ct && !skb.ctReply &&
        !m_conntrack.isConfirmed(skb.ct)) {
        if (!m_conntrack.confirm(skb.ct, m_now)) {
            const std::uint64_t id = skb.ct;
            skb.ct = 0;
            SS_DROP(
                skb, hook == NfHook::LocalIn ? Stage::ConntrackConfirm : Stage::ConntrackConfirmOut,
                DropReason::NETFILTER_DROP,
                fmt::format("conntrack confirm: connection {} clashes with an existing one", id));
            return false;
        }
        SS_TRACE(skb,
                 hook == NfHook::LocalIn ? Stage::ConntrackConfirm : Stage::ConntrackConfirmOut,
                 Verdict::Continue, "conntrack confirmed: the connection enters the table");
    }
    return true;
}

} // namespace stackscope::stack
