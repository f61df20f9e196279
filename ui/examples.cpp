// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/examples.h"

#include <QDir>
#include <QFile>
#include <QStringList>

namespace stackscope::ui {

ExampleScenario describeExample(const QString& fileName, const QString& text) {
    ExampleScenario e{fileName, {}, {}};
    QStringList lines;
    for (const QString& raw : text.split(QLatin1Char('\n'))) {
        const QString line = raw.trimmed();
        if (!line.startsWith(QLatin1Char('#'))) break;
        lines << line.mid(1).trimmed();
    }
    e.title = lines.isEmpty() || lines.first().isEmpty() ? fileName : lines.takeFirst();
    e.description = lines.join(QLatin1Char(' ')).trimmed();
    return e;
}

QString exampleResource(const QString& fileName) {
    return QStringLiteral(":/stackscope/examples/") + fileName;
}

std::vector<ExampleScenario> bundledExamples() {
    std::vector<ExampleScenario> out;
    const QDir dir(QStringLiteral(":/stackscope/examples"));
    for (const QString& name : dir.entryList({QStringLiteral("*.scn")}, QDir::Files, QDir::Name)) {
        QFile f(dir.filePath(name));
        if (!f.open(QIODevice::ReadOnly)) continue;
        out.push_back(describeExample(name, QString::fromUtf8(f.readAll())));
    }
    return out;
}

} // namespace stackscope::ui
