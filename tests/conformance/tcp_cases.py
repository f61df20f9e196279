# SPDX-License-Identifier: GPL-3.0-or-later
"""Hand-written TCP receive cases: resets from closed ports, bad checksums, a listener's
SYN queue with and without syncookies, and the SYN-ACK retransmit timer.

The generator replays a fixed capture, so it cannot learn the kernel's random ISN: no case
completes a handshake. SYN-ACKs therefore differ in their TCP bytes (ISN, checksum) between
the kernel and the engine; known_differences.txt lists that field for these cases.
"""
import struct

from packets import DUT_MAC, ETH_P_IP, GEN_MAC, csum, eth, ip4, ipv4

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

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp(src, dst, sport, dport, seq, ack, flags, data=b"", window=64240, mss=None, bad_csum=False):
    opts = struct.pack("!BBH", 2, 4, mss) if mss else b""
    doff = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, window, 0, 0) + opts
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(data))
    c = csum(pseudo + hdr + data)
    if bad_csum:
        c ^= 0x1234
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + data


def seg(dport, flags, sport=40000, seq=1000, ack=0, data=b"", ident=0x200, mss=None, bad_csum=False):
    return eth(DUT_MAC, GEN_MAC, ETH_P_IP,
               ipv4(CLIENT, DUT, 6, tcp(CLIENT, DUT, sport, dport, seq, ack, flags, data, mss=mss,
                                        bad_csum=bad_csum), ident=ident))


def syn(dport, sport, seq, ident):
    return seg(dport, SYN, sport=sport, seq=seq, ident=ident, mss=1460)


def spaced(frames, gap=0.001, start=0.0):
    return [(start + i * gap, f) for i, f in enumerate(frames)]


def case(name, doc, extra, frames, **kw):
    return dict(name=name, doc=doc, scenario=BASE + extra, frames=frames, **kw)


def flood(n, dport=80):
    return [syn(dport, 41000 + i, 7000 + 1000 * i, 0x300 + i) for i in range(n)]


def all_cases():
    cs = []
    cs.append(case("tcp_rst_closed_port", "SYN, ACK, FIN, data and RST to a closed port: four RSTs",
                   "", spaced([seg(81, SYN, seq=5000, ident=1),
                               seg(81, ACK, seq=6000, ack=777, ident=2),
                               seg(81, FIN, seq=100, ident=3),
                               seg(81, PSH | ACK, seq=200, ack=888, data=b"hello", ident=4),
                               seg(81, RST, seq=300, ident=5)])))
    cs.append(case("tcp_bad_checksum", "bad TCP checksums, short and long, to closed and open ports",
                   "socket tcp listen 0.0.0.0:80 backlog 8\n",
                   spaced([seg(81, SYN, ident=1, bad_csum=True),
                           seg(80, SYN, ident=2, bad_csum=True),
                           seg(81, PSH | ACK, ack=1, data=b"z" * 200, ident=3, bad_csum=True),
                           seg(81, SYN, ident=4, mss=1460)])))
    cs.append(case("tcp_syn_listener", "SYN to a listener, the SYN again, then an ACK that acknowledges "
                   "nothing we sent: SYN-ACK twice, then RST",
                   "socket tcp listen 0.0.0.0:80 backlog 16\n",
                   [(0.0, syn(80, 40000, 1000, 1)),
                    (0.1, syn(80, 40000, 1000, 2)),
                    (0.2, seg(80, ACK, sport=40000, seq=1001, ack=12345, ident=3))],
                   settle=0.5))
    cs.append(case("tcp_syn_flood_nocookies", "20 SYNs to backlog 4, tcp_syncookies 0: 5 request socks, "
                   "15 dropped, SYN-ACKs retransmitted after 1 s",
                   "sysctl -w net.ipv4.tcp_syncookies=0\nsocket tcp listen 0.0.0.0:80 backlog 4\n",
                   spaced(flood(20)), settle=1.5))
    cs.append(case("tcp_syn_flood_cookies", "20 SYNs to backlog 4 with syncookies: 15 cookies, then a "
                   "forged ACK fails the cookie check",
                   "socket tcp listen 10.0.0.2:80 backlog 4\n",
                   spaced(flood(20)) + [(0.1, seg(80, ACK, sport=45000, seq=1, ack=424242, ident=0x400))],
                   settle=1.5))
    return cs
