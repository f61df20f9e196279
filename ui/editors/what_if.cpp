// SPDX-License-Identifier: GPL-3.0-or-later
// The kernel model first: its wire headers name a member emit(), which Qt's
// keyword macro would rewrite.
#include "stack/host.h"

#include "ui/editors/what_if.h"

#include "sim/simulator.h"
#include "ui/cursor_state.h"

#include <QStringList>
#include <QThread>

#include <map>

namespace stackscope::ui {
namespace {
constexpr int kSliceSteps = 4096; // between cancel checks: well under a millisecond of work

class FateCollector : public TraceObserver {
public:
    explicit FateCollector(std::vector<PacketFate>& fates) : m_fates(fates) {}
    void onTrace(const TraceEvent& e) override {
        if (e.packet == kNoPacket) return;
        const std::size_t slot = packetSlot(e.packet);
        if (slot >= m_fates.size()) m_fates.resize(slot + 1);
        PacketFate& f = m_fates[slot];
        // A packet that ended keeps that fate: later events are its replies or clones.
        if (f.ended) return;
        f.seen = true;
        f.verdict = e.verdict;
        f.reason = e.reason;
        f.stage = e.stage;
        f.ended = isTerminal(e.verdict);
        if (e.verdict == Verdict::Dropped) f.detail = e.detail;
    }

private:
    std::vector<PacketFate>& m_fates;
};

// "filter INPUT rule 3" from a netfilter drop's detail ("filter INPUT: -A INPUT ... -j DROP").
QString ruleOfDrop(const std::string& detail, const netfilter::Ruleset& rules) {
    const std::size_t colon = detail.find(": ");
    const std::size_t space = detail.find(' ');
    if (colon == std::string::npos || space == std::string::npos || space > colon) return {};
    const std::string tableName = detail.substr(0, space);
    const std::string chainName = detail.substr(space + 1, colon - space - 1);
    const std::string rest = detail.substr(colon + 2);
    const auto table = netfilter::parseTableName(tableName);
    if (!table) return {};
    const QString where = QStringLiteral("%1 %2").arg(QString::fromStdString(tableName), QString::fromStdString(chainName));
    if (rest.rfind("policy", 0) == 0) return where + QStringLiteral(" policy");
    // The deciding rule may sit in a user chain the built-in chain jumped to.
    const netfilter::Table& t = rules.table(*table);
    for (int c = 0; c < int(t.chains.size()); ++c)
        for (int p = 1; p <= int(t.chains[std::size_t(c)].rules.size()); ++p) {
            const std::string text = rules.ruleText(*table, c, p);
            if (rest.compare(0, text.size(), text) == 0 &&
                (rest.size() == text.size() || rest[text.size()] == ' ' || rest[text.size()] == ';'))
                return QStringLiteral("%1 %2 rule %3")
                    .arg(QString::fromStdString(tableName), QString::fromStdString(t.chains[std::size_t(c)].name))
                    .arg(p);
        }
    return where;
}
} // namespace

std::shared_ptr<RunResult> runToEnd(const HostConfig& config, std::shared_ptr<const std::vector<InputFrame>> frames,
                                    const std::atomic<bool>* cancel, std::atomic<int>* permille) {
    auto result = std::make_shared<RunResult>();
    const std::size_t total = frames ? frames->size() : 0;
    result->fates.reserve(total * 2);
    Simulator sim(config);
    FateCollector collector(result->fates);
    sim.addTraceObserver(&collector);
    if (frames) sim.setInput(frames);
    // Simulator::run's loop in slices, so the run can be cancelled and report progress.
    Nanos lastInput = sim.now();
    int slice = 0;
    while (sim.hasWork()) {
        const std::uint64_t before = sim.packetsInjected();
        if (sim.nextEventTime() > lastInput + kSecond && !sim.inputPending()) break;
        sim.step();
        if (sim.packetsInjected() != before) lastInput = sim.now();
        if (++slice == kSliceSteps) {
            slice = 0;
            if (cancel && cancel->load()) {
                result->cancelled = true;
                return result;
            }
            if (permille && total) permille->store(int(1000 * sim.packetsInjected() / total));
        }
    }
    result->packets = sim.packetsInjected();
    result->counters = sim.counters().nstat(true);
    result->rules = sim.host().ruleset();
    result->sockets = sim.sockets();
    if (permille) permille->store(1000);
    return result;
}

QString describeFate(const PacketFate& f, const netfilter::Ruleset& rules) {
    if (!f.seen) return QObject::tr("not simulated");
    if (!f.ended) return QObject::tr("still queued");
    switch (f.verdict) {
    case Verdict::Delivered: return QObject::tr("delivered");
    case Verdict::Transmitted: return QObject::tr("transmitted");
    case Verdict::Consumed: return QObject::tr("consumed");
    case Verdict::Dropped: {
        if (f.reason == DropReason::NETFILTER_DROP) {
            const QString rule = ruleOfDrop(f.detail, rules);
            if (!rule.isEmpty()) return QObject::tr("dropped by %1").arg(rule);
        }
        return QObject::tr("dropped (%1 in %2)")
            .arg(QString::fromLatin1(dropReasonName(f.reason).data(), qsizetype(dropReasonName(f.reason).size())),
                 QString::fromLatin1(stageKernelFunction(f.stage).data(), qsizetype(stageKernelFunction(f.stage).size())));
    }
    default: return QObject::tr("in flight");
    }
}

RunComparison compareRuns(const RunResult& before, const RunResult& after) {
    RunComparison out;
    static const PacketFate none;
    std::map<QString, int> groups; // new fate -> packets, in a stable order for the summary
    std::vector<QString> order;
    const std::size_t n = std::max(before.fates.size(), after.fates.size());
    for (std::size_t slot = 0; slot < n; ++slot) {
        const PacketFate& a = slot < before.fates.size() ? before.fates[slot] : none;
        const PacketFate& b = slot < after.fates.size() ? after.fates[slot] : none;
        if (a.sameAs(b)) continue;
        const PacketId id = slot % 2 ? kGeneratedPacketBase + slot / 2 + 1 : slot / 2 + 1;
        out.changed.insert(id);
        const QString what = describeFate(b, after.rules);
        if (groups[what]++ == 0) order.push_back(what);
    }
    std::sort(order.begin(), order.end(), [&](const QString& x, const QString& y) { return groups[x] > groups[y]; });
    QStringList parts;
    for (const QString& what : order) {
        const int count = groups[what];
        parts << (parts.isEmpty() ? (count == 1 ? QObject::tr("1 packet now %1").arg(what)
                                                : QObject::tr("%1 packets now %2").arg(count).arg(what))
                                  : QObject::tr("%1 now %2").arg(count).arg(what));
    }
    out.summary = parts.isEmpty() ? QObject::tr("No packet changed its fate.") : parts.join(QStringLiteral(", "));

    std::map<std::string, std::uint64_t> old(before.counters.begin(), before.counters.end());
    for (const auto& [name, value] : after.counters) {
        const std::uint64_t was = old.count(name) ? old[name] : 0;
        if (was != value) out.counters.push_back({QString::fromStdString(name), was, value});
    }
    // Rule counters, keyed by the rule's text: a moved rule keeps its row.
    auto ruleCounters = [](const netfilter::Ruleset& rules) {
        std::map<std::string, std::uint64_t> m;
        for (int t = 0; t < netfilter::kTableCount; ++t) {
            const auto id = netfilter::TableId(t);
            const netfilter::Table& table = rules.table(id);
            for (int c = 0; c < int(table.chains.size()); ++c) {
                const netfilter::Chain& chain = table.chains[std::size_t(c)];
                const std::string prefix = std::string(netfilter::tableName(id)) + ": ";
                if (chain.builtin) m[prefix + rules.ruleText(id, c, 0) + " (policy)"] += chain.packets;
                for (int p = 1; p <= int(chain.rules.size()); ++p)
                    m[prefix + rules.ruleText(id, c, p)] += chain.rules[std::size_t(p - 1)].packets;
            }
        }
        return m;
    };
    std::map<std::string, std::uint64_t> rulesBefore = ruleCounters(before.rules);
    const std::map<std::string, std::uint64_t> rulesAfter = ruleCounters(after.rules);
    for (const auto& [name, value] : rulesAfter) {
        const std::uint64_t was = rulesBefore.count(name) ? rulesBefore[name] : 0;
        if (was != value) out.counters.push_back({QObject::tr("packets %1").arg(QString::fromStdString(name)), was, value});
    }
    for (const auto& [name, value] : rulesBefore)
        if (!rulesAfter.count(name) && value)
            out.counters.push_back({QObject::tr("packets %1").arg(QString::fromStdString(name)), value, 0});
    return out;
}

struct WhatIfRunner::Job {
    std::atomic<bool> cancel{false};
    std::atomic<int> permille{0};
    std::shared_ptr<RunResult> result;
};

WhatIfRunner::WhatIfRunner(QObject* parent) : QObject(parent) {}

WhatIfRunner::~WhatIfRunner() {
    cancel();
    for (const QPointer<QThread>& t : m_threads)
        if (t) t->wait();
}

int WhatIfRunner::permille() const {
    return m_job ? m_job->permille.load() : 0;
}

void WhatIfRunner::cancel() {
    if (m_job) m_job->cancel.store(true);
    m_job.reset();
}

void WhatIfRunner::start(const HostConfig& config, std::shared_ptr<const std::vector<InputFrame>> frames) {
    cancel();
    auto job = std::make_shared<Job>();
    m_job = job;
    // The worker owns copies of everything it reads; the GUI thread may edit meanwhile.
    QThread* worker = QThread::create([job, config, frames] {
        job->result = runToEnd(config, frames, &job->cancel, &job->permille);
    });
    connect(worker, &QThread::finished, worker, &QObject::deleteLater);
    m_threads.removeAll(nullptr);
    m_threads << worker;
    connect(worker, &QThread::finished, this, [this, job] {
        if (m_job != job || job->cancel.load() || !job->result || job->result->cancelled) return;
        m_job.reset();
        emit progress(1000);
        emit finished(job->result);
    });
    worker->start(QThread::LowPriority);
}

} // namespace stackscope::ui
