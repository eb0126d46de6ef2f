#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bus_shapes.py SOCKET VERSION: checks that the LocalAPI double's IPN bus says what tailscaled VERSION says,
per mask, as read from tailscale's source (file and tag beside each check). A test tool; exit 1 on the first
difference. The double must serve tests/data/status-examples/running.json."""
import json
import re
import socket
import sys
import time

SOCK, VERSION = sys.argv[1], sys.argv[2]
V = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", VERSION).groups())
NEW, STRICT = V >= (1, 100), V >= (1, 102)
NULLS = ["ErrMessage", "LoginFinished", "State", "Prefs", "NetMap", "Engine", "BrowseToURL", "DriveShares"]
checks = 0


def fail(msg):
    sys.exit("bus_shapes %s: %s" % (VERSION, msg))


def check(cond, msg):
    global checks
    if not cond:
        fail(msg)
    checks += 1


class Stream:
    """One GET on the double's socket: status, headers, and then a chunked body read line by line."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(SOCK)
        self.s.sendall(("GET /localapi/v0/%s HTTP/1.1\r\nHost: local-tailscaled.sock\r\n\r\n" % path).encode())
        self.buf = b""
        head = self._until(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:] if line)}
        self.body = b""
        self.ended = False

    def _until(self, sep, timeout=5):
        deadline = time.monotonic() + timeout
        while sep not in self.buf:
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.s.recv(65536)
            except socket.timeout:
                return None
            if not data:
                self.ended = True
                return None
            self.buf += data
        out, self.buf = self.buf.split(sep, 1)
        return out

    def text(self):
        """A non-streaming answer's body."""
        if "content-length" in self.headers:
            n = int(self.headers["content-length"])
            while len(self.buf) < n:
                self.buf += self.s.recv(65536)
            return self.buf[:n].decode()
        return b"".join(iter(lambda: self.chunk(), None)).decode()

    def chunk(self, timeout=5):
        size = self._until(b"\r\n", timeout)
        if size is None or int(size, 16) == 0:
            self.ended = size is not None
            return None
        n = int(size, 16)
        while len(self.buf) < n + 2:
            self.buf += self.s.recv(65536)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def line(self, timeout=3):
        """The next Notify line as (raw text, parsed), or None when none comes in time."""
        while b"\n" not in self.body:
            data = self.chunk(timeout)
            if data is None:
                return None
            self.body += data
        raw, self.body = self.body.split(b"\n", 1)
        return raw.decode(), json.loads(raw)

    def close(self):
        self.s.close()


def ctl(cmd, body=b""):
    s = socket.socket(socket.AF_UNIX)
    s.connect(SOCK)
    s.sendall(("POST /double/%s HTTP/1.1\r\nHost: local-tailscaled.sock\r\nContent-Length: %d\r\n\r\n" %
               (cmd, len(body))).encode() + body)
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, rest = data.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    while len(rest) < length:
        rest += s.recv(65536)
    s.close()
    return json.loads(rest)


def keys(raw):
    return re.findall(r'"([A-Za-z]+)":', raw[:4000])


def expect_400(mask, text):
    st = Stream("watch-ipn-bus?mask=%s" % mask)
    check(st.status == 400, "mask %s: status %d, want 400" % (mask, st.status))
    check(st.headers.get("content-type") == "text/plain; charset=utf-8", "mask %s: content type" % mask)
    body = st.text()
    check(body == text + "\n", "mask %s: 400 body %r, want %r" % (mask, body, text + "\n"))
    st.close()


def expect_200(mask):
    st = Stream("watch-ipn-bus?mask=%s" % mask)
    check(st.status == 200, "mask %s: status %d, want 200" % (mask, st.status))
    return st


# --- headers (localapi.go ServeHTTP: Tailscale-Version, Tailscale-Cap = tailcfg.CurrentCapabilityVersion) ------
cap = {(1, 98): "138", (1, 100): "141", (1, 102): "142", (1, 103): "145"}[V]
st = expect_200(2)
check(st.headers.get("tailscale-cap") == cap, "Tailscale-Cap %s, want %s" % (st.headers.get("tailscale-cap"), cap))
check(st.headers.get("tailscale-version") == VERSION, "Tailscale-Version")
check(st.headers.get("content-type") == "application/json", "watch Content-Type")
check("script-src-attr 'none'" in st.headers.get("content-security-policy", ""), "the whole CSP")
check(st.headers.get("transfer-encoding") == "chunked", "chunked")

# --- the first line for mask 2 (WatchNotificationsAs: SessionID, State) ---------------------------------------------
raw, n = st.line()
check(n["Version"] == VERSION and n["State"] == 6, "mask 2: State 6")
check(re.fullmatch(r"[0-9a-f]{16}", n.get("SessionID", "")), "mask 2: SessionID is 16 hex digits (rands.HexString(16))")
order = ["Version", "SessionID"] + NULLS
check(keys(raw) == order[:len(keys(raw))] and all(k in n for k in NULLS), "mask 2 key order %s" % keys(raw))
check("InitialStatus" not in n and n["NetMap"] is None, "mask 2: nothing else")
st.close()

# --- masks Go refuses or accepts (serveWatchIPNBus; ValidateNotifyWatchOpt from v1.102.0) -------------------------
for bad in ("0x10", "-1", "%2B2", "%202", "+2", "18446744073709551616", "2_0"):  # URL-encoded: "+2", " 2"
    expect_400(bad, "bad mask")
if STRICT:
    expect_400(65536, "NotifyInProcessNoDisconnect is only valid for in-process IPN bus subscribers")
    expect_400(256 | 4096, "NotifyRateLimit is incompatible with new-style IPN bus subscription bits ipn.NotifyPeerChanges")
    expect_400(256 | 4096 | 16384, "NotifyRateLimit is incompatible with new-style IPN bus subscription bits "
               "(ipn.NotifyPeerChanges | ipn.NotifyInitialStatus)")
else:
    for ok in (65536, 256 | 4096, 256 | 4096 | 16384):
        expect_200(ok).close()
expect_200("00002").close()  # leading zeros are fine for ParseUint

# mask 128 alone and mask 0: no first message (128 is not in initialBits); the first line is the next event
for silent in (128, 0, ""):
    st = expect_200(silent)
    time.sleep(0.2)
    ctl("state?to=Running")
    raw, n = st.line()
    check("SessionID" not in n and n["State"] == 6, "mask %r: no first message, then the State line" % silent)
    st.close()

# --- InitialNetMap (bit 8): v1.98 NetMap; 1.100+ SelfChange too; Domain is the tailnet name ------------------------
st = expect_200(8)
raw, n = st.line()
check(n["NetMap"] and n["NetMap"]["Domain"] == "example.com", "mask 8: NetMap.Domain is CurrentTailnet.Name")
check(len(n["NetMap"]["Peers"]) == 7, "mask 8: the netmap's peers (InNetworkMap ones)")
check(("SelfChange" in n) == NEW, "mask 8: SelfChange from 1.100 only")
check("SessionID" not in n and n["State"] is None, "mask 8 without 2: no State")
st.close()

# --- InitialStatus (bit 16384, 1.100+): the status document ------------------------------------------------------
st = expect_200(16384 | 2)
raw, n = st.line()
if NEW:
    check(n["InitialStatus"]["Self"]["DNSName"] == "ci-runner-7.magellanic-gondola.ts.net.", "InitialStatus is the status")
    check(keys(raw)[:8] == ["Version", "SessionID", "ErrMessage", "LoginFinished", "State", "Prefs", "InitialStatus",
                            "Version"], "InitialStatus sits after Prefs, before NetMap: %s" % keys(raw)[:8])
else:
    check("InitialStatus" not in n, "1.98 does not know bit 16384")
st.close()

# --- events, to a plain watcher (2), a peer-change watcher (4098) and a patch watcher (2|32768) --------------------
plain, changes, patches = expect_200(2), expect_200(4098), expect_200(2 | 32768)
for s in (plain, changes, patches):
    s.line()

ctl("online?count=1")
_, p = plain.line()
_, c = changes.line()
_, q = patches.line()
if NEW:  # notifyForSessionLocked: strip, promote, or keep the patch
    check(all(p[k] is None for k in NULLS) and set(p) == {"Version"} | set(NULLS), "online, plain: an all-null line %s" % p)
    check(len(c.get("PeersChanged", [])) == 1 and "Key" in c["PeersChanged"][0] and "PeerChangedPatch" not in c,
          "online, 4096: the patch promoted to the whole node")
    check(set(q["PeerChangedPatch"][0]) == {"NodeID", "Online", "LastSeen"} and "PeersChanged" not in q,
          "online, 32768: a narrow PeerChangedPatch %s" % q)
else:  # v1.98 sendToLocked: PeerChanges instead of NetMap for 4096 watchers only
    check(p["NetMap"] and "PeerChanges" not in p, "online, plain: the whole NetMap")
    check(c["NetMap"] is None and c["PeerChanges"][0].get("Online") is not None, "online, 4096: PeerChanges, NetMap null")
    check(q["NetMap"] and "PeerChanges" not in q, "online, 32768 unknown to 1.98: the whole NetMap")

ctl("add-peer?name=shapes")
_, p = plain.line()
_, c = changes.line()
_, q = patches.line()
if NEW:
    check(set(p) == {"Version"} | set(NULLS), "add, plain: an all-null line")
    check([x["Name"] for x in c["PeersChanged"]] == ["shapes.magellanic-gondola.ts.net."], "add, 4096: PeersChanged")
    check(c["PeersChanged"][0]["Addresses"][0].endswith("/32"), "nodes carry Addresses as prefixes")
    check(q["PeersChanged"] == c["PeersChanged"], "add, 32768: the same PeersChanged")
else:  # upserts are not deltas before 1.100: a full netmap for everyone (v1.98.0 L1918)
    for x in (p, c, q):
        check(x["NetMap"] and x["SelfChange"] and "PeerChanges" not in x, "add: NetMap + SelfChange for everyone")

ctl("dns?magicdns=0")
_, p = plain.line()
_, c = changes.line()
if NEW:  # setControlClientStatusLocked v1.100.0 L2073: one line, SelfChange + every peer for peer watchers
    check(p["SelfChange"] and "PeersChanged" not in p and p["NetMap"] is None, "full netmap, plain: SelfChange only")
    check(len(c["PeersChanged"]) == 8 and c["SelfChange"] and "UserProfiles" in c, "full netmap, 4096: every peer")
    ctl("dns?magicdns=1")
    _, c = changes.line()
    check("UserProfiles" not in c, "UserProfiles go once per session")
else:
    check(p["NetMap"]["DNS"].get("Proxied") is None and p["SelfChange"], "full netmap: NetMap + SelfChange")

ctl("remove-peer?name=shapes")
_, c = changes.line()
check(c.get("PeersRemoved") == [7000000000000001] if NEW else c["NetMap"] is not None,
      "remove: PeersRemoved by NodeID (a number)" if NEW else "remove: a full NetMap")

# --- a lagging watch: 1.102+ closes it with ErrMessage, older daemons drop lines silently ----------------------
for s in (plain, changes, patches):
    while s.line(0.3):
        pass
ctl("fell-behind")
if STRICT:
    for s in (plain, changes, patches):
        _, x = s.line()
        check(x["ErrMessage"] == "IPN bus consumer fell behind; closing watch", "lagging: the ErrMessage line")
        check(s.line(1) is None and s.ended, "lagging: then the body ends")
else:
    check(plain.line(0.5) is None and not plain.ended, "lagging before 1.102: nothing is said")
for s in (plain, changes, patches):
    s.close()
print("bus_shapes %s: %d checks passed" % (VERSION, checks))
