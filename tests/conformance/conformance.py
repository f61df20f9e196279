#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kernel conformance harness: runs each case on the real kernel and in the engine.

For one case (a scenario plus the frames the generator sends) it builds two network
namespaces, DUT and GEN, joined by the scenario's veth, applies the scenario's Linux
lines in DUT unchanged, emulates its `socket`/`send` lines with sock_helper.py, replays
the capture from GEN with tcpreplay, captures what DUT sends, reads the kernel's
counters, then runs `stackscope-cli run` on the same inputs and compares every counter
and every transmitted frame. Exit status: 0 all agree (or only listed known
differences), 1 unexpected differences, 77 when namespaces cannot be used (skip).
"""
import argparse
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep the source tree clean

import packets  # noqa: E402
import cases as case_catalog  # noqa: E402
import random_cases  # noqa: E402
import tcp_cases  # noqa: E402
import conntrack_tcp_cases  # noqa: E402
import own_output_cases  # noqa: E402

SKIP = 77
PREFIX = f"ssc-{os.getpid()}"
AREAS = ["ip", "icmp", "udp", "tcp", "netfilter", "links", "qdisc", "tx frames"]
# Values in /proc/net/snmp that are settings or gauges, not event counters.
NOT_COUNTERS = {"IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax",
                "TcpMaxConn", "TcpCurrEstab"}
LINK_FIELDS = ["rx_packets", "rx_bytes", "rx_dropped", "tx_packets", "tx_bytes", "tx_dropped"]
# Things the harness could not compare, printed once at the end of a run.
UNCOMPARABLE = set()


def log(msg):
    print(msg, flush=True)


class Difference:
    def __init__(self, case, area, key, kernel, engine, note=""):
        self.case, self.area, self.key = case, area, key
        self.kernel, self.engine, self.note = kernel, engine, note
        self.expected_reason = None

    def ident(self):
        return f"{self.case}:{self.key}"

    def __str__(self):
        s = f"DIFF {self.case} [{self.area}] {self.key}: kernel={self.kernel} engine={self.engine}"
        if self.note:
            s += f" ({self.note})"
        if self.expected_reason:
            s += f"  [known: {self.expected_reason}]"
        return s


class Tally:
    def __init__(self):
        self.agree = {a: 0 for a in AREAS}
        self.total = {a: 0 for a in AREAS}

    def add(self, area, same):
        self.total[area] += 1
        self.agree[area] += 1 if same else 0

    def merge(self, other):
        for a in AREAS:
            self.agree[a] += other.agree[a]
            self.total[a] += other.total[a]


def run(cmd, ns=None, check=True, input_text=None, timeout=30):
    full = (["ip", "netns", "exec", ns] if ns else []) + cmd
    p = subprocess.run(full, input=input_text, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(shlex.quote(c) for c in full)} failed ({p.returncode}): "
                           f"{p.stderr.strip() or p.stdout.strip()}")
    return p


# ----------------------------------------------------------------------------------------
# Scenario lines on Linux

HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")


def scenario_commands(text):
    """Yields (line number, argv, heredoc body or None); comments and blank lines dropped."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        i += 1
        m = HEREDOC.search(raw)
        body = None
        if m:
            term = m.group(2)
            chunk = []
            while i < len(lines) and lines[i].strip() != term:
                chunk.append(lines[i])
                i += 1
            i += 1
            body = "\n".join(chunk) + "\n"
            raw = raw[:m.start()] + raw[m.end():]
        argv = shlex.split(raw, comments=True)
        if argv:
            yield lineno, argv, body


def parse_duration(text):
    m = re.fullmatch(r"([0-9.]+)(ns|us|ms|s)?", text)
    if not m:
        raise ValueError(f"not a duration: {text}")
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, None: 1.0}[m.group(2)]
    return float(m.group(1)) * scale


def parse_addr_port(text):
    addr, _, port = text.rpartition(":")
    return (addr if addr else text), (int(port) if addr else 0)


def parse_socket(argv):
    if argv[1] == "tcp":
        return parse_tcp_socket(argv)
    if argv[1] != "udp":
        raise NotImplementedError(f"socket {argv[1]} is not emulated by the harness (udp, tcp)")
    spec = {"read": "all"}
    words = argv[2:]
    for k in range(0, len(words) - 1, 2):
        w, v = words[k], words[k + 1]
        if w == "bind":
            spec["addr"], spec["port"] = parse_addr_port(v)
        elif w == "rcvbuf":
            spec["rcvbuf"] = int(v)
        elif w == "read":
            if v.endswith("/s"):
                spec["read"], spec["rate"] = "rate", float(v[:-2])
            else:
                spec["read"] = v
        elif w == "dev":
            spec["dev"] = v
        elif w == "connect":
            a, p = parse_addr_port(v)
            spec["connect"] = [a, p]
        else:
            raise NotImplementedError(f"socket udp option {w} is not emulated by the harness")
    return spec


def parse_connect(argv):
    """`connect tcp DST:PORT [send BYTES] close`: a client in the DUT (sock_helper "clients").
    The real client starts 50 ms after the helper's go; a case recorded on the host gives the
    engine that moment as the capture's first frame, so the engine's line keeps `at 0`."""
    if len(argv) < 3 or argv[1] != "tcp":
        raise NotImplementedError("connect: only `connect tcp DST:PORT ...` is emulated")
    dst, dport = parse_addr_port(argv[2])
    spec = {"dst": dst, "dport": dport, "data": "", "at": 0.05}
    words = argv[3:]
    if "close" not in words:
        raise NotImplementedError("connect without close is not emulated by the harness")
    k = 0
    while k < len(words):
        w = words[k]
        if w == "send" and k + 1 < len(words):
            spec["data"] = "".join(chr(ord("a") + i % 26) for i in range(int(words[k + 1])))
            k += 2
        elif w == "close":
            k += 1
        else:
            raise NotImplementedError(f"connect option {w} is not emulated by the harness")
    return spec


def parse_tcp_socket(argv):
    spec = {"proto": "tcp", "read": "all", "backlog": 128}
    words = argv[2:]
    for k in range(0, len(words) - 1, 2):
        w, v = words[k], words[k + 1]
        if w == "listen":
            spec["addr"], spec["port"] = parse_addr_port(v)
        elif w == "backlog":
            spec["backlog"] = int(v)
        elif w == "rcvbuf":
            spec["rcvbuf"] = int(v)
        elif w == "dev":
            spec["dev"] = v
        else:
            raise NotImplementedError(f"socket tcp option {w} is not emulated by the harness")
    return spec


def parse_send(argv):
    if argv[1] != "udp":
        raise NotImplementedError(f"send {argv[1]} is not emulated")
    spec = {}
    spec["dst"], spec["dport"] = parse_addr_port(argv[2])
    words = argv[3:]
    for k in range(0, len(words) - 1, 2):
        w, v = words[k], words[k + 1]
        if w == "from":
            a, p = parse_addr_port(v) if ":" in v else (v, 0)
            spec["src"], spec["sport"] = a, p
        elif w == "count":
            spec["count"] = int(v)
        elif w == "interval":
            spec["interval"] = parse_duration(v)
        elif w == "at":
            spec["at"] = parse_duration(v)
        elif w == "size":
            spec["size"] = int(v)
        elif w == "df":
            spec["df"] = v == "on"
        elif w == "sndbuf":
            spec["sndbuf"] = int(v)
        elif w == "nonblock":
            spec["nonblock"] = v == "on"
        else:
            raise NotImplementedError(f"send option {w} is not emulated by the harness")
    return spec


# ----------------------------------------------------------------------------------------
# Kernel counters

def read_nstat(ns):
    out = {}
    for path in ("/proc/net/snmp", "/proc/net/netstat"):
        lines = run(["cat", path], ns).stdout.splitlines()
        for head, vals in zip(lines[0::2], lines[1::2]):
            prefix, names = head.split(":", 1)
            _, values = vals.split(":", 1)
            for n, v in zip(names.split(), values.split()):
                out[prefix + n] = int(v)
    return out


def read_links(ns):
    """Device statistics from sysfs (the names the engine uses: rx_packets, multicast, ...)."""
    p = run(["sh", "-c", "grep -r . /sys/class/net/*/statistics/"], ns)
    out = {}
    for line in p.stdout.splitlines():
        path, _, value = line.partition(":")
        parts = path.split("/")
        out.setdefault(parts[4], {})[parts[6]] = int(value)
    return out


def read_qdisc(ns):
    data = json.loads(run(["tc", "-s", "-j", "qdisc", "show"], ns).stdout or "[]")
    out = {}
    for q in data:
        if q.get("root") or q.get("parent") in (None, "root"):
            if q.get("kind") in ("ingress", "clsact"):
                continue
            out[q["dev"]] = q
    return out


IPT_CHAIN = re.compile(r"^:(\S+) (\S+) \[(\d+):(\d+)\]")
IPT_RULE = re.compile(r"^\[(\d+):(\d+)\] (-A (\S+) .*)$")


def read_iptables(ns):
    p = run(["iptables-save", "-c"], ns, check=False)
    tables = {}
    table = None
    for line in p.stdout.splitlines():
        if line.startswith("*"):
            table = tables.setdefault(line[1:], {})
        elif table is not None and (m := IPT_CHAIN.match(line)):
            table[m.group(1)] = {"policy": m.group(2) if m.group(2) != "-" else None,
                                 "packets": int(m.group(3)), "bytes": int(m.group(4)), "rules": []}
        elif table is not None and (m := IPT_RULE.match(line)):
            table[m.group(4)]["rules"].append({"rule": m.group(3), "packets": int(m.group(1)),
                                               "bytes": int(m.group(2))})
    return tables


def snapshot(ns):
    return {"nstat": read_nstat(ns), "links": read_links(ns), "qdisc": read_qdisc(ns),
            "iptables": read_iptables(ns)}


def delta_kernel(before, after):
    """Kernel view shaped like the engine's counters JSON, as deltas over the run."""
    nstat = {}
    for k, v in after["nstat"].items():
        if k in NOT_COUNTERS:
            continue
        d = v - before["nstat"].get(k, 0)
        if d:
            nstat[k] = d
    links = {}
    for dev, st in after["links"].items():
        b = before["links"].get(dev, {})
        links[dev] = {f: v - b.get(f, 0) for f, v in st.items()}
    qdisc = {}
    for dev, q in after["qdisc"].items():
        b = before["qdisc"].get(dev, {})
        qdisc[dev] = {"kind": q.get("kind"),
                      "sent_packets": q.get("packets", 0) - b.get("packets", 0),
                      "sent_bytes": q.get("bytes", 0) - b.get("bytes", 0),
                      "dropped": q.get("drops", 0) - b.get("drops", 0),
                      "overlimits": q.get("overlimits", 0) - b.get("overlimits", 0),
                      "requeues": q.get("requeues", 0) - b.get("requeues", 0),
                      "backlog_packets": q.get("qlen", 0), "backlog_bytes": q.get("backlog", 0)}
    ipt = {}
    for t, chains in after["iptables"].items():
        for c, ch in chains.items():
            bc = before["iptables"].get(t, {}).get(c)
            e = {"policy": ch["policy"], "packets": ch["packets"] - (bc["packets"] if bc else 0),
                 "bytes": ch["bytes"] - (bc["bytes"] if bc else 0), "rules": []}
            for i, r in enumerate(ch["rules"]):
                br = bc["rules"][i] if bc and i < len(bc["rules"]) else {"packets": 0, "bytes": 0}
                e["rules"].append({"rule": r["rule"], "packets": r["packets"] - br["packets"],
                                   "bytes": r["bytes"] - br["bytes"]})
            ipt.setdefault(t, {})[c] = e
    return {"nstat": nstat, "links": links, "qdisc": qdisc, "iptables": ipt}


# ----------------------------------------------------------------------------------------
# Namespaces and processes

class Lab:
    """Namespaces and processes of one case; close() removes all of them."""

    def __init__(self, tag):
        self.dut = f"{PREFIX}-{tag}-dut"
        self.gen = f"{PREFIX}-{tag}-gen"
        self.sink = f"{PREFIX}-{tag}-sink"
        self.namespaces = []
        self.procs = []

    def add_ns(self, name):
        run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        for key in ("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"):
            run(["sysctl", "-q", "-w", key], name)

    def spawn(self, cmd, ns, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + cmd, **kw)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGINT)
                    p.wait(timeout=2)
                except Exception:
                    p.kill()
                    p.wait(timeout=2)
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.namespaces = []


def start_tcpdump(lab, ns, iface, path, direction):
    p = lab.spawn(["tcpdump", "-i", iface, "-n", "-U", "-Q", direction, "-s", "0", "-w", path],
                  ns, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    if "listening on" not in line:
        raise RuntimeError(f"tcpdump on {iface} did not start: {line.strip()}")
    return p


def stop_process(p):
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def run_kernel(case, work, notes):
    """Runs the case in namespaces; returns (counter deltas, {iface: tx frames})."""
    lab = Lab(case["tag"])
    try:
        lab.add_ns(lab.dut)
        lab.add_ns(lab.gen)
        # A new netns copies some conf/all and conf/default values from the host; the
        # engine models compiled defaults, so the DUT starts from those.
        for key in ("net.ipv4.ip_forward=0", "net.ipv4.conf.all.rp_filter=0",
                    "net.ipv4.conf.default.rp_filter=0"):
            run(["sysctl", "-q", "-w", key], lab.dut)
        sockets, sends, clients, peers, dummies = [], [], [], {}, []
        taps = []
        for lineno, argv, body in scenario_commands(case["scenario"]):
            cmd = argv[0]
            where = f"scenario line {lineno}"
            if cmd in ("hostname", "cpus"):
                notes.append(f"{where}: `{' '.join(argv)}` is Stackscope's own, not run on Linux")
                continue
            if cmd == "socket":
                sockets.append(parse_socket(argv))
                continue
            if cmd == "send":
                sends.append(parse_send(argv))
                continue
            if cmd == "connect":
                clients.append(parse_connect(argv))
                continue
            if cmd == "tcpdump":
                taps.append(argv)
                continue
            if cmd == "ethtool":
                p = run(argv, lab.dut, check=False) if shutil.which("ethtool") else None
                if p is None or p.returncode != 0:
                    why = "ethtool is not installed" if p is None else p.stderr.strip()
                    notes.append(f"{where}: `{' '.join(argv)}` skipped on Linux: {why}")
                continue
            run(argv, lab.dut, input_text=body)
            if argv[:3] == ["ip", "link", "add"] and "veth" in argv:
                peers[argv[3]] = argv[argv.index("name") + 1]
            if argv[:3] == ["ip", "link", "add"] and "dummy" in argv:
                dummies.append(argv[3])
        # veth peers live outside the simulated host: the rx interface's peer in GEN,
        # any other in a sink namespace.
        rx_if = case.get("iface", "eth0")
        for dev, peer in peers.items():
            target = lab.gen if dev == rx_if else lab.sink
            if target == lab.sink and lab.sink not in lab.namespaces:
                lab.add_ns(lab.sink)
            run(["ip", "link", "set", peer, "netns", target], lab.dut)
            run(["ip", "link", "set", peer, "up"], target)
        gen_if = peers.get(rx_if)
        if gen_if is None:
            raise RuntimeError(f"the scenario gives {rx_if} no veth peer for the generator")
        for argv in taps:
            out = open(os.path.join(work, f"dut-tcpdump-{len(lab.procs)}.txt"), "w")
            p = lab.spawn(argv + ["-l"], lab.dut, stdout=out, stderr=subprocess.PIPE, text=True)
            line = p.stderr.readline()
            if "listening on" not in line:
                raise RuntimeError(f"scenario tcpdump did not start: {line.strip()}")
        helper = lab.spawn([sys.executable, os.path.join(HERE, "sock_helper.py"),
                            json.dumps({"sockets": sockets, "sends": sends, "clients": clients})], lab.dut,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        if helper.stdout.readline().strip() != "ready":
            raise RuntimeError(f"socket helper failed: {helper.stderr.read().strip()}")
        captures = {}
        dumps = []
        for dev, peer in peers.items():
            path = os.path.join(work, f"kernel-tx-{dev}.pcap")
            ns = lab.gen if dev == rx_if else lab.sink
            dumps.append(start_tcpdump(lab, ns, peer, path, "in"))
            captures[dev] = path
        for dev in dummies:
            path = os.path.join(work, f"kernel-tx-{dev}.pcap")
            dumps.append(start_tcpdump(lab, lab.dut, dev, path, "out"))
            captures[dev] = path
        if case.get("record_dut"):  # a capture taken on the host itself: the engine's input
            dumps.append(start_tcpdump(lab, lab.dut, rx_if, case["capture"], "inout"))
        server = None
        if case.get("server"):  # a real server in the generator namespace for the DUT's clients
            server = own_output_cases.start_server(lab, gen_if, case["server"])
        time.sleep(0.1)
        before = snapshot(lab.dut)
        helper.stdin.write("go\n")
        helper.stdin.flush()
        if case["frames"]:
            rate = ["--pps", str(case["pps"])] if case.get("pps") else []
            run(["tcpreplay", "-q", "-i", gen_if] + rate + [case["capture"]], lab.gen, timeout=120)
        if case.get("client"):
            own_output_cases.run_client(lab, gen_if, case["client"])
        time.sleep(case["settle"])
        after = snapshot(lab.dut)
        helper.stdin.write("stop\n")
        helper.stdin.flush()
        try:
            out, _ = helper.communicate(timeout=3)
            lines = [ln for ln in out.splitlines() if ln.startswith("{")]
            result = json.loads(lines[-1]) if lines else {}
            # A case may expect its clients' connect() to fail (client_error: the message).
            expected = case.get("client_error")
            if expected:
                if not any(expected in e for e in result.get("errors", [])):
                    raise RuntimeError(f"DUT client did not fail with {expected!r}: {result}")
            elif clients and result.get("connections", 0) != len(clients):
                raise RuntimeError(f"DUT client failed: {result.get('errors')}")
        except subprocess.TimeoutExpired:
            helper.kill()
        if server is not None:
            own_output_cases.stop_server(server)
        time.sleep(0.05)
        for p in dumps:
            stop_process(p)
        tx = {dev: [f for _, f in packets.read_pcap(path)] for dev, path in captures.items()
              if os.path.exists(path)}
        return delta_kernel(before, after), tx
    finally:
        lab.close()


def run_engine(case, work, cli):
    out = os.path.join(work, "engine-counters.json")
    rx_if = case.get("iface", "eth0")
    ifaces = [rx_if] + case.get("tx_ifaces", [])
    cmd = [cli, "run", case["scenario_path"], "--settle", f"{int(case['settle'] * 1000)}ms",
           "--counters-json", out]
    if case.get("record_dut"):
        own_output_cases.complete_checksums(case["capture"])
    if case["frames"] or case.get("record_dut"):
        cmd += ["--rx", f"{rx_if}={case['capture']}"]
    for dev in ifaces:
        cmd += ["--tx-pcap", f"{dev}={os.path.join(work, f'engine-tx-{dev}.pcap')}"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"stackscope-cli failed ({p.returncode}): {p.stderr.strip()}")
    with open(out) as f:
        counters = json.load(f)
    tx = {}
    for dev in ifaces:
        path = os.path.join(work, f"engine-tx-{dev}.pcap")
        tx[dev] = [fr for _, fr in packets.read_pcap(path)] if os.path.exists(path) else []
    return counters, tx


# ----------------------------------------------------------------------------------------
# Comparison

def nstat_area(name):
    if name.startswith(("IcmpMsg", "Icmp")):
        return "icmp"
    if name.startswith(("Udp", "UdpLite")):
        return "udp"
    if name.startswith(("Ip", "IpExt")):
        return "ip"
    return "tcp"


def compare(name, kern, kern_tx, eng, eng_tx, tally):
    diffs = []

    def check(area, key, kv, ev, note=""):
        same = kv == ev
        if kv or ev:  # zero on both sides agrees trivially; the report leaves it out
            tally.add(area, same)
        if not same:
            diffs.append(Difference(name, area, key, kv, ev, note))

    en = eng.get("nstat", {})
    for k in sorted(set(kern["nstat"]) | set(en)):
        if k in NOT_COUNTERS:
            continue
        check(nstat_area(k), k, kern["nstat"].get(k, 0), en.get(k, 0))

    el = eng.get("links", {})
    for dev in sorted(set(el) | (set(kern["links"]) - {"lo"})):
        kl = kern["links"].get(dev)
        e = el.get(dev)
        if kl is None or e is None:
            check("links", f"links.{dev}", "present" if kl else "absent",
                  "present" if e else "absent")
            continue
        for f in LINK_FIELDS + sorted(set(e) - set(LINK_FIELDS)):
            if f not in kl:
                UNCOMPARABLE.add(f"links.{f}: the engine reports it, the kernel shows it in no "
                                 "place the harness reads (sysfs statistics)")
                continue
            check("links", f"links.{dev}.{f}", kl[f], e.get(f, 0))

    eq = eng.get("qdisc", {})
    for dev in sorted(set(eq) | (set(kern["qdisc"]) - {"lo"})):
        kq = kern["qdisc"].get(dev)
        e = eq.get(dev)
        if kq is None or e is None:
            check("qdisc", f"qdisc.{dev}", kq["kind"] if kq else "absent",
                  e.get("kind") if e else "absent")
            continue
        check("qdisc", f"qdisc.{dev}.kind", kq["kind"], e.get("kind"))
        for f in ["sent_packets", "dropped"] + [f for f in ("sent_bytes", "overlimits", "requeues")
                                                 if f in e]:
            check("qdisc", f"qdisc.{dev}.{f}", kq.get(f, 0), e.get(f, 0))

    ei = eng.get("iptables") or {}
    ki = kern["iptables"]
    for t in sorted(set(ei) | set(ki)):
        for c in sorted(set(ei.get(t, {})) | set(ki.get(t, {}))):
            kc, ec = ki.get(t, {}).get(c), ei.get(t, {}).get(c)
            key = f"iptables.{t}.{c}"
            if kc is None or ec is None:
                have = kc or ec
                busy = have.get("packets", 0) or any(r.get("packets", 0) for r in have.get("rules", []))
                if busy or have.get("rules"):
                    check("netfilter", key, "present" if kc else "absent", "present" if ec else "absent")
                continue
            if kc.get("policy") or ec.get("policy"):
                check("netfilter", f"{key}.policy", kc.get("policy"), ec.get("policy"))
                check("netfilter", f"{key}.policy.packets", kc["packets"], ec.get("packets", 0))
                check("netfilter", f"{key}.policy.bytes", kc["bytes"], ec.get("bytes", 0))
            kr, er = kc["rules"], ec.get("rules", [])
            check("netfilter", f"{key}.rules", len(kr), len(er))
            for i in range(min(len(kr), len(er))):
                rk = f"{key}.rule{i + 1}"
                check("netfilter", f"{rk}.text", kr[i]["rule"], " ".join(er[i]["rule"].split()))
                check("netfilter", f"{rk}.packets", kr[i]["packets"], er[i].get("packets", 0))
                check("netfilter", f"{rk}.bytes", kr[i]["bytes"], er[i].get("bytes", 0))

    for dev in sorted(set(kern_tx) | set(eng_tx)):
        kf, ef = kern_tx.get(dev, []), eng_tx.get(dev, [])
        check("tx frames", f"tx.{dev}.count", len(kf), len(ef))
        for i in range(min(len(kf), len(ef))):
            dk, de = packets.dissect(kf[i]), packets.dissect(ef[i])
            bad = [f for f in sorted(set(dk) | set(de)) if dk.get(f) != de.get(f)]
            tally.add("tx frames", not bad)
            for f in bad:
                diffs.append(Difference(name, "tx frames", f"tx.{dev}[{i}].{f}", dk.get(f), de.get(f),
                                        f"kernel frame: {packets.describe(kf[i])}"))
        extra = kf[len(ef):] if len(kf) > len(ef) else ef[len(kf):]
        side = "kernel" if len(kf) > len(ef) else "engine"
        for j, fr in enumerate(extra[:5]):
            diffs.append(Difference(name, "tx frames", f"tx.{dev}.extra", side, packets.describe(fr),
                                    f"frame {min(len(kf), len(ef)) + j} only on the {side} side"))
    return diffs


# ----------------------------------------------------------------------------------------
# Cases, expectations, main

def load_expectations(path):
    rules = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            if ":" not in parts[0] or len(parts) < 2:
                raise SystemExit(f"{path}:{n}: expected `CASE:COUNTER reason`, got: {line}")
            case, key = parts[0].split(":", 1)
            rules.append((case, key, parts[1], f"{path}:{n}"))
    return rules


def possible_cpus():
    """num_possible_cpus() of this machine, from a range list such as 0-3 or 0,2-5."""
    try:
        with open("/sys/devices/system/cpu/possible") as f:
            text = f.read().strip()
    except OSError:
        return os.cpu_count() or 1
    count = 0
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        count += int(hi or lo) - int(lo) + 1
    return count


def prepare(case, work):
    case = dict(case)
    case.setdefault("settle", 1.0)
    case.setdefault("tag", re.sub(r"[^a-z0-9]", "", case["name"].lower())[:12] or "case")
    case["scenario_path"] = os.path.join(work, "scenario.scn")
    with open(case["scenario_path"], "w") as f:
        # The kernel's machine has this many CPUs (a veth gets one TX queue per possible
        # CPU), so the simulated host is given as many unless the case says otherwise.
        if not any(l.split()[:1] == ["cpus"] for l in case["scenario"].splitlines()):
            f.write(f"cpus {possible_cpus()}\n")
        f.write(case["scenario"])
    case["capture"] = os.path.join(work, "capture.pcap")
    packets.write_pcap(case["capture"], case["frames"])
    return case


def load_case_dir(path):
    with open(os.path.join(path, "scenario.scn")) as f:
        scenario = f.read()
    frames = packets.read_pcap(os.path.join(path, "capture.pcap"))
    t0 = frames[0][0] if frames else 0
    case = {"name": os.path.basename(os.path.normpath(path)), "scenario": scenario,
            "frames": [(t - t0, fr) for t, fr in frames]}
    meta = os.path.join(path, "case.json")
    if os.path.exists(meta):
        with open(meta) as f:
            case.update(json.load(f))
    return case


def preflight():
    if os.geteuid() != 0:
        return "not running as root: network namespaces need CAP_SYS_ADMIN"
    for tool in ("ip", "tcpreplay", "tcpdump", "iptables-save", "tc", "sysctl"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    probe = f"{PREFIX}-probe"
    p = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if p.returncode != 0:
        return f"`ip netns add` failed: {p.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default=os.environ.get("STACKSCOPE_CLI", "stackscope-cli"))
    ap.add_argument("--all", action="store_true", help="every hand-written case plus --random cases")
    ap.add_argument("--case", action="append", default=[], help="run a hand-written case by name (glob)")
    ap.add_argument("--case-dir", action="append", default=[],
                    help="a folder with scenario.scn and capture.pcap (optional case.json)")
    ap.add_argument("--random", type=int, default=None, help="number of random cases")
    ap.add_argument("--seed", type=int, default=None, help="seed of the first random case")
    ap.add_argument("--report", action="store_true", help="print agreement per area")
    ap.add_argument("--expect-failures", help="file of CASE:COUNTER entries known to differ")
    ap.add_argument("--keep", help="keep each case's files under this folder")
    ap.add_argument("--list", action="store_true", help="list hand-written cases")
    ap.add_argument("--kernel-only", action="store_true",
                    help="print what the kernel counted and sent, without running the engine")
    ap.add_argument("--write-cases", help="write every hand-written case as a folder here and exit")
    args = ap.parse_args()

    catalog = case_catalog.all_cases() + tcp_cases.all_cases() + conntrack_tcp_cases.all_cases() + own_output_cases.all_cases()
    if args.list:
        for c in catalog:
            log(f"{c['name']:32} {c.get('doc', '')}")
        return 0
    if args.write_cases:
        for c in catalog:
            d = os.path.join(args.write_cases, c["name"])
            os.makedirs(d, exist_ok=True)
            prepare(c, d)
            with open(os.path.join(d, "case.json"), "w") as f:
                json.dump({k: c[k] for k in ("settle", "iface", "tx_ifaces", "pps") if k in c}, f)
        return 0

    selected = []
    if args.all or args.report and not (args.case or args.case_dir or args.random):
        selected += catalog
    for pat in args.case:
        hits = [c for c in catalog if fnmatch.fnmatch(c["name"], pat)]
        if not hits:
            log(f"no case matches {pat}; --list shows them")
            return 2
        selected += hits
    selected += [load_case_dir(d) for d in args.case_dir]
    n_random = args.random if args.random is not None else (4 if args.all or args.report else 0)
    seed = args.seed if args.seed is not None else int(os.environ.get("STACKSCOPE_CONFORMANCE_SEED",
                                                                      time.time_ns() % 100000))
    for i in range(n_random):
        selected.append(random_cases.make_case(seed + i))
    if not selected:
        ap.error("nothing to run: give --all, --case, --case-dir or --random")

    why = preflight()
    if why:
        log(f"SKIP: kernel conformance suite not run: {why}")
        return SKIP
    cli = shutil.which(args.cli) or args.cli
    if not args.kernel_only and not os.access(cli, os.X_OK):
        log(f"error: stackscope-cli not found at {args.cli}")
        return 1
    expectations = load_expectations(args.expect_failures) if args.expect_failures else []
    if n_random:
        log(f"random cases: seeds {seed}..{seed + n_random - 1} (replay one with --random 1 --seed S)")

    def stop(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, stop)

    tally = Tally()
    all_diffs, errors = [], []
    started = time.monotonic()
    for case in selected:
        work = tempfile.mkdtemp(prefix="ssc-conf-")
        try:
            c = prepare(case, work)
            notes = []
            t = time.monotonic()
            kern, kern_tx = run_kernel(c, work, notes)
            if args.kernel_only:
                log(f"{c['name']}: nstat {json.dumps(kern['nstat'])}")
                log(f"     links {json.dumps({d: {k: v for k, v in l.items() if v} for d, l in kern['links'].items()})}")
                log(f"     qdisc {json.dumps(kern['qdisc'])}")
                for dev, frames in kern_tx.items():
                    for fr in frames:
                        log(f"     tx {dev}: {packets.describe(fr)}")
                for n in notes:
                    log(f"     note: {n}")
                continue
            eng, eng_tx = run_engine(c, work, cli)
            ct = Tally()
            diffs = compare(c["name"], kern, kern_tx, eng, eng_tx, ct)
            if c.get("record_dut"):
                diffs += own_output_cases.compare_own_output(c["name"], eng, ct, Difference)
            tally.merge(ct)
            seed_note = f" seed={c['seed']}" if "seed" in c else ""
            total = sum(ct.total.values())
            agree = sum(ct.agree.values())
            log(f"{'ok  ' if not diffs else 'DIFF'} {c['name']}{seed_note}: {agree}/{total} agree "
                f"({time.monotonic() - t:.1f}s)")
            for n in notes:
                log(f"     note: {n}")
            for d in diffs:
                for case_pat, key_pat, reason, _where in expectations:
                    if fnmatch.fnmatch(d.case, case_pat) and fnmatch.fnmatch(d.key, key_pat):
                        d.expected_reason = reason
                        break
                log(f"     {d}{seed_note}")
            all_diffs += diffs
        except Exception as e:  # a case that cannot run is a failure with its name
            errors.append(f"{case['name']}: {e}")
            log(f"ERROR {case['name']}: {e}")
        finally:
            if args.keep:
                dest = os.path.join(args.keep, case["name"])
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(work, dest)
            shutil.rmtree(work, ignore_errors=True)

    unexpected = [d for d in all_diffs if not d.expected_reason]
    used = {(c, k) for c, k, _, _ in expectations
            if any(fnmatch.fnmatch(d.case, c) and fnmatch.fnmatch(d.key, k) for d in all_diffs)}
    ran = {c["name"] for c in selected}
    for c, k, reason, where in expectations:
        if (c, k) not in used and any(fnmatch.fnmatch(n, c) for n in ran) and "*" not in c:
            log(f"NOW AGREES (remove from the list): {c}:{k} ({where}: {reason})")

    log(f"\n{len(selected)} cases in {time.monotonic() - started:.0f}s: {len(all_diffs)} differences "
        f"({len(all_diffs) - len(unexpected)} known, {len(unexpected)} unexpected), {len(errors)} errors")
    if args.report:
        log("\nagreement per area (counters compared on both sides, either side non-zero):")
        for a in AREAS:
            if tally.total[a]:
                log(f"  {a:10} {tally.agree[a]:5} / {tally.total[a]:<5} agree")
        log(f"  {'all':10} {sum(tally.agree.values()):5} / {sum(tally.total.values()):<5} agree")
    for u in sorted(UNCOMPARABLE):
        log(f"not compared: {u}")
    for e in errors:
        log(f"ERROR {e}")
    return 1 if unexpected or errors else 0


if __name__ == "__main__":
    sys.exit(main())
