// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/frame_buffers.h"
#include "stack/skb.h"

#include <catch2/catch.hpp>

#include <thread>

using namespace stackscope;
namespace fb = stackscope::frame_buffers;

namespace {

// Each test case starts from an empty pool on its own thread: Catch runs cases one
// after another on the main thread, whose pool earlier cases may have filled.
template <typename F>
void onFreshThread(F f) {
    std::thread t(f);
    t.join();
}

} // namespace

TEST_CASE("a given-back buffer is the next one taken, empty and with its room kept") {
    onFreshThread([] {
        fb::Buffer b = fb::take();
        REQUIRE(b.empty());
        REQUIRE(b.capacity() >= fb::kCapacity);
        b.assign(1000, 0xab);
        const std::uint8_t* storage = b.data();
        fb::give(std::move(b));
        CHECK(fb::kept() == 1);
        fb::Buffer again = fb::take();
        CHECK(again.data() == storage);
        CHECK(again.empty());
        CHECK(again.capacity() >= fb::kCapacity);
        CHECK(fb::kept() == 0);
    });
}

TEST_CASE("buffers too small or too large for a frame are not kept") {
    onFreshThread([] {
        fb::Buffer small(64);
        fb::give(std::move(small));
        CHECK(fb::kept() == 0);
        fb::Buffer huge(64 * 1024);
        fb::give(std::move(huge));
        CHECK(fb::kept() == 0);
        fb::Buffer frame;
        frame.reserve(fb::kCapacity);
        fb::give(std::move(frame));
        CHECK(fb::kept() == 1);
    });
}

TEST_CASE("a thread keeps at most kMaxKept buffers") {
    onFreshThread([] {
        for (std::size_t i = 0; i < fb::kMaxKept + 10; ++i) fb::give(fb::take());
        CHECK(fb::kept() == 1); // each take() emptied the pool again
        std::vector<fb::Buffer> many;
        for (std::size_t i = 0; i < fb::kMaxKept + 10; ++i) many.push_back(fb::take());
        for (auto& b : many) fb::give(std::move(b));
        CHECK(fb::kept() == fb::kMaxKept);
    });
}

TEST_CASE("buffers handed over are adopted by the other thread") {
    std::vector<fb::Buffer> transit;
    std::vector<const std::uint8_t*> storage;
    onFreshThread([&] {
        for (int i = 0; i < 5; ++i) {
            fb::Buffer b = fb::take();
            storage.push_back(b.data());
            fb::give(std::move(b));
        }
        // give() returned each buffer before the next take(): one buffer, five times.
        CHECK(fb::kept() == 1);
        std::vector<fb::Buffer> more;
        for (int i = 0; i < 4; ++i) more.push_back(fb::take());
        for (auto& b : more) fb::give(std::move(b));
        CHECK(fb::kept() == 4);
        fb::handOver(transit, 3);
        CHECK(transit.size() == 3);
        CHECK(fb::kept() == 1);
    });
    onFreshThread([&] {
        const std::uint8_t* first = transit.front().data();
        fb::adopt(transit);
        CHECK(transit.empty());
        CHECK(fb::kept() == 3);
        bool found = false;
        for (int i = 0; i < 3; ++i)
            if (fb::take().data() == first) found = true;
        CHECK(found);
    });
}

TEST_CASE("a freed skb gives its bytes back for the next frame") {
    onFreshThread([] {
        const std::uint8_t* storage = nullptr;
        {
            stack::Skb skb;
            skb.data = fb::take();
            skb.data.assign(60, 0);
            storage = skb.data.data();
            stack::Skb moved = std::move(skb); // the moved-from skb has nothing to give
            CHECK(fb::kept() == 0);
        }
        CHECK(fb::kept() == 1);
        CHECK(fb::take().data() == storage);
    });
}

TEST_CASE("an skb freed after its thread's pool is gone frees its bytes itself") {
    std::thread t([] {
        struct Holder {
            stack::Skb skb;
        };
        // Built before the pool, so destroyed after it when the thread ends: the skb's
        // bytes must not go to a pool that no longer exists (AddressSanitizer would see it).
        thread_local Holder holder;
        holder.skb.data.reserve(fb::kCapacity);
        holder.skb.data.assign(100, 1);
        fb::give(fb::take()); // builds this thread's pool
        CHECK(fb::kept() == 1);
    });
    t.join();
}
