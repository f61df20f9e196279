// SPDX-License-Identifier: GPL-3.0-or-later
#include "sim/trace.h"

#include <fmt/format.h>

namespace stackscope {

std::string_view contextName(Context c) {
    switch (c) {
    case Context::HardIrq: return "hardirq";
    case Context::SoftIrq: return "softirq";
    case Context::Process: return "process";
    case Context::Timer: return "timer";
    }
    return "?";
}

std::string_view verdictName(Verdict v) {
    switch (v) {
    case Verdict::Continue: return "PASS";
    case Verdict::Queued: return "QUEUE";
    case Verdict::Delivered: return "DELIVER";
    case Verdict::Transmitted: return "XMIT";
    case Verdict::Dropped: return "DROP";
    case Verdict::Consumed: return "CONSUME";
    case Verdict::Stolen: return "STOLEN";
    }
    return "?";
}

std::string formatTraceLine(const TraceEvent& e, std::string_view ifname) {
    // Events of no packet (timers, a system call's return) show "-" where the packet goes.
    const std::string packet =
        e.packet == kNoPacket ? std::string("-") : fmt::format("#{}", e.packet);
    std::string out = fmt::format("{} cpu{} {:<8} {:<28} {:<7} {:<6} {}", formatTime(e.time), e.cpu,
                                  contextName(e.context), e.function, packet,
                                  ifname.empty() ? "-" : ifname, verdictName(e.verdict));
    if (isDrop(e.reason)) out += fmt::format(" {}", dropReasonName(e.reason));
    if (!e.detail.empty()) out += fmt::format(": {}", e.detail);
    return out;
}

} // namespace stackscope
