// SPDX-License-Identifier: GPL-3.0-or-later
#include "live/tap_protocol.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace stackscope::live {

std::optional<std::string> tapNameProblem(std::string_view name) {
    if (name.empty()) return std::string("the device name is empty");
    if (name.size() > kMaxInterfaceName)
        return "the device name \"" + std::string(name) + "\" is longer than 15 characters";
    if (name.front() == '-' || name.front() == '.')
        return "the device name \"" + std::string(name) + "\" starts with '" + name.front() + "'";
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        if (!ok)
            return "the device name \"" + std::string(name) +
                   "\" has a character other than letters, digits, '_', '-' and '.'";
    }
    return std::nullopt;
}

bool validTapName(std::string_view name) {
    return !tapNameProblem(name);
}

std::variant<HelperRequest, std::string> parseHelperArgs(int argc, const char* const* argv) {
    constexpr const char* kUsage = "usage: stackscope-tap-helper --socket-fd FD --tap NAME";
    if (argc != 4 || !argv) return std::string(kUsage);
    for (int i = 0; i < argc; ++i)
        if (!argv[i]) return std::string(kUsage);
    if (std::string_view(argv[0]) != "--socket-fd" || std::string_view(argv[2]) != "--tap")
        return std::string(kUsage);

    const std::string_view fdText(argv[1]);
    if (fdText.empty() || fdText.size() > 4)
        return "--socket-fd: not a descriptor number: " + std::string(fdText);
    int fd = 0;
    for (char c : fdText) {
        if (c < '0' || c > '9')
            return "--socket-fd: not a descriptor number: " + std::string(fdText);
        fd = fd * 10 + (c - '0');
    }
    if (fdText.size() > 1 && fdText.front() == '0')
        return "--socket-fd: not a descriptor number: " + std::string(fdText);
    if (fd < kMinHelperSocketFd || fd > kMaxHelperSocketFd)
        return "--socket-fd: " + std::string(fdText) + " is outside 3..1023";

    if (auto problem = tapNameProblem(argv[3])) return "--tap: " + *problem;
    return HelperRequest{fd, std::string(argv[3])};
}

bool sendHelperReply(int socket, int fd, std::string_view message) {
    std::string text = fd >= 0 ? std::string("OK") : "ERR " + std::string(message);
    if (text.size() > kMaxHelperReply) text.resize(kMaxHelperReply);
    iovec iov{text.data(), text.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    ssize_t n;
    do {
        n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n == ssize_t(text.size());
}

HelperReply receiveHelperReply(int socket) {
    char buffer[kMaxHelperReply + 1] = {};
    iovec iov{buffer, kMaxHelperReply};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n;
    do {
        n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return {-1, std::string("no answer from the helper: ") + std::strerror(errno)};
    if (n == 0) return {-1, "the helper ended without an answer"};

    int fd = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int received = -1;
            std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (fd < 0)
                fd = received;
            else
                ::close(received); // more than one descriptor: keep the first only
        }
    }
    const std::string_view text(buffer, std::size_t(n));
    if (text == "OK" && fd >= 0) return {fd, {}};
    if (fd >= 0) ::close(fd);
    if (text.rfind("ERR ", 0) == 0) return {-1, std::string(text.substr(4))};
    return {-1, "the helper's answer is malformed"};
}

} // namespace stackscope::live
