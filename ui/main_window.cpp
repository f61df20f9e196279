// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include "ui/charts_panel.h"
#ifdef STACKSCOPE_HAVE_LIVE
#include "ui/live_controller.h"
#endif
#include "ui/counters_panel.h"
#include "ui/drops_model.h"
#include "ui/examples.h"
#include "ui/inspector.h"
#include "ui/narration_panel.h"
#include "ui/packet_list_model.h"
#include "ui/session.h"
#include "ui/stack_scene.h"
#include "ui/stack_view.h"
#include "ui/transport_bar.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QVBoxLayout>

namespace stackscope::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName(QStringLiteral("mainWindow"));
    setWindowIcon(QIcon(QStringLiteral(":/stackscope/stackscope.svg")));
    setAcceptDrops(true);
    setDockNestingEnabled(true);
    m_session = new Session(this);
    m_scene = new StackScene(m_session, this);
    m_view = new StackView(m_scene, this);
    m_scene->setPalette(m_view->palette());
    setCentralWidget(m_view);
    m_transport = new TransportBar(m_session, this);
    m_transport->setIconSize(QSize(24, 24));
    addToolBar(Qt::TopToolBarArea, m_transport);

    m_narration = new NarrationPanel(m_session, this);
    m_packets = new PacketListModel(m_session, this);
    m_drops = new DropsModel(m_session, this);
    m_inspector = new Inspector(m_session, this);
    m_counters = new CountersPanel(m_session, this);
    m_charts = new ChartsPanel(m_session, this);
    createDocks();
    createActions();
    setupEditors();
    setupTools();

    connect(m_scene, &StackScene::stageActivated, m_narration, &NarrationPanel::showStage);
    connect(m_scene, &StackScene::stageActivated, this, [this] { m_narrationDock->raise(); });
    connect(m_session, &Session::breakpointHit, this, [this](const QString& what) {
        statusBar()->showMessage(what, 8000);
    });
    connect(m_session, &Session::cursorMoved, this, [this] {
        const TraceEvent* e = m_session->current();
        if (!e || e->packet == kNoPacket || m_session->running()) return;
        const int row = m_packets->rowOf(e->packet);
        if (row < 0) return;
        // Follow the cursor without re-triggering the jump the selection causes.
        m_followingCursor = true;
        m_packetTable->selectRow(row);
        m_packetTable->scrollTo(m_packets->index(row, 0));
        m_followingCursor = false;
    });
    connect(m_session, &Session::loaded, this, &MainWindow::updateTitle);

    statusBar()->showMessage(tr("Open a scenario (*.scn) or a capture (*.pcap) with Ctrl+O, or drop it here."));
    resize(1500, 950);
    restoreLayout();
    updateTitle();
}

QDockWidget* MainWindow::addDock(QWidget* widget, const QString& title, const QString& objectName,
                                 Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(objectName);
    dock->setWidget(widget);
    addDockWidget(area, dock);
    m_docks << dock;
    return dock;
}

void MainWindow::createDocks() {
    m_narrationDock = addDock(m_narration, tr("Narration"), QStringLiteral("narrationDock"), Qt::RightDockWidgetArea);

    auto* packetsPane = new QWidget(this);
    m_filter = new QLineEdit(packetsPane);
    m_filter->setObjectName(QStringLiteral("packetFilter"));
    m_filter->setPlaceholderText(tr("Filter: address, protocol, fate or drop reason (Enter)"));
    m_filter->setClearButtonEnabled(true);
    m_packetTable = new QTableView(packetsPane);
    m_packetTable->setObjectName(QStringLiteral("packetTable"));
    m_packetTable->setModel(m_packets);
    m_packetTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_packetTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_packetTable->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_packetTable->verticalHeader()->setDefaultSectionSize(m_packetTable->fontMetrics().height() + 6);
    m_packetTable->verticalHeader()->hide();
    m_packetTable->horizontalHeader()->setStretchLastSection(true);
    m_packetTable->setWordWrap(false);
    m_packetTable->setColumnWidth(PacketListModel::Number, 70);
    m_packetTable->setColumnWidth(PacketListModel::Time, 120);
    m_packetTable->setColumnWidth(PacketListModel::Source, 130);
    m_packetTable->setColumnWidth(PacketListModel::Destination, 130);
    m_packetTable->setColumnWidth(PacketListModel::Protocol, 70);
    m_packetTable->setColumnWidth(PacketListModel::Length, 60);
    m_packetTable->setColumnWidth(PacketListModel::Fate, 150);
    m_packetTable->setColumnWidth(PacketListModel::Reason, 150);
    auto* filterCount = new QLabel(packetsPane);
    auto* top = new QHBoxLayout;
    top->addWidget(m_filter);
    top->addWidget(filterCount);
    auto* layout = new QVBoxLayout(packetsPane);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(top);
    layout->addWidget(m_packetTable);
    connect(m_filter, &QLineEdit::returnPressed, this, [this] { m_packets->setFilter(m_filter->text()); });
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& t) {
        if (t.isEmpty()) m_packets->setFilter({});
    });
    connect(m_packets, &PacketListModel::filterFinished, filterCount, [filterCount, this](int n) {
        filterCount->setText(m_packets->filter().isEmpty() ? QString() : tr("%1 match").arg(n));
    });
    connect(m_packetTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& index) {
                if (!m_followingCursor) jumpToPacketRow(index.row());
            });
    QDockWidget* packetsDock = addDock(packetsPane, tr("Packets"), QStringLiteral("packetsDock"), Qt::BottomDockWidgetArea);

    m_dropTable = new QTableView(this);
    m_dropTable->setObjectName(QStringLiteral("dropTable"));
    m_dropTable->setModel(m_drops);
    m_dropTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_dropTable->verticalHeader()->hide();
    m_dropTable->horizontalHeader()->setStretchLastSection(true);
    m_dropTable->setColumnWidth(DropsModel::Reason, 190);
    m_dropTable->setColumnWidth(DropsModel::Stage, 150);
    m_dropTable->setColumnWidth(DropsModel::Function, 200);
    connect(m_dropTable, &QTableView::doubleClicked, this,
            [this](const QModelIndex& index) { jumpToEvent(m_drops->firstEventAt(index.row())); });
    QDockWidget* dropsDock = addDock(m_dropTable, tr("Drops"), QStringLiteral("dropsDock"), Qt::BottomDockWidgetArea);
    tabifyDockWidget(packetsDock, dropsDock);
    packetsDock->raise();

    QDockWidget* inspectorDock = addDock(m_inspector, tr("Inspector"), QStringLiteral("inspectorDock"), Qt::RightDockWidgetArea);
    QDockWidget* countersDock = addDock(m_counters, tr("Counters"), QStringLiteral("countersDock"), Qt::RightDockWidgetArea);
    splitDockWidget(m_narrationDock, inspectorDock, Qt::Vertical);
    QDockWidget* chartsDock = addDock(m_charts, tr("Charts"), QStringLiteral("chartsDock"), Qt::RightDockWidgetArea);
    tabifyDockWidget(inspectorDock, countersDock);
    tabifyDockWidget(countersDock, chartsDock);
    inspectorDock->raise();
    resizeDocks({m_narrationDock}, {380}, Qt::Horizontal);
    resizeDocks({m_narrationDock, inspectorDock}, {420, 330}, Qt::Vertical);
    resizeDocks({packetsDock}, {200}, Qt::Vertical);
}

void MainWindow::createActions() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open…"), this, &MainWindow::openDialog);
    open->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Open &recent"));
    rebuildRecentMenu();
    file->addAction(tr("Open the &demo"), this, &MainWindow::openDemo);
    QMenu* examples = file->addMenu(tr("Open an e&xample"));
    examples->setObjectName(QStringLiteral("examplesMenu"));
    examples->setToolTipsVisible(true);
    for (const ExampleScenario& e : bundledExamples()) {
        QAction* a =
            examples->addAction(e.title, this, [this, name = e.fileName] { openExample(name); });
        a->setToolTip(e.description);
        a->setStatusTip(e.title);
        a->setData(e.fileName);
    }
    file->addSeparator();
    QAction* exportAction = file->addAction(tr("&Export diagram…"), this, &MainWindow::exportDiagram);
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    QAction* zoomIn = view->addAction(tr("Zoom &in"), m_view, &StackView::zoomIn);
    zoomIn->setShortcuts({QKeySequence::ZoomIn, QKeySequence(Qt::CTRL | Qt::Key_Equal)});
    QAction* zoomOut = view->addAction(tr("Zoom &out"), m_view, &StackView::zoomOut);
    zoomOut->setShortcut(QKeySequence::ZoomOut);
    QAction* fit = view->addAction(tr("&Fit to window"), m_view, &StackView::fitToWindow);
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    view->addSeparator();
    m_presentationAction = view->addAction(tr("&Presentation mode"));
    m_presentationAction->setCheckable(true);
    m_presentationAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    connect(m_presentationAction, &QAction::toggled, this, &MainWindow::setPresentationMode);
    // The menu bar is hidden in presentation mode, so Escape is the way out.
    auto* leave = new QAction(tr("Leave presentation mode"), this);
    leave->setShortcut(QKeySequence(Qt::Key_Escape));
    connect(leave, &QAction::triggered, this, [this] { setPresentationMode(false); });
    addAction(leave);
    view->addSeparator();
    for (QDockWidget* dock : m_docks) view->addAction(dock->toggleViewAction());
    view->addAction(m_transport->toggleViewAction());

    QMenu* sim = menuBar()->addMenu(tr("&Simulation"));
    for (QAction* a : {m_transport->runAction(), m_transport->stepAction(), m_transport->stepPacketAction(),
                       m_transport->stepBackAction(), m_transport->stepPacketBackAction(),
                       m_transport->resetAction()})
        sim->addAction(a);
    sim->addSeparator();
    sim->addAction(m_transport->breakOnDropAction());
    sim->addAction(tr("Clear stage breakpoints"), this, [this] {
        for (int i = 0; i < int(Stage::Count); ++i)
            if (m_session->hasBreakpoint(Stage(i))) m_session->toggleBreakpoint(Stage(i));
    });
#ifdef STACKSCOPE_HAVE_LIVE
    sim->addSeparator();
    setupLive(sim);
#endif

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&Keyboard shortcuts"), this, &MainWindow::showShortcuts)->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About Stackscope"), this, &MainWindow::showAbout);
}

void MainWindow::restoreLayout() {
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray(), kStateVersion);
}

void MainWindow::closeEvent(QCloseEvent* event) {
#ifdef STACKSCOPE_HAVE_LIVE
    if (m_live) m_live->stop();
#endif
    if (m_presentation) setPresentationMode(false);
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState(kStateVersion));
    event->accept();
}

void MainWindow::setPresentationMode(bool on) {
    if (on == m_presentation) return;
    m_presentation = on;
    if (m_presentationAction->isChecked() != on) m_presentationAction->setChecked(on);
    if (on) {
        m_statusBeforePresentation = saveState(kStateVersion);
        m_wasFullScreen = isFullScreen();
        for (QDockWidget* dock : m_docks) dock->setVisible(dock == m_narrationDock);
        // The narration goes under the diagram so the diagram keeps the full width.
        addDockWidget(Qt::BottomDockWidgetArea, m_narrationDock);
        resizeDocks({m_narrationDock}, {height() / 4}, Qt::Vertical);
        m_transport->setIconSize(QSize(36, 36));
        QFont big = m_transport->font();
        big.setPointSizeF(15);
        m_transport->setFont(big);
        menuBar()->hide();
        statusBar()->hide();
        if (!m_wasFullScreen) showFullScreen();
    } else {
        if (!m_wasFullScreen) showNormal();
        m_transport->setIconSize(QSize(24, 24));
        m_transport->setFont(QFont());
        menuBar()->show();
        statusBar()->show();
        restoreState(m_statusBeforePresentation, kStateVersion);
    }
    m_narration->setLargeText(on);
    m_scene->setPresentation(on);
    m_view->setPresentation(on);
}

void MainWindow::jumpToEvent(std::uint64_t seq) {
    if (seq == kNoSeq || !m_session->isLoaded()) return;
    m_session->setRunning(false);
    m_session->seek(seq + 1);
}

void MainWindow::jumpToPacketRow(int row) {
    const PacketId packet = m_packets->packetAt(row);
    if (packet == kNoPacket || !m_session->isLoaded()) return;
    const PacketState* s = m_session->state().packet(packet);
    if (s && s->firstSeq != kNoSeq) return jumpToEvent(s->firstSeq);
    // Not simulated yet: a worker runs ahead so the window stays responsive.
    seekToPacket(packet);
}

void MainWindow::showShortcuts() {
    const QString rows = QStringLiteral(
        "<tr><td><b>F10</b></td><td>step one stage (one kernel function)</td></tr>"
        "<tr><td><b>F11</b></td><td>step to the next packet</td></tr>"
        "<tr><td><b>Shift+F10</b></td><td>step back one stage</td></tr>"
        "<tr><td><b>Shift+F11</b></td><td>back to the current packet's first stage</td></tr>"
        "<tr><td><b>F5</b> or <b>Space</b></td><td>run / pause</td></tr>"
        "<tr><td><b>Ctrl+Home</b></td><td>reset to the start</td></tr>"
        "<tr><td><b>Ctrl+wheel</b>, <b>Ctrl++</b>, <b>Ctrl+-</b></td><td>zoom the diagram</td></tr>"
        "<tr><td><b>Ctrl+0</b></td><td>fit the diagram to the window</td></tr>"
        "<tr><td>drag</td><td>pan the diagram</td></tr>"
        "<tr><td>right-click a box</td><td>break on that stage or its hook chain, or add a rule breakpoint</td></tr>"
        "<tr><td><b>Ctrl+B</b></td><td>add a breakpoint: stage, hook chain, rule, drop reason or packet filter</td></tr>"
        "<tr><td>click a box</td><td>explain that stage in the narration</td></tr>"
        "<tr><td><b>Ctrl+Shift+P</b></td><td>presentation mode (large, docks hidden); <b>Esc</b> leaves it</td></tr>"
        "<tr><td><b>Ctrl+O</b></td><td>open a scenario or capture</td></tr>"
        "<tr><td><b>Ctrl+E</b></td><td>export the diagram as SVG or PNG</td></tr>");
    QMessageBox box(this);
    box.setWindowTitle(tr("Keyboard shortcuts"));
    box.setTextFormat(Qt::RichText);
    box.setText(QStringLiteral("<table cellspacing=6>%1</table>").arg(rows));
    box.exec();
}

void MainWindow::updateTitle() {
    QStringList names;
    for (const QString& s : m_session->sources()) names << QFileInfo(s).fileName();
    // [*] is where Qt puts the modified marker once the host configuration is edited.
    setWindowTitle(names.isEmpty() ? tr("Stackscope[*]") : tr("%1[*] — Stackscope").arg(names.join(QStringLiteral(", "))));
}

} // namespace stackscope::ui
