// SPDX-License-Identifier: GPL-3.0-or-later
// The inspector: the skb fields of the packet at the cursor, its protocol
// tree, and its bytes with what the current stage changed highlighted.
#pragma once

#include <QWidget>

class QTreeWidget;
class QTreeWidgetItem;

namespace stackscope::ui {

class Session;
class HexView;

class Inspector : public QWidget {
    Q_OBJECT
public:
    explicit Inspector(Session* session, QWidget* parent = nullptr);

    QTreeWidget* tree() const { return m_tree; }
    HexView* hexView() const { return m_hex; }

public slots:
    void refresh();

private:
    Session* m_session;
    QTreeWidget* m_tree;
    HexView* m_hex;
};

} // namespace stackscope::ui
