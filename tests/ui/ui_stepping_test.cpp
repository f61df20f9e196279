// SPDX-License-Identifier: GPL-3.0-or-later
// Stepping forward N stages and back N restores every view exactly.
#include "test_host.h"
#include "ui/counters_panel.h"
#include "ui/cursor_state.h"
#include "ui/narration_panel.h"
#include "ui/session.h"
#include "ui/stack_scene.h"
#include "ui/stage_box_item.h"
#include "ui/token_layer.h"

#include <QTest>

using namespace stackscope;
using namespace stackscope::ui;

namespace {
struct Snapshot {
    QString narration;
    QString nstat;
    QString softnet;
    std::vector<std::uint64_t> stageCounts;
    std::size_t drops = 0;
    std::size_t inFlight = 0;
    bool operator==(const Snapshot&) const = default;
};
} // namespace

class SteppingTest : public QObject {
    Q_OBJECT
private slots:
    void forwardThenBackRestoresEveryView() {
        Session session;
        NarrationPanel narration(&session);
        CountersPanel counters(&session);
        StackScene scene(&session);
        session.load(test::makeHost(), test::makeFrames(), {});
        auto snap = [&] {
            Snapshot s{narration.plainText(), counters.nstatText(), counters.softnetText(), {}, 0, 0};
            for (int i = 0; i < int(Stage::Count); ++i) {
                s.stageCounts.push_back(session.state().passed(Stage(i)));
                s.stageCounts.push_back(session.state().dropped(Stage(i)));
            }
            s.drops = session.state().drops().size();
            s.inFlight = session.state().inFlight().size();
            return s;
        };
        std::vector<Snapshot> seen{snap()};
        while (!session.stepper()->atEnd()) {
            session.stepForward();
            seen.push_back(snap());
        }
        const std::size_t n = seen.size() - 1;
        QVERIFY2(n >= 20, "the test run should have a fair number of events");
        QVERIFY(seen.back().nstat != seen.front().nstat);
        QVERIFY(seen[1].narration != seen[0].narration);
        for (std::size_t i = n; i > 0; --i) {
            session.stepBack();
            QCOMPARE(session.position(), std::uint64_t(i - 1));
            const Snapshot now = snap();
            QCOMPARE(now.narration, seen[i - 1].narration);
            QCOMPARE(now.nstat, seen[i - 1].nstat);
            QCOMPARE(now.softnet, seen[i - 1].softnet);
            QVERIFY(now == seen[i - 1]);
        }
        // A long jump (replayed from scratch) lands on the same state as stepping.
        session.seek(n);
        QVERIFY(snap() == seen[n]);
        session.seek(n / 2);
        QVERIFY(snap() == seen[n / 2]);
    }

    void currentBoxFollowsTheCursor() {
        Session session;
        StackScene scene(&session);
        session.load(test::makeHost(), test::makeFrames(), {});
        session.stepForward();
        const TraceEvent* e = session.current();
        QVERIFY(e);
        QCOMPARE(scene.box(e->stage)->stage(), e->stage);
        QCOMPARE(session.state().passed(e->stage) + session.state().dropped(e->stage), std::uint64_t(1));
        session.toggleBreakpoint(Stage::UdpRcv);
        QVERIFY(session.hasBreakpoint(Stage::UdpRcv));
        session.reset();
        // Running stops on the breakpoint.
        session.setSpeed(0);
        session.setRunning(true);
        QTRY_VERIFY_WITH_TIMEOUT(!session.running(), 5000);
        QVERIFY(session.current());
        QCOMPARE(session.current()->stage, Stage::UdpRcv);
    }

    void tokensMoveThenRest() {
        Session session;
        StackScene scene(&session);
        session.load(test::makeHost(), test::makeFrames(), {});
        session.stepForward();
        QVERIFY(scene.tokens()->animating());
        QTRY_VERIFY_WITH_TIMEOUT(!scene.tokens()->animating(), 3000);
        session.stepForward();
        session.stepBack(); // going back never animates
        QVERIFY(!scene.tokens()->animating());
    }

    void cursorStateCountsMatchTheTrace() {
        Session session;
        session.load(test::makeHost(), test::makeFrames(), {});
        session.stepper()->runToEnd();
        session.seek(session.stepper()->events().size());
        std::uint64_t drops = 0;
        for (const TraceEvent& e : session.stepper()->events()) drops += e.verdict == Verdict::Dropped;
        std::uint64_t counted = 0;
        for (const auto& [key, count] : session.state().drops()) counted += count.count;
        QCOMPARE(counted, drops);
        QVERIFY(drops >= 1);
    }
};

QTEST_MAIN(SteppingTest)
#include "ui_stepping_test.moc"
