// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/stage_box_item.h"

#include "ui/breakpoints.h"
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

#include <algorithm>

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
    // Boxes change only when their counts or state do (each change calls update()); keeping
    // the rendered box lets a frame with many moving tokens skip redrawing the text.
    setCacheMode(QGraphicsItem::DeviceCoordinateCache);
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

void StageBoxItem::setQueueFill(double ratio, const QString& text) {
    if (ratio == m_fill && text == m_fillText) return;
    m_fill = ratio;
    m_fillText = text;
    setToolTip(text.isEmpty() ? stageTooltip(m_stage)
                              : stageTooltip(m_stage) + QStringLiteral("<p><b>%1</b></p>").arg(text.toHtmlEscaped()));
    update();
}

void StageBoxItem::setTextScale(qreal scale) {
    if (scale == m_textScale) return;
    m_textScale = scale;
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

    // A queue's gauge: a tank along the right edge that fills from the bottom, green to red.
    QRectF inner = m_rect.adjusted(10, 4, -10, -4);
    if (m_fill >= 0) {
        const QRectF tank(m_rect.right() - 22, m_rect.top() + 9, 13, m_rect.height() - 18);
        inner.setRight(tank.left() - 5);
        QColor frame = text;
        frame.setAlphaF(0.6);
        painter->setPen(QPen(frame, 1.5));
        painter->setBrush(base);
        painter->drawRoundedRect(tank, 3, 3);
        const double r = std::clamp(m_fill, 0.0, 1.0);
        if (r > 0) {
            const QColor level = r >= 0.9 ? QColor(0xd0, 0x30, 0x30) : r >= 0.6 ? QColor(0xe0, 0x9a, 0x10)
                                                                            : QColor(0x2e, 0xa0, 0x4a);
            const qreal h = std::max<qreal>(2.5, (tank.height() - 3) * r);
            painter->setPen(Qt::NoPen);
            painter->setBrush(level);
            painter->drawRoundedRect(QRectF(tank.left() + 1.5, tank.bottom() - 1.5 - h, tank.width() - 3, h), 2, 2);
        }
    }

    // Far zoomed out only the label is legible; skip the rest.
    const qreal lod = option->levelOfDetailFromTransform(painter->worldTransform());
    const qreal k = m_textScale;
    QFont labelFont = painter->font();
    labelFont.setPixelSize(std::max(1, int(22 * k)));
    labelFont.setBold(true);
    painter->setFont(labelFont);
    painter->setPen(text);
    if (lod < 0.35) {
        painter->drawText(inner, Qt::AlignCenter | Qt::TextWordWrap, toQString(stageLabel(m_stage)));
        return;
    }
    // Rows share the box's height in proportion to their fonts, so larger writing still fits.
    const qreal labelRow = inner.height() * 0.41, fnRow = inner.height() * 0.27, countRow = inner.height() * 0.32;
    // Long labels shrink to fit rather than lose their end; a projector needs the whole word.
    const QString label = toQString(stageLabel(m_stage));
    // QFont refuses sizes below 1 px (tiny boxes while the scene is first laid out).
    labelFont.setPixelSize(std::max(1, std::min(labelFont.pixelSize(), int(labelRow * 0.86))));
    while (labelFont.pixelSize() > 14 && QFontMetricsF(labelFont).horizontalAdvance(label) > inner.width())
        labelFont.setPixelSize(labelFont.pixelSize() - 1);
    painter->setFont(labelFont);
    painter->drawText(QRectF(inner.left(), inner.top(), inner.width(), labelRow), Qt::AlignLeft | Qt::AlignVCenter,
                      painter->fontMetrics().elidedText(label, Qt::ElideRight, int(inner.width())));
    QFont fnFont(QStringLiteral("monospace"));
    fnFont.setStyleHint(QFont::TypeWriter);
    fnFont.setPixelSize(std::max(1, std::min(int(15 * k), int(fnRow * 0.9))));
    QColor dim = text;
    dim.setAlphaF(k > 1 ? 0.9 : 0.75);
    painter->setPen(dim);
    const QString function = toQString(stageKernelFunction(m_stage));
    while (fnFont.pixelSize() > 11 && QFontMetricsF(fnFont).horizontalAdvance(function) > inner.width())
        fnFont.setPixelSize(fnFont.pixelSize() - 1);
    painter->setFont(fnFont);
    painter->drawText(QRectF(inner.left(), inner.top() + labelRow, inner.width(), fnRow),
                      Qt::AlignLeft | Qt::AlignVCenter,
                      painter->fontMetrics().elidedText(function, Qt::ElideRight, int(inner.width())));

    QFont countFont = labelFont;
    countFont.setPixelSize(std::max(1, std::min(int(17 * k), int(countRow * 0.85))));
    countFont.setBold(true);
    painter->setFont(countFont);
    const QRectF countRect(inner.left(), inner.bottom() - countRow, inner.width(), countRow);
    painter->setPen(text);
    QString counts = QStringLiteral("✔ %1").arg(m_passed);
    const QString dropText = m_dropped > 0 ? QStringLiteral("✖ %1").arg(m_dropped) : QString();
    const QString waiting = QStringLiteral("   waiting %1").arg(m_queued);
    // The waiting count gives way to the drop count in a narrow box; the gauge's tooltip has it.
    if (m_queued > 0 && painter->fontMetrics().horizontalAdvance(counts + waiting + dropText) + 12 < inner.width())
        counts += waiting;
    painter->drawText(countRect, Qt::AlignLeft | Qt::AlignVCenter, counts);
    if (m_dropped > 0) {
        painter->setPen(dark ? QColor(0xff, 0x7a, 0x6e) : QColor(0xc0, 0x1c, 0x1c));
        painter->drawText(countRect, Qt::AlignRight | Qt::AlignVCenter,
                          QStringLiteral("✖ %1").arg(m_dropped));
    }
    if (m_breakpoint) {
        painter->setPen(QPen(base, 2));
        painter->setBrush(QColor(0xd0, 0x20, 0x20));
        painter->drawEllipse(QPointF(m_rect.right() - 4, m_rect.top() + 4), 9 * k, 9 * k);
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
    QAction* bp = menu.addAction(m_breakpoint ? tr("Remove breakpoint") : tr("Break on this stage"));
    QAction* hook = nullptr;
    if (hookChainNames().contains(toQString(stageLabel(m_stage))))
        hook = menu.addAction(tr("Break on hook chain %1").arg(toQString(stageLabel(m_stage))));
    QAction* more = menu.addAction(tr("Add breakpoint…"));
    QAction* chosen = menu.exec(event->screenPos());
    if (!chosen) return;
    if (chosen == bp) emit breakpointToggleRequested(m_stage);
    if (chosen == hook) emit hookBreakpointRequested(m_stage);
    if (chosen == more) emit breakpointDialogRequested(m_stage);
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
