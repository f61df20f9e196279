// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/counters_panel.h"

#include "report/text_views.h"
#include "ui/session.h"

#include <QFontDatabase>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTabWidget>
#include <QVBoxLayout>

namespace stackscope::ui {
namespace {

QPlainTextEdit* makeText(const QString& name, QWidget* parent) {
    auto* t = new QPlainTextEdit(parent);
    t->setObjectName(name);
    t->setReadOnly(true);
    t->setLineWrapMode(QPlainTextEdit::NoWrap);
    t->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    return t;
}

// Keeps the scroll position while the text is replaced at every step.
void setKeepingScroll(QPlainTextEdit* edit, const std::string& text) {
    const QString q = QString::fromStdString(text);
    if (edit->toPlainText() == q) return;
    const int v = edit->verticalScrollBar()->value();
    edit->setPlainText(q);
    edit->verticalScrollBar()->setValue(v);
}

} // namespace

CountersPanel::CountersPanel(Session* session, QWidget* parent) : QWidget(parent), m_session(session) {
    setObjectName(QStringLiteral("countersPanel"));
    m_tabs = new QTabWidget(this);
    m_nstat = makeText(QStringLiteral("nstatText"), this);
    m_softnet = makeText(QStringLiteral("softnetText"), this);
    m_links = makeText(QStringLiteral("linksText"), this);
    m_qdisc = makeText(QStringLiteral("qdiscText"), this);
    m_tabs->addTab(m_nstat, QStringLiteral("nstat"));
    m_tabs->addTab(m_softnet, QStringLiteral("softnet_stat"));
    m_tabs->addTab(m_links, QStringLiteral("ip -s link"));
    m_tabs->addTab(m_qdisc, QStringLiteral("tc -s qdisc"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs);
    connect(session, &Session::cursorMoved, this, &CountersPanel::refresh);
    refresh();
}

QString CountersPanel::nstatText() const { return m_nstat->toPlainText(); }
QString CountersPanel::softnetText() const { return m_softnet->toPlainText(); }

void CountersPanel::refresh() {
    const Stepper* stepper = m_session->stepper();
    if (!stepper) {
        for (auto* t : {m_nstat, m_softnet, m_links, m_qdisc}) t->clear();
        return;
    }
    const Counters& c = stepper->counters();
    setKeepingScroll(m_nstat, report::nstatText(c));
    setKeepingScroll(m_softnet, report::softnetText(c));
    setKeepingScroll(m_links, report::linksText(stepper->config(), c));
    setKeepingScroll(m_qdisc, report::qdiscText(stepper->config(), c));
}

} // namespace stackscope::ui
