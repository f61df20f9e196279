// SPDX-License-Identifier: GPL-3.0-or-later
// Table models over the edited HostConfig: routes, neighbours, sockets,
// interfaces and qdiscs. Every cell edit becomes the command that makes it
// (`ip route ...`, `ip link set ...`, `ethtool -G ...`, `tc qdisc replace ...`)
// and goes through ConfigDocument, so it is validated and undoable.
#pragma once

#include "ui/editors/config_document.h"

#include <QAbstractTableModel>

#include <memory>

namespace stackscope::ui {

struct RunResult;

// Common to the editor tables: resets on every configuration change and reports
// a rejected edit with the parser's message.
class HostTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit HostTableModel(ConfigDocument* doc, QObject* parent = nullptr);
    int rowCount(const QModelIndex& parent = {}) const override;
    QString lastError() const { return m_lastError; }
    // The finished run whose counters the tables show (queue fill, rule counters).
    virtual void setRun(std::shared_ptr<const RunResult> run);

signals:
    void editFailed(const QString& message);

protected:
    virtual int rows() const = 0;
    // Rebuilds cached rows after a configuration change, inside the model reset.
    virtual void reloadRows() {}
    // Applies scenario lines as one undo step; false (and editFailed) when they are invalid.
    bool run(const QString& lines, const QString& description = {});
    void fail(const QString& message);
    const HostConfig& config() const { return m_doc->config(); }

    ConfigDocument* m_doc;
    std::shared_ptr<const RunResult> m_run;
    QString m_lastError;
};

class RoutesModel : public HostTableModel {
    Q_OBJECT
public:
    enum Column { Destination, Gateway, Device, Source, Metric, Table, Type, Command, ColumnCount };
    using HostTableModel::HostTableModel;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    bool removeRoute(int row);

protected:
    int rows() const override { return int(config().routes.size()); }
};

class NeighboursModel : public HostTableModel {
    Q_OBJECT
public:
    enum Column { Address, LinkAddress, Device, State, ColumnCount };
    using HostTableModel::HostTableModel;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    bool removeNeighbour(int row);

protected:
    int rows() const override { return int(config().neighbours.size()); }
};

class SocketsModel : public HostTableModel {
    Q_OBJECT
public:
    enum Column { Protocol, Local, Device, Rcvbuf, Read, Queued, Drops, ColumnCount };
    using HostTableModel::HostTableModel;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    bool removeSocket(int row);

protected:
    int rows() const override { return int(config().sockets.size()); }

private:
    // Rewrites socket `row` from its scenario line with one keyword's value changed.
    bool rewrite(int row, const QString& keyword, const QString& value);
};

class InterfacesModel : public HostTableModel {
    Q_OBJECT
public:
    enum Column { Name, Kind, Mac, Addresses, Mtu, Up, Promisc, RxRing, TxRing, ColumnCount };
    using HostTableModel::HostTableModel;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

protected:
    int rows() const override { return int(config().interfaces.size()); }
};

class QdiscsModel : public HostTableModel {
    Q_OBJECT
public:
    enum Column { Device, Qdisc, Command, ColumnCount };
    using HostTableModel::HostTableModel;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

protected:
    int rows() const override { return int(config().interfaces.size()); }
};

// Replaces the value after `keyword` in a command's words (appends the pair when absent,
// removes it when value is empty). Quoting follows the shell.
QString withKeyword(const QString& command, const QString& keyword, const QString& value);
QString qs(std::string_view text);

} // namespace stackscope::ui
