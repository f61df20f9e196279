// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/editors/host_models.h"

#include "ui/editors/what_if.h"

#include <QFont>
#include <QProcess>
#include <QRegularExpression>
#include <QStringList>

namespace stackscope::ui {

QString qs(std::string_view text) {
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

namespace {
QString quoteWord(const QString& w) {
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_.,:/=+@%-]+$"));
    if (plain.match(w).hasMatch()) return w;
    QString q = w;
    q.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + q + QLatin1Char('\'');
}

QString joinWords(const QStringList& words) {
    QStringList quoted;
    for (const QString& w : words) quoted << quoteWord(w);
    return quoted.join(QLatin1Char(' '));
}

QString headerFor(int section, std::initializer_list<const char*> names) {
    return section >= 0 && section < int(names.size()) ? QObject::tr(*(names.begin() + section)) : QString();
}

QString dash(const QString& s) {
    return s.isEmpty() ? QStringLiteral("—") : s;
}
} // namespace

QString withKeyword(const QString& command, const QString& keyword, const QString& value) {
    QStringList words = QProcess::splitCommand(command);
    const qsizetype at = words.indexOf(keyword);
    if (at >= 0) {
        if (value.isEmpty())
            words.remove(at, std::min<qsizetype>(2, words.size() - at));
        else if (at + 1 < words.size())
            words[at + 1] = value;
        else
            words << value;
    } else if (!value.isEmpty()) {
        words << keyword << value;
    }
    return joinWords(words);
}

HostTableModel::HostTableModel(ConfigDocument* doc, QObject* parent) : QAbstractTableModel(parent), m_doc(doc) {
    connect(doc, &ConfigDocument::changed, this, [this] {
        beginResetModel();
        reloadRows();
        endResetModel();
    });
}

int HostTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : rows();
}

void HostTableModel::setRun(std::shared_ptr<const RunResult> run) {
    m_run = std::move(run);
    if (rowCount() > 0) emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

bool HostTableModel::run(const QString& lines, const QString& description) {
    if (auto error = m_doc->applyCommands(lines, description)) {
        fail(*error);
        return false;
    }
    m_lastError.clear();
    return true;
}

void HostTableModel::fail(const QString& message) {
    m_lastError = message;
    emit editFailed(message);
}

// --- routes ---

int RoutesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RoutesModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    return headerFor(section, {"Destination", "Gateway", "Device", "Source", "Metric", "Table", "Type", "Command"});
}

QVariant RoutesModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const RouteConfig& r = config().routes[std::size_t(index.row())];
    if (role == Qt::ToolTipRole) return routeCommand(r);
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    const bool edit = role == Qt::EditRole;
    switch (index.column()) {
    case Destination:
        return r.destination.length == 0 && r.destination.address.isAny() ? QStringLiteral("default")
                                                                         : qs(r.destination.toString());
    case Gateway: return r.gateway ? qs(r.gateway->toString()) : (edit ? QString() : dash({}));
    case Device: return edit ? qs(r.device) : dash(qs(r.device));
    case Source: return r.prefsrc ? qs(r.prefsrc->toString()) : (edit ? QString() : dash({}));
    case Metric: return r.metric;
    case Table:
        return r.table == 254 ? QStringLiteral("main") : r.table == 255 ? QStringLiteral("local") : QString::number(r.table);
    case Type: return qs(routeTypeName(r.type));
    case Command: return routeCommand(r);
    default: return {};
    }
}

Qt::ItemFlags RoutesModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.column() == Gateway || index.column() == Device || index.column() == Source ||
        index.column() == Metric || index.column() == Command)
        f |= Qt::ItemIsEditable;
    return f;
}

bool RoutesModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole || !checkIndex(index, CheckIndexOption::IndexIsValid)) return false;
    const QString old = routeCommand(config().routes[std::size_t(index.row())]);
    const QString v = value.toString().trimmed();
    QString next;
    switch (index.column()) {
    case Gateway: next = withKeyword(old, QStringLiteral("via"), v); break;
    case Device: next = withKeyword(old, QStringLiteral("dev"), v); break;
    case Source: next = withKeyword(old, QStringLiteral("src"), v); break;
    case Metric: next = withKeyword(old, QStringLiteral("metric"), v == QLatin1String("0") ? QString() : v); break;
    case Command: next = v; break;
    default: return false;
    }
    if (next == old) return true;
    QString del = old;
    del.replace(QRegularExpression(QStringLiteral("^ip route (add|append)")), QStringLiteral("ip route del"));
    return run(del + QLatin1Char('\n') + next, tr("Change route: %1").arg(next));
}

bool RoutesModel::removeRoute(int row) {
    if (row < 0 || row >= rows()) return false;
    QString del = routeCommand(config().routes[std::size_t(row)]);
    del.replace(QRegularExpression(QStringLiteral("^ip route (add|append)")), QStringLiteral("ip route del"));
    return run(del);
}

// --- neighbours ---

int NeighboursModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant NeighboursModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    return headerFor(section, {"Address", "Link address", "Device", "State"});
}

QVariant NeighboursModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const NeighbourConfig& n = config().neighbours[std::size_t(index.row())];
    if (role == Qt::ToolTipRole) return neighbourCommand(n);
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    switch (index.column()) {
    case Address: return qs(n.address.toString());
    case LinkAddress: return n.lladdr ? qs(n.lladdr->toString()) : QString();
    case Device: return qs(n.device);
    case State: return role == Qt::EditRole ? qs(neighStateName(n.state)) : qs(neighStateName(n.state)).toUpper();
    default: return {};
    }
}

Qt::ItemFlags NeighboursModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.column() == LinkAddress || index.column() == State || index.column() == Device) f |= Qt::ItemIsEditable;
    return f;
}

bool NeighboursModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole || !checkIndex(index, CheckIndexOption::IndexIsValid)) return false;
    const NeighbourConfig& n = config().neighbours[std::size_t(index.row())];
    QString line = neighbourCommand(n);
    const QString v = value.toString().trimmed();
    switch (index.column()) {
    case LinkAddress: line = withKeyword(line, QStringLiteral("lladdr"), v); break;
    case State: line = withKeyword(line, QStringLiteral("nud"), v.toLower()); break;
    case Device: line = withKeyword(line, QStringLiteral("dev"), v); break;
    default: return false;
    }
    line.replace(QStringLiteral("ip neigh add"), QStringLiteral("ip neigh replace"));
    QString lines = line;
    if (index.column() == Device)
        lines = QStringLiteral("ip neigh del %1 dev %2\n").arg(qs(n.address.toString()), qs(n.device)) + line;
    return run(lines, tr("Change neighbour: %1").arg(line));
}

bool NeighboursModel::removeNeighbour(int row) {
    if (row < 0 || row >= rows()) return false;
    const NeighbourConfig& n = config().neighbours[std::size_t(row)];
    return run(QStringLiteral("ip neigh del %1 dev %2").arg(qs(n.address.toString()), qs(n.device)));
}

// --- sockets ---

int SocketsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SocketsModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    return headerFor(section, {"Protocol", "Bound to", "Device", "Receive buffer", "Application reads", "Queued (after run)",
                               "Drops (after run)"});
}

QVariant SocketsModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const SocketConfig& s = config().sockets[std::size_t(index.row())];
    if (role == Qt::ToolTipRole) return socketCommand(s);
    if (role == Qt::TextAlignmentRole && index.column() >= Rcvbuf && index.column() != Read)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    const QString local = QStringLiteral("%1:%2").arg(qs(s.bindAddress.toString())).arg(s.port);
    const SocketRow* row = nullptr;
    if (m_run) {
        const std::string proto = s.protocol == SocketProtocol::Udp ? "udp" : "tcp";
        for (const SocketRow& r : m_run->sockets)
            if (r.protocol == proto && QString::fromStdString(r.local) == local) row = &r;
    }
    switch (index.column()) {
    case Protocol: return s.protocol == SocketProtocol::Udp ? QStringLiteral("udp") : QStringLiteral("tcp");
    case Local: return s.listen ? tr("%1 (listen)").arg(local) : local;
    case Device: return role == Qt::EditRole ? qs(s.device) : dash(qs(s.device));
    case Rcvbuf:
        if (role == Qt::EditRole) return s.rcvbuf ? QString::number(*s.rcvbuf) : QString();
        return s.rcvbuf ? tr("%1 (kernel: %2)").arg(*s.rcvbuf).arg(qint64(*s.rcvbuf) * 2) : tr("default");
    case Read:
        switch (s.read) {
        case SocketConfig::ReadMode::None: return QStringLiteral("none");
        case SocketConfig::ReadMode::All: return QStringLiteral("all");
        case SocketConfig::ReadMode::Rate: return QStringLiteral("%1/s").arg(s.readRate);
        }
        return {};
    case Queued:
        if (!row) return role == Qt::EditRole ? QVariant() : QVariant(dash({}));
        return tr("%1 (%2 of %3 bytes)").arg(row->queued).arg(row->rmemAlloc).arg(row->rcvbuf);
    case Drops: return row ? QVariant(qulonglong(row->drops)) : QVariant(dash({}));
    default: return {};
    }
}

Qt::ItemFlags SocketsModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.column() == Rcvbuf || index.column() == Read || index.column() == Device) f |= Qt::ItemIsEditable;
    return f;
}

bool SocketsModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole || !checkIndex(index, CheckIndexOption::IndexIsValid)) return false;
    const QString v = value.toString().trimmed();
    switch (index.column()) {
    case Rcvbuf: return rewrite(index.row(), QStringLiteral("rcvbuf"), v);
    case Read: return rewrite(index.row(), QStringLiteral("read"), v.isEmpty() ? QStringLiteral("all") : v);
    case Device: return rewrite(index.row(), QStringLiteral("dev"), v);
    default: return false;
    }
}

bool SocketsModel::rewrite(int row, const QString& keyword, const QString& value) {
    // There is no command that changes an open socket, so the socket is written again:
    // its line with the new value, read by the scenario parser in place of the old one.
    HostConfig without = config();
    without.sockets.erase(without.sockets.begin() + row);
    const QString line = withKeyword(socketCommand(config().sockets[std::size_t(row)]), keyword, value);
    HostConfig next;
    if (auto error = m_doc->evaluate(without, line, &next)) {
        fail(*error);
        return false;
    }
    std::rotate(next.sockets.begin() + row, next.sockets.end() - 1, next.sockets.end());
    m_lastError.clear();
    m_doc->replace(next, tr("Change socket: %1").arg(line));
    return true;
}

bool SocketsModel::removeSocket(int row) {
    if (row < 0 || row >= rows()) return false;
    HostConfig next = config();
    next.sockets.erase(next.sockets.begin() + row);
    m_doc->replace(next, tr("Close socket %1").arg(socketCommand(config().sockets[std::size_t(row)])));
    return true;
}

// --- interfaces ---

int InterfacesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant InterfacesModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    return headerFor(section, {"Name", "Kind", "MAC", "Addresses", "MTU", "Up", "Promisc", "RX ring", "TX ring"});
}

QVariant InterfacesModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const InterfaceConfig& i = config().interfaces[std::size_t(index.row())];
    if (role == Qt::CheckStateRole) {
        if (index.column() == Up) return i.up ? Qt::Checked : Qt::Unchecked;
        if (index.column() == Promisc) return i.promisc ? Qt::Checked : Qt::Unchecked;
        return {};
    }
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    switch (index.column()) {
    case Name: return qs(i.name);
    case Kind: return qs(linkKindName(i.kind));
    case Mac: return qs(i.mac.toString());
    case Addresses: {
        QStringList list;
        for (const InterfaceAddress& a : i.addresses)
            list << QStringLiteral("%1/%2").arg(qs(a.address.toString())).arg(a.prefixLength);
        return list.join(QStringLiteral(", "));
    }
    case Mtu: return i.mtu;
    case Up: return role == Qt::EditRole ? QVariant(i.up) : QVariant(i.up ? tr("up") : tr("down"));
    case Promisc: return role == Qt::EditRole ? QVariant(i.promisc) : QVariant(i.promisc ? tr("on") : tr("off"));
    case RxRing: return i.kind == LinkKind::Ethernet ? QVariant(i.rxRing) : QVariant(dash({}));
    case TxRing: return i.kind == LinkKind::Ethernet ? QVariant(i.txRing) : QVariant(dash({}));
    default: return {};
    }
}

Qt::ItemFlags InterfacesModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    switch (index.column()) {
    case Up:
    case Promisc: return f | Qt::ItemIsUserCheckable;
    case Mac:
    case Addresses:
    case Mtu: return f | Qt::ItemIsEditable;
    case RxRing:
    case TxRing:
        if (index.isValid() && config().interfaces[std::size_t(index.row())].kind == LinkKind::Ethernet)
            f |= Qt::ItemIsEditable;
        return f;
    default: return f;
    }
}

bool InterfacesModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return false;
    const InterfaceConfig& i = config().interfaces[std::size_t(index.row())];
    const QString dev = quoteWord(qs(i.name));
    if (role == Qt::CheckStateRole) {
        const bool on = value.toInt() == Qt::Checked;
        if (index.column() == Up) return run(QStringLiteral("ip link set dev %1 %2").arg(dev, on ? "up" : "down"));
        if (index.column() == Promisc)
            return run(QStringLiteral("ip link set dev %1 promisc %2").arg(dev, on ? "on" : "off"));
        return false;
    }
    if (role != Qt::EditRole) return false;
    const QString v = value.toString().trimmed();
    switch (index.column()) {
    case Mac: return run(QStringLiteral("ip link set dev %1 address %2").arg(dev, quoteWord(v)));
    case Mtu: return run(QStringLiteral("ip link set dev %1 mtu %2").arg(dev, quoteWord(v)));
    case Up:
        return run(QStringLiteral("ip link set dev %1 %2").arg(dev, value.toBool() ? "up" : "down"));
    case RxRing: return run(QStringLiteral("ethtool -G %1 rx %2").arg(dev, quoteWord(v)));
    case TxRing: return run(QStringLiteral("ethtool -G %1 tx %2").arg(dev, quoteWord(v)));
    case Addresses: {
        QStringList lines{QStringLiteral("ip addr flush dev %1").arg(dev)};
        for (const QString& a : v.split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts))
            lines << QStringLiteral("ip addr add %1 dev %2").arg(quoteWord(a), dev);
        return run(lines.join(QLatin1Char('\n')), tr("Addresses of %1: %2").arg(qs(i.name), v));
    }
    default: return false;
    }
}

// --- qdiscs ---

int QdiscsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant QdiscsModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
    return headerFor(section, {"Device", "Root qdisc", "Command"});
}

QVariant QdiscsModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const InterfaceConfig& i = config().interfaces[std::size_t(index.row())];
    const QString command = qdiscCommand(i);
    if (role == Qt::FontRole && !i.qdisc) {
        QFont f;
        f.setItalic(true);
        return f;
    }
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    switch (index.column()) {
    case Device: return qs(i.name);
    case Qdisc: {
        if (!i.qdisc) {
            if (role == Qt::EditRole) return QString();
            // What the kernel attaches by default: noqueue on loopback and veth, else pfifo_fast.
            return i.kind == LinkKind::Loopback || i.kind == LinkKind::Veth ? tr("noqueue (default)")
                                                                             : tr("pfifo_fast (default)");
        }
        // "tc qdisc replace dev eth1 root pfifo limit 100" -> "pfifo limit 100"
        const qsizetype root = command.indexOf(QStringLiteral(" root "));
        return root >= 0 ? command.mid(root + 6) : qs(qdiscKindName(i.qdisc->kind));
    }
    case Command: return command;
    default: return {};
    }
}

Qt::ItemFlags QdiscsModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.column() == Qdisc) f |= Qt::ItemIsEditable;
    return f;
}

bool QdiscsModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole || index.column() != Qdisc || !checkIndex(index, CheckIndexOption::IndexIsValid))
        return false;
    const InterfaceConfig& i = config().interfaces[std::size_t(index.row())];
    const QString v = value.toString().trimmed();
    if (v.isEmpty()) {
        if (!i.qdisc) return true;
        return run(QStringLiteral("tc qdisc del dev %1 root").arg(quoteWord(qs(i.name))));
    }
    return run(QStringLiteral("tc qdisc replace dev %1 root %2").arg(quoteWord(qs(i.name)), v));
}

} // namespace stackscope::ui
