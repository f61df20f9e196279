// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/ipv4.h"

#include <cassert>
#include <cstring>

namespace stackscope::wire {

bool setTtl(std::span<std::uint8_t> packet, std::uint8_t ttl) {
    if (packet.size() < kIpv4MinHeaderLen) return false;
    std::uint8_t* p = packet.data();
    // TTL shares its 16-bit checksum word with the protocol byte.
    std::uint16_t oldWord = loadBe16(p + kIpv4TtlOffset);
    std::uint16_t newWord = std::uint16_t((unsigned(ttl) << 8) | p[kIpv4ProtocolOffset]);
    storeBe16(p + kIpv4ChecksumOffset,
              checksumReplace16(loadBe16(p + kIpv4ChecksumOffset), oldWord, newWord));
    p[kIpv4TtlOffset] = ttl;
    return true;
}

std::uint8_t decreaseTtl(std::span<std::uint8_t> packet) {
    assert(packet.size() >= kIpv4MinHeaderLen && packet[kIpv4TtlOffset] != 0);
    std::uint8_t* p = packet.data();
    // The TTL is the high byte of its word, so one less TTL is 0x0100 more in
    // the complemented checksum, with the end-around carry folded straight in.
    std::uint32_t check = loadBe16(p + kIpv4ChecksumOffset);
    check += 0x0100;
    check += check >= 0xffff ? 1 : 0;
    storeBe16(p + kIpv4ChecksumOffset, std::uint16_t(check));
    return --p[kIpv4TtlOffset];
}

namespace {

bool replaceAddress(std::span<std::uint8_t> packet, std::size_t offset, Ipv4Address address) {
    if (packet.size() < kIpv4MinHeaderLen) return false;
    std::uint8_t* p = packet.data();
    std::uint16_t check =
        checksumReplace32(loadBe16(p + kIpv4ChecksumOffset), loadBe32(p + offset), address.value);
    storeBe16(p + kIpv4ChecksumOffset, check);
    storeIpv4(p + offset, address);
    return true;
}

} // namespace

bool setSrc(std::span<std::uint8_t> packet, Ipv4Address address) {
    return replaceAddress(packet, kIpv4SrcOffset, address);
}

bool setDst(std::span<std::uint8_t> packet, Ipv4Address address) {
    return replaceAddress(packet, kIpv4DstOffset, address);
}

bool fillIpv4Checksum(std::span<std::uint8_t> packet) {
    if (packet.size() < kIpv4MinHeaderLen) return false;
    std::size_t len = std::size_t(packet[kIpv4VersionIhlOffset] & 0x0f) * 4;
    if (len < kIpv4MinHeaderLen || packet.size() < len) return false;
    storeBe16(packet.data() + kIpv4ChecksumOffset, 0);
    storeBe16(packet.data() + kIpv4ChecksumOffset, internetChecksum(packet.first(len)));
    return true;
}

std::optional<Ipv4Option> Ipv4OptionReader::next() {
    if (m_done) return std::nullopt;
    if (m_pos >= m_options.size()) {
        m_done = true;
        return std::nullopt;
    }
    std::size_t pos = m_pos;
    std::uint8_t type = m_options[pos];
    if (type == kIpOptEnd) {
        m_done = true; // what follows EOL is padding
        return Ipv4Option{type, 1, {}, pos};
    }
    if (type == kIpOptNoop) {
        ++m_pos;
        return Ipv4Option{type, 1, {}, pos};
    }
    std::size_t left = m_options.size() - pos;
    if (left < 2 || m_options[pos + 1] < 2 || m_options[pos + 1] > left) {
        m_done = true;
        m_error = Error::Malformed;
        m_errorOffset = pos;
        return std::nullopt;
    }
    std::uint8_t length = m_options[pos + 1];
    m_pos += length;
    return Ipv4Option{type, length, m_options.subspan(pos + 2, length - 2u), pos};
}

Result<Ipv4OptionsInfo, Ipv4OptionProblem>
compileIpv4Options(std::span<const std::uint8_t> options) {
    Ipv4OptionsInfo info;
    info.optlen = std::uint8_t(std::min(options.size(), kIpv4MaxOptionsLen));
    const std::size_t size = info.optlen;
    auto problem = [](std::size_t at) {
        return Ipv4OptionProblem{Error::Malformed, std::uint8_t(kIpv4OptionsOffset + at)};
    };

    std::size_t pos = 0;
    while (pos < size) {
        const std::uint8_t* o = options.data() + pos;
        if (o[0] == kIpOptEnd) break;
        if (o[0] == kIpOptNoop) {
            ++pos;
            continue;
        }
        std::size_t left = size - pos;
        if (left < 2) return problem(pos);
        std::size_t optlen = o[1];
        if (optlen < 2 || optlen > left) return problem(pos);
        auto here = std::uint8_t(kIpv4OptionsOffset + pos);

        switch (o[0]) {
        case kIpOptSsrr:
        case kIpOptLsrr:
            if (optlen < 3) return problem(pos + 1);
            if (o[2] < 4) return problem(pos + 2);
            // Only one source route (RFC 1812 section 5.2.4.1).
            if (info.srr) return problem(pos);
            info.isStrictRoute = o[0] == kIpOptSsrr;
            info.srr = here;
            break;
        case kIpOptRr:
            if (info.rr) return problem(pos);
            if (optlen < 3) return problem(pos + 1);
            if (o[2] < 4) return problem(pos + 2);
            if (o[2] <= optlen) { // room left to record an address
                if (o[2] + 3u > optlen) return problem(pos + 2);
                info.rrNeedAddr = true;
            }
            info.rr = here;
            break;
        case kIpOptTimestamp:
            if (info.ts) return problem(pos);
            if (optlen < 4) return problem(pos + 1);
            if (o[2] < 5) return problem(pos + 2);
            if (o[2] <= optlen) {
                if (o[2] + 3u > optlen) return problem(pos + 2);
                switch (o[3] & 0x0f) {
                case kIpOptTsOnly:
                    info.tsNeedTime = true;
                    break;
                case kIpOptTsAndAddr:
                    if (o[2] + 7u > optlen) return problem(pos + 2);
                    info.tsNeedAddr = true;
                    info.tsNeedTime = true;
                    break;
                case kIpOptTsPrespec:
                    // Whether to stamp depends on the listed address being local,
                    // which only the routing tables can tell.
                    if (o[2] + 7u > optlen) return problem(pos + 2);
                    break;
                default:
                    break; // unknown flags are carried, not rejected, on receive
                }
            } else if ((o[3] & 0x0f) != kIpOptTsPrespec) {
                // Full: the overflow counter in the high nibble must not wrap.
                if ((o[3] >> 4) == 15) return problem(pos + 3);
            }
            info.ts = here;
            break;
        case kIpOptRa:
            if (optlen < 4) return problem(pos + 1);
            if (o[2] == 0 && o[3] == 0) info.routerAlert = here;
            break;
        case kIpOptCipso:
            if (info.cipso) return problem(pos);
            info.cipso = here;
            break;
        default:
            break; // unknown options are passed over on receive
        }
        pos += optlen;
    }
    return info;
}

Result<Ipv4Repr> Ipv4Repr::parse(std::span<const std::uint8_t> bytes) {
    auto packet = Ipv4Packet::view(bytes);
    if (!packet) return Error::Truncated;
    if (auto error = packet->check()) return *error;

    Ipv4OptionReader reader(packet->options());
    while (reader.next()) {
    }
    if (reader.error()) return *reader.error();

    Ipv4Repr repr;
    repr.src = packet->src();
    repr.dst = packet->dst();
    repr.protocol = packet->protocol();
    repr.ttl = packet->ttl();
    repr.tos = packet->tos();
    repr.ident = packet->ident();
    repr.dontFragment = packet->dontFragment();
    repr.moreFragments = packet->moreFragments();
    repr.fragmentOffset = packet->fragmentOffset();
    auto options = packet->options();
    repr.options.assign(options.begin(), options.end());
    repr.payloadLength = std::uint16_t(packet->totalLength() - packet->headerLength());
    return repr;
}

void Ipv4Repr::writeTo(std::span<std::uint8_t> out) const {
    const std::size_t headerLen = headerLength();
    assert(out.size() >= headerLen);
    assert(options.size() <= kIpv4MaxOptionsLen);
    assert(fragmentOffset % 8 == 0);
    assert(totalLength() <= 0xffff);
    std::uint8_t* p = out.data();
    p[kIpv4VersionIhlOffset] = std::uint8_t((kIpv4Version << 4) | (headerLen / 4));
    p[kIpv4TosOffset] = tos;
    storeBe16(p + kIpv4TotalLengthOffset, std::uint16_t(totalLength()));
    storeBe16(p + kIpv4IdentOffset, ident);
    std::uint16_t frag = std::uint16_t((fragmentOffset / 8) & kIpv4FragOffsetMask);
    if (dontFragment) frag |= kIpv4FlagDontFragment;
    if (moreFragments) frag |= kIpv4FlagMoreFragments;
    storeBe16(p + kIpv4FragOffset, frag);
    p[kIpv4TtlOffset] = ttl;
    p[kIpv4ProtocolOffset] = protocol;
    storeBe16(p + kIpv4ChecksumOffset, 0);
    storeIpv4(p + kIpv4SrcOffset, src);
    storeIpv4(p + kIpv4DstOffset, dst);
    std::size_t optLen = std::min(options.size(), kIpv4MaxOptionsLen);
    if (optLen > 0) std::memcpy(p + kIpv4OptionsOffset, options.data(), optLen);
    std::memset(p + kIpv4OptionsOffset + optLen, kIpOptEnd,
                headerLen - kIpv4OptionsOffset - optLen);
    storeBe16(p + kIpv4ChecksumOffset, internetChecksum(out.first(headerLen)));
}

} // namespace stackscope::wire
