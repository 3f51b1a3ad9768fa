#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile label values: names that the kernel took from others.

  test_hostile_labels.py DAEMON

Interface names, aliases, link and qdisc kinds, driver strings and sysctl
paths end up in label values and HELP text. Whoever can name an interface
(root in any container's network namespace) chooses them, so they are
hostile: quotes, backslashes, newlines, control characters and bytes that
are not UTF-8. For both exposition formats the real daemon's output must

  - be valid UTF-8 and pass promtool check metrics (text 0.0.4) and
    prometheus_client's text and OpenMetrics parsers;
  - carry each value escaped byte for byte as the formats say (\\\\, \\n,
    \\" in label values; \\\\ and \\n, plus \\" in OpenMetrics, in HELP),
    computed here independently of src/writer.c;
  - give back, through the parsers, the exact value: the kernel's bytes
    decoded as UTF-8, each maximal invalid subsequence replaced by one
    U+FFFD (the writer's documented replacement; Python's
    errors="replace").

Two layers:
  (a) replay/fixtures: a netlink replay directory (RTM_GETLINK,
      RTM_GETQDISC, the ethtool ioctl files) and a procfs tree built here
      with values the kernel itself would refuse in a name: newlines,
      spaces, ':' and names longer than IFNAMSIZ; collectors netdev,
      qdisc, ethtool, sysctl.
  (b) the real kernel, as root, in a fresh network namespace: veth devices
      renamed over raw rtnetlink to names with '"', '\\', '.', control
      bytes and invalid UTF-8 (the names the kernel refuses are checked
      too), aliases with newlines, qdiscs on them, sockets bound to them;
      collectors netdev, qdisc, ethtool, sysctl (include net.ipv4.conf.*),
      tcp, udp.
Collisions (docs/METRICS.md, "Label values from the kernel"): in both
layers two interfaces whose names differ only in invalid bytes (col\\xff,
col\\xfe) get one label value; the first series emitted (lower ifindex) is
kept, the others are counted in netstack_scrape_collector_label_collisions
and the collector still succeeds. Sysctl names that map to one metric name
(interfaces a-b and a_b; dup\\xff and dup\\xfe) keep one metric, the
others go to netstack_sysctl_info, counted in
netstack_sysctl_name_collisions; success stays 1.
tcp and udp label sockets by address and port (formatted by inet_ntop)
and never by a name: they are run for the whole exposition to parse.
snmp, sockstat, softnet and conntrack label with fixed tables and numbers
only (snmp's field names, which the kernel defines, become metric names).
A new collector that exports names others chose (nftables set names and
comments, cgroup paths) adds its replay or fixture values to layer (a).
"""
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip, summary  # noqa: E402

daemon = os.path.abspath(sys.argv[1])
INNER = len(sys.argv) > 2 and sys.argv[2] == "--inner"

# ---- the formats, written down here (not taken from src/writer.c) ----


def expect(raw):
    """What a parser must give back for the kernel's bytes RAW."""
    return raw.decode("utf-8", "replace")


def esc_label(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def esc_help(s, om):
    s = s.replace("\\", "\\\\").replace("\n", "\\n")
    return s.replace('"', '\\"') if om else s


# promtool's lint (exit 3) also judges metric names; the sysctl collector
# builds names from sysctl paths, so a device called "b" or "x.b" gives
# net.ipv4.conf.x/b.* names that "contain abbreviated units". That is about
# names a user chose, not about escaping: reported, not failed.
NAME_LINT = re.compile(r"^netstack_sysctl_net_ipv[46]_conf_\S+ metric names should not contain "
                       r"abbreviated units$")


def promtool(text):
    """(parsed, lint problems other than NAME_LINT, NAME_LINT findings, output)"""
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       capture_output=True, timeout=60)
    out = (p.stdout + p.stderr).decode(errors="replace").strip()
    lines = out.split("\n") if out else []
    parsed = p.returncode in (0, 3) and "error" not in out
    named = [l for l in lines if NAME_LINT.match(l)]
    return parsed, [l for l in lines if not NAME_LINT.match(l)], named, out


def parse(text, om):
    """The families as prometheus_client parses them: {name: family}."""
    if om:
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
    else:
        from prometheus_client.parser import text_string_to_metric_families
    return {f.name: f for f in text_string_to_metric_families(text)}


def values(fams, family, label):
    """Every value of LABEL on the samples of FAMILY (family name as parsed)."""
    f = fams.get(family)
    return {s.labels[label] for s in f.samples if label in s.labels} if f else set()


def check_exposition(what, outs, labels, helps=()):
    """OUTS: {"text": bytes, "openmetrics": bytes} from the daemon.
    LABELS: (family as exposed in text, family name as parsed in text,
    family name as parsed in OpenMetrics, label, raw bytes) that must be
    there. HELPS: (metric name, raw bytes of the HELP text)."""
    for fmt, raw in outs.items():
        om = fmt == "openmetrics"
        tag = "%s %s" % (what, fmt)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            check("%s: the exposition is valid UTF-8" % tag, False, exc)
            continue
        check("%s: the exposition is valid UTF-8" % tag, True)
        if om:
            check("%s: ends with # EOF" % tag, text.endswith("# EOF\n"), text[-200:])
        else:
            parsed, lint, named, out = promtool(text)
            check("%s: promtool check metrics parses it" % tag, parsed, out)
            check("%s: promtool's lint finds nothing else (%d name findings from device "
                  "names in sysctl paths)" % (tag, len(named)), not lint, lint)
        try:
            fams = parse(text, om)
        except Exception as exc:  # the parsers raise ValueError with the reason
            check("%s: prometheus_client's %s parser accepts it" % (tag, fmt), False,
                  "%s: %s" % (type(exc).__name__, exc))
            fams = None
        else:
            check("%s: prometheus_client's %s parser accepts it" % (tag, fmt), True)
        for exposed, tname, oname, label, rawv in labels:
            want = expect(rawv)
            needle = '%s="%s"' % (label, esc_label(want))
            # split("\n"), not splitlines(): \r, \x1c.. and U+2028 are not line ends here
            lines = [l for l in text.split("\n") if l.startswith(exposed + "{")]
            check("%s: %s{%s=%r} escaped byte for byte" % (tag, exposed, label, rawv),
                  any(needle in l for l in lines),
                  "no %r in %d lines: %r" % (needle, len(lines), lines[:4]))
            if fams is not None:
                got = values(fams, oname if om else tname, label)
                check("%s: %s{%s=%r} round-trips through the parser" % (tag, exposed, label,
                                                                         rawv),
                      want in got, "want %r, parsed %r" % (want, sorted(got)[:8]))
        for metric, rawh in helps:
            want = expect(rawh)
            line = "# HELP %s %s" % (metric, esc_help(want, om))
            check("%s: HELP of %s escaped byte for byte" % (tag, metric),
                  line in text.split("\n"),
                  [l for l in text.split("\n") if l.startswith("# HELP " + metric + " ")])
            if fams is not None:
                base = re.sub(r"_total$", "", metric) if om else metric
                f = fams.get(base)
                check("%s: HELP of %s round-trips through the parser" % (tag, metric),
                      f is not None and f.documentation == want,
                      "want %r, parsed %r" % (want, f.documentation if f else None))


def run_daemon(args):
    outs, logs, rcs = {}, {}, {}
    for fmt in ("text", "openmetrics"):
        p = subprocess.run([daemon, "--once", "--once.format=" + fmt] + args,
                           capture_output=True, timeout=60)
        outs[fmt], logs[fmt], rcs[fmt] = p.stdout, p.stderr.decode(errors="replace"), p.returncode
    return outs, logs, rcs


def success(out, collector):
    m = re.search(rb'^netstack_scrape_collector_success\{collector="%s"\} (\d)$'
                  % collector.encode(), out, re.M)
    return m and m.group(1) == b"1"


def sysctl_metric(path_bytes):
    """The metric and HELP the sysctl collector gives the file at
    net/.../PARAM (path form, bytes): dotted name = '.' and '/' swapped."""
    dotted = path_bytes.translate(bytes.maketrans(b"./", b"/."))
    metric = "netstack_sysctl_" + re.sub(rb"[^A-Za-z0-9_]", b"_", dotted).decode()
    helptext = b"Kernel parameter " + dotted + b" (/proc/sys/" + path_bytes + b")."
    return metric, helptext


# ---- netlink messages, packed by hand ----

NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWLINK, RTM_SETLINK, RTM_NEWQDISC = 16, 19, 36
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 1, 2, 4
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_OPERSTATE = 1, 3, 4, 16
IFLA_LINKINFO, IFLA_IFALIAS, IFLA_INFO_KIND = 18, 20, 1
TCA_KIND, TCA_STATS2, TCA_STATS_BASIC, TCA_STATS_QUEUE = 1, 7, 1, 3


def attr(typ, payload):
    a = struct.pack("<HH", 4 + len(payload), typ) + payload
    return a + b"\0" * (-len(a) % 4)


def nlmsg(typ, flags, body, seq=1):
    m = struct.pack("<IHHII", 16 + len(body), typ, flags, seq, 0) + body
    return m + b"\0" * (-len(m) % 4)


def ifinfo(index, flags=0):
    return struct.pack("<BxHiII", 0, 1, index, flags, 0)


def link_msg(index, name, alias=None, kind=None, mtu=1500):
    body = ifinfo(index, 0x1 | 0x40) + attr(IFLA_IFNAME, name + b"\0")
    body += attr(IFLA_MTU, struct.pack("<I", mtu)) + attr(IFLA_OPERSTATE, b"\x06")
    body += attr(IFLA_ADDRESS, bytes([2, 0, 0, 0, 0, index]))
    if alias is not None:
        body += attr(IFLA_IFALIAS, alias)
    if kind is not None:
        body += attr(IFLA_LINKINFO, attr(IFLA_INFO_KIND, kind + b"\0"))
    return nlmsg(RTM_NEWLINK, NLM_F_MULTI, body)


def qdisc_msg(index, kind, handle=0x10000, parent=0xFFFFFFFF):
    body = struct.pack("<BxxxiIII", 0, index, handle, parent, 1) + attr(TCA_KIND, kind + b"\0")
    stats = attr(TCA_STATS_BASIC, struct.pack("<QIxxxx", 1000, 10))
    stats += attr(TCA_STATS_QUEUE, struct.pack("<IIIII", 0, 0, 1, 0, 0))
    return nlmsg(RTM_NEWQDISC, NLM_F_MULTI, body + attr(TCA_STATS2, stats))


def done():
    return nlmsg(NLMSG_DONE, NLM_F_MULTI, struct.pack("<i", 0))


def rtnl_request(typ, body):
    """Send one rtnetlink request in the current namespace; 0 or -errno."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0) as s:
        s.send(nlmsg(typ, NLM_F_REQUEST | NLM_F_ACK, body))
        reply = s.recv(65536)
    ln, t = struct.unpack_from("<IH", reply)
    return struct.unpack_from("<i", reply, 16)[0] if t == NLMSG_ERROR else 0


# ---- (a) replay and fixture trees ----

# Values the kernel itself would refuse in a name, as a replay can carry
# them: the collectors must not trust the kernel's rules either.
REPLAY_LINKS = [
    # index, name (<= 15 bytes: IFNAMSIZ), alias, link kind
    (2, b'q"uo\\te', b'alias "one"\nline two \\ end', b'veth'),
    (3, b"new\nline", b"\xff\xfe not utf-8 \xc3(", b'k"i\\n\nd'),
    (4, b"bad\xff\xfe\xc0\xaf", b"", b"\xed\xa0\x80kind"),
    (5, b"cut\xc3", b"\xf4\x90\x80\x80 above U+10FFFF", None),
    (6, b"ctl\x1b[0m\x7f\x01", b"tab\there\rcr", None),
    (7, b"a b:c.d", b"ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", None),
    (8, b'}{=,"\\', b"x" * 255, None),
    # one label value once made UTF-8: a collision (the first, index 9, is kept)
    (9, b"col\xff", b"first", None),
    (10, b"col\xfe", b"second", None),
]
COLLIDING_MTU = {9: 1400, 10: 1300}
REPLAY_QDISCS = [(2, b'k"\\n'), (3, b"new\nkind"), (4, b"\xff\xfeq"), (5, b"tbf"),
                 (6, b"ctl\x1b\x7f"), (7, b"\xc3\xa9\xe2\x82\xac"), (8, b"pfifo_fast")]
ETHTOOL = {b'q"uo\\te': {b"driver": b'drv"\\x', b"version": b"v\xff1",
                         b"firmware_version": b'fw "2" \\', b"bus_info": b"0000:\xc3\xa9:00.0"},
           b"new\nline": {b"driver": b"\xe2\x82\xac\xff", b"version": b"1",
                          b"firmware_version": b"", b"bus_info": b"b\\"}}
# Sysctl files under <procfs>/sys: directories named like hostile devices.
SYSCTL_DEVS = [b'q"uo\\te', b"new\nline", b"bad\xff\xfe", b"a b:c.d", b"ctl\x1b\x7f"]
SYSCTL_TEXT = b'text "quoted" \\ back \xff\xfe'


def build_replay(d):
    with open(os.path.join(d, "0-18.nl"), "wb") as f:
        f.write(b"".join(link_msg(i, n, a, k, COLLIDING_MTU.get(i, 1500))
                         for i, n, a, k in REPLAY_LINKS) + done())
    with open(os.path.join(d, "0-38.nl"), "wb") as f:
        f.write(b"".join(qdisc_msg(i, k) for i, k in REPLAY_QDISCS) + done())
    for name, info in ETHTOOL.items():
        with open(os.path.join(os.fsencode(d), b"ethtool-ioctl-" + name), "wb") as f:
            f.write(b"".join(k + b"\t" + v + b"\n" for k, v in info.items()))
            f.write(b"stat\trx_packets\t5\nstat\tq\"0\\_\xff\t6\n")


def build_procfs(root):
    helps = []
    for dev in SYSCTL_DEVS:
        conf = os.path.join(os.fsencode(root), b"sys/net/ipv4/conf", dev)
        os.makedirs(conf)
        with open(os.path.join(conf, b"forwarding"), "wb") as f:
            f.write(b"1\n")
        helps.append(sysctl_metric(b"net/ipv4/conf/" + dev + b"/forwarding"))
    with open(os.path.join(os.fsencode(root), b"sys/net/ipv4/conf", SYSCTL_DEVS[0],
                           b"hostile_text"), "wb") as f:
        f.write(SYSCTL_TEXT + b"\n")
    # one metric name for two parameters: a_b keeps it (no '-' to replace)
    for dev, val in ((b"a-b", b"7"), (b"a_b", b"8")):
        conf = os.path.join(os.fsencode(root), b"sys/net/ipv4/conf", dev)
        os.makedirs(conf)
        with open(os.path.join(conf, b"forwarding"), "wb") as f:
            f.write(val + b"\n")
    return helps


def sample_lines(raw, prefix):
    """The sample lines of RAW (text format) starting with PREFIX, decoded."""
    return [l for l in raw.decode("utf-8", "replace").split("\n") if l.startswith(prefix)]


def check_collisions(what, outs, dev, want_mtu, ifindexes):
    """Interfaces IFINDEXES are all named DEV (bytes) once decoded: the
    first in dump order is kept, the others are counted, success stays 1."""
    v = esc_label(expect(dev))
    for fmt, raw in outs.items():
        tag = "%s %s" % (what, fmt)
        coll = sample_lines(raw, 'netstack_scrape_collector_label_collisions{collector="netdev"}')
        n = int(coll[0].rsplit(" ", 1)[1]) if coll else -1
        check("%s: netdev label collisions counted (%d)" % (tag, n), n > 0, coll)
        check("%s: netdev still succeeds" % tag, success(raw, "netdev"))
        mtu = sample_lines(raw, 'netstack_netdev_mtu_bytes{device="%s"}' % v)
        check("%s: one mtu series for %r, the first interface's (%d)" % (tag, dev, want_mtu),
              len(mtu) == 1 and mtu[0].endswith(" %d" % want_mtu), mtu)
        info = [l for l in sample_lines(raw, "netstack_netdev_info{")
                if 'device="%s"' % v in l]
        got = sorted(int(re.search(r'ifindex="(\d+)"', l).group(1)) for l in info)
        check("%s: netdev_info keeps both (ifindex differs)" % tag, got == sorted(ifindexes),
              info)


def replay_layer():
    tmp = tempfile.mkdtemp(prefix="nstest-labels-")
    try:
        replay, procfs = os.path.join(tmp, "replay"), os.path.join(tmp, "proc")
        os.makedirs(replay)
        os.makedirs(procfs)
        build_replay(replay)
        helps = build_procfs(procfs)
        outs, logs, rcs = run_daemon([
            "--debug.netlink-replay=" + replay, "--path.procfs=" + procfs,
            "--path.sysfs=" + procfs, "--collector.disable-defaults", "--collector.netdev",
            "--collector.qdisc", "--collector.ethtool", "--collector.sysctl",
            "--collector.sysctl.include=net.ipv4.conf.*"])
        for c in ("netdev", "qdisc", "ethtool", "sysctl"):
            check("replay: collector %s succeeds on hostile names" % c,
                  all(success(o, c) for o in outs.values()), logs["text"][-600:])
        check_collisions("replay", outs, b"col\xff", COLLIDING_MTU[9], [9, 10])
        text = outs["text"]
        check("replay: a_b keeps the metric name",
              sample_lines(text, "netstack_sysctl_net_ipv4_conf_a_b_forwarding ")
              == ["netstack_sysctl_net_ipv4_conf_a_b_forwarding 8"],
              sample_lines(text, "netstack_sysctl_net_ipv4_conf_a_b_"))
        check("replay: a-b is in netstack_sysctl_info",
              sample_lines(text, 'netstack_sysctl_info{name="net.ipv4.conf.a-b.forwarding",')
              == ['netstack_sysctl_info{name="net.ipv4.conf.a-b.forwarding",value="7"} 1'])
        check("replay: netstack_sysctl_name_collisions 1",
              sample_lines(text, "netstack_sysctl_name_collisions ")
              == ["netstack_sysctl_name_collisions 1"])
        labels = []
        for _, name, alias, kind in REPLAY_LINKS:
            lb = name[:15]
            labels.append(("netstack_netdev_info", "netstack_netdev_info",
                           "netstack_netdev", "device", lb))
            labels.append(("netstack_netdev_info", "netstack_netdev_info",
                           "netstack_netdev", "ifalias", alias))
            if kind is not None:
                labels.append(("netstack_netdev_info", "netstack_netdev_info",
                               "netstack_netdev", "kind", kind))
        for index, kind in REPLAY_QDISCS:
            dev = [n for i, n, _, _ in REPLAY_LINKS if i == index][0]
            labels.append(("netstack_qdisc_root_info", "netstack_qdisc_root_info",
                           "netstack_qdisc_root", "device", dev))
            labels.append(("netstack_qdisc_root_info", "netstack_qdisc_root_info",
                           "netstack_qdisc_root", "kind", kind))
        for dev, info in ETHTOOL.items():
            labels.append(("netstack_ethtool_info", "netstack_ethtool_info",
                           "netstack_ethtool", "device", dev))
            for k, v in info.items():
                labels.append(("netstack_ethtool_info", "netstack_ethtool_info",
                               "netstack_ethtool", k.decode(), v))
        sysname = b"net.ipv4.conf." + SYSCTL_DEVS[0].replace(b".", b"/") + b".hostile_text"
        labels.append(("netstack_sysctl_info", "netstack_sysctl_info", "netstack_sysctl",
                       "name", sysname))
        labels.append(("netstack_sysctl_info", "netstack_sysctl_info", "netstack_sysctl",
                       "value", SYSCTL_TEXT))
        check_exposition("replay", outs, labels, helps)
    finally:
        shutil.rmtree(tmp)


# ---- (b) the real kernel, inside a fresh network namespace ----

# The kernel's rule (dev_valid_name): 1..15 bytes, not "." or "..", no '/',
# ':' or whitespace (isspace() of the kernel's Latin-1 ctype: also 0xa0);
# any other byte is allowed.
KERNEL_NAMES = [b'dq"uote', b"bs\\lash", b"bad\xff\xfeutf", b"cut\xc3", b"sur\xed\xb0\x80",
                b"esc\x1b[0m\x7f", b'a.b{x="y"}', b"ok\xc3\xa9", b"\x85\x80\xbf",
                b"dup\xff", b"dup\xfe"]
# The last two are one label value once decoded and one sysctl metric name:
# collisions (dup\xfe keeps the sysctl metric names: first in byte order).
DUP_NAMES = (b"dup\xff", b"dup\xfe")
KERNEL_REFUSED = [b"sp ace", b"tab\tx", b"new\nline", b"cr\rx", b"nbsp\xa0x", b"co:lon",
                  b"sl/ash", b".", b"..", b"x" * 16]
KERNEL_ALIAS = b'line1\nline2 "q" \\ \xff\xfe end'


def ifindex(name):
    with open(b"/sys/class/net/" + name + b"/ifindex") as f:
        return int(f.read())


def rename(index, name):
    return rtnl_request(RTM_SETLINK, ifinfo(index) + attr(IFLA_IFNAME, name + b"\0"))


def sh(*args):
    p = subprocess.run([a if isinstance(a, bytes) else a.encode() for a in args],
                       capture_output=True, timeout=30)
    if p.returncode:
        raise RuntimeError("%r: %s" % (args, p.stderr.decode(errors="replace").strip()))
    return p.stdout


def kernel_layer_inner():
    """Runs inside the fresh namespace (ip netns exec)."""
    sh("ip", "link", "set", "lo", "up")
    devs = []
    for i in range(0, len(KERNEL_NAMES), 2):
        sh("ip", "link", "add", "hl%da" % i, "type", "veth", "peer", "name", "hl%db" % i)
        devs += ["hl%da" % i, "hl%db" % i]
    spare = devs[len(KERNEL_NAMES):]
    for tmp, name in zip(devs, KERNEL_NAMES):
        rc = rename(ifindex(tmp.encode()), name)
        check("kernel accepts the interface name %r" % name, rc == 0, os.strerror(-rc))
    probe = ifindex(spare[0].encode()) if spare else None
    for name in KERNEL_REFUSED:
        if probe is None:
            break
        rc = rename(probe, name)
        check("kernel refuses the interface name %r" % name, rc != 0, "accepted")
        if rc == 0:
            rename(probe, spare[0].encode())
    names = [n for n in KERNEL_NAMES if os.path.exists(b"/sys/class/net/" + n)]
    rc = rtnl_request(RTM_SETLINK, ifinfo(ifindex(names[0])) + attr(IFLA_IFALIAS, KERNEL_ALIAS))
    check("kernel accepts an alias with a newline, quotes and invalid UTF-8", rc == 0,
          os.strerror(-rc))
    for n in names:
        sh("ip", "link", "set", "dev", n, "up")
    dup_mtu = {b"dup\xff": 1400, b"dup\xfe": 1300}
    for n in DUP_NAMES:
        sh("ip", "link", "set", "dev", n, "mtu", str(dup_mtu[n]))
    # qdiscs: htb with a class and a pfifo leaf, tbf, pfifo
    sh("tc", "qdisc", "add", "dev", names[0], "root", "handle", "1:", "htb", "default", "10")
    sh("tc", "class", "add", "dev", names[0], "parent", "1:", "classid", "1:10", "htb", "rate",
       "1mbit")
    sh("tc", "qdisc", "add", "dev", names[0], "parent", "1:10", "handle", "10:", "pfifo")
    sh("tc", "qdisc", "add", "dev", names[1], "root", "tbf", "rate", "1mbit", "burst", "10k",
       "latency", "50ms")
    for n in names[2:]:
        sh("tc", "qdisc", "add", "dev", n, "root", "pfifo")
    sh("ip", "addr", "add", "192.0.2.1/24", "dev", names[0])
    socks = []
    for typ in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, typ)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, names[0])
        s.bind(("192.0.2.1", 0))
        if typ == socket.SOCK_STREAM:
            s.listen(4)
        socks.append(s)
    outs, logs, rcs = run_daemon([
        "--collector.disable-defaults", "--collector.netdev", "--collector.qdisc",
        "--collector.ethtool", "--collector.sysctl", "--collector.sysctl.include=net.ipv4.conf.*",
        "--collector.tcp", "--collector.udp"])
    for s in socks:
        s.close()
    for c in ("netdev", "qdisc", "ethtool", "sysctl", "tcp", "udp"):
        check("kernel: collector %s succeeds on hostile names" % c,
              all(success(o, c) for o in outs.values()),
              [l for l in logs["text"].splitlines() if c in l][-3:])
    first = min(DUP_NAMES, key=ifindex)
    check_collisions("kernel", outs, DUP_NAMES[0], dup_mtu[first],
                     [ifindex(n) for n in DUP_NAMES])
    text = outs["text"]
    nc = sample_lines(text, "netstack_sysctl_name_collisions ")
    nfiles = len([f for f in os.listdir(b"/proc/sys/net/ipv4/conf/dup\xff")
                  if os.access(b"/proc/sys/net/ipv4/conf/dup\xff/" + f, os.R_OK)])
    check("kernel: sysctl name collisions == the %d readable files of conf/dup\\xff"
          % nfiles, nc == ["netstack_sysctl_name_collisions %d" % nfiles], nc)
    check("kernel: dup\\xff's forwarding is in netstack_sysctl_info",
          len(sample_lines(text, 'netstack_sysctl_info{name="net.ipv4.conf.dup\ufffd.'
                                 'forwarding",')) == 1)
    labels, helps = [], []
    for n in names:
        labels.append(("netstack_netdev_info", "netstack_netdev_info", "netstack_netdev",
                       "device", n))
        labels.append(("netstack_qdisc_root_info", "netstack_qdisc_root_info",
                       "netstack_qdisc_root", "device", n))
        labels.append(("netstack_ethtool_info", "netstack_ethtool_info", "netstack_ethtool",
                       "device", n))
        if n != b"dup\xff":  # its metric name is dup\xfe's (sysctl name collision)
            helps.append(sysctl_metric(b"net/ipv4/conf/" + n + b"/forwarding"))
    labels.append(("netstack_netdev_info", "netstack_netdev_info", "netstack_netdev",
                   "ifalias", KERNEL_ALIAS))
    check_exposition("kernel", outs, labels, helps)


def kernel_layer():
    if os.geteuid() != 0:
        skip("the real-kernel layer needs root (network namespaces)")
        return
    if not shutil.which("ip") or not shutil.which("tc"):
        skip("the real-kernel layer needs ip and tc (iproute2)")
        return
    ns = "nstest-labels-%d" % os.getpid()
    p = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True)
    if p.returncode:
        skip("ip netns add: %s" % p.stderr.strip())
        return
    try:
        p = subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__),
                            daemon, "--inner"], capture_output=True, text=True, timeout=120)
        sys.stdout.write(p.stdout)
        m = re.search(r"^RESULT (\d+) (\d+) (\d+)$", p.stdout, re.M)
        if not m:
            check("kernel layer ran to the end", False, (p.stdout + p.stderr)[-800:])
            return
        nstest.passed += int(m[1])
        nstest.failed += int(m[2])
        nstest.skipped += int(m[3])
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


if INNER:
    try:
        kernel_layer_inner()
    except Exception as exc:  # a setup step failed: a failure, not a skip
        check("kernel layer setup", False, "%s: %s" % (type(exc).__name__, exc))
    print("RESULT %d %d %d" % (nstest.passed, nstest.failed, nstest.skipped))
    sys.exit(0)

if not shutil.which("promtool"):
    nstest.skip_all("promtool not installed (scripts/deps.sh installs it)")
replay_layer()
kernel_layer()
sys.exit(summary())
