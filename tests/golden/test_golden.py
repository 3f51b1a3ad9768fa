#!/usr/bin/python3
"""End-to-end exposition tests of the real daemon (--once).

  test_golden.py golden DAEMON FIXTURES GOLDEN_DIR [--update]
      Run the daemon's file-reading collectors on the fixture tree in
      both formats and diff against GOLDEN_DIR/expected.{prom,om}, after
      removing the series whose values change from run to run (process_*,
      collector durations, build info). Both outputs must also pass the real
      parsers (promtool check metrics; prometheus_client's OpenMetrics parser).

  test_golden.py live DAEMON
      Run the daemon once on this machine's real /proc and /sys with every
      collector; it must exit 0 (no collector failed) and both formats must
      pass the real parsers.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nstest import check, summary  # noqa: E402

VOLATILE = re.compile(
    r"^(# (HELP|TYPE|UNIT) )?(process_|netstack_scrape_collector_duration_seconds|"
    r"netstack_exporter_build_info)")

def run_once(daemon, args, fmt):
    p = subprocess.run([daemon, "--once", "--once.format=" + fmt] + args,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def promtool_ok(text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=60)
    return p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), \
        p.stdout + p.stderr


def openmetrics_ok(text):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
    try:
        fams = list(text_string_to_metric_families(text))
    except Exception as exc:  # the parser raises ValueError with the reason
        return False, "%s: %s" % (type(exc).__name__, exc)
    return len(fams) > 0, "%d families" % len(fams)


def text_parser_ok(text):
    from prometheus_client.parser import text_string_to_metric_families
    try:
        fams = list(text_string_to_metric_families(text))
    except Exception as exc:
        return False, "%s: %s" % (type(exc).__name__, exc)
    return len(fams) > 0, "%d families" % len(fams)


def stable(text):
    return "".join(l + "\n" for l in text.splitlines() if not VOLATILE.match(l))


def read_pairs(path):
    """/proc/net/snmp and netstat: header/value line pairs -> {(Sect, Field): value}."""
    out = {}
    lines = open(path).read().splitlines()
    for head, vals in zip(lines[0::2], lines[1::2]):
        sect, names = head.split(":", 1)
        _, values = vals.split(":", 1)
        for n, v in zip(names.split(), values.split()):
            out[(sect, n)] = int(v)
    return out


def crosscheck(procfs, text):
    """Check the exposed values against the fixture files, parsed here
    independently of the daemon: every snmp and sysctl sample, softnet's
    contract counters. Returns (checked, mismatches)."""
    from prometheus_client.parser import text_string_to_metric_families
    net = os.path.join(procfs, "net")
    pairs = {"snmp": read_pairs(os.path.join(net, "snmp")),
             "netstat": read_pairs(os.path.join(net, "netstat"))}
    snmp6 = {}
    for l in open(os.path.join(net, "snmp6")):
        if l.split():
            k, v = l.split()
            snmp6[k] = int(v)
    softnet = [l.split() for l in open(os.path.join(net, "softnet_stat"))]
    checked, bad = 0, []
    help_re = re.compile(r"Kernel (?:counter|gauge) (\S+) from /proc/net/(\w+)(\.|, in seconds "
                         r"\(milliseconds there\)\.)$")
    sysctl_re = re.compile(r"\(/proc/(sys/\S+)\)")
    for fam in text_string_to_metric_families(text):
        for smp in fam.samples:
            want = None
            m = help_re.search(fam.documentation)
            if fam.name.startswith("netstack_snmp_") and m:
                key, file, conv = m.groups()
                want = pairs[file][tuple(key.split(":"))] if ":" in key else snmp6[key]
                if conv != ".":  # RtoMin/RtoMax: milliseconds in the file
                    want = want / 1000
            elif fam.name == "netstack_sysctl_info":
                path = os.path.join(procfs, "sys", *smp.labels["name"].split("."))
                want = 1 if open(path).read().strip() == smp.labels["value"] else "content"
            elif fam.name.startswith("netstack_sysctl_") and sysctl_re.search(fam.documentation):
                vals = open(os.path.join(procfs, sysctl_re.search(fam.documentation).group(1))).read().split()
                want = int(vals[int(smp.labels.get("index", 0))])
            elif fam.name in ("netstack_softnet_processed", "netstack_softnet_dropped",
                              "netstack_softnet_times_squeezed"):
                col = {"netstack_softnet_processed": 0, "netstack_softnet_dropped": 1,
                       "netstack_softnet_times_squeezed": 2}[fam.name]
                row = [r for r in softnet if int(r[12], 16) == int(smp.labels["cpu"])][0]
                want = int(row[col], 16)
            else:
                continue
            checked += 1
            if want != smp.value:
                bad.append("%s%s = %s, fixture says %s" % (smp.name, smp.labels, smp.value, want))
    return checked, bad


def golden(daemon, fixtures, gdir, update):
    args = ["--path.procfs=" + os.path.join(fixtures, "proc", "golden"),
            "--path.sysfs=" + os.path.join(fixtures, "sys", "golden"),
            # the collectors that read files; netdev and conntrack read netlink
            # and are covered by their replay and live tests
            "--collector.disable-defaults", "--collector.snmp", "--collector.sockstat",
            "--collector.softnet", "--collector.sysctl"]
    for fmt, ext in (("text", "prom"), ("openmetrics", "om")):
        rc, out, err = run_once(daemon, args, fmt)
        check("golden %s: daemon --once exit 0" % fmt, rc == 0, err)
        path = os.path.join(gdir, "expected." + ext)
        got = stable(out)
        if update:
            with open(path, "w") as f:
                f.write(got)
            print("wrote " + path)
        with open(path) as f:
            want = f.read()
        if got != want:
            import difflib
            diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                path, "daemon output"))
            check("golden %s: output equals %s" % (fmt, path), False)
            print(diff)  # whole, not cut like a check's detail
        else:
            check("golden %s: output equals %s" % (fmt, path), True)
        if fmt == "text":
            ok, why = promtool_ok(out)
            check("golden text: promtool check metrics is clean", ok, why)
            ok, why = text_parser_ok(out)
            check("golden text: prometheus_client text parser accepts it", ok, why)
            n, bad = crosscheck(os.path.join(fixtures, "proc", "golden"), out)
            check("golden text: %d values equal the fixture files parsed independently" % n,
                  n > 400 and not bad, "\n".join(bad[:20]))
        else:
            check("golden openmetrics: ends with # EOF", out.endswith("# EOF\n"))
            ok, why = openmetrics_ok(out)
            check("golden openmetrics: prometheus_client OpenMetrics parser accepts it", ok,
                  why)


def live(daemon):
    for fmt in ("text", "openmetrics"):
        rc, out, err = run_once(daemon, [], fmt)
        check("live %s: every collector succeeded (exit 0)" % fmt, rc == 0, err)
        check("live %s: self-metrics present" % fmt, "netstack_scrape_collector_success" in out)
        bad = [l for l in out.splitlines()
               if l.startswith("netstack_scrape_collector_success") and not l.endswith(" 1")]
        check("live %s: no collector reports success 0" % fmt, not bad, "\n".join(bad))
        if fmt == "text":
            ok, why = promtool_ok(out)
            check("live text: promtool check metrics is clean", ok, why)
            ok, why = text_parser_ok(out)
            check("live text: prometheus_client text parser accepts it", ok, why)
        else:
            ok, why = openmetrics_ok(out)
            check("live openmetrics: prometheus_client OpenMetrics parser accepts it", ok, why)


def main():
    mode = sys.argv[1]
    if mode == "golden":
        golden(sys.argv[2], sys.argv[3], sys.argv[4], "--update" in sys.argv)
    elif mode == "live":
        live(sys.argv[2])
    else:
        sys.exit("unknown mode " + mode)
    sys.exit(summary())


if __name__ == "__main__":
    main()
