#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""iptables-save round trip against the real kernel.

Each ruleset below is loaded into a fresh network namespace with the system's
iptables-restore (iptables 1.8.9, nf_tables backend) and read back with
iptables-save. The engine gets the same input through a scenario's
`iptables-restore <<EOF` block and `stackscope-cli show SCENARIO --iptables-save`
must print exactly what the kernel printed (iptables-save's "#" comment lines
aside). The kernel's output is then fed to the engine the same way and must come
back unchanged, so the engine reads iptables-save's canonical form as the same
ruleset. Exit status: 0 all equal, 1 differences, 77 skipped (not root, no
namespaces, no iptables).
"""
import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
NETNS = f"ssc-rt-{os.getpid()}"

# Written the way people type them (implicit matches, aliases, service names, masks in
# every spelling), so the comparison also checks the engine's canonical form.
RULESETS = {
    "addresses-interfaces": """*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 10.0.0.0/8 -j ACCEPT
-A INPUT -s 192.168.1.7 -d 10.1.2.0/24 -j ACCEPT
-A INPUT ! -s 172.16.0.0/12 ! -d 10.9.9.9/32 -j DROP
-A INPUT -d 10.0.0.0/255.0.255.0 -j DROP
-A INPUT -s 10.1.1.1/16 -j ACCEPT
-A INPUT -i eth0 -j ACCEPT
-A INPUT ! -i eth+ -j DROP
-A INPUT -i + -j ACCEPT
-A FORWARD -i veth0 -o veth1 -j ACCEPT
-A FORWARD ! -o wlan+ -j DROP
-A OUTPUT -o lo -j ACCEPT
-A INPUT -f -j DROP
-A INPUT ! -f -p udp -j ACCEPT
-A INPUT -p 47 -j ACCEPT
-A INPUT ! -p icmp -j ACCEPT
-A INPUT -p sctp -j ACCEPT
-A INPUT -p all -j ACCEPT
COMMIT
""",
    "tcp-udp-icmp": """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m tcp --sport 1024:65535 --dport ssh -j ACCEPT
-A INPUT -p tcp ! --dport 80 -j ACCEPT
-A INPUT -p tcp --dport :1023 -j ACCEPT
-A INPUT -p tcp --sport 1024: -j ACCEPT
-A INPUT -p tcp ! --sport 5:9 -j ACCEPT
-A INPUT -p tcp --syn -j ACCEPT
-A INPUT -p tcp ! --syn -j ACCEPT
-A INPUT -p tcp --tcp-flags SYN,ACK SYN -j ACCEPT
-A INPUT -p tcp --tcp-flags ALL NONE -j DROP
-A INPUT -p tcp ! --tcp-flags FIN,SYN,RST,PSH,ACK,URG FIN,PSH,URG -j DROP
-A INPUT -p udp --dport 53 -j ACCEPT
-A INPUT -p udp -m udp --sport 67:68 --dport 67:68 -j ACCEPT
-A INPUT -p udp --dport domain -j ACCEPT
-A INPUT -p icmp --icmp-type echo-request -j ACCEPT
-A INPUT -p icmp --icmp-type 8 -j ACCEPT
-A INPUT -p icmp --icmp-type 3/4 -j ACCEPT
-A INPUT -p icmp --icmp-type port-unreachable -j ACCEPT
-A INPUT -p icmp --icmp-type destination-unreachable -j ACCEPT
-A INPUT -p icmp ! --icmp-type echo-reply -j ACCEPT
-A INPUT -p icmp --icmp-type any -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type time-exceeded -j ACCEPT
COMMIT
""",
    "multiport-state-mark": """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m multiport --dports 22,80,443 -j ACCEPT
-A INPUT -p udp -m multiport --sports 1000:2000,53 -j ACCEPT
-A INPUT -p tcp -m multiport --ports 25,110:120 -j ACCEPT
-A INPUT -p tcp -m multiport ! --dports 1,2,3 -j DROP
-A INPUT -p sctp -m multiport --dports 9 -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -m conntrack ! --ctstate NEW,UNTRACKED -j ACCEPT
-A INPUT -m conntrack --ctstate SNAT,DNAT -j ACCEPT
-A INPUT -m state --state NEW -j ACCEPT
-A INPUT -m state ! --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m mark --mark 0x1 -j ACCEPT
-A INPUT -m mark --mark 7/0xff -j ACCEPT
-A INPUT -m mark ! --mark 0x10/0x10 -j ACCEPT
-A INPUT -m comment --comment "allow dns" -j ACCEPT
-A INPUT -m comment --comment plain -j ACCEPT
-A INPUT -m comment --comment "it's \\"quoted\\"" -j ACCEPT
-A INPUT -p udp --dport 9 -m comment --comment "after a match" -j DROP
COMMIT
""",
    "limit-iprange-addrtype-length-ttl-pkttype": """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m limit --limit 5/sec -j ACCEPT
-A INPUT -m limit --limit 10/minute --limit-burst 20 -j ACCEPT
-A INPUT -m limit -j ACCEPT
-A INPUT -m limit --limit 1/day -j ACCEPT
-A INPUT -m limit --limit 7/h --limit-burst 1 -j ACCEPT
-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT
-A INPUT -m iprange ! --dst-range 192.168.0.1-192.168.0.200 -j DROP
-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.2 --dst-range 10.0.0.3-10.0.0.4 -j ACCEPT
-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT
-A INPUT -m addrtype --src-type BROADCAST,MULTICAST -j DROP
-A INPUT -m addrtype ! --dst-type UNICAST --limit-iface-in -j DROP
-A OUTPUT -m addrtype --src-type LOCAL --limit-iface-out -j ACCEPT
-A INPUT -m length --length 1000:1500 -j ACCEPT
-A INPUT -m length --length 64 -j ACCEPT
-A INPUT -m length ! --length 0:100 -j ACCEPT
-A INPUT -m ttl --ttl-eq 64 -j ACCEPT
-A INPUT -m ttl ! --ttl-eq 1 -j ACCEPT
-A INPUT -m ttl --ttl-lt 5 -j DROP
-A INPUT -m ttl --ttl-gt 200 -j DROP
-A INPUT -m pkttype --pkt-type broadcast -j DROP
-A INPUT -m pkttype ! --pkt-type unicast -j DROP
-A INPUT -m pkttype --pkt-type multicast -j DROP
-A INPUT -m pkttype --pkt-type otherhost -j DROP
COMMIT
""",
    "filter-targets": """*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:LOGDROP - [0:0]
:zz-chain - [0:0]
:A_CHAIN - [0:0]
-A INPUT -p tcp -j REJECT --reject-with tcp-reset
-A INPUT -j REJECT
-A INPUT -j REJECT --reject-with icmp-net-unreachable
-A INPUT -j REJECT --reject-with icmp-host-unreachable
-A INPUT -j REJECT --reject-with icmp-proto-unreachable
-A INPUT -j REJECT --reject-with icmp-net-prohibited
-A INPUT -j REJECT --reject-with icmp-host-prohibited
-A INPUT -j REJECT --reject-with icmp-admin-prohibited
-A INPUT -j REJECT --reject-with icmp-port-unreachable
-A INPUT -j LOG
-A INPUT -j LOG --log-prefix "in: " --log-level 6
-A INPUT -j LOG --log-prefix plain --log-level debug --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid
-A INPUT -j LOG --log-macdecode --log-level 4
-A INPUT -j LOGDROP
-A INPUT -g zz-chain
-A INPUT -j A_CHAIN
-A LOGDROP -j LOG --log-prefix "dropped: "
-A LOGDROP -j DROP
-A zz-chain -j RETURN
-A A_CHAIN -p udp -j RETURN
-A FORWARD -j ACCEPT
COMMIT
""",
    "mangle-targets": """*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j MARK --set-mark 0x1
-A PREROUTING -j MARK --set-mark 0x2/0xff
-A PREROUTING -j MARK --set-xmark 0x3/0xf
-A PREROUTING -j MARK --and-mark 0xfe
-A PREROUTING -j MARK --or-mark 0x100
-A PREROUTING -j MARK --xor-mark 0x4
-A PREROUTING -j CONNMARK --set-mark 0x5
-A PREROUTING -j CONNMARK --set-xmark 0x6/0xff
-A PREROUTING -j CONNMARK --save-mark
-A PREROUTING -j CONNMARK --restore-mark
-A PREROUTING -j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff00
-A PREROUTING -j CONNMARK --restore-mark --mask 0xf
-A PREROUTING -j CONNMARK --and-mark 0x7
-A PREROUTING -j CONNMARK --or-mark 0x8
-A PREROUTING -j TTL --ttl-set 64
-A FORWARD -j TTL --ttl-dec 1
-A POSTROUTING -j TTL --ttl-inc 2
-A OUTPUT -m mark --mark 0x1 -j ACCEPT
COMMIT
""",
    "nat-raw-security": """*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp --dport 53 -j CT --notrack
-A PREROUTING -p icmp -j TRACE
-A OUTPUT -j NOTRACK
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.5
-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.0.5:80
-A PREROUTING -p udp -j DNAT --to-destination 10.0.0.5-10.0.0.9:1000-2000
-A PREROUTING -p tcp --dport 81 -j REDIRECT --to-ports 8081
-A PREROUTING -p tcp --dport 82 -j REDIRECT
-A PREROUTING -p udp --dport 83 -j REDIRECT --to-ports 1000-1010
-A OUTPUT -d 10.9.0.0/16 -j DNAT --to-destination 10.0.0.1
-A POSTROUTING -o eth0 -j MASQUERADE
-A POSTROUTING -o eth1 -p tcp -j MASQUERADE --to-ports 20000-30000
-A POSTROUTING -s 10.0.0.0/24 -j SNAT --to-source 192.0.2.1
-A POSTROUTING -s 10.0.1.0/24 -p udp -j SNAT --to-source 192.0.2.1-192.0.2.4:4000-5000
-A INPUT -p tcp -j SNAT --to-source 10.0.0.1
COMMIT
*security
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
COMMIT
""",
    "spellings-iptables-rewrites": """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i + -j ACCEPT
-A INPUT ! -i + -j ACCEPT
-A OUTPUT -o + -j ACCEPT
-A INPUT -p tcp --dport 0:65535 -j ACCEPT
-A INPUT -p tcp --dport 0:65535 --sport 5 -j ACCEPT
-A INPUT -p tcp --tcp-flags NONE NONE -j ACCEPT
-A INPUT -p udp -m multiport --dports 0:65535 -j ACCEPT
-A INPUT -m conntrack --ctstate new,Estab -j ACCEPT
-A INPUT -m state --state inv -j DROP
-A INPUT -j REJECT --reject-with icmp-proto-unreach
-A INPUT -j REJECT --reject-with ICMP
-A INPUT -j REJECT --reject-with icmp-host
-A INPUT -j REJECT --reject-with admin-prohib
-A INPUT -p tcp -j REJECT --reject-with tcp-rst
-A INPUT -m pkttype --pkt-type HOST -j ACCEPT
-A INPUT -m mark --mark 0/0 -j ACCEPT
-A INPUT -m mark --mark 017 -j ACCEPT
-A INPUT -m iprange --src-range 10.0.0.1 -j ACCEPT
-A INPUT -m length --length 100: -j ACCEPT
-A INPUT -j LOG --log-level warning --log-prefix "a'b c"
-A INPUT -j LOG --log-prefix "123456789012345678901234567890xyz"
-A INPUT -p icmp --icmp-type 255 -j ACCEPT
-A INPUT -p icmp --icmp-type network-unreachable -j ACCEPT
-A INPUT -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -j ACCEPT
-A INPUT -p esp -j ACCEPT
-A INPUT -p 250 -j ACCEPT
-A INPUT -s 10.0.0.0/0.0.0.255 -j ACCEPT
[5:300] -A INPUT -j ACCEPT
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A OUTPUT -j CT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4 --random --persistent
-A PREROUTING -p tcp -j DNAT --to-destination :8080
-A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4:100-100
-A PREROUTING -p tcp -j REDIRECT --random
-A PREROUTING -p tcp -j REDIRECT --to-ports 5 --random
-A PREROUTING -p tcp -j REDIRECT --to-ports 8080-8080
-A POSTROUTING -p tcp -j SNAT --to-source 1.2.3.4 --random
-A POSTROUTING -p tcp -j SNAT --to-source 1.2.3.4 --random-fully --persistent --random
-A POSTROUTING -p tcp -j MASQUERADE --random
-A POSTROUTING -p tcp -j MASQUERADE --to-ports 5-6 --random-fully --random
-A POSTROUTING -j SNAT --to-source 1.2.3.4-1.2.3.4
COMMIT
""",
    "implicit-chains-and-order": """*filter
:OUTPUT DROP [0:0]
:b - [0:0]
:B - [0:0]
:a - [0:0]
-A OUTPUT -j a
-A OUTPUT -j b
-A OUTPUT -j B
-A a -j ACCEPT
COMMIT
*mangle
-A INPUT -j ACCEPT
COMMIT
""",
}


def log(msg):
    print(msg, flush=True)


def preflight():
    if os.geteuid() != 0:
        return "not running as root: a network namespace needs CAP_SYS_ADMIN"
    for tool in ("ip", "iptables-restore", "iptables-save"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    version = subprocess.run(["iptables-save", "--version"], capture_output=True, text=True).stdout
    if "nf_tables" not in version:
        return f"iptables-save is not the nf_tables variant: {version.strip()}"
    return None


def strip_comments(text):
    return "".join(line + "\n" for line in text.splitlines() if not line.startswith("#"))


def kernel_save(ruleset):
    """Loads the ruleset into a fresh namespace; returns (iptables-save output, error)."""
    made = subprocess.run(["ip", "netns", "add", NETNS], capture_output=True, text=True)
    if made.returncode != 0:
        return None, f"`ip netns add` failed: {made.stderr.strip()}"
    try:
        load = subprocess.run(["ip", "netns", "exec", NETNS, "iptables-restore"], input=ruleset,
                              capture_output=True, text=True)
        if load.returncode != 0:
            return None, f"iptables-restore refused the ruleset: {load.stderr.strip()}"
        save = subprocess.run(["ip", "netns", "exec", NETNS, "iptables-save"], capture_output=True, text=True)
        if save.returncode != 0:
            return None, f"iptables-save failed: {save.stderr.strip()}"
        return strip_comments(save.stdout), None
    finally:
        subprocess.run(["ip", "netns", "del", NETNS], capture_output=True)


def engine_save(cli, ruleset, workdir, name):
    """The ruleset as a scenario's iptables-restore block, printed by `show --iptables-save`."""
    path = os.path.join(workdir, f"{name}.scn")
    with open(path, "w") as f:
        f.write("iptables-restore <<EOF\n" + ruleset + "EOF\n")
    p = subprocess.run([cli, "show", path, "--iptables-save"], capture_output=True, text=True)
    if p.returncode != 0:
        return None, f"stackscope-cli show failed ({p.returncode}): {(p.stderr or p.stdout).strip()}"
    return p.stdout, None


def compare(name, what, kernel, engine):
    if kernel == engine:
        return True
    log(f"DIFF {name}: {what}")
    for line in difflib.unified_diff(kernel.splitlines(), engine.splitlines(), "kernel", "engine", lineterm=""):
        log("    " + line)
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default=os.environ.get("STACKSCOPE_CLI", "stackscope-cli"))
    ap.add_argument("--case", action="append", default=[], help="run only these rulesets (by name)")
    ap.add_argument("--list", action="store_true", help="list the rulesets")
    args = ap.parse_args()
    if args.list:
        for name in RULESETS:
            log(name)
        return 0
    why = preflight()
    if why:
        log(f"SKIP: {why}")
        return SKIP
    names = args.case or list(RULESETS)
    unknown = [n for n in names if n not in RULESETS]
    if unknown:
        log(f"unknown ruleset(s): {', '.join(unknown)}; --list shows them")
        return 2
    failures = 0
    with tempfile.TemporaryDirectory(prefix="ssc-rt-") as workdir:
        for name in names:
            ruleset = RULESETS[name]
            kernel, err = kernel_save(ruleset)
            if err:
                if "netns add" in err:
                    log(f"SKIP: {err}")
                    return SKIP
                log(f"FAIL {name}: {err}")
                failures += 1
                continue
            ok = True
            engine, err = engine_save(args.cli, ruleset, workdir, name)
            if err:
                log(f"FAIL {name}: {err}")
                failures += 1
                continue
            ok = compare(name, "export of the same input differs from the kernel's iptables-save", kernel, engine)
            again, err = engine_save(args.cli, kernel, workdir, name + "-again")
            if err:
                log(f"FAIL {name}: reading the kernel's iptables-save back: {err}")
                ok = False
            elif not compare(name, "the kernel's iptables-save, read back and exported, changed", kernel, again):
                ok = False
            log(f"{'ok  ' if ok else 'FAIL'} {name}")
            failures += 0 if ok else 1
    log(f"{len(names) - failures}/{len(names)} rulesets round-trip exactly")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
