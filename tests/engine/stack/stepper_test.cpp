// SPDX-License-Identifier: GPL-3.0-or-later
#include "frames.h"

#include "sim/stepper.h"

#include <catch2/catch.hpp>

using namespace stackscope;
using namespace stackscope::test;

namespace {
std::shared_ptr<const std::vector<InputFrame>> someFrames() {
    std::vector<InputFrame> f;
    for (int i = 0; i < 30; ++i) f.push_back(at(i * kMillisecond, udpFrame({.dport = std::uint16_t(9 + i % 2)})));
    f.push_back(at(40 * kMillisecond, icmpEchoFrame("10.0.0.7", "10.0.0.2")));
    return std::make_shared<const std::vector<InputFrame>>(std::move(f));
}
HostConfig config() {
    HostConfig h = serverConfig();
    SocketConfig s;
    s.port = 10;
    h.sockets.push_back(s);
    return h;
}
} // namespace

TEST_CASE("stepping forward then back restores the counters exactly") {
    Stepper st(config(), someFrames());
    REQUIRE(st.position() == 0);
    for (int i = 0; i < 57; ++i) REQUIRE(st.stepForward());
    const auto at57 = st.counters().nstat(true);
    const auto seq57 = st.current()->seq;
    for (int i = 0; i < 40; ++i) REQUIRE(st.stepForward());
    CHECK(st.counters().nstat(true) != at57);
    for (int i = 0; i < 40; ++i) REQUIRE(st.stepBack());
    CHECK(st.counters().nstat(true) == at57);
    CHECK(st.current()->seq == seq57);
    st.reset();
    CHECK(st.position() == 0);
    CHECK(st.counters().get(Mib::IpInReceives) == 0);
}

TEST_CASE("the cursor's counters at the end equal a batch run's") {
    Stepper st(config(), someFrames());
    st.runToEnd();
    Simulator sim(config());
    sim.setInput(someFrames());
    sim.run(kSecond);
    CHECK(st.counters().nstat() == sim.counters().nstat());
    CHECK(st.counters().get(Mib::UdpNoPorts) == 15);
}

TEST_CASE("breakpoints stop on a stage, a drop reason or a packet") {
    Stepper st(config(), someFrames());
    Breakpoint drop;
    drop.reason = DropReason::NO_SOCKET;
    REQUIRE(st.runUntil(drop));
    CHECK(st.current()->reason == DropReason::NO_SOCKET);
    Breakpoint icmp;
    icmp.stage = Stage::IcmpRcv;
    REQUIRE(st.runUntil(icmp));
    CHECK(st.current()->stage == Stage::IcmpRcv);
    const auto packet = st.current()->packet;
    st.stepPacketBack();
    CHECK((st.current() == nullptr || st.current()->packet != packet));
    REQUIRE(st.stepPacket());
    CHECK(st.current()->packet == packet);
}

TEST_CASE("the kernel state at the cursor is rebuilt by snapshot and replay") {
    Stepper st(config(), someFrames());
    st.runToEnd();
    const auto end = st.position();
    const auto& full = st.simulatorAtCursor();
    CHECK(full.counters().nstat() == st.counters().nstat());
    st.seek(end / 2);
    const auto& half = st.simulatorAtCursor();
    CHECK(half.traceCount() <= st.position());
    CHECK(half.counters().get(Mib::IpInReceives) <= st.counters().get(Mib::IpInReceives));
}
