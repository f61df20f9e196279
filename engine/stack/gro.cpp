// SPDX-License-Identifier: GPL-3.0-or-later
// Generic receive offload: net/core/gro.c (napi_gro_receive, dev_gro_receive,
// skb_gro_receive, napi_gro_complete, napi_gro_flush, gro_normal_one/list),
// net/ipv4/af_inet.c inet_gro_receive / inet_gro_complete, include/net/gro.h
// inet_gro_flush, net/ipv4/tcp_offload.c tcp4_gro_receive / tcp_gro_receive /
// tcp4_gro_complete. Only TCP merges: ICMP has no GRO handler and
// udp4_gro_receive declines plain UDP (no UDP_GRO socket, rx-udp-gro-forwarding
// and rx-gro-list off), so both go up as GRO_NORMAL.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <bit>
#include <fmt/format.h>

namespace stackscope::stack {

namespace {

constexpr std::size_t kIp = wire::kEthHeaderLen;           // network header offset
constexpr std::size_t kTh = kIp + wire::kIpv4MinHeaderLen; // GRO only takes 20-byte IP headers
constexpr std::uint32_t kGroMaxSize = 65536; // GRO_LEGACY_MAX_SIZE, default gro_max_size
constexpr std::uint8_t kMaxSkbFrags = 17;    // CONFIG_MAX_SKB_FRAGS default
constexpr std::uint32_t kSkbHeadOnlyTruesize =
    kSkbStructSize; // SKB_DATA_ALIGN(sizeof(struct sk_buff))

// tcp_flag_word: the fourth 32-bit word of the header (data offset, flags, window).
constexpr std::uint32_t kFlagCwr = 0x00800000, kFlagUrg = 0x00200000, kFlagPsh = 0x00080000,
                        kFlagRst = 0x00040000, kFlagSyn = 0x00020000, kFlagFin = 0x00010000;

// The Toeplitz key of the Microsoft RSS specification's verification suite. Linux fills the
// key at random at boot (netdev_rss_key_fill); a fixed key keeps runs reproducible.
constexpr std::array<std::uint8_t, 40> kRssKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

// The hash is linear over the input bits, so it is the XOR of one table entry per input
// byte: kToeplitzTable[i][v] is the hash of byte value v at position i (12 bytes at most).
constexpr std::size_t kToeplitzInput = 12;
using ToeplitzTable = std::array<std::array<std::uint32_t, 256>, kToeplitzInput>;

constexpr ToeplitzTable makeToeplitzTable() {
    ToeplitzTable table{};
    for (std::size_t i = 0; i < kToeplitzInput; ++i) {
        std::uint64_t window = 0;
        for (std::size_t k = 0; k < 5; ++k) window = (window << 8) | kRssKey[i + k];
        for (std::uint32_t v = 0; v < 256; ++v) {
            std::uint32_t h = 0;
            for (std::uint32_t bit = 0; bit < 8; ++bit)
                if (v & (0x80u >> bit)) h ^= std::uint32_t(window >> (8 - bit));
            table[i][v] = h;
        }
    }
    return table;
}
constexpr ToeplitzTable kToeplitzTable = makeToeplitzTable();

std::uint32_t toeplitz(std::span<const std::uint8_t> input) {
    std::uint32_t result = 0;
    for (std::size_t i = 0; i < input.size() && i < kToeplitzInput; ++i)
        result ^= kToeplitzTable[i][input[i]];
    return result;
}

std::string idList(const std::vector<PacketId>& ids) {
    std::string out;
    for (PacketId id : ids)
        out += fmt::format("{}#{}", out.empty() ? "" : " ", id);
    return out;
}

// What dev_gro_receive learned from the protocol handlers about one skb.
struct GroDecision {
    int pp = -1;         // held packet to complete (the handlers' return value)
    bool merged = false; // NAPI_GRO_CB(skb)->same_flow: now part of hash[..][into]
    int into = -1;
    bool flush = true;         // NAPI_GRO_CB(skb)->flush: may not be held
    std::string_view why;      // why the skb goes up alone, or why pp completes
    std::uint32_t payload = 0; // skb_gro_len at the TCP payload
};

// inet_gro_flush (include/net/gro.h): TTL, TOS and DF must match, and the IP ID must
// increase by one per held segment, or stay fixed with DF set (decided by the second one).
bool inet_gro_flush(std::span<const std::uint8_t> iph, std::span<const std::uint8_t> iph2,
                    Host::GroHeld& p) {
    const std::uint32_t id = wire::loadBe32(iph.data() + 4), id2 = wire::loadBe32(iph2.data() + 4);
    const auto ipidOffset = std::uint16_t((id >> 16) - (id2 >> 16));
    const std::uint32_t df = id & wire::kIpv4FlagDontFragment;
    if ((iph[8] ^ iph2[8]) | (iph[1] ^ iph2[1]) | (df ^ (id2 & wire::kIpv4FlagDontFragment)))
        return true;
    if (p.count == 1 && df && !ipidOffset) p.fixedId = true;
    return (ipidOffset ^ (p.count * !p.fixedId)) != 0;
}

// napi->gro_bitmask follows the lists: a bucket's bit is set while its list holds packets.
void updateGroBitmask(Host::GroNapi& napi, std::size_t bucket) {
    const std::uint32_t bit = 1u << bucket;
    if (napi.hash[bucket].empty()) napi.groBitmask &= ~bit;
    else napi.groBitmask |= bit;
}

} // namespace

std::uint32_t Host::rxHash(const Skb& skb) {
    const auto& d = skb.data;
    if (d.size() < kTh || wire::loadBe16(d.data() + 12) != wire::kEtherTypeIpv4 ||
        (d[kIp] >> 4) != 4)
        return 0;
    std::array<std::uint8_t, 12> in{};
    std::copy_n(d.begin() + kIp + 12, 8, in.begin()); // saddr, daddr
    const std::size_t ihl = std::size_t(d[kIp] & 0x0f) * 4;
    const bool fragment = (wire::loadBe16(d.data() + kIp + 6) & 0x3fff) != 0;
    if (d[kIp + 9] == wire::kIpProtoTcp && !fragment && d.size() >= kIp + ihl + 4) {
        std::copy_n(d.begin() + std::ptrdiff_t(kIp + ihl), 4, in.begin() + 8); // sport, dport
        return toeplitz(in);
    }
    return toeplitz(std::span<const std::uint8_t>(in).first(8));
}

const Host::GroNapi* Host::groNapi(int ifindex) const {
    return ifindex >= 0 && std::size_t(ifindex) < m_gro.size() ? &m_gro[std::size_t(ifindex)]
                                                               : nullptr;
}

void Host::napi_gro_receive(GroNapi& napi, Skb&& skb) {
    const Device* d = dev(skb.device);
    if (!d || !d->config.gro) {
        // netif_elide_gro: the skb is GRO_NORMAL but still batched on rx_list.
        SS_TRACE(skb, Stage::Gro, Verdict::Queued,
                 fmt::format("GRO is off (ethtool -K {} gro off): GRO_NORMAL, batched on "
                             "napi->rx_list",
                             d ? d->config.name : std::string("?")));
        gro_normal_one(napi, std::move(skb), 1);
        return;
    }
    dev_gro_receive(napi, std::move(skb));
}

void Host::dev_gro_receive(GroNapi& napi, Skb&& skb) {
    const auto& d = skb.data;
    GroDecision g;
    // The NIC delivers the hash with the frame; the model computes it only for a packet that
    // reaches tcp4_gro_receive, the one handler that holds or merges, where its bucket matters.
    std::uint32_t hash = 0;
    std::size_t bucket = 0;
    std::array<bool, kMaxGroSkbs> sameFlow{}; // a bucket never holds more

    bool ipFlush = false;
    [&] {
        if (skb.protocol != wire::kEtherTypeIpv4) {
            // vlan_gro_receive would look inside 802.1Q tags; the model passes them up unmerged.
            g.why = skb.protocol == wire::kEtherTypeVlan || skb.protocol == wire::kEtherTypeQinQ
                        ? "802.1Q-tagged: VLAN GRO is not modelled"
                        : "no GRO handler for this ethertype";
            return;
        }
        // inet_gro_receive
        if (d.size() < kTh) {
            g.why = "IP header not in the frame";
            return;
        }
        const std::span<const std::uint8_t> iph(d.data() + kIp, wire::kIpv4MinHeaderLen);
        const std::uint8_t proto = iph[9];
        if (proto != wire::kIpProtoTcp) {
            g.why = proto == wire::kIpProtoUdp ? "udp4_gro_receive: no UDP_GRO socket and "
                                                 "rx-udp-gro-forwarding off, not aggregated"
                                               : "no GRO handler for this IP protocol";
            return;
        }
        // gro_list_prepare: same raw hash, same device (one list per NAPI), same Ethernet header.
        hash = rxHash(skb);
        bucket = hash & (kGroHashBuckets - 1);
        std::deque<GroHeld>& list = napi.hash[bucket];
        for (std::size_t i = 0; i < list.size(); ++i)
            sameFlow[i] = list[i].hash == hash &&
                          std::equal(d.begin(), d.begin() + kIp, list[i].skb.data.begin());
        if (iph[0] != 0x45) {
            g.why = "IP header is not 20 bytes (options)";
            return;
        }
        const std::uint16_t frag = wire::loadBe16(iph.data() + 6);
        if (frag & 0x3fff) {
            g.why = "IP fragment";
            return;
        }
        if (wire::internetChecksum(iph) != 0) {
            g.why = "bad IP header checksum (left for ip_rcv)";
            return;
        }
        const std::size_t groLen = d.size() - kIp;
        ipFlush =
            wire::loadBe16(iph.data() + 2) != groLen || (frag & ~wire::kIpv4FlagDontFragment) != 0;
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (!sameFlow[i]) continue;
            const std::uint8_t* iph2 = list[i].skb.data.data() + kIp;
            if (iph2[9] != proto || !std::equal(iph.begin() + 12, iph.begin() + 20, iph2 + 12))
                sameFlow[i] = false;
        }

        // tcp4_gro_receive: the checksum is not verified for a packet that is flushed anyway.
        const std::size_t segLen = d.size() - kTh;
        if (!ipFlush) {
            const auto seg = std::span<const std::uint8_t>(d).subspan(kTh);
            const auto src = wire::loadIpv4(iph.data() + 12), dst = wire::loadIpv4(iph.data() + 16);
            if (segLen > 0xffff ||
                wire::internetChecksum(seg, wire::pseudoHeaderSum(src, dst, wire::kIpProtoTcp,
                                                                  std::uint16_t(segLen))) != 0) {
                g.why = "bad TCP checksum (left for tcp_v4_rcv)";
                return;
            }
            skb.ipSummed = IpSummed::Unnecessary;
        }
        // tcp_gro_pull_header
        const std::size_t thlen =
            segLen >= wire::kTcpMinHeaderLen ? std::size_t(d[kTh + 12] >> 4) * 4 : 0;
        if (thlen < wire::kTcpMinHeaderLen || thlen > segLen) {
            g.why = "TCP header truncated or data offset below 5";
            return;
        }
        const std::uint8_t* th = d.data() + kTh;
        const std::uint32_t len = std::uint32_t(segLen - thlen);
        const std::uint32_t flags = wire::loadBe32(th + 12);
        g.payload = len;

        // tcp_gro_receive
        int p = -1;
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (!sameFlow[i]) continue;
            if (!std::equal(th, th + 4, list[i].skb.data.begin() + kTh)) {
                sameFlow[i] = false;
                continue;
            }
            p = int(i);
            break;
        }
        std::uint32_t mss = 1;
        std::string_view mismatch;
        if (p >= 0) {
            GroHeld& h = list[std::size_t(p)];
            const std::uint8_t* th2 = h.skb.data.data() + kTh;
            const std::uint32_t flags2 = wire::loadBe32(th2 + 12);
            const std::size_t thlen2 = std::size_t(th2[12] >> 4) * 4;
            auto note = [&](bool bad, std::string_view why) {
                if (bad && mismatch.empty()) mismatch = why;
            };
            note(flags & kFlagCwr, "CWR set");
            note((flags ^ flags2) & ~(kFlagCwr | kFlagFin | kFlagPsh),
                 "TCP flags, data offset or window differ");
            note(wire::loadBe32(th + 8) != wire::loadBe32(th2 + 8), "ack_seq differs");
            note(thlen2 == thlen && !std::equal(th + 20, th + thlen, th2 + 20),
                 "TCP options differ");
            const bool netFlush =
                inet_gro_flush(iph, std::span<const std::uint8_t>(h.skb.data).subspan(kIp, 20), h);
            note(netFlush, "TTL, TOS, DF or the IP ID sequence differ");
            mss = h.skb.gsoSize;
            note(len - 1 >= mss, len == 0 ? "no payload" : "payload larger than gso_size");
            note(wire::loadBe32(th2 + 4) + h.payload != wire::loadBe32(th + 4),
                 "sequence number is not the next in order");
            // skb_gro_receive refuses a flushed skb and growth to gro_max_size.
            note(ipFlush, "IP tot_len differs from the frame (padding) or reserved bit set");
            note(h.skb.data.size() - kIp + len >= kGroMaxSize, "would reach gro_max_size (64 KiB)");
            if (mismatch.empty()) {
                h.skb.data.insert(h.skb.data.end(), d.begin() + std::ptrdiff_t(kTh + thlen),
                                  d.end());
                h.skb.data[kTh + 13] |= std::uint8_t((flags & (kFlagFin | kFlagPsh)) >> 16);
                if (h.lastFrags + 1 > kMaxSkbFrags) {
                    h.skb.truesize += skb.truesize; // chained on frag_list
                    h.lastFrags = 0;
                } else {
                    h.skb.truesize +=
                        skb.truesize - kSkbHeadOnlyTruesize; // head page becomes a frag
                    ++h.lastFrags;
                }
                ++h.count;
                h.payload += len;
                h.ids.push_back(skb.id);
                g.merged = true;
                g.into = p;
            } else {
                mss = 1;
            }
        }
        // out_check_final
        bool flush = len < mss;
        std::string_view finalWhy =
            len < mss ? (g.merged ? "segment shorter than gso_size" : "no payload")
                      : std::string_view();
        if (flags & (kFlagUrg | kFlagPsh | kFlagRst | kFlagSyn | kFlagFin)) {
            flush = true;
            if (finalWhy.empty()) finalWhy = "URG, PSH, RST, SYN or FIN set";
        }
        if (p >= 0 && (!g.merged || flush)) g.pp = p;
        g.flush = flush || ipFlush;
        g.why = !g.merged && p >= 0 ? mismatch : finalWhy;
        if (g.why.empty() && ipFlush)
            g.why = "IP tot_len differs from the frame (padding) or reserved bit set";
    }();

    std::deque<GroHeld>& list = napi.hash[bucket];
    const PacketId id = skb.id;
    if (g.merged) {
        const GroHeld& h = list[std::size_t(g.into)];
        SS_TRACE(
            skb, Stage::Gro, Verdict::Consumed,
            fmt::format("GRO_MERGED_FREE: {} payload bytes merged into #{} (now {} segments: {}, "
                        "len {})",
                        g.payload, h.skb.id, h.count, idList(h.ids), h.skb.data.size() - kIp));
    }
    if (g.pp >= 0) {
        GroHeld held = std::move(list[std::size_t(g.pp)]);
        list.erase(list.begin() + g.pp);
        updateGroBitmask(napi, bucket);
        napi_gro_complete(napi, std::move(held), g.why, id);
    }
    if (g.merged) return;
    if (g.flush) {
        SS_TRACE(skb, Stage::Gro, Verdict::Queued,
                 fmt::format("GRO_NORMAL ({}): batched on napi->rx_list", g.why));
        gro_normal_one(napi, std::move(skb), 1);
        return;
    }
    if (list.size() >= kMaxGroSkbs) {
        GroHeld oldest = std::move(list.back());
        list.pop_back();
        napi_gro_complete(napi, std::move(oldest), "bucket full (MAX_GRO_SKBS 8): oldest completed",
                          id);
    }
    GroHeld h;
    h.hash = hash;
    h.age = jiffies();
    h.payload = g.payload;
    h.ids.push_back(skb.id);
    skb.gsoSize = std::uint16_t(g.payload);
    h.skb = std::move(skb);
    list.push_front(std::move(h));
    updateGroBitmask(napi, bucket);
    const GroHeld& held = list.front();
    SS_TRACE(held.skb, Stage::Gro, Verdict::Stolen,
             fmt::format("GRO_HELD in bucket {} ({} of {} held there): seq {}, {} payload bytes, "
                         "gso_size {}; waits for the flow's next segment",
                         bucket, list.size(), kMaxGroSkbs,
                         wire::loadBe32(held.skb.data.data() + kTh + 4), held.payload,
                         held.skb.gsoSize));
}

void Host::napi_gro_complete(GroNapi& napi, GroHeld&& held, std::string_view why,
                             PacketId cause) {
    Skb& skb = held.skb;
    const std::string causeText = cause != kNoPacket && cause != skb.id && tracing()
                                      ? fmt::format(" (by #{})", cause)
                                      : std::string();
    if (held.count == 1) {
        skb.gsoSize = 0;
        SS_TRACE(skb, Stage::GroComplete, Verdict::Continue,
                 fmt::format("flushed, {}{}: a single segment, goes up unchanged", why, causeText));
    } else {
        // inet_gro_complete: tot_len of the whole packet, header checksum adjusted.
        auto ip = skb.l3();
        const std::uint16_t oldLen = wire::loadBe16(ip.data() + 2);
        const auto newLen = std::uint16_t(skb.data.size() - kIp);
        wire::storeBe16(ip.data() + 2, newLen);
        wire::storeBe16(ip.data() + 10,
                        wire::checksumReplace16(wire::loadBe16(ip.data() + 10), oldLen, newLen));
        // tcp4_gro_complete: CHECKSUM_PARTIAL, the field holds the pseudo-header sum only.
        const auto src = wire::loadIpv4(ip.data() + 12), dst = wire::loadIpv4(ip.data() + 16);
        const auto tcpLen = std::uint16_t(newLen - wire::kIpv4MinHeaderLen);
        wire::storeBe16(skb.data.data() + kTh + 16,
                        std::uint16_t(~wire::checksumFold(
                            wire::pseudoHeaderSum(src, dst, wire::kIpProtoTcp, tcpLen))));
        skb.ipSummed = IpSummed::Partial;
        skb.gsoSegs = held.count;
        SS_TRACE(skb, Stage::GroComplete, Verdict::Continue,
                 fmt::format("flushed, {}{}: {} segments {} go up as one skb, len {}, gso_size {}, "
                             "gso_segs {}",
                             why, causeText, held.count, idList(held.ids), newLen, skb.gsoSize,
                             skb.gsoSegs),
                 DropReason::None, true);
    }
    gro_normal_one(napi, std::move(skb), held.count);
}

void Host::napi_gro_flush(GroNapi& napi, bool flushOld) {
    // Buckets in bitmask order, each list from its oldest packet; flush_old stops a list at
    // the first packet held during this jiffy.
    for (std::uint32_t bits = napi.groBitmask; bits != 0; bits &= bits - 1) { // for_each_set_bit
        const auto bucket = std::size_t(std::countr_zero(bits));
        auto& list = napi.hash[bucket];
        while (!list.empty()) {
            if (flushOld && list.back().age == jiffies()) break;
            GroHeld held = std::move(list.back());
            list.pop_back();
            updateGroBitmask(napi, bucket);
            napi_gro_complete(napi, std::move(held),
                              flushOld ? "held since an earlier jiffy (poll used its whole weight)"
                                       : "napi_complete_done at the end of the poll",
                              kNoPacket);
        }
    }
}

void Host::gro_normal_one(GroNapi& napi, Skb&& skb, std::uint16_t segs) {
    napi.rxList.push_back(std::move(skb));
    napi.rxCount += segs;
    if (napi.rxCount >= std::uint64_t(m_hot.groNormalBatch)) gro_normal_list(napi);
}

void Host::gro_normal_list(GroNapi& napi) {
    if (napi.rxList.empty()) return;
    // netif_receive_skb_list_internal; the list is taken first so that anything the stack
    // does meanwhile starts a fresh batch. The two vectors trade places so that neither
    // allocates again once both have grown to a batch.
    std::vector<Skb> batch;
    batch.swap(napi.rxList);
    napi.rxList.swap(napi.rxBatch);
    napi.rxCount = 0;
    for (Skb& skb : batch)
        netif_receive_skb(std::move(skb));
    batch.clear();
    napi.rxBatch.swap(batch);
}

void Host::gro_flush_normal(GroNapi& napi, bool flushOld) {
    if (napi.groBitmask) napi_gro_flush(napi, flushOld);
    gro_normal_list(napi);
}

} // namespace stackscope::stack
