/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * process.h - the standard process_* self-metrics of the exporter, read
 * from the real /proc/self (never from --path.procfs, which may be a
 * fixture tree or another namespace's /proc).
 */
#ifndef NS_PROCESS_H
#define NS_PROCESS_H

#include "procfs.h"
#include "writer.h"

struct ns_process {
	struct ns_file stat;   /* /proc/self/stat */
	struct ns_file limits; /* /proc/self/limits */
	int fd_dir;	       /* /proc/self/fd */
	double start_time;     /* seconds since the epoch, computed once */
};

int ns_process_init(struct ns_process *p);
void ns_process_fini(struct ns_process *p);
int ns_process_collect(struct ns_process *p, struct ns_writer *w);

#endif
