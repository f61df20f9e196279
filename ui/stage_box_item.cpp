// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/stage_box_item.h"

#include "ui/stack_layout.h"
#include "ui/stage_text.h"

#include <QGraphicsScene>
#include <QGraphicsSceneContextMenuEvent>
#include <QGraphicsSceneMouseEvent>
#include <QMenu>
#include <QFontMetricsF>
#include <QPainter>
#include <QPalette>
#include <QStyleOptionGraphicsItem>

namespace stackscope::ui {
namespace {

QColor blend(const QColor& a, const QColor& b, qreal t) {
    return QColor::fromRgbF(a.redF() * (1 - t) + b.redF() * t, a.greenF() * (1 - t) + b.greenF() * t,
                            a.blueF() * (1 - t) + b.blueF() * t);
}

bool isDark(const QPalette& p) { return p.color(QPalette::Base).lightness() < 128; }

} // namespace

StageBoxItem::StageBoxItem(Stage stage, QGraphicsItem* parent)
    : QGraphicsObject(parent), m_stage(stage), m_rect(stageRect(stage)) {
    setAcceptHoverEvents(true);
    setToolTip(stageTooltip(stage));
    setCursor(Qt::PointingHandCursor);
    setZValue(1);
}

void StageBoxItem::setCounts(std::uint64_t passed, std::uint64_t dropped) {
    if (passed == m_passed && dropped == m_dropped) return;
    m_passed = passed;
    m_dropped = dropped;
    update();
}

void StageBoxItem::setCurrent(bool current) {
    if (current == m_current) return;
    m_current = current;
    update();
}

void StageBoxItem::setBreakpoint(bool on) {
    if (on == m_breakpoint) return;
    m_breakpoint = on;
    update();
}

void StageBoxItem::setQueueDepth(int packets) {
    if (packets == m_queued) return;
    m_queued = packets;
    update();
}

QRectF StageBoxItem::boundingRect() const { return m_rect.adjusted(-6, -6, 6, 6); }

void StageBoxItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
    const QPalette pal = scene() ? scene()->palette() : QPalette();
    const QColor hue = pathColor(stagePath(m_stage));
    const bool dark = isDark(pal);
    const QColor base = pal.color(QPalette::Base);
    const QColor text = pal.color(QPalette::Text);
    const bool active = m_passed + m_dropped > 0;
    QColor fill = blend(base, hue, active ? (dark ? 0.34 : 0.22) : (dark ? 0.14 : 0.07));
    if (m_hover) fill = blend(fill, hue, 0.15);

    painter->setRenderHint(QPainter::Antialiasing);
    QPen border(m_current ? pal.color(QPalette::Highlight) : hue, m_current ? 6 : 2.5);
    if (isNetfilterHook(m_stage) && !m_current) border.setStyle(Qt::DashLine);
    painter->setPen(border);
    painter->setBrush(fill);
    painter->drawRoundedRect(m_rect, 10, 10);

    // Far zoomed out only the label is legible; skip the rest.
    const qreal lod = option->levelOfDetailFromTransform(painter->worldTransform());
    QFont labelFont = painter->font();
    labelFont.setPixelSize(22);
    labelFont.setBold(true);
    painter->setFont(labelFont);
    painter->setPen(text);
    const QRectF inner = m_rect.adjusted(10, 4, -10, -4);
    if (lod < 0.35) {
        painter->drawText(inner, Qt::AlignCenter | Qt::TextWordWrap, toQString(stageLabel(m_stage)));
        return;
    }
    // Long labels shrink to fit rather than lose their end; a projector needs the whole word.
    const QString label = toQString(stageLabel(m_stage));
    while (labelFont.pixelSize() > 14 && QFontMetricsF(labelFont).horizontalAdvance(label) > inner.width()) {
        labelFont.setPixelSize(labelFont.pixelSize() - 1);
        painter->setFont(labelFont);
    }
    painter->drawText(QRectF(inner.left(), inner.top(), inner.width(), 28), Qt::AlignLeft | Qt::AlignVCenter,
                      painter->fontMetrics().elidedText(label, Qt::ElideRight, int(inner.width())));
    labelFont.setPixelSize(22);
    QFont fnFont(QStringLiteral("monospace"));
    fnFont.setStyleHint(QFont::TypeWriter);
    fnFont.setPixelSize(15);
    painter->setFont(fnFont);
    QColor dim = text;
    dim.setAlphaF(0.75);
    painter->setPen(dim);
    const QString function = toQString(stageKernelFunction(m_stage));
    while (fnFont.pixelSize() > 11 && QFontMetricsF(fnFont).horizontalAdvance(function) > inner.width()) {
        fnFont.setPixelSize(fnFont.pixelSize() - 1);
        painter->setFont(fnFont);
    }
    painter->drawText(QRectF(inner.left(), inner.top() + 27, inner.width(), 18),
                      Qt::AlignLeft | Qt::AlignVCenter,
                      painter->fontMetrics().elidedText(function, Qt::ElideRight, int(inner.width())));

    QFont countFont = labelFont;
    countFont.setPixelSize(17);
    painter->setFont(countFont);
    const QRectF countRect(inner.left(), inner.bottom() - 20, inner.width(), 20);
    painter->setPen(text);
    QString counts = QStringLiteral("✔ %1").arg(m_passed);
    if (m_queued > 0) counts += QStringLiteral("   waiting %1").arg(m_queued);
    painter->drawText(countRect, Qt::AlignLeft | Qt::AlignVCenter, counts);
    if (m_dropped > 0) {
        painter->setPen(dark ? QColor(0xff, 0x7a, 0x6e) : QColor(0xc0, 0x1c, 0x1c));
        painter->drawText(countRect, Qt::AlignRight | Qt::AlignVCenter,
                          QStringLiteral("✖ %1").arg(m_dropped));
    }
    if (m_breakpoint) {
        painter->setPen(QPen(base, 2));
        painter->setBrush(QColor(0xd0, 0x20, 0x20));
        painter->drawEllipse(QPointF(m_rect.right() - 4, m_rect.top() + 4), 9, 9);
    }
}

void StageBoxItem::mousePressEvent(QGraphicsSceneMouseEvent* event) {
    if (event->button() == Qt::LeftButton)
        event->accept();
    else
        QGraphicsObject::mousePressEvent(event);
}

void StageBoxItem::mouseReleaseEvent(QGraphicsSceneMouseEvent* event) {
    if (event->button() == Qt::LeftButton && m_rect.contains(event->pos())) emit activated(m_stage);
}

void StageBoxItem::contextMenuEvent(QGraphicsSceneContextMenuEvent* event) {
    QMenu menu;
    QAction* explain = menu.addAction(tr("Explain %1").arg(toQString(stageLabel(m_stage))));
    QAction* bp = menu.addAction(m_breakpoint ? tr("Remove breakpoint") : tr("Toggle breakpoint"));
    QAction* chosen = menu.exec(event->screenPos());
    if (chosen == bp) emit breakpointToggleRequested(m_stage);
    if (chosen == explain) emit activated(m_stage);
}

void StageBoxItem::hoverEnterEvent(QGraphicsSceneHoverEvent*) {
    m_hover = true;
    update();
}

void StageBoxItem::hoverLeaveEvent(QGraphicsSceneHoverEvent*) {
    m_hover = false;
    update();
}

} // namespace stackscope::ui
