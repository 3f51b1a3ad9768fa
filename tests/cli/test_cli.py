#!/usr/bin/python3
"""Command line behaviour of the real binary.

  test_cli.py DAEMON SOURCE_DIR FIXTURES

Exit statuses (0 ok, 1 a collector failed under --once, 2 bad flags or
config), one-line errors, --help/--version, --check-config, and that the
README's flag table matches --help.
"""
import json
import os
import re
import socket
import urllib.request
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nstest import check, free_port, stop, summary  # noqa: E402

daemon, src, fixtures = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]


def run(*args, timeout=30):
    return subprocess.run([daemon] + list(args), capture_output=True, text=True, timeout=timeout)


def one_line_error(p, needle):
    lines = p.stderr.splitlines()
    return p.returncode == 2 and len(lines) == 1 and needle in lines[0] and not p.stdout


for args, needle in [
    (["--no-such-flag"], "unknown flag --no-such-flag"),
    (["--collector.nosuch"], "unknown collector"),
    (["--log.format=xml"], "--log.format"),
    (["--web.max-requests=-1"], "--web.max-requests"),
    (["--config.file=/nonexistent.yml"], "/nonexistent.yml"),
    (["--path.procfs=/nonexistent"], "/nonexistent"),
    (["--collector.netdev.device-include=(("], "bad regex"),
]:
    p = run(*args)
    check("%s: exit 2 with one line naming the problem" % " ".join(args),
          one_line_error(p, needle), "rc=%d stderr=%r" % (p.returncode, p.stderr))

# A value-taking flag whose value is missing must not swallow the next flag
# (that once started the daemon on :9868 instead of checking the config).
for args in (["--collector.netdev.device-include", "--check-config"],
             ["--web.listen-address", "--check-config"],
             ["--config.file", "--once"],
             ["--check-config", "--log.level", "--log.format=json"]):
    p = run(*args, timeout=10)
    check("%s: the missing value is refused (exit 2, one line naming both flags)" % " ".join(args),
          one_line_error(p, "flag %s needs a value, got the flag '" % args[-2]) and
          args[-1] in p.stderr and "%s=" % args[-2] in p.stderr,
          "rc=%d stderr=%r" % (p.returncode, p.stderr))
# A value that really starts with -- is given with '='; a separate value that
# only contains or starts with a single '-' is still a value.
p = run("--collector.netdev.device-include=--x", "--check-config")
check("--flag=--VALUE still accepted", p.returncode == 0 and p.stdout.strip() == "configuration OK",
      p.stdout + p.stderr)
p = run("--collector.netdev.device-include", "-x", "--check-config")
check("--flag -VALUE (one dash) still taken as the value",
      p.returncode == 0 and p.stdout.strip() == "configuration OK", p.stdout + p.stderr)
p = run("--collector.netdev.device-include", "(", "--check-config")
check("--flag VALUE: the separate value is still parsed (a bad regex is refused)",
      one_line_error(p, "bad regex"), p.stderr)

# Listen addresses are validated with the configuration, so --check-config
# refuses what the start would fail on.
for addr, why in [("999.1.1.1:19410", "not an IPv4 address"),
                  ("127.1:9868", "not an IPv4 address"),
                  (":99999", "not in 1..65535"),
                  (":0", "not in 1..65535"),
                  ("localhost:0", "not in 1..65535"),
                  (":", "not a number"),
                  (":+80", "not a number"),
                  ("127.0.0.1", "not host:port"),
                  ("[::1", "not host:port"),
                  ("[::1]", "not host:port"),
                  ("[::1]9868", "not host:port"),
                  ("[]:9868", "not host:port"),
                  ("[127.0.0.1]:9868", "not an IPv6 address"),
                  ("[fe80::1%]:9868", "not an IPv6 address"),
                  ("::1:9868", "IPv6 address needs brackets"),
                  ("bad host:9868", "not a host name"),
                  ("-lead:9868", "not a host name"),
                  ("a..b:9868", "not a host name"),
                  ("x" * 64 + ".example:9868", "not a host name"),
                  ("h\u00e9te:9868", "not a host name")]:
    for extra in (["--check-config"], ["--once", "--collector.disable-defaults"]):
        p = run("--web.listen-address=" + addr, *extra, timeout=10)
        check("listen address %r with %s: exit 2, one line naming it (%s)" % (addr, extra[0], why),
              one_line_error(p, "flag --web.listen-address: '%s'" % addr) and why in p.stderr,
              "rc=%d stderr=%r" % (p.returncode, p.stderr))
for addr in (":9868", "127.0.0.1:1", "0.0.0.0:65535", "localhost:9868", "host-1.example.org.:80",
             "[::1]:9868", "[::]:9868", "[fe80::1%lo]:9868", "[::ffff:127.0.0.1]:9868"):
    p = run("--web.listen-address=" + addr, "--check-config")
    check("listen address %r accepted by --check-config" % addr,
          p.returncode == 0 and p.stdout.strip() == "configuration OK", p.stdout + p.stderr)
# A name is resolved when the daemon binds, as before: localhost binds.
port = free_port()
p = subprocess.Popen([daemon, "--web.listen-address=localhost:%d" % port, "--path.procfs=" +
                      os.path.join(fixtures, "proc", "golden"), "--path.sysfs=" +
                      os.path.join(fixtures, "sys", "golden"), "--collector.disable-defaults",
                      "--collector.snmp"], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    bound = False
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                bound = True
                break
        except OSError:
            if p.poll() is not None:
                break
            time.sleep(0.05)
    check("a host name (localhost) is resolved and bound at start", bound,
          p.stderr.read() if p.poll() is not None else "")
finally:
    stop(p)

# Option values that only a collector's init() can judge are still
# configuration errors: the daemon must not start half-configured.
if "  tcp " in run("--help").stdout:
    for args, needle in [
        (["--collector.tcp.remote-ports=abc"], "collector tcp: remote-ports: 'abc' is not a port"),
        (["--collector.tcp.remote-ports=99999", "--check-config"], "is not a port"),
    ]:
        p = run(*args, "--once") if "--check-config" not in args else run(*args)
        check("%s: exit 2 with one line" % " ".join(args), one_line_error(p, needle),
              "rc=%d stderr=%r" % (p.returncode, p.stderr))

with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
    f.write("collectors:\n  netdev:\n    enabeld: true\n")
    bad_yml = f.name
p = run("--config.file=" + bad_yml)
check("config file with a typo: exit 2, one line", one_line_error(p, "no option 'enabeld'"),
      p.stderr)
p = run("--config.file=" + bad_yml, "--check-config")
check("--check-config rejects the same file with exit 2", p.returncode == 2)
os.unlink(bad_yml)

p = run("--config.file=" + os.path.join(src, "config", "netstack_exporter.yml"), "--check-config")
check("--check-config accepts config/netstack_exporter.yml",
      p.returncode == 0 and p.stdout.strip() == "configuration OK", p.stdout + p.stderr)

# --version in Prometheus' layout (prometheus/common's version.Print), so the
# regexes fleet tooling runs on exporters' --version work on ours.
p = run("--version")
vout = p.stdout
vlines = vout.splitlines()
project_version = re.search(r"version: '([^']+)'", open(os.path.join(src, "meson.build")).read())[1]
first = re.match(r"^(?P<program>[^,\s]+), version (?P<version>\S+) "
                 r"\(branch: (?P<branch>[^,\s]+), revision: (?P<revision>[^)\s]+)\)$",
                 vlines[0] if vlines else "")
check("--version: exit 0, stdout only", p.returncode == 0 and not p.stderr, p.stderr)
check("--version: first line 'PROGRAM, version V (branch: B, revision: R)'",
      first and first["program"] == "netstack_exporter" and first["version"] == project_version
      and re.fullmatch(r"[0-9a-f]{7,40}|unknown", first["revision"]), vout)
# The forms seen in deployment tooling: a facter regex, and Ansible's
# stdout_lines[0].split(" ")[2].
check("--version: the facter-style regex finds the version",
      (re.match(r"^netstack_exporter, version (\d+\.\d+\.\d+).*$", vout, re.M) or [0, 0])[1]
      == project_version, vout)
check("--version: the first line's third word is the version",
      vlines and vlines[0].split(" ")[2] == project_version, vout)
fields = {}
for line in vlines[1:]:
    m = re.fullmatch(r"  ([a-z][a-z ]*):( +)(\S.*)", line)
    if m and len("  " + m[1] + ":" + m[2]) == 20:  # values aligned at column 20
        fields[m[1]] = m[3]
    else:
        fields.setdefault("?", line)
check("--version: every further line is '  key:' with the value at column 20",
      "?" not in fields and len(fields) == len(vlines) - 1, vout)
check("--version: build user, build date (YYYYMMDD-HH:MM:SS), compiler, platform (os/arch)",
      set(fields) == {"build user", "build date", "compiler", "platform"}
      and re.fullmatch(r"\S+", fields.get("build user", ""))
      and re.fullmatch(r"\d{8}-\d\d:\d\d:\d\d", fields.get("build date", ""))
      and re.fullmatch(r"(gcc|clang) \d+(\.\d+)*", fields.get("compiler", ""))
      and re.fullmatch(r"linux/[a-z0-9]+", fields.get("platform", "")), fields)
# The build facts come from scripts/build-info at configure time: with
# SOURCE_DATE_EPOCH (reproducible builds) they do not depend on who builds
# when and where.
binfo = os.path.join(src, "scripts", "build-info")
outs = []
for user, when in (("alice", 0), ("bob", 1.1)):
    time.sleep(when)
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000", USER=user, LOGNAME=user)
    env.pop("NS_BUILD_USER", None)
    outs.append(subprocess.run(["sh", binfo, src], capture_output=True, text=True, env=env).stdout)
check("build-info with SOURCE_DATE_EPOCH: the same facts from two builds, the date is the epoch's",
      outs[0] == outs[1] and outs[0].splitlines()[1:] == ["unknown", "20231114-22:13:20"], outs)
env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000", NS_BUILD_USER="pkg builder <x@y>")
bl = subprocess.run(["sh", binfo, src], capture_output=True, text=True, env=env).stdout.splitlines()
check("build-info: NS_BUILD_USER names the builder, made safe for the one-line form",
      len(bl) == 3 and bl[1] == "pkg_builder__x@y_", bl)

p = run("--help")
check("--help exits 0 with usage", p.returncode == 0 and "--web.listen-address" in p.stdout)
helptext = p.stdout
readme = open(os.path.join(src, "README.md")).read()
for flag in re.findall(r"^\s+(?:-h, )?(--[a-z][a-z.-]+)", helptext, re.M):
    if flag.startswith("--collector.") and flag.count(".") >= 2:
        continue  # per-collector options: listed in docs/METRICS.md pages
    check("README documents %s" % flag, flag in readme)

# --once on a tree where one collector's file is missing: output still comes,
# exit status 1, and that collector reports success 0. The roots are given
# relative to the working directory; the log names the file absolutely, with
# the error in its own key.
empty = tempfile.mkdtemp()
os.makedirs(os.path.join(empty, "net"))
rel = os.path.basename(empty)
p = subprocess.run([daemon, "--once", "--path.procfs=" + rel, "--path.sysfs=./" + rel,
                    "--collector.disable-defaults", "--collector.snmp", "--collector.sysctl"],
                   capture_output=True, text=True, timeout=30, cwd=os.path.dirname(empty))
check("--once exits 1 when a collector failed", p.returncode == 1, "rc=%d" % p.returncode)
check("--once: the failing collector reports success 0, the others still 1",
      'netstack_scrape_collector_success{collector="snmp"} 0' in p.stdout and
      'netstack_scrape_collector_success{collector="sysctl"} 1' in p.stdout, p.stdout[-800:])
failed = [l for l in p.stderr.splitlines()
          if ' msg="collector failed" collector=snmp ' in l]
check("the failure is logged once, collector and err in their own keys", len(failed) == 1,
      p.stderr)
want_err = 'err="%s/net/snmp: No such file or directory"' % empty
check("err= names the missing file by its absolute path (%s/net/snmp)" % empty,
      failed and failed[0].endswith(want_err), failed)
p = subprocess.run([daemon, "--once", "--log.format=json", "--path.procfs=" + rel,
                    "--collector.disable-defaults", "--collector.snmp"],
                   capture_output=True, text=True, timeout=30, cwd=os.path.dirname(empty))
recs = [json.loads(l) for l in p.stderr.splitlines() if l.startswith("{")]
bad = [r for r in recs if r.get("msg") == "collector failed"]
check("JSON: the failure record has collector and err members",
      len(bad) == 1 and bad[0].get("collector") == "snmp"
      and bad[0].get("err") == "%s/net/snmp: No such file or directory" % empty, p.stderr)
os.rmdir(os.path.join(empty, "net"))
os.rmdir(empty)

p = run("--once", "--path.procfs=" + os.path.join(fixtures, "proc", "golden"),
        "--path.sysfs=" + os.path.join(fixtures, "sys", "golden"), "--no-collector.netdev")
check("--once exits 0 when every collector succeeded",
      p.returncode == 0 and "netstack_snmp_tcp_curr_estab " in p.stdout, p.stderr)

p = run("--once", "--once.format=openmetrics", "--collector.disable-defaults",
        "--collector.softnet")
check("--once.format=openmetrics with only softnet",
      p.returncode == 0 and p.stdout.endswith("# EOF\n") and "netstack_snmp" not in p.stdout,
      p.stderr)

p = run("--once", "--log.format=json", "--path.procfs=/tmp", "--collector.disable-defaults",
        "--collector.snmp")
check("--log.format=json logs JSON records",
      p.returncode == 1 and p.stderr.startswith('{"ts":"') and '"level":"error"' in p.stderr,
      p.stderr)

# A config file given relative to the working directory is named absolutely.
with tempfile.TemporaryDirectory() as d:
    with open(os.path.join(d, "typo.yml"), "w") as f:
        f.write("collectors:\n  netdev:\n    enabeld: true\n")
    p = subprocess.run([daemon, "--config.file=typo.yml", "--check-config"], cwd=d,
                       capture_output=True, text=True, timeout=30)
    check("config error names the file absolutely (%s/typo.yml)" % d,
          one_line_error(p, "%s/typo.yml" % d), p.stderr)
    p = subprocess.run([daemon, "--config.file=./missing.yml", "--check-config"], cwd=d,
                       capture_output=True, text=True, timeout=30)
    check("missing config file named absolutely (%s/missing.yml)" % d,
          one_line_error(p, "%s/missing.yml: No such file or directory" % d), p.stderr)


def logfmt(line):
    """key=value pairs of a logfmt record (values bare or quoted)."""
    return {k: (q if q or not b else b) for k, q, b in
            re.findall(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))', line)}


# --log.level=debug: one record per scrape with each collector's duration,
# at most one every 5 s (the scrapes not logged are counted in suppressed=).
port = free_port()
colls = ["snmp", "sockstat", "softnet", "sysctl"]
p = subprocess.Popen([daemon, "--web.listen-address=127.0.0.1:%d" % port, "--log.level=debug",
                      "--path.procfs=" + os.path.join(fixtures, "proc", "golden"),
                      "--path.sysfs=" + os.path.join(fixtures, "sys", "golden"),
                      "--collector.disable-defaults"] + ["--collector." + c for c in colls],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE, text=True)
try:
    url = "http://127.0.0.1:%d/metrics" % port
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.05)
    t0 = time.monotonic()
    for _ in range(4):
        urllib.request.urlopen(url, timeout=10).read()
    burst = time.monotonic() - t0
    time.sleep(max(0, 5.3 - (time.monotonic() - t0)))
    body = urllib.request.urlopen(url, timeout=10).read().decode()
finally:
    stop(p)
    err = p.stderr.read()
recs = [logfmt(l) for l in err.splitlines() if 'msg="scrape done"' in l]
check("debug: 5 scrapes (4 within %.2f s, one 5.3 s later) give 2 records" % burst,
      len(recs) == 2 and burst < 4.5, err[-1500:])
if len(recs) == 2:
    r = recs[0]
    check("debug: level=debug component=scrape, failed=0",
          r.get("level") == "debug" and r.get("component") == "scrape" and r.get("failed") == "0",
          r)
    durs = {c: r.get(c + "_seconds") for c in colls}
    check("debug: a duration per selected collector (%s)" % ", ".join(colls),
          all(v is not None and float(v) >= 0 for v in durs.values()), r)
    check("debug: collector durations fit in the scrape's duration_seconds",
          sum(float(v) for v in durs.values()) <= float(r.get("duration_seconds", -1)) + 1e-6,
          r)
    check("debug: the first record has no suppressed=", "suppressed" not in r, r)
    check("debug: the second record counts the 3 scrapes not logged (suppressed=3)",
          recs[1].get("suppressed") == "3", recs[1])
    m = re.search(r'^netstack_scrape_collector_duration_seconds\{collector="snmp"\} (\S+)$',
                  body, re.M)
    check("debug: snmp_seconds is the exposed collector duration of that scrape",
          m and abs(float(m.group(1)) - float(recs[1]["snmp_seconds"])) < 1e-6,
          (m and m.group(1), recs[1].get("snmp_seconds")))

sys.exit(summary())
