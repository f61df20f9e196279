// SPDX-License-Identifier: GPL-3.0-or-later
// Scenario files: the Linux commands an administrator would type (ip, sysctl,
// ethtool, tc, iptables, tcpdump) plus Stackscope's own `socket`, `send` and
// `cpus` lines, read into a HostConfig and written back from one.
#pragma once

#include "model/host_config.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stackscope::scenario {

struct Diagnostic {
    std::string file;
    int line = 0; // 0 when the problem is the file itself
    int column = 0;
    std::string message;
    std::string toString() const; // "file:line: message"
};

struct ScenarioResult {
    HostConfig config = HostConfig::withLoopback();
    std::vector<Diagnostic> errors;
    bool ok() const { return errors.empty(); }
};

// Checks one iptables line or iptables-restore block; returns the error to report, if any.
using IptablesValidator = std::function<std::optional<std::string>(const IptablesInput&)>;

class ScenarioReader {
  public:
    // Without a validator every iptables input is reported as unsupported.
    void setIptablesValidator(IptablesValidator validator) { m_validator = std::move(validator); }

    // Every bad line is reported; the good ones are applied in order, like a shell script.
    ScenarioResult read(std::string_view text, std::string fileName) const;
    ScenarioResult readFile(const std::string& path) const;
    // Applies the lines on top of an existing configuration (an editor pasting commands).
    ScenarioResult apply(HostConfig start, std::string_view text, std::string fileName) const;

  private:
    IptablesValidator m_validator;
};

ScenarioResult readScenario(std::string_view text, std::string fileName);
ScenarioResult readScenarioFile(const std::string& path);

// A scenario that reads back to an equal configuration.
std::string writeScenario(const HostConfig& config);

} // namespace stackscope::scenario
