// SPDX-License-Identifier: GPL-3.0-or-later
// The transport controls: step one stage, step one packet, step back, run or
// pause, reset, break on drops, and the run speed.
#pragma once

#include <QToolBar>

class QAction;
class QLabel;
class QSlider;

namespace stackscope::ui {

class Session;

class TransportBar : public QToolBar {
    Q_OBJECT
public:
    explicit TransportBar(Session* session, QWidget* parent = nullptr);

    QAction* resetAction() const { return m_reset; }
    QAction* stepBackAction() const { return m_stepBack; }
    QAction* stepPacketBackAction() const { return m_stepPacketBack; }
    QAction* stepAction() const { return m_step; }
    QAction* stepPacketAction() const { return m_stepPacket; }
    QAction* runAction() const { return m_run; }
    QAction* breakOnDropAction() const { return m_breakOnDrop; }
    QSlider* speedSlider() const { return m_speed; }

    static int speedForSlider(int value); // events per second; 0 = unlimited

private:
    void updateState();

    Session* m_session;
    QAction* m_reset;
    QAction* m_stepBack;
    QAction* m_stepPacketBack;
    QAction* m_step;
    QAction* m_stepPacket;
    QAction* m_run;
    QAction* m_breakOnDrop;
    QSlider* m_speed;
    QLabel* m_speedLabel;
    QLabel* m_position;
};

} // namespace stackscope::ui
