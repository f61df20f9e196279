// SPDX-License-Identifier: GPL-3.0-or-later
// The helper's argument checks (it runs with cap_net_admin, so every input is
// hostile), the reply protocol, and the messages a refused TAP gives.
#include "live/tap_device.h"
#include "live/tap_protocol.h"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <variant>
#include <vector>

using namespace stackscope::live;

namespace {

std::variant<HelperRequest, std::string> parse(std::vector<const char*> args) {
    return parseHelperArgs(int(args.size()), args.data());
}

// Runs the built helper with `args`; its exit status.
int runHelper(std::vector<std::string> args) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::vector<char*> argv;
        std::string self = STACKSCOPE_TAP_HELPER_BINARY;
        argv.push_back(self.data());
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        const int devnull = ::open("/dev/null", O_WRONLY);
        ::dup2(devnull, 2);
        ::execv(self.c_str(), argv.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

TEST_CASE("TAP names: letters, digits, _ - . and at most 15 characters") {
    struct Row {
        const char* name;
        bool valid;
    };
    const Row rows[] = {
        {"tap0", true},        {"stackscope-tap0", true},
        {"a", true},           {"br_lan.10", true},
        {"", false},           {"stackscope-tap00", false},
        {"-tap", false},       {".", false},
        {"..", false},         {"tap/0", false},
        {"tap 0", false},      {"tap%d", false},
        {"tap:0", false},      {"tap\n", false},
        {"t\xc3\xa4p", false}, {"$(reboot)", false},
        {"tap;ls", false},
    };
    for (const auto& r : rows) {
        INFO(r.name);
        CHECK(validTapName(r.name) == r.valid);
        CHECK(tapNameProblem(r.name).has_value() == !r.valid);
    }
}

TEST_CASE("helper arguments: exactly --socket-fd FD --tap NAME") {
    const auto ok = parse({"--socket-fd", "3", "--tap", "tap0"});
    REQUIRE(std::holds_alternative<HelperRequest>(ok));
    CHECK(std::get<HelperRequest>(ok).socketFd == 3);
    CHECK(std::get<HelperRequest>(ok).tapName == "tap0");
    CHECK(std::get<HelperRequest>(parse({"--socket-fd", "1023", "--tap", "x"})).socketFd == 1023);

    const std::vector<std::vector<const char*>> bad = {
        {},
        {"--socket-fd", "3"},
        {"--socket-fd", "3", "--tap"},
        {"--tap", "tap0", "--socket-fd", "3"},      // order is fixed
        {"--socket-fd", "3", "--tap", "tap0", "x"}, // nothing extra
        {"--socket-fd", "2", "--tap", "tap0"},      // standard streams
        {"--socket-fd", "0", "--tap", "tap0"},
        {"--socket-fd", "1024", "--tap", "tap0"},
        {"--socket-fd", "03", "--tap", "tap0"},
        {"--socket-fd", "-3", "--tap", "tap0"},
        {"--socket-fd", "3x", "--tap", "tap0"},
        {"--socket-fd", "", "--tap", "tap0"},
        {"--socket-fd", "99999999999", "--tap", "tap0"},
        {"--socket-fd", "3", "--tap", ""},
        {"--socket-fd", "3", "--tap", "../../etc"},
        {"--socket-fd", "3", "--tap", "averyveryverylongname"},
        {"--socket-fd=3", "--tap", "tap0", ""},
        {"--socket-fd", "3", "--tun", "tap0"},
    };
    for (const auto& args : bad) {
        std::string joined;
        for (auto* a : args)
            joined += std::string(a) + " ";
        INFO(joined);
        CHECK(std::holds_alternative<std::string>(parse(args)));
    }
    CHECK(std::holds_alternative<std::string>(parseHelperArgs(2, nullptr)));
}

TEST_CASE("the helper program refuses bad arguments and descriptors that are no Unix socket") {
    CHECK(runHelper({}) == 2);
    CHECK(runHelper({"--socket-fd", "3", "--tap", "tap;0"}) == 2);
    CHECK(runHelper({"--socket-fd", "3", "--tap", "tap0", "--exec", "/bin/sh"}) == 2);
    // Descriptor 900 is not open in the child: refused before any device is touched.
    CHECK(runHelper({"--socket-fd", "900", "--tap", "tap0"}) == 2);
}

TEST_CASE("helper replies carry the descriptor or the reason") {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
    int pipeFds[2];
    REQUIRE(::pipe(pipeFds) == 0);

    REQUIRE(sendHelperReply(sv[0], pipeFds[1], {}));
    HelperReply ok = receiveHelperReply(sv[1]);
    REQUIRE(ok.fd >= 0);
    CHECK(ok.fd != pipeFds[1]);
    CHECK(::write(ok.fd, "x", 1) == 1); // the handed-over descriptor is the pipe's write end
    char c = 0;
    CHECK(::read(pipeFds[0], &c, 1) == 1);
    CHECK(c == 'x');
    ::close(ok.fd);

    REQUIRE(sendHelperReply(sv[0], -1, "device tap0 exists already"));
    HelperReply refused = receiveHelperReply(sv[1]);
    CHECK(refused.fd == -1);
    CHECK(refused.message == "device tap0 exists already");

    ::close(sv[0]);
    HelperReply closed = receiveHelperReply(sv[1]);
    CHECK(closed.fd == -1);
    CHECK(closed.message == "the helper ended without an answer");
    ::close(sv[1]);
    ::close(pipeFds[0]);
    ::close(pipeFds[1]);
}

TEST_CASE("a refused TAP says what to type") {
    TapError error;
    CHECK(!TapDevice::openDirect("tap/0", &error));
    CHECK(error.kind == TapErrorKind::BadName);

    CHECK(!TapDevice::openViaHelper("tap0", "/nonexistent/stackscope-tap-helper", &error));
    CHECK(error.kind == TapErrorKind::HelperFailed);

    TapError denied;
    denied.kind = TapErrorKind::PermissionDenied;
    denied.device = "tap0";
    denied.message =
        "permission denied: the device does not exist and creating one needs CAP_NET_ADMIN";
    denied.helperMessage = "/x/stackscope-tap-helper: permission denied creating tap0";
    const std::string advice =
        tapErrorAdvice(denied, "alice", "10.99.0.1/24", "/x/stackscope-tap-helper");
    CHECK(advice.find("TAP device tap0: permission denied") == 0);
    CHECK(advice.find("  sudo ip tuntap add dev tap0 mode tap user alice\n") != std::string::npos);
    CHECK(advice.find("  sudo ip addr add 10.99.0.1/24 dev tap0\n") != std::string::npos);
    CHECK(advice.find("  sudo ip link set dev tap0 up\n") != std::string::npos);
    CHECK(advice.find("  sudo setcap cap_net_admin+ep /x/stackscope-tap-helper\n") !=
          std::string::npos);
    CHECK(advice.find("(the helper said: /x/stackscope-tap-helper: permission denied") !=
          std::string::npos);
    CHECK(advice.find("ip tuntap del") == std::string::npos);

    denied.existed = true; // someone else's TAP: delete it first, the helper cannot help
    const std::string taken = tapErrorAdvice(denied, "alice", "", "/x/h");
    CHECK(taken.find("  sudo ip tuntap del dev tap0 mode tap\n") != std::string::npos);
    CHECK(taken.find("setcap") == std::string::npos);
    CHECK(taken.find("ip addr add") == std::string::npos);
}
