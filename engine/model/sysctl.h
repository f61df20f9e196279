// SPDX-License-Identifier: GPL-3.0-or-later
// The net.* sysctls the engine models, with the kernel's compiled-in
// defaults. Keys are spelled as `sysctl -w` takes them (dots). Per-device
// keys exist for conf/all, conf/default and each interface; a device created
// later takes conf/default's values, as devinet does.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stackscope {

struct SysctlInfo {
    std::string_view key;     // "net.ipv4.ip_forward" or a per-device key with "*" for the device
    std::string_view initial; // compiled-in default as sysctl prints it ("32768\t60999")
    std::string_view meaning; // one line for help text and the editor
    int fields = 1;           // number of integers ("ip_local_port_range" has 2)
    std::int64_t min = 0;
    std::int64_t max = INT32_MAX;
};

// Every modelled key, per-device templates with "*" in place of the device.
const std::vector<SysctlInfo>& sysctlCatalogue();

class Sysctls {
public:
    enum class SetError { UnknownKey, BadValue, OutOfRange };

    Sysctls();

    // Set from text as `sysctl -w key=value` does; per-device keys need the device to exist.
    std::optional<SetError> set(std::string_view key, std::string_view value);
    std::optional<std::vector<std::int64_t>> values(std::string_view key) const;
    std::int64_t get(std::string_view key) const; // first field; 0 if unknown (programming error)

    // net.ipv4.conf.<dev>.<name>, with the kernel's "all"/device combination left to callers.
    std::int64_t conf(std::string_view device, std::string_view name) const;
    void addDevice(std::string_view device); // copies conf/default and neigh/default
    void removeDevice(std::string_view device);

    // Keys that differ from their default, in catalogue order, as "key = value" pairs.
    std::vector<std::pair<std::string, std::string>> changed() const;
    std::vector<std::pair<std::string, std::string>> all() const;
    static const SysctlInfo* info(std::string_view key); // template lookup for per-device keys

private:
    std::map<std::string, std::vector<std::int64_t>, std::less<>> m_values;
    std::vector<std::string> m_devices;
};

} // namespace stackscope
