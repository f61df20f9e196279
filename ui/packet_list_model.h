// SPDX-License-Identifier: GPL-3.0-or-later
// The packet list: one row per input frame plus one per packet the host
// generated, with its fate at the cursor. Rows are tiny (an id); text is
// decoded lazily in data() and cached. The filter runs in slices on the
// event loop and keeps a vector of matching rows, so a million rows stay
// responsive.
#pragma once

#include "sim/trace.h"
#include "ui/packet_decode.h"

#include <QAbstractTableModel>
#include <QCache>
#include <QTimer>

#include <unordered_map>
#include <vector>

namespace stackscope::ui {

class Session;
struct CursorMove;

// The Fate column's words for a packet whose last event is `e`: "dropped", "queued: qdisc".
QString fateTextFor(const TraceEvent& e);

class PacketListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Number, Time, Source, Destination, Protocol, Length, Fate, Reason, Info, ColumnCount };

    explicit PacketListModel(Session* session, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    PacketId packetAt(int row) const;
    int rowOf(PacketId packet) const; // -1 when absent or filtered out
    std::size_t totalPackets() const { return m_inputCount + m_generated.size(); }

    // Case-insensitive text match on addresses, protocol, fate, reason and info.
    void setFilter(const QString& text);
    QString filter() const { return m_filter; }
    bool filtering() const { return m_filterTimer.isActive(); }

signals:
    void filterFinished(int matches);

private:
    void reload();
    void onCursorMoved(const CursorMove& move);
    void discoverGenerated();
    void filterSlice();
    PacketId sourcePacket(std::size_t sourceRow) const;
    const PacketSummary& summary(PacketId packet) const;
    QString fateText(PacketId packet) const;
    QString reasonText(PacketId packet) const;
    bool matches(PacketId packet, const QString& needle) const;

    Session* m_session;
    std::size_t m_inputCount = 0;
    std::vector<PacketId> m_generated; // ids past the input frames, in order of appearance
    std::unordered_map<PacketId, std::size_t> m_generatedRow;
    std::size_t m_scannedEvents = 0;
    PacketId m_maxGenerated = 0;

    QString m_filter;
    bool m_filterActive = false;
    std::vector<std::uint32_t> m_visible; // source rows that match, ascending
    std::vector<std::uint32_t> m_pending; // being built by filterSlice
    std::size_t m_filterNext = 0;
    QTimer m_filterTimer;

    mutable QCache<PacketId, PacketSummary> m_summaries{4096};
};

} // namespace stackscope::ui
