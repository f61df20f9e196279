// SPDX-License-Identifier: GPL-3.0-or-later
// One item paints every packet token in the diagram: tokens resting in a
// stage (queued, in flight at the cursor) and tokens moving between stages.
// A single timer drives all motion and stops when nothing moves.
#pragma once

#include "sim/trace.h"

#include <QColor>
#include <QElapsedTimer>
#include <QGraphicsObject>
#include <QPainterPath>
#include <QPixmap>
#include <QTimer>

#include <map>
#include <tuple>
#include <vector>

namespace stackscope::ui {

struct RestingToken {
    Stage stage;
    QColor color;
    bool arriving = false; // shown once the moving token that brings it has landed
};

class TokenLayer : public QGraphicsObject {
    Q_OBJECT
public:
    enum class Motion { Move, Fall, Vanish };

    explicit TokenLayer(QGraphicsItem* parent = nullptr);

    void setResting(std::vector<RestingToken> tokens);
    // A token travelling along `path`, starting after `delayMs` and taking `durationMs`;
    // Fall drops it with gravity, Vanish shrinks it at the end.
    void addMotion(const QPainterPath& path, const QColor& color, Motion motion, int delayMs, int durationMs);
    void clearMotion();
    bool animating() const { return !m_moving.empty(); }
    // Presentation mode draws larger tokens so the back of the room can follow them.
    void setScale(qreal scale);
    qreal scale() const { return m_scale; }

    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    void tick();
    // A moving token as a ready-made image, made once per colour and device size: a
    // thousand antialiased outlined circles per frame cost more than a frame has.
    const QPixmap& sprite(const QColor& fill, const QColor& outline, qreal radius, qreal deviceScale);

    struct Moving {
        QPainterPath path;
        QColor color;
        Motion motion;
        qint64 start;
        int duration;
    };
    std::vector<RestingToken> m_resting;
    std::vector<Moving> m_moving;
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_arrivalAt = 0;
    qreal m_scale = 1.0;
    std::map<std::tuple<QRgb, QRgb, int>, QPixmap> m_sprites;
};

} // namespace stackscope::ui
