// SPDX-License-Identifier: GPL-2.0-or-later
/* process.c - process_* self-metrics from /proc/self. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process.h"

static int proc_root = -1;

static long ticks(void)
{
	long t = sysconf(_SC_CLK_TCK);

	return t > 0 ? t : 100;
}

/* Field @n (1-based, as in proc(5)) of /proc/self/stat, after the comm field. */
static const char *stat_field(char *line, int n, char *out, size_t outlen)
{
	char *p = strrchr(line, ')');
	int field = 2;

	if (!p)
		return NULL;
	p++;
	while (*p) {
		char *start;
		size_t len;

		while (*p == ' ')
			p++;
		start = p;
		while (*p && *p != ' ')
			p++;
		field++;
		if (field == n) {
			len = (size_t)(p - start);
			if (len >= outlen)
				return NULL;
			memcpy(out, start, len);
			out[len] = '\0';
			return out;
		}
	}
	return NULL;
}

int ns_process_init(struct ns_process *p)
{
	struct ns_buf b = NS_BUF_INIT;
	char tmp[32];
	uint64_t start_ticks = 0, btime = 0;
	char *cur, *line;

	memset(p, 0, sizeof(*p));
	p->stat.fd = p->limits.fd = -1;
	if (proc_root < 0)
		proc_root = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	p->fd_dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ns_file_read(&p->stat, proc_root, "self/stat") == 0 &&
	    stat_field(p->stat.buf.data, 22, tmp, sizeof(tmp)))
		ns_parse_u64(tmp, &start_ticks);
	if (ns_read_file_at(proc_root, "stat", &b) == 0) {
		cur = b.data;
		while ((line = ns_next_line(&cur)))
			if (strncmp(line, "btime ", 6) == 0)
				ns_parse_u64(line + 6, &btime);
	}
	ns_buf_free(&b);
	p->start_time = (double)btime + (double)start_ticks / (double)ticks();
	return 0;
}

void ns_process_fini(struct ns_process *p)
{
	ns_file_close(&p->stat);
	ns_file_close(&p->limits);
	if (p->fd_dir >= 0)
		close(p->fd_dir);
	p->fd_dir = -1;
}

static long count_fds(int dirfd)
{
	char buf[4096];
	long n = 0;

	if (dirfd < 0 || lseek(dirfd, 0, SEEK_SET) < 0)
		return -1;
	for (;;) {
		long got = syscall(SYS_getdents64, dirfd, buf, sizeof(buf));

		if (got < 0)
			return -1;
		if (got == 0)
			break;
		for (long off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (d->d_name[0] != '.')
				n++;
			off += d->d_reclen;
		}
	}
	return n - 1; /* the fd used to read the directory itself */
}

int ns_process_collect(struct ns_process *p, struct ns_writer *w)
{
	struct ns_family *f;
	char tmp[32];
	uint64_t ut = 0, st = 0, vsize = 0, rss = 0;
	long fds;
	char *cur, *line;
	int rc = 0;

	if (ns_file_read(&p->stat, proc_root, "self/stat") == 0) {
		char *l = p->stat.buf.data;

		if (stat_field(l, 14, tmp, sizeof(tmp)))
			ns_parse_u64(tmp, &ut);
		if (stat_field(l, 15, tmp, sizeof(tmp)))
			ns_parse_u64(tmp, &st);
		if (stat_field(l, 23, tmp, sizeof(tmp)))
			ns_parse_u64(tmp, &vsize);
		if (stat_field(l, 24, tmp, sizeof(tmp)))
			ns_parse_u64(tmp, &rss);
		f = ns_family(w, "process_cpu_seconds_total",
			      "Total user and system CPU time spent in seconds.", NS_COUNTER,
			      "seconds");
		rc |= ns_sample_f64(w, f, NS_NOLABELS, (double)(ut + st) / (double)ticks());
		f = ns_family(w, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
			      NS_GAUGE, "bytes");
		rc |= ns_sample_u64(w, f, NS_NOLABELS, vsize);
		f = ns_family(w, "process_resident_memory_bytes", "Resident memory size in bytes.",
			      NS_GAUGE, "bytes");
		rc |= ns_sample_u64(w, f, NS_NOLABELS, rss * (uint64_t)sysconf(_SC_PAGESIZE));
	}
	fds = count_fds(p->fd_dir);
	if (fds >= 0) {
		f = ns_family(w, "process_open_fds", "Number of open file descriptors.", NS_GAUGE,
			      NULL);
		rc |= ns_sample_i64(w, f, NS_NOLABELS, fds);
	}
	if (ns_file_read(&p->limits, proc_root, "self/limits") == 0) {
		cur = p->limits.buf.data;
		while ((line = ns_next_line(&cur))) {
			char *tok, *c2;
			uint64_t soft;

			if (strncmp(line, "Max open files", 14) != 0)
				continue;
			c2 = line + 14;
			tok = ns_next_token(&c2);
			if (tok && ns_parse_u64(tok, &soft) == 0) {
				f = ns_family(w, "process_max_fds",
					      "Maximum number of open file descriptors.", NS_GAUGE,
					      NULL);
				rc |= ns_sample_u64(w, f, NS_NOLABELS, soft);
			}
		}
	}
	if (p->start_time > 0) {
		f = ns_family(w, "process_start_time_seconds",
			      "Start time of the process since unix epoch in seconds.", NS_GAUGE,
			      "seconds");
		rc |= ns_sample_f64(w, f, NS_NOLABELS, p->start_time);
	}
	return rc ? -EINVAL : 0;
}
