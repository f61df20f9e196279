// SPDX-License-Identifier: GPL-3.0-or-later
// stackscope-cli: the engine without a display, for scripts, grading, CI and big captures.
#pragma once

#include <iosfwd>

namespace stackscope::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // an output could not be written or a view is unavailable
inline constexpr int kExitBadInput = 2; // bad arguments, scenario or capture

// Parses the command line and runs the subcommand; reports go to `out`, problems to `err`.
int main(int argc, char** argv, std::ostream& out, std::ostream& err);
int main(int argc, char** argv); // std::cout, std::cerr

} // namespace stackscope::cli
