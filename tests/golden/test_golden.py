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

VOLATILE = re.compile(
    r"^(# (HELP|TYPE|UNIT) )?(process_|netstack_scrape_collector_duration_seconds|"
    r"netstack_exporter_build_info)")

results = {"passed": 0, "failed": 0}


def check(ok, what, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + what)
    if not ok and detail:
        print(detail)


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
    help_re = re.compile(r"Kernel (?:counter|gauge) (\S+) from /proc/net/(\S+)\.$")
    sysctl_re = re.compile(r"\(/proc/(sys/\S+)\)")
    for fam in text_string_to_metric_families(text):
        for smp in fam.samples:
            want = None
            m = help_re.search(fam.documentation)
            if fam.name.startswith("netstack_snmp_") and m:
                key, file = m.groups()
                want = pairs[file][tuple(key.split(":"))] if ":" in key else snmp6[key]
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
        check(rc == 0, "golden %s: daemon --once exit 0" % fmt, err)
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
            check(False, "golden %s: output equals %s" % (fmt, path), diff)
        else:
            check(True, "golden %s: output equals %s" % (fmt, path))
        if fmt == "text":
            ok, why = promtool_ok(out)
            check(ok, "golden text: promtool check metrics is clean", why)
            ok, why = text_parser_ok(out)
            check(ok, "golden text: prometheus_client text parser accepts it", why)
            n, bad = crosscheck(os.path.join(fixtures, "proc", "golden"), out)
            check(n > 400 and not bad,
                  "golden text: %d values equal the fixture files parsed independently" % n,
                  "\n".join(bad[:20]))
        else:
            check(out.endswith("# EOF\n"), "golden openmetrics: ends with # EOF")
            ok, why = openmetrics_ok(out)
            check(ok, "golden openmetrics: prometheus_client OpenMetrics parser accepts it",
                  why)


def live(daemon):
    for fmt in ("text", "openmetrics"):
        rc, out, err = run_once(daemon, [], fmt)
        check(rc == 0, "live %s: every collector succeeded (exit 0)" % fmt, err)
        check("netstack_scrape_collector_success" in out, "live %s: self-metrics present" % fmt)
        bad = [l for l in out.splitlines()
               if l.startswith("netstack_scrape_collector_success") and not l.endswith(" 1")]
        check(not bad, "live %s: no collector reports success 0" % fmt, "\n".join(bad))
        if fmt == "text":
            ok, why = promtool_ok(out)
            check(ok, "live text: promtool check metrics is clean", why)
            ok, why = text_parser_ok(out)
            check(ok, "live text: prometheus_client text parser accepts it", why)
        else:
            ok, why = openmetrics_ok(out)
            check(ok, "live openmetrics: prometheus_client OpenMetrics parser accepts it", why)


def main():
    mode = sys.argv[1]
    if mode == "golden":
        golden(sys.argv[2], sys.argv[3], sys.argv[4], "--update" in sys.argv)
    elif mode == "live":
        live(sys.argv[2])
    else:
        sys.exit("unknown mode " + mode)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
