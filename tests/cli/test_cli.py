#!/usr/bin/python3
"""Command line behaviour of the real binary.

  test_cli.py DAEMON SOURCE_DIR FIXTURES

Exit statuses (0 ok, 1 a collector failed under --once, 2 bad flags or
config), one-line errors, --help/--version, --check-config, and that the
README's flag table matches --help.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nstest import check, summary  # noqa: E402

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

# Option values that only a collector's init() can judge are still
# configuration errors: the daemon must not start half-configured.
if "  tcp " in run("--help").stdout:
    for args, needle in [
        (["--collector.tcp.remote-ports=abc"], "collector tcp: tcp: remote-ports: 'abc' is not a port"),
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

p = run("--version")
check("--version prints the version",
      p.returncode == 0 and re.match(r"netstack_exporter version \d+\.\d+\.\d+ ", p.stdout),
      p.stdout)

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
