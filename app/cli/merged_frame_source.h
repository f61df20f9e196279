// SPDX-License-Identifier: GPL-3.0-or-later
// Several captures (one per --rx) merged into one time-ordered stream. Each
// source is read one frame ahead, so memory stays flat however big the files.
#pragma once

#include "sim/frame.h"

#include <optional>
#include <vector>

namespace stackscope::cli {

class MergedFrameSource final : public FrameSource {
  public:
    // Sources are not owned and must outlive this one. Each must be in time order.
    void add(FrameSource* source);

    // The earliest head of all sources; on equal times the source added first wins,
    // so the merge is deterministic.
    std::optional<InputFrame> next() override;

  private:
    struct Input {
        FrameSource* source = nullptr;
        std::optional<InputFrame> head;
        bool primed = false;
    };
    std::vector<Input> m_inputs;
};

} // namespace stackscope::cli
