// SPDX-License-Identifier: GPL-3.0-or-later
// Internal to the scenario reader: one function per command family. Each takes
// the shell words after the command name, applies them to the host only when
// the whole line is valid, and appends the tool's own error messages to `errors`.
#pragma once

#include "model/host_config.h"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace stackscope::scenario::detail {

using Words = std::span<const std::string>;
using Errors = std::vector<std::string>;

void runIp(HostConfig& host, Words args, Errors& errors);
void runSysctl(HostConfig& host, Words args, Errors& errors);
void runEthtool(HostConfig& host, Words args, Errors& errors);
void runTc(HostConfig& host, Words args, Errors& errors);
void runSocket(HostConfig& host, Words args, Errors& errors);
void runSend(HostConfig& host, Words args, Errors& errors);
void runConnect(HostConfig& host, Words args, Errors& errors);
void runTcpdump(HostConfig& host, Words args, Errors& errors);

// Walks the words of one command as iproute2's NEXT_ARG does.
class ArgCursor {
  public:
    explicit ArgCursor(Words words) : m_words(words) {}
    bool done() const { return m_pos >= m_words.size(); }
    const std::string& peek() const { return m_words[m_pos]; }
    const std::string& take() { return m_words[m_pos++]; }
    // The value after a keyword; nullopt when the line ends there.
    std::optional<std::string> value() {
        if (done()) return std::nullopt;
        return take();
    }

  private:
    Words m_words;
    std::size_t m_pos = 0;
};

// iproute2's matches(): `word` is a non-empty prefix of `keyword`.
bool matches(std::string_view word, std::string_view keyword);
// Optimal string alignment distance: a swap of neighbours counts as one edit.
int editDistance(std::string_view a, std::string_view b);
// "; did you mean "route"?" when a candidate is close enough to be a typo, else "".
std::string didYouMean(std::string_view word, std::initializer_list<std::string_view> candidates);

std::optional<std::uint32_t> parseU32(std::string_view text); // decimal or 0x hex
std::optional<bool> parseOnOff(std::string_view text);
// "10.0.0.1:53"
std::optional<std::pair<Ipv4Address, std::uint16_t>> parseAddressPort(std::string_view text);

// tc's units: rates (a bare number is bit/s, "bps" is bytes/s) to bytes per second,
// sizes ("10kb", "1m") to bytes, times (a bare number is microseconds) to nanoseconds.
std::optional<std::uint64_t> parseTcRate(std::string_view text);
std::optional<std::uint32_t> parseTcSize(std::string_view text);
std::optional<Nanos> parseTcTime(std::string_view text);

bool isLocalAddress(const HostConfig& host, Ipv4Address address);

inline constexpr std::string_view kIncomplete = "Command line is not complete. Try option \"help\"";
std::string cannotFindDevice(std::string_view name); // Cannot find device "eth9"

} // namespace stackscope::scenario::detail
