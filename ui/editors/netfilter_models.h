// SPDX-License-Identifier: GPL-3.0-or-later
// The netfilter editor's models: the chains of one table (built-in and user
// chains, with their policies) and the rules of one chain, with matches and
// target split into columns, the full rule text, and the counters the last run
// left. Edits are iptables commands (-R, -D, -I, -P) checked by the rule parser.
#pragma once

#include "netfilter/types.h"
#include "ui/editors/host_models.h"

namespace stackscope::ui {

class ChainsModel : public HostTableModel {
    Q_OBJECT
public:
    enum Column { Chain, Policy, Rules, Packets, Bytes, ColumnCount };
    explicit ChainsModel(ConfigDocument* doc, QObject* parent = nullptr);
    void setTable(netfilter::TableId table);
    netfilter::TableId table() const { return m_table; }
    QString chainAt(int row) const;
    int rowOf(const QString& chain) const;

    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

protected:
    int rows() const override { return int(m_chains.size()); }
    void reloadRows() override;

private:
    netfilter::TableId m_table = netfilter::TableId::Filter;
    std::vector<netfilter::Chain> m_chains; // rules left out of the copy's use: names, policies
};

class RulesModel : public HostTableModel {
    Q_OBJECT
public:
    enum Column { Number, Packets, Bytes, Target, Protocol, In, Out, Source, Destination, Matches, Rule, ShadowedBy, ColumnCount };
    explicit RulesModel(ConfigDocument* doc, QObject* parent = nullptr);
    void setChain(netfilter::TableId table, const QString& chain);
    netfilter::TableId table() const { return m_table; }
    QString chain() const { return m_chain; }
    // The rule as iptables-save prints it: "-A INPUT -p udp -m udp --dport 53 -j DROP".
    QString ruleText(int row) const;

    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

    // One undo step each; false (and editFailed) when iptables refuses.
    bool moveRule(int from, int to);
    bool removeRule(int row);
    // `iptables -t TABLE` + args, e.g. "-A INPUT -p tcp --dport 22 -j DROP".
    bool runIptables(const QString& args, const QString& description = {});

    Qt::DropActions supportedDropActions() const override { return Qt::MoveAction; }
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QModelIndexList& indexes) const override;
    bool canDropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                         const QModelIndex& parent) const override;
    bool dropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                      const QModelIndex& parent) override;

    void setRun(std::shared_ptr<const RunResult> run) override;

protected:
    int rows() const override { return int(m_rows.size()); }
    void reloadRows() override;

private:
    struct Row {
        QString text;   // "-A INPUT ..." as iptables-save prints it
        QString spec;   // the words after "-A INPUT"
        QString target, protocol, in, out, source, destination, matches;
        QString shadowed; // "rule 2: ..." when an earlier rule catches every packet first
        bool haveCounters = false;
        quint64 packets = 0, bytes = 0;
    };
    void fillCounters();
    QString tableArg() const;

    netfilter::TableId m_table = netfilter::TableId::Filter;
    QString m_chain = QStringLiteral("INPUT");
    std::vector<Row> m_rows;
};

} // namespace stackscope::ui
