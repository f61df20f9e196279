// SPDX-License-Identifier: GPL-3.0-or-later
// IPv4 fragments. Reassembly follows net/ipv4/ip_fragment.c (ip_defrag,
// ip_frag_queue, ip_frag_reasm, ip_expire, ip_frag_too_far) and
// net/ipv4/inet_fragment.c (inet_frag_find, inet_frag_queue_insert,
// inet_frag_destroy); fragmentation follows ip_do_fragment in
// net/ipv4/ip_output.c.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#include <algorithm>
#include <fmt/format.h>

namespace stackscope::stack {

namespace {

// sizeof(struct ipq) on x86_64 without lock debugging, worked out from the 6.x struct
// layout (not measured): inet_frag_alloc charges it to frag_mem_limit for every queue.
constexpr std::uint32_t kIpqSize = 200;

// IPFRAG_ECN_* bits (one per ECN codepoint seen) and ip_frag_ecn_table.
constexpr std::uint8_t kFragEcnNotEct = 0x01, kFragEcnEct1 = 0x02, kFragEcnEct0 = 0x04,
                       kFragEcnCe = 0x08;
std::uint8_t ip4_frag_ecn(std::uint8_t tos) { return std::uint8_t(1u << (tos & 3)); }
// The ECN bits the whole datagram gets; 0xff when Not-ECT is mixed with ECN-capable.
std::uint8_t fragEcnTable(std::uint8_t seen) {
    const std::uint8_t capable = kFragEcnCe | kFragEcnEct0 | kFragEcnEct1;
    if ((seen & kFragEcnNotEct) && (seen & capable)) return 0xff;
    if ((seen & kFragEcnCe) && (seen & (kFragEcnEct0 | kFragEcnEct1))) return 3; // INET_ECN_CE
    return 0;
}

std::string keyText(const FragKey& k) {
    return fmt::format("{} -> {} id {} proto {}", wire::Ipv4Address{k.src}.toString(),
                       wire::Ipv4Address{k.dst}.toString(), k.id, k.protocol);
}

// ip_options_fragment: options without the copied flag become NOOPs in later fragments,
// keeping the header length.
void ip_options_fragment(std::span<std::uint8_t> header) {
    std::size_t i = wire::kIpv4MinHeaderLen;
    while (i < header.size()) {
        const std::uint8_t type = header[i];
        if (type == wire::kIpOptEnd) return;
        if (type == wire::kIpOptNoop) {
            ++i;
            continue;
        }
        if (i + 1 >= header.size()) return;
        const std::size_t optlen = header[i + 1];
        if (optlen < 2 || optlen > header.size() - i) return;
        if (!(type & 0x80)) std::fill_n(header.begin() + std::ptrdiff_t(i), optlen, wire::kIpOptNoop);
        i += optlen;
    }
}

} // namespace

// inet_frag_kill + inet_frag_destroy: the queue leaves the table and frees what it holds,
// as drops after a timeout (INET_FRAG_DROP) and as consumed otherwise.
void Host::fragQueueDestroy(std::map<FragKey, FragQueue>::iterator it, bool timedOut,
                            const std::string& why) {
    for (auto& f : it->second.fragments) {
        m_fragMem -= f.skb.truesize;
        if (timedOut) SS_DROP(f.skb, Stage::IpDefrag, DropReason::FRAG_REASM_TIMEOUT, why);
        else SS_TRACE(f.skb, Stage::IpDefrag, Verdict::Consumed, why, DropReason::Consumed);
    }
    m_fragMem -= kIpqSize;
    m_fragQueues.erase(it);
}

void Host::armFragTimer(FragQueue& q) {
    // mod_timer(jiffies + ipfrag_time * HZ); the timer wheel's coarser rounding of long
    // timeouts is not modelled.
    q.timer = ++m_fragTimerSerial;
    const Nanos at = (jiffies() + sysctl("net.ipv4.ipfrag_time") * kHz) * kJiffy;
    schedule({at, 0, Event::Kind::IpFragExpire, 0, q.timer});
}

bool Host::ip_defrag(Skb& skb) {
    m_counters.add(Mib::IpReasmReqds);
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    const FragKey key{ip.src().value, ip.dst().value, ip.ident(), ip.protocol()};
    // inet_frag_find refuses every fragment while the memory in use exceeds the limit.
    const std::int64_t high = sysctl("net.ipv4.ipfrag_high_thresh");
    if (high <= 0 || m_fragMem > std::uint64_t(high)) {
        m_counters.add(Mib::IpReasmFails);
        SS_DROP(skb, Stage::IpDefrag, DropReason::NOT_SPECIFIED,
             fmt::format("reassembly memory {} exceeds ipfrag_high_thresh {}: IpReasmFails +1",
                         m_fragMem, high));
        return false;
    }
    auto it = m_fragQueues.find(key);
    if (it == m_fragQueues.end()) {
        FragQueue q;
        armFragTimer(q);
        m_fragMem += kIpqSize;
        it = m_fragQueues.emplace(key, std::move(q)).first;
    }
    return ip_frag_queue(it, skb);
}

bool Host::ip_frag_queue(std::map<FragKey, FragQueue>::iterator it, Skb& skb) {
    FragQueue& q = it->second;
    const FragKey key = it->first;
    const auto ip = *wire::Ipv4Packet::view(skb.l3());

    // ip_frag_too_far: more than ipfrag_max_dist fragments from this source since this
    // queue's last one restart the queue (ip_frag_reinit). Fragments this host made itself
    // (IPSKB_FRAG_COMPLETE) are exempt.
    const std::int64_t maxDist = sysctl("net.ipv4.ipfrag_max_dist");
    if (!skb.locallyGenerated && maxDist > 0) {
        InetPeer& p = peer(ip.src());
        const std::uint32_t start = q.rid, end = ++p.fragRid;
        q.rid = end;
        if (q.hasTail && end - start > std::uint32_t(maxDist)) {
            m_counters.add(Mib::IpReasmFails);
            for (auto& f : q.fragments) {
                m_fragMem -= f.skb.truesize;
                SS_DROP(f.skb, Stage::IpDefrag, DropReason::FRAG_TOO_FAR,
                     fmt::format("{} fragments from {} since this queue's last: ipfrag_max_dist {} "
                                 "exceeded, queue restarted, IpReasmFails +1",
                                 end - start, ip.src().toString(), maxDist));
            }
            q.fragments.clear();
            q.runs.clear();
            q.hasTail = q.firstIn = q.lastIn = false;
            q.tailEnd = q.len = q.meat = 0;
            q.iif = 0;
            q.ecn = 0;
            armFragTimer(q);
        }
    }

    const std::uint32_t offset = ip.fragmentOffset();
    const std::uint32_t ihl = std::uint32_t(ip.headerLength());
    std::uint32_t end = offset + skb.l3Length - ihl;
    const bool last = !ip.moreFragments();
    const std::uint8_t tos = ip.tos();
    const bool dontFragment = ip.dontFragment();

    // discard_qp: the whole queue goes, IpReasmFails, and this fragment is freed.
    auto discardQueue = [&](std::string why) {
        fragQueueDestroy(it, false, fmt::format("queue {} discarded: {}", keyText(key), why));
        m_counters.add(Mib::IpReasmFails);
        SS_DROP(skb, Stage::IpDefrag, DropReason::NOT_SPECIFIED, why + ": IpReasmFails +1");
        return false;
    };
    if (last) {
        if (end < q.len || (q.lastIn && end != q.len))
            return discardQueue(fmt::format("last fragment ends at {} but the datagram has {} bytes",
                                            end, q.len));
        q.lastIn = true;
        q.len = end;
    } else {
        end &= ~7u; // a non-final fragment carries a multiple of 8 bytes
        if (end > q.len) {
            if (q.lastIn)
                return discardQueue(fmt::format("fragment ends at {}, past the last fragment's end {}",
                                                end, q.len));
            q.len = end;
        }
    }
    if (end == offset) return discardQueue(fmt::format("fragment at offset {} carries no data", offset));

    // pskb_trim_rcsum(skb, end - offset)
    skb.data.resize(skb.transport + (end - offset));

    // inet_frag_queue_insert: duplicates are dropped and the queue kept; any other overlap
    // discards the queue (RFC 5722 as amended).
    enum class Insert { Ok, Dup, Overlap } result = Insert::Ok;
    bool atTail = false;
    if (!q.hasTail) {
        atTail = true;
    } else if (q.tailEnd < end) {
        if (offset < q.tailEnd) result = Insert::Overlap;
        else atTail = true;
    } else {
        for (const auto& [ro, re] : q.runs) {
            if (end <= ro || offset >= re) continue;
            result = offset >= ro && end <= re ? Insert::Dup : Insert::Overlap;
            break;
        }
    }
    if (result == Insert::Dup) {
        SS_DROP(skb, Stage::IpDefrag, DropReason::DUP_FRAG,
             fmt::format("fragment offset {} len {} duplicates data already queued", offset, end - offset));
        return false;
    }
    if (result == Insert::Overlap) {
        m_counters.add(Mib::IpExtReasmOverlaps);
        return discardQueue(fmt::format("fragment offset {}..{} overlaps queued data: "
                                        "IpExtReasmOverlaps +1",
                                        offset, end));
    }
    if (atTail) {
        // fragrun_append_to_last when contiguous with the tail, else fragrun_create.
        if (q.hasTail && offset == q.tailEnd) q.runs.back().second = end;
        else q.runs.push_back({offset, end});
        q.hasTail = true;
        q.tailEnd = end;
    } else {
        auto pos = std::lower_bound(q.runs.begin(), q.runs.end(), std::make_pair(offset, end));
        q.runs.insert(pos, {offset, end});
    }

    q.iif = skb.device;
    q.meat += end - offset;
    q.ecn |= ip4_frag_ecn(tos);
    m_fragMem += skb.truesize;
    if (offset == 0) q.firstIn = true;
    const std::uint16_t fragsize = std::uint16_t(end - offset + ihl);
    q.maxSize = std::max(q.maxSize, fragsize);
    if (dontFragment) q.maxDfSize = std::max(q.maxDfSize, fragsize);
    auto pos = std::find_if(q.fragments.begin(), q.fragments.end(),
                            [&](const QueuedFragment& f) { return f.offset > offset; });
    q.fragments.insert(pos, QueuedFragment{skb, offset, end});

    if (q.firstIn && q.lastIn && q.meat == q.len) return ip_frag_reasm(it, skb);

    SS_TRACE(skb, Stage::IpDefrag, Verdict::Stolen,
          fmt::format("fragment offset {} len {}{} queued ({}): {} of {} bytes{}", offset, end - offset,
                      last ? " (last)" : "", keyText(key), q.meat, q.lastIn ? fmt::format("{}", q.len) : "?",
                      q.firstIn ? "" : ", first fragment missing"));
    return false;
}

bool Host::ip_frag_reasm(std::map<FragKey, FragQueue>::iterator it, Skb& skb) {
    FragQueue& q = it->second;
    const FragKey key = it->first;
    const std::uint8_t ecn = fragEcnTable(q.ecn);
    if (ecn == 0xff) {
        m_counters.add(Mib::IpReasmFails);
        fragQueueDestroy(it, false,
                         fmt::format("{}: fragments mix Not-ECT with ECN-capable codepoints, "
                                     "reassembly refused: IpReasmFails +1",
                                     keyText(key)));
        return false;
    }
    const QueuedFragment& head = q.fragments.front();
    const auto headIp = *wire::Ipv4Packet::view(head.skb.l3());
    const std::uint32_t hlen = std::uint32_t(headIp.headerLength());
    const std::uint32_t len = hlen + q.len;
    if (len > 65535) {
        m_counters.add(Mib::IpReasmFails);
        fragQueueDestroy(it, false,
                         fmt::format("{}: reassembled length {} exceeds 65535, datagram discarded: "
                                     "IpReasmFails +1",
                                     keyText(key), len));
        return false;
    }
    // The fragment that completed the queue becomes the datagram (skb_morph of the head):
    // the head's headers, the last fragment's identity, device and route.
    Skb out = head.skb;
    out.id = skb.id;
    out.device = skb.device;
    out.dst = skb.dst;
    out.cpu = skb.cpu;
    out.tstamp = skb.tstamp;
    out.data.resize(std::size_t(out.network) + hlen);
    out.data.reserve(std::size_t(out.network) + len);
    std::uint32_t truesize = 0;
    for (const auto& f : q.fragments) {
        truesize += f.skb.truesize;
        auto from = f.skb.data.begin() + f.skb.transport;
        out.data.insert(out.data.end(), from, from + (f.end - f.offset));
    }
    out.truesize = truesize;
    out.l3Length = len;
    out.transport = std::uint16_t(out.network + hlen);
    auto hdr = out.l3();
    wire::storeBe16(&hdr[wire::kIpv4TotalLengthOffset], std::uint16_t(len));
    hdr[wire::kIpv4TosOffset] = std::uint8_t(hdr[wire::kIpv4TosOffset] | ecn);
    // DF only when the largest fragment carried DF (IPSKB_FRAG_PMTU for a later refragment).
    const bool df = q.maxDfSize == q.maxSize;
    wire::storeBe16(&hdr[wire::kIpv4FragOffset], df ? wire::kIpv4FlagDontFragment : 0);
    wire::fillIpv4Checksum(hdr);
    const std::size_t count = q.fragments.size();
    m_fragMem -= truesize + kIpqSize;
    m_fragQueues.erase(it);
    m_counters.add(Mib::IpReasmOKs);
    skb = std::move(out);
    SS_TRACE(skb, Stage::IpDefrag, Verdict::Continue,
          fmt::format("{} fragments reassembled into {} bytes ({}), truesize {}: IpReasmOKs +1", count,
                      len, keyText(key), truesize),
          DropReason::None, true);
    return true;
}

void Host::ip_expire(std::uint64_t timer) {
    auto it = std::find_if(m_fragQueues.begin(), m_fragQueues.end(),
                           [&](const auto& e) { return e.second.timer == timer; });
    if (it == m_fragQueues.end()) return; // completed, discarded or restarted meanwhile
    m_context = Context::Timer;
    FragQueue& q = it->second;
    const std::string what = keyText(it->first);
    m_counters.add(Mib::IpReasmFails);
    m_counters.add(Mib::IpReasmTimeout);
    const std::string why = fmt::format("{}: not complete after ipfrag_time {} s ({} of {} bytes)",
                                        what, sysctl("net.ipv4.ipfrag_time"), q.meat,
                                        q.lastIn ? fmt::format("{}", q.len) : "?");
    if (!q.firstIn) {
        fragQueueDestroy(it, true, why + ", no first fragment so no ICMP: IpReasmFails +1, IpReasmTimeout +1");
        return;
    }
    // inet_frag_pull_head: the first fragment answers for the datagram. The kernel routes it
    // again; routes do not change during a run, so the route it arrived with stands.
    Skb head = std::move(q.fragments.front().skb);
    q.fragments.erase(q.fragments.begin());
    m_fragMem -= head.truesize;
    head.device = q.iif;
    icmp_send(head, wire::kIcmpTimeExceeded, wire::kIcmpExcFragTime, 0, Stage::IpDefrag);
    SS_DROP(head, Stage::IpDefrag, DropReason::FRAG_REASM_TIMEOUT,
         why + ": ICMP time exceeded (fragment reassembly) about the first fragment, IpReasmFails +1, "
               "IpReasmTimeout +1");
    fragQueueDestroy(it, true, why);
}

void Host::ip_do_fragment(Skb skb, std::uint32_t mtu) {
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    const std::uint32_t hlen = std::uint32_t(ip.headerLength());
    const std::uint32_t total = skb.l3Length;
    if (mtu < hlen + 8 || total <= hlen) {
        m_counters.add(Mib::IpFragFails);
        SS_DROP(skb, Stage::IpFinishOutput, DropReason::PKT_TOO_BIG,
             fmt::format("MTU {} leaves no room for 8 data bytes after a {}-byte header: IpFragFails +1",
                         mtu, hlen));
        return;
    }
    // Datagrams this host built were already cut into a frag_list by __ip_make_skb
    // (ip_append_data) with the same geometry: ip_do_fragment's fast path sends those skbs,
    // the first being the original. Others take the slow path: new skbs, original freed.
    const bool fastPath = skb.locallyGenerated;
    const std::uint32_t room = mtu - hlen;
    std::uint32_t offset = ip.fragmentOffset();      // refragmenting keeps the original offset
    const bool notLastFrag = ip.moreFragments();
    std::uint32_t left = total - hlen;
    std::uint32_t ptr = hlen;
    const std::uint32_t pieces = (left + (room & ~7u) - 1) / (room & ~7u);
    SS_TRACE(skb, Stage::IpFinishOutput, Verdict::Continue,
          fmt::format("{} bytes exceed MTU {} and DF is clear: ip_do_fragment, {} fragments of at most "
                      "{} data bytes ({})",
                      total, mtu, pieces, left > room ? room & ~7u : left,
                      fastPath ? "fast path: the frag_list built by __ip_make_skb"
                               : "slow path: copied into new skbs"));
    // Whichever socket sent the datagram: its charge moves to the pieces (given back here,
    // taken again piece by piece below; its sender is inside sendto, so nobody is woken).
    const int owner = skb.wmemOwner;
    sock_wfree(skb);
    std::vector<std::uint8_t> header(skb.data.begin() + skb.network,
                                     skb.data.begin() + skb.network + hlen);
    std::uint32_t index = 0;
    while (left > 0) {
        const std::uint32_t len = ipFragmentDataLength(left, room);
        Skb frag = skb;
        frag.id = fastPath && index == 0 ? skb.id : newPacketId();
        frag.data.assign(skb.data.begin(), skb.data.begin() + skb.network);
        frag.data.insert(frag.data.end(), header.begin(), header.end());
        frag.data.insert(frag.data.end(), skb.data.begin() + skb.network + ptr,
                         skb.data.begin() + skb.network + ptr + len);
        left -= len;
        ptr += len;
        auto h = frag.l3();
        std::uint16_t fragOff = std::uint16_t(offset >> 3);
        if (left > 0 || notLastFrag) fragOff |= wire::kIpv4FlagMoreFragments;
        wire::storeBe16(&h[wire::kIpv4FragOffset], fragOff);
        wire::storeBe16(&h[wire::kIpv4TotalLengthOffset], std::uint16_t(len + hlen));
        wire::fillIpv4Checksum(h);
        frag.l3Length = len + hlen;
        frag.transport = std::uint16_t(frag.network + hlen);
        // Fast path: each piece was allocated by ip_append_data (fraglen + hh_len + 15);
        // slow path: alloc_skb(len + hlen + LL_RESERVED_SPACE) in ip_frag_next.
        frag.truesize = fastPath ? ipAppendDataTruesize(len + hlen)
                                 : skbTruesizeForHead(len + hlen + kLlReservedSpace);
        // The fast path's pieces were charged to the sending socket one by one; so they are
        // again here, the whole datagram's charge having been taken back above.
        frag.wmemOwner = -1;
        if (owner >= 0) skb_set_owner_w(frag, owner);
        if (index == 0 && hlen > wire::kIpv4MinHeaderLen) ip_options_fragment(header);
        SS_TRACE(frag, Stage::IpFinishOutput, Verdict::Continue,
              fmt::format("fragment {} of {}: offset {} len {}{}", index + 1, pieces, offset, len,
                          fragOff & wire::kIpv4FlagMoreFragments ? " MF" : ""),
              DropReason::None, true);
        offset += len;
        ++index;
        // ip_finish_output2's result is not reported back here; a fragment counts as created
        // once handed to it.
        ip_finish_output2(std::move(frag));
        m_counters.add(Mib::IpFragCreates);
    }
    m_counters.add(Mib::IpFragOKs);
    if (fastPath) {
        SS_TRACE(skb, Stage::IpFinishOutput, Verdict::Continue,
              fmt::format("all {} fragments handed to ip_finish_output2: IpFragOKs +1", index));
    } else {
        SS_TRACE(skb, Stage::IpFinishOutput, Verdict::Consumed,
              fmt::format("original freed after {} fragments: IpFragOKs +1, IpFragCreates +{}", index,
                          index),
              DropReason::Consumed);
    }
}

} // namespace stackscope::stack
