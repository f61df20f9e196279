// SPDX-License-Identifier: GPL-3.0-or-later
// Byte buffers of frames that have left the model, kept for the next frames a
// capture reader decodes. A batch run receives millions of frames and frees each
// one a few microseconds later; reusing the buffers saves a malloc and a free per
// frame, and when the capture is read on another thread (cli/prefetch), it keeps
// every buffer with the thread that frees it instead of handing each free to the
// allocator of the thread that allocated it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace stackscope::frame_buffers {

using Buffer = std::vector<std::uint8_t>;

// Room for a full Ethernet frame (1514 bytes) without growing.
inline constexpr std::size_t kCapacity = 1536;
// Buffers kept per thread; beyond that, given-back buffers are freed.
inline constexpr std::size_t kMaxKept = 8192;

// An empty buffer with at least kCapacity bytes reserved: a kept one when this
// thread has one, otherwise a new one.
Buffer take();

// Keeps `buffer` (cleared) for take() on this thread, unless it is too small or too
// large to be worth keeping or the pool is full.
void give(Buffer&& buffer);

// Moves up to `max` of this thread's kept buffers to the end of `out`, for another
// thread to adopt().
void handOver(std::vector<Buffer>& out, std::size_t max);

// Keeps the buffers of `in` on this thread (as give() does) and empties `in`.
void adopt(std::vector<Buffer>& in);

// Buffers this thread keeps (for tests).
std::size_t kept();

} // namespace stackscope::frame_buffers
