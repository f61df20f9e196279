// SPDX-License-Identifier: GPL-3.0-or-later
// Plain-language explanations of each stage, read from the bundled
// assets/ui/stages.txt so teachers can improve the wording without code.
#pragma once

#include "sim/stage.h"

#include <QString>

namespace stackscope::ui {

// The paragraph for a stage; empty when the resource has none.
QString stageExplanation(Stage stage);
// Kernel function, label and explanation, as rich text for a tooltip.
QString stageTooltip(Stage stage);
QString toQString(std::string_view text);

} // namespace stackscope::ui
