#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""notify_listen.py - a test tool: the receiving end of systemd's sd_notify protocol, as systemd's own
$NOTIFY_SOCKET is (an AF_UNIX datagram socket). Prints each datagram on one line, its newlines shown as '|',
with the sender's pid (SO_PASSCRED, as systemd checks NotifyAccess=main), until SECONDS pass.

  notify_listen.py PATH SECONDS"""
import socket
import struct
import sys
import time

path, seconds = sys.argv[1], float(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
deadline = time.monotonic() + seconds
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    except socket.timeout:
        break
    pid = next((struct.unpack("iII", d)[0] for lvl, typ, d in anc if typ == socket.SCM_CREDENTIALS), -1)
    print("pid=%d %s" % (pid, msg.decode().replace("\n", "|")), flush=True)
