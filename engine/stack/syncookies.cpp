// SPDX-License-Identifier: GPL-3.0-or-later
// net/ipv4/syncookies.c: the SYN cookie an overflowing listener answers with
// (__cookie_v4_init_sequence: a keyed hash of the 4-tuple, the peer's ISN, a
// minute counter in the top 8 bits and an MSS-table index), and cookie_v4_check
// that turns a returning ACK back into a connection.
#include "stack/host.h"
#include "stack/trace_macros.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#include <array>
#include <fmt/format.h>

namespace stackscope::stack {

namespace {

constexpr std::uint32_t kCookieBits = 24; // COOKIEBITS: the upper 8 bits carry the counter
constexpr std::uint32_t kCookieMask = (1u << kCookieBits) - 1;
constexpr std::uint32_t kMaxSyncookieAge = 2; // MAX_SYNCOOKIE_AGE, minutes
constexpr std::array<std::uint16_t, 4> kMssTab{536, 1300, 1440, 1460}; // msstab

} // namespace

std::uint32_t Host::cookie_v4_init_sequence(const TcpFlowKey& k, std::uint32_t seq, std::uint16_t& mss) {
    std::uint32_t mssind = kMssTab.size() - 1;
    for (; mssind; --mssind)
        if (mss >= kMssTab[mssind]) break;
    mss = kMssTab[mssind];
    const auto count = std::uint32_t(jiffies() / (60 * kHz)); // tcp_cookie_time
    const std::uint32_t h0 = tcpHash(m_tcp.cookieSecret, k);
    const std::uint32_t h1 = tcpHash(m_tcp.cookieSecret ^ (std::uint64_t(count) << 1 | 1), k);
    return h0 + seq + (count << kCookieBits) + ((h1 + mssind) & kCookieMask);
}

// cookie_v4_check up to the MSS: nullopt when the ACK carries no valid cookie; the caller
// counts SyncookiesRecv or SyncookiesFailed only when this was looked at (`checked`).
std::optional<std::uint16_t> Host::cookie_v4_check(int listener, const Skb& skb) {
    (void)listener;
    const auto ip = *wire::Ipv4Packet::view(skb.l3());
    const auto th = *wire::TcpPacket::view(skb.l4());
    const TcpFlowKey k{ip.dst().value, th.dstPort(), ip.src().value, th.srcPort()};
    std::uint32_t cookie = th.ackNumber() - 1;
    const std::uint32_t sseq = th.seqNumber() - 1;
    const auto count = std::uint32_t(jiffies() / (60 * kHz));
    cookie -= tcpHash(m_tcp.cookieSecret, k) + sseq;
    const std::uint32_t diff = (count - (cookie >> kCookieBits)) & (0xffffffffu >> kCookieBits);
    if (diff >= kMaxSyncookieAge) return std::nullopt;
    const std::uint32_t h1 = tcpHash(m_tcp.cookieSecret ^ (std::uint64_t(count - diff) << 1 | 1), k);
    const std::uint32_t mssind = (cookie - h1) & kCookieMask;
    if (mssind >= kMssTab.size()) return std::nullopt;
    return kMssTab[mssind];
}

} // namespace stackscope::stack
