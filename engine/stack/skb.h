// SPDX-License-Identifier: GPL-3.0-or-later
// struct sk_buff, reduced to what decides a packet's fate and its counters
// (include/linux/skbuff.h). Bytes always start at the Ethernet header; the
// offsets say where the kernel's skb->data would be at each layer.
#pragma once

#include "sim/drop_reason.h"
#include "sim/frame_buffers.h"
#include "sim/time.h"
#include "sim/trace.h"
#include "wire/address.h"

#include <cstdint>
#include <span>
#include <vector>

namespace stackscope::stack {

// skb->pkt_type (include/uapi/linux/if_packet.h).
enum class PktType : std::uint8_t { Host = 0, Broadcast = 1, Multicast = 2, OtherHost = 3, Outgoing = 4 };
std::string_view pktTypeName(PktType t);

// rtable->rt_type for the route attached to the skb (include/uapi/linux/rtnetlink.h RTN_*).
enum class RtType : std::uint8_t { None, Unicast, Local, Broadcast, Multicast, Blackhole, Unreachable, Prohibit };

// skb->ip_summed (include/linux/skbuff.h). GRO leaves UNNECESSARY on a segment whose TCP
// checksum it verified and PARTIAL on a merged packet, whose TCP checksum field then holds
// only the pseudo-header sum: receivers must not verify it again.
enum class IpSummed : std::uint8_t { None, Unnecessary, Complete, Partial };

struct Dst {
    RtType type = RtType::None;
    int device = 0;                   // output device (forward, output) or the input device (local)
    wire::Ipv4Address gateway;        // next hop, 0 = directly connected
    wire::Ipv4Address prefsrc;        // source address the route suggests
    std::uint32_t mtu = 1500;
    int error = 0;                    // errno for ip_error (EHOSTUNREACH, ENETUNREACH, EACCES, EINVAL)
    bool local = false;               // RTCF_LOCAL
    bool broadcast = false;           // RTCF_BROADCAST
    bool doRedirect = false;          // IPSKB_DOREDIRECT
};

struct Skb {
    Skb() = default;
    Skb(const Skb&) = default;
    Skb(Skb&&) noexcept = default;
    Skb& operator=(const Skb&) = default;
    Skb& operator=(Skb&&) noexcept = default;
    // kfree_skb: the bytes go back to the frame buffer pool for the next received frame.
    ~Skb() {
        if (data.capacity() != 0) frame_buffers::give(std::move(data));
    }

    PacketId id = kNoPacket;
    std::vector<std::uint8_t> data; // from the Ethernet header
    std::uint16_t network = 14;     // offset of the IP/ARP header
    std::uint16_t transport = 0;    // offset of the L4 header once known
    std::uint32_t l3Length = 0;     // skb->len at the IP layer (may include L2 padding before trim)
    int device = 0;                 // skb->dev
    int inputDevice = 0;            // skb_iif
    PktType pktType = PktType::Host;
    std::uint16_t protocol = 0;     // skb->protocol, host order
    std::uint32_t mark = 0;
    std::uint32_t truesize = 0;
    // skb_shinfo(skb)->gso_segs / gso_size: a GRO super-packet carries the segments it merged
    // (gso_segs, 1 for a plain packet here where the kernel keeps 0) and their MSS (gso_size,
    // 0 = not GSO).
    std::uint16_t gsoSegs = 1;
    std::uint16_t gsoSize = 0;
    IpSummed ipSummed = IpSummed::None;
    std::uint32_t priority = 0;
    Nanos tstamp = 0;
    int cpu = 0;
    Dst dst;
    bool locallyGenerated = false;
    // skb->sk with sock_wfree as destructor: the send line whose socket's sk_wmem_alloc holds
    // this skb's truesize until the skb is freed or orphaned (Host::sock_wfree). Whoever
    // copies a charged skb (ip_do_fragment) decides which copy carries which part of it.
    int wmemOwner = -1;
    // skb->_nfct: the connection and how this packet relates to it (0: none / untracked).
    std::uint64_t ct = 0;
    bool ctReply = false;
    bool ctSeen = false;            // conntrack has looked at this packet
    std::uint8_t ctState = 0;       // netfilter::CtState
    bool nftrace = false;           // skb->nf_trace, set by the TRACE target
    DropReason reason = DropReason::None;

    bool isGso() const { return gsoSize != 0; } // skb_is_gso
    // skb_gso_validate_network_len: every segment (IP and TCP headers plus gso_size) fits `mtu`.
    bool gsoSegmentsFit(std::uint32_t mtu) const {
        if (!isGso() || transport <= network || l4().size() <= 12) return false;
        return std::uint32_t(transport - network) + (l4()[12] >> 4) * 4u + gsoSize <= mtu;
    }

    std::span<std::uint8_t> l3() { return {data.data() + network, data.size() - network}; }
    std::span<const std::uint8_t> l3() const { return {data.data() + network, data.size() - network}; }
    std::span<const std::uint8_t> l4() const {
        return {data.data() + transport, transport <= data.size() ? data.size() - transport : 0};
    }
};

// x86_64 sizes (KERNEL-NOTES section 7): SKB_DATA_ALIGN(sizeof(struct sk_buff)) and of
// struct skb_shared_info, and the small-head cache size. The cache size depends on the
// kernel's MAX_TCP_HEADER; 576 is what the conformance kernel (6.18) shows: a UDP socket
// charged 832 bytes per small datagram sent through a veth (ss -uamn, skmem r).
inline constexpr std::uint32_t kSkbStructSize = 256;
inline constexpr std::uint32_t kSkbSharedInfoSize = 320;
inline constexpr std::uint32_t kSkbSmallHeadCacheSize = 576;

constexpr std::uint32_t skbDataAlign(std::uint32_t n) { return (n + 63u) & ~63u; }
constexpr std::uint32_t skbTruesizeOf(std::uint32_t x) { return x + kSkbStructSize + kSkbSharedInfoSize; }

// truesize of an skb whose linear head was requested for `size` bytes (__alloc_skb ->
// kmalloc_reserve -> __finalize_skb_around).
constexpr std::uint32_t skbTruesizeForHead(std::uint32_t size) {
    std::uint32_t want = skbDataAlign(size) + kSkbSharedInfoSize;
    std::uint32_t bucket = kSkbSmallHeadCacheSize;
    if (want > bucket) {
        bucket = 1024;
        while (bucket < want) bucket *= 2;
    }
    return skbTruesizeOf(bucket - kSkbSharedInfoSize);
}

// LL_RESERVED_SPACE(dev) of an Ethernet device: its 14-byte header rounded up to 16.
inline constexpr std::uint32_t kLlReservedSpace = 16;

// truesize of an skb __ip_append_data builds for `ipLen` bytes of IP packet (header
// included): alloclen + LL_RESERVED_SPACE + 15 bytes (KERNEL-NOTES 7).
constexpr std::uint32_t ipAppendDataTruesize(std::uint32_t ipLen) {
    return skbTruesizeForHead(ipLen + kLlReservedSpace + 15);
}

// The data bytes the next IPv4 fragment carries when `left` remain and `room` fit after the
// header: all of them if they fit, else a multiple of 8 (ip_do_fragment, __ip_append_data).
constexpr std::uint32_t ipFragmentDataLength(std::uint32_t left, std::uint32_t room) {
    return left <= room ? left : room & ~7u;
}

// SOCK_MIN_RCVBUF = TCP_SKB_MIN_TRUESIZE = 2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff)).
inline constexpr std::uint32_t kSockMinRcvbuf = 2048 + kSkbStructSize;
// SOCK_MIN_SNDBUF = 2 * TCP_SKB_MIN_TRUESIZE.
inline constexpr std::uint32_t kSockMinSndbuf = 2 * (2048 + kSkbStructSize);

} // namespace stackscope::stack
