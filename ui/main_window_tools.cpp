// SPDX-License-Identifier: GPL-3.0-or-later
// The main window's debugging tools: the Breakpoints dock and its menu entries,
// breakpoints from the drops table, seeking to a packet on a worker, and the
// About dialog.
#include "ui/main_window.h"

#include "ui/about_dialog.h"
#include "ui/breakpoints.h"
#include "ui/drops_model.h"
#include "ui/packet_seeker.h"
#include "ui/session.h"

#include <QAction>
#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QTableView>

namespace stackscope::ui {

void MainWindow::setupTools() {
    m_seeker = new PacketSeeker(m_session, this);
    m_breakpointsPanel = new BreakpointsPanel(m_session->breakpoints(), this);
    QDockWidget* dock = addDock(m_breakpointsPanel, tr("Breakpoints"), QStringLiteral("breakpointsDock"),
                                Qt::BottomDockWidgetArea);
    if (QDockWidget* drops = m_dropTable ? qobject_cast<QDockWidget*>(m_dropTable->parentWidget()) : nullptr)
        tabifyDockWidget(drops, dock);
    attachDropsBreakpointMenu(m_dropTable, m_drops, m_session->breakpoints());
    if (auto* packets = findChild<QDockWidget*>(QStringLiteral("packetsDock"))) packets->raise();

    for (QAction* a : menuBar()->actions()) {
        QMenu* menu = a->menu();
        if (!menu) continue;
        if (menu->objectName() == QLatin1String("viewMenu") || a->text() == tr("&View")) {
            menu->addAction(dock->toggleViewAction());
        } else if (a->text() == tr("&Simulation")) {
            menu->addSeparator();
            QAction* add = menu->addAction(tr("Add &breakpoint…"), m_breakpointsPanel, &BreakpointsPanel::addWithDialog);
            add->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_B));
            menu->addAction(tr("Show breakpoints"), this, [dock] {
                dock->show();
                dock->raise();
            });
            menu->addAction(tr("Clear all breakpoints"), m_session->breakpoints(), &BreakpointList::clear);
        }
    }
}

void MainWindow::seekToPacket(PacketId packet) { m_seeker->seek(packet); }

void MainWindow::showAbout() {
    AboutDialog about(this);
    connect(&about, &AboutDialog::helpRequested, this, [this, &about] {
        about.accept();
        showShortcuts();
    });
    about.exec();
}

} // namespace stackscope::ui
