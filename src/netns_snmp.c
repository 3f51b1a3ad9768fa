// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netns_snmp.c - the snmp counters of the curated profile, for other
 * network namespaces (netns_profile.h).
 *
 * The snmp collector turns every field of /proc/net/snmp, netstat and snmp6
 * into a family (about 400): it formats and hashes each name on every
 * scrape, which is most of the CPU and memory another namespace costs,
 * before the curated filter drops all but 34. This reads the same files
 * (through the namespace's context) and emits only those 34, under the
 * names and types the snmp collector gives them, into the snmp collector's
 * writer: one pass over each line pair of a wanted section, a strcmp per
 * field against that section's few wanted fields. Each namespace keeps
 * its three fds; the text is read into one buffer shared by all of them
 * (namespaces are collected one after the other), so a namespace costs no
 * file buffers. No per-scrape allocation once warm.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "netns_profile.h"
#include "procfs.h"

enum { F_SNMP, F_NETSTAT, F_SNMP6, F_N };

static const char *const files[F_N] = {"net/snmp", "net/netstat", "net/snmp6"};

struct field {
	unsigned file;
	const char *section; /* "Tcp" ("" in snmp6: the field is the whole name) */
	const char *field;
	const char *name;
	const char *help;
	bool gauge;
};

#define C(fi, s, f, n, path)                                                                       \
	{                                                                                          \
		fi, s, f, "netstack_snmp_" n "_total",                                             \
		    "Kernel counter " s ":" f " from /proc/net/" path ".", false                   \
	}
#define C6(f, n)                                                                                   \
	{                                                                                          \
		F_SNMP6, "", f, "netstack_snmp_" n "_total",                                       \
		    "Kernel counter " f " from /proc/net/snmp6.", false                            \
	}

/* Kept in step with netns_profile.c's curated list (the unit test checks). */
static const struct field fields[] = {
    C(F_SNMP, "Ip", "InDiscards", "ip_in_discards", "snmp"),
    C(F_SNMP, "Ip", "OutDiscards", "ip_out_discards", "snmp"),
    C(F_SNMP, "Ip", "OutNoRoutes", "ip_out_no_routes", "snmp"),
    C(F_SNMP, "Tcp", "ActiveOpens", "tcp_active_opens", "snmp"),
    C(F_SNMP, "Tcp", "PassiveOpens", "tcp_passive_opens", "snmp"),
    C(F_SNMP, "Tcp", "AttemptFails", "tcp_attempt_fails", "snmp"),
    C(F_SNMP, "Tcp", "EstabResets", "tcp_estab_resets", "snmp"),
    {F_SNMP, "Tcp", "CurrEstab", "netstack_snmp_tcp_curr_estab",
     "Kernel gauge Tcp:CurrEstab from /proc/net/snmp.", true},
    C(F_SNMP, "Tcp", "InSegs", "tcp_in_segs", "snmp"),
    C(F_SNMP, "Tcp", "OutSegs", "tcp_out_segs", "snmp"),
    C(F_SNMP, "Tcp", "RetransSegs", "tcp_retrans_segs", "snmp"),
    C(F_SNMP, "Tcp", "InErrs", "tcp_in_errs", "snmp"),
    C(F_SNMP, "Tcp", "OutRsts", "tcp_out_rsts", "snmp"),
    C(F_SNMP, "Udp", "InDatagrams", "udp_in_datagrams", "snmp"),
    C(F_SNMP, "Udp", "NoPorts", "udp_no_ports", "snmp"),
    C(F_SNMP, "Udp", "InErrors", "udp_in_errors", "snmp"),
    C(F_SNMP, "Udp", "OutDatagrams", "udp_out_datagrams", "snmp"),
    C(F_SNMP, "Udp", "RcvbufErrors", "udp_rcvbuf_errors", "snmp"),
    C(F_SNMP, "Udp", "SndbufErrors", "udp_sndbuf_errors", "snmp"),
    C(F_SNMP, "Udp", "MemErrors", "udp_mem_errors", "snmp"),
    C(F_NETSTAT, "TcpExt", "SyncookiesSent", "tcpext_syncookies_sent", "netstat"),
    C(F_NETSTAT, "TcpExt", "ListenOverflows", "tcpext_listen_overflows", "netstat"),
    C(F_NETSTAT, "TcpExt", "ListenDrops", "tcpext_listen_drops", "netstat"),
    C(F_NETSTAT, "TcpExt", "TCPAbortOnMemory", "tcpext_tcp_abort_on_memory", "netstat"),
    C(F_NETSTAT, "TcpExt", "TCPAbortOnTimeout", "tcpext_tcp_abort_on_timeout", "netstat"),
    C(F_NETSTAT, "TcpExt", "TCPBacklogDrop", "tcpext_tcp_backlog_drop", "netstat"),
    C(F_NETSTAT, "TcpExt", "TCPTimeWaitOverflow", "tcpext_tcp_time_wait_overflow", "netstat"),
    C(F_NETSTAT, "TcpExt", "TCPReqQFullDrop", "tcpext_tcp_req_qfull_drop", "netstat"),
    C(F_NETSTAT, "TcpExt", "TCPTimeouts", "tcpext_tcp_timeouts", "netstat"),
    C(F_NETSTAT, "TcpExt", "TCPSynRetrans", "tcpext_tcp_syn_retrans", "netstat"),
    C(F_NETSTAT, "TcpExt", "TCPRcvQDrop", "tcpext_tcp_rcv_qdrop", "netstat"),
    C6("Udp6InErrors", "udp6_in_errors"),
    C6("Udp6RcvbufErrors", "udp6_rcvbuf_errors"),
    C6("Udp6SndbufErrors", "udp6_sndbuf_errors"),
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

struct snmp_lite {
	struct ns_file f[F_N]; /* fds only: f[i].buf is empty outside a read */
};

static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ns_buf shared = NS_BUF_INIT;

size_t ns_netns_snmp_fields(const char *const **names)
{
	static const char *list[NFIELDS];

	for (size_t i = 0; i < NFIELDS; i++)
		list[i] = fields[i].name;
	*names = list;
	return NFIELDS;
}

static void put(struct ns_emit *em, const struct field *fd, const char *val)
{
	struct ns_family *f =
	    ns_emit_family(em, fd->name, fd->help, fd->gauge ? NS_GAUGE : NS_COUNTER, NULL);
	uint64_t u;
	int64_t i;

	if (fd->gauge && ns_parse_i64(val, &i) == 0)
		ns_emit_check(em, ns_sample_i64(em->w, f, NS_NOLABELS, i));
	else if (ns_parse_u64(val, &u) == 0)
		ns_emit_u64(em, f, NS_NOLABELS, u);
}

/* "Sect: Name Name ..." / "Sect: 1 2 ...": the wanted fields of wanted sections. */
static void parse_pairs(struct ns_emit *em, unsigned file, char *text)
{
	char *cur = text, *hline, *vline;

	while ((hline = ns_next_line(&cur)) && (vline = ns_next_line(&cur))) {
		char *sect = ns_next_token(&hline), *vs = ns_next_token(&vline), *name, *val;
		size_t n = sect ? strlen(sect) : 0;
		bool wanted = false;

		if (!n || !vs || strcmp(sect, vs) != 0 || sect[n - 1] != ':')
			continue;
		sect[n - 1] = '\0';
		for (size_t k = 0; k < NFIELDS && !wanted; k++)
			wanted = fields[k].file == file && strcmp(fields[k].section, sect) == 0;
		if (!wanted)
			continue;
		while ((name = ns_next_token(&hline)) && (val = ns_next_token(&vline)))
			for (size_t k = 0; k < NFIELDS; k++)
				if (fields[k].file == file && strcmp(fields[k].field, name) == 0 &&
				    strcmp(fields[k].section, sect) == 0) {
					put(em, &fields[k], val);
					break;
				}
	}
}

/* "Name value" lines. */
static void parse_snmp6(struct ns_emit *em, char *text)
{
	char *cur = text, *line;

	while ((line = ns_next_line(&cur))) {
		char *name = ns_next_token(&line), *val = ns_next_token(&line);

		if (!name || !val || strncmp(name, "Udp6", 4) != 0)
			continue;
		for (size_t k = 0; k < NFIELDS; k++)
			if (fields[k].file == F_SNMP6 && strcmp(fields[k].field, name) == 0) {
				put(em, &fields[k], val);
				break;
			}
	}
}

static int lite_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state, struct ns_err *e)
{
	struct snmp_lite *st = calloc(1, sizeof(*st));

	if (!st)
		return ns_err_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < F_N; i++)
		st->f[i] = (struct ns_file)NS_FILE_INIT;
	*state = st;
	return 0;
}

static int lite_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	struct snmp_lite *st = state;
	struct ns_emit em = NS_EMIT_INIT(w);
	int rc = 0;

	pthread_mutex_lock(&shared_mu);
	for (unsigned i = 0; i < F_N; i++) {
		int r;

		/* ns_file_read() keeps the fd; the shared buffer holds the text. */
		st->f[i].buf = shared;
		r = ns_file_read(&st->f[i], ctx->procfs_fd, files[i]);
		shared = st->f[i].buf;
		st->f[i].buf = (struct ns_buf)NS_BUF_INIT;

		if (r) {
			/* snmp must exist; netstat and snmp6 (IPv6 off) may not. */
			if (i == F_SNMP || r != -ENOENT)
				rc = rc ? rc : ns_err_set(e, r, "%s: %s", files[i], strerror(-r));
			continue;
		}
		if (i == F_SNMP6)
			parse_snmp6(&em, shared.data);
		else
			parse_pairs(&em, i, shared.data);
	}
	pthread_mutex_unlock(&shared_mu);
	return rc ? rc : ns_emit_done(&em, e);
}

static void lite_fini(void *state)
{
	struct snmp_lite *st = state;

	if (!st)
		return;
	for (unsigned i = 0; i < F_N; i++)
		ns_file_close(&st->f[i]);
	free(st);
}

const struct ns_collector ns_netns_snmp_curated = {
    .name = "snmp",
    .help = "The curated snmp counters of another network namespace.",
    .init = lite_init,
    .collect = lite_collect,
    .fini = lite_fini,
};
