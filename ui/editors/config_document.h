// SPDX-License-Identifier: GPL-3.0-or-later
// The host configuration being edited: one HostConfig value, changed only by
// undoable edits. Every edit is the command an administrator would type,
// checked by the scenario reader on a copy before it is committed.
#pragma once

#include "model/host_config.h"
#include "netfilter/ruleset.h"

#include <QObject>
#include <QString>
#include <QUndoStack>

#include <optional>

namespace stackscope::ui {

class ConfigDocument : public QObject {
    Q_OBJECT
public:
    explicit ConfigDocument(QObject* parent = nullptr);

    const HostConfig& config() const { return m_config; }
    QUndoStack* undoStack() { return &m_undo; }

    // A file was loaded: the new starting point, with an empty undo history.
    void reset(const HostConfig& config);
    // Runs scenario lines (one or more) on a copy; commits them as one undo step when
    // every line is valid. Returns the error to show otherwise.
    std::optional<QString> applyCommands(const QString& lines, const QString& description = {});
    // Only the check; the configuration is left as it is.
    std::optional<QString> check(const QString& lines) const;
    // The result of `lines` on top of `start`, or the error.
    std::optional<QString> evaluate(const HostConfig& start, const QString& lines, HostConfig* out) const;
    // Imports: every line is tried, the good ones are applied in order (as a scenario file
    // is read) and committed as one undo step; the bad ones come back with their line numbers.
    QStringList applyLenient(const HostConfig& start, const QString& lines, const QString& description,
                             const QString& source);
    // A structural change computed by an editor (e.g. removing a socket), as one undo step.
    void replace(const HostConfig& next, const QString& description);

    // The netfilter tables the configuration builds (no counters).
    netfilter::Ruleset ruleset() const;

signals:
    // After every edit, undo, redo and reset.
    void changed();
    // After an edit, undo or redo (not a reset): the configuration differs from the run.
    void edited();

private:
    friend class ConfigEditCommand;
    void set(const HostConfig& config);

    HostConfig m_config = HostConfig::withLoopback();
    QUndoStack m_undo;
};

// The scenario line that recreates one element, written by the scenario writer.
QString routeCommand(const RouteConfig& route);
QString neighbourCommand(const NeighbourConfig& neighbour);
QString socketCommand(const SocketConfig& socket);
QString qdiscCommand(const InterfaceConfig& interface); // empty without a configured qdisc

} // namespace stackscope::ui
