// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/breakpoints.h"

#include "model/host_config.h"
#include "ui/drops_model.h"
#include "netfilter/iptables_input.h"
#include "netfilter/ruleset.h"
#include "ui/packet_list_model.h"
#include "ui/session.h"
#include "ui/stack_layout.h"
#include "ui/stage_text.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace stackscope::ui {
namespace {

// Hook-chain stages narrate as "<table> <CHAIN>: <what decided>".
bool hookDetailIs(const TraceEvent& e, const QString& table, const QString& chain) {
    const QString prefix = table + QLatin1Char(' ') + chain + QLatin1Char(':');
    return QString::fromUtf8(e.detail.data(), qsizetype(std::min<std::size_t>(e.detail.size(), 64)))
        .startsWith(prefix);
}

// The rule text must end where the narration's rule ends, so "--dport 9" is not "--dport 99".
bool containsRule(const std::string& detail, const std::string& rule) {
    if (rule.empty()) return false;
    for (std::size_t at = detail.find(rule); at != std::string::npos; at = detail.find(rule, at + 1)) {
        const std::size_t end = at + rule.size();
        if (at >= 2 && detail.compare(at - 2, 2, ": ") != 0) continue;
        if (end == detail.size() || detail[end] == ' ' || detail[end] == ';' || detail[end] == ',')
            return true;
    }
    return false;
}

} // namespace

BreakpointSpec BreakpointSpec::onStage(Stage s) {
    BreakpointSpec b;
    b.kind = Kind::Stage;
    b.stage = s;
    return b;
}

BreakpointSpec BreakpointSpec::onHook(const QString& table, const QString& chain) {
    BreakpointSpec b;
    b.kind = Kind::Hook;
    b.table = table;
    b.chain = chain;
    return b;
}

BreakpointSpec BreakpointSpec::onRule(const QString& table, const QString& chain, int index) {
    BreakpointSpec b;
    b.kind = Kind::Rule;
    b.table = table;
    b.chain = chain;
    b.index = index;
    return b;
}

BreakpointSpec BreakpointSpec::onDrop(DropReason r) {
    BreakpointSpec b;
    b.kind = Kind::DropReason;
    b.reason = r;
    return b;
}

BreakpointSpec BreakpointSpec::onFilter(const QString& text) {
    BreakpointSpec b;
    b.kind = Kind::Filter;
    b.filter = text.trimmed();
    return b;
}

QString BreakpointSpec::kindText() const {
    switch (kind) {
    case Kind::Stage: return QObject::tr("stage");
    case Kind::Hook: return QObject::tr("hook chain");
    case Kind::Rule: return QObject::tr("rule");
    case Kind::DropReason: return QObject::tr("drop reason");
    case Kind::Filter: return QObject::tr("packet filter");
    }
    return {};
}

QString BreakpointSpec::describe() const {
    switch (kind) {
    case Kind::Stage:
        return QObject::tr("stage %1 (%2)").arg(toQString(stageLabel(stage)), toQString(stageKernelFunction(stage)));
    case Kind::Hook: return QObject::tr("hook %1 %2").arg(table, chain);
    case Kind::Rule: return QObject::tr("rule %1 %2 #%3").arg(table, chain).arg(index);
    case Kind::DropReason: return QObject::tr("drop reason %1").arg(toQString(dropReasonName(reason)));
    case Kind::Filter: return QObject::tr("packet filter \"%1\"").arg(filter);
    }
    return {};
}

bool BreakpointSpec::sameCondition(const BreakpointSpec& o) const {
    if (kind != o.kind) return false;
    switch (kind) {
    case Kind::Stage: return stage == o.stage;
    case Kind::Hook: return table == o.table && chain == o.chain;
    case Kind::Rule: return table == o.table && chain == o.chain && index == o.index;
    case Kind::DropReason: return reason == o.reason;
    case Kind::Filter: return filter == o.filter;
    }
    return false;
}

QStringList hookChainNames() {
    QStringList names;
    for (int i = 0; i < int(Stage::Count); ++i) {
        const Stage s = Stage(i);
        const QString label = toQString(stageLabel(s));
        // Conntrack boxes sit inside hook groups but are not iptables chains.
        if (isNetfilterHook(s) && label.contains(QLatin1Char(' ')) && !label.startsWith(QLatin1String("conntrack")) &&
            !names.contains(label))
            names << label;
    }
    return names;
}

BreakpointList::BreakpointList(Session* session, QObject* parent)
    : QAbstractTableModel(parent), m_session(session) {}

BreakpointList::~BreakpointList() = default;

int BreakpointList::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_specs.size());
}

int BreakpointList::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant BreakpointList::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const BreakpointSpec& b = m_specs[std::size_t(index.row())];
    if (role == Qt::CheckStateRole && index.column() == Enabled) return b.enabled ? Qt::Checked : Qt::Unchecked;
    if (role == Qt::DisplayRole) {
        switch (Column(index.column())) {
        case Enabled: return {};
        case Kind: return b.kindText();
        case Condition: return b.describe();
        case Hits: return QVariant::fromValue<qulonglong>(m_hits[std::size_t(index.row())]);
        case ColumnCount: break;
        }
    }
    if (role == Qt::ToolTipRole && index.column() == Condition && b.kind == BreakpointSpec::Kind::Rule) {
        const QString text = ruleText(b);
        return text.isEmpty() ? tr("No such rule in the loaded configuration") : text;
    }
    return {};
}

bool BreakpointList::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!index.isValid() || index.column() != Enabled || role != Qt::CheckStateRole) return false;
    setEnabled(index.row(), value.toInt() == Qt::Checked);
    return true;
}

Qt::ItemFlags BreakpointList::flags(const QModelIndex& index) const {
    if (!index.isValid()) return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (index.column() == Enabled) f |= Qt::ItemIsUserCheckable;
    return f;
}

QVariant BreakpointList::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"On", "Kind", "Condition", "Hits"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

int BreakpointList::add(const BreakpointSpec& spec) {
    for (std::size_t i = 0; i < m_specs.size(); ++i) {
        if (m_specs[i].sameCondition(spec)) {
            setEnabled(int(i), true);
            return int(i);
        }
    }
    const int row = rowCount();
    beginInsertRows({}, row, row);
    m_specs.push_back(spec);
    m_hits.push_back(0);
    endInsertRows();
    emit changed();
    return row;
}

void BreakpointList::remove(int row) {
    if (row < 0 || row >= rowCount()) return;
    beginRemoveRows({}, row, row);
    m_specs.erase(m_specs.begin() + row);
    m_hits.erase(m_hits.begin() + row);
    endRemoveRows();
    emit changed();
}

void BreakpointList::clear() {
    if (m_specs.empty()) return;
    beginResetModel();
    m_specs.clear();
    m_hits.clear();
    endResetModel();
    emit changed();
}

void BreakpointList::setEnabled(int row, bool on) {
    if (row < 0 || row >= rowCount() || m_specs[std::size_t(row)].enabled == on) return;
    m_specs[std::size_t(row)].enabled = on;
    emit dataChanged(index(row, Enabled), index(row, Enabled), {Qt::CheckStateRole});
    emit changed();
}

bool BreakpointList::anyEnabled() const {
    return std::any_of(m_specs.begin(), m_specs.end(), [](const BreakpointSpec& b) { return b.enabled; });
}

bool BreakpointList::hasStage(Stage s) const {
    return std::any_of(m_specs.begin(), m_specs.end(), [s](const BreakpointSpec& b) {
        return b.enabled && b.kind == BreakpointSpec::Kind::Stage && b.stage == s;
    });
}

void BreakpointList::toggleStage(Stage s) {
    const BreakpointSpec spec = BreakpointSpec::onStage(s);
    for (std::size_t i = 0; i < m_specs.size(); ++i) {
        if (m_specs[i].sameCondition(spec)) {
            if (m_specs[i].enabled) remove(int(i));
            else setEnabled(int(i), true);
            return;
        }
    }
    add(spec);
}

void BreakpointList::countHit(int row) {
    if (row < 0 || row >= rowCount()) return;
    ++m_hits[std::size_t(row)];
    emit dataChanged(index(row, Hits), index(row, Hits));
}

void BreakpointList::setConfig(const HostConfig& config) {
    m_rules = std::make_unique<netfilter::Ruleset>();
    // Errors were reported when the scenario loaded; a bad line leaves its rule out here too.
    for (const IptablesInput& in : config.iptables) netfilter::applyIptablesInput(*m_rules, in);
    m_summaries.clear();
    if (rowCount() > 0) emit dataChanged(index(0, Condition), index(rowCount() - 1, Condition));
}

QString BreakpointList::checkRule(const QString& table, const QString& chain, int index) const {
    const auto id = netfilter::parseTableName(table.toStdString());
    if (!id) return tr("There is no table \"%1\" (raw, mangle, nat, filter, security).").arg(table);
    if (!m_rules) return {}; // nothing loaded yet; resolved at load
    const int c = m_rules->findChain(*id, chain.toStdString());
    if (c < 0) return tr("Table %1 has no chain \"%2\".").arg(table, chain);
    const auto& rules = m_rules->table(*id).chains[std::size_t(c)].rules;
    if (index < 1 || std::size_t(index) > rules.size())
        return tr("Chain %1 of table %2 has %3 rules; there is no rule %4.")
            .arg(chain, table).arg(rules.size()).arg(index);
    return {};
}

QString BreakpointList::ruleText(const BreakpointSpec& spec) const {
    if (!m_rules) return {};
    const auto id = netfilter::parseTableName(spec.table.toStdString());
    if (!id) return {};
    const int c = m_rules->findChain(*id, spec.chain.toStdString());
    if (c < 0 || spec.index < 1) return {};
    return QString::fromStdString(m_rules->ruleText(*id, c, spec.index));
}

const PacketSummary* BreakpointList::summaryFor(const TraceEvent& e) {
    if (e.packet == kNoPacket) return nullptr;
    if (e.bytes) {
        // The step changed the bytes (NAT, TTL): the filter sees them as they are now.
        auto& s = m_summaries[e.packet];
        s = summarize(*e.bytes);
        return &s;
    }
    if (auto it = m_summaries.find(e.packet); it != m_summaries.end()) return &it->second;
    if (m_summaries.size() > 200000) m_summaries.clear();
    if (auto bytes = m_session->bytesAt(e.packet, e.seq)) return &(m_summaries[e.packet] = summarize(*bytes));
    return nullptr;
}

bool BreakpointList::matches(std::size_t row, const TraceEvent& e) {
    const BreakpointSpec& b = m_specs[row];
    switch (b.kind) {
    case BreakpointSpec::Kind::Stage: return e.stage == b.stage;
    case BreakpointSpec::Kind::Hook:
        return isNetfilterHook(e.stage) && hookDetailIs(e, b.table, b.chain);
    case BreakpointSpec::Kind::Rule: {
        if (!isNetfilterHook(e.stage)) return false;
        if (!QString::fromUtf8(e.detail.data(), qsizetype(std::min<std::size_t>(e.detail.size(), 16)))
                 .startsWith(b.table + QLatin1Char(' ')))
            return false;
        return containsRule(e.detail, ruleText(b).toStdString());
    }
    case BreakpointSpec::Kind::DropReason: return e.verdict == Verdict::Dropped && e.reason == b.reason;
    case BreakpointSpec::Kind::Filter: {
        if (b.filter.isEmpty()) return false;
        const PacketSummary* s = summaryFor(e);
        static const PacketSummary none;
        const QString reason = e.verdict == Verdict::Dropped ? toQString(dropReasonName(e.reason)) : QString();
        return filterMatches(s ? *s : none, fateTextFor(e), reason, e.packet, b.filter);
    }
    }
    return false;
}

int BreakpointList::hit(const TraceEvent& e) {
    for (std::size_t i = 0; i < m_specs.size(); ++i)
        if (m_specs[i].enabled && matches(i, e)) return int(i);
    return -1;
}

BreakpointDialog::BreakpointDialog(BreakpointList* list, QWidget* parent) : QDialog(parent), m_list(list) {
    setWindowTitle(tr("Add breakpoint"));
    setObjectName(QStringLiteral("breakpointDialog"));
    m_kind = new QComboBox(this);
    m_kind->setObjectName(QStringLiteral("breakpointKind"));
    for (auto k : {BreakpointSpec::Kind::Stage, BreakpointSpec::Kind::Hook, BreakpointSpec::Kind::Rule,
                   BreakpointSpec::Kind::DropReason, BreakpointSpec::Kind::Filter}) {
        BreakpointSpec b;
        b.kind = k;
        m_kind->addItem(b.kindText());
    }
    m_pages = new QStackedWidget(this);

    m_stage = new QComboBox;
    for (int i = 0; i < int(Stage::Count); ++i)
        m_stage->addItem(QStringLiteral("%1 — %2()").arg(toQString(stageLabel(Stage(i))),
                                                         toQString(stageKernelFunction(Stage(i)))));
    m_hook = new QComboBox;
    m_hook->addItems(hookChainNames());
    auto* rulePage = new QWidget;
    m_ruleTable = new QComboBox;
    m_ruleTable->addItems({QStringLiteral("filter"), QStringLiteral("nat"), QStringLiteral("mangle"),
                           QStringLiteral("raw"), QStringLiteral("security")});
    m_ruleChain = new QLineEdit(QStringLiteral("INPUT"));
    m_ruleIndex = new QSpinBox;
    m_ruleIndex->setRange(1, 100000);
    auto* ruleForm = new QFormLayout(rulePage);
    ruleForm->addRow(tr("Table"), m_ruleTable);
    ruleForm->addRow(tr("Chain"), m_ruleChain);
    ruleForm->addRow(tr("Rule number"), m_ruleIndex);
    m_reason = new QComboBox;
    for (int i = 0; i < int(DropReason::Count); ++i)
        if (isDrop(DropReason(i))) m_reason->addItem(toQString(dropReasonName(DropReason(i))), i);
    m_filter = new QLineEdit;
    m_filter->setPlaceholderText(tr("as in the packet list: address, protocol, fate, reason or number"));
    m_pages->addWidget(m_stage);
    m_pages->addWidget(m_hook);
    m_pages->addWidget(rulePage);
    m_pages->addWidget(m_reason);
    m_pages->addWidget(m_filter);
    connect(m_kind, &QComboBox::currentIndexChanged, m_pages, &QStackedWidget::setCurrentIndex);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* form = new QFormLayout(this);
    form->addRow(tr("Stop at"), m_kind);
    form->addRow(m_pages);
    form->addRow(buttons);
}

BreakpointSpec BreakpointDialog::spec() const {
    switch (BreakpointSpec::Kind(m_kind->currentIndex())) {
    case BreakpointSpec::Kind::Stage: return BreakpointSpec::onStage(Stage(m_stage->currentIndex()));
    case BreakpointSpec::Kind::Hook: {
        const QStringList parts = m_hook->currentText().split(QLatin1Char(' '));
        return BreakpointSpec::onHook(parts.value(0), parts.value(1));
    }
    case BreakpointSpec::Kind::Rule:
        return BreakpointSpec::onRule(m_ruleTable->currentText(), m_ruleChain->text().trimmed(), m_ruleIndex->value());
    case BreakpointSpec::Kind::DropReason:
        return BreakpointSpec::onDrop(DropReason(m_reason->currentData().toInt()));
    case BreakpointSpec::Kind::Filter: return BreakpointSpec::onFilter(m_filter->text());
    }
    return {};
}

void BreakpointDialog::setSpec(const BreakpointSpec& b) {
    m_kind->setCurrentIndex(int(b.kind));
    m_stage->setCurrentIndex(int(b.stage));
    m_hook->setCurrentText(b.table + QLatin1Char(' ') + b.chain);
    if (!b.table.isEmpty()) m_ruleTable->setCurrentText(b.table);
    if (!b.chain.isEmpty()) m_ruleChain->setText(b.chain);
    m_ruleIndex->setValue(b.index);
    if (const int i = m_reason->findData(int(b.reason)); i >= 0) m_reason->setCurrentIndex(i);
    m_filter->setText(b.filter);
}

void BreakpointDialog::accept() {
    const BreakpointSpec b = spec();
    QString problem;
    if (b.kind == BreakpointSpec::Kind::Rule) problem = m_list->checkRule(b.table, b.chain, b.index);
    if (b.kind == BreakpointSpec::Kind::Filter && b.filter.isEmpty()) problem = tr("The packet filter is empty.");
    if (!problem.isEmpty()) {
        QMessageBox::warning(this, tr("Add breakpoint"), problem);
        return;
    }
    QDialog::accept();
}

BreakpointsPanel::BreakpointsPanel(BreakpointList* list, QWidget* parent) : QWidget(parent), m_list(list) {
    setObjectName(QStringLiteral("breakpointsPanel"));
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("breakpointTable"));
    m_table->setModel(list);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(BreakpointList::Condition, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(BreakpointList::Enabled, QHeaderView::ResizeToContents);
    auto* add = new QPushButton(tr("&Add…"), this);
    auto* remove = new QPushButton(tr("&Remove"), this);
    auto* clear = new QPushButton(tr("&Clear all"), this);
    connect(add, &QPushButton::clicked, this, &BreakpointsPanel::addWithDialog);
    connect(remove, &QPushButton::clicked, this, [this] {
        const QModelIndexList rows = m_table->selectionModel()->selectedRows();
        std::vector<int> sorted;
        for (const QModelIndex& i : rows) sorted.push_back(i.row());
        std::sort(sorted.rbegin(), sorted.rend());
        for (int r : sorted) m_list->remove(r);
    });
    connect(clear, &QPushButton::clicked, list, &BreakpointList::clear);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(add);
    buttons->addWidget(remove);
    buttons->addStretch();
    buttons->addWidget(clear);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(m_table);
    layout->addLayout(buttons);
}

void BreakpointsPanel::addWithDialog() { addBreakpointWithDialog(m_list, this, BreakpointSpec::onStage(Stage::IpRcv)); }

void addBreakpointWithDialog(BreakpointList* list, QWidget* parent, const BreakpointSpec& initial) {
    BreakpointDialog dialog(list, parent);
    dialog.setSpec(initial);
    if (dialog.exec() == QDialog::Accepted) list->add(dialog.spec());
}

void attachDropsBreakpointMenu(QTableView* table, DropsModel* drops, BreakpointList* list) {
    table->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(table, &QWidget::customContextMenuRequested, table, [=](const QPoint& pos) {
        const auto key = drops->keyAt(table->indexAt(pos).row());
        if (!key) return;
        QMenu menu(table);
        QAction* onReason = menu.addAction(
            QObject::tr("Break on drop reason %1").arg(toQString(dropReasonName(key->reason))));
        QAction* onStage = menu.addAction(QObject::tr("Break on stage %1").arg(toQString(stageLabel(key->stage))));
        QAction* other = menu.addAction(QObject::tr("Add breakpoint…"));
        QAction* chosen = menu.exec(table->viewport()->mapToGlobal(pos));
        if (chosen == onReason) list->add(BreakpointSpec::onDrop(key->reason));
        if (chosen == onStage) list->add(BreakpointSpec::onStage(key->stage));
        if (chosen == other) addBreakpointWithDialog(list, table, BreakpointSpec::onDrop(key->reason));
    });
}

} // namespace stackscope::ui
