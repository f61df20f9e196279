// SPDX-License-Identifier: GPL-3.0-or-later
// A FIFO of skbs (struct sk_buff_head with __skb_queue_tail / __skb_dequeue) for the
// queues every received packet passes: the RX ring, the per-CPU backlog and the
// socket receive queues.
#pragma once

#include "sim/ring_queue.h"
#include "stack/skb.h"

namespace stackscope::stack {

using SkbQueue = RingQueue<Skb>;

} // namespace stackscope::stack
