// SPDX-License-Identifier: GPL-3.0-or-later
#include "scenario/shell_words.h"

namespace stackscope::scenario {

std::variant<std::vector<std::string>, std::string> splitShellWords(std::string_view line) {
    std::vector<std::string> words;
    std::string word;
    bool inWord = false; // true once a word has started, even if it is still empty ('')
    std::size_t i = 0;
    auto finish = [&] {
        if (inWord) words.push_back(std::move(word));
        word.clear();
        inWord = false;
    };
    while (i < line.size()) {
        char c = line[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            finish();
            ++i;
        } else if (c == '#' && !inWord) {
            break; // a comment only where a word could start, as in sh
        } else if (c == '\'') {
            auto end = line.find('\'', i + 1);
            if (end == std::string_view::npos) return std::string("unterminated single quote");
            word.append(line.substr(i + 1, end - i - 1));
            inWord = true;
            i = end + 1;
        } else if (c == '"') {
            inWord = true;
            ++i;
            bool closed = false;
            while (i < line.size()) {
                char d = line[i];
                if (d == '"') {
                    closed = true;
                    ++i;
                    break;
                }
                // Inside double quotes a backslash escapes only these four.
                if (d == '\\' && i + 1 < line.size() &&
                    (line[i + 1] == '"' || line[i + 1] == '\\' || line[i + 1] == '$' ||
                     line[i + 1] == '`')) {
                    word.push_back(line[i + 1]);
                    i += 2;
                    continue;
                }
                word.push_back(d);
                ++i;
            }
            if (!closed) return std::string("unterminated double quote");
        } else if (c == '\\') {
            if (i + 1 >= line.size())
                return std::string("backslash at the end of the line escapes nothing");
            word.push_back(line[i + 1]);
            inWord = true;
            i += 2;
        } else {
            word.push_back(c);
            inWord = true;
            ++i;
        }
    }
    finish();
    return words;
}

bool endsWithContinuation(std::string_view line) {
    bool inWord = false, single = false, dquote = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (single) {
            if (c == '\'') single = false;
            continue;
        }
        if (c == '\\') {
            if (i + 1 == line.size()) return true;
            ++i;
            inWord = true;
            continue;
        }
        if (dquote) {
            if (c == '"') dquote = false;
            continue;
        }
        if (c == ' ' || c == '\t')
            inWord = false;
        else if (c == '#' && !inWord)
            return false;
        else {
            if (c == '\'') single = true;
            if (c == '"') dquote = true;
            inWord = true;
        }
    }
    return false;
}

std::string quoteShellWord(std::string_view word) {
    if (word.empty()) return "''";
    bool plain = true;
    for (char c : word) {
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("-_./:=+,@%^!").find(c) != std::string_view::npos;
        if (!safe) plain = false;
    }
    if (plain) return std::string(word);
    std::string out = "'";
    for (char c : word) {
        if (c == '\'')
            out += "'\\''";
        else
            out.push_back(c);
    }
    out += "'";
    return out;
}

} // namespace stackscope::scenario
