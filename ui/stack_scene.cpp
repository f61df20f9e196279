// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/stack_scene.h"

#include "ui/breakpoints.h"
#include "ui/stack_layout.h"
#include "ui/stage_box_item.h"
#include "ui/stage_text.h"
#include "ui/token_layer.h"

#include <QEvent>
#include <QGraphicsItem>
#include <QGraphicsView>
#include <QPainter>
#include <QPalette>

namespace stackscope::ui {
namespace {
constexpr int kBinColumns = 3;
constexpr int kBinRows = 2;
constexpr std::size_t kMaxMotions = 200;
constexpr std::size_t kMaxResting = 4000;

QPainterPath arrowHead(const QPainterPath& path) {
    const QPointF tip = path.pointAtPercent(1.0);
    const qreal angle = path.angleAtPercent(0.999);
    QPainterPath head;
    QTransform t;
    t.translate(tip.x(), tip.y());
    t.rotate(-angle);
    QPolygonF tri{{0, 0}, {-13, -7}, {-13, 7}};
    head.addPolygon(t.map(tri));
    head.closeSubpath();
    return head;
}
} // namespace

// Static parts that depend only on the palette: hook groups, edges, drop bins.
class DiagramBackground : public QGraphicsItem {
public:
    explicit DiagramBackground(const StackScene* scene) : m_scene(scene) {
        setZValue(0);
        setCacheMode(QGraphicsItem::DeviceCoordinateCache); // static between update() calls
    }
    QRectF boundingRect() const override { return diagramBounds(); }
    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override {
        const QPalette pal = m_scene->palette();
        const QColor text = pal.color(QPalette::Text);
        p->setRenderHint(QPainter::Antialiasing);

        QFont caption = p->font();
        const qreal k = m_scene->textScale();
        caption.setPixelSize(std::max(1, int(14 * k)));
        caption.setBold(true);
        caption.setLetterSpacing(QFont::AbsoluteSpacing, 1.5);
        for (const HookGroup& g : hookGroups()) {
            QRectF r;
            for (Stage s : g.stages) r |= stageRect(s);
            r.adjust(-9, -17 * k, 9, 9);
            QColor frame = text;
            frame.setAlphaF(0.35);
            p->setPen(QPen(frame, 1.5, Qt::DashLine));
            QColor wash = pal.color(QPalette::AlternateBase);
            wash.setAlphaF(0.6);
            p->setBrush(wash);
            p->drawRoundedRect(r, 12, 12);
            p->setFont(caption);
            p->setPen(text);
            p->drawText(QRectF(r.left() + 10, r.top(), r.width() - 20, 17 * k), Qt::AlignLeft | Qt::AlignVCenter,
                        g.caption);
        }

        QColor edge = text;
        edge.setAlphaF(0.55);
        for (const StackEdge& e : stackEdges()) {
            const QPainterPath path = edgePath(stageRect(e.from), stageRect(e.to));
            p->setPen(QPen(edge, 2.2 * k));
            p->setBrush(Qt::NoBrush);
            p->drawPath(path);
            p->setPen(Qt::NoPen);
            p->setBrush(edge);
            p->drawPath(arrowHead(path));
        }

        const QRectF area = dropBinArea();
        QFont title = p->font();
        title.setPixelSize(std::max(1, int(17 * k)));
        title.setBold(true);
        p->setFont(title);
        p->setPen(text);
        p->drawText(QRectF(area.left(), area.top() - 4, area.width(), 22 * k), Qt::AlignLeft | Qt::AlignVCenter,
                    QObject::tr("Dropped packets by reason"));
        const bool dark = pal.color(QPalette::Base).lightness() < 128;
        const QColor red = dark ? QColor(0xff, 0x7a, 0x6e) : QColor(0xb0, 0x1c, 0x1c);
        QFont binFont = title;
        binFont.setPixelSize(std::max(1, int(15 * k)));
        for (const DropBin& bin : m_scene->bins()) {
            QPainterPath bucket; // a bin: wider at the top
            const QRectF r = bin.rect;
            bucket.moveTo(r.topLeft());
            bucket.lineTo(r.topRight());
            bucket.lineTo(r.right() - 10, r.bottom());
            bucket.lineTo(r.left() + 10, r.bottom());
            bucket.closeSubpath();
            QColor fill = red;
            fill.setAlphaF(0.13);
            p->setPen(QPen(red, 2.2));
            p->setBrush(fill);
            p->drawPath(bucket);
            p->setFont(binFont);
            p->setPen(text);
            const QString name = toQString(dropReasonName(bin.reason));
            p->drawText(r.adjusted(12, 4, -12, -r.height() / 2), Qt::AlignCenter,
                        p->fontMetrics().elidedText(name, Qt::ElideRight, int(r.width() - 24)));
            p->setPen(red);
            p->drawText(r.adjusted(12, r.height() / 2 - 4, -12, -4), Qt::AlignCenter,
                        QStringLiteral("✖ %1").arg(bin.count));
        }
    }

private:
    const StackScene* m_scene;
};

StackScene::StackScene(Session* session, QObject* parent) : QGraphicsScene(parent), m_session(session) {
    setItemIndexMethod(QGraphicsScene::NoIndex); // tokens move every frame
    setSceneRect(diagramBounds());
    m_background = new DiagramBackground(this);
    addItem(m_background);
    for (std::size_t i = 0; i < std::size_t(Stage::Count); ++i) {
        auto* box = new StageBoxItem(Stage(i));
        addItem(box);
        // napi_gro_complete shares the GRO box; its events animate there.
        if (Stage(i) == Stage::GroComplete) box->setVisible(false);
        m_boxes[i] = box;
        connect(box, &StageBoxItem::activated, this, &StackScene::stageActivated);
        connect(box, &StageBoxItem::breakpointToggleRequested, m_session, &Session::toggleBreakpoint);
        connect(box, &StageBoxItem::hookBreakpointRequested, this, [this](Stage stage) {
            const QStringList parts = toQString(stageLabel(stage)).split(QLatin1Char(' '));
            m_session->breakpoints()->add(BreakpointSpec::onHook(parts.value(0), parts.value(1)));
        });
        connect(box, &StageBoxItem::breakpointDialogRequested, this, [this](Stage stage) {
            BreakpointSpec initial = BreakpointSpec::onStage(stage);
            if (hookChainNames().contains(toQString(stageLabel(stage)))) {
                const QStringList parts = toQString(stageLabel(stage)).split(QLatin1Char(' '));
                initial = BreakpointSpec::onRule(parts.value(0), parts.value(1), 1);
            }
            addBreakpointWithDialog(m_session->breakpoints(), views().value(0), initial);
        });
    }
    m_tokens = new TokenLayer;
    addItem(m_tokens);
    connect(m_session, &Session::cursorMoved, this, &StackScene::onCursorMoved);
    connect(m_session, &Session::loaded, this, [this] {
        m_colors.clear();
        m_tokens->clearMotion();
    });
    connect(m_session, &Session::breakpointsChanged, this, [this] {
        for (std::size_t i = 0; i < m_boxes.size(); ++i)
            m_boxes[i]->setBreakpoint(m_session->hasBreakpoint(Stage(i)));
    });
}

bool StackScene::event(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) update();
    return QGraphicsScene::event(event);
}

QColor StackScene::flowColor(PacketId packet) {
    if (auto it = m_colors.constFind(packet); it != m_colors.constEnd()) return *it;
    // Both directions of a flow share a colour: hash the unordered address and port pair.
    std::uint32_t h = 0x9e3779b9u;
    if (const auto bytes = m_session->bytesAt(packet, m_session->state().packet(packet)
                                                          ? m_session->state().packet(packet)->firstSeq
                                                          : kNoSeq)) {
        const auto& b = *bytes;
        if (b.size() >= 38 && b[12] == 0x08 && b[13] == 0x00) {
            const std::uint64_t a = (std::uint64_t(b[26]) << 40) | (std::uint64_t(b[27]) << 32) |
                                    (std::uint32_t(b[28]) << 24) | (b[29] << 16) | (b[34] << 8) | b[35];
            const std::uint64_t d = (std::uint64_t(b[30]) << 40) | (std::uint64_t(b[31]) << 32) |
                                    (std::uint32_t(b[32]) << 24) | (b[33] << 16) | (b[36] << 8) | b[37];
            const std::uint64_t lo = std::min(a, d), hi = std::max(a, d);
            h = std::uint32_t((lo * 0x9e3779b97f4a7c15ull) ^ (hi * 0xc2b2ae3d27d4eb4full) ^ b[23]) ;
        } else if (b.size() >= 14) {
            h = (b[12] << 8) | b[13];
        }
    }
    // Hues near red are kept for drops and breakpoints.
    const QColor c = QColor::fromHsv(30 + int((h >> 8) % 300), 190, 235);
    if (m_colors.size() > 100000) m_colors.clear();
    m_colors.insert(packet, c);
    return c;
}

void StackScene::setPresentation(bool on) {
    m_textScale = on ? 1.3 : 1.0;
    for (StageBoxItem* b : m_boxes) b->setTextScale(m_textScale);
    m_tokens->setScale(on ? 1.4 : 1.0);
    m_background->update();
}

void StackScene::updateGauges(const std::vector<std::uint64_t>& backlogByCpu) {
    Stepper* stepper = m_session->stepper();
    if (!stepper) {
        for (std::size_t q = 0; q < kQueueKinds; ++q) box(queueStage(QueueKind(q)))->setQueueFill(-1, {});
        return;
    }
    constexpr qint64 kRunningGaugeMs = 200;
    if (!m_session->running() || !m_sinceGauges.isValid() || m_sinceGauges.elapsed() >= kRunningGaugeMs) {
        m_fills = ui::queueFills(stepper->simulatorAtCursor(), backlogByCpu);
        m_sinceGauges.start();
    } else {
        // Between rebuilds the backlog, which comes from the trace, still follows every step.
        QueueFill& b = m_fills[std::size_t(QueueKind::Backlog)];
        const auto top = std::max_element(backlogByCpu.begin(), backlogByCpu.end());
        b.used = top == backlogByCpu.end() ? 0 : *top;
        b.where = QStringLiteral("cpu%1").arg(top == backlogByCpu.end() ? 0 : top - backlogByCpu.begin());
    }
    for (std::size_t q = 0; q < kQueueKinds; ++q) {
        const QueueFill& f = m_fills[q];
        box(queueStage(QueueKind(q)))
            ->setQueueFill(f.ratio(), tr("%1: %2").arg(queueName(QueueKind(q)), f.text()));
    }
}

void StackScene::refresh() {
    CursorMove move;
    move.to = m_session->position();
    move.rebuilt = true;
    onCursorMoved(move);
}

QRectF StackScene::binRect(DropReason reason) const {
    for (const DropBin& b : m_bins)
        if (b.reason == reason) return b.rect;
    return dropBinArea();
}

void StackScene::updateBins() {
    std::map<DropReason, std::uint64_t> perReason;
    for (const auto& [key, count] : m_session->state().drops()) perReason[key.reason] += count.count;
    m_bins.clear();
    const QRectF area = dropBinArea().adjusted(0, 22, 0, 0);
    const qreal w = area.width() / kBinColumns, h = area.height() / kBinRows;
    int slot = 0;
    for (const auto& [reason, count] : perReason) {
        if (slot >= kBinColumns * kBinRows) {
            m_bins.back().count += count; // the last bin collects the rest
            continue;
        }
        const QRectF r(area.left() + (slot % kBinColumns) * w + 6, area.top() + (slot / kBinColumns) * h + 4,
                       w - 12, h - 10);
        m_bins.push_back({reason, count, r});
        ++slot;
    }
    m_background->update();
}

void StackScene::updateResting(const CursorMove& move) {
    const auto* stepper = m_session->stepper();
    std::array<int, std::size_t(Stage::Count)> depth{};
    std::vector<RestingToken> resting;
    std::vector<std::uint64_t> backlog; // per CPU
    if (stepper) {
        const auto& events = stepper->events();
        for (PacketId p : m_session->state().inFlight()) {
            const PacketState* s = m_session->state().packet(p);
            if (!s || s->lastSeq >= events.size()) continue;
            const TraceEvent& last = events[s->lastSeq];
            const Stage stage = last.stage;
            ++depth[std::size_t(stage)];
            if (last.stage == Stage::Backlog && last.verdict == Verdict::Queued) {
                if (backlog.size() <= last.cpu) backlog.resize(last.cpu + 1u, 0);
                ++backlog[last.cpu];
            }
            if (resting.size() < kMaxResting)
                resting.push_back({stage, flowColor(p), move.animate && s->lastSeq >= move.from});
        }
    }
    for (std::size_t i = 0; i < m_boxes.size(); ++i) m_boxes[i]->setQueueDepth(depth[i]);
    m_tokens->setResting(std::move(resting));
    updateGauges(backlog);
}

void StackScene::animate(const CursorMove& move) {
    const auto& events = m_session->stepper()->events();
    // Hops play one after another, in trace order, within about a second (or a run tick).
    const std::uint64_t hops = std::min<std::uint64_t>(move.to - move.from, kMaxMotions);
    const int interval = m_session->speed() > 0 ? 1000 / m_session->speed() : 16;
    const int budget = m_session->running() ? std::max(16, interval) : 1200;
    const int duration = std::clamp(budget / int(std::max<std::uint64_t>(1, hops)), 16, 450);
    std::size_t motions = 0;
    for (std::uint64_t i = move.from; i < move.to && motions < kMaxMotions; ++i) {
        const TraceEvent& e = events[i];
        if (e.packet == kNoPacket) continue;
        const QRectF to = stageRect(e.stage);
        const std::uint64_t prev = m_session->state().previousOfPacket(i);
        QPainterPath path;
        if (prev == kNoSeq) {
            // A packet appears: from the wire below the NIC, or from the application above.
            const QPointF origin = stagePath(e.stage) == Path::Rx ? to.center() + QPointF(0, 90)
                                                                  : to.center() - QPointF(0, 60);
            path.moveTo(origin);
            path.lineTo(to.center());
        } else {
            const Stage fromStage = events[prev].stage;
            const bool linked = std::any_of(stackEdges().begin(), stackEdges().end(), [&](const StackEdge& x) {
                return x.from == fromStage && x.to == e.stage;
            });
            if (linked && fromStage != e.stage) {
                path = edgePath(stageRect(fromStage), to);
                path.lineTo(to.center());
            } else {
                path.moveTo(stageRect(fromStage).center());
                path.lineTo(to.center());
            }
        }
        TokenLayer::Motion motion = TokenLayer::Motion::Move;
        if (e.verdict == Verdict::Dropped) {
            path.lineTo(binRect(e.reason).center());
            motion = TokenLayer::Motion::Fall;
        } else if (isTerminal(e.verdict)) {
            motion = TokenLayer::Motion::Vanish;
        }
        m_tokens->addMotion(path, flowColor(e.packet), motion, int(motions) * duration, duration);
        ++motions;
    }
}

void StackScene::onCursorMoved(const CursorMove& move) {
    const CursorState& state = m_session->state();
    for (std::size_t i = 0; i < m_boxes.size(); ++i) {
        m_boxes[i]->setCounts(state.passed(Stage(i)), state.dropped(Stage(i)));
        m_boxes[i]->setCurrent(false);
    }
    if (const TraceEvent* cur = m_session->current()) {
        box(cur->stage)->setCurrent(true);
        emit focusChanged(stageRect(cur->stage));
    }
    updateBins();
    if (!move.animate) m_tokens->clearMotion();
    if (move.animate && m_session->stepper()) animate(move);
    updateResting(move);
}

} // namespace stackscope::ui
