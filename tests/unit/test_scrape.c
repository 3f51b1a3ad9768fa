// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_scrape.c - the scrape engine: concurrent scrapes share a collection
 * that overlaps them, and never see each other's partial output.
 *
 * Determinism: the snmp collector's /proc/net/snmp is a FIFO in a temp
 * procfs root, so the first scrape blocks inside the collector until the
 * test writes the file; the second scrape is started meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "scrape.h"
#include "testutil.h"

struct job {
	struct ns_engine *eng;
	struct ns_buf out;
	unsigned failed;
	int rc;
};

static void *scrape_thread(void *arg)
{
	struct job *j = arg;

	j->rc = ns_engine_scrape(j->eng, ns_engine_all(j->eng), NS_FMT_TEXT, &j->out, &j->failed);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* The lines of @text that carry collector data (not self-metrics). */
static char *data_lines(const char *text)
{
	char *copy = strdup(text), *out = calloc(1, strlen(text) + 1), *cur = copy, *line;

	while ((line = strsep(&cur, "\n")))
		if (strncmp(line, "netstack_snmp_", 14) == 0) {
			strcat(out, line);
			strcat(out, "\n");
		}
	free(copy);
	return out;
}

static void test_overlapping_scrapes_share(void **st)
{
	char dir[] = "/tmp/ns_scrape_XXXXXX", path[256], procarg[300], sysarg[300];
	struct ns_config cfg;
	struct ns_engine *eng;
	struct ns_err e = {{0}};
	struct job a = {0}, b = {0};
	pthread_t ta, tb;
	const char *snmp = "Ip: Forwarding DefaultTTL InReceives\nIp: 1 64 42\n"
			   "Tcp: CurrEstab RetransSegs\nTcp: 3 7\n";
	char *da, *db;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/net", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/net/snmp", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(procarg, sizeof(procarg), "--path.procfs=%s", dir);
	snprintf(sysarg, sizeof(sysarg), "--path.sysfs=%s", dir);
	char *argv[] = {"x", "--collector.disable-defaults", "--collector.snmp", procarg, sysarg,
			NULL};

	assert_int_equal(ns_config_load(&cfg, 5, argv, &e), 0);
	assert_int_equal(ns_engine_new(&eng, &cfg, &e), 0);
	assert_int_equal(ns_engine_count(eng), 1);
	a.eng = b.eng = eng;

	/* A blocks in the collector (opening the FIFO); B starts while A collects. */
	assert_int_equal(pthread_create(&ta, NULL, scrape_thread, &a), 0);
	sleep_ms(200);
	assert_int_equal(pthread_create(&tb, NULL, scrape_thread, &b), 0);
	sleep_ms(200);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, snmp, strlen(snmp)), (ssize_t)strlen(snmp));
	close(fd);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);

	assert_int_equal(a.rc, 0);
	assert_int_equal(b.rc, 0);
	assert_int_equal(a.failed, 0);
	assert_int_equal(b.failed, 0);
	/* One collection served both scrapes... */
	assert_int_equal(ns_engine_collections(eng, 0), 1);
	/* ...and both got the whole, identical result. */
	tu_assert_line(a.out.data, "netstack_snmp_ip_in_receives_total 42");
	tu_assert_line(b.out.data, "netstack_snmp_tcp_retrans_segs_total 7");
	da = data_lines(a.out.data);
	db = data_lines(b.out.data);
	assert_string_equal(da, db);
	assert_true(strlen(da) > 0);
	free(da);
	free(db);

	/* A later scrape that overlaps nothing collects again (the kept FIFO fd
	 * has no writer now, so the read sees EOF: an empty file, a success). */
	ns_buf_reset(&a.out);
	scrape_thread(&a);
	assert_int_equal(a.rc, 0);
	assert_int_equal(ns_engine_collections(eng, 0), 2);

	ns_buf_free(&a.out);
	ns_buf_free(&b.out);
	ns_engine_free(eng);
	ns_config_free(&cfg);
	unlink(path);
	snprintf(path, sizeof(path), "%s/net", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_overlapping_scrapes_share),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
