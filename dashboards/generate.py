#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Generate the Grafana dashboards in this directory.

Usage: dashboards/generate.py [--check]

The JSON files are written from the definitions below, so the conventions
hold by construction: one `datasource` variable of type datasource (no
`__inputs`), `job` and `instance` variables, `$__rate_interval` in every
rate(), a unit and a description (what to do when it looks wrong) on every
panel, a fixed uid per dashboard (`netstack-<file name>`), and no panel
without a query. tests/lab/test_dashboards.py checks the files themselves,
and with --check this script exits 1 if a file differs from what it would
write (edit this script, not the JSON, then rerun it).

Selectors use `job="$job"` and `instance=~"$instance"` (the instance
variable is multi-value with "All" = `.+`).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}
RI = "$__rate_interval"
BASE = 'job="$job",instance=~"$instance"'
LINK_VARS = "${__url_time_range}&${datasource:queryparam}&${job:queryparam}&${instance:queryparam}"

TITLES = {
    "overview": "netstack / Host overview",
    "tcp": "netstack / TCP, listeners and UDP sockets",
    "conntrack": "netstack / Conntrack",
    "queues": "netstack / Queues: qdiscs, classes, NIC and softnet",
    "interfaces": "netstack / Interfaces",
}


def m(name, extra=""):
    """A metric with the dashboard's job/instance selector (plus extra matchers)."""
    return "%s{%s%s}" % (name, BASE, ("," + extra) if extra else "")


def rate(name, extra=""):
    return "rate(%s[%s])" % (m(name, extra), RI)


def link(uid, title=None):
    return {"title": "Drill down: " + (title or TITLES[uid.split("-", 1)[1]]),
            "url": "/d/%s/%s?%s" % (uid, uid, LINK_VARS)}


# ---------------------------------------------------------------- panels

class Board:
    def __init__(self, key, description, extra_vars=()):
        self.key = key
        self.uid = "netstack-" + key
        self.description = description
        self.panels = []
        self.x = 0
        self.y = 0
        self.rowh = 0
        self.next_id = 1
        self.extra_vars = list(extra_vars)

    def _place(self, w, h):
        if self.x + w > 24:
            self.x = 0
            self.y += self.rowh
            self.rowh = 0
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.rowh = max(self.rowh, h)
        return pos

    def row(self, title):
        if self.x:
            self.x = 0
            self.y += self.rowh
            self.rowh = 0
        self.panels.append({"id": self._id(), "type": "row", "title": title, "collapsed": False,
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.y += 1

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def _targets(self, queries, instant=False, table=False):
        out = []
        for i, q in enumerate(queries):
            if isinstance(q, str):
                q = (q, "")
            t = {"refId": chr(ord("A") + i), "datasource": DS, "expr": q[0],
                 "legendFormat": q[1] or "__auto"}
            if instant or table:
                t["instant"] = True
                t["range"] = False
            else:
                t["instant"] = False
                t["range"] = True
            if table:
                t["format"] = "table"
            out.append(t)
        return out

    def ts(self, title, queries, unit, desc, w=8, h=8, stack=False, links=(), minv=0,
           thresholds=None, max_=None):
        defaults = {"unit": unit, "color": {"mode": "palette-classic"},
                    "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
                               "showPoints": "never", "spanNulls": False,
                               "stacking": {"mode": "normal" if stack else "none", "group": "A"}}}
        if minv is not None:
            defaults["min"] = minv
        if max_ is not None:
            defaults["max"] = max_
        if thresholds:
            defaults["thresholds"] = _thresholds(thresholds)
            defaults["custom"]["thresholdsStyle"] = {"mode": "dashed"}
        p = {"id": self._id(), "type": "timeseries", "title": title, "description": desc,
             "datasource": DS, "gridPos": self._place(w, h),
             "fieldConfig": {"defaults": defaults, "overrides": []},
             "options": {"legend": {"displayMode": "list", "placement": "bottom",
                                    "showLegend": True},
                         "tooltip": {"mode": "multi", "sort": "desc"}},
             "targets": self._targets(queries)}
        if links:
            p["links"] = list(links)
        self.panels.append(p)

    def stat(self, title, queries, unit, desc, thresholds, w=4, h=5, links=(), mappings=None,
             calc="lastNotNull"):
        defaults = {"unit": unit, "color": {"mode": "thresholds"},
                    "thresholds": _thresholds(thresholds)}
        if mappings:
            defaults["mappings"] = mappings
        p = {"id": self._id(), "type": "stat", "title": title, "description": desc,
             "datasource": DS, "gridPos": self._place(w, h),
             "fieldConfig": {"defaults": defaults, "overrides": []},
             "options": {"reduceOptions": {"calcs": [calc], "fields": "", "values": False},
                         "colorMode": "background", "graphMode": "area", "justifyMode": "auto",
                         "orientation": "auto", "textMode": "auto"},
             "targets": self._targets(queries)}
        if links:
            p["links"] = list(links)
        self.panels.append(p)

    def table(self, title, queries, unit, desc, w=12, h=8, hide=(), links=(), thresholds=None,
              show_name=False):
        defaults = {"unit": unit, "custom": {"align": "auto", "filterable": True}}
        if thresholds:
            defaults["thresholds"] = _thresholds(thresholds)
            defaults["color"] = {"mode": "thresholds"}
            defaults["custom"]["cellOptions"] = {"type": "color-background"}
        exclude = {"Time": True, "job": True}
        if not show_name:
            exclude["__name__"] = True
        for k in hide:
            exclude[k] = True
        p = {"id": self._id(), "type": "table", "title": title, "description": desc,
             "datasource": DS, "gridPos": self._place(w, h),
             "fieldConfig": {"defaults": defaults, "overrides": []},
             "options": {"showHeader": True, "cellHeight": "sm",
                         "footer": {"show": False, "reducer": ["sum"], "fields": ""}},
             "transformations": [{"id": "merge", "options": {}},
                                 {"id": "organize", "options": {"excludeByName": exclude}}],
             "targets": self._targets(queries, table=True)}
        if links:
            p["links"] = list(links)
        self.panels.append(p)

    def render(self):
        tvars = [
            {"type": "datasource", "name": "datasource", "label": "Data source",
             "query": "prometheus", "current": {}, "hide": 0, "includeAll": False,
             "multi": False, "options": [], "refresh": 1, "regex": "", "skipUrlSync": False},
            _qvar("job", "Job", "label_values(netstack_exporter_build_info, job)",
                  multi=False),
            _qvar("instance", "Instance",
                  'label_values(netstack_exporter_build_info{job="$job"}, instance)',
                  multi=True),
        ] + self.extra_vars
        return {
            "annotations": {"list": [{
                "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts", "type": "dashboard"}]},
            "description": self.description,
            "editable": True,
            "fiscalYearStartMonth": 0,
            "graphTooltip": 1,
            "id": None,
            "links": [{"title": "netstack dashboards", "type": "dashboards", "tags": ["netstack"],
                       "asDropdown": True, "includeVars": True, "keepTime": True,
                       "icon": "external link", "targetBlank": False, "tooltip": "",
                       "url": ""}],
            "panels": self.panels,
            "refresh": "1m",
            "schemaVersion": 39,
            "tags": ["netstack", "network"],
            "templating": {"list": tvars},
            "time": {"from": "now-3h", "to": "now"},
            "timepicker": {},
            "timezone": "browser",
            "title": TITLES[self.key],
            "uid": self.uid,
            "version": 1,
            "weekStart": "",
        }


def _thresholds(steps):
    """steps: [(value or None, color), ...]"""
    return {"mode": "absolute",
            "steps": [{"color": c, "value": v} for v, c in steps]}


def _qvar(name, label, query, multi, all_value=".+"):
    v = {"type": "query", "name": name, "label": label, "datasource": DS,
         "definition": query,
         "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
         "current": {}, "hide": 0, "options": [], "refresh": 2, "regex": "",
         "skipUrlSync": False, "sort": 1, "multi": multi, "includeAll": multi}
    if multi:
        v["allValue"] = all_value
    return v


GREEN_RED = [(None, "green"), (1, "red")]
TUNING_SYSCTLS = ["netstack_sysctl_net_core_somaxconn", "netstack_sysctl_net_ipv4_tcp_max_syn_backlog",
                  "netstack_sysctl_net_core_rmem_max", "netstack_sysctl_net_core_wmem_max",
                  "netstack_sysctl_net_ipv4_ip_local_port_range",
                  "netstack_sysctl_net_ipv4_tcp_tw_reuse",
                  "netstack_sysctl_net_ipv4_tcp_keepalive_time",
                  "netstack_sysctl_net_netfilter_nf_conntrack_tcp_timeout_established",
                  "netstack_sysctl_net_core_netdev_max_backlog",
                  "netstack_sysctl_net_ipv4_tcp_max_orphans"]
OK_BAD_RATE = [(None, "green"), (0.000001, "red")]

DEVICE_VAR = _qvar("device", "Device",
                   'label_values(netstack_netdev_up{job="$job",instance=~"$instance"}, device)',
                   multi=True)


# ---------------------------------------------------------------- overview

def overview():
    b = Board("overview",
              "One host's network stack from the application down to the hardware, one row "
              "per layer, with the signals the netstack alerts fire on. Start at the top, "
              "follow the first red panel down, and use the drill-down links.")
    L_TCP, L_CT, L_Q, L_IF = (link("netstack-tcp"), link("netstack-conntrack"),
                              link("netstack-queues"), link("netstack-interfaces"))

    b.row("Exporter and alerts")
    b.table("Firing and pending netstack alerts",
            ['ALERTS{alertstate=~"firing|pending",instance=~"$instance"}'],
            "none",
            "Alerts Prometheus is evaluating as pending or firing for the selected instances "
            "(every rule that keeps the instance label). Empty is good. When a row appears, "
            "find its signal in the layer rows below and follow that row's drill-down; the "
            "alert's runbook annotation in Prometheus says what to check.",
            w=12, h=6, hide=("Value", "instance"))
    b.stat("Collectors failing",
           ['count by (instance) (%s == 0) or on(instance) (0 * count by (instance) (%s))'
            % (m("netstack_scrape_collector_success"), m("netstack_scrape_collector_success"))],
           "none",
           "Collectors whose last collection failed (netstack_scrape_collector_success == 0). "
           "Must be 0. If not, the exporter's log (journalctl -u netstack_exporter) names the "
           "collector and the errno; EPERM usually means the daemon lacks CAP_NET_ADMIN.",
           GREEN_RED, w=4, h=6)
    b.stat("Scrape target up", ['up{%s}' % BASE], "none",
           "1 when Prometheus reached the exporter on its last scrape. 0: the daemon is down, "
           "firewalled, or answering 503 (over --web.max-requests); check systemctl status "
           "netstack_exporter and the target page in Prometheus.",
           [(None, "red"), (1, "green")], w=4, h=6,
           mappings=[{"type": "value", "options": {"0": {"text": "DOWN"}, "1": {"text": "UP"}}}])
    b.ts("Slowest collector", [('topk(3, %s)' % m("netstack_scrape_collector_duration_seconds"),
                                "{{instance}} {{collector}}")], "s",
         "Time the three slowest collectors took on the last scrape. Should stay well under "
         "the scrape timeout; a growing conntrack or tcp time follows the table size (raise "
         "breakdown-interval, lower top-k, or disable tcp-info).",
         w=4, h=6)

    b.row("Application and sockets")
    b.ts("Listener accept queue fill (worst listener)",
         [('max by (instance) (%s / (%s + 1))'
           % (m("netstack_tcp_listener_queue_length"), m("netstack_tcp_listener_queue_max")),
           "{{instance}}")],
         "percentunit",
         "Fullest accept queue of any TCP listener: connections waiting for accept() over "
         "the queue's capacity (backlog capped by somaxconn, plus one). At 100% new SYNs are "
         "dropped. The application is not calling accept() fast enough: check it is alive "
         "and not blocked; raise its listen() backlog and net.core.somaxconn if bursts are "
         "legitimate. The TCP drill-down names the listener.",
         w=8, links=[L_TCP], max_=1, thresholds=[(None, "green"), (0.8, "orange"), (1, "red")])
    b.ts("UDP socket drops", [("sum by (instance, address, port) (%s)"
                               % rate("netstack_udp_drops_total"),
                               "{{instance}} {{address}}:{{port}}")], "pps",
         "Datagrams dropped by UDP sockets (sk_drops: receive buffer full, memory limits, "
         "checksum or filter), per local address and port. Should be 0. The application "
         "reads too slowly or its SO_RCVBUF is too small: raise SO_RCVBUF (and "
         "net.core.rmem_max), add reader threads or SO_REUSEPORT sockets.",
         w=8, links=[L_TCP])
    b.ts("Socket memory", [(m("netstack_sockstat_tcp_mem_bytes"), "{{instance}} TCP"),
                           (m("netstack_sockstat_udp_mem_bytes"), "{{instance}} UDP"),
                           ('%s * on(instance) group_left %s'
                            % (m("netstack_sysctl_net_ipv4_tcp_mem", 'index="1"'),
                               'max by (instance) (%s / %s)'
                               % (m("netstack_sockstat_tcp_mem_bytes"),
                                  m("netstack_sockstat_tcp_mem"))),
                            "{{instance}} TCP pressure threshold")], "bytes",
         "Memory held by TCP and UDP sockets, host-wide, against tcp_mem's pressure "
         "threshold (converted to bytes). Above it TCP shrinks buffers; at the third "
         "tcp_mem value it drops. Find the sockets with large Recv-Q/Send-Q (TCP drill-down, "
         "ss -tmn) or raise net.ipv4.tcp_mem.",
         w=8)
    b.ts("TCP sockets", [(m("netstack_sockstat_tcp_inuse"), "{{instance}} in use"),
                         (m("netstack_sockstat_tcp_tw"), "{{instance}} time-wait"),
                         (m("netstack_sockstat_tcp_orphan"), "{{instance}} orphan")], "short",
         "TCP sockets in use, in TIME_WAIT and orphaned (closed by the application, still "
         "owned by the kernel). Orphans near net.ipv4.tcp_max_orphans or TIME_WAIT near "
         "tcp_max_tw_buckets mean sockets are being killed: look for connection churn "
         "(reuse connections, keep-alive).",
         w=8)
    b.ts("Ephemeral port use (busiest destination)",
         [('max by (instance) (%s / on(instance) group_left %s)'
           % (m("netstack_tcp_ephemeral_ports_in_use"),
              m("netstack_tcp_ephemeral_port_range_size")), "{{instance}}")],
         "percentunit",
         "Share of net.ipv4.ip_local_port_range used toward the single busiest destination "
         "(address and port). Near 100% connect() fails with EADDRNOTAVAIL. Reuse "
         "connections (pooling, keep-alive), widen ip_local_port_range, or add destination "
         "addresses.",
         w=8, max_=1, links=[L_TCP], thresholds=[(None, "green"), (0.8, "red")])
    b.ts("CLOSE_WAIT sockets with unread data",
         [("sum by (instance) (%s)" % m("netstack_tcp_close_wait_unread_sockets"),
           "{{instance}}")], "short",
         "Connections the peer closed whose application never read to the end. A steadily "
         "growing number is an application bug (it stopped reading and never closes): find "
         "the process with ss -tnp state close-wait.",
         w=8, links=[L_TCP])
    b.table("Tuning audit (sysctls)",
            ['{__name__=~"%s",%s}' % ("|".join(TUNING_SYSCTLS), BASE)], "short",
            "The kernel parameters the netstack tuning alerts compare against: somaxconn and "
            "tcp_max_syn_backlog (accept and SYN queues), rmem_max/wmem_max (largest socket "
            "buffers), ip_local_port_range and tcp_tw_reuse (ephemeral ports), "
            "tcp_keepalive_time against nf_conntrack_tcp_timeout_established (idle "
            "connections must send keepalives before conntrack forgets them). An info alert "
            "names the one to raise; change it with sysctl -w and persist it in "
            "/etc/sysctl.d/.",
            w=16, h=8, show_name=True)
    b.table("Congestion control and default qdisc",
            ['%s' % m("netstack_sysctl_info",
                      'name=~"net.ipv4.tcp_congestion_control|net.core.default_qdisc"')],
            "none",
            "Congestion control and default qdisc. BBR paces best with the fq qdisc on "
            "physical devices (alert NetstackBBRWithoutFQ): set net.core.default_qdisc=fq "
            "or tc qdisc replace dev DEV root fq.",
            w=8, h=8, hide=("Value",))

    b.row("Transport (TCP, UDP)")
    b.ts("Listen queue overflows and drops",
         [("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_listen_overflows_total"),
           "{{instance}} overflows"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_listen_drops_total"),
           "{{instance}} drops")], "cps",
         "SYNs or handshake ACKs dropped because an accept queue was full (ListenOverflows) "
         "or for any reason at a listener (ListenDrops). Should be 0. See the accept queue "
         "fill panel above and the TCP drill-down for the listener.",
         w=8, links=[L_TCP])
    b.ts("TCP retransmitted share",
         [("sum by (instance) (%s) / sum by (instance) (%s)"
           % (rate("netstack_snmp_tcp_retrans_segs_total"), rate("netstack_snmp_tcp_out_segs_total")),
           "{{instance}}")], "percentunit",
         "Retransmitted segments over segments sent. Above about 1% connections are losing "
         "packets: check the queueing and device rows (drops, errors) on this host, then the "
         "path to the peers.",
         w=8, thresholds=[(None, "green"), (0.01, "orange"), (0.05, "red")])
    b.ts("UDP errors",
         [("sum by (instance) (%s)" % rate("netstack_snmp_udp_rcvbuf_errors_total"),
           "{{instance}} receive buffer errors"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_udp_sndbuf_errors_total"),
           "{{instance}} send buffer errors"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_udp_in_errors_total"),
           "{{instance}} in errors"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_udp_no_ports_total"),
           "{{instance}} no port")], "pps",
         "Host-wide UDP errors. Receive buffer errors: a socket's buffer was full (the UDP "
         "socket drops panel names it). No port: datagrams to a closed port (a service is "
         "down or clients are misconfigured). Send buffer errors: a sender outruns the "
         "device queue.",
         w=8)
    b.ts("TCP connections by state",
         [("sum by (instance, state) (%s)" % m("netstack_tcp_connections", 'state!="listen"'),
           "{{instance}} {{state}}")], "short",
         "TCP sockets by state (both families). A jump in syn_recv is a SYN flood or a slow "
         "accept(); syn_sent that does not turn into established is an unreachable backend; "
         "growing close_wait is an application not closing.",
         w=8, stack=True, links=[L_TCP])
    b.ts("TCP segments", [("sum by (instance) (%s)" % rate("netstack_snmp_tcp_in_segs_total"),
                           "{{instance}} in"),
                          ("sum by (instance) (%s)" % rate("netstack_snmp_tcp_out_segs_total"),
                           "{{instance}} out")], "pps",
         "TCP segments received and sent per second: the load the other panels are relative "
         "to. A sudden drop to 0 with traffic expected means the service or the path is down.",
         w=8)
    b.ts("TCP resets and timeouts",
         [("sum by (instance) (%s)" % rate("netstack_snmp_tcp_out_rsts_total"),
           "{{instance}} RST sent"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_tcp_attempt_fails_total"),
           "{{instance}} failed connects"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_tcp_timeouts_total"),
           "{{instance}} RTO timeouts"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_tcp_abort_on_memory_total"),
           "{{instance}} aborted (memory)")], "cps",
         "Resets sent, failed connection attempts, retransmission timeouts and connections "
         "aborted for lack of memory. RTO timeouts mean loss on the path; aborts on memory "
         "mean tcp_mem is exhausted (socket memory panel).",
         w=8)

    b.ts("SYN queue, SYN cookies and TIME_WAIT overflows",
         [("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_tcp_req_qfull_drop_total"),
           "{{instance}} SYN queue full drops"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_syncookies_sent_total"),
           "{{instance}} SYN cookies sent"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_tcp_time_wait_overflow_total"),
           "{{instance}} TIME_WAIT overflow"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_tcp_rcv_qdrop_total"),
           "{{instance}} receive queue drops")], "cps",
         "SYNs dropped or answered with cookies because a SYN queue was full (raise the "
         "listener's backlog and net.ipv4.tcp_max_syn_backlog, or it is a SYN flood), "
         "TIME_WAIT sockets not created because tcp_max_tw_buckets was reached, and "
         "segments dropped because a socket's receive memory was exhausted.",
         w=8, links=[L_TCP])

    b.row("Network (IP)")
    b.ts("IP packets", [("sum by (instance) (%s)" % rate("netstack_snmp_ip_in_receives_total"),
                         "{{instance}} received"),
                        ("sum by (instance) (%s)" % rate("netstack_snmp_ip_in_delivers_total"),
                         "{{instance}} delivered"),
                        ("sum by (instance) (%s)" % rate("netstack_snmp_ip_out_requests_total"),
                         "{{instance}} sent"),
                        ("sum by (instance) (%s)" % rate("netstack_snmp_ip_forw_datagrams_total"),
                         "{{instance}} forwarded")], "pps",
         "IPv4 packets received, delivered to a transport, sent and forwarded. Received "
         "minus delivered minus forwarded is what the IP layer dropped (next panel).",
         w=8)
    b.ts("IP discards and routing failures",
         [("sum by (instance) (%s)" % rate("netstack_snmp_ip_in_discards_total"),
           "{{instance}} in discards"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_ip_out_discards_total"),
           "{{instance}} out discards"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_ip_out_no_routes_total"),
           "{{instance}} no route"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_ipext_in_no_routes_total"),
           "{{instance}} in no route"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_ip6_in_discards_total"),
           "{{instance}} IPv6 in discards")], "pps",
         "Packets IP had to discard (no buffer, no route). Should be near 0. No route: check "
         "ip route for the destinations; discards: memory pressure or a full queue.",
         w=8)
    b.ts("Reassembly and checksum errors",
         [("sum by (instance) (%s)" % rate("netstack_snmp_ip_reasm_fails_total"),
           "{{instance}} IPv4 reassembly failed"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_ip6_reasm_fails_total"),
           "{{instance}} IPv6 reassembly failed"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_ipext_in_csum_errors_total"),
           "{{instance}} IP checksum errors")], "pps",
         "Fragment reassembly failures and bad checksums. Reassembly failures mean lost "
         "fragments or a too small ipfrag_high_thresh; avoid fragmentation (path MTU, "
         "smaller UDP payloads). Checksum errors point at broken hardware or offloads.",
         w=8)

    b.row("Netfilter (conntrack)")
    b.ts("Conntrack table fill",
         [("%s / %s" % (m("netstack_conntrack_entries"), m("netstack_conntrack_entries_limit")),
           "{{instance}}")], "percentunit",
         "Tracked connections over nf_conntrack_max. At 100% new connections are dropped "
         "(the drop panel). Raise net.netfilter.nf_conntrack_max (and nf_conntrack_buckets), "
         "shorten timeouts, or exempt high-volume traffic with notrack; the conntrack "
         "drill-down shows who fills the table.",
         w=8, max_=1, links=[L_CT], thresholds=[(None, "green"), (0.8, "orange"), (0.95, "red")])
    b.ts("Conntrack drops and failures",
         [("sum by (instance) (%s)" % rate("netstack_conntrack_drop_total"),
           "{{instance}} dropped (table full)"),
          ("sum by (instance) (%s)" % rate("netstack_conntrack_early_drop_total"),
           "{{instance}} early drop"),
          ("sum by (instance) (%s)" % rate("netstack_conntrack_insert_failed_total"),
           "{{instance}} insert failed")], "pps",
         "Packets dropped because the table was full, entries evicted early to make room, "
         "and failed inserts (races). Any drop is lost traffic: see the table fill panel "
         "and the conntrack drill-down.",
         w=8, links=[L_CT])
    b.ts("Conntrack invalid packets", [("sum by (instance) (%s)"
                                        % rate("netstack_conntrack_invalid_total"),
                                        "{{instance}}")], "pps",
         "Packets conntrack could not track (out-of-window TCP, bad ICMP). A rise usually "
         "means asymmetric routing or a middlebox; a rule dropping ct state invalid then "
         "drops them.",
         w=8, links=[L_CT])

    b.row("Queueing (qdiscs and softnet backlog)")
    b.ts("Qdisc drops", [("sum by (instance, device) (%s)"
                          % rate("netstack_qdisc_drops_total", 'parent="root"'),
                          "{{instance}} {{device}}")], "pps",
         "Packets dropped by each device's root qdisc (including its children). Shaping "
         "(htb/tbf) drops when traffic exceeds the configured rate; fq_codel drops to keep "
         "latency low. Sustained drops: raise the class rate or the queue limit, or find the "
         "sender (the queues drill-down shows the class).",
         w=8, links=[L_Q])
    b.ts("Class drops", [("sum by (instance, device, classid) (%s)"
                          % rate("netstack_qdisc_class_drops_total"),
                          "{{instance}} {{device}} {{classid}}")], "pps",
         "Packets dropped per traffic class (htb, hfsc, ...). The class is over its rate and "
         "its queue is full: raise its rate/ceil or its leaf qdisc's limit if the traffic "
         "is legitimate.",
         w=8, links=[L_Q])
    b.ts("Softnet backlog drops and squeezes",
         [("sum by (instance) (%s)" % rate("netstack_softnet_dropped_total"),
           "{{instance}} dropped"),
          ("sum by (instance) (%s)" % rate("netstack_softnet_times_squeezed_total"),
           "{{instance}} squeezed")], "cps",
         "Receive side: packets dropped because a CPU's input backlog was full "
         "(raise net.core.netdev_max_backlog, spread with RPS), and NAPI runs that ran out "
         "of budget with work left (raise net.core.netdev_budget / netdev_budget_usecs).",
         w=8, links=[L_Q])
    b.ts("Root qdisc queue length", [("max by (instance, device) (%s)"
                                      % m("netstack_qdisc_queue_length", 'parent="root"'),
                                      "{{instance}} {{device}}")], "short",
         "Packets waiting in each device's root qdisc. A queue that never empties (alert "
         "NetstackQdiscPersistentBacklog) adds latency to everything on the device: the "
         "link or a shaper is the bottleneck; use fq_codel or shape below the bottleneck.",
         w=8, links=[L_Q])
    b.table("Root qdisc of non-virtual devices",
            ["%s and on(instance, job, device) %s"
             % (m("netstack_qdisc_root_info"), m("netstack_netdev_info", 'kind=""'))],
            "none",
            "Root qdisc kind of every device that is not virtual (no link kind). A plain "
            "FIFO (pfifo_fast, pfifo) on an Ethernet device gives no flow isolation "
            "(NetstackQdiscNotFairQueueing): set net.core.default_qdisc=fq_codel (or fq "
            "with BBR) and reload the device's qdisc.",
            w=8, h=8, hide=("Value",), links=[L_Q])

    b.row("Device (interfaces)")
    b.ts("Throughput", [("sum by (instance, device) (%s) * 8"
                         % rate("netstack_netdev_receive_bytes_total", 'device!="lo"'),
                         "{{instance}} {{device}} rx"),
                        ("-sum by (instance, device) (%s) * 8"
                         % rate("netstack_netdev_transmit_bytes_total", 'device!="lo"'),
                         "{{instance}} {{device}} tx")], "bps",
         "Bits per second received (up) and sent (down) per device, loopback excluded. "
         "Compare with the link speed in the interfaces drill-down; a flat top is a "
         "saturated link or a shaper.",
         w=8, minv=None, links=[L_IF])
    b.ts("Device errors and drops",
         [("sum by (instance, device) (%s + %s)"
           % (rate("netstack_netdev_receive_errors_total"),
              rate("netstack_netdev_transmit_errors_total")), "{{instance}} {{device}} errors"),
          ("sum by (instance, device) (%s + %s)"
           % (rate("netstack_netdev_receive_dropped_total"),
              rate("netstack_netdev_transmit_dropped_total")), "{{instance}} {{device}} drops")],
         "pps",
         "Errors and drops counted by each device (driver). Errors are usually physical "
         "(cabling, optics, duplex mismatch: see the hardware row); rx drops are often "
         "frames for an unknown protocol or VLAN, or a full ring.",
         w=8, links=[L_IF])
    b.ts("Links down and carrier changes",
         [("count by (instance) (%s == 0)" % m("netstack_netdev_oper_state", 'state="up"'),
           "{{instance}} not up"),
          ("sum by (instance) (increase(%s[%s]))"
           % (m("netstack_netdev_carrier_changes_total"), RI), "{{instance}} carrier changes")],
         "short",
         "Devices whose operational state is not up, and carrier changes in the interval. "
         "Flapping carrier means a bad cable, optic or switch port; a device that should be "
         "up and is not: ip link show, dmesg.",
         w=8, links=[L_IF])

    b.row("Hardware (NIC)")
    b.ts("NIC receive misses and FIFO errors",
         [("sum by (instance, device) (%s)" % rate("netstack_netdev_receive_missed_errors_total"),
           "{{instance}} {{device}} missed"),
          ("sum by (instance, device) (%s)" % rate("netstack_netdev_receive_fifo_errors_total"),
           "{{instance}} {{device}} rx fifo"),
          ("sum by (instance, device) (%s)" % rate("netstack_netdev_receive_crc_errors_total"),
           "{{instance}} {{device}} crc")], "pps",
         "Frames the NIC itself lost: missed (no free descriptor in the rx ring), FIFO "
         "overruns, CRC errors. Missed/fifo: enlarge the rings (ethtool -G), add channels "
         "(ethtool -L) or spread interrupts; CRC: replace the cable or optic.",
         w=8, links=[L_IF])
    b.ts("NIC per-queue drops", [("sum by (instance, device, queue, direction) (%s)"
                                   % rate("netstack_ethtool_queue_drops"),
                                   "{{instance}} {{device}} {{direction}} q{{queue}}")], "pps",
         "Drops per hardware queue as the driver reports them (ethtool -S). One queue "
         "dropping while others idle means unbalanced RSS hashing: check ethtool -x and "
         "the flow mix; all queues dropping means the host cannot keep up.",
         w=8, links=[L_Q])
    b.stat("Link speed (slowest)", [("min by (instance) (%s) * 8"
                                     % m("netstack_netdev_speed_bytes"), "{{instance}}")],
           "bps",
           "Lowest negotiated link speed among devices that report one. A 10 Gb/s port "
           "showing 1 Gb/s has negotiated down: check the cable, the optic and the switch "
           "port configuration.",
           [(None, "blue")], w=4, h=8, links=[L_IF])
    b.stat("Half-duplex links", [('count by (instance) (%s == 0 and on(instance, job, device) '
                                  '%s == 1) or on(instance) (0 * count by (instance) (%s))'
                                  % (m("netstack_ethtool_full_duplex"), m("netstack_netdev_carrier"),
                                     m("netstack_netdev_up")), "{{instance}}")], "none",
           "Links with carrier that negotiated half duplex (NetstackInterfaceHalfDuplex). "
           "Must be 0: a duplex mismatch causes collisions and heavy loss. Enable "
           "autonegotiation on both ends (ethtool -s DEV autoneg on) or fix both to full.",
           GREEN_RED, w=4, h=8, links=[L_IF])
    return b


# ---------------------------------------------------------------- tcp

def tcp():
    b = Board("tcp",
              "TCP connections, listeners and their accept queues, per-port connections, "
              "ephemeral port pressure and UDP sockets (tcp and udp collectors).")
    b.row("Listeners")
    b.table("Listeners: accept queue",
            [("%s" % m("netstack_tcp_listener_queue_length"), ""),
             ("%s" % m("netstack_tcp_listener_queue_max"), "")],
            "short",
            "Every TCP listener (address and port) with its accept queue length (Value #A) and "
            "capacity (Value #B; it holds one more). Length above capacity means SYNs are "
            "dropped now: the application does not accept() fast enough. Check the process, "
            "raise its backlog and net.core.somaxconn.",
            w=12, h=9)
    b.ts("Accept queue fill per listener",
         [("%s / (%s + 1)" % (m("netstack_tcp_listener_queue_length"),
                              m("netstack_tcp_listener_queue_max")),
           "{{instance}} {{address}}:{{port}}")], "percentunit",
         "Accept queue length over capacity per listener. 100% = full, new connections are "
         "dropped (ListenOverflows). A listener that stays full has a stuck or overloaded "
         "application.",
         w=12, h=9, max_=1, thresholds=[(None, "green"), (0.8, "orange"), (1, "red")])
    b.ts("Listen overflows and drops",
         [("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_listen_overflows_total"),
           "{{instance}} overflows"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_listen_drops_total"),
           "{{instance}} drops"),
          ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_tcp_req_qfull_drop_total"),
           "{{instance}} SYN queue full drops")], "cps",
         "Connections dropped at listeners: accept queue full (overflows), any listener "
         "drop, and SYNs dropped because the SYN queue was full without syncookies. Should "
         "be 0; the table above names the listener.",
         w=8)
    b.ts("SYN cookies", [("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_syncookies_sent_total"),
                          "{{instance}} sent"),
                         ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_syncookies_recv_total"),
                          "{{instance}} received"),
                         ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_syncookies_failed_total"),
                          "{{instance}} failed")], "cps",
         "SYN cookies sent when a SYN queue overflowed. Occasional bursts are harmless; a "
         "steady rate is a SYN flood or a too small tcp_max_syn_backlog/backlog.",
         w=8)
    b.stat("Listening ports", [(m("netstack_tcp_listening_ports"), "{{instance}}")], "short",
           "Distinct local ports with a listener. A drop means a service stopped listening: "
           "check the service; a rise above the tcp collector's max-ports (64) sends the "
           "extra ports to the port=\"overflow\" series.",
           [(None, "blue")], w=8, h=8)
    b.row("Connections")
    b.ts("Connections by state", [("sum by (instance, state) (%s)"
                                    % m("netstack_tcp_connections", 'state!="listen"'),
                                    "{{instance}} {{state}}")], "short",
         "All TCP sockets by state. syn_recv growth: SYN flood or slow accept; syn_sent "
         "growth: unreachable backends; time_wait near tcp_max_tw_buckets: churn; "
         "close_wait growth: the application does not close.",
         w=12, stack=True)
    b.ts("Server connections per listening port",
         [("sum by (instance, port) (%s)"
           % m("netstack_tcp_local_port_connections", 'state="established"'),
           "{{instance}} :{{port}}")], "short",
         "Established connections per local listening port (server side). Compare with "
         "what the service expects; port=\"overflow\" sums the ports beyond max-ports.",
         w=12)
    b.ts("Queued bytes", [("sum by (instance) (%s)" % m("netstack_tcp_receive_queue_bytes"),
                           "{{instance}} received, unread"),
                          ("sum by (instance) (%s)" % m("netstack_tcp_send_queue_bytes"),
                           "{{instance}} sent, unacknowledged")], "bytes",
         "Bytes waiting in socket queues. Unread data grows when applications read too "
         "slowly; unacknowledged data grows when peers or the path are slow (loss, small "
         "windows).",
         w=8)
    b.ts("CLOSE_WAIT with unread data", [("sum by (instance) (%s)"
                                          % m("netstack_tcp_close_wait_unread_sockets"),
                                          "{{instance}} sockets"),
                                         ("sum by (instance) (%s)"
                                          % m("netstack_tcp_close_wait_unread_bytes"),
                                          "{{instance}} bytes")], "short",
         "Sockets whose peer closed while the application still had data to read, and how "
         "much. A steady rise is an application that stopped reading: ss -tnp state "
         "close-wait names it.",
         w=8)
    b.ts("Retransmissions", [("sum by (instance) (%s)" % rate("netstack_snmp_tcp_retrans_segs_total"),
                              "{{instance}} retransmitted"),
                             ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_tcp_timeouts_total"),
                              "{{instance}} RTO timeouts"),
                             ("sum by (instance) (%s)" % rate("netstack_snmp_tcpext_tcp_syn_retrans_total"),
                              "{{instance}} SYN retransmits")], "pps",
         "Segments retransmitted, retransmission timeouts and SYN retransmits. SYN "
         "retransmits: the peer's listener drops or the path loses SYNs; RTOs: heavy loss.",
         w=8)
    b.row("Ephemeral ports (client side)")
    b.ts("Ephemeral ports in use per destination",
         [("%s / on(instance) group_left %s"
           % (m("netstack_tcp_ephemeral_ports_in_use"),
              m("netstack_tcp_ephemeral_port_range_size")),
           "{{instance}} {{destination}}:{{port}}")], "percentunit",
         "Share of ip_local_port_range used toward each of the busiest destinations. Near "
         "100% connect() fails (EADDRNOTAVAIL): pool connections, enable tcp_tw_reuse, widen "
         "the range or spread over more destination addresses.",
         w=12, max_=1, thresholds=[(None, "green"), (0.8, "red")])
    b.stat("Ephemeral port range", [(m("netstack_tcp_ephemeral_port_range_size"),
                                     "{{instance}}")], "short",
           "Ports in net.ipv4.ip_local_port_range. The Linux default is 28232; a much "
           "smaller range runs out sooner.",
           [(None, "red"), (10000, "green")], w=12, h=8)
    b.row("UDP sockets")
    b.ts("UDP drops per socket", [("sum by (instance, address, port) (%s)"
                                    % rate("netstack_udp_drops_total"),
                                    "{{instance}} {{address}}:{{port}}")], "pps",
         "Datagrams dropped per local address and port (receive buffer full, memory, "
         "checksum, filter). Should be 0: raise SO_RCVBUF and net.core.rmem_max, or read "
         "faster (more threads, SO_REUSEPORT).",
         w=12)
    b.ts("UDP receive buffer fill", [("%s / %s" % (m("netstack_udp_receive_queue_bytes"),
                                                   m("netstack_udp_receive_buffer_bytes")),
                                      "{{instance}} {{address}}:{{port}}")], "percentunit",
         "Receive memory in use over the receive buffer per socket. A socket near 100% is "
         "about to drop: the application is falling behind.",
         w=12, max_=1, thresholds=[(None, "green"), (0.8, "red")])
    b.ts("UDP datagrams", [("sum by (instance) (%s)" % rate("netstack_snmp_udp_in_datagrams_total"),
                            "{{instance}} in"),
                           ("sum by (instance) (%s)" % rate("netstack_snmp_udp_out_datagrams_total"),
                            "{{instance}} out"),
                           ("sum by (instance) (%s)" % rate("netstack_snmp_udp_rcvbuf_errors_total"),
                            "{{instance}} receive buffer errors")], "pps",
         "Host-wide UDP datagrams and receive buffer errors, the context for the per-socket "
         "panels. Receive buffer errors without a socket above: the socket has since closed.",
         w=12)
    b.table("UDP sockets", [(m("netstack_udp_sockets"), "")], "short",
            "UDP sockets per local address and port (port=\"ephemeral\": connected client "
            "sockets). An unexpected port is a process to identify with ss -ulpn.",
            w=12, h=8)
    return b


# ---------------------------------------------------------------- conntrack

def conntrack():
    b = Board("conntrack",
              "Connection tracking: how full the table is, why packets are dropped, and "
              "what fills it (conntrack collector).")
    b.row("Table")
    b.stat("Table fill", [("%s / %s" % (m("netstack_conntrack_entries"),
                                        m("netstack_conntrack_entries_limit")),
                           "{{instance}}")], "percentunit",
           "Entries over nf_conntrack_max. At 100% new connections are dropped. Raise "
           "net.netfilter.nf_conntrack_max (and nf_conntrack_buckets to about max/4), shorten "
           "the timeouts of the protocol that fills it, or exempt it with a notrack rule.",
           [(None, "green"), (0.8, "orange"), (0.95, "red")], w=6, h=8)
    b.ts("Entries and limit", [(m("netstack_conntrack_entries"), "{{instance}} entries"),
                               (m("netstack_conntrack_entries_limit"), "{{instance}} limit")],
         "short",
         "Tracked connections against the limit. A climb toward the limit with steady "
         "traffic means entries are not expiring (long timeouts) or a scan/flood is creating "
         "them: see the breakdown below.",
         w=18, h=8)
    b.row("Drops and errors (per CPU, summed)")
    b.ts("Drops", [("sum by (instance) (%s)" % rate("netstack_conntrack_drop_total"),
                    "{{instance}} dropped"),
                   ("sum by (instance) (%s)" % rate("netstack_conntrack_early_drop_total"),
                    "{{instance}} early drop")], "pps",
         "New connections dropped because the table was full and nothing could be evicted "
         "(dropped), or unassured entries evicted to make room (early drop). Any value "
         "means the table is too small for the load.",
         w=8)
    b.ts("Insert failures and clashes",
         [("sum by (instance) (%s)" % rate("netstack_conntrack_insert_failed_total"),
           "{{instance}} insert failed"),
          ("sum by (instance) (%s)" % rate("netstack_conntrack_clash_resolve_total"),
           "{{instance}} clash resolved"),
          ("sum by (instance) (%s)" % rate("netstack_conntrack_chaintoolong_total"),
           "{{instance}} chain too long")], "pps",
         "Failed inserts (two packets of a new flow racing on different CPUs, typical of "
         "UDP DNS), clashes resolved, and hash chains too long. Chain too long: raise "
         "nf_conntrack_buckets; insert failures with DNS: use single-request-reopen or TCP.",
         w=8)
    b.ts("Invalid and errors", [("sum by (instance) (%s)" % rate("netstack_conntrack_invalid_total"),
                                 "{{instance}} invalid"),
                                ("sum by (instance) (%s)" % rate("netstack_conntrack_error_total"),
                                 "{{instance}} ICMP errors"),
                                ("sum by (instance) (%s)" % rate("netstack_conntrack_search_restart_total"),
                                 "{{instance}} search restarts")], "pps",
         "Packets that could not be tracked, ICMP errors, and lookups restarted because the "
         "table changed underneath. Invalid rising: asymmetric routing or out-of-window "
         "TCP; check nf_conntrack_tcp_be_liberal only as a last resort.",
         w=8)
    b.ts("Drops per CPU", [("sum by (instance, cpu) (%s + %s)"
                            % (rate("netstack_conntrack_drop_total"),
                               rate("netstack_conntrack_early_drop_total")),
                            "{{instance}} cpu {{cpu}}")], "pps",
         "Drops and early drops per CPU. Drops on only a few CPUs follow the receive queues "
         "that carry the busy flows; drops everywhere mean the table is simply too small.",
         w=12)
    b.ts("Lookups", [("sum by (instance) (%s)" % rate("netstack_conntrack_found_total"),
                      "{{instance}} found"),
                     ("sum by (instance) (%s)" % rate("netstack_conntrack_insert_total"),
                      "{{instance}} inserted")], "cps",
         "Lookups that found an existing entry and entries inserted: the load on the "
         "table. A surge of inserts without matching traffic growth is a scan or a flood.",
         w=12)
    b.row("What is in the table (last breakdown dump)")
    b.ts("Entries by protocol", [("sum by (instance, family, protocol) (%s)"
                                  % m("netstack_conntrack_table_entries"),
                                  "{{instance}} {{family}} {{protocol}}")], "short",
         "Entries per family and protocol from the last table dump. The protocol that "
         "dominates during a fill is the one to shorten timeouts for (e.g. "
         "nf_conntrack_udp_timeout) or to exempt with notrack.",
         w=12, stack=True)
    b.ts("TCP entries by state", [("sum by (instance, state) (%s)"
                                   % m("netstack_conntrack_table_tcp_entries"),
                                   "{{instance}} {{state}}")], "short",
         "TCP entries per conntrack state. Many established entries for connections that "
         "no longer exist: nf_conntrack_tcp_timeout_established (5 days by default) is too "
         "long; many syn_sent/syn_recv: a SYN flood or scan.",
         w=12, stack=True)
    b.table("Top sources", [(m("netstack_conntrack_top_source_entries"), "")], "short",
            "Original source addresses with the most entries (top-k, space-saving counts; "
            "exact when top_exact is 1). One address holding a large share is the client "
            "or scanner to look at.",
            w=12, h=8)
    b.table("Top destinations", [(m("netstack_conntrack_top_destination_entries"), "")],
            "short",
            "Original destinations (address, protocol, port) with the most entries. A "
            "single service dominating the table may deserve a notrack rule or shorter "
            "timeouts.",
            w=12, h=8)
    b.stat("Breakdown age", [("time() - %s" % m("netstack_conntrack_breakdown_timestamp_seconds"),
                              "{{instance}}")], "s",
           "Seconds since the last table dump the breakdown panels come from. Normally up "
           "to the collector's breakdown-interval (60 s) plus the scrape interval; much "
           "older means dumps fail (see Collectors failing on the overview).",
           [(None, "green"), (300, "red")], w=6, h=6)
    b.stat("Breakdown truncated", [(m("netstack_conntrack_breakdown_truncated"),
                                    "{{instance}}")], "none",
           "1 when the last dump stopped counting at breakdown-max-entries: the breakdown "
           "covers only part of the table. Raise breakdown-max-entries if the cost is "
           "acceptable.",
           GREEN_RED, w=6, h=6)
    b.stat("Breakdown dump time", [(m("netstack_conntrack_breakdown_duration_seconds"),
                                    "{{instance}}")], "s",
           "Wall time of the last table dump. It grows with the table; if it approaches "
           "the scrape timeout raise breakdown-interval or disable the breakdown.",
           [(None, "green"), (5, "orange"), (10, "red")], w=6, h=6)
    b.stat("Hash buckets per entry limit",
           [("%s / %s" % (m("netstack_sysctl_net_netfilter_nf_conntrack_max"),
                          m("netstack_sysctl_net_netfilter_nf_conntrack_buckets")),
             "{{instance}}")], "short",
           "nf_conntrack_max over nf_conntrack_buckets: the average chain length of a full "
           "table. Above about 8 lookups slow down; raise nf_conntrack_buckets.",
           [(None, "green"), (8, "orange")], w=6, h=6)
    return b


# ---------------------------------------------------------------- queues

def queues():
    d = 'device=~"$device"'
    b = Board("queues",
              "Transmit queueing disciplines and their classes, the NIC's hardware queues "
              "and the per-CPU receive backlog (qdisc, ethtool and softnet collectors).",
              extra_vars=[DEVICE_VAR])
    b.row("Qdiscs")
    b.table("Root qdiscs", [(m("netstack_qdisc_root_info", d), "")], "none",
            "The root qdisc of each device (kind). noqueue is normal for virtual devices; "
            "pfifo_fast on a busy NIC usually means net.core.default_qdisc was never set "
            "(fq or fq_codel are the usual choices).",
            w=8, h=8, hide=("Value",))
    b.ts("Qdisc drops", [("sum by (instance, device, handle, kind) (%s)"
                          % rate("netstack_qdisc_drops_total", d),
                          "{{instance}} {{device}} {{kind}} {{handle}}")], "pps",
         "Packets dropped per qdisc (the root includes its children). Find the leaf that "
         "drops: a shaper's leaf queue is full (raise limit or the class rate), fq_codel "
         "drops are it keeping latency down (expected under overload).",
         w=8)
    b.ts("Qdisc backlog", [("sum by (instance, device, handle, kind) (%s)"
                            % m("netstack_qdisc_backlog_bytes", d),
                            "{{instance}} {{device}} {{kind}} {{handle}}")], "bytes",
         "Bytes waiting in each qdisc. A standing backlog is queueing delay (bufferbloat): "
         "backlog / link rate = delay. Use fq_codel or fq, or shape slightly below the "
         "bottleneck rate.",
         w=8)
    b.ts("Qdisc throughput", [("sum by (instance, device, handle, kind) (%s) * 8"
                               % rate("netstack_qdisc_bytes_total", d),
                               "{{instance}} {{device}} {{kind}} {{handle}}")], "bps",
         "Bits per second dequeued per qdisc. Compare with the shaping rates and the link "
         "speed.",
         w=8)
    b.ts("Overlimits and requeues", [("sum by (instance, device, handle, kind) (%s)"
                                      % rate("netstack_qdisc_overlimits_total", d),
                                      "{{instance}} {{device}} {{kind}} {{handle}} overlimits"),
                                     ("sum by (instance, device, handle, kind) (%s)"
                                      % rate("netstack_qdisc_requeues_total", d),
                                      "{{instance}} {{device}} {{kind}} {{handle}} requeues")],
         "cps",
         "Overlimits: a shaper held packets back (normal while shaping). Requeues: the "
         "driver refused a packet (its ring was full); persistent requeues mean the NIC's "
         "transmit ring or queue count is too small.",
         w=8)
    b.ts("Qdisc queue length", [("sum by (instance, device, handle, kind) (%s)"
                                 % m("netstack_qdisc_queue_length", d),
                                 "{{instance}} {{device}} {{kind}} {{handle}}")], "short",
         "Packets waiting in each qdisc. Close to the qdisc's limit means drops are next.",
         w=8)
    b.row("Classes (htb and other classful qdiscs)")
    b.ts("Class drops", [("sum by (instance, device, classid) (%s)"
                          % rate("netstack_qdisc_class_drops_total", d),
                          "{{instance}} {{device}} {{classid}}")], "pps",
         "Packets dropped per class. The class is at its rate/ceil and its leaf queue is "
         "full: raise rate or ceil if the traffic is entitled to it, or the leaf qdisc's "
         "limit for bursts.",
         w=8)
    b.ts("Class rate use", [("%s / %s" % (rate("netstack_qdisc_class_bytes_total", d),
                                          m("netstack_qdisc_htb_class_ceil_bytes_per_second", d)),
                             "{{instance}} {{device}} {{classid}}")], "percentunit",
         "Bytes per second sent by each htb class over its ceil. Near 100% the class is "
         "saturated and queues or drops; plan capacity or raise ceil.",
         w=8, thresholds=[(None, "green"), (0.9, "red")])
    b.ts("Class backlog", [("sum by (instance, device, classid) (%s)"
                            % m("netstack_qdisc_class_backlog_bytes", d),
                            "{{instance}} {{device}} {{classid}}")], "bytes",
         "Bytes waiting per class: the queueing delay the class adds (backlog / rate).",
         w=8)
    b.ts("HTB borrowing", [("sum by (instance, device, classid) (%s)"
                            % rate("netstack_qdisc_htb_class_borrows_total", d),
                            "{{instance}} {{device}} {{classid}} borrowed"),
                           ("sum by (instance, device, classid) (%s)"
                            % rate("netstack_qdisc_htb_class_lends_total", d),
                            "{{instance}} {{device}} {{classid}} within rate")], "pps",
         "Packets an htb class sent within its own rate and packets it borrowed from its "
         "parent. Constant borrowing means the class's guaranteed rate is too low for its "
         "normal load.",
         w=8)
    b.ts("HTB tokens", [("min by (instance, device, classid) (%s)"
                         % m("netstack_qdisc_htb_class_tokens_seconds", d),
                         "{{instance}} {{device}} {{classid}}")], "s",
         "Time worth of tokens a class has at its rate; negative while it exceeds its rate. "
         "Persistently negative: the class is permanently over its rate.",
         w=8, minv=None)
    b.ts("Class throughput", [("sum by (instance, device, classid) (%s) * 8"
                               % rate("netstack_qdisc_class_bytes_total", d),
                               "{{instance}} {{device}} {{classid}}")], "bps",
         "Bits per second per class, to compare with its configured rate and ceil.",
         w=8)
    b.row("fq_codel")
    b.ts("fq_codel drops and marks",
         [("sum by (instance, device, handle) (%s)"
           % rate("netstack_qdisc_fq_codel_drop_overlimit_total", d),
           "{{instance}} {{device}} {{handle}} overlimit drops"),
          ("sum by (instance, device, handle) (%s)"
           % rate("netstack_qdisc_fq_codel_ecn_marks_total", d),
           "{{instance}} {{device}} {{handle}} ECN marks")], "pps",
         "fq_codel drops because the queue hit its packet limit (overlimit) and ECN marks. "
         "Overlimit drops mean limit is too small for the traffic or one flow floods the "
         "queue.",
         w=12)
    b.ts("fq_codel flows", [("sum by (instance, device, handle) (%s)"
                             % m("netstack_qdisc_fq_codel_new_flows", d),
                             "{{instance}} {{device}} {{handle}} new"),
                            ("sum by (instance, device, handle) (%s)"
                             % m("netstack_qdisc_fq_codel_old_flows", d),
                             "{{instance}} {{device}} {{handle}} old")], "short",
         "Flows in fq_codel's new and old lists. Thousands of flows with drops: consider "
         "raising flows or spreading over more tx queues (mq).",
         w=12)
    b.row("NIC hardware queues (ethtool)")
    b.ts("Packets per hardware queue", [("sum by (instance, device, queue, direction) (%s)"
                                         % rate("netstack_ethtool_queue_packets", d),
                                         "{{instance}} {{device}} {{direction}} q{{queue}}")],
         "pps",
         "Packets per hardware queue (driver statistics). Uneven queues mean RSS does not "
         "spread the flows (few flows, or an unsuitable hash: ethtool -x / -N).",
         w=12)
    b.ts("Drops per hardware queue", [("sum by (instance, device, queue, direction) (%s)"
                                       % rate("netstack_ethtool_queue_drops", d),
                                       "{{instance}} {{device}} {{direction}} q{{queue}}")],
         "pps",
         "Drops per hardware queue. One queue: its CPU is overloaded (check IRQ affinity); "
         "all queues: enlarge the rings (ethtool -G) or add channels (ethtool -L).",
         w=12)
    b.ts("Channels", [("sum by (instance, device, type) (%s)"
                       % m("netstack_ethtool_channels", d),
                       "{{instance}} {{device}} {{type}}"),
                      ("sum by (instance, device, type) (%s)"
                       % m("netstack_ethtool_channels_max", d),
                       "{{instance}} {{device}} {{type}} max")], "short",
         "Channels (queue pairs) in use and the driver's maximum. Fewer channels than CPUs "
         "handling traffic with drops: raise them with ethtool -L.",
         w=12)
    b.ts("Ring sizes", [("sum by (instance, device, ring) (%s)"
                         % m("netstack_ethtool_ring_entries", d),
                         "{{instance}} {{device}} {{ring}}"),
                        ("sum by (instance, device, ring) (%s)"
                         % m("netstack_ethtool_ring_max_entries", d),
                         "{{instance}} {{device}} {{ring}} max")], "short",
         "Descriptor ring sizes against the maximum. rx_missed errors with rings below the "
         "maximum: raise them (ethtool -G).",
         w=12)
    b.row("Softnet (per-CPU receive backlog)")
    b.ts("Backlog drops per CPU", [("sum by (instance, cpu) (%s)"
                                    % rate("netstack_softnet_dropped_total"),
                                    "{{instance}} cpu {{cpu}}")], "pps",
         "Packets dropped because a CPU's input backlog (netdev_max_backlog) was full. "
         "Raise net.core.netdev_max_backlog, spread the load with RPS/RSS.",
         w=8)
    b.ts("Time squeezes per CPU", [("sum by (instance, cpu) (%s)"
                                    % rate("netstack_softnet_times_squeezed_total"),
                                    "{{instance}} cpu {{cpu}}")], "cps",
         "NAPI polls that stopped with work left (budget or time exhausted). Frequent "
         "squeezes: raise net.core.netdev_budget / netdev_budget_usecs, or spread interrupts.",
         w=8)
    b.ts("Packets processed per CPU", [("sum by (instance, cpu) (%s)"
                                        % rate("netstack_softnet_processed_total"),
                                        "{{instance}} cpu {{cpu}}")], "pps",
         "Packets processed by each CPU's receive softirq. One CPU doing all the work while "
         "others idle: enable RPS or check the NIC's RSS and IRQ affinity.",
         w=8)
    return b


# ---------------------------------------------------------------- interfaces

def interfaces():
    d = 'device=~"$device"'
    b = Board("interfaces",
              "Per-device counters, link state and NIC properties (netdev and ethtool "
              "collectors).",
              extra_vars=[DEVICE_VAR])
    b.row("State")
    b.table("Devices", [(m("netstack_netdev_info", d), ""),
                        (m("netstack_netdev_mtu_bytes", d), "")], "none",
            "Every device with its kind, address, operational state and MTU (Value #B). A "
            "device that should be up and shows down or lowerlayerdown: check the cable, "
            "ip link, and dmesg.",
            w=16, h=8, hide=("Value #A",))
    b.stat("Devices not up", [('count by (instance) (%s == 0) or on(instance) '
                               '(0 * count by (instance) (%s))'
                               % (m("netstack_netdev_oper_state", d + ',state="up"'),
                                  m("netstack_netdev_oper_state", d + ',state="up"')),
                               "{{instance}}")], "none",
           "Devices whose operational state is not up. Loopback reports unknown and counts "
           "here; anything else should be explained (administratively down, no carrier).",
           [(None, "green"), (2, "orange")], w=8, h=8)
    b.row("Traffic")
    b.ts("Throughput", [("sum by (instance, device) (%s) * 8"
                         % rate("netstack_netdev_receive_bytes_total", d),
                         "{{instance}} {{device}} rx"),
                        ("-sum by (instance, device) (%s) * 8"
                         % rate("netstack_netdev_transmit_bytes_total", d),
                         "{{instance}} {{device}} tx")], "bps",
         "Bits per second received (up) and sent (down). A flat top is a saturated link or "
         "a shaper: compare with the link speed and the qdisc classes.",
         w=12, minv=None)
    b.ts("Link utilisation", [("max by (instance, device) (%s / %s)"
                               % (rate("netstack_netdev_receive_bytes_total", d),
                                  m("netstack_netdev_speed_bytes", d)),
                               "{{instance}} {{device}} rx"),
                              ("max by (instance, device) (%s / %s)"
                               % (rate("netstack_netdev_transmit_bytes_total", d),
                                  m("netstack_netdev_speed_bytes", d)),
                               "{{instance}} {{device}} tx")], "percentunit",
         "Throughput over the negotiated link speed (devices that report one). Sustained "
         "use above 80% brings queueing and drops: add capacity or shape.",
         w=12, thresholds=[(None, "green"), (0.8, "red")])
    b.ts("Packets", [("sum by (instance, device) (%s)"
                      % rate("netstack_netdev_receive_packets_total", d),
                      "{{instance}} {{device}} rx"),
                     ("-sum by (instance, device) (%s)"
                      % rate("netstack_netdev_transmit_packets_total", d),
                      "{{instance}} {{device}} tx")], "pps",
         "Packets per second. Many packets at low throughput (small packets) cost CPU: "
         "check the softnet panels on the queues dashboard.",
         w=12, minv=None)
    b.ts("Multicast received", [("sum by (instance, device) (%s)"
                                 % rate("netstack_netdev_receive_multicast_total", d),
                                 "{{instance}} {{device}}")], "pps",
         "Multicast packets received. A storm here (a loop, a misbehaving peer) burns CPU "
         "on every host of the segment.",
         w=12)
    b.row("Errors and drops")
    b.ts("Receive errors by kind",
         [("sum by (instance, device) (%s)" % rate("netstack_netdev_receive_%s_total" % k, d),
           "{{instance}} {{device}} %s" % k.replace("_errors", ""))
          for k in ("crc_errors", "frame_errors", "length_errors", "over_errors",
                    "fifo_errors", "missed_errors")], "pps",
         "Receive errors split as the driver reports them. crc/frame: physical layer "
         "(cable, optic, duplex); missed/fifo/over: the NIC ran out of ring buffers "
         "(ethtool -G, more channels, IRQ affinity); length: MTU mismatch.",
         w=12)
    b.ts("Transmit errors by kind",
         [("sum by (instance, device) (%s)" % rate("netstack_netdev_transmit_%s_total" % k, d),
           "{{instance}} {{device}} %s" % k.replace("_errors", ""))
          for k in ("aborted_errors", "carrier_errors", "fifo_errors", "heartbeat_errors",
                    "window_errors")] +
         [("sum by (instance, device) (%s)" % rate("netstack_netdev_collisions_total", d),
           "{{instance}} {{device}} collisions")], "pps",
         "Transmit errors. carrier: link lost while sending; collisions only happen at half "
         "duplex (a duplex mismatch: check ethtool autonegotiation on both ends).",
         w=12)
    b.ts("Drops", [("sum by (instance, device) (%s)"
                    % rate("netstack_netdev_receive_dropped_total", d),
                    "{{instance}} {{device}} rx"),
                   ("sum by (instance, device) (%s)"
                    % rate("netstack_netdev_transmit_dropped_total", d),
                    "{{instance}} {{device}} tx"),
                   ("sum by (instance, device) (%s)"
                    % rate("netstack_netdev_receive_nohandler_total", d),
                    "{{instance}} {{device}} no handler")], "pps",
         "Packets the device (driver) dropped. rx drops are often unknown protocols or "
         "VLANs (harmless) or a full backlog; no handler: frames for a protocol nothing "
         "listens to; tx drops: the driver's queue was full.",
         w=12)
    b.ts("Carrier changes", [("sum by (instance, device) (increase(%s[%s]))"
                              % (m("netstack_netdev_carrier_changes_total", d), RI),
                              "{{instance}} {{device}}")], "short",
         "Carrier changes in the interval. Repeated flaps: a bad cable, optic or switch "
         "port, or autonegotiation trouble.",
         w=12)
    b.row("Link (ethtool)")
    b.table("Drivers", [(m("netstack_ethtool_info", d), "")], "none",
            "Driver, version, firmware and bus of each device. Compare firmware versions "
            "across hosts when only some of them show errors.",
            w=12, h=8, hide=("Value",))
    b.ts("Link speed", [("%s * 8" % m("netstack_netdev_speed_bytes", d),
                         "{{instance}} {{device}}")], "bps",
         "Negotiated speed. A step down (10G to 1G) is a renegotiation: check the cable, "
         "optic and the switch port.",
         w=6)
    b.stat("Half duplex links", [('count by (instance) (%s == 0) or on(instance) '
                                  '(0 * count by (instance) (%s))'
                                  % (m("netstack_ethtool_full_duplex", d),
                                     m("netstack_ethtool_full_duplex", d)), "{{instance}}")],
           "none",
           "Links running half duplex. Should be 0 on any modern network: a duplex "
           "mismatch causes collisions, late collisions and heavy loss; enable "
           "autonegotiation on both ends.",
           GREEN_RED, w=6, h=8)
    b.ts("Pause frames", [("sum by (instance, device, direction) (%s)"
                           % rate("netstack_ethtool_pause_frames_total", d),
                           "{{instance}} {{device}} {{direction}}")], "pps",
         "Ethernet flow-control frames. Received pause frames: the switch asks this host "
         "to slow down (congested port); sent: this NIC cannot keep up.",
         w=12)
    b.ts("FEC corrected and uncorrectable",
         [("sum by (instance, device) (%s)"
           % rate("netstack_ethtool_fec_corrected_blocks_total", d),
           "{{instance}} {{device}} corrected"),
          ("sum by (instance, device) (%s)"
           % rate("netstack_ethtool_fec_uncorrectable_blocks_total", d),
           "{{instance}} {{device}} uncorrectable")], "cps",
         "Forward error correction blocks. Rising corrected blocks warn of a degrading "
         "link; uncorrectable blocks are lost frames: clean or replace the optic/cable.",
         w=12)
    return b


BOARDS = [overview, tcp, conntrack, queues, interfaces]


def render_all():
    out = {}
    for f in BOARDS:
        b = f()
        out[b.key + ".json"] = json.dumps(b.render(), indent=2, sort_keys=False) + "\n"
    return out


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for name, text in render_all().items():
        path = os.path.join(HERE, name)
        old = None
        if os.path.exists(path):
            with open(path) as fh:
                old = fh.read()
        if old != text:
            stale.append(name)
            if not check:
                with open(path, "w") as fh:
                    fh.write(text)
    if check and stale:
        print("out of date (rerun dashboards/generate.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
