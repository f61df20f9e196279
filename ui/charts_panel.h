// SPDX-License-Identifier: GPL-3.0-or-later
// Charts of what happened up to the cursor over virtual time: cumulative drops
// by reason, cumulative packets through each path (RX, forward, local, TX), and
// the depth of each kernel queue.
#pragma once

#include "sim/drop_reason.h"
#include "sim/stage.h"
#include "sim/trace.h"
#include "ui/queue_fill.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>

#include <array>
#include <cstdint>
#include <map>
#include <vector>

class QHBoxLayout;
class QStackedLayout;
class QTabWidget;
class QChart;
class QChartView;
class QLineSeries;
class QValueAxis;

namespace stackscope::ui {

class Session;

class ChartsPanel : public QWidget {
    Q_OBJECT
public:
    // The time axis is cut into at most this many buckets, so a chart costs one
    // pass over the trace and a few hundred points whatever the trace length.
    static constexpr int kMaxPoints = 200;
    static constexpr int kPathCount = 4;

    explicit ChartsPanel(Session* session, QWidget* parent = nullptr);

    QChart* dropsChart() const { return m_dropsChart; }
    QChart* pathsChart() const { return m_pathsChart; }
    // The series of one drop reason, null when the reason has no drop before the cursor.
    QLineSeries* dropSeries(DropReason reason) const;
    QLineSeries* pathSeries(Path path) const { return m_pathSeries[std::size_t(path)]; }
    QChart* queueChart() const { return m_queueChart; }
    QLineSeries* queueSeries(QueueKind q) const { return m_queueSeries[std::size_t(q)]; }

public slots:
    // Recompute both charts now, visible or not.
    void refresh();

protected:
    void showEvent(QShowEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void scheduleRefresh();
    void refreshQueues(const std::vector<TraceEvent>& events, std::uint64_t position);
    void applyTheme();
    void setWide(bool wide);
    QChart* makeChart(const QString& title, const QString& yTitle, QValueAxis** x, QValueAxis** y);

    Session* m_session;
    // Side by side when docked wide; one tab per chart when docked narrow, so
    // each chart keeps enough height for its labels.
    QStackedLayout* m_modes;
    QWidget* m_wide;
    QHBoxLayout* m_wideLayout;
    QTabWidget* m_tabs;
    bool m_isWide = false;
    QChartView* m_dropsView;
    QChartView* m_pathsView;
    QChartView* m_queueView;
    QChart* m_queueChart;
    QValueAxis* m_queueX;
    QValueAxis* m_queueY;
    std::array<QLineSeries*, kQueueKinds> m_queueSeries{};
    QChart* m_dropsChart;
    QChart* m_pathsChart;
    QValueAxis* m_dropsX;
    QValueAxis* m_dropsY;
    QValueAxis* m_pathsX;
    QValueAxis* m_pathsY;
    std::map<DropReason, QLineSeries*> m_dropSeries;
    std::array<QLineSeries*, kPathCount> m_pathSeries{};
    QTimer m_throttle;
    QElapsedTimer m_sinceRefresh;
    bool m_stale = false;            // the cursor moved while the panel was hidden
    std::vector<std::uint8_t> m_seen; // by packetSlot: the paths a packet was counted on
};

} // namespace stackscope::ui
