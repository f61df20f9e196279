// SPDX-License-Identifier: GPL-3.0-or-later
// The view on the stack diagram: zoom (Ctrl+wheel, Ctrl++/-), pan by
// dragging, fit to the window (Ctrl+0), and export as SVG or PNG.
#pragma once

#include <QGraphicsView>

namespace stackscope::ui {

class StackView : public QGraphicsView {
    Q_OBJECT
public:
    explicit StackView(QGraphicsScene* scene, QWidget* parent = nullptr);

    bool fitting() const { return m_fit; }
    // Presentation mode: when fitting the whole diagram would make its writing too small
    // for a projector, the view zooms to a readable scale and follows the current stage.
    void setPresentation(bool on);
    bool following() const { return m_follow; }
    static constexpr qreal kPresentationScale = 0.85;
    // Both return false (and leave no partial file) when the file cannot be written.
    bool exportSvg(const QString& path) const;
    bool exportPng(const QString& path, qreal scale = 1.5) const;

public slots:
    void zoomIn();
    void zoomOut();
    void fitToWindow();

protected:
    void wheelEvent(QWheelEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void zoomBy(qreal factor);
    void applyPresentationZoom();
    void follow(const QRectF& rect);
    bool m_fit = true;
    bool m_presentation = false;
    bool m_follow = false; // zoomed in for presentation, keeping the current stage in view
    QRectF m_focus;
};

} // namespace stackscope::ui
