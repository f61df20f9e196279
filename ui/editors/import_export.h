// SPDX-License-Identifier: GPL-3.0-or-later
// The real tools' formats in and out: iptables-save / iptables-restore, the
// output of `ip route` and `ip neigh`, sysctl.conf lines, and this machine's own
// configuration read with `ip -j` and iptables-save. Everything imported
// becomes scenario lines, read by the same parser as a scenario file.
#pragma once

#include "model/host_config.h"

#include <QString>
#include <QStringList>

namespace stackscope::ui {

enum class ImportFormat { IptablesSave, IpRoute, IpNeigh, Sysctl, Scenario };

// Scenario lines that recreate the tool output (lines the tool prints but that are
// derived by the kernel, such as `proto kernel` routes, are left out).
QString importAsCommands(ImportFormat format, const QString& text);

QString exportIptablesSave(const HostConfig& config);
QString exportIpRoute(const HostConfig& config);  // as `ip route show table all` lists configured routes
QString exportIpNeigh(const HostConfig& config);  // as `ip neigh show`
QString exportSysctl(const HostConfig& config);   // "key = value", changed keys only

// Scenario lines from `ip -j link`, `ip -j addr`, `ip -j route` and `ip -j neigh` output.
QString commandsFromIpJson(const QByteArray& link, const QByteArray& addr, const QByteArray& route,
                           const QByteArray& neigh);

struct HostImport {
    QString commands;  // scenario lines
    QStringList notes; // what could not be read, and why (e.g. iptables-save needs root)
};
// Runs `ip -j ...` and `iptables-save` on this machine (blocking, a few hundred ms).
HostImport importThisMachine();

} // namespace stackscope::ui
