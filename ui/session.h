// SPDX-License-Identifier: GPL-3.0-or-later
// One loaded simulation: the configuration, the input frames, the stepper and
// the view state at its cursor. Every view listens to cursorMoved.
#pragma once

#include "sim/stepper.h"
#include "ui/cursor_state.h"

#include <QObject>
#include <QSet>
#include <QStringList>
#include <QTimer>

#include <memory>

namespace stackscope::ui {

class BreakpointList;

struct CursorMove {
    std::uint64_t from = 0;
    std::uint64_t to = 0;
    std::vector<PacketId> changed; // packets whose state changed
    bool rebuilt = false;          // everything may have changed (load, long seek)
    bool animate = false;          // a short forward move worth animating
};

class Session : public QObject {
    Q_OBJECT
public:
    explicit Session(QObject* parent = nullptr);
    ~Session() override;

    void load(const HostConfig& config, std::shared_ptr<const std::vector<InputFrame>> frames,
              const QStringList& sources);
    bool isLoaded() const { return m_stepper != nullptr; }
    Stepper* stepper() { return m_stepper.get(); }
    const Stepper* stepper() const { return m_stepper.get(); }
    const CursorState& state() const { return m_state; }
    const std::vector<InputFrame>& frames() const;
    std::shared_ptr<const std::vector<InputFrame>> sharedFrames() const { return m_frames; }
    // Counts loads, so work started for one simulation is not applied to the next.
    std::uint64_t loadGeneration() const { return m_generation; }
    // Replaces the stepper with one that ran the same configuration and input further (on a
    // worker); its trace continues this one's, so only the cursor moves.
    void adoptStepper(std::unique_ptr<Stepper> stepper);
    const QStringList& sources() const { return m_sources; }
    QString interfaceName(int ifindex) const;
    std::uint64_t position() const { return m_stepper ? m_stepper->position() : 0; }
    const TraceEvent* current() const { return m_stepper ? m_stepper->current() : nullptr; }
    // The packet's bytes as of event `seq`: the last bytes a step recorded, else the input frame.
    std::shared_ptr<const std::vector<std::uint8_t>> bytesAt(PacketId packet, std::uint64_t seq) const;
    // The bytes before the packet's last change at or before `seq`; null when unchanged.
    std::shared_ptr<const std::vector<std::uint8_t>> bytesBefore(PacketId packet,
                                                                 std::uint64_t seq) const;

    bool running() const { return m_runTimer.isActive(); }
    int speed() const { return m_speed; }
    bool hasBreakpoint(Stage s) const;
    bool breakOnDrop() const { return m_breakOnDrop; }
    BreakpointList* breakpoints() const { return m_breakpoints; }
    // What the run stopped on when the cursor is exactly where a breakpoint stopped it.
    QString breakpointAtCursor() const;

public slots:
    void stepForward();
    void stepPacket();
    void stepBack();
    void stepPacketBack();
    void seek(quint64 position);
    void reset();
    void setRunning(bool run);
    void toggleRunning() { setRunning(!running()); }
    void setSpeed(int eventsPerSecond); // 0 = as fast as possible, no animation
    void toggleBreakpoint(Stage stage);
    void setBreakOnDrop(bool on);

signals:
    void loaded();
    void cursorMoved(const stackscope::ui::CursorMove& move);
    void runningChanged(bool running);
    void breakpointsChanged();
    void breakpointHit(const QString& what);

private:
    void runTick();
    void publish(std::uint64_t from, bool animate);
    Breakpoint breakpoint();

    std::unique_ptr<Stepper> m_stepper;
    std::shared_ptr<const std::vector<InputFrame>> m_frames;
    QStringList m_sources;
    CursorState m_state;
    QTimer m_runTimer;
    int m_speed = 4;
    BreakpointList* m_breakpoints;
    bool m_breakOnDrop = false;
    std::uint64_t m_generation = 0;
    QString m_hitText;
    std::uint64_t m_hitPosition = UINT64_MAX;
};

} // namespace stackscope::ui
