// SPDX-License-Identifier: GPL-3.0-or-later
// A problem with a capture file, worded for the user: which file, which frame, what.
#pragma once

#include <cstdint>
#include <string>

namespace stackscope::io {

struct CaptureError {
    std::string file;
    std::uint64_t packet = 0; // 1-based frame number, 0 = the whole file
    std::string message;

    // "FILE: packet N: MESSAGE", or "FILE: MESSAGE" for a whole-file problem.
    std::string toString() const;
};

} // namespace stackscope::io
