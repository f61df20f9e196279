// SPDX-License-Identifier: GPL-3.0-or-later
// The kernel state of one simulated host and the stage functions that act on
// it. Each stage is a member function named after the kernel function it
// models and lives in the .cpp file named after the kernel source it follows.
// Everything here is a value: copying a Host is a snapshot.
#pragma once

#include "model/host_config.h"
#include "netfilter/conntrack.h"
#include "netfilter/ruleset.h"
#include "sim/counters.h"
#include "sim/event_queue.h"
#include "sim/frame.h"
#include "sim/trace.h"
#include "stack/fib.h"
#include "stack/recorded_output.h"
#include "stack/skb.h"
#include "stack/skb_queue.h"
#include "stack/tcp.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace stackscope::stack {

// Deterministic virtual-time costs. The kernel does not document these; they only set the
// pace of the animation and when queues can build up.
inline constexpr Nanos kIrqToSoftirq = 1 * kMicrosecond;   // hard IRQ to NET_RX_SOFTIRQ
inline constexpr Nanos kSoftirqRestart = 10 * kMicrosecond; // re-raised softirq (ksoftirqd)
inline constexpr std::uint64_t kLinkBitsPerSecond = 1'000'000'000; // wire speed of TX
inline constexpr Nanos kWakeupLatency = 5 * kMicrosecond;   // socket wakeup to recvmsg

struct QdiscState {
    QdiscConfig config;
    std::array<std::deque<Skb>, 3> bands; // pfifo_fast uses three; fifos use band 0
    std::uint64_t backlogBytes = 0;
    std::uint32_t backlogPackets = 0;
    // tbf
    // tbf keeps its tokens as time (net/sched/sch_tbf.c): q->tokens and q->t_c in ns.
    std::int64_t tokensNs = 0;
    Nanos tc = 0;
    bool runScheduled = false;
    // fq_codel (net/sched/sch_fq_codel.c): flows chosen by a hash of the addresses,
    // protocol and ports, each a queue with its DRR deficit and CoDel state; the flows with
    // packets sit on the new or the old list.
    struct CodelVars { // include/net/codel.h, times in codel units (1024 ns)
        std::uint32_t count = 0, lastcount = 0;
        bool dropping = false;
        std::uint16_t recInvSqrt = 0;
        std::uint32_t firstAboveTime = 0, dropNext = 0, ldelay = 0;
    };
    struct FqQueued {
        Skb skb;
        std::uint32_t enqueueTime = 0; // codel_set_enqueue_time
        std::uint32_t memUsage = 0;    // get_codel_cb(skb)->mem_usage: the truesize charged
    };
    struct FqFlow {
        RingQueue<FqQueued> queue;
        std::int32_t deficit = 0;
        std::uint32_t backlog = 0; // q->backlogs[idx]
        CodelVars cvars;
        bool listed = false;       // on new_flows or old_flows
    };
    std::vector<FqFlow> flows;     // allocated at the first enqueue
    std::deque<std::uint32_t> newFlows, oldFlows;
    std::uint64_t memoryUsage = 0;
    std::uint32_t maxpacket = 0;   // codel_stats.maxpacket
};

// Sysctl values by key without allocating: the configuration does not change during a run.
struct SysctlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using SysctlCache = std::unordered_map<std::string, std::int64_t, SysctlHash, std::equal_to<>>;

struct Device {
    InterfaceConfig config;
    SysctlCache conf; // net.ipv4.conf.<dev>.<name> by <name>
    // The per-device sysctls the packet path reads, resolved when the config is loaded so
    // no packet pays for a lookup by name.
    struct HotConf {
        std::int64_t rpFilter = 0, acceptLocal = 0, sendRedirects = 0, routeLocalnet = 0;
        std::int64_t acceptSourceRoute = 0;
        std::int64_t neighUnresQlenBytes = 0, neighRetransTimeMs = 0, neighMcastSolicit = 0,
                     neighAppSolicit = 0;
    } hot;
    SkbQueue rxRing;              // frames DMA'd, waiting for NAPI
    bool napiScheduled = false;   // NAPI_STATE_SCHED
    QdiscState qdisc;
    std::uint32_t txRingUsed = 0; // descriptors in flight
    // Sent skbs still charged to a send line's socket, freed by the driver when their
    // descriptor completes: (descriptor number, send line, truesize), in ring order.
    struct TxRingCharge {
        std::uint64_t descriptor;
        int owner;
        std::uint32_t truesize;
    };
    std::deque<TxRingCharge> txRingCharges;
    std::uint64_t txDescriptors = 0, txCompleted = 0; // descriptors used / completed so far
    Nanos txBusyUntil = 0;        // wire serialisation
};

struct SoftnetData {
    SkbQueue inputPktQueue;        // per-CPU backlog
    bool backlogScheduled = false;
    bool softirqRaised = false;
    std::vector<int> pollList;     // devices with NAPI scheduled; -1 = the backlog
};

struct NeighEntry {
    wire::Ipv4Address address;
    int device = 0;
    std::optional<wire::MacAddress> lladdr;
    NeighState state = NeighState::Incomplete;
    std::deque<Skb> arpQueue;      // packets waiting for resolution
    std::uint64_t arpQueueBytes = 0;
    int probes = 0;
    Nanos updated = 0;
    bool timerArmed = false;
    std::uint64_t timerGeneration = 0;
};

struct Socket {
    SocketConfig config;
    std::uint64_t rcvbuf = 0;     // sk_rcvbuf
    std::uint64_t rmemAlloc = 0;  // sk_rmem_alloc
    SkbQueue receiveQueue;        // sk_receive_queue
    std::uint64_t drops = 0;      // sk_drops
    bool readScheduled = false;
    std::uint16_t boundPort = 0;  // after autobind for senders
    Nanos nextReadAllowed = 0;    // rate-limited readers
};

// The socket behind a `send` line (one per line): what its send buffer holds. sk_wmem_alloc
// counts the truesize of every skb it sent that is not yet freed or orphaned (in a qdisc,
// the unresolved neighbour queue, a NIC's TX ring until the completion); sendto waits, or
// fails with EAGAIN when non-blocking, while it is at sk_sndbuf (sock_alloc_send_pskb).
struct SendSocket {
    std::uint64_t sndbuf = 0;      // sk_sndbuf
    std::uint64_t wmemAlloc = 0;   // sk_wmem_alloc less the one reference sk_alloc holds
    bool noSpace = false;          // SOCK_NOSPACE: once out of room, errors count as SndbufErrors
    bool blocked = false;          // the process sleeps in sock_wait_for_wmem
    bool wakeScheduled = false;    // sk_write_space woke it; it runs after kWakeupLatency
    std::uint64_t blockedCall = 0; // which of the line's sendto calls is waiting
    PacketId blockedPacket = kNoPacket; // the id its datagram will carry
    std::uint64_t blockedTimes = 0;     // calls that had to wait (for the narration and tests)
    Nanos nextDue = 0;                  // when the line's next call is due
    // The process opens the socket for its first call and closes it when its last returns;
    // meanwhile ICMP errors about its datagrams find it (__udp4_lib_err).
    bool open = false;
    std::uint16_t port = 0; // bound by `from` or inet_autobind
};

enum class NfHook : std::uint8_t { PreRouting, LocalIn, Forward, LocalOut, PostRouting };

// inet_getpeer starts a peer with rate_last 60 s in the past, so its buckets start full.
struct InetPeer {
    bool initialised = false;
    std::int64_t rateTokens = 0; // jiffies
    std::int64_t rateLast = 0;
    std::uint32_t redirects = 0;
    std::uint32_t fragRid = 0; // fragments seen from this source (ip_frag_too_far)
    std::int64_t redirectLast = 0;
};

// One IPv4 reassembly queue (struct ipq): fragments of one datagram, keyed by
// (saddr, daddr, id, protocol). Fragments are held by value, sorted by offset.
struct FragKey {
    std::uint32_t src = 0;
    std::uint32_t dst = 0;
    std::uint16_t id = 0;
    std::uint8_t protocol = 0;
    auto operator<=>(const FragKey&) const = default;
};

struct QueuedFragment {
    Skb skb;                 // whole packet, header included, trimmed to its data
    std::uint32_t offset = 0; // ip_defrag_offset, bytes
    std::uint32_t end = 0;    // offset + data bytes kept
};

struct FragQueue {
    std::vector<QueuedFragment> fragments; // by offset (the kernel's rb-tree of runs)
    // Runs of fragments that arrived contiguously at the tail (FRAG_CB frag_run_len):
    // a duplicate is a fragment wholly inside one run.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> runs; // [offset, end)
    std::uint32_t tailEnd = 0;  // end of fragments_tail
    bool hasTail = false;
    std::uint32_t len = 0;      // q.len: known or presumed datagram data length
    std::uint32_t meat = 0;     // data bytes received
    bool firstIn = false;       // INET_FRAG_FIRST_IN
    bool lastIn = false;        // INET_FRAG_LAST_IN
    std::uint8_t ecn = 0;       // IPFRAG_ECN_* bits seen
    std::uint16_t maxSize = 0;  // q.max_size
    std::uint16_t maxDfSize = 0;
    int iif = 0;
    std::uint32_t rid = 0;      // inet_peer rid when the last fragment was seen
    std::uint64_t timer = 0;    // id of the pending ip_expire event
};

class Host {
public:
    Host(const HostConfig& config, std::uint64_t seed);

    // --- driving ---
    void setInput(std::shared_ptr<const std::vector<InputFrame>> frames);
    void setInput(FrameSource* source);
    bool hasWork() const;
    bool inputPending() const;
    Nanos nextEventTime() const;
    bool step();
    // Runs every input frame, then every event due within `settle` of the last frame
    // (Simulator::run): the same steps as calling the four above in a loop, with one look
    // at the input per step.
    void runSettled(Nanos settle);
    Nanos now() const { return m_now; }

    std::vector<TraceObserver*> traceObservers;
    // Told of every drop whether or not anyone traces: counting drops by reason must not
    // cost what building a trace event for every stage of every packet costs.
    std::vector<DropObserver*> dropObservers;
    std::vector<TxObserver*> txObservers;

    const HostConfig& config() const { return m_config; }
    const Counters& counters() const { return m_counters; }
    Counters& counters() { return m_counters; }
    std::uint64_t traceCount() const { return m_traceCount; }
    std::uint64_t packetsInjected() const { return m_injected; }
    const std::vector<Device>& devices() const { return m_devices; }
    const std::vector<Socket>& sockets() const { return m_sockets; }
    const std::vector<SendSocket>& sendSockets() const { return m_sendSockets; } // by send line
    const std::map<std::pair<std::uint32_t, int>, NeighEntry>& neighbours() const { return m_neigh; }
    const Fib& fib() const { return m_fib; }
    const Device* device(int ifindex) const;
    std::string deviceName(int ifindex) const;

    // Frames of a capture taken on this host that the host itself sent, and how the
    // engine's own transmissions compare with them (recorded_output.cpp).
    const RecordedOutput& recordedOutput() const { return m_recorded; }
    RecordedOutput& recordedOutput() { return m_recorded; }

    const std::map<FragKey, FragQueue>& fragQueues() const { return m_fragQueues; }
    std::uint64_t fragMemory() const { return m_fragMem; } // frag_mem_limit, truesize bytes

    // --- trace ---
    bool tracing() const { return !traceObservers.empty(); }
    void trace(const Skb& skb, Stage stage, Verdict verdict, std::string detail,
               DropReason reason = DropReason::None, bool withBytes = false);
    void drop(Skb& skb, Stage stage, DropReason reason, std::string detail);
    // The same effects without building an event, for runs nobody traces (trace_macros.h).
    void countTrace() { ++m_traceCount; }
    void dropQuiet(Skb& skb, Stage stage, DropReason reason);
    void releaseDropped(Skb& skb, DropReason reason); // what every drop does, traced or not

    // --- receive: nic.cpp (driver, NAPI, net_rx_action) ---
    void netdevReceive(InputFrame&& frame);
    void napi_schedule(int ifindex);
    void net_rx_action(int cpu);
    int napi_poll(int ifindex, int budget);
    void veth_xmit(Skb&& skb);
    void loopback_xmit(int ifindex, Skb&& skb); // dev_xmit.cpp

    // --- receive: dev.cpp ---
    bool enqueue_to_backlog(Skb& skb, int cpu);
    int process_backlog(int cpu, int budget);
    void netif_receive_skb(Skb&& skb);
    void __netif_receive_skb_core(Skb&& skb);

    // --- gro ---
    // net/core/gro.c, inet_gro_receive (af_inet.c), tcp4_gro_receive (tcp_offload.c): each
    // NAPI instance holds packets per flow-hash bucket and batches GRO_NORMAL ones.
    static constexpr std::size_t kGroHashBuckets = 8; // GRO_HASH_BUCKETS
    static constexpr std::size_t kMaxGroSkbs = 8;     // MAX_GRO_SKBS per bucket
    struct GroHeld {
        Skb skb;                    // the first segment, grown by every merge
        std::vector<PacketId> ids;  // the segments it holds, the first one included
        std::uint32_t hash = 0;     // skb_get_hash_raw
        std::uint16_t count = 1;    // NAPI_GRO_CB(p)->count
        std::uint32_t payload = 0;  // skb_gro_len(p): TCP payload bytes held
        std::int64_t age = 0;       // NAPI_GRO_CB(p)->age, jiffies
        bool fixedId = false;       // NAPI_GRO_CB(p)->ip_fixedid
        std::uint8_t lastFrags = 0; // nr_frags of NAPI_GRO_CB(p)->last
    };
    struct GroNapi {
        std::array<std::deque<GroHeld>, kGroHashBuckets> hash; // gro_hash lists, youngest first
        std::vector<Skb> rxList;    // GRO_NORMAL skbs waiting for gro_normal_list
        std::vector<Skb> rxBatch;   // gro_normal_list's storage, kept so batches reuse it
        std::uint32_t rxCount = 0;  // segments on rxList
        std::uint32_t groBitmask = 0; // napi->gro_bitmask: the hash lists holding packets
    };
    const GroNapi* groNapi(int ifindex) const; // nullptr before the first poll
    // The NIC's receive hash (RSS Toeplitz, default key): addresses, and ports for TCP.
    static std::uint32_t rxHash(const Skb& skb);
    // napi_complete_done (flushOld false) or a poll that used its whole weight (true):
    // complete held packets, then pass the GRO_NORMAL batch up.
    void gro_flush_normal(GroNapi& napi, bool flushOld);
    void napi_gro_receive(GroNapi& napi, Skb&& skb);

private:
    void dev_gro_receive(GroNapi& napi, Skb&& skb);
    void napi_gro_complete(GroNapi& napi, GroHeld&& held, std::string_view why, PacketId cause);
    void napi_gro_flush(GroNapi& napi, bool flushOld);
    void gro_normal_one(GroNapi& napi, Skb&& skb, std::uint16_t segs);
    void gro_normal_list(GroNapi& napi);
    // By ifindex, sized to every device at the first poll so that a poll nested inside
    // another (veth_xmit runs the softirq) never moves the outer poll's instance.
    std::vector<GroNapi> m_gro;

public:
    // --- end gro ---

    // --- arp.cpp ---
    void arp_rcv(Skb skb);
    void arp_send(std::uint16_t op, int device, wire::Ipv4Address dstIp, wire::Ipv4Address srcIp,
                  const wire::MacAddress& dstHw, const wire::MacAddress& targetHw, PacketId cause);
    void arp_solicit(NeighEntry& n, PacketId cause);

    // --- ip_input.cpp ---
    void ip_rcv(Skb&& skb);
    void ip_rcv_finish(Skb&& skb);
    void ip_local_deliver(Skb&& skb);
    void ip_local_deliver_finish(Skb&& skb);

    // --- ip_fragment.cpp ---
    // ip_defrag: true when `skb` now holds the reassembled datagram; false when the
    // fragment was queued (stolen) or dropped (traced here either way).
    bool ip_defrag(Skb& skb);
    void ip_expire(std::uint64_t timer);
    // ip_do_fragment: splits a non-DF datagram larger than `mtu` into fragments, each sent
    // through ip_finish_output2.
    void ip_do_fragment(Skb skb, std::uint32_t mtu);

    // --- route.cpp ---
    void ip_route_input_noref(Skb& skb, DropReason& reason);
    struct OutputRoute {
        int error = 0; // ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL
        Dst dst;
        wire::Ipv4Address source;
    };
    OutputRoute ip_route_output(wire::Ipv4Address daddr, wire::Ipv4Address saddr, int oif = 0);
    bool isLocalAddress(wire::Ipv4Address a) const;
    wire::Ipv4Address inet_select_addr(int device, wire::Ipv4Address dst, int scope) const;

    // --- netfilter_hooks.cpp ---
    // NF_HOOK: runs the tables registered at this hook; false when the packet was dropped or
    // stolen (the hook traced it). Inline like the kernel's nf_hook: with no table registered
    // a packet passes without a call.
    bool nfHook(Skb& skb, NfHook hook, int in, int out) {
        return !m_nfActive || nf_hook_slow(skb, hook, in, out);
    }
    bool nf_hook_slow(Skb& skb, NfHook hook, int in, int out);

    // --- ip_forward.cpp ---
    void ip_forward(Skb&& skb);
    void ip_error(Skb&& skb);

    // --- udp.cpp ---
    void __udp4_lib_rcv(Skb&& skb);
    void udp_recvmsg(int socket);
    void udp_sendmsg(int sendIndex, std::uint64_t number);
    // skb_set_owner_w / sock_wfree: charge a send line's socket with the skb's truesize, and
    // give it back when the skb is freed or orphaned, waking a sender that waits for room.
    void skb_set_owner_w(Skb& skb, int sendIndex);
    void sock_wfree(int sendIndex, std::uint32_t truesize);
    void sock_wfree(Skb& skb) {
        if (skb.wmemOwner >= 0) sock_wfree(std::exchange(skb.wmemOwner, -1), skb.truesize);
    }

    // --- icmp.cpp ---
    void icmp_rcv(Skb&& skb);
    void icmp_send(const Skb& in, std::uint8_t type, std::uint8_t code, std::uint32_t info,
                   Stage from);

    // --- ip_output.cpp ---
    void ip_local_out(Skb skb);
    void ip_output(Skb skb);
    void ip_finish_output(Skb skb);
    void ip_finish_output2(Skb skb);
    std::uint16_t nextIpId(wire::Ipv4Address dst, std::uint8_t protocol);

    // --- neighbour.cpp ---
    void neigh_output(Skb skb, wire::Ipv4Address nexthop);
    void neigh_timer(std::uint32_t address, int device, std::uint64_t generation);
    void neigh_update(wire::Ipv4Address ip, int device, const wire::MacAddress& mac, NeighState state);

    // ip_send_skb's view of the transmit: a qdisc dropped this packet on enqueue
    // (NET_XMIT_DROP, -ENOBUFS), or the OUTPUT or POSTROUTING hook dropped it (-EPERM).
    bool xmitDropped(PacketId id) const { return m_xmitDropped == id; }
    bool xmitRefused(PacketId id) const { return m_xmitRefused == id; }

    // --- dev_xmit.cpp ---
    void dev_queue_xmit(Skb skb);
    void qdisc_run(int ifindex);
    // The next packet of pfifo_fast, pfifo, bfifo or tbf (nullopt: empty, or tbf refused).
    std::optional<Skb> dequeueFifo(int ifindex, QdiscState& q);
    // sch_fq_codel.cpp: enqueue (with the limit's batch drop from the fattest flow) and
    // dequeue (DRR over the flows, CoDel on each); both keep the qdisc's counters.
    void fq_codel_enqueue(Device& d, Skb&& skb);
    std::optional<Skb> fq_codel_dequeue(Device& d);
    void tx_complete(int ifindex);

    // --- helpers shared by stages ---
    // Input frames are numbered 1..N in arrival order; packets the host makes itself get
    // ids from kGeneratedPacketBase on, so frame numbers stay stable.
    PacketId newPacketId() { return kGeneratedPacketBase + ++m_nextPacketId; }
    const netfilter::Ruleset& ruleset() const { return m_rules; }
    const netfilter::Conntrack& conntrack() const { return m_conntrack; }
    bool conntrackActive() const { return m_ctActive; }
    void schedule(Event e) { m_events.schedule(e); }
    // Every stage looks its device up, so this stays inline.
    Device* dev(int ifindex) {
        if (ifindex <= 0 || std::size_t(ifindex) >= m_devices.size()) return nullptr;
        Device& d = m_devices[std::size_t(ifindex)];
        return d.config.ifindex == ifindex ? &d : nullptr;
    }
    Socket* socketAt(int i) { return i >= 0 && std::size_t(i) < m_sockets.size() ? &m_sockets[std::size_t(i)] : nullptr; }
    std::int64_t jiffies() const { return m_now / kJiffy; }
    std::int64_t sysctl(std::string_view key) const {
        auto it = m_sysctlCache.find(key);
        return it != m_sysctlCache.end() ? it->second : m_config.sysctls.get(key);
    }
    std::int64_t devConf(int ifindex, std::string_view name) const;
    bool devForwarding(int ifindex) const { return devConf(ifindex, "forwarding") != 0; }
    InetPeer& peer(wire::Ipv4Address a) {
        InetPeer& p = m_peers[a.value];
        if (!p.initialised) {
            p.initialised = true;
            p.rateLast = p.redirectLast = jiffies() - 60 * kHz;
        }
        return p;
    }

private:
    void injectNextInputIfDue();
    // The next input frame without taking it (nullptr when none); no copy per look.
    const InputFrame* peekInput();
    void buildDerivedState();

    HostConfig m_config;
    Counters m_counters;
    EventQueue m_events;
    Nanos m_now = 0;
    Context m_context = Context::SoftIrq;
    std::uint64_t m_traceCount = 0;
    std::uint64_t m_injected = 0;
    PacketId m_nextPacketId = 0;
    std::mt19937_64 m_rng;

    std::vector<Device> m_devices;     // index = ifindex (0 unused)
    std::vector<SoftnetData> m_softnet;
    std::vector<Socket> m_sockets;
    std::map<std::pair<std::uint32_t, int>, NeighEntry> m_neigh; // (address, device)
    std::map<std::uint32_t, InetPeer> m_peers;
    Fib m_fib;
    netfilter::Ruleset m_rules;
    SysctlCache m_sysctlCache;
public:
    // Global sysctls read per packet, resolved with m_sysctlCache (see buildDerivedState).
    struct HotSysctls {
        std::int64_t netdevMaxBacklog = 0, netdevBudget = 0, devWeight = 0, groNormalBatch = 0;
        std::int64_t confAllRpFilter = 0, confAllSendRedirects = 0, confAllRouteLocalnet = 0;
        std::int64_t icmpRatemask = 0, icmpRatelimit = 0, icmpErrorsUseInboundIfaddr = 0;
        std::int64_t ipDefaultTtl = 0;
    };
    const HotSysctls& hotSysctls() const { return m_hot; }
    // A device's HotConf; all zero for an unknown ifindex, as devConf() answers then.
    const Device::HotConf& hotConf(int ifindex) const {
        static const Device::HotConf none;
        const Device* d = device(ifindex);
        return d ? d->hot : none;
    }
private:
    HotSysctls m_hot;
    // The packet whose enqueue a qdisc refused last (NET_XMIT_DROP seen by ip_send_skb).
    PacketId m_xmitDropped = kNoPacket;
    PacketId m_xmitRefused = kNoPacket; // the last packet netfilter dropped on its way out
    netfilter::Conntrack m_conntrack;
    bool m_nfActive = false; // some table is registered
    bool m_ctActive = false; // some rule needs connection tracking (nf_ct_netns_get)
    // ICMP global rate limit (per netns since 6.12): icmp_global_credit / icmp_global_stamp.
    std::int64_t m_icmpGlobalCredit = 0;
    std::int64_t m_icmpGlobalStamp = 0;
    bool m_icmpGlobalInit = false;
    std::uint32_t m_ipIdCounter = 0;
    std::map<std::uint32_t, std::uint16_t> m_ipIdents;
    std::vector<SendSocket> m_sendSockets; // index = send line
    // IPv4 reassembly (fqdir): queues, memory charged in truesize, timer ids.
    std::map<FragKey, FragQueue> m_fragQueues;
    std::uint64_t m_fragMem = 0;
    std::uint64_t m_fragTimerSerial = 0;
    void fragQueueDestroy(std::map<FragKey, FragQueue>::iterator it, bool timedOut, const std::string& why);
    void armFragTimer(FragQueue& q);
    bool ip_frag_queue(std::map<FragKey, FragQueue>::iterator it, Skb& skb);
    bool ip_frag_reasm(std::map<FragKey, FragQueue>::iterator it, Skb& skb);

    // Input: in-memory frames with a cursor (snapshots copy the cursor) or a stream.
    std::shared_ptr<const std::vector<InputFrame>> m_frames;
    std::size_t m_frameCursor = 0;
    FrameSource* m_source = nullptr;
    bool m_readAheadDue = false; // streamed: the frame in front was taken, read on

    // Recorded output (recorded_output.cpp): the input is read ahead so the host's own
    // frames are in m_recorded before the engine makes the choices they show.
    bool isOwnFrame(const InputFrame& frame) const;
    void recordOwnFrame(const InputFrame& frame);
    void attachRecordedTap();
    // step() prefetches the bytes of the frame this many places behind the next input.
    static constexpr std::size_t kInputPrefetchDistance = 4;
    static constexpr std::size_t kInputPrefetchBytes = frame_buffers::kCapacity;
    void readAhead();   // streamed input
    void lineUpInput(); // in-memory input
    // The interface a frame arrives on, by name; where the last one was found is tried
    // first because a capture's frames all name the same interface.
    const InterfaceConfig* inputInterface(std::string_view name) const;
    mutable std::size_t m_inputInterfaceHint = 0;
    std::uint16_t tcpInetId(const TcpFlowKey& key);
    RecordedOutput m_recorded;
    RecordedOutputTap m_recordedTap;
    RingQueue<InputFrame> m_readAhead; // received frames read ahead, in order
    Nanos m_readAheadTime = 0;          // time of the last frame read from the source
    bool m_readAheadDone = false;
    std::size_t m_recordScan = 0;       // in-memory: frames before this were looked at
    std::size_t m_cursorChecked = SIZE_MAX;
    std::map<TcpFlowKey, std::uint16_t> m_tcpInetId; // inet_id of full sockets

    friend bool icmpGlobalAllow(Host&);
    friend void icmpGlobalConsume(Host&);

    // --- tcp ---
public:
    // net/ipv4/tcp_ipv4.c, tcp_input.c, tcp_minisocks.c, tcp_output.c, syncookies.c
    void tcp_v4_rcv(Skb skb);
    void tcpTimer(TcpTimerKind kind, std::uint64_t value); // Event::Kind::TcpTimer
    const TcpTables& tcpTables() const { return m_tcp; }

private:
    TcpTables m_tcp;
    void tcpInitSecrets();
    std::uint32_t tcpHash(std::uint64_t secret, const TcpFlowKey& k) const;
    // The choices the kernel makes at random for a new connection; every site asks here.
    std::uint32_t secure_tcp_seq(const TcpFlowKey& key) const;
    std::uint32_t secure_tcp_ts_off(const TcpFlowKey& key) const;
    // __inet_hash_connect: the ephemeral port of an active open (partialKey.localPort is 0);
    // 0 when every port of ip_local_port_range is taken (EADDRNOTAVAIL).
    std::uint16_t inet_hash_connect_port(const TcpFlowKey& partialKey);
    void tcpArmTimer(TcpTimerKind kind, std::uint32_t id, Nanos at, std::uint64_t& gen);
    std::uint32_t tcpClockMs() const { return std::uint32_t(m_now / kMillisecond); }
    TcpListener& tcpListener(int index);
    int __inet_lookup_listener(wire::Ipv4Address daddr, std::uint16_t dport, int dif) const;
    // countOutSegs is false for retransmissions (__tcp_transmit_skb counts only new segments).
    bool tcpTransmit(const TcpFlowKey& key, std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                     std::uint16_t window, const wire::TcpOptions& opts, std::uint8_t tos,
                     bool ctlSock, PacketId cause, std::string why,
                     std::span<const std::uint8_t> payload = {}, bool countOutSegs = true);
    void tcp_v4_send_reset(const Skb& in, std::string why);
    void tcp_v4_send_ack(const Skb& in, std::uint32_t seq, std::uint32_t ack, std::uint16_t window,
                         std::optional<wire::TcpTimestamps> ts, std::uint8_t tos, std::string why);
    void tcp_v4_do_rcv_listen(int listener, Skb& skb);
    void tcp_conn_request(int listener, Skb& skb);
    bool tcp_v4_send_synack(TcpRequestSock& req, bool cookie, PacketId cause);
    void tcp_check_req(std::uint32_t reqId, Skb& skb);
    void reqskQueueDrop(std::uint32_t reqId);
    void reqsk_timer_handler(std::uint32_t reqId);
    std::optional<std::uint16_t> cookie_v4_check(int listener, const Skb& skb);
    std::uint32_t cookie_v4_init_sequence(const TcpFlowKey& k, std::uint32_t seq, std::uint16_t& mss);
    std::uint32_t tcpCreateChild(int listener, const TcpRequestSock& req, const Skb& skb);
    void tcp_rcv_state_process(std::uint32_t sockId, Skb& skb);
    void tcp_data_queue(TcpSock& tp, Skb& skb);
    void tcpSendAck(TcpSock& tp, PacketId cause, std::string why);
    void tcpAckSndCheck(TcpSock& tp, PacketId cause);
    void tcp_delack_timer(std::uint32_t sockId);
    void tcp_done(std::uint32_t sockId);
    void inet_csk_accept(int listener);
    void tcp_recvmsg(std::uint32_t sockId);
    void tcpScheduleAccept(int listener);
    void tcpScheduleRead(TcpSock& tp);
    // Active side: tcp_ipv4.c tcp_v4_connect, tcp_output.c, tcp_timer.c, tcp_minisocks.c.
    std::int64_t tcpSysctl(std::string_view key, std::int64_t fallback) const;
    void tcp_v4_connect(int connectIndex);
    // tcp_v4_err: an ICMP error quoting a segment this host sent (icmp_rcv's dispatch).
    void tcp_v4_err(const Skb& icmp, std::uint8_t type, std::uint8_t code,
                    wire::Ipv4Address localAddr, wire::Ipv4Address remoteAddr,
                    std::span<const std::uint8_t> quotedTcp);
    // lock_sock / release_sock around an application's call on a TCP socket.
    struct TcpOwnedByUser {
        Host& host;
        std::uint32_t id;
        bool previous = false; // calls nest (send() then close() in one line)
        TcpOwnedByUser(Host& h, std::uint32_t sockId);
        ~TcpOwnedByUser();
    };
    void tcpAppSend(std::uint32_t sockId);
    bool tcpTransmitSkb(TcpSock& tp, std::uint32_t seq, std::uint32_t len, std::uint8_t flags,
                        bool retransmission, PacketId cause, std::string why);
    void tcp_write_xmit(TcpSock& tp, PacketId cause);
    void tcp_send_fin(TcpSock& tp, PacketId cause);
    void tcp_close(std::uint32_t sockId, PacketId cause);
    void tcpRearmRto(TcpSock& tp);
    void tcpAck(TcpSock& tp, std::uint32_t ack, std::uint16_t rawWindow, std::optional<std::uint32_t> tsecr);
    void tcp_retransmit_timer(std::uint32_t sockId);
    void tcp_rcv_synsent_state_process(std::uint32_t sockId, Skb& skb);
    void tcp_time_wait(std::uint32_t sockId, TcpState substate, Nanos timeo);
    void tcp_timewait_state_process(std::uint32_t twId, Skb& skb);
    void inet_twsk_kill(std::uint32_t twId);
    // --- end tcp ---
};

} // namespace stackscope::stack
