// SPDX-License-Identifier: GPL-3.0-or-later
// Frame-time benchmark of the stack diagram: the main window on the demo, a
// given number of packet tokens moving along the diagram's edges at once, and
// the view repainted synchronously frame after frame. Prints the mean and the
// 95th percentile frame time and the frame rate they allow (the target is 60
// frames a second with a thousand packets in flight). Run by scripts/bench.sh.
#include "ui/main_window.h"
#include "ui/stack_layout.h"
#include "ui/stack_scene.h"
#include "ui/stack_view.h"
#include "ui/token_layer.h"

#include <QApplication>
#include <QColor>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace stackscope;
using namespace stackscope::ui;

namespace {

struct FrameStats {
    double meanMs = 0;
    double p95Ms = 0;
};

FrameStats measure(MainWindow& window, int tokens, int frames) {
    TokenLayer* layer = window.stackScene()->tokens();
    layer->clearMotion();
    const auto& edges = stackEdges();
    for (int i = 0; i < tokens; ++i) {
        const StackEdge& e = edges[std::size_t(i) % edges.size()];
        const QColor color = QColor::fromHsv((i * 37) % 360, 160, 220);
        // Long, staggered motions so every token is still moving when the frames are timed.
        layer->addMotion(edgePath(stageRect(e.from), stageRect(e.to)), color, TokenLayer::Motion::Move,
                         i % 50, 60'000);
    }
    QWidget* viewport = window.stackView()->viewport();
    std::vector<double> times;
    times.reserve(std::size_t(frames));
    QElapsedTimer clock;
    for (int f = 0; f < frames; ++f) {
        QApplication::processEvents(); // the token timer advances positions
        clock.start();
        viewport->repaint();           // paints now, like a vsync-driven frame
        times.push_back(double(clock.nsecsElapsed()) / 1e6);
    }
    layer->clearMotion();
    std::sort(times.begin(), times.end());
    FrameStats s;
    for (double t : times) s.meanMs += t;
    s.meanMs /= double(times.size());
    s.p95Ms = times[std::min(times.size() - 1, std::size_t(double(times.size()) * 0.95))];
    return s;
}

} // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    const int tokens = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int frames = argc > 2 ? std::atoi(argv[2]) : 240;

    MainWindow window;
    window.setInteractive(false);
    window.resize(1920, 1080);
    window.show();
    bool loaded = false;
    QEventLoop wait;
    QObject::connect(&window, &MainWindow::loadFinished, &wait, [&](bool ok) {
        loaded = ok;
        wait.quit();
    });
    QTimer::singleShot(0, &window, [&window] { window.openDemo(); });
    QTimer::singleShot(30'000, &wait, &QEventLoop::quit);
    wait.exec();
    if (!loaded) {
        std::fprintf(stderr, "stackscope-bench-ui: the demo did not load\n");
        return 1;
    }

    std::printf("%-28s %8s %10s %10s %10s\n", "diagram at 1920x1080", "tokens", "mean ms", "p95 ms",
                "frames/s");
    for (int n : {0, tokens}) {
        const FrameStats s = measure(window, n, frames);
        std::printf("%-28s %8d %10.2f %10.2f %10.1f\n", "", n, s.meanMs, s.p95Ms, 1000.0 / s.p95Ms);
    }
    return 0;
}
