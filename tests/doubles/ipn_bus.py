# SPDX-License-Identifier: BSD-3-Clause
"""ipn_bus.py: the IPN bus (GET /localapi/v0/watch-ipn-bus) of localapi_double.py, as tailscaled's versions
differ (../shared/reference/tailscale.md §1.4). Test code only.

A change to the double's tailnet is published once; every subscriber gets the lines its daemon version and
mask would get:
- <= 1.97: a full NetMap on every netmap change, whatever the mask (bits it does not know are ignored);
- 1.98-1.99: the same, plus PeerChanges deltas for subscribers with bit 4096;
- >= 1.100: no NetMap after the first message; PeersChanged / PeersRemoved only with bit 4096, SelfChange to
  everyone; the rate-limit bit 256 next to bits 12-15 is a 400, and so is bit 65536 over LocalAPI.
State changes reach everyone as an integer State. Every line is one compact JSON object carrying the members
Go never omits (ErrMessage, LoginFinished, State, Prefs, NetMap, Engine, BrowseToURL, DriveShares), usually
as explicit nulls. Subscribers with bit 2 get the current State first; bit 8 adds the NetMap, and on 1.100+
bit 16384 the whole status as InitialStatus.
"""
import json
import queue
import re
import threading

INITIAL_STATE = 2
INITIAL_NETMAP = 8
RATE_LIMIT = 256
PEER_CHANGES = 4096
NO_NETMAP = 8192
INITIAL_STATUS = 16384
PEER_PATCHES = 32768
IN_PROCESS_NO_DISCONNECT = 65536
NEW_BITS = PEER_CHANGES | NO_NETMAP | INITIAL_STATUS | PEER_PATCHES

STATES = {"NoState": 0, "InUseOtherUser": 1, "NeedsLogin": 2, "NeedsMachineAuth": 3, "Stopped": 4, "Starting": 5,
          "Running": 6}

CUT = object()  # a subscriber's queue item: write half a line, then drop the connection


def version_tuple(version):
    m = re.match(r"(\d+)\.(\d+)", version)
    return (int(m.group(1)), int(m.group(2))) if m else (1, 102)


def node(p):
    """A status PeerStatus as the tailcfg.Node the bus carries (the members a client could use)."""
    ips = p.get("TailscaleIPs") or []
    return {"ID": p.get("NodeID", 0), "StableID": p.get("ID", ""), "Name": p.get("DNSName", ""),
            "Key": p.get("PublicKey", ""), "Addresses": [a + ("/128" if ":" in a else "/32") for a in ips],
            "Online": p.get("Online", False)}


def netmap(doc):
    peers = [node(p) for p in (doc.get("Peer") or {}).values() if p.get("InNetworkMap")]
    return {"SelfNode": node(doc["Self"]), "Peers": peers,
            "Domain": (doc.get("CurrentTailnet") or {}).get("MagicDNSSuffix", "")}


class Change:
    """What happened: peers upserted, node IDs removed, Self changed, a new backend state."""

    def __init__(self, changed=(), removed=(), self_changed=False, state=None):
        self.changed, self.removed, self.self_changed, self.state = list(changed), list(removed), self_changed, state

    def netmap_changed(self):
        return bool(self.changed or self.removed or self.self_changed)


class Subscriber:
    def __init__(self, mask):
        self.mask = mask
        self.queue = queue.SimpleQueue()


class Bus:
    def __init__(self, version):
        self.version_text = version
        self.version = version_tuple(version)
        self.lock = threading.Lock()
        self.subscribers = set()
        self.masks_seen = []
        self.reject_bits = 0  # tests: answer 400 to any mask with one of these bits

    def refuse(self, mask):
        """The 400 text for a mask this daemon refuses, else None. Every mask asked for is recorded."""
        with self.lock:
            self.masks_seen.append(mask)
        if mask & self.reject_bits:
            return "watch-ipn-bus: mask %d refused (double: reject-bits %d)" % (mask, self.reject_bits)
        if self.version < (1, 100):
            return None
        if mask & RATE_LIMIT and mask & NEW_BITS:
            return "NotifyRateLimit cannot be combined with NotifyPeerChanges, NotifyNoNetMap, " \
                   "NotifyInitialStatus or NotifyPeerPatches"
        if mask & IN_PROCESS_NO_DISCONNECT:
            return "NotifyInProcessNoDisconnect is not allowed over LocalAPI"
        return None

    def subscribe(self, mask):
        s = Subscriber(mask)
        with self.lock:
            self.subscribers.add(s)
        return s

    def unsubscribe(self, s):
        with self.lock:
            self.subscribers.discard(s)

    def count(self):
        with self.lock:
            return len(self.subscribers)

    def line(self, **members):
        n = {"Version": self.version_text, "ErrMessage": None, "LoginFinished": None, "State": None, "Prefs": None,
             "NetMap": None, "Engine": None, "BrowseToURL": None, "DriveShares": None}
        n.update(members)
        return json.dumps(n, separators=(",", ":")).encode() + b"\n"

    def initial(self, mask, doc):
        """The first message for a new subscriber, or None when its mask asks for none."""
        m = {}
        if mask & INITIAL_STATE:
            m["State"] = STATES.get(doc.get("BackendState"), 0)
        if mask & INITIAL_NETMAP:
            m["NetMap"] = netmap(doc)
        if mask & INITIAL_STATUS and self.version >= (1, 100):
            m["InitialStatus"] = doc
        return self.line(**m) if m else None

    def lines_for(self, mask, change, doc):
        out = []
        if change.state is not None:
            out.append(self.line(State=change.state))
        if not change.netmap_changed():
            return out
        if self.version < (1, 100):
            m = {"NetMap": netmap(doc)}
            if self.version >= (1, 98) and mask & PEER_CHANGES:
                m["PeerChanges"] = [{"NodeID": n["ID"], "Online": n["Online"]} for n in map(node, change.changed)]
            out.append(self.line(**m))
            return out
        if change.self_changed:
            out.append(self.line(SelfChange=node(doc["Self"])))
        if mask & PEER_CHANGES and (change.changed or change.removed):
            m = {}
            if change.changed:
                m["PeersChanged"] = [node(p) for p in change.changed]
            if change.removed:
                m["PeersRemoved"] = change.removed
            out.append(self.line(**m))
        return out

    def publish(self, change, doc):
        with self.lock:
            subs = list(self.subscribers)
        for s in subs:
            for line in self.lines_for(s.mask, change, doc):
                s.queue.put(line)

    def send_all(self, item):
        """Raw bytes (or CUT) to every subscriber, as they are."""
        with self.lock:
            subs = list(self.subscribers)
        for s in subs:
            s.queue.put(item)
        return len(subs)
