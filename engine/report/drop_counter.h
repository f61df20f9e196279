// SPDX-License-Identifier: GPL-3.0-or-later
// Per-reason drop totals, counted from the trace: the kernel keeps no such
// counter (drop reasons reach user space only through the kfree_skb
// tracepoint), so the reports count what that tracepoint would have shown.
#pragma once

#include "sim/drop_reason.h"
#include "sim/stage.h"
#include "sim/trace.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

namespace stackscope::report {

// Where a drop happened: the stage and the kernel function that freed the packet.
struct DropSite {
    DropReason reason = DropReason::NOT_SPECIFIED;
    Stage stage = Stage::NicRx;
    std::string function;

    friend bool operator<(const DropSite& a, const DropSite& b) {
        return std::tie(a.reason, a.stage, a.function) < std::tie(b.reason, b.stage, b.function);
    }
};

class DropCounter final : public TraceObserver {
  public:
    void onTrace(const TraceEvent& event) override;
    // Counts one drop; a Dropped event without a drop reason counts as NOT_SPECIFIED.
    void add(DropReason reason, Stage stage, std::string_view function, std::uint64_t n = 1);

    std::uint64_t total() const { return m_total; }
    std::uint64_t count(DropReason reason) const;
    const std::map<DropReason, std::uint64_t>& byReason() const { return m_byReason; }
    const std::map<DropSite, std::uint64_t>& bySite() const { return m_bySite; }

  private:
    std::uint64_t m_total = 0;
    std::map<DropReason, std::uint64_t> m_byReason;
    std::map<DropSite, std::uint64_t> m_bySite;
};

} // namespace stackscope::report
