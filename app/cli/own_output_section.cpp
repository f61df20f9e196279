// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/own_output_section.h"

#include "sim/simulator.h"
#include "stack/host.h"

#include <fmt/format.h>

namespace stackscope::cli {

namespace {

double seconds(Nanos t) { return double(t) / double(kSecond); }

nlohmann::json unmatchedJson(const stack::OwnOutputUnmatched& u) {
    nlohmann::json j{{"time", seconds(u.time)}, {"device", u.device}, {"frame", u.summary}};
    if (u.captureNumber) j["capture_frame"] = u.captureNumber;
    if (u.packet != kNoPacket) j["packet"] = u.packet;
    return j;
}

} // namespace

std::optional<nlohmann::json> ownOutputJson(const Simulator& sim) {
    const auto& store = sim.host().recordedOutput();
    if (!store.active()) return std::nullopt;
    const stack::OwnOutputReport r = store.report();
    nlohmann::json differences = nlohmann::json::array();
    for (const auto& d : r.differences)
        differences.push_back({{"capture_frame", d.captureNumber}, {"packet", d.packet},
                               {"device", d.device}, {"time", seconds(d.recordedTime)},
                               {"engine_time", seconds(d.engineTime)}, {"field", d.field},
                               {"recorded", d.recorded}, {"engine", d.engine}});
    nlohmann::json missing = nlohmann::json::array(), extra = nlohmann::json::array();
    for (const auto& m : r.missing) missing.push_back(unmatchedJson(m));
    for (const auto& e : r.extra) extra.push_back(unmatchedJson(e));
    return nlohmann::json{{"recorded", r.recorded},
                          {"matched", r.matched},
                          {"differing_frames", r.differingFrames},
                          {"difference_count", r.differenceCount},
                          {"missing_count", r.missingCount},
                          {"extra_count", r.extraCount},
                          {"differences", differences},
                          {"missing", missing},
                          {"extra", extra}};
}

std::string ownOutputText(const Simulator& sim) {
    const auto& store = sim.host().recordedOutput();
    if (!store.active()) return "own output: the input holds no frame this host sent\n";
    const stack::OwnOutputReport r = store.report();
    std::string s = fmt::format(
        "own output: {} recorded, {} matched ({} differing, {} differences), {} missing, {} extra\n",
        r.recorded, r.matched, r.differingFrames, r.differenceCount, r.missingCount, r.extraCount);
    for (const auto& d : r.differences)
        s += fmt::format("  differs  frame {} ({} at {:.6f}s, packet #{}): {} recorded {} engine {}\n",
                         d.captureNumber, d.device, seconds(d.recordedTime), d.packet, d.field,
                         d.recorded, d.engine);
    for (const auto& m : r.missing)
        s += fmt::format("  missing  frame {} ({} at {:.6f}s): {}\n", m.captureNumber, m.device,
                         seconds(m.time), m.summary);
    for (const auto& e : r.extra)
        s += fmt::format("  extra    packet #{} ({} at {:.6f}s): {}\n", e.packet, e.device, seconds(e.time),
                         e.summary);
    const auto more = [](std::uint64_t total, std::size_t shown) { return total > shown ? total - shown : 0; };
    if (auto n = more(r.differenceCount, r.differences.size()) + more(r.missingCount, r.missing.size()) +
                 more(r.extraCount, r.extra.size()))
        s += fmt::format("  ... {} more not listed\n", n);
    return s;
}

} // namespace stackscope::cli
