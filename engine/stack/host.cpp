// SPDX-License-Identifier: GPL-3.0-or-later
// Host construction, the event loop and trace emission.
#include "stack/host.h"

#include "netfilter/iptables_input.h"

#include <algorithm>
#include <fmt/format.h>

namespace stackscope::stack {

std::string_view pktTypeName(PktType t) {
    switch (t) {
    case PktType::Host: return "PACKET_HOST";
    case PktType::Broadcast: return "PACKET_BROADCAST";
    case PktType::Multicast: return "PACKET_MULTICAST";
    case PktType::OtherHost: return "PACKET_OTHERHOST";
    case PktType::Outgoing: return "PACKET_OUTGOING";
    }
    return "?";
}

Host::Host(const HostConfig& config, std::uint64_t seed)
    : m_config(config), m_counters(std::max(1, config.cpus)), m_rng(seed) {
    buildDerivedState();
    // The ID generator starts from a seeded value, as the kernel's starts from a random one.
    m_ipIdCounter = std::uint32_t(m_rng());
    // Applications' send lines become events at their start time, each with its socket:
    // sock_setsockopt(SO_SNDBUF) takes min(val, wmem_max) doubled, at least SOCK_MIN_SNDBUF.
    m_sendSockets.assign(m_config.sends.size(), SendSocket{});
    for (std::size_t i = 0; i < m_config.sends.size(); ++i) {
        const SendConfig& s = m_config.sends[i];
        SendSocket& sk = m_sendSockets[i];
        sk.sndbuf = std::uint64_t(sysctl("net.core.wmem_default"));
        if (s.sndbuf) {
            std::int64_t v = std::min<std::int64_t>(*s.sndbuf, sysctl("net.core.wmem_max"));
            v = std::min<std::int64_t>(v, INT32_MAX / 2);
            sk.sndbuf = std::uint64_t(std::max<std::int64_t>(v * 2, kSockMinSndbuf));
        }
        if (s.count > 0) schedule({s.start, 0, Event::Kind::AppSend, int(i), 0});
    }
    // `connect` lines: the application's connect() is a TCP timer event at its start time.
    for (std::size_t i = 0; i < m_config.connects.size(); ++i)
        schedule({m_config.connects[i].start, 0, Event::Kind::TcpTimer, int(TcpTimerKind::Connect), i});
}

void Host::buildDerivedState() {
    int maxIndex = 0;
    for (const auto& i : m_config.interfaces) maxIndex = std::max(maxIndex, i.ifindex);
    m_devices.assign(std::size_t(maxIndex + 1), Device{});
    for (const auto& i : m_config.interfaces) {
        Device& d = m_devices[std::size_t(i.ifindex)];
        d.config = i;
        QdiscConfig q;
        if (i.qdisc) q = *i.qdisc;
        else if (i.kind == LinkKind::Veth || i.kind == LinkKind::Loopback || i.kind == LinkKind::Dummy)
            q.kind = QdiscKind::Noqueue; // IFF_NO_QUEUE devices
        else q.kind = QdiscKind::PfifoFast;
        d.qdisc.config = q;
        if (q.kind == QdiscKind::Tbf && q.rateBytesPerSec)
            d.qdisc.tokensNs = std::int64_t(q.burstBytes) * kSecond / std::int64_t(q.rateBytesPerSec);
    }
    m_softnet.assign(std::size_t(std::max(1, m_config.cpus)), SoftnetData{});
    for (const auto& [key, value] : m_config.sysctls.all()) {
        const std::int64_t first = m_config.sysctls.get(key);
        m_sysctlCache[key] = first;
        constexpr std::string_view confPrefix = "net.ipv4.conf.";
        if (!key.starts_with(confPrefix)) continue;
        const std::string_view rest = std::string_view(key).substr(confPrefix.size());
        const auto dot = rest.rfind('.');
        if (dot == std::string_view::npos) continue;
        for (auto& d : m_devices)
            if (d.config.ifindex && d.config.name == rest.substr(0, dot))
                d.conf[std::string(rest.substr(dot + 1))] = first;
    }
    m_sockets.clear();
    for (const auto& s : m_config.sockets) {
        Socket sk;
        sk.config = s;
        // sock_setsockopt(SO_RCVBUF): min(val, rmem_max) doubled, at least SOCK_MIN_RCVBUF.
        if (s.rcvbuf) {
            std::int64_t v = std::min<std::int64_t>(*s.rcvbuf, sysctl("net.core.rmem_max"));
            sk.rcvbuf = std::uint64_t(std::max<std::int64_t>(v * 2, kSockMinRcvbuf));
        } else {
            sk.rcvbuf = std::uint64_t(sysctl("net.core.rmem_default"));
        }
        sk.boundPort = s.port;
        m_sockets.push_back(std::move(sk));
    }
    m_fib.rebuild(m_config);
    m_hot.netdevMaxBacklog = sysctl("net.core.netdev_max_backlog");
    m_hot.netdevBudget = sysctl("net.core.netdev_budget");
    m_hot.devWeight = sysctl("net.core.dev_weight");
    m_hot.groNormalBatch = sysctl("net.core.gro_normal_batch");
    m_hot.confAllRpFilter = sysctl("net.ipv4.conf.all.rp_filter");
    m_hot.confAllSendRedirects = sysctl("net.ipv4.conf.all.send_redirects");
    m_hot.confAllRouteLocalnet = sysctl("net.ipv4.conf.all.route_localnet");
    m_hot.icmpRatemask = sysctl("net.ipv4.icmp_ratemask");
    m_hot.icmpRatelimit = sysctl("net.ipv4.icmp_ratelimit");
    m_hot.icmpErrorsUseInboundIfaddr = sysctl("net.ipv4.icmp_errors_use_inbound_ifaddr");
    m_hot.ipDefaultTtl = sysctl("net.ipv4.ip_default_ttl");
    for (auto& d : m_devices) {
        if (!d.config.ifindex) continue;
        const int i = d.config.ifindex;
        const auto neigh = [&](std::string_view name) {
            return m_config.sysctls.get(fmt::format("net.ipv4.neigh.{}.{}", d.config.name, name));
        };
        d.hot = {devConf(i, "rp_filter"), devConf(i, "accept_local"), devConf(i, "send_redirects"),
                 devConf(i, "route_localnet"), devConf(i, "accept_source_route"),
                 neigh("unres_qlen_bytes"), neigh("retrans_time_ms"), neigh("mcast_solicit"),
                 neigh("app_solicit")};
    }
    // The scenario reader validated these; a line the model refuses changes nothing, as
    // a failed iptables command leaves the kernel's tables alone.
    for (const auto& in : m_config.iptables) netfilter::applyIptablesInput(m_rules, in);
    for (int t = 0; t < netfilter::kTableCount; ++t) {
        const auto& table = m_rules.table(netfilter::TableId(t));
        if (!table.present) continue;
        m_nfActive = true;
        if (table.id == netfilter::TableId::Nat) m_ctActive = true;
        for (const auto& chain : table.chains)
            for (const auto& rule : chain.rules) {
                using netfilter::MatchKind;
                using netfilter::TargetKind;
                for (const auto& m : rule.matches)
                    if (m.kind == MatchKind::Conntrack || m.kind == MatchKind::State) m_ctActive = true;
                switch (rule.target.kind) {
                case TargetKind::Connmark: case TargetKind::Ct: case TargetKind::Notrack:
                case TargetKind::Dnat: case TargetKind::Snat: case TargetKind::Masquerade:
                case TargetKind::Redirect: m_ctActive = true; break;
                default: break;
                }
            }
    }
    m_conntrack.setSettings(netfilter::ctSettingsFromSysctls([this](std::string_view key) { return sysctl(key); }));
    for (const auto& n : m_config.neighbours) {
        const auto* d = m_config.findInterface(n.device);
        if (!d) continue;
        NeighEntry e;
        e.address = n.address;
        e.device = d->ifindex;
        e.lladdr = n.lladdr;
        e.state = n.state;
        m_neigh[{n.address.value, d->ifindex}] = std::move(e);
    }
}

const Device* Host::device(int ifindex) const { return const_cast<Host*>(this)->dev(ifindex); }

std::string Host::deviceName(int ifindex) const {
    const Device* d = device(ifindex);
    return d ? d->config.name : std::string();
}

std::int64_t Host::devConf(int ifindex, std::string_view name) const {
    const Device* d = device(ifindex);
    if (!d) return 0;
    if (auto it = d->conf.find(name); it != d->conf.end()) return it->second;
    return m_config.sysctls.conf(d->config.name, name);
}

// ---- input ----

void Host::setInput(std::shared_ptr<const std::vector<InputFrame>> frames) {
    m_frames = std::move(frames);
    m_frameCursor = 0;
    m_source = nullptr;
    m_recordScan = 0;
    m_cursorChecked = SIZE_MAX;
}

void Host::setInput(FrameSource* source) {
    m_frames.reset();
    m_source = source;
    m_readAheadDue = true;
    m_readAhead.clear();
    m_readAheadDone = false;
}

const InputFrame* Host::peekInput() {
    if (m_frames) {
        lineUpInput(); // the host's own frames are recorded output, not input
        if (m_frameCursor < m_frames->size()) return &(*m_frames)[m_frameCursor];
        return nullptr;
    }
    if (!m_source) return nullptr;
    if (m_readAheadDue) {
        m_readAheadDue = false;
        readAhead(); // our own frames go to m_recorded
    }
    return m_readAhead.empty() ? nullptr : &m_readAhead.front();
}

bool Host::inputPending() const {
    return const_cast<Host*>(this)->peekInput() != nullptr;
}

bool Host::hasWork() const {
    auto* self = const_cast<Host*>(this);
    return !m_events.empty() || self->peekInput() != nullptr;
}

Nanos Host::nextEventTime() const {
    auto* self = const_cast<Host*>(this);
    Nanos t = INT64_MAX;
    if (!m_events.empty()) t = m_events.top().time;
    if (auto f = self->peekInput()) t = std::min(t, f->time);
    return t == INT64_MAX ? m_now : t;
}

void Host::runSettled(Nanos settle) {
    Nanos lastInput = m_now;
    for (;;) {
        // hasWork(), nextEventTime() and inputPending() of Simulator::run, from one peek.
        const InputFrame* input = peekInput();
        if (!input && m_events.empty()) break;
        Nanos t = m_events.empty() ? INT64_MAX : m_events.top().time;
        if (input) t = std::min(t, input->time);
        if (t > lastInput + settle && !input) break;
        const std::uint64_t before = m_injected;
        step();
        if (m_injected != before) lastInput = m_now;
    }
}

bool Host::step() {
    Nanos inputTime = INT64_MAX;
    if (auto f = peekInput()) inputTime = f->time;
    const Nanos eventTime = m_events.empty() ? INT64_MAX : m_events.top().time;
    if (inputTime == INT64_MAX && eventTime == INT64_MAX) return false;
    if (inputTime <= eventTime) {
        if (m_frames) {
            InputFrame frame = (*m_frames)[m_frameCursor++]; // shared by snapshots: a copy
            m_now = std::max(m_now, frame.time);
            ++m_injected;
            netdevReceive(std::move(frame));
        } else {
            // Frames a few places back are processed while this one is: their bytes,
            // loaded now, are in this core's cache by then (the checksum reads them all).
            if (m_readAhead.size() > kInputPrefetchDistance)
                prefetchFrame(m_readAhead[kInputPrefetchDistance], kInputPrefetchBytes);
            InputFrame& frame = m_readAhead.front();
            m_now = std::max(m_now, frame.time);
            ++m_injected;
            netdevReceive(std::move(frame));
            m_readAhead.pop_front();
            m_readAheadDue = true;
        }
        return true;
    }
    Event e = m_events.pop();
    m_now = std::max(m_now, e.time);
    switch (e.kind) {
    case Event::Kind::NetRxAction: net_rx_action(e.object); break;
    case Event::Kind::AppRead: udp_recvmsg(e.object); break;
    case Event::Kind::AppSend: udp_sendmsg(e.object, e.value); break;
    case Event::Kind::NeighTimer:
        neigh_timer(std::uint32_t(e.value >> 32), e.object, e.value & 0xffffffffu);
        break;
    case Event::Kind::QdiscRun:
        // The qdisc watchdog is one timer per qdisc: it fires once, then may be armed again.
        if (Device* d = dev(e.object)) d->qdisc.runScheduled = false;
        qdisc_run(e.object);
        break;
    case Event::Kind::TxComplete: tx_complete(e.object); break;
    case Event::Kind::IpFragExpire: ip_expire(e.value); break;
    case Event::Kind::TcpTimer: tcpTimer(TcpTimerKind(e.object), e.value); break;
    }
    return true;
}

// ---- trace ----

void Host::trace(const Skb& skb, Stage stage, Verdict verdict, std::string detail, DropReason reason,
                 bool withBytes) {
    ++m_traceCount;
    if (traceObservers.empty()) return;
    TraceEvent e;
    e.seq = m_traceCount - 1;
    e.time = m_now;
    e.cpu = std::uint16_t(skb.cpu);
    e.context = m_context;
    e.stage = stage;
    e.function = stageKernelFunction(stage);
    e.packet = skb.id;
    e.ifindex = skb.device;
    e.verdict = verdict;
    e.reason = reason;
    e.detail = std::move(detail);
    if (withBytes) e.bytes = std::make_shared<const std::vector<std::uint8_t>>(skb.data);
    e.counters = m_counters.takeJournal();
    for (auto* o : traceObservers) o->onTrace(e);
}

void Host::releaseDropped(Skb& skb, DropReason reason) {
    skb.reason = reason;
    sock_wfree(skb); // kfree_skb runs the destructor
    // A connection whose first packet dies before confirmation is forgotten with it.
    if (skb.ct && !m_conntrack.isConfirmed(skb.ct)) m_conntrack.destroyUnconfirmed(skb.ct);
}

void Host::dropQuiet(Skb& skb, Stage stage, DropReason reason) {
    releaseDropped(skb, reason);
    for (auto* o : dropObservers) o->onDrop(reason, stage);
    countTrace();
}

void Host::drop(Skb& skb, Stage stage, DropReason reason, std::string detail) {
    releaseDropped(skb, reason);
    for (auto* o : dropObservers) o->onDrop(reason, stage);
    trace(skb, stage, Verdict::Dropped, std::move(detail), reason);
}

} // namespace stackscope::stack
