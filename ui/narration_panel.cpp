// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/narration_panel.h"

#include "ui/packet_decode.h"
#include "ui/session.h"
#include "ui/stage_text.h"

#include <QTextBrowser>
#include <QVBoxLayout>

namespace stackscope::ui {
namespace {

QString contextText(Context c) {
    switch (c) {
    case Context::HardIrq: return QObject::tr("hard IRQ");
    case Context::SoftIrq: return QObject::tr("softirq (NET_RX / NET_TX)");
    case Context::Process: return QObject::tr("process context (system call)");
    case Context::Timer: return QObject::tr("timer (softirq)");
    }
    return {};
}

QString verdictText(const TraceEvent& e) {
    if (isCallReturn(e)) return QObject::tr("the system call returns to the application");
    switch (e.verdict) {
    case Verdict::Continue: return QObject::tr("passed on to the next stage");
    case Verdict::Queued: return QObject::tr("queued");
    case Verdict::Delivered: return QObject::tr("delivered");
    case Verdict::Transmitted: return QObject::tr("transmitted on the wire");
    case Verdict::Dropped:
        return QObject::tr("DROPPED, reason %1").arg(toQString(dropReasonName(e.reason)));
    case Verdict::Consumed: return QObject::tr("consumed (freed, not a drop)");
    case Verdict::Stolen: return QObject::tr("held for later (stolen)");
    }
    return {};
}

} // namespace

QString counterDeltaText(const CounterDelta& d, const std::function<QString(int)>& ifname) {
    const QString sign = d.delta >= 0 ? QStringLiteral("+%1").arg(d.delta) : QString::number(d.delta);
    static const char* softnet[] = {"processed", "dropped", "time_squeeze", "received_rps",
                                    "flow_limit_count"};
    static const char* qdisc[] = {"sent bytes",     "sent pkt",       "dropped",       "overlimits",
                                  "requeues",       "backlog bytes",  "backlog pkt",   "maxpacket",
                                  "drop_overlimit", "new_flow_count", "ecn_mark",      "memory_used",
                                  "new_flows_len",  "old_flows_len"};
    switch (d.kind) {
    case CounterDelta::Kind::Mib:
        if (d.field < std::uint16_t(Mib::Count))
            return QStringLiteral("%1 %2").arg(toQString(mibName(Mib(d.field))), sign);
        break;
    case CounterDelta::Kind::IcmpMsgIn: return QStringLiteral("IcmpMsgInType%1 %2").arg(d.field).arg(sign);
    case CounterDelta::Kind::IcmpMsgOut: return QStringLiteral("IcmpMsgOutType%1 %2").arg(d.field).arg(sign);
    case CounterDelta::Kind::Link:
        if (d.field < std::uint16_t(LinkStat::Count))
            return QStringLiteral("%1 %2 %3")
                .arg(ifname(d.object), toQString(linkStatName(LinkStat(d.field))), sign);
        break;
    case CounterDelta::Kind::Softnet:
        if (d.field < std::size(softnet))
            return QStringLiteral("softnet_stat cpu%1 %2 %3").arg(d.object).arg(QLatin1String(softnet[d.field]), sign);
        break;
    case CounterDelta::Kind::Qdisc:
        if (d.field < std::size(qdisc))
            return QStringLiteral("qdisc %1 %2 %3").arg(ifname(d.object), QLatin1String(qdisc[d.field]), sign);
        break;
    case CounterDelta::Kind::Gauge:
        return QStringLiteral("queue %1.%2 %3").arg(d.object).arg(d.field).arg(sign);
    }
    return QStringLiteral("counter %1/%2 %3").arg(int(d.kind)).arg(d.field).arg(sign);
}

NarrationPanel::NarrationPanel(Session* session, QWidget* parent) : QWidget(parent), m_session(session) {
    setObjectName(QStringLiteral("narrationPanel"));
    m_text = new QTextBrowser(this);
    m_text->setObjectName(QStringLiteral("narrationText"));
    m_text->setOpenLinks(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_text);
    setLargeText(false);
    connect(session, &Session::cursorMoved, this, &NarrationPanel::showCurrent);
    showCurrent();
}

void NarrationPanel::setLargeText(bool large) {
    QFont f = font();
    f.setPointSizeF(large ? 17 : 11);
    m_text->setFont(f);
    m_text->document()->setDefaultFont(f);
}

QString NarrationPanel::plainText() const { return m_text->toPlainText(); }

QString NarrationPanel::eventHtml(const TraceEvent& e) const {
    auto ifname = [this](int i) { return m_session->interfaceName(i); };
    QString html;
    html += QStringLiteral("<h2 style='margin-bottom:2px'><tt>%1()</tt></h2>").arg(toQString(e.function).toHtmlEscaped());
    html += QStringLiteral("<p style='margin-top:0'><b>%1</b> &middot; %2 on CPU %3 &middot; t = %4 s</p>")
                .arg(toQString(stageLabel(e.stage)).toHtmlEscaped(), contextText(e.context))
                .arg(e.cpu)
                .arg(QString::fromStdString(formatTime(e.time)));
    QString who = e.packet != kNoPacket ? tr("Packet %1").arg(packetLabel(e.packet)) : tr("No packet");
    if (e.ifindex) who += tr(" on %1").arg(ifname(e.ifindex).toHtmlEscaped());
    const bool drop = e.verdict == Verdict::Dropped;
    html += QStringLiteral("<p>%1: <b%2>%3</b></p>")
                .arg(who, drop ? QStringLiteral(" style='color:#d03030'") : QString(), verdictText(e).toHtmlEscaped());
    if (!e.detail.empty())
        html += QStringLiteral("<p><i>%1</i></p>").arg(QString::fromStdString(e.detail).toHtmlEscaped());
    html += QStringLiteral("<p>%1</p>").arg(stageExplanation(e.stage).toHtmlEscaped());
    if (!e.counters.empty()) {
        html += QStringLiteral("<p><b>%1</b><br>").arg(tr("Counters changed:"));
        QStringList lines;
        for (const CounterDelta& d : e.counters) lines << counterDeltaText(d, ifname).toHtmlEscaped();
        html += QStringLiteral("<tt>%1</tt></p>").arg(lines.join(QStringLiteral("<br>")));
    }
    return html;
}

void NarrationPanel::showCurrent() {
    if (!m_session->isLoaded()) {
        m_text->setHtml(tr("<p>Open a scenario or a capture to begin.</p>"));
        return;
    }
    if (const TraceEvent* e = m_session->current()) {
        const QString hit = m_session->breakpointAtCursor();
        const QString banner = hit.isEmpty() ? QString()
                                             : QStringLiteral("<p style='background:#d03030; color:white; padding:4px'>"
                                                              "<b>&#9208; %1</b></p>").arg(hit.toHtmlEscaped());
        m_text->setHtml(banner + eventHtml(*e));
        return;
    }
    // Where the packets will come from: captured frames, and the scenario's applications.
    auto counted = [](std::uint64_t n, const QString& one, const QString& many) {
        return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? one : many);
    };
    QStringList sources;
    if (!m_session->frames().empty())
        sources << tr("%1 loaded").arg(counted(m_session->frames().size(), tr("input frame"), tr("input frames")));
    if (m_session->stepper()) {
        const HostConfig& config = m_session->stepper()->config();
        std::uint64_t datagrams = 0;
        for (const SendConfig& s : config.sends) datagrams += s.count;
        if (!config.sends.empty())
            sources << tr("%1 sending %2")
                           .arg(counted(config.sends.size(), tr("application"), tr("applications")),
                                counted(datagrams, tr("UDP datagram"), tr("UDP datagrams")));
        if (!config.connects.empty())
            sources << tr("%1 over TCP")
                           .arg(counted(config.connects.size(), tr("application connecting"),
                                        tr("applications connecting")));
    }
    if (sources.isEmpty()) sources << tr("No input frames and no applications yet");
    m_text->setHtml(tr("<h2>Ready</h2><p>%1. Press <b>F10</b> to follow the first "
                       "packet one kernel function at a time, <b>F11</b> to jump packet by packet, or "
                       "<b>F5</b> to run. Hover a box to learn what it does; click it for its story.</p>")
                        .arg(sources.join(QStringLiteral("; "))));
}

void NarrationPanel::showStage(Stage stage) {
    const TraceEvent* e = m_session->current();
    if (e && e->stage == stage) return showCurrent();
    const CursorState& s = m_session->state();
    m_text->setHtml(QStringLiteral("<h2><tt>%1()</tt></h2><p><b>%2</b> &middot; %3</p><p>%4</p>")
                        .arg(toQString(stageKernelFunction(stage)).toHtmlEscaped(),
                             toQString(stageLabel(stage)).toHtmlEscaped(),
                             tr("%1 passed, %2 dropped so far").arg(s.passed(stage)).arg(s.dropped(stage)),
                             stageExplanation(stage).toHtmlEscaped()));
}

} // namespace stackscope::ui
