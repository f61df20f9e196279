// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/editors/command_dialog.h"

#include "netfilter/types.h"
#include "ui/editors/config_document.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStringListModel>
#include <QVBoxLayout>

#include <set>

namespace stackscope::ui {

WordCompleter::WordCompleter(const QStringList& words, QObject* parent)
    : QCompleter(parent), m_words(new QStringListModel(words, this)) {
    setModel(m_words);
    setCaseSensitivity(Qt::CaseInsensitive);
    setFilterMode(Qt::MatchStartsWith);
    setModelSorting(QCompleter::UnsortedModel);
}

void WordCompleter::setWords(const QStringList& words) {
    m_words->setStringList(words);
}

QStringList WordCompleter::splitPath(const QString& path) const {
    const qsizetype space = path.lastIndexOf(QLatin1Char(' '));
    return {path.mid(space + 1)};
}

QString WordCompleter::pathFromIndex(const QModelIndex& index) const {
    const QString text = widget() ? static_cast<QLineEdit*>(widget())->text() : QString();
    const qsizetype space = text.lastIndexOf(QLatin1Char(' '));
    return text.left(space + 1) + index.data().toString();
}

QStringList completionWords(const ConfigDocument& doc) {
    std::set<QString> words{
        // the tools and their subcommands
        "iptables", "ip", "route", "neigh", "link", "addr", "add", "del", "replace", "append",
        "change", "set", "flush", "dev", "via", "src", "metric", "table", "lladdr", "nud",
        "permanent", "reachable", "stale", "noarp", "failed", "up", "down", "mtu", "address",
        "promisc", "on", "off", "default", "blackhole", "unreachable", "prohibit", "sysctl", "-w",
        "ethtool", "-G", "rx", "tx", "tc", "qdisc", "root", "pfifo", "bfifo", "tbf", "fq_codel",
        "noqueue", "pfifo_fast", "limit", "rate", "burst", "latency", "socket", "udp", "tcp",
        "bind", "listen", "rcvbuf", "sndbuf", "read", "all", "none", "connect", "backlog", "send",
        "from", "count", "interval", "size", "at", "df", "nonblock", "close",
        // iptables
        "-t", "filter", "nat", "mangle", "raw", "security", "-A", "-I", "-D", "-R", "-P", "-N",
        "-X", "-F", "-p", "icmp", "-s", "-d", "-i", "-o", "-m", "--dport", "--sport", "--dports",
        "--sports", "multiport", "conntrack", "--ctstate", "NEW", "ESTABLISHED", "RELATED",
        "INVALID", "state", "--state", "limit", "--limit", "--limit-burst", "comment", "--comment",
        "mark", "--mark", "length", "--length", "ttl", "--ttl-eq", "--ttl-lt", "--ttl-gt",
        "pkttype", "--pkt-type", "addrtype", "--src-type", "--dst-type", "iprange", "--src-range",
        "--dst-range", "--icmp-type", "--tcp-flags", "--syn", "-j", "-g", "ACCEPT", "DROP",
        "REJECT", "RETURN", "LOG", "MARK", "CONNMARK", "DNAT", "SNAT", "MASQUERADE", "REDIRECT",
        "NOTRACK", "TRACE", "TTL", "--reject-with", "icmp-port-unreachable",
        "icmp-host-unreachable", "icmp-net-unreachable", "icmp-admin-prohibited", "tcp-reset",
        "--log-prefix", "--to-destination", "--to-source", "--to-ports", "--set-mark", "PREROUTING",
        "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"};
    const HostConfig& c = doc.config();
    for (const InterfaceConfig& i : c.interfaces) words.insert(QString::fromStdString(i.name));
    const netfilter::Ruleset rules = doc.ruleset();
    for (int t = 0; t < netfilter::kTableCount; ++t)
        for (const netfilter::Chain& chain : rules.table(netfilter::TableId(t)).chains)
            words.insert(QString::fromStdString(chain.name));
    for (const auto& [key, value] : c.sysctls.all()) words.insert(QString::fromStdString(key) + QLatin1Char('='));
    return QStringList(words.begin(), words.end());
}

void styleAsError(QLabel* label) {
    QPalette p = label->palette();
    const bool dark = p.color(QPalette::Window).lightness() < 128;
    p.setColor(QPalette::WindowText, dark ? QColor(0xff, 0x8a, 0x80) : QColor(0xb0, 0x00, 0x20));
    label->setPalette(p);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
}

CommandDialog::CommandDialog(ConfigDocument* doc, const QString& title, const QString& prefill, const QString& help,
                             QWidget* parent)
    : QDialog(parent), m_doc(doc) {
    setWindowTitle(title);
    setObjectName(QStringLiteral("commandDialog"));
    auto* layout = new QVBoxLayout(this);
    auto* helpLabel = new QLabel(help, this);
    helpLabel->setWordWrap(true);
    layout->addWidget(helpLabel);
    m_edit = new QLineEdit(prefill, this);
    m_edit->setObjectName(QStringLiteral("commandEdit"));
    m_edit->setMinimumWidth(560);
    QFont mono(QStringLiteral("monospace"));
    mono.setStyleHint(QFont::TypeWriter);
    m_edit->setFont(mono);
    auto* completer = new WordCompleter(completionWords(*doc), m_edit);
    m_edit->setCompleter(completer);
    layout->addWidget(m_edit);
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("commandError"));
    styleAsError(m_error);
    m_error->hide();
    layout->addWidget(m_error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Apply"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    connect(m_edit, &QLineEdit::textEdited, this, [this] {
        m_error->hide();
        m_edit->setStyleSheet({});
    });
}

QString CommandDialog::errorText() const {
    return m_error->isVisible() || !m_error->text().isEmpty() ? m_error->text() : QString();
}

bool CommandDialog::submit() {
    if (auto error = m_doc->applyCommands(m_edit->text())) {
        m_error->setText(*error);
        m_error->show();
        m_edit->setStyleSheet(QStringLiteral("QLineEdit { border: 2px solid #c62828; }"));
        m_edit->setFocus();
        return false;
    }
    m_error->clear();
    return true;
}

void CommandDialog::accept() {
    if (submit()) QDialog::accept();
}

ChoiceDelegate::ChoiceDelegate(QStringList choices, QObject* parent)
    : QStyledItemDelegate(parent), m_choices(std::move(choices)) {}

QWidget* ChoiceDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem&, const QModelIndex&) const {
    auto* box = new QComboBox(parent);
    box->addItems(m_choices);
    return box;
}

void ChoiceDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const {
    auto* box = static_cast<QComboBox*>(editor);
    const int i = box->findText(index.data(Qt::EditRole).toString(), Qt::MatchFixedString);
    box->setCurrentIndex(std::max(i, 0));
}

void ChoiceDelegate::setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const {
    model->setData(index, static_cast<QComboBox*>(editor)->currentText(), Qt::EditRole);
}

} // namespace stackscope::ui
