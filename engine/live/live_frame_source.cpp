// SPDX-License-Identifier: GPL-3.0-or-later
#include "live/live_frame_source.h"

namespace stackscope::live {

std::optional<InputFrame> LiveFrameSource::next() {
    if (m_frames.empty()) return std::nullopt;
    InputFrame frame = std::move(m_frames.front());
    m_frames.pop_front();
    return frame;
}

} // namespace stackscope::live
