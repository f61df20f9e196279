# SPDX-License-Identifier: GPL-3.0-or-later
"""Seeded random conformance cases: sysctls, sockets, iptables rules and a packet mix.

make_case(seed) is a pure function of the seed, so a failing case is replayed with
`conformance.py --random 1 --seed SEED`. About a fifth of the packets are malformed.
"""
import random

from cases import BASE, CLIENT, DUT, echo_to, to_dut, udp_to
from packets import BCAST_MAC, ETH_P_ARP, GEN_MAC, OTHER_MAC, DUT_MAC, arp, eth, ipv4, udp

PORTS = [7, 9, 53, 514, 5353, 7000]


def _sysctls(rng):
    out = []
    if rng.random() < 0.3:
        out.append(f"sysctl -w net.ipv4.icmp_echo_ignore_all={rng.choice([0, 1])}")
    if rng.random() < 0.4:
        out.append(f"sysctl -w net.ipv4.icmp_echo_ignore_broadcasts={rng.choice([0, 1])}")
    if rng.random() < 0.3:
        out.append(f"sysctl -w net.ipv4.conf.all.rp_filter={rng.choice([0, 1, 2])}")
    if rng.random() < 0.3:
        out.append(f"sysctl -w net.ipv4.icmp_ratelimit={rng.choice([0, 100, 1000])}")
    return out


def _sockets(rng):
    out = []
    for port in rng.sample(PORTS[1:], rng.randint(0, 2)):
        line = f"socket udp bind {rng.choice(['0.0.0.0', DUT])}:{port}"
        if rng.random() < 0.5:
            # Below rmem_max/2 of any host, so the doubled value is what the kernel keeps.
            line += f" rcvbuf {rng.choice([2048, 4096, 8192, 16384])}"
        line += f" read {rng.choice(['none', 'all'])}"
        out.append(line)
    return out


def _rules(rng):
    out = []
    for _ in range(rng.randint(0, 3)):
        kind = rng.choice(["drop_port", "accept_icmp", "reject_port", "drop_src"])
        if kind == "drop_port":
            out.append(f"iptables -A INPUT -p udp --dport {rng.choice(PORTS)} -j DROP")
        elif kind == "accept_icmp":
            out.append("iptables -A INPUT -p icmp -j ACCEPT")
        elif kind == "reject_port":
            out.append(f"iptables -A INPUT -p udp --dport {rng.choice(PORTS)} -j REJECT")
        else:
            out.append("iptables -A INPUT -s 10.0.0.66/32 -j DROP")
    return out


def _packet(rng, i):
    src = rng.choice([CLIENT, CLIENT, "10.0.0.66"])
    kind = rng.choices(["udp", "echo", "bcast_echo", "arp", "other_mac", "malformed"],
                       weights=[40, 20, 5, 5, 5, 25])[0]
    ident = 0x1000 + i
    if kind == "udp":
        return udp_to(rng.choice(PORTS), bytes(rng.randint(0, 300)), sport=rng.randint(1024, 65000),
                      src=src, ident=ident)
    if kind == "echo":
        return echo_to(i, src=src, ident=ident)
    if kind == "bcast_echo":
        return echo_to(i, src=src, dst="10.0.0.255", mac=BCAST_MAC, ident=ident)
    if kind == "arp":
        return eth(BCAST_MAC, GEN_MAC, ETH_P_ARP, arp(1, GEN_MAC, "10.0.0.1", b"\0" * 6, DUT))
    if kind == "other_mac":
        return eth(OTHER_MAC, GEN_MAC, 0x0800, ipv4(src, DUT, 17, udp(src, DUT, 1, 9, b"x"), ident=ident))
    bad = rng.choice(["ip_csum", "version", "ihl", "truncated", "short_tot_len", "udp_csum",
                      "unknown_proto", "icmp_csum", "ethertype"])
    if bad == "ip_csum":
        return udp_to(rng.choice(PORTS), src=src, bad_csum=True, ident=ident)
    if bad == "version":
        return udp_to(9, src=src, version=rng.choice([0, 5, 6, 15]), ident=ident)
    if bad == "ihl":
        return udp_to(9, src=src, ihl=rng.randint(0, 4), ident=ident)
    if bad == "truncated":
        return udp_to(9, b"abc", src=src, tot_len=rng.randint(60, 1500), ident=ident)
    if bad == "short_tot_len":
        return udp_to(9, src=src, tot_len=rng.randint(0, 19), ident=ident)
    if bad == "udp_csum":
        return udp_to(rng.choice(PORTS), src=src, bad_udp=True, ident=ident)
    if bad == "unknown_proto":
        return to_dut(ipv4(src, DUT, rng.choice([253, 254, 132]), b"payload", ident=ident))
    if bad == "icmp_csum":
        return echo_to(i, src=src, bad_csum=True, ident=ident)
    return eth(DUT_MAC, GEN_MAC, rng.choice([0x88B5, 0x88CC, 0x9000]), b"\0" * 46)


def make_case(seed):
    rng = random.Random(seed)
    lines = _sysctls(rng) + _sockets(rng) + _rules(rng)
    frames = []
    t = 0.0
    for i in range(rng.randint(10, 60)):
        frames.append((t, _packet(rng, i)))
        t += rng.choice([0.0002, 0.001, 0.003])
    return {"name": f"random-{seed}", "seed": seed, "doc": "random mix",
            "scenario": BASE + "ip neigh replace 10.0.0.66 lladdr 02:00:00:00:00:fe dev eth0 nud permanent\n" + "".join(line + "\n" for line in lines), "frames": frames,
            "tag": f"r{seed}"}
