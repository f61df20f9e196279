// SPDX-License-Identifier: GPL-3.0-or-later
// The narration: for the event at the cursor, which kernel function ran, in
// which context on which CPU, what it does, what it decided and which
// counters it changed. Clicking a diagram box shows that stage's story.
#pragma once

#include "sim/trace.h"

#include <QWidget>

#include <functional>

class QTextBrowser;

namespace stackscope::ui {

class Session;

// "UdpRcvbufErrors +1", "eth0 rx_dropped +1", "softnet cpu0 dropped +1"
QString counterDeltaText(const CounterDelta& delta, const std::function<QString(int)>& ifname);

class NarrationPanel : public QWidget {
    Q_OBJECT
public:
    explicit NarrationPanel(Session* session, QWidget* parent = nullptr);

    QString plainText() const; // what is shown, for tests and copying
    void setLargeText(bool large);

public slots:
    void showStage(stackscope::Stage stage); // explain a stage that is not at the cursor
    void showCurrent();

private:
    QString eventHtml(const TraceEvent& e) const;

    Session* m_session;
    QTextBrowser* m_text;
};

} // namespace stackscope::ui
