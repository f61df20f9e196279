// SPDX-License-Identifier: GPL-3.0-or-later
#include "io/capture_error.h"

#include <fmt/format.h>

namespace stackscope::io {

std::string CaptureError::toString() const {
    if (packet == 0) return fmt::format("{}: {}", file, message);
    return fmt::format("{}: packet {}: {}", file, packet, message);
}

} // namespace stackscope::io
