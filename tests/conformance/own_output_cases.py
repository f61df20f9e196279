# SPDX-License-Identifier: GPL-3.0-or-later
"""Cases recorded on the host itself: a real client in the generator namespace talks to a
real listener in the DUT namespace while tcpdump records both directions on the DUT's
interface. The engine then runs the scenario on that two-way capture: the DUT's own frames
in it are recorded output, which the engine lines its choices up with (ISN, TSval offset,
IP IDs) and compares its own transmissions against (the "own_output" report).

A case of this kind has no replayed frames; it carries:
  record_dut  True: the capture given to the engine is the DUT-side tcpdump (-Q inout)
  client      what the client in the generator namespace does (sock_helper.py "clients")
"""
import json
import os
import struct
import subprocess
import sys

from packets import DUT_MAC, GEN_MAC, csum, read_pcap, write_pcap
from tcp_cases import BASE, CLIENT, DUT

HERE = os.path.dirname(os.path.abspath(__file__))


def all_cases():
    return [dict(
        name="tcp_real_client_recorded",
        doc="a real client connects, sends 16 bytes and closes; the listener accepts, reads "
            "to EOF and closes; the engine replays the DUT-side two-way capture",
        scenario=BASE + "socket tcp listen 0.0.0.0:80 backlog 16\n",
        frames=[],
        record_dut=True,
        client={"dst": DUT, "dport": 80, "data": "hello stackscope", "at": 0.05},
        settle=1.0,
    ), dict(
        name="tcp_connect_recorded",
        doc="the DUT's application connects to a real server, sends 1000 bytes and closes "
            "(SYN, one data segment, FIN, TIME_WAIT); the engine runs the `connect` line "
            "on the DUT-side two-way capture",
        scenario=BASE + "connect tcp 10.0.0.7:8080 send 1000 close\n",
        frames=[],
        record_dut=True,
        server={"port": 8080},
        settle=1.0,
    )]


def address_generator(lab, gen_if):
    """Gives the generator side the scenario's client address and MAC."""
    ns = lab.gen
    mac = ":".join(f"{b:02x}" for b in GEN_MAC)
    for argv in (["ip", "link", "set", "dev", gen_if, "address", mac],
                 ["ip", "addr", "add", f"{CLIENT}/24", "dev", gen_if],
                 ["ip", "link", "set", "dev", "lo", "up"],
                 ["ip", "neigh", "replace", DUT, "lladdr", "02:00:00:00:00:02", "dev", gen_if,
                  "nud", "permanent"]):
        subprocess.run(["ip", "netns", "exec", ns] + argv, check=True, capture_output=True, text=True)


def start_server(lab, gen_if, spec):
    """A real TCP server in the generator namespace (sock_helper "sockets"): accepts, reads
    to EOF and closes. Returns the running helper, already told to go."""
    address_generator(lab, gen_if)
    cfg = {"sockets": [dict(proto="tcp", addr=CLIENT, port=spec["port"], backlog=16, read="all")]}
    p = lab.spawn([sys.executable, os.path.join(HERE, "sock_helper.py"), json.dumps(cfg)], lab.gen,
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.stdout.readline().strip() != "ready":
        raise RuntimeError(f"server helper failed: {p.stderr.read().strip()}")
    p.stdin.write("go\n")
    p.stdin.flush()
    return p


def stop_server(p):
    try:
        p.communicate(input="stop\n", timeout=3)
    except subprocess.TimeoutExpired:
        p.kill()


def run_client(lab, gen_if, spec, timeout=10):
    """Addresses the generator side as the scenario's client and runs one connection."""
    ns = lab.gen
    address_generator(lab, gen_if)
    p = subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.join(HERE, "sock_helper.py"),
                        json.dumps({"clients": [spec]})],
                       input="go\nstop\n", capture_output=True, text=True, timeout=timeout)
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    if p.returncode != 0 or result.get("errors"):
        raise RuntimeError(f"client failed: {result.get('errors') or p.stderr.strip()}")
    return result


def complete_checksums(path):
    """A veth passes the client's segments on with CHECKSUM_PARTIAL: the DUT-side capture
    holds only the pseudo-header sum, which the receiving kernel trusts. The engine gets the
    checksums the client's device would have written (the DUT's own frames are left as
    recorded; their transport checksums are not compared)."""
    frames = read_pcap(path)
    if not frames:
        return
    t0 = frames[0][0]
    fixed = []
    for t, fr in frames:
        fr = bytearray(fr)
        if fr[6:12] != DUT_MAC and len(fr) >= 34 and fr[12:14] == b"\x08\x00" and fr[14] >> 4 == 4:
            ihl = (fr[14] & 0x0f) * 4
            total = struct.unpack("!H", fr[16:18])[0]
            proto = fr[23]
            l4 = 14 + ihl
            off = {6: 16, 17: 6}.get(proto)
            if off is not None and len(fr) >= 14 + total >= l4 + off + 2:
                seg_len = total - ihl
                fr[l4 + off:l4 + off + 2] = b"\0\0"
                pseudo = bytes(fr[26:34]) + struct.pack("!BBH", 0, proto, seg_len)
                c = csum(pseudo + bytes(fr[l4:14 + total]))
                if proto == 17 and c == 0:
                    c = 0xffff
                fr[l4 + off:l4 + off + 2] = struct.pack("!H", c)
        fixed.append((t - t0, bytes(fr)))
    write_pcap(path, fixed)


def compare_own_output(name, eng, tally, difference):
    """The engine's own_output report: every recorded frame matched, no field different."""
    own = eng.get("own_output")
    diffs = []
    if not own:
        tally.add("tx frames", False)
        return [difference(name, "tx frames", "own_output", "recorded frames", "absent",
                           "the engine found none of the DUT's own frames in the capture")]
    same = own["matched"] == own["recorded"] and not own["differences"] and not own["extra"]
    tally.add("tx frames", same)
    if own["matched"] != own["recorded"]:
        diffs.append(difference(name, "tx frames", "own_output.matched", own["recorded"], own["matched"],
                                "recorded frames of the DUT against engine frames paired with them"))
    for d in own["differences"]:
        diffs.append(difference(name, "tx frames", f"own_output.{d['field']}", d["recorded"], d["engine"],
                                f"capture frame {d['capture_frame']} at {d['time']:.6f}s"))
    for m in own["missing"]:
        diffs.append(difference(name, "tx frames", "own_output.missing", m["frame"], "not sent",
                                f"capture frame {m.get('capture_frame')} at {m['time']:.6f}s"))
    for e in own["extra"]:
        diffs.append(difference(name, "tx frames", "own_output.extra", "not recorded", e["frame"],
                                f"engine packet {e.get('packet')} at {e['time']:.6f}s"))
    return diffs
