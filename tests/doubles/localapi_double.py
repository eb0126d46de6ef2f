#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""localapi_double.py: a stand-in for tailscaled's LocalAPI on a unix socket, for tests only.

    localapi_double.py --socket PATH --state FILE [--mode MODE] [--mode-file FILE] [--version V]
                       [--login-template FILE] [--nostate-ms N]

Speaks HTTP/1.1 the way tailscaled's Go server does (ts:ipn/localapi/localapi.go):
- the Host header must be "local-tailscaled.sock" or empty, and no Referer or Origin may be sent, else
  403 "invalid localapi request";
- GET /localapi/v0/status serves the status document from --state, re-read whenever the file changes (tests
  rewrite it atomically to change the tailnet), tab-indented plus "\\n", Content-Type application/json,
  chunked like Go's large bodies; ?peers=<anything strconv.ParseBool reads as false> gives "Peer": null,
  unparseable values are ignored;
- GET /localapi/v0/watch-ipn-bus?mask=N streams the IPN bus as the daemon version (--version: 1.98, 1.100,
  1.102 and 1.103 behave as tailscale's tags v1.98.0, v1.100.0, v1.102.3 and HEAD) would: see ipn_bus.py
  (per version: the first message per mask bit, full NetMap lines up to 1.99, SelfChange + PeersChanged /
  PeersRemoved / PeerChangedPatch from 1.100, the promotion of patches, all-null lines, the real 400 texts);
  chunked, one compact JSON line per Notify, no heartbeats;
- prefs (GET, PATCH), check-prefs, start, login-interactive, with tailscaled's rule of who may write (the
  peer's uid): see localapi_prefs.py;
- other paths: 404.

The tests drive the tailnet through control requests on the same socket (any method, never subject to MODE;
answers are JSON). Each change is applied to the in-memory document, rendered, written back to --state (so
a restarted double serves the same tailnet; online and last-seen news are not written back) and only then
announced on the bus, under one lock with new subscriptions, as tailscaled does under b.mu; "emitted_ns" in
the answer is CLOCK_MONOTONIC just before the announcement:
  /double/add-peer?name=N[&silent=1]       a new peer N.<suffix> (or the FQDN N. given) with fresh addresses
  /double/add-peers?count=N&prefix=P[&interval_ms=M]  N new peers P-1.. P-N, one announcement each
  /double/remove-peer?name=N[&silent=1]    the peer whose DNSName is N.<suffix>. or N.
  /double/rename-peer?name=N&to=M          the same node (same ID) under a new DNSName
  /double/online?count=N[&interval_ms=M]   N online/offline flips with last-seen times, round the peers (patches)
  /double/cap?name=N&on=1|0                the peer's dns-subdomain-resolve cap (a CapMap change: a full netmap)
  /double/dns?magicdns=1|0                 MagicDNS on or off (a DNS config change: a full netmap)
  /double/extra-records                    the request body (a JSON list) becomes ExtraRecords (full netmap)
  /double/state?to=Stopped|Running|...     BackendState, announced as the integer State
  /double/down, /double/up                 tailscale down (Stopped) and up (Starting, a full netmap, Running)
  /double/logout                           Stopped, NoState, NeedsLogin, and the netmap gone from the status
  /double/churn?count=N&interval_ms=M      N changes in a row (one peer added, removed, added, ...)
  /double/fell-behind                      every stream is closed as 1.102+ closes a lagging one (older: no-op)
  /double/cut                              every stream gets half a line, then its connection is dropped
  /double/emit                             the request body goes to every stream as it is
  /double/reject-bits?bits=B               answer 400 to watch masks with any of the bits B (0: none)
  /double/info                             {"watchers": open streams, "masks": every mask asked for,
                                           "status_reads": full status documents served, "bus": lines sent}
  /double/backend-error                    {"error": what control said to the last start's auth key, or null}
  /double/login?hostname=H                 a login as localapi_prefs.py's start does it, without the key
silent=1 changes the tailnet without telling the bus: a lost message (1.100 and older drop them silently
when a watcher's queue is full), for the periodic check to find.
--nostate-ms N: for N ms after start the daemon is still deciding: NoState and no peers, in the status and in
a new watcher's first message; then Starting, a full netmap and Running, as a restarted tailscaled.

MODE (from --mode-file when that file exists, re-read on every request; else --mode) makes it misbehave:
  ok         as above
  forbidden  403 "invalid localapi request", as for a wrong Host
  garbage    200 with a body that is not JSON
  truncated  200, the document cut in the middle (the chunked framing itself is complete)
  hang       accept and read the request, never answer
  error500   500 with a one-line body

Routes live in ROUTES (LocalAPI) and CONTROL (/double/), every status document is produced by StatusSource.
Requests are logged to stderr; each connection is served by its own thread.
"""
import argparse
import gc
import json
import os
import select
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

import ipn_bus
import localapi_prefs

LOCALAPI_HOST = "local-tailscaled.sock"
PARSEBOOL_FALSE = {"0", "f", "F", "false", "FALSE", "False"}
PARSEBOOL_TRUE = {"1", "t", "T", "true", "TRUE", "True"}
CHUNK = 64 * 1024
GO_CHUNKING_THRESHOLD = 2048  # Go sets Content-Length only for bodies written in one go below this size


def parse_bool(value, default):
    """strconv.ParseBool with a default for values it cannot parse (ts:util/def)."""
    if value in PARSEBOOL_FALSE:
        return False
    if value in PARSEBOOL_TRUE:
        return True
    return default


class StatusSource:
    """The tailnet: the status document from the state file, kept in memory, changed by control requests,
    rendered like tailscaled. Re-read when someone else replaces the file. A peer's rendering is cached until
    the peer changes, so a change costs a join of cached pieces, not a fresh encoding of 10,000 peers."""

    PLACEHOLDER = "\u0000peers\u0000"

    def __init__(self, path):
        self.path = path
        self.lock = threading.RLock()
        self.key = None
        self.doc = None
        self.rendered = {}
        self.pieces = {}  # Peer key -> (the peer dict it was rendered from, its text)
        self.serial = 0   # fresh addresses for added peers

    def _current(self):
        st = os.stat(self.path)
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if key != self.key:
            with open(self.path, "rb") as f:
                self.doc = json.load(f)
            gc.freeze()  # a 100,000-peer document is millions of objects: no cyclic-GC pass should walk them
            self.key, self.rendered, self.pieces = key, {}, {}
        return self.doc

    def _piece(self, key, peer):
        cached = self.pieces.get(key)
        if cached is None or cached[0] is not peer:
            cached = (peer, json.dumps(peer, indent="\t").replace("\n", "\n\t\t"))
            self.pieces[key] = cached
        return cached[1]

    def _render(self, peers):
        doc = dict(self.doc)
        if not peers or not doc.get("Peer"):
            if not peers:
                doc["Peer"] = None
            return (json.dumps(doc, indent="\t") + "\n").encode()
        doc["Peer"] = self.PLACEHOLDER
        parts = ["\t\t%s: %s" % (json.dumps(k), self._piece(k, p)) for k, p in self.doc["Peer"].items()]
        text = json.dumps(doc, indent="\t").replace(json.dumps(self.PLACEHOLDER), "{\n" + ",\n".join(parts) + "\n\t}", 1)
        return (text + "\n").encode()

    def body(self, peers=True):
        with self.lock:
            self._current()
            if peers not in self.rendered:
                self.rendered[peers] = self._render(peers)
            return self.rendered[peers]

    def snapshot(self):
        with self.lock:
            return self._current()

    def change(self, fn, persist=True):
        """Applies fn(doc) -> result in memory; with persist, renders and writes the state file back (online
        and last-seen news skip that: a restarted daemon learns them afresh). The caller holds self.lock when
        it must announce the change before anyone else sees the document."""
        with self.lock:
            doc = self._current()
            result = fn(doc)
            self.rendered = {}
            if persist:
                self.rendered[True] = self._render(True)
                tmp = self.path + ".double"
                with open(tmp, "wb") as f:
                    f.write(self.rendered[True])
                os.rename(tmp, self.path)
                st = os.stat(self.path)
                self.key = (st.st_ino, st.st_size, st.st_mtime_ns)
            return result, doc

    def new_peer(self, doc, name):
        self.serial += 1
        n = self.serial
        v4, v6 = "100.127.%d.%d" % (n // 250, 1 + n % 250), "fd7a:115c:a1e0::7f:%x" % n
        return {
            "ID": "nDouble%dCNTRL" % n, "NodeID": 7000000000000000 + n, "PublicKey": "nodekey:%064x" % (0xd0b1e000 + n),
            "HostName": name.split(".")[0], "DNSName": fqdn(doc, name),
            "OS": "linux", "UserID": (doc.get("Self") or {}).get("UserID", 0), "TailscaleIPs": [v4, v6],
            "AllowedIPs": [v4 + "/32", v6 + "/128"], "Addrs": None, "CurAddr": "", "Relay": "fra", "PeerRelay": "",
            "RxBytes": 0, "TxBytes": 0, "Online": True, "ExitNode": False, "ExitNodeOption": False, "Active": False,
            "InNetworkMap": True, "InMagicSock": True, "InEngine": True,
        }


def fqdn(doc, name):
    """A DNSName: `name` with a trailing dot is one already, else it is a host under the tailnet's suffix."""
    if name.endswith("."):
        return name
    return "%s.%s." % (name, (doc.get("CurrentTailnet") or {}).get("MagicDNSSuffix", "example.ts.net"))


def peer_key(doc, name):
    """The Peer key of the node named `name` (bare, or an FQDN with or without the dot)."""
    want = {fqdn(doc, name), name + "."}
    for k, p in (doc.get("Peer") or {}).items():
        if p.get("DNSName") in want:
            return k
    raise KeyError(name)


def put_peer(doc, p):
    if doc.get("Peer") is None:
        doc["Peer"] = {}
    doc["Peer"][p["PublicKey"]] = p


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tailscaled-double"

    def address_string(self):
        return "unix"

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        sys.stderr.write("localapi-double: %s\n" % (fmt % args))

    # --- responses -------------------------------------------------------------------------------------

    def start(self, code, content_type, length=None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        # ts:ipn/localapi/localapi.go ServeHTTP (v1.98.0 L251-253; the same at later tags)
        self.send_header("Tailscale-Version", self.server.version)
        self.send_header("Tailscale-Cap", str(self.server.bus.version.cap))
        self.send_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; script-src 'none'; "
                         "script-src-elem 'none'; script-src-attr 'none'")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("X-Content-Type-Options", "nosniff")
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def send_body(self, code, body, content_type="application/json"):
        """A whole body, framed as Go frames it: Content-Length when small, chunked otherwise."""
        if len(body) < GO_CHUNKING_THRESHOLD:
            self.start(code, content_type, len(body))
            self.wfile.write(body)
            return
        self.start(code, content_type)
        for i in range(0, len(body), CHUNK):
            self.write_chunk(body[i:i + CHUNK])
        self.wfile.write(b"0\r\n\r\n")

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def http_error(self, code, text):
        """Like Go's http.Error: plain text plus a newline."""
        self.send_body(code, (text + "\n").encode(), "text/plain; charset=utf-8")

    # --- dispatch --------------------------------------------------------------------------------------

    def do_POST(self):
        self.do_GET()

    def do_PATCH(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/double/"):
            return self.control(url)
        mode = self.server.mode()
        if mode not in MODES:
            return self.http_error(500, "double: unknown mode %r" % mode)
        host = self.headers.get("Host", "")
        if host not in ("", LOCALAPI_HOST) or "Referer" in self.headers or "Origin" in self.headers:
            return self.http_error(403, "invalid localapi request")
        if mode == "hang":
            self.close_connection = True
            while not self.server.stopping.wait(3600):
                pass
            return None
        if mode == "forbidden":
            return self.http_error(403, "invalid localapi request")
        if mode == "error500":
            return self.http_error(500, "internal error: status unavailable")
        route = ROUTES.get(url.path)
        if route is None:
            return self.http_error(404, "404 page not found")
        return route(self, urllib.parse.parse_qs(url.query, keep_blank_values=True), mode)

    def serve_status(self, query, mode):
        peers = parse_bool(query.get("peers", [""])[0], True)
        try:
            body = self.server.status.body(peers)
            if self.server.deciding():  # a daemon whose backend is still deciding
                body = (json.dumps(self.server.nostate_doc(), indent="\t") + "\n").encode()
        except (OSError, ValueError) as e:
            return self.http_error(500, "double: cannot read state: %s" % e)
        if peers:
            self.server.status_reads += 1
        if mode == "garbage":
            body = b"<html><body>this is not JSON</body></html>\n" * 64
        elif mode == "truncated":
            body = body[:len(body) // 2]
        return self.send_body(200, body)

    def serve_watch(self, query, mode):
        """serveWatchIPNBus (ts:ipn/localapi/localapi.go v1.102.3 L887): the mask's 400s, then 200 and the
        headers at once (f.Flush is onWatchAdded), then one line per Notify until someone goes away."""
        bus = self.server.bus
        raw = query.get("mask", [""])[0]
        refused = bus.refuse(raw)
        if refused:
            return self.http_error(400, refused)
        with self.server.status.lock:  # the first message and the subscription at once, as under b.mu
            sub = bus.subscribe(raw, self.server.status.snapshot() if not self.server.deciding()
                                else self.server.nostate_doc())
        self.close_connection = True
        try:
            self.start(200, "application/json")
            self.wfile.flush()
            while not self.server.stopping.is_set():
                item = sub.get(0.2)
                if item is None:
                    if self.client_gone():
                        return None
                    continue
                if item is ipn_bus.CUT:
                    self.wfile.write(b"40\r\n{\"Version\":\"cut mid-line\",\"State\":")
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return None
                if item is ipn_bus.END:
                    self.wfile.write(b"0\r\n\r\n")
                    return None
                if item:  # an empty chunk would end the stream
                    self.write_chunk(item)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            bus.unsubscribe(sub)
        return None

    def client_gone(self):
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    # --- control (tests only) --------------------------------------------------------------------------

    def control(self, url):
        handler = CONTROL.get(url.path[len("/double/"):])
        if handler is None:
            return self.http_error(404, "double: no control " + url.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            answer = handler(self.server, query, body)
        except (KeyError, ValueError) as e:
            return self.http_error(400, "double: %s: %r" % (url.path, e))
        return self.send_body(200, (json.dumps(answer) + "\n").encode())


def announce(server, query, fn, persist=True):
    """Applies fn(doc) -> (publish(doc), answer), then (unless silent=1) publish(doc) tells the bus, still
    under the status lock: a watcher subscribing meanwhile sees the change in its first message or in a line
    after it, never both, never neither."""
    with server.status.lock:
        (publish, answer), doc = server.status.change(fn, persist)
        answer["emitted_ns"] = time.monotonic_ns()
        if query.get("silent") != "1":
            publish(doc)
    return answer


def ctl_add_peer(server, query, _body):
    def fn(doc):
        p = server.status.new_peer(doc, query["name"])
        put_peer(doc, p)
        return (lambda d: server.bus.delta(d, upserts=[p])), {"name": p["DNSName"].rstrip("."), "ips": p["TailscaleIPs"]}
    return announce(server, query, fn)


def ctl_add_peers(server, query, _body):
    """count new peers PREFIX-1.., one delta each, within interval_ms of each other; the state file is written
    once, after the last (a burst of joins, as a big CI fleet starting)."""
    count, interval = int(query["count"]), float(query.get("interval_ms", "0")) / 1000
    first = last = None
    for i in range(count):
        def fn(doc, name="%s-%d" % (query["prefix"], i + 1)):
            p = server.status.new_peer(doc, name)
            put_peer(doc, p)
            return (lambda d: server.bus.delta(d, upserts=[p])), {}
        last = announce(server, query, fn, persist=False)["emitted_ns"]
        first = first or last
        if interval:
            time.sleep(interval)
    server.status.change(lambda doc: None)
    return {"events": count, "emitted_ns": first, "last_ns": last}


def ctl_remove_peer(server, query, _body):
    def fn(doc):
        p = doc["Peer"].pop(peer_key(doc, query["name"]))
        return (lambda d: server.bus.delta(d, removes=[p["NodeID"]])), {"name": p["DNSName"].rstrip(".")}
    return announce(server, query, fn)


def ctl_rename_peer(server, query, _body):
    def fn(doc):
        key = peer_key(doc, query["name"])
        p = dict(doc["Peer"][key], DNSName=fqdn(doc, query["to"]))
        doc["Peer"][key] = p
        return (lambda d: server.bus.delta(d, upserts=[p])), {"name": p["DNSName"].rstrip(".")}
    return announce(server, query, fn)


def go_time(ns):
    t = time.gmtime(ns // 10 ** 9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + ".%09dZ" % (ns % 10 ** 9)


def ctl_online(server, query, _body):
    """Online/offline flips with last-seen times: OnlineChange + PeerSeenChange in the map response, patches
    on the bus (NodeMutationOnline / NodeMutationLastSeen merged per node, ipnBusPeerChangedPatchFromNode-
    Mutations, v1.102.3 local.go L2737)."""
    count, interval = int(query.get("count", "1")), float(query.get("interval_ms", "0")) / 1000
    keys = [k for k, p in sorted((server.status.snapshot().get("Peer") or {}).items()) if p.get("InNetworkMap")]
    if not keys:
        raise ValueError("no peers")
    first = None
    for i in range(count):
        def fn(doc, key=keys[i % len(keys)]):
            p = dict(doc["Peer"][key], Online=not doc["Peer"][key].get("Online"), LastSeen=go_time(time.time_ns()))
            doc["Peer"][key] = p
            patch = {"NodeID": p["NodeID"], "Online": p["Online"], "LastSeen": p["LastSeen"]}
            return (lambda d: server.bus.delta(d, patches=[patch])), {}
        answer = announce(server, query, fn, persist=False)
        first = first or answer["emitted_ns"]
        if interval:
            time.sleep(interval)
    return {"events": count, "emitted_ns": first, "last_ns": answer["emitted_ns"]}


def full_netmap_change(server, query, change):
    def fn(doc):
        answer = change(doc)
        return (lambda d: server.bus.full_netmap(d)), answer
    return announce(server, query, fn)


def ctl_cap(server, query, _body):
    """A peer's CapMap changed: patchifyPeer cannot patch it (v1.102.3 control/controlclient/map.go L973),
    so tailscaled applies a full netmap."""
    def change(doc):
        key = peer_key(doc, query["name"])
        caps = dict(doc["Peer"][key].get("CapMap") or {})
        if query.get("on", "1") == "1":
            caps["dns-subdomain-resolve"] = None
        else:
            caps.pop("dns-subdomain-resolve", None)
        doc["Peer"][key] = dict(doc["Peer"][key], CapMap=caps or None)
        return {"name": doc["Peer"][key]["DNSName"].rstrip(".")}
    return full_netmap_change(server, query, change)


def ctl_dns(server, query, _body):
    """MagicDNS on or off: a DNSConfig change, never a delta (nodemut.go mapResponseContainsNonPatchFields)."""
    def change(doc):
        doc["CurrentTailnet"] = dict(doc.get("CurrentTailnet") or {}, MagicDNSEnabled=query["magicdns"] == "1")
        return {"magicdns": doc["CurrentTailnet"]["MagicDNSEnabled"]}
    return full_netmap_change(server, query, change)


def ctl_extra_records(server, query, body):
    records = json.loads(body or b"null")

    def change(doc):
        doc["ExtraRecords"] = records
        return {"extra_records": len(records or [])}
    return full_netmap_change(server, query, change)


def set_state(server, query, name):
    def fn(doc):
        doc["BackendState"] = name
        return (lambda d: server.bus.state(ipn_bus.STATES[name])), {"state": name}
    return announce(server, query, fn)


def ctl_state(server, query, _body):
    if query["to"] not in ipn_bus.STATES:
        raise ValueError(query["to"])
    return set_state(server, query, query["to"])


def ctl_down(server, query, _body):
    """tailscale down: WantRunning false, Stopped; the netmap is kept (state_test.go at HEAD, "nn[0] is state
    notification (Stopped)")."""
    return set_state(server, query, "Stopped")


def ctl_up(server, query, _body):
    """tailscale up after down: Starting, the map poll resumes with a full netmap, Running. emitted_ns is the
    first of them."""
    answer = set_state(server, query, "Starting")
    full_netmap_change(server, query, lambda doc: {})
    return dict(set_state(server, query, "Running"), emitted_ns=answer["emitted_ns"])


def ctl_logout(server, query, _body):
    """Logout (local.go Logout, resetForProfileChangeLocked): Stopped, then NoState with the netmap gone, then
    NeedsLogin (state_test.go at HEAD L716-742); the status has no peers and no tailnet any more. emitted_ns is
    the first of them."""
    first = set_state(server, query, "Stopped")

    def fn(doc):
        doc.update(BackendState="NoState", Peer=None, CurrentTailnet=None, MagicDNSSuffix="", TailscaleIPs=None)
        doc["Self"] = dict(doc["Self"], DNSName="", TailscaleIPs=None)
        return (lambda d: server.bus.state(ipn_bus.STATES["NoState"])), {}
    announce(server, query, fn)
    return dict(set_state(server, query, "NeedsLogin"), emitted_ns=first["emitted_ns"])


def ctl_login(server, query, _body):
    """What a successful login does to the tailnet and the bus (localapi_prefs.log_in), for tests that need one
    without an auth key."""
    if not server.login_template:
        raise ValueError("no --login-template")
    localapi_prefs.log_in(server, {"Hostname": query["hostname"]})
    return {"name": "%s." % query["hostname"]}


def ctl_churn(server, query, _body):
    count, interval = int(query.get("count", "1")), float(query.get("interval_ms", "0")) / 1000
    peer = None
    for i in range(count):
        def fn(doc):
            nonlocal peer
            if peer is None:
                peer = server.status.new_peer(doc, "churn")
            if i % 2 == 0:
                put_peer(doc, peer)
                return (lambda d: server.bus.delta(d, upserts=[peer])), {}
            doc["Peer"].pop(peer["PublicKey"], None)
            return (lambda d: server.bus.delta(d, removes=[peer["NodeID"]])), {}
        announce(server, query, fn)
        if interval:
            time.sleep(interval)
    return {"events": count}


def ctl_fell_behind(server, _query, _body):
    return {"streams": server.bus.fell_behind()}


def ctl_cut(server, _query, _body):
    return {"streams": server.bus.send_all(ipn_bus.CUT)}


def ctl_emit(server, _query, body):
    return {"streams": server.bus.send_all(body)}


def ctl_reject_bits(server, query, _body):
    server.bus.reject_bits = int(query["bits"])
    return {"reject_bits": server.bus.reject_bits}


def ctl_info(server, _query, _body):
    return {"watchers": server.bus.count(), "masks": list(server.bus.masks_seen), "version": server.version,
            "status_reads": server.status_reads, "bus": dict(server.bus.counts)}


ROUTES = {
    "/localapi/v0/status": Handler.serve_status,
    "/localapi/v0/watch-ipn-bus": Handler.serve_watch,
}

CONTROL = {
    "add-peer": ctl_add_peer,
    "add-peers": ctl_add_peers,
    "remove-peer": ctl_remove_peer,
    "rename-peer": ctl_rename_peer,
    "online": ctl_online,
    "cap": ctl_cap,
    "dns": ctl_dns,
    "extra-records": ctl_extra_records,
    "state": ctl_state,
    "down": ctl_down,
    "up": ctl_up,
    "logout": ctl_logout,
    "churn": ctl_churn,
    "login": ctl_login,
    "fell-behind": ctl_fell_behind,
    "cut": ctl_cut,
    "emit": ctl_emit,
    "reject-bits": ctl_reject_bits,
    "info": ctl_info,
}


ROUTES.update(localapi_prefs.ROUTES)
CONTROL.update(localapi_prefs.CONTROL)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, args):
        self.status = StatusSource(args.state)
        self.default_mode = args.mode
        self.mode_file = args.mode_file
        self.version = args.version
        self.bus = ipn_bus.Bus(args.version)
        self.login_template = args.login_template
        self.nostate_until = time.monotonic() + args.nostate_ms / 1000
        self.status_reads = 0
        self.stopping = threading.Event()
        if args.nostate_ms:
            threading.Thread(target=self.come_up, daemon=True).start()
        if os.path.exists(args.socket):
            os.unlink(args.socket)
        os.makedirs(os.path.dirname(os.path.abspath(args.socket)), mode=0o755, exist_ok=True)  # as tailscaled
        super().__init__(args.socket, Handler)
        os.chmod(args.socket, 0o666)

    def deciding(self):
        return time.monotonic() < self.nostate_until

    def nostate_doc(self):
        """The status while the backend is still deciding: NoState, no netmap."""
        return dict(self.status.snapshot(), BackendState="NoState", Peer=None)

    def come_up(self):
        """After --nostate-ms: Starting, the first full netmap (maybe from the disk cache), Running (local.go
        enterStateLocked / setControlClientStatusLocked)."""
        time.sleep(max(0.0, self.nostate_until - time.monotonic()))
        with self.status.lock:
            self.bus.state(ipn_bus.STATES["Starting"])
            self.bus.full_netmap(self.status.snapshot())
            self.bus.state(ipn_bus.STATES["Running"])

    def mode(self):
        if self.mode_file:
            try:
                with open(self.mode_file) as f:
                    return f.read().strip() or self.default_mode
            except FileNotFoundError:
                pass
        return self.default_mode


MODES = ("ok", "forbidden", "garbage", "truncated", "hang", "error500")


def add_daemon_arguments(ap):
    """What the tailscaled double (bin/tailscaled) sets too."""
    ap.add_argument("--login-template", help="the status a successful login switches to (localapi_prefs.py)",
                    default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "status-examples",
                                         "running.json"))
    ap.add_argument("--nostate-ms", type=int, default=0, help="answer BackendState NoState for this long")


def serve(args):
    server = Server(args)
    sys.stderr.write("localapi-double: listening on %s\n" % args.socket)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.server_close()
    return 0


def main():
    ap = argparse.ArgumentParser(description="tailscaled LocalAPI test double")
    ap.add_argument("--socket", required=True)
    ap.add_argument("--state", required=True, help="status JSON to serve")
    ap.add_argument("--mode", default="ok", choices=MODES)
    ap.add_argument("--mode-file", help="file holding a MODE, re-read on every request")
    ap.add_argument("--version", default="1.102.3-t7dc695f92-g1a2b3c4d5", help="Tailscale-Version header")
    add_daemon_arguments(ap)
    return serve(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
