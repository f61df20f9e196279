// SPDX-License-Identifier: GPL-3.0-or-later
// The stack diagram: one box per stage, the edges between them, the netfilter
// hook groups, the drop bins and the token layer, all following the session's
// cursor.
#pragma once

#include "sim/drop_reason.h"
#include "sim/stage.h"
#include "ui/queue_fill.h"
#include "ui/session.h"

#include <QGraphicsScene>
#include <QElapsedTimer>
#include <QHash>

#include <array>

namespace stackscope::ui {

class StageBoxItem;
class TokenLayer;
class DiagramBackground;

struct DropBin {
    DropReason reason;
    std::uint64_t count;
    QRectF rect;
};

class StackScene : public QGraphicsScene {
    Q_OBJECT
public:
    explicit StackScene(Session* session, QObject* parent = nullptr);

    StageBoxItem* box(Stage stage) const { return m_boxes[std::size_t(stage)]; }
    TokenLayer* tokens() const { return m_tokens; }
    const std::vector<DropBin>& bins() const { return m_bins; }
    QColor flowColor(PacketId packet);
    void refresh(); // redraw everything from the session's state
    // Larger writing and tokens for a projector; the layout stays the same.
    void setPresentation(bool on);
    bool presentation() const { return m_textScale > 1.0; }
    qreal textScale() const { return m_textScale; }
    const QueueFills& queueFills() const { return m_fills; }

signals:
    void stageActivated(stackscope::Stage stage);
    void focusChanged(const QRectF& rect); // the box of the event at the cursor

protected:
    bool event(QEvent* event) override;

private:
    void onCursorMoved(const CursorMove& move);
    void updateBins();
    void updateResting(const CursorMove& move);
    void animate(const CursorMove& move);
    void updateGauges(const std::vector<std::uint64_t>& backlogByCpu);
    QRectF binRect(DropReason reason) const;

    Session* m_session;
    std::array<StageBoxItem*, std::size_t(Stage::Count)> m_boxes{};
    TokenLayer* m_tokens = nullptr;
    DiagramBackground* m_background = nullptr;
    std::vector<DropBin> m_bins;
    QHash<PacketId, QColor> m_colors;
    qreal m_textScale = 1.0;
    QueueFills m_fills;
    QElapsedTimer m_sinceGauges; // the kernel state is rebuilt at most a few times a second while running
};

} // namespace stackscope::ui
