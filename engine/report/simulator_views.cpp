// SPDX-License-Identifier: GPL-3.0-or-later
// The Simulator forms of the reports, kept in their own unit so code that renders
// plain Counters does not pull in the simulator.
#include "report/counters_json.h"
#include "report/text_views.h"
#include "sim/simulator.h"

namespace stackscope::report {

nlohmann::json countersJson(const Simulator& sim, const JsonSections& sections) {
    return countersJson(sim.config(), sim.counters(), sections);
}

std::string linksText(const Simulator& sim) {
    return linksText(sim.config(), sim.counters());
}

std::string qdiscText(const Simulator& sim) {
    return qdiscText(sim.config(), sim.counters());
}

} // namespace stackscope::report
