// SPDX-License-Identifier: GPL-3.0-or-later
// The main window's file handling: opening scenarios and captures (captures on a
// worker thread with a cancellable progress dialog), recent files, drag and
// drop, the bundled demo, and exporting the diagram.
#include "ui/main_window.h"

#include "io/pcap_reader.h"
#include "netfilter/ruleset.h"
#include "scenario/scenario.h"
#include "ui/examples.h"
#include "ui/session.h"
#include "ui/stack_view.h"

#include <QApplication>
#include <QCoreApplication>
#include <QDir>
#include <QDragEnterEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QPointer>
#include <QProgressDialog>
#include <QSettings>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QThread>

namespace stackscope::ui {
namespace {
constexpr int kMaxRecent = 10;
constexpr int kProgressSteps = 1000;

struct CaptureRequest {
    QString path;
    QString device; // empty: the host's first non-loopback interface
};

// Reads a scenario with iptables lines checked by the real rule parser.
scenario::ScenarioResult readScenario(const QString& path) {
    scenario::ScenarioReader reader;
    auto rules = std::make_shared<netfilter::Ruleset>();
    reader.setIptablesValidator([rules](const IptablesInput& in) -> std::optional<std::string> {
        return in.kind == IptablesInput::Kind::Restore ? rules->restore(in.text) : rules->command(in.argv);
    });
    return reader.readFile(QFile::encodeName(path).toStdString());
}

QString defaultDevice(const HostConfig& config) {
    for (const InterfaceConfig& i : config.interfaces)
        if (i.kind != LinkKind::Loopback) return QString::fromStdString(i.name);
    return QStringLiteral("eth0");
}

} // namespace

struct MainWindow::LoadJob {
    HostConfig config;
    QStringList sources;
    std::vector<CaptureRequest> captures;
    std::vector<InputFrame> frames;
    QStringList errors;
    QStringList warnings;
    std::atomic<bool> cancel{false};
    std::atomic<int> permille{0};
    bool cancelled = false;
};

void MainWindow::openDialog() {
    QSettings settings;
    const QStringList paths = QFileDialog::getOpenFileNames(
        this, tr("Open scenario or capture"), settings.value(QStringLiteral("files/lastDir")).toString(),
        tr("Scenarios and captures (*.scn *.pcap *.pcapng *.cap);;Scenarios (*.scn);;"
           "Captures (*.pcap *.pcapng *.cap);;All files (*)"));
    if (paths.isEmpty()) return;
    settings.setValue(QStringLiteral("files/lastDir"), QFileInfo(paths.first()).absolutePath());
    openFiles(paths);
}

void MainWindow::showErrors(const QString& title, const QStringList& errors) {
    m_lastErrors = errors;
    statusBar()->showMessage(errors.value(0), 10000);
    if (!m_interactive || errors.isEmpty()) return;
    QMessageBox box(QMessageBox::Warning, title, errors.size() == 1 ? errors.first()
                                                                    : tr("%1 problems were found.").arg(errors.size()),
                    QMessageBox::Ok, this);
    if (errors.size() > 1) box.setDetailedText(errors.join(QLatin1Char('\n')));
    box.setInformativeText(tr("The previous simulation, if any, is still loaded."));
    box.exec();
}

void MainWindow::openFiles(const QStringList& paths) {
    if (paths.isEmpty()) return;
    if (m_loading) {
        showErrors(tr("Busy"), {tr("Another file is still loading.")});
        emit loadFinished(false);
        return;
    }
    m_lastErrors.clear();
    auto job = std::make_shared<LoadJob>();
    bool haveScenario = false;
    QStringList errors;
    for (const QString& arg : paths) {
        QString path = arg, device;
        // IFACE=PATH, as on the command line of stackscope-cli --rx.
        if (const int eq = arg.indexOf(QLatin1Char('=')); eq > 0 && !QFileInfo::exists(arg)) {
            device = arg.left(eq);
            path = arg.mid(eq + 1);
        }
        if (!QFileInfo::exists(path)) {
            errors << tr("%1: no such file").arg(path);
            continue;
        }
        if (io::looksLikeCapture(QFile::encodeName(path).toStdString())) {
            job->captures.push_back({path, device});
            job->sources << path;
            continue;
        }
        if (haveScenario) {
            errors << tr("%1: only one scenario can be open at a time").arg(path);
            continue;
        }
        scenario::ScenarioResult result = readScenario(path);
        for (const scenario::Diagnostic& d : result.errors) errors << QString::fromStdString(d.toString());
        haveScenario = true;
        job->config = std::move(result.config);
        job->sources.prepend(path);
    }
    if (!errors.isEmpty()) {
        showErrors(tr("Cannot open"), errors);
        emit loadFinished(false);
        return;
    }
    if (!haveScenario) {
        // A capture alone replays against the host already open, else a plain host with eth0.
        if (m_session->isLoaded()) {
            job->config = m_session->stepper()->config();
            for (const QString& s : m_session->sources())
                if (!io::looksLikeCapture(QFile::encodeName(s).toStdString())) job->sources.prepend(s);
        } else {
            job->config = HostConfig::withLoopback();
            InterfaceConfig& eth = job->config.ensureInterface("eth0");
            eth.up = true;
        }
    }
    addRecent(paths);
    if (job->captures.empty())
        finishLoad(job);
    else
        startCaptureLoad(job);
}

void MainWindow::startCaptureLoad(std::shared_ptr<LoadJob> job) {
    m_loading = job;
    m_progress = new QProgressDialog(tr("Reading %1…").arg(QFileInfo(job->captures.front().path).fileName()),
                                     tr("Cancel"), 0, kProgressSteps, this);
    m_progress->setWindowModality(Qt::WindowModal);
    m_progress->setMinimumDuration(300);
    m_progress->setValue(0);
    connect(m_progress, &QProgressDialog::canceled, this, [job] { job->cancel.store(true); });
    const QString fallbackDevice = defaultDevice(job->config);
    QThread* worker = QThread::create([job, fallbackDevice] {
        const double share = 1.0 / double(job->captures.size());
        for (std::size_t i = 0; i < job->captures.size() && !job->cancel.load(); ++i) {
            const CaptureRequest& req = job->captures[i];
            io::CaptureError error;
            std::vector<io::CaptureError> warnings;
            auto progress = [&](std::uint64_t done, std::uint64_t size) {
                const double f = size ? double(done) / double(size) : 0.0;
                job->permille.store(int(kProgressSteps * share * (double(i) + f)));
                return !job->cancel.load();
            };
            const QString device = req.device.isEmpty() ? fallbackDevice : req.device;
            std::vector<InputFrame> frames =
                io::readAll(QFile::encodeName(req.path).toStdString(), device.toStdString(), &error, &warnings, progress);
            if (job->cancel.load()) break;
            if (!error.message.empty()) job->errors << QString::fromStdString(error.toString());
            for (const io::CaptureError& w : warnings) job->warnings << QString::fromStdString(w.toString());
            std::move(frames.begin(), frames.end(), std::back_inserter(job->frames));
        }
        job->cancelled = job->cancel.load();
    });
    // Progress is polled on the GUI thread: the worker never touches a widget.
    auto* poll = new QTimer(m_progress);
    connect(poll, &QTimer::timeout, m_progress, [this, job] {
        if (m_progress && !m_progress->wasCanceled()) m_progress->setValue(job->permille.load());
    });
    poll->start(50);
    connect(worker, &QThread::finished, this, [this, job, worker] {
        worker->deleteLater();
        if (m_progress) {
            m_progress->hide();
            m_progress->deleteLater();
            m_progress = nullptr;
        }
        m_loading.reset();
        if (job->cancelled) {
            statusBar()->showMessage(tr("Loading cancelled."), 5000);
            emit loadFinished(false);
            return;
        }
        if (!job->errors.isEmpty()) {
            showErrors(tr("Cannot read capture"), job->errors + job->warnings);
            emit loadFinished(false);
            return;
        }
        finishLoad(job);
    });
    worker->start();
}

void MainWindow::finishLoad(std::shared_ptr<LoadJob> job) {
    // Frames from several captures are merged by time, as the host would receive them.
    std::stable_sort(job->frames.begin(), job->frames.end(),
                     [](const InputFrame& a, const InputFrame& b) { return a.time < b.time; });
    const std::size_t count = job->frames.size();
    m_session->load(job->config, std::make_shared<const std::vector<InputFrame>>(std::move(job->frames)),
                    job->sources);
    QString message = tr("Loaded %1 (%2 input frames).").arg(job->sources.join(QStringLiteral(", "))).arg(count);
    if (!job->warnings.isEmpty()) {
        message += tr(" %1 warnings; the first: %2").arg(job->warnings.size()).arg(job->warnings.first());
        m_lastErrors = job->warnings;
    }
    statusBar()->showMessage(message, 10000);
    m_view->fitToWindow();
    emit loadFinished(true);
}

void MainWindow::openDemo() {
    // Prefer the installed or source-tree copy; fall back to the copy bundled in the binary.
    const QString appDir = QCoreApplication::applicationDirPath();
    const QStringList dirs{appDir + QStringLiteral("/../share/stackscope/demo"),
                           QStringLiteral(STACKSCOPE_SOURCE_DIR "/assets/demo")};
    for (const QString& dir : dirs) {
        if (!QFileInfo::exists(dir + QStringLiteral("/demo.scn"))) continue;
        QStringList files{dir + QStringLiteral("/demo.scn")};
        if (QFileInfo::exists(dir + QStringLiteral("/demo.pcap"))) files << dir + QStringLiteral("/demo.pcap");
        return openFiles(files);
    }
    if (!QFile::exists(QStringLiteral(":/stackscope/demo/demo.scn"))) {
        showErrors(tr("No demo"), {tr("The demo scenario is not installed.")});
        emit loadFinished(false);
        return;
    }
    m_demoDir = std::make_unique<QTemporaryDir>();
    QStringList files;
    for (const QString& name : {QStringLiteral("demo.scn"), QStringLiteral("demo.pcap")}) {
        const QString target = m_demoDir->filePath(name);
        if (QFile::copy(QStringLiteral(":/stackscope/demo/") + name, target)) files << target;
    }
    openFiles(files);
}

void MainWindow::openExample(const QString& fileName) {
    // The installed or source-tree copy when there is one (its path is what the title and
    // the recent files show); else the copy bundled in the binary.
    const QString appDir = QCoreApplication::applicationDirPath();
    for (const QString& dir : {appDir + QStringLiteral("/../share/stackscope/examples"),
                               QStringLiteral(STACKSCOPE_SOURCE_DIR "/assets/examples")}) {
        const QString path = dir + QLatin1Char('/') + fileName;
        if (QFileInfo::exists(path)) return openFiles({QFileInfo(path).canonicalFilePath()});
    }
    if (!m_exampleDir) m_exampleDir = std::make_unique<QTemporaryDir>();
    const QString target = m_exampleDir->filePath(fileName);
    QFile::remove(target);
    if (!QFile::copy(exampleResource(fileName), target)) {
        showErrors(tr("No example"),
                   {tr("The example %1 is not part of this build.").arg(fileName)});
        emit loadFinished(false);
        return;
    }
    openFiles({target});
}

void MainWindow::addRecent(const QStringList& paths) {
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("files/recent")).toStringList();
    const QString entry = paths.join(QLatin1Char('\n'));
    recent.removeAll(entry);
    recent.prepend(entry);
    while (recent.size() > kMaxRecent) recent.removeLast();
    settings.setValue(QStringLiteral("files/recent"), recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("files/recent")).toStringList();
    for (const QString& entry : recent) {
        const QStringList files = entry.split(QLatin1Char('\n'));
        QStringList names;
        for (const QString& f : files) names << QFileInfo(f).fileName();
        QAction* a = m_recentMenu->addAction(names.join(QStringLiteral(" + ")), this, [this, files] { openFiles(files); });
        a->setToolTip(files.join(QLatin1Char('\n')));
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    QStringList paths;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) paths << url.toLocalFile();
    if (paths.isEmpty()) return;
    event->acceptProposedAction();
    openFiles(paths);
}

void MainWindow::exportDiagram() {
    QString selected;
    QString path = QFileDialog::getSaveFileName(this, tr("Export diagram"), QStringLiteral("stack.svg"),
                                                tr("SVG image (*.svg);;PNG image (*.png)"), &selected);
    if (path.isEmpty()) return;
    const bool png = path.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive) ||
                     (!path.endsWith(QStringLiteral(".svg"), Qt::CaseInsensitive) && selected.contains(QStringLiteral("PNG")));
    if (QFileInfo(path).suffix().isEmpty()) path += png ? QStringLiteral(".png") : QStringLiteral(".svg");
    const bool ok = png ? m_view->exportPng(path) : m_view->exportSvg(path);
    if (ok)
        statusBar()->showMessage(tr("Exported %1").arg(path), 5000);
    else
        showErrors(tr("Export failed"), {tr("%1: cannot write the file").arg(path)});
}

MainWindow::~MainWindow() {
    if (m_loading) m_loading->cancel.store(true);
}

} // namespace stackscope::ui
