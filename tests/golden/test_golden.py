#!/usr/bin/python3
"""End-to-end exposition tests of the real daemon (--once).

  test_golden.py golden DAEMON FIXTURES GOLDEN_DIR [--update]
      Run the daemon on the fixture tree (procfs, sysfs, netlink replay) in
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


def golden(daemon, fixtures, gdir, update):
    args = ["--path.procfs=" + os.path.join(fixtures, "proc", "golden"),
            "--path.sysfs=" + os.path.join(fixtures, "sys", "golden"),
            "--debug.netlink-replay=" + os.path.join(fixtures, "netlink", "golden")]
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
