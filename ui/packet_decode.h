// SPDX-License-Identifier: GPL-3.0-or-later
// A small read-only decoder for the packet list and the inspector: Ethernet,
// ARP, IPv4, ICMP, UDP and TCP, enough to name a packet and show its fields.
#pragma once

#include "sim/trace.h"

#include <QString>

#include <cstdint>
#include <span>
#include <vector>

namespace stackscope::ui {

struct PacketSummary {
    QString source;
    QString destination;
    QString protocol; // "UDP", "TCP", "ICMP", "ARP", "IPv4", "0x86dd"
    QString info;     // "5000 → 53 len=32", "Echo (ping) request id=1 seq=1"
};

// One line of the protocol tree; byte offsets are relative to the frame start.
struct DecodedField {
    int depth = 0; // 0 = protocol header line, 1 = field
    QString name;
    QString value;
    int offset = 0;
    int length = 0;
};

PacketSummary summarize(std::span<const std::uint8_t> frame);
// The packet list's filter syntax, shared with packet-filter breakpoints: the text, case
// insensitive, inside source, destination, protocol, info, fate or reason, or the number.
bool filterMatches(const PacketSummary& s, const QString& fate, const QString& reason,
                   std::uint64_t packet, const QString& needle);
// A packet's number as the list shows it: the frame number for captured packets, "h4" for
// the fourth packet the host made itself.
QString packetLabel(PacketId packet);
std::vector<DecodedField> decodeTree(std::span<const std::uint8_t> frame);

} // namespace stackscope::ui
