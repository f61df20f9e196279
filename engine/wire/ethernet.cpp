// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/ethernet.h"

#include <cassert>

namespace stackscope::wire {

std::optional<EthernetRepr> EthernetRepr::parse(std::span<const std::uint8_t> bytes) {
    auto frame = EthernetFrame::view(bytes);
    if (!frame) return std::nullopt;
    return EthernetRepr{frame->dst(), frame->src(), frame->etherType(), frame->vlanTci()};
}

void EthernetRepr::writeTo(std::span<std::uint8_t> out) const {
    assert(out.size() >= headerLength());
    std::uint8_t* p = out.data();
    storeMac(p + kEthDstOffset, dst);
    storeMac(p + kEthSrcOffset, src);
    if (vlanTci) {
        storeBe16(p + kEthTypeOffset, kEtherTypeVlan);
        storeBe16(p + kVlanTciOffset, *vlanTci);
        storeBe16(p + kVlanInnerTypeOffset, etherType);
    } else {
        storeBe16(p + kEthTypeOffset, etherType);
    }
}

} // namespace stackscope::wire
