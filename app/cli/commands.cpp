// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.h"

#include "netfilter/iptables_input.h"

#include "cli/cli.h"
#include "cli/iptables_section.h"
#include "cli/merged_frame_source.h"
#include "cli/output_files.h"
#include "cli/own_output_section.h"
#include "cli/prefetch_frame_source.h"
#include "io/pcap_reader.h"
#include "io/pcap_writer.h"
#include "report/counters_json.h"
#include "report/drop_counter.h"
#include "report/text_views.h"
#include "scenario/scenario.h"
#include "sim/simulator.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <thread>

namespace stackscope::cli {
namespace {

struct IfacePath {
    std::string iface;
    std::string path;
};

// "--rx eth0=in.pcap" -> {eth0, in.pcap}; the message names the option as the user wrote it.
std::optional<IfacePath> splitIfacePath(std::string_view option, const std::string& value,
                                        const HostConfig& config, std::ostream& err) {
    const auto eq = value.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == value.size()) {
        err << fmt::format("{} {}: expected IFACE=FILE, e.g. {} eth0=capture.pcap\n", option, value,
                           option);
        return std::nullopt;
    }
    IfacePath p{value.substr(0, eq), value.substr(eq + 1)};
    if (!config.findInterface(p.iface)) {
        err << fmt::format("{} {}: the scenario has no interface {}\n", option, value, p.iface);
        return std::nullopt;
    }
    return p;
}

// Reads the scenario and prints every diagnostic; nullopt when there was any.
std::optional<HostConfig> loadScenario(const std::string& path, std::ostream& err) {
    scenario::ScenarioResult result = scenario::readScenarioFile(path);
    if (!result.ok()) {
        for (const auto& d : result.errors)
            err << d.toString() << '\n';
        return std::nullopt;
    }
    return std::move(result.config);
}

void printWarnings(const io::PcapReader& reader, std::ostream& err) {
    for (const auto& w : reader.warnings())
        err << "warning: " << w.toString() << '\n';
    if (reader.warningCount() > reader.warnings().size())
        err << fmt::format("warning: {}: {} more frames skipped\n", reader.path(),
                           reader.warningCount() - reader.warnings().size());
}

} // namespace

int runCommand(const RunOptions& o, std::ostream& out, std::ostream& err) {
    const std::optional<Nanos> settle = parseDuration(o.settle);
    if (!settle) {
        err << fmt::format("--settle {}: not a duration (examples: 2s, 150ms, 20us, 0)\n",
                           o.settle);
        return kExitBadInput;
    }
    const std::optional<HostConfig> config = loadScenario(o.scenario, err);
    if (!config) return kExitBadInput;

    std::vector<std::unique_ptr<io::PcapReader>> readers;
    MergedFrameSource input;
    for (const auto& rx : o.rx) {
        const auto p = splitIfacePath("--rx", rx, *config, err);
        if (!p) return kExitBadInput;
        io::CaptureError error;
        auto reader = io::PcapReader::open(p->path, p->iface, &error);
        if (!reader) {
            err << error.toString() << '\n';
            return kExitBadInput;
        }
        input.add(reader.get());
        readers.push_back(std::move(reader));
    }

    std::vector<std::unique_ptr<io::PcapWriter>> writers;
    for (const auto& tx : o.txPcap) {
        const auto p = splitIfacePath("--tx-pcap", tx, *config, err);
        if (!p) return kExitBadInput;
        io::CaptureError error;
        auto writer = io::PcapWriter::open(p->path, p->iface, &error);
        if (!writer) {
            err << error.toString() << '\n';
            return kExitBadInput;
        }
        writers.push_back(std::move(writer));
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

    Simulator sim(*config, o.seed);
    // The captures are streamed. With a second core they are read and decoded there, a few
    // batches ahead of the model; the buffers of freed frames travel back to be refilled.
    PrefetchFrameSource prefetched(input);
    if (!readers.empty()) {
        if (std::thread::hardware_concurrency() > 1)
            sim.setInput(&prefetched);
        else
            sim.setInput(&input);
    }
    // Drop totals come from the trace, so count them only when a report needs them.
    const bool wantDrops =
        jsonOut || std::find(o.show.begin(), o.show.end(), "drops") != o.show.end();
    report::DropCounter drops;
    if (wantDrops) sim.addDropObserver(&drops);
    std::optional<TraceWriter> traceWriter;
    if (traceOut) {
        traceWriter.emplace(traceOut->stream(), *config);
        sim.addTraceObserver(&*traceWriter);
    }
    for (auto& w : writers)
        sim.addTxObserver(w.get());

    sim.run(*settle);
    prefetched.stop(); // the readers' warnings and errors are complete only now

    int rc = kExitOk;
    for (const auto& r : readers) {
        printWarnings(*r, err);
        if (r->error()) {
            err << r->error()->toString() << '\n';
            rc = kExitBadInput;
        }
    }
    for (auto& w : writers) {
        w->flush();
        if (w->error()) {
            err << w->error()->toString() << '\n';
            rc = std::max(rc, kExitFailure);
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

std::string countersJsonText(const Simulator& sim, const report::DropCounter& drops,
                             const std::optional<IptablesReport>& iptables) {
    report::JsonSections sections;
    sections.drops = &drops;
    if (iptables) sections.iptables = &iptables->json;
    nlohmann::json doc = report::countersJson(sim, sections);
    if (auto own = ownOutputJson(sim)) doc["own_output"] = std::move(*own);
    return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
           '\n';
}

int printViews(const Simulator& sim, const report::DropCounter& drops,
               const std::optional<IptablesReport>& iptables, const std::vector<std::string>& show,
               bool wroteJson, std::ostream& out, std::ostream& err) {
    int rc = kExitOk;
    std::vector<std::string> views = show;
    if (views.empty() && !wroteJson) views.push_back("nstat");
    for (const auto& v : views) {
        if (v == "nstat")
            out << report::nstatText(sim.counters());
        else if (v == "softnet")
            out << report::softnetText(sim.counters());
        else if (v == "links")
            out << report::linksText(sim);
        else if (v == "qdisc")
            out << report::qdiscText(sim);
        else if (v == "drops")
            out << report::dropsText(drops);
        else if (v == "own")
            out << ownOutputText(sim);
        else if (v == "iptables") {
            if (iptables)
                out << iptables->text;
            else {
                err << "--show iptables: netfilter counters are not available in this build\n";
                rc = kExitFailure;
            }
        }
    }
    out.flush();
    return rc;
}

int checkCommand(const std::string& path, std::ostream& out, std::ostream& err) {
    const std::optional<HostConfig> config = loadScenario(path, err);
    if (!config) return kExitBadInput;
    out << fmt::format("{}: ok, {} interfaces, {} routes, {} sockets\n", path,
                       config->interfaces.size(), config->routes.size(), config->sockets.size());
    return kExitOk;
}

int dumpCommand(const std::string& path, std::ostream& out, std::ostream& err) {
    const std::optional<HostConfig> config = loadScenario(path, err);
    if (!config) return kExitBadInput;
    out << scenario::writeScenario(*config);
    return kExitOk;
}

int showIptablesSaveCommand(const std::string& path, std::ostream& out, std::ostream& err) {
    const std::optional<HostConfig> config = loadScenario(path, err);
    if (!config) return kExitBadInput;
    netfilter::Ruleset rules;
    for (const auto& in : config->iptables) netfilter::applyIptablesInput(rules, in);
    out << rules.save(false);
    return kExitOk;
}

} // namespace stackscope::cli
