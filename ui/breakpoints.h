// SPDX-License-Identifier: GPL-3.0-or-later
// Breakpoints: conditions on trace events that stop a run. A breakpoint names
// a stage, a netfilter hook chain ("filter INPUT"), a rule (table, chain,
// 1-based index), a drop reason, or a packet filter in the packet list's
// syntax. The list is a table model so a dock can show and toggle it.
#pragma once

#include "sim/trace.h"
#include "ui/packet_decode.h"

#include <QAbstractTableModel>
#include <QDialog>
#include <QWidget>

#include <memory>
#include <unordered_map>
#include <vector>

class QComboBox;
class QLineEdit;
class QSpinBox;
class QStackedWidget;
class QTableView;

namespace stackscope {
struct HostConfig;
namespace netfilter {
class Ruleset;
}
} // namespace stackscope

namespace stackscope::ui {

class Session;
class DropsModel;

struct BreakpointSpec {
    enum class Kind { Stage, Hook, Rule, DropReason, Filter };
    Kind kind = Kind::Stage;
    bool enabled = true;
    Stage stage = Stage::NicRx;                            // Kind::Stage
    QString table;                                         // Hook, Rule: "filter"
    QString chain;                                         // Hook: "INPUT"; Rule: any chain
    int index = 1;                                         // Rule: 1-based position in the chain
    stackscope::DropReason reason = stackscope::DropReason::None; // Kind::DropReason
    QString filter;                                        // Kind::Filter

    static BreakpointSpec onStage(Stage s);
    static BreakpointSpec onHook(const QString& table, const QString& chain);
    static BreakpointSpec onRule(const QString& table, const QString& chain, int index);
    static BreakpointSpec onDrop(stackscope::DropReason r);
    static BreakpointSpec onFilter(const QString& text);

    QString kindText() const;
    QString describe() const; // "stage ip_rcv", "rule filter INPUT #2", "packet filter \"udp\""
    bool sameCondition(const BreakpointSpec& other) const;
};

// The hook chains the diagram has boxes for: "raw PREROUTING", ..., "nat POSTROUTING".
QStringList hookChainNames();

class BreakpointList : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Enabled, Kind, Condition, Hits, ColumnCount };

    explicit BreakpointList(Session* session, QObject* parent = nullptr);
    ~BreakpointList() override;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const std::vector<BreakpointSpec>& specs() const { return m_specs; }
    const BreakpointSpec& at(int row) const { return m_specs[std::size_t(row)]; }
    // Adds the breakpoint, or enables an existing one with the same condition; returns its row.
    int add(const BreakpointSpec& spec);
    void remove(int row);
    void clear();
    void setEnabled(int row, bool on);
    bool anyEnabled() const;
    bool hasStage(Stage s) const; // an enabled breakpoint on exactly this stage
    void toggleStage(Stage s);

    // The row of the first enabled breakpoint the event hits, -1 for none. Not const: it
    // caches rule texts and packet summaries.
    int hit(const TraceEvent& e);
    void countHit(int row);
    // Rule texts are resolved against the loaded configuration.
    void setConfig(const HostConfig& config);
    // "" when the rule exists, else what is wrong with it.
    QString checkRule(const QString& table, const QString& chain, int index) const;

signals:
    void changed();

private:
    bool matches(std::size_t row, const TraceEvent& e);
    const PacketSummary* summaryFor(const TraceEvent& e);
    QString ruleText(const BreakpointSpec& spec) const;

    Session* m_session;
    std::vector<BreakpointSpec> m_specs;
    std::vector<std::uint64_t> m_hits;
    std::unique_ptr<netfilter::Ruleset> m_rules; // as the loaded configuration sets it up
    std::unordered_map<PacketId, PacketSummary> m_summaries; // last decoded bytes per packet
};

// Edits one new breakpoint; spec() is valid after accept().
class BreakpointDialog : public QDialog {
    Q_OBJECT
public:
    explicit BreakpointDialog(BreakpointList* list, QWidget* parent = nullptr);
    BreakpointSpec spec() const;
    void setSpec(const BreakpointSpec& spec);
    void accept() override;

private:
    BreakpointList* m_list;
    QComboBox* m_kind;
    QStackedWidget* m_pages;
    QComboBox* m_stage;
    QComboBox* m_hook;
    QComboBox* m_ruleTable;
    QLineEdit* m_ruleChain;
    QSpinBox* m_ruleIndex;
    QComboBox* m_reason;
    QLineEdit* m_filter;
};

// The Breakpoints dock: the list with enable checkboxes, Add, Remove and Clear.
class BreakpointsPanel : public QWidget {
    Q_OBJECT
public:
    explicit BreakpointsPanel(BreakpointList* list, QWidget* parent = nullptr);
    QTableView* table() const { return m_table; }

public slots:
    void addWithDialog();

private:
    BreakpointList* m_list;
    QTableView* m_table;
};

// Opens the dialog preset to `initial` and adds what the user confirms.
void addBreakpointWithDialog(BreakpointList* list, QWidget* parent, const BreakpointSpec& initial);
// A context menu on the drops table: break on the row's drop reason or stage.
void attachDropsBreakpointMenu(QTableView* table, DropsModel* drops, BreakpointList* list);

} // namespace stackscope::ui
