// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/packet_decode.h"

#include "wire/bytes.h"

#include <algorithm>

#include <QStringList>

namespace stackscope::ui {
namespace {

using wire::loadBe16;
using wire::loadBe32;

// Ethernet II (IEEE 802.3 clause 3.2.6): dst 6, src 6, EtherType 2.
constexpr int kEthHeader = 14;
constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherArp = 0x0806;
constexpr std::uint16_t kEtherVlan = 0x8100;
// RFC 791: minimum IPv4 header; RFC 768 UDP header; RFC 9293 TCP header; RFC 792 ICMP.
constexpr int kIpv4MinHeader = 20;
constexpr int kUdpHeader = 8;
constexpr int kTcpMinHeader = 20;
constexpr int kIcmpHeader = 8;
constexpr int kArpIpv4Length = 28; // RFC 826 for Ethernet/IPv4

QString mac(const std::uint8_t* p) { return QString::fromStdString(wire::loadMac(p).toString()); }
QString ip(const std::uint8_t* p) { return QString::fromStdString(wire::loadIpv4(p).toString()); }
QString hex16(std::uint16_t v) { return QStringLiteral("0x%1").arg(v, 4, 16, QLatin1Char('0')); }

QString ipProtoName(std::uint8_t p) {
    switch (p) {
    case 1: return QStringLiteral("ICMP");
    case 6: return QStringLiteral("TCP");
    case 17: return QStringLiteral("UDP");
    default: return QStringLiteral("IP proto %1").arg(p);
    }
}

QString icmpTypeName(std::uint8_t type, std::uint8_t code) {
    switch (type) {
    case 0: return QStringLiteral("Echo (ping) reply");
    case 3: {
        static const char* codes[] = {"net unreachable", "host unreachable", "protocol unreachable",
                                      "port unreachable", "fragmentation needed"};
        return QStringLiteral("Destination unreachable (%1)")
            .arg(code < 5 ? QLatin1String(codes[code]) : QStringLiteral("code %1").arg(code));
    }
    case 8: return QStringLiteral("Echo (ping) request");
    case 11: return QStringLiteral("Time exceeded");
    default: return QStringLiteral("ICMP type %1 code %2").arg(type).arg(code);
    }
}

QString tcpFlags(std::uint8_t f) {
    static const char* names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    QStringList out;
    for (int i = 0; i < 8; ++i)
        if (f & (1 << i)) out << QLatin1String(names[i]);
    return out.join(QLatin1Char(','));
}

struct Ipv4View {
    const std::uint8_t* p = nullptr;
    int ihl = 0;      // header bytes
    int total = 0;    // total length, clipped to what was captured
    bool valid = false;
};

Ipv4View ipv4At(std::span<const std::uint8_t> f, int off) {
    Ipv4View v;
    if (int(f.size()) < off + kIpv4MinHeader) return v;
    v.p = f.data() + off;
    v.ihl = (v.p[0] & 0x0f) * 4;
    if ((v.p[0] >> 4) != 4 || v.ihl < kIpv4MinHeader || int(f.size()) < off + v.ihl) return v;
    v.total = std::min<int>(loadBe16(v.p + 2), int(f.size()) - off);
    v.valid = v.total >= v.ihl;
    return v;
}

} // namespace

// A packet the host itself makes has no link-layer header until the neighbour layer
// writes one: until then its first 14 bytes are zero and the IP header follows.
static bool linkHeaderPending(std::span<const std::uint8_t> f) {
    return f.size() > std::size_t(kEthHeader) && loadBe16(f.data() + 12) == 0 &&
           (f[kEthHeader] >> 4) == 4 && std::all_of(f.begin(), f.begin() + kEthHeader, [](auto b) { return b == 0; });
}

PacketSummary summarize(std::span<const std::uint8_t> f) {
    PacketSummary s;
    if (f.size() < std::size_t(kEthHeader)) {
        s.protocol = QStringLiteral("?");
        s.info = QStringLiteral("truncated frame (%1 bytes)").arg(f.size());
        return s;
    }
    s.source = mac(f.data() + 6);
    s.destination = mac(f.data());
    int off = kEthHeader;
    std::uint16_t type = linkHeaderPending(f) ? kEtherIpv4 : loadBe16(f.data() + 12);
    if (type == kEtherVlan && f.size() >= 18) {
        type = loadBe16(f.data() + 16);
        off += 4;
    }
    if (type == kEtherArp && int(f.size()) >= off + kArpIpv4Length) {
        const std::uint8_t* a = f.data() + off;
        s.protocol = QStringLiteral("ARP");
        const std::uint16_t op = loadBe16(a + 6);
        s.info = op == 1 ? QStringLiteral("Who has %1? Tell %2").arg(ip(a + 24), ip(a + 14))
                         : QStringLiteral("%1 is at %2").arg(ip(a + 14), mac(a + 8));
        return s;
    }
    if (type != kEtherIpv4) {
        s.protocol = hex16(type);
        s.info = QStringLiteral("EtherType %1").arg(hex16(type));
        return s;
    }
    const Ipv4View v = ipv4At(f, off);
    if (!v.valid) {
        s.protocol = QStringLiteral("IPv4");
        s.info = QStringLiteral("malformed IPv4 header");
        return s;
    }
    s.source = ip(v.p + 12);
    s.destination = ip(v.p + 16);
    const std::uint8_t proto = v.p[9];
    s.protocol = ipProtoName(proto);
    const std::uint8_t* l4 = v.p + v.ihl;
    const int l4len = v.total - v.ihl;
    const bool firstFragment = (loadBe16(v.p + 6) & 0x1fff) == 0;
    if (!firstFragment) {
        s.info = QStringLiteral("fragment offset %1").arg((loadBe16(v.p + 6) & 0x1fff) * 8);
    } else if (proto == 17 && l4len >= kUdpHeader) {
        s.info = QStringLiteral("%1 → %2 len=%3")
                     .arg(loadBe16(l4)).arg(loadBe16(l4 + 2)).arg(loadBe16(l4 + 4) - kUdpHeader);
    } else if (proto == 6 && l4len >= kTcpMinHeader) {
        s.info = QStringLiteral("%1 → %2 [%3] seq=%4 ack=%5 win=%6")
                     .arg(loadBe16(l4)).arg(loadBe16(l4 + 2)).arg(tcpFlags(l4[13]))
                     .arg(loadBe32(l4 + 4)).arg(loadBe32(l4 + 8)).arg(loadBe16(l4 + 14));
    } else if (proto == 1 && l4len >= kIcmpHeader) {
        s.info = icmpTypeName(l4[0], l4[1]);
        if (l4[0] == 0 || l4[0] == 8)
            s.info += QStringLiteral(" id=%1 seq=%2").arg(loadBe16(l4 + 4)).arg(loadBe16(l4 + 6));
    } else {
        s.info = QStringLiteral("%1 bytes of payload").arg(l4len);
    }
    return s;
}

std::vector<DecodedField> decodeTree(std::span<const std::uint8_t> f) {
    std::vector<DecodedField> out;
    auto head = [&](QString name, QString value, int off, int len) {
        out.push_back({0, std::move(name), std::move(value), off, len});
    };
    auto field = [&](QString name, QString value, int off, int len) {
        out.push_back({1, std::move(name), std::move(value), off, len});
    };
    if (f.size() < std::size_t(kEthHeader)) {
        head(QStringLiteral("Frame"), QStringLiteral("%1 bytes, too short for Ethernet").arg(f.size()),
             0, int(f.size()));
        return out;
    }
    int off = kEthHeader;
    std::uint16_t type = loadBe16(f.data() + 12);
    if (linkHeaderPending(f)) {
        head(QStringLiteral("Link-layer header"), QStringLiteral("not written yet (the neighbour layer adds it)"),
             0, kEthHeader);
        type = kEtherIpv4;
    } else {
        head(QStringLiteral("Ethernet II"), mac(f.data() + 6) + QStringLiteral(" → ") + mac(f.data()), 0,
             kEthHeader);
        field(QStringLiteral("Destination"), mac(f.data()), 0, 6);
        field(QStringLiteral("Source"), mac(f.data() + 6), 6, 6);
        field(QStringLiteral("Type"), hex16(type), 12, 2);
    }
    if (type == kEtherVlan && f.size() >= 18) {
        head(QStringLiteral("802.1Q VLAN"), QStringLiteral("id %1").arg(loadBe16(f.data() + 14) & 0x0fff),
             14, 4);
        type = loadBe16(f.data() + 16);
        field(QStringLiteral("Type"), hex16(type), 16, 2);
        off += 4;
    }
    if (type == kEtherArp) {
        if (int(f.size()) < off + kArpIpv4Length) return out;
        const std::uint8_t* a = f.data() + off;
        const std::uint16_t op = loadBe16(a + 6);
        head(QStringLiteral("ARP"), op == 1 ? QStringLiteral("request") : QStringLiteral("reply"), off,
             kArpIpv4Length);
        field(QStringLiteral("Opcode"), QString::number(op), off + 6, 2);
        field(QStringLiteral("Sender MAC"), mac(a + 8), off + 8, 6);
        field(QStringLiteral("Sender IP"), ip(a + 14), off + 14, 4);
        field(QStringLiteral("Target MAC"), mac(a + 18), off + 18, 6);
        field(QStringLiteral("Target IP"), ip(a + 24), off + 24, 4);
        return out;
    }
    if (type != kEtherIpv4) return out;
    const Ipv4View v = ipv4At(f, off);
    if (!v.valid) {
        head(QStringLiteral("IPv4"), QStringLiteral("malformed header"), off, int(f.size()) - off);
        return out;
    }
    const std::uint16_t frag = loadBe16(v.p + 6);
    head(QStringLiteral("IPv4"), ip(v.p + 12) + QStringLiteral(" → ") + ip(v.p + 16), off, v.ihl);
    field(QStringLiteral("Version / IHL"), QStringLiteral("4 / %1 bytes").arg(v.ihl), off, 1);
    field(QStringLiteral("DSCP / ECN"), QStringLiteral("%1 / %2").arg(v.p[1] >> 2).arg(v.p[1] & 3),
          off + 1, 1);
    field(QStringLiteral("Total length"), QString::number(loadBe16(v.p + 2)), off + 2, 2);
    field(QStringLiteral("Identification"), hex16(loadBe16(v.p + 4)), off + 4, 2);
    field(QStringLiteral("Flags / offset"),
          QStringLiteral("%1%2 / %3")
              .arg(frag & 0x4000 ? QStringLiteral("DF ") : QString(),
                   frag & 0x2000 ? QStringLiteral("MF") : QString())
              .arg((frag & 0x1fff) * 8),
          off + 6, 2);
    field(QStringLiteral("TTL"), QString::number(v.p[8]), off + 8, 1);
    field(QStringLiteral("Protocol"), ipProtoName(v.p[9]), off + 9, 1);
    field(QStringLiteral("Header checksum"), hex16(loadBe16(v.p + 10)), off + 10, 2);
    field(QStringLiteral("Source"), ip(v.p + 12), off + 12, 4);
    field(QStringLiteral("Destination"), ip(v.p + 16), off + 16, 4);
    if ((frag & 0x1fff) != 0) return out;
    const int l4off = off + v.ihl;
    const std::uint8_t* l4 = v.p + v.ihl;
    const int l4len = v.total - v.ihl;
    if (v.p[9] == 17 && l4len >= kUdpHeader) {
        head(QStringLiteral("UDP"), QStringLiteral("%1 → %2").arg(loadBe16(l4)).arg(loadBe16(l4 + 2)),
             l4off, kUdpHeader);
        field(QStringLiteral("Source port"), QString::number(loadBe16(l4)), l4off, 2);
        field(QStringLiteral("Destination port"), QString::number(loadBe16(l4 + 2)), l4off + 2, 2);
        field(QStringLiteral("Length"), QString::number(loadBe16(l4 + 4)), l4off + 4, 2);
        field(QStringLiteral("Checksum"), hex16(loadBe16(l4 + 6)), l4off + 6, 2);
    } else if (v.p[9] == 6 && l4len >= kTcpMinHeader) {
        const int doff = (l4[12] >> 4) * 4;
        head(QStringLiteral("TCP"),
             QStringLiteral("%1 → %2 [%3]").arg(loadBe16(l4)).arg(loadBe16(l4 + 2)).arg(tcpFlags(l4[13])),
             l4off, std::min(doff, l4len));
        field(QStringLiteral("Source port"), QString::number(loadBe16(l4)), l4off, 2);
        field(QStringLiteral("Destination port"), QString::number(loadBe16(l4 + 2)), l4off + 2, 2);
        field(QStringLiteral("Sequence"), QString::number(loadBe32(l4 + 4)), l4off + 4, 4);
        field(QStringLiteral("Acknowledgement"), QString::number(loadBe32(l4 + 8)), l4off + 8, 4);
        field(QStringLiteral("Header length"), QString::number(doff), l4off + 12, 1);
        field(QStringLiteral("Flags"), tcpFlags(l4[13]), l4off + 13, 1);
        field(QStringLiteral("Window"), QString::number(loadBe16(l4 + 14)), l4off + 14, 2);
        field(QStringLiteral("Checksum"), hex16(loadBe16(l4 + 16)), l4off + 16, 2);
    } else if (v.p[9] == 1 && l4len >= kIcmpHeader) {
        head(QStringLiteral("ICMP"), icmpTypeName(l4[0], l4[1]), l4off, kIcmpHeader);
        field(QStringLiteral("Type"), QString::number(l4[0]), l4off, 1);
        field(QStringLiteral("Code"), QString::number(l4[1]), l4off + 1, 1);
        field(QStringLiteral("Checksum"), hex16(loadBe16(l4 + 2)), l4off + 2, 2);
        if (l4[0] == 0 || l4[0] == 8) {
            field(QStringLiteral("Identifier"), QString::number(loadBe16(l4 + 4)), l4off + 4, 2);
            field(QStringLiteral("Sequence"), QString::number(loadBe16(l4 + 6)), l4off + 6, 2);
        }
    }
    return out;
}

bool filterMatches(const PacketSummary& s, const QString& fate, const QString& reason,
                   std::uint64_t packet, const QString& needle) {
    for (const QString* field : {&s.source, &s.destination, &s.protocol, &s.info})
        if (field->contains(needle, Qt::CaseInsensitive)) return true;
    return fate.contains(needle, Qt::CaseInsensitive) || reason.contains(needle, Qt::CaseInsensitive) ||
           QString::number(packet) == needle;
}

// Packets the host made itself are numbered apart from the capture's frames.
QString packetLabel(PacketId packet) {
    if (packet >= kGeneratedPacketBase)
        return QStringLiteral("h%1").arg(qulonglong(packet - kGeneratedPacketBase));
    return QString::number(qulonglong(packet));
}

} // namespace stackscope::ui
