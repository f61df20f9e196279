// SPDX-License-Identifier: GPL-3.0-or-later
// The main window: the stack diagram in the centre, transport controls, and
// docks for narration, packets, inspector, drops and counters.
#pragma once

#include "sim/frame.h"
#include "model/host_config.h"

#include <QMainWindow>
#include <QStringList>

#include <atomic>
#include <memory>

class QAction;
class QDockWidget;
class QLabel;
class QLineEdit;
class QMenu;
class QProgressDialog;
class QTableView;
class QTemporaryDir;

namespace stackscope::ui {

class Session;
class StackScene;
class StackView;
class TransportBar;
class NarrationPanel;
class PacketListModel;
class DropsModel;
class Inspector;
class CountersPanel;
class ChartsPanel;
class BreakpointsPanel;
class PacketSeeker;
class EditorsDock;
class LiveController;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Scenarios and captures, told apart by content. A capture may be given as
    // IFACE=PATH to choose the interface it arrives on. Loading captures runs on a
    // worker thread; loadFinished reports the outcome.
    void openFiles(const QStringList& paths);
    void openDemo();
    // A bundled lesson scenario (assets/examples) by file name, e.g. "send-buffer.scn".
    void openExample(const QString& fileName);
    // Without interaction errors go to lastErrors() and the status bar, not dialogs.
    void setInteractive(bool on) { m_interactive = on; }
    QStringList lastErrors() const { return m_lastErrors; }
    bool isLoading() const { return m_loading != nullptr; }

    Session* session() const { return m_session; }
    StackScene* stackScene() const { return m_scene; }
    StackView* stackView() const { return m_view; }
    NarrationPanel* narration() const { return m_narration; }
    PacketListModel* packetModel() const { return m_packets; }
    DropsModel* dropsModel() const { return m_drops; }
    CountersPanel* countersPanel() const { return m_counters; }
    ChartsPanel* chartsPanel() const { return m_charts; }
    EditorsDock* editors() const { return m_editors; } // the "Host configuration" dock
    Inspector* inspector() const { return m_inspector; }
    TransportBar* transport() const { return m_transport; }
    LiveController* liveController() const { return m_live; } // null without live support

    bool presentationMode() const { return m_presentation; }
    static constexpr int kStateVersion = 1;

public slots:
    void setPresentationMode(bool on);
    void exportDiagram();

signals:
    void loadFinished(bool ok);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    struct LoadJob;

    void openDialog();
    void createActions();
    void createDocks();
    QDockWidget* addDock(QWidget* widget, const QString& title, const QString& objectName,
                         Qt::DockWidgetArea area);
    void restoreLayout();
    void showErrors(const QString& title, const QStringList& errors);
    void addRecent(const QStringList& paths);
    void rebuildRecentMenu();
    void startCaptureLoad(std::shared_ptr<LoadJob> job);
    void finishLoad(std::shared_ptr<LoadJob> job);
    void jumpToPacketRow(int row);
    void jumpToEvent(std::uint64_t seq);
    void showShortcuts();
    void showAbout();
    void updateTitle();
    void setupEditors(); // ui/editors/setup_editors.cpp
    void setupTools();   // ui/main_window_tools.cpp: breakpoints, packet seeking
    void seekToPacket(PacketId packet);
    void setupLive(QMenu* simulation); // ui/live_menu.cpp
    void updateLiveStatus();

    Session* m_session;
    StackScene* m_scene;
    StackView* m_view;
    TransportBar* m_transport;
    NarrationPanel* m_narration;
    PacketListModel* m_packets;
    DropsModel* m_drops;
    Inspector* m_inspector;
    CountersPanel* m_counters;
    ChartsPanel* m_charts;
    BreakpointsPanel* m_breakpointsPanel = nullptr;
    PacketSeeker* m_seeker = nullptr;
    EditorsDock* m_editors = nullptr;
    bool m_editorReload = false; // the session is being reloaded with an edited configuration
    QTableView* m_packetTable = nullptr;
    QTableView* m_dropTable = nullptr;
    QLineEdit* m_filter = nullptr;
    QDockWidget* m_narrationDock = nullptr;
    QList<QDockWidget*> m_docks;
    QMenu* m_recentMenu = nullptr;
    QAction* m_presentationAction = nullptr;
    LiveController* m_live = nullptr;
    QLabel* m_liveLabel = nullptr;

    bool m_interactive = true;
    bool m_followingCursor = false;
    QStringList m_lastErrors;
    std::shared_ptr<LoadJob> m_loading;
    QProgressDialog* m_progress = nullptr;
    std::unique_ptr<QTemporaryDir> m_demoDir;
    std::unique_ptr<QTemporaryDir> m_exampleDir;

    bool m_presentation = false;
    QByteArray m_statusBeforePresentation;
    bool m_wasFullScreen = false;
};

} // namespace stackscope::ui
