// SPDX-License-Identifier: GPL-3.0-or-later
// A simulator running on live devices. Virtual time follows a clock the caller
// gives (the engine reads no wall clock): frames read from a device are stamped
// with that clock and fed to the simulator, which then runs every event up to
// the clock's time; frames the simulated host transmits on a TAP interface are
// written back into the TAP.
//
// Everything happens in the caller's thread: the CLI calls wait() then poll() in a
// loop, a GUI calls poll() from a timer (or when a socket notifier on fds() fires),
// so the Simulator is never touched by a second thread.
#pragma once

#include "live/live_capture.h"
#include "live/live_frame_source.h"
#include "live/tap_device.h"
#include "sim/frame.h"
#include "sim/simulator.h"
#include "sim/time.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace stackscope::io {
class PcapWriter;
}

namespace stackscope::live {

struct LiveInterfaceStats {
    std::string interface; // the simulated interface
    std::string device;    // the TAP or host interface behind it
    bool tap = false;      // false: a read-only capture
    std::uint64_t framesIn = 0;
    std::uint64_t bytesIn = 0;
    std::uint64_t framesOut = 0; // written back into the TAP
    std::uint64_t bytesOut = 0;
    std::uint64_t writeErrors = 0;
    std::uint64_t readErrors = 0;
    std::uint64_t checksumsCompleted = 0; // captured frames left to checksum offload
    std::string lastError;
};

struct LivePollResult {
    std::uint64_t framesRead = 0; // frames read from the devices in this poll
    bool deviceFailed = false;    // a device reported an error (see stats())
};

class LiveSession final : public TxObserver {
  public:
    // Nanoseconds since the session started; must never go backwards.
    using Clock = std::function<Nanos()>;

    // The session feeds `sim` and observes its transmissions. The simulator keeps
    // pointers to the session: do not run it once the session is gone.
    LiveSession(Simulator& sim, Clock clock);
    ~LiveSession() override;
    LiveSession(const LiveSession&) = delete;
    LiveSession& operator=(const LiveSession&) = delete;

    // `interface` is the simulated interface the device stands for.
    void addTap(std::string interface, std::unique_ptr<TapDevice> tap);
    void addCapture(std::string interface, std::unique_ptr<LiveCapture> capture);

    // Records every input frame of `interface` from now on, at its virtual time, into
    // a pcap file; false with *error when the file cannot be created.
    bool record(const std::string& interface, const std::string& path, std::string* error);
    // Flushes the recordings; false with *error when a write failed.
    bool flushRecordings(std::string* error);

    // Descriptors to watch for readability (TAPs and captures), for poll() or a
    // socket notifier.
    std::vector<int> fds() const;
    // Milliseconds until the simulator's next scheduled event (rounded up), capped at
    // `maxMs`; 0 when an event is already due. Waiting this long, then poll(), runs every
    // timer on time without a frame arriving.
    int timeoutMs(int maxMs) const;
    // Blocks in poll() on fds() for at most timeoutMs; false when interrupted by a signal.
    bool wait(int timeoutMs) const;

    // Reads every frame waiting on the devices and runs the simulator up to the clock.
    LivePollResult poll();
    // The two halves of poll(): a paused front end may read without advancing.
    LivePollResult readDevices();
    void advanceTo(Nanos until);

    // Virtual time the session runs the simulator to: the clock, less the time that
    // passed before the first frame when the simulator had nothing to do until then, so
    // the first frame is at 0 as it is when `run` replays the recording (the TCP ISN's
    // clock, timestamps and jiffies rounding then come out the same).
    Nanos now() const { return m_clock() - m_base; }
    Nanos lastInputTime() const { return m_lastStamp; }
    // True when the simulator had work before the first input frame arrived (timers or
    // generators of the scenario): replaying the recording, which starts at its first
    // frame, then does not reproduce the exact times.
    bool activityBeforeFirstInput() const { return m_activityBeforeFirstInput; }
    std::uint64_t framesIn() const;
    const std::vector<LiveInterfaceStats>& stats() const { return m_stats; }

    void onTransmit(const TxFrame& frame) override;

  private:
    struct Device {
        std::size_t statsIndex = 0;
        std::unique_ptr<TapDevice> tap;
        std::unique_ptr<LiveCapture> capture;
        std::uint64_t frameNumber = 0;
        std::unique_ptr<io::PcapWriter> recorder;
    };
    void accept(Device& device, std::vector<std::uint8_t>&& bytes);
    Device* findDevice(const std::string& interface);

    Simulator& m_sim;
    Clock m_clock;
    LiveFrameSource m_source;
    std::vector<Device> m_devices;
    std::vector<LiveInterfaceStats> m_stats;
    std::vector<std::uint8_t> m_buffer;
    Nanos m_base = 0; // clock reading that is virtual time 0
    Nanos m_lastStamp = -1;
    bool m_sawInput = false;
    bool m_activityBeforeFirstInput = false;
};

} // namespace stackscope::live
