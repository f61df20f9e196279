// SPDX-License-Identifier: GPL-3.0-or-later
// Frames that arrived on live devices, waiting for the simulator to pull them.
#pragma once

#include "sim/frame.h"

#include <deque>
#include <optional>

namespace stackscope::live {

class LiveFrameSource final : public FrameSource {
  public:
    // Frames must be pushed in non-decreasing time order.
    void push(InputFrame frame) { m_frames.push_back(std::move(frame)); }
    // The oldest waiting frame; nullopt when none is waiting right now (more may come).
    std::optional<InputFrame> next() override;
    std::size_t waiting() const { return m_frames.size(); }

  private:
    std::deque<InputFrame> m_frames;
};

} // namespace stackscope::live
