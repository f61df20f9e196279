// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/editors/sysctl_model.h"

#include <QFont>

namespace stackscope::ui {

SysctlModel::SysctlModel(ConfigDocument* doc, QObject* parent) : HostTableModel(doc, parent) {
    reloadRows();
}

void SysctlModel::reloadRows() {
    m_rows.clear();
    for (const auto& [key, value] : config().sysctls.all()) {
        Row row{QString::fromStdString(key), QString::fromStdString(value), {}, {}};
        if (const SysctlInfo* info = Sysctls::info(key)) {
            row.initial = qs(info->initial);
            row.meaning = qs(info->meaning);
        }
        row.value.replace(QLatin1Char('\t'), QLatin1Char(' '));
        row.initial.replace(QLatin1Char('\t'), QLatin1Char(' '));
        m_rows.push_back(std::move(row));
    }
}

int SysctlModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SysctlModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Key: return tr("Key");
    case Value: return tr("Value");
    case Default: return tr("Kernel default");
    case Meaning: return tr("Meaning");
    default: return {};
    }
}

QVariant SysctlModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const Row& r = m_rows[std::size_t(index.row())];
    const bool changed = r.value != r.initial;
    if (role == Qt::FontRole && changed && index.column() <= Value) {
        QFont f;
        f.setBold(true);
        return f;
    }
    if (role == Qt::ToolTipRole)
        return changed ? tr("%1\nChanged from the kernel default %2.").arg(r.meaning, r.initial) : r.meaning;
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    switch (index.column()) {
    case Key: return r.key;
    case Value: return r.value;
    case Default: return r.initial;
    case Meaning: return r.meaning;
    default: return {};
    }
}

Qt::ItemFlags SysctlModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.column() == Value) f |= Qt::ItemIsEditable;
    return f;
}

bool SysctlModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole || index.column() != Value || !checkIndex(index, CheckIndexOption::IndexIsValid))
        return false;
    const Row& r = m_rows[std::size_t(index.row())];
    const QString v = value.toString().trimmed();
    if (v == r.value) return true;
    // Several fields ("32768 60999") are one quoted argument, as with the real tool.
    return run(QStringLiteral("sysctl -w '%1=%2'").arg(r.key, v));
}

int SysctlModel::rowOf(const QString& key) const {
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].key == key) return int(i);
    return -1;
}

} // namespace stackscope::ui
