// SPDX-License-Identifier: GPL-2.0-or-later
/* test_config.c - command line and YAML config file handling. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"

#define ARGV(...) ((char *[]){"netstack_exporter", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"x", __VA_ARGS__}) / sizeof(char *)))
#define LOAD(cfg, e, ...) ns_config_load((cfg), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (e))

static long cidx(const char *name)
{
	for (size_t i = 0; i < ns_ncollectors; i++)
		if (strcmp(ns_collectors[i]->name, name) == 0)
			return (long)i;
	return -1;
}

static char *write_tmp(const char *content)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/ns_cfg_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

static void test_defaults(void **st)
{
	struct ns_config cfg;
	struct ns_err e;

	assert_int_equal(ns_config_load(&cfg, 1, ARGV(NULL), &e), 0);
	assert_int_equal(cfg.nlisten, 1);
	assert_string_equal(cfg.listen[0], ":9868");
	assert_string_equal(cfg.telemetry_path, "/metrics");
	assert_string_equal(cfg.procfs, "/proc");
	assert_string_equal(cfg.sysfs, "/sys");
	assert_int_equal(cfg.max_requests, 40);
	for (size_t i = 0; i < ns_ncollectors; i++)
		assert_int_equal(cfg.coll[i].enabled, ns_collectors[i]->default_enabled);
	ns_config_free(&cfg);
}

static void test_flags(void **st)
{
	struct ns_config cfg;
	struct ns_err e;

	assert_int_equal(LOAD(&cfg, &e, "--web.listen-address=127.0.0.1:1", "--web.listen-address",
			      "[::1]:2", "--web.telemetry-path=/m", "--web.max-requests", "3",
			      "--path.procfs=/p", "--log.level=debug", "--log.format=json",
			      "--once"),
			 0);
	assert_int_equal(cfg.nlisten, 2);
	assert_string_equal(cfg.listen[0], "127.0.0.1:1");
	assert_string_equal(cfg.listen[1], "[::1]:2");
	assert_string_equal(cfg.telemetry_path, "/m");
	assert_int_equal(cfg.max_requests, 3);
	assert_string_equal(cfg.procfs, "/p");
	assert_int_equal(cfg.log_level, NS_LOG_DEBUG);
	assert_int_equal(cfg.log_format, NS_LOG_JSON);
	assert_true(cfg.once);
	ns_config_free(&cfg);
}

static void test_collector_switches(void **st)
{
	struct ns_config cfg;
	struct ns_err e;
	long a = 0, b = ns_ncollectors > 1 ? 1 : 0;
	char on[64], off[64];

	snprintf(on, sizeof(on), "--collector.%s", ns_collectors[a]->name);
	snprintf(off, sizeof(off), "--no-collector.%s", ns_collectors[b]->name);
	assert_int_equal(LOAD(&cfg, &e, "--collector.disable-defaults", on), 0);
	for (size_t i = 0; i < ns_ncollectors; i++)
		assert_int_equal(cfg.coll[i].enabled, (long)i == a);
	ns_config_free(&cfg);
	assert_int_equal(LOAD(&cfg, &e, off), 0);
	assert_false(cfg.coll[b].enabled);
	ns_config_free(&cfg);
}

static void expect_error(int argc, char **argv, const char *needle)
{
	struct ns_config cfg;
	struct ns_err e = {{0}};

	assert_int_equal(ns_config_load(&cfg, argc, argv, &e), -EINVAL);
	if (!strstr(e.msg, needle))
		fail_msg("error '%s' does not mention '%s'", e.msg, needle);
	assert_null(strchr(e.msg, '\n'));
}

static void test_errors(void **st)
{
	expect_error(ARGC("--bogus"), ARGV("--bogus"), "unknown flag --bogus");
	expect_error(ARGC("--collector.nosuch"), ARGV("--collector.nosuch"), "unknown collector");
	expect_error(ARGC("--log.level=loud"), ARGV("--log.level=loud"), "--log.level");
	expect_error(ARGC("--web.max-requests=x"), ARGV("--web.max-requests=x"),
		     "--web.max-requests");
	expect_error(ARGC("--web.telemetry-path=metrics"), ARGV("--web.telemetry-path=metrics"),
		     "must start with '/'");
	expect_error(ARGC("--path.procfs"), ARGV("--path.procfs"), "needs a value");
	expect_error(ARGC("stray"), ARGV("stray"), "unexpected argument");
	expect_error(ARGC("--config.file=/nonexistent/x.yml"),
		     ARGV("--config.file=/nonexistent/x.yml"), "No such file");
	if (cidx("netdev") >= 0) {
		expect_error(ARGC("--collector.netdev.device-exclude=("),
			     ARGV("--collector.netdev.device-exclude=("), "bad regex");
		expect_error(ARGC("--collector.netdev.nosuch=1"),
			     ARGV("--collector.netdev.nosuch=1"),
			     "unknown flag --collector.netdev.nosuch");
	}
}

/* Several options of one collector on one command line all take effect. */
static void test_many_collector_options(void **st)
{
	struct ns_config cfg;
	struct ns_err e = {{0}};
	long nd = cidx("netdev");

	if (nd < 0)
		skip();
	assert_int_equal(LOAD(&cfg, &e, "--collector.netdev.device-include=^eth",
			      "--collector.netdev.device-exclude=^lo$"),
			 0);
	assert_string_equal(ns_opt_str(cfg.coll[nd].opts, "device-include"), "^eth");
	assert_string_equal(ns_opt_str(cfg.coll[nd].opts, "device-exclude"), "^lo$");
	ns_config_free(&cfg);
}

static void test_help_version(void **st)
{
	struct ns_config cfg;
	struct ns_err e;
	FILE *saved = stdout;

	stdout = fopen("/dev/null", "w");
	assert_int_equal(LOAD(&cfg, &e, "--help"), 1);
	ns_config_free(&cfg);
	assert_int_equal(LOAD(&cfg, &e, "--version"), 1);
	ns_config_free(&cfg);
	fclose(stdout);
	stdout = saved;
}

static void test_yaml(void **st)
{
	struct ns_config cfg;
	struct ns_err e = {{0}};
	long nd = cidx("netdev"), sy = cidx("sysctl");
	char flag[300];
	const char *p;
	size_t n;

	if (nd < 0 || sy < 0)
		skip();
	p = write_tmp("collectors:\n"
		      "  netdev:\n"
		      "    enabled: false\n"
		      "    device-exclude: '^lo$'\n"
		      "  sysctl:\n"
		      "    include: [net.ipv4.tcp_sack, 'net.core.*']\n");
	snprintf(flag, sizeof(flag), "--config.file=%s", p);
	assert_int_equal(LOAD(&cfg, &e, flag), 0);
	assert_false(cfg.coll[nd].enabled);
	assert_string_equal(ns_opt_str(cfg.coll[nd].opts, "device-exclude"), "^lo$");
	{
		const char *const *l = ns_opt_list(cfg.coll[sy].opts, "include", &n);

		assert_int_equal(n, 2);
		assert_string_equal(l[0], "net.ipv4.tcp_sack");
		assert_string_equal(l[1], "net.core.*");
	}
	ns_config_free(&cfg);

	/* The command line wins over the file, and a list flag replaces the file's list. */
	assert_int_equal(LOAD(&cfg, &e, flag, "--collector.netdev",
			      "--collector.sysctl.include=a.b", "--collector.sysctl.include=c.d"),
			 0);
	assert_true(cfg.coll[nd].enabled);
	{
		const char *const *l = ns_opt_list(cfg.coll[sy].opts, "include", &n);

		assert_int_equal(n, 2);
		assert_string_equal(l[0], "a.b");
		assert_string_equal(l[1], "c.d");
	}
	ns_config_free(&cfg);
	unlink(p);
}

static void yaml_error(const char *content, const char *needle)
{
	char flag[300];
	const char *p = write_tmp(content);

	snprintf(flag, sizeof(flag), "--config.file=%s", p);
	expect_error(ARGC(flag), ARGV(flag), needle);
	unlink(p);
}

static void test_yaml_errors(void **st)
{
	yaml_error("collectors:\n  nosuch: {}\n", "unknown collector 'nosuch'");
	yaml_error("colectors: {}\n", "unknown key 'colectors'");
	yaml_error("collectors: [\n", "config file");
	yaml_error("- a\n- b\n", "top level must be a mapping");
	if (cidx("netdev") >= 0) {
		yaml_error("collectors:\n  netdev:\n    enabled: maybe\n", "true or false");
		yaml_error("collectors:\n  netdev:\n    device-exclude: '('\n", "bad regex");
		yaml_error("collectors:\n  netdev:\n    nosuch: 1\n", "no option 'nosuch'");
	}
}

static void test_empty_yaml(void **st)
{
	struct ns_config cfg;
	struct ns_err e;
	char flag[300];
	const char *p = write_tmp("# nothing configured\n");

	snprintf(flag, sizeof(flag), "--config.file=%s", p);
	assert_int_equal(LOAD(&cfg, &e, flag), 0);
	ns_config_free(&cfg);
	unlink(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_collector_switches),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_help_version),
	    cmocka_unit_test(test_yaml),
	    cmocka_unit_test(test_yaml_errors),
	    cmocka_unit_test(test_empty_yaml),
	    cmocka_unit_test(test_many_collector_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
