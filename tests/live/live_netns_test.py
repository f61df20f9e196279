#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""stackscope-cli live against the real kernel.

Creates a network namespace with a TAP device (10.99.0.1/24 on the real side),
runs `stackscope-cli live` on it with a simulated host at 10.99.0.2/24, and
from the namespace pings it and exchanges UDP. Then:
  - the same with `iptables -A INPUT -p icmp -j DROP` in the scenario: no
    ping answer, and the rule counts the drops;
  - the recording of the first run replayed with `stackscope-cli run` gives
    the same counters;
  - as an unprivileged user: a TAP of another user and a missing TAP give
    the message with the commands to type and a non-zero exit, not a crash;
    a TAP the user owns works without privileges; the helper with
    cap_net_admin creates one for the user.
Needs root; exits 77 (skipped) otherwise. Namespace and devices are always
removed.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77
NS = f"stackscope-live-{os.getpid()}"
TAP = "sstap0"
SIM = "10.99.0.2"
BASE_SCENARIO = """\
ip link set dev lo up
ip link set dev eth0 address 02:00:00:00:99:02 up
ip addr add 10.99.0.2/24 dev eth0
socket udp bind 0.0.0.0:7000 read all
"""

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netns_util import Live, Procs, check, failures, nstat, sh  # noqa: E402
from netns_util import in_ns as _in_ns  # noqa: E402


def in_ns(*cmd, **kw):
    return _in_ns(NS, *cmd, **kw)


def start_live(procs, cli, workdir, name, scenario, tap=TAP, record=True, **kw):
    """stackscope-cli live in the namespace with eth0 on `tap`; recording by default."""
    return Live(procs, cli, NS, workdir, name, scenario, ["--tap", f"eth0={tap}"], record=record, **kw)


def ping(count):
    """Echo replies received from the simulated host: ping(8) when installed, otherwise
    the same requests through a raw ICMP socket; either way the real kernel sends them."""
    if shutil.which("ping"):
        r = in_ns("ping", "-n", "-c", str(count), "-i", "0.3", "-W", "1", SIM, check_rc=False)
        for line in r.stdout.splitlines():
            if "packets transmitted" in line:
                return int(line.split(",")[1].split()[0])
        return 0
    code = f"""
import socket, struct, time, sys
def checksum(d):
    d += b"\\0" * (len(d) % 2)
    s = sum(struct.unpack("!%dH" % (len(d) // 2), d))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(1.0)
got = 0
for seq in range(1, {count} + 1):
    body = struct.pack("!BBHHH", 8, 0, 0, 0x5353, seq) + b"stackscope-live!" * 3
    body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
    s.sendto(body, ("{SIM}", 0))
    end = time.time() + 1.0
    while time.time() < end:
        try:
            pkt, addr = s.recvfrom(2048)
        except socket.timeout:
            break
        ihl = (pkt[0] & 15) * 4
        t, c, _, ident, sq = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
        if addr[0] == "{SIM}" and t == 0 and ident == 0x5353 and sq == seq:
            got += 1
            break
    time.sleep(0.3)
print(got)
"""
    r = in_ns(sys.executable, "-c", code)
    return int(r.stdout.strip())


def udp_exchange():
    """Three datagrams to the simulated socket, one to a closed port: (sent, refused)."""
    code = f"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    s.sendto(b"hello %d" % i, ("{SIM}", 7000))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.connect(("{SIM}", 7001))
c.settimeout(2.0)
c.send(b"anyone?")
try:
    c.recv(100)
    print("3 answered")
except ConnectionRefusedError:
    print("3 refused")
except socket.timeout:
    print("3 silent")
"""
    out = in_ns(sys.executable, "-c", code).stdout.split()
    return int(out[0]), out[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--helper", required=True)
    args = ap.parse_args()

    if os.geteuid() != 0:
        print("skipped: needs root (network namespaces, TAP devices, iptables)")
        return SKIP
    if sh("ip", "netns", "add", NS, check_rc=False).returncode != 0:
        print("skipped: cannot create a network namespace here")
        return SKIP

    workdir = tempfile.mkdtemp(prefix="stackscope-live-")
    procs = Procs()
    # SIGTERM (ctest timeout) must still remove the namespace.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        os.chmod(workdir, 0o755)
        # Copies an unprivileged user can run whatever the build folder's permissions.
        cli = os.path.join(workdir, "stackscope-cli")
        shutil.copy2(args.cli, cli)
        helper = os.path.join(workdir, "stackscope-tap-helper")
        shutil.copy2(args.helper, helper)

        nobody_dir = os.path.join(workdir, "nobody")
        os.mkdir(nobody_dir)
        shutil.chown(nobody_dir, user="nobody")
        # Some containers give /dev/net/tun mode 0600 instead of the usual 0666. The
        # unprivileged runs then see a node with the usual mode, bind-mounted in a
        # private mount namespace, so the host keeps its own.
        wrap = []
        if os.stat("/dev/net/tun").st_mode & 0o006 != 0o006:
            node = os.path.join(workdir, "tun")
            os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(10, 200))
            os.chmod(node, 0o666)
            wrap = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /dev/net/tun && exec "$@"', node]
            print("note: /dev/net/tun has mode 0600 here; unprivileged runs use a 0666 copy")
            live = start_live(procs, cli, workdir, "no-tun-access", BASE_SCENARIO, duration="1s", user="nobody",
                        record=False)
            rc = live.stop(None)
            err = live.stderr()
            check(0 < rc < 128 and "sudo chmod 0666 /dev/net/tun" in err,
                  f"a /dev/net/tun nobody may not open: exit {rc} and the fix to type")

        in_ns("ip", "link", "set", "lo", "up")
        # Owned by root: a TAP with no owner may be opened by anyone who can open /dev/net/tun.
        in_ns("ip", "tuntap", "add", "dev", TAP, "mode", "tap", "user", "root")
        in_ns("sysctl", "-qw", f"net.ipv6.conf.{TAP}.disable_ipv6=1", check_rc=False)
        in_ns("ip", "addr", "add", "10.99.0.1/24", "dev", TAP)
        in_ns("ip", "link", "set", TAP, "up")

        # 1: answers, stopped with SIGINT, recorded.
        live = start_live(procs, cli, workdir, "answers", BASE_SCENARIO)
        check(live.wait_running(), "live starts on the TAP")
        replies = ping(3)
        check(replies == 3, f"3 pings answered by the simulated host (got {replies})")
        sent, fate = udp_exchange()
        check(fate == "refused", f"UDP to a closed simulated port is refused by its ICMP answer ({fate})")
        time.sleep(0.3)
        rc = live.stop(signal.SIGINT)
        err = live.stderr()
        check(rc == 0, f"SIGINT stops it cleanly (exit {rc})")
        check("(SIGINT)" in err, "it says it stopped on SIGINT")
        c = live.counters()
        check(nstat(c, "IcmpInEchos") == 3, f"IcmpInEchos 3 ({nstat(c, 'IcmpInEchos')})")
        check(nstat(c, "IcmpOutEchoReps") == 3, f"IcmpOutEchoReps 3 ({nstat(c, 'IcmpOutEchoReps')})")
        check(nstat(c, "UdpInDatagrams") == 3, f"UdpInDatagrams 3 ({nstat(c, 'UdpInDatagrams')})")
        check(nstat(c, "UdpNoPorts") == 1, f"UdpNoPorts 1 ({nstat(c, 'UdpNoPorts')})")
        eth0 = c.get("links", {}).get("eth0", {})
        check(eth0.get("rx_packets", 0) >= 8, f"eth0 rx_packets >= 8 ({eth0.get('rx_packets')})")
        check(eth0.get("tx_packets", 0) >= 5, f"eth0 tx_packets >= 5 ({eth0.get('tx_packets')})")

        # The recording replays to the same counters.
        replay = [l.split("replay with: ", 1)[1] for l in err.splitlines() if "replay with: " in l]
        check(len(replay) == 1, "it prints the replay command")
        if replay:
            words = replay[0].split()
            assert words[0] == "stackscope-cli" and words[1] == "run"
            replay_json = os.path.join(workdir, "replay.json")
            r = sh(cli, *words[1:], "--counters-json", replay_json, cwd=workdir, check_rc=False)
            check(r.returncode == 0, f"the replay runs ({r.stderr.strip()})")
            if r.returncode == 0:
                with open(replay_json) as f:
                    replayed = json.load(f)
                check(replayed == c, "the replay gives identical counters")

        # 2: a DROP rule for ICMP: no answers, the rule counts them; stops at --duration.
        live = start_live(procs, cli, workdir, "dropped", BASE_SCENARIO + "iptables -A INPUT -p icmp -j DROP\n",
                    duration="8s", record=False)
        check(live.wait_running(), "live starts with the DROP rule")
        replies = ping(3)
        check(replies == 0, f"no ping answered behind the DROP rule (got {replies})")
        sent, fate = udp_exchange()
        # The rule is on INPUT: the simulated host's own port unreachable still goes out.
        check(fate == "refused", f"UDP still refused by the closed port's ICMP answer ({fate})")
        rc = live.stop(None, timeout=20)
        check(rc == 0, f"it stops by itself at --duration (exit {rc})")
        c = live.counters()
        rules = c.get("iptables", {}).get("filter", {}).get("INPUT", {}).get("rules", [])
        check(len(rules) == 1 and rules[0].get("packets") == 3,
              f"the DROP rule counted 3 packets ({rules})")
        check(c.get("drops", {}).get("NETFILTER_DROP", 0) == 3,
              f"3 NETFILTER_DROP ({c.get('drops')})")
        check(nstat(c, "IcmpOutEchoReps") == 0, "no echo reply sent")
        check(nstat(c, "UdpInDatagrams") == 3, f"UdpInDatagrams 3 ({nstat(c, 'UdpInDatagrams')})")

        # 3: unprivileged: someone else's TAP, then a missing one with a helper lacking the capability.
        env = dict(os.environ, STACKSCOPE_TAP_HELPER=helper)
        for tap, expect in ((TAP, f"sudo ip tuntap del dev {TAP} mode tap"),
                            ("sstap9", "sudo setcap cap_net_admin+ep " + helper)):
            live = start_live(procs, cli, workdir, f"denied-{tap}", BASE_SCENARIO, tap=tap, duration="2s",
                        user="nobody", env=env, record=False, wrap=wrap)
            rc = live.stop(None)
            err = live.stderr()
            check(0 < rc < 128, f"{tap} as nobody: a non-zero exit, not a crash (exit {rc})")
            check("permission denied" in err, f"{tap} as nobody: says permission denied")
            check(f"sudo ip tuntap add dev {tap} mode tap user nobody" in err,
                  f"{tap} as nobody: gives the command to create an owned TAP")
            check("sudo ip addr add 10.99.0.1/24 dev " + tap in err,
                  f"{tap} as nobody: with an address for the real side")
            check(expect in err, f"{tap} as nobody: {expect}")
            if rc == 0 or expect not in err:
                print(err)
        check(in_ns("ip", "link", "show", "sstap9", check_rc=False).returncode != 0,
              "the helper without the capability created nothing")

        # 4: a TAP the user owns needs no privilege.
        in_ns("ip", "tuntap", "add", "dev", "sstap1", "mode", "tap", "user", "nobody")
        live = start_live(procs, cli, workdir, "owned", BASE_SCENARIO, tap="sstap1", duration="1s",
                    user="nobody", env=env, record=False, wrap=wrap)
        rc = live.stop(None)
        check(rc == 0, f"nobody attaches to the TAP it owns (exit {rc}) {live.stderr().strip()[-200:]}")

        # 5: the helper with cap_net_admin creates a TAP for the user, gone afterwards.
        if sh("setcap", "cap_net_admin+ep", helper, check_rc=False).returncode == 0:
            live = start_live(procs, cli, workdir, "helper", BASE_SCENARIO, tap="sstap2", duration="1s",
                        user="nobody", env=env, record=False, wrap=wrap)
            rc = live.stop(None)
            err = live.stderr()
            check(rc == 0 and "created TAP device sstap2 through the helper" in err,
                  f"the helper creates a TAP for nobody (exit {rc}) {err.strip()[-300:]}")
            check(in_ns("ip", "link", "show", "sstap2", check_rc=False).returncode != 0,
                  "the helper's TAP is gone when the session ends")
            # It never opens an existing device, not even for root.
            a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            r = subprocess.run(["ip", "netns", "exec", NS, *wrap, "runuser", "-u", "nobody", "--", helper,
                                "--socket-fd", str(b.fileno()), "--tap", TAP],
                               pass_fds=(b.fileno(),), capture_output=True, text=True)
            b.close()
            answer, fds, _, _ = socket.recv_fds(a, 512, 1)
            a.close()
            for fd in fds:
                os.close(fd)
            check(r.returncode != 0 and not fds and b"exists already" in answer,
                  f"the helper refuses an existing TAP ({answer!r})")
        else:
            print("note: setcap failed here; the helper's success path is not tested")
    finally:
        procs.kill_all()
        for tap in (TAP, "sstap1", "sstap2", "sstap9"):
            sh("ip", "netns", "exec", NS, "ip", "tuntap", "del", "dev", tap, "mode", "tap",
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
