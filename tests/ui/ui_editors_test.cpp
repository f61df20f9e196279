// SPDX-License-Identifier: GPL-3.0-or-later
// The host configuration editors: every table edited through its model (inside
// QAbstractItemModelTester), undo and redo, invalid input refused with the
// parser's message, and the what-if re-run that reports changed packet fates.
#include "test_host.h"
#include "ui/editors/command_dialog.h"
#include "ui/editors/config_document.h"
#include "ui/editors/counter_diff_model.h"
#include "ui/editors/editors_dock.h"
#include "ui/editors/host_models.h"
#include "ui/editors/import_export.h"
#include "ui/editors/netfilter_models.h"
#include "ui/editors/sysctl_model.h"
#include "ui/main_window.h"
#include "ui/session.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QSignalSpy>
#include <QTest>

using namespace stackscope;
using namespace stackscope::ui;

namespace {
constexpr auto kReport = QAbstractItemModelTester::FailureReportingMode::QtTest;

// A dock with the test host loaded and its first run finished.
void load(EditorsDock& dock) {
    dock.setCapture(test::makeHost(), test::makeFrames());
    QTRY_VERIFY_WITH_TIMEOUT(!dock.whatIfRunning(), 20000);
    QVERIFY(dock.currentRun());
}

bool waitForRun(EditorsDock& dock, QSignalSpy& spy) {
    return spy.count() > 0 || spy.wait(20000);
}
} // namespace

class EditorsTest : public QObject {
    Q_OBJECT
private slots:
    void dropRuleChangesTheFateOfThosePackets() {
        EditorsDock dock;
        QAbstractItemModelTester rulesTester(dock.rulesModel(), kReport);
        QAbstractItemModelTester chainsTester(dock.chainsModel(), kReport);
        QAbstractItemModelTester diffTester(dock.counterDiffModel(), kReport);
        load(dock);
        RulesModel* rules = dock.rulesModel();
        QCOMPARE(rules->rowCount(), 0);
        QSignalSpy finished(&dock, &EditorsDock::whatIfFinished);
        QVERIFY(!dock.document()->applyCommands(QStringLiteral("iptables -A INPUT -p udp --dport 53 -j DROP")));
        QCOMPARE(rules->rowCount(), 1);
        QCOMPARE(rules->data(rules->index(0, RulesModel::Target)).toString(), QStringLiteral("DROP"));
        QCOMPARE(rules->data(rules->index(0, RulesModel::Protocol)).toString(), QStringLiteral("udp"));
        QCOMPARE(rules->data(rules->index(0, RulesModel::Matches)).toString(), QStringLiteral("-m udp --dport 53"));
        QCOMPARE(rules->ruleText(0), QStringLiteral("-A INPUT -p udp -m udp --dport 53 -j DROP"));
        QVERIFY(waitForRun(dock, finished));

        // Frames 1 and 4 went to the port-53 socket; now the rule drops them. Frame 2
        // (closed port) and frame 3 (bad IP checksum) never reach the rule.
        QVERIFY(dock.fateChanged(1));
        QVERIFY(dock.fateChanged(4));
        QVERIFY(!dock.fateChanged(2));
        QVERIFY(!dock.fateChanged(3));
        const QString summary = finished.first().first().toString();
        QVERIFY2(summary.startsWith(QStringLiteral("2 packets now dropped by filter INPUT rule 1")), qPrintable(summary));
        QVERIFY(dock.fateChange(1).contains(QStringLiteral("delivered")));
        QCOMPARE(rules->data(rules->index(0, RulesModel::Packets)).toULongLong(), 2ull);
        bool sawDrops = false;
        CounterDiffModel* diff = dock.counterDiffModel();
        for (int r = 0; r < diff->rowCount(); ++r)
            if (diff->data(diff->index(r, CounterDiffModel::Counter)).toString() == QLatin1String("UdpInDatagrams")) {
                QCOMPARE(diff->data(diff->index(r, CounterDiffModel::Before)).toULongLong(), 2ull);
                QCOMPARE(diff->data(diff->index(r, CounterDiffModel::After)).toULongLong(), 0ull);
                sawDrops = true;
            }
        QVERIFY(sawDrops);

        // Undo re-runs too: the packets are delivered again, compared with the run that dropped them.
        finished.clear();
        dock.document()->undoStack()->undo();
        QCOMPARE(rules->rowCount(), 0);
        QVERIFY(waitForRun(dock, finished));
        QVERIFY(dock.fateChanged(1));
        QVERIFY2(finished.first().first().toString().contains(QStringLiteral("now delivered")),
                 qPrintable(finished.first().first().toString()));
        dock.document()->undoStack()->redo();
        QCOMPARE(rules->rowCount(), 1);
    }

    void rulesEditMoveAndReject() {
        EditorsDock dock;
        RulesModel* rules = dock.rulesModel();
        QAbstractItemModelTester tester(rules, kReport);
        load(dock);
        QVERIFY(!dock.document()->applyCommands(QStringLiteral("iptables -A INPUT -p tcp --dport 22 -j DROP\n"
                                                               "iptables -A INPUT -s 10.0.0.0/8 -j ACCEPT")));
        QCOMPARE(rules->rowCount(), 2);
        QCOMPARE(dock.document()->undoStack()->count(), 1); // two lines, one step

        QVERIFY(rules->setData(rules->index(0, RulesModel::Target), QStringLiteral("REJECT --reject-with tcp-reset")));
        QCOMPARE(rules->ruleText(0), QStringLiteral("-A INPUT -p tcp -m tcp --dport 22 -j REJECT --reject-with tcp-reset"));
        QVERIFY(rules->setData(rules->index(1, RulesModel::Rule), QStringLiteral("-A INPUT -s 10.1.0.0/16 -j ACCEPT")));
        QCOMPARE(rules->data(rules->index(1, RulesModel::Source)).toString(), QStringLiteral("10.1.0.0/16"));

        QSignalSpy failed(rules, &HostTableModel::editFailed);
        QVERIFY(!rules->setData(rules->index(0, RulesModel::Rule), QStringLiteral("-p tcp --dport 99999 -j DROP")));
        QCOMPARE(failed.count(), 1);
        QVERIFY(!rules->lastError().isEmpty());
        QVERIFY(!dock.lastError().isEmpty());
        QCOMPARE(rules->rowCount(), 2);

        QVERIFY(rules->moveRule(1, 0));
        QVERIFY(rules->ruleText(0).contains(QStringLiteral("10.1.0.0/16")));
        dock.document()->undoStack()->undo();
        QVERIFY(rules->ruleText(1).contains(QStringLiteral("10.1.0.0/16")));

        // Drag and drop: the row's mime data dropped on the first row moves it there.
        std::unique_ptr<QMimeData> mime(rules->mimeData({rules->index(1, 0)}));
        QVERIFY(rules->canDropMimeData(mime.get(), Qt::MoveAction, -1, -1, rules->index(0, 0)));
        rules->dropMimeData(mime.get(), Qt::MoveAction, -1, -1, rules->index(0, 0));
        QVERIFY(rules->ruleText(0).contains(QStringLiteral("10.1.0.0/16")));
        QCOMPARE(rules->rowCount(), 2);

        // A catch-all ACCEPT before a narrower rule shadows it.
        QVERIFY(!dock.document()->applyCommands(QStringLiteral("iptables -I INPUT 1 -j ACCEPT")));
        QCOMPARE(rules->rowCount(), 3);
        QVERIFY(rules->data(rules->index(0, RulesModel::ShadowedBy)).toString().isEmpty());
        QVERIFY(rules->data(rules->index(1, RulesModel::ShadowedBy)).toString().contains(QStringLiteral("1")));
        dock.document()->undoStack()->undo();

        QVERIFY(rules->removeRule(0));
        QCOMPARE(rules->rowCount(), 1);
        dock.document()->undoStack()->undo();
        QCOMPARE(rules->rowCount(), 2);
    }

    void chainPolicyAndUserChains() {
        EditorsDock dock;
        ChainsModel* chains = dock.chainsModel();
        QAbstractItemModelTester tester(chains, kReport);
        load(dock);
        const int input = chains->rowOf(QStringLiteral("INPUT"));
        QVERIFY(input >= 0);
        QCOMPARE(chains->data(chains->index(input, ChainsModel::Policy)).toString(), QStringLiteral("ACCEPT"));
        QVERIFY(chains->setData(chains->index(input, ChainsModel::Policy), QStringLiteral("DROP")));
        QCOMPARE(chains->data(chains->index(chains->rowOf(QStringLiteral("INPUT")), ChainsModel::Policy)).toString(),
                 QStringLiteral("DROP"));
        QVERIFY(!chains->setData(chains->index(input, ChainsModel::Policy), QStringLiteral("MAYBE")));
        QVERIFY(!chains->lastError().isEmpty());
        QVERIFY(!dock.document()->applyCommands(QStringLiteral("iptables -N LOGDROP")));
        QVERIFY(chains->rowOf(QStringLiteral("LOGDROP")) >= 0);
        dock.document()->undoStack()->undo();
        QCOMPARE(chains->rowOf(QStringLiteral("LOGDROP")), -1);
    }

    void routesAndNeighbours() {
        EditorsDock dock;
        RoutesModel* routes = dock.routesModel();
        NeighboursModel* neigh = dock.neighboursModel();
        QAbstractItemModelTester t1(routes, kReport);
        QAbstractItemModelTester t2(neigh, kReport);
        load(dock);
        QVERIFY(!dock.document()->applyCommands(QStringLiteral("ip route add 10.9.0.0/16 via 10.0.0.1 dev eth0")));
        QCOMPARE(routes->rowCount(), 1);
        QVERIFY(routes->setData(routes->index(0, RoutesModel::Metric), 50));
        QCOMPARE(routes->data(routes->index(0, RoutesModel::Metric)).toInt(), 50);
        QCOMPARE(routes->rowCount(), 1);
        QVERIFY(!routes->setData(routes->index(0, RoutesModel::Gateway), QStringLiteral("10.0.0.300")));
        QVERIFY(!routes->lastError().isEmpty());
        dock.document()->undoStack()->undo();
        QCOMPARE(routes->data(routes->index(0, RoutesModel::Metric)).toInt(), 0);
        QVERIFY(routes->removeRoute(0));
        QCOMPARE(routes->rowCount(), 0);

        QCOMPARE(neigh->rowCount(), 1);
        QVERIFY(neigh->setData(neigh->index(0, NeighboursModel::LinkAddress), QStringLiteral("02:00:00:00:00:aa")));
        QCOMPARE(neigh->data(neigh->index(0, NeighboursModel::LinkAddress)).toString(), QStringLiteral("02:00:00:00:00:aa"));
        QVERIFY(!neigh->setData(neigh->index(0, NeighboursModel::LinkAddress), QStringLiteral("not-a-mac")));
        QVERIFY(!neigh->lastError().isEmpty());
        dock.document()->undoStack()->undo();
        QCOMPARE(neigh->data(neigh->index(0, NeighboursModel::LinkAddress)).toString(), QStringLiteral("02:00:00:00:00:fe"));
    }

    void socketsInterfacesSysctlsQdiscs() {
        EditorsDock dock;
        SocketsModel* sockets = dock.socketsModel();
        InterfacesModel* links = dock.interfacesModel();
        SysctlModel* sysctls = dock.sysctlModel();
        QdiscsModel* qdiscs = dock.qdiscsModel();
        QAbstractItemModelTester t1(sockets, kReport);
        QAbstractItemModelTester t2(links, kReport);
        QAbstractItemModelTester t3(sysctls, kReport);
        QAbstractItemModelTester t4(qdiscs, kReport);
        load(dock);

        QCOMPARE(sockets->rowCount(), 1);
        QVERIFY(sockets->setData(sockets->index(0, SocketsModel::Rcvbuf), QStringLiteral("4096")));
        QCOMPARE(sockets->data(sockets->index(0, SocketsModel::Rcvbuf), Qt::EditRole).toString(), QStringLiteral("4096"));
        QVERIFY(sockets->setData(sockets->index(0, SocketsModel::Read), QStringLiteral("10/s")));
        QCOMPARE(sockets->data(sockets->index(0, SocketsModel::Read)).toString(), QStringLiteral("10/s"));
        QVERIFY(!sockets->setData(sockets->index(0, SocketsModel::Read), QStringLiteral("fast")));
        QVERIFY(!sockets->lastError().isEmpty());
        QCOMPARE(sockets->rowCount(), 1);
        dock.document()->undoStack()->undo();
        QCOMPARE(sockets->data(sockets->index(0, SocketsModel::Read)).toString(), QStringLiteral("all"));

        const int eth0 = 1; // after lo
        QCOMPARE(links->data(links->index(eth0, InterfacesModel::Name)).toString(), QStringLiteral("eth0"));
        QVERIFY(links->setData(links->index(eth0, InterfacesModel::Mtu), QStringLiteral("9000")));
        QCOMPARE(links->data(links->index(eth0, InterfacesModel::Mtu)).toInt(), 9000);
        QVERIFY(!links->setData(links->index(eth0, InterfacesModel::Mtu), QStringLiteral("big")));
        QVERIFY(links->setData(links->index(eth0, InterfacesModel::Up), Qt::Unchecked, Qt::CheckStateRole));
        QCOMPARE(links->data(links->index(eth0, InterfacesModel::Up), Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
        QVERIFY(links->setData(links->index(eth0, InterfacesModel::Addresses), QStringLiteral("10.0.0.2/24, 10.0.0.3/24")));
        QCOMPARE(links->data(links->index(eth0, InterfacesModel::Addresses)).toString(),
                 QStringLiteral("10.0.0.2/24, 10.0.0.3/24"));
        dock.document()->undoStack()->undo();
        dock.document()->undoStack()->undo();
        QCOMPARE(links->data(links->index(eth0, InterfacesModel::Up), Qt::CheckStateRole).toInt(), int(Qt::Checked));

        const int forward = sysctls->rowOf(QStringLiteral("net.ipv4.ip_forward"));
        QVERIFY(forward >= 0);
        QCOMPARE(sysctls->data(sysctls->index(forward, SysctlModel::Default)).toString(), QStringLiteral("0"));
        QVERIFY(!sysctls->data(sysctls->index(forward, SysctlModel::Meaning)).toString().isEmpty());
        QVERIFY(sysctls->setData(sysctls->index(forward, SysctlModel::Value), QStringLiteral("1")));
        QCOMPARE(sysctls->data(sysctls->index(sysctls->rowOf(QStringLiteral("net.ipv4.ip_forward")), SysctlModel::Value))
                     .toString(),
                 QStringLiteral("1"));
        QVERIFY(!sysctls->setData(sysctls->index(forward, SysctlModel::Value), QStringLiteral("yes")));
        QVERIFY(!sysctls->lastError().isEmpty());

        QVERIFY(qdiscs->setData(qdiscs->index(eth0, QdiscsModel::Qdisc), QStringLiteral("pfifo limit 10")));
        QCOMPARE(qdiscs->data(qdiscs->index(eth0, QdiscsModel::Qdisc)).toString(), QStringLiteral("pfifo limit 10"));
        QVERIFY(!qdiscs->setData(qdiscs->index(eth0, QdiscsModel::Qdisc), QStringLiteral("pfifo limit lots")));
        QVERIFY(!qdiscs->lastError().isEmpty());
        dock.document()->undoStack()->undo();
        QVERIFY(qdiscs->data(qdiscs->index(eth0, QdiscsModel::Qdisc)).toString().contains(QStringLiteral("default")));
    }

    void commandDialogShowsTheError() {
        ConfigDocument doc;
        doc.reset(test::makeHost());
        CommandDialog dialog(&doc, QStringLiteral("t"), QStringLiteral("iptables -A INPUT -p udp --dport 53 -j NOPE"), {});
        QVERIFY(!dialog.submit());
        QVERIFY(!dialog.errorText().isEmpty());
        QCOMPARE(doc.undoStack()->count(), 0);
        dialog.lineEdit()->setText(QStringLiteral("ip route add blackhole 192.0.2.0/24"));
        QVERIFY(dialog.submit());
        QCOMPARE(doc.config().routes.size(), std::size_t(1));
        QCOMPARE(doc.undoStack()->count(), 1);
    }

    void importAndExport() {
        ConfigDocument doc;
        doc.reset(test::makeHost());
        const QString routes = QStringLiteral("default via 10.0.0.1 dev eth0 proto dhcp metric 100\n"
                                              "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.2\n"
                                              "10.20.0.0/16 via 10.0.0.254 dev eth0 linkdown\n");
        QVERIFY(doc.applyLenient(doc.config(), importAsCommands(ImportFormat::IpRoute, routes), QStringLiteral("i"),
                                 QStringLiteral("routes.txt"))
                    .isEmpty());
        QCOMPARE(doc.config().routes.size(), std::size_t(2)); // the kernel's connected route is derived
        QVERIFY(exportIpRoute(doc.config()).contains(QStringLiteral("10.20.0.0/16 via 10.0.0.254 dev eth0")));

        const QString neigh = QStringLiteral("10.0.0.9 dev eth0 lladdr 02:00:00:00:00:09 REACHABLE\n");
        QVERIFY(doc.applyLenient(doc.config(), importAsCommands(ImportFormat::IpNeigh, neigh), QStringLiteral("i"),
                                 QStringLiteral("neigh.txt"))
                    .isEmpty());
        QVERIFY(exportIpNeigh(doc.config()).contains(QStringLiteral("10.0.0.9 dev eth0 lladdr 02:00:00:00:00:09 REACHABLE")));

        QVERIFY(doc.applyLenient(doc.config(), importAsCommands(ImportFormat::Sysctl, QStringLiteral("net.ipv4.ip_forward = 1\n")),
                                 QStringLiteral("i"), QStringLiteral("sysctl.conf"))
                    .isEmpty());
        QVERIFY(exportSysctl(doc.config()).contains(QStringLiteral("net.ipv4.ip_forward = 1")));

        QVERIFY(!doc.applyCommands(QStringLiteral("iptables -A INPUT -p udp --dport 53 -j DROP")));
        const QString saved = exportIptablesSave(doc.config());
        QVERIFY(saved.contains(QStringLiteral("-A INPUT -p udp -m udp --dport 53 -j DROP")));
        ConfigDocument other;
        other.reset(test::makeHost());
        QVERIFY(other.applyLenient(other.config(), importAsCommands(ImportFormat::IptablesSave, saved), QStringLiteral("i"),
                                   QStringLiteral("rules.v4"))
                    .isEmpty());
        QCOMPARE(exportIptablesSave(other.config()), saved);

        // A bad line is reported with its line number; the good ones still apply.
        const QStringList errors = other.applyLenient(other.config(), QStringLiteral("ip route add 10.1.0.0/16 dev eth0\nip route add nonsense"),
                                                      QStringLiteral("i"), QStringLiteral("mixed"));
        QCOMPARE(errors.size(), 1);
        QVERIFY2(errors.first().startsWith(QStringLiteral("mixed:2:")), qPrintable(errors.first()));
        QCOMPARE(other.config().routes.size(), std::size_t(1));

        const QString json = commandsFromIpJson(
            R"([{"ifname":"eth7","link_type":"ether","address":"02:aa:00:00:00:07","mtu":1400,"flags":["BROADCAST","UP"]}])",
            R"([{"ifname":"eth7","addr_info":[{"family":"inet","local":"192.0.2.7","prefixlen":24}]}])",
            R"([{"dst":"default","gateway":"192.0.2.1","dev":"eth7","protocol":"dhcp"},{"dst":"192.0.2.0/24","dev":"eth7","protocol":"kernel"}])",
            "[]");
        ConfigDocument fresh;
        QVERIFY(fresh.applyLenient(HostConfig::withLoopback(), json, QStringLiteral("i"), QStringLiteral("json")).isEmpty());
        const InterfaceConfig* eth7 = fresh.config().findInterface("eth7");
        QVERIFY(eth7);
        QCOMPARE(eth7->mtu, 1400u);
        QVERIFY(eth7->up);
        QCOMPARE(fresh.config().routes.size(), std::size_t(1));
    }

    void mainWindowMarksEditsAndHighlights() {
        MainWindow w;
        w.setInteractive(false);
        w.session()->load(test::makeHost(), test::makeFrames(), {QStringLiteral("host.scn")});
        EditorsDock* dock = w.editors();
        QVERIFY(dock);
        QTRY_VERIFY_WITH_TIMEOUT(!dock->whatIfRunning(), 20000);
        QVERIFY(!w.isWindowModified());
        QSignalSpy finished(dock, &EditorsDock::whatIfFinished);
        QVERIFY(!dock->document()->applyCommands(QStringLiteral("iptables -A INPUT -p udp --dport 53 -j DROP")));
        QVERIFY(w.isWindowModified());
        // The session now simulates the edited host.
        QCOMPARE(w.session()->stepper()->config().iptables.size(), std::size_t(1));
        QVERIFY(finished.wait(20000));
        QVERIFY(dock->fateChanged(1));
        dock->document()->undoStack()->undo();
        QVERIFY(!w.isWindowModified());
        QVERIFY(dock->showTab(QStringLiteral("sysctls")));
        QVERIFY(!dock->showTab(QStringLiteral("nonsense")));
    }
};

QTEST_MAIN(EditorsTest)
#include "ui_editors_test.moc"
