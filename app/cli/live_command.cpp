// SPDX-License-Identifier: GPL-3.0-or-later
// `stackscope-cli live`: the simulated host on live devices. Virtual time follows
// the wall clock; the session stops on SIGINT/SIGTERM or after --duration and then
// reports its counters the way `run` does.
#include "cli/commands.h"

#include "cli/cli.h"
#include "cli/iptables_section.h"
#include "cli/output_files.h"
#include "live/live_capture.h"
#include "live/live_session.h"
#include "live/tap_device.h"
#include "report/counters_json.h"
#include "report/drop_counter.h"
#include "report/text_views.h"
#include "scenario/scenario.h"
#include "sim/simulator.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

namespace stackscope::cli {
namespace {

volatile std::sig_atomic_t g_stopSignal = 0;

extern "C" void onStopSignal(int signal) {
    g_stopSignal = signal;
}

// Installs the stop handlers for the session's lifetime, without SA_RESTART so a
// signal ends the poll() wait at once.
class StopSignals {
  public:
    StopSignals() {
        g_stopSignal = 0;
        struct sigaction action {};
        action.sa_handler = onStopSignal;
        sigemptyset(&action.sa_mask);
        sigaction(SIGINT, &action, &m_oldInt);
        sigaction(SIGTERM, &action, &m_oldTerm);
    }
    ~StopSignals() {
        sigaction(SIGINT, &m_oldInt, nullptr);
        sigaction(SIGTERM, &m_oldTerm, nullptr);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

  private:
    struct sigaction m_oldInt {};
    struct sigaction m_oldTerm {};
};

struct Binding {
    std::string iface;  // simulated interface
    std::string device; // TAP or host interface
    bool tap = true;
};

std::optional<Binding> splitBinding(std::string_view option, const std::string& value,
                                    const HostConfig& config, bool tap, std::ostream& err) {
    const auto eq = value.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
        err << fmt::format("{} {}: expected IFACE={}, e.g. {} eth0={}\n", option, value,
                           tap ? "TAPNAME" : "HOSTIFACE", option, tap ? "tap0" : "enp3s0");
        return std::nullopt;
    }
    Binding b{value.substr(0, eq), value.substr(eq + 1), tap};
    if (!config.findInterface(b.iface)) {
        err << fmt::format("{} {}: the scenario has no interface {}\n", option, value, b.iface);
        return std::nullopt;
    }
    return b;
}

std::string currentUser() {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) return pw->pw_name;
    return std::to_string(::getuid());
}

// An address for the real side of a TAP: the simulated interface's subnet, another
// host number (".1" unless the simulated host has it).
std::string realSideAddress(const HostConfig& config, const std::string& iface) {
    const InterfaceConfig* i = config.findInterface(iface);
    if (!i) return {};
    for (const auto& a : i->addresses) {
        if (a.prefixLength > 30 || a.prefixLength < 1) continue;
        const std::uint32_t mask =
            a.prefixLength == 0 ? 0 : ~std::uint32_t(0) << (32 - a.prefixLength);
        const std::uint32_t network = a.address.value & mask;
        const std::uint32_t candidate =
            (network + 1 == a.address.value) ? network + 2 : network + 1;
        return fmt::format("{}/{}", wire::Ipv4Address{candidate}.toString(), a.prefixLength);
    }
    return {};
}

// --record FILE: FILE itself for one interface, FILE with "-IFACE" before the
// extension for several; the scenario copy is FILE with ".scn" as extension.
std::string withSuffix(const std::string& path, const std::string& suffix, const std::string& ext) {
    const auto slash = path.rfind('/');
    const auto dot = path.rfind('.');
    const bool hasExt = dot != std::string::npos && (slash == std::string::npos || dot > slash + 1);
    const std::string stem = hasExt ? path.substr(0, dot) : path;
    const std::string extension =
        ext.empty() ? (hasExt ? path.substr(dot) : std::string(".pcap")) : ext;
    return stem + suffix + extension;
}

std::string shellQuote(const std::string& s) {
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_-./=:@+,") == std::string::npos)
        return s;
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

} // namespace

int liveCommand(const LiveOptions& o, std::ostream& out, std::ostream& err) {
    std::optional<Nanos> duration;
    if (!o.duration.empty()) {
        duration = parseDuration(o.duration);
        if (!duration || *duration <= 0) {
            err << fmt::format(
                "--duration {}: not a positive duration (examples: 30s, 500ms, 2min)\n",
                o.duration);
            return kExitBadInput;
        }
    }
    if (o.tap.empty() && o.capture.empty()) {
        err << "live: give at least one --tap IFACE=TAPNAME or --capture IFACE=HOSTIFACE\n";
        return kExitBadInput;
    }
    if (!o.filter.empty() && o.capture.empty()) {
        err << "--filter: applies to --capture only; a TAP carries only the traffic routed to it\n";
        return kExitBadInput;
    }

    std::ifstream scenarioFile(o.scenario, std::ios::binary);
    if (!scenarioFile) {
        err << fmt::format("{}: cannot read the scenario file\n", o.scenario);
        return kExitBadInput;
    }
    const std::string scenarioText((std::istreambuf_iterator<char>(scenarioFile)),
                                   std::istreambuf_iterator<char>());
    scenario::ScenarioResult loaded = scenario::readScenario(scenarioText, o.scenario);
    if (!loaded.ok()) {
        for (const auto& d : loaded.errors)
            err << d.toString() << '\n';
        return kExitBadInput;
    }
    const HostConfig config = std::move(loaded.config);

    std::vector<Binding> bindings;
    std::set<std::string> bound;
    for (const auto& t : o.tap)
        if (auto b = splitBinding("--tap", t, config, true, err))
            bindings.push_back(*b);
        else
            return kExitBadInput;
    for (const auto& c : o.capture)
        if (auto b = splitBinding("--capture", c, config, false, err))
            bindings.push_back(*b);
        else
            return kExitBadInput;
    for (const auto& b : bindings) {
        if (!bound.insert(b.iface).second) {
            err << fmt::format("live: interface {} is given more than one live device\n", b.iface);
            return kExitBadInput;
        }
    }

    std::optional<Output> traceOut;
    if (!o.trace.empty()) {
        traceOut.emplace();
        if (!traceOut->open(o.trace, out)) {
            err << fmt::format("--trace {}: cannot create the file\n", o.trace);
            return kExitFailure;
        }
    }
    std::optional<Output> jsonOut;
    if (!o.countersJson.empty()) {
        jsonOut.emplace();
        if (!jsonOut->open(o.countersJson, out)) {
            err << fmt::format("--counters-json {}: cannot create the file\n", o.countersJson);
            return kExitFailure;
        }
    }

    // Devices before the simulator: a refused device is the common failure, and its
    // message must come before anything runs.
    std::vector<std::unique_ptr<live::TapDevice>> taps(bindings.size());
    std::vector<std::unique_ptr<live::LiveCapture>> captures(bindings.size());
    for (std::size_t i = 0; i < bindings.size(); ++i) {
        const Binding& b = bindings[i];
        if (b.tap) {
            live::TapError error;
            taps[i] = live::TapDevice::open(b.device, {}, &error);
            if (!taps[i]) {
                err << live::tapErrorAdvice(error, currentUser(), realSideAddress(config, b.iface),
                                            live::findTapHelper());
                return kExitBadInput;
            }
            if (taps[i]->created())
                err << fmt::format("live: created TAP device {}{}; it goes away when this session "
                                   "ends\n",
                                   b.device,
                                   taps[i]->openedByHelper() ? " through the helper" : "");
        } else {
            live::LiveCaptureError error;
            captures[i] = live::LiveCapture::open(b.device, o.filter, &error);
            if (!captures[i]) {
                err << error.toString() << '\n';
                if (error.permissionDenied)
                    err << "Live capture reads every frame of a real interface, which needs "
                           "CAP_NET_RAW (run it as root).\nA TAP device needs no privilege once it "
                           "exists; create one you own, once, as root:\n"
                        << live::tapSetupCommands("stackscope0", currentUser(),
                                                  realSideAddress(config, b.iface))
                        << fmt::format("then run: stackscope-cli live {} --tap {}=stackscope0\n",
                                       shellQuote(o.scenario), b.iface);
                return kExitBadInput;
            }
        }
    }

    Simulator sim(config, o.seed);
    const bool wantDrops =
        jsonOut || std::find(o.show.begin(), o.show.end(), "drops") != o.show.end();
    report::DropCounter drops;
    if (wantDrops) sim.addDropObserver(&drops);
    std::optional<TraceWriter> traceLines;
    if (traceOut) {
        traceLines.emplace(traceOut->stream(), config);
        sim.addTraceObserver(&*traceLines);
    }

    const auto start = std::chrono::steady_clock::now();
    auto clock = [start]() -> Nanos {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now() - start)
            .count();
    };
    live::LiveSession session(sim, clock);
    for (std::size_t i = 0; i < bindings.size(); ++i) {
        if (taps[i])
            session.addTap(bindings[i].iface, std::move(taps[i]));
        else
            session.addCapture(bindings[i].iface, std::move(captures[i]));
    }

    std::vector<std::pair<std::string, std::string>> recordings; // iface, pcap path
    std::string scenarioCopy;
    if (!o.record.empty()) {
        scenarioCopy = withSuffix(o.record, "", ".scn");
        for (const auto& b : bindings) {
            const std::string path =
                bindings.size() == 1 ? o.record : withSuffix(o.record, "-" + b.iface, "");
            if (path == scenarioCopy || path == o.scenario) {
                err << fmt::format("--record {}: the recording would overwrite a scenario file; "
                                   "name it .pcap\n",
                                   o.record);
                return kExitBadInput;
            }
            std::string error;
            if (!session.record(b.iface, path, &error)) {
                err << "--record: " << error << '\n';
                return kExitFailure;
            }
            recordings.emplace_back(b.iface, path);
        }
    }

    for (const auto& b : bindings)
        err << fmt::format("live: {} <- {} {}{}\n", b.iface, b.tap ? "TAP" : "capture on", b.device,
                           b.tap ? " (answers go back into it)" : " (read only)");
    err << (duration ? fmt::format("live: running for {}; Ctrl+C stops early\n", o.duration)
                     : std::string("live: running; Ctrl+C stops\n"));
    err.flush();

    int rc = kExitOk;
    {
        StopSignals signals;
        constexpr int kMaxWaitMs = 100; // signals and the duration are checked this often
        while (!g_stopSignal) {
            const Nanos now = clock();
            if (duration && now >= *duration) break;
            int wait = session.timeoutMs(kMaxWaitMs);
            if (duration)
                wait = std::min<Nanos>(wait, (*duration - now + kMillisecond - 1) / kMillisecond);
            session.wait(wait);
            if (g_stopSignal) break;
            const live::LivePollResult polled = session.poll();
            if (traceOut) traceOut->stream().flush();
            if (polled.deviceFailed) {
                for (const auto& s : session.stats())
                    if (s.readErrors)
                        err << fmt::format("live: {} ({}): {}\n", s.interface, s.device,
                                           s.lastError);
                rc = kExitFailure;
                break;
            }
        }
    }
    // Frames that came in with the stop are still run: the recording holds them. One
    // end time for both, so the replay's settle ends exactly where this run did.
    session.readDevices();
    const Nanos end = std::max(session.now(), session.lastInputTime());
    session.advanceTo(end);

    err << fmt::format("live: stopped after {}s{}\n", formatTime(clock()),
                       g_stopSignal ? (g_stopSignal == SIGINT ? " (SIGINT)" : " (SIGTERM)") : "");
    for (const auto& s : session.stats()) {
        err << fmt::format("live: {} ({}): {} frames in, {} frames out", s.interface, s.device,
                           s.framesIn, s.framesOut);
        if (s.writeErrors)
            err << fmt::format(", {} not written back ({})", s.writeErrors, s.lastError);
        if (s.checksumsCompleted)
            err << fmt::format(", {} with the TCP/UDP checksum left to offload (completed)",
                               s.checksumsCompleted);
        err << '\n';
    }

    if (!recordings.empty()) {
        std::string error;
        if (!session.flushRecordings(&error)) {
            err << "--record: " << error << '\n';
            rc = std::max(rc, kExitFailure);
        }
        // `run` starts a capture at its first frame and keeps running `settle` after the
        // last one: this settle time ends the replay where the session ended.
        std::string replay = "stackscope-cli run " + shellQuote(scenarioCopy);
        for (const auto& [iface, path] : recordings)
            replay += " --rx " + shellQuote(iface + "=" + path);
        replay += fmt::format(" --settle {}ns", end - session.lastInputTime());
        if (o.seed != 1) replay += fmt::format(" --seed {}", o.seed);
        std::ofstream copy(scenarioCopy, std::ios::binary | std::ios::trunc);
        copy << "# Scenario of a live session recorded by stackscope-cli live.\n"
             << "# Replay: " << replay << '\n'
             << scenarioText;
        if (!scenarioText.empty() && scenarioText.back() != '\n') copy << '\n';
        copy.flush();
        if (!copy) {
            err << fmt::format("--record: {}: cannot write the scenario copy\n", scenarioCopy);
            rc = std::max(rc, kExitFailure);
        } else if (session.framesIn() == 0) {
            err << "live: recorded no frames; nothing to replay\n";
        } else {
            err << "live: recorded; replay with: " << replay << '\n';
            if (session.activityBeforeFirstInput())
                err << "live: note: the scenario was busy before the first frame arrived; the "
                       "replay starts at that frame, so its times (and maybe counters) differ\n";
        }
    }

    if (traceOut && !traceOut->finish()) {
        err << fmt::format("--trace {}: write failed\n", o.trace);
        rc = std::max(rc, kExitFailure);
    }
    const std::optional<IptablesReport> iptables = iptablesReport(sim);
    if (jsonOut) {
        jsonOut->stream() << countersJsonText(sim, drops, iptables);
        if (!jsonOut->finish()) {
            err << fmt::format("--counters-json {}: write failed\n", o.countersJson);
            rc = std::max(rc, kExitFailure);
        }
    }
    return std::max(rc, printViews(sim, drops, iptables, o.show, bool(jsonOut), out, err));
}

CLI::App* addLiveCommand(CLI::App& app, LiveOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "live", "Run a scenario on live traffic: a TAP device (answers go back) or a capture of "
                "a real interface (read only); virtual time follows the wall clock.");
    cmd->add_option("SCENARIO", o.scenario, "Scenario file (the commands that set up the host).")
        ->required();
    cmd->add_option("--tap", o.tap,
                    "Attach a TAP device to an interface: frames the real kernel sends into it "
                    "arrive there, frames the simulated host sends there go back. Needs a TAP you "
                    "own (ip tuntap add dev tap0 mode tap user $USER) or stackscope-tap-helper. "
                    "Example: --tap eth0=tap0")
        ->type_name("IFACE=TAPNAME")
        ->allow_extra_args(false);
    cmd->add_option("--capture", o.capture,
                    "Feed a copy of what arrives on a real Ethernet interface (libpcap, needs "
                    "CAP_NET_RAW); answers go nowhere. Example: --capture eth0=enp3s0")
        ->type_name("IFACE=HOSTIFACE")
        ->allow_extra_args(false);
    cmd->add_option(
           "--filter", o.filter,
           "Capture filter for --capture, in tcpdump syntax. Example: --filter 'udp port 53'")
        ->type_name("EXPR");
    cmd->add_option("--duration", o.duration,
                    "Stop after this much time (default: at Ctrl+C). Example: --duration 30s")
        ->type_name("DURATION");
    cmd->add_option("--counters-json", o.countersJson,
                    "Write every counter as JSON at the end, as run does; '-' for standard output.")
        ->type_name("FILE");
    cmd->add_option("--trace", o.trace,
                    "Write one line per stage each packet passes, as it happens; '-' for standard "
                    "output.")
        ->type_name("FILE");
    cmd->add_option("--record", o.record,
                    "Save the input frames as a pcap (FILE; FILE-IFACE.pcap for several "
                    "interfaces) and a scenario copy (FILE with .scn) that stackscope-cli run "
                    "replays to the same counters. Example: --record session.pcap")
        ->type_name("FILE");
    cmd->add_option("--show", o.show,
                    "Print counters in a real tool's layout at the end, as run does.")
        ->type_name("VIEW")
        ->allow_extra_args(false)
        ->check(CLI::IsMember({"iptables", "nstat", "softnet", "links", "qdisc", "drops"}));
    cmd->add_option("--seed", o.seed, "Seed for every random choice the model makes (default 1).")
        ->type_name("N");
    return cmd;
}

} // namespace stackscope::cli
