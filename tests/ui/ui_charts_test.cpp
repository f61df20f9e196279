// SPDX-License-Identifier: GPL-3.0-or-later
// The charts follow the cursor: at the end their last points are the trace's
// totals, and back at position 0 they are empty.
#include "test_host.h"
#include "ui/charts_panel.h"
#include "ui/session.h"

#include <QChart>
#include <QImage>
#include <QLineSeries>
#include <QTest>

#include <map>
#include <set>

using namespace stackscope;
using namespace stackscope::ui;

namespace {
double lastY(const QLineSeries* s) { return s && s->count() ? s->at(s->count() - 1).y() : -1; }
} // namespace

class ChartsTest : public QObject {
    Q_OBJECT
private slots:
    void finalCountsMatchTheTrace() {
        Session session;
        ChartsPanel charts(&session);
        session.load(test::makeHost(), test::makeFrames(), {});
        while (!session.stepper()->atEnd()) session.stepForward();
        charts.refresh();

        const auto& events = session.stepper()->events();
        QCOMPARE(session.position(), std::uint64_t(events.size()));
        std::map<DropReason, std::uint64_t> dropped;
        std::uint64_t droppedTotal = 0;
        std::set<std::pair<PacketId, int>> onPath;
        for (const TraceEvent& e : events) {
            if (e.verdict == Verdict::Dropped) {
                ++dropped[e.reason];
                ++droppedTotal;
            } else if (e.packet != kNoPacket) {
                onPath.insert({e.packet, int(stagePath(e.stage))});
            }
        }
        // The test frames include one with a bad IP checksum.
        QVERIFY(dropped.count(DropReason::IP_CSUM));

        double chartDrops = 0;
        int dropSeries = 0;
        for (QAbstractSeries* a : charts.dropsChart()->series()) {
            auto* s = qobject_cast<QLineSeries*>(a);
            QVERIFY(s);
            QVERIFY(s->count() > 1);
            QVERIFY(s->count() <= ChartsPanel::kMaxPoints + 1);
            chartDrops += lastY(s);
            ++dropSeries;
        }
        QCOMPARE(dropSeries, int(dropped.size()));
        QCOMPARE(chartDrops, double(droppedTotal));
        for (const auto& [reason, n] : dropped) {
            QVERIFY(charts.dropSeries(reason));
            QCOMPARE(lastY(charts.dropSeries(reason)), double(n));
            QCOMPARE(charts.dropSeries(reason)->name(), QString::fromLatin1(dropReasonName(reason)));
        }

        // Every input frame entered the RX path; nothing was forwarded.
        QCOMPARE(lastY(charts.pathSeries(Path::Rx)), double(test::makeFrames()->size()));
        QCOMPARE(lastY(charts.pathSeries(Path::Forward)), 0.0);
        for (Path p : {Path::Rx, Path::Forward, Path::Local, Path::Tx}) {
            const auto n = std::count_if(onPath.begin(), onPath.end(),
                                         [p](const auto& e) { return e.second == int(p); });
            QCOMPARE(lastY(charts.pathSeries(p)), double(n));
        }
        // Cumulative: never decreasing along time.
        for (QAbstractSeries* a : charts.pathsChart()->series()) {
            auto* s = qobject_cast<QLineSeries*>(a);
            for (int i = 1; i < s->count(); ++i) {
                QVERIFY(s->at(i).x() >= s->at(i - 1).x());
                QVERIFY(s->at(i).y() >= s->at(i - 1).y());
            }
        }

        // Rendered, the panel is not a blank rectangle.
        charts.resize(900, 400);
        charts.show();
        QVERIFY(QTest::qWaitForWindowExposed(&charts));
        const QImage image = charts.grab().toImage();
        QVERIFY(!image.isNull());
        std::set<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7)
            for (int x = 0; x < image.width(); x += 7) colours.insert(image.pixel(x, y));
        QVERIFY(colours.size() > 3);
        if (qEnvironmentVariableIsSet("STACKSCOPE_CHARTS_PNG"))
            image.save(qEnvironmentVariable("STACKSCOPE_CHARTS_PNG"));

        session.seek(0);
        charts.refresh();
        QVERIFY(charts.dropsChart()->series().isEmpty());
        for (QAbstractSeries* a : charts.pathsChart()->series())
            QCOMPARE(qobject_cast<QLineSeries*>(a)->count(), 0);
    }

    void partialPositionCountsOnlyEventsBeforeTheCursor() {
        Session session;
        ChartsPanel charts(&session);
        session.load(test::makeHost(), test::makeFrames(), {});
        // Up to and including the first drop.
        while (!session.stepper()->atEnd() &&
               !(session.current() && session.current()->verdict == Verdict::Dropped))
            session.stepForward();
        QVERIFY(session.current() && session.current()->verdict == Verdict::Dropped);
        charts.refresh();
        QCOMPARE(charts.dropsChart()->series().size(), 1);
        QCOMPARE(lastY(charts.dropSeries(session.current()->reason)), 1.0);

        // The charts refresh by themselves while visible, throttled.
        charts.show();
        QVERIFY(QTest::qWaitForWindowExposed(&charts));
        session.seek(0);
        QTRY_VERIFY(charts.dropsChart()->series().isEmpty());
    }
};

QTEST_MAIN(ChartsTest)
#include "ui_charts_test.moc"
