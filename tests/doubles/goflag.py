# SPDX-License-Identifier: BSD-3-Clause
"""goflag.py: command lines parsed the way Go's flag package parses them, for the tailscale and tailscaled
doubles (both are Go programs using package flag / ffcli).

Go accepts -name and --name alike, a value as -name=value or -name value (bool flags only -name or
-name=true|false), stops at the first non-flag argument or at "--", and answers an unknown flag with
"flag provided but not defined: -name" on stderr and exit status 2. So a caller that passes a flag the real
program does not have fails here as it would there.
"""
import re
import sys

GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


def parse(argv, flags, prog, once=False):
    """flags: {name: "string" | "bool" | "duration" | "int"}. Returns (values, remaining arguments). once: a
    flag given twice is an error, as the tailscale CLI's onceFlagValue makes it (ts:cmd/tailscale/cli/cli.go:
    "flag provided multiple times")."""
    values, i = {}, 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return values, argv[i + 1:]
        if not arg.startswith("-") or arg == "-":
            return values, argv[i:]
        name, eq, value = arg.lstrip("-").partition("=")
        kind = flags.get(name)
        if kind is None:
            fail(prog, "flag provided but not defined: -%s" % name)
        if once and name in values:
            fail(prog, 'invalid value "%s" for flag -%s: flag provided multiple times' % (value, name))
        if kind == "bool":
            if eq and value not in ("true", "false", "1", "0", "t", "f", "TRUE", "FALSE", "True", "False"):
                fail(prog, 'invalid boolean value "%s" for -%s: parse error' % (value, name))
            values[name] = (value.lower() in ("true", "1", "t")) if eq else True
        else:
            if not eq:
                i += 1
                if i == len(argv):
                    fail(prog, "flag needs an argument: -%s" % name)
                value = argv[i]
            if kind == "duration" and not (value == "0" or GO_DURATION.match(value)):
                fail(prog, 'invalid value "%s" for flag -%s: parse error' % (value, name))
            if kind == "int" and not re.match(r"^-?\d+$", value):
                fail(prog, 'invalid value "%s" for flag -%s: parse error' % (value, name))
            values[name] = value
        i += 1
    return values, []


def fail(prog, message):
    sys.stderr.write("%s\nUsage of %s:\n" % (message, prog))
    sys.exit(2)
