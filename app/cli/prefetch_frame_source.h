// SPDX-License-Identifier: GPL-3.0-or-later
// Reads and decodes the captures on a second thread, a bounded number of frames
// ahead of the simulation, so a batch run uses both cores. The frames come out in
// exactly the order the upstream source gives them, so results do not change.
// The model frees a frame on its own thread; each batch taken sends as many freed
// buffers back (sim/frame_buffers.h), so the reader refills them instead of
// allocating, and no buffer is freed on a thread other than the one that uses it.
#pragma once

#include "sim/frame.h"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace stackscope::cli {

class PrefetchFrameSource final : public FrameSource {
  public:
    // upstream is not owned, must outlive this object, and is read only by the reader
    // thread until stop() returns. At most maxBatches batches of batchSize frames wait.
    explicit PrefetchFrameSource(FrameSource& upstream, std::size_t batchSize = 256,
                                 std::size_t maxBatches = 8);
    ~PrefetchFrameSource() override;
    PrefetchFrameSource(const PrefetchFrameSource&) = delete;
    PrefetchFrameSource& operator=(const PrefetchFrameSource&) = delete;

    std::optional<InputFrame> next() override;

    // Ends the reader thread; afterwards the upstream source may be inspected (errors,
    // warnings). Frames not yet taken are discarded. Safe to call more than once.
    void stop();

  private:
    void readLoop();
    InputFrame take(); // the frame at the cursor, which must be in the batch

    // take() prefetches the header of the frame this many places on.
    static constexpr std::size_t kPrefetchDistance = 4;
    static constexpr std::size_t kPrefetchBytes = 64;

    FrameSource& m_upstream;
    const std::size_t m_batchSize;
    const std::size_t m_maxBatches;
    const std::size_t m_lowWater; // a full queue waits until it is down to this many batches

    std::mutex m_mutex;
    std::condition_variable m_filled;  // a batch arrived, or the reader finished
    std::condition_variable m_drained; // a batch was taken, or stop() was called
    std::deque<std::vector<InputFrame>> m_ready;
    bool m_readerDone = false;
    bool m_stopping = false;
    std::vector<std::vector<std::uint8_t>> m_spares; // freed frame buffers on their way back

    // Touched only by the consuming thread.
    std::vector<InputFrame> m_batch;
    std::size_t m_cursor = 0;
    bool m_started = false;
    bool m_finished = false;
    std::thread m_reader;
};

} // namespace stackscope::cli
