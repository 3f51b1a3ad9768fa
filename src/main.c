// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - netstack_exporter: configuration, privileges, engine, HTTP,
 * systemd notifications, signals.
 *
 * Start-up order matters: configuration and web configuration (so a bad
 * file fails before anything is opened; the TLS certificate, key and
 * client CA are read into memory here, as root, so a key only root may
 * read serves after the drop), listening sockets (possibly
 * privileged ports, or taken from systemd), privilege drop (before any
 * thread exists: credentials and capabilities are per thread), the engine
 * (collectors initialise as the final user), then the HTTP threads, and
 * only then READY=1.
 *
 * The main thread then waits for signals: SIGHUP reloads the configuration
 * (RELOADING=1 ... READY=1; a configuration that does not load is refused
 * with one error line and the old one keeps serving), SIGTERM/SIGINT stop
 * (STOPPING=1). It wakes at half the systemd watchdog interval to send
 * WATCHDOG=1, and refreshes STATUS= (collectors, last scrape duration).
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build_config.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "privdrop.h"
#include "scrape.h"
#include "sdnotify.h"
#include "webconfig.h"

#define STATUS_PERIOD_S 10 /* STATUS= refresh without a watchdog */

static int run_once(struct ns_engine *eng, bool openmetrics)
{
	struct ns_buf out = NS_BUF_INIT;
	unsigned failed = 0;
	int rc;

	rc = ns_engine_scrape(eng, ns_engine_all(eng),
			      openmetrics ? NS_FMT_OPENMETRICS : NS_FMT_TEXT, &out, &failed);
	if (rc) {
		ns_log_err(NS_LOG_ERROR, NULL, strerror(-rc), "scrape failed");
		ns_buf_free(&out);
		return 1;
	}
	if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
		rc = -EIO;
	if (fflush(stdout))
		rc = -EIO;
	ns_buf_free(&out);
	if (rc)
		return 1;
	if (failed)
		ns_log(NS_LOG_ERROR, NULL, "%u collector(s) failed", failed);
	return failed ? 1 : 0;
}

static void status_text(struct ns_http *h, char *buf, size_t len)
{
	snprintf(buf, len, "serving %zu collectors on %zu socket(s); last scrape %.3f s",
		 ns_http_collectors(h), ns_http_sockets(h), ns_http_last_duration(h));
}

static int drop_privileges(const struct ns_config *cfg, struct ns_err *e)
{
	if (!cfg->runtime_user)
		return 0;
	return ns_privdrop(cfg->runtime_user, ns_privdrop_needed_caps(cfg), e);
}

/*
 * SIGHUP: load the configuration again from the same command line, build a
 * new engine and swap it in. Any failure leaves the old one serving and is
 * one error line.
 */
static void reload(struct ns_http *h, int argc, char **argv, uint64_t caps_kept)
{
	struct ns_config cfg;
	struct ns_webconfig *web = NULL;
	struct ns_engine *eng = NULL;
	struct ns_err e = {{0}};
	char status[160];
	int rc;

	ns_sd_reloading();
	rc = ns_config_load(&cfg, argc, argv, &e);
	if (rc) {
		ns_log_err(NS_LOG_ERROR, "reload", e.msg,
			   "configuration rejected, keeping the old one");
		goto out;
	}
	if (cfg.web_config_file && access(cfg.web_config_file, R_OK) < 0 && errno == EACCES) {
		char abs[4096] = "";

		if (cfg.web_config_file[0] != '/' && getcwd(abs, sizeof(abs) - 1))
			strcat(abs, "/");
		ns_log_err(NS_LOG_ERROR, "reload", strerror(EACCES),
			   "reload refused: the web config file %s%s cannot be read by this "
			   "process (uid %u, after the privilege drop); keeping the old "
			   "configuration, restart to change it",
			   abs, cfg.web_config_file, (unsigned)geteuid());
		ns_config_free(&cfg);
		goto out;
	}
	rc = ns_webconfig_load(&web, cfg.web_config_file, &e);
	if (rc) {
		ns_log_err(NS_LOG_ERROR, "reload", e.msg,
			   "configuration rejected, keeping the old one");
		ns_config_free(&cfg);
		goto out;
	}
	if (ns_privdrop_needed_caps(&cfg) & ~caps_kept)
		ns_log(NS_LOG_WARN, "reload",
		       "a newly enabled collector needs a capability dropped at start; restart "
		       "to grant it");
	rc = ns_engine_new(&eng, &cfg, &e);
	if (rc == 0)
		rc = ns_http_reload(h, &cfg, eng, web, &e);
	if (rc) {
		ns_log_err(NS_LOG_ERROR, "reload", e.msg,
			   "configuration rejected, keeping the old one");
		ns_engine_free(eng);
		ns_webconfig_free(web);
		ns_config_free(&cfg);
		goto out;
	}
	ns_log(NS_LOG_INFO, "reload", "configuration reloaded, %zu collectors",
	       ns_http_collectors(h));
out:
	status_text(h, status, sizeof(status));
	ns_sd_reloaded(status);
}

int main(int argc, char **argv)
{
	struct ns_config cfg;
	struct ns_webconfig *web = NULL;
	struct ns_engine *eng = NULL;
	struct ns_http *http = NULL;
	struct ns_err e = {{0}};
	uint64_t wd_usec, caps_kept = 0;
	char status[160], last_status[160] = "";
	struct timespec period;
	sigset_t set;
	int rc, sig, exit_status = 2; /* if the next step fails */

	/*
	 * glibc gives each thread that allocates an arena of its own (up to 8
	 * per core), and each keeps what it freed: with 16 scrape threads that
	 * was 8 MiB more RSS under load than the same work in 2 arenas (25.8
	 * vs 17.8 MiB), at the same scrapes/s (docs/PERFORMANCE.md).
	 * MALLOC_ARENA_MAX, if set, still decides.
	 */
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, 2);

	/* Every way out goes through "out", which frees what exists (all NULL-safe). */
	rc = ns_config_load(&cfg, argc, argv, &e);
	if (rc < 0)
		goto fail;
	if (rc > 0) {
		exit_status = 0; /* --help, --version */
		goto out;
	}
	ns_log_setup(cfg.log_level, cfg.log_format);
	rc = ns_webconfig_load(&web, cfg.web_config_file, &e);
	if (rc)
		goto fail;
	if (cfg.check_config) {
		/* Collectors check their own options in init(): build the engine too. */
		rc = ns_engine_new(&eng, &cfg, &e);
		if (rc)
			goto fail;
		printf("configuration OK\n");
		exit_status = 0;
		goto out;
	}

	/* Signals are taken synchronously by the main thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cfg.once) {
		rc = drop_privileges(&cfg, &e);
		if (rc == 0)
			rc = ns_engine_new(&eng, &cfg, &e);
		if (rc)
			goto fail;
		exit_status = run_once(eng, cfg.once_openmetrics);
		goto out;
	}

	exit_status = 1;
	rc = ns_http_listen(&http, &cfg, &e);
	if (rc == 0)
		rc = drop_privileges(&cfg, &e);
	if (rc)
		goto fail;
	caps_kept = cfg.runtime_user ? ns_privdrop_needed_caps(&cfg) : ~0ULL;
	rc = ns_engine_new(&eng, &cfg, &e);
	if (rc) {
		/* Unusable configuration (say, a procfs root that does not exist): status 2. */
		exit_status = 2;
		goto fail;
	}
	/* From here the server owns cfg (it zeroes ours), eng and web. */
	rc = ns_http_serve(http, &cfg, eng, web, &e);
	web = NULL;
	eng = NULL;
	if (rc)
		goto fail;
	if (geteuid() == 0)
		ns_log(NS_LOG_WARN, NULL,
		       "running as root with every capability; use --runtime.user (or the "
		       "systemd unit) to run unprivileged");
	ns_log(NS_LOG_INFO, NULL, "netstack_exporter %s serving %zu collectors on %zu socket(s)",
	       NS_VERSION, ns_http_collectors(http), ns_http_sockets(http));
	status_text(http, status, sizeof(status));
	ns_sd_ready(status);
	snprintf(last_status, sizeof(last_status), "%s", status);

	wd_usec = ns_sd_watchdog_usec();
	if (wd_usec) {
		period.tv_sec = (time_t)(wd_usec / 2 / 1000000);
		period.tv_nsec = (long)(wd_usec / 2 % 1000000) * 1000;
		ns_log(NS_LOG_DEBUG, "systemd", "watchdog every %.3f s", (double)wd_usec / 2e6);
	} else {
		period.tv_sec = STATUS_PERIOD_S;
		period.tv_nsec = 0;
	}
	for (;;) {
		sig = sigtimedwait(&set, NULL, &period);
		if (sig < 0) {
			if (errno != EAGAIN && errno != EINTR)
				ns_log_err(NS_LOG_WARN, NULL, strerror(errno), "sigtimedwait");
			if (wd_usec)
				ns_sd_watchdog();
			status_text(http, status, sizeof(status));
			if (strcmp(status, last_status) != 0) {
				ns_sd_status(status);
				snprintf(last_status, sizeof(last_status), "%s", status);
			}
			continue;
		}
		if (sig == SIGHUP) {
			ns_log(NS_LOG_INFO, NULL, "SIGHUP: reloading the configuration");
			reload(http, argc, argv, caps_kept);
			if (wd_usec)
				ns_sd_watchdog();
			continue;
		}
		break;
	}
	ns_sd_stopping();
	ns_log(NS_LOG_INFO, NULL, "shutting down on signal %d", sig);
	exit_status = 0;
	goto out;
fail:
	fprintf(stderr, "netstack_exporter: %s\n", e.msg);
out:
	ns_http_stop(http);
	ns_engine_free(eng);
	ns_webconfig_free(web);
	ns_config_free(&cfg);
	ns_webconfig_shutdown();
	return exit_status;
}
