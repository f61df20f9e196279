// SPDX-License-Identifier: GPL-3.0-or-later
// The host editors' file side: import and export in the real tools' formats,
// importing this machine's configuration, and saving the scenario atomically.
#include "ui/editors/editors_dock.h"

#include "scenario/scenario.h"
#include "ui/editors/import_export.h"

#include <QApplication>
#include <QFile>
#include <QFileDialog>
#include <QInputDialog>
#include <QMessageBox>
#include <QSaveFile>

namespace stackscope::ui {
namespace {
struct FormatChoice {
    const char* label;
    ImportFormat format;
};
const FormatChoice kFormats[] = {
    {"iptables-save dump (iptables-restore input)", ImportFormat::IptablesSave},
    {"ip route output", ImportFormat::IpRoute},
    {"ip neigh output", ImportFormat::IpNeigh},
    {"sysctl lines (key = value)", ImportFormat::Sysctl},
    {"scenario lines", ImportFormat::Scenario},
};

int chooseFormat(QWidget* parent, const QString& title, int count) {
    QStringList labels;
    for (int i = 0; i < count; ++i) labels << QObject::tr(kFormats[i].label);
    bool ok = false;
    const QString picked = QInputDialog::getItem(parent, title, QObject::tr("Format:"), labels, 0, false, &ok);
    return ok ? int(labels.indexOf(picked)) : -1;
}
} // namespace

void EditorsDock::importFile() {
    const int choice = chooseFormat(this, tr("Import"), int(std::size(kFormats)));
    if (choice < 0) return;
    const QString path = QFileDialog::getOpenFileName(this, tr("Import %1").arg(tr(kFormats[choice].label)));
    if (path.isEmpty()) return;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        showError(tr("%1: %2").arg(path, file.errorString()));
        return;
    }
    const QString commands = importAsCommands(kFormats[choice].format, QString::fromUtf8(file.readAll()));
    const QStringList errors = m_doc->applyLenient(m_doc->config(), commands, tr("Import %1").arg(path), path);
    if (!errors.isEmpty()) {
        QMessageBox box(QMessageBox::Warning, tr("Import"),
                        tr("Lines not imported: %1. The others were applied.").arg(errors.size()),
                        QMessageBox::Ok, this);
        box.setDetailedText(errors.join(QLatin1Char('\n')));
        box.exec();
    }
}

void EditorsDock::exportFile() {
    const int choice = chooseFormat(this, tr("Export"), 4);
    if (choice < 0) return;
    const HostConfig& c = m_doc->config();
    QString text;
    switch (kFormats[choice].format) {
    case ImportFormat::IptablesSave: text = exportIptablesSave(c); break;
    case ImportFormat::IpRoute: text = exportIpRoute(c); break;
    case ImportFormat::IpNeigh: text = exportIpNeigh(c); break;
    case ImportFormat::Sysctl: text = exportSysctl(c); break;
    case ImportFormat::Scenario: break;
    }
    const QString path = QFileDialog::getSaveFileName(this, tr("Export %1").arg(tr(kFormats[choice].label)));
    if (path.isEmpty()) return;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0 || !file.commit())
        showError(tr("%1: %2").arg(path, file.errorString()));
    else
        emit statusMessage(tr("Exported %1").arg(path));
}

void EditorsDock::importThisMachine() {
    QApplication::setOverrideCursor(Qt::WaitCursor);
    const HostImport imported = stackscope::ui::importThisMachine();
    QApplication::restoreOverrideCursor();
    // A fresh host: this machine's links replace the scenario's, not add to them.
    const QStringList errors = m_doc->applyLenient(HostConfig::withLoopback(), imported.commands,
                                                   tr("Import this machine"), tr("this machine"));
    QStringList notes = imported.notes;
    if (!errors.isEmpty()) notes << tr("Lines not understood (%1):").arg(errors.size()) << errors;
    if (!notes.isEmpty()) {
        QMessageBox box(QMessageBox::Information, tr("Import this machine"),
                        tr("The configuration was imported with remarks (%1); the first: %2").arg(notes.size()).arg(notes.first()),
                        QMessageBox::Ok, this);
        box.setDetailedText(notes.join(QLatin1Char('\n')) + QStringLiteral("\n\nCommands:\n") + imported.commands);
        box.exec();
    }
}

bool EditorsDock::saveScenario(const QString& path) {
    // QSaveFile writes a temporary file and renames it: a crash never leaves half a scenario.
    QSaveFile file(path);
    const QByteArray text = QByteArray::fromStdString(scenario::writeScenario(m_doc->config()));
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit()) {
        showError(tr("%1: %2").arg(path, file.errorString()));
        return false;
    }
    m_doc->undoStack()->setClean();
    emit statusMessage(tr("Saved %1").arg(path));
    return true;
}

void EditorsDock::saveScenarioAs() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save scenario"), QStringLiteral("host.scn"),
                                                      tr("Scenarios (*.scn);;All files (*)"));
    if (!path.isEmpty()) saveScenario(path);
}

} // namespace stackscope::ui
