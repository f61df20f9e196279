// SPDX-License-Identifier: GPL-3.0-or-later
// Applies a scenario's iptables line or iptables-restore block to a ruleset,
// the way the real commands would act on the kernel's tables.
#pragma once

#include "model/host_config.h"
#include "netfilter/ruleset.h"

#include <optional>
#include <string>

namespace stackscope::netfilter {

// The error iptables or iptables-restore would print, or nullopt.
std::optional<std::string> applyIptablesInput(Ruleset& rules, const IptablesInput& input);

} // namespace stackscope::netfilter
