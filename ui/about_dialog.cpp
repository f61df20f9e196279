// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/about_dialog.h"

#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QTextDocument>
#include <QUrl>
#include <QVBoxLayout>

#include <pcap/pcap.h>

namespace stackscope::ui {
namespace {
const QString kHelpLink = QStringLiteral("stackscope:help");
}

AboutDialog::AboutDialog(QWidget* parent) : QDialog(parent) {
    setObjectName(QStringLiteral("aboutDialog"));
    setWindowTitle(tr("About Stackscope"));
    auto* icon = new QLabel(this);
    icon->setPixmap(QIcon(QStringLiteral(":/stackscope/stackscope.svg")).pixmap(96, 96));
    icon->setAlignment(Qt::AlignTop);
    m_body = new QLabel(this);
    m_body->setObjectName(QStringLiteral("aboutText"));
    m_body->setTextFormat(Qt::RichText);
    m_body->setWordWrap(true);
    m_body->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_body->setOpenExternalLinks(false);
    m_body->setMinimumWidth(460);
    m_body->setText(
        tr("<h2>Stackscope %1</h2>"
           "<p>A microscope for the Linux network stack: packets from a capture or from the "
           "simulated host's own sockets, stepped through a model of the kernel's IPv4 receive, "
           "forward and transmit paths, one kernel function at a time.</p>"
           "<p>Copyright &copy; the Stackscope authors.<br>"
           "This program is free software: you can redistribute it and/or modify it under the terms "
           "of the GNU General Public License as published by the Free Software Foundation, either "
           "version 3 of the License, or (at your option) any later version.<br>"
           "This program is distributed in the hope that it will be useful, but WITHOUT ANY "
           "WARRANTY; without even the implied warranty of MERCHANTABILITY or FITNESS FOR A "
           "PARTICULAR PURPOSE. See the GNU General Public License for more details.<br>"
           "SPDX-License-Identifier: <b>GPL-3.0-or-later</b> &middot; "
           "<a href=\"https://www.gnu.org/licenses/gpl-3.0.html\">the licence text</a></p>"
           "<p>Built with Qt %2 and %3.</p>"
           "<p><a href=\"%4\">Open the help</a> (keyboard shortcuts; hover or click a box in the "
           "diagram for the kernel function it models).</p>")
            .arg(version().toHtmlEscaped(), qtVersion().toHtmlEscaped(), libpcapVersion().toHtmlEscaped(),
                 kHelpLink));
    connect(m_body, &QLabel::linkActivated, this, [this](const QString& link) {
        if (link == kHelpLink) {
            emit helpRequested();
            return;
        }
        // External links go to the desktop's browser.
        QDesktopServices::openUrl(QUrl(link));
    });
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* top = new QHBoxLayout;
    top->addWidget(icon);
    top->addWidget(m_body, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(buttons);
}

QString AboutDialog::version() { return QStringLiteral(STACKSCOPE_VERSION); }

QString AboutDialog::qtVersion() {
    const QString runtime = QString::fromLatin1(qVersion());
    const QString built = QStringLiteral(QT_VERSION_STR);
    return runtime == built ? runtime : tr("%1 (built against %2)").arg(runtime, built);
}

QString AboutDialog::libpcapVersion() { return QString::fromLatin1(pcap_lib_version()); }

QString AboutDialog::text() const {
    QTextDocument doc;
    doc.setHtml(m_body->text());
    return doc.toPlainText();
}

} // namespace stackscope::ui
