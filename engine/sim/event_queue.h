// SPDX-License-Identifier: GPL-3.0-or-later
// Events ordered by virtual time, ties broken by insertion order so runs are
// deterministic. Events are small values: copying the queue is a snapshot.
#pragma once

#include "sim/time.h"

#include <cstdint>
#include <queue>
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
        m_heap.push(e);
    }
    bool empty() const { return m_heap.empty(); }
    const Event& top() const { return m_heap.top(); }
    Event pop() {
        Event e = m_heap.top();
        m_heap.pop();
        return e;
    }
    std::size_t size() const { return m_heap.size(); }

private:
    struct Later {
        bool operator()(const Event& a, const Event& b) const {
            return a.time != b.time ? a.time > b.time : a.seq > b.seq;
        }
    };
    std::priority_queue<Event, std::vector<Event>, Later> m_heap;
    std::uint64_t m_nextSeq = 0;
};

} // namespace stackscope
