# SPDX-License-Identifier: GPL-3.0-or-later
"""Hand-written conformance cases: each aims at one kernel behaviour.

A case is a dict: name, doc, scenario (the scenario file text), frames (a list of
(seconds, frame bytes) the generator sends to eth0), and optionally settle (seconds),
tx_ifaces (other DUT interfaces whose transmissions are compared).
"""
from packets import (BCAST_MAC, DUT_MAC, ETH_P_ARP, ETH_P_IP, GEN_MAC, OTHER_MAC, arp, eth, icmp,
                     icmp_echo, ipv4, udp)

DUT = "10.0.0.2"
CLIENT = "10.0.0.7"

BASE = """\
ip link add eth0 type veth peer name gen0
ip link set dev lo up
ip link set dev eth0 address 02:00:00:00:00:02 up
ip addr add 10.0.0.2/24 brd + dev eth0
ip route add default via 10.0.0.1 dev eth0
ip neigh replace 10.0.0.1 lladdr 02:00:00:00:00:fe dev eth0 nud permanent
ip neigh replace 10.0.0.7 lladdr 02:00:00:00:00:fe dev eth0 nud permanent
"""

# A second interface for forwarding cases: a veth whose peer sits in a sink namespace,
# where the harness captures what the DUT sends on it.
UPLINK = """\
ip link add eth1 type veth peer name sink0
ip link set dev eth1 address 02:00:00:00:01:02 up
ip addr add 192.168.50.1/24 dev eth1
ip neigh replace 192.168.50.9 lladdr 02:00:00:00:01:09 dev eth1 nud permanent
"""


def to_dut(payload_ip, mac=DUT_MAC):
    return eth(mac, GEN_MAC, ETH_P_IP, payload_ip)


def udp_to(dport, data=b"hello", sport=40000, src=CLIENT, dst=DUT, bad_udp=False, **ipkw):
    return to_dut(ipv4(src, dst, 17, udp(src, dst, sport, dport, data, bad_csum=bad_udp), **ipkw))


def echo_to(seq, dst=DUT, src=CLIENT, mac=DUT_MAC, bad_csum=False, **ipkw):
    return to_dut(ipv4(src, dst, 1, icmp_echo(0x4242, seq, b"stackscope-echo!", bad_csum), **ipkw), mac)


def echo_reply_to(seq, src=CLIENT, **ipkw):
    """An echo reply nobody asked for: conntrack cannot start a connection with it."""
    return to_dut(ipv4(src, DUT, 1, icmp(0, 0, (0x4242).to_bytes(2, "big") + seq.to_bytes(2, "big"),
                                           b"stackscope-echo!"), **ipkw))


def spaced(frames, gap=0.001, start=0.0):
    return [(start + i * gap, f) for i, f in enumerate(frames)]


def case(name, doc, extra, frames, **kw):
    return dict(name=name, doc=doc, scenario=BASE + extra, frames=frames, **kw)


def all_cases():
    cs = []
    cs.append(case("udp_closed_port_ratelimit", "10 datagrams to a closed port: 6 port unreachables",
                   "", spaced([udp_to(9, sport=40000 + i, ident=0x100 + i) for i in range(10)])))
    cs.append(case("udp_open_read_all", "20 datagrams to a socket that reads everything",
                   "socket udp bind 0.0.0.0:5353 read all\n",
                   spaced([udp_to(5353, b"q" * 40, ident=i) for i in range(20)], 0.002)))
    cs.append(case("udp_read_none_overflow", "300 datagrams to a default-rcvbuf socket that never reads",
                   "socket udp bind 10.0.0.2:514 read none\n",
                   spaced([udp_to(514, b"log line", sport=41000, ident=i) for i in range(300)], 0.0002)))
    cs.append(case("udp_small_rcvbuf", "SO_RCVBUF 4096 and 40 datagrams of 200 bytes, never read",
                   "socket udp bind 0.0.0.0:7000 rcvbuf 4096 read none\n",
                   spaced([udp_to(7000, b"z" * 200, ident=i) for i in range(40)], 0.0005)))
    cs.append(case("udp_rcvbuf_16k_payload_600", "SO_RCVBUF 16384, 600-byte datagrams, never read",
                   "socket udp bind 0.0.0.0:7001 rcvbuf 16384 read none\n",
                   spaced([udp_to(7001, b"y" * 600, ident=i) for i in range(60)], 0.0005)))
    cs.append(case("ip_bad_header_checksum", "5 packets with a bad IPv4 header checksum",
                   "", spaced([udp_to(9, bad_csum=True, ident=i) for i in range(5)])))
    cs.append(case("ip_bad_version", "version 6 in an IPv4 ethertype frame",
                   "", spaced([udp_to(9, version=6, ident=i) for i in range(3)])))
    cs.append(case("ip_ihl_below_5", "ihl 4", "", spaced([udp_to(9, ihl=4, ident=i) for i in range(3)])))
    cs.append(case("ip_truncated_tot_len", "tot_len larger than the frame",
                   "", spaced([udp_to(9, b"abcdefgh", tot_len=200, ident=i) for i in range(4)])))
    cs.append(case("ip_tot_len_below_ihl", "tot_len 16, smaller than the header",
                   "", spaced([udp_to(9, tot_len=16, ident=i) for i in range(2)])))
    cs.append(case("ip_ethernet_padding", "frames padded past tot_len (InOctets counts the padding)",
                   "", spaced([udp_to(9, b"") + b"\0" * 18, echo_to(1) + b"\0" * 30])))
    cs.append(case("udp_bad_checksum_closed_port", "bad UDP checksum to a closed port: no ICMP",
                   "", spaced([udp_to(9, bad_udp=True, ident=i) for i in range(4)])))
    cs.append(case("udp_bad_checksum_open_socket", "bad UDP checksum to a reading socket",
                   "socket udp bind 0.0.0.0:5353 read all\n",
                   spaced([udp_to(5353, bad_udp=True, ident=i) for i in range(3)] +
                          [udp_to(5353, b"good", ident=9)])))
    cs.append(case("icmp_echo", "three echo requests", "", spaced([echo_to(s) for s in range(1, 4)], 0.01)))
    cs.append(case("icmp_echo_bad_checksum", "echo request with a bad ICMP checksum",
                   "", spaced([echo_to(1, bad_csum=True), echo_to(2)])))
    bcast = [echo_to(s, dst="10.0.0.255", mac=BCAST_MAC) for s in range(1, 3)]
    cs.append(case("icmp_echo_broadcast_ignored", "echo to the subnet broadcast, ignore_broadcasts 1",
                   "sysctl -w net.ipv4.icmp_echo_ignore_broadcasts=1\n", spaced(bcast)))
    cs.append(case("icmp_echo_broadcast_answered", "echo to the subnet broadcast, ignore_broadcasts 0",
                   "sysctl -w net.ipv4.icmp_echo_ignore_broadcasts=0\n", spaced(bcast)))
    cs.append(case("icmp_echo_ignore_all", "echo requests with icmp_echo_ignore_all 1",
                   "sysctl -w net.ipv4.icmp_echo_ignore_all=1\n", spaced([echo_to(1), echo_to(2)])))
    cs.append(case("forwarding_off_addr_error", "packet for another host with forwarding off",
                   UPLINK, spaced([udp_to(7, dst="192.168.50.9", ident=i) for i in range(3)]),
                   tx_ifaces=["eth1"]))
    fwd = UPLINK + "sysctl -w net.ipv4.ip_forward=1\n"
    cs.append(case("forward_ttl_1", "forwarding on, TTL 1: time exceeded",
                   fwd, spaced([udp_to(7, dst="192.168.50.9", ttl=1, ident=i) for i in range(3)]),
                   tx_ifaces=["eth1"]))
    cs.append(case("forward_ok", "forwarding on, TTL 9: leaves eth1 with TTL 8",
                   fwd, spaced([udp_to(7, b"forward me", dst="192.168.50.9", ttl=9, ident=i)
                                for i in range(4)]), tx_ifaces=["eth1"]))
    cs.append(case("forward_no_route", "forwarding on, no route to the destination",
                   "sysctl -w net.ipv4.ip_forward=1\nip route del default\n",
                   spaced([udp_to(7, dst="198.51.100.1", ident=i) for i in range(3)])))
    cs.append(case("ip_unknown_protocol", "IP protocol 253: protocol unreachable",
                   "", spaced([to_dut(ipv4(CLIENT, DUT, 253, b"experimental", ident=i)) for i in range(2)])))
    cs.append(case("eth_unknown_ethertype", "ethertype 0x88b5 has no handler: rx_dropped",
                   "", spaced([eth(DUT_MAC, GEN_MAC, 0x88B5, b"\x01" * 46) for _ in range(3)])))
    cs.append(case("arp_request_for_us", "ARP who-has 10.0.0.2 from a new neighbour",
                   "", spaced([eth(BCAST_MAC, GEN_MAC, ETH_P_ARP,
                                   arp(1, GEN_MAC, "10.0.0.5", b"\0" * 6, DUT)),
                               eth(BCAST_MAC, GEN_MAC, ETH_P_ARP,
                                   arp(1, GEN_MAC, "10.0.0.5", b"\0" * 6, "10.0.0.99"))])))
    other = eth(OTHER_MAC, GEN_MAC, ETH_P_IP, ipv4(CLIENT, DUT, 17, udp(CLIENT, DUT, 1, 9, b"x")))
    cs.append(case("frame_for_other_mac", "unicast frame to another MAC: OTHERHOST",
                   "", spaced([other] * 3)))
    cs.append(case("martian_own_source", "source address is our own: dropped before delivery",
                   "", spaced([echo_to(1, src=DUT), udp_to(9, src=DUT)])))
    cs.append(case("martian_loopback_source", "source 127.0.0.1 on eth0",
                   "", spaced([echo_to(1, src="127.0.0.1")])))
    cs.append(case("rp_filter_strict", "strict rp_filter: the source routes via eth1",
                   UPLINK + "ip route add 172.16.0.0/16 via 192.168.50.9 dev eth1\n"
                   "sysctl -w net.ipv4.conf.all.rp_filter=1\n",
                   spaced([echo_to(1, src="172.16.5.5"), echo_to(2, src="198.51.100.20")]),
                   tx_ifaces=["eth1"]))
    cs.append(case("rp_filter_loose", "loose rp_filter: any route back passes",
                   UPLINK + "ip route add 172.16.0.0/16 via 192.168.50.9 dev eth1\n"
                   "sysctl -w net.ipv4.conf.all.rp_filter=2\nip route del default\n",
                   spaced([echo_to(1, src="172.16.5.5"), echo_to(2, src="198.51.100.20")]),
                   tx_ifaces=["eth1"]))
    cs.append(case("iptables_input_drop", "INPUT DROP for udp dport 9, others to port 10",
                   "iptables -A INPUT -p udp --dport 9 -j DROP\n",
                   spaced([udp_to(9, ident=i) for i in range(5)] + [udp_to(10, ident=9 + i) for i in range(3)])))
    cs.append(case("iptables_reject", "REJECT udp dport 7 (port unreachable, rate-limited)",
                   "iptables -A INPUT -p udp --dport 7 -j REJECT\n",
                   spaced([udp_to(7, ident=i) for i in range(8)])))
    cs.append(case("iptables_policy_drop", "INPUT policy DROP, icmp accepted by a rule",
                   "iptables-restore <<'EOF'\n*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n"
                   ":OUTPUT ACCEPT [0:0]\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\nEOF\n",
                   spaced([echo_to(1), udp_to(9), udp_to(53), echo_to(2)])))
    cs.append(case("iptables_user_chain_return", "user chain with RETURN, then a DROP in INPUT",
                   "iptables -N checks\niptables -A checks -p udp --dport 53 -j RETURN\n"
                   "iptables -A checks -p udp -j DROP\niptables -A INPUT -j checks\n",
                   spaced([udp_to(53), udp_to(9), echo_to(1)])))
    cs.append(case("send_udp", "the host sends 5 datagrams from a bound socket",
                   "send udp 10.0.0.7:9 from 10.0.0.2:4000 count 5 interval 10ms size 100\n", []))
    cs += more_cases()
    return cs


def ipt(*rules):
    return "".join(f"iptables {r}\n" for r in rules)


def more_cases():
    """Netfilter state, NAT, matches and targets, qdisc, neighbour and socket pacing."""
    cs = []
    fwd = UPLINK + "sysctl -w net.ipv4.ip_forward=1\n"
    # Conntrack sees both directions: the DUT answers each echo request, so the second and
    # third request of the same id are ESTABLISHED; the unsolicited echo reply and the UDP
    # datagram with a bad checksum are INVALID.
    cs.append(case("ct_state_echo", "conntrack NEW/ESTABLISHED/INVALID counters with ping traffic",
                   ipt("-A INPUT -m conntrack --ctstate INVALID -j DROP",
                       "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT",
                       "-A INPUT -m conntrack --ctstate NEW -j ACCEPT",
                       "-A OUTPUT -m conntrack --ctstate ESTABLISHED",
                       "-A OUTPUT -m conntrack --ctstate NEW"),
                   spaced([echo_to(1), echo_to(2), echo_to(3), echo_reply_to(7),
                           udp_to(9, bad_udp=True, ident=0x77)], 0.01)))
    # The DUT opens the UDP flow (10.0.0.2:4000 -> 10.0.0.7:53); the generator's answers
    # are ESTABLISHED, reach a closed port and the port unreachable goes out RELATED.
    # The first frame (to another MAC) only delays the answers past the DUT's send.
    filler = eth(OTHER_MAC, GEN_MAC, ETH_P_IP, ipv4(CLIENT, DUT, 17, udp(CLIENT, DUT, 1, 9, b"x")))
    answers = [udp_to(4000, b"answer", sport=53, ident=0x300 + i) for i in range(3)]
    cs.append(case("ct_state_udp_flow", "UDP flow opened by the DUT: replies ESTABLISHED, errors RELATED",
                   ipt("-A INPUT -p udp -m conntrack --ctstate ESTABLISHED",
                       "-A INPUT -p udp -m conntrack --ctstate NEW",
                       "-A OUTPUT -p udp -m conntrack --ctstate NEW",
                       "-A OUTPUT -p icmp -m conntrack --ctstate RELATED",
                       "-A OUTPUT -p icmp -m conntrack --ctstate ESTABLISHED")
                   + "send udp 10.0.0.7:53 from 10.0.0.2:4000 count 1 size 20\n",
                   [(0.0, filler)] + spaced(answers + [udp_to(4000, b"new", sport=54, ident=0x310)],
                                            0.01, start=0.4)))
    cs.append(case("state_match", "-m state NEW / ESTABLISHED,RELATED with echo and UDP",
                   ipt("-A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT",
                       "-A INPUT -m state --state NEW -p icmp -j ACCEPT",
                       "-A INPUT -m state --state NEW -p udp --dport 5353 -j ACCEPT",
                       "-A INPUT -m state --state INVALID",
                       "-P INPUT DROP")
                   + "socket udp bind 0.0.0.0:5353 read all\n",
                   spaced([echo_to(1), echo_to(2), udp_to(5353, ident=1), udp_to(5353, ident=2),
                           udp_to(9, ident=3), echo_reply_to(4)], 0.01)))
    # Five connections (distinct source ports), then three datagrams of one connection:
    # the nat table sees only the first packet of each connection.
    dnat = [udp_to(5353, b"dns?", sport=41000 + i, ident=0x400 + i) for i in range(5)]
    dnat += [udp_to(5353, b"again", sport=41000, ident=0x410 + i) for i in range(3)]
    cs.append(case("nat_dnat_prerouting", "DNAT udp dport 5353 to 10.0.0.2:53 where a socket reads",
                   ipt("-t nat -A PREROUTING -p udp --dport 5353 -j DNAT --to-destination 10.0.0.2:53",
                       "-A INPUT -p udp --dport 53", "-A INPUT -p udp --dport 5353")
                   + "socket udp bind 0.0.0.0:53 read all\n", spaced(dnat, 0.005)))
    cs.append(case("nat_redirect", "REDIRECT udp dport 8053 to port 53; other port unchanged",
                   ipt("-t nat -A PREROUTING -p udp --dport 8053 -j REDIRECT --to-ports 53")
                   + "socket udp bind 10.0.0.2:53 read all\n",
                   spaced([udp_to(8053, sport=42000 + i, ident=i) for i in range(3)]
                          + [udp_to(8054, sport=42100, ident=9)], 0.005)))
    fwd_udp = [udp_to(7000 + i, b"masq me", dst="192.168.50.9", sport=43000 + i, ident=0x500 + i)
               for i in range(3)]
    fwd_udp += [udp_to(7000, b"masq me", dst="192.168.50.9", sport=43000, ident=0x510)]
    cs.append(case("nat_masquerade_forward", "MASQUERADE on eth1: forwarded source becomes 192.168.50.1",
                   fwd + ipt("-t nat -A POSTROUTING -o eth1 -j MASQUERADE"),
                   spaced(fwd_udp, 0.005), tx_ifaces=["eth1"]))
    cs.append(case("nat_snat_port_forward", "SNAT to 192.168.50.1:3000: every flow gets source port 3000",
                   fwd + ipt("-t nat -A POSTROUTING -o eth1 -p udp -j SNAT --to-source 192.168.50.1:3000",
                             "-A FORWARD -o eth1"),
                   spaced(fwd_udp, 0.005), tx_ifaces=["eth1"]))
    cs.append(case("reject_variants", "REJECT with net-unreachable, host-prohibited, admin-prohibited",
                   ipt("-A INPUT -p udp --dport 11 -j REJECT --reject-with icmp-net-unreachable",
                       "-A INPUT -p udp --dport 12 -j REJECT --reject-with icmp-host-prohibited",
                       "-A INPUT -p udp --dport 13 -j REJECT --reject-with icmp-admin-prohibited"),
                   spaced([udp_to(11 + i % 3, ident=i) for i in range(6)], 0.005)))
    cs.append(case("log_target", "LOG counts and continues; the DROP after it drops",
                   ipt("-A INPUT -p udp --dport 9 -j LOG --log-prefix \"udp9 \"",
                       "-A INPUT -p udp --dport 9 -j DROP", "-A INPUT -p icmp -j LOG"),
                   spaced([udp_to(9, ident=i) for i in range(3)] + [echo_to(1), echo_to(2)])))
    cs.append(case("mark_set_and_match", "mangle MARK in PREROUTING, -m mark in INPUT",
                   ipt("-t mangle -A PREROUTING -p udp --dport 9 -j MARK --set-mark 0x5",
                       "-t mangle -A PREROUTING -p icmp -j MARK --set-xmark 0x3/0xff",
                       "-A INPUT -m mark --mark 0x5 -j DROP",
                       "-A INPUT -m mark --mark 0x1/0x1"),
                   spaced([udp_to(9, ident=1), udp_to(9, ident=2), udp_to(10, ident=3), echo_to(1)])))
    cs.append(case("match_multiport_iprange", "multiport dports and iprange source",
                   "ip neigh replace 10.0.0.5 lladdr 02:00:00:00:00:fe dev eth0 nud permanent\n"
                   "ip neigh replace 10.0.0.20 lladdr 02:00:00:00:00:fe dev eth0 nud permanent\n"
                   "ip neigh replace 10.0.0.9 lladdr 02:00:00:00:00:fe dev eth0 nud permanent\n"
                   + ipt("-A INPUT -p udp -m multiport --dports 20,21,9 -j DROP",
                         "-A INPUT -p udp -m multiport --sports 1000:1010",
                         "-A INPUT -m iprange --src-range 10.0.0.5-10.0.0.9 -j ACCEPT",
                         "-A INPUT -m iprange ! --src-range 10.0.0.5-10.0.0.9"),
                   spaced([udp_to(9, ident=1), udp_to(21, sport=1005, ident=2), udp_to(22, sport=1011, ident=3),
                           udp_to(23, src="10.0.0.5", ident=4), echo_to(1, src="10.0.0.20"),
                           echo_to(2, src="10.0.0.9")])))
    cs.append(case("match_length_ttl", "length range and ttl matches",
                   ipt("-A INPUT -m length --length 100:200 -j DROP",
                       "-A INPUT -m ttl --ttl-lt 10 -j DROP",
                       "-A INPUT -m ttl --ttl-eq 64", "-A INPUT -m ttl --ttl-gt 100"),
                   spaced([udp_to(9, b"a" * 80, ident=1), udp_to(9, b"a" * 172, ident=2),
                           udp_to(9, b"a" * 173, ident=3), udp_to(9, ttl=5, ident=4),
                           udp_to(9, ttl=64, ident=5), echo_to(1, ttl=200), echo_to(2, ttl=10)])))
    cs.append(case("match_limit_burst", "limit 1/s burst 3: ten quick pings, three accepted",
                   ipt("-A INPUT -p icmp -m limit --limit 1/second --limit-burst 3 -j ACCEPT",
                       "-A INPUT -p icmp -j DROP"),
                   spaced([echo_to(s) for s in range(1, 11)])))
    cs.append(case("qdisc_pfifo_burst", "pfifo limit 3 on eth0 and 30 datagrams sent back to back",
                   "tc qdisc add dev eth0 root pfifo limit 3\n"
                   "send udp 10.0.0.7:9 from 10.0.0.2:4000 count 30 interval 0 size 200\n", []))
    cs.append(case("qdisc_tbf_burst", "tbf 80kbit on eth0 and 20 datagrams sent back to back",
                   "tc qdisc add dev eth0 root tbf rate 80kbit burst 1600 limit 2000\n"
                   "send udp 10.0.0.7:9 from 10.0.0.2:4000 count 20 interval 0 size 200\n", [],
                   settle=2.0))
    # The same with a veth created with one TX queue: no bulk dequeue, 7 fewer overlimits.
    one_queue = case("qdisc_tbf_one_txqueue", "tbf 80kbit on a veth created with numtxqueues 1",
                     "tc qdisc add dev eth0 root tbf rate 80kbit burst 1600 limit 2000\n"
                     "send udp 10.0.0.7:9 from 10.0.0.2:4000 count 20 interval 0 size 200\n", [],
                     settle=2.0)
    one_queue["scenario"] = one_queue["scenario"].replace(
        "ip link add eth0 type veth", "ip link add eth0 numtxqueues 1 type veth", 1)
    cs.append(one_queue)
    cs.append(case("arp_resolution_failure", "send to on-link 10.0.0.50 without a neighbour: 3 probes, drop",
                   "send udp 10.0.0.50:9 from 10.0.0.2:4000 count 2 interval 10ms size 32\n", [],
                   settle=4.5))
    # A datagram or an ICMP error dropped in OUTPUT: ip_send_skb sees -EPERM (IpOutDiscards),
    # sendto returns it and UdpOutDatagrams stays.
    cs.append(case("output_drop_own_packets", "OUTPUT DROP for the host's own datagrams and ICMP errors",
                   ipt("-A OUTPUT -p udp -j DROP", "-A OUTPUT -p icmp -j DROP")
                   + "send udp 10.0.0.7:9 from 10.0.0.2:4000 count 3 interval 10ms size 100\n",
                   spaced([udp_to(9 + i, ident=0x700 + i) for i in range(3)], start=0.05)))
    # REJECT on the way out: the port unreachable goes to the host itself over lo, and
    # sendto returns EPERM.
    cs.append(case("output_reject_own_datagram", "OUTPUT REJECT for the host's own datagrams",
                   ipt("-A OUTPUT -p udp --dport 9 -j REJECT")
                   + "send udp 10.0.0.7:9 from 10.0.0.2:4000 count 3 interval 10ms size 100\n", []))
    # SO_SNDBUF 20000 doubles to 40000: 18 datagrams of truesize 2304 fit behind tbf's
    # four-packet burst. Non-blocking, the rest fail with EAGAIN; blocking, the sender sleeps
    # until half the buffer is free, so tbf's 30000-byte limit is never reached.
    cs.append(case("udp_sndbuf_nonblock", "sndbuf full behind tbf: EAGAIN for a non-blocking sender",
                   "tc qdisc add dev eth0 root tbf rate 400kbit burst 4200 limit 100000\n"
                   "send udp 10.0.0.7:9 from 10.0.0.2:4000 count 60 interval 0 size 1000 sndbuf 20000 "
                   "nonblock on\n", [], settle=1.0))
    cs.append(case("udp_sndbuf_block", "sndbuf full behind tbf: a blocking sender waits, nothing dropped",
                   "tc qdisc add dev eth0 root tbf rate 400kbit burst 4200 limit 30000\n"
                   "send udp 10.0.0.7:9 from 10.0.0.2:4000 count 60 interval 0 size 1000 sndbuf 20000\n",
                   [], settle=2.5))
    # Fragments after the first may take the buffer to twice sk_sndbuf (4608, the minimum):
    # a 5-fragment datagram fails with ENOBUFS, by the one reference sk_wmem_alloc starts at.
    cs.append(case("udp_sndbuf_fragments", "datagrams cut into 4 and 5 fragments with the minimum sndbuf",
                   "send udp 10.0.0.7:9 from 10.0.0.2:4000 count 2 interval 10ms size 5900 df off sndbuf 1\n"
                   "send udp 10.0.0.7:9 from 10.0.0.2:4001 count 2 interval 10ms size 6000 df off sndbuf 1\n",
                   []))
    # 100 datagrams to a neighbour that never answers: the unresolved queue keeps the newest
    # 92 (unres_qlen_bytes 212992 in truesize 2304); each eviction gives the sender its room
    # back, so the send buffer (the same 212992) never stops it.
    # The 92 host unreachables the host then sends itself would pass the global ICMP limit
    # at random (each takes 0 to 2 credits, get_random_u32_below(3)): icmp_ratemask 0
    # leaves them unlimited.
    cs.append(case("neigh_queue_and_sndbuf", "a burst to an unresolved neighbour: queue evictions free the sender",
                   "sysctl -w net.ipv4.icmp_ratemask=0\n"
                   "send udp 10.0.0.50:9 from 10.0.0.2:4000 count 100 interval 0 size 1000 nonblock on\n",
                   [], settle=4.5))
    # connect() to a peer that never answers, with tcp_syn_retries 2: five linear SYN
    # retransmissions, then the end at 7 s, by time rather than by count.
    cs.append(case("tcp_syn_retries_timeout", "connect() to a silent peer gives up after 7 s",
                   "sysctl -w net.ipv4.tcp_syn_retries=2\nconnect tcp 10.0.0.7:80 close\n", [],
                   settle=8.5, client_error="Connection timed out"))
    # REJECT of our own SYN: the port unreachable comes back over lo while connect() still
    # holds the socket (LockDroppedIcmps); the SYN retransmitted a second later is refused
    # too (TCPRetransFail), and its error ends the attempt: ECONNREFUSED.
    cs.append(case("output_reject_tcp_connect", "connect() through an OUTPUT REJECT fails after 1 s",
                   ipt("-A OUTPUT -p tcp --dport 80 -j REJECT") + "connect tcp 10.0.0.7:80 close\n", [],
                   settle=2.0, client_error="Connection refused"))
    # DROP of our own SYN: every retransmission fails to leave (TCPRetransFail), none is
    # lost again (no TCPLostRetransmit), and tcp_syn_retries 2 ends the attempt at 7 s.
    cs.append(case("output_drop_tcp_connect", "connect() through an OUTPUT DROP times out",
                   "sysctl -w net.ipv4.tcp_syn_retries=2\n" + ipt("-A OUTPUT -p tcp --dport 443 -j DROP")
                   + "connect tcp 10.0.0.7:443 close\n", [], settle=8.5, client_error="Connection timed out"))
    slow = [udp_to(7002, b"s" * 200, sport=44000, ident=0x600 + i) for i in range(40)]
    cs.append(case("udp_slow_reader", "socket reading 100/s, rcvbuf 4096, two bursts of 40 datagrams",
                   "socket udp bind 0.0.0.0:7002 rcvbuf 4096 read 100/s\n",
                   spaced(slow, 0.0001) + spaced(slow, 0.0001, start=0.6), settle=1.0))
    return cs
