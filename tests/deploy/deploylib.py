# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared by the deploy tests: test namespaces, the sandbox a Kubernetes pod or
the systemd drop-in gives the daemon (emulated without a cluster or systemd as
PID 1), and scraping.

The sandbox runs this file as a program in a fresh mount namespace (slave
propagation, like HostToContainer and systemd's own mount namespace): it
mounts what it is told to, optionally installs a seccomp filter emulating
systemd's RestrictNamespaces=, and execs the rest of its command line.
"""
import ctypes
import os
import platform
import re
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import nstest  # noqa: E402

HERE = os.path.abspath(__file__)

# Linux capability numbers (include/uapi/linux/capability.h).
CAPS = {"CAP_NET_ADMIN": 12, "CAP_SYS_PTRACE": 19, "CAP_SYS_ADMIN": 21}
# Namespace clone flags (include/uapi/linux/sched.h).
CLONE_NS = {"cgroup": 0x02000000, "ipc": 0x08000000, "net": 0x40000000, "mnt": 0x00020000,
            "pid": 0x20000000, "user": 0x10000000, "uts": 0x04000000, "time": 0x00000080}


def run(cmd, timeout=30, check_rc=True):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check_rc and p.returncode:
        raise RuntimeError("%s: rc %d: %s" % (" ".join(cmd), p.returncode, p.stderr))
    return p


class Namespaces:
    """Named namespaces PREFIX-a, PREFIX-b (ip netns add) and one unnamed one held
    by a sleeping process (unshare --net), whose nsfs inode gives its label."""

    def __init__(self, prefix):
        self.named = ["%s-%d-a" % (prefix, os.getpid()), "%s-%d-b" % (prefix, os.getpid())]
        self.late = "%s-%d-late" % (prefix, os.getpid())
        self.sleeper = None
        self.unnamed = None

    def __enter__(self):
        for n in self.named:
            run(["ip", "netns", "add", n])
            run(["ip", "-n", n, "link", "set", "lo", "up"])
        self.sleeper = subprocess.Popen(["unshare", "--net", "sleep", "300"])
        for _ in range(100):
            try:
                a = os.readlink("/proc/%d/ns/net" % self.sleeper.pid)
                if a != os.readlink("/proc/self/ns/net"):
                    self.unnamed = "inode:" + re.search(r"\[(\d+)\]", a).group(1)
                    break
            except OSError:
                pass
            time.sleep(0.02)
        if not self.unnamed:
            raise RuntimeError("unshare --net sleep: no namespace of its own")
        return self

    def labels(self):
        return self.named + [self.unnamed]

    def add_late(self):
        run(["ip", "netns", "add", self.late])

    def __exit__(self, *exc):
        if self.sleeper:
            self.sleeper.kill()
            self.sleeper.wait(timeout=5)
        for n in self.named + [self.late]:
            subprocess.run(["ip", "netns", "del", n], capture_output=True)


def samples(text):
    from prometheus_client.parser import text_string_to_metric_families
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def info_labels(text):
    """netns label -> labels of its netstack_netns_info series."""
    out = {}
    for (name, labels), _ in samples(text).items():
        if name == "netstack_netns_info":
            d = dict(labels)
            out[d.get("netns", "")] = d
    return out


def entered(body, label):
    """Series collected inside the namespace LABEL (not only listed by discovery)."""
    return [k for k in samples(body or "")
            if ("netns", label) in k[1] and not k[0].startswith("netstack_netns_")]


def value(body, name, **labels):
    for (n, ls), v in samples(body or "").items():
        if n == name and dict(ls) == labels:
            return v
    return None


def wait_served(port, p, limit=15.0):
    """Until /-/healthy answers 200 (or the process exits); returns the status."""
    end = time.monotonic() + limit
    st = None
    while time.monotonic() < end and p.poll() is None:
        st, _ = nstest.http_get("http://127.0.0.1:%d/-/healthy" % port, timeout=2)
        if st == 200:
            return st
        time.sleep(0.05)
    return st


def proc_caps(pid):
    st = open("/proc/%d/status" % pid).read()
    caps = {k: int(re.search(r"^%s:\s+([0-9a-f]+)" % k, st, re.M).group(1), 16)
            for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
    caps["Uid"] = st and re.search(r"^Uid:\s+(.*)$", st, re.M).group(1).split()
    caps["NoNewPrivs"] = re.search(r"^NoNewPrivs:\s+(\d)", st, re.M).group(1)
    return caps


def capmask(names):
    m = 0
    for n in names:
        m |= 1 << CAPS[n]
    return m


def sandbox_cmd(mounts, restrict_ns, argv):
    """Command that runs ARGV in a new mount namespace (slave propagation) after
    MOUNTS (argument lists for mount(8)) and, unless RESTRICT_NS is None, a seccomp
    filter allowing only the namespace types in RESTRICT_NS (a list) to setns()/unshare()."""
    spec = repr({"mounts": mounts, "restrict": restrict_ns})
    return ["unshare", "--mount", "--propagation", "slave", "--", "/usr/bin/python3", HERE,
            spec, "--"] + argv


def seccomp_supported():
    return platform.machine() == "x86_64"


# ---- what the daemon declares ----


def help_text(exporter):
    return subprocess.run([exporter, "--help"], capture_output=True, text=True, timeout=30).stdout


def enabled_collectors(help_out, args):
    """Collectors enabled by ARGS, from --help's defaults."""
    state = dict(re.findall(r"^  ([a-z0-9_]+)\s+\[(enabled|disabled)\]", help_out, re.M))
    on = {c for c, s in state.items() if s == "enabled"}
    if "--collector.disable-defaults" in args:
        on = set()
    for a in args:
        m = re.match(r"^--(no-)?collector\.([a-z0-9_]+)$", a)
        if m and m.group(2) in state:
            (on.discard if m.group(1) else on.add)(m.group(2))
    return on


def netns_sources(args):
    for a in args:
        if a.startswith("--netns.sources="):
            return {s for s in a.split("=", 1)[1].split(",") if s}
    return set()


def declared_caps(src, collectors, sources):
    """Capabilities the daemon keeps for these collectors and --netns.sources, read
    from the code: each collector's `.caps = ...` (collectors/NAME.c) and the
    netns rules of ns_privdrop_needed_caps() (src/privdrop.c). Returns (set of
    CAP_ names, the netns rules found as (source or "", CAP))."""
    caps = set()
    for c in collectors:
        text = open(os.path.join(src, "collectors", c + ".c")).read()
        m = re.search(r"^\s*\.caps\s*=\s*([^,}]+)", text, re.M)
        if m:
            caps |= set(re.findall(r"CAP_[A-Z_]+", m.group(1)))
    text = open(os.path.join(src, "src", "privdrop.c")).read()
    body = re.search(r"^uint64_t ns_privdrop_needed_caps\(.*?^}", text, re.S | re.M)
    rules = re.findall(r"if \(cfg->netns_sources(?:\s*&\s*NS_NETNS_SRC_(\w+))?\)\s*"
                       r"caps \|= 1ULL << (CAP_\w+);", body.group(0) if body else "")
    for source, cap in rules:
        if sources and (not source or source.lower() in sources):
            caps.add(cap)
    return caps, rules


# ---- the sandbox program ----

AUDIT_ARCH_X86_64 = 0xC000003E
NR_SETNS, NR_UNSHARE = 308, 272
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
EPERM = 1


def _bpf(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)


def install_restrict_namespaces(allowed):
    """systemd's RestrictNamespaces= as a seccomp filter (x86_64): setns() with
    nstype 0 or with a forbidden type, and unshare() with a forbidden flag,
    fail with EPERM (src/shared/seccomp-util.c, seccomp_restrict_namespaces)."""
    forbidden = 0
    for name, flag in CLONE_NS.items():
        if name not in allowed:
            forbidden |= flag
    LD_W_ABS, JEQ, JSET, RET = 0x20, 0x15, 0x45, 0x06
    deny = SECCOMP_RET_ERRNO | EPERM
    prog = [
        _bpf(LD_W_ABS, 0, 0, 4),                    # 0 arch
        _bpf(JEQ, 1, 0, AUDIT_ARCH_X86_64),         # 1
        _bpf(RET, 0, 0, SECCOMP_RET_ALLOW),         # 2
        _bpf(LD_W_ABS, 0, 0, 0),                    # 3 nr
        _bpf(JEQ, 2, 0, NR_SETNS),                  # 4 -> 7
        _bpf(JEQ, 7, 0, NR_UNSHARE),                # 5 -> 13
        _bpf(RET, 0, 0, SECCOMP_RET_ALLOW),         # 6
        _bpf(LD_W_ABS, 0, 0, 24),                   # 7 setns nstype (args[1], low word)
        _bpf(JEQ, 2, 0, 0),                         # 8 -> 11 deny
        _bpf(JSET, 1, 0, forbidden),                # 9 -> 11 deny
        _bpf(RET, 0, 0, SECCOMP_RET_ALLOW),         # 10
        _bpf(RET, 0, 0, deny),                      # 11
        _bpf(RET, 0, 0, deny),                      # 12 (unused)
        _bpf(LD_W_ABS, 0, 0, 16),                   # 13 unshare flags (args[0], low word)
        _bpf(JSET, 0, 1, forbidden),                # 14 -> 15 deny, else 16
        _bpf(RET, 0, 0, deny),                      # 15
        _bpf(RET, 0, 0, SECCOMP_RET_ALLOW),         # 16
    ]
    buf = ctypes.create_string_buffer(b"".join(prog))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog), ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0):
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0):
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")


def _sandbox_main(argv):
    import ast
    spec = ast.literal_eval(argv[1])
    assert argv[2] == "--"
    for m in spec["mounts"]:
        subprocess.run(["mount"] + m, check=True)
    if spec["restrict"] is not None:
        install_restrict_namespaces(spec["restrict"])
    os.execvp(argv[3], argv[3:])


if __name__ == "__main__":
    _sandbox_main(sys.argv)
