// SPDX-License-Identifier: GPL-3.0-or-later
// The subcommands, with their arguments already parsed into plain values.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace stackscope::cli {

struct RunOptions {
    std::string scenario;
    std::vector<std::string> rx;     // "IFACE=CAPTURE"
    std::string settle = "1s";       // parseDuration syntax
    std::string countersJson;        // empty: not written; "-": standard output
    std::string trace;               // empty: no trace; "-": standard output
    std::vector<std::string> txPcap; // "IFACE=FILE"
    std::vector<std::string> show;   // iptables, nstat, softnet, links, qdisc, drops
    std::uint64_t seed = 1;
};

int runCommand(const RunOptions& options, std::ostream& out, std::ostream& err);

// `stackscope-cli live`: live_command.cpp.
struct LiveOptions {
    std::string scenario;
    std::vector<std::string> tap;     // "IFACE=TAPNAME"
    std::vector<std::string> capture; // "IFACE=HOSTIFACE"
    std::string filter;               // BPF capture filter for --capture
    std::string duration;             // empty: until SIGINT/SIGTERM
    std::string countersJson;
    std::string trace;
    std::string record;               // pcap of the input frames, plus a scenario copy
    std::vector<std::string> show;
    std::uint64_t seed = 1;
};
int liveCommand(const LiveOptions& options, std::ostream& out, std::ostream& err);
// Declares the `live` subcommand on `app`, parsing into `options`.
CLI::App* addLiveCommand(CLI::App& app, LiveOptions& options);
int checkCommand(const std::string& path, std::ostream& out, std::ostream& err);
int dumpCommand(const std::string& path, std::ostream& out, std::ostream& err);
// `stackscope-cli show SCENARIO --iptables-save`: the ruleset as iptables-save prints it.
int showIptablesSaveCommand(const std::string& path, std::ostream& out, std::ostream& err);

} // namespace stackscope::cli
