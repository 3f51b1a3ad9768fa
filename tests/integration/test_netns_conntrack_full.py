#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
One network namespace whose conntrack table is full while the host
namespace's is nearly empty (issue 10), on the real kernel.

Usage: test_netns_conntrack_full.py <path-to-ct_fill> <path-to-netstack_exporter>

nf_conntrack_max is global (read-only inside child namespaces) and other
namespaces on the host may hold many entries, so it is never lowered: the
test fills ONE namespace (netns3-PID-full) up to it instead. ct_fill
setns()es into the namespace and creates ASSURED UDP entries over ctnetlink,
batched on one socket, until the kernel refuses (ENOMEM: the namespace's
count reached nf_conntrack_max and nothing can be early-dropped). A first
run of 20,000 entries measures the rate; if the whole fill would take more
than 40 s the test is skipped (exit 77) with the rate and the reason.

Then one scrape of the daemon (--once, --netns.sources=named, included: the
test's namespace only):
  * netstack_conntrack_entries{netns="netns3-PID-full"} ==
    netstack_conntrack_entries_limit{netns=...} == nf_conntrack_max ==
    `ip netns exec ... conntrack -C`;
  * the host's netstack_conntrack_entries (no netns label) is the host's
    own count and far below the limit (under 1 %);
  * one more datagram in the full namespace (an nftables ct rule makes
    conntrack track it) cannot get an entry: the kernel counts a drop, and
    netstack_conntrack_drop_total{netns=...} moves by what `conntrack -S`
    inside says, while the host's does not move by it.
Timing is printed. The namespace (and its 262,144 entries with it) is
deleted on every exit.

Exit status: 0 all passed, 1 some check failed, 77 skipped.
"""
import os
import shutil
import subprocess
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip_all  # noqa: E402

NS = "netns3-%d-full" % os.getpid()
PROBE = 20000
MAX_FILL_S = 40.0
SEND = ("import socket\n"
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
        "try:\n s.sendto(b'x',('127.0.0.1',9))\nexcept OSError as e:\n print(e)\n")


def run(cmd, timeout=60, input=None):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input)
    if p.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s%s" %
                           (p.returncode, " ".join(cmd), p.stdout, p.stderr))
    return p.stdout


def nsx(*cmd, **kw):
    return run(["ip", "netns", "exec", NS] + list(cmd), **kw)


def fill(ct_fill, count, first):
    out = dict(l.split(" ", 1) for l in run([ct_fill, "/run/netns/" + NS, str(count),
                                              str(first)]).splitlines())
    return int(out["inserted"]), int(out["refused"]), int(out["errno"]), float(out["seconds"])


def ct_drops():
    """Sum of the drop column of `conntrack -S` inside the namespace."""
    total = 0
    for line in nsx("conntrack", "-S").splitlines():
        for f in line.split():
            if f.startswith("drop="):
                total += int(f[5:])
    return total


def scrape(exporter):
    t0 = time.monotonic()
    p = subprocess.run([exporter, "--once", "--collector.disable-defaults",
                        "--collector.conntrack", "--netns.sources=named",
                        "--netns.include=^%s$" % NS],
                       capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t0
    check("daemon --once exits 0 (%.2f s)" % took, p.returncode == 0, p.stderr[-300:])
    sums = {("ok", ""): 1}
    for fam in text_string_to_metric_families(p.stdout):
        for s in fam.samples:
            if s.name == "netstack_scrape_collector_success":
                sums[("ok", "")] = min(sums[("ok", "")], s.value)
            elif s.name.startswith("netstack_conntrack_"):
                key = (s.name, s.labels.get("netns", ""))
                sums[key] = sums.get(key, 0) + s.value
    return sums


def main():
    ct_fill, exporter = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        skip_all("needs root (setns, ctnetlink, ip netns)")
    for tool in ("ip", "conntrack", "nft"):
        if not shutil.which(tool):
            skip_all("%s not installed" % tool)
    if not os.path.exists("/proc/sys/net/netfilter/nf_conntrack_max"):
        skip_all("nf_conntrack not loaded")
    try:
        run(["ip", "netns", "add", NS])
        nsx("ip", "link", "set", "lo", "up")
        nsx("nft", "-f", "-", input="table inet netns3 {\n chain out {\n"
            "  type filter hook output priority 0;\n  ct state new counter\n }\n}\n")
        ctmax = int(open("/proc/sys/net/netfilter/nf_conntrack_max").read())
        check("nf_conntrack_max reads the same inside the namespace (%d)" % ctmax,
              int(nsx("cat", "/proc/sys/net/netfilter/nf_conntrack_max")) == ctmax)

        # a first batch measures the rate; skip rather than run for minutes
        n1, refused, err, s1 = fill(ct_fill, min(PROBE, ctmax), 0)
        rate = n1 / s1 if s1 > 0 else float("inf")
        estimate = ctmax / rate
        print("fill rate: %d entries in %.3f s = %.0f/s; %d would take %.1f s" %
              (n1, s1, rate, ctmax, estimate), flush=True)
        if refused or estimate > MAX_FILL_S:
            skip_all("filling %d entries at %.0f/s would take %.1f s (> %.0f s), or the "
                     "first %d were refused (%d, errno %d)" %
                     (ctmax, rate, estimate, MAX_FILL_S, PROBE, refused, err))
        t0 = time.monotonic()
        n2, refused, err, s2 = fill(ct_fill, ctmax, n1)
        wall = time.monotonic() - t0
        print("fill: %d + %d entries inserted in %.3f s + %.3f s (%.0f/s overall, wall %.2f s), "
              "then %d refused with errno %d" %
              (n1, n2, s1, s2, (n1 + n2) / (s1 + s2), wall, refused, err), flush=True)
        check("the kernel refused the entry past nf_conntrack_max with ENOMEM",
              refused > 0 and err == 12, "refused %d errno %d" % (refused, err))
        count = int(nsx("conntrack", "-C"))
        check("conntrack -C in the namespace = nf_conntrack_max = %d" % ctmax,
              count == ctmax and n1 + n2 == ctmax, "%d (inserted %d)" % (count, n1 + n2))
        host = int(open("/proc/sys/net/netfilter/nf_conntrack_count").read())
        drops0 = ct_drops()

        got = scrape(exporter)
        ent = got.get(("netstack_conntrack_entries", NS))
        lim = got.get(("netstack_conntrack_entries_limit", NS))
        print("scrape: %s entries %s limit %s; host entries %s (nf_conntrack_count %d) "
              "limit %s" % (NS, ent, lim, got.get(("netstack_conntrack_entries", "")), host,
                            got.get(("netstack_conntrack_entries_limit", ""))), flush=True)
        check("netstack_conntrack_entries{netns=%s} = entries_limit = nf_conntrack_max = "
              "conntrack -C" % NS, ent == lim == ctmax == count, "%s %s" % (ent, lim))
        hent = got.get(("netstack_conntrack_entries", ""))
        check("the host's netstack_conntrack_entries (no netns label) is far below the "
              "limit (< 1 %%): %s of %d" % (hent, ctmax),
              hent is not None and hent < ctmax / 100 and
              got.get(("netstack_conntrack_entries_limit", "")) == ctmax, hent)
        check("every collector succeeded", got[("ok", "")] == 1)
        d0 = got.get(("netstack_conntrack_drop_total", NS))
        h0 = got.get(("netstack_conntrack_drop_total", ""))
        check("netstack_conntrack_drop_total{netns} = conntrack -S drop (%d)" % drops0,
              d0 == drops0, d0)

        # one more flow: no entry can be allocated, the packet is dropped and counted
        print("send in the full namespace:", nsx("/usr/bin/python3", "-c", SEND).strip(),
              flush=True)
        drops1 = ct_drops()
        check("conntrack -S: the kernel counted the drop (%d -> %d)" % (drops0, drops1),
              drops1 > drops0)
        got = scrape(exporter)
        d1 = got.get(("netstack_conntrack_drop_total", NS))
        h1 = got.get(("netstack_conntrack_drop_total", ""))
        check("netstack_conntrack_drop_total{netns=%s} moved with it (%s -> %s)" % (NS, d0, d1),
              d1 == drops1 and d1 > d0, d1)
        check("the host's netstack_conntrack_drop_total did not move by it (%s -> %s)" % (h0, h1),
              h0 is not None and h1 is not None and h1 - h0 < drops1 - drops0)
        check("still full after the refused flow",
              got.get(("netstack_conntrack_entries", NS)) == ctmax)
    finally:
        t0 = time.monotonic()
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)
        print("namespace deleted in %.2f s" % (time.monotonic() - t0), flush=True)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())
