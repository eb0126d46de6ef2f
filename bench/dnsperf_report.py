#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""dnsperf_report.py DIR: the side-by-side table for bench/dns_perf.sh, from dnsperf's own output files in DIR
(throughput-<server>-<round> and latency-<server>), with the targets checked: the responder's throughput at
least dnsmasq's, its p99 no worse."""
import glob
import os
import re
import statistics
import sys

SERVERS = ["responder", "dnsmasq"]


def field(text, label):
    m = re.search(r"^\s*%s:\s+([0-9.]+)" % re.escape(label), text, re.M)
    return float(m.group(1)) if m else None


def throughput(d, server):
    runs = []
    for path in sorted(glob.glob(os.path.join(d, "throughput-%s-*" % server))):
        text = open(path).read()
        codes = re.search(r"Response codes:\s+(.*)", text)
        runs.append({"qps": field(text, "Queries per second"), "avg": field(text, "Average Latency (s)"),
                     "lost": field(text, "Queries lost"), "codes": codes.group(1) if codes else "?"})
    return runs


def latencies(d, server):
    """Every answer of every round's latency run, and per round its p50 and p99."""
    lat, codes, p50s, p99s = [], {}, [], []
    for path in sorted(glob.glob(os.path.join(d, "latency-%s-*" % server))):
        one = []
        for line in open(path):
            f = line.split()
            if len(f) >= 5 and f[0] == ">":
                codes[f[1]] = codes.get(f[1], 0) + 1
                if f[-1] != "T":
                    one.append(float(f[-1]))
        one.sort()
        if one:
            p50s.append(pct(one, 50))
            p99s.append(pct(one, 99))
        lat += one
    lat.sort()
    return lat, codes, p50s, p99s


def pct(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))]


def main():
    d = sys.argv[1]
    rows = {}
    for s in SERVERS:
        runs = throughput(d, s)
        lat, codes, p50s, p99s = latencies(d, s)
        if not runs or any(r["qps"] is None for r in runs) or not lat:
            sys.exit("dnsperf_report: no usable dnsperf output for %s in %s" % (s, d))
        rows[s] = {"qps": [r["qps"] for r in runs], "avg": statistics.median(r["avg"] for r in runs),
                   "lost": sum(r["lost"] or 0 for r in runs), "codes": runs[-1]["codes"], "lat": lat,
                   "lat_codes": codes, "p50s": p50s, "p99s": p99s}
    print()
    print("DNS on loopback, dnsperf: the responder (tailnet-helper dns) vs dnsmasq serving the same names from a hosts file.")
    print("Throughput: -c 2 -q 100 (saturating), median of %d runs [min-max]; avg latency is dnsperf's own (queueing included)."
          % len(rows["responder"]["qps"]))
    print("Latency: -Q 5000 (a fixed rate below both servers' capacity) in %d alternating rounds; p50 and p99 per round"
          % len(rows["responder"]["p99s"]))
    print("from every answer dnsperf printed with -v: median of the rounds [min-max]; p99.9 and max over all answers.")
    hdr = "%-10s %22s %12s %6s %16s %22s %9s %8s %8s" % ("server", "queries/s", "avg ms sat.", "lost", "p50 us",
                                                          "p99 us", "p99.9 us", "max us", "answers")
    print(hdr)
    print("-" * len(hdr))
    for s in SERVERS:
        r = rows[s]
        q, p50s, p99s = r["qps"], r["p50s"], r["p99s"]
        print("%-10s %22s %12.3f %6d %16s %22s %9.0f %8.0f %8d" % (
            s, "%.0f [%.0f-%.0f]" % (statistics.median(q), min(q), max(q)), r["avg"] * 1000, r["lost"],
            "%.0f [%.0f-%.0f]" % (statistics.median(p50s) * 1e6, min(p50s) * 1e6, max(p50s) * 1e6),
            "%.0f [%.0f-%.0f]" % (statistics.median(p99s) * 1e6, min(p99s) * 1e6, max(p99s) * 1e6),
            pct(r["lat"], 99.9) * 1e6, r["lat"][-1] * 1e6, len(r["lat"])))
    for s in SERVERS:
        print("  %s response codes (last throughput run): %s; latency runs: %s" % (
            s, rows[s]["codes"], ", ".join("%s %d" % kv for kv in sorted(rows[s]["lat_codes"].items()))))
    t, m = rows["responder"], rows["dnsmasq"]
    ratio = statistics.median(t["qps"]) / statistics.median(m["qps"])
    p99 = (statistics.median(t["p99s"]), statistics.median(m["p99s"]))
    print("target: throughput >= dnsmasq's: %.2fx -> %s; p99 (median of rounds) no worse: %.0f us vs %.0f us -> %s" % (
        ratio, "met" if ratio >= 1 else "NOT met", p99[0] * 1e6, p99[1] * 1e6, "met" if p99[0] <= p99[1] else "NOT met"))


if __name__ == "__main__":
    main()
