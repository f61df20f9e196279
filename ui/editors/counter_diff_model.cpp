// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/editors/counter_diff_model.h"

#include <QBrush>
#include <QColor>

namespace stackscope::ui {

void CounterDiffModel::setChanges(std::vector<CounterChange> changes) {
    beginResetModel();
    m_rows = std::move(changes);
    endResetModel();
}

int CounterDiffModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CounterDiffModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CounterDiffModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Counter: return tr("Counter");
    case Before: return tr("Before the edit");
    case After: return tr("After the edit");
    case Change: return tr("Change");
    default: return {};
    }
}

QVariant CounterDiffModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const CounterChange& c = m_rows[std::size_t(index.row())];
    const qint64 delta = qint64(c.after) - qint64(c.before);
    if (role == Qt::TextAlignmentRole && index.column() != Counter) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ForegroundRole && index.column() == Change)
        return QBrush(delta > 0 ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc6, 0x28, 0x28));
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
    case Counter: return c.name;
    case Before: return qulonglong(c.before);
    case After: return qulonglong(c.after);
    case Change: return delta > 0 ? QStringLiteral("+%1").arg(delta) : QString::number(delta);
    default: return {};
    }
}

} // namespace stackscope::ui
