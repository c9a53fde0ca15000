#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""soak.py - the soak run of make soak (started by bench/soak.sh).

One rootlesskit --net=slirp4netns --port-driver=builtin with
-p 127.0.0.1:P:PORT/tcp and "connrate -s PORT" (a 1-byte echo server) as
its command.  Ten rounds, each: 10^5 TCP connections through the published
port (connrate -n), then 10^4 REST API calls on api.sock (GET /v1/info,
GET /v1/ports, POST /v1/ports, DELETE /v1/ports/ID; a fresh connection
every 8 requests, keep-alive in between), then a sample of the parent's
open fds (/proc/PID/fd) and VmRSS (/proc/PID/status).  SOAK_SCALE (default
1) multiplies both counts.

Round 1 is the warm-up (the first allocations of the heap, the libc pages
the paths touch for the first time).  The verdict compares every later
sample with the one after round 1:

  - fds: no growth at all (every connection, API connection and published
    port closes what it opened, so the count is exact) - apart from the
    builtin driver's pool of fresh sockets from the child, which is
    refilled 32 at a time below 8 and so varies by design; those are
    counted apart ("pooled": sockets listed in neither namespace's
    tables) and only held to the pool's bound, 64;
  - RSS: growth per 10^5 connections and per 10^5 API calls below
    SOAK_RSS_LIMIT_KIB (default 1024).  The smallest glibc heap chunk is
    32 bytes, so leaking one allocation per operation grows RSS by
    ~3 MiB per 10^5 operations, three times the limit; what stays under
    it is page-granular noise (4 KiB pages, malloc's trimming and arena
    reuse) that does not scale with the number of operations.  A total
    growth of at most 64 KiB (16 pages) is never judged, so that a
    scaled-down run (SOAK_SCALE=0.01) does not fail on one page.

Exit status 0 when the verdict is "no growth", 1 otherwise, 2 when the run
itself broke (connections failed, API errors, rootlesskit exited).
"""
import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROUNDS = 10


def free_port(avoid=()):
    while True:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        s.close()
        if p not in avoid:
            return p


def net_inodes(pid, tag):
    """socket inode -> description, from the tables of @pid's network namespace"""
    inodes = {}
    for proto in ("unix", "tcp", "tcp6", "udp", "udp6"):
        try:
            with open(f"/proc/{pid}/net/{proto}") as f:
                next(f)
                for line in f:
                    x = line.split()
                    ino = x[6] if proto == "unix" else x[9]
                    inodes[ino] = f"{tag} {proto}"
        except (OSError, IndexError, StopIteration):
            pass
    return inodes


def fd_kinds(pid, child_pid):
    """the parent's open fds by kind: a socket by the namespace and table it
    is listed in; a socket listed nowhere is a fresh, unbound socket of the
    builtin driver's pool (created by the child, kept by the parent: at most
    2 x 32 per family and type, see src/port/builtin.c)"""
    inodes = net_inodes(child_pid, "child-netns") if child_pid else {}
    inodes.update(net_inodes(pid, "host"))
    kinds = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if t.startswith("socket:["):
            t = "socket " + inodes.get(t[8:-1], POOLED)
        elif t.startswith("/"):
            t = "file"
        kinds[t] = kinds.get(t, 0) + 1
    return kinds


POOLED = "pooled"
RSS_FLOOR_KIB = 64     # 16 pages; at full scale that is < 72 KiB per 10^5
POOL_MAX = 64   # 2 x POOL_BATCH of src/port/builtin.c, TCP over IPv4 only here


def sample(pid):
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return fds, rss


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.path)
        self.sock = s


class Api:
    """the API loop: 4-request cycles, a new connection every 8 requests"""

    def __init__(self, sock, child_port, avoid):
        self.sock = sock
        self.child_port = child_port
        self.avoid = set(avoid)
        self.conn = None
        self.sent = 0
        self.calls = 0
        self.errors = []
        self.port = free_port(self.avoid)

    def req(self, method, path, body=None):
        if self.conn is None or self.sent % 8 == 0:
            self.sent = 0
            if self.conn is not None:
                self.conn.close()
            self.conn = UnixHTTP(self.sock)
        self.sent += 1
        self.calls += 1
        hdrs = {"Content-Type": "application/json"} if body is not None else {}
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            r = self.conn.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            self.conn = None
            return 0, str(e).encode()
        return r.status, data

    def expect(self, want, method, path, body=None):
        st, data = self.req(method, path, body)
        if st != want and len(self.errors) < 20:
            self.errors.append(f"{method} {path}: {st} {data[:200]!r}")
        return st, data

    def run(self, n):
        end = self.calls + n
        while self.calls < end:
            self.expect(200, "GET", "/v1/info")
            self.expect(200, "GET", "/v1/ports")
            body = json.dumps({"proto": "tcp", "parentIP": "127.0.0.1",
                               "parentPort": self.port, "childPort": self.child_port})
            st, data = self.req("POST", "/v1/ports", body)
            if st != 201:
                # the parent port may have been taken by someone else
                # meanwhile: once more with another one
                self.port = free_port(self.avoid)
                body = json.dumps({"proto": "tcp", "parentIP": "127.0.0.1",
                                   "parentPort": self.port,
                                   "childPort": self.child_port})
                st, data = self.expect(201, "POST", "/v1/ports", body)
            if st == 201:
                pid = json.loads(data)["id"]
                self.expect(200, "DELETE", f"/v1/ports/{pid}")


def connect_once(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"x")
            return s.recv(1) == b"x"
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rootlesskit", required=True)
    ap.add_argument("--connrate", required=True)
    ap.add_argument("--concurrency", type=int, default=8)
    a = ap.parse_args()

    scale = float(os.environ.get("SOAK_SCALE", "1"))
    limit = float(os.environ.get("SOAK_RSS_LIMIT_KIB", "1024"))
    conns_round = max(1, int(round(100000 * scale)))
    api_round = max(4, int(round(10000 * scale)) // 4 * 4)
    tmp = tempfile.mkdtemp(prefix="rk-soak.")
    sd = os.path.join(tmp, "sd")
    pport = free_port()
    cport = 8080
    cmd = [a.rootlesskit, f"--state-dir={sd}", "--net=slirp4netns",
           "--port-driver=builtin", "-p", f"127.0.0.1:{pport}:{cport}/tcp",
           a.connrate, "-s", str(cport)]
    log = open(os.path.join(tmp, "rootlesskit.log"), "w+")
    rk = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    status = 2

    def broke(msg):
        print(f"soak: BROKEN: {msg}", flush=True)
        log.seek(0)
        tail = log.read()[-2000:]
        if tail:
            print("soak: rootlesskit's output:\n" + tail, flush=True)

    try:
        deadline = time.time() + 30
        while not connect_once(pport):
            if rk.poll() is not None or time.time() > deadline:
                broke("rootlesskit did not come up (no echo through the published port)")
                return 2
            time.sleep(0.1)
        api = Api(os.path.join(sd, "api.sock"), 9090, {pport})
        print(f"soak: rootlesskit pid {rk.pid}, 127.0.0.1:{pport} -> {cport}/tcp, "
              f"SOAK_SCALE={scale:g}: {ROUNDS} rounds of {conns_round} connections "
              f"(connrate -c {a.concurrency}) and {api_round} API calls", flush=True)
        child_pid = None
        try:
            with open(os.path.join(sd, "child_pid")) as f:
                child_pid = int(f.read().strip())
        except (OSError, ValueError):
            pass
        rows = []
        kinds = []

        def take(r, conns, calls, secs):
            fds, rss = sample(rk.pid)
            k = fd_kinds(rk.pid, child_pid)
            pooled = k.get("socket " + POOLED, 0)
            rows.append((r, conns, calls, fds, pooled, fds - pooled, rss, secs))
            kinds.append(k)
            print(f"{r:>5} {conns:>12} {calls:>10} {fds:>5} {pooled:>7} {fds - pooled:>6} "
                  f"{rss:>8} {secs:>6.1f}", flush=True)

        print(f"{'round':>5} {'connections':>12} {'api calls':>10} {'fds':>5} {'pooled':>7} "
              f"{'others':>6} {'rss KiB':>8} {'secs':>6}", flush=True)
        take(0, 0, 0, 0.0)
        conns = 0
        t0 = time.time()
        for r in range(1, ROUNDS + 1):
            out = subprocess.run([a.connrate, "-c", str(a.concurrency), "-n", str(conns_round),
                                  "-p", str(pport)], capture_output=True, text=True)
            try:
                res = json.loads(out.stdout)
            except ValueError:
                broke(f"round {r}: connrate printed {out.stdout!r} {out.stderr!r}")
                return 2
            conns += res["conns"]
            if res["failures"] or res["conns"] != conns_round:
                broke(f"round {r}: {res['conns']} of {conns_round} connections completed, "
                      f"{res['failures']} failed")
                return 2
            api.run(api_round)
            # no API connection stays open across a sample
            if api.conn is not None:
                api.conn.close()
                api.conn = None
            if api.errors:
                broke(f"round {r}: API errors:\n  " + "\n  ".join(api.errors))
                return 2
            if rk.poll() is not None:
                broke(f"rootlesskit exited with {rk.returncode}")
                return 2
            # let the last closes settle (the proxy and the API server close
            # their ends as they read EOF) before counting fds
            time.sleep(0.5)
            take(r, conns, api.calls, time.time() - t0)

        _, c1, a1, f1, p1, o1, r1, _ = rows[1]
        _, cn, an, fn, pn, on, rn, _ = rows[-1]
        omax = max(x[5] for x in rows[1:])
        pmax = max(x[4] for x in rows[1:])
        rgrowth = rn - r1
        rmax = max(x[6] for x in rows[1:]) - r1
        kc = (cn - c1) / 1e5
        ka = (an - a1) / 1e5
        print(f"soak: after the warm-up (round 1: {o1} fds besides the pool, {r1} KiB): "
              f"fds {on - o1:+d} (max {omax - o1:+d}), pool {p1} -> {pn} (max {pmax}), "
              f"RSS {rgrowth:+d} KiB (max {rmax:+d}) over {cn - c1} connections "
              f"and {an - a1} API calls", flush=True)
        print(f"soak: growth per 10^5 connections: {(on - o1) / kc:+.2f} fds, "
              f"{rgrowth / kc:+.1f} KiB RSS", flush=True)
        print(f"soak: growth per 10^5 API calls:   {(on - o1) / ka:+.2f} fds, "
              f"{rgrowth / ka:+.1f} KiB RSS", flush=True)
        bad = []
        if omax > o1:
            worst = max(range(1, len(rows)), key=lambda i: rows[i][5])
            diff = []
            for k in sorted(set(kinds[1]) | set(kinds[worst])):
                d = kinds[worst].get(k, 0) - kinds[1].get(k, 0)
                if d and k != "socket " + POOLED:
                    diff.append(f"{d:+d} {k}")
            bad.append(f"fds besides the pool grew after the warm-up: {o1} -> max {omax} "
                       f"(round {worst}: {', '.join(diff)}), final {on}")
        if pmax > POOL_MAX:
            bad.append(f"the builtin driver's socket pool holds {pmax} sockets, "
                       f"more than its bound of {POOL_MAX}")
        # growth below RSS_FLOOR_KIB is not judged: at small SOAK_SCALE one
        # 4 KiB page divided by a few thousand operations would look big
        if rgrowth > RSS_FLOOR_KIB and (rgrowth / kc >= limit or rgrowth / ka >= limit):
            bad.append(f"RSS grew {rgrowth} KiB after the warm-up: {rgrowth / kc:.1f} KiB per "
                       f"10^5 connections, {rgrowth / ka:.1f} KiB per 10^5 API calls "
                       f"(limit {limit:g} KiB per 10^5)")
        if bad:
            for b in bad:
                print(f"soak: FAIL: {b}", flush=True)
            status = 1
        else:
            if rgrowth <= RSS_FLOOR_KIB:
                why = f"RSS growth {rgrowth} KiB, within the {RSS_FLOOR_KIB} KiB page noise"
            else:
                why = (f"RSS growth below {limit:g} KiB per 10^5 connections and per "
                       f"10^5 API calls")
            print(f"soak: PASS: no fd growth, {why}", flush=True)
            status = 0
        return status
    finally:
        if rk.poll() is None:
            rk.send_signal(signal.SIGTERM)
            try:
                rk.wait(10)
            except subprocess.TimeoutExpired:
                rk.kill()
                rk.wait()
        log.close()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
