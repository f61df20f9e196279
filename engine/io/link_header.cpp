// SPDX-License-Identifier: GPL-3.0-or-later
#include "io/link_header.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace stackscope::io {

namespace {

constexpr std::size_t kMacLength = 6;
constexpr std::size_t kEthernetSourceOffset = 6;
constexpr std::size_t kEthernetTypeOffset = 12;

constexpr std::size_t kSllPacketTypeOffset = 0;
constexpr std::size_t kSllAddressLengthOffset = 4;
constexpr std::size_t kSllAddressOffset = 6;
constexpr std::size_t kSllProtocolOffset = 14;

constexpr std::size_t kSll2ProtocolOffset = 0;
constexpr std::size_t kSll2PacketTypeOffset = 10;
constexpr std::size_t kSll2AddressLengthOffset = 11;
constexpr std::size_t kSll2AddressOffset = 12;

std::uint16_t readBe16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// The capture's link header of `headerLength` bytes is replaced by an Ethernet one.
void synthesize(const std::uint8_t* data, std::uint32_t caplen, std::uint32_t len,
                std::size_t headerLength, const std::uint8_t* sourceMac, std::uint16_t ethertype,
                std::uint8_t packetType, InputFrame& frame) {
    const std::size_t payload = caplen - headerLength;
    frame.bytes.resize(kEthernetHeaderLength + payload);
    std::uint8_t* out = frame.bytes.data();
    std::memset(out, 0, kEthernetSourceOffset);
    if (sourceMac)
        std::memcpy(out + kEthernetSourceOffset, sourceMac, kMacLength);
    else
        std::memset(out + kEthernetSourceOffset, 0, kMacLength);
    out[kEthernetTypeOffset] = static_cast<std::uint8_t>(ethertype >> 8);
    out[kEthernetTypeOffset + 1] = static_cast<std::uint8_t>(ethertype & 0xff);
    if (payload > 0) std::memcpy(out + kEthernetHeaderLength, data + headerLength, payload);

    // What the frame would have measured on an Ethernet wire; a malformed record whose
    // original length is below its own header falls back to what was captured.
    if (len >= headerLength) {
        const std::uint64_t wire = std::uint64_t{len} - headerLength + kEthernetHeaderLength;
        frame.wireLength = static_cast<std::uint32_t>(
            std::min<std::uint64_t>(wire, std::numeric_limits<std::uint32_t>::max()));
    } else {
        frame.wireLength = static_cast<std::uint32_t>(frame.bytes.size());
    }
    frame.l2Synthesized = true;
    frame.l2PacketType = packetType;
}

std::uint8_t clampPacketType(std::uint16_t type) {
    return static_cast<std::uint8_t>(std::min<std::uint16_t>(type, 0xff));
}

} // namespace

std::optional<std::string> convertLinuxSll(const std::uint8_t* data, std::uint32_t caplen,
                                           std::uint32_t len, InputFrame& frame) {
    if (caplen < kLinuxSllHeaderLength)
        return fmt::format("Linux cooked header truncated ({} of {} bytes)", caplen,
                           kLinuxSllHeaderLength);
    const bool ethernetAddress = readBe16(data + kSllAddressLengthOffset) == kMacLength;
    synthesize(data, caplen, len, kLinuxSllHeaderLength,
               ethernetAddress ? data + kSllAddressOffset : nullptr,
               readBe16(data + kSllProtocolOffset),
               clampPacketType(readBe16(data + kSllPacketTypeOffset)), frame);
    return std::nullopt;
}

std::optional<std::string> convertLinuxSll2(const std::uint8_t* data, std::uint32_t caplen,
                                            std::uint32_t len, InputFrame& frame) {
    if (caplen < kLinuxSll2HeaderLength)
        return fmt::format("Linux cooked v2 header truncated ({} of {} bytes)", caplen,
                           kLinuxSll2HeaderLength);
    const bool ethernetAddress = data[kSll2AddressLengthOffset] == kMacLength;
    synthesize(data, caplen, len, kLinuxSll2HeaderLength,
               ethernetAddress ? data + kSll2AddressOffset : nullptr,
               readBe16(data + kSll2ProtocolOffset), data[kSll2PacketTypeOffset], frame);
    return std::nullopt;
}

std::optional<std::string> convertRawIp(const std::uint8_t* data, std::uint32_t caplen,
                                        std::uint32_t len, RawIpKind kind, InputFrame& frame) {
    if (caplen == 0) return std::string("raw IP frame is empty");
    const bool ipv4 = kind == RawIpKind::Ipv4Only || (data[0] >> 4) == 4;
    synthesize(data, caplen, len, 0, nullptr, ipv4 ? kEthertypeIpv4 : kEthertypeIpv6, 0, frame);
    return std::nullopt;
}

} // namespace stackscope::io
