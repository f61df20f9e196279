// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/token_layer.h"

#include "ui/stack_layout.h"

#include <QEasingCurve>
#include <QGraphicsScene>
#include <QPaintEngine>
#include <QPainter>
#include <QPalette>

#include <algorithm>
#include <cmath>
#include <map>

namespace stackscope::ui {
namespace {
constexpr qreal kRestRadius = 8;
constexpr qreal kMoveRadius = 12;
constexpr int kMaxRestingShown = 7;
constexpr int kFrameMs = 16;
} // namespace

TokenLayer::TokenLayer(QGraphicsItem* parent) : QGraphicsObject(parent) {
    setZValue(10);
    setAcceptedMouseButtons(Qt::NoButton);
    m_timer.setInterval(kFrameMs);
    connect(&m_timer, &QTimer::timeout, this, &TokenLayer::tick);
    m_clock.start();
}

void TokenLayer::setResting(std::vector<RestingToken> tokens) {
    m_resting = std::move(tokens);
    m_arrivalAt = m_clock.elapsed();
    for (const Moving& m : m_moving) m_arrivalAt = std::max(m_arrivalAt, m.start + m.duration);
    update();
}

void TokenLayer::addMotion(const QPainterPath& path, const QColor& color, Motion motion, int delayMs,
                           int durationMs) {
    m_moving.push_back({path, color, motion, m_clock.elapsed() + delayMs, std::max(1, durationMs)});
    if (!m_timer.isActive()) m_timer.start();
}

void TokenLayer::clearMotion() {
    m_moving.clear();
    m_timer.stop();
    update();
}

void TokenLayer::tick() {
    const qint64 now = m_clock.elapsed();
    std::erase_if(m_moving, [&](const Moving& m) { return now - m.start > m.duration; });
    if (m_moving.empty() && now >= m_arrivalAt) m_timer.stop();
    update();
}

void TokenLayer::setScale(qreal scale) {
    if (scale == m_scale) return;
    m_scale = scale;
    update();
}

QRectF TokenLayer::boundingRect() const { return diagramBounds(); }

const QPixmap& TokenLayer::sprite(const QColor& fill, const QColor& outline, qreal radius, qreal deviceScale) {
    const qreal penWidth = 2 * m_scale;
    const qreal half = radius + penWidth / 2 + 1; // the circle, its pen and a pixel of margin
    const int px = std::max(1, qRound(2 * half * deviceScale));
    const auto key = std::make_tuple(fill.rgba(), outline.rgba(), px);
    if (auto it = m_sprites.find(key); it != m_sprites.end()) return it->second;
    if (m_sprites.size() > 512) m_sprites.clear(); // zooming through many sizes
    QPixmap pm(px, px);
    pm.fill(Qt::transparent);
    {
        QPainter q(&pm);
        q.setRenderHint(QPainter::Antialiasing);
        q.scale(qreal(px) / (2 * half), qreal(px) / (2 * half));
        q.setPen(QPen(outline, penWidth));
        q.setBrush(fill);
        q.drawEllipse(QPointF(half, half), radius, radius);
    }
    pm.setDevicePixelRatio(qreal(px) / (2 * half)); // drawn 1:1 onto the device
    return m_sprites.emplace(key, std::move(pm)).first->second;
}

void TokenLayer::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
    const QPalette pal = scene() ? scene()->palette() : QPalette();
    const QColor outline = pal.color(QPalette::Text);
    painter->setRenderHint(QPainter::Antialiasing);

    std::map<Stage, int> perStage;
    const bool landed = m_clock.elapsed() >= m_arrivalAt;
    for (const RestingToken& t : m_resting) {
        if (t.arriving && !landed) continue;
        const int n = perStage[t.stage]++;
        const QRectF r = stageRect(t.stage);
        if (n > kMaxRestingShown) continue;
        const qreal rest = kRestRadius * m_scale;
        const QPointF c(r.right() - 14 - n * (2 * rest + 3), r.bottom());
        if (n == kMaxRestingShown) {
            painter->setPen(outline);
            painter->drawText(QRectF(c.x() - 12, c.y() - 9, 24, 18), Qt::AlignCenter, QStringLiteral("…"));
            continue;
        }
        painter->setPen(QPen(outline, 1.5 * m_scale));
        painter->setBrush(t.color);
        painter->drawEllipse(c, rest, rest);
    }

    const qint64 now = m_clock.elapsed();
    const QPen movingPen(outline, 2 * m_scale);
    painter->setPen(movingPen);
    const QTransform& world = painter->worldTransform();
    const qreal deviceScale = std::hypot(world.m11(), world.m12()) *
                              (painter->device() ? painter->device()->devicePixelRatioF() : 1.0);
    // Images only where the painter is an ordinary screen or image (an SVG export keeps vectors).
    const bool useSprites = painter->device() && painter->device()->devType() != QInternal::Picture &&
                            painter->paintEngine() &&
                            painter->paintEngine()->type() == QPaintEngine::Raster;
    for (const Moving& m : m_moving) {
        if (now < m.start) continue; // waits for the previous hop of its packet
        const qreal t = std::clamp(qreal(now - m.start) / m.duration, 0.0, 1.0);
        // InOutQuad easing, written out: this runs for every token on every frame.
        qreal along = t < 0.5 ? 2 * t * t : 1 - (2 - 2 * t) * (2 - 2 * t) / 2;
        qreal radius = kMoveRadius * m_scale;
        QColor color = m.color;
        if (m.motion == Motion::Fall) along = t * t; // gravity
        if (m.motion == Motion::Vanish && t > 0.6) {
            radius *= (1.0 - t) / 0.4;
            color.setAlphaF(std::max(0.0, (1.0 - t) / 0.4));
        }
        const QPointF p = m.path.pointAtPercent(std::clamp(along, 0.0, 1.0));
        if (useSprites && color.alpha() == 255 && radius == kMoveRadius * m_scale) {
            const QPixmap& pm = sprite(color, outline, radius, deviceScale);
            const qreal half = pm.width() / pm.devicePixelRatio() / 2;
            painter->drawPixmap(p - QPointF(half, half), pm);
        } else {
            painter->setBrush(color);
            painter->drawEllipse(p, radius, radius);
        }
        if (m.motion == Motion::Fall && t > 0.7) {
            painter->setPen(QPen(QColor(0xd0, 0x20, 0x20), 3));
            painter->drawLine(p + QPointF(-7, -7), p + QPointF(7, 7));
            painter->drawLine(p + QPointF(-7, 7), p + QPointF(7, -7));
            painter->setPen(movingPen);
        }
    }
}

} // namespace stackscope::ui
