// SPDX-License-Identifier: GPL-3.0-or-later
#include "frames.h"

#include <utility>

#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

namespace stackscope::test {

std::vector<std::uint8_t> udpFrame(const UdpSpec& s) {
    std::vector<std::uint8_t> payload(s.payload, 'p');
    const auto src = *Ipv4Address::parse(s.src), dst = *Ipv4Address::parse(s.dst);
    wire::UdpRepr udp{s.sport, s.dport, payload};
    std::vector<std::uint8_t> f(14 + 20 + udp.bufferLength());
    wire::EthernetRepr{s.dstMac, kPeerMac, wire::kEtherTypeIpv4, std::nullopt}.writeTo(f);
    wire::Ipv4Repr ip;
    ip.src = src;
    ip.dst = dst;
    ip.protocol = wire::kIpProtoUdp;
    ip.ttl = s.ttl;
    ip.dontFragment = true;
    ip.payloadLength = std::uint16_t(udp.bufferLength());
    ip.writeTo(std::span<std::uint8_t>(f).subspan(14, 20));
    udp.writeTo(std::span<std::uint8_t>(f).subspan(34), src, dst);
    if (s.badUdpChecksum) f[34 + 6] ^= 0x55;
    f[14] = std::uint8_t((s.version << 4) | s.ihl);
    if (s.totalLengthDelta) wire::storeBe16(&f[16], std::uint16_t(wire::loadBe16(&f[16]) + s.totalLengthDelta));
    if (s.version != 4 || s.ihl != 5 || s.totalLengthDelta) wire::fillIpv4Checksum(std::span<std::uint8_t>(f).subspan(14));
    if (s.badIpChecksum) f[24] ^= 0x55;
    return f;
}

std::vector<std::uint8_t> icmpEchoFrame(const std::string& s, const std::string& d, const MacAddress& dstMac) {
    std::vector<std::uint8_t> data(32, 'e');
    wire::IcmpRepr icmp{wire::kIcmpEcho, 0, wire::IcmpRepr::echoRest(7, 1), data};
    std::vector<std::uint8_t> f(14 + 20 + icmp.bufferLength());
    wire::EthernetRepr{dstMac, kPeerMac, wire::kEtherTypeIpv4, std::nullopt}.writeTo(f);
    wire::Ipv4Repr ip;
    ip.src = *Ipv4Address::parse(s);
    ip.dst = *Ipv4Address::parse(d);
    ip.protocol = wire::kIpProtoIcmp;
    ip.payloadLength = std::uint16_t(icmp.bufferLength());
    ip.writeTo(std::span<std::uint8_t>(f).subspan(14, 20));
    icmp.writeTo(std::span<std::uint8_t>(f).subspan(34));
    return f;
}

std::vector<std::uint8_t> arpRequestFrame(const std::string& sender, const std::string& target) {
    std::vector<std::uint8_t> f(14 + 28);
    wire::EthernetRepr{MacAddress::broadcast(), kPeerMac, wire::kEtherTypeArp, std::nullopt}.writeTo(f);
    wire::ArpRepr{wire::kArpRequest, kPeerMac, *Ipv4Address::parse(sender), MacAddress{},
                  *Ipv4Address::parse(target)}
        .writeTo(std::span<std::uint8_t>(f).subspan(14));
    return f;
}

InputFrame at(Nanos t, std::vector<std::uint8_t> bytes, std::string dev) {
    InputFrame f;
    f.time = t;
    f.device = std::move(dev);
    f.wireLength = std::uint32_t(bytes.size());
    f.bytes = std::move(bytes);
    return f;
}

HostConfig serverConfig(LinkKind kind) {
    HostConfig h = HostConfig::withLoopback();
    auto& eth = h.ensureInterface("eth0", kind);
    eth.mac = kHostMac;
    eth.up = true;
    eth.addresses.push_back({*Ipv4Address::parse("10.0.0.2"), 24, std::nullopt, "eth0", {}});
    RouteConfig def;
    def.destination = {{0}, 0};
    def.gateway = Ipv4Address::parse("10.0.0.1");
    def.device = "eth0";
    h.routes.push_back(def);
    for (const char* n : {"10.0.0.1", "10.0.0.7"})
        h.neighbours.push_back({*Ipv4Address::parse(n), kPeerMac, "eth0", NeighState::Permanent});
    return h;
}

IptablesInput iptablesLine(const std::string& line) {
    IptablesInput in;
    in.text = line;
    std::string word;
    for (char c : line + " ") {
        if (c != ' ')
            word += c;
        else if (!word.empty())
            in.argv.push_back(std::exchange(word, {}));
    }
    return in;
}

} // namespace stackscope::test
