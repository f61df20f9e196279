// SPDX-License-Identifier: GPL-3.0-or-later
// The lesson scenarios bundled with the program (assets/examples): each opens with a
// comment whose first line is its title and whose next lines say what to watch.
#pragma once

#include <QString>

#include <vector>

namespace stackscope::ui {

struct ExampleScenario {
    QString fileName;    // "send-buffer.scn"
    QString title;       // the first comment line
    QString description; // the comment lines after it, joined
};

// Title and description from a scenario's leading comment lines.
ExampleScenario describeExample(const QString& fileName, const QString& text);
// The bundled examples, in file name order.
std::vector<ExampleScenario> bundledExamples();
// The resource path of a bundled example.
QString exampleResource(const QString& fileName);

} // namespace stackscope::ui
