# SPDX-License-Identifier: GPL-3.0-or-later
"""Hand-written conformance cases: each aims at one kernel behaviour.

A case is a dict: name, doc, scenario (the scenario file text), frames (a list of
(seconds, frame bytes) the generator sends to eth0), and optionally settle (seconds),
tx_ifaces (other DUT interfaces whose transmissions are compared).
"""
from packets import (BCAST_MAC, DUT_MAC, ETH_P_ARP, ETH_P_IP, GEN_MAC, OTHER_MAC, arp, eth,
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
    return cs
