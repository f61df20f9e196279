// SPDX-License-Identifier: GPL-3.0-or-later
// The counters at the cursor in the layouts operators know: nstat,
// /proc/net/softnet_stat, ip -s link and tc -s qdisc.
#pragma once

#include <QWidget>

class QPlainTextEdit;
class QTabWidget;

namespace stackscope::ui {

class Session;

class CountersPanel : public QWidget {
    Q_OBJECT
public:
    explicit CountersPanel(Session* session, QWidget* parent = nullptr);

    QString nstatText() const;
    QString softnetText() const;

public slots:
    void refresh();

private:
    Session* m_session;
    QTabWidget* m_tabs;
    QPlainTextEdit* m_nstat;
    QPlainTextEdit* m_softnet;
    QPlainTextEdit* m_links;
    QPlainTextEdit* m_qdisc;
};

} // namespace stackscope::ui
