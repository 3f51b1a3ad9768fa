#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""HTTP front-end tests for netstack_exporter.

Usage: test_http.py <path-to-daemon> <fixtures-dir>

Starts the daemon on free loopback ports against the fixture trees and
checks routing, content negotiation, gzip, collector selection, limits and
robustness against slow or abusive clients. Prints one line per check and
"N passed, N failed"; exits 1 if anything failed. Every daemon started is
killed on every exit path, and every network operation has a timeout.
"""

import gzip
import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, free_port  # noqa: E402

TIMEOUT = 5.0  # per socket operation
DEADLINE = time.monotonic() + 55.0  # the whole script

CT_TEXT = "text/plain; version=0.0.4; charset=utf-8"
CT_OM = "application/openmetrics-text; version=1.0.0; charset=utf-8"
SELF_PREFIXES = ("netstack_scrape_", "netstack_exporter_", "netstack_web_", "process_")

# A sample line: name, optional labels, value, optional timestamp.
SAMPLE_RE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? '
    r"[^ ]+( [0-9]+)?$"
)

procs = []


def ipv6_loopback_ok():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def daemon_args(exe, fixtures, listen, extra=()):
    procfs = os.path.join(fixtures, "proc", "debian12")
    sysfs = os.path.join(fixtures, "sys", "debian12")
    args = [exe]
    args += [f"--web.listen-address={a}" for a in listen]
    args += [f"--path.procfs={procfs}", f"--path.sysfs={sysfs}", "--no-collector.netdev"]
    args += list(extra)
    return args


def start(exe, fixtures, listen, extra=(), wait_addr=None):
    """Start the daemon and wait (bounded) until @wait_addr accepts."""
    p = subprocess.Popen(
        daemon_args(exe, fixtures, listen, extra),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    procs.append(p)
    host, port = wait_addr
    end = time.monotonic() + 10.0
    while time.monotonic() < end:
        if p.poll() is not None:
            err = p.stderr.read().decode(errors="replace")
            raise RuntimeError(f"daemon exited with {p.returncode}: {err.strip()}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return p
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("daemon did not start listening within 10 s")


def stop(p):
    nstest.stop(p)
    if p.stderr:
        p.stderr.close()


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> value
        self.body = body

    def h(self, name):
        return self.headers.get(name.lower())


def request(host, port, path, method="GET", headers=None, body=None, conn=None):
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        return Resp(r.status, hdrs, data)
    finally:
        if own:
            conn.close()


def families(text):
    """Names from "# TYPE" lines (in order, duplicates kept)."""
    return [l.split()[2] for l in text.splitlines() if l.startswith("# TYPE ")]


def exposition_problems(text, openmetrics=False):
    """Return a list of problems with a text/OpenMetrics body (empty = fine)."""
    probs = []
    if not text.endswith("\n"):
        probs.append("does not end with a newline")
    lines = text.splitlines()
    if openmetrics:
        if not lines or lines[-1] != "# EOF":
            probs.append("does not end with # EOF")
        if text.count("# EOF") != 1:
            probs.append("# EOF count %d" % text.count("# EOF"))
        lines = lines[:-1]
    elif "# EOF" in text:
        probs.append("text format contains # EOF")
    fams = families(text)
    dups = sorted({f for f in fams if fams.count(f) > 1})
    if dups:
        probs.append("duplicated TYPE: " + ", ".join(dups[:5]))
    helps = [l.split()[2] for l in lines if l.startswith("# HELP ")]
    hdups = sorted({f for f in helps if helps.count(f) > 1})
    if hdups:
        probs.append("duplicated HELP: " + ", ".join(hdups[:5]))
    seen = set()
    for l in lines:
        if l.startswith("#"):
            if not re.match(r"^# (HELP|TYPE|UNIT) [a-zA-Z_:][a-zA-Z0-9_:]* ", l + " "):
                probs.append("bad comment line: " + l[:80])
                break
            continue
        if not SAMPLE_RE.match(l):
            probs.append("bad sample line: " + l[:80])
            break
        series = l.rsplit(" ", 1)[0] if not openmetrics else l.rsplit(" ", 1)[0]
        if series in seen:
            probs.append("duplicated series: " + series[:80])
            break
        seen.add(series)
    if not fams:
        probs.append("no families")
    return probs


def one_line(body):
    t = body.decode(errors="replace")
    return t.endswith("\n") and t.count("\n") == 1 and len(t.strip()) > 0 and len(t) < 300


def raw_exchange(host, port, payload, timeout=TIMEOUT):
    """Send raw bytes, read until close or a complete header block; return status."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading once it has decided
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", data)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------- checks


def test_basic(host, port, collectors_expected):
    r = request(host, port, "/-/healthy")
    check("healthy: 200 OK", r.status == 200 and r.body == b"OK\n", f"{r.status} {r.body!r}")

    r = request(host, port, "/metrics")
    text = r.body.decode()
    check("scrape: 200", r.status == 200, str(r.status))
    check("scrape: text 0.0.4 content type", r.h("content-type") == CT_TEXT, r.h("content-type"))
    probs = exposition_problems(text)
    check("scrape: well-formed text exposition", not probs, "; ".join(probs))
    check("scrape: Vary: Accept, Accept-Encoding", r.h("vary") == "Accept, Accept-Encoding", str(r.h("vary")))
    check("scrape: no Content-Encoding without Accept-Encoding", r.h("content-encoding") is None)
    check(
        "scrape: security headers",
        r.h("x-content-type-options") == "nosniff"
        and r.h("x-frame-options") == "DENY"
        and (r.h("content-security-policy") or "").startswith("default-src 'none'")
        and r.h("cache-control") == "no-store",
        str(r.headers),
    )
    plain_fams = set(families(text))
    check(
        "scrape: has snmp families and self metrics",
        any(f.startswith("netstack_snmp_") for f in plain_fams)
        and "netstack_scrape_collector_success" in plain_fams,
        ", ".join(sorted(plain_fams)[:10]),
    )
    check(
        "scrape: disabled collector (netdev) absent",
        # netstack_netdev_speed_bytes is ethtool's (collector.h's documented
        # exception): present whenever the host has a device with a known speed
        not any(f.startswith("netstack_netdev_") and f != "netstack_netdev_speed_bytes"
                for f in plain_fams)
        and 'collector="netdev"' not in text,
        "; ".join(l for l in text.splitlines() if "netdev" in l)[:500],
    )

    # OpenMetrics negotiation (with parameters and q-values in Accept)
    accept = (
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
        "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    )
    r = request(host, port, "/metrics", headers={"Accept": accept})
    text_om = r.body.decode()
    check("openmetrics: content type", r.h("content-type") == CT_OM, r.h("content-type"))
    check("openmetrics: ends with # EOF", text_om.endswith("# EOF\n"), repr(text_om[-40:]))
    probs = exposition_problems(text_om, openmetrics=True)
    check("openmetrics: well-formed", not probs, "; ".join(probs))

    r = request(host, port, "/metrics", headers={"Accept": "text/plain;version=0.0.4;q=1,*/*;q=0.1"})
    check("text accept: text format", r.h("content-type") == CT_TEXT and b"# EOF" not in r.body)

    # gzip
    r = request(host, port, "/metrics", headers={"Accept-Encoding": "deflate, gzip;q=0.9, br"})
    check("gzip: Content-Encoding: gzip", r.h("content-encoding") == "gzip", str(r.h("content-encoding")))
    check("gzip: Vary: Accept, Accept-Encoding", r.h("vary") == "Accept, Accept-Encoding", str(r.h("vary")))
    try:
        unz = gzip.decompress(r.body).decode()
        ok = set(families(unz)) == plain_fams and not exposition_problems(unz)
        check("gzip: decompresses to the same families", ok, str(set(families(unz)) ^ plain_fams))
    except (OSError, EOFError, UnicodeDecodeError) as e:
        check("gzip: decompresses to the same families", False, repr(e))
    check(
        "gzip: Content-Length is the compressed size",
        int(r.h("content-length") or -1) == len(r.body) and len(r.body) < len(text),
    )
    r = request(host, port, "/metrics", headers={"Accept-Encoding": "gzip;q=0, identity"})
    check(
        "gzip;q=0: identity",
        r.h("content-encoding") is None and r.body.startswith(b"#"),
        str(r.h("content-encoding")),
    )
    r = request(host, port, "/metrics", headers={"Accept-Encoding": "xgzip, gzipx"})
    check("gzip lookalikes: identity", r.h("content-encoding") is None)
    r = request(
        host, port, "/metrics", headers={"Accept-Encoding": "gzip", "Accept": "application/openmetrics-text"}
    )
    try:
        ok = r.h("content-type") == CT_OM and gzip.decompress(r.body).endswith(b"# EOF\n")
    except (OSError, EOFError):
        ok = False
    check("gzip + openmetrics", ok)

    # HEAD
    r = request(host, port, "/metrics", method="HEAD")
    check(
        "HEAD: 200, headers, no body",
        r.status == 200 and r.h("content-type") == CT_TEXT and r.body == b""
        and int(r.h("content-length") or 0) > 0,
        f"{r.status} {r.headers} {len(r.body)}",
    )

    # selection
    r = request(host, port, "/metrics?collect[]=snmp")
    t = r.body.decode()
    fams = set(families(t))
    coll_labels = set(re.findall(r'collector="([^"]*)"', t))
    check(
        "collect[]=snmp: only snmp and self families",
        r.status == 200
        and any(f.startswith("netstack_snmp_") for f in fams)
        and all(f.startswith("netstack_snmp_") or f.startswith(SELF_PREFIXES) for f in fams),
        ", ".join(sorted(f for f in fams if not f.startswith("netstack_snmp_"))),
    )
    check(
        "collect[]=snmp: self metrics only for snmp",
        coll_labels == {"snmp"} and 'netstack_scrape_collector_success{collector="snmp"}' in t,
        str(coll_labels),
    )
    r = request(host, port, "/metrics?collect%5B%5D=snmp&collect%5B%5D=sockstat")
    fams2 = set(families(r.body.decode()))
    check(
        "collect[] repeated (url-encoded): both collectors",
        any(f.startswith("netstack_snmp_") for f in fams2)
        and any(f.startswith("netstack_sockstat_") for f in fams2)
        and not any(f.startswith("netstack_softnet_") for f in fams2),
        ", ".join(sorted(fams2)[:10]),
    )
    r = request(host, port, "/metrics?exclude[]=snmp")
    t = r.body.decode()
    check(
        "exclude[]=snmp: no netstack_snmp_",
        r.status == 200 and "netstack_snmp_" not in t and 'collector="snmp"' not in t
        and len(families(t)) > 0,
    )
    r = request(host, port, "/metrics?collect[]=snmp&exclude[]=sockstat")
    check("collect[]+exclude[]: 400 one line", r.status == 400 and one_line(r.body), f"{r.status} {r.body!r}")
    r = request(host, port, "/metrics?collect[]=no_such_collector")
    check(
        "unknown collector: 400 one line naming it",
        r.status == 400 and one_line(r.body) and b"no_such_collector" in r.body,
        f"{r.status} {r.body!r}",
    )
    r = request(host, port, "/metrics?collect[]=netdev")
    check("disabled collector: 400", r.status == 400 and one_line(r.body), f"{r.status} {r.body!r}")
    r = request(host, port, "/metrics?collect[]=%0a%0dX-Injected:%201")
    check(
        "control bytes in a parameter: 400, one line, no header injection",
        r.status == 400 and one_line(r.body) and r.h("x-injected") is None,
        f"{r.status} {r.body!r}",
    )

    # routing
    r = request(host, port, "/nope")
    check(
        "unknown path: 404 one line, nothing revealed",
        r.status == 404 and one_line(r.body) and b"netstack" not in r.body and b"/" not in r.body,
        f"{r.status} {r.body!r}",
    )
    check("404: security headers", r.h("x-content-type-options") == "nosniff")
    r = request(host, port, "/metrics/")
    check("/metrics/ is not /metrics: 404", r.status == 404, str(r.status))
    r = request(host, port, "/metrics", method="POST", body=b"x=1",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(
        "POST metrics: 405 with Allow",
        r.status == 405 and r.h("allow") == "GET, HEAD" and one_line(r.body),
        f"{r.status} {r.h('allow')}",
    )
    r = request(host, port, "/-/healthy", method="DELETE")
    check("DELETE healthy: 405", r.status == 405 and r.h("allow") == "GET, HEAD", str(r.status))

    r = request(host, port, "/")
    page = r.body.decode()
    check(
        "landing page: html listing enabled collectors and links",
        r.status == 200
        and (r.h("content-type") or "").startswith("text/html")
        and all(f"<td>{c}</td>" in page for c in collectors_expected)
        and "<td>netdev</td>" not in page
        and 'href="/metrics"' in page
        and 'href="/-/healthy"' in page,
        page[:200],
    )

    # keep-alive: several requests over one connection (the first passed the
    # request gate, libmicrohttpd reads the others)
    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    rs, socks = [], set()
    try:
        for p in ("/metrics", "/-/healthy", "/nope", "/metrics"):
            rs.append(request(host, port, p, conn=conn))
            socks.add(conn.sock.getsockname() if conn.sock else None)
    finally:
        conn.close()
    st = [r.status for r in rs]
    closes = [r.h("connection") for r in rs]
    check(
        "keep-alive: 4 requests on one connection, none closed",
        st == [200, 200, 404, 200] and "close" not in closes and len(socks) == 1
        and None not in socks,
        f"{st} {closes} {socks}",
    )
    return plain_fams


def test_slow_client(host, port):
    socks = []
    try:
        for _ in range(4):
            s = socket.create_connection((host, port), timeout=TIMEOUT)
            s.sendall(b"GET /metr")  # half a request line, then nothing
            socks.append(s)
        t0 = time.monotonic()
        r = request(host, port, "/metrics")
        dt = time.monotonic() - t0
        check(f"slow clients do not block a scrape ({dt:.3f} s)", r.status == 200 and dt < 2.0,
              f"{r.status} {dt:.3f}")
    finally:
        for s in socks:
            s.close()


def test_big_header(host, port):
    payload = (
        b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
        + b"X-Big: " + b"a" * 65536 + b"\r\n\r\n"
    )
    t0 = time.monotonic()
    st = raw_exchange(host, port, payload)
    dt = time.monotonic() - t0
    check(
        f"64 KiB header: error status, no hang ({dt:.3f} s)",
        st is not None and 400 <= st <= 599 and dt < 3.0,
        str(st),
    )
    r = request(host, port, "/-/healthy")
    check("daemon still serves after the big header", r.status == 200)


def test_concurrent(host, port, ref_fams):
    results = []
    lock = threading.Lock()

    def worker(idx):
        conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
        try:
            for i in range(25):
                om = (idx + i) % 2 == 1
                hdrs = {"Accept": "application/openmetrics-text"} if om else {}
                try:
                    r = request(host, port, "/metrics", headers=hdrs, conn=conn)
                    text = r.body.decode()
                    probs = exposition_problems(text, openmetrics=om)
                    if r.status != 200:
                        probs.append(f"status {r.status}")
                    if not om and set(families(text)) != ref_fams:
                        probs.append("families differ: " + str(set(families(text)) ^ ref_fams))
                except (OSError, http.client.HTTPException, UnicodeDecodeError) as e:
                    probs = [repr(e)]
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
                with lock:
                    results.append(probs)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, DEADLINE - time.monotonic()))
    bad = [p for p in results if p]
    check(
        f"concurrent: 4 threads x 25 scrapes complete and well-formed ({len(results)} done)",
        len(results) == 100 and not bad,
        "; ".join(bad[0]) if bad else f"{len(results)} results",
    )


def test_second_daemon(exe, fixtures):
    """max-requests=1, connection-timeout=1 s, telemetry path /custom."""
    port = free_port()
    host = "127.0.0.1"
    extra = ["--web.max-requests=1", "--web.connection-timeout=1", "--web.telemetry-path=/custom"]
    p = start(exe, fixtures, [f"{host}:{port}"], extra, wait_addr=(host, port))
    try:
        r = request(host, port, "/custom")
        check("telemetry path /custom: 200", r.status == 200 and b"# TYPE " in r.body, str(r.status))
        r = request(host, port, "/metrics")
        check("telemetry path /custom: /metrics is 404", r.status == 404, str(r.status))
        r = request(host, port, "/")
        check("landing page links the telemetry path", b'href="/custom"' in r.body)

        # connection timeout: a stalled request is dropped after ~1 s
        t0 = time.monotonic()
        closed = False
        with socket.create_connection((host, port), timeout=TIMEOUT) as s:
            s.sendall(b"GET /cus")
            try:
                closed = s.recv(4096) == b""
            except ConnectionResetError:
                closed = True
            except socket.timeout:
                closed = False
        dt = time.monotonic() - t0
        check(f"connection timeout 1 s closes a stalled client ({dt:.2f} s)",
              closed and 0.5 <= dt < 4.0, f"closed={closed} {dt:.2f}")

        req_head = b"GET /custom HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        saw503 = False
        others_ok = True
        detail = ""
        body503 = b""
        retry_after = False
        rounds = 0
        while rounds < 20 and not saw503 and time.monotonic() < DEADLINE - 10:
            rounds += 1
            socks = []
            try:
                for _ in range(12):
                    s = socket.create_connection((host, port), timeout=TIMEOUT)
                    s.sendall(req_head)  # all but the final CRLF
                    socks.append(s)
                time.sleep(0.05)
                for s in socks:  # release them at (nearly) the same moment
                    s.sendall(b"\r\n")
                for s in socks:
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    m = re.match(rb"HTTP/1\.1 (\d{3}) ", data)
                    st = int(m.group(1)) if m else None
                    if st == 503:
                        saw503 = True
                        head, _, body503 = data.partition(b"\r\n\r\n")
                        retry_after = b"\r\nretry-after: 1" in head.lower()
                    elif st != 200:
                        others_ok = False
                        detail = f"status {st}"
            finally:
                for s in socks:
                    s.close()
        check(f"max-requests=1: 503 under concurrency ({rounds} rounds)", saw503 and others_ok, detail)
        check(
            "503: one line, Retry-After",
            saw503 and body503 == b"too many concurrent scrapes\n" and retry_after,
            repr(body503),
        )
        r = request(host, port, "/custom")
        check("max-requests=1: a lone scrape still succeeds", r.status == 200, str(r.status))
    finally:
        stop(p)


def test_addr_in_use(exe, fixtures, busy_port):
    try:
        p = subprocess.Popen(
            daemon_args(exe, fixtures, [f"127.0.0.1:{busy_port}"]),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
    except OSError as e:
        check("address in use: fails naming the address", False, repr(e))
        return
    procs.append(p)
    try:
        _, err = p.communicate(timeout=10)
        err = err.decode(errors="replace")
        check(
            "address in use: exits non-zero naming the address",
            p.returncode != 0 and f"listen on 127.0.0.1:{busy_port}: Address already in use" in err,
            f"rc={p.returncode} {err.strip()[:200]}",
        )
    except subprocess.TimeoutExpired:
        check("address in use: exits non-zero naming the address", False, "still running")
    finally:
        stop(p)


def test_bad_address(exe, fixtures):
    p = subprocess.Popen(
        daemon_args(exe, fixtures, ["::1:9868"]),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    procs.append(p)
    try:
        _, err = p.communicate(timeout=10)
        err = err.decode(errors="replace")
        check("invalid listen address: exits non-zero naming it",
              p.returncode != 0 and "::1:9868" in err, f"rc={p.returncode} {err.strip()[:200]}")
    except subprocess.TimeoutExpired:
        check("invalid listen address: exits non-zero naming it", False, "still running")
    finally:
        stop(p)


def main():
    if len(sys.argv) != 3:
        print("usage: test_http.py <daemon> <fixtures-dir>", file=sys.stderr)
        return 2
    exe, fixtures = sys.argv[1], sys.argv[2]
    collectors = ["snmp", "sockstat", "softnet", "sysctl"]
    host = "127.0.0.1"
    port = free_port()
    listen = [f"{host}:{port}"]
    port6 = None
    if ipv6_loopback_ok():
        port6 = free_port(socket.AF_INET6, "::1")
        listen.append(f"[::1]:{port6}")
    try:
        try:
            p = start(exe, fixtures, listen, wait_addr=(host, port))
        except RuntimeError as e:
            check("daemon starts", False, str(e))
            return 1
        check("daemon starts", True)
        # Which collectors exist in this build: those the landing page lists.
        page = request(host, port, "/").body.decode(errors="replace")
        collectors = [c for c in collectors if f"<td>{c}</td>" in page] or collectors
        if port6:
            r = request("::1", port6, "/-/healthy")
            check("IPv6 [::1] listener serves", r.status == 200 and r.body == b"OK\n", str(r.status))
        ref = test_basic(host, port, collectors)
        test_slow_client(host, port)
        test_big_header(host, port)
        test_concurrent(host, port, ref)
        test_addr_in_use(exe, fixtures, port)
        check("daemon survived everything", p.poll() is None, f"exit {p.returncode}")
        stop(p)
        check("daemon exits 0 on SIGTERM", p.returncode == 0, str(p.returncode))
        test_bad_address(exe, fixtures)
        test_second_daemon(exe, fixtures)
    except Exception as e:  # a crash in a check is a failure, not a pass
        check("unexpected exception", False, repr(e))
    finally:
        for q in procs:
            try:
                stop(q)
            except Exception:
                q.kill()
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())
