// SPDX-License-Identifier: GPL-3.0-or-later
// fq_codel (net/sched/sch_fq_codel.c) with CoDel (include/net/codel_impl.h):
// packets are hashed into flows, each its own queue; dequeue serves new flows
// before old ones in deficit round robin, and CoDel drops (or ECN-marks) from a
// flow whose packets have waited longer than `target` for at least `interval`.
// Over the limit, enqueue drops a batch from the head of the fattest flow.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

#include <fmt/format.h>

namespace stackscope::stack {

namespace {

using Field = Counters::QdiscField;
using CodelVars = QdiscState::CodelVars;

constexpr int kCodelShift = 10;                 // CODEL_SHIFT: time in units of 1024 ns
constexpr int kRecInvSqrtShift = 16;            // REC_INV_SQRT_SHIFT for a 16-bit rec_inv_sqrt
constexpr std::uint32_t kDropBatchSize = 64;    // fq_codel_init's drop_batch_size
constexpr std::uint64_t kMemoryLimit = 32 << 20; // memory_limit
constexpr std::uint32_t kDefaultFlows = 1024;
constexpr std::uint32_t kDefaultLimit = 10240;

std::uint32_t codelTime(Nanos ns) { return std::uint32_t(std::uint64_t(ns) >> kCodelShift); }
bool codelAfter(std::uint32_t a, std::uint32_t b) { return std::int32_t(a - b) > 0; }
bool codelAfterEq(std::uint32_t a, std::uint32_t b) { return std::int32_t(a - b) >= 0; }
bool codelBefore(std::uint32_t a, std::uint32_t b) { return codelAfter(b, a); }

// codel_Newton_step: one Newton iteration of 1/sqrt(count) in Q0.16.
void newtonStep(CodelVars& v) {
    const std::uint32_t invsqrt = std::uint32_t(v.recInvSqrt) << kRecInvSqrtShift;
    const std::uint32_t invsqrt2 = std::uint32_t((std::uint64_t(invsqrt) * invsqrt) >> 32);
    std::uint64_t val = (3ULL << 32) - std::uint64_t(v.count) * invsqrt2;
    val >>= 2;
    val = (val * invsqrt) >> (32 - 2 + 1);
    v.recInvSqrt = std::uint16_t(val >> kRecInvSqrtShift);
}

// codel_control_law: t + interval / sqrt(count).
std::uint32_t controlLaw(std::uint32_t t, std::uint32_t interval, std::uint16_t recInvSqrt) {
    const std::uint32_t scale = std::uint32_t(recInvSqrt) << kRecInvSqrtShift;
    return t + std::uint32_t((std::uint64_t(interval) * scale) >> 32);
}

// The flow a packet belongs to. Linux hashes the flow keys with a boot-time random key
// (skb_get_hash); here a fixed mix of the same keys, so flows stay apart as they do
// there, bar the rare collision, and runs repeat.
std::uint32_t flowIndex(const Skb& skb, std::uint32_t flows) {
    std::uint64_t key = 0x9e3779b97f4a7c15ULL;
    auto mix = [&](std::uint64_t v) {
        key ^= v + 0x9e3779b97f4a7c15ULL + (key << 6) + (key >> 2);
        key *= 0xbf58476d1ce4e5b9ULL;
        key ^= key >> 31;
    };
    const auto& d = skb.data;
    const std::size_t n = skb.network;
    const bool ipv4 = d.size() >= n + wire::kIpv4MinHeaderLen && d.size() >= wire::kEthHeaderLen &&
                      wire::loadBe16(d.data() + 12) == wire::kEtherTypeIpv4;
    if (!ipv4) {
        mix(d.size() >= wire::kEthHeaderLen ? wire::loadBe16(d.data() + 12) : 0);
    } else {
        const std::uint8_t* ip = d.data() + n;
        const std::size_t ihl = std::size_t(ip[0] & 0x0f) * 4;
        const std::uint8_t proto = ip[wire::kIpv4ProtocolOffset];
        mix(wire::loadBe32(ip + wire::kIpv4SrcOffset));
        mix(wire::loadBe32(ip + wire::kIpv4SrcOffset + 4));
        mix(proto);
        const bool firstFragment = (wire::loadBe16(ip + wire::kIpv4FragOffset) & 0x1fff) == 0;
        if ((proto == wire::kIpProtoTcp || proto == wire::kIpProtoUdp) && firstFragment &&
            d.size() >= n + ihl + 4)
            mix(wire::loadBe32(ip + ihl));
    }
    return std::uint32_t((std::uint64_t(std::uint32_t(key)) * flows) >> 32); // reciprocal_scale
}

// INET_ECN_set_ce: ECT(0) or ECT(1) becomes CE (checksum updated); true also for a packet
// already CE, false for one that is not ECN-capable (or not IPv4).
bool setCe(Skb& skb) {
    auto& d = skb.data;
    const std::size_t n = skb.network;
    if (d.size() < wire::kEthHeaderLen || wire::loadBe16(d.data() + 12) != wire::kEtherTypeIpv4 ||
        d.size() < n + wire::kIpv4MinHeaderLen)
        return false;
    std::uint8_t* ip = d.data() + n;
    const std::uint32_t ecn = (std::uint32_t(ip[wire::kIpv4TosOffset]) + 1) & 0x03;
    if (!(ecn & 2)) return ecn == 0;
    const std::uint16_t before = wire::loadBe16(ip);
    ip[wire::kIpv4TosOffset] |= 0x03;
    const std::uint16_t check = wire::loadBe16(ip + wire::kIpv4ChecksumOffset);
    wire::storeBe16(ip + wire::kIpv4ChecksumOffset,
                    wire::checksumReplace16(check, before, wire::loadBe16(ip)));
    return true;
}

} // namespace

void Host::fq_codel_enqueue(Device& d, Skb&& skb) {
    QdiscState& q = d.qdisc;
    const int ifindex = d.config.ifindex;
    const std::uint32_t flowsCnt = q.config.flows.value_or(kDefaultFlows);
    if (q.flows.size() != flowsCnt) q.flows.resize(flowsCnt);
    const std::uint32_t idx = flowIndex(skb, flowsCnt);
    QdiscState::FqFlow& flow = q.flows[idx];
    const std::uint32_t len = std::uint32_t(skb.data.size());
    const std::uint32_t truesize = skb.truesize ? skb.truesize : skbTruesizeForHead(len + 16);
    const bool newFlow = !flow.listed;
    SS_TRACE(skb, Stage::QdiscEnqueue, Verdict::Queued,
             fmt::format("fq_codel: flow {}{}, {} packets queued", idx,
                         newFlow ? " (a new flow)" : "", q.backlogPackets + 1));
    flow.queue.push_back({std::move(skb), codelTime(m_now), truesize});
    flow.backlog += len;
    q.backlogBytes += len;
    ++q.backlogPackets;
    m_counters.addQdisc(ifindex, Field::BacklogBytes, len);
    m_counters.addQdisc(ifindex, Field::BacklogPackets, 1);
    if (newFlow) {
        flow.listed = true;
        flow.deficit = std::int32_t(d.config.mtu + wire::kEthHeaderLen); // quantum: psched_mtu
        q.newFlows.push_back(idx);
        m_counters.addQdisc(ifindex, Field::NewFlowCount, 1);
        m_counters.addQdisc(ifindex, Field::NewFlowsLen, 1);
    }
    q.memoryUsage += truesize;
    m_counters.addQdisc(ifindex, Field::MemoryUsage, truesize);
    const std::uint32_t limit = q.config.limit.value_or(kDefaultLimit);
    if (q.backlogPackets <= limit && q.memoryUsage <= kMemoryLimit) return;

    // fq_codel_drop: from the head of the flow with the largest backlog, until half of it
    // is gone or a batch of 64 is dropped.
    std::uint32_t fattest = 0, maxBacklog = 0;
    for (std::uint32_t i = 0; i < q.flows.size(); ++i)
        if (q.flows[i].backlog > maxBacklog) {
            maxBacklog = q.flows[i].backlog;
            fattest = i;
        }
    QdiscState::FqFlow& fat = q.flows[fattest];
    const std::uint32_t threshold = maxBacklog >> 1;
    std::uint32_t dropped = 0, droppedLen = 0;
    std::uint64_t droppedMem = 0;
    do {
        QdiscState::FqQueued victim = fat.queue.takeFront();
        const auto vlen = std::uint32_t(victim.skb.data.size());
        droppedLen += vlen;
        droppedMem += victim.memUsage;
        SS_DROP(victim.skb, Stage::QdiscEnqueue, DropReason::QDISC_OVERLIMIT,
                fmt::format("fq_codel over its limit ({} packets): dropped from the head of the "
                            "fattest flow ({}), drop_overlimit +1",
                            limit, fattest));
    } while (++dropped < kDropBatchSize && droppedLen < threshold && !fat.queue.empty());
    fat.backlog -= droppedLen;
    q.backlogBytes -= droppedLen;
    q.backlogPackets -= dropped;
    q.memoryUsage -= droppedMem;
    m_counters.addQdisc(ifindex, Field::Dropped, dropped);
    m_counters.addQdisc(ifindex, Field::DropOverlimit, dropped);
    m_counters.addQdisc(ifindex, Field::BacklogBytes, -std::int64_t(droppedLen));
    m_counters.addQdisc(ifindex, Field::BacklogPackets, -std::int64_t(dropped));
    m_counters.addQdisc(ifindex, Field::MemoryUsage, -std::int64_t(droppedMem));
}

std::optional<Skb> Host::fq_codel_dequeue(Device& d) {
    QdiscState& q = d.qdisc;
    const int ifindex = d.config.ifindex;
    const std::uint32_t target =
        codelTime(q.config.target.value_or(5 * kMillisecond));
    const std::uint32_t interval = codelTime(q.config.interval.value_or(100 * kMillisecond));
    const std::uint32_t mtu = d.config.mtu + wire::kEthHeaderLen; // psched_mtu
    const std::uint32_t now = codelTime(m_now);

    // dequeue_func: the flow's head, out of every backlog.
    auto dequeueHead = [&](QdiscState::FqFlow& flow) -> std::optional<QdiscState::FqQueued> {
        if (flow.queue.empty()) return std::nullopt;
        QdiscState::FqQueued item = flow.queue.takeFront();
        const auto len = std::uint32_t(item.skb.data.size());
        const std::uint32_t mem = item.memUsage;
        flow.backlog -= len;
        q.backlogBytes -= len;
        --q.backlogPackets;
        q.memoryUsage -= mem;
        m_counters.addQdisc(ifindex, Field::BacklogBytes, -std::int64_t(len));
        m_counters.addQdisc(ifindex, Field::BacklogPackets, -1);
        m_counters.addQdisc(ifindex, Field::MemoryUsage, -std::int64_t(mem));
        return item;
    };
    // codel_should_drop: has this packet's wait stayed above target for an interval?
    auto shouldDrop = [&](const std::optional<QdiscState::FqQueued>& item, CodelVars& v) {
        if (!item) {
            v.firstAboveTime = 0;
            return false;
        }
        v.ldelay = now - item->enqueueTime;
        const auto len = std::uint32_t(item->skb.data.size());
        if (len > q.maxpacket) {
            m_counters.addQdisc(ifindex, Field::MaxPacket, len - q.maxpacket);
            q.maxpacket = len;
        }
        if (codelBefore(v.ldelay, target) || q.backlogBytes <= mtu) {
            v.firstAboveTime = 0;
            return false;
        }
        if (v.firstAboveTime == 0) {
            v.firstAboveTime = now + interval;
            return false;
        }
        return codelAfter(now, v.firstAboveTime);
    };
    auto congestionDrop = [&](QdiscState::FqQueued& item, const CodelVars& v) {
        m_counters.addQdisc(ifindex, Field::Dropped, 1);
        SS_DROP(item.skb, Stage::QdiscDequeue, DropReason::QDISC_CONGESTED,
                fmt::format("fq_codel: CoDel drop, the packet waited {} us (target {} us), "
                            "drop count {}",
                            (std::uint64_t(v.ldelay) << kCodelShift) / 1000,
                            (std::uint64_t(target) << kCodelShift) / 1000, v.count));
    };
    auto ecnMark = [&](QdiscState::FqQueued& item) {
        if (!setCe(item.skb)) return false;
        m_counters.addQdisc(ifindex, Field::EcnMark, 1);
        SS_TRACE(item.skb, Stage::QdiscDequeue, Verdict::Continue,
                 "fq_codel: CoDel marks the packet Congestion Experienced instead of dropping it");
        return true;
    };
    // codel_dequeue for one flow.
    auto codelDequeue = [&](QdiscState::FqFlow& flow) -> std::optional<QdiscState::FqQueued> {
        CodelVars& v = flow.cvars;
        std::optional<QdiscState::FqQueued> item = dequeueHead(flow);
        if (!item) {
            v.dropping = false;
            return item;
        }
        bool drop = shouldDrop(item, v);
        if (v.dropping) {
            if (!drop) {
                v.dropping = false;
            } else if (codelAfterEq(now, v.dropNext)) {
                while (v.dropping && codelAfterEq(now, v.dropNext)) {
                    ++v.count;
                    newtonStep(v);
                    if (ecnMark(*item)) {
                        v.dropNext = controlLaw(v.dropNext, interval, v.recInvSqrt);
                        return item;
                    }
                    congestionDrop(*item, v);
                    item = dequeueHead(flow);
                    if (!shouldDrop(item, v)) v.dropping = false;
                    else v.dropNext = controlLaw(v.dropNext, interval, v.recInvSqrt);
                }
            }
        } else if (drop) {
            if (!ecnMark(*item)) {
                congestionDrop(*item, v);
                item = dequeueHead(flow);
                drop = shouldDrop(item, v);
            }
            v.dropping = true;
            // Went above target soon after leaving the dropping state: resume near the
            // drop rate that controlled the queue last time.
            const std::uint32_t delta = v.count - v.lastcount;
            if (delta > 1 && codelBefore(now - v.dropNext, 16 * interval)) {
                v.count = delta;
                newtonStep(v);
            } else {
                v.count = 1;
                v.recInvSqrt = std::uint16_t(~0U >> kRecInvSqrtShift);
            }
            v.lastcount = v.count;
            v.dropNext = controlLaw(now, interval, v.recInvSqrt);
        }
        return item;
    };

    for (;;) {
        const bool fromNew = !q.newFlows.empty();
        std::deque<std::uint32_t>& head = fromNew ? q.newFlows : q.oldFlows;
        if (head.empty()) return std::nullopt;
        const std::uint32_t idx = head.front();
        QdiscState::FqFlow& flow = q.flows[idx];
        auto toOld = [&] {
            head.pop_front();
            q.oldFlows.push_back(idx);
            if (fromNew) {
                m_counters.addQdisc(ifindex, Field::NewFlowsLen, -1);
                m_counters.addQdisc(ifindex, Field::OldFlowsLen, 1);
            }
        };
        if (flow.deficit <= 0) {
            flow.deficit += std::int32_t(mtu); // quantum
            toOld();
            continue;
        }
        std::optional<QdiscState::FqQueued> item = codelDequeue(flow);
        if (!item) {
            // A new flow that empties goes through the old list once, against starvation.
            if (fromNew && !q.oldFlows.empty()) {
                toOld();
            } else {
                head.pop_front();
                flow.listed = false;
                m_counters.addQdisc(ifindex, fromNew ? Field::NewFlowsLen : Field::OldFlowsLen, -1);
            }
            continue;
        }
        flow.deficit -= std::int32_t(item->skb.data.size());
        return std::move(item->skb);
    }
}

} // namespace stackscope::stack
