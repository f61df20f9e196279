// SPDX-License-Identifier: GPL-3.0-or-later
// The main window opens scenarios and captures by path, reports bad files
// without stopping, and exports the diagram.
#include "ui/examples.h"
#include "ui/main_window.h"
#include "ui/narration_panel.h"
#include "ui/packet_list_model.h"
#include "ui/session.h"
#include "ui/stack_scene.h"
#include "ui/stack_view.h"
#include "ui/stage_box_item.h"

#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QMenu>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace stackscope;
using namespace stackscope::ui;

namespace {
const char* kScenario = R"(# a host with one socket
ip link set dev lo up
ip link set dev eth0 address 02:00:00:00:00:02 mtu 1500 up
ip addr add 10.0.0.2/24 dev eth0
socket udp bind 0.0.0.0:53 read all
send udp 10.0.0.1:9 from 10.0.0.2:5000 count 2 interval 1ms size 10
)";

QString writeFile(const QTemporaryDir& dir, const QString& name, const QByteArray& text) {
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return {};
    f.write(text);
    return path;
}

bool openAndWait(MainWindow& w, const QStringList& paths) {
    QSignalSpy spy(&w, &MainWindow::loadFinished);
    w.openFiles(paths);
    if (spy.isEmpty() && !spy.wait(30000)) return false;
    return spy.first().first().toBool();
}
} // namespace

class MainWindowTest : public QObject {
    Q_OBJECT
private slots:
    void init() { QCoreApplication::setOrganizationName(QStringLiteral("StackscopeTest")); }

    void opensAScenarioByPath() {
        QTemporaryDir dir;
        const QString path = writeFile(dir, QStringLiteral("host.scn"), kScenario);
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndWait(w, {path}));
        QVERIFY(w.session()->isLoaded());
        QCOMPARE(w.session()->stepper()->config().interfaces.size(), std::size_t(2));
        QVERIFY(w.windowTitle().contains(QStringLiteral("host.scn")));
        // The scenario's own sends make traffic to step through.
        w.session()->stepForward();
        QVERIFY(w.session()->current());
        QVERIFY(w.narration()->plainText().contains(
            QString::fromUtf8(w.session()->current()->function.data(), qsizetype(w.session()->current()->function.size()))));
    }

    void badScenarioListsEveryDiagnosticAndKeepsRunning() {
        QTemporaryDir dir;
        const QString good = writeFile(dir, QStringLiteral("good.scn"), kScenario);
        const QString bad = writeFile(dir, QStringLiteral("bad.scn"),
                                      "ip link set dev eth0 up\nfrobnicate the stack\nip addr add nonsense dev eth0\n");
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndWait(w, {good}));
        QVERIFY(!openAndWait(w, {bad}));
        QVERIFY(w.lastErrors().size() >= 2);
        QVERIFY(w.lastErrors().first().contains(QStringLiteral("bad.scn:2")));
        // The previous simulation is untouched.
        QVERIFY(w.session()->sources().first().endsWith(QStringLiteral("good.scn")));
        QVERIFY(!openAndWait(w, {dir.filePath(QStringLiteral("missing.scn"))}));
    }

    void opensABundledExample() {
        // File > Open an example lists every lesson in assets/examples by its title.
        const QDir dir(QStringLiteral(STACKSCOPE_SOURCE_DIR "/assets/examples"));
        const QStringList files = dir.entryList({QStringLiteral("*.scn")}, QDir::Files, QDir::Name);
        QVERIFY(files.size() >= 4);
        MainWindow w;
        w.setInteractive(false);
        auto* menu = w.findChild<QMenu*>(QStringLiteral("examplesMenu"));
        QVERIFY(menu);
        QCOMPARE(menu->actions().size(), files.size());
        QAction* sendBuffer = nullptr;
        for (QAction* a : menu->actions()) {
            QVERIFY(files.contains(a->data().toString()));
            QVERIFY(!a->text().endsWith(QStringLiteral(".scn"))); // a title, not a file name
            QVERIFY(!a->toolTip().isEmpty());
            if (a->data().toString() == QStringLiteral("send-buffer.scn")) sendBuffer = a;
        }
        QVERIFY(sendBuffer);
        QVERIFY(sendBuffer->text().contains(QStringLiteral("send buffer")));
        // Every example is bundled in the binary too, and loads without an error.
        for (const QString& f : files) {
            QVERIFY(QFile::exists(exampleResource(f)));
            QSignalSpy spy(&w, &MainWindow::loadFinished);
            w.openExample(f);
            QVERIFY(!spy.isEmpty() || spy.wait(30000));
            QVERIFY2(spy.first().first().toBool(),
                     qPrintable(f + QLatin1Char(' ') + w.lastErrors().join(QLatin1Char('\n'))));
            QVERIFY(w.session()->sources().first().endsWith(f));
        }
        QSignalSpy spy(&w, &MainWindow::loadFinished);
        sendBuffer->trigger();
        QVERIFY(!spy.isEmpty() || spy.wait(30000));
        QVERIFY(w.session()->sources().first().endsWith(QStringLiteral("send-buffer.scn")));
        QCOMPARE(w.session()->stepper()->config().sends.size(), std::size_t(1));
        // Before the first step, the narration says where the packets will come from.
        QVERIFY(w.narration()->plainText().contains(QStringLiteral("1 application sending 200 UDP datagrams")));
        // A name that is not bundled is an error, not a crash.
        QSignalSpy missing(&w, &MainWindow::loadFinished);
        w.openExample(QStringLiteral("no-such-lesson.scn"));
        QVERIFY(!missing.isEmpty() || missing.wait(5000));
        QVERIFY(!missing.first().first().toBool());
    }

    void exampleTitleAndDescriptionFromTheLeadingComment() {
        const ExampleScenario e = describeExample(
            QStringLiteral("x.scn"),
            QStringLiteral("# A title\n# what to\n#   watch\nip link set lo up\n# later\n"));
        QCOMPARE(e.title, QStringLiteral("A title"));
        QCOMPARE(e.description, QStringLiteral("what to watch"));
        QCOMPARE(
            describeExample(QStringLiteral("y.scn"), QStringLiteral("ip link set lo up\n")).title,
            QStringLiteral("y.scn"));
    }

    void opensACaptureOnAWorkerThread() {
        const QString scn = QStringLiteral(STACKSCOPE_SOURCE_DIR "/assets/demo/demo.scn");
        const QString pcap = QStringLiteral(STACKSCOPE_SOURCE_DIR "/assets/demo/demo.pcap");
        QVERIFY(QFile::exists(scn) && QFile::exists(pcap));
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndWait(w, {pcap, scn})); // order does not matter: told apart by content
        QVERIFY(!w.session()->frames().empty());
        QCOMPARE(w.packetModel()->rowCount(), int(w.session()->frames().size()));
        QVERIFY(w.session()->sources().first().endsWith(QStringLiteral("demo.scn")));

        // Selecting a packet puts the cursor on its first event; a packet the stepper has not
        // reached yet is simulated on a worker thread first, so the cursor moves a little later.
        auto* table = w.findChild<QTableView*>(QStringLiteral("packetTable"));
        QVERIFY(table);
        table->selectRow(3);
        const PacketId packet = w.packetModel()->packetAt(3);
        QTRY_VERIFY_WITH_TIMEOUT(w.session()->current() && w.session()->current()->packet == packet, 10000);
        QCOMPARE(w.session()->state().packet(packet)->firstSeq + 1, w.session()->position());
    }

    void clickingABoxExplainsIt() {
        MainWindow w;
        emit w.stackScene()->box(Stage::IpRcv)->activated(Stage::IpRcv);
        QVERIFY(w.narration()->plainText().contains(QStringLiteral("ip_rcv_core()")));
        QVERIFY(w.narration()->plainText().contains(QStringLiteral("IpInHdrErrors")));
        QVERIFY(w.stackScene()->box(Stage::IpRcv)->toolTip().contains(QStringLiteral("ip_rcv_core")));
    }

    void exportsSvgAndPng() {
        QTemporaryDir dir;
        const QString scn = writeFile(dir, QStringLiteral("host.scn"), kScenario);
        MainWindow w;
        w.setInteractive(false);
        QVERIFY(openAndWait(w, {scn}));
        for (int i = 0; i < 5; ++i) w.session()->stepForward();
        const QString svg = dir.filePath(QStringLiteral("stack.svg"));
        const QString png = dir.filePath(QStringLiteral("stack.png"));
        QVERIFY(w.stackView()->exportSvg(svg));
        QVERIFY(w.stackView()->exportPng(png));
        QFile s(svg);
        QVERIFY(s.open(QIODevice::ReadOnly));
        const QByteArray text = s.readAll();
        QVERIFY(text.contains("<svg"));
        QVERIFY(text.contains("ip_rcv"));
        QImage image(png);
        QVERIFY(!image.isNull());
        QVERIFY(image.width() > 1000 && image.height() > 500);
        QVERIFY(!w.stackView()->exportPng(dir.filePath(QStringLiteral("no/such/dir/x.png"))));
    }

    void presentationModeKeepsOnlyTheNarration() {
        MainWindow w;
        w.show();
        w.setPresentationMode(true);
        QVERIFY(w.presentationMode());
        int visibleDocks = 0;
        for (QDockWidget* d : w.findChildren<QDockWidget*>()) visibleDocks += d->isVisible();
        QCOMPARE(visibleDocks, 1);
        w.setPresentationMode(false);
        QVERIFY(!w.presentationMode());
    }
};

QTEST_MAIN(MainWindowTest)
#include "ui_main_window_test.moc"
