// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/iptables_input.h"
#include "scenario/commands.h"
#include "scenario/scenario.h"
#include "scenario/shell_words.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace stackscope::scenario {
namespace detail {

bool matches(std::string_view word, std::string_view keyword) {
    return !word.empty() && word.size() <= keyword.size() && keyword.starts_with(word);
}

int editDistance(std::string_view a, std::string_view b) {
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
    for (std::size_t i = 0; i <= n; ++i)
        d[i][0] = int(i);
    for (std::size_t j = 0; j <= m; ++j)
        d[0][j] = int(j);
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

std::string didYouMean(std::string_view word, std::initializer_list<std::string_view> candidates) {
    std::string_view best;
    int bestDistance = 1 << 20;
    for (auto c : candidates) {
        int d = editDistance(word, c);
        if (d < bestDistance) {
            bestDistance = d;
            best = c;
        }
    }
    // Short words are too easily "close" to everything: allow one edit up to 4 letters.
    int allowed = word.size() <= 4 ? 1 : 2;
    if (best.empty() || bestDistance == 0 || bestDistance > allowed) return {};
    return fmt::format("; did you mean \"{}\"?", best);
}

std::optional<std::uint32_t> parseU32(std::string_view text) {
    int base = 10;
    if (text.starts_with("0x") || text.starts_with("0X")) {
        base = 16;
        text.remove_prefix(2);
    }
    if (text.empty()) return std::nullopt;
    std::uint32_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
    if (ec != std::errc{} || p != text.data() + text.size()) return std::nullopt;
    return v;
}

std::optional<bool> parseOnOff(std::string_view text) {
    if (text == "on") return true;
    if (text == "off") return false;
    return std::nullopt;
}

std::optional<std::pair<Ipv4Address, std::uint16_t>> parseAddressPort(std::string_view text) {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto addr = Ipv4Address::parse(text.substr(0, colon));
    auto port = parseU32(text.substr(colon + 1));
    if (!addr || !port || *port > 65535 || text.substr(colon + 1).starts_with("0x"))
        return std::nullopt;
    return std::pair{*addr, std::uint16_t(*port)};
}

bool isLocalAddress(const HostConfig& host, Ipv4Address address) {
    for (const auto& i : host.interfaces)
        for (const auto& a : i.addresses)
            if (a.address == address) return true;
    return false;
}

std::string cannotFindDevice(std::string_view name) {
    return fmt::format("Cannot find device \"{}\"", name);
}

} // namespace detail

namespace {

using namespace detail;

const std::initializer_list<std::string_view> kCommands = {
    "ip",      "sysctl",   "ethtool", "tc",     "iptables", "iptables-restore",
    "tcpdump", "hostname", "cpus",    "socket", "send",     "connect"};

void runHostname(HostConfig& host, Words args, Errors& errors) {
    if (args.size() != 1) {
        errors.push_back(args.empty() ? "hostname: give the host's name (hostname NAME)"
                                      : "hostname: too many arguments");
        return;
    }
    const auto& name = args[0];
    // sethostname takes up to 64 bytes; hostname(1) also wants a valid DNS-style name.
    bool valid = !name.empty() && name.size() <= 64 && name.front() != '-' && name.front() != '.';
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.'))
            valid = false;
    if (!valid) {
        errors.push_back("hostname: the specified hostname is invalid");
        return;
    }
    host.hostname = name;
}

void runCpus(HostConfig& host, Words args, Errors& errors) {
    if (args.size() != 1) {
        errors.push_back("cpus: give the number of simulated CPUs (cpus N, 1 to 64)");
        return;
    }
    auto n = parseU32(args[0]);
    if (!n || *n < 1 || *n > 64) {
        errors.push_back(fmt::format("cpus: \"{}\" is not a CPU count from 1 to 64", args[0]));
        return;
    }
    host.cpus = int(*n);
}

std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

struct Heredoc {
    std::string delimiter;
    bool stripTabs = false;
    std::vector<std::string> words; // the command's words without the << operator
};

// Finds `<<EOF`, `<< EOF`, `<<-EOF` among the words (quotes are already removed).
std::optional<Heredoc> findHeredoc(const std::vector<std::string>& words, std::string& error) {
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (!words[i].starts_with("<<")) continue;
        Heredoc h;
        std::string rest = words[i].substr(2);
        if (rest.starts_with("-")) {
            h.stripTabs = true;
            rest.erase(0, 1);
        }
        std::size_t used = 1;
        if (rest.empty()) {
            if (i + 1 >= words.size()) {
                error = "here-document needs a delimiter word after <<";
                return std::nullopt;
            }
            rest = words[i + 1];
            used = 2;
        }
        h.delimiter = rest;
        h.words.assign(words.begin(), words.begin() + std::ptrdiff_t(i));
        h.words.insert(h.words.end(), words.begin() + std::ptrdiff_t(i + used), words.end());
        return h;
    }
    return std::nullopt;
}

class Reader {
  public:
    Reader(const IptablesValidator& validator, std::string fileName, HostConfig start)
        : m_validator(validator), m_file(std::move(fileName)) {
        m_result.config = std::move(start);
        // Commands pasted onto an existing host act on the rules it already has.
        if (!m_validator)
            for (const auto& in : m_result.config.iptables) netfilter::applyIptablesInput(m_rules, in);
    }

    ScenarioResult run(std::string_view text) {
        std::vector<std::string> lines;
        std::size_t pos = 0;
        while (pos <= text.size()) {
            auto nl = text.find('\n', pos);
            if (nl == std::string_view::npos) {
                if (pos < text.size()) lines.emplace_back(text.substr(pos));
                break;
            }
            lines.emplace_back(text.substr(pos, nl - pos));
            pos = nl + 1;
        }
        for (auto& l : lines)
            if (!l.empty() && l.back() == '\r') l.pop_back();

        std::size_t i = 0;
        while (i < lines.size()) {
            int first = int(i) + 1;
            std::string logical = lines[i++];
            // Backslash-newline joins physical lines; errors cite the first one.
            while (endsWithContinuation(logical) && i < lines.size()) {
                logical.pop_back();
                logical += lines[i++];
            }
            auto split = splitShellWords(logical);
            if (auto* err = std::get_if<std::string>(&split)) {
                report(first, *err);
                continue;
            }
            auto& words = std::get<std::vector<std::string>>(split);
            if (words.empty()) continue;

            std::string heredocError;
            auto heredoc = findHeredoc(words, heredocError);
            if (!heredocError.empty()) {
                report(first, heredocError);
                continue;
            }
            if (heredoc) {
                std::string body;
                bool closed = false;
                while (i < lines.size()) {
                    std::string l = lines[i++];
                    if (heredoc->stripTabs)
                        l.erase(0, std::min(l.size(), l.find_first_not_of('\t')));
                    if (l == heredoc->delimiter) {
                        closed = true;
                        break;
                    }
                    body += l;
                    body += '\n';
                }
                if (!closed) {
                    report(first,
                           fmt::format("here-document is not terminated: no line \"{}\" follows",
                                       heredoc->delimiter));
                    continue;
                }
                runHeredoc(first, heredoc->words, body);
                continue;
            }
            dispatch(first, words, trim(logical));
        }
        return std::move(m_result);
    }

  private:
    void report(int line, std::string message) {
        m_result.errors.push_back(Diagnostic{m_file, line, 0, std::move(message)});
    }

    void submitIptables(IptablesInput input) {
        int line = input.line;
        m_result.config.iptables.push_back(input);
        // Without a caller's validator, the lines are checked by the iptables model itself,
        // applied in order so later lines see the chains earlier ones created.
        auto err = m_validator ? m_validator(m_result.config.iptables.back())
                               : netfilter::applyIptablesInput(m_rules, m_result.config.iptables.back());
        if (err) report(line, *err);
    }

    void runHeredoc(int line, const std::vector<std::string>& words, const std::string& body) {
        if (words.empty() || words[0] != "iptables-restore") {
            report(line,
                   fmt::format("here-documents are only supported for iptables-restore, not \"{}\"",
                               words.empty() ? std::string() : words[0]));
            return;
        }
        IptablesInput input;
        input.kind = IptablesInput::Kind::Restore;
        input.argv = words;
        input.text = body;
        input.line = line;
        submitIptables(std::move(input));
    }

    void dispatch(int line, const std::vector<std::string>& words, std::string text) {
        const std::string& cmd = words[0];
        Words args(words.data() + 1, words.size() - 1);
        Errors errors;
        HostConfig& host = m_result.config;
        if (cmd == "ip")
            runIp(host, args, errors);
        else if (cmd == "sysctl")
            runSysctl(host, args, errors);
        else if (cmd == "ethtool")
            runEthtool(host, args, errors);
        else if (cmd == "tc")
            runTc(host, args, errors);
        else if (cmd == "socket")
            runSocket(host, args, errors);
        else if (cmd == "send")
            runSend(host, args, errors);
        else if (cmd == "connect")
            runConnect(host, args, errors);
        else if (cmd == "tcpdump")
            runTcpdump(host, args, errors);
        else if (cmd == "hostname")
            runHostname(host, args, errors);
        else if (cmd == "cpus")
            runCpus(host, args, errors);
        else if (cmd == "iptables") {
            IptablesInput input;
            input.argv = words;
            input.text = std::move(text);
            input.line = line;
            submitIptables(std::move(input));
        } else if (cmd == "iptables-restore") {
            errors.push_back("iptables-restore reads its rules from a here-document: "
                             "iptables-restore <<EOF ... EOF");
        } else if (cmd == "ip6tables" || cmd == "ip6tables-restore") {
            errors.push_back(fmt::format("{}: IPv6 is not modelled", cmd));
        } else if (cmd == "iptables-save" || cmd == "nft" || cmd == "iptables-nft" ||
                   cmd == "iptables-legacy") {
            errors.push_back(fmt::format("\"{}\" is not supported in a scenario; write iptables "
                                         "lines or an iptables-restore <<EOF block",
                                         cmd));
        } else {
            errors.push_back(
                fmt::format("unknown command \"{}\"{}", cmd, didYouMean(cmd, kCommands)));
        }
        for (auto& e : errors)
            report(line, std::move(e));
    }

    const IptablesValidator& m_validator;
    netfilter::Ruleset m_rules;
    std::string m_file;
    ScenarioResult m_result;
};

} // namespace

std::string Diagnostic::toString() const {
    if (line <= 0) return fmt::format("{}: {}", file, message);
    if (column > 0) return fmt::format("{}:{}:{}: {}", file, line, column, message);
    return fmt::format("{}:{}: {}", file, line, message);
}

ScenarioResult ScenarioReader::apply(HostConfig start, std::string_view text,
                                     std::string fileName) const {
    Reader reader(m_validator, std::move(fileName), std::move(start));
    return reader.run(text);
}

ScenarioResult ScenarioReader::read(std::string_view text, std::string fileName) const {
    return apply(HostConfig::withLoopback(), text, std::move(fileName));
}

ScenarioResult ScenarioReader::readFile(const std::string& path) const {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        ScenarioResult r;
        r.errors.push_back(Diagnostic{path, 0, 0, "is a directory, not a scenario file"});
        return r;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ScenarioResult r;
        r.errors.push_back(
            Diagnostic{path, 0, 0, "cannot open the scenario file (missing or unreadable)"});
        return r;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        ScenarioResult r;
        r.errors.push_back(Diagnostic{path, 0, 0, "cannot read the scenario file"});
        return r;
    }
    return read(text.str(), path);
}

ScenarioResult readScenario(std::string_view text, std::string fileName) {
    return ScenarioReader().read(text, std::move(fileName));
}

ScenarioResult readScenarioFile(const std::string& path) {
    return ScenarioReader().readFile(path);
}

} // namespace stackscope::scenario
