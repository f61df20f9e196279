// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/merged_frame_source.h"

#include <catch2/catch.hpp>

#include <deque>

using namespace stackscope;

namespace {

class ListSource final : public FrameSource {
  public:
    ListSource(std::string device, std::initializer_list<Nanos> times) {
        for (Nanos t : times) {
            InputFrame f;
            f.time = t;
            f.device = device;
            m_frames.push_back(std::move(f));
        }
    }
    std::optional<InputFrame> next() override {
        ++calls;
        if (m_frames.empty()) return std::nullopt;
        InputFrame f = std::move(m_frames.front());
        m_frames.pop_front();
        return f;
    }
    int calls = 0;

  private:
    std::deque<InputFrame> m_frames;
};

std::vector<std::pair<Nanos, std::string>> drain(FrameSource& s) {
    std::vector<std::pair<Nanos, std::string>> out;
    while (auto f = s.next())
        out.emplace_back(f->time, f->device);
    return out;
}

} // namespace

TEST_CASE("merged source interleaves captures in time order, earlier-added first on ties") {
    ListSource a("eth0", {10, 30, 30, 50});
    ListSource b("eth1", {0, 30, 60});
    cli::MergedFrameSource m;
    m.add(&a);
    m.add(&b);
    using P = std::pair<Nanos, std::string>;
    CHECK(drain(m) == std::vector<P>{{0, "eth1"},
                                     {10, "eth0"},
                                     {30, "eth0"},
                                     {30, "eth0"},
                                     {30, "eth1"},
                                     {50, "eth0"},
                                     {60, "eth1"}});
    CHECK_FALSE(m.next().has_value());
}

TEST_CASE("merged source reads one frame ahead per source, never the whole input") {
    ListSource a("eth0", {1, 2, 3, 4, 5});
    ListSource b("eth1", {2, 4});
    cli::MergedFrameSource m;
    m.add(&a);
    m.add(&b);
    REQUIRE(m.next()->time == 1);
    CHECK(a.calls == 2); // the frame handed out and the next head
    CHECK(b.calls == 1); // its head
}

TEST_CASE("merged source with one source passes its frames through unread") {
    ListSource a("eth0", {1, 2, 3});
    cli::MergedFrameSource m;
    m.add(&a);
    REQUIRE(m.next()->time == 1);
    CHECK(a.calls == 1); // nothing to merge, so nothing is read ahead
    REQUIRE(m.next()->time == 2);
    REQUIRE(m.next()->time == 3);
    CHECK_FALSE(m.next().has_value());
}

TEST_CASE("merged source with no or empty sources is empty") {
    cli::MergedFrameSource none;
    CHECK_FALSE(none.next().has_value());
    ListSource empty("eth0", {});
    cli::MergedFrameSource m;
    m.add(&empty);
    CHECK_FALSE(m.next().has_value());
}
