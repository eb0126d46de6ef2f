#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""gen_status.py N [--seed S]: print a realistic tailscaled status document with N peers.

Shaped like tests/data/status-examples/running.json (every PeerStatus field, tab-indented like
GET /localapi/v0/status), deterministic for a given N and seed. Besides ordinary own-tailnet peers it mixes
in the quirks a parser must get right: offline peers, expired keys, tagged servers without KeyExpiry,
shared-in nodes under another tailnet's suffix, sharee nodes, Mullvad exit nodes, and stale engine-only
entries (InNetworkMap false, empty DNSName, TailscaleIPs null). A test tool: never part of the product.

Every peer with a name gets a unique DNSName and unique addresses; the expected name count is printed to
stderr with --expect ("<nodes> <names>"): nodes = Self + named peers + ExtraRecords names, names = nodes
plus bare names (own-suffix nodes, MagicDNS on).
"""
import argparse
import ipaddress
import json
import random
import sys

SUFFIX = "magellanic-gondola.ts.net"
OTHER_SUFFIX = "hedgehog-arcade.ts.net"
WORDS = ["vault", "web", "db", "ci-runner", "build", "grafana-agent", "laptop", "pixel", "nas", "printer",
         "kube-node", "edge", "cache", "queue", "api", "worker", "jumpbox", "backup"]
RELAYS = ["fra", "ams", "lhr", "nyc", "sfo", "sin", "syd", "tok"]
OSES = ["linux", "linux", "linux", "windows", "macOS", "iOS", "android", "freebsd"]
ZERO_TIME = "0001-01-01T00:00:00Z"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def hex(self, n):
        return "%0*x" % (n, self.r.getrandbits(4 * n))

    def stable_id(self):
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "n" + "".join(self.r.choice(alphabet) for _ in range(10)) + "CNTRL"

    def time(self, year):
        r = self.r
        return "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ" % (year, r.randint(1, 12), r.randint(1, 28), r.randint(0, 23),
                                                     r.randint(0, 59), r.randint(0, 59), r.randint(0, 999999999))


def addresses(i):
    """Unique Tailscale addresses for node number i (Self is 0)."""
    v4 = ipaddress.IPv4Address(int(ipaddress.IPv4Address("100.64.0.1")) + i)
    v6 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("fd7a:115c:a1e0::")) + (0x5d01 << 16) + i + 1)
    return [str(v4), str(v6)]


def peer(g, i, users):
    r = g.r
    kind = r.random()
    ips = addresses(i)
    word = r.choice(WORDS)
    name, suffix = "%s-%d" % (word, i), SUFFIX
    p = {
        "ID": g.stable_id(),
        "NodeID": r.randint(10 ** 15, 10 ** 16 - 1),
        "PublicKey": "nodekey:" + g.hex(64),
        "HostName": word if r.random() < 0.7 else word.upper() + "-" + g.hex(6),
        "DNSName": None,
        "OS": r.choice(OSES),
        "UserID": r.choice(users),
    }
    shared = 0.90 <= kind < 0.92
    sharee = 0.92 <= kind < 0.93
    mullvad = 0.93 <= kind < 0.935
    stale = 0.995 <= kind
    if shared or sharee:
        suffix = OTHER_SUFFIX
    if shared:
        p["AltSharerUserID"] = r.choice(users)
    if mullvad:
        name, suffix = "%s-%s-wg-%03d-%d" % (r.choice(["se", "de", "us", "nl"]), r.choice(["sto", "fra", "nyc"]),
                                              r.randint(1, 999), i), "mullvad.ts.net"
    p["DNSName"] = "%s.%s." % (name, suffix)
    p["TailscaleIPs"] = ips
    p["AllowedIPs"] = [ips[0] + "/32", ips[1] + "/128"]
    if mullvad:
        p["AllowedIPs"] = ["0.0.0.0/0", ips[0] + "/32", "::/0", ips[1] + "/128"]
    tagged = mullvad or r.random() < 0.3
    if tagged:
        p["Tags"] = ["tag:mullvad-exit-node"] if mullvad else ["tag:server", "tag:" + word]
    online = r.random() < 0.85
    port = r.randint(1024, 65535)
    p.update({
        "Addrs": ["198.51.100.%d:41641" % r.randint(1, 254)] if online else None,
        "CurAddr": "198.51.100.%d:41641" % r.randint(1, 254) if online and r.random() < 0.5 else "",
        "Relay": r.choice(RELAYS),
        "PeerRelay": "",
        "RxBytes": r.randint(0, 10 ** 9) if online else 0,
        "TxBytes": r.randint(0, 10 ** 9) if online else 0,
        "Created": g.time(r.randint(2022, 2026)),
        "LastWrite": g.time(2026) if online else ZERO_TIME,
        "LastSeen": ZERO_TIME if online else g.time(2026),
        "LastHandshake": g.time(2026) if online else ZERO_TIME,
        "Online": online,
        "ExitNode": False,
        "ExitNodeOption": mullvad,
        "Active": online and r.random() < 0.3,
        "PeerAPIURL": ["http://%s:%d" % (ips[0], port), "http://[%s]:%d" % (ips[1], port)] if not mullvad else None,
        "TaildropTarget": 1 if online else 5,
        "NoFileSharingReason": "",
    })
    if r.random() < 0.4:
        p["sshHostKeys"] = ["ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBB" + g.hex(90),
                            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + g.hex(43)]
    if sharee:
        p["ShareeNode"] = True
    p.update({"InNetworkMap": True, "InMagicSock": True, "InEngine": online})
    expired = r.random() < 0.02
    if expired:
        p["Expired"] = True
    if not tagged:
        p["KeyExpiry"] = "%s-%02d-%02dT%02d:00:00Z" % (2026 if expired else 2027, r.randint(1, 12), r.randint(1, 28),
                                                     r.randint(0, 23))
    if mullvad:
        p["Location"] = {"Country": "Sweden", "CountryCode": "SE", "City": "Stockholm", "CityCode": "STO",
                         "Latitude": 59.3293, "Longitude": 18.0686, "Priority": 100}
    if stale:
        # Known to the engine or magicsock only: no name, no addresses, not in the netmap.
        for k in ("AltSharerUserID", "Tags", "AllowedIPs", "sshHostKeys", "ShareeNode", "Expired", "KeyExpiry",
                  "Location"):
            p.pop(k, None)
        p.update({"ID": "", "NodeID": 0, "HostName": "", "DNSName": "", "OS": "", "UserID": 0, "TailscaleIPs": None,
                  "PeerAPIURL": None, "InNetworkMap": False, "InEngine": True})
    return p


def status(n, seed):
    g = Gen(seed)
    users = [g.r.randint(10 ** 15, 10 ** 16 - 1) for _ in range(50)]
    self_ips = addresses(0)
    self_node = {
        "ID": g.stable_id(), "NodeID": g.r.randint(10 ** 15, 10 ** 16 - 1), "PublicKey": "nodekey:" + g.hex(64),
        "HostName": "ci-runner-7", "DNSName": "ci-runner-7.%s." % SUFFIX, "OS": "linux", "UserID": users[0],
        "TailscaleIPs": self_ips, "AllowedIPs": [self_ips[0] + "/32", self_ips[1] + "/128"], "Tags": ["tag:ci"],
        "Addrs": ["203.0.113.44:41641"], "CurAddr": "", "Relay": "fra", "PeerRelay": "", "RxBytes": 0, "TxBytes": 0,
        "Created": g.time(2026), "LastWrite": ZERO_TIME, "LastSeen": ZERO_TIME, "LastHandshake": ZERO_TIME,
        "Online": True, "ExitNode": False, "ExitNodeOption": False, "Active": False,
        "PeerAPIURL": ["http://%s:39012" % self_ips[0], "http://[%s]:39012" % self_ips[1]], "TaildropTarget": 0,
        "NoFileSharingReason": "", "CapMap": {"magicdns-aaaa": None}, "InNetworkMap": True, "InMagicSock": False,
        "InEngine": False,
    }
    peers = {}
    for i in range(1, n + 1):
        p = peer(g, i, users)
        peers[p["PublicKey"]] = p
    return {
        "Version": "1.102.3-t7dc695f92-g1a2b3c4d5",
        "TUN": True,
        "BackendState": "Running",
        "HaveNodeKey": True,
        "AuthURL": "",
        "TailscaleIPs": self_ips,
        "Self": self_node,
        "Health": [],
        "MagicDNSSuffix": SUFFIX,
        "CurrentTailnet": {"Name": "example.com", "MagicDNSSuffix": SUFFIX, "MagicDNSEnabled": True},
        "CertDomains": ["ci-runner-7." + SUFFIX],
        "ExtraRecords": [
            {"Name": "grafana.%s." % SUFFIX, "Value": "100.99.201.17"},
            {"Name": "svc-api.%s" % SUFFIX, "Type": "AAAA", "Value": "fd7a:115c:a1e0::53:1"},
        ],
        "Peer": peers or None,
        "User": {str(u): {"ID": u, "LoginName": "user%d@example.com" % k, "DisplayName": "User %d" % k}
                 for k, u in enumerate(users)},
        "ClientVersion": None,
    }


def expected(doc):
    """(nodes, names) a correct cache builder derives from doc."""
    nodes = bare = 0
    for p in [doc["Self"]] + list((doc["Peer"] or {}).values()):
        if p["DNSName"] and (p is doc["Self"] or p["InNetworkMap"]):
            nodes += 1
            bare += p["DNSName"].endswith("." + SUFFIX + ".") and p["DNSName"].count(".") == SUFFIX.count(".") + 2
    nodes += len({r["Name"].rstrip(".") for r in doc["ExtraRecords"]})
    return nodes, nodes + bare


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("peers", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--expect", action="store_true", help="print '<nodes> <names>' to stderr")
    a = ap.parse_args()
    doc = status(a.peers, a.seed)
    if a.expect:
        print("%d %d" % expected(doc), file=sys.stderr)
    out = sys.stdout
    out.write(json.dumps(doc, indent="\t"))
    out.write("\n")


if __name__ == "__main__":
    main()
