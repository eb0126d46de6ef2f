# SPDX-License-Identifier: BSD-3-Clause
"""ipn_bus.py: the IPN bus (GET /localapi/v0/watch-ipn-bus) of localapi_double.py, per tailscaled version, as
tailscale/tailscale says at v1.98.0, v1.100.0, v1.102.3 and HEAD (1.103.0). Test code only. Each behaviour
cites the real file; "ts:" paths are in that repository, line numbers are those of the tag named.

What a change to the double's tailnet is, in the daemon's terms (ts:ipn/ipnlocal/local.go):
- a full netmap (setControlClientStatusLocked: a self, DNS, tailnet-name, key or CapMap change, a new map
  session, the expiry timer): 1.98 sends NetMap + SelfChange to everyone (v1.98.0 L1918); 1.100+ sends one
  line with SelfChange and, when any watcher asked for peer changes, every current peer in PeersChanged plus
  UserProfiles (v1.100.0 L2073-2083, v1.102.3 L2079-2089), never NetMap on Linux (ts:ipn/ipnlocal/bus.go
  goosGetsLegacyNetmapNotify);
- a delta (UpdateNetmapDelta): peers upserted or removed, and patches (Online, LastSeen, DERPRegion,
  Endpoints). On 1.98 upserts and removals are not deltas at all (ts:types/netmap/nodemut.go v1.98.0
  mapResponseContainsNonPatchFields) and become full netmaps; only Online/LastSeen patches are told to the
  bus, as NetMap + PeerChanges (v1.98.0 L2258-2268). On 1.100+ one line carries PeersChanged, PeersRemoved
  and PeerChangedPatch (v1.100.0 L2460, v1.102.3 L2573);
- a State change (enterStateLocked), sent to everyone.
Then each watcher gets its own shape (sendToLocked v1.98.0 L3577; notifyForSessionLocked v1.100.0 L3937,
v1.102.3 L4126): on 1.98 a 4096 watcher gets PeerChanges instead of NetMap, others NetMap; on 1.100+ a watcher
without 4096/32768 loses PeersChanged, PeersRemoved, patches and UserProfiles (so it gets all-null lines), one
with 4096 but not 32768 gets each patched peer's whole Node in PeersChanged (the promotion), UserProfiles
are sent once per session. Lines are json.Encoder's: compact, Go's key order and escapes, one per line;
always-present members as null, omitzero ones absent. The queue is 128 deep (WatchNotificationsAs): a full
one drops silently up to 1.100 and closes the watch with an ErrMessage from 1.102.
Not modelled: the rate-limit bit 256's merging (its 400 next to the new bits is), Engine/Health lines,
Prefs lines (tests send raw lines with /double/emit when they need one).
"""
import collections
import json
import random
import re
import threading

# ts:ipn/backend.go NotifyWatchOpt (v1.98.0 L71-94, v1.100.0 L84-158, v1.102.3 L86-194)
MASK_BITS = [
    (1 << 0, "NotifyWatchEngineUpdates"), (1 << 1, "NotifyInitialState"), (1 << 2, "NotifyInitialPrefs"),
    (1 << 3, "NotifyInitialNetMap"), (1 << 4, "NotifyNoPrivateKeys"), (1 << 5, "NotifyInitialDriveShares"),
    (1 << 6, "NotifyInitialOutgoingFiles"), (1 << 7, "NotifyInitialHealthState"), (1 << 8, "NotifyRateLimit"),
    (1 << 9, "NotifyHealthActions"), (1 << 10, "NotifyInitialSuggestedExitNode"),
    (1 << 11, "NotifyInitialClientVersion"), (1 << 12, "NotifyPeerChanges"), (1 << 13, "NotifyNoNetMap"),
    (1 << 14, "NotifyInitialStatus"), (1 << 15, "NotifyPeerPatches"), (1 << 16, "NotifyInProcessNoDisconnect"),
    (1 << 17, "NotifySysPolicyChanges"), (1 << 18, "NotifyPeerWireGuardState"),
]
INITIAL_STATE = 1 << 1
INITIAL_NETMAP = 1 << 3
RATE_LIMIT = 1 << 8
PEER_CHANGES = 1 << 12
NO_NETMAP = 1 << 13
INITIAL_STATUS = 1 << 14
PEER_PATCHES = 1 << 15
IN_PROCESS_NO_DISCONNECT = 1 << 16
RATE_LIMIT_INCOMPATIBLE = PEER_CHANGES | NO_NETMAP | INITIAL_STATUS | PEER_PATCHES  # v1.102.3 backend.go L279
# InitialState | InitialPrefs | InitialNetMap | InitialDriveShares | InitialSuggestedExitNode | InitialClientVersion;
# 1.102+ adds SysPolicyChanges and PeerWireGuardState (local.go v1.98.0 L3309, v1.102.3 L3753)
INITIAL_BITS_98 = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 10) | (1 << 11)
INITIAL_BITS_102 = (1 << 17) | (1 << 18)

# ts:ipn/backend.go State (the same at all four tags)
STATES = {"NoState": 0, "InUseOtherUser": 1, "NeedsLogin": 2, "NeedsMachineAuth": 3, "Stopped": 4, "Starting": 5,
          "Running": 6}

QUEUE_DEPTH = 128  # ts:ipn/ipnlocal/local.go WatchNotificationsAs: make(chan *ipn.Notify, 128)
FELL_BEHIND = "IPN bus consumer fell behind; closing watch"  # v1.102.3 local.go L3710

# Notify's JSON members in struct order (ts:ipn/backend.go type Notify: v1.98.0 L102, v1.100.0 L166,
# v1.102.3 L300); ALWAYS are the untagged pointer members Go writes as null.
ORDER_98 = ["Version", "SessionID", "ErrMessage", "LoginFinished", "State", "Prefs", "NetMap", "SelfChange",
            "PeerChanges", "Engine", "BrowseToURL", "FilesWaiting", "IncomingFiles", "OutgoingFiles", "LocalTCPPort",
            "ClientVersion", "DriveShares", "Health", "SuggestedExitNode"]
ORDER_100 = ["Version", "SessionID", "ErrMessage", "LoginFinished", "State", "Prefs", "SelfChange", "InitialStatus",
             "NetMap", "PeerChangedPatch", "PeersChanged", "PeersRemoved", "UserProfiles", "Engine", "BrowseToURL",
             "FilesWaiting", "IncomingFiles", "OutgoingFiles", "LocalTCPPort", "ClientVersion", "DriveShares", "Health",
             "SuggestedExitNode"]
ORDER_102 = ORDER_100[:13] + ["PeerState"] + ORDER_100[13:] + ["Policy"]
ALWAYS = {"Version", "ErrMessage", "LoginFinished", "State", "Prefs", "NetMap", "Engine", "BrowseToURL", "DriveShares"}

CUT = object()  # a queue item: write half a line, then drop the connection
END = object()  # a queue item: end the response (the daemon closed the watch)


def version_tuple(version):
    m = re.match(r"(\d+)\.(\d+)", version)
    return (int(m.group(1)), int(m.group(2))) if m else (1, 102)


class Version:
    """What a daemon version does on the bus."""

    def __init__(self, text):
        self.text = text
        self.v = version_tuple(text)
        self.knows_peer_changes = self.v >= (1, 98)  # bit 4096 is new in 1.98 (v1.98.0 backend.go L91)
        self.new_bus = self.v >= (1, 100)  # InitialStatus, PeersChanged/Removed, PeerChangedPatch
        self.strict = self.v >= (1, 102)  # mask 400s (commit edcc2c94d) and closing a lagging watch
        # tailcfg.CurrentCapabilityVersion: v1.98.0 138, v1.100.0 141, v1.102.3 142, HEAD 145
        self.cap = 145 if self.v >= (1, 103) else 142 if self.strict else 141 if self.new_bus else 138
        self.order = ORDER_102 if self.strict else ORDER_100 if self.new_bus else ORDER_98


def mask_string(mask):
    """ipn.NotifyWatchOpt.String() (v1.102.3 backend.go L199-250): used by the 400 text."""
    if mask == 0:
        return "ipn.NotifyWatchOpt(0x0)"
    bits, known = [], 0
    for bit, name in MASK_BITS:
        if mask & bit:
            bits.append("ipn." + name)
            known |= bit
    if known != mask:
        bits.append("ipn.NotifyWatchOpt(%#x)" % (mask ^ known))
    return bits[0] if len(bits) == 1 else "(" + " | ".join(bits) + ")"


def parse_mask(raw):
    """r.FormValue("mask") through strconv.ParseUint(s, 10, 64); "" is 0. None when Go would refuse it."""
    if raw == "":
        return 0
    if not re.fullmatch(r"[0-9]+", raw) or int(raw) >= 1 << 64:
        return None
    return int(raw)


def refuse(version, mask):
    """The 400 text serveWatchIPNBus answers for this mask, or None (ts:ipn/localapi/localapi.go v1.98.0
    L863-898, v1.100.0 L885-926, v1.102.3 L887-934). Unknown bits are never refused."""
    if mask is None:
        return "bad mask"
    if not version.strict:
        return None
    if mask & IN_PROCESS_NO_DISCONNECT:
        return "NotifyInProcessNoDisconnect is only valid for in-process IPN bus subscribers"
    if mask & RATE_LIMIT and mask & RATE_LIMIT_INCOMPATIBLE:  # ipn.ValidateNotifyWatchOpt, backend.go L283
        return "NotifyRateLimit is incompatible with new-style IPN bus subscription bits %s" % \
            mask_string(mask & RATE_LIMIT_INCOMPATIBLE)
    return None


def go_json(value):
    """encoding/json's compact output: HTML-safe escapes, UTF-8 as it is, U+2028/2029 escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


ZERO_TIME = "0001-01-01T00:00:00Z"


def prefix(ip):
    return ip + ("/128" if ":" in ip else "/32")


def node(p, is_self=False):
    """The tailcfg.Node behind a status PeerStatus: the inverse of populatePeerStatusLocked /
    peerStatusFromNode (v1.102.3 local.go L1568-1660), in tailcfg.Node's member order and tags
    (ts:tailcfg/tailcfg.go type Node, the same JSON at all four tags)."""
    n = {"ID": p.get("NodeID", 0), "StableID": p.get("ID", ""), "Name": p.get("DNSName", ""),
         "User": p.get("UserID", 0)}
    if p.get("AltSharerUserID"):
        n["Sharer"] = p["AltSharerUserID"]
    n["Key"] = p.get("PublicKey", "")
    if p.get("KeyExpiry"):
        n["KeyExpiry"] = p["KeyExpiry"]
    ips = p.get("TailscaleIPs") or []
    n["Addresses"] = [prefix(a) for a in ips] or None  # no omitempty: null when there are none
    if p.get("AllowedIPs"):
        n["AllowedIPs"] = p["AllowedIPs"]
    hostinfo = {k: v for k, v in (("OS", p.get("OS")), ("Hostname", p.get("HostName"))) if v}
    if hostinfo:
        n["Hostinfo"] = hostinfo
    if p.get("Created") and p["Created"] != ZERO_TIME:
        n["Created"] = p["Created"]
    for k in ("Tags", "PrimaryRoutes"):
        if p.get(k):
            n[k] = p[k]
    if not is_self:
        if p.get("LastSeen") and p["LastSeen"] != ZERO_TIME:
            n["LastSeen"] = p["LastSeen"]
        n["Online"] = bool(p.get("Online"))
    n["MachineAuthorized"] = True
    if p.get("Capabilities") and not is_self:
        n["Capabilities"] = p["Capabilities"]
    if p.get("CapMap"):
        n["CapMap"] = p["CapMap"]
    label = (p.get("DNSName") or "").split(".")[0]
    if label:
        n["ComputedName"] = n["ComputedNameWithHost"] = label
    if p.get("Expired"):
        n["Expired"] = True
    return n


def netmap_peers(doc):
    """The netmap's peers: status entries that are in it (InNetworkMap), as Nodes sorted by ID."""
    peers = [p for p in (doc.get("Peer") or {}).values() if p.get("InNetworkMap")]
    return sorted((node(p) for p in peers), key=lambda n: n["ID"])


def netmap(doc):
    """netmap.NetworkMap (ts:types/netmap/netmap.go L30-81, no JSON tags). Domain is the tailnet's name
    (status CurrentTailnet.Name, set from nm.Domain in updateStatusLocked), not the MagicDNS suffix."""
    tailnet = doc.get("CurrentTailnet") or {}
    dns = {}
    if tailnet.get("MagicDNSSuffix"):
        dns["Domains"] = [tailnet["MagicDNSSuffix"]]
    if tailnet.get("MagicDNSEnabled"):
        dns["Proxied"] = True
    if doc.get("CertDomains"):
        dns["CertDomains"] = doc["CertDomains"]
    if doc.get("ExtraRecords"):
        dns["ExtraRecords"] = doc["ExtraRecords"]
    self_node = node(doc["Self"], True)
    return {"Cached": False, "SelfNode": self_node, "AllCaps": sorted((doc["Self"].get("CapMap") or {}).keys()),
            "NodeKey": self_node["Key"], "MachineKey": "mkey:" + "0" * 64, "Peers": netmap_peers(doc), "DNS": dns,
            "PacketFilter": [], "PacketFilterRules": [], "SSHPolicy": None, "CollectServices": False,
            "DERPMap": {"Regions": {}}, "DisplayMessages": None, "TKAEnabled": False, "TKAHead": "",
            "Domain": tailnet.get("Name", ""), "DomainAuditLogID": "",
            "UserProfiles": {str(k): v for k, v in (doc.get("User") or {}).items()}}


def profiles(doc):
    return {str(k): v for k, v in (doc.get("User") or {}).items()}


class Session:
    """One watcher: its mask, its queue, what it was sent (UserProfiles are sent once per session)."""

    def __init__(self, mask, session_id):
        self.mask = mask
        self.session_id = session_id
        self.queue = collections.deque()
        self.ready = threading.Condition()
        self.closed = False
        self.sent_profiles = {}

    def wants_peer_changes(self):
        return bool(self.mask & (PEER_CHANGES | PEER_PATCHES))

    def put(self, item, version):
        """sendToLocked: a full queue drops (v1.98.0 L3606-3610, v1.100.0 likewise) or, from 1.102, closes the
        watch with one last ErrMessage (closeLaggingWatchSessionLocked, v1.102.3 L4092). False when closed."""
        with self.ready:
            if self.closed:
                return False
            if len(self.queue) >= QUEUE_DEPTH and item not in (CUT, END):
                if not version.strict:
                    return True
                self.queue.clear()
                self.queue.append(Bus.render(version, {"ErrMessage": FELL_BEHIND}))
                self.queue.append(END)
                self.closed = True
                self.ready.notify()
                return False
            self.queue.append(item)
            self.ready.notify()
            return True

    def get(self, timeout):
        with self.ready:
            if not self.queue:
                self.ready.wait(timeout)
            return self.queue.popleft() if self.queue else None


class Bus:
    def __init__(self, version):
        self.version = Version(version)
        self.lock = threading.Lock()
        self.sessions = set()
        self.masks_seen = []
        self.reject_bits = 0  # tests: answer 400 to any mask with one of these bits
        self.counts = collections.Counter()  # lines sent, by kind

    @staticmethod
    def render(version, members):
        n = {"Version": version.text}
        for k in version.order[1:]:
            if k in ALWAYS:
                n[k] = members.get(k)
            elif members.get(k) is not None:
                n[k] = members[k]
        return (go_json(n) + "\n").encode()

    def line(self, **members):
        return self.render(self.version, members)

    def refuse(self, raw):
        """The 400 text for the raw mask value, or None. Every mask asked for is recorded."""
        mask = parse_mask(raw)
        with self.lock:
            self.masks_seen.append(mask if mask is not None else raw)
        if mask is not None and mask & self.reject_bits:
            return "watch-ipn-bus: mask %d refused (double: reject-bits %d)" % (mask, self.reject_bits)
        return refuse(self.version, mask)

    def subscribe(self, raw, doc):
        """A new session and its first message, taken together as under b.mu (WatchNotificationsAs v1.98.0
        L3296, v1.100.0 L3600, v1.102.3 L3715): nothing published meanwhile is lost or duplicated."""
        mask = parse_mask(raw)
        s = Session(mask, "%016x" % random.getrandbits(64))
        with self.lock:
            first = self.initial(s, doc)
            if first:
                s.queue.append(first)
            self.sessions.add(s)
        return s

    def initial(self, s, doc):
        """The first message: only when the mask has an initial bit (initialBits, v1.98.0 L3309, v1.100.0
        L3629, v1.102.3 L3753); bit 128 alone is not one."""
        v, mask, m = self.version, s.mask, {}
        initial_bits = INITIAL_BITS_98 | (INITIAL_STATUS if v.new_bus else 0) | (INITIAL_BITS_102 if v.strict else 0)
        if not mask & initial_bits:
            return None
        if mask & INITIAL_STATE:
            m["SessionID"] = s.session_id
            m["State"] = STATES.get(doc.get("BackendState"), 0)
            if doc.get("BackendState") == "NeedsLogin" and doc.get("AuthURL"):
                m["BrowseToURL"] = doc["AuthURL"]
        if mask & INITIAL_NETMAP and doc.get("Self", {}).get("DNSName"):
            m["NetMap"] = netmap(doc)
            if v.new_bus:  # >= 1.100 adds SelfChange (v1.100.0 L3645-3652)
                m["SelfChange"] = node(doc["Self"], True)
        if mask & INITIAL_STATUS and v.new_bus:
            m["InitialStatus"] = doc
            self.counts["initial_status"] += 1  # as costly as a status read
        return self.render(v, m)

    def unsubscribe(self, s):
        with self.lock:
            self.sessions.discard(s)

    def count(self):
        with self.lock:
            return len(self.sessions)

    def _send(self, lines_for):
        """Queues lines_for(session) to every session (a list of lines, maybe empty)."""
        with self.lock:
            for s in list(self.sessions):
                for item in lines_for(s):
                    self.counts["lines"] += 1
                    if not s.put(item, self.version):
                        self.sessions.discard(s)
                        break

    # --- what happened -----------------------------------------------------------------------------------

    def state(self, state):
        """enterStateLocked sends the new State to everyone."""
        line = self.line(State=state)
        self._send(lambda s: [line])

    def full_netmap(self, doc):
        """setControlClientStatusLocked's Notify (v1.98.0 L1918; v1.100.0 L2073; v1.102.3 L2079)."""
        v = self.version
        self.counts["full_netmaps"] += 1
        self_node = node(doc["Self"], True)
        if not v.new_bus:
            line = self.line(NetMap=netmap(doc), SelfChange=self_node)
            self._send(lambda s: [line])
            return
        with self.lock:
            any_peer_watcher = any(s.wants_peer_changes() for s in self.sessions)
        peers = netmap_peers(doc) if any_peer_watcher else None
        users = profiles(doc) if any_peer_watcher else None

        def lines(s):
            m = {"SelfChange": self_node}
            if s.wants_peer_changes():
                m["PeersChanged"] = peers
                m["UserProfiles"] = self.session_profiles(s, users)
            elif peers == []:
                m["PeersChanged"] = []  # stripped only when non-empty (stripPeersChanged: len > 0)
            return [self.line(**m)]
        self._send(lines)

    @staticmethod
    def session_profiles(s, users):
        """Only profiles this session has not been sent (notifyForSessionLocked's lastSentUserProfile)."""
        fresh = {k: u for k, u in (users or {}).items() if s.sent_profiles.get(k) != u}
        s.sent_profiles.update(fresh)
        return fresh or None

    def delta(self, doc, upserts=(), removes=(), patches=()):
        """UpdateNetmapDelta: upserted peers (status PeerStatus dicts), removed NodeIDs, and patches
        ({"NodeID": n, "Online": bool} / "LastSeen" / "DERPRegion" / "Endpoints", in PeerChange order)."""
        v = self.version
        if not v.new_bus:
            if upserts or removes:  # not a delta before 1.100: a full netmap
                return self.full_netmap(doc)
            if not any("Online" in p or "LastSeen" in p for p in patches):
                return None  # mutationsAreWorthyOfTellingIPNBus: DERP/endpoint news are not told
            full = netmap(doc)

            def old_lines(s):
                if s.mask & PEER_CHANGES and v.knows_peer_changes:
                    return [self.line(PeerChanges=list(patches))]  # "Skip the full Netmap"
                return [self.line(NetMap=full)]
            return self._send(old_lines)
        worthy = upserts or removes or any("Online" in p or "LastSeen" in p for p in patches)
        if not worthy:
            return None
        changed = [node(p) for p in upserts]
        by_id = {}
        with self.lock:
            promoting = patches and any(s.wants_peer_changes() and not s.mask & PEER_PATCHES for s in self.sessions)
        if promoting:
            by_id = {p["NodeID"]: p for p in (doc.get("Peer") or {}).values() if p.get("InNetworkMap")}

        def lines(s):
            m = {}
            if s.wants_peer_changes():
                m["PeersChanged"] = list(changed) or None
                m["PeersRemoved"] = list(removes) or None
                if s.mask & PEER_PATCHES:
                    m["PeerChangedPatch"] = list(patches) or None
                elif patches:  # the promotion (v1.100.0 L3996, v1.102.3 L4186)
                    promoted = [node(by_id[p["NodeID"]]) for p in patches if p["NodeID"] in by_id]
                    m["PeersChanged"] = (m["PeersChanged"] or []) + promoted or None
            return [self.line(**m)]  # stripped to nothing: an all-null line all the same
        self.counts["deltas"] += 1
        return self._send(lines)

    def send_all(self, item):
        """Raw bytes (or CUT) to every session, as they are."""
        with self.lock:
            subs = list(self.sessions)
        for s in subs:
            s.put(item, self.version)
        return len(subs)

    def fell_behind(self):
        """What every session sees when its queue overflows on 1.102+ (closeLaggingWatchSessionLocked); on
        older daemons a full queue only loses lines, so nothing is said."""
        with self.lock:
            subs = list(self.sessions)
            if self.version.strict:
                self.sessions.clear()
        for s in subs:
            if self.version.strict:
                with s.ready:
                    s.queue.clear()
                    s.queue.append(self.line(ErrMessage=FELL_BEHIND))
                    s.queue.append(END)
                    s.closed = True
                    s.ready.notify()
        return len(subs)
