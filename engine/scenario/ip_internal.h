// SPDX-License-Identifier: GPL-3.0-or-later
// Internal to the scenario reader: the `ip` object handlers.
#pragma once

#include "scenario/commands.h"

namespace stackscope::scenario::detail {

void ipLink(HostConfig& host, ArgCursor& c, Errors& errors);
void ipAddress(HostConfig& host, ArgCursor& c, Errors& errors);
void ipRoute(HostConfig& host, ArgCursor& c, Errors& errors);
void ipNeigh(HostConfig& host, ArgCursor& c, Errors& errors);
// Deletes a link with what the kernel flushes along with it (routes, neighbours).
void removeInterface(HostConfig& host, const std::string& dev);

} // namespace stackscope::scenario::detail
