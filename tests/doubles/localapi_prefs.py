# SPDX-License-Identifier: BSD-3-Clause
"""localapi_prefs.py: the LocalAPI double's preferences, its write endpoints and who may call them.

Routes (added to localapi_double.ROUTES), as ts:ipn/localapi/localapi.go has them, byte-identical in 1.98.0,
1.100.0, 1.102.3 and HEAD (servePrefs, serveCheckPrefs, serveStart, serveLoginInteractive):
  GET|HEAD /localapi/v0/prefs     the prefs, tab-indented (ipn_prefs.to_json for the double's --version)
  PATCH    /localapi/v0/prefs     ipn.MaskedPrefs; 200 with the new prefs
  POST     /localapi/v0/check-prefs  ipn.Prefs; 200 {} ("invalid JSON body" 400)
  POST     /localapi/v0/start     ipn.Options {AuthKey, UpdatePrefs}; 204
  POST     /localapi/v0/login-interactive  204
Permission comes first, then the method; a denied request gets 403 and Go's http.Error text: "prefs write
access denied", "checkprefs access denied", "access denied", "login access denied". Who may write is
ts:ipn/ipnauth/ipnauth.go IsReadonlyConn on Linux (unchanged 1.98 to 1.103): the peer's uid from SO_PEERCRED
is 0, or the daemon's own uid when that is not 0, or the uid of the OperatorUser pref (looked up by name,
LocalBackend.OperatorUserID). Every unix-socket peer may read.

The prefs live in <state>.prefs (JSON as served), so a restarted daemon double keeps them, as tailscaled
keeps them in its state file; a missing file starts from the status: a node that needs a login gets
ipn.NewPrefs(), one that runs gets the prefs of a default `tailscale up`.

`start` does what LocalBackend.Start does with the prefs (ts:ipn/ipnlocal/local.go startLocked: UpdatePrefs
replaces them all, Persist - the "Config" - is kept) and then what control does with the auth key: a key the
Tailscale API double minted ($TSAPI_LOG), not yet used if it is single-use, whose tags are the ones the prefs
advertise, logs the node in (the status becomes the --login-template, Self named after Hostname or the OS
hostname, Running); any other key leaves it NeedsLogin with control's message as the backend error, which the
tailscale double reads from /double/backend-error (the real CLI gets it as ErrMessage on the IPN bus and
prints "backend error: ...").
"""
import json
import os
import pwd
import socket
import struct
import threading

import ipn_bus
import ipn_prefs

KEYS_PATH = "/api/v2/tailnet/-/keys"
LOCK = threading.Lock()


def peer_uid(handler):
    """SO_PEERCRED of the connection: struct ucred {pid, uid, gid}."""
    creds = handler.connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def operator_uid(prefs):
    name = prefs.get("OperatorUser") or ""
    try:
        return pwd.getpwnam(name).pw_uid if name else None
    except KeyError:
        return None  # "error looking up operator %q uid": no operator


def may_write(handler):
    uid, me = peer_uid(handler), os.getuid()
    return uid == 0 or (me != 0 and uid == me) or uid == operator_uid(store(handler.server).get())


class Store:
    def __init__(self, server):
        self.server = server
        self.path = server.status.path + ".prefs"

    def get(self):
        with LOCK:
            if not os.path.exists(self.path):
                self._write(self._initial())
            with open(self.path) as f:
                return ipn_prefs.from_json(json.load(f))

    def put(self, prefs):
        with LOCK:
            self._write(prefs)

    def _write(self, prefs):
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(ipn_prefs.to_json(prefs, self.server.version))
        os.rename(tmp, self.path)

    def _initial(self):
        doc = self.server.status.snapshot()
        prefs = ipn_prefs.new_prefs()
        if doc.get("BackendState") in ("NeedsLogin", "NoState"):
            return prefs
        self_ = doc.get("Self") or {}
        user = (doc.get("User") or {}).get(str(self_.get("UserID")), {})
        login = "tagged-devices" if self_.get("Tags") else user.get("LoginName", "")
        prefs.update(ControlURL=ipn_prefs.DEFAULT_CONTROL_URL, WantRunning=True, Config=ipn_prefs.persist(login))
        return prefs


def store(server):
    with LOCK:
        if not hasattr(server, "prefs_store"):
            server.prefs_store = Store(server)
    return server.prefs_store


def read_json(handler):
    length = int(handler.headers.get("Content-Length") or 0)
    return json.loads(handler.rfile.read(length) or b"null")


def read_object(handler, go_type):
    """The request body as encoding/json decodes it into a struct: a JSON object, else 400 with the error."""
    try:
        doc = read_json(handler)
        if isinstance(doc, dict):
            return doc
        raise ValueError("json: cannot unmarshal %s into Go value of type %s" % (type(doc).__name__, go_type))
    except ValueError as e:
        handler.http_error(400, str(e))
        return None


def send_prefs(handler, prefs):
    handler.send_body(200, ipn_prefs.to_json(prefs, handler.server.version))


def serve_prefs(handler, _query, _mode):
    if handler.command == "PATCH":
        if not may_write(handler):
            return handler.http_error(403, "prefs write access denied")
        masked = read_object(handler, "ipn.MaskedPrefs")
        if masked is None:
            return None
        prefs = ipn_prefs.apply_masked(store(handler.server).get(), masked)
        store(handler.server).put(prefs)
        return send_prefs(handler, prefs)
    if handler.command in ("GET", "HEAD"):
        return send_prefs(handler, store(handler.server).get())
    return handler.http_error(405, "unsupported method")


def serve_check_prefs(handler, _query, _mode):
    if not may_write(handler):
        return handler.http_error(403, "checkprefs access denied")
    if handler.command != "POST":
        return handler.http_error(405, "unsupported method")
    try:
        read_json(handler)
    except ValueError:
        return handler.http_error(400, "invalid JSON body")
    return handler.send_body(200, b"{}\n")  # resJSON{} through json.NewEncoder


def serve_login_interactive(handler, _query, _mode):
    if not may_write(handler):
        return handler.http_error(403, "login access denied")
    if handler.command != "POST":
        return handler.http_error(400, "want POST")
    handler.send_response(204)
    handler.end_headers()
    return None


def minted_keys():
    """key -> its create capabilities, for every key the Tailscale API double handed out."""
    keys, path = {}, os.environ.get("TSAPI_LOG", "")
    for line in open(path) if path and os.path.exists(path) else []:
        r = json.loads(line)
        if r.get("path") == KEYS_PATH and r.get("status") == 200:
            answer = json.loads(r["response"])
            keys[answer["key"]] = answer["capabilities"]["devices"]["create"]
    return keys


def control_login(server, key, prefs):
    """What control answers to a registration with this key: None, or the error the backend reports."""
    caps = minted_keys().get(key)
    if caps is None:
        return "invalid key: API key does not exist"
    used = server.__dict__.setdefault("used_keys", set())
    if key in used and not caps.get("reusable"):
        return "invalid key: unable to validate API key"
    want, have = sorted(caps.get("tags") or []), sorted(prefs.get("AdvertiseTags") or [])
    if want != have:
        return "requested tags [%s] are invalid or not permitted" % " ".join(have)
    used.add(key)
    return None


def log_in(server, prefs):
    """The node joins the tailnet: the --login-template status, named after the prefs' Hostname."""
    with open(server.login_template) as f:
        template = json.load(f)
    host = prefs.get("Hostname") or os.uname().nodename

    def fn(doc):
        tun = doc.get("TUN", True)
        doc.clear()
        doc.update(template)
        suffix = (doc.get("CurrentTailnet") or {}).get("MagicDNSSuffix", "example.ts.net")
        doc["Self"] = dict(doc["Self"], HostName=host, DNSName="%s.%s." % (host, suffix))
        doc["TUN"], doc["BackendState"] = tun, "Running"
    with server.status.lock:  # told under the lock that new watchers take (localapi_double.announce)
        _none, doc = server.status.change(fn)
        server.bus.full_netmap(doc)  # the first netmap: setControlClientStatusLocked
        server.bus.state(ipn_bus.STATES["Running"])


def serve_start(handler, _query, _mode):
    if not may_write(handler):
        return handler.http_error(403, "access denied")
    if handler.command != "POST":
        return handler.http_error(400, "want POST")
    opts = read_object(handler, "ipn.Options")
    if opts is None:
        return None
    server = handler.server
    prefs = store(server).get()
    if opts.get("UpdatePrefs") is not None:
        new = ipn_prefs.from_json(opts["UpdatePrefs"])
        new["Config"] = prefs.get("Config")  # "neither UpdatePrefs or reconciliation should change Persist"
        prefs = new
    key = opts.get("AuthKey") or ""
    server.backend_error = None
    if key:
        server.backend_error = control_login(server, key, prefs)
        if server.backend_error is None:
            login = "tagged-devices" if prefs.get("AdvertiseTags") else "double@example.com"
            prefs["Config"] = ipn_prefs.persist(login)
            if not prefs.get("ControlURL"):
                prefs["ControlURL"] = ipn_prefs.DEFAULT_CONTROL_URL
    store(server).put(prefs)
    if key and server.backend_error is None:
        log_in(server, prefs)
    handler.send_response(204)
    handler.end_headers()
    return None


def ctl_backend_error(server, _query, _body):
    return {"error": getattr(server, "backend_error", None)}


ROUTES = {
    "/localapi/v0/prefs": serve_prefs,
    "/localapi/v0/check-prefs": serve_check_prefs,
    "/localapi/v0/start": serve_start,
    "/localapi/v0/login-interactive": serve_login_interactive,
}
CONTROL = {"backend-error": ctl_backend_error}
