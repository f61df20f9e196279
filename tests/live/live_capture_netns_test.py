#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""stackscope-cli live --capture against the real kernel.

Two network namespaces joined by a veth pair: "sim" holds ssvA (10.98.0.1/24),
"peer" holds ssvB (10.98.0.2/24). `stackscope-cli live --capture eth0=ssvA
--filter 'icmp or udp'` runs in "sim" with a simulated host that has ssvA's
MAC and address. From "peer": real pings and UDP datagrams to 10.98.0.1 (the
real kernel answers them), a TCP connection attempt and ARP (the filter keeps
them out). Checks:
  - the simulated host counted exactly what the filter lets in (IcmpInEchos,
    UdpInDatagrams, UdpNoPorts, links rx_packets), and no TCP nor ARP;
  - read only: tcpdump on ssvB sees only the real kernel's answers (one echo
    reply per ping, one port unreachable per datagram, no broadcast ARP
    request from 10.98.0.1 although the simulated host tried to resolve
    10.98.0.2 to answer);
  - the recording replays with `stackscope-cli run` to identical counters.
Needs root; exits 77 (skipped) otherwise. Namespaces, devices and processes
are always removed.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
from netns_util import Live, Procs, Tcpdump, check, failures, in_ns, nstat, sh

SKIP = 77
NS_SIM = f"stackscope-cap-sim-{os.getpid()}"
NS_PEER = f"stackscope-cap-peer-{os.getpid()}"
MAC_A = "02:00:00:00:98:01"
MAC_B = "02:00:00:00:98:02"
REAL = "10.98.0.1"
SCENARIO = f"""\
ip link set dev lo up
ip link set dev eth0 address {MAC_A} up
ip addr add {REAL}/24 dev eth0
socket udp bind 0.0.0.0:7000 read all
"""
PINGS = 3
UDP_OPEN = 3   # to port 7000: the simulated socket reads them
UDP_CLOSED = 1  # to port 7001: UdpNoPorts in the simulated host


def peer_traffic():
    """What the peer sends; returns (echo replies, port unreachables, tcp refused)."""
    r = in_ns(NS_PEER, "ping", "-n", "-c", str(PINGS), "-i", "0.3", "-W", "1", REAL, check_rc=False)
    replies = 0
    for line in r.stdout.splitlines():
        if "packets transmitted" in line:
            replies = int(line.split(",")[1].split()[0])
    code = f"""
import socket, time
refused = 0
for port, n in ((7000, {UDP_OPEN}), (7001, {UDP_CLOSED})):
    for i in range(n):
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.connect(("{REAL}", port))
        c.settimeout(1.0)
        c.send(b"datagram %d" % i)
        try:
            c.recv(100)
        except ConnectionRefusedError:
            refused += 1
        except socket.timeout:
            pass
        c.close()
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.settimeout(2.0)
try:
    t.connect(("{REAL}", 9))
    tcp = "connected"
except ConnectionRefusedError:
    tcp = "refused"
except socket.timeout:
    tcp = "timeout"
print(refused, tcp)
"""
    out = in_ns(NS_PEER, sys.executable, "-c", code).stdout.split()
    return replies, int(out[0]), out[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    args = ap.parse_args()

    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces, veth devices, live capture)")
        return SKIP
    for tool in ("ping", "tcpdump"):
        if not shutil.which(tool):
            print(f"skipped: {tool} is not installed")
            return SKIP
    if sh("ip", "netns", "add", NS_SIM, check_rc=False).returncode != 0:
        print("skipped: cannot create a network namespace here")
        return SKIP

    workdir = tempfile.mkdtemp(prefix="stackscope-cap-")
    procs = Procs()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        sh("ip", "netns", "add", NS_PEER)
        in_ns(NS_SIM, "ip", "link", "add", "ssvA", "type", "veth", "peer", "name", "ssvB",
              "netns", NS_PEER)
        for ns, dev, mac, addr in ((NS_SIM, "ssvA", MAC_A, REAL), (NS_PEER, "ssvB", MAC_B, "10.98.0.2")):
            in_ns(ns, "ip", "link", "set", "lo", "up")
            # No IPv6: router solicitations and MLD reports would match "udp" or add noise.
            in_ns(ns, "sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1", check_rc=False)
            in_ns(ns, "ip", "link", "set", dev, "address", mac)
            in_ns(ns, "ip", "addr", "add", f"{addr}/24", "dev", dev)
            in_ns(ns, "ip", "link", "set", dev, "up")

        dump = Tcpdump(procs, NS_PEER, "ssvB", os.path.join(workdir, "peer.pcap"))
        check(dump.wait_listening(), "tcpdump listens on the peer's end")
        live = Live(procs, args.cli, NS_SIM, workdir, "capture", SCENARIO,
                    ["--capture", "eth0=ssvA", "--filter", "icmp or udp"], record=True)
        check(live.wait_running(), "live starts capturing ssvA")

        replies, refused, tcp = peer_traffic()
        check(replies == PINGS, f"the real kernel answered {PINGS} pings (got {replies})")
        check(refused == UDP_OPEN + UDP_CLOSED,
              f"the real kernel refused every datagram, it has no UDP socket (got {refused})")
        check(tcp == "refused", f"the real kernel refused the TCP connection ({tcp})")
        # The simulated host's ARP retries for 10.98.0.2 run for 3 s; give them the time
        # to leak if they could.
        time.sleep(3.5)
        rc = live.stop(signal.SIGINT)
        dump.stop()
        err = live.stderr()
        check(rc == 0, f"SIGINT stops it cleanly (exit {rc})")
        frames_in = UDP_OPEN + UDP_CLOSED + PINGS
        check(f"eth0 (ssvA): {frames_in} frames in, 0 frames out" in err,
              f"it reports {frames_in} frames in and none out: "
              + " | ".join(l for l in err.splitlines() if "frames in" in l))

        # veth leaves TCP/UDP checksums to offload: the capture completes them.
        check(f"{UDP_OPEN + UDP_CLOSED} with the TCP/UDP checksum left to offload" in err,
              "it says it completed the offloaded checksums of the datagrams")

        c = live.counters()
        check(nstat(c, "IcmpInEchos") == PINGS, f"IcmpInEchos {PINGS} ({nstat(c, 'IcmpInEchos')})")
        check(nstat(c, "UdpInDatagrams") == UDP_OPEN,
              f"UdpInDatagrams {UDP_OPEN} ({nstat(c, 'UdpInDatagrams')}; drops {c.get('drops')})")
        check(nstat(c, "UdpNoPorts") == UDP_CLOSED, f"UdpNoPorts {UDP_CLOSED} ({nstat(c, 'UdpNoPorts')})")
        check(nstat(c, "TcpInSegs") == 0, f"the filter kept the TCP SYN out: TcpInSegs 0 "
              f"({nstat(c, 'TcpInSegs')})")
        eth0 = c.get("links", {}).get("eth0", {})
        check(eth0.get("rx_packets") == frames_in,
              f"the filter kept ARP out: eth0 rx_packets {frames_in} ({eth0.get('rx_packets')})")
        # The simulated host did answer (to nowhere): its ARP for the peer went out of eth0.
        check(eth0.get("tx_packets", 0) > 0,
              f"the simulated host transmitted (into nothing): tx_packets {eth0.get('tx_packets')}")

        # Read only: the peer saw the real kernel's answers and nothing more.
        echo_replies = dump.packets("icmp[icmptype] == icmp-echoreply")
        unreach = dump.packets("icmp[icmptype] == icmp-unreach")
        arp_bcast = dump.packets(f"arp and ether src {MAC_A} and ether broadcast")
        rsts = dump.packets("tcp[tcpflags] & tcp-rst != 0")
        check(len(echo_replies) == PINGS, f"the peer saw {PINGS} echo replies ({len(echo_replies)})")
        check(len(unreach) == UDP_OPEN + UDP_CLOSED,
              f"the peer saw {UDP_OPEN + UDP_CLOSED} port unreachables ({len(unreach)})")
        check(len(arp_bcast) == 0, f"no broadcast ARP request from {REAL} reached the peer "
              f"({len(arp_bcast)})")
        check(len(rsts) == 1, f"the peer saw the real kernel's one RST ({len(rsts)})")
        sent_by_a = dump.packets(f"ether src {MAC_A}")
        print(f"note: the peer saw {len(sent_by_a)} frames from {MAC_A}: "
              f"{PINGS} echo replies, {len(unreach)} unreachables, {len(rsts)} RST, "
              f"{len(sent_by_a) - PINGS - len(unreach) - len(rsts)} ARP")
        check(len(sent_by_a) - PINGS - len(unreach) - len(rsts) <= 2,
              "at most the real kernel's ARP reply and probe besides")

        words = live.replay_command()
        check(words is not None, "it prints the replay command")
        if words:
            replay_json = os.path.join(workdir, "replay.json")
            r = sh(args.cli, *words, "--counters-json", replay_json, cwd=workdir, check_rc=False)
            check(r.returncode == 0, f"the replay runs ({r.stderr.strip()})")
            if r.returncode == 0:
                with open(replay_json) as f:
                    check(json.load(f) == c, "the replay of the capture gives identical counters")
    finally:
        procs.kill_all()
        sh("ip", "netns", "del", NS_PEER, check_rc=False)
        sh("ip", "netns", "del", NS_SIM, check_rc=False)
        shutil.rmtree(workdir, ignore_errors=True)

    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
