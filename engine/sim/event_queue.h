// SPDX-License-Identifier: GPL-3.0-or-later
// Events ordered by virtual time, ties broken by insertion order so runs are
// deterministic. Events are small values: copying the queue is a snapshot.
#pragma once

#include "sim/time.h"

#include <cstdint>
#include <vector>

namespace stackscope {

struct Event {
    enum class Kind : std::uint8_t {
        NetRxAction,  // NET_RX_SOFTIRQ on a CPU
        AppRead,      // an application calls recvmsg on a socket
        AppSend,      // an application calls sendto (a `send` line)
        NeighTimer,   // ARP retransmit / failure for one neighbour entry
        QdiscRun,     // a device's qdisc may dequeue (tbf tokens, driver ring space)
        TxComplete,   // the driver's TX ring frees a slot (frame on the wire)
        IpFragExpire, // an IPv4 reassembly queue's timer (ip_expire); value = timer id
        TcpTimer,     // a TCP timer; object = stack::TcpTimerKind, value = generation << 32 | id
    };
    Nanos time = 0;
    std::uint64_t seq = 0;
    Kind kind = Kind::NetRxAction;
    int object = 0;          // cpu, socket index, send index, neighbour id, ifindex
    std::uint64_t value = 0; // send: datagram number
};

class EventQueue {
public:
    void schedule(Event e) {
        e.seq = m_nextSeq++;
        // Sift up: parents later than e move down into the hole until e's place is found.
        std::size_t hole = m_heap.size();
        m_heap.push_back(e);
        while (hole > 0) {
            const std::size_t parent = (hole - 1) / 2;
            if (!earlier(e, m_heap[parent])) break;
            m_heap[hole] = m_heap[parent];
            hole = parent;
        }
        m_heap[hole] = e;
    }
    bool empty() const { return m_heap.empty(); }
    const Event& top() const { return m_heap.front(); }
    Event pop() {
        const Event first = m_heap.front();
        const Event last = m_heap.back();
        m_heap.pop_back();
        const std::size_t n = m_heap.size();
        if (n == 0) return first;
        // Sift down: the earlier child moves up into the hole until `last` fits there.
        std::size_t hole = 0;
        for (;;) {
            std::size_t child = 2 * hole + 1;
            if (child >= n) break;
            if (child + 1 < n && earlier(m_heap[child + 1], m_heap[child])) ++child;
            if (!earlier(m_heap[child], last)) break;
            m_heap[hole] = m_heap[child];
            hole = child;
        }
        m_heap[hole] = last;
        return first;
    }
    std::size_t size() const { return m_heap.size(); }

private:
    // (time, seq) is unique per event, so the pop order does not depend on the heap's shape.
    static bool earlier(const Event& a, const Event& b) {
        return a.time != b.time ? a.time < b.time : a.seq < b.seq;
    }
    std::vector<Event> m_heap; // binary min-heap on (time, seq)
    std::uint64_t m_nextSeq = 0;
};

} // namespace stackscope
