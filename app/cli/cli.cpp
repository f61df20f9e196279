// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/cli.h"

#include "cli/commands.h"

#include <CLI/CLI.hpp>

#include <iostream>

#ifndef STACKSCOPE_VERSION
#define STACKSCOPE_VERSION "unknown"
#endif

namespace stackscope::cli {
namespace {

constexpr const char* kFooter = R"(Examples:
  stackscope-cli check web1.scn
  stackscope-cli run web1.scn --rx eth0=incoming.pcap --show drops --show nstat
  stackscope-cli run router.scn --rx eth0=lan.pcap --rx eth1=wan.pcap \
      --tx-pcap eth1=forwarded.pcap --counters-json counters.json --settle 2s
  stackscope-cli run web1.scn --rx eth0=incoming.pcap --trace - | grep DROP
  stackscope-cli live web1.scn --tap eth0=tap0 --duration 60s --record session.pcap

Exit status: 0 on success, 2 on bad arguments, scenario errors or unreadable
captures, 1 when an output file could not be written or a view is not
available in this build.)";

} // namespace

int main(int argc, char** argv, std::ostream& out, std::ostream& err) {
    CLI::App app{"Runs packets through a model of the Linux IPv4 stack and prints the "
                 "kernel's counters.",
                 "stackscope-cli"};
    app.set_version_flag("--version", std::string("stackscope-cli ") + STACKSCOPE_VERSION);
    app.require_subcommand(1);
    app.footer(kFooter);

    RunOptions run;
    CLI::App* runCmd = app.add_subcommand(
        "run", "Run a scenario, optionally fed from captures, and report what the kernel counted.");
    runCmd
        ->add_option("SCENARIO", run.scenario, "Scenario file (the commands that set up the host).")
        ->required();
    runCmd
        ->add_option("--rx", run.rx,
                     "Feed a capture (pcap or pcapng) into an interface; repeat for more "
                     "interfaces, merged in time order. Example: --rx eth0=incoming.pcap")
        ->type_name("IFACE=CAPTURE")
        ->allow_extra_args(false);
    runCmd
        ->add_option("--settle", run.settle,
                     "Virtual time to keep running after the last input packet, for timers and "
                     "draining queues (default 1s). Example: --settle 150ms")
        ->type_name("DURATION");
    runCmd
        ->add_option("--counters-json", run.countersJson,
                     "Write every counter as JSON (nstat, links, softnet, qdisc, drops); '-' for "
                     "standard output. Example: --counters-json counters.json")
        ->type_name("FILE");
    runCmd
        ->add_option("--trace", run.trace,
                     "Write one line per stage each packet passes; '-' for standard output. "
                     "Example: --trace trace.txt")
        ->type_name("FILE");
    runCmd
        ->add_option("--tx-pcap", run.txPcap,
                     "Record the frames that leave an interface; repeatable. "
                     "Example: --tx-pcap eth1=out.pcap")
        ->type_name("IFACE=FILE")
        ->allow_extra_args(false);
    runCmd
        ->add_option("--show", run.show,
                     "Print counters in a real tool's layout, repeatable, in the order given: "
                     "nstat (nstat -a), softnet (/proc/net/softnet_stat), links (ip -s link), "
                     "qdisc (tc -s qdisc), drops (drops by reason and place), iptables "
                     "(iptables-save -c), own (this host's transmissions against the output a "
                     "capture taken on it recorded). Without --show and --counters-json: nstat. "
                     "Example: --show drops --show links")
        ->type_name("VIEW")
        ->allow_extra_args(false)
        ->check(CLI::IsMember({"iptables", "nstat", "softnet", "links", "qdisc", "drops", "own"}));
    runCmd
        ->add_option("--seed", run.seed,
                     "Seed for every random choice the model makes (default 1); the same seed "
                     "gives the same trace. Example: --seed 42")
        ->type_name("N");

    std::string checkScenario;
    CLI::App* checkCmd =
        app.add_subcommand("check", "Validate a scenario file: print every error with its line.");
    checkCmd->add_option("SCENARIO", checkScenario, "Scenario file. Example: check web1.scn")
        ->required();

    std::string dumpScenario;
    CLI::App* dumpCmd = app.add_subcommand(
        "scenario-dump", "Print a scenario back in its canonical form, as the GUI saves it.");
    dumpCmd->add_option("SCENARIO", dumpScenario, "Scenario file. Example: scenario-dump web1.scn")
        ->required();

    std::string showScenario;
    bool showIptablesSave = false;
    CLI::App* showCmd = app.add_subcommand(
        "show", "Print a scenario's tables in the real tools' formats, without running traffic.");
    showCmd->add_option("SCENARIO", showScenario, "Scenario file. Example: show fw.scn --iptables-save")
        ->required();
    showCmd->add_flag("--iptables-save", showIptablesSave,
                      "The netfilter ruleset exactly as iptables-save prints it (no comment lines).");

#ifdef STACKSCOPE_ENABLE_LIVE
    LiveOptions live;
    CLI::App* liveCmd = addLiveCommand(app, live);
#endif

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e, out, err);
        return rc == 0 ? kExitOk : kExitBadInput;
    }

    if (runCmd->parsed()) return runCommand(run, out, err);
#ifdef STACKSCOPE_ENABLE_LIVE
    if (liveCmd->parsed()) return liveCommand(live, out, err);
#endif
    if (checkCmd->parsed()) return checkCommand(checkScenario, out, err);
    if (dumpCmd->parsed()) return dumpCommand(dumpScenario, out, err);
    if (showCmd->parsed()) {
        if (!showIptablesSave) {
            err << "show: say what to show, e.g. --iptables-save\n";
            return kExitBadInput;
        }
        return showIptablesSaveCommand(showScenario, out, err);
    }
    return kExitBadInput;
}

int main(int argc, char** argv) {
    return main(argc, argv, std::cout, std::cerr);
}

} // namespace stackscope::cli
