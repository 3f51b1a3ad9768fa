// SPDX-License-Identifier: GPL-2.0-or-later
/* netns_profile.c - the curated per-namespace set (see the header). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netns_profile.h"
#include "opts.h"

/*
 * Families exported from other namespaces in the curated profile, sorted
 * (bsearch). docs/METRICS.md lists them with the series they make.
 */
static const char *const curated[] = {
    "netstack_conntrack_drop_total",
    "netstack_conntrack_early_drop_total",
    "netstack_conntrack_enabled",
    "netstack_conntrack_entries",
    "netstack_conntrack_entries_limit",
    "netstack_conntrack_insert_failed_total",
    "netstack_conntrack_invalid_total",
    "netstack_netdev_receive_bytes_total",
    "netstack_netdev_receive_dropped_total",
    "netstack_netdev_receive_errors_total",
    "netstack_netdev_receive_packets_total",
    "netstack_netdev_transmit_bytes_total",
    "netstack_netdev_transmit_dropped_total",
    "netstack_netdev_transmit_errors_total",
    "netstack_netdev_transmit_packets_total",
    "netstack_netdev_up",
    "netstack_snmp_ip_in_discards_total",
    "netstack_snmp_ip_out_discards_total",
    "netstack_snmp_ip_out_no_routes_total",
    "netstack_snmp_tcp_active_opens_total",
    "netstack_snmp_tcp_attempt_fails_total",
    "netstack_snmp_tcp_curr_estab",
    "netstack_snmp_tcp_estab_resets_total",
    "netstack_snmp_tcp_in_errs_total",
    "netstack_snmp_tcp_in_segs_total",
    "netstack_snmp_tcp_out_rsts_total",
    "netstack_snmp_tcp_out_segs_total",
    "netstack_snmp_tcp_passive_opens_total",
    "netstack_snmp_tcp_retrans_segs_total",
    "netstack_snmp_tcpext_listen_drops_total",
    "netstack_snmp_tcpext_listen_overflows_total",
    "netstack_snmp_tcpext_syncookies_sent_total",
    "netstack_snmp_tcpext_tcp_abort_on_memory_total",
    "netstack_snmp_tcpext_tcp_abort_on_timeout_total",
    "netstack_snmp_tcpext_tcp_backlog_drop_total",
    "netstack_snmp_tcpext_tcp_rcv_qdrop_total",
    "netstack_snmp_tcpext_tcp_req_qfull_drop_total",
    "netstack_snmp_tcpext_tcp_syn_retrans_total",
    "netstack_snmp_tcpext_tcp_time_wait_overflow_total",
    "netstack_snmp_tcpext_tcp_timeouts_total",
    "netstack_snmp_udp6_in_errors_total",
    "netstack_snmp_udp6_rcvbuf_errors_total",
    "netstack_snmp_udp6_sndbuf_errors_total",
    "netstack_snmp_udp_in_datagrams_total",
    "netstack_snmp_udp_in_errors_total",
    "netstack_snmp_udp_mem_errors_total",
    "netstack_snmp_udp_no_ports_total",
    "netstack_snmp_udp_out_datagrams_total",
    "netstack_snmp_udp_rcvbuf_errors_total",
    "netstack_snmp_udp_sndbuf_errors_total",
    "netstack_sockstat_sockets_used",
    "netstack_sockstat_tcp6_inuse",
    "netstack_sockstat_tcp_alloc",
    "netstack_sockstat_tcp_inuse",
    "netstack_sockstat_tcp_orphan",
    "netstack_sockstat_tcp_tw",
    "netstack_sockstat_udp6_inuse",
    "netstack_sockstat_udp_inuse",
    "netstack_tcp_connections",
    "netstack_tcp_listener_queue_length",
    "netstack_tcp_listener_queue_max",
    "netstack_tcp_listening_ports",
    "netstack_udp_drops_total",
};

/* The sysctl collector's parameters in the curated profile. */
static const char *const curated_sysctls[] = {
    "net.core.somaxconn",	    "net.ipv4.ip_local_port_range", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_max_syn_backlog", "net.ipv4.tcp_max_tw_buckets",  "net.ipv4.tcp_syncookies",
    "net.ipv4.tcp_tw_reuse",
};

/* Collectors whose families the curated profile filters (sysctl: by its parameters). */
static const char *const filtered[] = {"conntrack", "netdev", "snmp", "sockstat", "tcp", "udp"};

static int cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool keep_curated(const char *family)
{
	return bsearch(&family, curated, sizeof(curated) / sizeof(curated[0]), sizeof(curated[0]),
		       cmp) != NULL;
}

static bool keep_sysctl(const char *family)
{
	/* The parameters themselves; not the collector's own diagnostics. */
	return strcmp(family, "netstack_sysctl_read_errors") != 0 &&
	       strcmp(family, "netstack_sysctl_missing") != 0 &&
	       strcmp(family, "netstack_sysctl_withheld") != 0;
}

bool (*ns_netns_curated_filter(const char *collector))(const char *family)
{
	if (strcmp(collector, "sysctl") == 0)
		return keep_sysctl;
	for (size_t i = 0; i < sizeof(filtered) / sizeof(filtered[0]); i++)
		if (strcmp(collector, filtered[i]) == 0)
			return keep_curated;
	return NULL;
}

static int set(struct ns_opts *o, const char *name, const char *v, struct ns_err *e)
{
	ns_opts_clear(o, name);
	return ns_opts_set(o, name, v, e);
}

int ns_netns_profile_opts(const struct ns_collector *c, const struct ns_opts *host, bool full,
			  bool tcp_owned, struct ns_opts **out, struct ns_err *e)
{
	struct ns_opts *o = ns_opts_copy(host);
	int rc = 0;

	*out = NULL;
	if (!o)
		return ns_err_set(e, -ENOMEM, "out of memory");
	if (full)
		goto done;
	if (strcmp(c->name, "conntrack") == 0) {
		rc = set(o, "per-cpu", "false", e);
		if (!rc)
			rc = set(o, "breakdown", "false", e);
	} else if (strcmp(c->name, "tcp") == 0) {
		rc = set(o, "listen-only", tcp_owned ? "false" : "true", e);
		/* A pod has a few listeners: 16 ports, 64 listeners one by one. */
		if (!rc && ns_opt_uint(host, "max-ports") > 16)
			rc = set(o, "max-ports", "16", e);
	} else if (strcmp(c->name, "sysctl") == 0) {
		rc = set(o, "defaults", "false", e);
		ns_opts_clear(o, "include");
		ns_opts_clear(o, "exclude");
		for (size_t i = 0; !rc && i < sizeof(curated_sysctls) / sizeof(curated_sysctls[0]);
		     i++)
			rc = ns_opts_set(o, "include", curated_sysctls[i], e);
	}
done:
	if (rc) {
		ns_opts_free(o);
		return rc;
	}
	*out = o;
	return 0;
}
