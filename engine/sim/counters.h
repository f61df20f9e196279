// SPDX-License-Identifier: GPL-3.0-or-later
// The counters user space can read, under the names nstat, ip -s link,
// /proc/net/softnet_stat and tc -s print. SNMP MIB fields follow the column
// order of /proc/net/snmp and /proc/net/netstat (net/ipv4/proc.c).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stackscope {

// nstat spelling: group prefix glued to the field name.
#define STACKSCOPE_MIBS(X)                                                                         \
    X(IpInReceives) X(IpInHdrErrors) X(IpInAddrErrors) X(IpForwDatagrams) X(IpInUnknownProtos)     \
    X(IpInDiscards) X(IpInDelivers) X(IpOutRequests) X(IpOutDiscards) X(IpOutNoRoutes)             \
    X(IpReasmTimeout) X(IpReasmReqds) X(IpReasmOKs) X(IpReasmFails) X(IpFragOKs) X(IpFragFails)    \
    X(IpFragCreates) X(IpOutTransmits)                                                             \
    X(IcmpInMsgs) X(IcmpInErrors) X(IcmpInCsumErrors) X(IcmpInDestUnreachs) X(IcmpInTimeExcds)     \
    X(IcmpInParmProbs) X(IcmpInSrcQuenchs) X(IcmpInRedirects) X(IcmpInEchos) X(IcmpInEchoReps)     \
    X(IcmpInTimestamps) X(IcmpInTimestampReps) X(IcmpInAddrMasks) X(IcmpInAddrMaskReps)            \
    X(IcmpOutMsgs) X(IcmpOutErrors) X(IcmpOutRateLimitGlobal) X(IcmpOutRateLimitHost)              \
    X(IcmpOutDestUnreachs) X(IcmpOutTimeExcds) X(IcmpOutParmProbs) X(IcmpOutSrcQuenchs)            \
    X(IcmpOutRedirects) X(IcmpOutEchos) X(IcmpOutEchoReps) X(IcmpOutTimestamps)                    \
    X(IcmpOutTimestampReps) X(IcmpOutAddrMasks) X(IcmpOutAddrMaskReps)                             \
    X(TcpActiveOpens) X(TcpPassiveOpens) X(TcpAttemptFails) X(TcpEstabResets) X(TcpCurrEstab)      \
    X(TcpInSegs) X(TcpOutSegs) X(TcpRetransSegs) X(TcpInErrs) X(TcpOutRsts) X(TcpInCsumErrors)     \
    X(UdpInDatagrams) X(UdpNoPorts) X(UdpInErrors) X(UdpOutDatagrams) X(UdpRcvbufErrors)           \
    X(UdpSndbufErrors) X(UdpInCsumErrors) X(UdpIgnoredMulti) X(UdpMemErrors)                       \
    X(TcpExtSyncookiesSent) X(TcpExtSyncookiesRecv) X(TcpExtSyncookiesFailed)                      \
    X(TcpExtEmbryonicRsts) X(TcpExtListenOverflows) X(TcpExtListenDrops) X(TcpExtTCPReqQFullDoCookies) \
    X(TcpExtTCPReqQFullDrop) X(TcpExtTCPSynRetrans) X(TcpExtTCPTimeouts) X(TcpExtDelayedACKs)      \
    X(TcpExtTCPHPHits) X(TcpExtTCPPureAcks) X(TcpExtTCPHPAcks) X(TcpExtTCPBacklogDrop)             \
    X(TcpExtTCPRcvQDrop) X(TcpExtTCPOFOQueue) X(TcpExtTCPZeroWindowDrop) X(TcpExtTCPOrigDataSent)  \
    X(TcpExtTCPDelivered) X(TcpExtTCPAbortOnData) X(TcpExtTCPAbortOnClose) X(TcpExtPAWSEstab)     \
    X(TcpExtTCPChallengeACK) X(TcpExtTCPSYNChallenge) X(TcpExtTCPRcvCoalesce) X(TcpExtIPReversePathFilter) \
    X(TcpExtTW) X(TcpExtDelayedACKLost) X(TcpExtTCPOFODrop) X(TcpExtTCPOFOMerge) X(TcpExtTCPDSACKOldSent)     \
    X(TcpExtTCPACKSkippedSynRecv) X(TcpExtTCPACKSkippedTimeWait) X(TcpExtTCPAbortOnSyn)                    \
    X(TcpExtTWKilled) X(TcpExtPAWSActive) X(TcpExtTCPAbortOnTimeout) X(TcpExtTCPACKSkippedFinWait2)            \
    X(TcpExtTCPLostRetransmit) X(TcpExtTcpTimeoutRehash) X(TcpExtTCPRetransFail)                   \
    X(TcpExtLockDroppedIcmps) X(TcpExtOutOfWindowIcmps)                                            \
    X(IpExtInNoRoutes) X(IpExtInTruncatedPkts) X(IpExtInMcastPkts) X(IpExtOutMcastPkts)            \
    X(IpExtInBcastPkts) X(IpExtOutBcastPkts) X(IpExtInOctets) X(IpExtOutOctets)                    \
    X(IpExtInMcastOctets) X(IpExtOutMcastOctets) X(IpExtInBcastOctets) X(IpExtOutBcastOctets)      \
    X(IpExtInCsumErrors) X(IpExtInNoECTPkts) X(IpExtInECT1Pkts) X(IpExtInECT0Pkts)                 \
    X(IpExtInCEPkts) X(IpExtReasmOverlaps)

enum class Mib : std::uint16_t {
#define STACKSCOPE_MIB_ENUM(name) name,
    STACKSCOPE_MIBS(STACKSCOPE_MIB_ENUM)
#undef STACKSCOPE_MIB_ENUM
        Count
};

std::string_view mibName(Mib m);
std::optional<Mib> mibFromName(std::string_view name);

// struct rtnl_link_stats64 fields that the model fills, named as in `ip -s -j link`.
#define STACKSCOPE_LINK_STATS(X)                                                                   \
    X(rx_packets) X(rx_bytes) X(rx_errors) X(rx_dropped) X(rx_missed_errors) X(rx_over_errors)     \
    X(rx_length_errors) X(rx_crc_errors) X(rx_nohandler) X(rx_otherhost_dropped) X(multicast)      \
    X(tx_packets) X(tx_bytes) X(tx_errors) X(tx_dropped) X(tx_carrier_errors)

enum class LinkStat : std::uint8_t {
#define STACKSCOPE_LINK_ENUM(name) name,
    STACKSCOPE_LINK_STATS(STACKSCOPE_LINK_ENUM)
#undef STACKSCOPE_LINK_ENUM
        Count
};
std::string_view linkStatName(LinkStat s);

// /proc/net/softnet_stat columns that can be non-zero (net/core/net-procfs.c).
struct SoftnetStat {
    std::uint64_t processed = 0;
    std::uint64_t dropped = 0;
    std::uint64_t timeSqueeze = 0;
    std::uint64_t receivedRps = 0;
    std::uint64_t flowLimitCount = 0;
};

// tc -s qdisc: struct gnet_stats_basic + gnet_stats_queue.
struct QdiscStat {
    std::uint64_t sentBytes = 0;
    std::uint64_t sentPackets = 0;
    std::uint64_t dropped = 0;
    std::uint64_t overlimits = 0;
    std::uint64_t requeues = 0;
    std::uint64_t backlogBytes = 0;
    std::uint64_t backlogPackets = 0;
    // fq_codel's xstats (tc -s): the largest packet seen, packets dropped by the limit,
    // flows that became active, packets ECN-marked instead of dropped, bytes of skb memory
    // held, and the active flow lists' lengths.
    std::uint64_t maxpacket = 0;
    std::uint64_t dropOverlimit = 0;
    std::uint64_t newFlowCount = 0;
    std::uint64_t ecnMark = 0;
    std::uint64_t memoryUsage = 0;
    std::uint64_t newFlowsLen = 0;
    std::uint64_t oldFlowsLen = 0;
};

// One change to one counter, journalled so views can be rewound exactly.
struct CounterDelta {
    enum class Kind : std::uint8_t { Mib, IcmpMsgIn, IcmpMsgOut, Link, Softnet, Qdisc, Gauge };
    Kind kind;
    std::uint16_t object; // ifindex, cpu, queue id; 0 when unused
    std::uint16_t field;  // Mib, LinkStat, ICMP type, qdisc field index
    std::int64_t delta;
};

class Counters {
public:
    explicit Counters(int cpus = 1);

    void add(Mib m, std::uint64_t n = 1) {
        m_mib[std::size_t(m)] += n;
        journal(CounterDelta::Kind::Mib, 0, std::uint16_t(m), std::int64_t(n));
    }
    std::uint64_t get(Mib m) const { return m_mib[std::size_t(m)]; }

    // IcmpMsg InTypeN / OutTypeN; the Icmp In/Out per-type columns of /proc/net/snmp are
    // derived from these (icmp_put), so they move together.
    void addIcmpMsgIn(std::uint8_t type);
    void addIcmpMsgOut(std::uint8_t type);
    std::uint64_t icmpMsgIn(std::uint8_t type) const { return m_icmpIn[type]; }
    std::uint64_t icmpMsgOut(std::uint8_t type) const { return m_icmpOut[type]; }

    // Inline: the receive path counts every frame here.
    void addLink(int ifindex, LinkStat s, std::uint64_t n = 1) {
        linkStats(ifindex)[std::size_t(s)] += n;
        journal(CounterDelta::Kind::Link, std::uint16_t(ifindex), std::uint16_t(s), std::int64_t(n));
    }
    std::uint64_t link(int ifindex, LinkStat s) const;

    SoftnetStat& softnet(int cpu) { return m_softnet.at(std::size_t(cpu)); }
    const std::vector<SoftnetStat>& softnet() const { return m_softnet; }
    void addSoftnetProcessed(int cpu);
    void addSoftnetDropped(int cpu);
    void addSoftnetTimeSqueeze(int cpu);

    enum class QdiscField : std::uint16_t { SentBytes, SentPackets, Dropped, Overlimits, Requeues,
                                            BacklogBytes, BacklogPackets, MaxPacket, DropOverlimit,
                                            NewFlowCount, EcnMark, MemoryUsage, NewFlowsLen,
                                            OldFlowsLen };
    void addQdisc(int ifindex, QdiscField f, std::int64_t n);
    const QdiscStat& qdisc(int ifindex) { return m_qdisc[ifindex]; }
    const std::map<int, QdiscStat>& qdiscs() const { return m_qdisc; }

    // nstat-style view: every non-zero counter with its nstat name, /proc order.
    std::vector<std::pair<std::string, std::uint64_t>> nstat(bool includeZero = false) const;

    // While journalling, every change is also recorded; takeJournal() hands the record over.
    void setJournalling(bool on) { m_journalling = on; }
    std::vector<CounterDelta> takeJournal() { return std::exchange(m_journal, {}); }
    void apply(const CounterDelta& d, int sign = 1); // replay a journalled change

private:
    void journal(CounterDelta::Kind k, std::uint16_t obj, std::uint16_t field, std::int64_t n) {
        if (m_journalling) m_journal.push_back({k, obj, field, n});
    }

    std::array<std::uint64_t, std::size_t(Mib::Count)> m_mib{};
    std::array<std::uint64_t, 256> m_icmpIn{};
    std::array<std::uint64_t, 256> m_icmpOut{};
    using LinkStats = std::array<std::uint64_t, std::size_t(LinkStat::Count)>;
    LinkStats& linkStats(int ifindex) { // ifindexes are small and dense
        if (ifindex >= 0 && std::size_t(ifindex) < m_link.size()) return m_link[std::size_t(ifindex)];
        return growLinks(ifindex);
    }
    LinkStats& growLinks(int ifindex);
    std::vector<LinkStats> m_link;     // by ifindex
    std::vector<SoftnetStat> m_softnet;
    std::map<int, QdiscStat> m_qdisc;
    std::vector<CounterDelta> m_journal;
    bool m_journalling = false;
};

} // namespace stackscope
