#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Checks of the Grafana dashboards in dashboards/.

Usage: test_dashboards.py <source-dir>

Static checks (this script alone, suite 'dashboards'):

  * every dashboards/*.json parses, has no `__inputs`/`__requires`, a uid
    equal to "netstack-<file name>" (stable, unique), a unique title, a
    description, the tag netstack, no fixed `id`;
  * templating: exactly one variable of type datasource named `datasource`
    (query prometheus), query variables `job` and `instance` (instance
    filtered by $job); every datasource reference (panels, targets,
    variables) is the variable ${datasource}, never a fixed uid;
  * every panel except rows has a description of at least 60 characters,
    a unit (fieldConfig.defaults.unit, a Grafana unit id from the list
    below), and at least one target with a non-empty expr; rows hold no
    queries; panel ids are unique and no two panels overlap;
  * every expression: each rate(), irate() and increase() takes
    [$__rate_interval]; no range selector uses a fixed duration; every
    metric selector carries instance=~"$instance" and job="$job" (ALERTS
    only instance); the brackets balance;
  * the overview's rows follow the stack's layers top-down (sockets,
    transport, network, netfilter, queueing, device, hardware);
  * panel links to /d/<uid> point at an existing dashboard;
  * when config/prometheus/netstack-alerts.yml exists: every alert's
    signal (a netstack_ metric its expression uses, recording rules
    resolved through netstack-rules.yml) appears in an overview panel;
  * tests/lab/allowed-empty.json: every entry names an existing panel and
    target and gives a reason;
  * dashboards/ holds nothing Grafana would misread as a dashboard (the
    JSON is generated from mixin/: scripts/gen-mixin --check, suite mixin);
  * dashboards/provisioning: a file provider (apiVersion 1, type file,
    options.path) and a Prometheus data source example with timeInterval.

Live checks (live_check(), called by test_lab.py against its real
Prometheus): every target's expr, with the template variables substituted,
is sent to Prometheus and must parse (status success) and return data,
unless the panel is listed in tests/lab/allowed-empty.json with a reason;
the job and instance variable queries must list the lab's job and instance.

Exit status: 0 passed, 1 failed.
"""
import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request

PY = "/usr/bin/python3"
# Panels allowed to be empty in the live lab: a test fixture, kept out of
# dashboards/ (Grafana's file provisioner would load it as a dashboard).
ALLOWED_EMPTY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "allowed-empty.json")

# Grafana unit ids the dashboards may use.
UNITS = {"short", "none", "percentunit", "percent", "bytes", "decbytes", "bps", "Bps",
         "binBps", "pps", "cps", "ops", "s", "ms", "µs", "ns", "dtdurations", "reqps"}
PANEL_TYPES = {"timeseries", "stat", "table", "gauge", "bargauge", "state-timeline",
               "heatmap", "barchart"}
RATE_FUNCS = ("rate", "irate", "increase")
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
            "or", "unless", "offset", "inf", "nan", "atan2"}
# Overview rows, top-down: a keyword of each layer, in order.
LAYERS = ["socket", "transport", "network", "netfilter", "queue", "device", "hardware"]


class Result:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: %s%s" % (name, (" -- " + detail) if detail else ""), flush=True)
        return ok


def load_dashboards(src):
    ddir = os.path.join(src, "dashboards")
    out = []
    for name in sorted(os.listdir(ddir)):
        if name.endswith(".json"):
            out.append((name, os.path.join(ddir, name)))
    return out


def panels_of(dash):
    for p in dash.get("panels", []):
        yield p
        for q in p.get("panels", []) or []:  # collapsed rows keep their panels inside
            yield q


# ---------------------------------------------------------------- expressions

def strip_strings(expr):
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)


def call_args(expr, start):
    """expr[start] is '(' -> (argument text, index after the matching ')')."""
    depth = 0
    for i in range(start, len(expr)):
        c = expr[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return expr[start + 1:i], i + 1
    return None, len(expr)


def expr_problems(expr):
    """Convention problems of one PromQL expression (list of strings)."""
    probs = []
    s = strip_strings(expr)
    for o, c in ("()", "{}", "[]"):
        if s.count(o) != s.count(c):
            probs.append("unbalanced %s%s" % (o, c))
    if probs:
        return probs
    for m in re.finditer(r"\b(%s)\s*\(" % "|".join(RATE_FUNCS), s):
        arg, _ = call_args(s, m.end() - 1)
        ranges = re.findall(r"\[([^\]]*)\]\s*\)?\s*$", arg or "")
        if not ranges or ranges[-1] != "$__rate_interval":
            probs.append("%s() without [$__rate_interval]" % m.group(1))
    for r in re.findall(r"\[([^\]]*)\]", s):
        if r not in ("$__rate_interval", "$__interval", "$__range"):
            probs.append("range [%s] is not a Grafana interval variable" % r)
    for sel in re.findall(r"\{[^}]*\}", expr):
        if 'instance=~"$instance"' not in sel:
            probs.append('selector %s without instance=~"$instance"' % sel)
    # Metric selectors: identifiers that are not functions, keywords or label names.
    t = re.sub(r"\{[^}]*\}", lambda mm: "{" + "\0" * (len(mm.group(0)) - 2) + "}", expr)
    t = strip_strings(t)
    t = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)",
               lambda mm: " " * len(mm.group(0)), t)
    t = re.sub(r"\[[^\]]*\]", lambda mm: " " * len(mm.group(0)), t)
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", t):
        name = m.group(0)
        before = t[m.start() - 1] if m.start() else " "
        if before.isdigit() or before == ".":
            continue  # part of a number like 1e6
        rest = t[m.end():].lstrip()
        if rest.startswith("(") or name.lower() in KEYWORDS:
            continue
        if not rest.startswith("{"):
            probs.append("bare metric %s without selector" % name)
            continue
        sel = expr[m.end():]
        sel = sel[sel.index("{"):]
        sel = sel[:sel.index("}") + 1]
        if 'instance=~"$instance"' not in sel:
            probs.append('%s without instance=~"$instance"' % name)
        if name != "ALERTS" and 'job="$job"' not in sel:
            probs.append('%s without job="$job"' % name)
    return probs


def metric_names(expr):
    names = set(re.findall(r"(?<![\w:])((?:netstack|process)_[a-z0-9_]+)(?![\w:])",
                           strip_strings(expr)))
    for alt in re.findall(r'__name__=~?"([^"]*)"', expr):  # {__name__=~"a|b"}
        names |= {n for n in alt.split("|") if re.fullmatch(r"[a-z_][a-z0-9_]*", n)}
    return names


# ---------------------------------------------------------------- static

def static_check(src, res):
    dashboards = load_dashboards(src)
    res.check("dashboards exist", len(dashboards) >= 5, "found %d" % len(dashboards))
    uids, titles, parsed = {}, {}, {}
    for name, path in dashboards:
        try:
            with open(path) as fh:
                d = json.load(fh)
        except ValueError as e:
            res.check("%s is valid JSON" % name, False, str(e))
            continue
        parsed[name] = d
        stem = name[:-5]
        res.check("%s: no __inputs/__requires" % name,
                  "__inputs" not in d and "__requires" not in d)
        res.check("%s: uid is netstack-%s" % (name, stem), d.get("uid") == "netstack-" + stem,
                  repr(d.get("uid")))
        res.check("%s: uid unique" % name, d.get("uid") not in uids, str(uids.get(d.get("uid"))))
        uids[d.get("uid")] = name
        res.check("%s: title unique" % name, d.get("title") and d.get("title") not in titles)
        titles[d.get("title")] = name
        res.check("%s: description" % name, len(d.get("description", "")) >= 40)
        res.check("%s: tag netstack" % name, "netstack" in d.get("tags", []))
        res.check("%s: no fixed id" % name, d.get("id") is None)
        check_templating(name, d, res)
        check_datasource_refs(name, d, res)
        check_panels(name, d, res)
    # overview layers
    ov = parsed.get("overview.json")
    if res.check("overview.json exists", ov is not None):
        rows = [p["title"].lower() for p in ov["panels"] if p.get("type") == "row"]
        pos = []
        for layer in LAYERS:
            idx = [i for i, t in enumerate(rows) if layer in t]
            pos.append(idx[0] if idx else -1)
        res.check("overview rows follow the layers %s" % LAYERS,
                  -1 not in pos and pos == sorted(pos), "rows %s" % rows)
        check_alert_signals(src, ov, res)
    # links
    for name, d in parsed.items():
        for p in panels_of(d):
            for ln in p.get("links", []):
                m = re.match(r"/d/([^/?]+)", ln.get("url", ""))
                res.check("%s / %s: link to an existing dashboard" % (name, p.get("title")),
                          m is not None and m.group(1) in uids, ln.get("url", ""))
    check_allowed_empty(src, parsed, res)
    res.check("dashboards/ holds only dashboards, README.md and provisioning/ (Grafana's "
              "file provisioner loads every .json there)",
              sorted(os.listdir(os.path.join(src, "dashboards"))) ==
              sorted(["README.md", "provisioning"] + list(parsed)),
              str(sorted(os.listdir(os.path.join(src, "dashboards")))))
    check_provisioning(src, res)
    return parsed


def check_templating(name, d, res):
    tv = d.get("templating", {}).get("list", [])
    byname = {v.get("name"): v for v in tv}
    ds = [v for v in tv if v.get("type") == "datasource"]
    res.check("%s: exactly one datasource variable" % name, len(ds) == 1, str(len(ds)))
    if ds:
        res.check("%s: datasource variable is named datasource, query prometheus" % name,
                  ds[0].get("name") == "datasource" and ds[0].get("query") == "prometheus")
    for vn in ("job", "instance"):
        v = byname.get(vn)
        if not res.check("%s: variable %s" % (name, vn), v is not None and v.get("type") == "query"):
            continue
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        res.check("%s: variable %s uses label_values" % (name, vn),
                  isinstance(q, str) and q.startswith("label_values(") and
                  q.rstrip().endswith(", %s)" % vn), repr(q))
        if vn == "instance":
            res.check("%s: instance variable filtered by $job" % name, 'job="$job"' in (q or ""))


def check_datasource_refs(name, d, res):
    bad = []

    def walk(o, path):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "datasource":
                    ok = (v == {"type": "prometheus", "uid": "${datasource}"} or
                          (path.startswith("annotations") and isinstance(v, dict) and
                           v.get("type") == "grafana"))
                    if not ok:
                        bad.append("%s.%s=%r" % (path, k, v))
                walk(v, path + "." + k)
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, "%s[%d]" % (path, i))

    for k in ("panels", "templating", "annotations"):
        walk(d.get(k), k)
    res.check("%s: every datasource is ${datasource}" % name, not bad, "; ".join(bad[:5]))


def check_panels(name, d, res):
    ids = set()
    boxes = []
    for p in panels_of(d):
        title = p.get("title", "?")
        pid = p.get("id")
        res.check("%s / %s: unique panel id" % (name, title), pid not in ids, str(pid))
        ids.add(pid)
        g = p.get("gridPos", {})
        res.check("%s / %s: gridPos inside 24 columns" % (name, title),
                  g.get("x", -1) >= 0 and g.get("w", 0) > 0 and g["x"] + g["w"] <= 24)
        for (t2, g2) in boxes:
            if (g.get("x", 0) < g2["x"] + g2["w"] and g2["x"] < g.get("x", 0) + g.get("w", 0) and
                    g.get("y", 0) < g2["y"] + g2["h"] and g2["y"] < g.get("y", 0) + g.get("h", 0)):
                res.check("%s / %s: does not overlap %s" % (name, title, t2), False)
        boxes.append((title, g))
        if p.get("type") == "row":
            res.check("%s / row %s: has a title and no query" % (name, title),
                      bool(p.get("title")) and not p.get("targets"))
            continue
        res.check("%s / %s: known panel type" % (name, title), p.get("type") in PANEL_TYPES,
                  str(p.get("type")))
        res.check("%s / %s: description" % (name, title), len(p.get("description", "")) >= 60,
                  repr(p.get("description", ""))[:80])
        unit = p.get("fieldConfig", {}).get("defaults", {}).get("unit")
        res.check("%s / %s: unit" % (name, title), unit in UNITS, repr(unit))
        targets = p.get("targets") or []
        exprs = [t.get("expr", "") for t in targets]
        res.check("%s / %s: at least one target with expr" % (name, title),
                  targets and all(e.strip() for e in exprs))
        refids = [t.get("refId") for t in targets]
        res.check("%s / %s: unique refIds" % (name, title), len(set(refids)) == len(refids))
        for t in targets:
            probs = expr_problems(t.get("expr", ""))
            res.check("%s / %s / %s: expression conventions" % (name, title, t.get("refId")),
                      not probs, "; ".join(probs) + " in " + t.get("expr", ""))


def load_yaml(path):
    import yaml  # python3-yaml
    with open(path) as fh:
        return yaml.safe_load(fh)


def check_alert_signals(src, ov, res):
    apath = os.path.join(src, "config", "prometheus", "netstack-alerts.yml")
    rpath = os.path.join(src, "config", "prometheus", "netstack-rules.yml")
    if not os.path.exists(apath):
        print("NOTE: %s does not exist; alert signal coverage not checked" % apath)
        return
    try:
        alerts = load_yaml(apath) or {}
        rules = load_yaml(rpath) or {} if os.path.exists(rpath) else {}
    except ImportError:
        print("NOTE: python3-yaml missing; alert signal coverage not checked")
        return
    records = {}
    if rules:
        for g in rules.get("groups", []):
            for r in g.get("rules", []):
                if "record" in r:
                    records[r["record"]] = r["expr"]
    for g in alerts.get("groups", []):
        for r in g.get("rules", []):
            if "record" in r:
                records[r["record"]] = r["expr"]
    ov_metrics = set()
    for p in panels_of(ov):
        for t in p.get("targets", []) or []:
            ov_metrics |= metric_names(t.get("expr", ""))

    def signals(expr, depth=0):
        out = metric_names(expr)
        for rec, rexpr in records.items():
            if depth < 5 and re.search(r"(?<![\w:])%s(?![\w:])" % re.escape(rec), expr):
                out |= signals(rexpr, depth + 1)
        return out

    for g in alerts.get("groups", []):
        for r in g.get("rules", []):
            if "alert" not in r:
                continue
            sig = {s for s in signals(str(r["expr"])) if s.startswith("netstack_")}
            if not sig:
                continue  # e.g. up == 0: shown by the "Scrape target up" panel
            res.check("overview shows the signal of alert %s" % r["alert"], sig & ov_metrics,
                      "none of %s in the overview" % sorted(sig))


def check_allowed_empty(src, parsed, res):
    path = ALLOWED_EMPTY
    if not os.path.exists(path):
        return
    with open(path) as fh:
        entries = json.load(fh).get("allowed_empty", [])
    byuid = {d["uid"]: d for d in parsed.values()}
    for e in entries:
        d = byuid.get(e.get("uid"))
        ok = d is not None
        if ok:
            ps = [p for p in panels_of(d) if p.get("title") == e.get("panel")]
            ok = len(ps) == 1 and (e.get("refId") is None or
                                   e["refId"] in [t.get("refId") for t in ps[0].get("targets", [])])
        res.check("allowed-empty entry %s / %s names an existing panel" %
                  (e.get("uid"), e.get("panel")), ok)
        res.check("allowed-empty entry %s / %s has a reason" % (e.get("uid"), e.get("panel")),
                  len(e.get("reason", "")) >= 20)


def check_provisioning(src, res):
    pdir = os.path.join(src, "dashboards", "provisioning")
    try:
        prov = load_yaml(os.path.join(pdir, "dashboards", "netstack.yaml"))
        ds = load_yaml(os.path.join(pdir, "datasources", "prometheus.example.yaml"))
    except ImportError:
        print("NOTE: python3-yaml missing, provisioning files not parsed")
        return
    except (OSError, ValueError) as e:
        res.check("provisioning files parse", False, str(e))
        return
    provs = prov.get("providers", []) if isinstance(prov, dict) else []
    res.check("dashboard provider: apiVersion 1, type file, options.path",
              prov.get("apiVersion") == 1 and provs and provs[0].get("type") == "file" and
              provs[0].get("options", {}).get("path"))
    dss = ds.get("datasources", []) if isinstance(ds, dict) else []
    res.check("datasource example: prometheus with jsonData.timeInterval",
              ds.get("apiVersion") == 1 and dss and dss[0].get("type") == "prometheus" and
              dss[0].get("jsonData", {}).get("timeInterval"))


# ---------------------------------------------------------------- live

def substitute(expr, subs):
    for k in sorted(subs, key=len, reverse=True):
        expr = expr.replace("${%s}" % k.lstrip("$"), subs[k]).replace(k, subs[k])
    return expr


def prom_get(base, path, params, timeout=10):
    url = base + path + "?" + urllib.parse.urlencode(params, doseq=True)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        try:
            return json.loads(e.read().decode())
        except ValueError:
            return {"status": "error", "error": "HTTP %d" % e.code}


def live_check(src, prom, job, instance, start, end, res, log=print):
    """Send every panel query to a live Prometheus. Returns the number of queries."""
    dashboards = load_dashboards(src)
    with open(ALLOWED_EMPTY) as fh:
        allowed = {(e["uid"], e["panel"], e.get("refId")): e["reason"]
                   for e in json.load(fh)["allowed_empty"]}
    subs = {"$job": job, "$instance": instance, "$__rate_interval": "1m",
            "$__interval": "2s", "$__range": "%ds" % max(60, int(end - start)),
            "$device": ".+", "$netns": ""}
    n = 0
    for name, path in dashboards:
        with open(path) as fh:
            d = json.load(fh)
        uid = d["uid"]
        # variables
        for v in d["templating"]["list"]:
            if v.get("type") != "query":
                continue
            q = substitute(v["query"]["query"], subs)
            m = re.match(r"label_values\((.*),\s*(\w+)\)$", q)
            if not res.check("%s: variable %s is label_values()" % (uid, v["name"]), m):
                continue
            r = prom_get(prom, "/api/v1/series", {"match[]": m.group(1), "start": start,
                                                  "end": end})
            vals = sorted({s.get(m.group(2)) for s in r.get("data", [])} - {None})
            want = {"job": job, "instance": instance}.get(v["name"])
            res.check("%s: variable %s lists the lab's value" % (uid, v["name"]),
                      r.get("status") == "success" and (want in vals if want else vals),
                      "%s -> %s" % (q, vals))
        for p in panels_of(d):
            if p.get("type") == "row":
                continue
            for t in p.get("targets", []):
                expr = substitute(t["expr"], subs)
                n += 1
                key = (uid, p["title"], t["refId"])
                what = "%s / %s / %s" % key
                if not res.check("%s: no variable left" % what, "$" not in expr, expr):
                    continue
                if t.get("instant"):
                    r = prom_get(prom, "/api/v1/query", {"query": expr, "time": end})
                    data = (r.get("data") or {}).get("result", [])
                else:
                    r = prom_get(prom, "/api/v1/query_range",
                                 {"query": expr, "start": start, "end": end, "step": 2})
                    data = [s for s in (r.get("data") or {}).get("result", []) if s.get("values")]
                if not res.check("%s: query parses and runs" % what, r.get("status") == "success",
                                 "%s: %s" % (r.get("error"), expr)):
                    continue
                reason = allowed.get(key) or allowed.get((uid, p["title"], None))
                if reason:
                    log("allowed empty (%s): %s -> %d series" % (reason[:60], what, len(data)))
                    continue
                res.check("%s: returns data" % what, len(data) > 0, expr)
    return n


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    src = sys.argv[1]
    res = Result()
    parsed = static_check(src, res)
    npanels = sum(1 for d in parsed.values() for p in panels_of(d) if p.get("type") != "row")
    print("%d dashboards, %d panels: %d checks passed, %d failed" %
          (len(parsed), npanels, res.passed, res.failed))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
