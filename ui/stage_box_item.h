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
    // A queue's fill against its limit, 0..1, drawn as a gauge; a negative ratio hides it.
    void setQueueFill(double ratio, const QString& text);
    double queueFill() const { return m_fill; }
    QString queueFillText() const { return m_fillText; }
    // Presentation mode enlarges the writing; the box keeps its size.
    void setTextScale(qreal scale);

    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

signals:
    void activated(stackscope::Stage stage);
    void breakpointToggleRequested(stackscope::Stage stage);
    void hookBreakpointRequested(stackscope::Stage stage);   // on the box's hook chain
    void breakpointDialogRequested(stackscope::Stage stage); // the full dialog, preset to the box

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
    double m_fill = -1;
    QString m_fillText;
    qreal m_textScale = 1.0;
    bool m_current = false;
    bool m_breakpoint = false;
    bool m_hover = false;
};

} // namespace stackscope::ui
