// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/editors/editors_dock.h"

#include "scenario/scenario.h"
#include "ui/editors/command_dialog.h"
#include "ui/editors/counter_diff_model.h"
#include "ui/editors/host_models.h"
#include "ui/editors/netfilter_models.h"
#include "ui/editors/sysctl_model.h"

#include <QAction>
#include <QComboBox>
#include <QFileDialog>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace stackscope::ui {
namespace {
const QStringList kTabNames{QStringLiteral("netfilter"), QStringLiteral("routes"),     QStringLiteral("neighbours"),
                            QStringLiteral("sockets"),   QStringLiteral("interfaces"), QStringLiteral("sysctls"),
                            QStringLiteral("qdiscs"),    QStringLiteral("what-if")};

void setupTable(QTableView* view) {
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->verticalHeader()->hide();
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    view->horizontalHeader()->setStretchLastSection(true);
    view->setWordWrap(false);
    view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                          QAbstractItemView::AnyKeyPressed);
}

int selectedRow(QAbstractItemView* view) {
    const QModelIndex i = view->selectionModel() ? view->selectionModel()->currentIndex() : QModelIndex();
    return i.isValid() ? i.row() : -1;
}
} // namespace

EditorsDock::EditorsDock(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("hostEditors"));
    m_doc = new ConfigDocument(this);
    m_runner = new WhatIfRunner(this);
    m_chains = new ChainsModel(m_doc, this);
    m_rules = new RulesModel(m_doc, this);
    m_routes = new RoutesModel(m_doc, this);
    m_neighbours = new NeighboursModel(m_doc, this);
    m_sockets = new SocketsModel(m_doc, this);
    m_interfaces = new InterfacesModel(m_doc, this);
    m_sysctls = new SysctlModel(m_doc, this);
    m_qdiscs = new QdiscsModel(m_doc, this);
    m_diff = new CounterDiffModel(this);

    m_undo = m_doc->undoStack()->createUndoAction(this, tr("&Undo"));
    m_undo->setShortcut(QKeySequence::Undo);
    m_undo->setIcon(QIcon::fromTheme(QStringLiteral("edit-undo")));
    m_redo = m_doc->undoStack()->createRedoAction(this, tr("&Redo"));
    m_redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence::Redo});
    m_redo->setIcon(QIcon::fromTheme(QStringLiteral("edit-redo")));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* bar = new QHBoxLayout;
    auto addButton = [&](const QString& text, const QString& tip, auto slot) {
        auto* b = new QToolButton(this);
        b->setText(text);
        b->setToolTip(tip);
        b->setToolButtonStyle(Qt::ToolButtonTextOnly);
        connect(b, &QToolButton::clicked, this, slot);
        bar->addWidget(b);
        return b;
    };
    addButton(tr("Command…"), tr("Type any scenario command: iptables, ip, sysctl, ethtool, tc, socket"),
              [this] { openCommandDialog(); });
    addButton(tr("Import…"), tr("iptables-save dump, `ip route` or `ip neigh` output, sysctl lines, scenario lines"),
              &EditorsDock::importFile);
    addButton(tr("Export…"), tr("iptables-save, `ip route`, `ip neigh` or sysctl format"), &EditorsDock::exportFile);
    addButton(tr("Import this machine"), tr("Read this computer's interfaces, addresses, routes, neighbours, sysctls and "
                                            "(with root) iptables rules"),
              &EditorsDock::importThisMachine);
    addButton(tr("Save scenario…"), tr("Write the edited host as a scenario file"), &EditorsDock::saveScenarioAs);
    addButton(tr("Load scenario…"), tr("Open a scenario file, keeping the loaded capture"), [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Load scenario"), {}, tr("Scenarios (*.scn);;All files (*)"));
        if (!path.isEmpty()) emit openScenarioRequested(path);
    });
    bar->addStretch();
    layout->addLayout(bar);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("hostEditorTabs"));
    m_tabs->addTab(buildNetfilterTab(), tr("Netfilter"));
    m_tabs->addTab(buildTableTab(m_routes, QStringLiteral("routeTable"), tr("Add route…"), QStringLiteral("ip route add "),
                                 [this](int r) { return m_routes->removeRoute(r); }, nullptr),
                   tr("Routes"));
    m_tabs->addTab(buildTableTab(m_neighbours, QStringLiteral("neighbourTable"), tr("Add neighbour…"),
                                 QStringLiteral("ip neigh replace "), [this](int r) { return m_neighbours->removeNeighbour(r); },
                                 nullptr),
                   tr("Neighbours"));
    QTableView* neighbourView = m_tabs->widget(2)->findChild<QTableView*>();
    neighbourView->setItemDelegateForColumn(NeighboursModel::State,
                                            new ChoiceDelegate({QStringLiteral("permanent"), QStringLiteral("noarp"),
                                                                QStringLiteral("reachable"), QStringLiteral("stale"),
                                                                QStringLiteral("failed")},
                                                               this));
    m_tabs->addTab(buildTableTab(m_sockets, QStringLiteral("socketTable"), tr("Open socket…"),
                                 QStringLiteral("socket udp bind 0.0.0.0:"), [this](int r) { return m_sockets->removeSocket(r); },
                                 nullptr),
                   tr("Sockets"));
    m_tabs->addTab(buildTableTab(m_interfaces, QStringLiteral("interfaceTable"), tr("Add link…"),
                                 QStringLiteral("ip link add "), {}, nullptr),
                   tr("Interfaces"));
    m_tabs->addTab(buildSysctlTab(), tr("Sysctls"));
    m_tabs->addTab(buildTableTab(m_qdiscs, QStringLiteral("qdiscTable"), tr("Set qdisc…"),
                                 QStringLiteral("tc qdisc replace dev eth0 root "), {}, nullptr),
                   tr("Qdiscs"));
    m_tabs->addTab(buildWhatIfTab(), tr("What-if"));
    layout->addWidget(m_tabs, 1);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("editorError"));
    styleAsError(m_error);
    m_error->hide();
    layout->addWidget(m_error);

    auto* status = new QHBoxLayout;
    m_summary = new QLabel(tr("Edit a table: the capture is re-run and packets whose fate changed are highlighted."), this);
    m_summary->setObjectName(QStringLiteral("whatIfSummary"));
    m_summary->setWordWrap(true);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(160);
    m_progress->setFormat(tr("re-run %p%"));
    m_progress->hide();
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->hide();
    connect(m_cancel, &QPushButton::clicked, this, &EditorsDock::cancelWhatIf);
    status->addWidget(m_summary, 1);
    status->addWidget(m_progress);
    status->addWidget(m_cancel);
    layout->addLayout(status);

    for (HostTableModel* m : std::initializer_list<HostTableModel*>{m_chains, m_rules, m_routes, m_neighbours, m_sockets,
                                                                    m_interfaces, m_sysctls, m_qdiscs})
        connectErrors(m);

    connect(m_doc, &ConfigDocument::edited, this, [this] {
        m_error->hide();
        emit configEdited();
        startRun();
    });
    auto* poll = new QTimer(this);
    poll->setInterval(100);
    connect(poll, &QTimer::timeout, this, [this] {
        const bool busy = m_runner->running();
        m_progress->setVisible(busy);
        m_cancel->setVisible(busy);
        if (busy) m_progress->setValue(m_runner->permille());
    });
    poll->start();
    connect(m_runner, &WhatIfRunner::finished, this, &EditorsDock::runFinished);
}

EditorsDock::~EditorsDock() = default;

void EditorsDock::connectErrors(HostTableModel* model) {
    connect(model, &HostTableModel::editFailed, this, &EditorsDock::showError);
}

void EditorsDock::showError(const QString& message) {
    m_error->setText(tr("Not applied: %1").arg(message));
    m_error->show();
    emit statusMessage(m_error->text());
}

QString EditorsDock::lastError() const {
    return m_error->isHidden() ? QString() : m_error->text();
}

QWidget* EditorsDock::buildNetfilterTab() {
    auto* page = new QWidget(this);
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Table:"), page));
    m_tableBox = new QComboBox(page);
    m_tableBox->setObjectName(QStringLiteral("netfilterTable"));
    for (auto t : {netfilter::TableId::Filter, netfilter::TableId::Nat, netfilter::TableId::Mangle,
                   netfilter::TableId::Raw, netfilter::TableId::Security})
        m_tableBox->addItem(qs(netfilter::tableName(t)), int(t));
    top->addWidget(m_tableBox);
    auto button = [&](const QString& text, const QString& tip, auto slot) {
        auto* b = new QPushButton(text, page);
        b->setToolTip(tip);
        connect(b, &QPushButton::clicked, this, slot);
        top->addWidget(b);
        return b;
    };
    button(tr("Add rule…"), tr("iptables -A CHAIN …"), [this] {
        openCommandDialog(QStringLiteral("iptables -t %1 -A %2 ").arg(qs(netfilter::tableName(m_rules->table())), m_rules->chain()));
    });
    button(tr("New chain…"), tr("iptables -N NAME"), [this] {
        openCommandDialog(QStringLiteral("iptables -t %1 -N ").arg(qs(netfilter::tableName(m_rules->table()))));
    });
    button(tr("Delete rule"), tr("iptables -D CHAIN N (Del)"), [this] { m_rules->removeRule(selectedRow(m_ruleView)); });
    button(tr("Move up"), tr("Earlier in the chain (Ctrl+Up); rules can also be dragged"), [this] { moveSelectedRule(-1); });
    button(tr("Move down"), tr("Later in the chain (Ctrl+Down)"), [this] { moveSelectedRule(1); });
    top->addStretch();
    layout->addLayout(top);

    auto* split = new QSplitter(Qt::Horizontal, page);
    m_chainView = new QTreeView(split);
    m_chainView->setObjectName(QStringLiteral("chainView"));
    m_chainView->setModel(m_chains);
    m_chainView->setRootIsDecorated(false);
    m_chainView->setItemDelegateForColumn(ChainsModel::Policy,
                                          new ChoiceDelegate({QStringLiteral("ACCEPT"), QStringLiteral("DROP")}, this));
    m_chainView->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_chainView->header()->setStretchLastSection(false);
    m_chainView->setColumnWidth(ChainsModel::Chain, 120);
    m_chainView->setColumnWidth(ChainsModel::Policy, 75);
    m_chainView->setColumnWidth(ChainsModel::Rules, 50);
    m_ruleView = new QTableView(split);
    m_ruleView->setObjectName(QStringLiteral("ruleTable"));
    m_ruleView->setModel(m_rules);
    setupTable(m_ruleView);
    m_ruleView->setDragEnabled(true);
    m_ruleView->setAcceptDrops(true);
    m_ruleView->setDropIndicatorShown(true);
    m_ruleView->setDragDropMode(QAbstractItemView::InternalMove);
    m_ruleView->setDefaultDropAction(Qt::MoveAction);
    m_ruleView->setDragDropOverwriteMode(false);
    const int widths[] = {30, 55, 65, 150, 45, 45, 45, 110, 110, 200, 380};
    for (int c = 0; c < int(std::size(widths)); ++c) m_ruleView->setColumnWidth(c, widths[c]);
    split->addWidget(m_chainView);
    split->addWidget(m_ruleView);
    split->setStretchFactor(1, 1);
    split->setSizes({300, 900});
    layout->addWidget(split, 1);

    auto* del = new QAction(tr("Delete rule"), m_ruleView);
    del->setShortcut(QKeySequence::Delete);
    del->setShortcutContext(Qt::WidgetShortcut);
    connect(del, &QAction::triggered, this, [this] { m_rules->removeRule(selectedRow(m_ruleView)); });
    auto* up = new QAction(tr("Move up"), m_ruleView);
    up->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Up));
    up->setShortcutContext(Qt::WidgetShortcut);
    connect(up, &QAction::triggered, this, [this] { moveSelectedRule(-1); });
    auto* down = new QAction(tr("Move down"), m_ruleView);
    down->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Down));
    down->setShortcutContext(Qt::WidgetShortcut);
    connect(down, &QAction::triggered, this, [this] { moveSelectedRule(1); });
    m_ruleView->addActions({del, up, down});
    m_ruleView->setContextMenuPolicy(Qt::ActionsContextMenu);

    connect(m_tableBox, &QComboBox::currentIndexChanged, this, [this] {
        const auto table = netfilter::TableId(m_tableBox->currentData().toInt());
        m_chains->setTable(table);
        m_rules->setChain(table, m_chains->chainAt(0));
        m_chainView->setCurrentIndex(m_chains->index(0, 0));
    });
    connect(m_chainView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& i) {
        if (i.isValid()) m_rules->setChain(m_chains->table(), m_chains->chainAt(i.row()));
    });
    // After an edit the chain list is rebuilt; keep showing the same chain.
    connect(m_doc, &ConfigDocument::changed, this, [this] {
        int row = m_chains->rowOf(m_rules->chain());
        if (row < 0) {
            row = 0;
            m_rules->setChain(m_chains->table(), m_chains->chainAt(0));
        }
        QSignalBlocker block(m_chainView->selectionModel());
        m_chainView->setCurrentIndex(m_chains->index(row, 0));
    });
    m_tableBox->setCurrentIndex(0);
    m_rules->setChain(netfilter::TableId::Filter, QStringLiteral("INPUT"));
    return page;
}

void EditorsDock::moveSelectedRule(int delta) {
    const int row = selectedRow(m_ruleView);
    const int to = row + delta;
    if (row < 0 || to < 0 || to >= m_rules->rowCount()) return;
    if (m_rules->moveRule(row, to)) m_ruleView->selectRow(to);
}

void EditorsDock::showNetfilterChain(const QString& table, const QString& chain) {
    const int i = m_tableBox->findText(table);
    if (i >= 0) m_tableBox->setCurrentIndex(i);
    const int row = m_chains->rowOf(chain);
    if (row >= 0) m_chainView->setCurrentIndex(m_chains->index(row, 0));
}

QWidget* EditorsDock::buildTableTab(HostTableModel* model, const QString& objectName, const QString& addLabel,
                                    const QString& addPrefill, const std::function<bool(int)>& remove,
                                    QTableView** viewOut) {
    auto* page = new QWidget(this);
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* view = new QTableView(page);
    view->setObjectName(objectName);
    view->setModel(model);
    setupTable(view);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setStretchLastSection(true);
    auto* top = new QHBoxLayout;
    auto* add = new QPushButton(addLabel, page);
    connect(add, &QPushButton::clicked, this, [this, addPrefill] { openCommandDialog(addPrefill); });
    top->addWidget(add);
    if (remove) {
        auto* del = new QPushButton(tr("Remove"), page);
        connect(del, &QPushButton::clicked, this, [view, remove] {
            const int row = selectedRow(view);
            if (row >= 0) remove(row);
        });
        top->addWidget(del);
    }
    auto* hint = new QLabel(tr("Double-click a cell to edit it; the change is made with the command shown in its tooltip."), page);
    hint->setEnabled(false);
    top->addWidget(hint, 1);
    layout->addLayout(top);
    layout->addWidget(view, 1);
    if (viewOut) *viewOut = view;
    return page;
}

QWidget* EditorsDock::buildSysctlTab() {
    auto* page = new QWidget(this);
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* search = new QLineEdit(page);
    search->setObjectName(QStringLiteral("sysctlSearch"));
    search->setPlaceholderText(tr("Search keys and meanings, e.g. forward, rp_filter, backlog"));
    search->setClearButtonEnabled(true);
    auto* proxy = new QSortFilterProxyModel(page);
    proxy->setSourceModel(m_sysctls);
    proxy->setFilterKeyColumn(-1);
    proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    connect(search, &QLineEdit::textChanged, proxy, &QSortFilterProxyModel::setFilterFixedString);
    auto* view = new QTableView(page);
    view->setObjectName(QStringLiteral("sysctlTable"));
    view->setModel(proxy);
    setupTable(view);
    view->setColumnWidth(SysctlModel::Key, 330);
    view->setColumnWidth(SysctlModel::Value, 110);
    view->setColumnWidth(SysctlModel::Default, 110);
    layout->addWidget(search);
    layout->addWidget(view, 1);
    return page;
}

QWidget* EditorsDock::buildWhatIfTab() {
    auto* page = new QWidget(this);
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(2, 2, 2, 2);
    m_whatIfSummary = new QLabel(tr("No edit yet."), page);
    m_whatIfSummary->setObjectName(QStringLiteral("whatIfDetail"));
    m_whatIfSummary->setWordWrap(true);
    QFont f = m_whatIfSummary->font();
    f.setPointSizeF(f.pointSizeF() * 1.15);
    f.setBold(true);
    m_whatIfSummary->setFont(f);
    auto* view = new QTableView(page);
    view->setObjectName(QStringLiteral("counterDiffTable"));
    view->setModel(m_diff);
    setupTable(view);
    view->setColumnWidth(CounterDiffModel::Counter, 520);
    view->setColumnWidth(CounterDiffModel::Before, 120);
    view->setColumnWidth(CounterDiffModel::After, 120);
    layout->addWidget(m_whatIfSummary);
    layout->addWidget(view, 1);
    return page;
}

bool EditorsDock::showTab(const QString& name) {
    const qsizetype i = kTabNames.indexOf(name.toLower());
    if (i < 0) return false;
    m_tabs->setCurrentIndex(int(i));
    return true;
}

void EditorsDock::openCommandDialog(const QString& prefill) {
    CommandDialog dialog(m_doc, tr("Run a command on the simulated host"), prefill,
                         tr("Type the command as on Linux, e.g. <code>iptables -A INPUT -p tcp --dport 22 -j DROP</code>, "
                            "<code>ip route add 10.9.0.0/16 via 10.0.0.1</code>, <code>sysctl -w net.ipv4.ip_forward=0</code>. "
                            "Tab completes words."),
                         this);
    dialog.exec();
}

void EditorsDock::setCapture(const HostConfig& config, std::shared_ptr<const std::vector<InputFrame>> frames) {
    m_runner->cancel();
    m_runPending = false;
    m_frames = frames ? std::move(frames) : std::make_shared<const std::vector<InputFrame>>();
    m_current.reset();
    m_previous.reset();
    m_comparison = {};
    m_diff->setChanges({});
    m_error->hide();
    m_doc->reset(config);
    m_summary->setText(tr("Running the capture to the end for the rule counters…"));
    m_whatIfSummary->setText(tr("No edit yet."));
    startRun();
}

bool EditorsDock::whatIfRunning() const {
    return m_runner->running() || m_runPending;
}

void EditorsDock::startRun() {
    // The first run gives the "before"; an edit made while it runs waits for it.
    if (!m_current && m_runner->running()) {
        m_runPending = true;
        return;
    }
    m_runner->start(m_doc->config(), m_frames);
    m_progress->setValue(0);
}

void EditorsDock::cancelWhatIf() {
    m_runner->cancel();
    m_runPending = false;
    m_summary->setText(tr("Re-run cancelled: the counters shown are from the last completed run."));
}

void EditorsDock::runFinished(std::shared_ptr<const RunResult> result) {
    const std::initializer_list<HostTableModel*> models{m_chains, m_rules, m_sockets};
    if (!m_current) {
        m_current = result;
        for (HostTableModel* m : models) m->setRun(result);
        m_summary->setText(tr("%1 input packets run to the end. Edit a table to see which change their fate.")
                               .arg(result->packets));
        if (m_runPending) {
            m_runPending = false;
            startRun();
        }
        return;
    }
    m_comparison = compareRuns(*m_current, *result);
    m_previous = std::exchange(m_current, result);
    for (HostTableModel* m : models) m->setRun(result);
    m_diff->setChanges(m_comparison.counters);
    m_summary->setText(m_comparison.summary);
    m_whatIfSummary->setText(m_comparison.summary);
    emit whatIfFinished(m_comparison.summary);
}

QString EditorsDock::fateChange(PacketId packet) const {
    if (!fateChanged(packet) || !m_current || !m_previous) return {};
    static const PacketFate none;
    const PacketFate* before = m_previous->fate(packet);
    const PacketFate* after = m_current->fate(packet);
    return tr("Before the last edit: %1\nNow: %2")
        .arg(describeFate(before ? *before : none, m_previous->rules), describeFate(after ? *after : none, m_current->rules));
}

} // namespace stackscope::ui
