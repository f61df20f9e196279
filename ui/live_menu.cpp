// SPDX-License-Identifier: GPL-3.0-or-later
// The live part of the main window: the Simulation menu entries and the LIVE indicator.
#include "ui/live_controller.h"
#include "ui/live_dialog.h"
#include "ui/main_window.h"
#include "ui/session.h"

#include <QAction>
#include <QFileDialog>
#include <QLabel>
#include <QMenu>
#include <QStatusBar>

namespace stackscope::ui {

void MainWindow::setupLive(QMenu* sim) {
    m_live = new LiveController(m_session, this);
    m_liveLabel = new QLabel(this);
    m_liveLabel->setObjectName(QStringLiteral("liveIndicator"));
    m_liveLabel->setVisible(false);
    statusBar()->addPermanentWidget(m_liveLabel);

    sim->addAction(tr("Live on &TAP device..."), this,
                   [this] { runLiveDialog(this, m_live, m_session, LiveKind::Tap); });
    sim->addAction(tr("Live &capture from interface..."), this,
                   [this] { runLiveDialog(this, m_live, m_session, LiveKind::Capture); });
    QAction* pause = sim->addAction(tr("&Pause live"));
    pause->setCheckable(true);
    connect(pause, &QAction::toggled, m_live, &LiveController::setPaused);
    QAction* record = sim->addAction(tr("&Record live session..."), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Record live session"),
                                                          QString(), tr("Captures (*.pcap)"));
        if (path.isEmpty()) return;
        QString error, replay;
        if (!m_live->record(path, &error, &replay))
            showLiveError(this, tr("Recording failed"), error);
        else
            statusBar()->showMessage(tr("Recorded; replay with: %1").arg(replay), 15000);
    });
    QAction* stop = sim->addAction(tr("&Stop live"), m_live, &LiveController::stop);
    for (QAction* a : {pause, record, stop})
        a->setEnabled(false);
    connect(m_live, &LiveController::liveChanged, this, [this, pause, record, stop](bool live) {
        pause->setEnabled(live);
        stop->setEnabled(live);
        record->setEnabled(true);
        updateLiveStatus();
    });
    connect(m_live, &LiveController::statsChanged, this, [this, pause] {
        if (pause->isChecked() != m_live->isPaused()) pause->setChecked(m_live->isPaused());
        updateLiveStatus();
    });
    connect(m_live, &LiveController::failed, this, [this](const QString& message) {
        if (m_interactive)
            showLiveError(this, tr("Live mode stopped"), message);
        else
            m_lastErrors << message;
        statusBar()->showMessage(message, 15000);
    });
}

void MainWindow::updateLiveStatus() {
    if (!m_live || !m_live->isLive()) {
        m_liveLabel->setVisible(false);
        return;
    }
    QStringList devices;
    for (const auto& s : m_live->stats())
        devices << s.interface + QLatin1Char('=') + s.device;
    m_liveLabel->setText(tr("<b style='color:#c0392b'>%1</b> %2 &nbsp; in %3 &nbsp; out %4")
                             .arg(m_live->isPaused() ? tr("LIVE (paused)") : tr("LIVE"),
                                  devices.join(QLatin1Char(' ')))
                             .arg(m_live->framesIn())
                             .arg(m_live->framesOut()));
    m_liveLabel->setVisible(true);
}

} // namespace stackscope::ui
