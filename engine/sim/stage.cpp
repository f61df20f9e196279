// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/stage.h"

#include <array>

namespace stackscope {
namespace {

struct StageInfo {
    std::string_view name;
    std::string_view function;
    std::string_view label;
    Path path;
};

constexpr std::array kStages{
#define STACKSCOPE_STAGE_INFO(e, fn, label, path) StageInfo{#e, fn, label, Path::path},
    STACKSCOPE_STAGES(STACKSCOPE_STAGE_INFO)
#undef STACKSCOPE_STAGE_INFO
};
static_assert(kStages.size() == std::size_t(Stage::Count));

} // namespace

std::string_view stageName(Stage s) { return kStages.at(std::size_t(s)).name; }
std::string_view stageKernelFunction(Stage s) { return kStages.at(std::size_t(s)).function; }
std::string_view stageLabel(Stage s) { return kStages.at(std::size_t(s)).label; }
Path stagePath(Stage s) { return kStages.at(std::size_t(s)).path; }

std::optional<Stage> stageFromName(std::string_view name) {
    for (std::size_t i = 0; i < kStages.size(); ++i)
        if (kStages[i].name == name || kStages[i].function == name || kStages[i].label == name)
            return Stage(i);
    return std::nullopt;
}

} // namespace stackscope
