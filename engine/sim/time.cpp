// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/time.h"

#include <cctype>
#include <fmt/format.h>

namespace stackscope {

std::optional<Nanos> parseDuration(std::string_view text) {
    std::size_t i = 0;
    Nanos whole = 0;
    bool any = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        if (whole > (Nanos(1) << 40)) return std::nullopt;
        whole = whole * 10 + (text[i] - '0');
        ++i;
        any = true;
    }
    Nanos frac = 0, fracScale = 1;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            if (fracScale < kSecond) {
                frac = frac * 10 + (text[i] - '0');
                fracScale *= 10;
            }
            ++i;
            any = true;
        }
    }
    if (!any) return std::nullopt;
    std::string_view unit = text.substr(i);
    Nanos scale;
    if (unit.empty() || unit == "s") scale = kSecond;
    else if (unit == "ms") scale = kMillisecond;
    else if (unit == "us") scale = kMicrosecond;
    else if (unit == "ns") scale = 1;
    else if (unit == "m" || unit == "min") scale = 60 * kSecond;
    else return std::nullopt;
    return whole * scale + frac * scale / fracScale;
}

std::string formatTime(Nanos t) {
    const char* sign = t < 0 ? "-" : "";
    if (t < 0) t = -t;
    return fmt::format("{}{}.{:09d}", sign, t / kSecond, t % kSecond);
}

} // namespace stackscope
