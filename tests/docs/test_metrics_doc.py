#!/usr/bin/python3
"""docs/METRICS.md is current and lists every metric family the daemon exposes.

  test_metrics_doc.py SOURCE_DIR DAEMON

Runs the daemon once on this machine with every compiled-in collector and
checks that each exposed family name appears in docs/METRICS.md. The snmp
collector derives its names from the kernel's field names by one documented
rule, so a field a newer kernel adds cannot be listed in advance: for
netstack_snmp_* it is enough that the rule's section is documented. The
same holds for ethtool driver statistics (the driver names them) and for
sysctls named in the config.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from nstest import check, summary  # noqa: E402

src, daemon = sys.argv[1], sys.argv[2]
doc = open(src + "/docs/METRICS.md").read()
gen = subprocess.run([src + "/scripts/gen-metrics-doc", "-"], capture_output=True, text=True).stdout
check("docs/METRICS.md is what scripts/gen-metrics-doc makes of docs/metrics/", gen == doc)

helpout = subprocess.run([daemon, "--help"], capture_output=True, text=True).stdout
collectors = re.findall(r"^  (\w+)\s+\[(?:enabled|disabled)\]", helpout, re.M)
args = ["--once", "--collector.disable-defaults"] + ["--collector." + c for c in collectors]
p = subprocess.run([daemon] + args, capture_output=True, text=True, timeout=120)
names = sorted(set(re.findall(r"^# TYPE (\S+) ", p.stdout, re.M)))
check("daemon exposed %d families with collectors %s" % (len(names), ",".join(collectors)),
      len(names) > 50, p.stderr)
# Families whose names the kernel or the driver supplies, by a documented rule.
DERIVED = ("netstack_snmp_", "netstack_sysctl_net_", "netstack_ethtool_driver_",
           "netstack_ethtool_queue_")
for prefix in DERIVED:
    check("the naming rule for %s* is documented" % prefix, prefix in doc)
missing = [n for n in names if "`%s`" % n not in doc and n not in doc
           and not n.startswith(DERIVED)]
check("every exposed family is listed in docs/METRICS.md", not missing, "\n".join(missing))
for sect in sorted({n.split("_")[2] for n in names if n.startswith("netstack_snmp_")}):
    check("snmp section %s documented" % sect, "netstack_snmp_%s_" % sect in doc)
sys.exit(summary())
