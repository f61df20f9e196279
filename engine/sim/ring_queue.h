// SPDX-License-Identifier: GPL-3.0-or-later
// A FIFO on a ring of slots that keeps its storage once it drains: a queue that fills
// and empties on every poll allocates nothing (a std::deque allocates a block every
// few elements), and a queue that never drains moves nothing but what is taken out.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace stackscope {

template <typename T>
class RingQueue {
public:
    bool empty() const { return m_count == 0; }
    std::size_t size() const { return m_count; }
    // The oldest and newest elements; the queue must not be empty.
    T& front() { return m_slots[m_head]; }
    const T& front() const { return m_slots[m_head]; }
    const T& back() const { return m_slots[slot(m_count - 1)]; }
    // The element i places behind the front; i must be less than size().
    const T& operator[](std::size_t i) const { return m_slots[slot(i)]; }

    void push_back(T&& item) {
        if (m_count == m_slots.size()) grow();
        m_slots[slot(m_count)] = std::move(item);
        ++m_count;
    }

    // Takes the oldest element out; the queue must not be empty.
    T takeFront() {
        T item = std::move(m_slots[m_head]);
        pop_front();
        return item;
    }

    // Drops the oldest element, normally one moved out through front(): it stays in its
    // slot, moved-from, until the slot is used again or the queue is cleared.
    void pop_front() {
        m_head = slot(1);
        --m_count;
    }

    void clear() {
        m_slots.clear();
        m_head = 0;
        m_count = 0;
    }

private:
    // The slot count is a power of two, so wrapping around is a mask.
    std::size_t slot(std::size_t i) const { return (m_head + i) & (m_slots.size() - 1); }

    void grow() {
        std::vector<T> slots(m_slots.empty() ? kFirstSlots : m_slots.size() * 2);
        for (std::size_t i = 0; i < m_count; ++i) slots[i] = std::move(m_slots[slot(i)]);
        m_slots.swap(slots);
        m_head = 0;
    }

    static constexpr std::size_t kFirstSlots = 16;
    std::vector<T> m_slots;  // default-constructed or moved-from outside the live range
    std::size_t m_head = 0;  // slot of the oldest element
    std::size_t m_count = 0; // elements queued
};

} // namespace stackscope
