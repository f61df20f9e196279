#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""TCP and timers of the simulated host through a TAP, against the real kernel.

A network namespace holds the TAP sstcp0 (10.97.0.1/24 on the real side); the
simulated host is 10.97.0.2/24 behind it.
  - TCP: a real client connects to `socket tcp listen 0.0.0.0:8000 read all`,
    sends a line, waits, shuts its side down: the connect succeeds, the line is
    acknowledged before the FIN goes out (not by the answer to the next frame),
    the FIN is acknowledged, the simulated application reads to the end and
    closes (the client ends in TIME-WAIT, no reset), TcpPassiveOpens 1,
    TcpInSegs 5; the recording replays to identical counters.
  - Timers with no input: `send udp 10.97.0.77:9 at 1s` has the simulated host
    ARP for an address nobody has; its retries (every retrans_time, 1 s) appear
    on the TAP on time while the real side sends nothing.
Needs root; exits 77 (skipped) otherwise. Namespace, TAP and processes are always
removed.
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
NS = f"stackscope-tcp-{os.getpid()}"
TAP = "sstcp0"
SIM = "10.97.0.2"
SIM_MAC = "02:00:00:00:97:02"
BASE = f"""\
ip link set dev lo up
ip link set dev eth0 address {SIM_MAC} up
ip addr add {SIM}/24 dev eth0
"""

CLIENT = f"""
import socket, struct, time
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.settimeout(3.0)
try:
    c.connect(("{SIM}", 8000))
except OSError as e:
    print("connect-failed", type(e).__name__)
    raise SystemExit(0)
c.sendall(b"hello stackscope\\n")
time.sleep(0.5)  # the data's ACK has to come on its own, not with the answer to a FIN
c.shutdown(socket.SHUT_WR)
state = None
end = time.time() + 3.0
while time.time() < end:
    state = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
    if state == 5:  # TCP_FIN_WAIT2: the FIN is acknowledged
        break
    time.sleep(0.02)
print("connected", state)
c.close()
"""


def flags_of(line):
    return line.split("Flags [", 1)[1].split("]", 1)[0] if "Flags [" in line else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    args = ap.parse_args()

    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces, TAP devices)")
        return SKIP
    if not shutil.which("tcpdump"):
        print("skipped: tcpdump is not installed")
        return SKIP
    if sh("ip", "netns", "add", NS, check_rc=False).returncode != 0:
        print("skipped: cannot create a network namespace here")
        return SKIP

    workdir = tempfile.mkdtemp(prefix="stackscope-tcp-")
    procs = Procs()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        in_ns(NS, "ip", "link", "set", "lo", "up")
        in_ns(NS, "ip", "tuntap", "add", "dev", TAP, "mode", "tap", "user", "root")
        in_ns(NS, "sysctl", "-qw", f"net.ipv6.conf.{TAP}.disable_ipv6=1", check_rc=False)
        in_ns(NS, "ip", "addr", "add", "10.97.0.1/24", "dev", TAP)
        in_ns(NS, "ip", "link", "set", TAP, "up")

        # 1: TCP through the TAP.
        live = Live(procs, args.cli, NS, workdir, "tcp",
                    BASE + "socket tcp listen 0.0.0.0:8000 read all\n", ["--tap", f"eth0={TAP}"],
                    record=True)
        check(live.wait_running(), "live starts on the TAP")
        dump = Tcpdump(procs, NS, TAP, os.path.join(workdir, "tcp.pcap"), ["tcp"])
        check(dump.wait_listening(), "tcpdump listens on the TAP")
        out = in_ns(NS, sys.executable, "-c", CLIENT).stdout.split()
        check(out[:1] == ["connected"], f"the real client's connect succeeds ({' '.join(out)})")
        # FIN-WAIT-2 (5), or already closed (7) when the simulated host's own FIN came before
        # the client looked: the time-wait entry below tells it from a reset.
        check(out[1:] in (["5"], ["7"]), f"the client's FIN was acknowledged "
              f"(tcpi_state {' '.join(out[1:])})")
        tw = in_ns(NS, "ss", "-tanH", "state", "time-wait", "dst", f"{SIM}:8000", check_rc=False)
        check(len(tw.stdout.splitlines()) == 1,
              f"the client's connection is in TIME-WAIT: both FINs acknowledged ({tw.stdout.strip()})")
        time.sleep(0.3)
        rc = live.stop(signal.SIGINT)
        dump.stop()
        check(rc == 0, f"SIGINT stops it cleanly (exit {rc})")
        c = live.counters()
        check(nstat(c, "TcpPassiveOpens") == 1, f"TcpPassiveOpens 1 ({nstat(c, 'TcpPassiveOpens')})")
        # The application reads to the end, then closes: its FIN gets the client's last ACK.
        check(nstat(c, "TcpInSegs") == 5,
              f"TcpInSegs 5: SYN, ACK, data, FIN, ACK of our FIN ({nstat(c, 'TcpInSegs')})")
        check(c.get("drops", {}) == {}, f"nothing dropped ({c.get('drops')})")

        segs = dump.packets()
        from_sim = [l for l in segs if l.split()[1] == SIM_MAC]
        from_real = [l for l in segs if l.split()[1] != SIM_MAC]
        data = next((i for i, l in enumerate(segs) if l.split()[1] != SIM_MAC and "length 17" in l
                     and "F" not in flags_of(l)), None)
        fin = next((i for i, l in enumerate(segs) if l.split()[1] != SIM_MAC and "F" in flags_of(l)),
                   None)
        check(data is not None and fin is not None and data < fin,
              f"the client sent its line, then its FIN ({len(segs)} segments)")
        if data is not None and fin is not None:
            acks = [l for l in segs[data + 1:fin] if l.split()[1] == SIM_MAC and "ack 18," in l]
            check(len(acks) == 1, "the simulated host acknowledged the line before the FIN came")
            if acks:
                delay = float(acks[0].split()[0]) - float(segs[data].split()[0])
                print(f"note: the line was acknowledged after {delay * 1000:.1f} ms")
                check(delay < 0.25, f"within the delayed-ACK time ({delay * 1000:.1f} ms)")
            fin_ack = [l for l in segs[fin + 1:] if l.split()[1] == SIM_MAC and "ack 19," in l]
            check(len(fin_ack) >= 1, f"the simulated host acknowledged the FIN ({len(fin_ack)})")
        rsts = [l for l in segs if "R" in flags_of(l)]
        check(not rsts, f"no reset either way ({rsts})")
        print(f"note: {len(from_real)} segments from the client, {len(from_sim)} from the simulated host")

        words = live.replay_command()
        check(words is not None, "it prints the replay command")
        if words:
            replay_json = os.path.join(workdir, "tcp-replay.json")
            r = sh(args.cli, *words, "--counters-json", replay_json, cwd=workdir, check_rc=False)
            check(r.returncode == 0, f"the replay runs ({r.stderr.strip()})")
            if r.returncode == 0:
                with open(replay_json) as f:
                    replayed = json.load(f)
                check(replayed == c, "the replay of the TCP session gives identical counters")
                if replayed != c:
                    for k in sorted(set(c) | set(replayed)):
                        if c.get(k) != replayed.get(k):
                            print(f"  {k}: live {c.get(k)} replay {replayed.get(k)}")

        # 2: timers with no input: ARP retries for an address nobody has.
        dump = Tcpdump(procs, NS, TAP, os.path.join(workdir, "arp.pcap"))
        check(dump.wait_listening(), "tcpdump listens on the TAP")
        live = Live(procs, args.cli, NS, workdir, "timers", BASE + "send udp 10.97.0.77:9 at 1s\n",
                    ["--tap", f"eth0={TAP}"], duration="5s")
        check(live.wait_running(), "live starts on the TAP")
        started = time.time()
        rc = live.stop(None, timeout=20)
        dump.stop()
        check(rc == 0, f"it stops at --duration (exit {rc})")
        frames = dump.packets()
        from_real = [l for l in frames if l.split()[1] != SIM_MAC]
        check(not from_real, f"the real side sent nothing into the TAP ({from_real[:3]})")
        requests = [float(l.split()[0]) for l in frames if "Request who-has 10.97.0.77" in l]
        check(len(requests) == 3, f"3 ARP requests for 10.97.0.77 (mcast_solicit) ({len(requests)})")
        gaps = [b - a for a, b in zip(requests, requests[1:])]
        check(len(gaps) == 2 and all(0.95 < g < 1.1 for g in gaps),
              "one retrans_time (1 s) apart, on time: "
              + ", ".join(f"{g * 1000:.0f} ms" for g in gaps))
        if requests:
            first = requests[0] - started
            check(0.5 < first < 1.6, f"the first one at about 1 s ({first:.2f} s after start)")
        c = live.counters()
        check(c.get("drops", {}).get("NEIGH_FAILED") == 1,
              f"the datagram dropped as NEIGH_FAILED when the retries ran out ({c.get('drops')})")
    finally:
        procs.kill_all()
        sh("ip", "netns", "exec", NS, "ip", "tuntap", "del", "dev", TAP, "mode", "tap",
           check_rc=False)
        sh("ip", "netns", "del", NS, check_rc=False)
        shutil.rmtree(workdir, ignore_errors=True)

    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
