// SPDX-License-Identifier: GPL-3.0-or-later
#include "report/drop_counter.h"

#include <limits>

namespace stackscope::report {

void DropCounter::onDrop(DropReason reason, Stage stage) {
    if (!isDrop(reason)) reason = DropReason::NOT_SPECIFIED;
    std::uint32_t& n = m_pending[std::size_t(reason) * kStages + std::size_t(stage)];
    if (n == std::numeric_limits<std::uint32_t>::max()) fold();
    ++n;
    ++m_total;
    m_havePending = true;
}

void DropCounter::add(DropReason reason, Stage stage, std::string_view function, std::uint64_t n) {
    if (!isDrop(reason)) reason = DropReason::NOT_SPECIFIED;
    if (function.empty()) function = stageKernelFunction(stage);
    m_total += n;
    m_byReason[reason] += n;
    m_bySite[DropSite{reason, stage, std::string(function)}] += n;
}

void DropCounter::fold() const {
    if (!m_havePending) return;
    for (std::size_t r = 0; r < kReasons; ++r)
        for (std::size_t s = 0; s < kStages; ++s) {
            std::uint32_t& n = m_pending[r * kStages + s];
            if (n == 0) continue;
            const auto reason = DropReason(r);
            const auto stage = Stage(s);
            m_byReason[reason] += n;
            m_bySite[DropSite{reason, stage, std::string(stageKernelFunction(stage))}] += n;
            n = 0;
        }
    m_havePending = false;
}

std::uint64_t DropCounter::count(DropReason reason) const {
    const auto& byReason = this->byReason();
    auto it = byReason.find(reason);
    return it == byReason.end() ? 0 : it->second;
}

const std::map<DropReason, std::uint64_t>& DropCounter::byReason() const {
    fold();
    return m_byReason;
}

const std::map<DropSite, std::uint64_t>& DropCounter::bySite() const {
    fold();
    return m_bySite;
}

} // namespace stackscope::report
