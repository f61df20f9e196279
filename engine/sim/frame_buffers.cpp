// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/frame_buffers.h"

#include <algorithm>

namespace stackscope::frame_buffers {

namespace {

// Buffers larger than this (reassembled datagrams, GRO super-packets) go back to the
// allocator: keeping them would hold memory a frame never needs.
constexpr std::size_t kMaxKeptCapacity = 16 * 1024;

thread_local std::vector<Buffer> t_pool;

} // namespace

Buffer take() {
    if (!t_pool.empty()) {
        Buffer b = std::move(t_pool.back());
        t_pool.pop_back();
        return b;
    }
    Buffer b;
    b.reserve(kCapacity);
    return b;
}

void give(Buffer&& buffer) {
    const std::size_t capacity = buffer.capacity();
    if (capacity < kCapacity || capacity > kMaxKeptCapacity || t_pool.size() >= kMaxKept) return;
    buffer.clear();
    t_pool.push_back(std::move(buffer));
}

void handOver(std::vector<Buffer>& out, std::size_t max) {
    const std::size_t n = std::min(max, t_pool.size());
    const auto first = t_pool.end() - std::ptrdiff_t(n);
    out.insert(out.end(), std::make_move_iterator(first), std::make_move_iterator(t_pool.end()));
    t_pool.erase(first, t_pool.end());
}

void adopt(std::vector<Buffer>& in) {
    for (Buffer& b : in) give(std::move(b));
    in.clear();
}

std::size_t kept() { return t_pool.size(); }

} // namespace stackscope::frame_buffers
