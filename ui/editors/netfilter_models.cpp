// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/editors/netfilter_models.h"

#include "netfilter/analysis.h"
#include "ui/editors/what_if.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QIODevice>
#include <QMimeData>
#include <QProcess>

namespace stackscope::ui {
namespace {
constexpr const char* kRowMime = "application/x-stackscope-rule-row";

const netfilter::Chain* findChain(const netfilter::Ruleset& rules, netfilter::TableId table, const QString& name) {
    for (const netfilter::Chain& c : rules.table(table).chains)
        if (QString::fromStdString(c.name) == name) return &c;
    return nullptr;
}
} // namespace

// --- chains ---

ChainsModel::ChainsModel(ConfigDocument* doc, QObject* parent) : HostTableModel(doc, parent) {
    reloadRows();
}

void ChainsModel::setTable(netfilter::TableId table) {
    beginResetModel();
    m_table = table;
    reloadRows();
    endResetModel();
}

void ChainsModel::reloadRows() {
    m_chains = m_doc->ruleset().table(m_table).chains;
}

QString ChainsModel::chainAt(int row) const {
    return row >= 0 && row < rows() ? QString::fromStdString(m_chains[std::size_t(row)].name) : QString();
}

int ChainsModel::rowOf(const QString& chain) const {
    for (int i = 0; i < rows(); ++i)
        if (chainAt(i) == chain) return i;
    return -1;
}

int ChainsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ChainsModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Chain: return tr("Chain");
    case Policy: return tr("Policy");
    case Rules: return tr("Rules");
    case Packets: return tr("Policy pkts");
    case Bytes: return tr("Policy bytes");
    default: return {};
    }
}

QVariant ChainsModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const netfilter::Chain& c = m_chains[std::size_t(index.row())];
    if (role == Qt::FontRole && c.builtin && index.column() == Chain) {
        QFont f;
        f.setBold(true);
        return f;
    }
    if (role == Qt::ToolTipRole)
        return c.builtin ? tr("Built-in chain: the %1 hook runs it; its policy decides packets no rule decided.")
                               .arg(QString::fromStdString(c.name))
                         : tr("User chain: runs only when a rule jumps to it (-j %1).").arg(QString::fromStdString(c.name));
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    const netfilter::Chain* ran = m_run ? findChain(m_run->rules, m_table, QString::fromStdString(c.name)) : nullptr;
    switch (index.column()) {
    case Chain: return QString::fromStdString(c.name);
    case Policy:
        if (!c.builtin) return role == Qt::EditRole ? QVariant() : QVariant(QStringLiteral("—"));
        return c.policy == netfilter::Verdict::Accept ? QStringLiteral("ACCEPT") : QStringLiteral("DROP");
    case Rules: return int(c.rules.size());
    case Packets: return ran && c.builtin ? QVariant(qulonglong(ran->packets)) : QVariant();
    case Bytes: return ran && c.builtin ? QVariant(qulonglong(ran->bytes)) : QVariant();
    default: return {};
    }
}

Qt::ItemFlags ChainsModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == Policy && m_chains[std::size_t(index.row())].builtin) f |= Qt::ItemIsEditable;
    return f;
}

bool ChainsModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole || index.column() != Policy || !checkIndex(index, CheckIndexOption::IndexIsValid))
        return false;
    const QString policy = value.toString().trimmed().toUpper();
    return run(QStringLiteral("iptables -t %1 -P %2 %3")
                   .arg(qs(netfilter::tableName(m_table)), chainAt(index.row()), policy));
}

// --- rules ---

RulesModel::RulesModel(ConfigDocument* doc, QObject* parent) : HostTableModel(doc, parent) {
    reloadRows();
}

QString RulesModel::tableArg() const {
    return qs(netfilter::tableName(m_table));
}

void RulesModel::setChain(netfilter::TableId table, const QString& chain) {
    beginResetModel();
    m_table = table;
    m_chain = chain;
    reloadRows();
    endResetModel();
}

void RulesModel::reloadRows() {
    m_rows.clear();
    const netfilter::Ruleset rules = m_doc->ruleset();
    const int c = rules.findChain(m_table, m_chain.toStdString());
    if (c < 0) return;
    const int n = int(rules.table(m_table).chains[std::size_t(c)].rules.size());
    const QString prefix = QStringLiteral("-A %1 ").arg(m_chain);
    for (int p = 1; p <= n; ++p) {
        Row row;
        row.text = QString::fromStdString(rules.ruleText(m_table, c, p));
        row.spec = row.text.startsWith(prefix) ? row.text.mid(prefix.size()) : row.text;
        // Split the saved rule into the columns of `iptables -L`: the ipt_ip part, then
        // the matches, then the target with its options.
        const QStringList words = QProcess::splitCommand(row.spec);
        bool negate = false;
        QStringList matches;
        for (qsizetype i = 0; i < words.size(); ++i) {
            const QString& w = words[i];
            const QString bang = negate ? QStringLiteral("!") : QString();
            if (w == QLatin1String("!")) {
                negate = true;
                continue;
            }
            if ((w == QLatin1String("-s") || w == QLatin1String("-d") || w == QLatin1String("-i") ||
                 w == QLatin1String("-o") || w == QLatin1String("-p")) && i + 1 < words.size()) {
                const QString v = bang + words[++i];
                if (w == QLatin1String("-s")) row.source = v;
                else if (w == QLatin1String("-d")) row.destination = v;
                else if (w == QLatin1String("-i")) row.in = v;
                else if (w == QLatin1String("-o")) row.out = v;
                else row.protocol = v;
            } else if (w == QLatin1String("-j") || w == QLatin1String("-g")) {
                QStringList rest = words.mid(i + 1);
                row.target = (w == QLatin1String("-g") ? QStringLiteral("goto ") : QString()) + rest.join(QLatin1Char(' '));
                break;
            } else {
                matches << bang + w;
            }
            negate = false;
        }
        row.matches = matches.join(QLatin1Char(' '));
        m_rows.push_back(std::move(row));
    }
    const std::string table(netfilter::tableName(m_table));
    for (const netfilter::ShadowedRule& s : netfilter::findShadowedRules(rules))
        if (s.table == table && QString::fromStdString(s.chain) == m_chain && s.rule < m_rows.size())
            m_rows[s.rule].shadowed = QString::fromStdString(s.reason); // names the shadowing rule, 1-based
    fillCounters();
}

void RulesModel::fillCounters() {
    const netfilter::Chain* ran = m_run ? findChain(m_run->rules, m_table, m_chain) : nullptr;
    const int c = ran ? m_run->rules.findChain(m_table, m_chain.toStdString()) : -1;
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        Row& r = m_rows[i];
        // Counters belong to the rule the run saw at that position; after an edit they wait
        // for the re-run rather than show another rule's numbers.
        r.haveCounters = ran && i < ran->rules.size() &&
                         QString::fromStdString(m_run->rules.ruleText(m_table, c, int(i) + 1)) == r.text;
        r.packets = r.haveCounters ? ran->rules[i].packets : 0;
        r.bytes = r.haveCounters ? ran->rules[i].bytes : 0;
    }
}

void RulesModel::setRun(std::shared_ptr<const RunResult> run) {
    m_run = std::move(run);
    fillCounters();
    if (rowCount() > 0) emit dataChanged(index(0, Packets), index(rowCount() - 1, Bytes));
}

QString RulesModel::ruleText(int row) const {
    return row >= 0 && row < rows() ? m_rows[std::size_t(row)].text : QString();
}

int RulesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RulesModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"#", "Pkts", "Bytes", "Target", "Prot", "In", "Out", "Source", "Destination",
                                  "Matches", "Rule (iptables-save)", "Shadowed by"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

QVariant RulesModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const Row& r = m_rows[std::size_t(index.row())];
    if (role == Qt::ToolTipRole)
        return r.shadowed.isEmpty() ? QStringLiteral("iptables -t %1 %2").arg(tableArg(), r.text)
                                    : tr("Never reached, shadowed by %1").arg(r.shadowed);
    if (role == Qt::ForegroundRole && !r.shadowed.isEmpty()) return QBrush(QColor(0xc6, 0x28, 0x28));
    if (role == Qt::TextAlignmentRole && index.column() <= Bytes) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::FontRole && index.column() == Rule) {
        QFont f(QStringLiteral("monospace"));
        f.setStyleHint(QFont::TypeWriter);
        return f;
    }
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    const QString any = role == Qt::EditRole ? QString() : QStringLiteral("*");
    switch (index.column()) {
    case Number: return index.row() + 1;
    case Packets: return r.haveCounters ? QVariant(r.packets) : QVariant();
    case Bytes: return r.haveCounters ? QVariant(r.bytes) : QVariant();
    case Target: return r.target;
    case Protocol: return r.protocol.isEmpty() ? QStringLiteral("all") : r.protocol;
    case In: return r.in.isEmpty() ? any : r.in;
    case Out: return r.out.isEmpty() ? any : r.out;
    case Source: return r.source.isEmpty() ? QStringLiteral("0.0.0.0/0") : r.source;
    case Destination: return r.destination.isEmpty() ? QStringLiteral("0.0.0.0/0") : r.destination;
    case Matches: return r.matches;
    case Rule: return role == Qt::EditRole ? r.spec : r.text;
    case ShadowedBy: return r.shadowed;
    default: return {};
    }
}

Qt::ItemFlags RulesModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (!index.isValid()) return f | Qt::ItemIsDropEnabled;
    f |= Qt::ItemIsDragEnabled;
    if (index.column() == Target || index.column() == Rule) f |= Qt::ItemIsEditable;
    return f;
}

bool RulesModel::runIptables(const QString& args, const QString& description) {
    return run(QStringLiteral("iptables -t %1 %2").arg(tableArg(), args), description);
}

bool RulesModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole || !checkIndex(index, CheckIndexOption::IndexIsValid)) return false;
    const Row& r = m_rows[std::size_t(index.row())];
    QString spec = value.toString().trimmed();
    if (index.column() == Target) {
        // Keep the matches, put the new target (and its options) after -j.
        const qsizetype j = r.spec.lastIndexOf(QStringLiteral("-j "));
        const QString head = j >= 0 ? r.spec.left(j).trimmed() : r.spec;
        if (spec.startsWith(QLatin1String("-j "))) spec = spec.mid(3);
        spec = (head.isEmpty() ? QString() : head + QLatin1Char(' ')) + QStringLiteral("-j ") + spec;
    } else if (index.column() == Rule) {
        // Accept the rule as iptables-save prints it too: "-A CHAIN ..." loses its prefix.
        const QString prefix = QStringLiteral("-A %1 ").arg(m_chain);
        if (spec.startsWith(prefix)) spec = spec.mid(prefix.size());
    } else {
        return false;
    }
    if (spec == r.spec) return true;
    return runIptables(QStringLiteral("-R %1 %2 %3").arg(m_chain).arg(index.row() + 1).arg(spec),
                       tr("Replace %1 rule %2").arg(m_chain).arg(index.row() + 1));
}

bool RulesModel::removeRule(int row) {
    if (row < 0 || row >= rows()) return false;
    return runIptables(QStringLiteral("-D %1 %2").arg(m_chain).arg(row + 1),
                       tr("Delete %1 rule %2").arg(m_chain).arg(row + 1));
}

bool RulesModel::moveRule(int from, int to) {
    if (from < 0 || from >= rows() || to < 0 || to >= rows()) return false;
    if (from == to) return true;
    const QString t = tableArg();
    const QString lines = QStringLiteral("iptables -t %1 -D %2 %3\niptables -t %1 -I %2 %4 %5")
                              .arg(t, m_chain)
                              .arg(from + 1)
                              .arg(to + 1)
                              .arg(m_rows[std::size_t(from)].spec);
    return run(lines, tr("Move %1 rule %2 to %3").arg(m_chain).arg(from + 1).arg(to + 1));
}

QStringList RulesModel::mimeTypes() const {
    return {QString::fromLatin1(kRowMime)};
}

QMimeData* RulesModel::mimeData(const QModelIndexList& indexes) const {
    if (indexes.isEmpty()) return nullptr;
    auto* data = new QMimeData;
    data->setData(QString::fromLatin1(kRowMime), QByteArray::number(indexes.first().row()));
    data->setText(ruleText(indexes.first().row()));
    return data;
}

bool RulesModel::canDropMimeData(const QMimeData* data, Qt::DropAction action, int, int, const QModelIndex&) const {
    return action == Qt::MoveAction && data && data->hasFormat(QString::fromLatin1(kRowMime));
}

bool RulesModel::dropMimeData(const QMimeData* data, Qt::DropAction action, int row, int, const QModelIndex& parent) {
    if (!canDropMimeData(data, action, row, 0, parent)) return false;
    bool ok = false;
    const int from = data->data(QString::fromLatin1(kRowMime)).toInt(&ok);
    if (!ok) return false;
    // Dropped onto a row: take its place; between rows: land before `row`; past the end: last.
    int to = parent.isValid() ? parent.row() : (row < 0 ? rows() - 1 : row);
    if (!parent.isValid() && row >= 0 && to > from) --to;
    moveRule(from, std::clamp(to, 0, rows() - 1));
    // The move is already one undo step; returning false keeps the view from removing the source row.
    return false;
}

} // namespace stackscope::ui
