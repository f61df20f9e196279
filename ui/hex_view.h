// SPDX-License-Identifier: GPL-3.0-or-later
// A hex and ASCII dump that marks bytes changed since the previous step and
// the bytes of the field selected in the protocol tree.
#pragma once

#include <QAbstractScrollArea>

#include <cstdint>
#include <vector>

namespace stackscope::ui {

class HexView : public QAbstractScrollArea {
    Q_OBJECT
public:
    explicit HexView(QWidget* parent = nullptr);

    // `previous` empty means nothing to compare with.
    void setBytes(std::vector<std::uint8_t> bytes, std::vector<std::uint8_t> previous = {});
    void setSelection(int offset, int length);
    int changedCount() const;
    bool isChanged(int offset) const;

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void updateScroll();
    int lineHeight() const;

    std::vector<std::uint8_t> m_bytes;
    std::vector<bool> m_changed;
    int m_selOffset = -1;
    int m_selLength = 0;
};

} // namespace stackscope::ui
