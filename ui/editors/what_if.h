// SPDX-License-Identifier: GPL-3.0-or-later
// What-if runs: the loaded capture run to the end against a configuration, on a
// worker thread, keeping each packet's fate, the counters and the netfilter rule
// counters; two runs compared give the packets whose fate changed.
#pragma once

#include "model/host_config.h"
#include "netfilter/ruleset.h"
#include "sim/frame.h"
#include "sim/simulator.h"
#include "sim/trace.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QThread>
#include <QString>

#include <atomic>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace stackscope::ui {

struct PacketFate {
    bool seen = false;
    bool ended = false; // a terminal verdict (dropped, delivered, transmitted, consumed)
    Verdict verdict = Verdict::Continue;
    DropReason reason = DropReason::None;
    Stage stage = Stage::NicRx;
    std::string detail; // kept for drops only: names the rule or the cause
    bool sameAs(const PacketFate& o) const {
        return seen == o.seen && ended == o.ended && verdict == o.verdict && reason == o.reason &&
               (verdict != Verdict::Dropped || stage == o.stage);
    }
};

struct RunResult {
    std::vector<PacketFate> fates; // by packetSlot(id)
    std::vector<std::pair<std::string, std::uint64_t>> counters; // nstat names, zeros included
    netfilter::Ruleset rules; // with the counters the run left
    std::vector<SocketRow> sockets; // queue fill and drops at the end
    std::uint64_t packets = 0;
    bool cancelled = false;
    const PacketFate* fate(PacketId id) const {
        const std::size_t slot = packetSlot(id);
        return slot < fates.size() && fates[slot].seen ? &fates[slot] : nullptr;
    }
};

// Runs the frames and then one second of settling, as the stepper does. Checks `cancel`
// and reports progress in permille of the input frames between slices.
std::shared_ptr<RunResult> runToEnd(const HostConfig& config, std::shared_ptr<const std::vector<InputFrame>> frames,
                                    const std::atomic<bool>* cancel = nullptr, std::atomic<int>* permille = nullptr);

struct CounterChange {
    QString name;
    std::uint64_t before = 0;
    std::uint64_t after = 0;
};

struct RunComparison {
    std::unordered_set<PacketId> changed;
    QString summary; // "37 packets now dropped by filter INPUT rule 3, 12 now delivered"
    std::vector<CounterChange> counters; // only the counters that moved
};

// "dropped by filter INPUT rule 3", "delivered", "dropped: SOCKET_RCVBUFF at udp_queue_rcv_skb"
QString describeFate(const PacketFate& fate, const netfilter::Ruleset& rules);
RunComparison compareRuns(const RunResult& before, const RunResult& after);

// One run at a time in the background; starting a new one cancels the old one.
class WhatIfRunner : public QObject {
    Q_OBJECT
public:
    explicit WhatIfRunner(QObject* parent = nullptr);
    ~WhatIfRunner() override;

    void start(const HostConfig& config, std::shared_ptr<const std::vector<InputFrame>> frames);
    void cancel();
    bool running() const { return m_job != nullptr; }
    int permille() const;

signals:
    void progress(int permille);
    void finished(std::shared_ptr<const stackscope::ui::RunResult> result);

private:
    struct Job;
    std::shared_ptr<Job> m_job;
    QList<QPointer<QThread>> m_threads; // waited for on destruction
};

} // namespace stackscope::ui
