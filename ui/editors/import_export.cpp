// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/editors/import_export.h"

#include "netfilter/iptables_input.h"
#include "ui/editors/config_document.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>

namespace stackscope::ui {
namespace {

QStringList contentLines(const QString& text) {
    QStringList out;
    for (QString line : text.split(QLatin1Char('\n'))) {
        line = line.trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')) || line.startsWith(QLatin1Char(';'))) continue;
        out << line;
    }
    return out;
}

// Words `ip route` prints that describe state rather than configuration.
QString routeLineToCommand(QString line) {
    QStringList words = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (words.contains(QLatin1String("kernel")) && words.indexOf(QLatin1String("proto")) >= 0 &&
        words.indexOf(QLatin1String("kernel")) == words.indexOf(QLatin1String("proto")) + 1)
        return {}; // connected and local routes follow from the addresses
    for (const char* flag : {"linkdown", "dead", "offload", "trap", "rt_offload", "rt_trap"}) words.removeAll(QLatin1String(flag));
    // "pref medium" and "expires 300sec" belong to IPv6 / learned routes.
    for (const char* key : {"pref", "expires", "uid"}) {
        const qsizetype at = words.indexOf(QLatin1String(key));
        if (at >= 0) words.remove(at, std::min<qsizetype>(2, words.size() - at));
    }
    return QStringLiteral("ip route add ") + words.join(QLatin1Char(' '));
}

QString neighLineToCommand(const QString& line) {
    QStringList words = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (words.isEmpty()) return {};
    words.removeAll(QLatin1String("router"));
    words.removeAll(QLatin1String("proxy"));
    // The last word is the NUD state in capitals ("REACHABLE", "PERMANENT").
    QString state;
    if (words.size() > 1 && words.last() == words.last().toUpper() && !words.last().contains(QLatin1Char(':'))) {
        state = words.takeLast().toLower();
    }
    QString cmd = QStringLiteral("ip neigh replace ") + words.join(QLatin1Char(' '));
    if (!state.isEmpty()) cmd += QStringLiteral(" nud ") + state;
    return cmd;
}

QString sysctlLineToCommand(const QString& line) {
    const qsizetype eq = line.indexOf(QLatin1Char('='));
    if (eq <= 0) return QStringLiteral("sysctl -w %1").arg(line); // the parser reports it
    const QString key = line.left(eq).trimmed();
    const QString value = line.mid(eq + 1).trimmed();
    return QStringLiteral("sysctl -w '%1=%2'").arg(key, value);
}

} // namespace

QString importAsCommands(ImportFormat format, const QString& text) {
    switch (format) {
    case ImportFormat::Scenario: return text;
    case ImportFormat::IptablesSave: {
        // iptables-restore replaces the tables the dump names, as the real command does.
        QString body = text;
        if (!body.endsWith(QLatin1Char('\n'))) body += QLatin1Char('\n');
        return QStringLiteral("iptables-restore <<STACKSCOPE_EOF\n") + body + QStringLiteral("STACKSCOPE_EOF\n");
    }
    case ImportFormat::IpRoute:
    case ImportFormat::IpNeigh:
    case ImportFormat::Sysctl: {
        QStringList out;
        for (const QString& line : contentLines(text)) {
            const QString cmd = format == ImportFormat::IpRoute   ? routeLineToCommand(line)
                                : format == ImportFormat::IpNeigh ? neighLineToCommand(line)
                                                                  : sysctlLineToCommand(line);
            if (!cmd.isEmpty()) out << cmd;
        }
        return out.join(QLatin1Char('\n'));
    }
    }
    return {};
}

QString exportIptablesSave(const HostConfig& config) {
    netfilter::Ruleset rules;
    for (const IptablesInput& in : config.iptables) netfilter::applyIptablesInput(rules, in);
    return QString::fromStdString(rules.save(false));
}

QString exportIpRoute(const HostConfig& config) {
    QStringList out;
    for (const RouteConfig& r : config.routes) {
        QString line = routeCommand(r);
        line.remove(QRegularExpression(QStringLiteral("^ip route (add|append) ")));
        out << line;
    }
    return out.isEmpty() ? QString() : out.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QString exportIpNeigh(const HostConfig& config) {
    QStringList out;
    for (const NeighbourConfig& n : config.neighbours) {
        QString line = QStringLiteral("%1 dev %2").arg(QString::fromStdString(n.address.toString()),
                                                      QString::fromStdString(n.device));
        if (n.lladdr) line += QStringLiteral(" lladdr ") + QString::fromStdString(n.lladdr->toString());
        line += QLatin1Char(' ') + QString::fromLatin1(neighStateName(n.state).data(), qsizetype(neighStateName(n.state).size())).toUpper();
        out << line;
    }
    return out.isEmpty() ? QString() : out.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QString exportSysctl(const HostConfig& config) {
    QString out;
    for (const auto& [key, value] : config.sysctls.changed())
        out += QStringLiteral("%1 = %2\n").arg(QString::fromStdString(key), QString::fromStdString(value).replace(QLatin1Char('\t'), QLatin1Char(' ')));
    return out;
}

QString commandsFromIpJson(const QByteArray& link, const QByteArray& addr, const QByteArray& route,
                           const QByteArray& neigh) {
    QStringList out;
    for (const QJsonValue v : QJsonDocument::fromJson(link).array()) {
        const QJsonObject o = v.toObject();
        const QString name = o.value(QLatin1String("ifname")).toString();
        const QString type = o.value(QLatin1String("link_type")).toString();
        if (name.isEmpty() || (type != QLatin1String("ether") && type != QLatin1String("loopback"))) continue;
        const QJsonArray flags = o.value(QLatin1String("flags")).toArray();
        QString line = QStringLiteral("ip link set dev %1").arg(name);
        if (type == QLatin1String("ether")) line += QStringLiteral(" address ") + o.value(QLatin1String("address")).toString();
        line += QStringLiteral(" mtu %1").arg(o.value(QLatin1String("mtu")).toInt(1500));
        if (flags.contains(QLatin1String("PROMISC"))) line += QStringLiteral(" promisc on");
        line += flags.contains(QLatin1String("UP")) ? QStringLiteral(" up") : QStringLiteral(" down");
        out << line;
    }
    for (const QJsonValue v : QJsonDocument::fromJson(addr).array()) {
        const QJsonObject o = v.toObject();
        const QString name = o.value(QLatin1String("ifname")).toString();
        for (const QJsonValue a : o.value(QLatin1String("addr_info")).toArray()) {
            const QJsonObject ai = a.toObject();
            if (ai.value(QLatin1String("family")).toString() != QLatin1String("inet")) continue;
            out << QStringLiteral("ip addr replace %1/%2 dev %3")
                       .arg(ai.value(QLatin1String("local")).toString())
                       .arg(ai.value(QLatin1String("prefixlen")).toInt())
                       .arg(name);
        }
    }
    for (const QJsonValue v : QJsonDocument::fromJson(route).array()) {
        const QJsonObject o = v.toObject();
        if (o.value(QLatin1String("protocol")).toString() == QLatin1String("kernel")) continue;
        QString line = QStringLiteral("ip route replace ");
        const QString type = o.value(QLatin1String("type")).toString();
        if (!type.isEmpty() && type != QLatin1String("unicast")) line += type + QLatin1Char(' ');
        line += o.value(QLatin1String("dst")).toString();
        if (o.contains(QLatin1String("gateway"))) line += QStringLiteral(" via ") + o.value(QLatin1String("gateway")).toString();
        if (o.contains(QLatin1String("dev"))) line += QStringLiteral(" dev ") + o.value(QLatin1String("dev")).toString();
        if (o.contains(QLatin1String("prefsrc"))) line += QStringLiteral(" src ") + o.value(QLatin1String("prefsrc")).toString();
        if (o.contains(QLatin1String("metric"))) line += QStringLiteral(" metric %1").arg(o.value(QLatin1String("metric")).toInt());
        out << line;
    }
    for (const QJsonValue v : QJsonDocument::fromJson(neigh).array()) {
        const QJsonObject o = v.toObject();
        const QJsonArray states = o.value(QLatin1String("state")).toArray();
        if (!o.contains(QLatin1String("lladdr")) || states.isEmpty()) continue;
        out << QStringLiteral("ip neigh replace %1 lladdr %2 dev %3 nud %4")
                   .arg(o.value(QLatin1String("dst")).toString(), o.value(QLatin1String("lladdr")).toString(),
                        o.value(QLatin1String("dev")).toString(), states.first().toString().toLower());
    }
    return out.join(QLatin1Char('\n'));
}

namespace {
struct ToolOutput {
    QByteArray out;
    QString error; // empty on success
};

ToolOutput runTool(const QString& program, const QStringList& args) {
    QProcess p;
    p.start(program, args);
    if (!p.waitForStarted(3000)) return {{}, QObject::tr("%1 could not be started (is it installed?)").arg(program)};
    if (!p.waitForFinished(10000)) {
        p.kill();
        return {{}, QObject::tr("%1 %2 did not finish").arg(program, args.join(QLatin1Char(' ')))};
    }
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        const QString err = QString::fromLocal8Bit(p.readAllStandardError()).trimmed();
        return {{}, QObject::tr("%1 %2 failed: %3").arg(program, args.join(QLatin1Char(' ')), err.section(QLatin1Char('\n'), 0, 0))};
    }
    return {p.readAllStandardOutput(), {}};
}
} // namespace

HostImport importThisMachine() {
    HostImport result;
    const ToolOutput link = runTool(QStringLiteral("ip"), {QStringLiteral("-j"), QStringLiteral("link"), QStringLiteral("show")});
    const ToolOutput addr = runTool(QStringLiteral("ip"), {QStringLiteral("-j"), QStringLiteral("addr"), QStringLiteral("show")});
    const ToolOutput route = runTool(QStringLiteral("ip"), {QStringLiteral("-j"), QStringLiteral("route"), QStringLiteral("show")});
    const ToolOutput neigh = runTool(QStringLiteral("ip"), {QStringLiteral("-j"), QStringLiteral("neigh"), QStringLiteral("show")});
    for (const ToolOutput* t : {&link, &addr, &route, &neigh})
        if (!t->error.isEmpty()) result.notes << t->error;
    result.commands = commandsFromIpJson(link.out, addr.out, route.out, neigh.out);
    // Sysctls the model knows, read from /proc/sys (readable without privileges).
    QStringList sysctls;
    for (const SysctlInfo& info : sysctlCatalogue()) {
        const QString key = QString::fromLatin1(info.key.data(), qsizetype(info.key.size()));
        if (key.contains(QLatin1Char('*'))) continue;
        QFile f(QStringLiteral("/proc/sys/") + QString(key).replace(QLatin1Char('.'), QLatin1Char('/')));
        if (!f.open(QIODevice::ReadOnly)) continue;
        const QString value = QString::fromLatin1(f.readAll()).trimmed().replace(QLatin1Char('\t'), QLatin1Char(' '));
        sysctls << QStringLiteral("sysctl -w '%1=%2'").arg(key, value);
    }
    if (!sysctls.isEmpty()) result.commands += QLatin1Char('\n') + sysctls.join(QLatin1Char('\n'));
    const ToolOutput save = runTool(QStringLiteral("iptables-save"), {});
    if (!save.error.isEmpty()) {
        result.notes << QObject::tr("The netfilter rules were not imported: %1. Reading them needs root (CAP_NET_ADMIN): "
                                    "run `sudo iptables-save > rules.txt` and use Import ▸ iptables-save file.")
                            .arg(save.error);
    } else if (!save.out.trimmed().isEmpty()) {
        result.commands += QLatin1Char('\n') + importAsCommands(ImportFormat::IptablesSave, QString::fromLocal8Bit(save.out));
    }
    return result;
}

} // namespace stackscope::ui
