// SPDX-License-Identifier: GPL-3.0-or-later
#include "netfilter/ruleset.h"

#include "netfilter/rule_format.h"
#include "netfilter/rule_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace stackscope::netfilter {

namespace {

constexpr std::string_view kVersion = "v1.8.9 (nf_tables)";

enum class ErrorKind { Usage, Errno, Kernel };
struct CmdError {
    ErrorKind kind;
    std::string text;
};

Chain builtinChain(Hook hook) {
    Chain c;
    c.name = std::string(hookChainName(hook));
    c.builtin = true;
    c.hook = hook;
    return c;
}

Table freshTable(TableId id) {
    Table t;
    t.id = id;
    using H = Hook;
    std::vector<H> hooks;
    switch (id) {
    case TableId::Filter:
    case TableId::Security: hooks = {H::LocalIn, H::Forward, H::LocalOut}; break;
    case TableId::Nat: hooks = {H::PreRouting, H::LocalIn, H::LocalOut, H::PostRouting}; break;
    case TableId::Mangle: hooks = {H::PreRouting, H::LocalIn, H::Forward, H::LocalOut, H::PostRouting}; break;
    case TableId::Raw: hooks = {H::PreRouting, H::LocalOut}; break;
    }
    for (auto h : hooks) t.chains.push_back(builtinChain(h));
    return t;
}

int chainIndex(const Table& t, std::string_view name) {
    for (std::size_t i = 0; i < t.chains.size(); ++i)
        if (t.chains[i].name == name) return int(i);
    return -1;
}

// Keeps user chains sorted by name (as iptables-nft lists them) and resolves jumps.
void relink(Table& t) {
    auto firstUser = std::stable_partition(t.chains.begin(), t.chains.end(), [](const Chain& c) { return c.builtin; });
    std::sort(firstUser, t.chains.end(), [](const Chain& a, const Chain& b) { return a.name < b.name; });
    for (auto& c : t.chains)
        for (auto& r : c.rules)
            if (r.target.kind == TargetKind::Jump || r.target.kind == TargetKind::Goto)
                r.target.chainIndex = chainIndex(t, r.target.chain);
}

int references(const Table& t, std::string_view name) {
    int n = 0;
    for (const auto& c : t.chains)
        for (const auto& r : c.rules)
            if ((r.target.kind == TargetKind::Jump || r.target.kind == TargetKind::Goto) && r.target.chain == name) ++n;
    return n;
}

void ensureHandle(Table& t, Chain& c) {
    if (c.handle == 0) c.handle = t.nextHandle++;
}

bool isNumber(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Which tables and hooks a target may be used from (the xt target's .table/.hooks and checkentry).
bool ruleAllowed(const Rule& r, TableId table, unsigned hooks) {
    // The kernel refuses an inverted match-all address and icmp without -p icmp.
    if ((r.ip.invSrc && r.ip.srcMask == 0) || (r.ip.invDst && r.ip.dstMask == 0)) return false;
    auto only = [&](unsigned allowed) { return (hooks & ~allowed) == 0; };
    auto bit = [](Hook h) { return 1u << unsigned(h); };
    for (const auto& m : r.matches) {
        if (m.kind == MatchKind::Icmp && (r.ip.proto != 1 || r.ip.invProto)) return false;
        // addrtype_mt_checkentry: an interface only exists on its side of the stack.
        if (m.kind == MatchKind::AddrType && m.limitIfaceIn && !only(~(bit(Hook::LocalOut) | bit(Hook::PostRouting))))
            return false;
        if (m.kind == MatchKind::AddrType && m.limitIfaceOut && !only(~(bit(Hook::PreRouting) | bit(Hook::LocalIn))))
            return false;
    }
    switch (r.target.kind) {
    case TargetKind::Reject:
        if (r.target.reject == RejectWith::TcpReset && (r.ip.proto != 6 || r.ip.invProto)) return false;
        return table == TableId::Filter && only(bit(Hook::LocalIn) | bit(Hook::Forward) | bit(Hook::LocalOut));
    case TargetKind::Dnat:
    case TargetKind::Redirect: return table == TableId::Nat && only(bit(Hook::PreRouting) | bit(Hook::LocalOut));
    case TargetKind::Snat: return table == TableId::Nat && only(bit(Hook::PostRouting) | bit(Hook::LocalIn));
    case TargetKind::Masquerade: return table == TableId::Nat && only(bit(Hook::PostRouting));
    case TargetKind::Ttl: return table == TableId::Mangle;
    case TargetKind::Ct:
    case TargetKind::Notrack: return table == TableId::Raw;
    default: return true;
    }
}

} // namespace

std::string_view tableName(TableId table) {
    static constexpr std::string_view kNames[] = {"mangle", "security", "raw", "filter", "nat"};
    return kNames[std::size_t(table)];
}

std::optional<TableId> parseTableName(std::string_view name) {
    for (int i = 0; i < kTableCount; ++i)
        if (tableName(TableId(i)) == name) return TableId(i);
    return std::nullopt;
}

std::string_view hookChainName(Hook hook) {
    static constexpr std::string_view kNames[] = {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"};
    return kNames[std::size_t(hook)];
}

std::string_view rejectWithName(RejectWith with) {
    static constexpr std::string_view kNames[] = {
        "icmp-net-unreachable", "icmp-host-unreachable", "icmp-port-unreachable", "icmp-proto-unreachable",
        "icmp-net-prohibited", "icmp-host-prohibited", "icmp-admin-prohibited", "tcp-reset"};
    return kNames[std::size_t(with)];
}

Ruleset::Ruleset() {
    for (int i = 0; i < kTableCount; ++i) m_tables[std::size_t(i)] = freshTable(TableId(i));
}

int Ruleset::findChain(TableId table, std::string_view name) const { return chainIndex(this->table(table), name); }

// Reachability from the built-in chains decides which hooks each rule runs at;
// a loop or a target used outside its table/hooks is refused like the kernel does.
std::optional<std::string> Ruleset::validate(Table& t, std::string_view chain, std::string_view op) const {
    std::vector<unsigned> hooks(t.chains.size(), 0);
    bool loop = false;
    for (std::size_t b = 0; b < t.chains.size(); ++b) {
        if (!t.chains[b].builtin) continue;
        std::vector<int> path;
        auto visit = [&](auto&& self, int c, unsigned hook) -> void {
            if (std::find(path.begin(), path.end(), c) != path.end()) {
                loop = true;
                return;
            }
            if (path.size() > 16) {
                loop = true;
                return;
            }
            hooks[std::size_t(c)] |= hook;
            path.push_back(c);
            for (const auto& r : t.chains[std::size_t(c)].rules)
                if (r.target.chainIndex >= 0 && (r.target.kind == TargetKind::Jump || r.target.kind == TargetKind::Goto))
                    self(self, r.target.chainIndex, hook);
            path.pop_back();
        };
        visit(visit, int(b), 1u << unsigned(t.chains[b].hook));
    }
    if (loop) return fmt::format(" {} failed (Too many links): rule in chain {}", op, chain);
    for (std::size_t c = 0; c < t.chains.size(); ++c)
        for (const auto& r : t.chains[c].rules)
            if (!ruleAllowed(r, t.id, hooks[c]))
                return fmt::format(" {} failed (Invalid argument): rule in chain {}", op, chain);
    return std::nullopt;
}

std::optional<std::string> Ruleset::apply(const std::vector<std::string>& argv, TableId* tableOut) {
    ++m_generation;
    TableId tid = TableId::Filter;
    char cmd = 0;
    std::string chain, chain2, policy;
    std::optional<int> number;
    std::vector<std::string> ruleArgs;
    auto usage = [](std::string t) { return std::optional<std::string>("U" + t); };
    auto errnoErr = [](std::string t) { return std::optional<std::string>("E" + t); };
    auto kernel = [](std::string t) { return std::optional<std::string>("K" + t); };
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        auto need = [&](const std::string& opt) -> std::optional<std::string> {
            if (i + 1 >= argv.size() || (argv[i + 1].size() > 1 && argv[i + 1][0] == '-'))
                return "option \"" + opt + "\" requires an argument";
            return std::nullopt;
        };
        char c = 0;
        if (a == "-A" || a == "--append") c = 'A';
        else if (a == "-I" || a == "--insert") c = 'I';
        else if (a == "-D" || a == "--delete") c = 'D';
        else if (a == "-R" || a == "--replace") c = 'R';
        else if (a == "-N" || a == "--new-chain" || a == "--new") c = 'N';
        else if (a == "-X" || a == "--delete-chain") c = 'X';
        else if (a == "-F" || a == "--flush") c = 'F';
        else if (a == "-Z" || a == "--zero") c = 'Z';
        else if (a == "-P" || a == "--policy") c = 'P';
        else if (a == "-E" || a == "--rename-chain") c = 'E';
        if (a == "-t" || a == "--table") {
            if (auto e = need(a)) return usage(*e);
            auto t = parseTableName(argv[++i]);
            if (!t) return usage("table '" + argv[i] + "' does not exist");
            tid = *t;
            continue;
        }
        if (!c) {
            ruleArgs.push_back(a);
            continue;
        }
        if (cmd) return usage(fmt::format("Cannot use -{} with -{}", c, cmd));
        cmd = c;
        bool optionalChain = c == 'X' || c == 'F' || c == 'Z';
        if (optionalChain) {
            if (i + 1 < argv.size() && argv[i + 1][0] != '-' && argv[i + 1] != "!") chain = argv[++i];
            continue;
        }
        if (auto e = need(a)) return usage(*e);
        chain = argv[++i];
        if (c == 'P' || c == 'E') {
            if (i + 1 >= argv.size()) return usage(c == 'P' ? "-P requires a chain and a policy" : "-E requires old-chain-name and new-chain-name");
            (c == 'P' ? policy : chain2) = argv[++i];
        } else if (c == 'I' || c == 'D' || c == 'R') {
            if (i + 1 < argv.size() && isNumber(argv[i + 1])) {
                if (argv[i + 1].size() > 9 || std::stoi(argv[i + 1]) == 0)
                    return usage("Invalid rule number `" + argv[i + 1] + "'");
                number = std::stoi(argv[++i]);
            }
            else if (c == 'R') return usage("-R requires a rule number");
        }
    }
    if (!cmd) return usage("no command specified");
    *tableOut = tid;
    Table work = m_tables[std::size_t(tid)];
    int ci = chain.empty() ? -1 : chainIndex(work, chain);
    const char* op = cmd == 'I' ? "RULE_INSERT" : cmd == 'R' ? "RULE_REPLACE" : "RULE_APPEND";

    Rule rule;
    if (cmd == 'A' || cmd == 'I' || cmd == 'R' || (cmd == 'D' && !number)) {
        auto parsed = parseRule(ruleArgs, tid, rule);
        if (!parsed.error.empty()) return usage(parsed.error);
        if (ci >= 0 && work.chains[std::size_t(ci)].builtin) {
            Hook h = work.chains[std::size_t(ci)].hook;
            if (rule.ip.outIface[0] && (h == Hook::LocalIn || h == Hook::PreRouting))
                return usage("Can't use -o with " + chain);
            if (rule.ip.inIface[0] && (h == Hook::LocalOut || h == Hook::PostRouting))
                return usage("Can't use -i with " + chain);
        }
        if ((rule.target.kind == TargetKind::Jump || rule.target.kind == TargetKind::Goto) &&
            chainIndex(work, rule.target.chain) < 0)
            return usage("Chain '" + rule.target.chain + "' does not exist");
    } else if (!ruleArgs.empty()) {
        return usage("Bad argument `" + ruleArgs.front() + "'");
    }
    bool needsChain = cmd != 'N' && !((cmd == 'X' || cmd == 'F' || cmd == 'Z') && chain.empty());
    if (needsChain && ci < 0) return errnoErr("No chain/target/match by that name.");

    switch (cmd) {
    case 'A':
    case 'I':
    case 'R': {
        ensureHandle(work, work.chains[std::size_t(ci)]);
        auto& rules = work.chains[std::size_t(ci)].rules;
        if (cmd != 'R') rule.handle = work.nextHandle++;
        rule.quick = quickCheckOf(rule);
        if (cmd == 'A') {
            rules.push_back(std::move(rule));
        } else if (cmd == 'I') {
            int n = number.value_or(1);
            if (n < 1 || std::size_t(n) > rules.size() + 1) return errnoErr("Index of insertion too big.");
            rules.insert(rules.begin() + (n - 1), std::move(rule));
        } else {
            int n = *number;
            if (n < 1 || std::size_t(n) > rules.size()) return errnoErr("Index of replacement too big.");
            rule.handle = rules[std::size_t(n - 1)].handle; // a replaced rule keeps its handle
            rules[std::size_t(n - 1)] = std::move(rule);
        }
        break;
    }
    case 'D': {
        auto& rules = work.chains[std::size_t(ci)].rules;
        if (number) {
            if (*number < 1 || std::size_t(*number) > rules.size()) return errnoErr("Index of deletion too big.");
            rules.erase(rules.begin() + (*number - 1));
        } else {
            auto spec = formatRuleSpec(rule);
            auto it = std::find_if(rules.begin(), rules.end(), [&](const Rule& r) { return formatRuleSpec(r) == spec; });
            if (it == rules.end()) return errnoErr("Bad rule (does a matching rule exist in that chain?).");
            rules.erase(it);
        }
        break;
    }
    case 'N': {
        if (chain.size() > 28) return usage("chain name `" + chain + "' too long (must be under 29 chars)");
        if (chain[0] == '-') return usage("chain name not allowed to start with `-'");
        static constexpr std::string_view kReserved[] = {"ACCEPT", "DROP", "RETURN", "REJECT", "LOG", "MARK",
                                                         "CONNMARK", "CT", "NOTRACK", "DNAT", "SNAT",
                                                         "MASQUERADE", "REDIRECT", "TTL", "TRACE"};
        for (auto r : kReserved)
            if (chain == r) return usage("chain name may not clash with target name");
        if (ci >= 0) return errnoErr("Chain already exists.");
        Chain c;
        c.name = chain;
        ensureHandle(work, c);
        work.chains.push_back(std::move(c));
        break;
    }
    case 'X': {
        std::vector<std::string> victims;
        if (chain.empty()) {
            for (auto& c : work.chains)
                if (!c.builtin) victims.push_back(c.name);
            for (auto& c : work.chains)
                for (auto& r : c.rules)
                    if (c.builtin && (r.target.kind == TargetKind::Jump || r.target.kind == TargetKind::Goto))
                        return kernel(fmt::format(" CHAIN_DEL failed (Device or resource busy): chain {}", r.target.chain));
        } else {
            if (work.chains[std::size_t(ci)].builtin) return errnoErr("Invalid argument.");
            if (references(work, chain) > 0 || !work.chains[std::size_t(ci)].rules.empty())
                return kernel(fmt::format(" CHAIN_DEL failed (Device or resource busy): chain {}", chain));
            victims.push_back(chain);
        }
        for (auto& c : work.chains)
            if (std::find(victims.begin(), victims.end(), c.name) != victims.end()) c.rules.clear();
        std::erase_if(work.chains, [&](const Chain& c) {
            return std::find(victims.begin(), victims.end(), c.name) != victims.end();
        });
        break;
    }
    case 'F':
    case 'Z':
        for (std::size_t k = 0; k < work.chains.size(); ++k) {
            if (ci >= 0 && int(k) != ci) continue;
            auto& c = work.chains[k];
            if (cmd == 'F') c.rules.clear();
            else {
                c.packets = c.bytes = 0;
                for (auto& r : c.rules) r.packets = r.bytes = 0;
            }
        }
        break;
    case 'P': {
        auto& c = work.chains[std::size_t(ci)];
        if (!c.builtin) return errnoErr("Bad built-in chain name.");
        ensureHandle(work, c);
        c.policyCounted = true;
        if (policy == "ACCEPT") c.policy = Verdict::Accept;
        else if (policy == "DROP") c.policy = Verdict::Drop;
        else return errnoErr("Bad policy name. Run `dmesg' for more information.");
        break;
    }
    case 'E': {
        if (chainIndex(work, chain2) >= 0) return errnoErr("File exists.");
        if (work.chains[std::size_t(ci)].builtin) return errnoErr("Invalid argument.");
        if (chain2.size() > 28) return usage("chain name `" + chain2 + "' too long (must be under 29 chars)");
        work.chains[std::size_t(ci)].name = chain2;
        for (auto& c : work.chains)
            for (auto& r : c.rules)
                if ((r.target.kind == TargetKind::Jump || r.target.kind == TargetKind::Goto) && r.target.chain == chain)
                    r.target.chain = chain2;
        break;
    }
    default: break;
    }
    relink(work);
    if (cmd == 'A' || cmd == 'I' || cmd == 'R')
        if (auto e = validate(work, chain, op)) return kernel(*e);
    if (cmd != 'D' && cmd != 'X' && cmd != 'F' && cmd != 'Z') work.present = true;
    for (Chain& ch : work.chains) {
        ch.quick.clear();
        for (const Rule& r : ch.rules) ch.quick.push_back(r.quick);
    }
    m_tables[std::size_t(tid)] = std::move(work);
    return std::nullopt;
}

std::optional<std::string> Ruleset::command(const std::vector<std::string>& argv) {
    TableId tid = TableId::Filter;
    auto e = apply(argv, &tid);
    if (!e) return std::nullopt;
    std::string body = e->substr(1);
    switch ((*e)[0]) {
    case 'U':
        // iptables prints these bare
        if (body.starts_with("Bad argument") || body.starts_with("--reject-with echo-reply")) return body;
        return fmt::format("iptables {}: {}", kVersion, body);
    case 'K': return fmt::format("iptables {}: {}", kVersion, body);
    default: return "iptables: " + body;
    }
}

std::optional<std::string> Ruleset::restore(std::string_view text, bool counters, bool noflush) {
    ++m_generation;
    auto saved = m_tables;
    bool inTable = false;
    TableId current = TableId::Filter;
    int lineNo = 0;
    auto fail = [&](std::string message) {
        m_tables = saved;
        return std::optional<std::string>(std::move(message));
    };
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto nl = text.find('\n', pos);
        auto line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        if (nl == std::string_view::npos && line.empty()) break;
        ++lineNo;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
        while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
        if (line.empty() || line[0] == '#') continue;
        if (line[0] == '*') {
            if (inTable) return fail(fmt::format("Bad argument `{}'\nError occurred at line: {}", line, lineNo));
            auto t = parseTableName(line.substr(1));
            if (!t)
                return fail(fmt::format("iptables-restore {}: iptables-restore: line {} table name '{}' invalid\nError occurred at line: {}",
                                        kVersion, lineNo, line.substr(1), lineNo));
            current = *t;
            inTable = true;
            if (!noflush) m_tables[std::size_t(*t)] = freshTable(*t);
            m_tables[std::size_t(*t)].present = true;
            continue;
        }
        if (line == "COMMIT") {
            if (!inTable) return fail(fmt::format("iptables-restore: line {} failed", lineNo));
            inTable = false;
            continue;
        }
        if (!inTable) return fail(fmt::format("iptables-restore: line {} failed", lineNo));
        Table& table = m_tables[std::size_t(current)];
        if (line[0] == ':') {
            auto words = splitRestoreLine(line.substr(1));
            if (words.size() < 2)
                return fail(fmt::format("iptables-restore {}: iptables-restore: line {} policy invalid\nError occurred at line: {}",
                                        kVersion, lineNo, lineNo));
            int ci = chainIndex(table, words[0]);
            std::uint64_t p = 0, b = 0;
            bool haveCounters = false;
            if (words.size() >= 3 && words[2].size() > 2 && words[2].front() == '[') {
                auto colon = words[2].find(':');
                haveCounters = colon != std::string::npos;
                if (haveCounters) {
                    std::from_chars(words[2].data() + 1, words[2].data() + colon, p);
                    std::from_chars(words[2].data() + colon + 1, words[2].data() + words[2].size() - 1, b);
                }
            }
            if (ci >= 0 && table.chains[std::size_t(ci)].builtin) {
                auto& c = table.chains[std::size_t(ci)];
                ensureHandle(table, c);
                c.policyCounted = true;
                if (words[1] == "ACCEPT") c.policy = Verdict::Accept;
                else if (words[1] == "DROP") c.policy = Verdict::Drop;
                else return fail(fmt::format("iptables-restore: line {} failed: Bad policy name.", lineNo));
                if (counters && haveCounters) {
                    c.packets = p;
                    c.bytes = b;
                }
            } else if (ci >= 0) {
                table.chains[std::size_t(ci)].rules.clear();
            } else {
                Chain c;
                c.name = words[0];
                ensureHandle(table, c);
                table.chains.push_back(std::move(c));
                relink(table);
            }
            continue;
        }
        auto words = splitRestoreLine(line);
        std::vector<std::string> argv{"iptables", "-t", std::string(tableName(current))};
        std::size_t first = 0;
        if (!words.empty() && words[0].size() > 2 && words[0].front() == '[' && words[0].back() == ']') {
            auto colon = words[0].find(':');
            if (counters && colon != std::string::npos) {
                argv.push_back("-c");
                argv.push_back(words[0].substr(1, colon - 1));
                argv.push_back(words[0].substr(colon + 1, words[0].size() - colon - 2));
            }
            first = 1;
        }
        if (first < words.size() && words[first][0] != '-')
            return fail(fmt::format("Bad argument `{}'\nError occurred at line: {}", words[first], lineNo));
        for (std::size_t k = first; k < words.size(); ++k) {
            if (!counters && (words[k] == "-c" || words[k] == "--set-counters") && k + 2 < words.size()) {
                k += 2;
                continue;
            }
            argv.push_back(words[k]);
        }
        TableId tid = current;
        auto e = apply(argv, &tid);
        if (e) {
            std::string body = e->substr(1);
            switch ((*e)[0]) {
            case 'U':
                return fail(fmt::format("iptables-restore {}: {}\nError occurred at line: {}", kVersion, body, lineNo));
            case 'K': return fail(fmt::format("iptables-restore {}: \nline {}:{}", kVersion, lineNo, body));
            default: return fail(fmt::format("iptables-restore: line {} failed: {}", lineNo, body));
            }
        }
    }
    if (inTable) return fail(fmt::format("iptables-restore: COMMIT expected at line {}", lineNo + 1));
    return std::nullopt;
}

std::string Ruleset::save(bool counters, std::string_view dateLine) const {
    std::string out;
    for (const auto& t : m_tables) {
        if (!t.present) continue;
        if (!dateLine.empty()) out += fmt::format("# Generated by iptables-save {} on {}\n", kVersion, dateLine);
        out += fmt::format("*{}\n", tableName(t.id));
        for (const auto& c : t.chains) {
            if (c.builtin)
                out += fmt::format(":{} {} [{}:{}]\n", c.name, c.policy == Verdict::Accept ? "ACCEPT" : "DROP", c.packets, c.bytes);
            else
                out += fmt::format(":{} - [0:0]\n", c.name);
        }
        for (const auto& c : t.chains)
            for (const auto& r : c.rules) {
                if (counters) out += fmt::format("[{}:{}] ", r.packets, r.bytes);
                out += "-A " + c.name + formatRuleSpec(r) + "\n";
            }
        out += "COMMIT\n";
        if (!dateLine.empty()) out += fmt::format("# Completed on {}\n", dateLine);
    }
    return out;
}

std::string Ruleset::listVerbose(TableId id) const {
    const Table& t = table(id);
    std::string out;
    for (std::size_t i = 0; i < t.chains.size(); ++i) {
        const auto& c = t.chains[i];
        if (i) out += "\n";
        if (c.builtin)
            out += fmt::format("Chain {} (policy {} {} packets, {} bytes)\n", c.name,
                               c.policy == Verdict::Accept ? "ACCEPT" : "DROP", c.packets, c.bytes);
        else
            out += fmt::format("Chain {} ({} references)\n", c.name, references(t, c.name));
        out += "    pkts      bytes target     prot opt in     out     source               destination         \n";
        for (const auto& r : c.rules) out += formatListRow(r) + "\n";
    }
    return out;
}

std::string Ruleset::ruleText(TableId id, int chain, int position) const {
    const Table& t = table(id);
    if (chain < 0 || std::size_t(chain) >= t.chains.size()) return {};
    const auto& c = t.chains[std::size_t(chain)];
    if (position < 1 || std::size_t(position) > c.rules.size()) {
        return c.builtin ? fmt::format(":{} {}", c.name, c.policy == Verdict::Accept ? "ACCEPT" : "DROP") : std::string{};
    }
    return "-A " + c.name + formatRuleSpec(c.rules[std::size_t(position - 1)]);
}

} // namespace stackscope::netfilter
