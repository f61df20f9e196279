// SPDX-License-Identifier: GPL-3.0-or-later
// The recorded output of a capture taken on the host itself: the store, its
// lookups, the comparison of transmitted frames, and the host's input path that
// recognises its own frames (reading the input ahead so a reply recorded a few
// microseconds after its request is known when the engine answers).
#include "stack/recorded_output.h"

#include "stack/host.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#include <fmt/format.h>

#include <algorithm>

namespace stackscope::stack {

namespace {

constexpr std::size_t kEthTypeOffset = 12;
constexpr std::size_t kEthSrcOffset = 6;
constexpr std::size_t kMacLen = 6;
constexpr std::uint16_t kEthTypeIpv4 = 0x0800;
constexpr std::uint16_t kEthTypeArp = 0x0806;
constexpr std::uint8_t kSllOutgoing = 4; // PACKET_OUTGOING

std::uint16_t ethType(const std::vector<std::uint8_t>& f) {
    return f.size() >= wire::kEthHeaderLen ? std::uint16_t(f[kEthTypeOffset] << 8 | f[kEthTypeOffset + 1]) : 0;
}

std::span<const std::uint8_t> l3Of(const std::vector<std::uint8_t>& f) {
    if (f.size() < wire::kEthHeaderLen) return {};
    return std::span<const std::uint8_t>(f).subspan(wire::kEthHeaderLen);
}

// The IP header and the transport bytes the total length covers.
std::optional<wire::Ipv4Packet> ipOf(const std::vector<std::uint8_t>& f) {
    if (ethType(f) != kEthTypeIpv4) return std::nullopt;
    auto ip = wire::Ipv4Packet::view(l3Of(f));
    if (!ip || ip->version() != 4 || ip->headerLength() < 20 || ip->headerLength() > ip->bytes().size())
        return std::nullopt;
    return ip;
}

std::span<const std::uint8_t> l4Of(const wire::Ipv4Packet& ip) {
    const auto all = ip.bytes();
    const std::size_t end = std::min<std::size_t>(all.size(), std::max<std::size_t>(ip.totalLength(), ip.headerLength()));
    return all.subspan(ip.headerLength(), end - ip.headerLength());
}

void decode(RecordedPacket& p) {
    auto ip = ipOf(p.bytes);
    if (!ip) return;
    p.ipv4 = true;
    p.src = ip->src().value;
    p.dst = ip->dst().value;
    p.protocol = ip->protocol();
    p.ipId = ip->ident();
    if (ip->fragmentOffset() != 0) return;
    const auto l4 = l4Of(*ip);
    if (p.protocol == wire::kIpProtoTcp) {
        if (auto th = wire::TcpPacket::view(l4)) {
            p.sport = th->srcPort();
            p.dport = th->dstPort();
            p.tcpFlags = th->flags();
            p.seq = th->seqNumber();
            if (auto o = wire::parseTcpOptions(th->options()); o && o->timestamps)
                p.tsval = o->timestamps->value;
        }
    } else if (p.protocol == wire::kIpProtoUdp) {
        if (auto uh = wire::UdpPacket::view(l4)) {
            p.sport = uh->srcPort();
            p.dport = uh->dstPort();
        }
    }
}

std::string flagText(std::uint8_t f) {
    std::string s;
    if (f & wire::kTcpSyn) s += 'S';
    if (f & wire::kTcpFin) s += 'F';
    if (f & wire::kTcpRst) s += 'R';
    if (f & wire::kTcpPsh) s += 'P';
    if (f & wire::kTcpAck) s += '.';
    return s.empty() ? "none" : s;
}

std::string hexBytes(std::span<const std::uint8_t> b) {
    std::string s;
    for (std::size_t i = 0; i < b.size() && i < 32; ++i) s += fmt::format("{:02x}", b[i]);
    if (b.size() > 32) s += fmt::format("... ({} bytes)", b.size());
    return s.empty() ? "(none)" : s;
}

std::string optionsText(const wire::TcpOptions& o) {
    std::string s;
    if (o.mss) s += fmt::format("mss {},", *o.mss);
    if (o.sackPermitted) s += "sackOK,";
    if (o.timestamps) s += fmt::format("TS val {} ecr {},", o.timestamps->value, o.timestamps->echo);
    if (o.windowScale) s += fmt::format("wscale {},", *o.windowScale);
    for (std::uint8_t i = 0; i < o.sackBlockCount; ++i)
        s += fmt::format("sack {}-{},", o.sackBlocks[i].left, o.sackBlocks[i].right);
    if (!s.empty()) s.pop_back();
    return s.empty() ? "(none)" : s;
}

std::uint32_t clockMs(Nanos t) { return std::uint32_t(t / kMillisecond); } // Host::tcpClockMs

} // namespace

std::string describeFrame(const std::vector<std::uint8_t>& frame) {
    const std::uint16_t type = ethType(frame);
    if (type == kEthTypeArp) {
        const auto l3 = l3Of(frame);
        if (l3.size() >= 28)
            return fmt::format("arp {} {} tell {}", (l3[6] << 8 | l3[7]) == 1 ? "who-has" : "reply",
                               wire::Ipv4Address{std::uint32_t(l3[24] << 24 | l3[25] << 16 | l3[26] << 8 | l3[27])}.toString(),
                               wire::Ipv4Address{std::uint32_t(l3[14] << 24 | l3[15] << 16 | l3[16] << 8 | l3[17])}.toString());
        return "arp (truncated)";
    }
    auto ip = ipOf(frame);
    if (!ip) return fmt::format("ethertype 0x{:04x}, {} bytes", type, frame.size());
    const auto l4 = l4Of(*ip);
    if (ip->protocol() == wire::kIpProtoTcp && ip->fragmentOffset() == 0) {
        if (auto th = wire::TcpPacket::view(l4))
            return fmt::format("{}:{} > {}:{} tcp [{}] seq {} ack {} win {} len {}", ip->src().toString(),
                               th->srcPort(), ip->dst().toString(), th->dstPort(), flagText(th->flags()),
                               th->seqNumber(), th->ackNumber(), th->window(), th->payload().size());
    }
    if (ip->protocol() == wire::kIpProtoUdp && ip->fragmentOffset() == 0) {
        if (auto uh = wire::UdpPacket::view(l4))
            return fmt::format("{}:{} > {}:{} udp len {}", ip->src().toString(), uh->srcPort(),
                               ip->dst().toString(), uh->dstPort(), l4.size() - 8);
    }
    if (ip->protocol() == wire::kIpProtoIcmp && l4.size() >= 2)
        return fmt::format("{} > {} icmp type {} code {} id 0x{:04x}", ip->src().toString(),
                           ip->dst().toString(), l4[0], l4[1], ip->ident());
    return fmt::format("{} > {} proto {} id 0x{:04x}", ip->src().toString(), ip->dst().toString(),
                       ip->protocol(), ip->ident());
}

// ---- the store ----

RecordedOutput::FlowKey RecordedOutput::flowOf(const RecordedPacket& p) {
    if (!p.ipv4) return FlowKey{0, 0, 0, 0, 0}; // ARP and the rest: one flow in order
    return FlowKey{p.dst, p.protocol, p.src, p.sport, p.dport};
}

RecordedPacket* RecordedOutput::at(std::uint64_t serial) {
    if (serial < m_frontSerial || serial - m_frontSerial >= m_pending.size()) return nullptr;
    return &m_pending[std::size_t(serial - m_frontSerial)];
}

const RecordedPacket* RecordedOutput::at(std::uint64_t serial) const {
    return const_cast<RecordedOutput*>(this)->at(serial);
}

void RecordedOutput::add(const InputFrame& frame, int ifindex) {
    RecordedPacket p;
    p.time = frame.time;
    p.ifindex = ifindex;
    p.device = frame.device;
    p.captureNumber = frame.captureNumber;
    p.l2Synthesized = frame.l2Synthesized;
    p.bytes = frame.bytes;
    decode(p);
    const std::uint64_t serial = m_frontSerial + m_pending.size();
    m_flows[flowOf(p)].push_back(serial);
    m_pending.push_back(std::move(p));
    m_interfaces.insert(ifindex);
    ++m_report.recorded;
}

void RecordedOutput::unindex(const RecordedPacket& p, std::uint64_t serial) {
    auto it = m_flows.find(flowOf(p));
    if (it == m_flows.end()) return;
    auto& q = it->second;
    if (auto s = std::find(q.begin(), q.end(), serial); s != q.end()) q.erase(s);
    if (q.empty()) m_flows.erase(it);
}

void RecordedOutput::popFront() {
    RecordedPacket& p = m_pending.front();
    if (!p.matched) {
        unindex(p, m_frontSerial);
        noteMissing(p, m_report);
    }
    m_pending.pop_front();
    ++m_frontSerial;
}

void RecordedOutput::noteMissing(const RecordedPacket& p, OwnOutputReport& into) const {
    ++into.missingCount;
    if (into.missing.size() < kMaxListed)
        into.missing.push_back({p.captureNumber, kNoPacket, p.time, p.device, describeFrame(p.bytes)});
}

void RecordedOutput::expire(Nanos now) {
    while (!m_pending.empty() && (m_pending.front().matched || m_pending.front().time < now - kReadAhead))
        popFront();
}

OwnOutputReport RecordedOutput::report() const {
    OwnOutputReport r = m_report;
    for (const auto& p : m_pending)
        if (!p.matched) noteMissing(p, r);
    return r;
}

// TCP pairs by flow and sequence number (a retransmission pairs with its first
// recording in order); everything else by flow and order.
std::optional<std::uint64_t> RecordedOutput::findCounterpart(const RecordedPacket& sent) const {
    auto it = m_flows.find(flowOf(sent));
    if (it == m_flows.end()) return std::nullopt;
    std::optional<std::uint64_t> first;
    for (std::uint64_t serial : it->second) {
        const RecordedPacket* p = at(serial);
        if (!p || p->ifindex != sent.ifindex) continue;
        if (p->time > sent.time + kReadAhead) break;
        if (!p->ipv4 && ethType(p->bytes) != ethType(sent.bytes)) continue;
        if (sent.protocol != wire::kIpProtoTcp || !sent.ipv4) return serial;
        constexpr std::uint8_t kControl = wire::kTcpSyn | wire::kTcpFin | wire::kTcpRst;
        if ((p->tcpFlags & kControl) != (sent.tcpFlags & kControl)) continue;
        if (p->seq == sent.seq) return serial;
        if (!first) first = serial;
    }
    return first;
}

void RecordedOutput::onEngineTransmit(const TxFrame& frame) {
    if (!recordedOn(frame.ifindex)) return;
    RecordedPacket sent;
    sent.time = frame.time;
    sent.ifindex = frame.ifindex;
    sent.device = frame.device;
    sent.bytes = frame.bytes;
    decode(sent);
    const auto serial = findCounterpart(sent);
    if (!serial) {
        ++m_report.extraCount;
        if (m_report.extra.size() < kMaxListed)
            m_report.extra.push_back({0, frame.packet, frame.time, frame.device, describeFrame(frame.bytes)});
        return;
    }
    RecordedPacket& rec = *at(*serial);
    rec.matched = true;
    unindex(rec, *serial);
    ++m_report.matched;
    const std::uint64_t before = m_report.differenceCount;
    compare(rec, sent, frame.packet);
    if (m_report.differenceCount != before) ++m_report.differingFrames;
}

void RecordedOutput::addDifference(const RecordedPacket& recorded, const RecordedPacket& sent,
                                   PacketId packet, std::string field, std::string rec, std::string eng) {
    ++m_report.differenceCount;
    if (m_report.differences.size() >= kMaxListed) return;
    m_report.differences.push_back({recorded.captureNumber, recorded.time, sent.time, packet, sent.device,
                                    std::move(field), std::move(rec), std::move(eng)});
}

// Field by field. Transport checksums are left out: a capture on the sending host
// records them before the device fills them in (CHECKSUM_PARTIAL).
void RecordedOutput::compare(const RecordedPacket& r, const RecordedPacket& s, PacketId packet) {
    auto diff = [&](std::string field, const auto& a, const auto& b) {
        if (a != b) addDifference(r, s, packet, std::move(field), fmt::format("{}", a), fmt::format("{}", b));
    };
    const Nanos dt = s.time - r.time;
    if (dt > kTimeTolerance || dt < -kTimeTolerance)
        addDifference(r, s, packet, "time", fmt::format("{} ns", r.time),
                      fmt::format("{} ns ({:+} us)", s.time, dt / kMicrosecond));
    if (!r.l2Synthesized && r.bytes.size() >= wire::kEthHeaderLen && s.bytes.size() >= wire::kEthHeaderLen) {
        const auto mac = [](const std::vector<std::uint8_t>& f, std::size_t off) {
            wire::MacAddress m;
            std::copy_n(f.begin() + std::ptrdiff_t(off), kMacLen, m.bytes.begin());
            return m.toString();
        };
        diff("eth.dst", mac(r.bytes, 0), mac(s.bytes, 0));
        diff("eth.src", mac(r.bytes, kEthSrcOffset), mac(s.bytes, kEthSrcOffset));
    }
    diff("eth.type", fmt::format("0x{:04x}", ethType(r.bytes)), fmt::format("0x{:04x}", ethType(s.bytes)));
    auto ri = ipOf(r.bytes), si = ipOf(s.bytes);
    if (!ri || !si) {
        const auto rl = l3Of(r.bytes), sl = l3Of(s.bytes);
        if (!std::equal(rl.begin(), rl.end(), sl.begin(), sl.end()))
            addDifference(r, s, packet, "bytes", hexBytes(rl), hexBytes(sl));
        return;
    }
    const std::uint64_t before = m_report.differenceCount;
    diff("ip.tos", ri->tos(), si->tos());
    diff("ip.len", ri->totalLength(), si->totalLength());
    diff("ip.id", ri->ident(), si->ident());
    diff("ip.frag", fmt::format("0x{:04x}", ri->flagsAndFragment()), fmt::format("0x{:04x}", si->flagsAndFragment()));
    diff("ip.ttl", ri->ttl(), si->ttl());
    diff("ip.proto", ri->protocol(), si->protocol());
    diff("ip.src", ri->src().toString(), si->src().toString());
    diff("ip.dst", ri->dst().toString(), si->dst().toString());
    diff("ip.options", hexBytes(ri->options()), hexBytes(si->options()));
    // The header checksum follows from the fields above; alone it means a wrong sum.
    if (m_report.differenceCount == before) diff("ip.checksum", ri->headerChecksum(), si->headerChecksum());
    if (ri->protocol() != si->protocol() || ri->fragmentOffset() != 0 || si->fragmentOffset() != 0) return;
    const auto rl4 = l4Of(*ri), sl4 = l4Of(*si);
    std::span<const std::uint8_t> rp = rl4, sp = sl4;
    if (ri->protocol() == wire::kIpProtoTcp) {
        auto rt = wire::TcpPacket::view(rl4), st = wire::TcpPacket::view(sl4);
        if (rt && st) {
            diff("tcp.sport", rt->srcPort(), st->srcPort());
            diff("tcp.dport", rt->dstPort(), st->dstPort());
            diff("tcp.seq", rt->seqNumber(), st->seqNumber());
            diff("tcp.ack", rt->ackNumber(), st->ackNumber());
            diff("tcp.flags", flagText(rt->flags()), flagText(st->flags()));
            diff("tcp.window", rt->window(), st->window());
            diff("tcp.urg", rt->urgentPointer(), st->urgentPointer());
            auto ro = wire::parseTcpOptions(rt->options()), so = wire::parseTcpOptions(st->options());
            if (ro && so) {
                // TSval is a millisecond clock: the two agree when they are as far apart as the
                // send times are (the time itself is checked above), give or take one tick.
                const std::int64_t tsGap = ro->timestamps && so->timestamps
                                               ? std::int64_t(std::int32_t(ro->timestamps->value - so->timestamps->value))
                                               : 0;
                const std::int64_t timeGap = (r.time - s.time) / kMillisecond;
                const bool tsClose = ro->timestamps && so->timestamps &&
                                     ro->timestamps->echo == so->timestamps->echo &&
                                     tsGap - timeGap >= -1 && tsGap - timeGap <= 1;
                wire::TcpOptions a = *ro, b = *so;
                if (tsClose) b.timestamps = a.timestamps;
                diff("tcp.options", optionsText(a), optionsText(b));
            }
            // The order and padding of the options, when their values agree exactly (a TSval
            // within the tolerance above is not a difference in layout).
            const bool tsShifted = ro && so && ro->timestamps && so->timestamps &&
                                   ro->timestamps->value != so->timestamps->value;
            if (m_report.differenceCount == before && !tsShifted)
                diff("tcp.options.bytes", hexBytes(rt->options()), hexBytes(st->options()));
            rp = rt->payload();
            sp = st->payload();
        }
    } else if (ri->protocol() == wire::kIpProtoUdp) {
        auto ru = wire::UdpPacket::view(rl4), su = wire::UdpPacket::view(sl4);
        if (ru && su) {
            diff("udp.sport", ru->srcPort(), su->srcPort());
            diff("udp.dport", ru->dstPort(), su->dstPort());
            rp = rl4.subspan(8);
            sp = sl4.subspan(8);
        }
    } else if (ri->protocol() == wire::kIpProtoIcmp && rl4.size() >= 4 && sl4.size() >= 4) {
        diff("icmp.type", rl4[0], sl4[0]);
        diff("icmp.code", rl4[1], sl4[1]);
        rp = rl4.subspan(4);
        sp = sl4.subspan(4);
    }
    if (!std::equal(rp.begin(), rp.end(), sp.begin(), sp.end()))
        addDifference(r, s, packet, "payload", hexBytes(rp), hexBytes(sp));
}

// ---- lookups ----

std::optional<std::uint32_t> RecordedOutput::tcpIsn(const TcpFlowKey& key) const {
    auto it = m_flows.find(FlowKey{key.remoteAddr, wire::kIpProtoTcp, key.localAddr, key.localPort, key.remotePort});
    if (it == m_flows.end()) return std::nullopt;
    for (std::uint64_t serial : it->second)
        if (const RecordedPacket* p = at(serial); p && (p->tcpFlags & wire::kTcpSyn)) return p->seq;
    return std::nullopt;
}

std::optional<std::uint32_t> RecordedOutput::tcpTsOffset(const TcpFlowKey& key) const {
    auto it = m_flows.find(FlowKey{key.remoteAddr, wire::kIpProtoTcp, key.localAddr, key.localPort, key.remotePort});
    if (it == m_flows.end()) return std::nullopt;
    for (std::uint64_t serial : it->second) {
        const RecordedPacket* p = at(serial);
        if (!p || !(p->tcpFlags & wire::kTcpSyn)) continue;
        if (!p->tsval) return std::nullopt;
        return *p->tsval - clockMs(p->time);
    }
    return std::nullopt;
}

std::optional<std::uint16_t> RecordedOutput::tcpFirstIpId(const TcpFlowKey& key) const {
    auto it = m_flows.find(FlowKey{key.remoteAddr, wire::kIpProtoTcp, key.localAddr, key.localPort, key.remotePort});
    if (it == m_flows.end()) return std::nullopt;
    for (std::uint64_t serial : it->second)
        // A SYN-ACK leaves from the request sock with ID 0 and RSTs from the control socket;
        // an active open's SYN is the socket's first packet.
        if (const RecordedPacket* p = at(serial);
            p && (p->tcpFlags & (wire::kTcpSyn | wire::kTcpAck)) != (wire::kTcpSyn | wire::kTcpAck) &&
            !(p->tcpFlags & wire::kTcpRst))
            return p->ipId;
    return std::nullopt;
}

std::optional<std::uint16_t> RecordedOutput::followIpId(std::uint32_t dst, std::uint8_t protocol, Nanos now) {
    RecordedPacket* best = nullptr;
    std::uint64_t bestSerial = UINT64_MAX;
    for (auto it = m_flows.lower_bound(FlowKey{dst, protocol, 0, 0, 0});
         it != m_flows.end() && it->first.dst == dst && it->first.protocol == protocol; ++it) {
        for (std::uint64_t serial : it->second) {
            RecordedPacket* p = at(serial);
            if (!p || p->idFollowed || p->time < now - kReadAhead) continue;
            if (p->time > now + kReadAhead) break;
            if (serial < bestSerial) {
                best = p;
                bestSerial = serial;
            }
            break;
        }
    }
    if (!best) return std::nullopt;
    best->idFollowed = true;
    return best->ipId;
}

std::optional<std::uint16_t> RecordedOutput::ephemeralPort(std::uint8_t protocol, std::uint32_t localAddr,
                                                           std::uint32_t remoteAddr, std::uint16_t remotePort) {
    const auto choice = std::make_tuple(protocol, localAddr, remoteAddr, remotePort);
    if (protocol != wire::kIpProtoTcp)
        if (auto c = m_ports.find(choice); c != m_ports.end()) return c->second;
    std::optional<std::uint16_t> port;
    std::uint64_t bestSerial = UINT64_MAX;
    for (auto it = m_flows.lower_bound(FlowKey{remoteAddr, protocol, 0, 0, 0});
         it != m_flows.end() && it->first.dst == remoteAddr && it->first.protocol == protocol; ++it) {
        const FlowKey& f = it->first;
        if (f.dport != remotePort || (localAddr && f.src != localAddr)) continue;
        for (std::uint64_t serial : it->second) {
            const RecordedPacket* p = at(serial);
            if (!p) continue;
            // connect: the port of a SYN not yet sent again by the engine
            if (protocol == wire::kIpProtoTcp && (p->tcpFlags & (wire::kTcpSyn | wire::kTcpAck)) != wire::kTcpSyn)
                continue;
            if (serial < bestSerial) {
                bestSerial = serial;
                port = f.sport;
            }
            break;
        }
    }
    if (port && protocol != wire::kIpProtoTcp) m_ports[choice] = *port;
    return port;
}

// ---- the host's input path ----

bool Host::isOwnFrame(const InputFrame& frame) const {
    if (frame.l2Synthesized) {
        if (frame.l2PacketType == kSllOutgoing) return true;
        if (frame.l2PacketType != 0) return false;
    }
    const InterfaceConfig* cfg = inputInterface(frame.device);
    if (!cfg || frame.bytes.size() < wire::kEthHeaderLen) return false;
    // Our source MAC; a frame also addressed to our MAC is not one we sent on this wire
    // (local traffic never leaves through it), so it stays input.
    if (!frame.l2Synthesized) {
        const std::uint8_t* ours = cfg->mac.bytes.data();
        return wire::sameMacBytes(ours, frame.bytes.data() + kEthSrcOffset) &&
               !wire::sameMacBytes(ours, frame.bytes.data());
    }
    // Raw IP (and cooked frames marked as received): our own source address on this interface.
    auto ip = ipOf(frame.bytes);
    if (!ip) return false;
    for (const auto& a : cfg->addresses)
        if (a.address == ip->src()) return true;
    return false;
}

void Host::recordOwnFrame(const InputFrame& frame) {
    const InterfaceConfig* cfg = inputInterface(frame.device);
    m_recorded.add(frame, cfg ? cfg->ifindex : 0);
    attachRecordedTap();
}

// The store sees what the host transmits; a snapshot's copy attaches its own store.
void Host::attachRecordedTap() {
    m_recordedTap.store = &m_recorded;
    if (std::find(txObservers.begin(), txObservers.end(), &m_recordedTap) == txObservers.end())
        txObservers.push_back(&m_recordedTap);
}

// Streamed input: the next frame the host receives. The source is read ahead by
// kReadAhead of virtual time (or kReadAheadFrames frames, kReadAheadFramesIdle before
// the first own frame) past the next received frame; our own frames met on the way go
// to the store, received ones wait here in order.
void Host::readAhead() {
    const std::size_t maxFrames = m_recorded.active() ? RecordedOutput::kReadAheadFrames
                                                      : RecordedOutput::kReadAheadFramesIdle;
    while (m_source && !m_readAheadDone) {
        if (!m_readAhead.empty() &&
            (m_readAheadTime > m_readAhead.front().time + RecordedOutput::kReadAhead ||
             m_readAhead.size() >= maxFrames))
            break;
        std::optional<InputFrame> f = m_source->next();
        if (!f) {
            m_readAheadDone = true;
            break;
        }
        m_readAheadTime = f->time;
        if (isOwnFrame(*f)) recordOwnFrame(*f);
        else m_readAhead.push_back(std::move(*f));
    }
    if (m_recorded.active()) m_recorded.expire(m_now);
}

const InterfaceConfig* Host::inputInterface(std::string_view name) const {
    const auto& all = m_config.interfaces;
    if (m_inputInterfaceHint < all.size()) {
        // Every frame of a capture names the same interface: compared in line, as interface
        // names are short (IFNAMSIZ), rather than through a call to memcmp.
        const std::string& hinted = all[m_inputInterfaceHint].name;
        bool same = hinted.size() == name.size();
        for (std::size_t i = 0; same && i < name.size(); ++i) same = hinted[i] == name[i];
        if (same) return &all[m_inputInterfaceHint];
    }
    const InterfaceConfig* found = m_config.findInterface(name);
    if (found) m_inputInterfaceHint = std::size_t(found - all.data());
    return found;
}

// In-memory input: our own frames up to kReadAhead past the cursor are in the store,
// and the cursor stands on a received frame (or the end).
void Host::lineUpInput() {
    if (!m_frames || m_cursorChecked == m_frameCursor) return;
    const auto& v = *m_frames;
    m_recordScan = std::max(m_recordScan, m_frameCursor);
    for (;;) {
        if (m_frameCursor >= v.size()) break;
        const Nanos horizon = v[m_frameCursor].time > INT64_MAX - RecordedOutput::kReadAhead
                                  ? INT64_MAX
                                  : v[m_frameCursor].time + RecordedOutput::kReadAhead;
        for (; m_recordScan < v.size() && v[m_recordScan].time <= horizon; ++m_recordScan)
            if (isOwnFrame(v[m_recordScan])) recordOwnFrame(v[m_recordScan]);
        if (m_frameCursor >= m_recordScan || !isOwnFrame(v[m_frameCursor])) break;
        ++m_frameCursor;
    }
    m_cursorChecked = m_frameCursor;
    if (m_recorded.active()) {
        attachRecordedTap();
        m_recorded.expire(m_now);
    }
}

// inet_id of a full socket: random at tcp_v4_syn_recv_sock, then one per packet sent
// (ip_select_ident_segs); it starts from the recorded one when the recording has it.
std::uint16_t Host::tcpInetId(const TcpFlowKey& key) {
    auto it = m_tcpInetId.find(key);
    if (it == m_tcpInetId.end()) {
        if (m_tcpInetId.size() > 2 * m_tcp.ehash.size() + 64)
            std::erase_if(m_tcpInetId, [&](const auto& e) { return !m_tcp.ehash.count(e.first); });
        auto first = std::uint16_t(tcpHash(m_tcp.isnSecret ^ 0x1d1d1d1dULL, key));
        if (m_recorded.active())
            if (auto recorded = m_recorded.tcpFirstIpId(key)) first = *recorded;
        it = m_tcpInetId.emplace(key, first).first;
    }
    return it->second++;
}

} // namespace stackscope::stack
