#!/usr/bin/python3
"""Static checks of config/prometheus/netstack-{alerts,rules,tuning}.yml.

Usage: check_rules.py [REPO_ROOT]   (default: two directories up)

Checks, each failure printed as one line, exit status 1 if any:
  * every alert has labels.severity in {critical, warning, info} and
    non-empty annotations summary, description and runbook_url;
  * runbook_url is RUNBOOK_BASE + <AlertName>.md and that file exists in
    docs/runbooks/, with the sections a runbook must have;
  * alert names are unique, recording rule names are unique and contain ':';
  * every metric name used in an expression (alerts and recording rules, and
    the queries inside annotation templates) is listed in docs/METRICS.md or
    is a recording rule of netstack-rules.yml;
  * every alert appears in the promtool tests (tests/alerts/*_test.yml) at
    least once firing (non-empty exp_alerts) and once not firing (empty
    exp_alerts); every alertname the tests name exists (promtool passes a
    "not firing" case for an unknown name silently); every input series of
    the tests uses a documented metric name; every test file loads both
    rule files;
  * every alert is in the table of docs/ALERTS.md.
"""
import glob
import os
import re
import sys

import yaml

RUNBOOK_BASE = "https://github.com/netstack-exporter/netstack_exporter/blob/main/docs/runbooks/"
SEVERITIES = {"critical", "warning", "info"}
RUNBOOK_SECTIONS = ("## Meaning", "## Confirm", "## Fix")

# PromQL words that look like identifiers but are not metric names.
KEYWORDS = {
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
    "group_left", "group_right", "inf", "nan", "sum", "min", "max", "avg",
    "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
    "quantile", "atan2",
}


def promql_metric_names(expr):
    """Metric names referenced by a PromQL expression."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    s = re.sub(r"'(?:[^'\\]|\\.)*'", "''", s)
    s = re.sub(r"`[^`]*`", "``", s)
    s = re.sub(r"\{[^}]*\}", " ", s)  # label matchers
    s = re.sub(r"\[[^\]]*\]", " ", s)  # ranges and subqueries
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r" \1 ", s)
    names = set()
    for m in re.finditer(r"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*", s):
        word = m.group(0)
        rest = s[m.end():].lstrip()
        if word in KEYWORDS or rest.startswith("("):
            continue
        names.add(word)
    return names


def template_queries(text):
    """PromQL strings given to `query` in an annotation template."""
    out = []
    for m in re.finditer(r'printf\s+"((?:[^"\\]|\\.)*)"([^}]*)\|\s*query', text):
        q = m.group(1).replace('\\"', '"').replace("%q", '"x"').replace("%s", "x")
        out.append(q)
    return out


def documented_metrics(path):
    """Metric names of docs/METRICS.md: the ones it spells out, plus the
    gauges netstack_sysctl_<name> of the sysctl collector's default set
    (which the page lists by sysctl name)."""
    text = open(path, encoding="utf-8").read()
    names = set(re.findall(r"`((?:netstack|process)_[a-z0-9_]+)`", text))
    m = re.search(r"^#+ Default set\n(.*?)(?=^#)", text, re.M | re.S)
    if m:
        for para in re.split(r"(?m)^(?=`[a-z0-9_.]+\.`:)", m.group(1)):
            tokens = re.findall(r"`([^`]+)`", para.split("\n\n")[0])
            if tokens and tokens[0].endswith("."):
                for suffix in tokens[1:]:
                    names.add("netstack_sysctl_" + re.sub(r"[^A-Za-z0-9_]", "_", tokens[0] + suffix))
    return names


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    alerts_file = os.path.join(root, "config/prometheus/netstack-alerts.yml")
    rules_file = os.path.join(root, "config/prometheus/netstack-rules.yml")
    tuning_file = os.path.join(root, "config/prometheus/netstack-tuning.yml")
    errors = []

    def err(msg):
        errors.append(msg)

    documented = documented_metrics(os.path.join(root, "docs/METRICS.md"))
    if not documented:
        err("docs/METRICS.md: no metric names found")

    recorded = {}
    for group in yaml.safe_load(open(rules_file))["groups"]:
        for rule in group["rules"]:
            if "record" not in rule:
                err(f"netstack-rules.yml: group {group['name']}: a rule that is not a recording rule")
                continue
            name = rule["record"]
            if name in recorded:
                err(f"netstack-rules.yml: recording rule {name} defined twice")
            if ":" not in name:
                err(f"netstack-rules.yml: recording rule {name} has no ':' (level:metric:operations)")
            recorded[name] = rule["expr"]
    known = documented | set(recorded)

    for name, expr in recorded.items():
        for m in sorted(promql_metric_names(expr) - known):
            err(f"recording rule {name}: metric {m} is not in docs/METRICS.md")

    alerts = {}
    tuning = set()
    for group in (yaml.safe_load(open(alerts_file))["groups"] +
                  [dict(g, tuning=True) for g in yaml.safe_load(open(tuning_file))["groups"]]):
        for rule in group["rules"]:
            if group.get("tuning"):
                tuning.add(rule.get("alert"))
            if "alert" not in rule:
                err(f"netstack-alerts.yml: group {group['name']}: a rule that is not an alert")
                continue
            name = rule["alert"]
            if name in alerts:
                err(f"alert {name} defined twice")
            alerts[name] = rule
            labels = rule.get("labels") or {}
            ann = rule.get("annotations") or {}
            if labels.get("severity") not in SEVERITIES:
                err(f"alert {name}: severity {labels.get('severity')!r} not in {sorted(SEVERITIES)}")
            for key in ("summary", "description", "runbook_url"):
                if not str(ann.get(key, "")).strip():
                    err(f"alert {name}: no annotation {key}")
            url = str(ann.get("runbook_url", ""))
            if url != RUNBOOK_BASE + name + ".md":
                err(f"alert {name}: runbook_url {url!r} is not {RUNBOOK_BASE}{name}.md")
            if url.startswith(RUNBOOK_BASE):
                rel = url[len(RUNBOOK_BASE):]
                path = os.path.join(root, "docs/runbooks", rel)
                if not os.path.isfile(path):
                    err(f"alert {name}: runbook docs/runbooks/{rel} does not exist")
                else:
                    text = open(path, encoding="utf-8").read()
                    if not text.startswith(f"# {name}\n"):
                        err(f"docs/runbooks/{rel}: does not start with '# {name}'")
                    for sec in RUNBOOK_SECTIONS:
                        if sec not in text:
                            err(f"docs/runbooks/{rel}: no section '{sec}'")
                    block = re.search(r"```promql\n(.*?)\n```", text, re.S)
                    if block and block.group(1).split() != str(rule["expr"]).split():
                        err(f"docs/runbooks/{rel}: its promql block differs from the rule's expr")
            used = promql_metric_names(rule["expr"])
            for text in ann.values():
                for q in template_queries(str(text)):
                    used |= promql_metric_names(q)
            for m in sorted(used - known):
                err(f"alert {name}: metric {m} is neither in docs/METRICS.md nor a recording rule")

    # promtool tests
    firing, silent = set(), set()
    test_files = sorted(glob.glob(os.path.join(root, "tests/alerts/*_test.yml")))
    if not test_files:
        err("tests/alerts: no *_test.yml files")
    for tf in test_files:
        short = os.path.relpath(tf, root)
        doc = yaml.safe_load(open(tf))
        loaded = {os.path.normpath(os.path.join(os.path.dirname(tf), p)) for p in doc.get("rule_files", [])}
        for need in (rules_file, alerts_file):
            if os.path.normpath(need) not in loaded:
                err(f"{short}: rule_files does not load {os.path.relpath(need, root)}")
        for t in doc.get("tests", []):
            for s in t.get("input_series", []):
                m = re.match(r"\s*([A-Za-z_:][A-Za-z0-9_:]*)", s["series"])
                if not m or m.group(1) not in documented:
                    err(f"{short}: input series {s['series']!r}: metric not in docs/METRICS.md")
            for a in t.get("alert_rule_test", []) or []:
                name = a.get("alertname")
                if name not in alerts:
                    err(f"{short}: alert_rule_test names unknown alert {name!r}")
                    continue
                if name in tuning and os.path.normpath(tuning_file) not in loaded:
                    err(f"{short}: tests {name} but does not load netstack-tuning.yml")
                if a.get("exp_alerts"):
                    firing.add(name)
                    for e in a["exp_alerts"]:
                        if not e.get("exp_annotations"):
                            err(f"{short}: {name} at {a.get('eval_time')}: firing case without exp_annotations")
                else:
                    silent.add(name)
    for name in alerts:
        if name not in firing:
            err(f"alert {name}: no promtool test where it fires")
        if name not in silent:
            err(f"alert {name}: no promtool test where it must not fire")

    alerts_md = os.path.join(root, "docs/ALERTS.md")
    if not os.path.isfile(alerts_md):
        err("docs/ALERTS.md does not exist")
    else:
        text = open(alerts_md, encoding="utf-8").read()
        for name in alerts:
            if not re.search(r"^\|\s*\[?`?" + re.escape(name) + r"\b", text, re.M):
                err(f"alert {name}: no row in the table of docs/ALERTS.md")

    for e in errors:
        print("FAIL:", e)
    print(f"check_rules: {len(alerts)} alerts, {len(recorded)} recording rules, "
          f"{len(test_files)} test files, {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
