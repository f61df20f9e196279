// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/live_dialog.h"

#include "live/live_capture.h"
#include "live/tap_device.h"
#include "ui/live_controller.h"
#include "ui/session.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QVBoxLayout>

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

namespace stackscope::ui {
namespace {

std::string currentUser() {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_name) return pw->pw_name;
    return std::to_string(::getuid());
}

// An address for the real side of the TAP: the simulated interface's subnet, another host
// number (".1" unless the simulated host has it).
std::string realSideAddress(const HostConfig& config, const std::string& iface) {
    const InterfaceConfig* i = config.findInterface(iface);
    if (!i) return {};
    for (const auto& a : i->addresses) {
        if (a.prefixLength > 30 || a.prefixLength < 1) continue;
        const std::uint32_t mask = ~std::uint32_t(0) << (32 - a.prefixLength);
        const std::uint32_t network = a.address.value & mask;
        const std::uint32_t candidate =
            (network + 1 == a.address.value) ? network + 2 : network + 1;
        return fmt::format("{}/{}", wire::Ipv4Address{candidate}.toString(), a.prefixLength);
    }
    return {};
}

} // namespace

LiveDialog::LiveDialog(LiveKind kind, const QStringList& interfaces, QWidget* parent)
    : QDialog(parent), m_kind(kind), m_interface(new QComboBox(this)),
      m_device(new QLineEdit(this)) {
    setWindowTitle(kind == LiveKind::Tap ? tr("Live on TAP device")
                                         : tr("Live capture from interface"));
    m_interface->addItems(interfaces);
    auto* form = new QFormLayout;
    form->addRow(tr("Scenario interface:"), m_interface);
    if (kind == LiveKind::Tap) {
        m_device->setText(QStringLiteral("tap0"));
        form->addRow(tr("TAP device:"), m_device);
    } else {
        m_device->setPlaceholderText(QStringLiteral("eth0"));
        form->addRow(tr("Host interface:"), m_device);
        m_filter = new QLineEdit(this);
        m_filter->setPlaceholderText(tr("capture filter, e.g. icmp or arp (empty: everything)"));
        form->addRow(tr("Capture filter:"), m_filter);
    }
    auto* note =
        new QLabel(kind == LiveKind::Tap
                       ? tr("Frames the real kernel sends into the TAP reach the simulated host; "
                            "its answers go back.")
                       : tr("A read-only copy of what arrives on the host interface; the "
                            "simulated host's answers go nowhere."),
                   this);
    note->setWordWrap(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(buttons);
}

QString LiveDialog::interface() const {
    return m_interface->currentText();
}
QString LiveDialog::device() const {
    return m_device->text().trimmed();
}
QString LiveDialog::filter() const {
    return m_filter ? m_filter->text().trimmed() : QString();
}

bool startLive(LiveController* controller, Session* session, LiveKind kind,
               const QString& interface, const QString& device, const QString& filter,
               QString* advice) {
    if (!session->isLoaded()) {
        if (advice)
            *advice = QObject::tr("Open a scenario first: live mode runs its host on live frames.");
        return false;
    }
    const HostConfig config = session->stepper()->config();
    const std::string iface = interface.toStdString();
    if (!config.findInterface(iface)) {
        if (advice) *advice = QObject::tr("The scenario has no interface %1.").arg(interface);
        return false;
    }
    controller->stop();
    if (kind == LiveKind::Tap) {
        live::TapError error;
        auto tap = live::TapDevice::open(device.toStdString(), {}, &error);
        if (!tap) {
            if (advice)
                *advice = QString::fromStdString(live::tapErrorAdvice(
                    error, currentUser(), realSideAddress(config, iface), live::findTapHelper()));
            return false;
        }
        controller->addTap(interface, std::move(tap));
    } else {
        live::LiveCaptureError error;
        auto capture = live::LiveCapture::open(device.toStdString(), filter.toStdString(), &error);
        if (!capture) {
            if (advice) {
                *advice = QString::fromStdString(error.toString());
                if (error.permissionDenied)
                    *advice += QObject::tr("\n\nCapturing needs CAP_NET_RAW, for example:\n"
                                           "    sudo setcap cap_net_raw+ep %1")
                                   .arg(QCoreApplication::applicationFilePath());
            }
            return false;
        }
        controller->addCapture(interface, std::move(capture));
    }
    controller->start(config, session->sources());
    return true;
}

void showLiveError(QWidget* parent, const QString& title, const QString& text) {
    QDialog dialog(parent);
    dialog.setWindowTitle(title);
    auto* text_ = new QPlainTextEdit(text, &dialog);
    text_->setObjectName(QStringLiteral("liveErrorText"));
    text_->setReadOnly(true);
    text_->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    text_->setMinimumSize(560, 220);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto* layout = new QVBoxLayout(&dialog);
    layout->addWidget(text_);
    layout->addWidget(buttons);
    dialog.exec();
}

void runLiveDialog(QWidget* parent, LiveController* controller, Session* session, LiveKind kind) {
    if (!session->isLoaded()) {
        showLiveError(
            parent, QObject::tr("Live mode"),
            QObject::tr("Open a scenario first: live mode runs its host on live frames."));
        return;
    }
    QStringList interfaces;
    for (const auto& i : session->stepper()->config().interfaces)
        if (i.kind != LinkKind::Loopback) interfaces << QString::fromStdString(i.name);
    LiveDialog dialog(kind, interfaces, parent);
    if (dialog.exec() != QDialog::Accepted) return;
    QString advice;
    if (!startLive(controller, session, kind, dialog.interface(), dialog.device(), dialog.filter(),
                   &advice))
        showLiveError(parent, QObject::tr("Live mode could not start"), advice);
}

} // namespace stackscope::ui
