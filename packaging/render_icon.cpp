// SPDX-License-Identifier: GPL-3.0-or-later
// Build tool: renders the scalable application icon to the PNG sizes the hicolor
// theme wants, so the PNGs never drift from the SVG.
//   stackscope-render-icon ICON.svg SIZE OUT.png
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: stackscope-render-icon ICON.svg SIZE OUT.png\n");
        return 2;
    }
    QSvgRenderer renderer(QString::fromLocal8Bit(argv[1]));
    if (!renderer.isValid()) {
        std::fprintf(stderr, "stackscope-render-icon: %s: not a readable SVG\n", argv[1]);
        return 1;
    }
    const int size = std::atoi(argv[2]);
    if (size <= 0 || size > 1024) {
        std::fprintf(stderr, "stackscope-render-icon: size %s: not between 1 and 1024\n", argv[2]);
        return 2;
    }
    QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::transparent);
    QPainter painter(&image);
    renderer.render(&painter);
    painter.end();
    if (!image.save(QString::fromLocal8Bit(argv[3]), "PNG")) {
        std::fprintf(stderr, "stackscope-render-icon: %s: cannot write\n", argv[3]);
        return 1;
    }
    return 0;
}
