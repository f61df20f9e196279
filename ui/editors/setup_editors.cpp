// SPDX-License-Identifier: GPL-3.0-or-later
// The main window's side of the host editors: the dock, the Edit menu with undo
// and redo, the modified marker, reloading the session with each edit, and the
// packet list's highlight of packets whose fate changed.
#include "ui/main_window.h"

#include "ui/editors/config_document.h"
#include "ui/editors/editors_dock.h"
#include "ui/packet_list_model.h"
#include "ui/session.h"
#include "ui/transport_bar.h"

#include <QAbstractItemView>
#include <QDockWidget>
#include <QFileInfo>
#include <QHelpEvent>
#include <QMenu>
#include <QMenuBar>
#include <QPainter>
#include <QStatusBar>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QToolTip>

#include "io/pcap_reader.h"

namespace stackscope::ui {
namespace {

// Paints a band behind packets whose fate the last edit changed; the tooltip says how.
class FateChangeDelegate : public QStyledItemDelegate {
public:
    FateChangeDelegate(EditorsDock* editors, PacketListModel* packets, QObject* parent)
        : QStyledItemDelegate(parent), m_editors(editors), m_packets(packets) {}

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override {
        if (m_editors->fateChanged(m_packets->packetAt(index.row()))) {
            // Amber reads as "look here" on light and dark palettes alike.
            painter->fillRect(option.rect, QColor(0xff, 0xb3, 0x00, 110));
        }
        QStyledItemDelegate::paint(painter, option, index);
    }

    bool helpEvent(QHelpEvent* event, QAbstractItemView* view, const QStyleOptionViewItem& option,
                   const QModelIndex& index) override {
        const QString change = m_editors->fateChange(m_packets->packetAt(index.row()));
        if (event->type() == QEvent::ToolTip && !change.isEmpty()) {
            QToolTip::showText(event->globalPos(), change, view);
            return true;
        }
        return QStyledItemDelegate::helpEvent(event, view, option, index);
    }

private:
    EditorsDock* m_editors;
    PacketListModel* m_packets;
};

} // namespace

void MainWindow::setupEditors() {
    m_editors = new EditorsDock(this);
    QDockWidget* dock = addDock(m_editors, tr("Host configuration"), QStringLiteral("hostConfigDock"),
                                Qt::BottomDockWidgetArea);
    if (auto* packets = findChild<QDockWidget*>(QStringLiteral("packetsDock"))) {
        tabifyDockWidget(packets, dock);
        packets->raise();
    }

    QMenu* edit = new QMenu(tr("&Edit"), this);
    edit->addAction(m_editors->undoAction());
    edit->addAction(m_editors->redoAction());
    edit->addSeparator();
    QAction* command = edit->addAction(tr("Run a &command on the host…"), this, [this, dock] {
        dock->show();
        dock->raise();
        m_editors->openCommandDialog();
    });
    command->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    QAction* save = edit->addAction(tr("&Save scenario…"), m_editors, &EditorsDock::saveScenarioAs);
    save->setShortcut(QKeySequence::Save);
    edit->addAction(tr("&Host configuration"), this, [dock] {
        dock->show();
        dock->raise();
    });
    // Between File and View, where desktop users look for it.
    const QList<QAction*> menus = menuBar()->actions();
    menuBar()->insertMenu(menus.size() > 1 ? menus.at(1) : nullptr, edit);
    for (QAction* a : menus)
        if (a->menu() && a->text() == tr("&View")) a->menu()->insertAction(m_transport->toggleViewAction(), dock->toggleViewAction());

    connect(m_editors->document()->undoStack(), &QUndoStack::cleanChanged, this,
            [this](bool clean) { setWindowModified(!clean); });
    connect(m_editors, &EditorsDock::statusMessage, this, [this](const QString& t) { statusBar()->showMessage(t, 8000); });

    connect(m_session, &Session::loaded, this, [this] {
        if (m_editorReload || !m_session->stepper()) return;
        // The editors keep their own reference to the frames so a re-run never races a reload.
        std::shared_ptr<const std::vector<InputFrame>> frames = m_editors->frames();
        if (!frames || frames.get() != &m_session->frames())
            frames = std::make_shared<const std::vector<InputFrame>>(m_session->frames());
        m_editors->setCapture(m_session->stepper()->config(), frames);
        setWindowModified(false);
    });
    connect(m_editors, &EditorsDock::configEdited, this, [this] {
        if (!m_session->isLoaded()) return;
        m_editorReload = true;
        m_session->load(m_editors->document()->config(), m_editors->frames(), m_session->sources());
        m_editorReload = false;
    });

    m_packetTable->setItemDelegate(new FateChangeDelegate(m_editors, m_packets, m_packetTable));
    connect(m_editors, &EditorsDock::whatIfFinished, this, [this](const QString& summary) {
        m_packetTable->viewport()->update();
        statusBar()->showMessage(summary, 15000);
    });
    connect(m_editors, &EditorsDock::openScenarioRequested, this, [this](const QString& path) {
        QStringList files{path};
        for (const QString& s : m_session->sources())
            if (io::looksLikeCapture(QFile::encodeName(s).toStdString())) files << s;
        openFiles(files);
    });
}

} // namespace stackscope::ui
