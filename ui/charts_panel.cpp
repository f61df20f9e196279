// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/charts_panel.h"

#include "ui/session.h"

#include <QBoxLayout>
#include <QStackedLayout>
#include <QTabWidget>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace stackscope::ui {
namespace {

// At most this many refreshes a second while the simulation runs.
constexpr int kRefreshIntervalMs = 250;

constexpr std::array<Path, ChartsPanel::kPathCount> kPaths{Path::Rx, Path::Forward, Path::Local, Path::Tx};

QString pathTitle(Path p) {
    switch (p) {
    case Path::Rx: return ChartsPanel::tr("RX");
    case Path::Forward: return ChartsPanel::tr("forward");
    case Path::Local: return ChartsPanel::tr("local");
    case Path::Tx: return ChartsPanel::tr("TX");
    }
    return {};
}

bool isDarkPalette(const QPalette& p) { return p.color(QPalette::Window).lightness() < 128; }

// A tick step of 1, 2 or 5 times a power of ten giving about five ticks.
double niceStep(double span) {
    const double raw = span / 5.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (raw <= m * magnitude) return m * magnitude;
    return 10.0 * magnitude;
}

// Moves an axis to a new range and tick step. A coarse interval is set first so
// that no intermediate state lays out thousands of ticks (old step, new range).
void setTicks(QValueAxis* axis, double from, double to, double anchor, double step) {
    axis->setTickInterval(std::max(axis->max() - axis->min(), to - from));
    axis->setRange(from, to);
    axis->setTickAnchor(anchor);
    axis->setTickInterval(step);
}

void setCountRange(QValueAxis* axis, std::uint64_t max) {
    // Never a step below 1: the counts are whole.
    const double step = niceStep(std::max(5.0, double(max)));
    const double top = std::max(step, std::ceil(double(max) / step) * step);
    setTicks(axis, 0, top, 0, step);
}

void setTimeRange(QValueAxis* axis, double from, double to) {
    if (to <= from) to = from + 1e-6;
    const double step = niceStep(to - from);
    setTicks(axis, from, to, std::ceil(from / step) * step, step);
    // Enough decimals to print the step, from seconds down to nanoseconds.
    const int decimals = std::clamp(int(std::ceil(-std::log10(step) - 1e-9)), 0, 9);
    axis->setLabelFormat(QStringLiteral("%.%1f").arg(decimals));
}

} // namespace

ChartsPanel::ChartsPanel(Session* session, QWidget* parent) : QWidget(parent), m_session(session) {
    setObjectName(QStringLiteral("chartsPanel"));
    m_dropsChart = makeChart(tr("Drops by reason"), tr("drops (cumulative)"), &m_dropsX, &m_dropsY);
    m_pathsChart = makeChart(tr("Packets through each path"), tr("packets (cumulative)"), &m_pathsX,
                             &m_pathsY);
    for (Path p : kPaths) {
        auto* s = new QLineSeries(m_pathsChart);
        s->setName(pathTitle(p));
        m_pathsChart->addSeries(s);
        s->attachAxis(m_pathsX);
        s->attachAxis(m_pathsY);
        m_pathSeries[std::size_t(p)] = s;
    }
    m_queueChart = makeChart(tr("Queue depth"), tr("packets waiting (peak)"), &m_queueX, &m_queueY);
    for (std::size_t q = 0; q < kQueueKinds; ++q) {
        auto* s = new QLineSeries(m_queueChart);
        s->setName(queueName(QueueKind(q)));
        m_queueChart->addSeries(s);
        s->attachAxis(m_queueX);
        s->attachAxis(m_queueY);
        m_queueSeries[q] = s;
    }
    m_dropsView = new QChartView(m_dropsChart, this);
    m_dropsView->setObjectName(QStringLiteral("dropsChartView"));
    m_pathsView = new QChartView(m_pathsChart, this);
    m_pathsView->setObjectName(QStringLiteral("pathsChartView"));
    m_queueView = new QChartView(m_queueChart, this);
    m_queueView->setObjectName(QStringLiteral("queueChartView"));
    for (QChartView* v : {m_dropsView, m_pathsView, m_queueView}) {
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumSize(200, 160);
    }
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("chartTabs"));
    m_tabs->setDocumentMode(true);
    m_wide = new QWidget(this);
    m_wideLayout = new QHBoxLayout(m_wide);
    m_wideLayout->setContentsMargins(0, 0, 0, 0);
    m_wideLayout->setSpacing(2);
    m_modes = new QStackedLayout(this);
    m_modes->addWidget(m_tabs);
    m_modes->addWidget(m_wide);
    m_isWide = true; // so that setWide(false) does the first placement
    setWide(false);
    applyTheme();

    m_throttle.setSingleShot(true);
    connect(&m_throttle, &QTimer::timeout, this, &ChartsPanel::refresh);
    connect(session, &Session::cursorMoved, this, &ChartsPanel::scheduleRefresh);
    connect(session, &Session::loaded, this, &ChartsPanel::scheduleRefresh);
    refresh();
}

QChart* ChartsPanel::makeChart(const QString& title, const QString& yTitle, QValueAxis** x,
                               QValueAxis** y) {
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->setAlignment(Qt::AlignBottom);
    *x = new QValueAxis(chart);
    (*x)->setTitleText(tr("virtual time (s)"));
    (*x)->setTickType(QValueAxis::TicksDynamic);
    *y = new QValueAxis(chart);
    (*y)->setTitleText(yTitle);
    (*y)->setLabelFormat(QStringLiteral("%d"));
    (*y)->setTickType(QValueAxis::TicksDynamic);
    chart->addAxis(*x, Qt::AlignBottom);
    chart->addAxis(*y, Qt::AlignLeft);
    setTimeRange(*x, 0, 1);
    setCountRange(*y, 0);
    return chart;
}

QLineSeries* ChartsPanel::dropSeries(DropReason reason) const {
    auto it = m_dropSeries.find(reason);
    return it == m_dropSeries.end() ? nullptr : it->second;
}

void ChartsPanel::scheduleRefresh() {
    // Hidden (a closed dock or a tab behind another): catch up when shown.
    if (!isVisible()) {
        m_stale = true;
        return;
    }
    if (m_throttle.isActive()) return;
    const qint64 since = m_sinceRefresh.isValid() ? m_sinceRefresh.elapsed() : kRefreshIntervalMs;
    if (since >= kRefreshIntervalMs)
        refresh();
    else
        m_throttle.start(int(kRefreshIntervalMs - since));
}

void ChartsPanel::refresh() {
    m_throttle.stop();
    m_stale = false;
    m_sinceRefresh.start();
    const Stepper* stepper = m_session->stepper();
    const std::uint64_t position = stepper ? std::min<std::uint64_t>(stepper->position(), stepper->events().size()) : 0;
    if (position == 0) {
        for (auto& [reason, series] : m_dropSeries) {
            m_dropsChart->removeSeries(series);
            delete series;
        }
        m_dropSeries.clear();
        for (QLineSeries* s : m_pathSeries) s->clear();
        for (QLineSeries* s : m_queueSeries) s->clear();
        setTimeRange(m_queueX, 0, 1);
        setCountRange(m_queueY, 0);
        setTimeRange(m_dropsX, 0, 1);
        setTimeRange(m_pathsX, 0, 1);
        setCountRange(m_dropsY, 0);
        setCountRange(m_pathsY, 0);
        return;
    }
    const std::vector<TraceEvent>& events = stepper->events();

    Nanos tmin = events[0].time;
    Nanos tmax = tmin;
    for (std::uint64_t i = 1; i < position; ++i) {
        tmin = std::min(tmin, events[i].time);
        tmax = std::max(tmax, events[i].time);
    }
    const Nanos span = tmax - tmin;
    const int buckets = span == 0 ? 1 : int(std::min<std::uint64_t>(kMaxPoints, position));
    auto bucketOf = [&](Nanos t) {
        return span == 0 ? 0 : std::min(buckets - 1, int((t - tmin) * buckets / span));
    };

    // Per bucket increments, summed into running totals below.
    std::map<DropReason, std::vector<std::uint64_t>> drops;
    std::array<std::vector<std::uint64_t>, kPathCount> paths;
    for (auto& p : paths) p.assign(std::size_t(buckets), 0);
    m_seen.assign(m_seen.size(), 0);
    for (std::uint64_t i = 0; i < position; ++i) {
        const TraceEvent& e = events[i];
        if (e.verdict == Verdict::Dropped) {
            auto& v = drops[e.reason];
            if (v.empty()) v.assign(std::size_t(buckets), 0);
            ++v[std::size_t(bucketOf(e.time))];
            continue;
        }
        // A packet counts once per path, at its first event there that did not drop it.
        if (e.packet == kNoPacket) continue;
        const std::size_t slot = packetSlot(e.packet);
        if (slot >= m_seen.size()) m_seen.resize(slot + 1, 0);
        const auto bit = std::uint8_t(1u << unsigned(stagePath(e.stage)));
        if (m_seen[slot] & bit) continue;
        m_seen[slot] |= bit;
        ++paths[std::size_t(stagePath(e.stage))][std::size_t(bucketOf(e.time))];
    }

    // x of a bucket's right edge, in virtual seconds.
    auto edge = [&](int b) { return (double(tmin) + double(span) * (b + 1) / buckets) / 1e9; };
    const double start = double(tmin) / 1e9;
    auto toPoints = [&](const std::vector<std::uint64_t>& perBucket, std::uint64_t* total) {
        QList<QPointF> points;
        points.reserve(buckets + 1);
        points.append(QPointF(start, 0));
        std::uint64_t sum = 0;
        for (int b = 0; b < buckets; ++b) {
            sum += perBucket[std::size_t(b)];
            points.append(QPointF(edge(b), double(sum)));
        }
        *total = sum;
        return points;
    };

    std::uint64_t dropMax = 0;
    for (auto it = m_dropSeries.begin(); it != m_dropSeries.end();) {
        if (drops.count(it->first)) {
            ++it;
            continue;
        }
        m_dropsChart->removeSeries(it->second);
        delete it->second;
        it = m_dropSeries.erase(it);
    }
    for (const auto& [reason, perBucket] : drops) {
        QLineSeries*& series = m_dropSeries[reason];
        if (!series) {
            series = new QLineSeries(m_dropsChart);
            series->setName(QString::fromLatin1(dropReasonName(reason)));
            m_dropsChart->addSeries(series);
            series->attachAxis(m_dropsX);
            series->attachAxis(m_dropsY);
        }
        std::uint64_t total = 0;
        series->replace(toPoints(perBucket, &total));
        dropMax = std::max(dropMax, total);
    }
    std::uint64_t pathMax = 0;
    for (Path p : kPaths) {
        std::uint64_t total = 0;
        m_pathSeries[std::size_t(p)]->replace(toPoints(paths[std::size_t(p)], &total));
        pathMax = std::max(pathMax, total);
    }
    const double end = double(tmax) / 1e9;
    setTimeRange(m_dropsX, start, end);
    setTimeRange(m_pathsX, start, end);
    setCountRange(m_dropsY, dropMax);
    setCountRange(m_pathsY, pathMax);
    refreshQueues(events, position);
}

void ChartsPanel::refreshQueues(const std::vector<TraceEvent>& events, std::uint64_t position) {
    const QueueDepthSeries d = queueDepthSeries(events, position, kMaxPoints);
    std::uint64_t peak = 0;
    for (std::size_t q = 0; q < kQueueKinds; ++q) {
        // A step line: each bucket's peak holds from its start to its end.
        QList<QPointF> points;
        Nanos from = d.start;
        for (std::size_t b = 0; b < d.bucketEnd.size(); ++b) {
            points.append(QPointF(double(from) / 1e9, double(d.depth[q][b])));
            points.append(QPointF(double(d.bucketEnd[b]) / 1e9, double(d.depth[q][b])));
            from = d.bucketEnd[b];
        }
        m_queueSeries[q]->replace(points);
        // Queues that never held a packet stay out of the legend.
        m_queueSeries[q]->setVisible(d.peak[q] > 0);
        const auto markers = m_queueChart->legend()->markers(m_queueSeries[q]);
        for (QLegendMarker* m : markers) m->setVisible(d.peak[q] > 0);
        peak = std::max(peak, d.peak[q]);
    }
    setTimeRange(m_queueX, double(d.start) / 1e9, double(d.end) / 1e9);
    setCountRange(m_queueY, peak);
}

void ChartsPanel::applyTheme() {
    const QPalette pal = palette();
    const bool dark = isDarkPalette(pal);
    QFont titleFont = font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.1);
    for (QChart* chart : {m_dropsChart, m_pathsChart, m_queueChart}) {
        // The theme picks series colours that read on the background; the
        // background and text then follow the application's palette.
        chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
        chart->setBackgroundBrush(pal.brush(QPalette::Base));
        chart->setBackgroundRoundness(0);
        chart->setTitleBrush(pal.brush(QPalette::Text));
        chart->setTitleFont(titleFont);
        chart->legend()->setFont(font());
        chart->legend()->setLabelColor(pal.color(QPalette::Text));
        for (QAbstractAxis* axis : chart->axes()) {
            axis->setLabelsFont(font());
            axis->setLabelsColor(pal.color(QPalette::Text));
            axis->setTitleFont(font());
            axis->setTitleBrush(pal.brush(QPalette::Text));
            QColor grid = pal.color(QPalette::Text);
            grid.setAlpha(40);
            axis->setGridLineColor(grid);
        }
    }
    for (QChartView* v : {m_dropsView, m_pathsView, m_queueView}) v->setBackgroundBrush(pal.brush(QPalette::Base));
}

void ChartsPanel::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (m_stale) refresh();
}

void ChartsPanel::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    // With some hysteresis so a size near the threshold does not flip back and forth.
    if (m_isWide ? width() < height() * 2 : width() > height() * 5 / 2)
        setWide(!m_isWide);
}

void ChartsPanel::setWide(bool wide) {
    if (wide == m_isWide) return;
    m_isWide = wide;
    if (wide) {
        m_tabs->clear();
        m_wideLayout->addWidget(m_dropsView);
        m_wideLayout->addWidget(m_pathsView);
        m_wideLayout->addWidget(m_queueView);
        // The tab widget hid them on removal; show now rather than on the next event loop pass.
        m_dropsView->show();
        m_pathsView->show();
        m_queueView->show();
        m_modes->setCurrentWidget(m_wide);
    } else {
        m_tabs->addTab(m_dropsView, tr("Drops"));
        m_tabs->addTab(m_pathsView, tr("Paths"));
        m_tabs->addTab(m_queueView, tr("Queues"));
        m_modes->setCurrentWidget(m_tabs);
    }
}

void ChartsPanel::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::FontChange) applyTheme();
}

} // namespace stackscope::ui
