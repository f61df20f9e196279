// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/tcp.h"

#include <cassert>
#include <cstring>

namespace stackscope::wire {
namespace {

bool knownLengthOk(std::uint8_t kind, std::uint8_t length) {
    switch (kind) {
    case kTcpOptMss:
        return length == kTcpOptLenMss;
    case kTcpOptWindowScale:
        return length == kTcpOptLenWindowScale;
    case kTcpOptSackPermitted:
        return length == kTcpOptLenSackPermitted;
    case kTcpOptTimestamp:
        return length == kTcpOptLenTimestamp;
    case kTcpOptSack: {
        std::size_t blocks = (length - 2u) / kTcpOptLenSackBlock;
        return length > 2 && (length - 2u) % kTcpOptLenSackBlock == 0 &&
               blocks <= kTcpMaxSackBlocks;
    }
    default:
        return true;
    }
}

} // namespace

std::optional<TcpOption> TcpOptionReader::next() {
    if (m_done) return std::nullopt;
    if (m_pos >= m_options.size()) {
        m_done = true;
        return std::nullopt;
    }
    std::size_t pos = m_pos;
    std::uint8_t kind = m_options[pos];
    if (kind == kTcpOptEol) {
        m_done = true;
        return TcpOption{kind, 1, {}, pos};
    }
    if (kind == kTcpOptNop) {
        ++m_pos;
        return TcpOption{kind, 1, {}, pos};
    }
    std::size_t left = m_options.size() - pos;
    if (left < 2 || m_options[pos + 1] < 2 || m_options[pos + 1] > left ||
        !knownLengthOk(kind, m_options[pos + 1])) {
        m_done = true;
        m_error = Error::Malformed;
        m_errorOffset = pos;
        return std::nullopt;
    }
    std::uint8_t length = m_options[pos + 1];
    m_pos += length;
    return TcpOption{kind, length, m_options.subspan(pos + 2, length - 2u), pos};
}

Result<TcpOptions> parseTcpOptions(std::span<const std::uint8_t> options) {
    TcpOptions out;
    TcpOptionReader reader(options);
    while (auto option = reader.next()) {
        const std::uint8_t* d = option->data.data();
        switch (option->kind) {
        case kTcpOptMss:
            out.mss = loadBe16(d);
            break;
        case kTcpOptWindowScale:
            out.windowScale = d[0];
            break;
        case kTcpOptSackPermitted:
            out.sackPermitted = true;
            break;
        case kTcpOptTimestamp:
            out.timestamps = TcpTimestamps{loadBe32(d), loadBe32(d + 4)};
            break;
        case kTcpOptSack:
            out.sackBlockCount = std::uint8_t(option->data.size() / kTcpOptLenSackBlock);
            for (std::size_t i = 0; i < out.sackBlockCount; ++i)
                out.sackBlocks[i] = {loadBe32(d + 8 * i), loadBe32(d + 8 * i + 4)};
            break;
        default:
            break;
        }
    }
    if (reader.error()) return *reader.error();
    return out;
}

Result<TcpRepr> TcpRepr::parse(std::span<const std::uint8_t> bytes) {
    auto packet = TcpPacket::view(bytes);
    if (!packet) return Error::Truncated;
    if (auto error = packet->check()) return *error;
    auto options = parseTcpOptions(packet->options());
    if (!options) return options.error();
    TcpRepr repr;
    repr.srcPort = packet->srcPort();
    repr.dstPort = packet->dstPort();
    repr.seq = packet->seqNumber();
    repr.ack = packet->ackNumber();
    repr.flags = packet->flags();
    repr.window = packet->window();
    repr.urgentPointer = packet->urgentPointer();
    repr.options = *options;
    repr.payload = packet->payload();
    return repr;
}

Result<TcpRepr> TcpRepr::parse(std::span<const std::uint8_t> bytes, Ipv4Address src,
                               Ipv4Address dst) {
    auto repr = parse(bytes);
    if (repr.ok() && !TcpPacket::view(bytes)->verifyChecksum(src, dst)) return Error::BadChecksum;
    return repr;
}

std::size_t TcpRepr::optionsLength() const {
    std::size_t len = 0;
    if (options.mss) len += 4;
    if (options.timestamps)
        len += 12; // SACK permitted rides in the two leading bytes
    else if (options.sackPermitted)
        len += 4;
    if (options.windowScale) len += 4;
    if (options.sackBlockCount > 0)
        len += 4 + kTcpOptLenSackBlock * std::size_t(options.sackBlockCount);
    return len;
}

void TcpRepr::writeTo(std::span<std::uint8_t> out, Ipv4Address src, Ipv4Address dst) const {
    const std::size_t headerLen = headerLength();
    const std::size_t len = headerLen + payload.size();
    assert(headerLen <= kTcpMaxHeaderLen && options.sackBlockCount <= kTcpMaxSackBlocks);
    assert(out.size() >= len && len <= 0xffff);
    std::uint8_t* p = out.data();
    if (!payload.empty() && payload.data() != p + headerLen)
        std::memmove(p + headerLen, payload.data(), payload.size());

    storeBe16(p + kTcpSrcPortOffset, srcPort);
    storeBe16(p + kTcpDstPortOffset, dstPort);
    storeBe32(p + kTcpSeqOffset, seq);
    storeBe32(p + kTcpAckOffset, ack);
    p[kTcpDataOffsetOffset] = std::uint8_t((headerLen / 4) << 4);
    p[kTcpFlagsOffset] = flags;
    storeBe16(p + kTcpWindowOffset, window);
    storeBe16(p + kTcpChecksumOffset, 0);
    storeBe16(p + kTcpUrgentOffset, urgentPointer);

    std::uint8_t* o = p + kTcpOptionsOffset;
    auto put = [&o](std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
        o[0] = a;
        o[1] = b;
        o[2] = c;
        o[3] = d;
        o += 4;
    };
    if (options.mss) {
        put(kTcpOptMss, kTcpOptLenMss, std::uint8_t(*options.mss >> 8), std::uint8_t(*options.mss));
    }
    if (options.timestamps) {
        if (options.sackPermitted)
            put(kTcpOptSackPermitted, kTcpOptLenSackPermitted, kTcpOptTimestamp,
                kTcpOptLenTimestamp);
        else
            put(kTcpOptNop, kTcpOptNop, kTcpOptTimestamp, kTcpOptLenTimestamp);
        storeBe32(o, options.timestamps->value);
        storeBe32(o + 4, options.timestamps->echo);
        o += 8;
    } else if (options.sackPermitted) {
        put(kTcpOptNop, kTcpOptNop, kTcpOptSackPermitted, kTcpOptLenSackPermitted);
    }
    if (options.windowScale) {
        put(kTcpOptNop, kTcpOptWindowScale, kTcpOptLenWindowScale, *options.windowScale);
    }
    if (options.sackBlockCount > 0) {
        put(kTcpOptNop, kTcpOptNop, kTcpOptSack,
            std::uint8_t(2 + kTcpOptLenSackBlock * options.sackBlockCount));
        for (std::size_t i = 0; i < options.sackBlockCount; ++i) {
            storeBe32(o, options.sackBlocks[i].left);
            storeBe32(o + 4, options.sackBlocks[i].right);
            o += 8;
        }
    }

    std::uint32_t sum = pseudoHeaderSum(src, dst, kTcpProtocol, std::uint16_t(len));
    storeBe16(p + kTcpChecksumOffset, internetChecksum(out.first(len), sum));
}

} // namespace stackscope::wire
