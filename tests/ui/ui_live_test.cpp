// SPDX-License-Identifier: GPL-3.0-or-later
// Live mode in the main window, on a SOCK_SEQPACKET socket pair standing in for a TAP
// (it keeps frame boundaries as a TAP does), so no privileges are needed: ARP and ping
// are answered through the pair, the packet list grows, and frames that arrive while
// paused fill the 4-descriptor RX ring until the NIC drops them.
#include "live/tap_device.h"
#include "scenario/scenario.h"
#include "sim/counters.h"
#include "ui/live_controller.h"
#include "ui/live_dialog.h"
#include "ui/main_window.h"
#include "ui/packet_list_model.h"
#include "ui/session.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#include <QLabel>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/socket.h>
#include <unistd.h>

using namespace stackscope;
using namespace stackscope::ui;

namespace {

const MacAddress kSimMac{{0x02, 0, 0, 0, 0x99, 0x02}};
const MacAddress kRealMac{{0x02, 0, 0, 0, 0x99, 0x01}};

constexpr const char* kScenario = R"(ip link set dev lo up
ip link set dev eth0 address 02:00:00:00:99:02 up
ip addr add 10.99.0.2/24 dev eth0
ethtool -G eth0 rx 4
)";

std::vector<std::uint8_t> arpRequest() {
    std::vector<std::uint8_t> f(14 + 28);
    wire::EthernetRepr{MacAddress::broadcast(), kRealMac, wire::kEtherTypeArp, std::nullopt}
        .writeTo(f);
    wire::ArpRepr{wire::kArpRequest, kRealMac, *Ipv4Address::parse("10.99.0.1"), MacAddress{},
                  *Ipv4Address::parse("10.99.0.2")}
        .writeTo(std::span<std::uint8_t>(f).subspan(14));
    return f;
}

std::vector<std::uint8_t> echoRequest(std::uint16_t seq) {
    std::vector<std::uint8_t> data(32, 'e');
    wire::IcmpRepr icmp{wire::kIcmpEcho, 0, wire::IcmpRepr::echoRest(0x1234, seq), data};
    std::vector<std::uint8_t> l4(icmp.bufferLength());
    icmp.writeTo(l4);
    std::vector<std::uint8_t> f(14 + 20 + l4.size());
    wire::EthernetRepr{kSimMac, kRealMac, wire::kEtherTypeIpv4, std::nullopt}.writeTo(f);
    wire::Ipv4Repr ip;
    ip.src = *Ipv4Address::parse("10.99.0.1");
    ip.dst = *Ipv4Address::parse("10.99.0.2");
    ip.protocol = wire::kIpProtoIcmp;
    ip.payloadLength = std::uint16_t(l4.size());
    ip.writeTo(std::span<std::uint8_t>(f).subspan(14, 20));
    std::copy(l4.begin(), l4.end(), f.begin() + 34);
    return f;
}

std::vector<std::vector<std::uint8_t>> drain(int fd) {
    std::vector<std::vector<std::uint8_t>> frames;
    for (;;) {
        std::vector<std::uint8_t> f(2048);
        const ssize_t n = ::recv(fd, f.data(), f.size(), MSG_DONTWAIT);
        if (n <= 0) break;
        f.resize(std::size_t(n));
        frames.push_back(std::move(f));
    }
    return frames;
}

std::uint16_t etherType(const std::vector<std::uint8_t>& f) {
    return std::uint16_t(f[12] << 8 | f[13]);
}

} // namespace

class UiLiveTest : public QObject {
    Q_OBJECT
  private slots:
    void answersThroughTheTapAndDropsWhenPaused();
};

void UiLiveTest::answersThroughTheTapAndDropsWhenPaused() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString scn = dir.filePath(QStringLiteral("live.scn"));
    {
        QFile f(scn);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kScenario);
    }
    scenario::ScenarioResult r = scenario::readScenario(kScenario, "live.scn");
    QVERIFY(r.errors.empty());
    const HostConfig config = r.config;
    const int eth0 = config.findInterface("eth0")->ifindex;

    MainWindow window;
    window.setInteractive(false);
    Session* session = window.session();
    session->load(config, nullptr, {scn});
    LiveController* live = window.liveController();
    QVERIFY(live);

    // A TAP that cannot be opened leaves live mode off, with advice to show.
    QString advice;
    QVERIFY(!startLive(live, session, LiveKind::Tap, QStringLiteral("eth0"),
                       QStringLiteral("bad/name"), {}, &advice));
    QVERIFY(!advice.isEmpty());
    QVERIFY(!live->isLive());
    QVERIFY(!startLive(live, session, LiveKind::Tap, QStringLiteral("eth9"), QStringLiteral("tap0"),
                       {}, &advice));
    QVERIFY(advice.contains(QLatin1String("eth9")));

    int sv[2];
    QCOMPARE(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    const int real = sv[0];
    live->addTap(QStringLiteral("eth0"), live::TapDevice::adopt(sv[1], "faketap0"));
    live->start(config, {scn});
    QVERIFY(live->isLive());
    auto* indicator = window.statusBar()->findChild<QLabel*>(QStringLiteral("liveIndicator"));
    QVERIFY(indicator);
    QVERIFY(indicator->text().contains(QLatin1String("LIVE")));

    const auto send = [real](const std::vector<std::uint8_t>& f) {
        QCOMPARE(::send(real, f.data(), f.size(), 0), ssize_t(f.size()));
    };
    const int rowsBefore = window.packetModel()->rowCount();

    // ARP first: the answer tells the real side the simulated MAC.
    send(arpRequest());
    // QTRY_* evaluates its condition once more at the end: collect, then test what was collected.
    std::vector<std::vector<std::uint8_t>> out;
    const auto collect = [&out, real] {
        for (auto& f : drain(real))
            out.push_back(std::move(f));
        return out.size();
    };
    QTRY_VERIFY_WITH_TIMEOUT(collect() > 0, 3000);
    QCOMPARE(out.size(), std::size_t(1));
    QCOMPARE(etherType(out[0]), wire::kEtherTypeArp);
    QCOMPARE(int(out[0][14 + 7]), int(wire::kArpReply)); // ARP opcode, low byte

    out.clear();
    send(echoRequest(1));
    QTRY_VERIFY_WITH_TIMEOUT(collect() > 0, 3000);
    QCOMPARE(out.size(), std::size_t(1));
    QCOMPARE(etherType(out[0]), wire::kEtherTypeIpv4);
    QCOMPARE(int(out[0][14 + 20]), int(wire::kIcmpEchoReply));
    QCOMPARE(live->framesIn(), std::uint64_t(2));
    QCOMPARE(live->framesOut(), std::uint64_t(2));
    QVERIFY(window.packetModel()->rowCount() > rowsBefore);
    QCOMPARE(session->stepper()->counters().link(eth0, LinkStat::rx_missed_errors),
             std::uint64_t(0));

    // Paused: the NIC still takes frames, nobody drains the ring, so 4 fit and 6 drop.
    live->setPaused(true);
    QVERIFY(indicator->text().contains(QLatin1String("paused")));
    const std::uint64_t position = session->position();
    for (std::uint16_t i = 0; i < 10; ++i)
        send(echoRequest(std::uint16_t(10 + i)));
    QTRY_COMPARE_WITH_TIMEOUT(live->framesIn(), std::uint64_t(12), 3000);
    QTRY_COMPARE_WITH_TIMEOUT(session->stepper()->counters().link(eth0, LinkStat::rx_missed_errors),
                              std::uint64_t(6), 3000);
    QVERIFY(session->position() > position);
    QVERIFY(session->current()->context == Context::HardIrq); // no softirq ran
    QVERIFY(drain(real).empty());

    // Resumed: the four queued requests are answered.
    live->setPaused(false);
    out.clear();
    QTRY_COMPARE_WITH_TIMEOUT(collect(), std::size_t(4), 3000);
    for (const auto& f : out)
        QCOMPARE(int(f[14 + 20]), int(wire::kIcmpEchoReply));

    // Record writes the capture and the scenario copy.
    QString error, replay;
    QVERIFY2(live->record(dir.filePath(QStringLiteral("rec.pcap")), &error, &replay),
             qPrintable(error));
    QVERIFY(QFileInfo(dir.filePath(QStringLiteral("rec.pcap"))).size() > 24);
    QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("rec.scn"))));
    QVERIFY(replay.contains(QLatin1String("eth0=")));

    // Loading something else ends live mode and closes the device.
    session->load(config, nullptr, {scn});
    QVERIFY(!live->isLive());
    QVERIFY(!indicator->isVisible());
    const std::uint8_t probe = 0;
    QCOMPARE(::send(real, &probe, 1, MSG_DONTWAIT | MSG_NOSIGNAL), ssize_t(-1)); // the peer is closed
    live->stop();
    QVERIFY(!live->isLive());
    QVERIFY(!indicator->isVisible());
    ::close(real);
}

QTEST_MAIN(UiLiveTest)
#include "ui_live_test.moc"
