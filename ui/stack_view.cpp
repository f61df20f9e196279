// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/stack_view.h"

#include "ui/stack_scene.h"

#include <QApplication>
#include <QGraphicsItem>
#include <QImage>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QWheelEvent>

#include <utility>
#include <vector>

namespace stackscope::ui {
namespace {
constexpr qreal kZoomStep = 1.2;
constexpr qreal kMinScale = 0.1;
constexpr qreal kMaxScale = 6.0;
} // namespace

StackView::StackView(QGraphicsScene* scene, QWidget* parent) : QGraphicsView(scene, parent) {
    setObjectName(QStringLiteral("stackView"));
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setResizeAnchor(QGraphicsView::AnchorViewCenter);
    setBackgroundBrush(palette().brush(QPalette::Base));
    setFrameShape(QFrame::NoFrame);
    if (auto* stack = qobject_cast<StackScene*>(scene))
        connect(stack, &StackScene::focusChanged, this, &StackView::follow);
}

void StackView::setPresentation(bool on) {
    m_presentation = on;
    if (on)
        applyPresentationZoom();
    else
        fitToWindow();
}

void StackView::applyPresentationZoom() {
    fitToWindow();
    if (!scene() || transform().m11() >= kPresentationScale) return;
    m_follow = true;
    m_fit = false;
    const qreal s = kPresentationScale / transform().m11();
    scale(s, s);
    if (m_focus.isValid())
        centerOn(m_focus.center());
    else
        centerOn(QPointF(scene()->sceneRect().left(), scene()->sceneRect().bottom())); // where packets arrive
}

void StackView::follow(const QRectF& rect) {
    m_focus = rect;
    // Margins leave room for the edges and the tokens that lead in and out.
    if (m_follow && rect.isValid()) ensureVisible(rect, 140, 110);
}

void StackView::zoomBy(qreal factor) {
    const qreal current = transform().m11();
    const qreal next = std::clamp(current * factor, kMinScale, kMaxScale);
    m_fit = false;
    m_follow = false;
    scale(next / current, next / current);
}

void StackView::zoomIn() { zoomBy(kZoomStep); }
void StackView::zoomOut() { zoomBy(1 / kZoomStep); }

void StackView::fitToWindow() {
    m_fit = true;
    m_follow = false;
    if (scene()) fitInView(scene()->sceneRect(), Qt::KeepAspectRatio);
}

void StackView::wheelEvent(QWheelEvent* event) {
    if (event->modifiers() & Qt::ControlModifier) {
        const int delta = event->angleDelta().y();
        if (delta != 0) zoomBy(std::pow(kZoomStep, delta / 120.0));
        event->accept();
        return;
    }
    QGraphicsView::wheelEvent(event);
}

void StackView::resizeEvent(QResizeEvent* event) {
    QGraphicsView::resizeEvent(event);
    if (m_presentation && (m_follow || m_fit))
        applyPresentationZoom();
    else if (m_fit)
        fitToWindow();
}

void StackView::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) {
        setBackgroundBrush(palette().brush(QPalette::Base));
        if (scene()) scene()->setPalette(palette());
    }
    QGraphicsView::changeEvent(event);
}

bool StackView::exportSvg(const QString& path) const {
    if (!scene()) return false;
    const QRectF source = scene()->sceneRect();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return false;
    QSvgGenerator svg;
    svg.setOutputDevice(&file);
    svg.setSize(source.size().toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), source.size()));
    svg.setTitle(QStringLiteral("Stackscope stack diagram"));
    svg.setDescription(QStringLiteral("The Linux IPv4 receive, forward and transmit path"));
    QPainter painter;
    if (!painter.begin(&svg)) return false;
    painter.fillRect(QRectF(QPointF(0, 0), source.size()), palette().color(QPalette::Base));
    // Items keep rendered pixmaps for the screen; the SVG must get their vectors and text.
    std::vector<std::pair<QGraphicsItem*, QGraphicsItem::CacheMode>> cached;
    for (QGraphicsItem* item : scene()->items())
        if (item->cacheMode() != QGraphicsItem::NoCache) {
            cached.emplace_back(item, item->cacheMode());
            item->setCacheMode(QGraphicsItem::NoCache);
        }
    scene()->render(&painter, QRectF(QPointF(0, 0), source.size()), source);
    for (const auto& [item, mode] : cached) item->setCacheMode(mode);
    painter.end();
    return file.commit();
}

bool StackView::exportPng(const QString& path, qreal scale) const {
    if (!scene()) return false;
    const QRectF source = scene()->sceneRect();
    QImage image((source.size() * scale).toSize(), QImage::Format_ARGB32_Premultiplied);
    image.fill(palette().color(QPalette::Base));
    QPainter painter(&image);
    painter.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    scene()->render(&painter, QRectF(QPointF(0, 0), image.size()), source);
    painter.end();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || !image.save(&file, "PNG")) return false;
    return file.commit();
}

} // namespace stackscope::ui
