// SPDX-License-Identifier: GPL-3.0-or-later
#include "scenario/shell_words.h"

#include <catch2/catch.hpp>

using stackscope::scenario::quoteShellWord;
using stackscope::scenario::splitShellWords;
using Words = std::vector<std::string>;

TEST_CASE("splitShellWords splits like sh", "[scenario][shell]") {
    struct Row {
        const char* line;
        Words words;
    };
    const Row rows[] = {
        {"ip link set dev eth0 up", {"ip", "link", "set", "dev", "eth0", "up"}},
        {"  spaced \t out  ", {"spaced", "out"}},
        {"", {}},
        {"# only a comment", {}},
        {"ip addr # trailing comment", {"ip", "addr"}},
        {"a#b c", {"a#b", "c"}},
        {"'single quoted $x \\ \"'", {"single quoted $x \\ \""}},
        {"\"double \\\"q\\\" \\\\ \\$ \\` \\n\"", {"double \"q\" \\ $ ` \\n"}},
        {"back\\ slash \\#not", {"back slash", "#not"}},
        {"''", {""}},
        {"a'b'\"c\"d", {"abcd"}},
        {"\"#\" x", {"#", "x"}},
        {"-m comment --comment \"allow dns\"", {"-m", "comment", "--comment", "allow dns"}},
    };
    for (const auto& row : rows) {
        INFO(row.line);
        auto r = splitShellWords(row.line);
        REQUIRE(std::holds_alternative<Words>(r));
        CHECK(std::get<Words>(r) == row.words);
    }
}

TEST_CASE("splitShellWords reports unterminated quotes", "[scenario][shell]") {
    struct Row {
        const char* line;
        const char* error;
    };
    const Row rows[] = {
        {"echo 'abc", "unterminated single quote"},
        {"echo \"abc", "unterminated double quote"},
        {"echo \"abc\\\"", "unterminated double quote"},
        {"echo abc\\", "backslash at the end of the line escapes nothing"},
    };
    for (const auto& row : rows) {
        INFO(row.line);
        auto r = splitShellWords(row.line);
        REQUIRE(std::holds_alternative<std::string>(r));
        CHECK(std::get<std::string>(r) == row.error);
    }
}

TEST_CASE("quoteShellWord survives a split", "[scenario][shell]") {
    for (std::string w :
         {"plain", "", "two words", "it's", "a\"b", "$HOME", "#x", "back\\slash", "tab\there"}) {
        auto q = quoteShellWord(w);
        auto r = splitShellWords("cmd " + q);
        REQUIRE(std::holds_alternative<Words>(r));
        CHECK(std::get<Words>(r) == Words{"cmd", w});
    }
    CHECK(quoteShellWord("eth0") == "eth0");
    CHECK(quoteShellWord("a b") == "'a b'");
}

TEST_CASE("endsWithContinuation follows sh", "[scenario][shell]") {
    using stackscope::scenario::endsWithContinuation;
    CHECK(endsWithContinuation("ip link set \\"));
    CHECK(endsWithContinuation("a \"quoted \\"));
    CHECK_FALSE(endsWithContinuation("a 'quoted \\"));
    CHECK_FALSE(endsWithContinuation("# a comment \\"));
    CHECK_FALSE(endsWithContinuation("ip link # comment \\"));
    CHECK(endsWithContinuation("a#b \\"));
    CHECK_FALSE(endsWithContinuation("escaped \\\\"));
    CHECK_FALSE(endsWithContinuation(""));
}
