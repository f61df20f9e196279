// SPDX-License-Identifier: GPL-3.0-or-later
// A FIFO of skbs (struct sk_buff_head with __skb_queue_tail / __skb_dequeue) for the
// queues every received packet passes: the RX ring and the per-CPU backlog.
#pragma once

#include "stack/skb.h"

#include <cstddef>
#include <utility>
#include <vector>

namespace stackscope::stack {

// The skbs live in a ring of slots that keeps its storage once the queue drains, so a
// queue that fills and empties on every poll allocates nothing, and a queue that never
// drains (a slow reader's socket) moves no skb but the one taken out.
class SkbQueue {
public:
    bool empty() const { return m_count == 0; }
    std::size_t size() const { return m_count; }
    const Skb& front() const { return m_slots[m_head]; }
    const Skb& back() const { return m_slots[slot(m_count - 1)]; }

    // __skb_queue_tail
    void push_back(Skb&& skb) {
        if (m_count == m_slots.size()) grow();
        m_slots[slot(m_count)] = std::move(skb);
        ++m_count;
    }

    // __skb_dequeue: takes the oldest skb out; the queue must not be empty.
    Skb takeFront() {
        Skb skb = std::move(m_slots[m_head]);
        m_head = slot(1);
        --m_count;
        return skb;
    }

private:
    // The slot count is a power of two, so wrapping around is a mask.
    std::size_t slot(std::size_t i) const { return (m_head + i) & (m_slots.size() - 1); }

    void grow() {
        std::vector<Skb> slots(m_slots.empty() ? kFirstSlots : m_slots.size() * 2);
        for (std::size_t i = 0; i < m_count; ++i) slots[i] = std::move(m_slots[slot(i)]);
        m_slots.swap(slots);
        m_head = 0;
    }

    static constexpr std::size_t kFirstSlots = 16;
    std::vector<Skb> m_slots; // moved-from skbs (no bytes) outside the live range
    std::size_t m_head = 0;   // slot of the oldest skb
    std::size_t m_count = 0;  // skbs queued
};

} // namespace stackscope::stack
