#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
No key material from /proc/sys/net is ever exported, whatever the globs.

Usage: test_sysctl_secrets.py <path-to-netstack_exporter>

Runs as root in a fresh network namespace (unshare -n), where it sets a
known TCP Fast Open key (net.ipv4.tcp_fastopen_key, per namespace, readable
by root only) and a known IPv6 stable-privacy secret on the loopback
device, and checks that both are really readable there (so the test can
fail). Then the daemon, as root, runs --once with include globs that match
every secret (net.*, net.ipv4.tcp_*, explicit names): no secret value and no
secret name appears in either format, netstack_sysctl_withheld counts what
was withheld, and a neighbouring sysctl from the same glob is still
exported (the glob was expanded, not dropped).

Exit status: 0 all passed, 1 some check failed, 77 skipped (not root).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, skip_all  # noqa: E402

KEY = "0badc0de-12345678-9abcdef0-fedcba98"
SECRET = "fd00:dead:beef:1:2:3:4:5"
SECRET_NAMES = ("tcp_fastopen_key", "netdev_rss_key", "stable_secret", "fib_multipath_hash_seed")

INNER = r"""
set -e
sysctl -q -w net.ipv4.tcp_fastopen_key=%(key)s
sysctl -q -w net.ipv6.conf.lo.stable_secret=%(secret)s 2>/dev/null || true
echo "KEY=$(cat /proc/sys/net/ipv4/tcp_fastopen_key)"
echo "SECRET=$(cat /proc/sys/net/ipv6/conf/lo/stable_secret 2>/dev/null || echo none)"
for fmt in text openmetrics; do
  echo "==== $fmt"
  "$EXPORTER" --once --once.format=$fmt --collector.disable-defaults --collector.sysctl \
    --collector.sysctl.include='net.*' --collector.sysctl.include='net.ipv4.tcp_*' \
    --collector.sysctl.include=net.ipv4.tcp_fastopen_key \
    --collector.sysctl.include=net.core.netdev_rss_key \
    --collector.sysctl.include=net/ipv6/conf/lo/stable_secret
done
"""


def main():
    if len(sys.argv) != 2:
        print("usage: test_sysctl_secrets.py EXPORTER", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        skip_all("needs root (the secrets are readable by root only, and unshare -n)")
    env = dict(os.environ, EXPORTER=os.path.abspath(sys.argv[1]),
               PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    p = subprocess.run(["unshare", "-n", "sh", "-c", INNER % {"key": KEY, "secret": SECRET}],
                       env=env, capture_output=True, text=True, timeout=60)
    if p.returncode != 0 and "KEY=" not in p.stdout:
        skip_all("cannot set tcp_fastopen_key in a new namespace: %s" % p.stderr.strip()[:200])
    out = p.stdout
    head, _, body = out.partition("==== text")
    check("the daemon exits 0", p.returncode == 0, p.stderr[-300:])
    # The precondition: the key really is set and readable by this process.
    keyline = [l for l in head.splitlines() if l.startswith("KEY=")]
    key_hex = keyline[0][4:].strip() if keyline else ""
    check("tcp_fastopen_key set in the namespace", key_hex.replace("-", "") == KEY.replace("-", ""),
          key_hex)
    secline = [l for l in head.splitlines() if l.startswith("SECRET=")]
    have_secret = bool(secline) and secline[0][7:].strip() == SECRET
    text, _, om = body.partition("==== openmetrics")
    check("both formats produced", "netstack_sysctl_" in text and "# EOF" in om)
    for fmt, s in (("text", text), ("openmetrics", om)):
        for part in KEY.split("-"):
            check("%s: no part of the Fast Open key (%s)" % (fmt, part), part not in s)
        if have_secret:
            check("%s: no IPv6 stable secret" % fmt, "dead:beef" not in s)
        for name in SECRET_NAMES:
            check("%s: no %s series" % (fmt, name), name not in s,
                  [l for l in s.splitlines() if name in l][:3])
        withheld = [l for l in s.splitlines() if l.startswith("netstack_sysctl_withheld ")]
        n = int(float(withheld[0].split()[1])) if withheld else -1
        # fastopen key, rss key, stable_secret of lo (+ all, default), hash seed where present
        check("%s: withheld counts the secrets (>= 3)" % fmt, n >= 3, withheld)
        check("%s: the glob still exports its other sysctls" % fmt,
              "netstack_sysctl_net_ipv4_tcp_fastopen " in s)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())
