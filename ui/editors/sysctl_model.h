// SPDX-License-Identifier: GPL-3.0-or-later
// Every modelled sysctl with its value, the kernel's default and a one-line
// meaning; a value edit is `sysctl -w key=value`.
#pragma once

#include "ui/editors/host_models.h"

namespace stackscope::ui {

class SysctlModel : public HostTableModel {
    Q_OBJECT
public:
    enum Column { Key, Value, Default, Meaning, ColumnCount };
    explicit SysctlModel(ConfigDocument* doc, QObject* parent = nullptr);
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    int rowOf(const QString& key) const;

protected:
    int rows() const override { return int(m_rows.size()); }

    void reloadRows() override;

private:
    struct Row {
        QString key;
        QString value;
        QString initial;
        QString meaning;
    };
    std::vector<Row> m_rows;
};

} // namespace stackscope::ui
