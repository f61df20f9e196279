// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/icmp.h"

#include <cassert>
#include <cstring>

namespace stackscope::wire {

Result<IcmpRepr> IcmpRepr::parse(std::span<const std::uint8_t> bytes) {
    auto packet = IcmpPacket::view(bytes);
    if (!packet) return Error::Truncated;
    if (!packet->verifyChecksum()) return Error::BadChecksum;
    return IcmpRepr{packet->type(), packet->code(), packet->restOfHeader(), packet->payload()};
}

void IcmpRepr::writeTo(std::span<std::uint8_t> out) const {
    const std::size_t len = bufferLength();
    assert(out.size() >= len);
    std::uint8_t* p = out.data();
    // memmove: the payload may already sit in place, or overlap.
    if (!payload.empty() && payload.data() != p + kIcmpPayloadOffset)
        std::memmove(p + kIcmpPayloadOffset, payload.data(), payload.size());
    p[kIcmpTypeOffset] = type;
    p[kIcmpCodeOffset] = code;
    storeBe16(p + kIcmpChecksumOffset, 0);
    storeBe32(p + kIcmpRestOffset, restOfHeader);
    storeBe16(p + kIcmpChecksumOffset, internetChecksum(out.first(len)));
}

} // namespace stackscope::wire
