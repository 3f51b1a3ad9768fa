#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Concurrent scrapes of the live collectors, with the systemd status loop on.

Usage: concurrent_scrapes.py <path-to-daemon>

Starts the daemon on a free loopback port with its default collectors (the
live host's /proc, /sys and netlink), NOTIFY_SOCKET pointing at a datagram
socket of ours and WATCHDOG_USEC=100000, so its main thread refreshes
STATUS= (reading the last scrape duration) every 50 ms while four client
threads scrape /metrics at once: all collectors, one collector, both
formats. Checks every answer is 200 with samples, the daemon is still
running, exits 0 on SIGTERM, and wrote no ThreadSanitizer or
AddressSanitizer report. Run by the plain build (suite http) and by
tests/sanitize/run.sh --thread (ThreadSanitizer).
"""
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nstest import check, free_port, stop, summary  # noqa: E402

exe = sys.argv[1]
port = free_port()
tmp = tempfile.mkdtemp(prefix="kit-concurrent-")
notify_path = os.path.join(tmp, "notify")
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(notify_path)
notify.settimeout(0.2)
env = dict(os.environ, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="100000")
env.pop("WATCHDOG_PID", None)
errf = open(os.path.join(tmp, "stderr"), "w+")
p = subprocess.Popen([exe, f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                     stdout=subprocess.DEVNULL, stderr=errf, env=env)
statuses = []
stop_drain = threading.Event()


def drain():
    while not stop_drain.is_set():
        try:
            statuses.append(notify.recv(4096).decode(errors="replace"))
        except socket.timeout:
            pass


def get(path, accept=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        c.request("GET", path, headers={"Accept": accept} if accept else {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        if get("/-/healthy")[0] == 200:
            break
    except OSError:
        time.sleep(0.2)
    if p.poll() is not None:
        break
check("daemon starts and answers /-/healthy", p.poll() is None)

drainer = threading.Thread(target=drain)
drainer.start()
OM = "application/openmetrics-text; version=1.0.0"
plan = [("/metrics", None), ("/metrics?collect[]=tcp", None), ("/metrics", OM),
        ("/metrics?collect[]=netdev&collect[]=qdisc", OM)]
results = []
lock = threading.Lock()


def client(i):
    path, accept = plan[i % len(plan)]
    for _ in range(int(os.environ.get("KIT_ROUNDS", "15"))):
        try:
            status, body = get(path, accept)
            ok = status == 200 and b"netstack_" in body
        except OSError as e:
            ok, status = False, str(e)
        with lock:
            results.append((path, ok, status))


threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
if p.poll() is None:
    for t in threads:
        t.start()
    for t in threads:
        t.join()
time.sleep(0.3)  # one more STATUS= refresh after the last scrape
stop_drain.set()
drainer.join()
bad = [r for r in results if not r[1]]
check("%d concurrent scrapes all answered 200 with samples" % len(results),
      results and not bad, str(bad[:3]))
check("systemd STATUS= was refreshed during the scrapes",
      any("STATUS=" in s for s in statuses), str(statuses[:3]))
check("daemon still running after the scrapes", p.poll() is None)
rc = stop(p)
errf.seek(0)
err = errf.read()
check("daemon exits 0 on SIGTERM", rc == 0, "exit %s" % rc)
check("no sanitizer report on stderr",
      "ThreadSanitizer" not in err and "AddressSanitizer" not in err, err[-4000:])
notify.close()
for f in os.listdir(tmp):
    os.unlink(os.path.join(tmp, f))
os.rmdir(tmp)
sys.exit(summary())
