// SPDX-License-Identifier: GPL-3.0-or-later
// One box of the stack diagram: a stage with its label, kernel function and
// the events that passed or were dropped there up to the cursor.
#pragma once

#include "sim/stage.h"

#include <QGraphicsObject>

namespace stackscope::ui {

class StageBoxItem : public QGraphicsObject {
    Q_OBJECT
public:
    explicit StageBoxItem(Stage stage, QGraphicsItem* parent = nullptr);

    Stage stage() const { return m_stage; }
    void setCounts(std::uint64_t passed, std::uint64_t dropped);
    void setCurrent(bool current);
    void setBreakpoint(bool on);
    void setQueueDepth(int packets); // packets resting here at the cursor

    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

signals:
    void activated(stackscope::Stage stage);
    void breakpointToggleRequested(stackscope::Stage stage);

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* event) override;
    void contextMenuEvent(QGraphicsSceneContextMenuEvent* event) override;
    void hoverEnterEvent(QGraphicsSceneHoverEvent* event) override;
    void hoverLeaveEvent(QGraphicsSceneHoverEvent* event) override;

private:
    Stage m_stage;
    QRectF m_rect;
    std::uint64_t m_passed = 0;
    std::uint64_t m_dropped = 0;
    int m_queued = 0;
    bool m_current = false;
    bool m_breakpoint = false;
    bool m_hover = false;
};

} // namespace stackscope::ui
