// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_collectors.c - libFuzzer target: collectors fed arbitrary kernel input.
 *
 * Every collector reads the kernel only through its context, whose /proc
 * root and netlink replay directory this target fills from the fuzzer's
 * input, then runs init, collect, render (both formats) and fini. Nothing
 * may crash, hang, leak or trip ASan/UBSan, whatever the bytes.
 *
 * Input: byte 0 picks the target (modulo the table below); then, for each of
 * the target's files in order, a 32-bit little-endian length and that many
 * bytes (a file whose length runs past the input gets what is left; files
 * after the end of the input do not exist, which is a case too).
 * tests/fuzz/seeds.py builds seeds in this layout from the test fixtures.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "ctx.h"
#include "err.h"
#include "opts.h"
#include "writer.h"

#define MAX_FILES 8

struct target {
	const char *collector;
	const char *files[MAX_FILES]; /* "nl/..." replay files, "proc/..." procfs files */
	const char *opts[4];	      /* "option=value" set before init, NULL-terminated */
};

static const struct target targets[] = {
    {"netdev", {"nl/0-18.nl"}, {NULL}},
    {"qdisc", {"nl/0-18.nl", "nl/0-38.nl", "nl/0-42.nl", "nl/0-46.nl"}, {NULL}},
    {"tcp", {"nl/4-18.nl", "proc/sys/net/ipv4/ip_local_port_range"}, {NULL}},
    {"udp", {"nl/inet-udp/4-20.nl", "nl/inet6-udp/4-20.nl"}, {NULL}},
    {"conntrack",
     {"nl/12-257.nl", "nl/12-260.nl", "nl/12-261.nl", "nl/12-515.nl", "nl/12-513.nl"},
     {NULL}},
    {"snmp", {"proc/net/snmp", "proc/net/netstat", "proc/net/snmp6"}, {NULL}},
    {"sockstat", {"proc/net/sockstat", "proc/net/sockstat6"}, {NULL}},
    {"softnet", {"proc/net/softnet_stat", "sys/devices/system/cpu/online"}, {NULL}},
    {"nftables",
     {"nl/12-2576.nl", "nl/12-2561.nl", "nl/12-2564.nl", "nl/12-2567.nl", "nl/12-2570.nl",
      "nl/12-2579.nl", "nl/12-2573.nl"},
     {NULL}},
    /* tcp with tcp_info: the RTT/RTO/cwnd/delivery-rate histograms and sums */
    {"tcp", {"nl/4-18.nl", "proc/sys/net/ipv4/ip_local_port_range"}, {"tcp-info=true"}},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static char root[64];

static void mkdirs(const char *path)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0700);
		*p = '/';
	}
}

static void put_file(const char *rel, const uint8_t *data, size_t n)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkdirs(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort(); /* the harness itself is broken, not the code under test */
	while (n) {
		ssize_t w = write(fd, data, n);

		if (w <= 0)
			abort();
		data += w;
		n -= (size_t)w;
	}
	close(fd);
}

static void remove_file(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[512];

	strcpy(root, "/tmp/ns_fuzz_XXXXXX");
	if (!mkdtemp(root))
		abort();
	for (const char *d = "nl\0proc\0sys\0"; *d; d += strlen(d) + 1) {
		snprintf(path, sizeof(path), "%s/%s", root, d);
		mkdir(path, 0700);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct target *t;
	const struct ns_collector *c;
	struct ns_buf out = NS_BUF_INIT;
	struct ns_err e = {{0}};
	char proc[128], sys[128], nl[128];
	struct ns_writer *w;
	struct ns_opts *opts;
	struct ns_ctx *ctx;
	void *state = NULL;
	size_t off = 1;

	if (size < 1)
		return 0;
	t = &targets[data[0] % NTARGETS];
	c = ns_collector_find(t->collector);
	if (!c)
		return 0; /* not built into this configuration */
	/* Only this input's files exist: a crash reproduces from its input alone. */
	for (size_t k = 0; k < NTARGETS; k++)
		for (int i = 0; i < MAX_FILES && targets[k].files[i]; i++)
			remove_file(targets[k].files[i]);
	for (int i = 0; i < MAX_FILES && t->files[i]; i++) {
		uint32_t len;

		if (off + 4 > size)
			break;
		memcpy(&len, data + off, 4);
		off += 4;
		if (len > size - off)
			len = (uint32_t)(size - off);
		put_file(t->files[i], data + off, len);
		off += len;
	}

	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(nl, sizeof(nl), "%s/nl", root);
	if (ns_ctx_open(&ctx, "", proc, sys, nl, &e))
		abort();
	opts = ns_opts_new(c->name, c->options);
	w = ns_writer_new();
	if (!opts || !w)
		abort();
	for (int i = 0; i < 4 && t->opts[i]; i++) {
		char name[64];
		const char *eq = strchr(t->opts[i], '=');

		snprintf(name, sizeof(name), "%.*s", (int)(eq - t->opts[i]), t->opts[i]);
		if (ns_opts_set(opts, name, eq + 1, &e))
			abort(); /* the table above is wrong */
	}
	/* Twice: the second collection runs on warm state, as in the daemon. */
	if (c->init(ctx, opts, &state, &e) == 0) {
		for (int round = 0; round < 2; round++) {
			ns_writer_reset(w);
			c->collect(ctx, state, w, &e);
			ns_buf_reset(&out);
			ns_writer_render(w, NS_FMT_TEXT, &out);
			ns_writer_render(w, NS_FMT_OPENMETRICS, &out);
		}
		if (c->fini)
			c->fini(state);
	}
	ns_buf_free(&out);
	ns_writer_free(w);
	ns_opts_free(opts);
	ns_ctx_close(ctx);
	return 0;
}
