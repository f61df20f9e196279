// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/arp.h"

namespace stackscope::wire {

Result<ArpRepr> ArpRepr::parse(std::span<const std::uint8_t> bytes) {
    auto packet = ArpPacket::view(bytes);
    if (!packet) return Error::Truncated;
    if (auto error = packet->check()) return *error;
    return ArpRepr{packet->operation(), packet->senderMac(), packet->senderIp(),
                   packet->targetMac(), packet->targetIp()};
}

void ArpRepr::writeTo(std::span<std::uint8_t> out) const {
    assert(out.size() >= kLength);
    std::uint8_t* p = out.data();
    storeBe16(p + kArpHtypeOffset, kArpHrdEther);
    storeBe16(p + kArpPtypeOffset, kArpProtoIpv4);
    p[kArpHlenOffset] = 6;
    p[kArpPlenOffset] = 4;
    storeBe16(p + kArpOperOffset, operation);
    storeMac(p + kArpShaOffset, senderMac);
    storeIpv4(p + kArpSpaOffset, senderIp);
    storeMac(p + kArpThaOffset, targetMac);
    storeIpv4(p + kArpTpaOffset, targetIp);
}

} // namespace stackscope::wire
