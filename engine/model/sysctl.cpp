// SPDX-License-Identifier: GPL-3.0-or-later
#include "model/sysctl.h"

#include <charconv>
#include <fmt/format.h>
#include <algorithm>

namespace stackscope {
namespace {

// Defaults: KERNEL-NOTES section 5 and net/ipv4/devinet.c, net/core/hotdata.c.
const std::vector<SysctlInfo> kCatalogue = {
    {"net.core.netdev_max_backlog", "1000", "per-CPU backlog length before CPU_BACKLOG drops"},
    {"net.core.netdev_budget", "300", "packets net_rx_action may process per softirq run"},
    {"net.core.netdev_budget_usecs", "2000", "time limit of one net_rx_action run"},
    {"net.core.dev_weight", "64", "NAPI weight of the backlog pseudo-device"},
    {"net.core.gro_normal_batch", "8", "packets batched before GRO hands them up"},
    {"net.core.rmem_default", "212992", "default socket receive buffer"},
    {"net.core.rmem_max", "4194304", "largest SO_RCVBUF a process may set"},
    {"net.core.wmem_default", "212992", "default socket send buffer"},
    {"net.core.wmem_max", "4194304", "largest SO_SNDBUF a process may set"},
    {"net.core.somaxconn", "4096", "cap on a listen() backlog"},
    {"net.core.default_qdisc", "0", "0 = pfifo_fast (kept numeric: modelled qdiscs only)", 1, 0, 5},
    {"net.ipv4.ip_forward", "0", "forward packets between interfaces", 1, 0, 1},
    {"net.ipv4.ip_default_ttl", "64", "TTL of locally generated packets", 1, 1, 255},
    {"net.ipv4.ip_local_port_range", "32768\t60999", "ephemeral ports for autobind", 2, 1, 65535},
    {"net.ipv4.ip_no_pmtu_disc", "0", "do not set DF on locally generated packets", 1, 0, 3},
    {"net.ipv4.ip_early_demux", "1", "look up the socket before routing", 1, 0, 1},
    {"net.ipv4.udp_early_demux", "1", "early demux for UDP", 1, 0, 1},
    {"net.ipv4.tcp_early_demux", "1", "early demux for TCP", 1, 0, 1},
    {"net.ipv4.udp_rmem_min", "4096", "smallest UDP receive buffer under memory pressure"},
    {"net.ipv4.udp_wmem_min", "4096", "smallest UDP send buffer under memory pressure"},
    {"net.ipv4.icmp_echo_ignore_all", "0", "ignore every echo request", 1, 0, 1},
    {"net.ipv4.icmp_echo_ignore_broadcasts", "1", "ignore echo requests sent to broadcast", 1, 0, 1},
    {"net.ipv4.icmp_ignore_bogus_error_responses", "1", "ignore ICMP errors sent to broadcast", 1, 0, 1},
    {"net.ipv4.icmp_errors_use_inbound_ifaddr", "0", "source ICMP errors from the inbound address", 1, 0, 1},
    {"net.ipv4.icmp_ratelimit", "1000", "ms between ICMP messages per destination (token cost)"},
    {"net.ipv4.icmp_ratemask", "6168", "ICMP types subject to rate limiting (bit mask)"},
    {"net.ipv4.icmp_msgs_per_sec", "1000", "global ICMP send rate"},
    {"net.ipv4.icmp_msgs_burst", "50", "global ICMP burst"},
    {"net.ipv4.tcp_syncookies", "1", "0 off, 1 when the SYN queue overflows, 2 always", 1, 0, 2},
    {"net.ipv4.tcp_max_syn_backlog", "128", "SYN queue length bound"},
    {"net.ipv4.tcp_synack_retries", "5", "SYN-ACK retransmissions", 1, 0, 255},
    {"net.ipv4.tcp_syn_retries", "6", "SYN retransmissions of connect()", 1, 1, 127},
    {"net.ipv4.tcp_syn_linear_timeouts", "4", "SYN retransmissions at 1 s before doubling", 1, 0, 10},
    {"net.ipv4.tcp_timestamps", "1", "RFC 7323 timestamps (1 random offset, 2 none)", 1, 0, 2},
    {"net.ipv4.tcp_sack", "1", "offer selective acknowledgements", 1, 0, 1},
    {"net.ipv4.tcp_window_scaling", "1", "offer window scaling", 1, 0, 1},
    {"net.ipv4.tcp_fin_timeout", "60", "FIN_WAIT2 lifetime of an orphan (s)"},
    {"net.ipv4.tcp_rfc1337", "0", "RSTs do not kill TIME_WAIT sockets", 1, 0, 1},
    {"net.ipv4.tcp_retries2", "15", "data retransmissions before the connection is dropped", 1, 0, 255},
    {"net.ipv4.tcp_pingpong_thresh", "1", "data sent this soon after data received delays ACKs", 1, 1, 255},
    {"net.ipv4.tcp_abort_on_overflow", "0", "RST instead of ignoring when the accept queue is full", 1, 0, 1},
    {"net.ipv4.ipfrag_high_thresh", "4194304", "reassembly memory limit"},
    {"net.ipv4.ipfrag_low_thresh", "3145728", "reassembly memory low mark"},
    {"net.ipv4.ipfrag_time", "30", "seconds a fragment queue may wait"},
    {"net.ipv4.ipfrag_max_dist", "64", "fragment disorder limit per source"},
    {"net.netfilter.nf_conntrack_checksum", "1", "conntrack verifies checksums", 1, 0, 1},
    {"net.netfilter.nf_conntrack_udp_timeout", "30", "unreplied UDP flow lifetime (s)"},
    {"net.netfilter.nf_conntrack_udp_timeout_stream", "120", "replied UDP flow lifetime (s)"},
    {"net.netfilter.nf_conntrack_icmp_timeout", "30", "ICMP flow lifetime (s)"},
    {"net.netfilter.nf_conntrack_tcp_timeout_syn_recv", "60", "TCP SYN_RECV lifetime (s)"},
    {"net.netfilter.nf_conntrack_tcp_timeout_established", "432000", "TCP established lifetime (s)"},
    {"net.netfilter.nf_conntrack_generic_timeout", "600", "lifetime of flows of other protocols (s)"},
    {"net.netfilter.nf_conntrack_tcp_timeout_syn_sent", "120", "TCP SYN_SENT lifetime (s)"},
    {"net.netfilter.nf_conntrack_tcp_timeout_fin_wait", "120", "TCP FIN_WAIT lifetime (s)"},
    {"net.netfilter.nf_conntrack_tcp_timeout_close_wait", "60", "TCP CLOSE_WAIT lifetime (s)"},
    {"net.netfilter.nf_conntrack_tcp_timeout_last_ack", "30", "TCP LAST_ACK lifetime (s)"},
    {"net.netfilter.nf_conntrack_tcp_timeout_time_wait", "120", "TCP TIME_WAIT lifetime (s)"},
    {"net.netfilter.nf_conntrack_tcp_timeout_close", "10", "TCP CLOSE lifetime (s)"},
    {"net.netfilter.nf_conntrack_tcp_timeout_max_retrans", "300", "TCP lifetime after max_retrans retransmits (s)"},
    {"net.netfilter.nf_conntrack_tcp_timeout_unacknowledged", "300", "TCP lifetime with unacknowledged data (s)"},
    {"net.netfilter.nf_conntrack_tcp_loose", "1", "pick up TCP connections mid-stream", 1, 0, 1},
    {"net.netfilter.nf_conntrack_tcp_be_liberal", "0", "accept out-of-window TCP segments", 1, 0, 1},
    {"net.netfilter.nf_conntrack_tcp_ignore_invalid_rst", "0", "accept out-of-window TCP RSTs", 1, 0, 1},
    {"net.netfilter.nf_conntrack_tcp_max_retrans", "3", "retransmits before the max_retrans timeout"},
    {"net.netfilter.nf_conntrack_max", "262144", "conntrack table size"},
    {"net.netfilter.nf_log_all_netns", "0", "LOG target writes in every namespace", 1, 0, 1},
    {"net.ipv4.conf.*.forwarding", "0", "forward packets arriving on this device", 1, 0, 1},
    {"net.ipv4.conf.*.rp_filter", "0", "reverse path filter: 0 off, 1 strict, 2 loose", 1, 0, 2},
    {"net.ipv4.conf.*.accept_local", "0", "accept packets with a local source address", 1, 0, 1},
    {"net.ipv4.conf.*.route_localnet", "0", "route 127/8 addresses on this device", 1, 0, 1},
    {"net.ipv4.conf.*.accept_redirects", "1", "accept ICMP redirects", 1, 0, 1},
    {"net.ipv4.conf.*.send_redirects", "1", "send ICMP redirects", 1, 0, 1},
    {"net.ipv4.conf.*.secure_redirects", "1", "accept redirects only from gateways", 1, 0, 1},
    {"net.ipv4.conf.*.accept_source_route", "0", "accept source-routed packets", 1, 0, 1},
    {"net.ipv4.conf.*.log_martians", "0", "log packets with impossible addresses", 1, 0, 1},
    {"net.ipv4.conf.*.arp_ignore", "0", "which ARP requests to answer", 1, 0, 8},
    {"net.ipv4.conf.*.arp_announce", "0", "source address choice in ARP requests", 1, 0, 2},
    {"net.ipv4.conf.*.arp_filter", "0", "answer ARP only on the routed device", 1, 0, 1},
    {"net.ipv4.conf.*.proxy_arp", "0", "answer ARP for routed addresses", 1, 0, 1},
    {"net.ipv4.conf.*.bc_forwarding", "0", "forward directed broadcasts", 1, 0, 1},
    {"net.ipv4.neigh.*.unres_qlen_bytes", "212992", "bytes queued while a neighbour resolves"},
    {"net.ipv4.neigh.*.unres_qlen", "101", "packets queued while a neighbour resolves"},
    {"net.ipv4.neigh.*.mcast_solicit", "3", "broadcast ARP probes before failure"},
    {"net.ipv4.neigh.*.ucast_solicit", "3", "unicast ARP probes"},
    {"net.ipv4.neigh.*.app_solicit", "0", "probes via the user-space daemon"},
    {"net.ipv4.neigh.*.retrans_time_ms", "1000", "time between ARP probes (ms)"},
    {"net.ipv4.neigh.*.base_reachable_time_ms", "30000", "REACHABLE lifetime (ms)"},
    {"net.ipv4.neigh.*.delay_first_probe_time", "5", "DELAY before the first probe (s)"},
    {"net.ipv4.neigh.*.gc_stale_time", "60", "stale entry lifetime (s)"},
    {"net.ipv4.neigh.*.locktime", "100", "minimum time between lladdr updates (jiffies)"},
};

constexpr std::string_view kConfPrefix = "net.ipv4.conf.";
constexpr std::string_view kNeighPrefix = "net.ipv4.neigh.";

std::string templateKey(std::string_view key, std::string* device) {
    for (auto prefix : {kConfPrefix, kNeighPrefix}) {
        if (!key.starts_with(prefix)) continue;
        auto rest = key.substr(prefix.size());
        // Device names may contain dots (vlan "eth0.10"): the field is after the last dot.
        auto dot = rest.rfind('.');
        if (dot == std::string_view::npos) return std::string(key);
        if (device) *device = std::string(rest.substr(0, dot));
        return fmt::format("{}*.{}", prefix, rest.substr(dot + 1));
    }
    return std::string(key);
}

std::optional<std::vector<std::int64_t>> parseValues(std::string_view text, int fields) {
    std::vector<std::int64_t> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        if (i >= text.size()) break;
        std::size_t j = i;
        while (j < text.size() && text[j] != ' ' && text[j] != '\t') ++j;
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(text.data() + i, text.data() + j, v);
        if (ec != std::errc{} || p != text.data() + j) return std::nullopt;
        out.push_back(v);
        i = j;
    }
    if (int(out.size()) != fields) return std::nullopt;
    return out;
}

std::string joinValues(const std::vector<std::int64_t>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "\t" : "") + std::to_string(v[i]);
    return s;
}

} // namespace

const std::vector<SysctlInfo>& sysctlCatalogue() { return kCatalogue; }

const SysctlInfo* Sysctls::info(std::string_view key) {
    auto t = templateKey(key, nullptr);
    for (const auto& i : kCatalogue)
        if (i.key == t) return &i;
    return nullptr;
}

Sysctls::Sysctls() {
    for (const auto& i : kCatalogue) {
        auto v = *parseValues(i.initial, i.fields);
        std::string k(i.key);
        if (auto star = k.find('*'); star != std::string::npos) {
            for (const char* dev : {"all", "default"}) {
                auto key = k;
                key.replace(star, 1, dev);
                // neigh has only "default" and devices; conf has "all" as well
                if (k.starts_with(kNeighPrefix) && std::string_view(dev) == "all") continue;
                m_values[key] = v;
            }
        } else {
            m_values[k] = v;
        }
    }
}

std::optional<Sysctls::SetError> Sysctls::set(std::string_view key, std::string_view value) {
    // sysctl accepts slashes as separators too.
    std::string k(key);
    for (auto& c : k)
        if (c == '/') c = '.';
    auto it = m_values.find(k);
    if (it == m_values.end()) return SetError::UnknownKey;
    const SysctlInfo* meta = info(k);
    auto parsed = parseValues(value, meta ? meta->fields : 1);
    if (!parsed) return SetError::BadValue;
    for (auto v : *parsed)
        if (meta && (v < meta->min || v > meta->max)) return SetError::OutOfRange;
    it->second = *parsed;
    // net.ipv4.ip_forward and conf.all.forwarding are one switch in devinet.c: writing
    // either sets every device's forwarding too (devinet_forward / inet_forward_change).
    if (k == "net.ipv4.ip_forward" || k == "net.ipv4.conf.all.forwarding") {
        m_values["net.ipv4.ip_forward"] = *parsed;
        m_values["net.ipv4.conf.all.forwarding"] = *parsed;
        m_values["net.ipv4.conf.default.forwarding"] = *parsed;
        for (const auto& d : m_devices) m_values[fmt::format("net.ipv4.conf.{}.forwarding", d)] = *parsed;
    }
    return std::nullopt;
}

std::optional<std::vector<std::int64_t>> Sysctls::values(std::string_view key) const {
    auto it = m_values.find(key);
    if (it == m_values.end()) return std::nullopt;
    return it->second;
}

std::int64_t Sysctls::get(std::string_view key) const {
    auto it = m_values.find(key);
    return it == m_values.end() || it->second.empty() ? 0 : it->second.front();
}

std::int64_t Sysctls::conf(std::string_view device, std::string_view name) const {
    return get(fmt::format("net.ipv4.conf.{}.{}", device, name));
}

void Sysctls::addDevice(std::string_view device) {
    if (std::find(m_devices.begin(), m_devices.end(), device) != m_devices.end()) return;
    m_devices.emplace_back(device);
    for (const auto& i : kCatalogue) {
        std::string k(i.key);
        auto star = k.find('*');
        if (star == std::string::npos) continue;
        auto from = k, to = k;
        from.replace(star, 1, "default");
        to.replace(star, 1, device);
        m_values[to] = m_values[from];
    }
}

void Sysctls::removeDevice(std::string_view device) {
    std::erase(m_devices, std::string(device));
    for (auto prefix : {kConfPrefix, kNeighPrefix}) {
        auto p = fmt::format("{}{}.", prefix, device);
        for (auto it = m_values.lower_bound(p); it != m_values.end() && it->first.starts_with(p);)
            it = m_values.erase(it);
    }
}

std::vector<std::pair<std::string, std::string>> Sysctls::all() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, v] : m_values) out.emplace_back(k, joinValues(v));
    return out;
}

std::vector<std::pair<std::string, std::string>> Sysctls::changed() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, v] : m_values) {
        const SysctlInfo* meta = info(k);
        if (!meta) continue;
        if (joinValues(v) != std::string(meta->initial)) {
            // a device's value equal to conf/default is not a change
            std::string dev;
            auto t = templateKey(k, &dev);
            if (!dev.empty() && dev != "all" && dev != "default") {
                auto def = t;
                def.replace(def.find('*'), 1, "default");
                if (auto d = m_values.find(def); d != m_values.end() && d->second == v) continue;
            }
            out.emplace_back(k, joinValues(v));
        }
    }
    return out;
}

} // namespace stackscope
