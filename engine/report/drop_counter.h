// SPDX-License-Identifier: GPL-3.0-or-later
// Per-reason drop totals, counted from the trace: the kernel keeps no such
// counter (drop reasons reach user space only through the kfree_skb
// tracepoint), so the reports count what that tracepoint would have shown.
#pragma once

#include "sim/drop_reason.h"
#include "sim/stage.h"
#include "sim/trace.h"

#include <array>
#include <cstddef>
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

// Counts the drops a host reports (Simulator::addDropObserver). A drop is one array
// increment; the maps are filled from the array when someone reads them.
class DropCounter final : public DropObserver {
  public:
    void onDrop(DropReason reason, Stage stage) override;
    // Counts n drops at a named place; a reason that is not a drop counts as NOT_SPECIFIED.
    void add(DropReason reason, Stage stage, std::string_view function, std::uint64_t n = 1);

    std::uint64_t total() const { return m_total; }
    std::uint64_t count(DropReason reason) const;
    const std::map<DropReason, std::uint64_t>& byReason() const;
    const std::map<DropSite, std::uint64_t>& bySite() const;

  private:
    static constexpr std::size_t kStages = std::size_t(Stage::Count);
    static constexpr std::size_t kReasons = std::size_t(DropReason::Count);
    void fold() const; // moves m_pending into the maps

    std::uint64_t m_total = 0;
    // Drops at (reason, stage) not yet in the maps, the stage's kernel function implied.
    mutable std::array<std::uint32_t, kReasons * kStages> m_pending{};
    mutable bool m_havePending = false;
    mutable std::map<DropReason, std::uint64_t> m_byReason;
    mutable std::map<DropSite, std::uint64_t> m_bySite;
};

} // namespace stackscope::report
