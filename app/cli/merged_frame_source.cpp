// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/merged_frame_source.h"

namespace stackscope::cli {

void MergedFrameSource::add(FrameSource* source) {
    m_inputs.push_back({source, std::nullopt, false});
}

std::optional<InputFrame> MergedFrameSource::next() {
    if (m_inputs.size() == 1) return m_inputs.front().source->next(); // nothing to merge
    Input* best = nullptr;
    for (Input& in : m_inputs) {
        // Read lazily: a source is opened for reading only when the merge needs its head.
        if (!in.primed) {
            in.head = in.source->next();
            in.primed = true;
        }
        if (in.head && (!best || in.head->time < best->head->time)) best = &in;
    }
    if (!best) return std::nullopt;
    std::optional<InputFrame> out = std::move(best->head);
    best->head = best->source->next();
    return out;
}

} // namespace stackscope::cli
