// SPDX-License-Identifier: GPL-3.0-or-later
// stackscope-tap-helper --socket-fd FD --tap NAME
//
// Runs with cap_net_admin (a file capability set by the package) on behalf of an
// unprivileged user. It does exactly one thing: create a new TAP device NAME owned
// by the invoking (real) user, set its link up, and send the descriptor back over
// the Unix socket FD. It never attaches to an existing device, never runs another
// program and reads nothing but its arguments.
#include "live/tap_protocol.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <variant>

namespace {

using namespace stackscope::live;

int refuse(int socket, const std::string& message) {
    if (socket < 0 || !sendHelperReply(socket, -1, message))
        std::fprintf(stderr, "stackscope-tap-helper: %s\n", message.c_str());
    return 1;
}

bool isUnixSocket(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) return false;
    int domain = 0;
    socklen_t len = sizeof(domain);
    return ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_UNIX;
}

std::string errnoText(int e) {
    return std::strerror(e);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 1) return 2;
    const auto parsed = parseHelperArgs(argc - 1, argv + 1);
    if (const auto* problem = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "stackscope-tap-helper: %s\n", problem->c_str());
        return 2;
    }
    const HelperRequest request = std::get<HelperRequest>(parsed);
    if (!isUnixSocket(request.socketFd)) {
        std::fprintf(stderr, "stackscope-tap-helper: descriptor %d is not a Unix socket\n",
                     request.socketFd);
        return 2;
    }
    const int socket = request.socketFd;
    // The real user is the one who ran us; the capability does not change it.
    const uid_t user = ::getuid();

    const int tun = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (tun < 0) return refuse(socket, "cannot open /dev/net/tun: " + errnoText(errno));

    ifreq ifr{};
    std::memcpy(ifr.ifr_name, request.tapName.data(), request.tapName.size());
    // IFF_TUN_EXCL: fail when the device exists, so no one else's TAP is ever opened.
    ifr.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL);
    if (::ioctl(tun, TUNSETIFF, &ifr) < 0) {
        const int e = errno;
        ::close(tun);
        if (e == EBUSY || e == EEXIST)
            return refuse(socket, "device " + request.tapName +
                                      " exists already; the helper only creates new devices");
        if (e == EPERM)
            return refuse(socket, "permission denied creating " + request.tapName +
                                      ": the helper lacks cap_net_admin");
        return refuse(socket, "cannot create " + request.tapName + ": " + errnoText(e));
    }
    if (::ioctl(tun, TUNSETOWNER, static_cast<unsigned long>(user)) < 0) {
        const int e = errno;
        ::close(tun); // not persistent: closing removes the device again
        return refuse(socket, "cannot give " + request.tapName + " to the user: " + errnoText(e));
    }

    // A TAP that is down drops every frame written to it: bring it up.
    const int control = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (control >= 0) {
        ifreq flags{};
        std::memcpy(flags.ifr_name, request.tapName.data(), request.tapName.size());
        if (::ioctl(control, SIOCGIFFLAGS, &flags) == 0) {
            flags.ifr_flags |= IFF_UP;
            ::ioctl(control, SIOCSIFFLAGS, &flags);
        }
        ::close(control);
    }

    const bool sent = sendHelperReply(socket, tun, {});
    ::close(tun);
    return sent ? 0 : 1;
}
