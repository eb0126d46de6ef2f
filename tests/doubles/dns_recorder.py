#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""dns_recorder.py - a stand-in for "whatever DNS comes after tailnet in nsswitch.conf" in the tests.

Listens on UDP ADDR:53 (default 127.0.0.1), appends every question it gets to --log as "NAME TYPE", answers
A/AAAA for the names given with --answer NAME=ADDR (as MagicDNS or a LAN server would), and NXDOMAIN for
everything else. Lets a test prove both that tailnet names never reach DNS and that names the module
refuses do fall through to it."""
import argparse
import ipaddress
import socket
import struct

TYPES = {1: "A", 28: "AAAA", 12: "PTR"}


def parse_question(pkt):
    labels, i = [], 12
    while pkt[i]:
        n = pkt[i]
        labels.append(pkt[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += n + 1
    qtype, qclass = struct.unpack("!HH", pkt[i + 1:i + 5])
    return ".".join(labels).lower(), qtype, pkt[12:i + 5]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--log", required=True)
    ap.add_argument("--answer", action="append", default=[])
    ap.add_argument("--ready")
    args = ap.parse_args()
    answers = {}
    for a in args.answer:
        name, addr = a.split("=", 1)
        answers.setdefault(name.lower().rstrip("."), []).append(ipaddress.ip_address(addr))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.listen, 53))
    if args.ready:
        open(args.ready, "w").close()
    while True:
        pkt, peer = sock.recvfrom(4096)
        try:
            name, qtype, question = parse_question(pkt)
        except (IndexError, struct.error):
            continue
        with open(args.log, "a") as f:
            f.write("%s %s\n" % (name, TYPES.get(qtype, qtype)))
        want = {1: 4, 28: 6}.get(qtype)
        records = [a for a in answers.get(name, []) if a.version == want]
        rcode = 0 if name in answers else 3
        header = struct.pack("!HHHHHH", struct.unpack("!H", pkt[:2])[0], 0x8180 | rcode, 1, len(records), 0, 0)
        body = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 5, len(a.packed)) + a.packed for a in records)
        sock.sendto(header + question + body, peer)


if __name__ == "__main__":
    main()
