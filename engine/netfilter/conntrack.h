// SPDX-License-Identifier: GPL-3.0-or-later
// IPv4 connection tracking as net/netfilter/nf_conntrack_core.c does it
// (nf_conntrack_in, resolve_normal_ct, __nf_conntrack_confirm), with the
// trackers of nf_conntrack_proto_udp.c, nf_conntrack_proto_tcp.c,
// nf_conntrack_proto_icmp.c and the generic one. NAT bindings live on the same
// entries; their logic is in nat.cpp (nf_nat_core.c, nf_nat_proto.c).
//
// Modelling choices (the kernel differs only where said):
// - An entry is invisible to lookups, NAT clash checks and table() until it is
//   confirmed, as in the kernel, where an unconfirmed entry is not in the hash:
//   a second packet of a flow arriving before the first is confirmed gets its
//   own entry; confirm() then finds the clash (see there).
// - TCP follows nf_conntrack_tcp_packet: the state table (tcp_conntracks),
//   the flag checks (tcp_valid_flags), window tracking (tcp_in_window) with
//   window scaling and SACK, the ignored-packet resynchronisation, re-opening
//   of closed connections and the per-state timeouts. NAT sequence
//   adjustment (nf_ct_seq_offset) is not modelled: the offset is always 0.
// - Protocols other than TCP, UDP and ICMP use the generic tracker
//   (addresses only, 600 s), including GRE and SCTP.
// - Time is an input: every call that needs it takes `now`. Calls that do not
//   (setupNat) use the latest `now` seen by in() or confirm().
#pragma once

#include "netfilter/types.h"
#include "sim/time.h"
#include "wire/address.h"

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace stackscope::netfilter {

// struct nf_conntrack_tuple for IPv4. ICMP: srcPort = echo id, dstPort =
// (type << 8) | code of the message (the request in the original direction).
struct CtTuple {
    wire::Ipv4Address src, dst;
    std::uint8_t protocol = 0;
    std::uint16_t srcPort = 0, dstPort = 0;
    auto operator<=>(const CtTuple&) const = default;
};

enum class CtDir : std::uint8_t { Original, Reply };
enum class NatManip : std::uint8_t { Src, Dst };

struct CtLookup {
    CtState state = CtState::New;
    CtDir dir = CtDir::Original;
    std::uint64_t id = 0; // 0: untracked or invalid
    bool created = false; // this packet allocated the (unconfirmed) entry
    // Why the tracker said INVALID, or why a TCP packet was let through without
    // updating the entry ("ignored"): the kernel's nf_ct_l4proto_log_invalid text.
    std::string_view note;
};

// The nf_conntrack_*_timeout sysctls (net/netfilter/nf_conntrack_proto_*.c defaults).
struct CtTimeouts {
    Nanos udp = 30 * kSecond;
    Nanos udpStream = 120 * kSecond;
    Nanos icmp = 30 * kSecond;
    Nanos tcpSynSent = 120 * kSecond;
    Nanos tcpSynRecv = 60 * kSecond;
    Nanos tcpEstablished = 432000 * kSecond;
    Nanos tcpClose = 10 * kSecond;
    Nanos generic = 600 * kSecond;
    Nanos tcpFinWait = 120 * kSecond;
    Nanos tcpCloseWait = 60 * kSecond;
    Nanos tcpLastAck = 30 * kSecond;
    Nanos tcpTimeWait = 120 * kSecond;
    Nanos tcpUnacknowledged = 300 * kSecond; // unacknowledged data, unreplied pickups
    Nanos tcpMaxRetrans = 300 * kSecond;     // after nf_conntrack_tcp_max_retrans retransmits
    Nanos tcpSynSent2 = 120 * kSecond;       // no sysctl: the compiled-in value
};

// Everything the tracker reads from net.netfilter.nf_conntrack_*.
struct CtSettings {
    CtTimeouts timeouts;
    bool tcpLoose = true;             // nf_conntrack_tcp_loose: pick up flows mid-stream
    bool tcpBeLiberal = false;        // nf_conntrack_tcp_be_liberal: skip window checks
    bool tcpIgnoreInvalidRst = false; // nf_conntrack_tcp_ignore_invalid_rst
    std::uint32_t tcpMaxRetrans = 3;  // nf_conntrack_tcp_max_retrans
};
// Builds the settings from the sysctl values; lookup returns the value of a
// "net.netfilter.nf_conntrack_*" key (seconds for timeouts).
CtSettings ctSettingsFromSysctls(const std::function<std::int64_t(std::string_view)>& lookup);

// struct ip_ct_tcp_state: what conntrack knows of one direction's sequence space.
struct CtTcpWindow {
    std::uint32_t tdEnd = 0;    // max(seq + len) this side sent
    std::uint32_t tdMaxEnd = 0; // max(ack + window) the other side allowed this side to send
    std::uint32_t tdMaxWin = 0; // largest window this side advertised (scaled)
    std::uint32_t tdMaxAck = 0; // largest ack this side sent
    std::uint8_t tdScale = 0;   // window scale this side announced (0 unless both did)
    std::uint8_t flags = 0;     // IP_CT_TCP_FLAG_* below
};
inline constexpr std::uint8_t kCtTcpFlagWindowScale = 0x01;
inline constexpr std::uint8_t kCtTcpFlagSackPerm = 0x02;
inline constexpr std::uint8_t kCtTcpFlagCloseInit = 0x04;
inline constexpr std::uint8_t kCtTcpFlagBeLiberal = 0x08;
inline constexpr std::uint8_t kCtTcpFlagDataUnacknowledged = 0x10;
inline constexpr std::uint8_t kCtTcpFlagMaxAckSet = 0x20;

// `conntrack -S` (struct ip_conntrack_stat), summed over CPUs. The fields the
// model increments: the others (found, drop, early_drop, search_restart,
// chaintoolong) stay 0 because nothing the model does reaches them.
struct CtStats {
    std::uint64_t invalid = 0;      // packets left without a conntrack entry
    std::uint64_t error = 0;        // ICMP packets the ICMP tracker refused
    std::uint64_t insertFailed = 0; // confirm found a clash it could not resolve
    std::uint64_t clashResolve = 0; // confirm merged a duplicate entry
};

// enum tcp_conntrack, in the kernel's order.
enum class TcpCtState : std::uint8_t {
    None,
    SynSent,
    SynRecv,
    Established,
    FinWait,
    CloseWait,
    LastAck,
    TimeWait,
    Close,
    SynSent2
};
std::string_view tcpCtStateName(TcpCtState state); // "SYN_SENT", "ESTABLISHED", ...

struct CtRow {
    // As `conntrack -L` prints the entry, e.g. "udp      17 29 src=10.0.0.7 dst=10.0.0.2
    // sport=40000 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.7 sport=53 dport=40000 mark=0 use=1"
    std::string text;
    std::uint64_t id = 0;
};

// What the NAT hook decided for one packet (nf_nat_inet_fn's verdict).
struct NatResult {
    bool changed = false; // bytes were rewritten
    bool drop = false;    // NF_DROP: an unfixable header, or an ICMP redirect about a NATed flow
};

class Conntrack {
  public:
    void setTimeouts(const CtTimeouts& timeouts) { m_settings.timeouts = timeouts; }
    const CtTimeouts& timeouts() const { return m_settings.timeouts; }
    void setSettings(const CtSettings& settings) { m_settings = settings; }
    const CtSettings& settings() const { return m_settings; }
    // net.netfilter.nf_conntrack_tcp_loose (default 1): pick up TCP flows mid-stream.
    void setTcpLoose(bool loose) { m_settings.tcpLoose = loose; }
    // net.netfilter.nf_conntrack_tcp_be_liberal (default 0).
    void setTcpBeLiberal(bool liberal) { m_settings.tcpBeLiberal = liberal; }
    const CtStats& stats() const { return m_stats; }
    // `conntrack -S` line: "cpu=0 found=0 invalid=3 insert=0 insert_failed=0 ..."
    std::string statsLine() const;

    // nf_conntrack_in for one IPv4 packet (ip starts at the IP header) at
    // PRE_ROUTING or LOCAL_OUT. A new flow gets an unconfirmed entry
    // (created = true). ICMP errors about a tracked connection are RELATED to
    // it. Malformed or unsupported packets are Invalid with id 0. Nothing is
    // dropped here. verifyChecksum: pass true at PRE_ROUTING when
    // net.netfilter.nf_conntrack_checksum = 1 (a bad L4 checksum is INVALID).
    CtLookup in(std::span<const std::uint8_t> ip, Nanos now, bool verifyChecksum = false);

    // __nf_conntrack_confirm at the end of LOCAL_IN / POST_ROUTING: starts the
    // timeout and makes the entry visible. Returns false when another confirmed
    // entry already holds one of its tuples: the entry is then destroyed and the
    // kernel drops the packet (insert_failed), unless both entries describe the
    // same flow with the same translation (nf_ct_resolve_clash), in which case
    // the duplicate is merged into the stored one and true is returned.
    // Confirming a confirmed entry does nothing and returns true.
    bool confirm(std::uint64_t id, Nanos now);
    void destroyUnconfirmed(std::uint64_t id);
    bool isConfirmed(std::uint64_t id) const;
    bool exists(std::uint64_t id) const { return m_entries.count(id) != 0; }
    // The gc worker: drops confirmed entries whose timeout has passed (and
    // entries a TCP RST or a re-opening SYN killed). Returns how many went.
    std::size_t expire(Nanos now);

    // NAT (nf_nat_core.c). A binding per manip type; the nat table is consulted
    // only while !hasBinding.
    bool hasBinding(std::uint64_t id, NatManip manip) const;
    // IPS_SRC_NAT / IPS_DST_NAT: the binding changed the tuple (ctstate SNAT/DNAT).
    bool isNatted(std::uint64_t id, NatManip manip) const;
    // nf_nat_setup_info from a target's request: DNAT/REDIRECT are Dst, SNAT/
    // MASQUERADE are Src (NatKind::None makes a null binding). MASQUERADE uses
    // masqAddress (inet_select_addr of the out device), REDIRECT uses
    // redirectAddress (primary address of the in device, or 127.0.0.1 at
    // LOCAL_OUT); a zero address fails as the kernel drops it.
    // Address choice in a range: a deterministic hash of source and destination
    // (the kernel hashes them too, with jhash). Port / ICMP id choice: keep the
    // original when the resulting reply tuple is unused, else the lowest free
    // value of the range (nf_nat_l4proto_unique_tuple; the kernel starts at a
    // random offset and gives up after 128 tries). Returns false when the
    // searched range has no free tuple, the binding already exists, or the
    // request is for the wrong manip: the caller drops (NF_DROP). Where nothing
    // can be varied (a destination without --to-ports, a single port, a
    // protocol without ports) a clash is kept and confirm() reports it, as in
    // the kernel.
    bool setupNat(std::uint64_t id, NatManip manip, const NatRequest& request,
                  wire::Ipv4Address masqAddress = {}, wire::Ipv4Address redirectAddress = {});
    // nf_nat_alloc_null_binding: no rule NATed. A source null binding may still
    // move the source port if the reply tuple is taken (as the kernel does).
    void setNullBinding(std::uint64_t id, NatManip manip);
    // nf_nat_packet / nf_nat_icmp_reply_translation: rewrites the packet for
    // the manip this hook performs (PRE_ROUTING and LOCAL_OUT: Dst; POST_ROUTING
    // and LOCAL_IN: Src; FORWARD: none), in the Reply direction the inverse
    // one. Checksums are updated incrementally; a UDP checksum of 0 stays 0.
    // ICMP errors get their embedded header translated too.
    NatResult natPacket(std::uint64_t id, CtDir dir, Hook hook, std::span<std::uint8_t> ip) const;
    bool applyNat(std::uint64_t id, CtDir dir, Hook hook, std::span<std::uint8_t> ip) const {
        return natPacket(id, dir, hook, ip).changed;
    }
    // masq_inet_event: the address left its device, so connections MASQUERADEd
    // to it are deleted. Returns how many.
    std::size_t flushMasquerade(wire::Ipv4Address address);

    // Confirmed, unexpired entries in creation order, as `conntrack -L` prints them.
    std::vector<CtRow> table(Nanos now) const;
    // Every entry, unconfirmed ones included (nf_conntrack_count).
    std::size_t size() const { return m_entries.size(); }

    std::uint32_t mark(std::uint64_t id) const;
    void setMark(std::uint64_t id, std::uint32_t mark);

    std::optional<CtTuple> tuple(std::uint64_t id, CtDir dir) const;
    std::optional<TcpCtState> tcpState(std::uint64_t id) const;
    std::optional<CtTcpWindow> tcpWindow(std::uint64_t id, CtDir dir) const;
    // Absolute expiry of a confirmed entry (relative timeout while unconfirmed).
    std::optional<Nanos> timeoutOf(std::uint64_t id) const;
    bool isAssured(std::uint64_t id) const;
    bool seenReply(std::uint64_t id) const;
    // The confirmed entry holding this tuple, in either direction.
    std::optional<std::pair<std::uint64_t, CtDir>> find(const CtTuple& tuple) const;
    // For traces: "NEW udp 10.0.0.7:40000 -> 10.0.0.2:53", "ESTABLISHED tcp
    // 10.0.0.2:80 -> 10.0.0.7:40000 SYN_RECV", "INVALID", "INVALID (invalid new)".
    std::string describe(const CtLookup& lookup) const;

  private:
    enum Status : std::uint16_t {
        kSeenReply = 1 << 0,
        kAssured = 1 << 1,
        kConfirmed = 1 << 2,
        kSrcNat = 1 << 3,
        kDstNat = 1 << 4,
        kSrcNatDone = 1 << 5,
        kDstNatDone = 1 << 6,
        kDying = 1 << 7,      // killed (RST, re-open): gone for lookups, freed by expire()
        kMasquerade = 1 << 8, // the Src binding came from MASQUERADE
    };
    // struct ip_ct_tcp
    struct TcpTrack {
        TcpCtState state = TcpCtState::None;
        CtTcpWindow seen[2]; // indexed by CtDir
        std::uint8_t lastIndex = 5; // TCP_NONE_SET
        std::uint8_t lastDir = 0;
        std::uint8_t lastWscale = 0;
        std::uint8_t lastFlags = 0;
        std::uint8_t retrans = 0;
        std::uint32_t lastSeq = 0, lastAck = 0, lastEnd = 0;
        std::uint16_t lastWin = 0;
    };
    struct Entry {
        CtTuple tuple[2];  // indexed by CtDir
        Nanos timeout = 0; // relative while unconfirmed, absolute once confirmed
        Nanos created = 0;
        std::uint32_t mark = 0;
        std::uint16_t status = 0;
        TcpTrack tcp;
        bool has(std::uint16_t bits) const { return (status & bits) == bits; }
    };
    struct IndexValue {
        std::uint64_t id = 0;
        CtDir dir = CtDir::Original;
    };

    Entry* entry(std::uint64_t id);
    const Entry* entry(std::uint64_t id) const;
    bool live(const Entry& e) const; // confirmed, not dying, not expired at m_now
    void refresh(Entry& e, Nanos timeout, Nanos now);
    void erase(std::uint64_t id);
    void unindex(std::uint64_t id, const Entry& e);
    std::optional<IndexValue> lookupLive(const CtTuple& tuple, Nanos now);
    CtLookup relatedIcmp(std::span<const std::uint8_t> ip, std::size_t icmpOffset,
                         std::size_t icmpLength, Nanos now);
    // The per-protocol packet handlers; false means the packet is INVALID.
    bool udpPacket(Entry& e, CtDir dir, Nanos now);
    bool icmpPacket(Entry& e, Nanos now);
    // conntrack_tcp: nf_conntrack_tcp_packet and its helpers.
    enum class TcpVerdict : std::uint8_t { Accept, Ignore, Invalid, Repeat };
    struct TcpSegment;
    TcpVerdict tcpPacket(Entry& e, CtDir dir, const TcpSegment& seg, bool isNew, Nanos now,
                         std::string_view& note);
    bool tcpNew(Entry& e, const TcpSegment& seg, std::string_view& note) const;
    TcpVerdict tcpInWindow(Entry& e, CtDir dir, std::uint8_t index, const TcpSegment& seg,
                           std::string_view& note) const;
    void tcpHandleInvalid(Entry& e, CtDir dir, std::uint8_t index, Nanos now) const;
    TcpVerdict tcpLogInvalid(const CtTcpWindow& sender, TcpVerdict verdict, std::string_view why,
                             std::string_view& note) const;
    Nanos tcpTimeout(TcpCtState state) const;
    // nat.cpp
    bool tupleTaken(const CtTuple& tuple, std::uint64_t ignore) const;
    bool setupNatRange(std::uint64_t id, NatManip manip, bool mapIps, wire::Ipv4Address minAddr,
                       wire::Ipv4Address maxAddr, bool protoSpecified, std::uint16_t minPort,
                       std::uint16_t maxPort);
    bool uniqueTuple(CtTuple& tuple, const CtTuple& orig, NatManip manip, bool mapIps,
                     wire::Ipv4Address minAddr, wire::Ipv4Address maxAddr, bool protoSpecified,
                     std::uint16_t minPort, std::uint16_t maxPort, std::uint64_t id) const;

    CtSettings m_settings;
    CtStats m_stats;
    Nanos m_now = 0;
    std::uint64_t m_nextId = 1;
    std::map<std::uint64_t, Entry> m_entries; // ids grow, so this is creation order
    std::map<CtTuple, IndexValue> m_index;    // both tuples of every confirmed entry
};

// "udp 10.0.0.7:40000 -> 10.0.0.2:53", "icmp 10.0.0.7 -> 10.0.0.2 type=8 code=0 id=7".
std::string formatTuple(const CtTuple& tuple);
std::string_view ctStateName(CtState state); // "NEW", "ESTABLISHED", ...
// Reads the tuple of the packet at ip (nf_ct_get_tuple); nullopt when the
// headers are too short for it. ICMP messages other than the query types
// give their type/code with id 0.
std::optional<CtTuple> packetTuple(std::span<const std::uint8_t> ip);
// nf_ct_invert_tuple; nullopt for ICMP types without a reply type.
std::optional<CtTuple> invertTuple(const CtTuple& tuple);

} // namespace stackscope::netfilter
