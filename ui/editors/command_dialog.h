// SPDX-License-Identifier: GPL-3.0-or-later
// Small editing helpers: a dialog that takes the real command (`iptables -A ...`,
// `ip route add ...`) with word completion and shows the parser's error under
// the field, a completer that completes the word under the cursor, and a
// delegate offering a fixed list of choices (policies, neighbour states).
#pragma once

#include <QCompleter>
#include <QDialog>
#include <QStyledItemDelegate>

#include <functional>
#include <optional>

class QLabel;
class QLineEdit;
class QStringListModel;

namespace stackscope::ui {

class ConfigDocument;

// Completes the last word of a command line rather than the whole line.
class WordCompleter : public QCompleter {
    Q_OBJECT
public:
    explicit WordCompleter(const QStringList& words, QObject* parent = nullptr);
    void setWords(const QStringList& words);
    QStringList splitPath(const QString& path) const override;
    QString pathFromIndex(const QModelIndex& index) const override;

private:
    QStringListModel* m_words;
};

// The words worth completing for the current configuration: tool options, chain
// names, targets, interface names, sysctl keys.
QStringList completionWords(const ConfigDocument& doc);

class CommandDialog : public QDialog {
    Q_OBJECT
public:
    CommandDialog(ConfigDocument* doc, const QString& title, const QString& prefill, const QString& help,
                  QWidget* parent = nullptr);
    QLineEdit* lineEdit() const { return m_edit; }
    QString errorText() const;
    // Applies the command; on error shows it under the field and stays open.
    bool submit();

    void accept() override;

private:
    ConfigDocument* m_doc;
    QLineEdit* m_edit;
    QLabel* m_error;
};

class ChoiceDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    ChoiceDelegate(QStringList choices, QObject* parent = nullptr);
    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    void setEditorData(QWidget* editor, const QModelIndex& index) const override;
    void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override;

private:
    QStringList m_choices;
};

// Red text for error labels, readable on light and dark palettes.
void styleAsError(QLabel* label);

} // namespace stackscope::ui
