// SPDX-License-Identifier: GPL-3.0-or-later
// The counters that moved between two runs, side by side.
#pragma once

#include "ui/editors/what_if.h"

#include <QAbstractTableModel>

namespace stackscope::ui {

class CounterDiffModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Counter, Before, After, Change, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;
    void setChanges(std::vector<CounterChange> changes);
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

private:
    std::vector<CounterChange> m_rows;
};

} // namespace stackscope::ui
