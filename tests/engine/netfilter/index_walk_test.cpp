// SPDX-License-Identifier: GPL-3.0-or-later
// The table walk skips rules through a destination-port index on long chains. These
// tests hold it to a plain walk that asks ruleMatches about every rule in turn, on
// random chains and random packets: same verdicts, same deciding rule, same counters.
#include "netfilter/match.h"
#include "netfilter/nf_log.h"
#include "netfilter/ruleset.h"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <random>
#include <sstream>

using namespace stackscope;
using namespace stackscope::netfilter;

namespace {

std::vector<std::string> split(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

struct WalkResult {
    Verdict verdict = Verdict::Accept;
    bool byPolicy = false;
    std::optional<RejectWith> reject;
    int chain = -1;
    int position = 0;
    std::vector<std::string> logs;
};

// ipt_do_table without shortcuts: every rule of the chain goes through ruleMatches.
WalkResult plainWalk(Table& t, Hook hook, const PacketInfo& p, Nanos now) {
    WalkResult res;
    int start = -1;
    for (std::size_t k = 0; k < t.chains.size(); ++k)
        if (t.chains[k].builtin && t.chains[k].hook == hook) start = int(k);
    if (start < 0) return res;
    const PacketFields f = readPacketFields(p.ip);
    const std::uint64_t len = p.ip.size();
    std::vector<std::pair<int, std::size_t>> stack;
    int c = start;
    std::size_t r = 0;
    auto policy = [&] {
        Chain& base = t.chains[std::size_t(start)];
        if (base.policyCounted) {
            base.packets += 1;
            base.bytes += len;
        }
        res.verdict = base.policy;
        res.byPolicy = true;
        res.chain = start;
        res.position = 0;
        return res;
    };
    auto decide = [&](Verdict v) {
        res.verdict = v;
        res.chain = c;
        res.position = int(r) + 1;
        return res;
    };
    while (true) {
        Chain& chain = t.chains[std::size_t(c)];
        if (r >= chain.rules.size()) {
            if (stack.empty()) return policy();
            std::tie(c, r) = stack.back();
            stack.pop_back();
            ++r;
            continue;
        }
        Rule& rule = chain.rules[r];
        if (!ruleMatches(rule, f, p, now)) {
            ++r;
            continue;
        }
        rule.packets += 1;
        rule.bytes += len;
        const Target& tg = rule.target;
        switch (tg.kind) {
        case TargetKind::Accept:
            return decide(Verdict::Accept);
        case TargetKind::Drop:
            return decide(Verdict::Drop);
        case TargetKind::Reject:
            res.reject = tg.reject;
            return decide(Verdict::Drop);
        case TargetKind::Return:
            if (stack.empty()) return policy();
            std::tie(c, r) = stack.back();
            stack.pop_back();
            ++r;
            continue;
        case TargetKind::Jump:
            if (stack.size() == 16) return decide(Verdict::Drop);
            stack.emplace_back(c, r);
            c = tg.chainIndex;
            r = 0;
            continue;
        case TargetKind::Goto:
            c = tg.chainIndex;
            r = 0;
            continue;
        case TargetKind::Log:
            res.logs.push_back(nfLogIpPacket(p, tg.logPrefix, tg.logFlags));
            break;
        case TargetKind::None:
            break;
        default:
            FAIL("the generator made a target the plain walk does not model");
        }
        ++r;
    }
}

// Ports the rules use and the packets aim at, so that both hit range edges often.
const std::vector<std::uint16_t> kPorts = {0,    1,    7,    22,   53,   80,    443,   1023,  1024,
                                           1025, 2000, 2048, 4095, 4096, 5000,  8080,  10000, 32768,
                                           40000, 50000, 60000, 65534, 65535};

class Generator {
  public:
    explicit Generator(std::uint32_t seed) : m_rng(seed) {}

    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(m_rng); }
    bool chance(int percent) { return pick(100) < percent; }
    std::uint16_t port() { return kPorts[std::size_t(pick(int(kPorts.size())))]; }

    // "80", "1000:2000", "9:3" (iptables swaps a reversed range), ":1024", "60000:".
    std::string portSpec() {
        switch (pick(6)) {
        case 0:
        case 1:
            return fmt::format("{}", port());
        case 2: {
            int a = port(), span = pick(3) == 0 ? pick(5000) : pick(40);
            return fmt::format("{}:{}", a, std::min(65535, a + span));
        }
        case 3:
            return fmt::format("{}:{}", port(), port());
        case 4:
            return fmt::format(":{}", port());
        default:
            return fmt::format("{}:", port());
        }
    }

    std::string ruleSpec(const std::vector<std::string>& callable) {
        std::string s;
        if (chance(20)) s += pick(2) ? " -s 10.0.0.0/24" : " ! -s 10.0.0.1";
        if (chance(15)) s += pick(2) ? " -d 10.0.0.2" : " ! -d 172.16.0.0/12";
        if (chance(10)) s += pick(2) ? " -i eth0" : " ! -i eth+";
        const int kind = pick(10);
        if (kind <= 5) { // tcp / udp ports, the rules the index keys on
            const char* proto = pick(3) ? "udp" : "tcp";
            s += fmt::format(" -p {}", proto);
            if (chance(90)) s += fmt::format(" {}--dport {}", chance(15) ? "! " : "", portSpec());
            if (chance(25)) s += fmt::format(" {}--sport {}", chance(30) ? "! " : "", portSpec());
            if (chance(10)) // a second port match the quick check does not see
                s += fmt::format(" -m {} {}--dport {}", proto, chance(50) ? "! " : "", portSpec());
        } else if (kind == 6) {
            s += fmt::format(" -p udp -m multiport --dports {},{}:{}", port(), port(), port());
        } else if (kind == 7) {
            s += chance(50) ? " -f" : " ! -f";
        } else if (kind == 8) {
            s += pick(2) ? " -p icmp" : " ! -p udp";
        } // else: no match beyond the addresses, the rule keys on nothing
        const int target = pick(20);
        if (target < 3 && !callable.empty()) {
            s += fmt::format(" {} {}", pick(3) ? "-j" : "-g", callable[std::size_t(pick(int(callable.size())))]);
        } else if (target < 6) {
            s += " -j ACCEPT";
        } else if (target < 9) {
            s += " -j DROP";
        } else if (target < 10) {
            s += " -j REJECT";
        } else if (target < 12) {
            s += " -j RETURN";
        } else if (target < 13) {
            s += " -j LOG --log-prefix x:";
        } // else no target: the rule only counts
        return s;
    }

    std::vector<std::uint8_t> packet() {
        const std::uint8_t protos[] = {17, 17, 6, 6, 1, 47};
        const std::uint8_t proto = protos[pick(6)];
        const std::uint32_t srcs[] = {0x0a000001, 0x0a000005, 0x0a000101, 0xc0a80101};
        const std::uint32_t dsts[] = {0x0a000002, 0x0a000009, 0xac100001};
        const std::uint32_t src = srcs[pick(4)], dst = dsts[pick(3)];
        std::uint16_t frag = 0;
        const int fragKind = pick(10);
        if (fragKind == 0) frag = 0x2000;                              // first fragment (MF)
        else if (fragKind == 1) frag = std::uint16_t(1 + pick(100));   // later fragment
        else if (fragKind == 2) frag = std::uint16_t(0x2000 | (1 + pick(100)));
        std::vector<std::uint8_t> l4;
        auto portNear = [&]() -> std::uint16_t {
            if (chance(20)) return std::uint16_t(pick(65536));
            return std::uint16_t(port() + pick(3) - 1);
        };
        const std::uint16_t sport = portNear(), dport = portNear();
        if (proto == 17 || proto == 6) {
            l4 = {std::uint8_t(sport >> 8), std::uint8_t(sport), std::uint8_t(dport >> 8), std::uint8_t(dport)};
            const std::size_t size = proto == 6 ? 20 : 8;
            while (l4.size() < size) l4.push_back(std::uint8_t(pick(256)));
            if (chance(5)) l4.resize(std::size_t(pick(int(size)))); // truncated transport header
        } else if (proto == 1) {
            l4 = {std::uint8_t(pick(2) ? 8 : 3), std::uint8_t(pick(4)), 0, 0, 0, 0, 0, 0};
        } else {
            l4.assign(8, 0);
        }
        const std::size_t total = 20 + l4.size();
        std::vector<std::uint8_t> ip = {0x45, 0, std::uint8_t(total >> 8), std::uint8_t(total), 0x12, 0x34,
                                        std::uint8_t(frag >> 8), std::uint8_t(frag), 64, proto, 0, 0,
                                        std::uint8_t(src >> 24), std::uint8_t(src >> 16), std::uint8_t(src >> 8),
                                        std::uint8_t(src), std::uint8_t(dst >> 24), std::uint8_t(dst >> 16),
                                        std::uint8_t(dst >> 8), std::uint8_t(dst)};
        ip.insert(ip.end(), l4.begin(), l4.end());
        return ip;
    }

  private:
    std::mt19937 m_rng;
};

// Adds a rule unless the parser refuses it (a generated combination iptables does not take).
bool tryRule(Ruleset& rs, const std::string& chainCmd, const std::string& spec) {
    return !rs.command(split("iptables " + chainCmd + spec)).has_value();
}

void requireSameCounters(const Table& indexed, const Table& plain) {
    REQUIRE(indexed.chains.size() == plain.chains.size());
    for (std::size_t c = 0; c < plain.chains.size(); ++c) {
        const Chain& a = indexed.chains[c];
        const Chain& b = plain.chains[c];
        INFO("chain " << b.name);
        CHECK(a.packets == b.packets);
        CHECK(a.bytes == b.bytes);
        REQUIRE(a.rules.size() == b.rules.size());
        for (std::size_t r = 0; r < b.rules.size(); ++r) {
            INFO("rule " << r + 1);
            CHECK(a.rules[r].packets == b.rules[r].packets);
            CHECK(a.rules[r].bytes == b.rules[r].bytes);
        }
    }
}

// Builds INPUT with 8..200 rules and user chains U0..U3 (a chain only calls later ones,
// so the calls never loop), then runs packets through both walks, changing the chains
// halfway so the index must be rebuilt.
void runSeed(std::uint32_t seed) {
    INFO("seed " << seed);
    Generator g(seed);
    Ruleset rs;
    const std::vector<std::string> user = {"U0", "U1", "U2", "U3"};
    for (const auto& u : user) REQUIRE_FALSE(rs.command(split("iptables -N " + u)).has_value());
    if (g.chance(50)) REQUIRE_FALSE(rs.command(split("iptables -P INPUT DROP")).has_value());
    const int inputRules = 8 + g.pick(193);
    for (int added = 0; added < inputRules;)
        if (tryRule(rs, "-A INPUT", g.ruleSpec(user))) ++added;
    for (std::size_t u = 0; u < user.size(); ++u) {
        const std::vector<std::string> later(user.begin() + std::ptrdiff_t(u) + 1, user.end());
        const int n = g.chance(50) ? 8 + g.pick(60) : g.pick(8);
        for (int added = 0; added < n;)
            if (tryRule(rs, "-A " + user[u], g.ruleSpec(later))) ++added;
    }

    Table plain = rs.table(TableId::Filter);
    auto sendPackets = [&](int count) {
        for (int i = 0; i < count; ++i) {
            const auto bytes = g.packet();
            PacketInfo p;
            p.ip = bytes;
            p.inDev = g.pick(2) ? "eth0" : "eth1";
            PacketInfo q = p;
            const Nanos now = Nanos(i) * 1000;
            const TraversalResult a = rs.traverse(TableId::Filter, Hook::LocalIn, p, now);
            const WalkResult b = plainWalk(plain, Hook::LocalIn, q, now);
            INFO("packet " << i << " " << fmt::format("{:02x}", fmt::join(bytes, " ")));
            REQUIRE(a.verdict == b.verdict);
            REQUIRE(a.byPolicy == b.byPolicy);
            REQUIRE(a.chain == b.chain);
            REQUIRE(a.position == b.position);
            REQUIRE(a.reject == b.reject);
            REQUIRE(a.logs.size() == b.logs.size());
            for (std::size_t k = 0; k < b.logs.size(); ++k) CHECK(a.logs[k].text == b.logs[k]);
        }
    };
    sendPackets(300);
    requireSameCounters(rs.table(TableId::Filter), plain);

    // Insert, replace and delete rules: the next walk must see the new chain.
    for (int k = 0; k < 6; ++k) {
        const int n = int(rs.table(TableId::Filter).chains[std::size_t(rs.findChain(TableId::Filter, "INPUT"))].rules.size());
        switch (g.pick(3)) {
        case 0:
            tryRule(rs, fmt::format("-I INPUT {}", 1 + g.pick(n + 1)), g.ruleSpec(user));
            break;
        case 1:
            tryRule(rs, fmt::format("-R INPUT {}", 1 + g.pick(n)), g.ruleSpec(user));
            break;
        default:
            if (n > 1) REQUIRE_FALSE(rs.command(split(fmt::format("iptables -D INPUT {}", 1 + g.pick(n)))).has_value());
        }
    }
    plain = rs.table(TableId::Filter);
    sendPackets(300);
    requireSameCounters(rs.table(TableId::Filter), plain);
}

} // namespace

TEST_CASE("indexed walk equals the plain rule-by-rule walk on random chains", "[netfilter][traverse][index]") {
    for (std::uint32_t seed = 1; seed <= 120; ++seed) runSeed(seed);
}

TEST_CASE("indexed walk: many rules on one port and wide ranges", "[netfilter][traverse][index]") {
    // Rules overlapping on one port, a range wider than the index takes, and a rule after
    // the overlap that only a packet to another port reaches.
    Ruleset rs;
    for (int i = 0; i < 40; ++i)
        REQUIRE_FALSE(rs.command(split(fmt::format("iptables -A INPUT -p udp --dport 50:{}", 60 + i))).has_value());
    REQUIRE_FALSE(rs.command(split("iptables -A INPUT -p udp --dport 1000:30000 -j DROP")).has_value());
    REQUIRE_FALSE(rs.command(split("iptables -A INPUT -p udp ! --dport 55 -j REJECT")).has_value());
    REQUIRE_FALSE(rs.command(split("iptables -A INPUT -p udp --dport 55 -j ACCEPT")).has_value());
    Table plain = rs.table(TableId::Filter);
    for (std::uint16_t dport : {0, 49, 50, 55, 59, 60, 61, 99, 100, 999, 1000, 30000, 30001, 65535}) {
        INFO("dport " << dport);
        std::vector<std::uint8_t> ip = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                                        0x13, 0x88, std::uint8_t(dport >> 8), std::uint8_t(dport), 0, 8, 0, 0};
        PacketInfo p;
        p.ip = ip;
        PacketInfo q = p;
        const TraversalResult a = rs.traverse(TableId::Filter, Hook::LocalIn, p, 0);
        const WalkResult b = plainWalk(plain, Hook::LocalIn, q, 0);
        CHECK(a.verdict == b.verdict);
        CHECK(a.position == b.position);
        CHECK(a.reject == b.reject);
    }
    requireSameCounters(rs.table(TableId::Filter), plain);
}
