#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
What the daemon collects in other network namespaces, on the real kernel
(issue 10, the collection half): values, the curated series budget, fds.

Usage: test_netns_collect.py <path-to-netstack_exporter>

Builds 20 namespaces: 12 named (ip netns add netns2-PID-nK) and 8 unnamed,
each held by a sleeping process (unshare --net sleep). Each gets IPv6 off,
loopback up, a veth pair to the host with an address, its own
net.core.somaxconn, an nftables output chain with a ct expression (so
conntrack tracks in it), and from one helper process that setns()es into
each in turn: K+1 TCP listeners on loopback (backlogs differ), K
established connections to the first, and 3*K UDP datagrams to K distinct
ports (K conntrack flows). Namespace 3 also gets a listener with backlog 1
that is never accepted, and 8 clients (closed once it overflowed, so the
counters stand still): its accept queue overflows. One more
named namespace is made while net.ipv4.tcp_child_ehash_entries is set, so
it owns its TCP established hash.

Then one scrape of the daemon (--once, sources named,processes, the
curated profile) and, per namespace, from inside it:
  * netdev: every interface's bytes, packets, errors and drops equal
    `ip -s -j link` (`ip -n NAME` for the named ones, nsenter for the others);
  * tcp: listeners and their queues equal `ss -Htln` (`ss -N NAME`),
    netstack_tcp_connections{state="listen"} the listener count;
  * conntrack: netstack_conntrack_entries equals `conntrack -C` (between a
    count before and one after the scrape), the limit nf_conntrack_max;
  * snmp, sockstat, sysctl: Udp InDatagrams, TcpExt ListenOverflows,
    sockstat's TCP inuse and somaxconn equal the namespace's own files;
  * the listener overflow is seen in namespace 3 only (others 0);
  * netstack_netns_tcp_hash_owned: 0 for the 20, 1 for the one made with
    tcp_child_ehash_entries, which alone gets per-state TCP counts;
  * series budget: at most 150 series carry each namespace's label;
  * --netns.max-series=40 cuts every namespace at 40 and says so;
  * fds: a running daemon keeps at most 24 fds per namespace (the figure
    the RLIMIT_NOFILE budget uses).

Exit status: 0 all passed, 1 some check failed, 77 skipped (not root, or a
tool missing). Everything it makes is removed on every exit.
"""
import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip_all  # noqa: E402

PID = os.getpid()
PREFIX = "netns2-%d-" % PID
NNAMED, NUNNAMED = 12, 8
OVERFLOW = 3
BUDGET = 150
FDS_PER_NS = 24
CLONE_NEWNET = 0x40000000

HELPER = r"""
import ctypes, json, os, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
spec = json.loads(sys.argv[1])
home = os.open("/proc/self/ns/net", os.O_RDONLY)
keep = []
for ns in spec:
    fd = os.open(ns["path"], os.O_RDONLY)
    if libc.setns(fd, 0x40000000):
        raise OSError(ctypes.get_errno(), "setns")
    os.close(fd)
    k = ns["k"]
    ls = []
    for j in range(k + 1):
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 7000 + j)); s.listen(16 + j); ls.append(s); keep.append(s)
    for j in range(k):
        c = socket.create_connection(("127.0.0.1", 7000)); keep.append(c)
        a, _ = ls[0].accept(); keep.append(a)
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
    keep.append(r)
    rport = r.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); keep.append(u)
    for j in range(k):
        v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); keep.append(v)
        for _ in range(3):
            v.sendto(b"x" * 64, ("127.0.0.1", rport))
    if ns.get("overflow"):
        s = socket.socket(); s.bind(("127.0.0.1", 7999)); s.listen(1); keep.append(s)
        cl = []
        for j in range(8):
            c = socket.socket(); c.setblocking(False); c.connect_ex(("127.0.0.1", 7999))
            cl.append(c)
        # the overflow has happened; closing the clients ends the SYN retries,
        # so the namespace's counters stand still while the test reads them
        time.sleep(0.5)
        for c in cl:
            c.close()
    if libc.setns(home, 0x40000000):
        raise OSError(ctypes.get_errno(), "setns home")
time.sleep(1.5)
print("ready", flush=True)
time.sleep(600)
"""


def run(cmd, timeout=30, input=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)
    if p.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s%s" %
                           (p.returncode, " ".join(cmd), p.stdout, p.stderr))
    return p.stdout


class Ns:
    def __init__(self, i, label, prefix, path, holder=None):
        self.i, self.label, self.prefix, self.path, self.holder = i, label, prefix, path, holder
        self.k = 1 + i % 4

    def sh(self, *cmd, **kw):
        return run(self.prefix + list(cmd), **kw)


def samples(text):
    out = {}
    for fam in text_string_to_metric_families(text):
        for smp in fam.samples:
            out[(smp.name, frozenset(smp.labels.items()))] = smp.value
    return out


def get(got, name, **labels):
    return got.get((name, frozenset(labels.items())))


def proc_table(text):
    """/proc/net/snmp or netstat: {(Prefix, Field): int}."""
    out, lines = {}, text.splitlines()
    for h, v in zip(lines[0::2], lines[1::2]):
        p, _, names = h.partition(": ")
        _, _, vals = v.partition(": ")
        for n, x in zip(names.split(), vals.split()):
            out[(p, n)] = int(x)
    return out


def setup_ns(ns, veth):
    ns.sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    ns.sh("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
    ns.sh("sysctl", "-qw", "net.core.somaxconn=%d" % (1000 + ns.i))
    ns.sh("ip", "link", "set", "lo", "up")
    ns.sh("nft", "-f", "-", input="table inet netns2 {\n chain out {\n"
          "  type filter hook output priority 0;\n  ct state new counter\n }\n}\n")
    ns.sh("ip", "link", "set", veth, "name", "eth0")
    ns.sh("ip", "addr", "add", "10.77.%d.2/24" % ns.i, "dev", "eth0")
    ns.sh("ip", "link", "set", "eth0", "up")


def ip_links(ns):
    return {x["ifname"]: x["stats64"] for x in json.loads(ns.sh("ip", "-s", "-j", "link"))}


def ss_listeners(ns):
    cmd = ["ss", "-N", ns.label, "-Htln"] if ns.holder is None else ns.prefix + ["ss", "-Htln"]
    out = {}
    for line in run(cmd).splitlines():
        f = line.split()
        out[f[3].rpartition(":")[2]] = (int(f[1]), int(f[2]))
    return out


def ns_series(got, label):
    return [k for k in got if ("netns", label) in k[1]]


def value_checks(got, spaces, ct_before, ct_after, ctmax):
    for ns in spaces:
        L = ns.label
        links = ip_links(ns)
        bad = []
        for dev, st in links.items():
            for key, name in (("rx", "receive"), ("tx", "transmit")):
                for f, m in (("bytes", "bytes"), ("packets", "packets"), ("errors", "errors"),
                             ("dropped", "dropped")):
                    v = get(got, "netstack_netdev_%s_%s_total" % (name, m), netns=L, device=dev)
                    if v != st[key][f]:
                        bad.append((dev, key, f, st[key][f], v))
        check("%s: netdev of %s equals ip -s link" % (L, sorted(links)), not bad, bad)
        ls = ss_listeners(ns)
        qs = {p: (get(got, "netstack_tcp_listener_queue_length", netns=L, family="ipv4",
                      address="127.0.0.1", port=p),
                  get(got, "netstack_tcp_listener_queue_max", netns=L, family="ipv4",
                      address="127.0.0.1", port=p)) for p in ls}
        check("%s: %d listeners, queues equal ss -ltn" % (L, len(ls)),
              all(qs[p] == ls[p] for p in ls) and
              get(got, "netstack_tcp_connections", netns=L, family="ipv4", state="listen")
              == len(ls), (ls, qs))
        ct = get(got, "netstack_conntrack_entries", netns=L)
        lo, hi = sorted((ct_before[L], ct_after[L]))
        check("%s: conntrack entries %s within conntrack -C %d..%d" % (L, ct, lo, hi),
              ct is not None and lo <= ct <= hi and ct >= ns.k)
        check("%s: conntrack limit = nf_conntrack_max" % L,
              get(got, "netstack_conntrack_entries_limit", netns=L) == ctmax)
        snmp = proc_table(ns.sh("cat", "/proc/net/snmp"))
        nstat = proc_table(ns.sh("cat", "/proc/net/netstat"))
        sockstat = ns.sh("cat", "/proc/net/sockstat")
        inuse = int(re.search(r"TCP: inuse (\d+)", sockstat).group(1))
        check("%s: snmp Udp InDatagrams %d, TcpExt ListenOverflows %d, sockstat TCP inuse %d, "
              "somaxconn" % (L, snmp[("Udp", "InDatagrams")],
                             nstat[("TcpExt", "ListenOverflows")], inuse),
              get(got, "netstack_snmp_udp_in_datagrams_total", netns=L)
              == snmp[("Udp", "InDatagrams")] and
              get(got, "netstack_snmp_tcpext_listen_overflows_total", netns=L)
              == nstat[("TcpExt", "ListenOverflows")] and
              get(got, "netstack_sockstat_tcp_inuse", netns=L) == inuse and
              get(got, "netstack_sysctl_net_core_somaxconn", netns=L) == 1000 + ns.i)
        snmp_fams = {k[0] for k in ns_series(got, L) if k[0].startswith("netstack_snmp_")}
        host_fams = {k[0] for k in got if k[0].startswith("netstack_snmp_") and not k[1]}
        pairs = {"tcp_active_opens_total": ("Tcp", "ActiveOpens"),
                 "tcp_passive_opens_total": ("Tcp", "PassiveOpens"),
                 "tcp_curr_estab": ("Tcp", "CurrEstab"),
                 "tcp_retrans_segs_total": ("Tcp", "RetransSegs"),
                 "tcp_out_rsts_total": ("Tcp", "OutRsts"),
                 "tcp_out_segs_total": ("Tcp", "OutSegs"),
                 "udp_out_datagrams_total": ("Udp", "OutDatagrams"),
                 "udp_no_ports_total": ("Udp", "NoPorts"),
                 "tcpext_listen_drops_total": ("TcpExt", "ListenDrops")}
        tables = dict(snmp)
        tables.update(nstat)
        bad = [(n, tables[k], get(got, "netstack_snmp_" + n, netns=L))
               for n, k in pairs.items() if get(got, "netstack_snmp_" + n, netns=L) != tables[k]]
        check("%s: the 34 curated snmp families, named as the host's, %d of them equal to "
              "/proc/net/snmp and netstat" % (L, len(pairs)),
              len(snmp_fams) == 34 and snmp_fams <= host_fams and not bad,
              (len(snmp_fams), sorted(snmp_fams - host_fams), bad))
        check("%s: shares the host's TCP hash: tcp_hash_owned 0, listeners only" % L,
              get(got, "netstack_netns_tcp_hash_owned", netns=L) == 0 and
              get(got, "netstack_tcp_connections", netns=L, family="ipv4",
                  state="established") is None)
    ovf = {ns.label: get(got, "netstack_snmp_tcpext_listen_overflows_total", netns=ns.label)
           for ns in spaces}
    check("the listener overflow is seen in %s only" % spaces[OVERFLOW].label,
          ovf[spaces[OVERFLOW].label] > 0 and
          all(v == 0 for L, v in ovf.items() if L != spaces[OVERFLOW].label), ovf)
    check("its queue: 2 waiting on a backlog of 1 (ss)",
          get(got, "netstack_tcp_listener_queue_length", netns=spaces[OVERFLOW].label,
              family="ipv4", address="127.0.0.1", port="7999") == 2)


def budget_checks(got, spaces):
    counts = {ns.label: len(ns_series(got, ns.label)) for ns in spaces}
    worst = max(counts.values())
    print("series per namespace: min %d, max %d" % (min(counts.values()), worst))
    check("every namespace within the budget of %d series (max %d)" % (BUDGET, worst),
          worst <= BUDGET, counts)
    check("no namespace was cut by --netns.max-series",
          not any(k[0] == "netstack_netns_series_dropped" for k in got))


def fd_checks(exporter, args, nspaces):
    def fds_of(extra):
        port = nstest.free_port()
        d = subprocess.Popen([exporter, "--web.listen-address=127.0.0.1:%d" % port] + extra,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(50):
                try:
                    for _ in range(2):
                        urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                               timeout=30).read()
                    break
                except OSError:
                    time.sleep(0.1)
            return len(os.listdir("/proc/%d/fd" % d.pid))
        finally:
            nstest.stop(d)
    base = fds_of([])
    with_ns = fds_of(args)
    per = (with_ns - base) / nspaces
    print("fds: %d without namespaces, %d with %d: %.1f per namespace" %
          (base, with_ns, nspaces, per))
    check("at most %d fds per namespace (%.1f)" % (FDS_PER_NS, per), 0 < per <= FDS_PER_NS)


def main():
    if os.geteuid() != 0:
        skip_all("needs root (ip netns, veth, nft, setns)")
    for tool in ("ip", "ss", "nft", "conntrack", "nsenter", "unshare"):
        if not shutil.which(tool):
            skip_all("%s not installed" % tool)
    exporter = os.path.abspath(sys.argv[1])
    spaces, holders, helper = [], [], None
    owned = PREFIX + "own"
    try:
        for i in range(NNAMED + NUNNAMED):
            if i < NNAMED:
                name = PREFIX + "n%d" % i
                run(["ip", "netns", "add", name])
                spaces.append(Ns(i, name, ["ip", "netns", "exec", name], "/run/netns/" + name))
            else:
                h = subprocess.Popen(["unshare", "--net", "sleep", "600"])
                holders.append(h)
                path = "/proc/%d/ns/net" % h.pid
                for _ in range(100):
                    if os.path.exists(path) and os.stat(path).st_ino != \
                            os.stat("/proc/self/ns/net").st_ino:
                        break
                    time.sleep(0.02)
                spaces.append(Ns(i, "inode:%d" % os.stat(path).st_ino,
                                 ["nsenter", "-t", str(h.pid), "-n"], path, h))
        for ns in spaces:
            run(["ip", "link", "add", "n2h%d.%d" % (PID % 10000, ns.i), "type", "veth",
                 "peer", "name", "n2p%d" % ns.i])
            run(["ip", "link", "set", "n2p%d" % ns.i, "netns", ns.path])
            setup_ns(ns, "n2p%d" % ns.i)
        old = open("/proc/sys/net/ipv4/tcp_child_ehash_entries").read().strip()
        try:
            run(["sysctl", "-qw", "net.ipv4.tcp_child_ehash_entries=1024"])
            run(["ip", "netns", "add", owned])
        finally:
            run(["sysctl", "-qw", "net.ipv4.tcp_child_ehash_entries=" + old])
        own = Ns(99, owned, ["ip", "netns", "exec", owned], "/run/netns/" + owned)
        own.sh("ip", "link", "set", "lo", "up")
        spec = [{"path": ns.path, "k": ns.k, "overflow": ns.i == OVERFLOW} for ns in spaces]
        spec.append({"path": own.path, "k": 2})
        helper = subprocess.Popen([sys.executable, "-c", HELPER, json.dumps(spec)],
                                  stdout=subprocess.PIPE, text=True)
        if helper.stdout.readline().strip() != "ready":
            raise RuntimeError("the socket helper did not start")

        inos = "|".join(ns.label.split(":")[1] for ns in spaces if ns.holder)
        include = "^(%s|inode:(%s)$)" % (PREFIX, inos)
        args = ["--netns.sources=named,processes", "--netns.include=" + include]
        ctmax = int(open("/proc/sys/net/netfilter/nf_conntrack_max").read())

        def ct_counts():
            return {ns.label: int(ns.sh("conntrack", "-C").strip()) for ns in spaces}
        ct_before = ct_counts()
        p = subprocess.run([exporter, "--once"] + args, capture_output=True, text=True,
                           timeout=120)
        ct_after = ct_counts()
        check("daemon --once with 21 namespaces exits 0", p.returncode == 0, p.stderr)
        got = samples(p.stdout)
        value_checks(got, spaces, ct_before, ct_after, ctmax)
        check("%s owns its TCP hash: tcp_hash_owned 1, per-state counts (2 established "
              "pairs = 4)" % owned,
              get(got, "netstack_netns_tcp_hash_owned", netns=owned) == 1 and
              get(got, "netstack_tcp_connections", netns=owned, family="ipv4",
                  state="established") == 4)
        budget_checks(got, spaces)

        p = subprocess.run([exporter, "--once", "--netns.max-series=40"] + args,
                           capture_output=True, text=True, timeout=120)
        got = samples(p.stdout) if p.returncode == 0 else {}
        cut = {ns.label: len([k for k in ns_series(got, ns.label)
                              if not k[0].startswith("netstack_netns_")]) for ns in spaces}
        check("--netns.max-series=40: every namespace's collector series cut at 40",
              set(cut.values()) == {40}, cut)
        check("--netns.max-series=40: netstack_netns_series_dropped says how many",
              all((get(got, "netstack_netns_series_dropped", netns=ns.label) or 0) > 0
                  for ns in spaces))
        fd_checks(exporter, args, len(spaces) + 1)
    finally:
        if helper:
            nstest.stop(helper)
        for h in holders:
            nstest.stop(h)
        for ns in spaces:
            subprocess.run(["ip", "link", "del", "n2h%d.%d" % (PID % 10000, ns.i)],
                           capture_output=True)
            if ns.holder is None:
                subprocess.run(["ip", "netns", "del", ns.label], capture_output=True)
        subprocess.run(["ip", "netns", "del", owned], capture_output=True)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())
