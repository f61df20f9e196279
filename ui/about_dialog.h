// SPDX-License-Identifier: GPL-3.0-or-later
// Help > About Stackscope: the version, the licence notice, the versions of
// the libraries the program runs with, and the way into the bundled help.
#pragma once

#include <QDialog>

class QLabel;

namespace stackscope::ui {

class AboutDialog : public QDialog {
    Q_OBJECT
public:
    explicit AboutDialog(QWidget* parent = nullptr);

    static QString version();        // the CMake project version
    static QString qtVersion();      // at run time, and at build time when they differ
    static QString libpcapVersion(); // pcap_lib_version(), e.g. "libpcap version 1.10.3 (...)"
    QString text() const;            // the dialog's words as plain text, for tests

signals:
    void helpRequested(); // the user followed the link to the bundled help

private:
    QLabel* m_body;
};

} // namespace stackscope::ui
