#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/suite.py - side-by-side benchmark of rootless port forwarding.

Runs as the unprivileged user (bench/run.sh arranges that).  Each
repetition starts every peer afresh, in the same order (A B C ... A B C ...,
so that machine drift hits every peer alike), and measures every figure:

  tcp_up, tcp_down     iperf3 through 127.0.0.1:5201 (parent -> child, -R)
  udp1400, udp65000    iperf3 -u -b 0 -l SIZE: received rate and loss
  conn1, conn4, conn64 bench/connrate: connect, 1-byte request, 1-byte
                       reply, close; rate, p50 and p99 latency (CPUs kept
                       awake by one SCHED_IDLE busy loop per CPU)
  cpu_per_gb           CPU seconds of the forwarder per GB moved (tcp_up)
  startup              launch to child_pid

and, once per repetition for the builtin drivers, peak RSS (VmHWM) of
parent plus child at idle, with 1000 published ports and with 1000 open
connections.  Every figure is reported as the median of the repetitions
plus the raw values, with ratios against the Go RootlessKit builtin
driver and against the ceilings (client and server on host loopback, and
both inside one network namespace), all from the same run.

Peers: this project's builtin driver; the Go RootlessKit (Debian package)
with --port-driver=builtin and =slirp4netns; this project's slirp4netns
driver when it exists; pasta's own forwarding (--net=pasta
--port-driver=implicit); the two ceilings.  All rootlesskit peers use
--net=slirp4netns --mtu=65520 (pasta: --net=pasta --mtu=65520) and
127.0.0.1:5201:5201/tcp, like upstream's benchmark-iperf3-port.sh.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
IPERF_PORT, CONN_PORT = 5201, 5202


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def proc_ticks(pid):
    """utime + stime of @pid in seconds (0 if gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def hwm_kib(pid):
    """Peak RSS (VmHWM) of @pid in KiB."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


HELPERS = ("slirp4netns", "pasta", "pasta.avx2", "passt", "passt.avx2")  # network helpers' comm


def descendants(pid):
    """@pid and all its descendants, as (pid, comm) pairs."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,comm="], capture_output=True, text=True).stdout
    kids, names = {}, {}
    for line in out.splitlines():
        p, pp, c = line.split(None, 2)
        kids.setdefault(int(pp), []).append(int(p))
        names[int(p)] = c.strip()
    todo, found = [pid], []
    while todo:
        p = todo.pop()
        found.append(p)
        todo += kids.get(p, [])
    return [(p, names.get(p, "")) for p in found]


def wait_tcp(port, timeout=20.0, exchange=False):
    """Wait until 127.0.0.1:port accepts (and answers one byte)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if not exchange:
                    return True
                s.sendall(b"x")
                if s.recv(1) == b"x":
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


class Peer:
    """One forwarding set-up: start() it, measure through 127.0.0.1, stop()."""

    def __init__(self, name, kind, rk=None, ctl=None, net="slirp4netns", pd=None,
                 note="", extra=()):
        self.name, self.kind, self.rk, self.ctl = name, kind, rk, ctl
        self.extra = list(extra)
        self.net, self.pd, self.note = net, pd, note
        self.proc = None
        self.host_procs = []
        self.child = None
        self.prefix = []  # command prefix for clients (nsenter)

    def servers_cmd(self):
        return ["sh", "-c", "iperf3 -s -p %d & exec %s -s %d" % (IPERF_PORT, self.connrate, CONN_PORT)]

    def start(self, connrate, ports=True):
        """Start; returns seconds from launch to child_pid (None: ceiling)."""
        self.connrate = connrate
        if self.kind == "loopback":
            self.host_procs = [
                subprocess.Popen(["iperf3", "-s", "-p", str(IPERF_PORT)], stdout=subprocess.DEVNULL),
                subprocess.Popen([connrate, "-s", str(CONN_PORT)]),
            ]
            wait_tcp(IPERF_PORT)
            wait_tcp(CONN_PORT, exchange=True)
            return None
        self.sd = tempfile.mkdtemp(prefix="rk-bench-")
        os.rmdir(self.sd)
        cmd = [self.rk, "--state-dir=" + self.sd, "--net=" + self.net, "--mtu=65520",
               "--port-driver=" + self.pd, "--pidns"]
        if self.net != "pasta":
            cmd.append("--disable-host-loopback")
        cmd += self.extra
        self.log = open(self.sd + ".log", "w")
        t0 = time.time()
        self.proc = subprocess.Popen(cmd + self.servers_cmd(), stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        cp = os.path.join(self.sd, "child_pid")
        while not os.path.exists(cp):
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited: see %s.log" % (self.name, self.sd))
            if time.time() - t0 > 30:
                raise RuntimeError("%s: no child_pid" % self.name)
            time.sleep(0.002)
        startup = time.time() - t0
        self.child = int(open(cp).read())
        if self.kind == "netns":
            self.prefix = ["nsenter", "-U", "--preserve-credentials", "-n", "-t", str(self.child)]
        if ports and self.pd in ("builtin", "slirp4netns") and "--bypass4netns" not in self.extra:
            self.rkctl("add-ports", "127.0.0.1:%d:%d/tcp" % (IPERF_PORT, IPERF_PORT),
                       "127.0.0.1:%d:%d/udp" % (IPERF_PORT, IPERF_PORT),
                       "127.0.0.1:%d:%d/tcp" % (CONN_PORT, CONN_PORT))
        if self.kind == "netns":
            self.run_client(["sh", "-c", "for i in $(seq 200); do %s -p %d -c 1 -d 0.01 >/dev/null && exit 0; sleep 0.05; done; exit 1" % (connrate, CONN_PORT)])
        elif ports and (not wait_tcp(IPERF_PORT) or not wait_tcp(CONN_PORT, exchange=True)):
            raise RuntimeError("%s: ports not reachable" % self.name)
        return startup

    def rkctl(self, *args):
        subprocess.run([self.ctl, "--socket=" + os.path.join(self.sd, "api.sock")] + list(args),
                       check=True, stdout=subprocess.DEVNULL)

    def forwarder_pids(self):
        """Processes whose CPU time is the cost of forwarding."""
        if not self.proc:
            return []
        if self.pd == "builtin":
            return [self.proc.pid, self.child]
        helpers = [p for p, c in descendants(self.proc.pid) if c in HELPERS]
        return [self.proc.pid] + helpers

    def cpu(self):
        return sum(proc_ticks(p) for p in self.forwarder_pids())

    def run_client(self, argv, timeout=120):
        r = subprocess.run(self.prefix + argv, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("%s: %s failed: %s" % (self.name, " ".join(argv), r.stderr.strip()[-300:]))
        return r.stdout

    def stop(self):
        for p in self.host_procs:
            p.terminate()
            p.wait()
        self.host_procs = []
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self.log.close()
            os.unlink(self.sd + ".log")
            shutil.rmtree(self.sd, ignore_errors=True)
            self.proc = None


class Spinners:
    """One SCHED_IDLE busy loop per CPU: keeps vCPUs out of deep idle
    without taking time from real work."""

    def __enter__(self):
        code = "import os\nos.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\nwhile True: pass\n"
        self.procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(os.cpu_count() or 1)]
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
            p.wait()


def iperf(peer, secs, extra):
    out = peer.run_client(["iperf3", "-c", "127.0.0.1", "-p", str(IPERF_PORT), "-t", str(secs), "-J"] + extra,
                          timeout=secs * 4 + 30)
    j = json.loads(out)
    return j["end"]


def measure(peer, args, res):
    """All traffic figures of one repetition of @peer into @res[figure]."""
    def put(fig, value):
        res.setdefault(fig, []).append(value)

    def step(name, fn):
        try:
            fn()
        except Exception as e:  # one figure failing does not hide the others
            log("%s: %s: %s" % (peer.name, name, e))
            res.setdefault("errors", []).append("%s: %s" % (name, e))

    def tcp_up():
        c0 = peer.cpu()
        end = iperf(peer, args.time, [])
        cpu = peer.cpu() - c0
        put("tcp_up", end["sum_received"]["bits_per_second"] / 1e9)
        if peer.proc and peer.kind != "netns":
            put("cpu_per_gb", cpu / (end["sum_received"]["bytes"] / 1e9))

    def tcp_down():
        end = iperf(peer, args.time, ["-R"])
        put("tcp_down", end["sum_received"]["bits_per_second"] / 1e9)

    def udp(size):
        def run():
            end = iperf(peer, args.time, ["-u", "-b", "0", "-l", str(size)])
            recv = end.get("sum_received") or end.get("sum")
            if not recv:
                raise RuntimeError("iperf3 reported no UDP result")
            put("udp%d" % size, recv["bits_per_second"] / 1e9)
            put("udp%d_loss" % size, (end.get("sum") or recv).get("lost_percent", 0.0))
        return run

    def conns():
        with Spinners():
            for c in (1, 4, 64):
                out = peer.run_client([peer.connrate, "-p", str(CONN_PORT), "-c", str(c), "-d", str(args.conn_time)],
                                      timeout=args.conn_time * 4 + 30)
                j = json.loads(out)
                put("conn%d" % c, j["rate"])
                put("conn%d_p50" % c, j["p50_us"])
                put("conn%d_p99" % c, j["p99_us"])

    step("tcp_up", tcp_up)
    step("tcp_down", tcp_down)
    step("udp1400", udp(1400))
    step("udp65000", udp(65000))
    step("conn", conns)


def measure_rss(peer, connrate, res):
    """Peak RSS of parent + child: idle, 1000 ports, 1000 connections."""
    peer.start(connrate, ports=False)
    pids = [peer.proc.pid, peer.child]
    time.sleep(0.3)
    idle = sum(hwm_kib(p) for p in pids)
    specs = ["127.0.0.1:%d:%d/tcp" % (20000 + i, CONN_PORT) for i in range(1000)]
    peer.rkctl("add-ports", *specs)
    ports = sum(hwm_kib(p) for p in pids)
    if not wait_tcp(20000, exchange=True):
        raise RuntimeError("%s: port 20000 not reachable" % peer.name)
    holder = subprocess.Popen([connrate, "-H", "1000", "-p", "20000"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    line = holder.stdout.readline()
    time.sleep(0.5)
    conns = sum(hwm_kib(p) for p in pids)
    holder.stdin.close()
    holder.wait()
    peer.stop()
    res.setdefault("rss_idle", []).append(idle / 1024)
    res.setdefault("rss_1000_ports", []).append(ports / 1024)
    res.setdefault("rss_1000_conns", []).append(conns / 1024)
    res.setdefault("held", []).append(line.strip())


def peers(args):
    ours, ctl = args.rootlesskit, args.rootlessctl
    go, goctl = args.go_rootlesskit, args.go_rootlessctl
    p = [Peer("ours-builtin", "rk", ours, ctl, pd="builtin"),
         Peer("ours-busypoll", "rk", ours, ctl, pd="builtin", extra=["--builtin-busy-poll=50"],
              note="--builtin-busy-poll=50: polls 50 us after work before sleeping")]
    if go:
        p.append(Peer("go-builtin", "rk", go, goctl, pd="builtin"))
    ok = subprocess.run([ours, "--net=slirp4netns", "--port-driver=slirp4netns", "true"],
                        capture_output=True, text=True)
    if ok.returncode == 0:
        p.append(Peer("ours-slirp4netns", "rk", ours, ctl, pd="slirp4netns"))
    else:
        log("ours-slirp4netns skipped:", ok.stderr.strip().splitlines()[-1:])
    if go:
        p.append(Peer("go-slirp4netns", "rk", go, goctl, pd="slirp4netns"))
    p.append(Peer("pasta", "rk", ours, ctl, net="pasta", pd="implicit"))
    # --bypass4netns: the servers' binds to published ports become host
    # sockets, so the ports must be published before the command starts
    bp = ["--bypass4netns", "-p", "127.0.0.1:%d:%d/tcp" % (IPERF_PORT, IPERF_PORT),
          "-p", "127.0.0.1:%d:%d/udp" % (IPERF_PORT, IPERF_PORT), "-p", "127.0.0.1:%d:%d/tcp" % (CONN_PORT, CONN_PORT)]
    ok = subprocess.run([ours, "--net=slirp4netns", "--port-driver=builtin", "--bypass4netns", "true"],
                        capture_output=True, text=True)
    if ok.returncode == 0:
        p.append(Peer("ours-bypass4netns", "rk", ours, ctl, pd="builtin", extra=bp,
                      note="--bypass4netns: the server's sockets are host sockets"))
    else:
        log("ours-bypass4netns skipped:", ok.stderr.strip().splitlines()[-1:])
    p.append(Peer("loopback", "loopback"))
    p.append(Peer("in-namespace", "netns", ours, ctl, pd="none"))
    return p


def summarize(raw):
    return {fig: {"median": statistics.median(v), "raw": v} for fig, v in raw.items() if v and not isinstance(v[0], str)}


def main():
    # SIGTERM/SIGINT unwind like an exception, so every peer and busy loop
    # started so far is stopped by the finally/with blocks
    def bye(sig, frame):
        raise SystemExit("bench: interrupted")
    signal.signal(signal.SIGTERM, bye)
    ap = argparse.ArgumentParser()
    ap.add_argument("--rootlesskit", required=True)
    ap.add_argument("--rootlessctl", required=True)
    ap.add_argument("--connrate", required=True)
    ap.add_argument("--go-rootlesskit", default=shutil.which("rootlesskit") if os.path.exists("/usr/bin/rootlesskit") else None)
    ap.add_argument("--go-rootlessctl", default="/usr/bin/rootlessctl")
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", 3)))
    ap.add_argument("--time", type=int, default=int(os.environ.get("BENCH_TIME", 5)))
    ap.add_argument("--conn-time", type=float, default=float(os.environ.get("BENCH_CONN_TIME", 3)))
    ap.add_argument("--out", required=True, help="report path without extension")
    args = ap.parse_args()
    if args.go_rootlesskit and not os.path.exists(args.go_rootlesskit):
        args.go_rootlesskit = None
    ps = peers(args)
    raw = {p.name: {} for p in ps}
    for rep in range(args.reps):
        for p in ps:
            log("rep %d/%d: %s" % (rep + 1, args.reps, p.name))
            try:
                t = p.start(args.connrate)
                if t is not None:
                    raw[p.name].setdefault("startup", []).append(t * 1000)
                measure(p, args, raw[p.name])
            except Exception as e:  # keep going; the report shows the gap
                log("%s: %s" % (p.name, e))
                raw[p.name].setdefault("errors", []).append(str(e))
            finally:
                p.stop()
        for p in ps:
            if p.pd == "builtin" and not p.extra:
                log("rep %d/%d: %s memory" % (rep + 1, args.reps, p.name))
                try:
                    measure_rss(p, args.connrate, raw[p.name])
                except Exception as e:
                    log("%s rss: %s" % (p.name, e))
                    p.stop()
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "reps": args.reps, "iperf_seconds": args.time, "conn_seconds": args.conn_time,
        "cpu_wakeup": "one SCHED_IDLE busy loop per CPU during the connection-rate runs",
        "peers": {p.name: {"note": p.note, "figures": summarize(raw[p.name]),
                           "errors": raw[p.name].get("errors", [])} for p in ps},
    }
    with open(args.out + ".json", "w") as f:
        json.dump(report, f, indent=1)
    import report as rpt  # bench/report.py
    with open(args.out + ".md", "w") as f:
        f.write(rpt.markdown(report))
    log("wrote %s.json and %s.md" % (args.out, args.out))


def machine():
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    def ver(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    return {"kernel": platform.release(), "cpus": os.cpu_count(), "cpu_model": model,
            "iperf3": ver(["iperf3", "--version"]), "slirp4netns": ver(["slirp4netns", "--version"]),
            "pasta": ver(["pasta", "--version"]), "go_rootlesskit": ver(["/usr/bin/rootlesskit", "--version"])}


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main()
