#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/netsuite.py - side-by-side benchmark of the network drivers.

Runs as the unprivileged user; bench/run.sh (as root) first makes the test
network namespace: a veth pair, host side SRV_GW, namespace side SRV_IP,
with an iperf3 server on NET_IPERF and a connrate server on NET_CONN there,
and (when lxc is installed) a bridge for --net=lxc-user-nic.  It passes
what it made in the environment (BENCH_SRV, BENCH_LXC_BRIDGE).

Every figure comes from a fresh rootlesskit whose COMMAND is the client
(or the server), so a client runs exactly where the namespace's own
processes run, under whatever filter --bypass4netns installs:

  out_tcp      iperf3 from the namespace to SRV_IP (the network driver's
               upload path)
  out_tcp_rev  iperf3 -R: SRV_IP to the namespace
  out_conn1    connrate from the namespace to SRV_IP, concurrency 1
  port_tcp     iperf3 from the host through the driver's published port
               127.0.0.1:PORT_IPERF to a server in the namespace
  port_conn1   connrate through 127.0.0.1:PORT_CONN, concurrency 1
  rss          peak RSS (VmHWM) of rootlesskit's own processes and its
               network helper while the port figures run, MiB

Peers: "host" (the ceiling: the host's own client to SRV_IP, and a
loopback server for the port figures), this project's drivers
(slirp4netns, pasta, gvisor-tap-vsock, lxc-user-nic, slirp4netns with
--bypass4netns), and the Go RootlessKit (Debian package) with slirp4netns.
A peer whose driver is refused on this machine is skipped and the report
says why.  Peers are interleaved in every repetition; medians reported.
"""
import argparse
import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from suite import HELPERS, descendants, hwm_kib  # bench/suite.py, copied beside this file by run.sh

NET_IPERF, NET_CONN = 5301, 5302      # servers in the test netns
PORT_IPERF, PORT_CONN = 5311, 5312    # published ports (same number inside)
RK_PROCS = ("rootlesskit",) + HELPERS


def log(*a):
    print("netbench:", *a, file=sys.stderr, flush=True)


class Peer:
    def __init__(self, name, rk=None, net=None, pd=None, extra=(), note=""):
        self.name, self.rk, self.net, self.pd = name, rk, net, pd
        self.extra, self.note = list(extra), note

    def argv(self, sd, publish):
        a = [self.rk, "--state-dir=" + sd, "--net=" + self.net]
        if self.net not in ("lxc-user-nic",):
            a.append("--mtu=65520")
        if self.net in ("slirp4netns", "gvisor-tap-vsock"):
            a.append("--disable-host-loopback")
        a.append("--port-driver=" + (self.pd if publish else "none"))
        if publish and self.pd not in ("implicit", "none"):
            a += ["-p", "127.0.0.1:%d:%d/tcp" % (PORT_IPERF, PORT_IPERF),
                  "-p", "127.0.0.1:%d:%d/tcp" % (PORT_CONN, PORT_CONN)]
        return a + self.extra

    def run_in(self, cmd, timeout):
        """Run @cmd as the namespace's COMMAND; returns its stdout."""
        if self.rk is None:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        else:
            sd = tempfile.mkdtemp(prefix="rk-nb-")
            os.rmdir(sd)
            r = subprocess.run(self.argv(sd, False) + ["--"] + cmd, capture_output=True, text=True,
                               timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("%s: %s: %s" % (self.name, " ".join(cmd[:3]), r.stderr.strip()[-300:]))
        return r.stdout

    def serve(self, connrate):
        """Start servers behind the published ports; returns the Popen."""
        srv = "iperf3 -s -p %d & exec %s -s %d" % (PORT_IPERF, connrate, PORT_CONN)
        if self.rk is None:
            return subprocess.Popen(["sh", "-c", srv], stdout=subprocess.DEVNULL, start_new_session=True)
        self.sd = tempfile.mkdtemp(prefix="rk-nb-")
        os.rmdir(self.sd)
        return subprocess.Popen(self.argv(self.sd, True) + ["sh", "-c", srv], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_port(connrate, proc, timeout=30.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("exited: %s" % proc.stderr.read().strip()[-300:] if proc.stderr else "exited")
        r = subprocess.run([connrate, "-p", str(PORT_CONN), "-c", "1", "-n", "1"], capture_output=True, text=True)
        if r.returncode == 0 and json.loads(r.stdout).get("failures", 1) == 0:
            return
        time.sleep(0.05)
    raise RuntimeError("published port not reachable")


def measure(peer, args, srv, res):
    def put(fig, v):
        res.setdefault(fig, []).append(v)

    def step(name, fn):
        try:
            fn()
        except Exception as e:  # one figure failing does not hide the others
            log("%s: %s: %s" % (peer.name, name, e))
            res.setdefault("errors", []).append("%s: %s" % (name, e))

    def iperf_out(rev):
        def run():
            cmd = ["iperf3", "-c", srv, "-p", str(NET_IPERF), "-t", str(args.time), "-J"] + (["-R"] if rev else [])
            j = json.loads(peer.run_in(cmd, args.time * 4 + 60))
            put("out_tcp_rev" if rev else "out_tcp", j["end"]["sum_received"]["bits_per_second"] / 1e9)
        return run

    def conn_out():
        j = json.loads(peer.run_in([args.connrate, "-h", srv, "-p", str(NET_CONN), "-c", "1",
                                    "-d", str(args.conn_time)], args.conn_time * 4 + 60))
        put("out_conn1", j["rate"])
        put("out_conn1_fail", j["failures"])

    def port():
        p = peer.serve(args.connrate)
        try:
            wait_port(args.connrate, p)
            r = subprocess.run(["iperf3", "-c", "127.0.0.1", "-p", str(PORT_IPERF), "-t", str(args.time), "-J"],
                               capture_output=True, text=True, timeout=args.time * 4 + 60)
            if r.returncode != 0:
                raise RuntimeError("iperf3: " + r.stdout[-300:])
            put("port_tcp", json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9)
            r = subprocess.run([args.connrate, "-p", str(PORT_CONN), "-c", "1", "-d", str(args.conn_time)],
                               capture_output=True, text=True, timeout=args.conn_time * 4 + 60)
            j = json.loads(r.stdout)
            put("port_conn1", j["rate"])
            put("port_conn1_fail", j["failures"])
            if peer.rk:
                put("rss", sum(hwm_kib(q) for q, c in descendants(p.pid) if c in RK_PROCS) / 1024)
        finally:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    step("out_tcp", iperf_out(False))
    step("out_tcp_rev", iperf_out(True))
    step("out_conn1", conn_out)
    if peer.pd != "none":
        step("port", port)


def peers(args):
    ours, go = args.rootlesskit, args.go_rootlesskit
    cand = [Peer("host"),
            Peer("ours-slirp4netns", ours, "slirp4netns", "builtin"),
            Peer("ours-pasta", ours, "pasta", "implicit"),
            Peer("ours-gvisor-tap-vsock", ours, "gvisor-tap-vsock", "gvisor-tap-vsock",
                 note="libslirp in the rootlesskit process, no helper"),
            Peer("ours-bypass4netns", ours, "slirp4netns", "builtin", extra=["--bypass4netns"],
                 note="--net=slirp4netns --bypass4netns"),
            ]
    if os.environ.get("BENCH_LXC_BRIDGE"):
        cand.append(Peer("ours-lxc-user-nic", ours, "lxc-user-nic", "builtin",
                         extra=["--lxc-user-nic-bridge=" + os.environ["BENCH_LXC_BRIDGE"]]))
    if go:
        cand.append(Peer("go-slirp4netns", go, "slirp4netns", "builtin", note="Go RootlessKit (Debian)"))
    out, skipped = [], {}
    for p in cand:
        if p.rk is None:
            out.append(p)
            continue
        sd = tempfile.mkdtemp(prefix="rk-nb-")
        os.rmdir(sd)
        r = subprocess.run(p.argv(sd, False) + ["true"], capture_output=True, text=True)
        if r.returncode == 0:
            out.append(p)
        else:
            skipped[p.name] = (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
            log("%s skipped: %s" % (p.name, skipped[p.name]))
    return out, skipped


FIGURES = [
    ("out_tcp", "TCP namespace -> test-netns server", "Gbit/s"),
    ("out_tcp_rev", "TCP test-netns server -> namespace", "Gbit/s"),
    ("out_conn1", "connections/s namespace -> test-netns server, c=1", "conn/s"),
    ("out_conn1_fail", "failed connects in that run", "count"),
    ("port_tcp", "TCP host -> published port -> namespace", "Gbit/s"),
    ("port_conn1", "connections/s through the published port, c=1", "conn/s"),
    ("port_conn1_fail", "failed connects in that run", "count"),
    ("rss", "peak RSS of rootlesskit + helper during the port run", "MiB"),
]


# (subject, figure, against, factor): subject >= factor * against
TARGETS = [
    ("ours-gvisor-tap-vsock", "out_tcp", "ours-slirp4netns", 1.0),      # issue 13
    ("ours-bypass4netns", "out_tcp", "host", 0.9),                      # issue 14
]


def markdown(rep):
    peers = list(rep["peers"])
    out = ["# Network driver benchmark", "",
           "%s; kernel %s. Medians of %d interleaved repetitions; iperf3 %d s, connrate %s s. "
           "Server: a test network namespace at %s reached over a veth pair. `host` is the ceiling "
           "(the host's own client; loopback for the port rows). Raw values in brackets." % (
               rep["date"], rep["kernel"], rep["reps"], rep["iperf_seconds"], rep["conn_seconds"], rep["server"]),
           "", "| figure | unit | " + " | ".join(peers) + " |", "|---|---|" + "---|" * len(peers)]
    for fig, title, unit in FIGURES:
        cells = []
        for p in peers:
            f = rep["peers"][p]["figures"].get(fig)
            fmtv = (lambda v: "%.0f" % v) if unit in ("conn/s", "count") else (lambda v: "%.2f" % v)
            cells.append("%s [%s]" % (fmtv(f["median"]), ", ".join(fmtv(x) for x in f["raw"])) if f else "–")
        out.append("| %s | %s | %s |" % (title, unit, " | ".join(cells)))
    host = rep["peers"].get("host", {}).get("figures", {})
    s4 = rep["peers"].get("ours-slirp4netns", {}).get("figures", {})
    out += ["", "Ratios (medians): to `host` / to `ours-slirp4netns`:", ""]
    for p in peers:
        if p == "host":
            continue
        f = rep["peers"][p]["figures"]
        cells = []
        for fig in ("out_tcp", "out_tcp_rev", "out_conn1", "port_tcp", "port_conn1"):
            a = f.get(fig, {}).get("median")
            h, s = host.get(fig, {}).get("median"), s4.get(fig, {}).get("median")
            cells.append("%s %s/%s" % (fig, "%.2fx" % (a / h) if a and h else "–",
                                       "%.2fx" % (a / s) if a and s else "–"))
        out.append("* %s: %s" % (p, "; ".join(cells)))
    out += ["", "## Targets", "", "| target | measured | result |", "|---|---|---|"]
    for subject, fig, against, factor in TARGETS:
        a = rep["peers"].get(subject, {}).get("figures", {}).get(fig, {}).get("median")
        b = rep["peers"].get(against, {}).get("figures", {}).get(fig, {}).get("median")
        if not a or not b:
            out.append("| %s: %s >= %.2fx %s | – | not measured |" % (subject, fig, factor, against))
            continue
        r = a / b
        out.append("| %s: %s >= %.2fx %s | %.2fx | %s |" % (subject, fig, factor, against, r,
                                                          "met" if r >= factor else "NOT met"))
    notes = [(p, rep["peers"][p]["note"]) for p in peers if rep["peers"][p].get("note")]
    if notes:
        out += ["", "Peer notes: " + "; ".join("`%s`: %s" % n for n in notes) + "."]
    if rep["skipped"]:
        out += ["", "Skipped: " + "; ".join("`%s`: %s" % kv for kv in rep["skipped"].items()) + "."]
    errs = [(p, e) for p in peers for e in rep["peers"][p].get("errors", [])]
    if errs:
        out += ["", "## Errors", ""] + ["* %s: %s" % pe for pe in errs]
    return "\n".join(out) + "\n"


def main():
    def bye(sig, frame):
        raise SystemExit("netbench: interrupted")
    signal.signal(signal.SIGTERM, bye)
    ap = argparse.ArgumentParser()
    ap.add_argument("--rootlesskit", required=True)
    ap.add_argument("--connrate", required=True)
    ap.add_argument("--go-rootlesskit", default="/usr/bin/rootlesskit" if os.path.exists("/usr/bin/rootlesskit") else None)
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", 3)))
    ap.add_argument("--time", type=int, default=int(os.environ.get("BENCH_TIME", 5)))
    ap.add_argument("--conn-time", type=float, default=float(os.environ.get("BENCH_CONN_TIME", 3)))
    ap.add_argument("--out", required=True, help="report path without extension")
    args = ap.parse_args()
    srv = os.environ.get("BENCH_SRV")
    if not srv:
        raise SystemExit("netbench: BENCH_SRV (the test netns server address) is not set; run bench/run.sh as root")
    ps, skipped = peers(args)
    raw = {p.name: {} for p in ps}
    for rep in range(args.reps):
        for p in ps:
            log("rep %d/%d: %s" % (rep + 1, args.reps, p.name))
            measure(p, args, srv, raw[p.name])
    summ = lambda r: {k: {"median": statistics.median(v), "raw": v} for k, v in r.items()
                      if v and not isinstance(v[0], str)}
    report = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "kernel": os.uname().release, "reps": args.reps, "iperf_seconds": args.time,
              "conn_seconds": args.conn_time, "server": srv, "skipped": skipped,
              "peers": {p.name: {"note": p.note, "figures": summ(raw[p.name]),
                                 "errors": raw[p.name].get("errors", [])} for p in ps}}
    with open(args.out + ".json", "w") as f:
        json.dump(report, f, indent=1)
    with open(args.out + ".md", "w") as f:
        f.write(markdown(report))
    log("wrote %s.json and %s.md" % (args.out, args.out))


if __name__ == "__main__":
    main()
