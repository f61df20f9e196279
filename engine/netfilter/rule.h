// SPDX-License-Identifier: GPL-3.0-or-later
// A parsed iptables rule: the IP part (struct ipt_ip), its matches and its target,
// stored as compact values so evaluation never compares strings.
#pragma once

#include "netfilter/types.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace stackscope::netfilter {

// struct ipt_ip: addresses with masks, interfaces with the "+" wildcard, protocol, fragment flag.
struct IpPart {
    std::uint32_t src = 0, srcMask = 0, dst = 0, dstMask = 0;
    std::array<char, 16> inIface{};
    std::array<char, 16> outIface{};
    std::uint8_t inLen = 0, outLen = 0;   // bytes to compare (name length, +1 for the NUL unless "+")
    bool inWildcard = false, outWildcard = false;
    std::uint8_t proto = 0;
    bool invSrc = false, invDst = false, invIn = false, invOut = false, invProto = false;
    bool frag = false, invFrag = false;
};

enum class MatchKind : std::uint8_t {
    Tcp, Udp, Icmp, Multiport, Conntrack, State, Mark, Comment, Limit, IpRange, AddrType,
    Length, Ttl, PktType
};

enum class MultiportMode : std::uint8_t { Source, Destination, Either };
enum class TtlMode : std::uint8_t { Eq, Ne, Lt, Gt };

// State bits as xt_conntrack / xt_state number them.
inline constexpr std::uint16_t kStateInvalid = 1 << 0;
inline constexpr std::uint16_t kStateEstablished = 1 << 1;
inline constexpr std::uint16_t kStateRelated = 1 << 2;
inline constexpr std::uint16_t kStateNew = 1 << 3;
inline constexpr std::uint16_t kStateSnat = 1 << 6;
inline constexpr std::uint16_t kStateDnat = 1 << 7;
inline constexpr std::uint16_t kStateUntracked = 1 << 8;

// nft_limit's packet bucket: tokens are nanoseconds, one packet costs unit/rate.
struct LimitState {
    bool started = false;
    std::uint64_t tokens = 0;
    std::int64_t last = 0;
};

struct Match {
    MatchKind kind = MatchKind::Tcp;
    bool invert = false; // single-option matches, icmp, multiport, ctstate, mark, length, pkttype
    // tcp / udp
    bool hasSport = false, hasDport = false, invSport = false, invDport = false;
    std::uint16_t sportLo = 0, sportHi = 0xffff, dportLo = 0, dportHi = 0xffff;
    bool hasFlags = false, invFlags = false;
    std::uint8_t flagMask = 0, flagComp = 0;
    // icmp (type 0xff = any)
    std::uint8_t icmpType = 0xff, codeLo = 0, codeHi = 0xff;
    // multiport: entries, a range takes two slots with rangeStart set on the first
    MultiportMode mpMode = MultiportMode::Either;
    std::uint8_t portCount = 0;
    std::array<std::uint16_t, 15> ports{};
    std::array<bool, 15> rangeStart{};
    // conntrack / state
    std::uint16_t stateMask = 0;
    // mark
    std::uint32_t markValue = 0, markMask = 0xffffffff;
    // limit: what iptables-nft sends (rate per unit seconds) and the burst
    std::uint32_t limitAvg = 0; // XT_LIMIT_SCALE units, kept to print the rate like iptables
    std::uint32_t limitBurst = 5;
    std::uint64_t limitRate = 0, limitUnit = 1;
    LimitState limit;
    // iprange
    bool hasSrcRange = false, hasDstRange = false, invSrcRange = false, invDstRange = false;
    std::uint32_t srcLo = 0, srcHi = 0, dstLo = 0, dstHi = 0;
    // addrtype: bit (1 << AddrType) masks
    std::uint16_t srcTypes = 0, dstTypes = 0;
    bool invSrcType = false, invDstType = false, limitIfaceIn = false, limitIfaceOut = false;
    // length
    std::uint16_t lenMin = 0, lenMax = 0xffff;
    // ttl
    TtlMode ttlMode = TtlMode::Eq;
    std::uint8_t ttl = 0;
    // pkttype
    PktType pktType = PktType::Host;
    // comment
    std::string comment;
};

enum class TargetKind : std::uint8_t {
    None, Accept, Drop, Return, Jump, Goto, Reject, Log, Mark, Connmark, Ct, Notrack, Dnat,
    Snat, Masquerade, Redirect, Ttl, Trace
};

enum class ConnmarkMode : std::uint8_t { Set, Save, Restore };
enum class TtlTargetMode : std::uint8_t { Set, Dec, Inc };

// Log flags as nf_log numbers them (NF_LOG_TCPSEQ ...).
inline constexpr std::uint8_t kLogTcpSeq = 0x01;
inline constexpr std::uint8_t kLogTcpOpt = 0x02;
inline constexpr std::uint8_t kLogIpOpt = 0x04;
inline constexpr std::uint8_t kLogUid = 0x08;
inline constexpr std::uint8_t kLogMacDecode = 0x20;

struct Target {
    TargetKind kind = TargetKind::None;
    std::string chain;   // jump / goto target name
    int chainIndex = -1; // resolved index in the table
    RejectWith reject = RejectWith::PortUnreachable;
    std::string logPrefix;
    std::uint8_t logLevel = 4;
    std::uint8_t logFlags = 0;
    // MARK and CONNMARK --set-xmark: mark = (mark & ~mask) ^ value
    std::uint32_t markValue = 0, markMask = 0;
    ConnmarkMode connmarkMode = ConnmarkMode::Set;
    std::uint32_t nfmask = 0xffffffff, ctmask = 0xffffffff;
    NatRange nat;
    // --random, --random-fully, --persistent of the NAT targets (NF_NAT_RANGE_PROTO_RANDOM,
    // _PROTO_RANDOM_FULLY, _PERSISTENT). Kept for the formats; port allocation ignores them.
    bool natRandom = false, natRandomFully = false, natPersistent = false;
    bool ctNotrack = false; // CT --notrack; a bare -j CT attaches a default template only
    TtlTargetMode ttlMode = TtlTargetMode::Set;
    std::uint8_t ttlValue = 0;
};

// What the chain walk tests before anything else: the addresses, the protocol and the
// first tcp/udp match's ports, packed together so that a rule the packet misses costs a
// few compares. It is only a necessary condition: a packet that passes still goes through
// every option of the rule. Filled by quickCheckOf() when a rule enters a chain.
struct QuickCheck {
    bool valid = false;
    // The rule tests nothing beyond these fields (no interface, fragment flag, TCP flags or
    // other match): for a packet with a valid header, passing means the rule matches.
    bool complete = false;
    bool invSrc = false, invDst = false, invProto = false;
    bool ports = false; // a tcp/udp match: needs the transport header
    bool hasSport = false, hasDport = false, invSport = false, invDport = false;
    std::uint8_t proto = 0;
    std::uint16_t sportLo = 0, sportHi = 0xffff, dportLo = 0, dportHi = 0xffff;
    std::uint32_t src = 0, srcMask = 0, dst = 0, dstMask = 0;
};

struct Rule {
    QuickCheck quick; // first, so the walk reads it without touching the rest
    IpPart ip;
    std::vector<Match> matches;
    Target target;
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    std::uint64_t handle = 0; // nft rule handle, from the table's counter
};

QuickCheck quickCheckOf(const Rule& rule);

struct Chain {
    std::string name;
    bool builtin = false;
    Hook hook = Hook::PreRouting; // built-in chains only
    Verdict policy = Verdict::Accept;
    std::uint64_t packets = 0; // policy counters
    std::uint64_t bytes = 0;
    // iptables-nft gives a base chain a policy counter only when the chain is written with
    // a policy (-P, or a ":CHAIN POLICY" line of iptables-restore); a chain created
    // implicitly by -A never counts (seen with iptables 1.8.9 on Linux 6.18).
    bool policyCounted = false;
    std::vector<Rule> rules;
    // The rules' QuickChecks side by side, so the walk skips rules without touching them;
    // rebuilt whenever the chain changes (a size mismatch means "not built").
    std::vector<QuickCheck> quick;
    // nft chain handle; 0 while a built-in chain exists only implicitly (iptables-nft
    // creates it on first use).
    std::uint64_t handle = 0;
};

struct Table {
    TableId id = TableId::Filter;
    bool present = false; // iptables-save prints a table only once something created it
    std::vector<Chain> chains; // built-ins first, then user chains sorted by name
    std::uint64_t nextHandle = 1; // nft numbers chains and rules from one per-table counter
};

} // namespace stackscope::netfilter
