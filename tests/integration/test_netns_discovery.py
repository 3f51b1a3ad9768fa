#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Network namespace discovery and per-namespace contexts on the real kernel.

Usage: test_netns_discovery.py <path-to-netns_probe> <path-to-netstack_exporter>

Builds three namespaces: two named (ip netns add) and one unnamed, held by a
sleeping process (unshare --net sleep). Each gets its own veth pair, its
own tcp_fin_timeout and somaxconn, and a different number of UDP datagrams
on its loopback. Then, from the host namespace:

  * facts: what a thread that setns()es into a namespace reads through
    /proc/self/net, /proc/net, /proc/thread-self/net and /proc/sys, and what
    its fds, directory fds and netlink socket read after it exits; the
    design in docs/ARCHITECTURE.md ("Network namespaces") rests on these;
  * contexts: netns_probe opens one context per namespace and reads, inside
    it, net/dev and two sysctls through the context's procfs root, the link
    list over its netlink socket, and runs the netdev and sysctl
    collectors; the values equal what `ip netns exec` / `nsenter` read in
    that namespace, and the kept files read the same from the host thread;
  * discovery: named namespaces by name, the unnamed one as inode:N with the
    sleeping process as member (comm "sleep"), the host's own once, and the
    sources selectable;
  * the daemon with --netns.sources: every namespace's series carry its
    netns label with its own values, the host's carry none, the exposition
    parses, netstack_netns_info attributes the unnamed one to "sleep"; as
    nobody it collects its own namespace and says why not the others; a
    namespace deleted while the daemon runs is gone from the scrape after
    the next rediscovery, while every scrape succeeds; 20 namespaces added
    and deleted leave no series and no fd behind.

Exit status: 0 all passed, 1 some check failed, 77 skipped (not root).
The namespaces are named netnsd-PID-x and deleted on every exit.
"""
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
NAMED = ["netnsd-%d-a" % PID, "netnsd-%d-b" % PID]
PY = "/usr/bin/python3"
SEND = ("import socket,sys\n"
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
        "r=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); r.bind(('127.0.0.1',0))\n"
        "for i in range(int(sys.argv[1])): s.sendto(b'x'*100, r.getsockname())\n")


def run(cmd, timeout=30):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s%s" %
                           (p.returncode, " ".join(cmd), p.stdout, p.stderr))
    return p.stdout


class Ns:
    """One test namespace: how to run a command inside it, how the probe opens it."""

    def __init__(self, label, prefix, path, index):
        self.label, self.prefix, self.path, self.index = label, prefix, path, index

    def sh(self, *cmd):
        return run(self.prefix + list(cmd))


def proc_net_dev(text):
    devs = {}
    for line in text.splitlines()[2:]:
        name, _, rest = line.partition(":")
        devs[name.strip()] = rest.split()
    return devs


def samples(text):
    """{(name, frozenset(labels.items())): value} of an exposition, parsed by prometheus_client."""
    out = {}
    for fam in text_string_to_metric_families(text):
        for smp in fam.samples:
            out[(smp.name, frozenset(smp.labels.items()))] = smp.value
    return out


def daemon_checks(exporter, spaces, sleeper, host_fin):
    c_ino = str(os.stat(spaces[2].path).st_ino)
    labels = {NAMED[0]: spaces[0], NAMED[1]: spaces[1], "inode:" + c_ino: spaces[2]}
    include = "^(netnsd-%d-|inode:%s$)" % (PID, c_ino)
    args = ["--collector.disable-defaults", "--collector.netdev", "--collector.sysctl",
            "--netns.sources=named,processes", "--netns.include=" + include]
    p = subprocess.run([exporter, "--once"] + args, capture_output=True, text=True, timeout=60)
    check("daemon --once with --netns.sources exits 0", p.returncode == 0, p.stderr)
    try:
        got = samples(p.stdout)
    except Exception as exc:  # noqa: BLE001 - any parse error is the failure
        check("the exposition parses (prometheus_client)", False, exc)
        return
    check("the exposition parses (prometheus_client)", True)
    fin = "netstack_sysctl_net_ipv4_tcp_fin_timeout"
    check("the host's series carry no netns label",
          got.get((fin, frozenset())) == float(host_fin), got.get((fin, frozenset())))
    for label, ns in labels.items():
        check("%s: tcp_fin_timeout %d" % (label, 21 + ns.index),
              got.get((fin, frozenset({("netns", label)}))) == 21 + ns.index)
        lo = proc_net_dev(ns.sh("cat", "/proc/net/dev"))["lo"]
        key = ("netstack_netdev_receive_bytes_total",
               frozenset({("netns", label), ("device", "lo")}))
        check("%s: lo receive bytes %s" % (label, lo[0]), got.get(key) == float(lo[0]),
              got.get(key))
        info = [k for k in got if k[0] == "netstack_netns_info" and ("netns", label) in k[1]]
        check("%s: one netstack_netns_info" % label, len(info) == 1, info)
    info = dict(next(k[1] for k in got if k[0] == "netstack_netns_info"
                     and ("netns", "inode:" + c_ino) in k[1]))
    check("the unnamed one: inode and comm in netstack_netns_info",
          info.get("inode") == c_ino and info.get("comm") == "sleep", info)
    check("every collector succeeded",
          all(v == 1 for k, v in got.items() if k[0] == "netstack_scrape_collector_success"))
    check("netstack_netns_namespaces: the host's and the 3 included",
          got.get(("netstack_netns_namespaces", frozenset())) == 4,
          got.get(("netstack_netns_namespaces", frozenset())))

    # --netns.collectors: only those run in other namespaces
    p = subprocess.run([exporter, "--once", "--netns.collectors=sysctl"] + args,
                       capture_output=True, text=True, timeout=60)
    got = samples(p.stdout) if p.returncode == 0 else {}
    check("--netns.collectors=sysctl: sysctl in the namespaces, netdev only in the host's",
          got.get((fin, frozenset({("netns", NAMED[0])}))) == 21 and
          not any(k[0].startswith("netstack_netdev_") and ("netns", NAMED[0]) in k[1]
                  for k in got) and
          any(k[0].startswith("netstack_netdev_") for k in got), p.stderr)

    # without privileges: starts, collects its own namespace, says why once
    if shutil.which("setpriv"):
        p = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            "--inh-caps=-all", exporter, "--once"] + args,
                           capture_output=True, text=True, timeout=60)
        got = samples(p.stdout) if p.returncode == 0 else {}
        check("unprivileged: exits 0 with the host's series",
              p.returncode == 0 and got.get((fin, frozenset())) == float(host_fin), p.stderr)
        check("unprivileged: one log line says why",
              len(p.stderr.strip().splitlines()) == 1 and "CAP_SYS_ADMIN" in p.stderr, p.stderr)
        check("unprivileged: netstack_netns_entering_possible 0, enter failures counted",
              got.get(("netstack_netns_entering_possible", frozenset())) == 0 and
              got.get(("netstack_netns_enter_failures_total",
                       frozenset({("netns", NAMED[0])}))) == 1 and
              not any(("netns", NAMED[0]) in k[1] for k in got
                      if k[0].startswith("netstack_sysctl")), p.stdout[-300:])
    else:
        nstest.skip("setpriv not installed: no unprivileged run")

    # --runtime.user: the privilege drop keeps what entering namespaces needs
    port = nstest.free_port()
    d = subprocess.Popen([exporter, "--web.listen-address=127.0.0.1:%d" % port,
                          "--runtime.user=nobody"] + args,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        body = ""
        for _ in range(50):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                            timeout=10) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.1)
        got = samples(body) if body else {}
        check("--runtime.user=nobody: the namespaces are still entered and read",
              got.get(("netstack_netns_entering_possible", frozenset())) == 1 and
              got.get((fin, frozenset({("netns", NAMED[0])}))) == 21 and
              got.get((fin, frozenset({("netns", "inode:" + c_ino)}))) == 23,
              body[-300:])
        status = open("/proc/%d/status" % d.pid).read()
        capeff = int(re.search(r"^CapEff:\s+([0-9a-f]+)", status, re.M).group(1), 16)
        check("--runtime.user=nobody: CAP_SYS_ADMIN and CAP_SYS_PTRACE kept, uid dropped",
              capeff & (1 << 21) and capeff & (1 << 19) and
              re.search(r"^Uid:\s+65534\b", status, re.M), hex(capeff))
    finally:
        nstest.stop(d)

    # a namespace deleted while the daemon runs
    port = nstest.free_port()
    d = subprocess.Popen([exporter, "--web.listen-address=127.0.0.1:%d" % port,
                          "--netns.rediscover-interval=1"] + args,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def scrape():
            for _ in range(50):
                try:
                    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                                timeout=10) as r:
                        return r.status, r.read().decode()
                except OSError:
                    time.sleep(0.1)
            return None, ""
        status, before = scrape()
        check("daemon: the scrape has series of %s" % NAMED[1],
              status == 200 and 'netns="%s"' % NAMED[1] in before, status)
        run(["ip", "netns", "del", NAMED[1]])
        time.sleep(1.2)
        status, after = scrape()
        check("daemon: the scrape after the next rediscovery succeeds, without %s" % NAMED[1],
              status == 200 and 'netns="%s"' % NAMED[1] not in after
              and 'netns="%s"' % NAMED[0] in after, status)

        # churn: 20 namespaces come and go; fds return to where they were
        def fds(text):
            m = re.search(r"^process_open_fds (\d+)", text, re.M)
            return int(m.group(1)) if m else -1
        base = fds(after)
        churn = ["netnsd-%d-c%d" % (PID, i) for i in range(20)]
        try:
            for name in churn:
                run(["ip", "netns", "add", name])
            time.sleep(1.1)
            status, during = scrape()
            check("churn: the 20 new namespaces are scraped",
                  status == 200 and all('netns="%s"' % n in during for n in churn), status)
            check("churn: each holds fds while collected", fds(during) > base + 20,
                  "%d vs %d" % (fds(during), base))
        finally:
            for name in churn:
                subprocess.run(["ip", "netns", "del", name], capture_output=True)
        time.sleep(1.1)
        status, later = scrape()
        check("churn: after the next rediscovery none is left, and the fds are back (%d)" % base,
              status == 200 and not any('netns="%s"' % n in later for n in churn)
              and fds(later) == base, "status %s fds %d" % (status, fds(later)))
    finally:
        nstest.stop(d)


def main():
    probe, exporter = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        skip_all("needs root (setns, fsopen, ip netns)")
    for tool in ("ip", "unshare", "nsenter"):
        if not shutil.which(tool):
            skip_all("%s not installed" % tool)
    sleeper = None
    try:
        for name in NAMED:
            run(["ip", "netns", "add", name])
        sleeper = subprocess.Popen(["unshare", "--net", "sleep", "120"])
        for _ in range(100):
            if os.stat("/proc/%d/ns/net" % sleeper.pid).st_ino != os.stat("/proc/self/ns/net").st_ino:
                break
            time.sleep(0.02)
        spaces = [Ns(n, ["ip", "netns", "exec", n], "/run/netns/" + n, i)
                  for i, n in enumerate(NAMED)]
        spaces.append(Ns("pid-%d" % sleeper.pid, ["nsenter", "-t", str(sleeper.pid), "-n"],
                         "/proc/%d/ns/net" % sleeper.pid, 2))
        for ns in spaces:
            k = ns.index
            ns.sh("ip", "link", "set", "lo", "up")
            ns.sh("ip", "link", "add", "nd%d%da" % (PID % 1000, k), "type", "veth",
                  "peer", "name", "nd%d%db" % (PID % 1000, k))
            ns.sh("sysctl", "-qw", "net.ipv4.tcp_fin_timeout=%d" % (21 + k),
                  "net.core.somaxconn=%d" % (1021 + k))
            ns.sh(PY, "-c", SEND, str(3 + 2 * k))
        host_fin = open("/proc/sys/net/ipv4/tcp_fin_timeout").read().strip()

        # ---- facts ----
        facts = dict(l.split("=", 1) for l in run([probe, "facts", spaces[0].path,
                                                      "nd%d0a" % (PID % 1000)]).splitlines())
        want = {
            "thread.proc_self_net": "host", "thread.proc_net": "host",
            "thread.proc_thread_self_net": "ns", "thread.sysctl": "21",
            "thread.host_proc_root_sys": "21",
            "exited.kept_dev_fd": "ns", "exited.kept_sysctl_fd": "21",
            "exited.thread_self_dir": "error:No such file or directory",
            "exited.sys_dir_opened_inside": host_fin,
            "exited.sys_net_ipv4_opened_inside": "21", "exited.netlink": "ns",
            "alive.thread_self_dir": "ns", "alive.netlink": "ns",
        }
        for key, value in want.items():
            check("fact %s = %s" % (key, value), facts.get(key) == value, facts.get(key))

        # ---- contexts ----
        out = run([probe, "read", "/proc", "/sys"] + [ns.path for ns in spaces])
        for ns in spaces:
            lines = [l.split() for l in out.splitlines() if l.startswith(ns.label + " ")]
            truth = proc_net_dev(ns.sh("cat", "/proc/net/dev"))
            for when in ("inside", "outside"):
                got = {l[2]: l[3:] for l in lines if l[1] == when}
                check("%s: net/dev read %s the namespace = its own /proc/net/dev" %
                      (ns.label, when), got == truth, "%s vs %s" % (got, truth))
                for key in ("tcp_fin_timeout", "somaxconn"):
                    vals = {l[3] for l in lines if l[1] == when + "-sysctl" and l[2] == key}
                    real = ns.sh("sysctl", "-n", "net.%s.%s" % (
                        "ipv4" if key == "tcp_fin_timeout" else "core", key)).strip()
                    check("%s: %s read %s = %s" % (ns.label, key, when, real), vals == {real}, vals)
            check("%s: entered both times" % ns.label,
                  [l for l in lines if l[1] == "entered"] == [[ns.label, "entered", "0"]] * 2)
            links = {l[2] for l in lines if l[1] == "link"}
            real = set(re.findall(r"^\d+: ([^:@]+)", ns.sh("ip", "-o", "link"), re.M))
            check("%s: links over the context's netlink socket = ip link" % ns.label,
                  links == real, "%s vs %s" % (links, real))
            metrics = {l[2].split(" ")[0]: l[3] for l in lines if l[1] == "metric"}
            lo_rx = metrics.get('netstack_netdev_receive_bytes_total{netns="%s",device="lo"}'
                                % ns.label)
            check("%s: netdev collector, lo rx bytes = %s, labelled netns" %
                  (ns.label, truth["lo"][0]), lo_rx == truth["lo"][0], lo_rx)
            fin = metrics.get('netstack_sysctl_net_ipv4_tcp_fin_timeout{netns="%s"}' % ns.label)
            check("%s: sysctl collector, tcp_fin_timeout %d" % (ns.label, 21 + ns.index),
                  fin == str(21 + ns.index), fin)
            check("%s: no errors" % ns.label,
                  not [l for l in lines if "error" in l[1]], [l for l in lines if "error" in l[1]])
        rx = [int(proc_net_dev(ns.sh("cat", "/proc/net/dev"))["lo"][1]) for ns in spaces]
        check("the three loopbacks carried different traffic", len(set(rx)) == 3, rx)

        # ---- discovery ----
        def discover(sources):
            found = {}
            for line in run([probe, "discover", "/proc", "/run/netns", sources]).splitlines():
                if line.startswith("ns "):
                    f = dict(kv.split("=", 1) for kv in line.split()[1:])
                    found.setdefault(f["label"], []).append(f)
            return found

        self_ino = str(os.stat("/proc/self/ns/net").st_ino)
        c_ino = str(os.stat(spaces[2].path).st_ino)
        both = discover("named,processes")
        check("discovery: the host namespace once, itself",
              [f["inode"] for f in both.get("(self)", [])] == [self_ino], both.get("(self)"))
        for name in NAMED:
            f = both.get(name, [])
            check("discovery: %s by name, once, with its inode" % name,
                  len(f) == 1 and f[0]["inode"] == str(os.stat("/run/netns/" + name).st_ino), f)
        f = both.get("inode:" + c_ino, [])
        check("discovery: the unnamed one as inode:%s, member the sleeper (comm sleep)" % c_ino,
              len(f) == 1 and f[0]["pid"] == str(sleeper.pid) and f[0]["comm"] == "sleep", f)
        check("discovery: every label once", all(len(v) == 1 for v in both.values()))
        named = discover("named")
        check("discovery, named only: not the unnamed one",
              "inode:" + c_ino not in named and all(n in named for n in NAMED))
        procs = discover("processes")
        check("discovery, processes only: the unnamed one, not the process-less named ones",
              "inode:" + c_ino in procs and not any(n in procs for n in NAMED))
        check("discovery, no sources: only the host's", list(discover("")) == ["(self)"])

        # ---- the daemon ----
        daemon_checks(exporter, spaces, sleeper, host_fin)
    finally:
        if sleeper:
            nstest.stop(sleeper)
        for name in NAMED:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())
