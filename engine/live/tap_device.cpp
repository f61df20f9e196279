// SPDX-License-Identifier: GPL-3.0-or-later
#include "live/tap_device.h"

#include "live/tap_protocol.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h> // struct ifreq, if_nametoindex (not <linux/if.h>: both define them)
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace stackscope::live {
namespace {

// The largest frame a TAP hands over: a 64 KiB MTU plus the Ethernet header.
constexpr std::size_t kMaxFrame = 65536 + 14;

std::string errnoText(int e) {
    return std::strerror(e);
}

bool deviceExists(const std::string& name) {
    return ::if_nametoindex(name.c_str()) != 0;
}

TapError makeError(TapErrorKind kind, const std::string& device, std::string message) {
    TapError e;
    e.kind = kind;
    e.device = device;
    e.message = std::move(message);
    e.existed = deviceExists(device);
    return e;
}

bool isExecutable(const std::string& path) {
    return !path.empty() && ::access(path.c_str(), X_OK) == 0;
}

} // namespace

std::string TapError::toString() const {
    return "TAP device " + device + ": " + message;
}

TapDevice::TapDevice(int fd, std::string name, bool viaHelper, bool created)
    : m_fd(fd), m_name(std::move(name)), m_viaHelper(viaHelper), m_created(created) {}

TapDevice::~TapDevice() {
    if (m_fd >= 0) ::close(m_fd);
}

std::unique_ptr<TapDevice> TapDevice::adopt(int fd, std::string name) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return std::unique_ptr<TapDevice>(new TapDevice(fd, std::move(name), false, false));
}

std::unique_ptr<TapDevice> TapDevice::openDirect(const std::string& name, TapError* error) {
    auto fail = [&](TapErrorKind kind, std::string message) -> std::unique_ptr<TapDevice> {
        if (error) *error = makeError(kind, name, std::move(message));
        return nullptr;
    };
    if (auto problem = tapNameProblem(name)) return fail(TapErrorKind::BadName, *problem);
    const bool existed = deviceExists(name);

    const int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        const int e = errno;
        if (e == ENOENT || e == ENODEV || e == ENXIO)
            return fail(TapErrorKind::NoTunDriver,
                        "/dev/net/tun is missing: the TUN/TAP driver is not loaded");
        if (e == EACCES || e == EPERM)
            return fail(TapErrorKind::TunNotAccessible,
                        "permission denied opening /dev/net/tun (it must be readable and writable "
                        "by every user)");
        return fail(TapErrorKind::NoTunDriver, "cannot open /dev/net/tun: " + errnoText(e));
    }
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, name.data(), name.size()); // validated: at most IFNAMSIZ - 1
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
        const int e = errno;
        ::close(fd);
        switch (e) {
        case EPERM:
        case EACCES:
            return fail(TapErrorKind::PermissionDenied,
                        existed ? "permission denied: the device belongs to another user"
                                : "permission denied: the device does not exist and creating one "
                                  "needs CAP_NET_ADMIN");
        case EINVAL:
            if (existed)
                return fail(TapErrorKind::NotTap,
                            "not a TAP device (it is a TUN device or another kind of interface)");
            return fail(TapErrorKind::Other, "the kernel refused the name: " + errnoText(e));
        case EBUSY:
            return fail(TapErrorKind::Busy, "another program has the device open");
        default:
            return fail(TapErrorKind::Other, "TUNSETIFF failed: " + errnoText(e));
        }
    }
    return std::unique_ptr<TapDevice>(new TapDevice(fd, name, false, !existed));
}

std::unique_ptr<TapDevice>
TapDevice::openViaHelper(const std::string& name, const std::string& helperPath, TapError* error) {
    auto fail = [&](TapErrorKind kind, std::string message,
                    std::string helperMessage) -> std::unique_ptr<TapDevice> {
        if (error) {
            *error = makeError(kind, name, std::move(message));
            error->helperMessage = std::move(helperMessage);
        }
        return nullptr;
    };
    if (auto problem = tapNameProblem(name)) return fail(TapErrorKind::BadName, *problem, {});
    if (!isExecutable(helperPath))
        return fail(TapErrorKind::HelperFailed, "stackscope-tap-helper is not installed",
                    helperPath.empty() ? std::string("stackscope-tap-helper: not found")
                                       : helperPath + ": not an executable file");

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return fail(TapErrorKind::Other, "cannot create a socket pair: " + errnoText(errno), {});

    // Everything the child needs is made before fork: after it only exec-safe calls.
    std::string fdArg = std::to_string(kMinHelperSocketFd);
    const char* argv[] = {helperPath.c_str(), "--socket-fd", fdArg.c_str(), "--tap",
                          name.c_str(),       nullptr};
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int e = errno;
        ::close(sv[0]);
        ::close(sv[1]);
        return fail(TapErrorKind::Other, "cannot start the helper: " + errnoText(e), {});
    }
    if (pid == 0) {
        // The helper's end becomes descriptor 3, the only one kept across exec.
        if (sv[1] == kMinHelperSocketFd)
            ::fcntl(sv[1], F_SETFD, 0);
        else if (::dup2(sv[1], kMinHelperSocketFd) < 0)
            ::_exit(127);
        ::execv(helperPath.c_str(), const_cast<char* const*>(argv));
        ::_exit(127);
    }
    ::close(sv[1]);
    HelperReply reply = receiveHelperReply(sv[0]);
    ::close(sv[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (reply.fd < 0) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
            reply.message.find("without") != std::string::npos)
            reply.message = "cannot run " + helperPath;
        return fail(TapErrorKind::HelperFailed, "the helper could not create the device",
                    helperPath + ": " + reply.message);
    }
    const int flags = ::fcntl(reply.fd, F_GETFL);
    if (flags >= 0) ::fcntl(reply.fd, F_SETFL, flags | O_NONBLOCK);
    return std::unique_ptr<TapDevice>(new TapDevice(reply.fd, name, true, true));
}

std::unique_ptr<TapDevice> TapDevice::open(const std::string& name, const TapOpenOptions& options,
                                           TapError* error) {
    TapError direct;
    if (auto tap = openDirect(name, &direct)) return tap;
    if (!options.allowHelper || direct.kind != TapErrorKind::PermissionDenied) {
        if (error) *error = direct;
        return nullptr;
    }
    // The helper only creates devices: a TAP of another user stays theirs.
    if (direct.existed) {
        if (error) *error = direct;
        return nullptr;
    }
    const std::string helper = options.helperPath.empty() ? findTapHelper() : options.helperPath;
    TapError viaHelper;
    if (auto tap = openViaHelper(name, helper, &viaHelper)) return tap;
    if (error) {
        *error = direct; // the first reason is the one the user acts on
        error->helperMessage =
            viaHelper.helperMessage.empty() ? viaHelper.message : viaHelper.helperMessage;
    }
    return nullptr;
}

TapDevice::ReadResult TapDevice::read(std::vector<std::uint8_t>& frame) {
    frame.resize(kMaxFrame);
    for (;;) {
        const ssize_t n = ::read(m_fd, frame.data(), frame.size());
        if (n > 0) {
            frame.resize(std::size_t(n));
            return ReadResult::Frame;
        }
        frame.clear();
        if (n == 0) {
            m_errorText = "the device was closed";
            return ReadResult::Error;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadResult::Empty;
        m_errorText = "read failed: " + errnoText(errno);
        return ReadResult::Error;
    }
}

bool TapDevice::write(std::span<const std::uint8_t> frame) {
    for (;;) {
        const ssize_t n = ::write(m_fd, frame.data(), frame.size());
        if (n == ssize_t(frame.size())) return true;
        if (n < 0 && errno == EINTR) continue;
        m_errorText = n < 0 ? "write failed: " + errnoText(errno) : std::string("short write");
        return false;
    }
}

std::string findTapHelper() {
    if (const char* env = std::getenv("STACKSCOPE_TAP_HELPER"); env && *env)
        return isExecutable(env) ? std::string(env) : std::string();
    char exe[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        std::string path(exe, std::size_t(n));
        const auto slash = path.rfind('/');
        if (slash != std::string::npos) {
            const std::string candidate =
                path.substr(0, slash + 1) + STACKSCOPE_TAP_HELPER_RELATIVE;
            if (isExecutable(candidate)) return candidate;
        }
    }
    return isExecutable(STACKSCOPE_TAP_HELPER_INSTALLED)
               ? std::string(STACKSCOPE_TAP_HELPER_INSTALLED)
               : std::string();
}

std::string tapSetupCommands(const std::string& device, const std::string& user,
                             const std::string& realSideAddress) {
    std::string text = "  sudo ip tuntap add dev " + device + " mode tap user " + user + "\n";
    if (!realSideAddress.empty())
        text += "  sudo ip addr add " + realSideAddress + " dev " + device + "\n";
    text += "  sudo ip link set dev " + device + " up\n";
    return text;
}

std::string tapErrorAdvice(const TapError& error, const std::string& user,
                           const std::string& realSideAddress, const std::string& helperPath) {
    std::string text = error.toString() + "\n";
    switch (error.kind) {
    case TapErrorKind::BadName:
        break;
    case TapErrorKind::NoTunDriver:
        text += "Load the TUN/TAP driver, then run again:\n  sudo modprobe tun\n";
        break;
    case TapErrorKind::TunNotAccessible:
        text += "Most distributions give /dev/net/tun mode 0666 (TUNSETIFF still checks who may "
                "use which device); restore that as root, then run again:\n"
                "  sudo chmod 0666 /dev/net/tun\n";
        break;
    case TapErrorKind::NotTap:
        text += "Choose a name that is not taken, or delete that interface if it is a leftover.\n";
        break;
    case TapErrorKind::Busy:
        text += "Only one program can attach to a TAP device: stop the other one first.\n";
        break;
    case TapErrorKind::PermissionDenied:
    case TapErrorKind::HelperFailed:
    case TapErrorKind::Other:
        text += "Stackscope never needs root. Create a TAP device you own, once, as root:\n";
        if (error.existed) text += "  sudo ip tuntap del dev " + error.device + " mode tap\n";
        text += tapSetupCommands(error.device, user, realSideAddress);
        text += "then run the same command again.\n";
        if (!error.existed) {
            text += "Or let stackscope-tap-helper create it for you: give the helper the "
                    "capability once:\n";
            text +=
                "  sudo setcap cap_net_admin+ep " +
                (helperPath.empty() ? std::string(STACKSCOPE_TAP_HELPER_INSTALLED) : helperPath) +
                "\n";
        }
        if (!error.helperMessage.empty())
            text += "(the helper said: " + error.helperMessage + ")\n";
        break;
    }
    return text;
}

} // namespace stackscope::live
