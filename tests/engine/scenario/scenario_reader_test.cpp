// SPDX-License-Identifier: GPL-3.0-or-later
#include "scenario/commands.h"
#include "scenario_test_util.h"

using namespace stackscope;
using namespace stackscope::scenario;
using stackscope::scenario::test::errorAfter;
using stackscope::scenario::test::errorsOf;
using stackscope::scenario::test::run;

TEST_CASE("the design's example scenario reads cleanly from a file", "[scenario][reader]") {
    auto r = readScenarioFile(std::string(STACKSCOPE_SOURCE_DIR) +
                              "/tests/engine/scenario/data/web1.scn");
    INFO(errorsOf(r));
    REQUIRE(r.ok());
    const auto& h = r.config;
    CHECK(h.hostname == "web1");
    CHECK(h.cpus == 2);
    const auto* eth0 = h.findInterface("eth0");
    REQUIRE(eth0);
    CHECK(eth0->up);
    CHECK(eth0->rxRing == 512);
    REQUIRE(eth0->addresses.size() == 1);
    CHECK(eth0->addresses[0].address.toString() == "10.0.0.2");
    CHECK(eth0->addresses[0].label == "eth0");
    REQUIRE(h.routes.size() == 1);
    CHECK(h.routes[0].gateway->toString() == "10.0.0.1");
    REQUIRE(h.neighbours.size() == 1);
    REQUIRE(eth0->qdisc);
    CHECK(eth0->qdisc->kind == QdiscKind::Pfifo);
    CHECK(h.sockets.size() == 2);
}

TEST_CASE("every bad line is reported with file and line, good lines still apply",
          "[scenario][reader]") {
    auto path = std::string(STACKSCOPE_SOURCE_DIR) + "/tests/engine/scenario/data/broken.scn";
    auto r = readScenarioFile(path);
    REQUIRE(r.errors.size() == 4);
    CHECK(r.errors[0].toString() ==
          path + ":2: Error: any valid prefix is expected rather than \"10.0.0.2/33\".");
    CHECK(r.errors[1].toString() ==
          path + ":3: Object \"rotue\" is unknown, try \"ip help\".; did you mean \"route\"?");
    CHECK(r.errors[2].toString() ==
          path +
              ":5: sysctl: cannot stat /proc/sys/net/ipv4/nonexistent: No such file or directory");
    // A continued line is cited by its first physical line.
    CHECK(r.errors[3].line == 6);
    CHECK(r.errors[3].message == "Error: either \"to\" is duplicate, or \"foo\" is a garbage.");
    // The good lines were applied.
    const auto* eth0 = r.config.findInterface("eth0");
    REQUIRE(eth0);
    CHECK(eth0->up);
    CHECK(eth0->addresses.size() == 1);
}

TEST_CASE("a missing file is one diagnostic at line 0", "[scenario][reader]") {
    auto r = readScenarioFile("/nonexistent/dir/x.scn");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 0);
    CHECK(r.errors[0].toString() ==
          "/nonexistent/dir/x.scn: cannot open the scenario file (missing or unreadable)");
}

TEST_CASE("a directory is not a scenario", "[scenario][reader]") {
    auto dir = std::string(STACKSCOPE_SOURCE_DIR) + "/tests/engine/scenario/data";
    auto r = readScenarioFile(dir);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].toString() == dir + ": is a directory, not a scenario file");
}

TEST_CASE("unknown commands and keywords suggest the closest one", "[scenario][reader]") {
    struct Row {
        const char* line;
        const char* error;
    };
    const Row rows[] = {
        {"sysclt -w net.ipv4.ip_forward=1", "unknown command \"sysclt\"; did you mean \"sysctl\"?"},
        {"ethtol -G eth0 rx 10", "unknown command \"ethtol\"; did you mean \"ethtool\"?"},
        {"frobnicate now", "unknown command \"frobnicate\""},
        {"ip rotue add default dev lo",
         "Object \"rotue\" is unknown, try \"ip help\".; did you mean \"route\"?"},
        {"ip route ad default dev lo", ""}, // "ad" abbreviates "add" as iproute2 allows
        {"ip route dle default",
         "Command \"dle\" is unknown, try \"ip route help\".; did you mean \"del\"?"},
        {"ip route add 10.9.0.0/16 vai 10.0.0.1",
         "Error: either \"to\" is duplicate, or \"vai\" is a garbage.; did you mean \"via\"?"},
        {"ip link set dev eth0 mut 1400",
         "Error: either \"dev\" is duplicate, or \"mut\" is a garbage.; did you mean \"mtu\"?"},
        {"ip neigh add 10.0.0.9 lladdr 02:00:00:00:00:09 dev eth0 nud permanant",
         "Error: argument \"permanant\" is wrong: nud state is bad; did you mean \"permanent\"?"},
        {"socket udp bind 0.0.0.0:53 rcvbfu 10",
         "socket udp: unknown option \"rcvbfu\"; did you mean \"rcvbuf\"?"},
    };
    for (const auto& row : rows) {
        CHECK(errorAfter("ip link set dev eth0 up\nip addr add 10.0.0.2/24 dev eth0", row.line) ==
              row.error);
    }
}

TEST_CASE("ip object and verb abbreviations work as in iproute2", "[scenario][reader]") {
    auto r = run(
        "ip l set eth0 up\nip a add 10.0.0.2/24 dev eth0\nip r add 10.1.0.0/16 via 10.0.0.1\n"
        "ip n add 10.0.0.1 lladdr 02:00:00:00:00:fe dev eth0\nip addr del 10.0.0.9/24 dev eth0\n"
        "ip ro del 10.1.0.0/16\nip neighbour del 10.0.0.1 dev eth0\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 5);
    CHECK(r.errors[0].message == "Error: ipv4: Address not found.");
    CHECK(r.config.routes.empty());
    CHECK(r.config.neighbours.empty());
}

TEST_CASE("comments, blank lines, CRLF and continuation lines", "[scenario][reader]") {
    auto r = run("# header\r\n\r\n   \nip link set \\\n  dev eth0 \\\n  mtu 9000 up # "
                 "jumbo\r\nhostname h1\n");
    INFO(errorsOf(r));
    REQUIRE(r.ok());
    const auto* eth0 = r.config.findInterface("eth0");
    REQUIRE(eth0);
    CHECK(eth0->mtu == 9000);
    CHECK(eth0->up);
    CHECK(r.config.hostname == "h1");
}

TEST_CASE("a backslash ending a comment does not swallow the next line", "[scenario][reader]") {
    auto r = run("# set the name \\\nhostname h2\n");
    INFO(errorsOf(r));
    REQUIRE(r.ok());
    CHECK(r.config.hostname == "h2");
}

TEST_CASE("shell quoting errors are reported on their line", "[scenario][reader]") {
    auto r = run("hostname a\nhostname 'b\nhostname c\n");
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].toString() == "t.scn:2: unterminated single quote");
    CHECK(r.config.hostname == "c");
}

TEST_CASE("hostname and cpus", "[scenario][reader]") {
    struct Row {
        const char* line;
        const char* error;
    };
    const Row rows[] = {
        {"hostname web-1.example", ""},
        {"hostname", "hostname: give the host's name (hostname NAME)"},
        {"hostname a b", "hostname: too many arguments"},
        {"hostname bad_name", "hostname: the specified hostname is invalid"},
        {"cpus 4", ""},
        {"cpus 64", ""},
        {"cpus 0", "cpus: \"0\" is not a CPU count from 1 to 64"},
        {"cpus 65", "cpus: \"65\" is not a CPU count from 1 to 64"},
        {"cpus two", "cpus: \"two\" is not a CPU count from 1 to 64"},
    };
    for (const auto& row : rows)
        CHECK(errorAfter("", row.line) == row.error);
    HostConfig h;
    errorAfter("", "cpus 4", &h);
    CHECK(h.cpus == 4);
}

TEST_CASE("iptables lines and heredocs are collected in order", "[scenario][reader][iptables]") {
    const std::string text = "iptables -t filter -A INPUT -p udp --dport 9 -j DROP\n"
                             "iptables-restore <<'EOF'   # a dump\n"
                             "*filter\n"
                             ":INPUT ACCEPT [0:0]\n"
                             "-A INPUT -m comment --comment \"x y\" -j ACCEPT\n"
                             "COMMIT\n"
                             "EOF\n"
                             "iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE\n"
                             "iptables-restore --noflush << END\n"
                             "*nat\n"
                             "COMMIT\n"
                             "END\n";
    SECTION("without a validator the iptables model checks them in order") {
        auto r = run(text);
        CHECK(r.errors.empty());
        REQUIRE(r.config.iptables.size() == 4);
        auto bad = run("iptables -A INPUT -p udp --dprot 9 -j DROP\niptables -A NOCHAIN -j ACCEPT\n");
        REQUIRE(bad.errors.size() == 2);
        CHECK(bad.errors[0].line == 1);
        CHECK(bad.errors[0].message.find("--dprot") != std::string::npos);
        CHECK(bad.errors[1].line == 2);
    }
    SECTION("a validator sees every input and its errors become diagnostics") {
        ScenarioReader reader;
        std::vector<IptablesInput> seen;
        reader.setIptablesValidator([&](const IptablesInput& in) -> std::optional<std::string> {
            seen.push_back(in);
            if (in.kind == IptablesInput::Kind::Command && in.argv.size() > 2 &&
                in.argv[2] == "nat")
                return std::string("iptables: nat is refused by this validator");
            return std::nullopt;
        });
        auto r = reader.read(text, "v.scn");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].toString() == "v.scn:8: iptables: nat is refused by this validator");
        REQUIRE(seen.size() == 4);
        CHECK(seen[0].kind == IptablesInput::Kind::Command);
        CHECK(seen[0].argv == std::vector<std::string>{"iptables", "-t", "filter", "-A", "INPUT",
                                                       "-p", "udp", "--dport", "9", "-j", "DROP"});
        CHECK(seen[0].text == "iptables -t filter -A INPUT -p udp --dport 9 -j DROP");
        CHECK(seen[0].line == 1);
        CHECK(seen[1].kind == IptablesInput::Kind::Restore);
        CHECK(seen[1].line == 2);
        CHECK(seen[1].argv == std::vector<std::string>{"iptables-restore"});
        CHECK(seen[1].text == "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"x y\" "
                              "-j ACCEPT\nCOMMIT\n");
        CHECK(seen[3].argv == std::vector<std::string>{"iptables-restore", "--noflush"});
        CHECK(seen[3].text == "*nat\nCOMMIT\n");
        CHECK(r.config.iptables.size() == 4);
    }
}

TEST_CASE("heredoc errors", "[scenario][reader][iptables]") {
    ScenarioReader reader;
    reader.setIptablesValidator([](const IptablesInput&) { return std::optional<std::string>(); });
    SECTION("unterminated heredoc is an error at its first line") {
        auto r = reader.read("hostname a\niptables-restore <<EOF\n*filter\nCOMMIT\n", "h.scn");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].toString() ==
              "h.scn:2: here-document is not terminated: no line \"EOF\" follows");
        CHECK(r.config.iptables.empty());
    }
    SECTION("<<- strips leading tabs from the body and the delimiter") {
        auto r = reader.read("iptables-restore <<-EOF\n\t*filter\n\tCOMMIT\n\tEOF\nhostname b\n",
                             "h.scn");
        INFO(errorsOf(r));
        REQUIRE(r.ok());
        REQUIRE(r.config.iptables.size() == 1);
        CHECK(r.config.iptables[0].text == "*filter\nCOMMIT\n");
        CHECK(r.config.hostname == "b");
    }
    SECTION("a heredoc for another command is reported and its body skipped") {
        auto r = reader.read("cat <<EOF\nhello\nEOF\nhostname c\n", "h.scn");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].toString() ==
              "h.scn:1: here-documents are only supported for iptables-restore, not \"cat\"");
        CHECK(r.config.hostname == "c");
    }
    SECTION("iptables-restore without a heredoc") {
        auto r = reader.read("iptables-restore\n", "h.scn");
        REQUIRE(r.errors.size() == 1);
        CHECK(r.errors[0].message == "iptables-restore reads its rules from a here-document: "
                                     "iptables-restore <<EOF ... EOF");
    }
}

TEST_CASE("edit distance counts a swap as one edit", "[scenario][reader]") {
    using detail::editDistance;
    CHECK(editDistance("route", "route") == 0);
    CHECK(editDistance("rotue", "route") == 1);
    CHECK(editDistance("rout", "route") == 1);
    CHECK(editDistance("", "abc") == 3);
    CHECK(editDistance("kitten", "sitting") == 3);
}
