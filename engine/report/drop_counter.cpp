// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/drop_counter.h"

namespace stackscope::report {

void DropCounter::onTrace(const TraceEvent& event) {
    if (event.verdict != Verdict::Dropped) return;
    add(event.reason, event.stage, event.function);
}

void DropCounter::add(DropReason reason, Stage stage, std::string_view function, std::uint64_t n) {
    if (!isDrop(reason)) reason = DropReason::NOT_SPECIFIED;
    if (function.empty()) function = stageKernelFunction(stage);
    m_total += n;
    m_byReason[reason] += n;
    m_bySite[DropSite{reason, stage, std::string(function)}] += n;
}

std::uint64_t DropCounter::count(DropReason reason) const {
    auto it = m_byReason.find(reason);
    return it == m_byReason.end() ? 0 : it->second;
}

} // namespace stackscope::report
