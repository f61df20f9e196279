// SPDX-License-Identifier: GPL-3.0-or-later
// Counters in the layouts of the tools operators already read: nstat,
// /proc/net/softnet_stat, ip -s link and tc -s qdisc, plus a table of drops
// by reason and place. The HostConfig + Counters forms make no simulator
// calls, so they also render snapshots and hand-made counters.
#pragma once

#include "model/host_config.h"
#include "report/drop_counter.h"
#include "sim/counters.h"

#include <optional>
#include <string>

namespace stackscope {
class Simulator;
}

namespace stackscope::report {

// `nstat -a` (absolute values): "#kernel" then "%-32s%-16llu%6.1f" lines, the
// rate column always 0.0 because a run is one sample. Zero counters only with includeZero
// (`nstat -a -z`).
std::string nstatText(const Counters& counters, bool includeZero = false);

// /proc/net/softnet_stat as Linux 6.x prints it: one line per CPU, 15 %08x columns
// (processed, dropped, time_squeeze, five retired zeros, cpu_collision, received_rps,
// flow_limit_count, backlog length, cpu index, input_qlen, process_qlen).
std::string softnetText(const Counters& counters);

// The qdisc the kernel has on the device: the configured root, else the default for the
// link kind (IFF_NO_QUEUE devices get noqueue, others net.core.default_qdisc); nullopt
// while the device is down and has no configured root (the kernel's noop qdisc).
std::optional<QdiscKind> effectiveQdisc(const HostConfig& config, const InterfaceConfig& iface);

// `ip -s link`: header line, link/ether line, RX and TX blocks with the column widths
// iproute2 computes (each column at least its title, widened for long numbers).
std::string linksText(const HostConfig& config, const Counters& counters);
std::string linksText(const Simulator& sim);

// `tc -s qdisc`: the root qdisc of every device that has one (noop qdiscs are not listed).
std::string qdiscText(const HostConfig& config, const Counters& counters);
std::string qdiscText(const Simulator& sim);

// Drops grouped by reason, then by the stage and kernel function that freed the packet.
std::string dropsText(const DropCounter& drops);

} // namespace stackscope::report
