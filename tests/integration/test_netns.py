#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
End-to-end test of netstack_exporter inside network namespaces.

Usage: test_netns.py <path-to-netstack_exporter>

Builds two private network namespaces A and B joined by a veth pair
(vA in A, vB in B, 10.200.R.1/24 and 10.200.R.2/24), with IPv6 disabled and
static (permanent) neighbour entries so that the link carries no traffic
except what this test sends. The real daemon runs inside A and is scraped
over HTTP on A's loopback. The test then sends known traffic from B and
checks that the exported counters moved by exactly the expected amounts:

  * UDP: N datagrams of P payload bytes from B to a socket bound in A
      vA rx_packets +N, rx_bytes +N*(14+20+8+P), tx_packets +0,
      Udp InDatagrams +N (read by the receiver), OutDatagrams +0
  * ICMP: M echo requests (raw socket in B), answered by A's kernel
      vA rx/tx packets +M each, rx/tx bytes +M*(14+20+8+56),
      Icmp InEchos +M, OutEchoReps +M
  * sysctls written inside A (per-namespace) are exported with the
    namespace's values, not the host's
  * the device set is exactly A's devices (no host interface leaks in), and
    Tcp CurrEstab is 2 (the scrape's own connection, both ends in A)
  * every enabled collector reports netstack_scrape_collector_success 1
  * link state: vB down -> vA carrier 0 and oper_state == the kernel's,
    vA down -> netstack_netdev_up 0
  * SIGTERM -> the daemon exits 0

Exit status: 0 all passed, 1 some check failed, 77 skipped (no privileges).
Traffic stays inside the two namespaces; they are deleted on every exit.
"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip_all  # noqa: E402

PID = os.getpid()
NSA = "nsx-%d-a" % PID
NSB = "nsx-%d-b" % PID
R = PID % 250 + 1  # third octet: 10.200.R.0/24 (only inside our namespaces)
IPA = "10.200.%d.1" % R
IPB = "10.200.%d.2" % R
MACA = "02:c8:%02x:%02x:00:01" % ((PID >> 8) & 0xFF, PID & 0xFF)
MACB = "02:c8:%02x:%02x:00:02" % ((PID >> 8) & 0xFF, PID & 0xFF)
MTU = 1400  # distinctive, checked in the scrape
PORT = 19183  # daemon port on A's private loopback
UDP_PORT = 40123
N_UDP = 200
UDP_PAYLOAD = 100
N_ICMP = 50
ICMP_PAYLOAD = 56
ETH, IPV4, UDPH, ICMPH = 14, 20, 8, 8
PY = "/usr/bin/python3"


def run(cmd, check_rc=True, timeout=30, input_text=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input_text)
    if check_rc and p.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s%s" %
                           (p.returncode, " ".join(cmd), p.stdout, p.stderr))
    return p


def nsx(ns, *cmd, **kw):
    return run(["ip", "netns", "exec", ns] + list(cmd), **kw)


def read_ns_file(ns, path):
    return nsx(ns, "cat", path).stdout.strip()


# ---------------------------------------------------------------------------
# Exposition parsing (Prometheus text format 0.0.4)


def parse_labels(s, i):
    """Parse '{a="x",b="y"}' starting at s[i] == '{'; return (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        while i < len(s) and s[i] in " ,":
            i += 1
        if s[i] == "}":
            return labels, i + 1
        j = s.index("=", i)
        key = s[i:j].strip()
        if s[j + 1] != '"':
            raise ValueError("bad label value in %r" % s)
        i = j + 2
        val = []
        while s[i] != '"':
            if s[i] == "\\":
                nxt = s[i + 1]
                val.append({"n": "\n", "\\": "\\", '"': '"'}.get(nxt, "\\" + nxt))
                i += 2
            else:
                val.append(s[i])
                i += 1
        if key in labels:
            raise ValueError("duplicate label %s in %r" % (key, s))
        labels[key] = "".join(val)
        i += 1


def parse_exposition(text):
    """Return ({(name, frozenset(labels)): value}, [duplicate series])."""
    series, dups = {}, []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        i = 0
        while i < len(line) and line[i] not in "{ ":
            i += 1
        name = line[:i]
        labels = {}
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i)
        fields = line[i:].split()
        value = float(fields[0])
        key = (name, frozenset(labels.items()))
        if key in series:
            dups.append(line)
        series[key] = value
    return series, dups


class Scrape:
    def __init__(self, text):
        self.text = text
        self.series, self.dups = parse_exposition(text)

    def get(self, metric, /, **labels):
        return self.series.get((metric, frozenset(labels.items())))

    def label_values(self, name, label):
        return {dict(k[1]).get(label) for k in self.series if k[0] == name}

    def with_name(self, name):
        return {k[1]: v for k, v in self.series.items() if k[0] == name}


# ---------------------------------------------------------------------------
# Helpers run inside the namespaces with /usr/bin/python3 -c

CLIENT = r"""
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Accept": "text/plain"})
with urllib.request.urlopen(req, timeout=10) as r:
    body = r.read().decode()
    sys.stdout.write("%d %s\n" % (r.status, r.headers.get("Content-Type", "")))
    sys.stdout.write(body)
"""

UDP_RECEIVER = r"""
import socket, sys, time
ip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind((ip, port))
s.settimeout(0.5)
print("ready", flush=True)
got = nbytes = 0
deadline = time.monotonic() + 20
while got < n and time.monotonic() < deadline:
    try:
        d = s.recv(65536)
    except socket.timeout:
        continue
    got += 1
    nbytes += len(d)
print("%d %d" % (got, nbytes), flush=True)
"""

UDP_SENDER = r"""
import socket, sys, time
ip, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = b"N" * size
sent = 0
for i in range(n):
    if s.sendto(payload, (ip, port)) == size:
        sent += 1
    if i % 10 == 9:
        time.sleep(0.002)  # pace: never overrun the receiver's queue
print(sent, flush=True)
"""

ICMP_PINGER = r"""
import os, socket, struct, sys, time
dst, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF
ident = os.getpid() & 0xFFFF
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(0.2)
replies = 0
for seq in range(1, n + 1):
    payload = bytes((seq + k) & 0xFF for k in range(size))
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq) + payload
    s.sendto(pkt, (dst, 0))
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        ihl = (d[0] & 0x0F) * 4
        t, _, _, rid, rseq = struct.unpack("!BBHHH", d[ihl:ihl + 8])
        if t == 0 and rid == ident and rseq == seq and d[ihl + 8:] == payload:
            replies += 1
            break
print(replies, flush=True)
"""


def scrape(path="/metrics"):
    p = nsx(NSA, PY, "-c", CLIENT, "http://127.0.0.1:%d%s" % (PORT, path), check_rc=False,
            timeout=20)
    if p.returncode != 0:
        raise RuntimeError("scrape failed: %s" % p.stderr.strip().splitlines()[-1:])
    status_line, _, body = p.stdout.partition("\n")
    return status_line, body


def scrape_metrics():
    _, body = scrape()
    return Scrape(body)


def delta(s0, s1, name, **labels):
    a, b = s0.get(name, **labels), s1.get(name, **labels)
    if a is None or b is None:
        return None
    return b - a


def check_delta(what, s0, s1, name, expected, **labels):
    d = delta(s0, s1, name, **labels)
    lab = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    check("%s: %s%s moved by %d" % (what, name, "{%s}" % lab if lab else "", expected),
          d is not None and d == expected,
          "missing series" if d is None else "moved by %d" % d)


# ---------------------------------------------------------------------------


def setup_namespaces():
    for ns in (NSA, NSB):
        p = run(["ip", "netns", "add", ns], check_rc=False)
        if p.returncode != 0:
            err = p.stderr.strip()
            if "Operation not permitted" in err or "Permission denied" in err:
                skip_all("ip netns add: %s" % err)
            raise RuntimeError("ip netns add %s: %s" % (ns, err))
    for ns in (NSA, NSB):
        # No IPv6: no router solicitations, DAD or MLD reports on the veth.
        if nsx(ns, "test", "-d", "/proc/sys/net/ipv6", check_rc=False).returncode == 0:
            nsx(ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
            nsx(ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1")
        # No gratuitous ARP on link events.
        nsx(ns, "sysctl", "-q", "-w", "net.ipv4.conf.all.arp_notify=0")
    run(["ip", "-n", NSA, "link", "add", "vA", "address", MACA, "mtu", str(MTU), "type", "veth",
         "peer", "name", "vB", "address", MACB, "mtu", str(MTU), "netns", NSB])
    for ns, dev, ip, peer_ip, peer_mac in ((NSA, "vA", IPA, IPB, MACB),
                                           (NSB, "vB", IPB, IPA, MACA)):
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", ns, "addr", "add", ip + "/24", "dev", dev])
        run(["ip", "-n", ns, "neigh", "replace", peer_ip, "lladdr", peer_mac, "dev", dev, "nud",
             "permanent"])
        run(["ip", "-n", ns, "link", "set", dev, "up"])


def wait_ready(daemon_proc, log_path):
    deadline = time.monotonic() + 15
    last = ""
    for _ in range(150):
        if daemon_proc.poll() is not None:
            with open(log_path) as f:
                raise RuntimeError("daemon exited with %d:\n%s" % (daemon_proc.returncode,
                                                                   f.read()))
        try:
            scrape("/-/healthy")
            return
        except RuntimeError as e:
            last = str(e)
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    raise RuntimeError("daemon not ready after 15s: %s" % last)


def wait_line(proc, timeout):
    """Read one line from proc.stdout, waiting at most timeout seconds."""
    r, _, _ = select.select([proc.stdout], [], [], timeout)
    if not r:
        return None
    return proc.stdout.readline().strip()


def enabled_collectors(daemon):
    """Collectors listed as [enabled] by --help."""
    out = run([daemon, "--help"], check_rc=False).stdout
    names = set()
    in_list = False
    for line in out.splitlines():
        if line.startswith("Collectors"):
            in_list = True
            continue
        if in_list and line.startswith("  ") and not line.startswith("   "):
            parts = line.split()
            if len(parts) >= 2 and parts[1] == "[enabled]":
                names.add(parts[0])
    return names


def poll_scrape(cond, timeout=5.0):
    """Scrape until cond(scrape) holds (bounded); return the last scrape."""
    deadline = time.monotonic() + timeout
    s = scrape_metrics()
    for _ in range(50):
        if cond(s) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
        s = scrape_metrics()
    return s


def test_body(daemon, tmpdir):
    expected_collectors = enabled_collectors(daemon)
    check("--help lists enabled collectors (netdev, snmp, sysctl among them)",
          {"netdev", "snmp", "sysctl"} <= expected_collectors, str(sorted(expected_collectors)))

    setup_namespaces()

    # --once inside A: exit 0 and A's devices in the output.
    p = nsx(NSA, daemon, "--once", check_rc=False, timeout=30)
    check("--once in namespace A exits 0", p.returncode == 0,
          "rc=%d stderr=%s" % (p.returncode, p.stderr.strip()[-500:]))
    once = Scrape(p.stdout)
    check("--once output has netstack_netdev_up{device=\"vA\"} 1",
          once.get("netstack_netdev_up", device="vA") == 1)

    log_path = os.path.join(tmpdir, "daemon.log")
    log = open(log_path, "w")
    daemon_proc = subprocess.Popen(
        ["ip", "netns", "exec", NSA, daemon, "--web.listen-address=127.0.0.1:%d" % PORT,
         "--log.level=info"], stdout=log, stderr=subprocess.STDOUT)
    receiver = None
    try:
        wait_ready(daemon_proc, log_path)
        status, body = scrape("/metrics")
        check("GET /metrics in namespace A returns 200 text/plain",
              status.startswith("200 text/plain"), status)

        # -- quiet link: two scrapes 1 s apart see no vA traffic at all
        time.sleep(0.5)
        q0 = scrape_metrics()
        time.sleep(1.0)
        q1 = scrape_metrics()
        for name in ("netstack_netdev_receive_packets_total",
                     "netstack_netdev_transmit_packets_total"):
            check_delta("idle link", q0, q1, name, 0, device="vA")

        # -- namespace isolation: exactly A's devices, no host device
        a_devs = {l.split(":")[1].strip().split("@")[0]
                  for l in run(["ip", "-n", NSA, "-o", "link", "show"]).stdout.splitlines()}
        host_devs = {l.split(":")[1].strip().split("@")[0]
                     for l in run(["ip", "-o", "link", "show"]).stdout.splitlines()}
        scraped = q1.label_values("netstack_netdev_receive_packets_total", "device")
        check("device set equals namespace A's devices %s" % sorted(a_devs),
              scraped == a_devs, "scraped %s" % sorted(scraped))
        leaked = (host_devs - {"lo"}) & scraped
        check("no host device (%s) in A's scrape" % ",".join(sorted(host_devs - {"lo"})[:5]),
              not leaked, "leaked %s" % sorted(leaked))
        check("netstack_netdev_up{device=\"vA\"} == 1", q1.get("netstack_netdev_up",
                                                               device="vA") == 1)
        check("netstack_netdev_carrier{device=\"vA\"} == 1",
              q1.get("netstack_netdev_carrier", device="vA") == 1)
        check("netstack_netdev_mtu_bytes{device=\"vA\"} == %d" % MTU,
              q1.get("netstack_netdev_mtu_bytes", device="vA") == MTU,
              str(q1.get("netstack_netdev_mtu_bytes", device="vA")))
        info = [dict(k) for k in q1.with_name("netstack_netdev_info")
                if dict(k).get("device") == "vA"]
        check("netstack_netdev_info{device=\"vA\"} has address %s and kind veth" % MACA,
              len(info) == 1 and info[0].get("address") == MACA and info[0].get("kind") == "veth",
              str(info))
        check("no duplicate series in the scrape", not q1.dups, str(q1.dups[:3]))
        # A's only TCP connection while collecting is the scrape itself, seen
        # from both ends (client and server are both in A): exactly 2.
        check("netstack_snmp_tcp_curr_estab == 2 (only the scrape's own connection)",
              q1.get("netstack_snmp_tcp_curr_estab") == 2,
              str(q1.get("netstack_snmp_tcp_curr_estab")))

        # -- UDP: N datagrams B -> socket bound in A
        receiver = subprocess.Popen(
            ["ip", "netns", "exec", NSA, PY, "-c", UDP_RECEIVER, IPA, str(UDP_PORT), str(N_UDP)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = wait_line(receiver, 10)
        if line != "ready":
            raise RuntimeError("UDP receiver not ready: %r %s" % (line, receiver.stderr.read()
                                                                 if receiver.poll() is not None
                                                                 else ""))
        s0 = scrape_metrics()
        p = nsx(NSB, PY, "-c", UDP_SENDER, IPA, str(UDP_PORT), str(N_UDP), str(UDP_PAYLOAD),
                timeout=30)
        check("sender in B sent %d datagrams" % N_UDP, p.stdout.strip() == str(N_UDP),
              p.stdout.strip())
        line = wait_line(receiver, 25)
        receiver.wait(timeout=5)
        receiver = None
        check("receiver in A got %d datagrams, %d bytes" % (N_UDP, N_UDP * UDP_PAYLOAD),
              line == "%d %d" % (N_UDP, N_UDP * UDP_PAYLOAD), repr(line))
        s1 = scrape_metrics()
        frame = ETH + IPV4 + UDPH + UDP_PAYLOAD
        check_delta("UDP", s0, s1, "netstack_netdev_receive_packets_total", N_UDP, device="vA")
        check_delta("UDP", s0, s1, "netstack_netdev_receive_bytes_total", N_UDP * frame,
                    device="vA")
        check_delta("UDP", s0, s1, "netstack_netdev_transmit_packets_total", 0, device="vA")
        check_delta("UDP", s0, s1, "netstack_netdev_receive_dropped_total", 0, device="vA")
        check_delta("UDP", s0, s1, "netstack_snmp_udp_in_datagrams_total", N_UDP)
        check_delta("UDP", s0, s1, "netstack_snmp_udp_out_datagrams_total", 0)

        # -- ICMP echo: M requests from B, A's kernel answers
        s0 = scrape_metrics()
        p = nsx(NSB, PY, "-c", ICMP_PINGER, IPA, str(N_ICMP), str(ICMP_PAYLOAD), timeout=60)
        check("pinger in B got %d echo replies" % N_ICMP, p.stdout.strip() == str(N_ICMP),
              p.stdout.strip() + p.stderr.strip()[-300:])
        s1 = scrape_metrics()
        frame = ETH + IPV4 + ICMPH + ICMP_PAYLOAD
        for name, n in (("netstack_netdev_receive_packets_total", N_ICMP),
                        ("netstack_netdev_transmit_packets_total", N_ICMP),
                        ("netstack_netdev_receive_bytes_total", N_ICMP * frame),
                        ("netstack_netdev_transmit_bytes_total", N_ICMP * frame)):
            check_delta("ICMP", s0, s1, name, n, device="vA")
        check_delta("ICMP", s0, s1, "netstack_snmp_icmp_in_echos_total", N_ICMP)
        check_delta("ICMP", s0, s1, "netstack_snmp_icmp_out_echo_reps_total", N_ICMP)
        check_delta("ICMP", s0, s1, "netstack_snmp_udp_in_datagrams_total", 0)

        # -- per-namespace sysctls
        host_somaxconn = open("/proc/sys/net/core/somaxconn").read().strip()
        val = 1234 if host_somaxconn != "1234" else 1235
        nsx(NSA, "sysctl", "-q", "-w", "net.core.somaxconn=%d" % val)
        nsx(NSA, "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=20000 30000")
        ns_somaxconn = read_ns_file(NSA, "/proc/sys/net/core/somaxconn")
        ns_range = read_ns_file(NSA, "/proc/sys/net/ipv4/ip_local_port_range").split()
        check("A's /proc/sys/net/core/somaxconn reads %d" % val, ns_somaxconn == str(val),
              ns_somaxconn)
        check("A's ip_local_port_range reads 20000 30000", ns_range == ["20000", "30000"],
              str(ns_range))
        s = scrape_metrics()
        got = s.get("netstack_sysctl_net_core_somaxconn")
        check("netstack_sysctl_net_core_somaxconn == %s (A's value, host has %s)" %
              (ns_somaxconn, host_somaxconn), got is not None and got == int(ns_somaxconn),
              str(got))
        for idx, want in (("0", ns_range[0] if ns_range else None),
                          ("1", ns_range[1] if len(ns_range) > 1 else None)):
            got = s.get("netstack_sysctl_net_ipv4_ip_local_port_range", index=idx)
            check("netstack_sysctl_net_ipv4_ip_local_port_range{index=\"%s\"} == %s" % (idx, want),
                  got is not None and want is not None and got == int(want), str(got))
        cc = read_ns_file(NSA, "/proc/sys/net/ipv4/tcp_congestion_control")
        check("netstack_sysctl_info{name=\"net.ipv4.tcp_congestion_control\",value=\"%s\"} == 1"
              % cc, s.get("netstack_sysctl_info", name="net.ipv4.tcp_congestion_control",
                          value=cc) == 1)

        # -- every collector succeeded
        succ = {dict(k).get("collector"): v
                for k, v in s.with_name("netstack_scrape_collector_success").items()}
        check("netstack_scrape_collector_success covers exactly the enabled collectors %s"
              % sorted(expected_collectors), set(succ) == expected_collectors, str(sorted(succ)))
        bad = {c: v for c, v in succ.items() if v != 1}
        check("netstack_scrape_collector_success == 1 for every collector", succ and not bad,
              str(bad))

        # -- link state changes
        run(["ip", "-n", NSB, "link", "set", "vB", "down"])

        def kernel_operstate():
            j = json.loads(run(["ip", "-n", NSA, "-j", "link", "show", "vA"]).stdout)
            return j[0].get("operstate", "").lower()

        def scraped_operstates(x):
            return {dict(k)["state"] for k, v in x.with_name("netstack_netdev_oper_state").items()
                    if dict(k).get("device") == "vA" and v == 1}

        # operstate follows carrier through linkwatch, asynchronously: poll
        # until the kernel says vA is no longer up, then compare with a scrape.
        kstate = kernel_operstate()
        for _ in range(50):
            if kstate != "up":
                break
            time.sleep(0.1)
            kstate = kernel_operstate()
        s = poll_scrape(lambda x: scraped_operstates(x) == {kstate})
        check("vB down: netstack_netdev_carrier{device=\"vA\"} == 0",
              s.get("netstack_netdev_carrier", device="vA") == 0)
        check("vB down: netstack_netdev_oper_state{device=\"vA\"} is 1 exactly for the "
              "kernel's operstate \"%s\" (not up)" % kstate,
              kstate not in ("up", "") and scraped_operstates(s) == {kstate},
              "scraped %s" % sorted(scraped_operstates(s)))
        check("vB down: netstack_netdev_up{device=\"vA\"} still 1",
              s.get("netstack_netdev_up", device="vA") == 1)
        run(["ip", "-n", NSA, "link", "set", "vA", "down"])
        s = scrape_metrics()
        check("vA down: netstack_netdev_up{device=\"vA\"} == 0",
              s.get("netstack_netdev_up", device="vA") == 0)

        # -- clean shutdown
        daemon_proc.send_signal(signal.SIGTERM)
        try:
            rc = daemon_proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        check("daemon exits 0 on SIGTERM", rc == 0, "rc=%r" % rc)
    finally:
        if receiver is not None and receiver.poll() is None:
            receiver.kill()
            receiver.wait()
        if daemon_proc.poll() is None:
            daemon_proc.kill()
            daemon_proc.wait()
        log.close()
        if nstest.failed:
            with open(log_path) as f:
                tail = f.read()[-3000:]
            print("--- daemon log (tail) ---\n%s--- end ---" % tail)


def cleanup():
    for ns in (NSA, NSB):
        if os.path.exists("/run/netns/" + ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


def main():
    if len(sys.argv) != 2:
        print("usage: %s <netstack_exporter>" % sys.argv[0], file=sys.stderr)
        return 2
    daemon = os.path.abspath(sys.argv[1])
    if not os.access(daemon, os.X_OK):
        print("FAIL: daemon %s is not executable" % daemon)
        return 1
    if os.geteuid() != 0:
        skip_all("not root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)")
    for tool in ("ip", "sysctl"):
        if subprocess.run(["sh", "-c", "command -v " + tool], capture_output=True).returncode:
            skip_all("%s not installed" % tool)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    tmpdir = tempfile.mkdtemp(prefix="nsx-%d-" % PID)
    try:
        test_body(daemon, tmpdir)
    except Exception as e:  # any unexpected error is a failure, not a crash
        check("test aborted", False, "%s: %s" % (type(e).__name__, e))
    finally:
        cleanup()
        for f in os.listdir(tmpdir):
            os.unlink(os.path.join(tmpdir, f))
        os.rmdir(tmpdir)
        left = [ns for ns in (NSA, NSB) if os.path.exists("/run/netns/" + ns)]
        if left:
            check("namespaces left behind", False, str(left))
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())
