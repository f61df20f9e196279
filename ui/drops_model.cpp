// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/drops_model.h"

#include "ui/session.h"
#include "ui/stage_text.h"

namespace stackscope::ui {

DropsModel::DropsModel(Session* session, QObject* parent) : QAbstractTableModel(parent), m_session(session) {
    connect(session, &Session::cursorMoved, this, &DropsModel::refresh);
    connect(session, &Session::loaded, this, &DropsModel::refresh);
    refresh();
}

void DropsModel::refresh() {
    const auto& drops = m_session->state().drops();
    bool sameKeys = drops.size() == m_rows.size();
    if (sameKeys) {
        std::size_t i = 0;
        for (const auto& [key, count] : drops) sameKeys = sameKeys && m_rows[i++].first == key;
    }
    if (!sameKeys) {
        beginResetModel();
        m_rows.assign(drops.begin(), drops.end());
        endResetModel();
        return;
    }
    std::size_t i = 0;
    for (const auto& [key, count] : drops) {
        if (m_rows[i].second.count != count.count) {
            m_rows[i].second = count;
            emit dataChanged(index(int(i), Count), index(int(i), Count));
        }
        ++i;
    }
}

int DropsModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }
int DropsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant DropsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount) return {};
    const auto& [key, count] = m_rows[std::size_t(index.row())];
    if (role == Qt::DisplayRole) {
        switch (Column(index.column())) {
        case Reason: return toQString(dropReasonName(key.reason));
        case Stage: return toQString(stageLabel(key.stage));
        case Function: return toQString(stageKernelFunction(key.stage));
        case Count: return QVariant::fromValue<qulonglong>(count.count);
        case ColumnCount: break;
        }
    }
    if (role == Qt::ToolTipRole)
        return tr("Double-click to jump to the first %1 drop in %2()")
            .arg(toQString(dropReasonName(key.reason)), toQString(stageKernelFunction(key.stage)));
    if (role == Qt::TextAlignmentRole && index.column() == Count) return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant DropsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"Drop reason", "Stage", "Kernel function", "Packets"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

std::uint64_t DropsModel::firstEventAt(int row) const {
    return row >= 0 && row < rowCount() ? m_rows[std::size_t(row)].second.firstSeq : kNoSeq;
}

std::optional<DropKey> DropsModel::keyAt(int row) const {
    if (row < 0 || row >= rowCount()) return std::nullopt;
    return m_rows[std::size_t(row)].first;
}

std::uint64_t DropsModel::totalDrops() const {
    std::uint64_t n = 0;
    for (const auto& r : m_rows) n += r.second.count;
    return n;
}

} // namespace stackscope::ui
