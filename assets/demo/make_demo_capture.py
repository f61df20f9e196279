#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes demo.pcap, the capture the bundled demo scenario replays on eth0.

Every frame is built here from its fields, so the capture can be regenerated
and read: ARP, ping, DNS to a listening socket, UDP to a closed port, a bad
header checksum, a packet to forward with TTL 1, one to forward normally, a
frame for another host and a burst that overflows a small socket buffer.
"""
import struct
import sys

HOST_MAC = bytes.fromhex("020000000002")    # eth0 in demo.scn
PEER_MAC = bytes.fromhex("0200000000fe")    # the router 10.0.0.1
OTHER_MAC = bytes.fromhex("02000000beef")


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


def eth(dst: bytes, src: bytes, etype: int, payload: bytes) -> bytes:
    return dst + src + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ttl=64, ident=0x1234, df=True, bad_csum=False, tos=0):
    flags = 0x4000 if df else 0
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), ident, flags, ttl, proto, 0,
                      ip4(src), ip4(dst))
    c = csum(hdr)
    if bad_csum:
        c ^= 0x00FF
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def udp(src, dst, sport, dport, data: bytes) -> bytes:
    length = 8 + len(data)
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, length)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo + hdr + data) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + data


def icmp_echo(ident, seq, data: bytes) -> bytes:
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, csum(hdr + data), ident, seq) + data


def arp_request(sha, spa, tpa) -> bytes:
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + sha + ip4(spa) + b"\0" * 6 + ip4(tpa)


def frames():
    t = 0.0
    client = "10.0.0.7"
    yield t, eth(b"\xff" * 6, PEER_MAC, 0x0806, arp_request(PEER_MAC, "10.0.0.1", "10.0.0.2"))
    t += 0.001
    for seq in range(1, 4):
        yield t, eth(HOST_MAC, PEER_MAC, 0x0800,
                     ipv4(client, "10.0.0.2", 1, icmp_echo(0x4242, seq, b"stackscope-demo!" * 2),
                          ident=0x100 + seq))
        t += 0.2
    dns_query = bytes.fromhex("abcd0100000100000000000006737461636b730573636f706503636f6d0000010001")
    yield t, eth(HOST_MAC, PEER_MAC, 0x0800, ipv4(client, "10.0.0.2", 17, udp(client, "10.0.0.2", 40000, 53, dns_query)))
    t += 0.01
    yield t, eth(HOST_MAC, PEER_MAC, 0x0800, ipv4(client, "10.0.0.2", 17, udp(client, "10.0.0.2", 40001, 9, b"discard me")))
    t += 0.01
    yield t, eth(HOST_MAC, PEER_MAC, 0x0800, ipv4(client, "10.0.0.2", 17, udp(client, "10.0.0.2", 40002, 53, b"x" * 20), bad_csum=True))
    t += 0.01
    yield t, eth(HOST_MAC, PEER_MAC, 0x0800, ipv4(client, "192.168.50.9", 17, udp(client, "192.168.50.9", 40003, 7, b"hop"), ttl=1))
    t += 0.01
    yield t, eth(HOST_MAC, PEER_MAC, 0x0800, ipv4(client, "192.168.50.9", 17, udp(client, "192.168.50.9", 40004, 7, b"forward me"), ttl=9))
    t += 0.01
    yield t, eth(OTHER_MAC, PEER_MAC, 0x0800, ipv4(client, "10.0.0.99", 17, udp(client, "10.0.0.99", 40005, 7, b"not ours")))
    t += 0.01
    # A burst into the syslog socket, which reads slowly and has a small buffer.
    for i in range(12):
        yield t, eth(HOST_MAC, PEER_MAC, 0x0800,
                     ipv4(client, "10.0.0.2", 17, udp(client, "10.0.0.2", 41000 + i, 514, b"<13>demo log line %02d" % i),
                          ident=0x2000 + i))
        t += 0.00001


def main(path):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        base = 1_790_000_000
        for t, frame in frames():
            sec = base + int(t)
            usec = int(round((t - int(t)) * 1_000_000))
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "demo.pcap")
