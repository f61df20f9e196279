// SPDX-License-Identifier: GPL-3.0-or-later
// The "Host configuration" dock: one tab per part of the simulated host
// (netfilter, routes, neighbours, sockets, interfaces, sysctls, qdiscs) and a
// what-if tab. After each edit the capture is re-run in the background and the
// packets whose fate changed are reported.
#pragma once

#include "sim/frame.h"
#include "ui/editors/config_document.h"
#include "ui/editors/what_if.h"

#include <QWidget>

#include <memory>

class QAction;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QTableView;
class QTreeView;

namespace stackscope::ui {

class ChainsModel;
class RulesModel;
class RoutesModel;
class NeighboursModel;
class SocketsModel;
class InterfacesModel;
class SysctlModel;
class QdiscsModel;
class CounterDiffModel;
class HostTableModel;

class EditorsDock : public QWidget {
    Q_OBJECT
public:
    explicit EditorsDock(QWidget* parent = nullptr);
    ~EditorsDock() override;

    ConfigDocument* document() const { return m_doc; }
    ChainsModel* chainsModel() const { return m_chains; }
    RulesModel* rulesModel() const { return m_rules; }
    RoutesModel* routesModel() const { return m_routes; }
    NeighboursModel* neighboursModel() const { return m_neighbours; }
    SocketsModel* socketsModel() const { return m_sockets; }
    InterfacesModel* interfacesModel() const { return m_interfaces; }
    SysctlModel* sysctlModel() const { return m_sysctls; }
    QdiscsModel* qdiscsModel() const { return m_qdiscs; }
    CounterDiffModel* counterDiffModel() const { return m_diff; }
    QAction* undoAction() const { return m_undo; }
    QAction* redoAction() const { return m_redo; }
    QTabWidget* tabs() const { return m_tabs; }
    QTableView* ruleView() const { return m_ruleView; }

    // A new simulation was loaded: its configuration is the new starting point and its
    // capture the one re-run after edits.
    void setCapture(const HostConfig& config, std::shared_ptr<const std::vector<InputFrame>> frames);
    std::shared_ptr<const std::vector<InputFrame>> frames() const { return m_frames; }
    // "netfilter", "routes", "neighbours", "sockets", "interfaces", "sysctls", "qdiscs", "what-if"
    bool showTab(const QString& name);
    void showNetfilterChain(const QString& table, const QString& chain);

    bool whatIfRunning() const;
    std::shared_ptr<const RunResult> currentRun() const { return m_current; }
    const RunComparison& lastComparison() const { return m_comparison; }
    bool fateChanged(PacketId packet) const { return m_comparison.changed.count(packet) != 0; }
    QString fateChange(PacketId packet) const; // "delivered → dropped by filter INPUT rule 1"
    QString lastError() const;

public slots:
    void openCommandDialog(const QString& prefill = {});
    void importFile();
    void exportFile();
    void importThisMachine();
    bool saveScenario(const QString& path);
    void saveScenarioAs();
    void cancelWhatIf();

signals:
    void configEdited();               // the session should now simulate document()->config()
    void whatIfFinished(const QString& summary);
    void openScenarioRequested(const QString& path);
    void statusMessage(const QString& text);

private:
    QWidget* buildNetfilterTab();
    QWidget* buildTableTab(HostTableModel* model, const QString& objectName, const QString& addLabel,
                           const QString& addPrefill, const std::function<bool(int)>& remove, QTableView** viewOut);
    QWidget* buildSysctlTab();
    QWidget* buildWhatIfTab();
    void connectErrors(HostTableModel* model);
    void showError(const QString& message);
    void startRun();
    void runFinished(std::shared_ptr<const RunResult> result);
    void moveSelectedRule(int delta);

    ConfigDocument* m_doc;
    WhatIfRunner* m_runner;
    std::shared_ptr<const std::vector<InputFrame>> m_frames;
    std::shared_ptr<const RunResult> m_current; // the run of the configuration before the pending edit
    std::shared_ptr<const RunResult> m_previous; // the run before the last edit's run
    RunComparison m_comparison;
    bool m_runPending = false;

    ChainsModel* m_chains;
    RulesModel* m_rules;
    RoutesModel* m_routes;
    NeighboursModel* m_neighbours;
    SocketsModel* m_sockets;
    InterfacesModel* m_interfaces;
    SysctlModel* m_sysctls;
    QdiscsModel* m_qdiscs;
    CounterDiffModel* m_diff;

    QTabWidget* m_tabs = nullptr;
    QComboBox* m_tableBox = nullptr;
    QTreeView* m_chainView = nullptr;
    QTableView* m_ruleView = nullptr;
    QLabel* m_error = nullptr;
    QLabel* m_summary = nullptr;
    QLabel* m_whatIfSummary = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    QAction* m_undo = nullptr;
    QAction* m_redo = nullptr;
};

} // namespace stackscope::ui
