// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/stage_text.h"

#include <QFile>
#include <QHash>
#include <QTextStream>

#include <array>

namespace stackscope::ui {
namespace {

std::array<QString, std::size_t(Stage::Count)> loadTexts() {
    std::array<QString, std::size_t(Stage::Count)> texts;
    QFile file(QStringLiteral(":/stackscope/stages.txt"));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return texts;
    QTextStream in(&file);
    std::optional<Stage> current;
    QString paragraph;
    auto flush = [&] {
        if (current) texts[std::size_t(*current)] = paragraph.trimmed();
        paragraph.clear();
    };
    while (!in.atEnd()) {
        const QString line = in.readLine();
        if (line.startsWith(QLatin1String("## "))) {
            flush();
            current = stageFromName(line.mid(3).trimmed().toStdString());
        } else if (!line.startsWith(QLatin1Char('#'))) {
            paragraph += line + QLatin1Char(' ');
        }
    }
    flush();
    return texts;
}

const std::array<QString, std::size_t(Stage::Count)>& texts() {
    static const auto t = loadTexts();
    return t;
}

} // namespace

QString toQString(std::string_view text) {
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

QString stageExplanation(Stage stage) {
    if (stage >= Stage::Count) return {};
    return texts()[std::size_t(stage)];
}

QString stageTooltip(Stage stage) {
    return QStringLiteral("<p><b>%1</b> &mdash; <tt>%2()</tt></p><p style='white-space:normal'>%3</p>")
        .arg(toQString(stageLabel(stage)).toHtmlEscaped(),
             toQString(stageKernelFunction(stage)).toHtmlEscaped(),
             stageExplanation(stage).toHtmlEscaped());
}

} // namespace stackscope::ui
