// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/hex_view.h"

#include <QEvent>
#include <QPainter>
#include <QScrollBar>

namespace stackscope::ui {
namespace {
constexpr int kPerLine = 16;
}

HexView::HexView(QWidget* parent) : QAbstractScrollArea(parent) {
    setObjectName(QStringLiteral("hexView"));
    QFont f(QStringLiteral("monospace"));
    f.setStyleHint(QFont::TypeWriter);
    setFont(f);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
}

void HexView::setBytes(std::vector<std::uint8_t> bytes, std::vector<std::uint8_t> previous) {
    m_bytes = std::move(bytes);
    m_changed.assign(m_bytes.size(), false);
    if (!previous.empty())
        for (std::size_t i = 0; i < m_bytes.size(); ++i)
            m_changed[i] = i >= previous.size() || previous[i] != m_bytes[i];
    m_selOffset = -1;
    updateScroll();
    viewport()->update();
}

void HexView::setSelection(int offset, int length) {
    m_selOffset = offset;
    m_selLength = length;
    if (offset >= 0) verticalScrollBar()->setValue(offset / kPerLine);
    viewport()->update();
}

int HexView::changedCount() const { return int(std::count(m_changed.begin(), m_changed.end(), true)); }
bool HexView::isChanged(int offset) const {
    return offset >= 0 && std::size_t(offset) < m_changed.size() && m_changed[std::size_t(offset)];
}

int HexView::lineHeight() const { return fontMetrics().height() + 2; }

void HexView::updateScroll() {
    const int lines = int((m_bytes.size() + kPerLine - 1) / kPerLine);
    const int visible = std::max(1, viewport()->height() / lineHeight());
    verticalScrollBar()->setRange(0, std::max(0, lines - visible));
    verticalScrollBar()->setPageStep(visible);
    const int width = fontMetrics().horizontalAdvance(QLatin1Char('0')) * (6 + kPerLine * 3 + 2 + kPerLine);
    horizontalScrollBar()->setRange(0, std::max(0, width - viewport()->width()));
    horizontalScrollBar()->setPageStep(viewport()->width());
}

void HexView::resizeEvent(QResizeEvent* event) {
    QAbstractScrollArea::resizeEvent(event);
    updateScroll();
}

void HexView::changeEvent(QEvent* event) {
    QAbstractScrollArea::changeEvent(event);
    if (event->type() == QEvent::FontChange) updateScroll();
}

void HexView::paintEvent(QPaintEvent*) {
    QPainter p(viewport());
    const QPalette pal = palette();
    p.fillRect(viewport()->rect(), pal.color(QPalette::Base));
    p.setFont(font());
    const int cw = fontMetrics().horizontalAdvance(QLatin1Char('0'));
    const int lh = lineHeight();
    const int ascent = fontMetrics().ascent() + 1;
    const int x0 = 4 - horizontalScrollBar()->value();
    const int first = verticalScrollBar()->value();
    const int lines = int((m_bytes.size() + kPerLine - 1) / kPerLine);
    QColor changed = pal.color(QPalette::Highlight);
    changed.setAlphaF(0.35);
    QColor selected = QColor(0xe0, 0xa0, 0x20);
    selected.setAlphaF(0.45);
    for (int line = first, y = 0; line < lines && y < viewport()->height(); ++line, y += lh) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(x0, y + ascent, QStringLiteral("%1").arg(line * kPerLine, 4, 16, QLatin1Char('0')));
        for (int i = 0; i < kPerLine; ++i) {
            const int off = line * kPerLine + i;
            if (std::size_t(off) >= m_bytes.size()) break;
            const int hx = x0 + cw * (6 + i * 3 + (i >= 8 ? 1 : 0));
            const int ax = x0 + cw * (6 + kPerLine * 3 + 2 + i);
            const bool inSel = m_selOffset >= 0 && off >= m_selOffset && off < m_selOffset + m_selLength;
            if (inSel || m_changed[std::size_t(off)]) {
                const QColor bg = inSel ? selected : changed;
                p.fillRect(QRect(hx - cw / 2, y, cw * 3, lh), bg);
                p.fillRect(QRect(ax, y, cw, lh), bg);
            }
            const std::uint8_t b = m_bytes[std::size_t(off)];
            QFont f = font();
            f.setBold(m_changed[std::size_t(off)]);
            p.setFont(f);
            p.setPen(pal.color(QPalette::Text));
            p.drawText(hx, y + ascent, QStringLiteral("%1").arg(b, 2, 16, QLatin1Char('0')));
            p.drawText(ax, y + ascent, QString(QChar(b >= 0x20 && b < 0x7f ? b : '.')));
        }
    }
}

} // namespace stackscope::ui
