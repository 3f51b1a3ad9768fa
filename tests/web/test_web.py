#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""--web.config.file tests: TLS, client certificates, basic auth, headers.

Usage: test_web.py <daemon> <fixtures-dir> [<source-root>]

Certificates are made here with openssl (a CA, a server certificate for
127.0.0.1, a client certificate from the CA and a self-signed "foreign"
one), passwords are hashed with `htpasswd -nbB` (apache2-utils), and every
request goes to the real daemon on loopback with curl (scrapes) or Python's
ssl module (to read the certificate served).

Prints one line per check and "N passed, N failed"; exit 1 on failure,
77 with "SKIP: reason" when openssl, curl or htpasswd is missing.
"""

import base64
import hashlib
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402
from nstest import check, free_port, skip_all, stop  # noqa: E402

TIMEOUT = 5
DEADLINE = time.monotonic() + 100.0

procs = []


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=30, **kw)


# ---- certificates ----


def openssl(*args, cwd):
    r = run(["openssl", *args], cwd=cwd)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: {r.stderr}")


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN={name}",
            cwd=d)


def make_signed(d, name, ca, server):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        if server:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        else:
            f.write("extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", ext, cwd=d)


def der_sha256(pem_path):
    with open(pem_path) as f:
        pem = f.read()
    first = pem[: pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")]
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(first)).hexdigest()


def served_sha256(port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        with ctx.wrap_socket(s) as t:
            return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()


# ---- daemon ----


def start(exe, fixtures, web, port, errpath):
    args = [exe, f"--web.listen-address=127.0.0.1:{port}",
            f"--path.procfs={os.path.join(fixtures, 'proc', 'debian12')}",
            f"--path.sysfs={os.path.join(fixtures, 'sys', 'debian12')}",
            "--collector.disable-defaults", "--collector.snmp", "--collector.sockstat",
            f"--web.config.file={web}"]
    err = open(errpath, "w")
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    err.close()
    procs.append(p)
    end = time.monotonic() + 10
    while time.monotonic() < end:
        if p.poll() is not None:
            with open(errpath) as f:
                raise RuntimeError(f"daemon exited {p.returncode}: {f.read().strip()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return p
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("daemon did not listen within 10 s")


def curl(url, *extra):
    """(status or None, headers dict lower-case, body, curl rc)."""
    r = subprocess.run(["curl", "-sS", "--max-time", str(TIMEOUT), "-D", "-", "-o", "-", *extra, url],
                       capture_output=True, timeout=TIMEOUT + 5)
    out = r.stdout.decode(errors="replace")
    m = re.match(r"HTTP/[0-9.]+ (\d+)[^\r\n]*\r\n(.*?)\r\n\r\n(.*)", out, re.S)
    if r.returncode != 0 or not m:
        return None, {}, r.stderr.decode(errors="replace").strip(), r.returncode
    headers = {}
    for line in m.group(2).split("\r\n"):
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(m.group(1)), headers, m.group(3), 0


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def htpasswd(user, password):
    r = run(["htpasswd", "-nbB", user, password])
    return r.stdout.strip().split(":", 1)[1]


# ---- tests ----


def test_tls_basic(exe, fixtures, d):
    web = os.path.join(d, "tls.yml")
    write(web, "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n"
               "http_server_config:\n  headers:\n    Strict-Transport-Security: max-age=63072000\n"
               "    X-Frame-Options: SAMEORIGIN\n")
    port = free_port()
    p = start(exe, fixtures, web, port, os.path.join(d, "tls.err"))
    url = f"https://127.0.0.1:{port}"
    ca = os.path.join(d, "ca.crt")
    try:
        st, h, body, _ = curl(f"{url}/metrics", "--cacert", ca)
        check("https scrape with curl: 200 and an exposition", st == 200 and "# TYPE netstack_" in body, f"{st} {body[:200]}")
        st12, _, _, _ = curl(f"{url}/metrics", "--cacert", ca, "--tls-max", "1.2")
        st13, _, _, _ = curl(f"{url}/metrics", "--cacert", ca, "--tlsv1.3")
        check("TLS 1.2 and 1.3 both served by default", st12 == 200 and st13 == 200, (st12, st13))
        st, _, err, rc = curl(f"{url}/metrics")
        check("certificate not trusted without --cacert (curl refuses)", st is None and rc == 60, (rc, err))
        st, _, err, rc = curl(f"http://127.0.0.1:{port}/metrics")
        check("plain http to the TLS port: no HTTP answer", st is None, (st, err))
        check("configured header added (Strict-Transport-Security)",
              h.get("strict-transport-security") == "max-age=63072000", h)
        check("configured header replaces the default (X-Frame-Options)", h.get("x-frame-options") == "SAMEORIGIN", h)
        check("default security headers still there",
              h.get("x-content-type-options") == "nosniff" and h.get("referrer-policy") == "no-referrer"
              and h.get("cache-control") == "no-store" and "default-src 'none'" in h.get("content-security-policy", ""), h)
        st, h, body, _ = curl(f"{url}/nope", "--cacert", ca)
        host = socket.gethostname()
        check("404 over TLS: one line, no host information",
              st == 404 and body == "not found\n" and "server" not in h and host not in body, (st, h, body))

        # TLS connections keep alive.
        ctx = ssl.create_default_context(cafile=ca)
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=TIMEOUT)
        socks, sts, closes = [], [], []
        try:
            for path in ("/metrics", "/-/healthy", "/nope"):
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                socks.append(conn.sock.getsockname() if conn.sock else None)
                sts.append(r.status)
                closes.append(r.getheader("Connection"))
        finally:
            conn.close()
        check("keep-alive over TLS: 3 requests on one connection, none closed",
              sts == [200, 200, 404] and len(set(socks)) == 1 and None not in socks
              and "close" not in closes,
              (sts, closes, len(set(socks))))

        # Certificate replaced on disk: picked up without a restart.
        old = served_sha256(port)
        check("served certificate is srv.crt", old == der_sha256(os.path.join(d, "srv.crt")))
        # First only the certificate (its key does not match yet): the old pair keeps serving.
        shutil.copy(os.path.join(d, "srv2.crt"), os.path.join(d, "srv.crt.tmp"))
        os.rename(os.path.join(d, "srv.crt.tmp"), os.path.join(d, "srv.crt"))
        mid = served_sha256(port)
        st, _, _, _ = curl(f"{url}/metrics", "--cacert", ca)
        check("half-replaced pair (new cert, old key): old certificate still served, scrapes work",
              mid == old and st == 200, (mid == old, st))
        with open(os.path.join(d, "tls.err")) as f:
            log = f.read()
        check("half-replaced pair: one error line", log.count("changed but did not load") == 1, log[-300:])
        shutil.copy(os.path.join(d, "srv2.key"), os.path.join(d, "srv.key.tmp"))
        os.rename(os.path.join(d, "srv.key.tmp"), os.path.join(d, "srv.key"))
        new = served_sha256(port)
        check("key replaced too: the new certificate is served without a restart",
              new == der_sha256(os.path.join(d, "srv2.crt")) and new != old)
        st, _, body, _ = curl(f"{url}/metrics", "--cacert", ca)
        check("scrape with the new certificate (same CA): 200", st == 200, st)
        check("daemon kept running (same process)", p.poll() is None)
        # Restore for the later tests.
        shutil.copy(os.path.join(d, "srv1.crt"), os.path.join(d, "srv.crt"))
        shutil.copy(os.path.join(d, "srv1.key"), os.path.join(d, "srv.key"))
    finally:
        stop(p)


def test_min_version(exe, fixtures, d):
    web = os.path.join(d, "tls13.yml")
    write(web, "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  min_version: TLS13\n")
    port = free_port()
    p = start(exe, fixtures, web, port, os.path.join(d, "tls13.err"))
    try:
        ca = os.path.join(d, "ca.crt")
        st13, _, _, _ = curl(f"https://127.0.0.1:{port}/metrics", "--cacert", ca)
        st12, _, err, _ = curl(f"https://127.0.0.1:{port}/metrics", "--cacert", ca, "--tls-max", "1.2")
        check("min_version TLS13: TLS 1.3 accepted, TLS 1.2 refused", st13 == 200 and st12 is None, (st13, st12, err))
    finally:
        stop(p)


def test_client_certs(exe, fixtures, d):
    ca = os.path.join(d, "ca.crt")
    for mode, verify in (("RequireAndVerifyClientCert", True), ("VerifyClientCertIfGiven", True),
                         ("RequireAnyClientCert", False)):
        web = os.path.join(d, f"{mode}.yml")
        text = f"tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  client_auth_type: {mode}\n"
        if verify:
            text += "  client_ca_file: ca.crt\n"
        write(web, text)
        port = free_port()
        p = start(exe, fixtures, web, port, os.path.join(d, f"{mode}.err"))
        url = f"https://127.0.0.1:{port}/metrics"
        try:
            for tls in (("--tls-max", "1.2"), ("--tlsv1.3",)):
                v = "TLS1.2" if tls[0] == "--tls-max" else "TLS1.3"
                good, _, err, _ = curl(url, "--cacert", ca, "--cert", os.path.join(d, "client.crt"),
                                       "--key", os.path.join(d, "client.key"), *tls)
                check(f"{mode} {v}: client certificate from the CA accepted", good == 200, (good, err))
                none, _, err, _ = curl(url, "--cacert", ca, *tls)
                if mode == "VerifyClientCertIfGiven":
                    check(f"{mode} {v}: no client certificate accepted", none == 200, (none, err))
                else:
                    check(f"{mode} {v}: missing client certificate refused", none is None, (none, err))
                foreign, _, err, _ = curl(url, "--cacert", ca, "--cert", os.path.join(d, "foreign.crt"),
                                          "--key", os.path.join(d, "foreign.key"), *tls)
                if verify:
                    check(f"{mode} {v}: foreign client certificate refused", foreign is None, (foreign, err))
                else:
                    check(f"{mode} {v}: any client certificate accepted (not verified)", foreign == 200, (foreign, err))
            check(f"{mode}: daemon survived the refusals", p.poll() is None)
        finally:
            stop(p)


def test_basic_auth(exe, fixtures, d):
    h_alice = htpasswd("alice", "s3cret pass:word")
    h_bob = htpasswd("bob", "hunter2")
    check("htpasswd -nbB makes $2y$ hashes", h_alice.startswith("$2y$") and len(h_alice) == 60, h_alice)
    web = os.path.join(d, "auth.yml")
    write(web, f"basic_auth_users:\n  alice: '{h_alice}'\n  bob: {h_bob}\n")
    port = free_port()
    p = start(exe, fixtures, web, port, os.path.join(d, "auth.err"))
    url = f"http://127.0.0.1:{port}"

    def auth(user, pw):
        return "Authorization: Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()

    try:
        st, h, body, _ = curl(f"{url}/metrics", "-H", auth("alice", "s3cret pass:word"))
        check("right user and password (htpasswd -nbB hash, ':' in password): 200",
              st == 200 and "# TYPE " in body, st)
        st, _, _, _ = curl(f"{url}/metrics", "-u", "bob:hunter2")
        check("second user (unquoted hash in YAML): 200", st == 200, st)
        t0 = time.monotonic()
        for _ in range(5):
            st, _, _, _ = curl(f"{url}/metrics", "-u", "bob:hunter2")
        check(f"repeated good logins stay 200 ({time.monotonic() - t0:.2f} s for 5)", st == 200, st)
        cases = [
            ("wrong password", ["-H", auth("alice", "wrong")]),
            ("password of another user", ["-H", auth("alice", "hunter2")]),
            ("unknown user", ["-H", auth("mallory", "s3cret pass:word")]),
            ("no Authorization header", []),
            ("empty password", ["-H", auth("alice", "")]),
            ("malformed: not base64", ["-H", "Authorization: Basic !!!not-base64!!!"]),
            ("malformed: no colon", ["-H", "Authorization: Basic " + base64.b64encode(b"alice").decode()]),
            ("malformed: Bearer scheme", ["-H", "Authorization: Bearer abc.def"]),
            ("malformed: Basic without credentials", ["-H", "Authorization: Basic"]),
        ]
        for name, extra in cases:
            st, h, body, _ = curl(f"{url}/metrics", *extra)
            check(f"{name}: 401 with WWW-Authenticate: Basic",
                  st == 401 and h.get("www-authenticate", "").startswith('Basic realm="netstack_exporter"'),
                  (st, h.get("www-authenticate")))
        st, h, body, _ = curl(f"{url}/metrics", "-H", auth("alice", "wrong"))
        check("401: security headers and a one-line body without host information",
              h.get("x-content-type-options") == "nosniff" and body == "unauthorized\n"
              and socket.gethostname() not in body and "server" not in h, (h, body))
        for path in ("/", "/-/healthy", "/nope"):
            st, _, _, _ = curl(f"{url}{path}")
            check(f"{path} needs credentials too: 401", st == 401, st)
        st, _, _, _ = curl(f"{url}/-/healthy", "-u", "alice:s3cret pass:word")
        check("/-/healthy with credentials: 200", st == 200, st)
        st, h, _, _ = curl(f"{url}/metrics", "-X", "POST", "-u", "alice:s3cret pass:word")
        check("POST with credentials: 405", st == 405, st)
        st, _, _, _ = curl(f"{url}/metrics", "-X", "POST")
        check("POST without credentials: 401 (nothing before auth)", st == 401, st)
        check("daemon survived", p.poll() is None)
    finally:
        stop(p)

    # TLS and basic auth together.
    web = os.path.join(d, "both.yml")
    write(web, f"tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\nbasic_auth_users:\n  alice: '{h_alice}'\n")
    port = free_port()
    p = start(exe, fixtures, web, port, os.path.join(d, "both.err"))
    try:
        ca = os.path.join(d, "ca.crt")
        st, _, _, _ = curl(f"https://127.0.0.1:{port}/metrics", "--cacert", ca, "-u", "alice:s3cret pass:word")
        st2, _, _, _ = curl(f"https://127.0.0.1:{port}/metrics", "--cacert", ca)
        check("TLS + basic auth: 200 with credentials, 401 without", st == 200 and st2 == 401, (st, st2))
    finally:
        stop(p)


def test_gate_headers(exe, fixtures, d):
    """Plaintext with a web config: the request gate's own refusals carry the
    configured headers too, as every other response does."""
    web = os.path.join(d, "plainhdr.yml")
    write(web, "http_server_config:\n  headers:\n    X-Frame-Options: SAMEORIGIN\n"
               "    Strict-Transport-Security: max-age=1\n")
    port = free_port()
    p = start(exe, fixtures, web, port, os.path.join(d, "plainhdr.err"))
    try:
        _, data = nstest.raw_request(port, b"GET /metrics%00 HTTP/1.1\r\nHost: x\r\n\r\n", TIMEOUT)
        head = data.partition(b"\r\n\r\n")[0].decode(errors="replace").lower()
        check("request gate refusal: 400 with the configured headers",
              head.startswith("http/1.1 400 ") and "x-frame-options: sameorigin" in head
              and "strict-transport-security: max-age=1" in head
              and "x-frame-options: deny" not in head and "x-content-type-options: nosniff" in head,
              head)
    finally:
        stop(p)


def test_bad_files(exe, fixtures, d):
    ok_hash = htpasswd("x", "y")
    cases = [
        ("unknown top-level key", "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\nbasic_auth: {}\n",
         "unknown key 'basic_auth'"),
        ("unknown tls key", "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  certfile: x\n",
         "unknown key tls_server_config.certfile"),
        ("unsupported toolkit key", "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
         "tls_server_config.cipher_suites is not supported"),
        ("unknown http key", "http_server_config:\n  header: {}\n", "unknown key http_server_config.header"),
        ("header that may not be set", "http_server_config:\n  headers:\n    Set-Cookie: a=b\n",
         "header 'Set-Cookie' can not be customized"),
        ("header value over 1024 bytes",
         "http_server_config:\n  headers:\n    Content-Security-Policy: \"" + "a" * 1025 + "\"\n",
         "http_server_config.headers.Content-Security-Policy is longer than 1024 bytes"),
        ("not a bcrypt hash", "basic_auth_users:\n  alice: plaintext\n", "basic_auth_users.alice: not a bcrypt hash"),
        ("bcrypt cost above htpasswd's 17",
         "basic_auth_users:\n  alice: $2y$18$" + "A" * 53 + "\n",
         "basic_auth_users.alice: bcrypt cost 18 is above 17"),
        ("missing certificate file", "tls_server_config:\n  cert_file: nope.crt\n  key_file: srv.key\n",
         "nope.crt: No such file or directory"),
        ("key of another certificate", "tls_server_config:\n  cert_file: srv.crt\n  key_file: client.key\n",
         "srv.crt"),
        ("cert without key", "tls_server_config:\n  cert_file: srv.crt\n", "needs both cert_file and key_file"),
        ("verify without CA", "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  client_auth_type: RequireAndVerifyClientCert\n",
         "needs client_ca_file"),
        ("bad client_auth_type", "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  client_auth_type: Sometimes\n",
         "'Sometimes' is not one of"),
        ("bad min_version", "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  min_version: SSL3\n",
         "'SSL3' is not TLS10"),
        ("YAML syntax", "basic_auth_users: [\n", "web config file"),
    ]
    for name, text, want in cases:
        web = os.path.join(d, "bad.yml")
        write(web, text)
        r = run([exe, f"--web.config.file={web}", "--check-config"])
        lines = r.stderr.strip().splitlines()
        check(f"bad web config ({name}): exit 2, one line naming it",
              r.returncode == 2 and len(lines) == 1 and want in lines[0], (r.returncode, r.stderr.strip()))
    web = os.path.join(d, "good.yml")
    write(web, "tls_server_config:\n  cert_file: srv.crt\n  key_file: srv.key\n  client_auth_type: VerifyClientCertIfGiven\n"
               "  client_ca_file: ca.crt\n  min_version: TLS12\n  max_version: TLS13\n  prefer_server_cipher_suites: true\n"
               "http_server_config:\n  http2: true\n  headers:\n    X-XSS-Protection: '0'\n"
               f"basic_auth_users:\n  u: '{ok_hash}'\n")
    r = run([exe, f"--web.config.file={web}", "--check-config"])
    check("full web config: --check-config OK", r.returncode == 0 and r.stdout == "configuration OK\n",
          (r.returncode, r.stderr))


def test_example(exe, fixtures, d, src):
    path = os.path.join(src, "config", "web-config.example.yml")
    with open(path) as f:
        text = f.read()
    # Point the example's absolute paths at this test's files.
    text = text.replace("/etc/netstack_exporter/tls.crt", "srv.crt")
    text = text.replace("/etc/netstack_exporter/tls.key", "srv.key")
    text = text.replace("/etc/netstack_exporter/client-ca.crt", "ca.crt")
    web = os.path.join(d, "example.yml")
    write(web, text)
    r = run([exe, f"--web.config.file={web}", "--check-config"])
    check("config/web-config.example.yml is accepted", r.returncode == 0, r.stderr)
    port = free_port()
    p = start(exe, fixtures, web, port, os.path.join(d, "example.err"))
    try:
        ca = os.path.join(d, "ca.crt")
        cert = ["--cert", os.path.join(d, "client.crt"), "--key", os.path.join(d, "client.key")]
        st, h, _, _ = curl(f"https://127.0.0.1:{port}/metrics", "--cacert", ca, *cert, "-u", "prometheus:changeme")
        check("example config serves: its hash is of 'changeme', HSTS header set",
              st == 200 and h.get("strict-transport-security", "").startswith("max-age="), (st, h))
    finally:
        stop(p)


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        return 2
    exe, fixtures = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    src = sys.argv[3] if len(sys.argv) == 4 else os.path.join(fixtures, "..", "..")
    for tool in ("openssl", "curl", "htpasswd"):
        if not shutil.which(tool):
            skip_all(f"{tool} not installed (scripts/deps.sh --test installs it)")
    d = tempfile.mkdtemp(prefix="ns_web_")
    try:
        make_ca(d, "ca")
        make_signed(d, "srv1", "ca", server=True)
        make_signed(d, "srv2", "ca", server=True)
        make_signed(d, "client", "ca", server=False)
        make_ca(d, "foreign")  # self-signed, unknown to the daemon
        shutil.copy(os.path.join(d, "srv1.crt"), os.path.join(d, "srv.crt"))
        shutil.copy(os.path.join(d, "srv1.key"), os.path.join(d, "srv.key"))
        test_tls_basic(exe, fixtures, d)
        test_min_version(exe, fixtures, d)
        test_client_certs(exe, fixtures, d)
        test_basic_auth(exe, fixtures, d)
        test_gate_headers(exe, fixtures, d)
        test_bad_files(exe, fixtures, d)
        test_example(exe, fixtures, d, src)
    except Exception as e:  # report, never hang
        check("unexpected exception", False, repr(e))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
        shutil.rmtree(d, ignore_errors=True)
    if time.monotonic() > DEADLINE:
        check("finished within the deadline", False)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())
