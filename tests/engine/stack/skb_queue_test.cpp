// SPDX-License-Identifier: GPL-3.0-or-later
// SkbQueue, the FIFO behind the RX ring and the per-CPU backlog: skbs leave in the
// order they came, with their bytes, whether the queue drains or never does.
#include "stack/skb_queue.h"

#include <catch2/catch.hpp>

using namespace stackscope;
using stackscope::stack::Skb;
using stackscope::stack::SkbQueue;

namespace {

Skb numbered(PacketId id) {
    Skb skb;
    skb.id = id;
    skb.data.assign(20, std::uint8_t(id));
    return skb;
}

} // namespace

TEST_CASE("SkbQueue hands skbs out first in, first out") {
    SkbQueue q;
    CHECK(q.empty());
    q.push_back(numbered(1));
    q.push_back(numbered(2));
    CHECK(q.size() == 2);
    CHECK(q.front().id == 1);
    CHECK(q.back().id == 2);
    const Skb first = q.takeFront();
    CHECK(first.id == 1);
    CHECK(first.data == std::vector<std::uint8_t>(20, 1));
    CHECK(q.size() == 1);
    q.push_back(numbered(3));
    CHECK(q.takeFront().id == 2);
    CHECK(q.takeFront().id == 3);
    CHECK(q.empty());
    // A drained queue is used again from the start.
    q.push_back(numbered(4));
    CHECK(q.size() == 1);
    CHECK(q.front().id == 4);
}

TEST_CASE("SkbQueue keeps its order when it never drains") {
    SkbQueue q;
    PacketId next = 1, expected = 1;
    for (int i = 0; i < 10; ++i) q.push_back(numbered(next++));
    // Ten stay queued while many pass through, so the queue sheds its taken slots many
    // times; now and then one more comes in than goes out.
    for (int round = 0; round < 500; ++round) {
        q.push_back(numbered(next++));
        if (round % 50 == 0) q.push_back(numbered(next++));
        const Skb skb = q.takeFront();
        REQUIRE(skb.id == expected);
        REQUIRE(skb.data == std::vector<std::uint8_t>(20, std::uint8_t(expected)));
        ++expected;
        REQUIRE(q.size() == std::size_t(next - expected));
        REQUIRE(q.front().id == expected);
        REQUIRE(q.back().id == next - 1);
    }
    while (!q.empty()) REQUIRE(q.takeFront().id == expected++);
    CHECK(expected == next);
}
