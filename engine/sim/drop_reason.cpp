// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/drop_reason.h"

#include <array>

namespace stackscope {
namespace {

constexpr std::array kNames{
    std::string_view{"NOT_DROPPED_YET"}, std::string_view{"CONSUMED"},
#define STACKSCOPE_DROP_NAME(name) std::string_view{#name},
    STACKSCOPE_DROP_REASONS(STACKSCOPE_DROP_NAME)
#undef STACKSCOPE_DROP_NAME
};
static_assert(kNames.size() == std::size_t(DropReason::Count));

} // namespace

std::string_view dropReasonName(DropReason r) {
    auto i = std::size_t(r);
    return i < kNames.size() ? kNames[i] : std::string_view{"?"};
}

std::optional<DropReason> dropReasonFromName(std::string_view name) {
    constexpr std::string_view prefix = "SKB_DROP_REASON_";
    if (name.starts_with(prefix)) name.remove_prefix(prefix.size());
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return DropReason(i);
    return std::nullopt;
}

} // namespace stackscope
