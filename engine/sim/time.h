// SPDX-License-Identifier: GPL-3.0-or-later
// Virtual time. The engine never reads a wall clock: every instant is an input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stackscope {

using Nanos = std::int64_t;

inline constexpr Nanos kMicrosecond = 1'000;
inline constexpr Nanos kMillisecond = 1'000'000;
inline constexpr Nanos kSecond = 1'000'000'000;

// Kernel jiffies at HZ=1000, the configuration the counters are calibrated on.
inline constexpr int kHz = 1000;
inline constexpr Nanos kJiffy = kSecond / kHz;

// "2s", "150ms", "20us", "500ns", "1.5s", "0"; a bare number means seconds.
std::optional<Nanos> parseDuration(std::string_view text);
// "1.000250000" seconds, fixed nine decimals, for traces and tables.
std::string formatTime(Nanos t);

} // namespace stackscope
