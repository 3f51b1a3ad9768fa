// SPDX-License-Identifier: GPL-2.0-or-later
/* main.c - netstack_exporter: configuration, engine, HTTP, signals. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "build_config.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "scrape.h"

static int run_once(struct ns_engine *eng, bool openmetrics)
{
	struct ns_buf out = NS_BUF_INIT;
	unsigned failed = 0;
	int rc;

	rc = ns_engine_scrape(eng, ns_engine_all(eng), openmetrics ? NS_FMT_OPENMETRICS : NS_FMT_TEXT,
			      &out, &failed);
	if (rc) {
		ns_log(NS_LOG_ERROR, NULL, "scrape failed: %s", strerror(-rc));
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

int main(int argc, char **argv)
{
	struct ns_config cfg;
	struct ns_engine *eng = NULL;
	struct ns_http *http = NULL;
	struct ns_err e = {{0}};
	sigset_t set;
	int rc, sig;

	rc = ns_config_load(&cfg, argc, argv, &e);
	if (rc < 0) {
		fprintf(stderr, "netstack_exporter: %s\n", e.msg);
		return 2;
	}
	if (rc > 0) {
		ns_config_free(&cfg);
		return 0;
	}
	ns_log_setup(cfg.log_level, cfg.log_format);
	if (cfg.check_config) {
		printf("configuration OK\n");
		ns_config_free(&cfg);
		return 0;
	}

	/* Signals are taken synchronously by the main thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = ns_engine_new(&eng, &cfg, &e);
	if (rc) {
		fprintf(stderr, "netstack_exporter: %s\n", e.msg);
		ns_config_free(&cfg);
		return 2;
	}
	if (cfg.once) {
		rc = run_once(eng, cfg.once_openmetrics);
		ns_engine_free(eng);
		ns_config_free(&cfg);
		return rc;
	}
	rc = ns_http_start(&http, &cfg, eng, &e);
	if (rc) {
		fprintf(stderr, "netstack_exporter: %s\n", e.msg);
		ns_engine_free(eng);
		ns_config_free(&cfg);
		return 1;
	}
	ns_log(NS_LOG_INFO, NULL, "netstack_exporter %s listening on %s%s, %zu collectors",
	       NS_VERSION, cfg.listen[0], cfg.nlisten > 1 ? " and more" : "",
	       ns_engine_count(eng));
	sd_notify(0, "READY=1");
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGHUP) {
			ns_log(NS_LOG_INFO, NULL, "SIGHUP: configuration reload is not supported yet");
			continue;
		}
		break;
	}
	sd_notify(0, "STOPPING=1");
	ns_log(NS_LOG_INFO, NULL, "shutting down on signal %d", sig);
	ns_http_stop(http);
	ns_engine_free(eng);
	ns_config_free(&cfg);
	return 0;
}
