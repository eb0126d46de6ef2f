#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""dns_poke.py - packets dig will not send, for tests/e2e/test_dns_dig.sh. A test tool: never part of the product.

  dns_poke.py ADDR ask NAME [--qdcount N] [--opcode N] [--type T]   one UDP query; prints "rcode=R qd=Q an=A tc=T"
  dns_poke.py ADDR pipeline                 three queries in one TCP write; prints each answer's id and rcode
  dns_poke.py ADDR trickle                  one TCP query sent a byte at a time; prints the answer's rcode
  dns_poke.py ADDR oversized                a TCP length prefix above the responder's query limit; "closed" or not
  dns_poke.py ADDR slots K N                 slow TCP clients: N connections from each of K source addresses
                                            (127.0.9.1 ...), each sending one byte of a length prefix; prints how
                                            many the responder kept open (in all, and most from one address),
                                            then whether a newcomer from the first address and a UDP query
                                            made meanwhile were answered
  dns_poke.py ADDR idle                     one TCP connection that sends nothing; prints after how many
                                            seconds the responder closed it
  dns_poke.py ADDR fuzz N SEED              N random, truncated and bit-flipped packets over UDP and TCP, then
                                            one valid query, which must be answered ("alive")
ADDR is the responder's IPv4 address; the port is 53."""
import random
import socket
import struct
import sys
import time

PORT = 53


def query(name, qid=0x4242, qdcount=1, opcode=0, qtype=1, edns=False):
    flags = (opcode << 11) | 0x0100
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0" + struct.pack("!HH", qtype, 1)
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0) if edns else b""
    return struct.pack("!HHHHHH", qid, flags, qdcount, 0, 0, 1 if edns else 0) + q * max(qdcount, 1) + opt


def summary(reply):
    qid, flags, qd, an = struct.unpack("!HHHH", reply[:8])
    return "id=%d rcode=%d qd=%d an=%d tc=%d" % (qid, flags & 15, qd, an, (flags >> 9) & 1)


def udp(addr, pkt, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(pkt, (addr, PORT))
    try:
        return s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()


def tcp_connect(addr, source=None):
    s = socket.create_connection((addr, PORT), timeout=3, source_address=(source, 0) if source else None)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def tcp_read(s):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf
    return exact(struct.unpack("!H", exact(2))[0])


def framed(pkt):
    return struct.pack("!H", len(pkt)) + pkt


def closed(s):
    """True when the server closed the connection (EOF or reset) within the socket timeout."""
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def fuzz(addr, n, seed):
    rng = random.Random(seed)
    seeds = [query("vault"), query("vault.magellanic-gondola.ts.net", qtype=28, edns=True),
             query("8.33.101.100.in-addr.arpa", qtype=12), query("example.org", edns=True)]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setblocking(False)
    sent = 0
    for i in range(n):
        base = rng.choice(seeds)
        kind = i % 4
        if kind == 0:
            pkt = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 300)))
        elif kind == 1:
            pkt = base[:rng.randrange(0, len(base))]
        elif kind == 2:
            b = bytearray(base)
            for _ in range(rng.randrange(1, 6)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            pkt = bytes(b)
        else:
            b = bytearray(base)
            b[rng.randrange(12, len(b))] = rng.choice([0xc0, 0x3f, 0x40, 0xff, 0])
            pkt = bytes(b) + bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 20)))
        try:
            u.sendto(pkt, (addr, PORT))
            sent += 1
        except BlockingIOError:
            time.sleep(0.001)
        if i % 50 == 0:  # drain what came back, and now and then the same bytes over TCP
            try:
                while u.recv(65535):
                    pass
            except BlockingIOError:
                pass
            s = tcp_connect(addr)
            s.sendall(framed(pkt) + framed(query("vault")) if i % 100 else struct.pack("!H", 40) + pkt[:39])
            s.close()
    u.close()
    time.sleep(0.2)
    reply = udp(addr, query("vault"))
    print("sent %d, %s" % (sent, "alive" if reply and summary(reply).startswith("id=16962 rcode=0") else "DEAD"))


def main():
    addr, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if cmd == "ask":
        opts = dict(zip(args[1::2], args[2::2]))
        reply = udp(addr, query(args[0], qdcount=int(opts.get("--qdcount", 1)), opcode=int(opts.get("--opcode", 0)),
                                qtype=int(opts.get("--type", 1))))
        print(summary(reply) if reply else "no reply")
    elif cmd == "pipeline":
        s = tcp_connect(addr)
        names = ["vault", "example.org", "nope.magellanic-gondola.ts.net"]
        s.sendall(b"".join(framed(query(n, qid=i + 1)) for i, n in enumerate(names)))
        for _ in range(3):
            print(summary(tcp_read(s)))
    elif cmd == "trickle":
        s = tcp_connect(addr)
        for b in framed(query("vault")):
            s.send(bytes([b]))
            time.sleep(0.005)
        print(summary(tcp_read(s)))
    elif cmd == "oversized":
        s = tcp_connect(addr)
        s.sendall(struct.pack("!H", 60000) + b"\0" * 100)
        print("closed" if closed(s) else "open")
    elif cmd == "slots":
        k, n = int(args[0]), int(args[1])
        held = {}
        for i in range(k):
            held[i] = []
            for _ in range(n):
                s = tcp_connect(addr, "127.0.9.%d" % (i + 1))
                s.send(b"\0")  # half a length prefix: a query that never completes
                held[i].append(s)
        time.sleep(0.3)
        for conns in held.values():
            for s in conns:
                s.settimeout(0.01)
        still = {i: sum(not closed(s) for s in conns) for i, conns in held.items()}
        print("open %d, at most %d from one address" % (sum(still.values()), max(still.values())))
        newcomer = tcp_connect(addr, "127.0.9.1")
        newcomer.sendall(framed(query("vault")))
        try:
            print("newcomer " + ("answered" if summary(tcp_read(newcomer)).startswith("id=16962 rcode=0") else "wrong"))
        except (EOFError, OSError):
            print("newcomer not answered")
        reply = udp(addr, query("vault"))
        print("udp " + ("answered" if reply else "not answered"))
        for conns in held.values():
            for s in conns:
                s.close()
    elif cmd == "idle":
        s = tcp_connect(addr)
        s.settimeout(15)
        start = time.monotonic()
        print("closed after %.1f s" % (time.monotonic() - start) if closed(s) else "open after 15 s")
    elif cmd == "fuzz":
        fuzz(addr, int(args[0]), int(args[1]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
