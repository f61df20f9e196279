// SPDX-License-Identifier: GPL-3.0-or-later
#include "wire/address.h"

#include <charconv>
#include <fmt/format.h>

namespace stackscope::wire {
namespace {

std::optional<unsigned> parseDecimal(std::string_view s, unsigned max) {
    if (s.empty() || s.size() > 3) return std::nullopt;
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size() || v > max) return std::nullopt;
    return v;
}

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
    MacAddress mac;
    std::size_t pos = 0;
    for (int i = 0; i < 6; ++i) {
        if (i > 0) {
            if (pos >= text.size() || (text[pos] != ':' && text[pos] != '-')) return std::nullopt;
            ++pos;
        }
        int digits = 0;
        unsigned v = 0;
        while (pos < text.size() && digits < 2 && hexDigit(text[pos]) >= 0) {
            v = v * 16 + unsigned(hexDigit(text[pos]));
            ++pos;
            ++digits;
        }
        if (digits == 0) return std::nullopt;
        mac.bytes[std::size_t(i)] = std::uint8_t(v);
    }
    if (pos != text.size()) return std::nullopt;
    return mac;
}

std::string MacAddress::toString() const {
    return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes[0], bytes[1], bytes[2],
                       bytes[3], bytes[4], bytes[5]);
}

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        auto dot = text.find('.');
        if ((i < 3) == (dot == std::string_view::npos)) return std::nullopt;
        auto part = parseDecimal(text.substr(0, dot), 255);
        if (!part) return std::nullopt;
        value = (value << 8) | *part;
        text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    }
    return Ipv4Address{value};
}

std::string Ipv4Address::toString() const {
    return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                       value & 0xff);
}

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text) {
    if (text == "default" || text == "any" || text == "all") return Ipv4Prefix{{0}, 0};
    auto slash = text.find('/');
    auto addr = Ipv4Address::parse(text.substr(0, slash));
    if (!addr) return std::nullopt;
    int length = 32;
    if (slash != std::string_view::npos) {
        auto len = parseDecimal(text.substr(slash + 1), 32);
        if (!len) return std::nullopt;
        length = int(*len);
    }
    return Ipv4Prefix{*addr, length};
}

std::string Ipv4Prefix::toString() const {
    return fmt::format("{}/{}", network().toString(), length);
}

} // namespace stackscope::wire
