// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/transport_bar.h"

#include "ui/session.h"

#include <QAction>
#include <QLabel>
#include <QSlider>
#include <QStyle>

namespace stackscope::ui {
namespace {
// Slider positions: 1 event/s doubling up to 2048/s, then unlimited.
constexpr int kSliderMax = 12;
constexpr int kDefaultSlider = 2;
} // namespace

int TransportBar::speedForSlider(int value) { return value >= kSliderMax ? 0 : 1 << value; }

TransportBar::TransportBar(Session* session, QWidget* parent)
    : QToolBar(tr("Transport"), parent), m_session(session) {
    setObjectName(QStringLiteral("transportBar"));
    setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    auto make = [this](const QString& text, QStyle::StandardPixmap icon, QList<QKeySequence> keys,
                       const QString& tip) {
        QAction* a = addAction(style()->standardIcon(icon), text);
        a->setShortcuts(keys);
        a->setToolTip(QStringLiteral("%1 (%2)").arg(tip, keys.value(0).toString(QKeySequence::NativeText)));
        return a;
    };
    m_reset = make(tr("Reset"), QStyle::SP_MediaSkipBackward, {QKeySequence(Qt::CTRL | Qt::Key_Home)},
                   tr("Back to the start"));
    m_stepPacketBack = make(tr("Packet back"), QStyle::SP_MediaSeekBackward,
                            {QKeySequence(Qt::SHIFT | Qt::Key_F11)}, tr("Back to this packet's first stage"));
    m_stepBack = make(tr("Step back"), QStyle::SP_ArrowBack, {QKeySequence(Qt::SHIFT | Qt::Key_F10)},
                      tr("Undo one stage"));
    m_run = make(tr("Run"), QStyle::SP_MediaPlay, {QKeySequence(Qt::Key_F5), QKeySequence(Qt::Key_Space)},
                 tr("Run or pause"));
    m_run->setCheckable(true);
    m_step = make(tr("Step"), QStyle::SP_ArrowForward, {QKeySequence(Qt::Key_F10)}, tr("One stage forward"));
    m_stepPacket = make(tr("Next packet"), QStyle::SP_MediaSeekForward, {QKeySequence(Qt::Key_F11)},
                        tr("Forward to the next packet"));
    addSeparator();
    m_breakOnDrop = addAction(tr("Break on drop"));
    m_breakOnDrop->setCheckable(true);
    m_breakOnDrop->setToolTip(tr("Stop running when any packet is dropped"));
    addSeparator();
    addWidget(new QLabel(tr(" Speed "), this));
    m_speed = new QSlider(Qt::Horizontal, this);
    m_speed->setObjectName(QStringLiteral("speedSlider"));
    m_speed->setRange(0, kSliderMax);
    m_speed->setValue(kDefaultSlider);
    m_speed->setMaximumWidth(160);
    m_speed->setToolTip(tr("Events per second while running"));
    addWidget(m_speed);
    m_speedLabel = new QLabel(this);
    m_speedLabel->setMinimumWidth(80);
    addWidget(m_speedLabel);
    addSeparator();
    m_position = new QLabel(this);
    m_position->setObjectName(QStringLiteral("positionLabel"));
    addWidget(m_position);

    connect(m_reset, &QAction::triggered, session, &Session::reset);
    connect(m_stepBack, &QAction::triggered, session, &Session::stepBack);
    connect(m_stepPacketBack, &QAction::triggered, session, &Session::stepPacketBack);
    connect(m_step, &QAction::triggered, session, &Session::stepForward);
    connect(m_stepPacket, &QAction::triggered, session, &Session::stepPacket);
    connect(m_run, &QAction::triggered, session, &Session::setRunning);
    connect(m_breakOnDrop, &QAction::toggled, session, &Session::setBreakOnDrop);
    connect(m_speed, &QSlider::valueChanged, this, [this](int v) {
        m_session->setSpeed(speedForSlider(v));
        updateState();
    });
    connect(session, &Session::runningChanged, this, &TransportBar::updateState);
    connect(session, &Session::cursorMoved, this, &TransportBar::updateState);
    connect(session, &Session::loaded, this, &TransportBar::updateState);
    session->setSpeed(speedForSlider(m_speed->value()));
    updateState();
}

void TransportBar::updateState() {
    const bool loaded = m_session->isLoaded();
    const bool running = m_session->running();
    const bool atStart = m_session->position() == 0;
    const bool atEnd = !loaded || m_session->stepper()->atEnd();
    m_run->setChecked(running);
    m_run->setText(running ? tr("Pause") : tr("Run"));
    m_run->setIcon(style()->standardIcon(running ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    m_run->setEnabled(loaded && (running || !atEnd));
    m_step->setEnabled(loaded && !atEnd && !running);
    m_stepPacket->setEnabled(loaded && !atEnd && !running);
    m_stepBack->setEnabled(loaded && !atStart);
    m_stepPacketBack->setEnabled(loaded && !atStart);
    m_reset->setEnabled(loaded && !atStart);
    const int speed = speedForSlider(m_speed->value());
    m_speedLabel->setText(speed == 0 ? tr("max") : tr("%1/s").arg(speed));
    m_position->setText(loaded ? tr("event %1").arg(m_session->position()) : QString());
}

} // namespace stackscope::ui
