// SPDX-License-Identifier: GPL-3.0-or-later
// A small host and a handful of frames built in code, shared by the ui tests.
#pragma once

#include "model/host_config.h"
#include "sim/frame.h"
#include "wire/bytes.h"
#include "wire/checksum.h"

#include <memory>
#include <vector>

namespace stackscope::test {

inline const MacAddress kHostMac{{0x02, 0, 0, 0, 0, 0x01}};
inline const MacAddress kPeerMac{{0x02, 0, 0, 0, 0, 0xfe}};
inline const Ipv4Address kHostIp = Ipv4Address::fromOctets(10, 0, 0, 2);
inline const Ipv4Address kPeerIp = Ipv4Address::fromOctets(10, 0, 0, 1);

inline HostConfig makeHost() {
    HostConfig config = HostConfig::withLoopback();
    InterfaceConfig& eth = config.ensureInterface("eth0");
    eth.mac = kHostMac;
    eth.up = true;
    eth.addresses.push_back({kHostIp, 24, std::nullopt, {}, InterfaceAddress::Scope::Global});
    config.neighbours.push_back({kPeerIp, kPeerMac, "eth0", NeighState::Permanent});
    SocketConfig sock;
    sock.protocol = SocketProtocol::Udp;
    sock.port = 53;
    config.sockets.push_back(sock);
    return config;
}

// Ethernet + IPv4 + UDP from the peer to the host.
inline InputFrame udpFrame(Nanos time, std::uint16_t dport, bool badIpChecksum = false,
                           std::size_t payload = 16) {
    InputFrame f;
    f.time = time;
    f.device = "eth0";
    const std::size_t ipLen = 20 + 8 + payload;
    f.bytes.assign(14 + ipLen, 0);
    std::uint8_t* p = f.bytes.data();
    wire::storeMac(p, kHostMac);
    wire::storeMac(p + 6, kPeerMac);
    wire::storeBe16(p + 12, 0x0800);
    std::uint8_t* ip = p + 14;
    ip[0] = 0x45;
    wire::storeBe16(ip + 2, std::uint16_t(ipLen));
    wire::storeBe16(ip + 4, 0x1234);
    ip[8] = 64;
    ip[9] = 17;
    wire::storeIpv4(ip + 12, kPeerIp);
    wire::storeIpv4(ip + 16, kHostIp);
    std::uint16_t sum = wire::internetChecksum({ip, 20});
    wire::storeBe16(ip + 10, badIpChecksum ? std::uint16_t(sum ^ 0x5555) : sum);
    std::uint8_t* udp = ip + 20;
    wire::storeBe16(udp, 40000);
    wire::storeBe16(udp + 2, dport);
    wire::storeBe16(udp + 4, std::uint16_t(8 + payload));
    for (std::size_t i = 0; i < payload; ++i) udp[8 + i] = std::uint8_t('a' + i % 26);
    const std::uint16_t usum =
        wire::checksumFold(wire::checksumPartial({udp, 8 + payload},
                                                 wire::pseudoHeaderSum(kPeerIp, kHostIp, 17, std::uint16_t(8 + payload))));
    wire::storeBe16(udp + 6, usum == 0 ? 0xffff : usum);
    f.wireLength = std::uint32_t(f.bytes.size());
    f.captureNumber = 0;
    return f;
}

// Delivered, no socket (ICMP port unreachable answered), bad IP checksum, delivered again.
inline std::shared_ptr<const std::vector<InputFrame>> makeFrames() {
    auto frames = std::make_shared<std::vector<InputFrame>>();
    frames->push_back(udpFrame(1 * kMillisecond, 53));
    frames->push_back(udpFrame(2 * kMillisecond, 9));
    frames->push_back(udpFrame(3 * kMillisecond, 53, true));
    frames->push_back(udpFrame(4 * kMillisecond, 53));
    for (std::size_t i = 0; i < frames->size(); ++i) (*frames)[i].captureNumber = i + 1;
    return frames;
}

} // namespace stackscope::test
