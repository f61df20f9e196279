// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/stack_layout.h"

#include <array>

namespace stackscope::ui {
namespace {

struct Cell {
    qreal column;
    qreal row;
};

// Rows grow downwards; receive starts at the NIC in the bottom-left corner.
constexpr std::array<std::pair<Stage, Cell>, std::size_t(Stage::Count)> kCells{{
    {Stage::NicRx, {0, 10}},
    {Stage::RxRing, {0, 9}},
    {Stage::HardIrq, {0, 8}},
    {Stage::NapiPoll, {0, 7}},
    {Stage::Gro, {0, 6}},
    {Stage::GroComplete, {0, 6}}, // drawn as the GRO box: merges and flushes happen there
    {Stage::Backlog, {0, 5}},
    {Stage::ProcessBacklog, {0, 4}},
    {Stage::NetifReceive, {0, 3}},
    {Stage::PacketTap, {1, 3}},
    {Stage::ArpRcv, {0, 2}},
    {Stage::IpRcv, {1, 10}},
    {Stage::RawPrerouting, {1, 9}},
    {Stage::ConntrackIn, {1, 8}},
    {Stage::ManglePrerouting, {1, 7}},
    {Stage::NatPrerouting, {1, 6}},
    {Stage::RouteInput, {1, 5}},
    {Stage::IpDefrag, {1, 4}},
    {Stage::IpLocalDeliver, {2, 5}},
    {Stage::MangleInput, {2, 4}},
    {Stage::FilterInput, {2, 3}},
    {Stage::NatInput, {2, 2}},
    {Stage::ConntrackConfirm, {2, 1}},
    {Stage::IpProtocolDeliver, {2, 0}},
    {Stage::UdpRcv, {3, 0}},
    {Stage::TcpRcv, {3, 1}},
    {Stage::IcmpRcv, {3, 2}},
    {Stage::SocketQueue, {4, 1}},
    {Stage::AppRead, {4, 0}},
    {Stage::IpForward, {2, 8}},
    {Stage::MangleForward, {3, 8}},
    {Stage::FilterForward, {4, 8}},
    {Stage::AppSend, {5, 0}},
    {Stage::RouteOutput, {5, 1}},
    {Stage::IpLocalOut, {5, 2}},
    {Stage::RawOutput, {5, 3}},
    {Stage::ConntrackOut, {5, 4}},
    {Stage::MangleOutput, {5, 5}},
    {Stage::NatOutput, {5, 6}},
    {Stage::FilterOutput, {5, 7}},
    {Stage::IpOutput, {5, 8}},
    {Stage::ManglePostrouting, {6, 1}},
    {Stage::NatPostrouting, {6, 2}},
    {Stage::ConntrackConfirmOut, {6, 3}},
    {Stage::IpFinishOutput, {6, 4}},
    {Stage::Neighbour, {6, 5}},
    {Stage::ArpSolicit, {7, 5}},
    {Stage::DevQueueXmit, {6, 6}},
    {Stage::QdiscEnqueue, {6, 7}},
    {Stage::QdiscDequeue, {6, 8}},
    {Stage::DriverTx, {6, 9}},
    {Stage::Wire, {6, 10}},
    {Stage::Timer, {0, 0}},
}};

constexpr qreal kGap = layout::kColumnPitch - layout::kBoxWidth;

} // namespace

QRectF stageRect(Stage stage) {
    for (const auto& [s, cell] : kCells)
        if (s == stage)
            return {cell.column * layout::kColumnPitch, cell.row * layout::kRowPitch,
                    layout::kBoxWidth, layout::kBoxHeight};
    return {};
}

const std::vector<StackEdge>& stackEdges() {
    static const std::vector<StackEdge> edges = [] {
        std::vector<StackEdge> e;
        auto chain = [&e](std::initializer_list<Stage> stages) {
            for (auto it = stages.begin(); it + 1 != stages.end(); ++it) e.push_back({*it, *(it + 1)});
        };
        using S = Stage;
        chain({S::NicRx, S::RxRing, S::HardIrq, S::NapiPoll, S::Gro, S::Backlog, S::ProcessBacklog,
               S::NetifReceive, S::IpRcv, S::RawPrerouting, S::ConntrackIn, S::ManglePrerouting,
               S::NatPrerouting, S::RouteInput, S::IpLocalDeliver, S::MangleInput, S::FilterInput,
               S::NatInput, S::ConntrackConfirm, S::IpProtocolDeliver, S::UdpRcv, S::SocketQueue,
               S::AppRead});
        chain({S::NetifReceive, S::PacketTap});
        chain({S::NetifReceive, S::ArpRcv});
        chain({S::IpLocalDeliver, S::IpDefrag});
        chain({S::IpProtocolDeliver, S::TcpRcv, S::SocketQueue});
        chain({S::IpProtocolDeliver, S::IcmpRcv, S::IpLocalOut});
        chain({S::RouteInput, S::IpForward, S::MangleForward, S::FilterForward, S::IpOutput});
        chain({S::AppSend, S::RouteOutput, S::IpLocalOut, S::RawOutput, S::ConntrackOut,
               S::MangleOutput, S::NatOutput, S::FilterOutput, S::IpOutput, S::ManglePostrouting,
               S::NatPostrouting, S::ConntrackConfirmOut, S::IpFinishOutput, S::Neighbour,
               S::DevQueueXmit, S::QdiscEnqueue, S::QdiscDequeue, S::DriverTx, S::Wire});
        chain({S::Neighbour, S::ArpSolicit, S::DevQueueXmit});
        return e;
    }();
    return edges;
}

const std::vector<HookGroup>& hookGroups() {
    using S = Stage;
    static const std::vector<HookGroup> groups{
        {QStringLiteral("PREROUTING"),
         {S::RawPrerouting, S::ConntrackIn, S::ManglePrerouting, S::NatPrerouting}},
        {QStringLiteral("INPUT"), {S::MangleInput, S::FilterInput, S::NatInput, S::ConntrackConfirm}},
        {QStringLiteral("FORWARD"), {S::MangleForward, S::FilterForward}},
        {QStringLiteral("OUTPUT"),
         {S::RawOutput, S::ConntrackOut, S::MangleOutput, S::NatOutput, S::FilterOutput}},
        {QStringLiteral("POSTROUTING"),
         {S::ManglePostrouting, S::NatPostrouting, S::ConntrackConfirmOut}},
    };
    return groups;
}

bool isNetfilterHook(Stage stage) {
    for (const HookGroup& g : hookGroups())
        for (Stage s : g.stages)
            if (s == stage) return true;
    return false;
}

QRectF dropBinArea() {
    return {2 * layout::kColumnPitch, 9 * layout::kRowPitch + 8,
            2 * layout::kColumnPitch + layout::kBoxWidth, 2 * layout::kRowPitch - 16};
}

QRectF diagramBounds() {
    QRectF r;
    for (const auto& [s, cell] : kCells) r |= stageRect(s);
    r |= dropBinArea();
    return r.adjusted(-40, -50, 40, 40);
}

QPainterPath edgePath(const QRectF& a, const QRectF& b) {
    QPainterPath p;
    const bool sameColumn = std::abs(a.center().x() - b.center().x()) < 1;
    const bool sameRow = std::abs(a.center().y() - b.center().y()) < 1;
    if (sameColumn) {
        const bool down = b.center().y() > a.center().y();
        p.moveTo(a.center().x(), down ? a.bottom() : a.top());
        p.lineTo(b.center().x(), down ? b.top() : b.bottom());
    } else if (sameRow) {
        const bool right = b.center().x() > a.center().x();
        p.moveTo(right ? a.right() : a.left(), a.center().y());
        p.lineTo(right ? b.left() : b.right(), b.center().y());
    } else {
        // Leave sideways, run along the gap next to the source, enter sideways.
        const bool right = b.center().x() > a.center().x();
        const qreal gutter = right ? a.right() + kGap / 2 : a.left() - kGap / 2;
        p.moveTo(right ? a.right() : a.left(), a.center().y());
        p.lineTo(gutter, a.center().y());
        p.lineTo(gutter, b.center().y());
        p.lineTo(right ? b.left() : b.right(), b.center().y());
    }
    return p;
}

QColor pathColor(Path path) {
    switch (path) {
    case Path::Rx: return QColor(0x2f, 0x80, 0xd0);
    case Path::Local: return QColor(0x2e, 0xa0, 0x5a);
    case Path::Forward: return QColor(0xe0, 0x8a, 0x1e);
    case Path::Tx: return QColor(0x9b, 0x5c, 0xd6);
    }
    return Qt::gray;
}

} // namespace stackscope::ui
