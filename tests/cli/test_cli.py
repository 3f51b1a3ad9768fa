#!/usr/bin/python3
"""Command line behaviour of the real binary.

  test_cli.py DAEMON SOURCE_DIR FIXTURES

Exit statuses (0 ok, 1 a collector failed under --once, 2 bad flags or
config), one-line errors, --help/--version, --check-config, and that the
README's flag table matches --help.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nstest import check, free_port, stop, summary  # noqa: E402

daemon, src, fixtures = sys.argv[1], sys.argv[2], sys.argv[3]


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
# exit status 1, and that collector reports success 0.
empty = tempfile.mkdtemp()
os.makedirs(os.path.join(empty, "net"))
p = run("--once", "--path.procfs=" + empty, "--path.sysfs=" + empty,
        "--collector.disable-defaults", "--collector.snmp", "--collector.sysctl")
check("--once exits 1 when a collector failed", p.returncode == 1, "rc=%d" % p.returncode)
check("--once: the failing collector reports success 0, the others still 1",
      'netstack_scrape_collector_success{collector="snmp"} 0' in p.stdout and
      'netstack_scrape_collector_success{collector="sysctl"} 1' in p.stdout, p.stdout[-800:])
check("the failure is logged once", p.stderr.count("collector snmp failed") == 1, p.stderr)
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

sys.exit(summary())
