# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared pieces of the root-only live tests: checks, commands in a network
namespace, a `stackscope-cli live` process, and a tcpdump on a real device.
Every process started here is stopped by the caller's cleanup (see Procs)."""

import json
import os
import signal
import subprocess
import time

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def sh(*cmd, check_rc=True, **kw):
    r = subprocess.run(list(cmd), capture_output=True, text=True, **kw)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def in_ns(ns, *cmd, **kw):
    return sh("ip", "netns", "exec", ns, *cmd, **kw)


def nstat(counters, name):
    return counters.get("nstat", {}).get(name, 0)


class Procs:
    """Processes to kill at cleanup, whatever happened."""

    def __init__(self):
        self.procs = []

    def add(self, proc):
        self.procs.append(proc)
        return proc

    def kill_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()


class Live:
    """One stackscope-cli live process inside a namespace."""

    def __init__(self, procs, cli, ns, workdir, name, scenario, devices, duration="20s",
                 record=False, extra=(), user=None, env=None, wrap=()):
        """`user`: run as that user (through runuser, after `wrap`), writing its outputs
        into workdir/USER, which the caller made writable for it."""
        self.scn = os.path.join(workdir, f"{name}.scn")
        with open(self.scn, "w") as f:
            f.write(scenario)
        os.chmod(self.scn, 0o644)
        if user:
            workdir = os.path.join(workdir, user)
        self.json = os.path.join(workdir, f"{name}.json")
        self.errpath = os.path.join(workdir, f"{name}.err")
        self.record = os.path.join(workdir, f"{name}-rec.pcap") if record else None
        cmd = ["ip", "netns", "exec", ns]
        if user:
            cmd += list(wrap) + ["runuser", "-u", user, "--"]
        cmd += [cli, "live", self.scn, *devices, "--duration", duration, "--counters-json", self.json,
                *extra]
        if self.record:
            cmd += ["--record", self.record]
        self.err = open(self.errpath, "w")
        self.proc = procs.add(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.err,
                                               cwd=workdir, env=env))

    def stderr(self):
        with open(self.errpath) as f:
            return f.read()

    def wait_running(self, timeout=10.0):
        end = time.time() + timeout
        while time.time() < end:
            if "live: running" in self.stderr():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def stop(self, sig=signal.SIGINT, timeout=15.0):
        if self.proc.poll() is None and sig is not None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.err.close()
        return rc

    def counters(self):
        with open(self.json) as f:
            return json.load(f)

    def replay_command(self):
        """The `run` arguments the session printed for replaying its recording."""
        lines = [l.split("replay with: ", 1)[1] for l in self.stderr().splitlines()
                 if "replay with: " in l]
        if len(lines) != 1:
            return None
        words = lines[0].split()
        if words[:2] != ["stackscope-cli", "run"]:
            return None
        return words[1:]


class Tcpdump:
    """tcpdump writing a pcap of one device in a namespace; packets() reads it back
    as text lines (-n, one line per packet, with Ethernet headers)."""

    def __init__(self, procs, ns, device, path, expr=()):
        self.path = path
        self.ns = ns
        self.errpath = path + ".err"
        self.err = open(self.errpath, "w")
        self.proc = procs.add(subprocess.Popen(
            ["ip", "netns", "exec", ns, "tcpdump", "-i", device, "-n", "-U", "-w", path,
             "--immediate-mode", *expr],
            stdout=subprocess.DEVNULL, stderr=self.err))

    def wait_listening(self, timeout=10.0):
        end = time.time() + timeout
        while time.time() < end:
            with open(self.errpath) as f:
                if "listening on" in f.read():
                    return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()

    def packets(self, *expr):
        r = sh("tcpdump", "-r", self.path, "-n", "-e", "-tt", *expr, check_rc=False)
        return [l for l in r.stdout.splitlines() if l.strip()]
