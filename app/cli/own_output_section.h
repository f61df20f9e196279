// SPDX-License-Identifier: GPL-3.0-or-later
// The comparison of the host's transmissions with the output a capture taken on
// the host recorded (engine/stack/recorded_output.h): the "own_output" key of
// --counters-json and the `--show own` view.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace stackscope {
class Simulator;
}

namespace stackscope::cli {

// {"recorded": N, "matched": M, "differences": [...], "missing": [...], "extra": [...]}
// plus the totals of the three lists (each list holds the first 100); nullopt when the
// input held no frame the host sent.
std::optional<nlohmann::json> ownOutputJson(const Simulator& sim);
// The same as text, one line per difference, missing and extra frame.
std::string ownOutputText(const Simulator& sim);

} // namespace stackscope::cli
