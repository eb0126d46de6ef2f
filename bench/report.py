#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""report.py RESULTS: the benchmark table, with ratios taken within each run, and the targets checked."""
import collections
import statistics
import sys

warm, cold, sync, sizes = {}, collections.defaultdict(list), {}, {}
threads = collections.defaultdict(list)
faults = collections.defaultdict(list)
instr = {}
direct = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "warm":
        n, backend, op, name = int(f[1]), f[2], f[3], f[4]
        warm[(n, backend, op, name)] = [int(x) for x in f[5:]]
    elif f[0] == "cold":
        cold[(int(f[1]), f[2])].append(int(f[3]))
        if len(f) > 5:
            faults[(int(f[1]), f[2])].append(int(f[5]))
    elif f[0] == "sync":
        sync[int(f[1])] = (float(f[2]), int(f[3]), int(f[4]))
    elif f[0] == "sync-bytes":
        sizes[int(f[1])] = (int(f[2]), int(f[3]))
    elif f[0] == "threads":
        threads[(int(f[1]), f[2], int(f[3]))].append(float(f[4]))
    elif f[0] == "instr":
        instr[(int(f[1]), f[2], f[3], f[4])] = int(f[5])
    elif f[0] == "direct":
        direct[(int(f[1]), f[2], f[3])] = [int(x) for x in f[4:]]

peers = sorted({k[0] for k in warm})
if not peers:
    sys.exit("report: no lookup measurements in %s" % sys.argv[1])
ops = ["gai_inet", "gai_unspec", "gethostbyname2_r"]
names = ["first", "last", "miss"]


def ratio(n, a, b, op, name):
    """Median over rounds of a's batch time divided by b's batch time in the same round."""
    return statistics.median(x / y for x, y in zip(warm[(n, a, op, name)], warm[(n, b, op, name)]))


def us(ns):
    return "%.2f" % (ns / 1000.0) if ns < 10_000_000 else "%.0f" % (ns / 1000.0)


print()
rounds = len(next(iter(warm.values())))
print("Lookup latency through glibc, microseconds per call: median of %d interleaved rounds of ~2 ms batches" % rounds)
print("[min-max]; ratios are medians of per-round ratios (each round runs every backend back to back).")
print("first/last = the first and last peer of the /etc/hosts file; miss = an unknown name under the tailnet suffix.")
hdr = "%7s %-17s %-5s %22s %22s %22s %22s %8s %8s %8s" % (
    "peers", "operation", "name", "tailnet", "files (/etc/hosts)", "dns (dnsmasq)", "floor", "t/floor", "t/files", "t/dns")
print(hdr)
print("-" * len(hdr))
for n in peers:
    for op in ops:
        for name in names:
            cells = []
            for b in ["tailnet", "files", "dns", "floor"]:
                s = warm[(n, b, op, name)]
                cells.append("%s [%s-%s]" % (us(statistics.median(s)), us(min(s)), us(max(s))))
            print("%7d %-17s %-5s %22s %22s %22s %22s %7.2fx %7.3fx %7.3fx" % (
                n, op, name, *cells, ratio(n, "tailnet", "floor", op, name), ratio(n, "tailnet", "files", op, name),
                ratio(n, "tailnet", "dns", op, name)))

def cold_ratio(n):
    """Median of the per-turn ratios: the backends take turns, so a busy moment hits both alike."""
    return statistics.median(a / b for a, b in zip(cold[(n, "tailnet")], cold[(n, "floor")]))


print()
print("Cold first lookup in a fresh process (getaddrinfo AF_INET, nsswitch parsing and module loading included),")
print("median of %d turns, microseconds:" % len(cold[(peers[0], "tailnet")]))
print("%7s %10s %10s %10s %10s %10s %16s" % ("peers", "tailnet", "files", "dns", "floor", "t/floor",
                                             "page faults t/f"))
for n in peers:
    pf = "%d/%d" % (statistics.median(faults[(n, "tailnet")]), statistics.median(faults[(n, "floor")])) \
        if faults[(n, "tailnet")] else "-"
    print("%7d %10s %10s %10s %10s %9.2fx %16s" % (n, *[us(statistics.median(cold[(n, b)])) for b in ["tailnet", "files", "dns", "floor"]],
                                                 cold_ratio(n), pf))

if instr:
    print()
    print("Instructions per lookup inside the module's NSS function (callgrind, 20,001 calls, the first opening the cache):")
    print("%7s %-17s %-5s %9s %9s" % ("peers", "operation", "name", "tailnet", "floor"))
    for (n, b, op, name) in sorted(k for k in instr if k[1] == "tailnet"):
        print("%7d %-17s %-5s %9d %9s" % (n, op, name, instr[(n, b, op, name)], instr.get((n, "floor", op, name), "-")))

if direct:
    print()
    print("The module's call alone (gethostbyname3_r of the first peer, straight, no glibc), ns per call, median of")
    print("rounds; 'after a syscall': each call right after getppid() (the same for both; here it empties the TLB):")
    print("%7s %-18s %9s %9s %12s" % ("peers", "call", "tailnet", "floor", "difference"))
    for n in sorted({k[0] for k in direct}):
        for mode, label in (("warm", "alone"), ("syscall", "after a syscall")):
            a, b = statistics.median(direct[(n, "tailnet", mode)]), statistics.median(direct[(n, "floor", mode)])
            print("%7d %-18s %9.0f %9.0f %12.0f" % (n, label, a, b, a - b))

tcounts = sorted({k[2] for k in threads})
if tcounts:
    print()
    print("Throughput, getaddrinfo AF_INET of one name, lookups per second (median of alternating 300 ms runs):")
    print("%7s %8s %12s %12s %9s" % ("peers", "threads", "tailnet", "floor", "t/floor"))
    for n in sorted({k[0] for k in threads}):
        for t in tcounts:
            a, b = statistics.median(threads[(n, "tailnet", t)]), statistics.median(threads[(n, "floor", t)])
            print("%7d %8d %12.0f %12.0f %8.3fx" % (n, t, a, b, a / b))

print()
print("tailnet-helper sync --status-file (parse, build, write, fsync):")
print("%7s %9s %12s %12s %14s" % ("peers", "seconds", "peak RSS MB", "cache bytes", "status bytes"))
for n in sorted(sync):
    wall, rss, rc = sync[n]
    print("%7d %9.3f %12.1f %12d %14d" % (n, wall, rss / 1024.0, sizes.get(n, (0, 0))[0], sizes.get(n, (0, 0))[1]))

print()
print("Targets:")
ok = True


def check(label, value, limit, unit="x"):
    global ok
    good = value <= limit
    ok &= good
    print("  %-4s %-72s %.3f%s (limit %s%s)" % ("PASS" if good else "MISS", label, value, unit, limit, unit))


def at_least(label, value, limit):
    global ok
    good = value >= limit
    ok &= good
    print("  %-4s %-72s %.3fx (at least %sx)" % ("PASS" if good else "MISS", label, value, limit))


for n in peers:
    for name in ["first", "last"]:
        check("%d peers, %s hit, getaddrinfo AF_INET vs floor" % (n, name), ratio(n, "tailnet", "floor", "gai_inet", name), 1.05)
        check("%d peers, %s hit, getaddrinfo AF_UNSPEC vs floor (both IPv6 first)" % (n, name),
              ratio(n, "tailnet", "floor", "gai_unspec", name), 1.0)
    check("%d peers, miss, getaddrinfo AF_INET vs the floor's miss" % n, ratio(n, "tailnet", "floor", "gai_inet", "miss"), 1.05)
    check("%d peers, first lookup of a fresh process vs the floor's" % n, cold_ratio(n), 1.1)
for n in sorted({k[0] for k in threads}):
    if (n, "tailnet", 2) in threads:
        at_least("%d peers, 2 threads' throughput vs the floor's" % n,
                 statistics.median(threads[(n, "tailnet", 2)]) / statistics.median(threads[(n, "floor", 2)]), 0.95)
if len(peers) > 1:
    for op in ops:
        for name in names:
            vals = [ratio(n, "tailnet", "floor", op, name) for n in peers]
            check("flat from %d to %d peers: %s %s (largest/smallest ratio to floor)" % (peers[0], peers[-1], op, name),
                  max(vals) / min(vals), 1.2)
for n in sorted(sync):
    if n >= 100000:
        check("sync of %d peers, seconds" % n, sync[n][0], 1.0, " s")
        check("sync of %d peers, peak RSS" % n, sync[n][1] / 1024.0, 200, " MB")
print("all targets met" if ok else "some targets missed (see MISS lines)")
