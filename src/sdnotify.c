// SPDX-License-Identifier: GPL-2.0-or-later
/* sdnotify.c - systemd notifications and socket activation (see sdnotify.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "clock.h"
#include "log.h"
#include "sdnotify.h"

static void notify(const char *msg)
{
	int rc = sd_notify(0, msg);

	if (rc < 0)
		ns_log_kv(NS_LOG_WARN, "systemd", (struct ns_log_kv[]){{"err", strerror(-rc)}}, 1,
			  "sd_notify failed");
}

void ns_sd_ready(const char *status)
{
	int rc = sd_notifyf(0, "READY=1\nSTATUS=%s", status);

	if (rc < 0)
		ns_log_kv(NS_LOG_WARN, "systemd", (struct ns_log_kv[]){{"err", strerror(-rc)}}, 1,
			  "sd_notify failed");
}

void ns_sd_reloading(void)
{
	int rc;

	rc = sd_notifyf(0, "RELOADING=1\nSTATUS=reloading the configuration\nMONOTONIC_USEC=%llu",
			(unsigned long long)(ns_mono_ns() / 1000));
	if (rc < 0)
		ns_log_kv(NS_LOG_WARN, "systemd", (struct ns_log_kv[]){{"err", strerror(-rc)}}, 1,
			  "sd_notify failed");
}

void ns_sd_reloaded(const char *status)
{
	ns_sd_ready(status);
}

void ns_sd_stopping(void)
{
	notify("STOPPING=1\nSTATUS=stopping");
}

void ns_sd_status(const char *status)
{
	int rc = sd_notifyf(0, "STATUS=%s", status);

	if (rc < 0)
		ns_log_kv(NS_LOG_WARN, "systemd", (struct ns_log_kv[]){{"err", strerror(-rc)}}, 1,
			  "sd_notify failed");
}

void ns_sd_watchdog(void)
{
	notify("WATCHDOG=1");
}

uint64_t ns_sd_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}

int ns_sd_listen_fds(int **fds, size_t *n, struct ns_err *e)
{
	int count, *out;

	*fds = NULL;
	*n = 0;
	count = sd_listen_fds(1);
	if (count < 0)
		return ns_err_set(e, count, "systemd socket activation: %s", strerror(-count));
	if (count == 0)
		return 0;
	out = calloc((size_t)count, sizeof(*out));
	if (!out)
		return ns_err_set(e, -ENOMEM, "out of memory");
	for (int i = 0; i < count; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		int r = sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1);

		if (r <= 0) {
			free(out);
			return ns_err_set(e, -EINVAL,
					  "systemd socket activation: descriptor %d is not a "
					  "listening stream socket",
					  fd);
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		out[i] = fd;
	}
	*fds = out;
	*n = (size_t)count;
	return 0;
}
