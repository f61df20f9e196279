// SPDX-License-Identifier: GPL-3.0-or-later
// The dialogs that start live mode: a scenario interface bound to a TAP device or to
// a capture on a host interface, and the error dialog with the engine's advice.
#pragma once

#include <QDialog>
#include <QString>

class QComboBox;
class QLineEdit;

namespace stackscope::ui {

class LiveController;
class Session;

enum class LiveKind { Tap, Capture };

class LiveDialog : public QDialog {
    Q_OBJECT
  public:
    LiveDialog(LiveKind kind, const QStringList& interfaces, QWidget* parent = nullptr);
    QString interface() const;
    QString device() const;
    QString filter() const; // capture only
    LiveKind kind() const { return m_kind; }

  private:
    LiveKind m_kind;
    QComboBox* m_interface;
    QLineEdit* m_device;
    QLineEdit* m_filter = nullptr;
};

// Opens the device for `interface` of the session's configuration and starts live mode.
// On failure returns false with the advice to show (what went wrong and what to do).
bool startLive(LiveController* controller, Session* session, LiveKind kind,
               const QString& interface, const QString& device, const QString& filter,
               QString* advice);

// An error whose text the user may copy (commands to run).
void showLiveError(QWidget* parent, const QString& title, const QString& text);

// Asks for the binding, starts live mode, shows the advice when that fails.
void runLiveDialog(QWidget* parent, LiveController* controller, Session* session, LiveKind kind);

} // namespace stackscope::ui
