# SPDX-License-Identifier: GPL-3.0-or-later
"""Hand-written conntrack TCP cases: the TCP tracker's window checks, flag checks and
mid-stream pickup, seen through `-m conntrack --ctstate` rule counters.

The replayed capture cannot know the kernel's random ISN (see tcp_cases.py), so the
segments are chosen so that the tracker's verdict does not depend on it: a RST|ACK with
ack 0 is checked against the ISN-free bounds only (conntrack replaces a zero ack in a RST),
and its sequence number lies far beyond the window the SYN-ACK allowed. The case names
start with tcp_syn_ because they share the SYN-ACK differences listed for those cases.
"""
from tcp_cases import ACK, FIN, RST, SYN, case, seg, syn

RULES = """\
iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
iptables -A INPUT -p tcp -m conntrack --ctstate NEW
iptables -A INPUT -p tcp -m conntrack --ctstate ESTABLISHED
socket tcp listen 0.0.0.0:80 backlog 8
"""


def frames():
    return [
        # NEW: the listener answers with a SYN-ACK, conntrack goes to SYN_RECV.
        (0.0, syn(80, 40000, 1000, 1)),
        # RST|ACK ten million bytes beyond the window: SEQ over the upper bound, INVALID.
        (0.05, seg(80, RST | ACK, sport=40000, seq=1001 + 10_000_000, ack=0, ident=2)),
        # A mid-stream ACK on another port: picked up (nf_conntrack_tcp_loose=1), NEW; the
        # listener answers with a RST, which ends the picked-up entry.
        (0.1, seg(80, ACK, sport=40001, seq=5000, ack=777, ident=3)),
        # SYN|FIN: an invalid flag combination, INVALID.
        (0.15, seg(80, SYN | FIN, sport=40002, seq=9000, ident=4)),
    ]


def all_cases():
    cs = []
    cs.append(case("tcp_syn_conntrack_invalid",
                   "ctstate INVALID drops an out-of-window RST and a SYN|FIN; a SYN and a "
                   "mid-stream ACK are NEW",
                   RULES, frames(), settle=0.3))
    cs.append(case("tcp_syn_conntrack_strict",
                   "as tcp_syn_conntrack_invalid with nf_conntrack_tcp_loose=0: the mid-stream "
                   "ACK is INVALID too",
                   RULES + "sysctl -w net.netfilter.nf_conntrack_tcp_loose=0\n", frames(),
                   settle=0.3))
    return cs
