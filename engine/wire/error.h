// SPDX-License-Identifier: GPL-3.0-or-later
// Why a header could not be parsed, as a value: the stack maps these to the
// kernel's drop reasons and counters (IP_CSUM, IP_INHDR, UDP_CSUM, ...).
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <variant>

namespace stackscope::wire {

enum class Error : std::uint8_t {
    Truncated,       // buffer shorter than the header or a length field says
    BadVersion,      // IP version field is not 4
    BadHeaderLength, // header length field below the minimum (IHL < 5, data offset < 5, UDP len <
                     // 8)
    BadTotalLength,  // IP total length below the header length
    BadChecksum,     // checksum does not verify
    Malformed,       // option lengths or pointers out of range
    Unsupported,     // a valid format this layer does not model (e.g. non Ethernet/IPv4 ARP)
};

std::string_view errorName(Error error);

// A parsed value or the reason it could not be parsed. It is a std::variant, so
// std::get_if / std::holds_alternative work, plus the usual ok()/value()/error().
template <class T, class E = Error> class Result : public std::variant<T, E> {
  public:
    using std::variant<T, E>::variant;

    bool ok() const { return this->index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(*this); }
    const T& value() const { return std::get<0>(*this); }
    E error() const { return std::get<1>(*this); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }
};

} // namespace stackscope::wire
