// SPDX-License-Identifier: GPL-3.0-or-later
// Helpers shared by the scenario tests: run a few lines, get the one error.
#pragma once

#include "scenario/scenario.h"

#include <catch2/catch.hpp>
#include <string>

namespace stackscope::scenario::test {

inline ScenarioResult run(const std::string& text) {
    return readScenario(text, "t.scn");
}

// The messages of every error, one per line, "line: message".
inline std::string errorsOf(const ScenarioResult& r) {
    std::string s;
    for (const auto& e : r.errors)
        s += std::to_string(e.line) + ": " + e.message + "\n";
    return s;
}

// Runs `setup` (which must be clean) and then `line`; returns the message of the
// single error `line` produced, or "" when it was accepted.
inline std::string errorAfter(const std::string& setup, const std::string& line,
                              HostConfig* out = nullptr) {
    auto clean = run(setup);
    INFO("setup:\n" << setup << "\nerrors:\n" << errorsOf(clean));
    REQUIRE(clean.ok());
    auto r = run(setup + "\n" + line + "\n");
    if (out) *out = r.config;
    if (r.ok()) return {};
    INFO("line: " << line << "\nerrors:\n" << errorsOf(r));
    REQUIRE(r.errors.size() == 1);
    return r.errors.front().message;
}

} // namespace stackscope::scenario::test
