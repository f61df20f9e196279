// SPDX-License-Identifier: GPL-3.0-or-later
// A TAP device opened through /dev/net/tun: every read is one Ethernet frame the
// real kernel sent into the device, every write one frame the real kernel receives.
//
// Privileges: opening a persistent TAP the user owns needs none
// (`ip tuntap add dev NAME mode tap user USER`); otherwise stackscope-tap-helper,
// which holds cap_net_admin, creates a TAP for the user and hands over its
// descriptor. The library itself never asks for privileges.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace stackscope::live {

enum class TapErrorKind {
    BadName,          // the name fails validTapName
    NoTunDriver,      // /dev/net/tun is missing
    TunNotAccessible, // /dev/net/tun is not readable and writable by the user
    PermissionDenied, // the device does not exist and may not be created, or is not ours
    NotTap,           // the name belongs to a TUN device or another kind of interface
    Busy,             // another program has it open
    HelperFailed,     // the helper was not found, failed, or refused
    Other,
};

struct TapError {
    TapErrorKind kind = TapErrorKind::Other;
    std::string device;
    std::string message;       // what went wrong, without the device name
    std::string helperMessage; // the helper's own reason when it was tried
    bool existed = false;      // a network device of that name existed

    // "TAP device NAME: MESSAGE"
    std::string toString() const;
};

struct TapOpenOptions {
    bool allowHelper = true;
    std::string helperPath; // empty: findTapHelper()
};

class TapDevice {
  public:
    // Opens NAME directly, then through the helper when that is allowed and the direct
    // open was refused for lack of privilege. nullptr with *error filled on failure.
    static std::unique_ptr<TapDevice> open(const std::string& name, const TapOpenOptions& options,
                                           TapError* error);
    static std::unique_ptr<TapDevice> openDirect(const std::string& name, TapError* error);
    static std::unique_ptr<TapDevice> openViaHelper(const std::string& name,
                                                    const std::string& helperPath, TapError* error);
    // Takes ownership of a descriptor that reads and writes whole frames (a TAP handed
    // over by other means, or a SOCK_SEQPACKET socket in tests). Made non-blocking.
    static std::unique_ptr<TapDevice> adopt(int fd, std::string name);

    ~TapDevice();
    TapDevice(const TapDevice&) = delete;
    TapDevice& operator=(const TapDevice&) = delete;

    int fd() const { return m_fd; }
    const std::string& name() const { return m_name; }
    bool openedByHelper() const { return m_viaHelper; }
    bool created() const { return m_created; } // no device of that name existed before

    enum class ReadResult { Frame, Empty, Error };
    // One frame into `frame` when one is waiting; Empty when none is; Error sets errorText().
    ReadResult read(std::vector<std::uint8_t>& frame);
    // False when the device refused the frame (full queue, link down); errorText() says why.
    bool write(std::span<const std::uint8_t> frame);
    const std::string& errorText() const { return m_errorText; }

  private:
    TapDevice(int fd, std::string name, bool viaHelper, bool created);

    int m_fd = -1;
    std::string m_name;
    bool m_viaHelper = false;
    bool m_created = false;
    std::string m_errorText;
};

// The helper to ask: $STACKSCOPE_TAP_HELPER when set, else the one installed next to the
// running executable (bin/../libexec/stackscope/), else the configured install path.
// Empty when none of them is an executable file.
std::string findTapHelper();

// The commands a user copies to create a TAP they own, one per line, indented; with
// `realSideAddress` (e.g. "10.99.0.1/24") the address for the real side too.
std::string tapSetupCommands(const std::string& device, const std::string& user,
                             const std::string& realSideAddress);

// Everything a user needs after `error`: the reason and what to do, several lines.
std::string tapErrorAdvice(const TapError& error, const std::string& user,
                           const std::string& realSideAddress, const std::string& helperPath);

} // namespace stackscope::live
