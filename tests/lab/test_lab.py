#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Live lab: the real daemon scraped by a real Prometheus that evaluates the
project's alerting and recording rules, in network namespaces; faults are
induced for real and must fire the expected alerts, a healthy lab none.

Usage: test_lab.py <path-to-netstack_exporter> <source-dir>

Lab (every name and address private to this run, all deleted on exit):

    SRV namespace  10.201.R.1/24 on vsrv  <-- veth -->  vpeer 10.201.R.2/24  PEER namespace
      netstack_exporter on 127.0.0.1:<free port>  (tcp udp conntrack qdisc ethtool on)
      prometheus        on 127.0.0.1:<free port>  (scrape and evaluation every 1 s,
                                                   temp storage dir)
      vsrv root htb 1:  class 1:10 100kbit + pfifo limit 5 (UDP to port 9)
                        class 1:20 (default) + fq_codel
      nftables: conntrack on, everything but UDP to FILL_PORT exempt (notrack)

Rules: config/prometheus/netstack-rules.yml and netstack-alerts.yml,
rendered into a temp copy with every `for:` set to 2s, every range and
offset duration to 20s and every group interval to 1s (promtool check rules
must accept both the originals and the copy).

  1. healthy: TCP connections accepted and read, UDP datagrams read, a few
     conntrack entries, traffic through both htb classes for 25 s. Every rule
     evaluates without error, every recording rule has series (except the
     ones listed in NO_SERIES_IN_LAB, with the reason), and no alert is
     pending or firing (except HEALTHY_ALLOWED, with the reason).
  2. faults, all at once, bounded to 100 s:
       conntrack: the GLOBAL net.netfilter.nf_conntrack_max is lowered to
         LIMIT (restored in a finally block, even on failure) and
         LIMIT + 150 UDP flows sent from PEER to SRV, every second;
       accept queue: a listener with listen(1) that never accepts, new
         connections from PEER every second;
       htb: 200 datagrams/s of 1000 bytes through class 1:10 (100 kbit/s);
       UDP: a socket with the smallest SO_RCVBUF that is never read, 50
         datagrams/s from PEER.
     Prometheus's /api/v1/alerts must show every alert of EXPECTED firing;
     any other firing alert must be in FAULT_ALLOWED (with the reason). The
     faults themselves are checked from the raw series too (entries ==
     limit, class 1:10 drops, queue length > max, socket drops).
  3. dashboards (tests/lab/test_dashboards.py live_check): every panel
     query of dashboards/*.json, variables substituted, parses and returns
     data on this Prometheus unless listed in tests/lab/allowed-empty.json.

Exit status: 0 passed, 1 failed, 77 skipped (not root, a tool or collector
missing). The whole run is bounded by an alarm (270 s).
"""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_dashboards  # noqa: E402
from labkit import (  # noqa: E402
    Timeout, lab_args, log, in_netns, http_ok, wait_for, shorten_rules, start_prometheus, stop,
    print_log_tails)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip_all  # noqa: E402

PID = os.getpid()
SRV = "nslab-%d-s" % PID
PEER = "nslab-%d-p" % PID
R = PID % 250 + 1
IP_S = "10.201.%d.1" % R
IP_P = "10.201.%d.2" % R
JOB = "netstack-lab"
MAX_PATH = "/proc/sys/net/netfilter/nf_conntrack_max"
LIMIT = 400            # global nf_conntrack_max during the fault
FILL_PORT = 31000      # the only traffic conntrack tracks in SRV
TCP_OK_PORT = 31080    # healthy listener
TCP_AQ_PORT = 31081    # listen(1), never accept()s
UDP_OK_PORT = 31053    # healthy UDP socket, read
UDP_OV_PORT = 31054    # tiny SO_RCVBUF, never read
HTB_PORT = 9           # classified into 1:10
FQ_PORT = 7            # default class 1:20
FOR = "2s"
RANGE = "20s"
HEALTHY_SECONDS = 25
FAULT_SECONDS = 100
ALARM = 270

# alert -> (the fault that must fire it, labels its firing instance must carry)
EXPECTED = {
    "NetstackConntrackTableFilling": ("conntrack table filled to nf_conntrack_max", {}),
    "NetstackConntrackTableNearlyFull": ("conntrack table filled to nf_conntrack_max", {}),
    "NetstackConntrackDropping": ("conntrack table full, new flows dropped", {}),
    "NetstackTCPListenOverflows": ("accept queue of the listen(1) listener overflowed", {}),
    "NetstackTCPAcceptQueueFilling": ("accept queue of the listen(1) listener full",
                                      {"address": IP_S, "port": str(TCP_AQ_PORT)}),
    "NetstackQdiscDrops": ("htb class 1:10 drops 90% of 200 packets/s",
                           {"device": "vsrv", "kind": "htb"}),
    "NetstackUDPReceiveBufferErrors": ("UDP socket with a full receive buffer", {}),
    "NetstackUDPPortDrops": ("UDP socket with a full receive buffer",
                             {"address": IP_S, "port": str(UDP_OV_PORT)}),
}
# Overview panels that must show the faults (instant value at the fault's
# peak): (panel title, refId) -> (minimum of the largest value, what).
OVERVIEW_SHOWS = {
    ("Conntrack table fill", "A"): (0.99, "table fill 100%"),
    ("Conntrack drops and failures", "A"): (1, "drops per second"),
    ("Listener accept queue fill (worst listener)", "A"): (1, "a full accept queue"),
    ("Listen queue overflows and drops", "A"): (0.01, "overflows per second"),
    ("UDP socket drops", "A"): (1, "socket drops per second"),
    ("UDP errors", "A"): (1, "receive buffer errors per second"),
    ("Qdisc drops", "A"): (10, "qdisc drops per second"),
    ("Class drops", "A"): (10, "class drops per second"),
    ("Firing and pending netstack alerts", "A"): (len(EXPECTED), "the firing alerts listed"),
}
# Alerts that may fire too while the faults run, and why.
FAULT_ALLOWED = {
    "NetstackConntrackExhaustionForecast":
        "the fill makes entries climb steeply; with the 20 s window predict_linear "
        "extrapolates them past the limit (the real rule looks at 6 h)",
    "NetstackRmemMaxLow":
        "info: rmem_max is the kernel default (< 16 MiB) and the overflowed UDP socket "
        "causes receive buffer errors, which is exactly what this audit reports",
    "NetstackSomaxconnLow":
        "info: fires with listen overflows when somaxconn < 4096 (a host with a lowered "
        "somaxconn)",
    "NetstackConntrackInsertFailed":
        "a full table can make concurrent inserts of the fill flows fail",
}
# Alerts a healthy lab may fire, and why. None: the tuning advice that
# describes settings (true on many healthy hosts) is the opt-in
# netstack-tuning.yml, which the lab does not load (test_alerts_idle.py
# evaluates it and prints what it finds).
HEALTHY_ALLOWED = {}
# Recording rules that have no series in this lab, and why.
NO_SERIES_IN_LAB = {
    "instance_chain:netstack_nftables_chain_policy_packets:rate5m":
        "base chains report policy counters only when created with counters "
        "(iptables-nft does); the lab's ruleset is written with nft",
    "instance_device:netstack_netdev_receive_utilisation:ratio":
        "needs a device with a known speed in the rate window; veth reports one, but only "
        "once two scrapes of its counters exist, so this is not asserted",
    "instance_device:netstack_netdev_transmit_utilisation:ratio":
        "as receive_utilisation",
    "instance:netstack_tcp_memory_pressure_threshold:ratio":
        "net.ipv4.tcp_mem is not visible inside a network namespace other than the "
        "initial one, so the sysctl collector cannot read it there",
    "instance:netstack_tcp_memory_limit:ratio": "as memory_pressure_threshold",
    "instance_destination:netstack_tcp_ephemeral_ports:ratio":
        "needs a client socket in ip_local_port_range at the scrape; Prometheus's "
        "keep-alive connection usually is one, but not asserted",
}

PY = "/usr/bin/python3"


def on_alarm(signum, frame):
    raise Timeout("lab test exceeded %d s" % ALARM)


def on_term(signum, frame):
    # meson's timeout sends SIGTERM: unwind through the finally blocks so the
    # global nf_conntrack_max is restored and the lab removed.
    raise Timeout("terminated by signal %d" % signum)


def run(cmd, check_rc=True, timeout=30, input_text=None):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input_text)
    if check_rc and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode,
                                                 (r.stderr or r.stdout).strip()))
    return r


def nsx(ns, *cmd, **kw):
    return run(["ip", "netns", "exec", ns] + list(cmd), **kw)


# ---------------------------------------------------------------- rules

def render_rules(src, out_dir):
    return {name: shorten_rules(src, name, out_dir, RANGE, for_=FOR)[0]
            for name in ("netstack-rules.yml", "netstack-alerts.yml")}


def rule_names(src):
    import yaml
    alerts, records = [], []
    for name in ("netstack-rules.yml", "netstack-alerts.yml"):
        with open(os.path.join(src, "config", "prometheus", name)) as fh:
            for g in yaml.safe_load(fh).get("groups", []):
                for r in g.get("rules", []):
                    (alerts if "alert" in r else records).append(r.get("alert") or r["record"])
    return alerts, records


# ---------------------------------------------------------------- prometheus

class Prom:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def get(self, path, params=None, timeout=10):
        with in_netns(SRV):
            return test_dashboards.prom_get(self.base, path, params or {}, timeout=timeout)

    def query(self, expr):
        r = self.get("/api/v1/query", {"query": expr})
        if r.get("status") != "success":
            raise RuntimeError("query %s: %s" % (expr, r.get("error")))
        return r["data"]["result"]

    def value(self, expr):
        res = self.query(expr)
        return float(res[0]["value"][1]) if res else None

    def alerts(self):
        r = self.get("/api/v1/alerts")
        return r.get("data", {}).get("alerts", []) if r.get("status") == "success" else None


def free_port():
    with in_netns(SRV):
        return nstest.free_port()


# ---------------------------------------------------------------- lab

def setup_lab():
    run(["ip", "netns", "add", SRV])
    run(["ip", "netns", "add", PEER])
    run(["ip", "link", "add", "vsrv", "netns", SRV, "type", "veth", "peer", "name", "vpeer",
         "netns", PEER])
    for ns, dev, ip in ((SRV, "vsrv", IP_S), (PEER, "vpeer", IP_P)):
        nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        nsx(ns, "ip", "addr", "add", ip + "/24", "dev", dev)
        nsx(ns, "ip", "link", "set", "lo", "up")
        nsx(ns, "ip", "link", "set", dev, "up")
    tc = [["qdisc", "add", "dev", "vsrv", "root", "handle", "1:", "htb", "default", "20"],
          ["class", "add", "dev", "vsrv", "parent", "1:", "classid", "1:1", "htb", "rate",
           "1gbit"],
          ["class", "add", "dev", "vsrv", "parent", "1:1", "classid", "1:10", "htb", "rate",
           "100kbit", "ceil", "100kbit"],
          ["class", "add", "dev", "vsrv", "parent", "1:1", "classid", "1:20", "htb", "rate",
           "500mbit", "ceil", "1gbit"],
          ["qdisc", "add", "dev", "vsrv", "parent", "1:10", "handle", "10:", "pfifo", "limit",
           "5"],
          ["filter", "add", "dev", "vsrv", "parent", "1:", "protocol", "ip", "prio", "1", "u32",
           "match", "ip", "protocol", "17", "0xff", "match", "ip", "dport", str(HTB_PORT),
           "0xffff", "flowid", "1:10"]]
    for t in tc:
        nsx(SRV, "tc", *t)
    # fq_codel for the default class when the kernel has it (sch_fq_codel)
    r = nsx(SRV, "tc", "qdisc", "add", "dev", "vsrv", "parent", "1:20", "handle", "20:",
            "fq_codel", check_rc=False)
    if r.returncode != 0:
        log("no fq_codel in this kernel (%s): class 1:20 keeps its default leaf"
            % r.stderr.strip())
    nsx(SRV, "nft", "-f", "-", input_text="""
table inet lab {
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    iifname "vsrv" udp dport %d accept
    notrack
  }
  chain out {
    type filter hook output priority raw; policy accept;
    notrack
  }
  set blocklist {
    type ipv4_addr; size 100
    elements = { 192.0.2.1, 192.0.2.2, 192.0.2.3 }
  }
  quota lab_quota { 1000000000 bytes }
  chain in {
    type filter hook input priority filter; policy accept;
    ct state invalid counter
    ip saddr @blocklist counter drop comment "blocklist"
    udp dport %d counter quota name "lab_quota" comment "fill port"
  }
}
""" % (FILL_PORT, FILL_PORT))


def teardown_lab():
    for ns in (SRV, PEER):
        run(["ip", "netns", "del", ns], check_rc=False)


class Apps:
    """The lab's sockets: servers in SRV, clients in PEER (one process)."""

    def __init__(self):
        self.socks = []
        with in_netns(SRV):
            self.tcp_ok = self._sock(socket.SOCK_STREAM)
            self.tcp_ok.bind((IP_S, TCP_OK_PORT))
            self.tcp_ok.listen(128)
            self.tcp_ok.setblocking(False)
            self.udp_ok = self._sock(socket.SOCK_DGRAM)
            self.udp_ok.bind((IP_S, UDP_OK_PORT))
            self.udp_ok.setblocking(False)
            self.tx = self._sock(socket.SOCK_DGRAM)
            self.tx.setblocking(False)
            # The htb flood goes out of a raw IP socket carrying a UDP header
            # of its own: a UDP socket would have every qdisc drop counted
            # as Udp SndbufErrors (udp_sendmsg), firing
            # NetstackUDPSendBufferErrors too, which is not this fault.
            self.raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
            self.raw.setblocking(False)
            self.socks.append(self.raw)
        with in_netns(PEER):
            self.ptx = self._sock(socket.SOCK_DGRAM)
            self.ptx.setblocking(False)
        self.fill = []
        self.aq_clients = []
        self.tcp_aq = None
        self.udp_ov = None

    def _sock(self, kind):
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socks.append(s)
        return s

    def close(self):
        for s in self.socks + self.fill + self.aq_clients:
            try:
                s.close()
            except OSError:
                pass

    @staticmethod
    def _send(s, data, addr):
        try:
            s.sendto(data, addr)
        except (BlockingIOError, OSError):
            pass

    def healthy_tick(self):
        clients = []
        with in_netns(PEER):
            for _ in range(3):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                c.settimeout(2)
                try:
                    c.connect((IP_S, TCP_OK_PORT))
                    c.sendall(b"hello\n")
                except OSError:
                    pass
                clients.append(c)
            # a couple of tracked flows (conntrack has entries to show)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._send(u, b"ct", (IP_S, FILL_PORT))
            u.close()
        for _ in range(10):
            self._send(self.ptx, b"x" * 100, (IP_S, UDP_OK_PORT))
        end = time.monotonic() + 0.5
        accepted = 0
        while accepted < len(clients) and time.monotonic() < end:
            try:
                a, _ = self.tcp_ok.accept()
            except BlockingIOError:
                time.sleep(0.02)
                continue
            a.settimeout(1)
            try:
                a.recv(100)
            except OSError:
                pass
            a.close()
            accepted += 1
        for c in clients:
            c.close()
        for _ in range(20):
            try:
                self.udp_ok.recv(2048)
            except BlockingIOError:
                break
        for _ in range(3):
            self._send(self.tx, b"h" * 200, (IP_P, HTB_PORT))
        for _ in range(20):
            self._send(self.tx, b"f" * 200, (IP_P, FQ_PORT))

    def start_faults(self):
        with in_netns(SRV):
            self.tcp_aq = self._sock(socket.SOCK_STREAM)
            self.tcp_aq.bind((IP_S, TCP_AQ_PORT))
            self.tcp_aq.listen(1)
            self.udp_ov = self._sock(socket.SOCK_DGRAM)
            self.udp_ov.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            self.udp_ov.bind((IP_S, UDP_OV_PORT))
        with in_netns(PEER):
            for _ in range(LIMIT + 150):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.setblocking(False)
                s.bind((IP_P, 0))
                self.fill.append(s)

    def fault_tick(self):
        for s in self.fill:
            self._send(s, b"fill", (IP_S, FILL_PORT))
        if len(self.aq_clients) < 200:
            with in_netns(PEER):
                for _ in range(4):
                    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    c.setblocking(False)
                    try:
                        c.connect((IP_S, TCP_AQ_PORT))
                    except (BlockingIOError, OSError):
                        pass
                    self.aq_clients.append(c)
        for _ in range(50):
            self._send(self.ptx, b"u" * 500, (IP_S, UDP_OV_PORT))
        dgram = struct.pack("!HHHH", 40009, HTB_PORT, 8 + 1000, 0) + b"d" * 1000
        for _ in range(200):
            self._send(self.raw, dgram, (IP_P, 0))


# ---------------------------------------------------------------- phases

def alert_states(prom, labels=None):
    al = prom.alerts()
    if al is None:
        return None
    out = {}
    for a in al:
        name = a["labels"].get("alertname")
        st = a.get("state")
        if labels is not None and st == "firing":
            labels.setdefault(name, []).append(a["labels"])
        if out.get(name) != "firing":
            out[name] = st
    return out


def healthy_phase(prom, apps, alerts, records):
    log("healthy phase: %d s of normal traffic" % HEALTHY_SECONDS)
    end = time.monotonic() + HEALTHY_SECONDS
    while time.monotonic() < end:
        apps.healthy_tick()
        time.sleep(0.5)
    r = prom.get("/api/v1/rules")
    groups = r.get("data", {}).get("groups", [])
    loaded = [x.get("name") for g in groups for x in g.get("rules", [])]
    check("Prometheus loaded every rule (%d alerts, %d recording rules)"
          % (len(alerts), len(records)),
          sorted(loaded) == sorted(alerts + records),
          "missing %s" % sorted(set(alerts + records) - set(loaded)))
    bad = ["%s: %s" % (x.get("name"), x.get("lastError")) for g in groups
           for x in g.get("rules", []) if x.get("health") != "ok"]
    check("every rule evaluates without error", not bad, "; ".join(bad[:5]))
    check("the daemon is up and every collector succeeds",
          prom.value('min(up{job="%s"})' % JOB) == 1 and
          prom.value('min(netstack_scrape_collector_success{job="%s"})' % JOB) == 1,
          str(prom.query('netstack_scrape_collector_success{job="%s"} == 0' % JOB)))
    for rec in records:
        n = len(prom.query(rec))
        if rec in NO_SERIES_IN_LAB:
            log("recording rule %s: %d series (not asserted: %s)"
                % (rec, n, NO_SERIES_IN_LAB[rec][:50]))
            continue
        check("recording rule %s has series in the healthy lab" % rec, n > 0)
    states = alert_states(prom) or {}
    for name, st in sorted(states.items()):
        if name in HEALTHY_ALLOWED:
            log("healthy lab: %s %s (allowed: %s)" % (name, st, HEALTHY_ALLOWED[name]))
    unexpected = {n: s for n, s in states.items() if n not in HEALTHY_ALLOWED}
    check("healthy lab: no alert pending or firing", not unexpected, str(unexpected))


def fault_phase(prom, apps, state):
    saved = open(MAX_PATH).read().strip()
    if int(saved) <= LIMIT:
        raise RuntimeError("net.netfilter.nf_conntrack_max is already %s (<= %d): an earlier "
                           "run may have been killed before restoring it; set it back "
                           "(262144 is a common default) and rerun" % (saved, LIMIT))
    log("fault phase: nf_conntrack_max %s -> %d (global, restored in finally)" % (saved, LIMIT))
    state["saved_max"] = saved
    with open(MAX_PATH, "w") as fh:
        fh.write(str(LIMIT))
    apps.start_faults()
    end = time.monotonic() + FAULT_SECONDS
    states = {}
    labels = {}
    while time.monotonic() < end:
        apps.fault_tick()
        labels = {}
        states = alert_states(prom, labels) or {}
        missing = [a for a in EXPECTED if states.get(a) != "firing"]
        if not missing:
            break
        time.sleep(1)
    state["fault_time"] = time.time()
    log("alerts after %.0f s of faults: %s" % (FAULT_SECONDS - max(0, end - time.monotonic()),
                                              json.dumps(states, sort_keys=True)))
    for a, (why, want) in EXPECTED.items():
        check("fault fires %s (%s)" % (a, why), states.get(a) == "firing",
              "state %s" % states.get(a))
        got = labels.get(a, [])
        check("%s fires for job %s%s" % (a, JOB, (" and " + str(want)) if want else ""),
              any(all(lb.get(k) == v for k, v in dict(want, job=JOB).items()) for lb in got),
              "firing with %s" % got)
    other = {n: s for n, s in states.items()
             if s == "firing" and n not in EXPECTED and n not in FAULT_ALLOWED
             and n not in HEALTHY_ALLOWED}
    check("faults fire no unrelated alert", not other, str(other))
    # the faults themselves, from the raw series
    sel = 'job="%s",netns=""' % JOB  # the SRV namespace (the daemon's own)
    check("conntrack entries reached the limit %d" % LIMIT,
          prom.value("max_over_time(netstack_conntrack_entries{%s}[2m])" % sel) == LIMIT and
          prom.value("netstack_conntrack_entries_limit{%s}" % sel) == LIMIT)
    check("conntrack drops counted",
          (prom.value("sum(increase(netstack_conntrack_drop_total{%s}[2m]))" % sel) or 0) > 0)
    check("htb class 1:10 dropped packets",
          (prom.value('sum(increase(netstack_qdisc_class_drops_total{%s,device="vsrv",'
                      'classid="1:10"}[2m]))' % sel) or 0) > 0)
    check("listener :%d accept queue above its capacity" % TCP_AQ_PORT,
          (prom.value('max_over_time(netstack_tcp_listener_queue_length{%s,port="%d"}[2m])'
                      % (sel, TCP_AQ_PORT)) or 0) >
          (prom.value('netstack_tcp_listener_queue_max{%s,port="%d"}' % (sel, TCP_AQ_PORT))
           or 99))
    check("UDP socket :%d dropped datagrams" % UDP_OV_PORT,
          (prom.value('increase(netstack_udp_drops_total{%s,port="%d"}[2m])'
                      % (sel, UDP_OV_PORT)) or 0) > 0)


def overview_shows_faults(src, prom, instance, when):
    """The overview's panels show the faults (instant query at the peak)."""
    with open(os.path.join(src, "dashboards", "overview.json")) as fh:
        ov = json.load(fh)
    targets = {(p["title"], t["refId"]): t["expr"] for p in test_dashboards.panels_of(ov)
               for t in p.get("targets", [])}
    subs = {"$job": JOB, "$instance": instance, "$__rate_interval": "1m", "$netns": ""}
    for key, (minimum, what) in OVERVIEW_SHOWS.items():
        if not check("overview panel %s / %s exists" % key, key in targets):
            continue
        expr = test_dashboards.substitute(targets[key], subs)
        r = prom.get("/api/v1/query", {"query": expr, "time": when})
        vals = [float(x["value"][1]) for x in (r.get("data") or {}).get("result", [])]
        if key[0].startswith("Firing"):
            vals = [float(len(vals))]
        best = max(vals) if vals else None
        check("overview %s / %s shows %s (max %s >= %s)" % (key + (what, best, minimum)),
              best is not None and best >= minimum, expr)


def restore_max(state):
    saved = state.pop("saved_max", None)
    if saved is None:
        return
    with open(MAX_PATH, "w") as fh:
        fh.write(saved)
    check("global nf_conntrack_max restored to %s" % saved,
          open(MAX_PATH).read().strip() == saved)


# ---------------------------------------------------------------- main

def main():
    daemon, src = lab_args(__doc__, "network namespaces, tc, nftables, nf_conntrack_max",
                           ("ip", "tc", "nft", "prometheus", "promtool"))
    for f in ("netstack-alerts.yml", "netstack-rules.yml"):
        if not os.path.exists(os.path.join(src, "config", "prometheus", f)):
            skip_all("config/prometheus/%s does not exist" % f)
    if not os.path.exists(MAX_PATH):
        skip_all("no nf_conntrack in this kernel (%s)" % MAX_PATH)
    helptext = run([daemon, "--help"], check_rc=False).stdout
    for c in ("tcp", "udp", "conntrack", "qdisc", "ethtool"):
        if "--collector.%s." % c not in helptext and "collector.%s " % c not in helptext:
            skip_all("the daemon is built without the %s collector" % c)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(ALARM)
    tmp = tempfile.mkdtemp(prefix="netstack-lab-")
    daemon_p = prom_p = None
    apps = None
    state = {}
    try:
        rendered = render_rules(src, tmp)
        for name in ("netstack-rules.yml", "netstack-alerts.yml"):
            orig = os.path.join(src, "config", "prometheus", name)
            for p in (orig, rendered[name]):
                r = run(["promtool", "check", "rules", p], check_rc=False)
                check("promtool check rules %s" % os.path.relpath(p, src) if p == orig else
                      "promtool check rules (rendered %s)" % name, r.returncode == 0,
                      (r.stdout + r.stderr).strip()[-500:])
        alerts, records = rule_names(src)

        setup_lab()
        dport, pport = free_port(), free_port()
        while pport == dport:
            pport = free_port()
        log("lab %s/%s; daemon 127.0.0.1:%d, prometheus 127.0.0.1:%d in %s"
            % (SRV, PEER, dport, pport, SRV))
        dlog = open(os.path.join(tmp, "daemon.log"), "w")
        daemon_p = subprocess.Popen(
            ["ip", "netns", "exec", SRV, daemon, "--web.listen-address=127.0.0.1:%d" % dport,
             "--collector.tcp", "--collector.udp", "--collector.conntrack",
             "--collector.qdisc", "--collector.ethtool",
             "--collector.conntrack.breakdown-interval=1", "--log.level=warn",
             # the PEER namespace too (netns="<PEER>"), for the namespaces dashboard
             # (default --netns.collectors; the fault checks select netns="")
             "--netns.sources=named", "--netns.include=^%s$" % PEER],
            stdout=dlog, stderr=subprocess.STDOUT)
        wait_for(lambda: http_ok(SRV, "http://127.0.0.1:%d/-/healthy" % dport), 20, "the daemon")
        prom_p = start_prometheus(SRV, tmp, [rendered["netstack-rules.yml"],
                                             rendered["netstack-alerts.yml"]], JOB, dport, pport)
        prom = Prom(pport)
        wait_for(lambda: http_ok(SRV, prom.base + "/-/ready"), 30, "Prometheus")
        instance = "127.0.0.1:%d" % dport
        wait_for(lambda: prom.value('up{job="%s"}' % JOB) == 1, 20, "the first scrape")
        start = time.time()
        apps = Apps()

        healthy_phase(prom, apps, alerts, records)
        fault_phase(prom, apps, state)
        restore_max(state)

        overview_shows_faults(src, prom, instance, state["fault_time"])
        log("dashboards: every panel query against this Prometheus")
        res = test_dashboards.Result()
        with in_netns(SRV):
            n = test_dashboards.live_check(src, prom.base, JOB, instance, start - 30,
                                           time.time(), res, log=log)
        check("dashboard queries (%d) parse and return data (%d checks failed)"
              % (n, res.failed), res.failed == 0 and n > 0)
    except Timeout as e:
        check("lab finished in time", False, str(e))
    except Exception as e:  # a setup step failed: report it, then clean up
        check("lab ran to the end", False, "%s: %s" % (type(e).__name__, e))
    finally:
        signal.alarm(0)
        try:
            restore_max(state)
        finally:
            if apps:
                apps.close()
            stop(prom_p, "prometheus", log)
            stop(daemon_p, "netstack_exporter", log)
            if nstest.failed:
                print_log_tails(tmp, ("daemon.log", "prometheus.log"), 2000)
            teardown_lab()
            shutil.rmtree(tmp, ignore_errors=True)
    log("lab done")
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())
