# SPDX-License-Identifier: GPL-3.0-or-later
"""Holds a scenario's `socket` lines open and plays its `send` lines on the real kernel.

Runs inside the DUT namespace. Arguments are JSON: {"sockets": [...], "sends": [...]}.
Prints "ready" once every socket is bound, waits for "go" on stdin, then reads and sends
as the scenario says until stdin says "stop" (or closes). A "clients" list (run in the
generator namespace) makes TCP connections: connect, send the data, close.
A TCP connection the listener accepted is closed when its peer's FIN is read. Payloads are the letters a..z
repeated, the bytes the engine's `send udp ... size N` writes.
"""
import json
import socket
import sys
import threading
import time

IP_MTU_DISCOVER = 10
IP_PMTUDISC_DONT = 0


def reader(sock, mode, rate, stop):
    sock.settimeout(0.05)
    interval = 1.0 / rate if mode == "rate" and rate > 0 else 0.0
    next_read = time.monotonic()
    while not stop.is_set():
        if mode == "rate":
            now = time.monotonic()
            if now < next_read:
                time.sleep(min(next_read - now, 0.05))
                continue
        try:
            data = sock.recv(65535)
        except socket.timeout:
            continue
        except OSError:
            return
        if not data and sock.type == socket.SOCK_STREAM:
            sock.close()  # end of file: the application closes, the kernel sends its FIN
            return
        # The next read is due one interval after this one returned: a reader that waited
        # in recv does not catch up on reads it "missed" while the queue was empty.
        next_read = time.monotonic() + interval


def acceptor(sock, mode, rate, stop):
    """A TCP listener's application: accepts connections and reads each until EOF."""
    sock.settimeout(0.05)
    while not stop.is_set():
        try:
            conn, _ = sock.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        threading.Thread(target=reader, args=(conn, mode, rate, stop), daemon=True).start()


def sender(spec, t0, results):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if not spec.get("df", True):
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
    if spec.get("sndbuf"):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, spec["sndbuf"])
    flags = socket.MSG_DONTWAIT if spec.get("nonblock") else 0
    if spec.get("src") or spec.get("sport"):
        s.bind((spec.get("src") or "0.0.0.0", spec.get("sport") or 0))
    payload = bytes(ord("a") + i % 26 for i in range(spec.get("size", 0)))
    start = t0 + spec.get("at", 0.0)
    for i in range(spec.get("count", 1)):
        due = start + i * spec.get("interval", 0.001)
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            s.sendto(payload, flags, (spec["dst"], spec["dport"]))
            results["sent"] += 1
        except OSError as e:
            results.setdefault("errors", []).append(str(e))
    s.close()


def client(spec, t0, results):
    """A TCP client: connect, send the data, optionally read a reply, close."""
    delay = t0 + spec.get("at", 0.0) - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    try:
        # A blocking connect(), as the engine's `connect` line makes: the kernel's own SYN
        # retries decide when it gives up (a socket timeout would make it non-blocking).
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect((spec["dst"], spec["dport"]))
        s.settimeout(2)
        s.sendall(spec.get("data", "").encode())
        if spec.get("read"):
            s.recv(65535)
        s.close()
        results["connections"] = results.get("connections", 0) + 1
    except OSError as e:
        results.setdefault("errors", []).append(str(e))


def main():
    cfg = json.loads(sys.argv[1])
    stop = threading.Event()
    socks = []
    for spec in cfg.get("sockets", []):
        tcp = spec.get("proto") == "tcp"
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
        if spec.get("rcvbuf"):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, spec["rcvbuf"])
        if spec.get("dev"):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, spec["dev"].encode())
        s.bind((spec["addr"], spec["port"]))
        if spec.get("connect"):
            s.connect(tuple(spec["connect"]))
        if tcp:
            s.listen(spec.get("backlog", 128))
        socks.append((s, spec))
    print("ready", flush=True)
    line = sys.stdin.readline().strip()
    if line != "go":
        return
    t0 = time.monotonic()
    threads = []
    for s, spec in socks:
        if spec.get("read", "all") != "none":
            target = acceptor if spec.get("proto") == "tcp" else reader
            t = threading.Thread(target=target, args=(s, spec.get("read", "all"), spec.get("rate", 0), stop),
                                 daemon=True)
            t.start()
            threads.append(t)
    results = {"sent": 0}
    for spec in cfg.get("sends", []):
        t = threading.Thread(target=sender, args=(spec, t0, results), daemon=True)
        t.start()
        threads.append(t)
    for spec in cfg.get("clients", []):
        t = threading.Thread(target=client, args=(spec, t0, results), daemon=True)
        t.start()
        threads.append(t)
    sys.stdin.readline()
    stop.set()
    for t in threads:
        t.join(timeout=1)
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
