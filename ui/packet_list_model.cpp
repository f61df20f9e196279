// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/packet_list_model.h"

#include "ui/session.h"
#include "ui/stage_text.h"

#include <QElapsedTimer>
#include <QFont>
#include <QGuiApplication>
#include <QPalette>

namespace stackscope::ui {
namespace {
constexpr int kSliceMs = 8;           // filter work per event-loop turn
constexpr std::size_t kManyChanged = 256; // beyond this one dataChanged covers all rows
} // namespace

PacketListModel::PacketListModel(Session* session, QObject* parent)
    : QAbstractTableModel(parent), m_session(session) {
    m_filterTimer.setInterval(0);
    connect(&m_filterTimer, &QTimer::timeout, this, &PacketListModel::filterSlice);
    connect(session, &Session::loaded, this, &PacketListModel::reload);
    connect(session, &Session::cursorMoved, this, &PacketListModel::onCursorMoved);
    reload();
}

void PacketListModel::reload() {
    beginResetModel();
    m_inputCount = m_session->frames().size();
    m_generated.clear();
    m_generatedRow.clear();
    m_scannedEvents = 0;
    m_maxGenerated = 0;
    m_summaries.clear();
    m_filterTimer.stop();
    m_filterActive = false;
    m_visible.clear();
    endResetModel();
    if (!m_filter.isEmpty()) setFilter(m_filter);
}

int PacketListModel::rowCount(const QModelIndex& parent) const {
    if (parent.isValid()) return 0;
    return int(m_filterActive ? m_visible.size() : totalPackets());
}

int PacketListModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

PacketId PacketListModel::sourcePacket(std::size_t sourceRow) const {
    if (sourceRow < m_inputCount) return PacketId(sourceRow + 1);
    sourceRow -= m_inputCount;
    return sourceRow < m_generated.size() ? m_generated[sourceRow] : kNoPacket;
}

PacketId PacketListModel::packetAt(int row) const {
    if (row < 0 || row >= rowCount()) return kNoPacket;
    return sourcePacket(m_filterActive ? m_visible[std::size_t(row)] : std::size_t(row));
}

int PacketListModel::rowOf(PacketId packet) const {
    std::size_t source;
    if (packet >= 1 && packet <= m_inputCount) {
        source = packet - 1;
    } else if (auto it = m_generatedRow.find(packet); it != m_generatedRow.end()) {
        source = m_inputCount + it->second;
    } else {
        return -1;
    }
    if (!m_filterActive) return int(source);
    auto it = std::lower_bound(m_visible.begin(), m_visible.end(), std::uint32_t(source));
    return it != m_visible.end() && *it == source ? int(it - m_visible.begin()) : -1;
}

const PacketSummary& PacketListModel::summary(PacketId packet) const {
    if (PacketSummary* s = m_summaries.object(packet)) return *s;
    auto* s = new PacketSummary;
    const PacketState* st = m_session->state().packet(packet);
    if (const auto bytes = m_session->bytesAt(packet, packet <= m_inputCount || !st ? kNoSeq : st->firstSeq))
        *s = summarize(*bytes);
    m_summaries.insert(packet, s);
    return *s;
}

QString fateTextFor(const TraceEvent& e) {
    switch (e.verdict) {
    case Verdict::Dropped: return PacketListModel::tr("dropped");
    case Verdict::Delivered: return PacketListModel::tr("delivered");
    case Verdict::Transmitted: return PacketListModel::tr("sent");
    case Verdict::Consumed: return PacketListModel::tr("consumed");
    case Verdict::Queued: return PacketListModel::tr("queued: %1").arg(toQString(stageLabel(e.stage)));
    default: return PacketListModel::tr("at %1").arg(toQString(stageLabel(e.stage)));
    }
}

QString PacketListModel::fateText(PacketId packet) const {
    const PacketState* s = m_session->state().packet(packet);
    const auto* stepper = m_session->stepper();
    if (!s || s->lastSeq == kNoSeq || !stepper) return {};
    return fateTextFor(stepper->events()[s->lastSeq]);
}

QString PacketListModel::reasonText(PacketId packet) const {
    const PacketState* s = m_session->state().packet(packet);
    const auto* stepper = m_session->stepper();
    if (!s || !s->terminal || !stepper) return {};
    const TraceEvent& e = stepper->events()[s->lastSeq];
    return isDrop(e.reason) ? toQString(dropReasonName(e.reason)) : QString();
}

QVariant PacketListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount) return {};
    const PacketId packet = packetAt(index.row());
    if (role == Qt::DisplayRole) {
        switch (Column(index.column())) {
        case Number:
            if (packet >= kGeneratedPacketBase) return packetLabel(packet);
            return QVariant::fromValue<qulonglong>(packet);
        case Time: {
            if (packet <= m_inputCount)
                return QString::fromStdString(formatTime(m_session->frames()[packet - 1].time));
            const PacketState* s = m_session->state().packet(packet);
            if (s && s->firstSeq != kNoSeq && m_session->stepper())
                return QString::fromStdString(formatTime(m_session->stepper()->events()[s->firstSeq].time));
            return {};
        }
        case Source: return summary(packet).source;
        case Destination: return summary(packet).destination;
        case Protocol: return summary(packet).protocol;
        case Length: {
            if (packet <= m_inputCount) {
                const InputFrame& f = m_session->frames()[packet - 1];
                return QVariant::fromValue<qulonglong>(f.wireLength ? f.wireLength : f.bytes.size());
            }
            const PacketState* s = m_session->state().packet(packet);
            const auto bytes = m_session->bytesAt(packet, s ? s->firstSeq : kNoSeq);
            return QVariant::fromValue<qulonglong>(bytes ? bytes->size() : 0);
        }
        case Fate: return fateText(packet);
        case Reason: return reasonText(packet);
        case Info: return summary(packet).info;
        case ColumnCount: break;
        }
        return {};
    }
    if (role == Qt::ForegroundRole && (index.column() == Fate || index.column() == Reason)) {
        if (!reasonText(packet).isEmpty()) {
            const bool dark = QGuiApplication::palette().color(QPalette::Base).lightness() < 128;
            return dark ? QColor(0xff, 0x8a, 0x80) : QColor(0xb0, 0x1c, 0x1c);
        }
    }
    if (role == Qt::TextAlignmentRole && (index.column() == Number || index.column() == Length))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant PacketListModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* names[] = {"No.", "Time", "Source", "Destination", "Protocol", "Length",
                                  "Fate", "Reason", "Info"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

void PacketListModel::discoverGenerated() {
    const auto* stepper = m_session->stepper();
    if (!stepper) return;
    const auto& events = stepper->events();
    std::vector<PacketId> found;
    for (; m_scannedEvents < events.size(); ++m_scannedEvents) {
        const PacketId p = events[m_scannedEvents].packet;
        if (p > m_inputCount && p > m_maxGenerated && !m_generatedRow.count(p)) {
            m_generatedRow.emplace(p, m_generated.size() + found.size());
            found.push_back(p);
            m_maxGenerated = std::max(m_maxGenerated, p);
        }
    }
    if (found.empty()) return;
    if (m_filterActive) { // the filter decides later whether they show
        m_generated.insert(m_generated.end(), found.begin(), found.end());
        return;
    }
    const int first = int(totalPackets());
    beginInsertRows({}, first, first + int(found.size()) - 1);
    m_generated.insert(m_generated.end(), found.begin(), found.end());
    endInsertRows();
}

void PacketListModel::onCursorMoved(const CursorMove& move) {
    discoverGenerated();
    if (rowCount() == 0) return;
    if (move.rebuilt || move.changed.size() > kManyChanged) {
        emit dataChanged(index(0, Fate), index(rowCount() - 1, Reason));
        return;
    }
    for (PacketId p : move.changed) {
        const int row = rowOf(p);
        if (row >= 0) emit dataChanged(index(row, Fate), index(row, Reason));
    }
}

bool PacketListModel::matches(PacketId packet, const QString& needle) const {
    return filterMatches(summary(packet), fateText(packet), reasonText(packet), packet, needle);
}

void PacketListModel::setFilter(const QString& text) {
    m_filter = text.trimmed();
    m_filterTimer.stop();
    m_pending.clear();
    m_filterNext = 0;
    if (m_filter.isEmpty()) {
        if (m_filterActive) {
            beginResetModel();
            m_filterActive = false;
            m_visible.clear();
            endResetModel();
        }
        emit filterFinished(int(totalPackets()));
        return;
    }
    m_filterTimer.start();
}

void PacketListModel::filterSlice() {
    QElapsedTimer clock;
    clock.start();
    const std::size_t total = totalPackets();
    while (m_filterNext < total && clock.elapsed() < kSliceMs) {
        const std::size_t end = std::min(total, m_filterNext + 512);
        for (; m_filterNext < end; ++m_filterNext)
            if (matches(sourcePacket(m_filterNext), m_filter)) m_pending.push_back(std::uint32_t(m_filterNext));
    }
    if (m_filterNext < total) return;
    m_filterTimer.stop();
    beginResetModel();
    m_filterActive = true;
    m_visible.swap(m_pending);
    m_pending.clear();
    endResetModel();
    emit filterFinished(int(m_visible.size()));
}

} // namespace stackscope::ui
