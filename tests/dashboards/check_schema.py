#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Type-check every generated dashboard against Grafana's own schema.

Usage: check_schema.py <source-dir>

Each dashboards/*.json becomes `const d: NetstackDashboard = <the JSON>;`
in a temporary TypeScript file, and `tsc --noEmit --strict` checks it
against tests/dashboards/netstack-dashboard.ts: @grafana/schema's
Dashboard type, panel options typed by the timeseries, stat and table
panel schemas, queries as Grafana's Prometheus data source defines them.
A field the schema does not know (Grafana would drop it), a missing
required field or a value outside an enum fails. The packages are pinned by
tests/dashboards/package-lock.json (`npm ci` there; scripts/deps.sh --test
runs it). Exit 0 passed, 1 failed, 77 skipped (node or the packages
missing).
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    src = os.path.abspath(sys.argv[1])
    node = shutil.which("node")
    tsc = os.path.join(HERE, "node_modules", "typescript", "bin", "tsc")
    schema = os.path.join(HERE, "node_modules", "@grafana", "schema", "package.json")
    if not node:
        print("SKIP: node not installed (Debian: apt-get install nodejs npm)")
        return 77
    if not (os.path.exists(tsc) and os.path.exists(schema)):
        print("SKIP: run `npm ci` in tests/dashboards (scripts/deps.sh --test does)")
        return 77
    with open(schema) as fh:
        version = json.load(fh)["version"]
    boards = sorted(glob.glob(os.path.join(src, "dashboards", "*.json")))
    if not boards:
        print("FAIL: no dashboards/*.json")
        return 1
    with tempfile.TemporaryDirectory(prefix="netstack-schema-") as tmp:
        typedef = os.path.join(HERE, "netstack-dashboard.ts")
        names = []
        for path in boards:
            name = os.path.splitext(os.path.basename(path))[0]
            names.append(name)
            with open(path) as fh:
                body = fh.read()
            with open(os.path.join(tmp, name + ".ts"), "w") as fh:
                fh.write("import type { NetstackDashboard } from %s;\n"
                         "export const dashboard: NetstackDashboard = %s;\n"
                         % (json.dumps(typedef[:-3]), body.rstrip()))
        with open(os.path.join(tmp, "tsconfig.json"), "w") as fh:
            json.dump({
                "compilerOptions": {
                    "strict": True, "noEmit": True, "skipLibCheck": True,
                    "module": "esnext", "moduleResolution": "bundler", "target": "es2020",
                    "types": [], "typeRoots": [], "baseUrl": HERE,
                    "paths": {"*": [os.path.join(HERE, "node_modules", "*")]},
                },
                "include": [os.path.join(tmp, "*.ts"), typedef],
            }, fh)
        r = subprocess.run([node, tsc, "-p", tmp], capture_output=True, text=True, timeout=300)
    out = (r.stdout + r.stderr).strip()
    errors = [ln for ln in out.splitlines() if "error TS" in ln]
    for name in names:
        bad = [ln for ln in errors if os.path.basename(ln).startswith(name + ".ts")]
        print("%s dashboards/%s.json against @grafana/schema %s Dashboard%s"
              % ("ok  " if not bad and r.returncode in (0, 2) else "FAIL", name, version,
                 "" if not bad else ":\n    " + "\n    ".join(b[:400] for b in bad[:10])))
    if r.returncode != 0 and not errors:
        print("FAIL: tsc exit %d: %s" % (r.returncode, out[-2000:]))
    print("%d dashboards, %d type errors" % (len(names), len(errors)))
    return 0 if r.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
