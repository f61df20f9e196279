// SPDX-License-Identifier: GPL-3.0-or-later
// Drops at the cursor, one row per (drop reason, stage), with counts and the
// first event of each group so a double-click can jump to it.
#pragma once

#include "ui/cursor_state.h"

#include <QAbstractTableModel>

#include <optional>

namespace stackscope::ui {

class Session;

class DropsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Reason, Stage, Function, Count, ColumnCount };

    explicit DropsModel(Session* session, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // The first event of the row's group (an index into the trace), kNoSeq when none.
    std::uint64_t firstEventAt(int row) const;
    std::optional<DropKey> keyAt(int row) const;
    std::uint64_t totalDrops() const;

private:
    void refresh();

    Session* m_session;
    std::vector<std::pair<DropKey, DropCount>> m_rows;
};

} // namespace stackscope::ui
