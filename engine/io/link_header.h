// SPDX-License-Identifier: GPL-3.0-or-later
// Conversion of non-Ethernet capture records into Ethernet frames for the simulator.
//
// Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113), 16 bytes, big-endian fields:
//
//   0               2               4               6
//   +---------------+---------------+---------------+-------------------------------+
//   |  packet type  |  ARPHRD type  | ll addr len   |  link-layer address (8 bytes) |
//   +---------------+---------------+---------------+-------------------------------+
//   14: protocol (ethertype)
//
// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276), 20 bytes:
//
//   0: protocol (2)   2: reserved (2)   4: interface index (4)   8: ARPHRD type (2)
//   10: packet type (1)   11: ll addr len (1)   12: link-layer address (8)
//
// Packet types are the PACKET_* values of <linux/if_packet.h>: 0 host, 1 broadcast,
// 2 multicast, 3 other host, 4 outgoing. Raw IP (LINKTYPE_RAW 101, LINKTYPE_IPV4 228)
// starts directly with the IP header.
#pragma once

#include "sim/frame.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace stackscope::io {

inline constexpr std::size_t kEthernetHeaderLength = 14;
inline constexpr std::size_t kLinuxSllHeaderLength = 16;
inline constexpr std::size_t kLinuxSll2HeaderLength = 20;
inline constexpr std::uint16_t kEthertypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEthertypeIpv6 = 0x86dd;

enum class RawIpKind {
    Ipv4Only,   // LINKTYPE_IPV4: every record is IPv4
    Ipv4OrIpv6, // LINKTYPE_RAW: the version nibble tells
};

// Each fills frame.bytes (a synthesized Ethernet header, destination all zeroes,
// then the network-layer bytes), frame.wireLength (the original length with the
// Ethernet header in place of the capture's), l2Synthesized and l2PacketType.
// On a record too short to convert they return what is wrong and leave the frame
// unspecified.
std::optional<std::string> convertLinuxSll(const std::uint8_t* data, std::uint32_t caplen,
                                           std::uint32_t len, InputFrame& frame);
std::optional<std::string> convertLinuxSll2(const std::uint8_t* data, std::uint32_t caplen,
                                            std::uint32_t len, InputFrame& frame);
// IPv4 gets ethertype 0x0800; anything else in LINKTYPE_RAW gets 0x86dd, which the
// IPv4-only stack drops as an unhandled protocol.
std::optional<std::string> convertRawIp(const std::uint8_t* data, std::uint32_t caplen,
                                        std::uint32_t len, RawIpKind kind, InputFrame& frame);

} // namespace stackscope::io
