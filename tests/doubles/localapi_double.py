#!/usr/bin/env python3
"""localapi_double.py: a stand-in for tailscaled's LocalAPI on a unix socket, for tests only.

    localapi_double.py --socket PATH --state FILE [--mode MODE] [--mode-file FILE] [--version V]

Speaks HTTP/1.1 the way tailscaled's Go server does (ts:ipn/localapi/localapi.go):
- the Host header must be "local-tailscaled.sock" or empty, and no Referer or Origin may be sent, else
  403 "invalid localapi request";
- GET /localapi/v0/status serves the status document from --state, re-read whenever the file changes (tests
  rewrite it atomically to change the tailnet), tab-indented plus "\\n", Content-Type application/json,
  chunked like Go's large bodies; ?peers=<anything strconv.ParseBool reads as false> gives "Peer": null,
  unparseable values are ignored;
- other paths: 404.

MODE (from --mode-file when that file exists, re-read on every request; else --mode) makes it misbehave:
  ok         as above
  forbidden  403 "invalid localapi request", as for a wrong Host
  garbage    200 with a body that is not JSON
  truncated  200, the document cut in the middle (the chunked framing itself is complete)
  hang       accept and read the request, never answer
  error500   500 with a one-line body

Routes live in ROUTES and every status document is produced by StatusSource, so a streaming endpoint such as
watch-ipn-bus can be added beside /status reusing both. Requests are logged to stderr; each connection is
served by its own thread.
"""
import argparse
import json
import os
import socketserver
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

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
    """The status document from the state file, rendered like tailscaled and cached until the file changes."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.key = None
        self.rendered = {}

    def body(self, peers=True):
        st = os.stat(self.path)
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        with self.lock:
            if key != self.key:
                self.key, self.rendered = key, {}
            if peers not in self.rendered:
                with open(self.path, "rb") as f:
                    doc = json.load(f)
                if not peers:
                    doc["Peer"] = None
                self.rendered[peers] = (json.dumps(doc, indent="\t") + "\n").encode()
            return self.rendered[peers]


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
        self.send_header("Tailscale-Version", self.server.version)
        self.send_header("Tailscale-Cap", "130")
        self.send_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
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

    def do_GET(self):
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
        url = urllib.parse.urlsplit(self.path)
        route = ROUTES.get(url.path)
        if route is None:
            return self.http_error(404, "404 page not found")
        return route(self, urllib.parse.parse_qs(url.query, keep_blank_values=True), mode)

    def serve_status(self, query, mode):
        peers = parse_bool(query.get("peers", [""])[0], True)
        try:
            body = self.server.status.body(peers)
        except (OSError, ValueError) as e:
            return self.http_error(500, "double: cannot read state: %s" % e)
        if mode == "garbage":
            body = b"<html><body>this is not JSON</body></html>\n" * 64
        elif mode == "truncated":
            body = body[:len(body) // 2]
        return self.send_body(200, body)


ROUTES = {
    "/localapi/v0/status": Handler.serve_status,
}


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, args):
        self.status = StatusSource(args.state)
        self.default_mode = args.mode
        self.mode_file = args.mode_file
        self.version = args.version
        self.stopping = threading.Event()
        if os.path.exists(args.socket):
            os.unlink(args.socket)
        super().__init__(args.socket, Handler)
        os.chmod(args.socket, 0o666)

    def mode(self):
        if self.mode_file:
            try:
                with open(self.mode_file) as f:
                    return f.read().strip() or self.default_mode
            except FileNotFoundError:
                pass
        return self.default_mode


MODES = ("ok", "forbidden", "garbage", "truncated", "hang", "error500")


def main():
    ap = argparse.ArgumentParser(description="tailscaled LocalAPI test double")
    ap.add_argument("--socket", required=True)
    ap.add_argument("--state", required=True, help="status JSON to serve")
    ap.add_argument("--mode", default="ok", choices=MODES)
    ap.add_argument("--mode-file", help="file holding a MODE, re-read on every request")
    ap.add_argument("--version", default="1.102.3-t7dc695f92-g1a2b3c4d5", help="Tailscale-Version header")
    args = ap.parse_args()
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


if __name__ == "__main__":
    sys.exit(main())
