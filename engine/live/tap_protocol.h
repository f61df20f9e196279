// SPDX-License-Identifier: GPL-3.0-or-later
// What stackscope-tap-helper accepts and answers. The helper holds cap_net_admin, so
// its whole input is checked here, in code the unit tests exercise:
//
//   stackscope-tap-helper --socket-fd FD --tap NAME
//
// It creates the TAP device NAME (never attaches to an existing one), makes the
// invoking user its owner, sets the link up and sends the open file descriptor over
// the Unix socket FD with SCM_RIGHTS, in one message: "OK" with the descriptor, or
// "ERR <reason>" without one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace stackscope::live {

// IFNAMSIZ - 1: the kernel's limit for an interface name.
inline constexpr std::size_t kMaxInterfaceName = 15;
// The first descriptor a helper may be handed (0..2 are the standard streams) and a
// bound that keeps the number short.
inline constexpr int kMinHelperSocketFd = 3;
inline constexpr int kMaxHelperSocketFd = 1023;
// One reply datagram never exceeds this.
inline constexpr std::size_t kMaxHelperReply = 512;

// Letters, digits, '_', '-' and '.', 1 to 15 characters, not starting with '-' or '.':
// stricter than the kernel's dev_valid_name, which also allows most punctuation.
bool validTapName(std::string_view name);
// Why `name` is not a valid TAP name, or nullopt when it is.
std::optional<std::string> tapNameProblem(std::string_view name);

struct HelperRequest {
    int socketFd = -1;
    std::string tapName;
};

// The helper's command line, argv[0] excluded; a message for anything else.
std::variant<HelperRequest, std::string> parseHelperArgs(int argc, const char* const* argv);

// Sends a reply: "OK" with `fd` attached when fd >= 0, otherwise "ERR " + message.
// False when the socket refused it.
bool sendHelperReply(int socket, int fd, std::string_view message);

struct HelperReply {
    int fd = -1;         // the descriptor handed over; -1 on error
    std::string message; // the helper's reason when fd is -1
};
// Reads one reply; a message describing the failure when the socket closed early or
// the reply was malformed.
HelperReply receiveHelperReply(int socket);

} // namespace stackscope::live
