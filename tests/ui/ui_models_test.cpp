// SPDX-License-Identifier: GPL-3.0-or-later
// PacketListModel and DropsModel inside QAbstractItemModelTester, at every
// cursor position of a small run, plus the filter and a million-row list.
#include "test_host.h"
#include "ui/drops_model.h"
#include "ui/packet_list_model.h"
#include "ui/session.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace stackscope;
using namespace stackscope::ui;

class ModelsTest : public QObject {
    Q_OBJECT
private slots:
    void packetListFollowsTheCursor() {
        Session session;
        PacketListModel model(&session);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        session.load(test::makeHost(), test::makeFrames(), {});
        QCOMPARE(model.columnCount(), int(PacketListModel::ColumnCount));
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.data(model.index(0, PacketListModel::Protocol)).toString(), QStringLiteral("UDP"));
        QCOMPARE(model.data(model.index(0, PacketListModel::Source)).toString(), QStringLiteral("10.0.0.1"));
        QCOMPARE(model.data(model.index(0, PacketListModel::Destination)).toString(), QStringLiteral("10.0.0.2"));
        QVERIFY(model.data(model.index(1, PacketListModel::Info)).toString().contains(QStringLiteral("→ 9")));
        QCOMPARE(model.data(model.index(0, PacketListModel::Fate)).toString(), QString());

        session.stepper()->runToEnd();
        session.seek(session.stepper()->events().size());
        QVERIFY(model.rowCount() >= 4);
        int fates = 0;
        for (int r = 0; r < model.rowCount(); ++r)
            fates += !model.data(model.index(r, PacketListModel::Fate)).toString().isEmpty();
        QCOMPARE(fates, model.rowCount());
        // Back to the start: every fate is gone again.
        session.reset();
        for (int r = 0; r < model.rowCount(); ++r)
            QCOMPARE(model.data(model.index(r, PacketListModel::Fate)).toString(), QString());
    }

    void dropsModelCountsAtTheCursor() {
        Session session;
        DropsModel drops(&session);
        QAbstractItemModelTester tester(&drops, QAbstractItemModelTester::FailureReportingMode::QtTest);
        session.load(test::makeHost(), test::makeFrames(), {});
        QCOMPARE(drops.rowCount(), 0);
        while (!session.stepper()->atEnd()) session.stepForward();
        QVERIFY(drops.rowCount() >= 1);
        bool sawChecksum = false;
        const auto& events = session.stepper()->events();
        for (int r = 0; r < drops.rowCount(); ++r) {
            const std::uint64_t first = drops.firstEventAt(r);
            QVERIFY(first < events.size());
            QCOMPARE(events[first].verdict, Verdict::Dropped);
            QCOMPARE(drops.data(drops.index(r, DropsModel::Reason)).toString().toStdString(),
                     std::string(dropReasonName(events[first].reason)));
            sawChecksum = sawChecksum || events[first].reason == DropReason::IP_CSUM;
        }
        QVERIFY(sawChecksum);
        while (session.position() > 0) session.stepBack();
        QCOMPARE(drops.rowCount(), 0);
        QCOMPARE(drops.totalDrops(), std::uint64_t(0));
    }

    void filterKeepsMatchingRows() {
        Session session;
        PacketListModel model(&session);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        session.load(test::makeHost(), test::makeFrames(), {});
        QSignalSpy done(&model, &PacketListModel::filterFinished);
        model.setFilter(QStringLiteral("→ 9"));
        QVERIFY(done.wait(5000));
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.packetAt(0), PacketId(2));
        QCOMPARE(model.rowOf(2), 0);
        QCOMPARE(model.rowOf(1), -1);
        model.setFilter(QString());
        QCOMPARE(model.rowCount(), 4);
    }

    void millionRowsStayCheap() {
        auto frames = std::make_shared<std::vector<InputFrame>>();
        const std::size_t n = 1'000'000;
        frames->reserve(n);
        const InputFrame sample = test::udpFrame(0, 53, false, 0);
        for (std::size_t i = 0; i < n; ++i) {
            frames->push_back(sample);
            frames->back().time = Nanos(i) * kMicrosecond;
            if (i == 777'777) frames->back().bytes[14 + 20 + 3] = 99; // the one packet to port 99
        }
        Session session;
        PacketListModel model(&session);
        QElapsedTimer clock;
        clock.start();
        session.load(test::makeHost(), frames, {});
        QCOMPARE(model.rowCount(), int(n));
        for (int r = 0; r < 2000; ++r) model.data(model.index(int(n) - 1 - r, PacketListModel::Info));
        QVERIFY2(clock.elapsed() < 3000, "loading a million rows and drawing a screenful must be quick");
        QSignalSpy done(&model, &PacketListModel::filterFinished);
        model.setFilter(QStringLiteral("→ 99 "));
        QVERIFY(done.wait(60000));
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.packetAt(0), PacketId(777'778));
    }
};

QTEST_MAIN(ModelsTest)
#include "ui_models_test.moc"
