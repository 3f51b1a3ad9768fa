#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""systemd/netstack_exporter.service.d/netns.conf does what it says.

Usage: test_systemd_dropin.py SOURCE_DIR DAEMON

- read with the unit as systemd merges them (a list setting adds up, an empty
  assignment resets it): the drop-in's capabilities are exactly what the code
  declares for --netns.sources beyond the collectors' (collectors/*.c,
  src/privdrop.c), bounding set = ambient set; its ExecStart is the unit's
  with only --netns.sources added; RestrictNamespaces allows net;
- as root, with no systemd as PID 1, the daemon is run as the merged unit
  would run it: an unprivileged user (nobody, standing for DynamicUser=) with
  exactly the merged capabilities in the bounding, inheritable and ambient
  sets, no_new_privs, in its own mount namespace (slave propagation) with the
  root file system read-only (ProtectSystem=strict), /proc mounted
  hidepid=invisible (ProtectProc=invisible), /proc/sys read-only
  (ProtectKernelTunables=) and, on x86_64, a seccomp filter refusing setns()
  and unshare() for every namespace type RestrictNamespaces= does not allow
  (systemd's own rule: setns() with nstype 0 refused too). With two named
  namespaces and one unnamed one held by root's `sleep`, netstack_netns_info
  lists all three, and a namespace added later; no process is unreadable;
- each line is needed: with the unit's RestrictNamespaces=yes no other
  namespace is entered; without CAP_SYS_PTRACE the unnamed one (a root
  process's) is not found; without CAP_SYS_ADMIN none is entered.

Not emulated: SystemCallFilter= (setns is in @system-service's @process),
PrivateTmp=, PrivateDevices=, the other seccomp and namespace settings.
Prints one line per check and "N passed, N failed"; exit 1 on failure.
"""
import os
import re
import resource
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploylib as dl  # noqa: E402
from deploylib import nstest  # noqa: E402
from nstest import check  # noqa: E402

UNIT = os.path.join("systemd", "netstack_exporter.service")
DROPIN = os.path.join("systemd", "netstack_exporter.service.d", "netns.conf")
LISTS = {"CapabilityBoundingSet", "AmbientCapabilities", "ExecStart"}


CAP_SYS_RESOURCE = 24


def has_cap(n):
    st = open("/proc/self/status").read()
    return bool(int(re.search(r"^CapEff:\s+([0-9a-f]+)", st, re.M).group(1), 16) & (1 << n))


def settings(texts):
    """[Service] settings of unit files merged in order, as systemd does."""
    out = {}
    for text in texts:
        section = None
        for line in text.replace("\\\n", " ").splitlines():
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section != "[Service]" or "=" not in line:
                continue
            k, v = line.split("=", 1)
            if k in LISTS:
                if k == "ExecStart":
                    out[k] = [v] if v else []
                else:
                    out[k] = out.get(k, []) + v.split() if v else []
            else:
                out[k] = v
    return out


def subst(text):
    return text.replace("@bindir@", "/usr/bin").replace("@sysconfdir@", "/etc").replace(
        "@datadir@", "/usr/share")


def restrict_allowed(value):
    """RestrictNamespaces= value -> allowed namespace types (None: no filter)."""
    if value in (None, "no", "false"):
        return None
    if value in ("yes", "true"):
        return []
    assert not value.startswith("~"), value
    return value.split()


def run_as_unit(exporter, src, s, namespaces, late=False):
    """Start the daemon as the merged settings S would; returns (metrics body or
    None, stderr, /proc status caps, info labels seen after adding a namespace)."""
    port = nstest.free_port()
    argv = shlex.split(s["ExecStart"][-1])
    args = []
    for a in argv[1:]:
        if a == "$ARGS":
            continue
        if a.startswith("--config.file="):
            a = "--config.file=" + os.path.join(src, "config", "netstack_exporter.yml")
        args.append(a)
    args.append("--web.listen-address=127.0.0.1:%d" % port)
    caps = sorted(s.get("CapabilityBoundingSet", []))
    amb = sorted(s.get("AmbientCapabilities", []))
    setpriv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
               "--inh-caps=" + ",".join(["-all"] + ["+" + c[4:].lower() for c in amb]),
               "--ambient-caps=" + ",".join(["-all"] + ["+" + c[4:].lower() for c in amb]),
               "--bounding-set=" + ",".join(["-all"] + ["+" + c[4:].lower() for c in caps])]
    if s.get("NoNewPrivileges") == "yes":
        setpriv.append("--no-new-privs")
    mounts = []
    if s.get("ProtectSystem") == "strict":
        mounts.append(["-o", "bind,remount,ro", "/"])
    if s.get("ProtectProc") in ("invisible", "noaccess", "ptraceable"):
        mounts.append(["-t", "proc", "-o", "hidepid=" + s["ProtectProc"], "proc", "/proc"])
    if s.get("ProtectKernelTunables") == "yes":
        mounts += [["--bind", "/proc/sys", "/proc/sys"], ["-o", "bind,remount,ro", "/proc/sys"]]
    restrict = restrict_allowed(s.get("RestrictNamespaces"))
    if restrict is not None and not dl.seccomp_supported():
        restrict = None
    # LimitNOFILE=: systemd's default is 1024:524288.
    nofile = s.get("LimitNOFILE", "1024:524288")
    soft, hard = (nofile.split(":") + [nofile])[:2]
    # This test's own hard limit bounds it unless it may raise it (CAP_SYS_RESOURCE).
    here = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if here != resource.RLIM_INFINITY and not has_cap(CAP_SYS_RESOURCE):
        soft, hard = min(int(soft), here), min(int(hard), here)
    nofile = "%s:%s" % (soft, hard)
    cmd = dl.sandbox_cmd(mounts, restrict, ["prlimit", "--nofile=" + nofile] + setpriv +
                         [exporter] + args)
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    body, status, later = None, None, None
    try:
        if dl.wait_served(port, p) == 200:
            st, body = nstest.http_get("http://127.0.0.1:%d/metrics" % port)
            if os.path.realpath("/proc/%d/exe" % p.pid) == exporter:
                status = dl.proc_caps(p.pid)
                status["fds"] = len(os.listdir("/proc/%d/fd" % p.pid))
                status["nofile"] = open("/proc/%d/limits" % p.pid).read()
            if late:
                namespaces.add_late()
                end = time.monotonic() + 12
                later = {}
                while time.monotonic() < end and namespaces.late not in later:
                    time.sleep(0.5)
                    st, b = nstest.http_get("http://127.0.0.1:%d/metrics" % port)
                    later = dl.info_labels(b) if st == 200 else {}
    finally:
        nstest.stop(p)
    return body, p.stderr.read(), status, later


entered, value = dl.entered, dl.value


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    src, exporter = sys.argv[1], os.path.abspath(sys.argv[2])
    unit = subst(open(os.path.join(src, UNIT)).read())
    dropin = subst(open(os.path.join(src, DROPIN)).read())
    base, merged, alone = settings([unit]), settings([unit, dropin]), settings([dropin])

    help_out = dl.help_text(exporter)
    args = shlex.split(merged["ExecStart"][-1])[1:]
    colls = dl.enabled_collectors(help_out, args)
    want, rules = dl.declared_caps(src, colls, dl.netns_sources(args))
    for_colls, _ = dl.declared_caps(src, colls, set())
    added = set(alone.get("CapabilityBoundingSet", []))
    check("src/privdrop.c: netns capability rules found %s" % rules, len(rules) >= 1)
    check("the drop-in adds %s = what --netns.sources=%s adds in the code %s"
          % (sorted(added), ",".join(sorted(dl.netns_sources(args))), sorted(want - for_colls)),
          added == want - for_colls)
    check("unit + drop-in bounding set %s = declared %s"
          % (sorted(merged.get("CapabilityBoundingSet", [])), sorted(want)),
          set(merged.get("CapabilityBoundingSet", [])) == want)
    check("unit + drop-in ambient set = bounding set",
          sorted(merged.get("AmbientCapabilities", [])) ==
          sorted(merged.get("CapabilityBoundingSet", [])))
    b_exec, d_exec = base["ExecStart"][-1], merged["ExecStart"][-1]
    check("the drop-in's ExecStart is the unit's with --netns.sources added",
          d_exec.replace(" --netns.sources=named,processes", "") == b_exec, (b_exec, d_exec))
    check("RestrictNamespaces= allows net (setns into a network namespace)",
          "net" in (restrict_allowed(merged.get("RestrictNamespaces")) or []),
          merged.get("RestrictNamespaces"))

    if os.geteuid() != 0:
        nstest.skip("not root: the daemon is not run as the drop-in would")
        return nstest.summary()
    if not dl.seccomp_supported():
        nstest.skip("not x86_64: RestrictNamespaces= not emulated")

    with dl.Namespaces("deploysd") as ns:
        body, err, status, later = run_as_unit(exporter, src, merged, ns, late=True)
        check("drop-in: serves", body is not None, err[-400:])
        body = body or ""
        info = dl.info_labels(body)
        check("drop-in: netstack_netns_info for the host and the 3 test namespaces",
              {""} | set(ns.labels()) <= set(info), sorted(info))
        check("drop-in: entering possible, no process unreadable (hidepid=invisible + CAP_SYS_PTRACE)",
              value(body, "netstack_netns_entering_possible") == 1 and
              value(body, "netstack_netns_unreadable_processes") == 0,
              (value(body, "netstack_netns_entering_possible"),
               value(body, "netstack_netns_unreadable_processes")))
        check("drop-in: series collected inside each test namespace",
              all(entered(body, n) for n in ns.labels()))
        check("drop-in: a namespace added later appears", later and ns.late in later,
              sorted(later or {}))
        want_mask = dl.capmask(want)
        check("drop-in: the daemon runs as nobody with exactly %s" % sorted(want),
              status and status["Uid"][0] == "65534" and status["CapEff"] == want_mask and
              status["CapBnd"] == want_mask, status)
        check("drop-in: no error logged", "level=error" not in err, err[-400:])
        # Open files: at most fds/n per namespace (the base counted in), times --netns.max.
        n = len([lbl for lbl in info if lbl and entered(body, lbl)])
        nmax = int(re.search(r"--netns\.max=N.*?Default (\d+)", help_out, re.S).group(1))
        limit = int(merged.get("LimitNOFILE", "1024").split(":")[0])
        per = status["fds"] / max(n, 1) if status else None
        got = re.search(r"^Max open files\s+(\d+)\s+(\d+)", status["nofile"] if status else "",
                        re.M)
        print("     %d open files with %d other namespaces entered; LimitNOFILE=%d, "
              "the daemon's soft limit here %s" % (status["fds"] if status else -1, n, limit,
                                                   got.group(1) if got else None))
        check("drop-in: LimitNOFILE=%d >= --netns.max %d x %.0f open files per namespace"
              % (limit, nmax, per or 0), per and limit >= nmax * per)
        here = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if got and int(got.group(1)) < limit and not has_cap(CAP_SYS_RESOURCE):
            nstest.skip("LimitNOFILE=%d not applied: this test's hard limit is %d and it "
                        "lacks CAP_SYS_RESOURCE" % (limit, here))
        else:
            check("drop-in: the daemon runs with LimitNOFILE as its soft limit",
                  got and int(got.group(1)) == limit, got and got.group(0))

        # Each line is needed.
        if dl.seccomp_supported():
            s = dict(merged, RestrictNamespaces=base.get("RestrictNamespaces"))
            body, err, _, _ = run_as_unit(exporter, src, s, ns)
            fails = [v for (n, labels), v in dl.samples(body or "").items()
                     if n == "netstack_netns_enter_failures_total" and
                     ("netns", ns.named[0]) in labels]
            check("with the unit's RestrictNamespaces=%s: listed, not entered (enter failures %s)"
                  % (base.get("RestrictNamespaces"), fails),
                  body and not any(entered(body, n) for n in ns.labels()) and fails and
                  fails[0] > 0, err[-300:])
        for cap, what in (("CAP_SYS_PTRACE", "the root-owned process's namespace not found "
                           "(hidden by hidepid=invisible)"),
                          ("CAP_SYS_ADMIN", "no namespace entered")):
            s = dict(merged)
            s["CapabilityBoundingSet"] = [c for c in merged["CapabilityBoundingSet"] if c != cap]
            s["AmbientCapabilities"] = [c for c in merged["AmbientCapabilities"] if c != cap]
            body, err, _, _ = run_as_unit(exporter, src, s, ns)
            info = dl.info_labels(body or "")
            if cap == "CAP_SYS_PTRACE":
                ok = body and ns.unnamed not in info and entered(body, ns.named[0])
            else:
                ok = body and value(body, "netstack_netns_entering_possible") == 0 and \
                    not any(entered(body, n) for n in ns.labels())
            check("without %s: %s" % (cap, what), ok, (sorted(info), err[-300:]))
    return nstest.summary()


if __name__ == "__main__":
    sys.exit(main())
