#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""deploy/kubernetes/ is valid and true to the daemon.

Usage: test_k8s.py SOURCE_DIR DAEMON

Without a cluster (nothing here talks to an API server):
- every manifest parses; kustomization.yaml lists exactly the manifests, and
  `kubectl kustomize` (offline) builds them into one namespace;
- the DaemonSet: hostNetwork, hostPID, tolerates every taint, read-only root
  file system, no privilege escalation, not privileged, capabilities drop ALL
  and add exactly what the daemon declares for its args (parsed from
  collectors/*.c and src/privdrop.c, and, as root, what the daemon itself logs
  it keeps with --runtime.user), runAsNonRoot false only with docs/KUBERNETES.md
  saying why, /run/netns mounted read-only with HostToContainer propagation,
  liveness and readiness probes on /-/healthy at the metrics port, requests and
  limits for cpu and memory, no service account token;
- the container args are flags `DAEMON --help` lists and pass --check-config;
- the Service and ServiceMonitor select the DaemonSet's pods and its port;
- the PrometheusRule is what scripts/gen-k8s-rules makes of config/prometheus/
  now (byte for byte), and `promtool check rules` accepts its groups;
- as root, the pod emulated: uid 0 with only the added capabilities (bounding
  set), no_new_privs, the root file system read-only, in a mount namespace
  whose /run/netns follows the host's (slave, as HostToContainer): the probe
  path answers 200, and netstack_netns_info lists two named and one unnamed
  test namespace (each one entered), and a namespace added after the start;
  and without each added capability something is lost (nothing more is added
  than needed);
- docs/KUBERNETES.md's join query with kube_pod_info, evaluated by promtool.

Prints one line per check and "N passed, N failed"; exit 1 on failure.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploylib as dl  # noqa: E402
from deploylib import nstest  # noqa: E402
from nstest import check  # noqa: E402

KDIR = os.path.join("deploy", "kubernetes")


def load(src):
    docs = {}
    kdir = os.path.join(src, KDIR)
    for name in sorted(os.listdir(kdir)):
        if not name.endswith(".yaml"):
            continue
        try:
            with open(os.path.join(kdir, name)) as f:
                docs[name] = [d for d in yaml.safe_load_all(f) if d is not None]
            ok = all(isinstance(d, dict) and d.get("kind") and d.get("apiVersion")
                     and (d.get("metadata") or {}).get("name") or d.get("kind") == "Kustomization"
                     for d in docs[name])
            check("%s parses; every object has apiVersion, kind, metadata.name" % name, ok)
        except yaml.YAMLError as e:
            check("%s parses" % name, False, e)
    return docs


def one(docs, kind):
    objs = [d for ds in docs.values() for d in ds if d.get("kind") == kind]
    check("exactly one %s" % kind, len(objs) == 1, len(objs))
    return objs[0] if objs else {}


def check_kustomization(src, docs):
    k = docs.get("kustomization.yaml", [{}])[0]
    manifests = sorted(n for n in docs if n != "kustomization.yaml")
    check("kustomization.yaml lists every manifest %s" % manifests,
          sorted(k.get("resources", [])) == manifests, k.get("resources"))
    if not shutil.which("kubectl"):
        nstest.skip("kubectl not installed: kustomize build not checked")
        return
    r = subprocess.run(["kubectl", "kustomize", os.path.join(src, KDIR)], capture_output=True,
                       text=True, timeout=60)
    built = [d for d in yaml.safe_load_all(r.stdout) if d] if r.returncode == 0 else []
    check("kubectl kustomize builds (%d objects)" % len(built), r.returncode == 0 and built,
          r.stderr)
    ns = {(d.get("metadata") or {}).get("namespace") for d in built if d.get("kind") != "Namespace"}
    check("every namespaced object lands in namespace %s" % k.get("namespace"),
          ns == {k.get("namespace")}, ns)


def container_of(ds):
    cs = ds.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
    check("the DaemonSet has one container", len(cs) == 1, len(cs))
    return cs[0] if cs else {}


def check_daemonset(src, ds, exporter, help_out):
    pod = ds.get("spec", {}).get("template", {}).get("spec", {})
    c = container_of(ds)
    sc = c.get("securityContext", {})
    psc = pod.get("securityContext", {})
    check("pod labels match the DaemonSet selector",
          ds["spec"]["selector"]["matchLabels"].items() <=
          ds["spec"]["template"]["metadata"]["labels"].items())
    check("hostNetwork: true (the node's own network stack)", pod.get("hostNetwork") is True)
    check("hostPID: true (/proc/PID/ns/net and cgroup of every process)", pod.get("hostPID") is True)
    check("tolerates every taint (operator: Exists, no key)",
          any(t.get("operator") == "Exists" and not t.get("key") and not t.get("effect")
              for t in pod.get("tolerations", [])), pod.get("tolerations"))
    check("no service account token mounted", pod.get("automountServiceAccountToken") is False)
    check("readOnlyRootFilesystem: true", sc.get("readOnlyRootFilesystem") is True)
    check("allowPrivilegeEscalation: false", sc.get("allowPrivilegeEscalation") is False)
    check("not privileged", sc.get("privileged") in (False, None))
    caps = sc.get("capabilities", {})
    check("capabilities drop ALL", caps.get("drop") == ["ALL"], caps.get("drop"))
    added = {"CAP_" + a for a in caps.get("add", [])}
    args = c.get("args", [])
    want, rules = dl.declared_caps(src, dl.enabled_collectors(help_out, args), dl.netns_sources(args))
    check("src/privdrop.c: netns capability rules found %s" % rules, len(rules) >= 1)
    check("capabilities added %s = declared by the code for these args %s"
          % (sorted(added), sorted(want)), added == want)
    non_root = psc.get("runAsNonRoot", sc.get("runAsNonRoot"))
    doc = open(os.path.join(src, "docs", "KUBERNETES.md")).read()
    check("runAsNonRoot true, or docs/KUBERNETES.md says why not (Why root)",
          non_root is True or re.search(r"^#+ Why root", doc, re.M) is not None, non_root)
    ports = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
    listen = [a for a in args if a.startswith("--web.listen-address=")]
    check("the metrics port %s is the one the daemon listens on %s" % (ports.get("metrics"), listen),
          ports.get("metrics") and listen and listen[-1].endswith(":%d" % ports["metrics"]))
    for probe in ("livenessProbe", "readinessProbe"):
        g = c.get(probe, {}).get("httpGet", {})
        check("%s: GET /-/healthy on the metrics port" % probe,
              g.get("path") == "/-/healthy" and g.get("port") in ("metrics", ports.get("metrics")), g)
    res = c.get("resources", {})
    check("cpu and memory requests and limits set",
          all(k in res.get(w, {}) for w in ("requests", "limits") for k in ("cpu", "memory")), res)
    mounts = {m.get("name"): m for m in c.get("volumeMounts", [])}
    vols = {v.get("name"): v for v in pod.get("volumes", [])}
    rn = [m for m in mounts.values() if m.get("mountPath") == "/run/netns"]
    check("/run/netns mounted read-only with HostToContainer propagation",
          len(rn) == 1 and rn[0].get("readOnly") is True and
          rn[0].get("mountPropagation") == "HostToContainer", rn)
    check("... from the host's /run/netns",
          rn and vols.get(rn[0]["name"], {}).get("hostPath", {}).get("path") == "/run/netns")

    # The args: flags --help lists, and a configuration the daemon accepts.
    names = set(re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z0-9.-]*)", help_out, re.M))
    names |= set(re.findall(r"^\s+(--collector\.[a-z0-9_]+\.[a-z0-9-]+)", help_out, re.M))
    colls = set(re.findall(r"^  ([a-z0-9_]+)\s+\[(?:enabled|disabled)\]", help_out, re.M))
    for a in args:
        n = a.split("=", 1)[0]
        m = re.match(r"^--(?:no-)?collector\.([a-z0-9_]+)$", n)
        check("arg %s is a flag --help lists" % n, n in names or (m and m.group(1) in colls))
    r = subprocess.run([exporter] + args + ["--check-config"], capture_output=True, text=True,
                       timeout=30)
    check("the args pass --check-config", r.returncode == 0, r.stderr)
    return c, args, added


def check_service(docs, ds, c):
    svc, sm = one(docs, "Service"), one(docs, "ServiceMonitor")
    labels = ds["spec"]["template"]["metadata"]["labels"]
    check("the Service selects the DaemonSet's pods",
          svc.get("spec", {}).get("selector", {}).items() <= labels.items())
    sp = {p.get("name"): p for p in svc.get("spec", {}).get("ports", [])}
    cport = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
    check("the Service's metrics port targets the container's",
          "metrics" in sp and sp["metrics"].get("targetPort") in ("metrics", cport.get("metrics")), sp)
    check("the ServiceMonitor selects the Service",
          sm.get("spec", {}).get("selector", {}).get("matchLabels", {}).items()
          <= svc.get("metadata", {}).get("labels", {}).items())
    eps = sm.get("spec", {}).get("endpoints", [])
    check("the ServiceMonitor scrapes the metrics port at /metrics",
          eps and all(e.get("port") == "metrics" and e.get("path", "/metrics") == "/metrics"
                      for e in eps), eps)


def check_rules(src, docs):
    gen = os.path.join(src, "scripts", "gen-k8s-rules")
    r = subprocess.run(["/usr/bin/python3", gen, "-"], capture_output=True, text=True, timeout=60)
    have = open(os.path.join(src, KDIR, "prometheusrule.yaml")).read()
    check("prometheusrule.yaml = scripts/gen-k8s-rules output (rerun it after editing "
          "config/prometheus/*.yml)", r.returncode == 0 and r.stdout == have, r.stderr)
    rules = [d for d in docs.get("prometheusrule.yaml", []) if d.get("kind") == "PrometheusRule"]
    files = []
    for path in sorted(os.listdir(os.path.join(src, "config", "prometheus"))):
        doc = yaml.safe_load(open(os.path.join(src, "config", "prometheus", path)))
        if path.endswith(".yml") and isinstance(doc, dict) and "groups" in doc:
            files.append((os.path.splitext(path)[0], doc["groups"]))
    check("one PrometheusRule per rule file, same groups %s" % [f for f, _ in files],
          [(d["metadata"]["name"], d["spec"]["groups"]) for d in rules] == files)
    if not shutil.which("promtool"):
        nstest.skip("promtool not installed: rules not checked")
        return
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for d in rules:
            p = os.path.join(tmp, d["metadata"]["name"] + ".yml")
            with open(p, "w") as f:
                yaml.safe_dump({"groups": d["spec"]["groups"]}, f)
            paths.append(p)
        r = subprocess.run(["promtool", "check", "rules"] + paths, capture_output=True, text=True,
                           timeout=60)
        check("promtool check rules accepts the PrometheusRules' groups", r.returncode == 0,
              r.stdout[-300:] + r.stderr[-300:])


def check_join(src):
    """docs/KUBERNETES.md's join query, on series shaped like the daemon's (behind the
    ServiceMonitor: its target labels) and kube-state-metrics'."""
    doc = open(os.path.join(src, "docs", "KUBERNETES.md")).read()
    m = re.search(r"^## Joining.*?```promql\n(.*?)```", doc, re.S | re.M)
    if not check("docs/KUBERNETES.md has the join query", m):
        return
    if not shutil.which("promtool"):
        nstest.skip("promtool not installed: the join query not evaluated")
        return
    uid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    tgt = 'instance="10.0.0.1:9868",job="netstack-exporter",namespace="netstack-exporter",' \
          'pod="netstack-exporter-x7k2p"'
    series = [
        ('netstack_sockstat_tcp_inuse{%s}' % tgt, "40"),                        # the node
        ('netstack_sockstat_tcp_inuse{%s,netns="cni-5d1c"}' % tgt, "7"),        # the pod
        ('netstack_sockstat_tcp_inuse{%s,netns="inode:4026532001"}' % tgt, "3"),  # no pod
        ('netstack_netns_info{%s,netns="",inode="4026531840",pod_uid="",container_id="",'
         'comm="systemd"}' % tgt, "1"),
        ('netstack_netns_info{%s,netns="cni-5d1c",inode="4026532400",pod_uid="%s",'
         'container_id="",comm="pause"}' % (tgt, uid), "1"),
        ('netstack_netns_info{%s,netns="inode:4026532001",inode="4026532001",pod_uid="",'
         'container_id="%s",comm="sleep"}' % (tgt, "ab" * 32), "1"),
        ('kube_pod_info{instance="10.0.0.9:8080",job="kube-state-metrics",namespace="shop",'
         'pod="web-0",uid="%s",node="n1"}' % uid, "1"),
        ('kube_pod_info{instance="10.0.0.9:8080",job="kube-state-metrics",namespace="shop",'
         'pod="web-1",uid="11111111-2222-3333-4444-555555555555",node="n2"}', "1"),
    ]
    test = {
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [{"series": s, "values": "%s+0x5" % v} for s, v in series],
            "promql_expr_test": [{"expr": m.group(1), "eval_time": "2m",
                                  "exp_samples": [{"labels": '{namespace="shop",pod="web-0"}',
                                                   "value": 7}]}],
        }],
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "join_test.yml")
        with open(path, "w") as f:
            yaml.safe_dump(test, f)
        r = subprocess.run(["promtool", "test", "rules", path], capture_output=True, text=True,
                           timeout=60)
        check("the join query gives the pod's namespace and name with its value (promtool)",
              r.returncode == 0, r.stdout[-500:] + r.stderr[-300:])


def check_runtime_user(exporter, args, added):
    """The daemon's own word: with --runtime.user it logs what it keeps."""
    port = nstest.free_port()
    largs = [a for a in args if not a.startswith("--web.listen-address=")]
    p = subprocess.Popen([exporter] + largs + ["--web.listen-address=127.0.0.1:%d" % port,
                                              "--runtime.user=nobody"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        dl.wait_served(port, p)
    finally:
        nstest.stop(p)
    log = p.stderr.read()
    m = re.search(r"capabilities: ([a-z_,]+)", log)
    kept = {c.upper() for c in m.group(1).split(",")} if m else None
    check("the daemon keeps exactly the added capabilities with these args (%s)"
          % (m.group(1) if m else None), kept == added, log[-300:])


def run_pod(exporter, args, caps, ns, late=False):
    """The pod as the kubelet would run it, minus the container runtime: uid 0 with
    only CAPS (bounding set), no_new_privs, / read-only, in a mount namespace whose
    /run/netns follows the host's. Returns (probe status, /metrics body, caps
    status, info labels after adding a namespace, stderr)."""
    port = nstest.free_port()
    pargs = [a for a in args if not a.startswith("--web.listen-address=")]
    pargs.append("--web.listen-address=127.0.0.1:%d" % port)
    keep = "".join(",+" + c[4:].lower() for c in sorted(caps))
    cmd = dl.sandbox_cmd([["-o", "bind,remount,ro", "/"]], None,
                         ["setpriv", "--inh-caps=-all", "--bounding-set=-all" + keep,
                          "--no-new-privs", exporter] + pargs)
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    body, status, later = None, None, None
    try:
        st = dl.wait_served(port, p)
        if st != 200 and p.poll() is not None:
            st = "exited %s: %s" % (p.returncode, p.stderr.read()[-400:])
        if st == 200:
            _, body = nstest.http_get("http://127.0.0.1:%d/metrics" % port)
            # unshare, python3 and setpriv each exec the next: the same pid.
            if os.path.realpath("/proc/%d/exe" % p.pid) == exporter:
                status = dl.proc_caps(p.pid)
            if late:
                ns.add_late()
                end = time.monotonic() + 12
                later = {}
                while time.monotonic() < end and ns.late not in later:
                    time.sleep(0.5)
                    s2, b2 = nstest.http_get("http://127.0.0.1:%d/metrics" % port)
                    later = dl.info_labels(b2) if s2 == 200 else {}
    finally:
        nstest.stop(p)
    return st, body, status, later, p.stderr.read()


def check_pod(exporter, args, added):
    with dl.Namespaces("deployk8s") as ns:
        st, body, caps, later, err = run_pod(exporter, args, added, ns, late=True)
        check("pod: the probe path /-/healthy answers 200", st == 200, st)
        want = dl.capmask(added)
        check("pod: uid 0 with exactly the added capabilities, no_new_privs",
              caps and caps["Uid"][0] == "0" and caps["CapEff"] == want and
              caps["CapBnd"] == want and caps["NoNewPrivs"] == "1", caps)
        info = dl.info_labels(body or "")
        check("pod: netstack_netns_info for the host and the three test namespaces",
              {""} | set(ns.labels()) <= set(info), sorted(info))
        check("pod: series collected inside each test namespace",
              all(dl.entered(body, n) for n in ns.labels()))
        check("pod: the unnamed namespace attributed to its process (comm sleep)",
              info.get(ns.unnamed, {}).get("comm") == "sleep", info.get(ns.unnamed))
        ok = body and all(dl.value(body, "netstack_scrape_collector_success", collector=c) == 1
                          for c in ("conntrack", "nftables")) and \
            dl.value(body, "netstack_conntrack_source_info", source="netlink") == 1
        check("pod: conntrack (over ctnetlink) and nftables collectors succeed", ok)
        check("pod: a namespace added after the start appears (HostToContainer)",
              later and ns.late in later, sorted(later or {}))
        check("pod: no error logged", "level=error" not in err, err[-400:])

        # Nothing more than needed: without each capability, something is lost.
        for cap in sorted(added):
            st, body, _, _, err = run_pod(exporter, args, added - {cap}, ns)
            info = dl.info_labels(body or "")
            if cap == "CAP_NET_ADMIN":
                what = "nftables fails, conntrack falls back to procfs (no ctnetlink)"
                ok = body and dl.value(body, "netstack_scrape_collector_success",
                                       collector="nftables") == 0 and \
                    dl.value(body, "netstack_conntrack_source_info", source="procfs") == 1
            elif cap == "CAP_SYS_ADMIN":
                what = "no other namespace is entered"
                ok = body and dl.value(body, "netstack_netns_entering_possible") == 0 and \
                    not any(dl.entered(body, n) for n in ns.labels())
            elif cap == "CAP_SYS_PTRACE":
                what = "the namespace of a process with more capabilities is not found"
                ok = body and ns.unnamed not in info and dl.entered(body, ns.named[0])
            else:
                what, ok = "(no check written for it)", False
            check("pod without %s: %s" % (cap, what), ok, (st, sorted(info), err[-300:]))


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    src, exporter = sys.argv[1], os.path.abspath(sys.argv[2])
    help_out = dl.help_text(exporter)
    docs = load(src)
    check_kustomization(src, docs)
    ds = one(docs, "DaemonSet")
    c, args, added = check_daemonset(src, ds, exporter, help_out)
    check_service(docs, ds, c)
    check_rules(src, docs)
    check_join(src)
    if os.geteuid() != 0:
        nstest.skip("not root: the daemon's own capability list and the emulated pod not run")
    else:
        check_runtime_user(exporter, args, added)
        check_pod(exporter, args, added)
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())
