// SPDX-License-Identifier: GPL-2.0-or-later
/* test_procfs.c - file reader reuse, tokenisers, number parsing, snake_case. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"
#include "testutil.h"

static char tmpdir[64];

static int setup(void **st)
{
	strcpy(tmpdir, "/tmp/ns_procfs_XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **st)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

static void write_file(const char *name, const char *content)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void test_file_reread_reuses_fd(void **st)
{
	struct ns_file f = NS_FILE_INIT;
	int root = open(tmpdir, O_PATH | O_DIRECTORY);
	int fd;

	write_file("a", "first\n");
	assert_int_equal(ns_file_read(&f, root, "a"), 0);
	assert_string_equal(f.buf.data, "first\n");
	fd = f.fd;
	/* Rewritten in place (same inode): the kept fd sees the new content. */
	write_file("a", "second, longer content\n");
	assert_int_equal(ns_file_read(&f, root, "a"), 0);
	assert_string_equal(f.buf.data, "second, longer content\n");
	assert_int_equal(f.fd, fd);
	assert_int_equal(ns_file_read(&f, root, "missing"), -ENOENT);
	ns_file_close(&f);
	close(root);
}

static void test_file_large(void **st)
{
	struct ns_file f = NS_FILE_INIT;
	int root = open(tmpdir, O_PATH | O_DIRECTORY);
	char *big = malloc(100001);

	memset(big, 'x', 100000);
	big[100000] = '\0';
	write_file("big", big);
	assert_int_equal(ns_file_read(&f, root, "big"), 0);
	assert_int_equal(f.buf.len, 100000);
	assert_int_equal(strlen(f.buf.data), 100000);
	free(big);
	ns_file_close(&f);
	close(root);
}

static void test_file_real_proc(void **st)
{
	struct ns_file f = NS_FILE_INIT;
	int root = open("/proc", O_PATH | O_DIRECTORY);
	FILE *p = fopen("/proc/sys/net/ipv4/ip_default_ttl", "r");
	char want[32];

	assert_non_null(p);
	assert_non_null(fgets(want, sizeof(want), p));
	fclose(p);
	/* seq_file and sysctl files re-read from offset 0 through the kept fd */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ns_file_read(&f, root, "sys/net/ipv4/ip_default_ttl"), 0);
		assert_string_equal(f.buf.data, want);
		assert_int_equal(ns_file_read(&f, root, "net/snmp"), 0);
		assert_non_null(strstr(f.buf.data, "Tcp: RtoAlgorithm"));
	}
	ns_file_close(&f);
	close(root);
}

static void test_tokens(void **st)
{
	char text[] = "Tcp: a  b\tc\n\nlast  ";
	char *cur = text, *line, *tc;

	line = ns_next_line(&cur);
	assert_string_equal(line, "Tcp: a  b\tc");
	tc = line;
	assert_string_equal(ns_next_token(&tc), "Tcp:");
	assert_string_equal(ns_next_token(&tc), "a");
	assert_string_equal(ns_next_token(&tc), "b");
	assert_string_equal(ns_next_token(&tc), "c");
	assert_null(ns_next_token(&tc));
	assert_string_equal(ns_next_line(&cur), "");
	line = ns_next_line(&cur);
	assert_string_equal(line, "last  ");
	assert_null(ns_next_line(&cur));
}

static void test_numbers(void **st)
{
	uint64_t u;
	int64_t i;

	assert_int_equal(ns_parse_u64("18446744073709551615", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(ns_parse_u64("18446744073709551616", &u), -ERANGE);
	assert_int_equal(ns_parse_u64("-1", &u), -EINVAL);
	assert_int_equal(ns_parse_u64("", &u), -EINVAL);
	assert_int_equal(ns_parse_u64("12x", &u), -EINVAL);
	assert_int_equal(ns_parse_i64("-1", &i), 0);
	assert_true(i == -1);
	assert_int_equal(ns_parse_i64("-9223372036854775808", &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(ns_parse_i64("9223372036854775808", &i), -ERANGE);
	assert_int_equal(ns_parse_hex_u64("0000ffff", &u), 0);
	assert_true(u == 0xffff);
	assert_int_equal(ns_parse_hex_u64("ffffffffffffffff", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(ns_parse_hex_u64("0x10", &u), -EINVAL);
}

static void test_buf_numbers(void **st)
{
	struct ns_buf b = NS_BUF_INIT;

	ns_buf_put_u64(&b, UINT64_MAX);
	ns_buf_putc(&b, ' ');
	ns_buf_put_i64(&b, INT64_MIN);
	ns_buf_putc(&b, ' ');
	ns_buf_put_u64(&b, 0);
	assert_string_equal(b.data, "18446744073709551615 -9223372036854775808 0");
	ns_buf_free(&b);
}

static void test_snake(void **st)
{
	static const char *const cases[][2] = {
	    {"RetransSegs", "retrans_segs"},
	    {"OutSegs", "out_segs"},
	    {"CurrEstab", "curr_estab"},
	    {"ListenOverflows", "listen_overflows"},
	    {"RcvbufErrors", "rcvbuf_errors"},
	    {"InCsumErrors", "in_csum_errors"},
	    {"TCPLostRetransmit", "tcp_lost_retransmit"},
	    {"TWRecycled", "tw_recycled"},
	    {"Ip6InReceives", "ip6_in_receives"},
	    {"Icmp6InType133", "icmp6_in_type133"},
	    {"InType3", "in_type3"},
	    {"TCPMD5NotFound", "tcpmd5_not_found"},
	    {"IPReversePathFilter", "ip_reverse_path_filter"},
	    {"net.core.somaxconn", "net_core_somaxconn"},
	    {"a--b", "a_b"},
	    {"MPJoinAckHMacFailure", "mp_join_ack_hmac_failure"},
	    {"HMacFoo", "hmac_foo"},
	    {"TCPAOGood", "tcpao_good"},
	    {"InNoECTPkts", "in_no_ect_pkts"},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ns_snake_case(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
	ns_snake_case("RetransSegs", out, 5);
	assert_string_equal(out, "retr");
}

static void test_cpulist(void **unused)
{
	unsigned ids[8];

	assert_int_equal(ns_parse_cpulist("0-3,5,7-8\n", ids, 8), 7);
	assert_int_equal(ids[0], 0);
	assert_int_equal(ids[3], 3);
	assert_int_equal(ids[4], 5);
	assert_int_equal(ids[6], 8);
	/* more CPUs than room: counted, the first ones kept */
	assert_int_equal(ns_parse_cpulist("  2-11", ids, 2), 10);
	assert_int_equal(ids[1], 3);
	assert_int_equal(ns_parse_cpulist("", NULL, 0), 0);
	assert_int_equal(ns_parse_cpulist("\n", NULL, 0), 0);
	assert_int_equal(ns_parse_cpulist("0", NULL, 0), 1);
	static const char *const bad[] = {"3-1",     "x",    "1,",  "1-",   "-1",	 "+1",
					  "0-70000", "1\n2", "1 2", "1,,2", "4294967296"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ns_parse_cpulist(bad[i], ids, 8), -EINVAL);
}

static void test_array_grow(void **unused)
{
	unsigned *a = NULL;
	size_t cap = 0;

	assert_int_equal(NS_ARRAY_GROW(a, cap, 0, 16), 0);
	assert_null(a);
	assert_int_equal(NS_ARRAY_GROW(a, cap, 1, 16), 0);
	assert_int_equal(cap, 16);
	a[15] = 7;
	assert_int_equal(NS_ARRAY_GROW(a, cap, 16, 16), 0);
	assert_int_equal(cap, 16);
	assert_int_equal(NS_ARRAY_GROW(a, cap, 17, 16), 0);
	assert_int_equal(cap, 32);
	assert_int_equal(a[15], 7);
	assert_int_equal(NS_ARRAY_GROW(a, cap, 100, 16), 0);
	assert_int_equal(cap, 128);
	assert_int_equal(NS_ARRAY_GROW(a, cap, SIZE_MAX, 16), -ENOMEM);
	assert_int_equal(cap, 128);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_reread_reuses_fd),
	    cmocka_unit_test(test_file_large),
	    cmocka_unit_test(test_file_real_proc),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_buf_numbers),
	    cmocka_unit_test(test_snake),
	    cmocka_unit_test(test_cpulist),
	    cmocka_unit_test(test_array_grow),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
