// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/editors/config_document.h"

#include "netfilter/iptables_input.h"
#include "scenario/scenario.h"

#include <QStringList>
#include <QUndoCommand>

#include <memory>

namespace stackscope::ui {

// Whole values before and after: a HostConfig is small and copying it makes undo exact.
class ConfigEditCommand : public QUndoCommand {
public:
    ConfigEditCommand(ConfigDocument* doc, HostConfig before, HostConfig after, const QString& text)
        : QUndoCommand(text), m_doc(doc), m_before(std::move(before)), m_after(std::move(after)) {}
    void undo() override { m_doc->set(m_before); }
    void redo() override { m_doc->set(m_after); }

private:
    ConfigDocument* m_doc;
    HostConfig m_before;
    HostConfig m_after;
};

ConfigDocument::ConfigDocument(QObject* parent) : QObject(parent) {
    m_undo.setObjectName(QStringLiteral("configUndoStack"));
}

void ConfigDocument::reset(const HostConfig& config) {
    m_undo.clear();
    m_config = config;
    m_undo.setClean();
    emit changed();
}

void ConfigDocument::set(const HostConfig& config) {
    m_config = config;
    emit changed();
    emit edited();
}

std::optional<QString> ConfigDocument::evaluate(const HostConfig& start, const QString& lines,
                                                HostConfig* out) const {
    if (lines.trimmed().isEmpty()) return tr("Type a command, e.g. iptables -A INPUT -p udp --dport 53 -j DROP");
    // The validator sees the rules as the existing configuration left them, then each new
    // line in turn, exactly as a scenario file is read.
    auto rules = std::make_shared<netfilter::Ruleset>();
    for (const IptablesInput& in : start.iptables) netfilter::applyIptablesInput(*rules, in);
    scenario::ScenarioReader reader;
    reader.setIptablesValidator([rules](const IptablesInput& in) { return netfilter::applyIptablesInput(*rules, in); });
    scenario::ScenarioResult result = reader.apply(start, lines.toStdString(), "edit");
    if (!result.ok()) {
        const bool several = lines.trimmed().contains(QLatin1Char('\n'));
        QStringList messages;
        for (const scenario::Diagnostic& d : result.errors)
            messages << (several ? tr("line %1: %2").arg(d.line).arg(QString::fromStdString(d.message))
                                 : QString::fromStdString(d.message));
        return messages.join(QLatin1Char('\n'));
    }
    if (out) *out = std::move(result.config);
    return std::nullopt;
}

std::optional<QString> ConfigDocument::check(const QString& lines) const {
    return evaluate(m_config, lines, nullptr);
}

std::optional<QString> ConfigDocument::applyCommands(const QString& lines, const QString& description) {
    HostConfig next;
    if (auto error = evaluate(m_config, lines, &next)) return error;
    const QString text = description.isEmpty() ? lines.trimmed().section(QLatin1Char('\n'), 0, 0) : description;
    m_undo.push(new ConfigEditCommand(this, m_config, std::move(next), text));
    return std::nullopt;
}

QStringList ConfigDocument::applyLenient(const HostConfig& start, const QString& lines, const QString& description,
                                         const QString& source) {
    auto rules = std::make_shared<netfilter::Ruleset>();
    for (const IptablesInput& in : start.iptables) netfilter::applyIptablesInput(*rules, in);
    scenario::ScenarioReader reader;
    reader.setIptablesValidator([rules](const IptablesInput& in) { return netfilter::applyIptablesInput(*rules, in); });
    scenario::ScenarioResult result = reader.apply(start, lines.toStdString(), source.toStdString());
    QStringList errors;
    for (const scenario::Diagnostic& d : result.errors) errors << QString::fromStdString(d.toString());
    const int total = int(lines.split(QLatin1Char('\n'), Qt::SkipEmptyParts).size());
    if (errors.size() < total) m_undo.push(new ConfigEditCommand(this, m_config, std::move(result.config), description));
    return errors;
}

void ConfigDocument::replace(const HostConfig& next, const QString& description) {
    m_undo.push(new ConfigEditCommand(this, m_config, next, description));
}

netfilter::Ruleset ConfigDocument::ruleset() const {
    netfilter::Ruleset rules;
    for (const IptablesInput& in : m_config.iptables) netfilter::applyIptablesInput(rules, in);
    return rules;
}

namespace {
// The first line of the scenario writer's output for a host holding only `part`.
QString writtenLine(const HostConfig& part, QStringView prefix) {
    const QStringList lines = QString::fromStdString(scenario::writeScenario(part)).split(QLatin1Char('\n'));
    for (const QString& line : lines)
        if (line.startsWith(prefix)) return line;
    return {};
}
} // namespace

QString routeCommand(const RouteConfig& route) {
    HostConfig part;
    part.routes = {route};
    return writtenLine(part, u"ip route");
}

QString neighbourCommand(const NeighbourConfig& neighbour) {
    HostConfig part;
    part.neighbours = {neighbour};
    return writtenLine(part, u"ip neigh");
}

QString socketCommand(const SocketConfig& socket) {
    HostConfig part;
    part.sockets = {socket};
    return writtenLine(part, u"socket ");
}

QString qdiscCommand(const InterfaceConfig& interface) {
    if (!interface.qdisc) return {};
    HostConfig part = HostConfig::withLoopback();
    InterfaceConfig& copy = part.ensureInterface(interface.name, interface.kind);
    copy.qdisc = interface.qdisc;
    return writtenLine(part, u"tc qdisc");
}

} // namespace stackscope::ui
