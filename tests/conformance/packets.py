# SPDX-License-Identifier: GPL-3.0-or-later
"""Frame builders and a minimal pcap reader/writer for the conformance suite.

Every frame is built from its fields with struct so a case reads as the list of
packets it sends; malformed variants (bad checksum, bad version, short ihl,
truncated tot_len) are parameters of the same builders.
"""
import struct

DUT_MAC = bytes.fromhex("020000000002")   # eth0 in every case scenario
GEN_MAC = bytes.fromhex("0200000000fe")   # the generator / router 10.0.0.1
OTHER_MAC = bytes.fromhex("02000000beef")
BCAST_MAC = b"\xff" * 6

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806

PCAP_MAGIC_USEC = 0xA1B2C3D4
PCAP_MAGIC_NSEC = 0xA1B23C4D


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


def ip4str(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def eth(dst: bytes, src: bytes, etype: int, payload: bytes) -> bytes:
    return dst + src + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ttl=64, ident=0x1234, df=True, bad_csum=False, tos=0,
         version=4, ihl=5, tot_len=None, options=b""):
    """An IPv4 header plus payload; tot_len/version/ihl may be forced to invalid values."""
    flags = 0x4000 if df else 0
    length = 20 + len(options) + len(payload) if tot_len is None else tot_len
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, tos, length, ident, flags, ttl, proto, 0,
                      ip4(src), ip4(dst)) + options
    c = csum(hdr)
    if bad_csum:
        c ^= 0x00FF
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def udp(src, dst, sport, dport, data: bytes, bad_csum=False, length=None) -> bytes:
    ulen = 8 + len(data) if length is None else length
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, 8 + len(data))
    hdr = struct.pack("!HHHH", sport, dport, ulen, 0)
    c = csum(pseudo + hdr + data) or 0xFFFF
    if bad_csum:
        c = (c ^ 0x5A5A) or 0x1111
    return struct.pack("!HHHH", sport, dport, ulen, c) + data


def icmp(type_, code, rest: bytes, data: bytes, bad_csum=False) -> bytes:
    hdr = struct.pack("!BBH", type_, code, 0) + rest
    c = csum(hdr + data)
    if bad_csum:
        c ^= 0x0F0F
    return struct.pack("!BBH", type_, code, c) + rest + data


def icmp_echo(ident, seq, data: bytes, bad_csum=False) -> bytes:
    return icmp(8, 0, struct.pack("!HH", ident, seq), data, bad_csum)


def arp(op, sha, spa, tha, tpa) -> bytes:
    return struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, op) + sha + ip4(spa) + tha + ip4(tpa)


def write_pcap(path, frames, base=1_790_000_000):
    """frames: iterable of (seconds offset, bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC_USEC, 2, 4, 0, 0, 65535, 1))
        for t, frame in frames:
            sec = base + int(t)
            usec = int(round((t - int(t)) * 1_000_000))
            if usec >= 1_000_000:
                sec, usec = sec + 1, usec - 1_000_000
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


def read_pcap(path):
    """Returns a list of (timestamp seconds, frame bytes); Ethernet link type assumed."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic_le = struct.unpack("<I", data[:4])[0]
    if magic_le in (PCAP_MAGIC_USEC, PCAP_MAGIC_NSEC):
        endian = "<"
    else:
        endian = ">"
    magic = struct.unpack(endian + "I", data[:4])[0]
    if magic not in (PCAP_MAGIC_USEC, PCAP_MAGIC_NSEC):
        raise ValueError(f"{path}: not a pcap file (magic {data[:4].hex()})")
    div = 1e9 if magic == PCAP_MAGIC_NSEC else 1e6
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError(f"{path}: link type {linktype}, expected Ethernet (1)")
    out = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        out.append((sec + frac / div, data[off:off + incl]))
        off += incl
    return out


def describe(frame: bytes) -> str:
    """One line summary used in difference messages."""
    f = dissect(frame)
    keys = ["eth.type", "arp.op", "arp.spa", "arp.tpa", "ip.src", "ip.dst", "ip.proto", "ip.ttl",
            "icmp.type", "icmp.code", "udp.sport", "udp.dport", "frame.len"]
    return " ".join(f"{k.split('.')[1]}={f[k]}" for k in keys if k in f)


def _udp_full_csum(src: bytes, dst: bytes, seg: bytes) -> int:
    pseudo = src + dst + struct.pack("!BBH", 0, 17, len(seg))
    return csum(pseudo + seg[:6] + b"\0\0" + seg[8:]) or 0xFFFF


def _udp_partial_csum(src: bytes, dst: bytes, seg: bytes) -> int:
    # CHECKSUM_PARTIAL leaves the folded pseudo-header sum (not complemented) in the field.
    return (~csum(src + dst + struct.pack("!BBH", 0, 17, len(seg)))) & 0xFFFF


def dissect(frame: bytes) -> dict:
    """Protocol header fields of a frame, as a flat dict; the fields the comparison uses."""
    d = {"frame.len": len(frame)}
    if len(frame) < 14:
        d["frame.truncated"] = True
        return d
    d["eth.dst"] = frame[0:6].hex(":")
    d["eth.src"] = frame[6:12].hex(":")
    etype = struct.unpack("!H", frame[12:14])[0]
    d["eth.type"] = f"0x{etype:04x}"
    p = frame[14:]
    if etype == ETH_P_ARP and len(p) >= 28:
        htype, ptype, hlen, plen, op = struct.unpack("!HHBBH", p[:8])
        d.update({"arp.htype": htype, "arp.ptype": ptype, "arp.op": op,
                  "arp.sha": p[8:14].hex(":"), "arp.spa": ip4str(p[14:18]),
                  "arp.tha": p[18:24].hex(":"), "arp.tpa": ip4str(p[24:28])})
        return d
    if etype != ETH_P_IP or len(p) < 20:
        d["payload"] = p.hex()
        return d
    vihl, tos, tot, ident, frag, ttl, proto, hcs = struct.unpack("!BBHHHBBH", p[:12])
    ihl = (vihl & 0xF) * 4
    df = bool(frag & 0x4000)
    d.update({"ip.version": vihl >> 4, "ip.ihl": vihl & 0xF, "ip.tos": tos, "ip.tot_len": tot,
              "ip.df": df, "ip.mf": bool(frag & 0x2000), "ip.frag_off": frag & 0x1FFF,
              "ip.ttl": ttl, "ip.proto": proto, "ip.src": ip4str(p[12:16]),
              "ip.dst": ip4str(p[16:20])})
    # A non-DF packet's IP ID comes from the kernel's hashed generator and its header
    # checksum follows from it. For DF packets (older kernels write 0 there for unconnected
    # sockets) only whether the ID is zero is reproducible.
    if df:
        d["ip.id_is_zero"] = ident == 0
        if ident == 0:
            d["ip.csum"] = hcs
    d["ip.csum_ok"] = csum(p[:ihl]) == 0
    seg = p[ihl:tot] if tot <= len(p) else p[ihl:]
    if d["ip.frag_off"] or d["ip.mf"]:
        d["ip.payload"] = seg.hex()
        return d
    if proto == 1 and len(seg) >= 8:
        d.update({"icmp.type": seg[0], "icmp.code": seg[1],
                  "icmp.csum": struct.unpack("!H", seg[2:4])[0], "icmp.rest": seg[4:8].hex(),
                  "icmp.data": seg[8:].hex()})
    elif proto == 17 and len(seg) >= 8:
        sport, dport, ulen, ucs = struct.unpack("!HHHH", seg[:8])
        src, dst = p[12:16], p[16:20]
        if ucs != 0 and ucs == _udp_partial_csum(src, dst, seg) and ucs != _udp_full_csum(src, dst, seg):
            # Captured before checksum offload completed it (veth passes CHECKSUM_PARTIAL).
            ucs = _udp_full_csum(src, dst, seg)
        d.update({"udp.sport": sport, "udp.dport": dport, "udp.len": ulen, "udp.csum": ucs,
                  "udp.payload_len": len(seg) - 8})
    elif proto == 6 and len(seg) >= 20:
        src, dst = p[12:16], p[16:20]
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(seg))
        tcs = struct.unpack("!H", seg[16:18])[0]
        full = csum(pseudo + seg[:16] + b"\0\0" + seg[18:])
        if tcs != full and tcs == (~csum(pseudo)) & 0xFFFF:
            # The same offload case for TCP: compare the checksum the device would write.
            tcs = full
        d["tcp.csum_ok"] = tcs == full
        # TSval is the sender's millisecond clock: when a real application takes its time
        # (a close() a few ms later) it differs by that much. It is left out of the bytes
        # (and the checksum that covers it); the recorded-output report checks it instead.
        seg = bytearray(seg)
        doff = (seg[12] >> 4) * 4
        i = 20
        while i < min(doff, len(seg)):
            kind = seg[i]
            if kind == 0:
                break
            if kind == 1:
                i += 1
                continue
            if i + 1 >= len(seg) or seg[i + 1] < 2:
                break
            if kind == 8 and seg[i + 1] == 10 and i + 6 <= len(seg):
                seg[i + 2:i + 6] = b"\0\0\0\0"
            i += seg[i + 1]
        seg[16:18] = b"\0\0"
        d["ip.payload"] = bytes(seg).hex()
    else:
        d["ip.payload"] = seg.hex()
    return d
