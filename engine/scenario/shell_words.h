// SPDX-License-Identifier: GPL-3.0-or-later
// Splits one scenario line into words the way a POSIX shell does, without
// expansions: quotes and backslashes are removed, `#` at the start of a word
// begins a comment.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace stackscope::scenario {

// The words of `line`, or an error message ("unterminated single quote").
std::variant<std::vector<std::string>, std::string> splitShellWords(std::string_view line);

// True when the line ends in a backslash that joins the next line, as in sh: not
// inside single quotes and not inside a comment.
bool endsWithContinuation(std::string_view line);

// `word` quoted so that splitShellWords gives it back unchanged.
std::string quoteShellWord(std::string_view word);

} // namespace stackscope::scenario
