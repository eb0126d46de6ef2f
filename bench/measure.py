#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""measure.py LABEL CMD...: runs CMD once, prints "LABEL wall_seconds peak_rss_kb exit_status"."""
import resource
import subprocess
import sys
import time

t0 = time.monotonic()
rc = subprocess.call(sys.argv[2:])
wall = time.monotonic() - t0
print("%s %.3f %d %d" % (sys.argv[1], wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc))
sys.exit(rc)
