# SPDX-License-Identifier: BSD-3-Clause
"""ipn_prefs.py: tailscaled's preferences (ipn.Prefs) and what `tailscale up` makes of them, for the doubles.

The LocalAPI double keeps a node's prefs and serves them (GET/PATCH /localapi/v0/prefs, start); the tailscale
double builds new prefs from its flags and runs the "up checker" against the current ones. Both use this
module, which copies tailscale v1.98.0 to 1.103 (the tags v1.98.0, v1.100.0, v1.102.3 and HEAD de9ec7ee2):

- the JSON of ipn.Prefs, field by field in declaration order (ts:ipn/prefs.go type Prefs): AllowSingleHosts
  (always true) only up to 1.100, RemoteConfig only from 1.102; NoStatefulFiltering and Sync are opt.Bool
  (ts:types/opt/bool.go: "" and "unset" both marshal as null, "" is omitted where the tag says omitempty);
- ipn.NewPrefs() (ts:ipn/prefs.go NewPrefs) and MaskedPrefs (the <Field>Set booleans, AutoUpdateSet a
  struct of CheckSet/ApplySet);
- prefsToFlags and checkForAccidentalSettingReverts (ts:cmd/tailscale/cli/up.go, v1.102.3 L1010-1200, the same
  code at v1.98.0 L1000 and HEAD), with the flag defaults of newUpFlagSet on Linux, and the exact error text.
"""
import copy
import json
import re
import shlex

DEFAULT_CONTROL_URL = "https://controlplane.tailscale.com"  # ipn.DefaultControlURL
LOGIN_SERVER_SYNONYMS = ("https://login.tailscale.com", "https://controlplane.tailscale.com")  # IsLoginServerSynonym
ZERO_KEY = "privkey:" + "0" * 64
ZERO_NL_KEY = "nlpriv:" + "0" * 128

# ts:ipn/prefs.go type Prefs, in declaration (= JSON) order; None marks the version-dependent ones.
FIELDS = ["ControlURL", "RouteAll", "ExitNodeID", "ExitNodeIP", "AutoExitNode", "InternalExitNodePrior",
          "ExitNodeAllowLANAccess", "CorpDNS", "RunSSH", "RunWebClient", "WantRunning", "LoggedOut", "ShieldsUp",
          "AdvertiseTags", "Hostname", "NotepadURLs", "ForceDaemon", "Egg", "AdvertiseRoutes", "AdvertiseServices",
          "Sync", "NoSNAT", "NoStatefulFiltering", "NetfilterMode", "OperatorUser", "ProfileName", "AutoUpdate",
          "AppConnector", "PostureChecking", "NetfilterKind", "RemoteConfig", "DriveShares", "RelayServerPort",
          "RelayServerStaticEndpoints", "AllowSingleHosts", "Config"]
OMITEMPTY = {"AutoExitNode", "ForceDaemon", "Egg", "NoStatefulFiltering", "OperatorUser", "ProfileName",
             "RelayServerPort", "RelayServerStaticEndpoints"}
OPT_BOOLS = {"Sync", "NoStatefulFiltering"}


def version_tuple(version):
    m = re.match(r"(\d+)\.(\d+)", version or "")
    return (int(m.group(1)), int(m.group(2))) if m else (1, 102)


def new_prefs():
    """ipn.NewPrefs() on Linux: never logged in (ControlURL "" relaxes the up checker), Config (Persist) nil."""
    return {"ControlURL": "", "RouteAll": False, "ExitNodeID": "", "ExitNodeIP": "", "AutoExitNode": "",
            "InternalExitNodePrior": "", "ExitNodeAllowLANAccess": False, "CorpDNS": True, "RunSSH": False,
            "RunWebClient": False, "WantRunning": False, "LoggedOut": False, "ShieldsUp": False,
            "AdvertiseTags": None, "Hostname": "", "NotepadURLs": False, "ForceDaemon": False, "Egg": False,
            "AdvertiseRoutes": None, "AdvertiseServices": None, "Sync": "", "NoSNAT": False,
            "NoStatefulFiltering": "true", "NetfilterMode": 2, "OperatorUser": "", "ProfileName": "",
            "AutoUpdate": {"Check": True, "Apply": "unset"}, "AppConnector": {"Advertise": False},
            "PostureChecking": False, "NetfilterKind": "", "RemoteConfig": False, "DriveShares": None,
            "RelayServerPort": None, "RelayServerStaticEndpoints": None, "Config": None}


def persist(login_name, node_id="nDouble1CNTRL", user_id=123456789):
    """persist.Persist as the LocalAPI shows it: private keys zeroed (LocalBackend.Prefs, stripKeysFromPrefs)."""
    return {"PrivateNodeKey": ZERO_KEY, "OldPrivateNodeKey": ZERO_KEY,
            "UserProfile": {"ID": user_id, "LoginName": login_name, "DisplayName": login_name},
            "NetworkLockKey": ZERO_NL_KEY, "NodeID": node_id}


def _opt_bool_json(v):
    return True if v == "true" else False if v == "false" else None


def _opt_bool_value(j):
    return "true" if j is True else "false" if j is False else "unset"


def to_json(prefs, version):
    """The document servePrefs writes: tab-indented, a newline after it (json.Encoder.SetIndent("", "\\t"))."""
    v = version_tuple(version)
    out = {}
    for f in FIELDS:
        if f == "RemoteConfig" and v < (1, 102):
            continue
        if f == "AllowSingleHosts":
            if v < (1, 102):
                out[f] = True
            continue
        val = prefs.get(f)
        if f in OMITEMPTY and val in ("", False, None, [], 0):
            continue
        if f in OPT_BOOLS:
            val = _opt_bool_json(val)
        elif f == "AutoUpdate":
            val = {"Check": val["Check"], "Apply": _opt_bool_json(val["Apply"])}
        out[f] = val
    return (json.dumps(out, indent="\t") + "\n").encode()


def from_json(doc):
    """ipn.Prefs from JSON the way encoding/json fills it: unknown fields ignored, absent ones left at Go's
    zero value (a decoder starts from a zero Prefs, not from NewPrefs)."""
    prefs = {f: v for f, v in new_prefs().items()}
    zero = {"ControlURL": "", "CorpDNS": False, "NoStatefulFiltering": "", "NetfilterMode": 0,
            "AutoUpdate": {"Check": False, "Apply": ""}}
    prefs.update(zero)
    for f in FIELDS:
        if f not in doc:
            continue
        val = doc[f]
        if f in OPT_BOOLS:
            val = _opt_bool_value(val)
        elif f == "AutoUpdate":
            val = {"Check": bool((val or {}).get("Check")), "Apply": _opt_bool_value((val or {}).get("Apply"))}
        elif f == "AppConnector":
            val = {"Advertise": bool((val or {}).get("Advertise"))}
        prefs[f] = val
    return prefs


def apply_masked(prefs, masked):
    """LocalBackend.EditPrefs: the fields whose <Field>Set is true take the masked value."""
    out = copy.deepcopy(prefs)
    new = from_json(masked)
    for f in FIELDS:
        if f == "AutoUpdate":
            mask = masked.get("AutoUpdateSet") or {}
            if mask.get("CheckSet"):
                out[f]["Check"] = new[f]["Check"]
            if mask.get("ApplySet"):
                out[f]["Apply"] = new[f]["Apply"]
        elif masked.get(f + "Set"):
            out[f] = new[f]
    return out


# --- tailscale up: flags, prefsToFlags, the up checker ------------------------------------------------------

# newUpFlagSet(goos="linux", cmd="up") (v1.102.3 L90-152): name -> (kind, default). "host-routes" is a
# notFalseVar (a bool flag that only accepts true).
UP_FLAGS = {
    "qr": ("bool", False), "qr-format": ("string", "auto"), "auth-key": ("string", ""),
    "audience": ("string", ""), "client-id": ("string", ""), "client-secret": ("string", ""),
    "id-token": ("string", ""), "login-server": ("string", DEFAULT_CONTROL_URL), "accept-routes": ("bool", False),
    "accept-dns": ("bool", True), "host-routes": ("bool", True), "exit-node": ("string", ""),
    "exit-node-allow-lan-access": ("bool", False), "shields-up": ("bool", False), "ssh": ("bool", False),
    "advertise-tags": ("string", ""), "hostname": ("string", ""), "advertise-routes": ("string", ""),
    "advertise-connector": ("bool", False), "advertise-exit-node": ("bool", False),
    "report-posture": ("bool", False), "operator": ("string", ""), "snat-subnet-routes": ("bool", True),
    "stateful-filtering": ("bool", False), "netfilter-mode": ("string", "on"), "timeout": ("duration", "0s"),
    "json": ("bool", False), "reset": ("bool", False), "force-reauth": ("bool", False),
    "accept-risk": ("string", ""),
}
# preflessFlag (v1.102.3 L953)
PREFLESS = {"auth-key", "force-reauth", "reset", "qr", "qr-format", "json", "timeout", "accept-risk", "host-routes",
            "client-id", "audience", "client-secret", "id-token"}
# addPrefFlagMapping (init, v1.102.3 L901): the MaskedPrefs fields a mentioned flag sets.
PREFS_OF_FLAG = {
    "advertise-exit-node": ["AdvertiseRoutes"], "advertise-routes": ["AdvertiseRoutes"],
    "exit-node": ["ExitNodeIP", "ExitNodeID"], "accept-dns": ["CorpDNS"], "accept-routes": ["RouteAll"],
    "advertise-tags": ["AdvertiseTags"], "hostname": ["Hostname"], "login-server": ["ControlURL"],
    "netfilter-mode": ["NetfilterMode"], "shields-up": ["ShieldsUp"], "snat-subnet-routes": ["NoSNAT"],
    "stateful-filtering": ["NoStatefulFiltering"], "exit-node-allow-lan-access": ["ExitNodeAllowLANAccess"],
    "operator": ["OperatorUser"], "ssh": ["RunSSH"], "advertise-connector": ["AppConnector"],
    "report-posture": ["PostureChecking"],
}
NETFILTER = {0: "off", 1: "nodivert", 2: "on"}  # preftype.NetfilterMode.String()

ACCIDENTAL_UP_PREFIX = ("Error: changing settings via 'tailscale up' requires mentioning all\n"
                        "non-default flags. To proceed, either re-run your command with --reset or\n"
                        "use the command below to explicitly mention the current value of\n"
                        "all non-default settings:\n\n"
                        "\ttailscale up")
ALL_V4, ALL_V6 = "0.0.0.0/0", "::/0"


def _routes(prefs):
    return prefs.get("AdvertiseRoutes") or []


def contains_exit_routes(routes):
    return ALL_V4 in routes and ALL_V6 in routes  # tsaddr.ContainsExitRoutes


def without_exit_routes(routes):
    if not contains_exit_routes(routes):  # tsaddr.WithoutExitRoutes
        return list(routes)
    return [r for r in routes if not r.endswith("/0")]


def prefs_to_flags(prefs, cur_exit_node_ip=""):
    """prefsToFlags(env, prefs) for goos "linux": every prefful flag of the up flag set -> a comparable value."""
    def exit_node():
        if prefs.get("ExitNodeIP"):
            return prefs["ExitNodeIP"]
        if not prefs.get("ExitNodeID") or not cur_exit_node_ip:
            return ""
        return cur_exit_node_ip
    nsf = prefs.get("NoStatefulFiltering")
    return {
        "ssh": bool(prefs.get("RunSSH")), "login-server": prefs.get("ControlURL", ""),
        "accept-routes": bool(prefs.get("RouteAll")), "accept-dns": bool(prefs.get("CorpDNS")),
        "shields-up": bool(prefs.get("ShieldsUp")), "exit-node": exit_node(),
        "exit-node-allow-lan-access": bool(prefs.get("ExitNodeAllowLANAccess")),
        "advertise-tags": ",".join(prefs.get("AdvertiseTags") or []), "hostname": prefs.get("Hostname", ""),
        "operator": prefs.get("OperatorUser", ""),
        "advertise-routes": ",".join(without_exit_routes(_routes(prefs))),
        "advertise-exit-node": contains_exit_routes(_routes(prefs)),
        "advertise-connector": bool((prefs.get("AppConnector") or {}).get("Advertise")),
        "snat-subnet-routes": not prefs.get("NoSNAT"),
        # "only set the stateful-filtering flag to false if the pref (negated!) is explicitly set to true"
        "stateful-filtering": not (nsf == "true"),
        "netfilter-mode": NETFILTER.get(prefs.get("NetfilterMode", 2), "???"),
        "report-posture": bool(prefs.get("PostureChecking")),
    }


def fmt_flag_value_arg(name, val):
    """fmtFlagValueArg: true -> --name, "" -> --name=, else --name=<shellquote.Join(fmt.Sprint(val))>."""
    if val is True:
        return "--" + name
    if val == "":
        return "--" + name + "="
    text = "false" if val is False else str(val)
    return "--%s=%s" % (name, shlex.quote(text))


def check_reverts(new, cur, given, given_raw, backend_state, user, cur_exit_node_ip=""):
    """applyImplicitPrefs + checkForAccidentalSettingReverts. `given`: the flags mentioned (name -> parsed value),
    `given_raw`: name -> the value as typed (Go's f.Value.String()). Returns (simple_up, error text or None);
    may set new["OperatorUser"]."""
    if "operator" not in given and not new.get("OperatorUser") and cur.get("OperatorUser") == user:
        new["OperatorUser"] = cur["OperatorUser"]  # applyImplicitPrefs
    if cur.get("ControlURL", "") == "":
        return False, None  # "Don't validate things on initial "up" before a control URL has been set."
    if not given and (cur.get("Config") or {}).get("UserProfile", {}).get("LoginName") and \
            backend_state != "NeedsLogin":
        return True, None  # a bare "tailscale up"
    flags_cur, flags_new = prefs_to_flags(cur, cur_exit_node_ip), prefs_to_flags(new, cur_exit_node_ip)
    missing = []
    for name, val_cur in flags_cur.items():
        val_new = flags_new[name]
        if name in given or val_cur == val_new:
            continue
        if name == "login-server" and val_cur in LOGIN_SERVER_SYNONYMS and val_new in LOGIN_SERVER_SYNONYMS:
            continue
        if name == "stateful-filtering" and val_cur is True and val_new is False:
            continue  # issue 12307: 1.66.0-1.66.3 defaulted stateful filtering on
        missing.append(fmt_flag_value_arg(name, val_cur))
    if not missing:
        return False, None
    missing.sort()
    explicit = []
    for name in sorted(given):  # flag.Visit: in lexical order
        if UP_FLAGS[name][0] == "bool":
            explicit.append("--" + name + ("=false" if given[name] is False else ""))
        else:
            explicit.append(fmt_flag_value_arg(name, given_raw[name]))
    return False, ACCIDENTAL_UP_PREFIX + "".join(" " + a for a in explicit + missing) + "\n\n"
