// SPDX-License-Identifier: GPL-3.0-or-later
// A FIFO of skbs (struct sk_buff_head with __skb_queue_tail / __skb_dequeue) for the
// queues every received packet passes: the RX ring and the per-CPU backlog.
#pragma once

#include "stack/skb.h"

#include <cstddef>
#include <utility>
#include <vector>

namespace stackscope::stack {

// The skbs live in one vector that keeps its storage once the queue drains, so a queue
// that fills and empties on every poll allocates nothing (a std::deque would allocate a
// block every few skbs).
class SkbQueue {
public:
    bool empty() const { return m_head == m_items.size(); }
    std::size_t size() const { return m_items.size() - m_head; }
    const Skb& front() const { return m_items[m_head]; }
    const Skb& back() const { return m_items.back(); }

    void push_back(Skb&& skb) { m_items.push_back(std::move(skb)); } // __skb_queue_tail

    // __skb_dequeue: takes the oldest skb out; the queue must not be empty.
    Skb takeFront() {
        Skb skb = std::move(m_items[m_head]);
        ++m_head;
        if (m_head == m_items.size()) {
            m_items.clear();
            m_head = 0;
        } else if (m_head >= kCompactAfter && m_head * 2 >= m_items.size()) {
            // A queue that never drains sheds the moved-from slots at its head now and then.
            m_items.erase(m_items.begin(), m_items.begin() + std::ptrdiff_t(m_head));
            m_head = 0;
        }
        return skb;
    }

private:
    static constexpr std::size_t kCompactAfter = 64;
    std::vector<Skb> m_items;
    std::size_t m_head = 0; // index of the oldest skb in m_items
};

} // namespace stackscope::stack
