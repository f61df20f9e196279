// SPDX-License-Identifier: GPL-3.0-or-later
// The stack diagram: one box per stage, the edges between them, the netfilter
// hook groups, the drop bins and the token layer, all following the session's
// cursor.
#pragma once

#include "sim/drop_reason.h"
#include "sim/stage.h"
#include "ui/session.h"

#include <QGraphicsScene>
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

signals:
    void stageActivated(stackscope::Stage stage);

protected:
    bool event(QEvent* event) override;

private:
    void onCursorMoved(const CursorMove& move);
    void updateBins();
    void updateResting(const CursorMove& move);
    void animate(const CursorMove& move);
    QRectF binRect(DropReason reason) const;

    Session* m_session;
    std::array<StageBoxItem*, std::size_t(Stage::Count)> m_boxes{};
    TokenLayer* m_tokens = nullptr;
    DiagramBackground* m_background = nullptr;
    std::vector<DropBin> m_bins;
    QHash<PacketId, QColor> m_colors;
};

} // namespace stackscope::ui
