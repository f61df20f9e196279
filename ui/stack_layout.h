// SPDX-License-Identifier: GPL-3.0-or-later
// Where each stage sits in the stack diagram. The shape follows the classic
// netfilter packet-flow picture: receive rises on the left, local delivery
// climbs to the applications at the top, transmit descends on the right,
// forwarding crosses between them, and dropped packets fall into bins below.
#pragma once

#include "sim/stage.h"

#include <QColor>
#include <QPainterPath>
#include <QRectF>
#include <QString>

#include <vector>

namespace stackscope::ui {

struct StackEdge {
    Stage from;
    Stage to;
};

struct HookGroup {
    QString caption; // "PREROUTING"
    std::vector<Stage> stages;
};

namespace layout {
inline constexpr qreal kColumnPitch = 240;
inline constexpr qreal kRowPitch = 92;
inline constexpr qreal kBoxWidth = 208;
inline constexpr qreal kBoxHeight = 76;
} // namespace layout

QRectF stageRect(Stage stage);             // scene coordinates
const std::vector<StackEdge>& stackEdges();
const std::vector<HookGroup>& hookGroups();
QRectF dropBinArea();                      // where drop bins are placed
QRectF diagramBounds();                    // everything, with a margin
// An orthogonal path between two boxes that keeps to the gaps between columns.
QPainterPath edgePath(const QRectF& from, const QRectF& to);
QColor pathColor(Path path); // the hue of a path; views blend it with the palette
bool isNetfilterHook(Stage stage);

} // namespace stackscope::ui
