// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/prefetch_frame_source.h"

#include "sim/frame_buffers.h"

#include <utility>

namespace stackscope::cli {

PrefetchFrameSource::PrefetchFrameSource(FrameSource& upstream, std::size_t batchSize,
                                         std::size_t maxBatches)
    : m_upstream(upstream), m_batchSize(batchSize ? batchSize : 1),
      m_maxBatches(maxBatches ? maxBatches : 1), m_lowWater(m_maxBatches / 4) {}

PrefetchFrameSource::~PrefetchFrameSource() { stop(); }

void PrefetchFrameSource::readLoop() {
    bool end = false;
    std::vector<frame_buffers::Buffer> spares;
    while (!end) {
        // The buffers of frames the model has freed come back to be filled again.
        frame_buffers::adopt(spares);
        std::vector<InputFrame> batch;
        batch.reserve(m_batchSize);
        while (batch.size() < m_batchSize) {
            std::optional<InputFrame> f = m_upstream.next();
            if (!f) {
                end = true;
                break;
            }
            batch.push_back(std::move(*f));
        }
        std::unique_lock lock(m_mutex);
        // A full queue is refilled from its low-water mark on: waking this thread costs the
        // consumer a system call (tens of microseconds in a VM), paid once per several
        // batches instead of once per batch.
        if (m_ready.size() >= m_maxBatches)
            m_drained.wait(lock, [&] { return m_stopping || m_ready.size() <= m_lowWater; });
        if (m_stopping) break;
        if (!batch.empty()) m_ready.push_back(std::move(batch));
        if (end) m_readerDone = true;
        spares.swap(m_spares);
        lock.unlock();
        m_filled.notify_one();
    }
    // Wakes a consumer still waiting when stop() cut the reading short.
    std::lock_guard lock(m_mutex);
    m_readerDone = true;
    m_filled.notify_one();
}

std::optional<InputFrame> PrefetchFrameSource::next() {
    if (m_finished) return std::nullopt;
    if (m_cursor < m_batch.size()) return take();
    if (!m_started) {
        m_started = true;
        m_reader = std::thread([this] { readLoop(); });
    }
    bool wakeReader = false;
    {
        std::unique_lock lock(m_mutex);
        m_filled.wait(lock, [&] { return !m_ready.empty() || m_readerDone; });
        if (m_ready.empty()) {
            m_finished = true;
            m_batch.clear();
            return std::nullopt;
        }
        m_batch = std::move(m_ready.front());
        m_ready.pop_front();
        // As many buffers go back as a batch uses, so neither thread's pool runs dry.
        if (m_spares.size() < m_batchSize * m_maxBatches)
            frame_buffers::handOver(m_spares, m_batchSize);
        wakeReader = m_ready.size() == m_lowWater;
    }
    if (wakeReader) m_drained.notify_one();
    m_cursor = 0;
    return take();
}

InputFrame PrefetchFrameSource::take() {
    // The reader wrote these frames on its own core; the one a few places on starts
    // coming over now (its header: the consumer looks at the MACs first).
    // The frame's own record comes first, as finding its bytes means reading it.
    if (m_cursor + 2 * kPrefetchDistance < m_batch.size())
        __builtin_prefetch(&m_batch[m_cursor + 2 * kPrefetchDistance]);
    if (m_cursor + kPrefetchDistance < m_batch.size())
        prefetchFrame(m_batch[m_cursor + kPrefetchDistance], kPrefetchBytes);
    return std::move(m_batch[m_cursor++]);
}

void PrefetchFrameSource::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_finished = true;
    m_drained.notify_all();
    if (m_reader.joinable()) m_reader.join();
}

} // namespace stackscope::cli
