// SPDX-License-Identifier: GPL-3.0-or-later
// Breakpoints stop a run at the first event they hit; queue gauges follow the
// cursor; a seek to a packet far ahead runs on a worker; the About dialog
// names the versions.
#include "test_host.h"
#include "ui/about_dialog.h"
#include "ui/breakpoints.h"
#include "ui/charts_panel.h"
#include "ui/narration_panel.h"
#include "ui/packet_seeker.h"
#include "ui/queue_fill.h"
#include "ui/session.h"
#include "ui/stack_scene.h"
#include "ui/stage_box_item.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QLineSeries>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace stackscope;
using namespace stackscope::ui;

namespace {

IptablesInput iptables(std::vector<std::string> argv) {
    IptablesInput in;
    in.kind = IptablesInput::Kind::Command;
    in.argv = std::move(argv);
    return in;
}

// filter INPUT: #1 drops UDP to port 9, #2 accepts UDP to port 53.
HostConfig hostWithRules() {
    HostConfig config = test::makeHost();
    config.iptables.push_back(iptables({"iptables", "-A", "INPUT", "-p", "udp", "--dport", "9", "-j", "DROP"}));
    config.iptables.push_back(iptables({"iptables", "-A", "INPUT", "-p", "udp", "--dport", "53", "-j", "ACCEPT"}));
    return config;
}

// Runs at full speed until the run stops by itself.
void runToStop(Session& session) {
    session.setSpeed(0);
    session.setRunning(true);
    QTRY_VERIFY_WITH_TIMEOUT(!session.running(), 10000);
}

// The first event at or after `from` that satisfies `pred`, as the stepper numbers it.
template <class Pred> std::uint64_t firstEvent(const HostConfig& config, Pred pred) {
    Stepper stepper(config, test::makeFrames());
    stepper.runToEnd();
    const auto& events = stepper.events();
    for (std::uint64_t i = 0; i < events.size(); ++i)
        if (pred(events[i])) return i;
    return kNoSeq;
}

} // namespace

class BreakpointsTest : public QObject {
    Q_OBJECT
private slots:
    void stageBreakpointStopsAtTheFirstEventThereAndSaysWhich() {
        Session session;
        QAbstractItemModelTester tester(session.breakpoints(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        NarrationPanel narration(&session);
        session.load(test::makeHost(), test::makeFrames(), {});
        session.breakpoints()->add(BreakpointSpec::onStage(Stage::UdpRcv));
        QVERIFY(session.hasBreakpoint(Stage::UdpRcv));
        QSignalSpy hits(&session, &Session::breakpointHit);
        runToStop(session);
        const std::uint64_t expected =
            firstEvent(test::makeHost(), [](const TraceEvent& e) { return e.stage == Stage::UdpRcv; });
        QVERIFY(expected != kNoSeq);
        QCOMPARE(session.position(), expected + 1);
        QCOMPARE(hits.count(), 1);
        QVERIFY(hits.at(0).at(0).toString().contains(QStringLiteral("stage UDP")));
        QVERIFY(narration.plainText().contains(QStringLiteral("Breakpoint stage UDP")));
        QCOMPARE(session.breakpoints()->data(session.breakpoints()->index(0, BreakpointList::Hits)).toULongLong(), 1ull);

        // Running on stops at the next packet through the stage, and the banner goes with a step.
        runToStop(session);
        QCOMPARE(session.current()->stage, Stage::UdpRcv);
        QVERIFY(session.position() > expected + 1);
        session.stepForward();
        QVERIFY(!narration.plainText().contains(QStringLiteral("Breakpoint")));
    }

    void disabledBreakpointsDoNotStop() {
        Session session;
        session.load(test::makeHost(), test::makeFrames(), {});
        const int row = session.breakpoints()->add(BreakpointSpec::onStage(Stage::UdpRcv));
        session.breakpoints()->setData(session.breakpoints()->index(row, BreakpointList::Enabled), Qt::Unchecked,
                                       Qt::CheckStateRole);
        QVERIFY(!session.hasBreakpoint(Stage::UdpRcv));
        runToStop(session);
        QVERIFY(session.stepper()->atEnd());
        // Adding the same condition again enables the existing row instead of duplicating it.
        QCOMPARE(session.breakpoints()->add(BreakpointSpec::onStage(Stage::UdpRcv)), row);
        QCOMPARE(session.breakpoints()->rowCount(), 1);
        QVERIFY(session.hasBreakpoint(Stage::UdpRcv));
    }

    void dropReasonBreakpoint() {
        Session session;
        session.load(test::makeHost(), test::makeFrames(), {});
        session.breakpoints()->add(BreakpointSpec::onDrop(DropReason::IP_CSUM));
        runToStop(session);
        QVERIFY(session.current());
        QCOMPARE(session.current()->verdict, Verdict::Dropped);
        QCOMPARE(session.current()->reason, DropReason::IP_CSUM);
        QCOMPARE(session.current()->packet, PacketId(3));
        QVERIFY(session.breakpointAtCursor().contains(QStringLiteral("IP_CSUM")));
    }

    void packetFilterBreakpointUsesThePacketListSyntax() {
        Session session;
        session.load(test::makeHost(), test::makeFrames(), {});
        // Text inside the decoded summary: the destination port 9 shows in the info column.
        session.breakpoints()->add(BreakpointSpec::onFilter(QStringLiteral("→ 9 ")));
        runToStop(session);
        QVERIFY(session.current());
        QCOMPARE(session.current()->packet, PacketId(2));
        QCOMPARE(session.position(),
                 firstEvent(test::makeHost(), [](const TraceEvent& e) { return e.packet == 2; }) + 1);

        // A drop reason, as the Reason column shows it, matches where the packet is dropped.
        Session other;
        other.load(test::makeHost(), test::makeFrames(), {});
        other.breakpoints()->add(BreakpointSpec::onFilter(QStringLiteral("ip_csum")));
        runToStop(other);
        QVERIFY(other.current());
        QCOMPARE(other.current()->packet, PacketId(3));
        QCOMPARE(other.current()->verdict, Verdict::Dropped);
    }

    void hookAndRuleBreakpoints() {
        const HostConfig config = hostWithRules();
        Session session;
        session.load(config, test::makeFrames(), {});
        session.breakpoints()->add(BreakpointSpec::onHook(QStringLiteral("filter"), QStringLiteral("INPUT")));
        runToStop(session);
        QCOMPARE(session.current()->stage, Stage::FilterInput);
        QCOMPARE(session.current()->packet, PacketId(1));

        // Rule 1 decides only for packet 2 (port 9), rule 2 for packets 1 and 4.
        Session rules;
        rules.load(config, test::makeFrames(), {});
        QVERIFY(rules.breakpoints()->checkRule(QStringLiteral("filter"), QStringLiteral("INPUT"), 2).isEmpty());
        QVERIFY(!rules.breakpoints()->checkRule(QStringLiteral("filter"), QStringLiteral("INPUT"), 3).isEmpty());
        QVERIFY(!rules.breakpoints()->checkRule(QStringLiteral("filter"), QStringLiteral("NOPE"), 1).isEmpty());
        QVERIFY(!rules.breakpoints()->checkRule(QStringLiteral("bogus"), QStringLiteral("INPUT"), 1).isEmpty());
        rules.breakpoints()->add(BreakpointSpec::onRule(QStringLiteral("filter"), QStringLiteral("INPUT"), 1));
        runToStop(rules);
        QVERIFY(rules.current());
        QCOMPARE(rules.current()->packet, PacketId(2));
        QCOMPARE(rules.current()->verdict, Verdict::Dropped);
        runToStop(rules);
        QVERIFY(rules.stepper()->atEnd()); // no other packet is decided by rule 1

        Session accept;
        accept.load(config, test::makeFrames(), {});
        accept.breakpoints()->add(BreakpointSpec::onRule(QStringLiteral("filter"), QStringLiteral("INPUT"), 2));
        runToStop(accept);
        QCOMPARE(accept.current()->packet, PacketId(1));
        runToStop(accept);
        QCOMPARE(accept.current()->packet, PacketId(4));
        QCOMPARE(accept.current()->stage, Stage::FilterInput);
    }

    void stageToggleFromTheDiagramGoesThroughTheList() {
        Session session;
        StackScene scene(&session);
        session.load(test::makeHost(), test::makeFrames(), {});
        session.toggleBreakpoint(Stage::IpRcv);
        QCOMPARE(session.breakpoints()->rowCount(), 1);
        QVERIFY(session.hasBreakpoint(Stage::IpRcv));
        session.toggleBreakpoint(Stage::IpRcv);
        QCOMPARE(session.breakpoints()->rowCount(), 0);
        QVERIFY(hookChainNames().contains(QStringLiteral("filter INPUT")));
        QVERIFY(hookChainNames().contains(QStringLiteral("nat POSTROUTING")));
        QVERIFY(!hookChainNames().contains(QStringLiteral("conntrack")));
    }

    void queueGaugesFollowTheCursor() {
        HostConfig config = test::makeHost();
        config.sockets[0].read = SocketConfig::ReadMode::None; // datagrams stay queued
        Session session;
        StackScene scene(&session);
        ChartsPanel charts(&session);
        session.load(config, test::makeFrames(), {});
        const double atStart = scene.box(Stage::SocketQueue)->queueFill();
        QCOMPARE(atStart, 0.0);
        session.seek(UINT64_MAX);
        const QueueFill& socket = scene.queueFills()[std::size_t(QueueKind::Socket)];
        QVERIFY(socket.used > 0);
        QVERIFY(socket.limit > socket.used);
        QCOMPARE(socket.unit, QStringLiteral("bytes"));
        QVERIFY(scene.box(Stage::SocketQueue)->queueFill() > 0.0);
        QVERIFY(scene.box(Stage::SocketQueue)->queueFillText().contains(QStringLiteral("port 53")));
        QCOMPARE(scene.queueFills()[std::size_t(QueueKind::RxRing)].limit, std::uint64_t(256));
        QCOMPARE(scene.queueFills()[std::size_t(QueueKind::Backlog)].limit, std::uint64_t(1000));
        // Boxes that are not queues have no gauge.
        QVERIFY(scene.box(Stage::IpRcv)->queueFill() < 0);

        // The chart counts the two datagrams waiting at the end.
        charts.refresh();
        const QLineSeries* depth = charts.queueSeries(QueueKind::Socket);
        QVERIFY(depth->count() > 0);
        QCOMPARE(depth->at(depth->count() - 1).y(), 2.0);
        QVERIFY(depth->isVisible());

        session.seek(0);
        QCOMPARE(scene.box(Stage::SocketQueue)->queueFill(), 0.0);
    }

    void sendBufferGaugeAtSendto() {
        // tbf at 1 Mbit/s behind a send line of 200 full datagrams: the socket's buffer
        // (212992 bytes) fills, and sendto waits. The gauge on the sendto box shows it.
        HostConfig config = test::makeHost();
        QdiscConfig tbf;
        tbf.kind = QdiscKind::Tbf;
        tbf.rateBytesPerSec = 125000;
        tbf.burstBytes = 5000;
        tbf.limit = 1000000;
        config.findInterface("eth0")->qdisc = tbf;
        SendConfig send;
        send.destination = test::kPeerIp;
        send.destinationPort = 9;
        send.count = 200;
        send.interval = 0;
        send.payloadSize = 1000;
        config.sends.push_back(send);
        Session session;
        StackScene scene(&session);
        session.load(config, {}, {});
        QCOMPARE(scene.box(Stage::AppSend)->queueFill(), 0.0);
        // Step to the call that finds the buffer full.
        std::uint64_t waits = 0;
        while (!session.stepper()->atEnd() && waits == 0) {
            session.stepForward();
            const auto& events = session.stepper()->events();
            const TraceEvent& e = events[std::size_t(session.position()) - 1];
            if (e.stage == Stage::AppSend && e.verdict == Verdict::Queued)
                waits = session.position();
        }
        QVERIFY(waits > 0);
        const QueueFill& buffer = scene.queueFills()[std::size_t(QueueKind::SendBuffer)];
        QCOMPARE(buffer.limit, std::uint64_t(212992));
        QCOMPARE(buffer.used, std::uint64_t(93 * 2304)); // one over: allowed while below sndbuf
        QCOMPARE(buffer.unit, QStringLiteral("bytes"));
        QCOMPARE(scene.box(Stage::AppSend)->queueFill(), 1.0);
        QVERIFY(scene.box(Stage::AppSend)
                    ->queueFillText()
                    .contains(QStringLiteral("socket send buffer")));
        QVERIFY(scene.box(Stage::AppSend)
                    ->queueFillText()
                    .contains(QStringLiteral("udp to 10.0.0.1:9")));
        QCOMPARE(queueStage(QueueKind::SendBuffer), Stage::AppSend);
        // Each call counts once at sendto: 93 returned (their returns are not counted
        // again), the 94th waits.
        QCOMPARE(session.state().passed(Stage::AppSend), std::uint64_t(94));
        std::uint64_t returns = 0;
        for (std::uint64_t i = 0; i < session.position(); ++i)
            returns += isCallReturn(session.stepper()->events()[std::size_t(i)]) ? 1 : 0;
        QCOMPARE(returns, std::uint64_t(93));
    }

    void queueDepthFromTheTrace() {
        HostConfig config = test::makeHost();
        config.sockets[0].read = SocketConfig::ReadMode::None;
        Stepper stepper(config, test::makeFrames());
        stepper.runToEnd();
        const QueueDepthSeries d = queueDepthSeries(stepper.events(), stepper.events().size(), 50);
        QCOMPARE(d.peak[std::size_t(QueueKind::Socket)], std::uint64_t(2));
        QCOMPARE(d.depth[std::size_t(QueueKind::Socket)].back(), std::uint64_t(2));
        QVERIFY(d.peak[std::size_t(QueueKind::RxRing)] >= 1);
        // A bucket holds its peak, so the ring's last bucket may show the last frame passing.
        QVERIFY(d.peak[std::size_t(QueueKind::RxRing)] <= 4);
        QCOMPARE(queueStage(QueueKind::Qdisc), Stage::QdiscEnqueue);
        QCOMPARE(queueAtStage(Stage::SocketQueue), std::optional(QueueKind::Socket));
    }

    void seekingFarAheadRunsOnAWorker() {
        // Enough frames that simulating to the last one takes a while.
        auto frames = std::make_shared<std::vector<InputFrame>>();
        for (int i = 0; i < 6000; ++i) {
            frames->push_back(test::udpFrame(Nanos(i + 1) * kMicrosecond * 50, i % 3 ? 53 : 9));
            frames->back().captureNumber = std::uint64_t(i + 1);
        }
        Session session;
        session.load(test::makeHost(), frames, {});
        PacketSeeker seeker(&session);
        QSignalSpy done(&seeker, &PacketSeeker::finished);
        int ticks = 0;
        QTimer ticker;
        QObject::connect(&ticker, &QTimer::timeout, [&] { ++ticks; });
        ticker.start(5);
        const PacketId target = 5990;
        seeker.seek(target);
        QVERIFY(seeker.busy());
        QVERIFY(done.wait(60000));
        QCOMPARE(done.at(0).at(0).toBool(), true);
        QVERIFY(!seeker.busy());
        // The event loop kept turning while the worker simulated.
        QVERIFY2(ticks > 2, qPrintable(QStringLiteral("ticks %1").arg(ticks)));
        QVERIFY(session.current());
        QCOMPARE(session.current()->packet, target);
        const PacketState* s = session.state().packet(target);
        QVERIFY(s);
        QCOMPARE(s->firstSeq + 1, session.position());
        // The adopted trace is the session's own trace continued: stepping back works through it.
        session.stepBack();
        QVERIFY(session.current()->packet != target);

        // Cancelled, the cursor stays where it was.
        Session other;
        other.load(test::makeHost(), frames, {});
        PacketSeeker cancelled(&other);
        QSignalSpy gone(&cancelled, &PacketSeeker::finished);
        cancelled.seek(6000);
        cancelled.cancel();
        QVERIFY(gone.wait(60000));
        QCOMPARE(gone.at(0).at(0).toBool(), false);
        QCOMPARE(other.position(), std::uint64_t(0));
    }

    void aboutDialogNamesVersionsAndLicence() {
        AboutDialog about;
        const QString text = about.text();
        QVERIFY(!AboutDialog::version().isEmpty());
        QVERIFY(text.contains(QStringLiteral("Stackscope ") + AboutDialog::version()));
        QVERIFY(text.contains(QStringLiteral("GPL-3.0-or-later")));
        QVERIFY(text.contains(QStringLiteral("GNU General Public License")));
        QVERIFY(text.contains(QString::fromLatin1(qVersion())));
        QVERIFY(AboutDialog::libpcapVersion().contains(QStringLiteral("libpcap")));
        QVERIFY(text.contains(AboutDialog::libpcapVersion()));
        QSignalSpy help(&about, &AboutDialog::helpRequested);
        auto* label = about.findChild<QLabel*>(QStringLiteral("aboutText"));
        QVERIFY(label);
        emit label->linkActivated(QStringLiteral("stackscope:help"));
        QCOMPARE(help.count(), 1);
    }
};

QTEST_MAIN(BreakpointsTest)
#include "ui_breakpoints_test.moc"
