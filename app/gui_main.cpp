// SPDX-License-Identifier: GPL-3.0-or-later
// stackscope [FILE...]: opens scenarios and captures (told apart by content);
// with no file, the bundled demo.
#include "ui/editors/config_document.h"
#include "ui/editors/editors_dock.h"
#include "ui/main_window.h"
#include "ui/session.h"
#ifdef STACKSCOPE_HAVE_LIVE
#include "ui/live_dialog.h"
#endif

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QPalette>
#include <QStyleFactory>
#include <QTimer>

#include <cstdio>

namespace {

QPalette darkPalette() {
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x2b, 0x2d, 0x31));
    p.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::Base, QColor(0x1e, 0x1f, 0x22));
    p.setColor(QPalette::AlternateBase, QColor(0x2f, 0x32, 0x38));
    p.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::Button, QColor(0x34, 0x37, 0x3c));
    p.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::Highlight, QColor(0xf2, 0xb1, 0x34));
    p.setColor(QPalette::HighlightedText, QColor(0x10, 0x10, 0x10));
    p.setColor(QPalette::ToolTipBase, QColor(0x34, 0x37, 0x3c));
    p.setColor(QPalette::ToolTipText, QColor(0xe6, 0xe6, 0xe6));
    p.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9a, 0x9a));
    return p;
}

} // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Stackscope"));
    QApplication::setOrganizationName(QStringLiteral("Stackscope"));
    QApplication::setApplicationVersion(QStringLiteral(STACKSCOPE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("A microscope for the Linux network stack."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("FILE"),
                                 QStringLiteral("Scenario (.scn) or capture (.pcap, .pcapng); IFACE=CAPTURE "
                                                "chooses the receiving interface."),
                                 QStringLiteral("[FILE...]"));
    // Hidden options for documentation screenshots and the smoke test.
    QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Save the window to FILE and exit."),
                                  QStringLiteral("FILE"));
    QCommandLineOption steps(QStringLiteral("steps"), QStringLiteral("Stages to step first."), QStringLiteral("N"), QStringLiteral("0"));
    QCommandLineOption packets(QStringLiteral("packets"), QStringLiteral("Packets to step first."), QStringLiteral("N"), QStringLiteral("0"));
    QCommandLineOption presentation(QStringLiteral("presentation"), QStringLiteral("Start in presentation mode."));
    QCommandLineOption dark(QStringLiteral("dark"), QStringLiteral("Use a dark palette."));
    QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size for the screenshot."), QStringLiteral("WxH"),
                            QStringLiteral("1600x1000"));
    // Host editors for screenshots: the tab to show and commands to apply first.
    QCommandLineOption editorTab(QStringLiteral("editor-tab"), QStringLiteral("Show the host editors on tab NAME."),
                                 QStringLiteral("NAME"));
    QCommandLineOption edit(QStringLiteral("edit"), QStringLiteral("Apply a command to the host (what-if)."),
                            QStringLiteral("COMMAND"));
    // Live mode from the command line: the scenario interface bound to a TAP; the screenshot
    // is taken after the given seconds of live traffic.
    QCommandLineOption liveTap(QStringLiteral("live"), QStringLiteral("Go live with IFACE on TAP device TAP."),
                               QStringLiteral("IFACE=TAP"));
    QCommandLineOption liveSeconds(QStringLiteral("live-seconds"), QStringLiteral("Seconds of live traffic before the screenshot."),
                                   QStringLiteral("N"), QStringLiteral("2"));
    for (QCommandLineOption* o : {&screenshot, &steps, &packets, &presentation, &dark, &size, &editorTab, &edit,
                                  &liveTap, &liveSeconds}) {
        o->setFlags(QCommandLineOption::HiddenFromHelp);
        parser.addOption(*o);
    }
    parser.process(app);

    if (parser.isSet(dark)) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(darkPalette());
    }

    stackscope::ui::MainWindow window;
    const bool shooting = parser.isSet(screenshot);
    const bool goLive = parser.isSet(liveTap);
#ifdef STACKSCOPE_HAVE_LIVE
    if (goLive) {
        QObject::connect(&window, &stackscope::ui::MainWindow::loadFinished, &window, [&](bool ok) {
            const QStringList binding = parser.value(liveTap).split(QLatin1Char('='));
            QString advice = QStringLiteral("--live wants IFACE=TAP");
            if (!ok || binding.size() != 2 ||
                !stackscope::ui::startLive(window.liveController(), window.session(), stackscope::ui::LiveKind::Tap,
                                           binding[0], binding[1], {}, &advice)) {
                std::fprintf(stderr, "%s\n", qPrintable(advice));
                QApplication::exit(1);
            }
        });
    }
#else
    if (goLive) {
        std::fprintf(stderr, "this build has no live mode\n");
        return 1;
    }
#endif
    if (shooting) {
        window.setInteractive(false);
        const QStringList wh = parser.value(size).split(QLatin1Char('x'));
        window.resize(wh.value(0).toInt(), wh.value(1).toInt());
        QObject::connect(&window, &stackscope::ui::MainWindow::loadFinished, &window, [&](bool ok) {
            auto* session = window.session();
            for (int i = 0; ok && i < parser.value(packets).toInt(); ++i) session->stepPacket();
            for (int i = 0; ok && i < parser.value(steps).toInt(); ++i) session->stepForward();
            if (ok && parser.isSet(editorTab)) {
                auto* editors = window.editors();
                if (auto* dock = qobject_cast<QDockWidget*>(editors->parent())) {
                    dock->show();
                    dock->raise();
                    window.resizeDocks({dock}, {window.height() / 2}, Qt::Vertical);
                }
                editors->showTab(parser.value(editorTab));
                for (const QString& command : parser.values(edit)) editors->document()->applyCommands(command);
            }
            // Let the last token animation finish before grabbing.
            const int delayMs = goLive ? int(parser.value(liveSeconds).toDouble() * 1000) : 1600;
            QTimer::singleShot(delayMs, &window, [&, ok] {
                const bool saved = window.grab().save(parser.value(screenshot));
                QApplication::exit(ok && saved ? 0 : 1);
            });
        });
    }
    window.show();
    if (parser.isSet(presentation)) window.setPresentationMode(true);

    const QStringList files = parser.positionalArguments();
    QTimer::singleShot(0, &window, [&window, files] {
        if (files.isEmpty())
            window.openDemo();
        else
            window.openFiles(files);
    });
    return app.exec();
}
