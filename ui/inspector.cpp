// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/inspector.h"

#include "ui/hex_view.h"
#include "ui/packet_decode.h"
#include "ui/session.h"
#include "ui/stage_text.h"

#include <QHeaderView>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace stackscope::ui {
namespace {
constexpr int kOffsetRole = Qt::UserRole;
constexpr int kLengthRole = Qt::UserRole + 1;
} // namespace

Inspector::Inspector(Session* session, QWidget* parent) : QWidget(parent), m_session(session) {
    setObjectName(QStringLiteral("inspector"));
    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("protocolTree"));
    m_tree->setColumnCount(2);
    m_tree->setHeaderLabels({tr("Field"), tr("Value")});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_tree->setUniformRowHeights(true);
    m_hex = new HexView(this);
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_tree);
    split->addWidget(m_hex);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
    connect(m_tree, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (item && item->data(0, kOffsetRole).isValid())
            m_hex->setSelection(item->data(0, kOffsetRole).toInt(), item->data(0, kLengthRole).toInt());
    });
    connect(session, &Session::cursorMoved, this, &Inspector::refresh);
    refresh();
}

void Inspector::refresh() {
    m_tree->clear();
    const TraceEvent* e = m_session->current();
    if (!e || e->packet == kNoPacket) {
        m_hex->setBytes({});
        return;
    }
    const std::uint64_t seq = m_session->position() - 1;
    const auto bytes = m_session->bytesAt(e->packet, seq);
    const auto before = m_session->bytesBefore(e->packet, seq);

    auto* skb = new QTreeWidgetItem(m_tree, {tr("sk_buff"), tr("packet %1").arg(packetLabel(e->packet))});
    auto add = [skb](const QString& k, const QString& v) { new QTreeWidgetItem(skb, {k, v}); };
    add(tr("dev"), m_session->interfaceName(e->ifindex));
    add(tr("len"), bytes ? QString::number(bytes->size()) : QString());
    if (e->packet <= m_session->frames().size()) {
        const InputFrame& f = m_session->frames()[e->packet - 1];
        if (f.captureNumber) add(tr("capture frame"), QString::number(f.captureNumber));
        add(tr("arrived"), QString::fromStdString(formatTime(f.time)));
    }
    add(tr("stage"), toQString(stageLabel(e->stage)));
    add(tr("function"), toQString(e->function) + QStringLiteral("()"));
    add(tr("context"), toQString(contextName(e->context)) + tr(" on cpu%1").arg(e->cpu));
    add(tr("verdict"), toQString(verdictName(e->verdict)));
    if (isDrop(e->reason)) add(tr("drop reason"), QStringLiteral("SKB_DROP_REASON_") + toQString(dropReasonName(e->reason)));
    if (before) add(tr("changed here"), tr("yes: highlighted bytes"));
    skb->setExpanded(true);

    if (bytes) {
        QTreeWidgetItem* header = nullptr;
        for (const DecodedField& f : decodeTree(*bytes)) {
            QTreeWidgetItem* item = f.depth == 0 || !header ? new QTreeWidgetItem(m_tree, {f.name, f.value})
                                                            : new QTreeWidgetItem(header, {f.name, f.value});
            item->setData(0, kOffsetRole, f.offset);
            item->setData(0, kLengthRole, f.length);
            if (f.depth == 0) {
                header = item;
                QFont bold = item->font(0);
                bold.setBold(true);
                item->setFont(0, bold);
                item->setExpanded(true);
            }
        }
        m_hex->setBytes(*bytes, before ? *before : std::vector<std::uint8_t>{});
    } else {
        m_hex->setBytes({});
    }
}

} // namespace stackscope::ui
