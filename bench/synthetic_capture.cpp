// SPDX-License-Identifier: GPL-3.0-or-later
#include "synthetic_capture.h"

#include "wire/bytes.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace stackscope::bench {
namespace {

// The host of bench.scn and its gateway, which every remote source is behind.
constexpr wire::MacAddress kHostMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
constexpr wire::MacAddress kGatewayMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}};
constexpr wire::MacAddress kOtherMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x99}};
constexpr wire::Ipv4Address kHostIp = wire::Ipv4Address::fromOctets(10, 0, 0, 2);
constexpr wire::Ipv4Address kOtherIp = wire::Ipv4Address::fromOctets(10, 0, 0, 99);

// UDP payload sizes: the first is padded to the Ethernet minimum, the last fills a
// 1500-byte MTU.
constexpr std::array<std::size_t, 8> kPayloadSizes{4, 32, 64, 128, 256, 512, 1024, 1472};
constexpr std::uint16_t kClosedPortBase = 7000;
constexpr std::uint16_t kClosedPortCount = 16;
constexpr int kMalformedKinds = 5;

// pcap file format: nanosecond-resolution magic, version 2.4, LINKTYPE_ETHERNET.
constexpr std::uint32_t kPcapMagicNanos = 0xa1b23c4d;
constexpr std::uint32_t kPcapSnapLength = 262144;
constexpr std::uint32_t kLinkTypeEthernet = 1;
// Capture start: 2024-01-01T00:00:00Z, so timestamps look like a real capture.
constexpr std::int64_t kStartSeconds = 1'704'067'200;

// splitmix64: each frame's choices depend only on (seed, index), so any frame can be
// rebuilt alone and the file is the same on every platform.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

FrameKind chooseKind(std::uint64_t r) {
    const std::uint64_t permille = r % 1000;
    if (permille < 600) return FrameKind::ListeningPort;
    if (permille < 900) return FrameKind::ClosedPort;
    if (permille < 990) return FrameKind::OtherHost;
    return FrameKind::Malformed;
}

// Breaks one header field of a well-formed frame, in a way ip_rcv_core or
// __udp4_lib_rcv notices.
void breakFrame(std::vector<std::uint8_t>& frame, int how) {
    std::uint8_t* ip = frame.data() + wire::kEthHeaderLen;
    std::uint8_t* udp = ip + wire::kIpv4MinHeaderLen;
    switch (how) {
    case 0: // IP header checksum off by one
        ip[wire::kIpv4ChecksumOffset + 1] ^= 0x01;
        break;
    case 1: // IP total length past the end of the frame
        wire::storeBe16(ip + wire::kIpv4TotalLengthOffset,
                        std::uint16_t(wire::loadBe16(ip + wire::kIpv4TotalLengthOffset) + 64));
        wire::fillIpv4Checksum({ip, wire::kIpv4MinHeaderLen});
        break;
    case 2: // IP version 6 inside an IPv4 EtherType
        ip[wire::kIpv4VersionIhlOffset] = 0x65;
        wire::fillIpv4Checksum({ip, wire::kIpv4MinHeaderLen});
        break;
    case 3: // UDP checksum that does not verify
        udp[wire::kUdpChecksumOffset] ^= 0x5a;
        if (wire::loadBe16(udp + wire::kUdpChecksumOffset) == 0) udp[wire::kUdpChecksumOffset] = 1;
        break;
    default: // UDP length longer than the IP payload
        wire::storeBe16(udp + wire::kUdpLengthOffset,
                        std::uint16_t(wire::loadBe16(udp + wire::kUdpLengthOffset) + 16));
        break;
    }
}

void putLe32(std::uint8_t* p, std::uint32_t v) {
    p[0] = std::uint8_t(v);
    p[1] = std::uint8_t(v >> 8);
    p[2] = std::uint8_t(v >> 16);
    p[3] = std::uint8_t(v >> 24);
}

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

} // namespace

std::vector<std::uint8_t> syntheticFrame(std::uint64_t seed, std::uint64_t index, FrameKind* kind) {
    const std::uint64_t r1 = mix(seed ^ mix(index));
    const std::uint64_t r2 = mix(r1);
    const FrameKind chosen = chooseKind(r1);
    if (kind) *kind = chosen;

    std::uint16_t dstPort = 0;
    switch (chosen) {
    case FrameKind::ListeningPort:
        dstPort = (r2 % 6 == 0) ? 514 : 53;
        break;
    case FrameKind::ClosedPort:
        dstPort = std::uint16_t(kClosedPortBase + r2 % kClosedPortCount);
        break;
    case FrameKind::OtherHost:
    case FrameKind::Malformed:
        dstPort = 53;
        break;
    }

    const std::size_t payloadSize = kPayloadSizes[(r2 >> 8) % kPayloadSizes.size()];
    std::vector<std::uint8_t> payload(payloadSize);
    for (std::size_t i = 0; i < payloadSize; ++i)
        payload[i] = std::uint8_t((index + i) & 0xff);

    wire::EthernetRepr eth;
    eth.dst = chosen == FrameKind::OtherHost ? kOtherMac : kHostMac;
    eth.src = kGatewayMac;
    eth.etherType = wire::kEtherTypeIpv4;

    wire::UdpRepr udp;
    udp.srcPort = std::uint16_t(1024 + (r2 >> 16) % 60000);
    udp.dstPort = dstPort;
    udp.payload = payload;

    wire::Ipv4Repr ip;
    ip.src = wire::Ipv4Address::fromOctets(198, 51, 100, std::uint8_t(1 + (r2 >> 40) % 200));
    ip.dst = chosen == FrameKind::OtherHost ? kOtherIp : kHostIp;
    ip.protocol = wire::kIpProtoUdp;
    ip.ttl = 64;
    ip.ident = std::uint16_t(index);
    ip.dontFragment = true;
    ip.payloadLength = std::uint16_t(udp.bufferLength());

    const std::size_t used = eth.headerLength() + ip.totalLength();
    std::vector<std::uint8_t> frame(std::max(used, wire::kEthMinFrameLen), 0);
    std::span<std::uint8_t> out(frame);
    eth.writeTo(out.first(eth.headerLength()));
    out = out.subspan(eth.headerLength());
    ip.writeTo(out.first(ip.headerLength()));
    out = out.subspan(ip.headerLength());
    udp.writeTo(out.first(udp.bufferLength()), ip.src, ip.dst);

    if (chosen == FrameKind::Malformed) breakFrame(frame, int((r2 >> 48) % kMalformedKinds));
    return frame;
}

std::optional<std::string> writeSyntheticCapture(const std::string& path,
                                                 const SyntheticCaptureOptions& options,
                                                 SyntheticCaptureStats* stats) {
    std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "wb"));
    if (!file) return path + ": cannot create: " + std::strerror(errno);
    // A large stdio buffer keeps a million small records from costing a million writes.
    std::setvbuf(file.get(), nullptr, _IOFBF, 1 << 20);

    std::array<std::uint8_t, 24> header{};
    putLe32(header.data(), kPcapMagicNanos);
    header[4] = 2; // version major, little-endian 16 bits
    header[6] = 4; // version minor
    putLe32(header.data() + 16, kPcapSnapLength);
    putLe32(header.data() + 20, kLinkTypeEthernet);
    bool ok = std::fwrite(header.data(), 1, header.size(), file.get()) == header.size();

    SyntheticCaptureStats counted;
    for (std::uint64_t i = 0; ok && i < options.frames; ++i) {
        FrameKind kind = FrameKind::ListeningPort;
        const std::vector<std::uint8_t> frame = syntheticFrame(options.seed, i, &kind);
        const Nanos t = Nanos(i) * options.interval;
        std::array<std::uint8_t, 16> record{};
        putLe32(record.data(), std::uint32_t(kStartSeconds + t / kSecond));
        putLe32(record.data() + 4, std::uint32_t(t % kSecond));
        putLe32(record.data() + 8, std::uint32_t(frame.size()));
        putLe32(record.data() + 12, std::uint32_t(frame.size()));
        ok = std::fwrite(record.data(), 1, record.size(), file.get()) == record.size() &&
             std::fwrite(frame.data(), 1, frame.size(), file.get()) == frame.size();

        ++counted.frames;
        counted.bytes += frame.size();
        switch (kind) {
        case FrameKind::ListeningPort:
            ++counted.listeningPort;
            break;
        case FrameKind::ClosedPort:
            ++counted.closedPort;
            break;
        case FrameKind::OtherHost:
            ++counted.otherHost;
            break;
        case FrameKind::Malformed:
            ++counted.malformed;
            break;
        }
    }
    if (ok) ok = std::fclose(file.release()) == 0;
    if (!ok) return path + ": write failed: " + std::strerror(errno);
    if (stats) *stats = counted;
    return std::nullopt;
}

} // namespace stackscope::bench
