// SPDX-License-Identifier: GPL-3.0-or-later
#include "live/live_session.h"

#include "io/pcap_writer.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace stackscope::live {
namespace {

// Frames read from one device in one poll at most, so a flood on one device cannot
// keep the simulator (and the other devices) waiting.
constexpr int kMaxFramesPerPoll = 4096;

} // namespace

LiveSession::LiveSession(Simulator& sim, Clock clock) : m_sim(sim), m_clock(std::move(clock)) {
    m_sim.addTxObserver(this);
    m_sim.setInput(&m_source);
}

LiveSession::~LiveSession() = default;

void LiveSession::addTap(std::string interface, std::unique_ptr<TapDevice> tap) {
    LiveInterfaceStats s;
    s.interface = std::move(interface);
    s.device = tap->name();
    s.tap = true;
    m_stats.push_back(std::move(s));
    Device d;
    d.statsIndex = m_stats.size() - 1;
    d.tap = std::move(tap);
    m_devices.push_back(std::move(d));
}

void LiveSession::addCapture(std::string interface, std::unique_ptr<LiveCapture> capture) {
    LiveInterfaceStats s;
    s.interface = std::move(interface);
    s.device = capture->interface();
    m_stats.push_back(std::move(s));
    Device d;
    d.statsIndex = m_stats.size() - 1;
    d.capture = std::move(capture);
    m_devices.push_back(std::move(d));
}

LiveSession::Device* LiveSession::findDevice(const std::string& interface) {
    for (auto& d : m_devices)
        if (m_stats[d.statsIndex].interface == interface) return &d;
    return nullptr;
}

bool LiveSession::record(const std::string& interface, const std::string& path,
                         std::string* error) {
    Device* d = findDevice(interface);
    if (!d) {
        if (error) *error = "no live device stands for interface " + interface;
        return false;
    }
    io::CaptureError e;
    d->recorder = io::PcapWriter::open(path, {}, &e);
    if (!d->recorder) {
        if (error) *error = e.toString();
        return false;
    }
    return true;
}

bool LiveSession::flushRecordings(std::string* error) {
    bool ok = true;
    for (auto& d : m_devices) {
        if (!d.recorder) continue;
        d.recorder->flush();
        if (d.recorder->error()) {
            if (error && ok) *error = d.recorder->error()->toString();
            ok = false;
        }
    }
    return ok;
}

std::vector<int> LiveSession::fds() const {
    std::vector<int> fds;
    for (const auto& d : m_devices)
        fds.push_back(d.tap ? d.tap->fd() : d.capture->fd());
    return fds;
}

int LiveSession::timeoutMs(int maxMs) const {
    if (!m_sim.hasWork()) return maxMs;
    const Nanos now = this->now();
    const Nanos next = m_sim.nextEventTime();
    if (next <= now) return 0;
    const Nanos ms = (next - now + kMillisecond - 1) / kMillisecond;
    return int(std::min<Nanos>(ms, maxMs));
}

bool LiveSession::wait(int timeoutMs) const {
    std::vector<pollfd> set;
    for (int fd : fds())
        set.push_back(pollfd{fd, POLLIN, 0});
    const int rc = ::poll(set.data(), set.size(), timeoutMs);
    return !(rc < 0 && errno == EINTR);
}

void LiveSession::accept(Device& device, std::vector<std::uint8_t>&& bytes) {
    LiveInterfaceStats& s = m_stats[device.statsIndex];
    Nanos stamp = 0;
    if (!m_sawInput) {
        m_sawInput = true;
        m_activityBeforeFirstInput =
            m_sim.traceCount() > 0 || m_sim.hasWork() || m_sim.now() > 0;
    }
    if (m_lastStamp < 0 && !m_activityBeforeFirstInput) {
        // The replay puts the first frame at 0: so does this run.
        m_base = m_clock();
    } else {
        // Strictly after everything the simulator has done and every earlier frame, so a
        // replay of the recording orders events exactly as this run did.
        stamp = std::max({now(), m_sim.now() + 1, m_lastStamp + 1});
    }
    m_lastStamp = stamp;
    ++s.framesIn;
    s.bytesIn += bytes.size();

    InputFrame frame;
    frame.time = stamp;
    frame.device = s.interface;
    frame.wireLength = std::uint32_t(bytes.size());
    frame.captureNumber = ++device.frameNumber;
    if (device.recorder) {
        TxFrame copy;
        copy.time = stamp;
        copy.device = s.interface;
        copy.bytes = bytes;
        device.recorder->onTransmit(copy);
    }
    frame.bytes = std::move(bytes);
    m_source.push(std::move(frame));
}

LivePollResult LiveSession::readDevices() {
    LivePollResult result;
    for (auto& d : m_devices) {
        LiveInterfaceStats& s = m_stats[d.statsIndex];
        for (int i = 0; i < kMaxFramesPerPoll; ++i) {
            bool frame = false, failed = false;
            if (d.tap) {
                const auto r = d.tap->read(m_buffer);
                frame = r == TapDevice::ReadResult::Frame;
                failed = r == TapDevice::ReadResult::Error;
                if (failed) s.lastError = d.tap->errorText();
            } else {
                const auto r = d.capture->read(m_buffer);
                frame = r == LiveCapture::ReadResult::Frame;
                failed = r == LiveCapture::ReadResult::Error;
                if (failed) s.lastError = d.capture->errorText();
                s.checksumsCompleted = d.capture->checksumsCompleted();
            }
            if (failed) {
                ++s.readErrors;
                result.deviceFailed = true;
            }
            if (!frame) break;
            ++result.framesRead;
            accept(d, std::move(m_buffer));
            m_buffer = {};
        }
    }
    // The simulator takes a source that once ran dry as ended; hand it the source again.
    // Safe only while it holds no frame it has pulled but not injected, which
    // inputPending() (it pulls when it can) tells.
    if (result.framesRead > 0 && !m_sim.inputPending()) m_sim.setInput(&m_source);
    return result;
}

void LiveSession::advanceTo(Nanos until) {
    m_sim.runUntil(until);
}

LivePollResult LiveSession::poll() {
    LivePollResult result = readDevices();
    advanceTo(std::max(now(), m_lastStamp));
    return result;
}

std::uint64_t LiveSession::framesIn() const {
    std::uint64_t n = 0;
    for (const auto& s : m_stats)
        n += s.framesIn;
    return n;
}

void LiveSession::onTransmit(const TxFrame& frame) {
    Device* d = findDevice(frame.device);
    if (!d || !d->tap) return; // a capture interface: the answer goes nowhere
    LiveInterfaceStats& s = m_stats[d->statsIndex];
    if (d->tap->write(frame.bytes)) {
        ++s.framesOut;
        s.bytesOut += frame.bytes.size();
    } else {
        ++s.writeErrors;
        s.lastError = d->tap->errorText();
    }
}

} // namespace stackscope::live
