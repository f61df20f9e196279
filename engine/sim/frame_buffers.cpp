// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/frame_buffers.h"

#include <algorithm>

namespace stackscope::frame_buffers {

namespace {

// Buffers larger than this (reassembled datagrams, GRO super-packets) go back to the
// allocator: keeping them would hold memory a frame never needs.
constexpr std::size_t kMaxKeptCapacity = 16 * 1024;

// The pool lives in a thread_local object built on first use; the plain pointer to it,
// trivially destructible, stays readable until the thread ends, so an skb freed after the
// pool is gone (a static object destroyed at exit) finds it null and frees its bytes.
struct Pool {
    std::vector<Buffer> buffers;
};
thread_local Pool* t_pool = nullptr;
thread_local bool t_poolGone = false;

struct PoolOwner {
    Pool pool;
    PoolOwner() { t_pool = &pool; }
    ~PoolOwner() {
        t_pool = nullptr;
        t_poolGone = true;
    }
};

Pool* pool() {
    if (t_pool || t_poolGone) return t_pool;
    thread_local PoolOwner owner;
    return t_pool;
}

} // namespace

Buffer take() {
    if (Pool* p = pool(); p && !p->buffers.empty()) {
        Buffer b = std::move(p->buffers.back());
        p->buffers.pop_back();
        return b;
    }
    Buffer b;
    b.reserve(kCapacity);
    return b;
}

void give(Buffer&& buffer) {
    const std::size_t capacity = buffer.capacity();
    if (capacity < kCapacity || capacity > kMaxKeptCapacity) return;
    Pool* p = pool();
    if (!p || p->buffers.size() >= kMaxKept) return;
    buffer.clear();
    p->buffers.push_back(std::move(buffer));
}

void handOver(std::vector<Buffer>& out, std::size_t max) {
    Pool* p = pool();
    if (!p) return;
    auto& kept = p->buffers;
    const std::size_t n = std::min(max, kept.size());
    const auto first = kept.end() - std::ptrdiff_t(n);
    out.insert(out.end(), std::make_move_iterator(first), std::make_move_iterator(kept.end()));
    kept.erase(first, kept.end());
}

void adopt(std::vector<Buffer>& in) {
    for (Buffer& b : in) give(std::move(b));
    in.clear();
}

std::size_t kept() {
    const Pool* p = pool();
    return p ? p->buffers.size() : 0;
}

} // namespace stackscope::frame_buffers
