// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/udp.h"

#include <cassert>
#include <cstring>

namespace stackscope::wire {

Result<UdpRepr> UdpRepr::parse(std::span<const std::uint8_t> bytes) {
    auto packet = UdpPacket::view(bytes);
    if (!packet) return Error::Truncated;
    if (auto error = packet->check()) return *error;
    return UdpRepr{packet->srcPort(), packet->dstPort(), packet->payload()};
}

Result<UdpRepr> UdpRepr::parse(std::span<const std::uint8_t> bytes, Ipv4Address src,
                               Ipv4Address dst) {
    auto repr = parse(bytes);
    if (repr.ok() && !UdpPacket::view(bytes)->verifyChecksum(src, dst)) return Error::BadChecksum;
    return repr;
}

void UdpRepr::writeTo(std::span<std::uint8_t> out, Ipv4Address src, Ipv4Address dst) const {
    const std::size_t len = bufferLength();
    assert(out.size() >= len && len <= 0xffff);
    std::uint8_t* p = out.data();
    if (!payload.empty() && payload.data() != p + kUdpHeaderLen)
        std::memmove(p + kUdpHeaderLen, payload.data(), payload.size());
    storeBe16(p + kUdpSrcPortOffset, srcPort);
    storeBe16(p + kUdpDstPortOffset, dstPort);
    storeBe16(p + kUdpLengthOffset, std::uint16_t(len));
    storeBe16(p + kUdpChecksumOffset, 0);
    std::uint16_t check = internetChecksum(
        out.first(len), pseudoHeaderSum(src, dst, kUdpProtocol, std::uint16_t(len)));
    storeBe16(p + kUdpChecksumOffset, check == 0 ? 0xffff : check);
}

} // namespace stackscope::wire
