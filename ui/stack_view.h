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
    bool m_fit = true;
};

} // namespace stackscope::ui
