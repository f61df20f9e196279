// SPDX-License-Identifier: GPL-3.0-or-later
// Live mode of the GUI: frames read from TAP devices or live captures are appended
// to the session's input at a virtual time that follows the wall clock, the session's
// cursor is moved up to that time, and frames the simulated host puts on the wire of
// a TAP interface are written back into the TAP.
//
// The session's stepper is the simulator, so every view keeps working; while the user
// has paused (or stepped), frames still arrive and the NIC still takes them into its
// RX ring (hard IRQ context), but no softirq runs: the ring fills and overflows as
// with a stalled driver.
#pragma once

#include "live/live_capture.h"
#include "live/tap_device.h"
#include "model/host_config.h"
#include "sim/frame.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <memory>
#include <vector>

class QSocketNotifier;

namespace stackscope::ui {

class Session;

struct LiveDeviceStats {
    QString interface; // the simulated interface
    QString device;    // the TAP or host interface
    bool tap = false;
    std::uint64_t framesIn = 0;
    std::uint64_t framesOut = 0;
    std::uint64_t writeErrors = 0;
    QString lastError;
};

class LiveController : public QObject {
    Q_OBJECT
  public:
    // Frames a live session holds at most; the input is kept in one buffer that must not move.
    static constexpr std::size_t kMaxFrames = 1 << 16;

    explicit LiveController(Session* session, QObject* parent = nullptr);
    ~LiveController() override;

    // Devices are added before start(); `interface` names the simulated interface.
    void addTap(const QString& interface, std::unique_ptr<live::TapDevice> tap);
    void addCapture(const QString& interface, std::unique_ptr<live::LiveCapture> capture);
    // Loads `config` into the session with an empty, growing input and starts following
    // the clock. `sources` name the scenario (for Record).
    void start(const HostConfig& config, const QStringList& sources);
    void stop();
    bool isLive() const { return m_live; }
    bool isPaused() const { return m_paused; }
    void setPaused(bool paused);

    // Reads the devices and runs the session up to the clock (or, paused, lets the NIC
    // take the new frames); called by the socket notifiers and a 10 ms timer.
    void poll();

    // Writes every frame received so far to `pcapPath` (one file per interface, with
    // "-IFACE" before the extension when there are several) and the scenario next to it
    // as PCAP with ".scn"; false with *error naming the file.
    bool record(const QString& pcapPath, QString* error, QString* replayCommand = nullptr);

    const std::vector<LiveDeviceStats>& stats() const { return m_stats; }
    std::uint64_t framesIn() const;
    std::uint64_t framesOut() const;

  signals:
    void liveChanged(bool live);
    void statsChanged();
    void failed(const QString& message);

  private:
    struct Device;
    void accept(Device& device, std::vector<std::uint8_t>&& bytes);
    void refreshStepper();
    void advance(bool hardIrqOnly);
    void writeTransmissions(std::uint64_t from, std::uint64_t to);
    Nanos clock() const { return m_clock.nsecsElapsed(); }

    Session* m_session;
    std::vector<std::unique_ptr<Device>> m_devices;
    std::vector<LiveDeviceStats> m_stats;
    std::shared_ptr<std::vector<InputFrame>> m_frames;
    HostConfig m_config;
    QStringList m_sources;
    QElapsedTimer m_clock;
    QTimer m_timer;
    Nanos m_lastStamp = 0;
    bool m_live = false;
    bool m_paused = false;
    bool m_moving = false; // the cursor moves because of this controller
    bool m_inPoll = false;
    std::uint64_t m_txDone = 0; // trace events already checked for transmissions
};

} // namespace stackscope::ui
