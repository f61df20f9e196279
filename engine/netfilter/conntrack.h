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
// - TCP follows the kernel's state table (tcp_conntracks) and flag checks
//   (tcp_valid_flags), but not its sequence/window tracking (tcp_in_window):
//   out-of-window segments are not INVALID here.
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
#include <map>
#include <optional>
#include <span>
#include <string>
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
    Nanos tcpUnacknowledged = 300 * kSecond; // caps an unreplied mid-stream pickup
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
    void setTimeouts(const CtTimeouts& timeouts) { m_timeouts = timeouts; }
    const CtTimeouts& timeouts() const { return m_timeouts; }
    // net.netfilter.nf_conntrack_tcp_loose (default 1): pick up TCP flows mid-stream.
    void setTcpLoose(bool loose) { m_tcpLoose = loose; }

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
    bool isAssured(std::uint64_t id) const;
    bool seenReply(std::uint64_t id) const;
    // The confirmed entry holding this tuple, in either direction.
    std::optional<std::pair<std::uint64_t, CtDir>> find(const CtTuple& tuple) const;
    // For traces: "NEW udp 10.0.0.7:40000 -> 10.0.0.2:53", "INVALID".
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
    struct Entry {
        CtTuple tuple[2];  // indexed by CtDir
        Nanos timeout = 0; // relative while unconfirmed, absolute once confirmed
        Nanos created = 0;
        std::uint32_t mark = 0;
        std::uint16_t status = 0;
        TcpCtState tcp = TcpCtState::None;
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
    bool tcpPacket(std::uint64_t id, Entry& e, CtDir dir, std::uint8_t flags, Nanos now);
    bool icmpPacket(Entry& e, Nanos now);
    Nanos tcpTimeout(TcpCtState state) const;
    // nat.cpp
    bool tupleTaken(const CtTuple& tuple, std::uint64_t ignore) const;
    bool setupNatRange(std::uint64_t id, NatManip manip, bool mapIps, wire::Ipv4Address minAddr,
                       wire::Ipv4Address maxAddr, bool protoSpecified, std::uint16_t minPort,
                       std::uint16_t maxPort);
    bool uniqueTuple(CtTuple& tuple, const CtTuple& orig, NatManip manip, bool mapIps,
                     wire::Ipv4Address minAddr, wire::Ipv4Address maxAddr, bool protoSpecified,
                     std::uint16_t minPort, std::uint16_t maxPort, std::uint64_t id) const;

    CtTimeouts m_timeouts;
    bool m_tcpLoose = true;
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
