#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the /etc/hosts the seed's update-hosts.sh approach produces from a status document (one line per
Tailscale address: address, FQDN, bare name, peers in status order), and prints
"FIRST_FQDN FIRST_IPV4 LAST_FQDN LAST_IPV4" for the first and last peers in that file."""
import ipaddress
import json
import sys

status, out = sys.argv[1], sys.argv[2]
doc = json.load(open(status))
suffix = doc["CurrentTailnet"]["MagicDNSSuffix"]
lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]
order = []
for peer in [doc["Self"]] + list((doc.get("Peer") or {}).values()):
    fqdn = (peer.get("DNSName") or "").rstrip(".")
    if not fqdn or not peer.get("InNetworkMap") or not fqdn.endswith("." + suffix):
        continue
    bare = fqdn[: -len(suffix) - 1]
    ips = peer.get("TailscaleIPs") or []
    v4 = [ip for ip in ips if ipaddress.ip_address(ip).version == 4]
    for ip in ips:
        lines.append("%s %s %s" % (ip, fqdn, bare))
    if v4:
        order.append((fqdn, v4[0]))
open(out, "w").write("\n".join(lines) + "\n")
print(order[1][0], order[1][1], order[-1][0], order[-1][1])
