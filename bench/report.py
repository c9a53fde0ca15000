#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/report.py - markdown from the suite's JSON, and the throughput
table of docs/port.md.

  report.py REPORT.json              print the markdown report
  report.py --docs REPORT.json FILE  rewrite FILE's table between the
                                     <!-- bench:begin --> / end markers
"""
import json
import sys

# figure: (title, unit, higher is better)
FIGURES = [
    ("tcp_up", "TCP parent -> child (iperf3)", "Gbit/s", True),
    ("tcp_down", "TCP child -> parent (iperf3 -R)", "Gbit/s", True),
    ("udp1400", "UDP received, 1400-byte datagrams", "Gbit/s", True),
    ("udp1400_loss", "UDP loss, 1400-byte datagrams", "%", False),
    ("udp65000", "UDP received, 65000-byte datagrams", "Gbit/s", True),
    ("udp65000_loss", "UDP loss, 65000-byte datagrams", "%", False),
    ("conn1", "connections/s, concurrency 1", "conn/s", True),
    ("conn1_p50", "latency p50, concurrency 1", "µs", False),
    ("conn1_p99", "latency p99, concurrency 1", "µs", False),
    ("conn4", "connections/s, concurrency 4", "conn/s", True),
    ("conn4_p50", "latency p50, concurrency 4", "µs", False),
    ("conn4_p99", "latency p99, concurrency 4", "µs", False),
    ("conn64", "connections/s, concurrency 64", "conn/s", True),
    ("conn64_p50", "latency p50, concurrency 64", "µs", False),
    ("conn64_p99", "latency p99, concurrency 64", "µs", False),
    ("cpu_per_gb", "forwarder CPU per GB (TCP parent -> child)", "s/GB", False),
    ("startup", "launch to child_pid", "ms", False),
    ("rss_idle", "peak RSS parent+child, idle", "MiB", False),
    ("rss_1000_ports", "peak RSS parent+child, 1000 ports", "MiB", False),
    ("rss_1000_conns", "peak RSS parent+child, +1000 connections", "MiB", False),
]

OURS, GO, NETNS, LOOP, PASTA = "ours-builtin", "go-builtin", "in-namespace", "loopback", "pasta"
BYPASS = "ours-bypass4netns"

# (figure, against, factor, kind): ours >= factor * against ("min") or
# ours <= factor * against ("max"); "gt" = strictly above
TARGETS = [
    ("tcp_up", GO, 1.15, "min"), ("tcp_up", NETNS, 0.9, "min"),
    ("tcp_down", GO, 1.15, "min"), ("tcp_down", NETNS, 0.9, "min"),
    ("cpu_per_gb", GO, 0.6, "max"),
    ("conn1", GO, 4.0, "min"), ("conn1", PASTA, 1.0, "gt"),
    ("conn4", GO, 4.0, "min"), ("conn4", PASTA, 1.0, "gt"),
    ("conn1_p50", GO, 0.5, "max"), ("conn4_p50", GO, 0.5, "max"),
    ("udp1400", GO, 2.0, "min"),
    ("rss_idle", GO, 0.2, "max"), ("rss_1000_ports", GO, 0.2, "max"),
    ("rss_1000_conns", GO, 0.2, "max"),
    # --bypass4netns against the no-proxy loopback ceiling (issue 14)
    ("tcp_up", LOOP, 0.9, "min", BYPASS), ("tcp_down", LOOP, 0.9, "min", BYPASS),
    ("conn1", LOOP, 0.8, "min", BYPASS), ("conn1_p50", LOOP, 1.2, "max", BYPASS),
]


def fmt(v, unit):
    if v is None:
        return "–"
    if unit in ("conn/s", "µs"):
        return "%.0f" % v
    if unit == "%" or unit == "MiB" or unit == "ms":
        return "%.1f" % v
    return "%.2f" % v


def med(rep, peer, fig):
    f = rep["peers"].get(peer, {}).get("figures", {}).get(fig)
    return f["median"] if f else None


def ratio(a, b):
    return a / b if a is not None and b else None


def markdown(rep):
    m = rep["machine"]
    peers = list(rep["peers"])
    out = ["# Port forwarding benchmark", "",
           "%s; %d CPUs (%s), kernel %s; %s; %s; %s; Go RootlessKit %s." % (
               rep["date"], m["cpus"], m["cpu_model"], m["kernel"], m["iperf3"],
               m["slirp4netns"], m["pasta"], m["go_rootlesskit"]),
           "",
           "Medians of %d repetitions, peers interleaved in every repetition; iperf3 runs %d s, "
           "connection-rate runs %s s (%s). Rootlesskit peers: `--net=slirp4netns --mtu=65520`, "
           "`127.0.0.1:5201:5201/tcp` (pasta: `--net=pasta --port-driver=implicit`). Ceilings: "
           "`loopback` (client and server on the host) and `in-namespace` (both inside one "
           "rootlesskit network namespace). Raw values in brackets." % (
               rep["reps"], rep["iperf_seconds"], rep["conn_seconds"], rep["cpu_wakeup"]), ""]
    out.append("| figure | unit | " + " | ".join(peers) + " | ours/go | ours/in-ns |")
    out.append("|---|---|" + "---|" * (len(peers) + 2))
    for fig, title, unit, _ in FIGURES:
        cells = []
        for p in peers:
            f = rep["peers"][p]["figures"].get(fig)
            cells.append("%s [%s]" % (fmt(f["median"], unit), ", ".join(fmt(x, unit) for x in f["raw"]))
                         if f else "–")
        r1 = ratio(med(rep, OURS, fig), med(rep, GO, fig))
        r2 = ratio(med(rep, OURS, fig), med(rep, NETNS, fig))
        out.append("| %s | %s | %s | %s | %s |" % (title, unit, " | ".join(cells),
                                                  "%.2fx" % r1 if r1 else "–", "%.2fx" % r2 if r2 else "–"))
    out += ["", "## Targets", "", "| target | measured | result |", "|---|---|---|"]
    for fig, against, factor, kind, *who in TARGETS:
        subject = who[0] if who else OURS
        r = ratio(med(rep, subject, fig), med(rep, against, fig))
        want = {"min": ">= %.2fx" % factor, "max": "<= %.2fx" % factor, "gt": "> %.2fx" % factor}[kind]
        if r is None:
            out.append("| %s: %s %s %s | – | not measured |" % (subject, fig, want, against))
            continue
        ok = r >= factor if kind == "min" else r <= factor if kind == "max" else r > factor
        miss = "" if ok else " (short by %.0f%%)" % (abs(r / factor - 1) * 100)
        out.append("| %s: %s %s %s | %.2fx | %s%s |" % (subject, fig, want, against, r, "met" if ok else "NOT met", miss))
    notes = [(p, rep["peers"][p].get("note")) for p in peers if rep["peers"][p].get("note")]
    if notes:
        out += ["", "Peer notes: " + "; ".join("`%s`: %s" % pn for pn in notes) + "."]
    out += ["", "## Memory growth", ""]
    for p in (OURS, GO):
        i, ports, conns = (med(rep, p, f) for f in ("rss_idle", "rss_1000_ports", "rss_1000_conns"))
        if i is not None and ports is not None and conns is not None:
            out.append("* %s: %.1f KiB per published port, %.1f KiB per open connection "
                       "(parent+child peak RSS)." % (p, (ports - i) * 1024 / 1000, (conns - ports) * 1024 / 1000))
    errs = [(p, e) for p in peers for e in rep["peers"][p].get("errors", [])]
    if errs:
        out += ["", "## Errors", ""] + ["* %s: %s" % pe for pe in errs]
    return "\n".join(out) + "\n"


SOURCE_IP = {"ours-builtin": "propagated (TCP and UDP)", "ours-busypoll": "propagated (TCP and UDP)", "go-builtin": "not propagated (1.1.0)",
             "ours-slirp4netns": "propagated", "go-slirp4netns": "propagated",
             "pasta": "propagated", "loopback": "–", "in-namespace": "–",
             "ours-bypass4netns": "the real client (host socket)"}


def docs_table(rep):
    m = rep["machine"]
    lines = ["<!-- bench:begin (generated by `make bench`, bench/report.py) -->",
             "Measured by `make bench` on %s: %d vCPUs (%s), kernel %s, Debian 12; medians of %d "
             "interleaved repetitions of %d-second iperf3 runs through `127.0.0.1:5201:5201/tcp`, "
             "`--net=slirp4netns --mtu=65520`." % (rep["date"], m["cpus"], m["cpu_model"], m["kernel"],
                                                   rep["reps"], rep["iperf_seconds"]),
             "",
             "| peer | parent → child | child → parent | conn/s (c=1) | Source IP |",
             "|---|---|---|---|---|"]
    for p in rep["peers"]:
        up, down, c1 = med(rep, p, "tcp_up"), med(rep, p, "tcp_down"), med(rep, p, "conn1")
        lines.append("| %s | %s | %s | %s | %s |" % (
            p, "%.1f Gbit/s" % up if up else "–", "%.1f Gbit/s" % down if down else "–",
            "%.0f" % c1 if c1 else "–", SOURCE_IP.get(p, "")))
    lines.append("<!-- bench:end -->")
    return "\n".join(lines)


def update_docs(rep, path):
    text = open(path).read()
    b, e = text.find("<!-- bench:begin"), text.find("<!-- bench:end -->")
    if b < 0 or e < 0:
        raise SystemExit("%s: no bench markers" % path)
    text = text[:b] + docs_table(rep) + text[e + len("<!-- bench:end -->"):]
    open(path, "w").write(text)


if __name__ == "__main__":
    if sys.argv[1] == "--docs":
        update_docs(json.load(open(sys.argv[2])), sys.argv[3])
    else:
        sys.stdout.write(markdown(json.load(open(sys.argv[1]))))
