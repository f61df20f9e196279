// SPDX-License-Identifier: GPL-3.0-or-later
// stackscope-cli through cli::main with argv arrays: exit codes, messages, outputs.
#include "cli/cli.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace stackscope;

namespace {

struct CliResult {
    int rc = -1;
    std::string out;
    std::string err;
};

CliResult runCli(std::vector<std::string> args) {
    args.insert(args.begin(), "stackscope-cli");
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::ostringstream out, err;
    CliResult r;
    r.rc = cli::main(int(args.size()), argv.data(), out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

// A fresh folder per test case, removed afterwards.
class TempDir {
  public:
    TempDir() {
        static std::atomic<int> counter{0};
        m_path = fs::temp_directory_path() / ("stackscope-cli-test-" + std::to_string(::getpid()) +
                                              "-" + std::to_string(counter++));
        fs::create_directories(m_path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    std::string file(const std::string& name, const std::string& contents) const {
        const fs::path p = m_path / name;
        std::ofstream(p, std::ios::binary) << contents;
        return p.string();
    }
    std::string path(const std::string& name) const { return (m_path / name).string(); }

  private:
    fs::path m_path;
};

const char* kGoodScenario =
    "ip link set dev eth0 address 02:00:00:00:00:01 mtu 1500 up\n"
    "ip addr add 10.0.0.2/24 dev eth0\n"
    "ip neigh replace 10.0.0.1 lladdr 02:00:00:00:00:fe dev eth0 nud permanent\n";

void put16be(std::string& s, std::uint16_t v) {
    s += char(v >> 8);
    s += char(v & 0xff);
}
void put32le(std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        s += char((v >> (8 * i)) & 0xff);
}

// 02:00:00:00:00:fe / 10.0.0.1:40000 -> 02:00:00:00:00:01 / 10.0.0.2:dport, UDP, 4 bytes payload.
std::string udpFrame(std::uint16_t dport) {
    std::string f("\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\xfe\x08\x00", 14);
    std::string ip("\x45\x00", 2);
    put16be(ip, 20 + 8 + 4);
    ip += std::string("\x00\x01\x40\x00\x40\x11\x00\x00", 8); // id 1, DF, ttl 64, UDP, csum 0
    ip += std::string("\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < ip.size(); i += 2)
        sum += (std::uint8_t(ip[i]) << 8) | std::uint8_t(ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    const std::uint16_t csum = std::uint16_t(~sum);
    ip[10] = char(csum >> 8);
    ip[11] = char(csum & 0xff);
    std::string udp;
    put16be(udp, 40000);
    put16be(udp, dport);
    put16be(udp, 8 + 4);
    put16be(udp, 0); // no checksum
    udp += "ping";
    return f + ip + udp;
}

// A classic little-endian pcap with microsecond timestamps and Ethernet link type.
std::string pcapFile(const std::vector<std::string>& frames, std::uint32_t linkType = 1) {
    std::string s;
    put32le(s, 0xa1b2c3d4);
    s += std::string("\x02\x00\x04\x00", 4); // version 2.4
    put32le(s, 0);                           // thiszone
    put32le(s, 0);                           // sigfigs
    put32le(s, 65535);                       // snaplen
    put32le(s, linkType);                    // 1 = LINKTYPE_ETHERNET
    std::uint32_t usec = 0;
    for (const auto& f : frames) {
        put32le(s, 1700000000);
        put32le(s, usec += 1000);
        put32le(s, std::uint32_t(f.size()));
        put32le(s, std::uint32_t(f.size()));
        s += f;
    }
    return s;
}

} // namespace

TEST_CASE("cli: help and version exit 0") {
    const auto help = runCli({"--help"});
    CHECK(help.rc == 0);
    CHECK(help.out.find("run") != std::string::npos);
    CHECK(help.out.find("Examples:") != std::string::npos);

    const auto runHelp = runCli({"run", "--help"});
    CHECK(runHelp.rc == 0);
    for (const char* opt :
         {"--rx", "--settle", "--counters-json", "--trace", "--tx-pcap", "--show", "--seed"})
        CHECK(runHelp.out.find(opt) != std::string::npos);
    CHECK(runHelp.out.find("Example: --rx eth0=incoming.pcap") != std::string::npos);

    const auto version = runCli({"--version"});
    CHECK(version.rc == 0);
    CHECK(version.out.rfind("stackscope-cli ", 0) == 0);
}

TEST_CASE("cli: argument errors exit 2 with a message") {
    TempDir dir;
    const std::string scn = dir.file("good.scn", kGoodScenario);

    SECTION("no subcommand") {
        const auto r = runCli({});
        CHECK(r.rc == 2);
        CHECK_FALSE(r.err.empty());
    }
    SECTION("unknown option") {
        const auto r = runCli({"run", scn, "--bogus"});
        CHECK(r.rc == 2);
        CHECK(r.err.find("--bogus") != std::string::npos);
    }
    SECTION("missing scenario argument") {
        const auto r = runCli({"run"});
        CHECK(r.rc == 2);
        CHECK(r.err.find("SCENARIO") != std::string::npos);
    }
    SECTION("unknown view") {
        const auto r = runCli({"run", scn, "--show", "routes"});
        CHECK(r.rc == 2);
        CHECK(r.err.find("routes") != std::string::npos);
    }
    SECTION("bad duration") {
        const auto r = runCli({"run", scn, "--settle", "5x"});
        CHECK(r.rc == 2);
        CHECK(r.err == "--settle 5x: not a duration (examples: 2s, 150ms, 20us, 0)\n");
    }
    SECTION("bad seed") {
        const auto r = runCli({"run", scn, "--seed", "many"});
        CHECK(r.rc == 2);
        CHECK(r.err.find("--seed") != std::string::npos);
    }
    SECTION("interface the scenario does not have") {
        const auto r = runCli({"run", scn, "--rx", "eth9=x.pcap"});
        CHECK(r.rc == 2);
        CHECK(r.err == "--rx eth9=x.pcap: the scenario has no interface eth9\n");
        const auto t = runCli({"run", scn, "--tx-pcap", "eth9=y.pcap"});
        CHECK(t.rc == 2);
        CHECK(t.err == "--tx-pcap eth9=y.pcap: the scenario has no interface eth9\n");
    }
    SECTION("IFACE=CAPTURE without the equals sign") {
        const auto r = runCli({"run", scn, "--rx", "eth0"});
        CHECK(r.rc == 2);
        CHECK(r.err == "--rx eth0: expected IFACE=FILE, e.g. --rx eth0=capture.pcap\n");
    }
    SECTION("missing capture") {
        const std::string missing = dir.path("missing.pcap");
        const auto r = runCli({"run", scn, "--rx", "eth0=" + missing});
        CHECK(r.rc == 2);
        CHECK(r.err.rfind(missing, 0) == 0); // the CaptureError names the file first
    }
    SECTION("a file that is not a capture") {
        const std::string junk = dir.file("junk.pcap", "this is not a capture at all, just text\n");
        const auto r = runCli({"run", scn, "--rx", "eth0=" + junk});
        CHECK(r.rc == 2);
        CHECK(r.err.rfind(junk, 0) == 0);
    }
}

TEST_CASE("cli: scenario errors are printed as file:line: message") {
    TempDir dir;
    const std::string scn = dir.file("typo.scn", "ip link set dev eth0 up\n"
                                                 "ip addr add 10.0.0.2/24 dve eth0\n"
                                                 "ip link set dev eth0 mtu 1500\n"
                                                 "sysctl -w net.ipv4.no_such_key=1\n");
    for (const char* cmd : {"check", "run", "scenario-dump"}) {
        const auto r = runCli({cmd, scn});
        CHECK(r.rc == 2);
        CHECK(r.out.empty());
        CHECK(r.err.rfind(scn + ":2: ", 0) == 0);
        CHECK(r.err.find("dve") != std::string::npos);
        CHECK(r.err.find("\n" + scn + ":4: ") != std::string::npos);
    }
    const auto missing = runCli({"check", dir.path("nope.scn")});
    CHECK(missing.rc == 2);
    CHECK(missing.err.rfind(dir.path("nope.scn") + ":", 0) == 0);
}

TEST_CASE("cli: check and scenario-dump accept a good scenario") {
    TempDir dir;
    const std::string scn = dir.file("good.scn", kGoodScenario);
    const auto check = runCli({"check", scn});
    CHECK(check.rc == 0);
    CHECK(check.err.empty());
    CHECK(check.out.rfind(scn + ": ok", 0) == 0);

    const auto dump = runCli({"scenario-dump", scn});
    CHECK(dump.rc == 0);
    CHECK(dump.out.find("10.0.0.2/24") != std::string::npos);
    // The dump reads back to the same dump.
    const std::string again = dir.file("again.scn", dump.out);
    CHECK(runCli({"scenario-dump", again}).out == dump.out);
}

TEST_CASE("cli: run a capture end to end") {
    TempDir dir;
    const std::string scn = dir.file("good.scn", kGoodScenario);
    const std::string cap = dir.file("udp.pcap", pcapFile({udpFrame(9), udpFrame(9)}));

    SECTION("without views prints nstat") {
        const auto r = runCli({"run", scn, "--rx", "eth0=" + cap});
        INFO(r.err);
        CHECK(r.rc == 0);
        CHECK(r.out.rfind("#kernel\n", 0) == 0);
        CHECK(r.out.find("\nUdpNoPorts                      2 ") != std::string::npos);
    }
    SECTION("counters JSON on standard output") {
        const auto r = runCli({"run", scn, "--rx", "eth0=" + cap, "--counters-json", "-"});
        INFO(r.err);
        REQUIRE(r.rc == 0);
        const auto j = nlohmann::json::parse(r.out);
        CHECK(j["nstat"]["UdpNoPorts"] == 2);
        CHECK(j["nstat"]["IpInReceives"] == 2);
        CHECK(j["links"]["eth0"]["rx_packets"] == 2);
        CHECK(j["drops"]["NO_SOCKET"] == 2);
        CHECK(j["softnet"].is_array());
    }
    SECTION("views in the order given, trace and tx capture to files") {
        const std::string trace = dir.path("trace.txt");
        const std::string tx = dir.path("tx.pcap");
        const std::string json = dir.path("counters.json");
        // The scenario may come after the options.
        const auto r = runCli({"run", "--rx", "eth0=" + cap, "--show", "drops", "--show", "links",
                               "--trace", trace, "--tx-pcap", "eth0=" + tx, "--counters-json", json,
                               "--settle", "100ms", "--seed", "7", scn});
        INFO(r.err);
        REQUIRE(r.rc == 0);
        const auto drops = r.out.find("NO_SOCKET");
        const auto links = r.out.find("eth0: <BROADCAST,MULTICAST,UP,LOWER_UP>");
        CHECK(drops != std::string::npos);
        CHECK(links != std::string::npos);
        CHECK(drops < links);
        CHECK(r.out.find("#kernel") == std::string::npos);

        std::ifstream traceIn(trace);
        std::string traceText((std::istreambuf_iterator<char>(traceIn)), {});
        CHECK(traceText.find("DROP NO_SOCKET") != std::string::npos);
        CHECK(traceText.find(" eth0 ") != std::string::npos);

        CHECK(fs::file_size(tx) > 24); // the ICMP port unreachable replies left eth0
        std::ifstream jsonIn(json);
        CHECK(nlohmann::json::parse(jsonIn)["drops"]["NO_SOCKET"] == 2);
    }
    SECTION("two captures on one interface are merged") {
        const std::string cap2 = dir.file("udp2.pcap", pcapFile({udpFrame(7)}));
        const auto r = runCli(
            {"run", scn, "--rx", "eth0=" + cap, "--rx", "eth0=" + cap2, "--counters-json", "-"});
        INFO(r.err);
        REQUIRE(r.rc == 0);
        CHECK(nlohmann::json::parse(r.out)["links"]["eth0"]["rx_packets"] == 3);
    }
    SECTION("the same seed gives the same trace") {
        const auto a =
            runCli({"run", scn, "--rx", "eth0=" + cap, "--trace", "-", "--show", "softnet"});
        const auto b =
            runCli({"run", scn, "--rx", "eth0=" + cap, "--trace", "-", "--show", "softnet"});
        CHECK(a.rc == 0);
        CHECK(a.out == b.out);
    }
}

TEST_CASE("cli: a capture cut short mid-record is reported and fails the run") {
    TempDir dir;
    const std::string scn = dir.file("good.scn", kGoodScenario);
    std::string data = pcapFile({udpFrame(9), udpFrame(9)});
    data.resize(data.size() - 10); // the second record is truncated
    const std::string cap = dir.file("cut.pcap", data);
    const auto r = runCli({"run", scn, "--rx", "eth0=" + cap});
    CHECK(r.rc == 2);
    CHECK(r.err.find(cap) != std::string::npos);
}

TEST_CASE("cli: skipped capture frames are warnings, not failures") {
    TempDir dir;
    const std::string scn = dir.file("good.scn", kGoodScenario);
    // LINKTYPE_LINUX_SLL (113) with a record shorter than the 16-byte SLL header.
    const std::string cap = dir.file("sll.pcap", pcapFile({std::string(5, '\0')}, 113));
    const auto r = runCli({"run", scn, "--rx", "eth0=" + cap});
    CHECK(r.rc == 0);
    CHECK(r.err.rfind("warning: " + cap, 0) == 0);
    CHECK(r.out.rfind("#kernel\n", 0) == 0);
}

TEST_CASE("cli: show --iptables-save prints the ruleset in iptables-save's canonical form") {
    TempDir dir;
    const std::string scn = dir.file("fw.scn", "ip link set dev eth0 up\n"
                                               "iptables -A INPUT -p udp --dport 9 -j DROP\n"
                                               "iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE\n");
    const auto r = runCli({"show", scn, "--iptables-save"});
    CHECK(r.rc == 0);
    // Recorded from iptables-save (iptables 1.8.9, nf_tables) after the same two commands.
    CHECK(r.out == "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                   "-A INPUT -p udp -m udp --dport 9 -j DROP\nCOMMIT\n"
                   "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                   ":POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n");
    const auto bare = runCli({"show", scn});
    CHECK(bare.rc == 2);
}
