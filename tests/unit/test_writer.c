// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_writer.c - the exposition writer: escaping, numbers, both formats,
 * grouping, duplicates, constant labels, name rules, allocation-free reuse,
 * locale independence, and the output checked by promtool and by the
 * prometheus_client parsers (text and OpenMetrics).
 */
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

/* ---- allocation counting (interposes the libc allocator) ------------ */

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static volatile unsigned long n_alloc;

void *malloc(size_t n)
{
	n_alloc++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	n_alloc++;
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	n_alloc++;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

/* ---- helpers --------------------------------------------------------- */

static struct ns_buf out = NS_BUF_INIT;

static const char *render(struct ns_writer *w, enum ns_format fmt)
{
	ns_buf_reset(&out);
	assert_int_equal(ns_writer_render(w, fmt, &out), 0);
	return out.data ? out.data : "";
}

static const char *fmt_d(double v)
{
	static struct ns_buf b = NS_BUF_INIT;

	ns_buf_reset(&b);
	assert_int_equal(ns_fmt_double(&b, v), 0);
	return b.data;
}

static const char *esc_lv(const char *s)
{
	static struct ns_buf b = NS_BUF_INIT;

	ns_buf_reset(&b);
	assert_int_equal(ns_fmt_label_value(&b, s), 0);
	return b.data ? b.data : "";
}

static const char *esc_help(const char *s, enum ns_format fmt)
{
	static struct ns_buf b = NS_BUF_INIT;

	ns_buf_reset(&b);
	assert_int_equal(ns_fmt_help(&b, s, fmt), 0);
	return b.data ? b.data : "";
}

/* Run @cmd through the shell; stdout+stderr into @o; the exit status. */
static int run(const char *cmd, struct ns_buf *o)
{
	char chunk[4096];
	size_t n;
	FILE *p;
	int st;

	ns_buf_reset(o);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		assert_int_equal(ns_buf_append(o, chunk, n), 0);
	st = pclose(p);
	if (!o->data)
		ns_buf_puts(o, "");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static char tmpdir[64];

/* $tmpdir/<name>, in a static buffer per name (names are few and fixed). */
static const char *tmp_path(const char *name)
{
	static char path[8][256];
	static const char *names[8];
	int k;

	for (k = 0; k < 8 && names[k]; k++)
		if (strcmp(names[k], name) == 0)
			return path[k];
	assert_true(k < 8);
	names[k] = name;
	snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
	return path[k];
}

static void write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* ---- escaping -------------------------------------------------------- */

static void test_escape_label_value(void **st)
{
	assert_string_equal(esc_lv("plain"), "plain");
	assert_string_equal(esc_lv(""), "");
	assert_string_equal(esc_lv("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
	assert_string_equal(esc_lv("\\\\"), "\\\\\\\\");
	assert_string_equal(esc_lv("tab\there\r"), "tab\there\r");
	/* valid multi-byte UTF-8 passes: u-umlaut, euro, emoji */
	assert_string_equal(esc_lv("\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80"),
			    "\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80");
	/* invalid bytes become U+FFFD, one per maximal subpart */
	assert_string_equal(esc_lv("x\xffy"), "x\xef\xbf\xbdy");
	assert_string_equal(esc_lv("end\xe2\x82"), "end\xef\xbf\xbd");
	assert_string_equal(esc_lv("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong */
	assert_string_equal(esc_lv("\xed\xa0\x80"),			     /* surrogate */
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(esc_lv("\xf4\x90\x80\x80"), /* > U+10FFFF */
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(esc_lv("\xe2\x82\"q"), "\xef\xbf\xbd\\\"q");
}

static void test_escape_help(void **st)
{
	const char *h = "a\\b \"q\"\nnext";

	assert_string_equal(esc_help(h, NS_FMT_TEXT), "a\\\\b \"q\"\\nnext");
	assert_string_equal(esc_help(h, NS_FMT_OPENMETRICS), "a\\\\b \\\"q\\\"\\nnext");
	assert_string_equal(esc_help("bad\xff", NS_FMT_TEXT), "bad\xef\xbf\xbd");
}

/*
 * Random byte strings escaped by the writer must equal Python's
 * bytes.decode("utf-8", "replace") followed by the exposition escapes.
 */
static void test_escape_against_python(void **st)
{
	static const unsigned char alphabet[] = {'a',  '\\', '"',  '\n', 0x80, 0xbf, 0xc2, 0xc0,
						 0xe0, 0xe2, 0xed, 0xa0, 0xf0, 0xf4, 0x90, 0x8f,
						 0xff, 0xf8, 0x9f, 0x82, 0xac, 0xc3, 0xbc, 'z'};
	struct ns_buf in = NS_BUF_INIT, res = NS_BUF_INIT;
	const char *path = tmp_path("utf8.txt");
	char cmd[1024];
	int rc;

	for (int i = 0; i < 3000; i++) {
		char s[16];
		size_t len = rnd() % 12;
		const char *e;

		for (size_t k = 0; k < len; k++)
			s[k] = (char)alphabet[rnd() % sizeof(alphabet)];
		s[len] = '\0';
		e = esc_lv(s);
		for (size_t k = 0; k < len; k++)
			ns_buf_printf(&in, "%02x", (unsigned char)s[k]);
		ns_buf_putc(&in, ' ');
		for (const char *p = e; *p; p++)
			ns_buf_printf(&in, "%02x", (unsigned char)*p);
		ns_buf_putc(&in, '\n');
	}
	write_file(path, in.data, in.len);
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c '\n"
		 "import sys\n"
		 "bad = 0\n"
		 "for line in open(sys.argv[1]):\n"
		 "    a, _, b = line.rstrip(\"\\n\").partition(\" \")\n"
		 "    s = bytes.fromhex(a).decode(\"utf-8\", \"replace\")\n"
		 "    s = s.replace(\"\\\\\", \"\\\\\\\\\").replace(\"\\\"\", \"\\\\\\\"\")\n"
		 "    s = s.replace(\"\\n\", \"\\\\n\")\n"
		 "    if s.encode().hex() != b:\n"
		 "        bad += 1\n"
		 "        if bad <= 20: print(\"mismatch\", a, b, s.encode().hex())\n"
		 "sys.exit(1 if bad else 0)\n"
		 "' %s 2>&1",
		 path);
	rc = run(cmd, &res);
	if (rc != 0 || res.len)
		fail_msg("python comparison failed (rc=%d):\n%s", rc, res.data);
	ns_buf_free(&in);
	ns_buf_free(&res);
}

/* ---- numbers --------------------------------------------------------- */

static void test_numbers_fixed(void **st)
{
	assert_string_equal(fmt_d(0), "0");
	assert_string_equal(fmt_d(-0.0), "-0");
	assert_string_equal(fmt_d(1), "1");
	assert_string_equal(fmt_d(-2.5), "-2.5");
	assert_string_equal(fmt_d(0.1), "0.1");
	assert_string_equal(fmt_d(1e-9), "1e-09");
	assert_string_equal(fmt_d(1e300), "1e+300");
	assert_string_equal(fmt_d(123456789.123), "123456789.123");
	assert_string_equal(fmt_d(1e6), "1000000");
	assert_string_equal(fmt_d(1e15), "1000000000000000");
	assert_string_equal(fmt_d(1e16), "1e+16");
	assert_string_equal(fmt_d(0.0001), "0.0001");
	assert_string_equal(fmt_d(0.00001), "1e-05");
	assert_string_equal(fmt_d(1.0 / 3), "0.3333333333333333");
	assert_string_equal(fmt_d(0.1 + 0.2), "0.30000000000000004");
	assert_string_equal(fmt_d(9007199254740993.0), "9007199254740992");
	assert_string_equal(fmt_d(DBL_MAX), "1.7976931348623157e+308");
	assert_string_equal(fmt_d(DBL_MIN), "2.2250738585072014e-308");
	assert_string_equal(fmt_d(5e-324), "5e-324"); /* smallest subnormal */
	assert_string_equal(fmt_d(INFINITY), "+Inf");
	assert_string_equal(fmt_d(-INFINITY), "-Inf");
	assert_string_equal(fmt_d(NAN), "NaN");
}

static void test_numbers_integers(void **st)
{
	struct ns_writer *w = ns_writer_new();
	struct ns_family *f = ns_family(w, "x", "X.", NS_GAUGE, NULL);

	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"k", "max"}), UINT64_MAX), 0);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"k", "zero"}), 0), 0);
	assert_int_equal(ns_sample_i64(w, f, NS_LABELS({"k", "min"}), INT64_MIN), 0);
	assert_int_equal(ns_sample_i64(w, f, NS_LABELS({"k", "imax"}), INT64_MAX), 0);
	assert_int_equal(ns_sample_i64(w, f, NS_LABELS({"k", "neg"}), -1), 0);
	assert_string_equal(render(w, NS_FMT_TEXT), "# HELP x X.\n"
						    "# TYPE x gauge\n"
						    "x{k=\"max\"} 18446744073709551615\n"
						    "x{k=\"zero\"} 0\n"
						    "x{k=\"min\"} -9223372036854775808\n"
						    "x{k=\"imax\"} 9223372036854775807\n"
						    "x{k=\"neg\"} -1\n");
	ns_writer_free(w);
}

/* Significant digits of a formatted number (leading/trailing zeros dropped). */
static int sig_digits(const char *s)
{
	int n = 0, last = 0;
	int started = 0;

	for (; *s && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (!started && *s == '0')
			continue;
		started = 1;
		n++;
		if (*s != '0')
			last = n;
	}
	return last ? last : 1;
}

static double random_double(void)
{
	for (;;) {
		uint64_t bits = rnd();
		double d;

		switch (rnd() % 8) {
		case 0: /* "metric-like": small decimals */
			d = (double)(rnd() % 1000000) / (double)(1 + rnd() % 100000);
			break;
		case 1: /* integral */
			d = (double)(rnd() >> (rnd() % 64));
			break;
		case 2: /* integral around 2^53 and 1e16, where doubles stop being dense */
			d = (rnd() & 1 ? 9007199254740992.0 : 1e16) +
			    (double)((int64_t)(rnd() % 2001) - 1000);
			break;
		case 3: /* scaled kernel units: 64 ns ticks, microseconds, negative */
			d = (double)(int32_t)rnd() / (rnd() & 1 ? 15625000.0 : 1e6);
			break;
		case 4: /* k / 10^n */
			d = (double)(rnd() % 100000) / pow(10, (double)(rnd() % 25));
			break;
		default: /* any bit pattern, including subnormals */
			memcpy(&d, &bits, sizeof(d));
		}
		if (isfinite(d))
			return d;
	}
}

/* Round trip and minimality (no shorter decimal round-trips) via strtod. */
static void test_numbers_shortest_roundtrip(void **st)
{
	for (int i = 0; i < 200000; i++) {
		double v = random_double(), back;
		const char *s = fmt_d(v);
		char shorter[64];
		int p = sig_digits(s);

		back = strtod(s, NULL);
		if (memcmp(&back, &v, sizeof(v)) != 0)
			fail_msg("%a printed as %s which parses as %a", v, s, back);
		if (strchr(s, ',') || strchr(s, ' '))
			fail_msg("%s", s);
		if (p > 1) {
			snprintf(shorter, sizeof(shorter), "%.*e", p - 2, v);
			if (strtod(shorter, NULL) == v)
				fail_msg("%a printed as %s but %s also round-trips", v, s, shorter);
		}
	}
}

/* The exact text equals Python's repr() (shortest, same layout) minus ".0". */
static void test_numbers_against_python(void **st)
{
	struct ns_buf in = NS_BUF_INIT, res = NS_BUF_INIT;
	const char *path = tmp_path("doubles.txt");
	char cmd[1024];
	int rc;

	static const double edge[] = {0.0,
				      -0.0,
				      1.0,
				      -1.0,
				      0.1,
				      1e-4,
				      9.999e-5,
				      1e15,
				      1e16,
				      9007199254740991.0,
				      9007199254740992.0,
				      9007199254740994.0,
				      9999999999999998.0,
				      123456789012345.67,
				      DBL_MAX,
				      -DBL_MAX,
				      DBL_MIN,
				      DBL_TRUE_MIN,
				      5e-324,
				      2.2250738585072009e-308};

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		ns_buf_printf(&in, "%a %s\n", edge[i], fmt_d(edge[i]));
	for (int i = 0; i < 200000; i++) {
		double v = random_double();

		ns_buf_printf(&in, "%a %s\n", v, fmt_d(v));
	}
	ns_buf_printf(&in, "%a %s\n", INFINITY, fmt_d(INFINITY));
	ns_buf_printf(&in, "%a %s\n", -INFINITY, fmt_d(-INFINITY));
	write_file(path, in.data, in.len);
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -c '\n"
		 "import sys\n"
		 "bad = 0\n"
		 "for line in open(sys.argv[1]):\n"
		 "    a, b = line.split()\n"
		 "    r = repr(float.fromhex(a))\n"
		 "    r = {\"inf\": \"+Inf\", \"-inf\": \"-Inf\"}.get(r, r)\n"
		 "    if r.endswith(\".0\"): r = r[:-2]\n"
		 "    if r != b:\n"
		 "        bad += 1\n"
		 "        if bad <= 20: print(\"mismatch\", a, b, r)\n"
		 "sys.exit(1 if bad else 0)\n"
		 "' %s 2>&1",
		 path);
	rc = run(cmd, &res);
	if (rc != 0 || res.len)
		fail_msg("python comparison failed (rc=%d):\n%s", rc, res.data);
	ns_buf_free(&in);
	ns_buf_free(&res);
}

/* ---- families in both formats ----------------------------------------- */

static void test_counter(void **st)
{
	struct ns_writer *w = ns_writer_new();
	struct ns_family *f =
	    ns_family(w, "net_rx_bytes_total", "Received bytes.", NS_COUNTER, "bytes");

	assert_non_null(f);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"device", "eth0"}), 10), 0);
	assert_int_equal(ns_sample_f64(w, f, NS_LABELS({"device", "lo"}), 1.5), 0);
	assert_string_equal(render(w, NS_FMT_TEXT), "# HELP net_rx_bytes_total Received bytes.\n"
						    "# TYPE net_rx_bytes_total counter\n"
						    "net_rx_bytes_total{device=\"eth0\"} 10\n"
						    "net_rx_bytes_total{device=\"lo\"} 1.5\n");
	assert_string_equal(render(w, NS_FMT_OPENMETRICS),
			    "# HELP net_rx_bytes Received bytes.\n"
			    "# TYPE net_rx_bytes counter\n"
			    "# UNIT net_rx_bytes bytes\n"
			    "net_rx_bytes_total{device=\"eth0\"} 10\n"
			    "net_rx_bytes_total{device=\"lo\"} 1.5\n");
	assert_int_equal(ns_writer_samples(w), 2);
	ns_writer_free(w);
}

static bool keep_a(const char *family)
{
	return family[0] == 'a';
}

/* ns_writer_set_filter: families kept by name, a series budget, counted refusals. */
static void test_filter(void **st)
{
	struct ns_writer *w = ns_writer_new();
	struct ns_family *a = ns_family(w, "a_total", "A.", NS_COUNTER, NULL);
	struct ns_family *b = ns_family(w, "b", "B.", NS_GAUGE, NULL);
	struct ns_family *h = ns_family(w, "b_seconds", "H.", NS_HISTOGRAM, "seconds");
	struct ns_sample_filter flt = {keep_a, 2, 0};
	const double le[1] = {1};
	const uint64_t bk[1] = {1};

	assert_int_equal(ns_sample_u64(w, a, NS_LABELS({"x", "1"}), 1), 0);
	ns_writer_set_filter(w, &flt);
	assert_int_equal(ns_sample_u64(w, a, NS_LABELS({"x", "2"}), 2), 0);
	assert_int_equal(ns_sample_u64(w, b, NS_NOLABELS, 3), 0);
	assert_int_equal(ns_sample_histogram(w, h, NS_NOLABELS, le, bk, 1, 1, 0.5), 0);
	assert_int_equal(ns_sample_u64(w, a, NS_LABELS({"x", "3"}), 3), 0);
	assert_int_equal(ns_sample_u64(w, a, NS_LABELS({"x", "4"}), 4), 0);
	assert_int_equal(flt.left, 0);
	assert_int_equal(flt.refused, 1);
	flt.keep = NULL;
	flt.left = 1;
	assert_int_equal(ns_sample_u64(w, b, NS_NOLABELS, 5), 0);
	ns_writer_set_filter(w, NULL);
	assert_int_equal(ns_sample_u64(w, a, NS_LABELS({"x", "5"}), 5), 0);
	assert_string_equal(render(w, NS_FMT_TEXT), "# HELP a_total A.\n"
						    "# TYPE a_total counter\n"
						    "a_total{x=\"1\"} 1\n"
						    "a_total{x=\"2\"} 2\n"
						    "a_total{x=\"3\"} 3\n"
						    "a_total{x=\"5\"} 5\n"
						    "# HELP b B.\n"
						    "# TYPE b gauge\n"
						    "b 5\n");
	ns_writer_free(w);
}

static void test_gauge_untyped(void **st)
{
	struct ns_writer *w = ns_writer_new();
	struct ns_family *g = ns_family(w, "net_up", "1 if \"up\".", NS_GAUGE, NULL);
	struct ns_family *u = ns_family(w, "net_thing", NULL, NS_UNTYPED, NULL);
	struct ns_family *t = ns_family(w, "net_temp_celsius", "T.", NS_GAUGE, "celsius");

	assert_non_null(g);
	assert_non_null(u);
	assert_non_null(t);
	assert_int_equal(ns_sample_i64(w, g, NS_NOLABELS, -5), 0);
	assert_int_equal(ns_sample_f64(w, u, NS_NOLABELS, 0.25), 0);
	assert_int_equal(ns_sample_f64(w, t, NS_NOLABELS, -273.15), 0);
	assert_string_equal(render(w, NS_FMT_TEXT), "# HELP net_up 1 if \"up\".\n"
						    "# TYPE net_up gauge\n"
						    "net_up -5\n"
						    "# TYPE net_thing untyped\n"
						    "net_thing 0.25\n"
						    "# HELP net_temp_celsius T.\n"
						    "# TYPE net_temp_celsius gauge\n"
						    "net_temp_celsius -273.15\n");
	assert_string_equal(render(w, NS_FMT_OPENMETRICS), "# HELP net_up 1 if \\\"up\\\".\n"
							   "# TYPE net_up gauge\n"
							   "net_up -5\n"
							   "# TYPE net_thing unknown\n"
							   "net_thing 0.25\n"
							   "# HELP net_temp_celsius T.\n"
							   "# TYPE net_temp_celsius gauge\n"
							   "# UNIT net_temp_celsius celsius\n"
							   "net_temp_celsius -273.15\n");
	ns_writer_free(w);
}

static void test_info(void **st)
{
	struct ns_writer *w = ns_writer_new();
	struct ns_family *f = ns_family(w, "net_build_info", "Build.", NS_INFO, NULL);

	assert_non_null(f);
	/* the value of an info sample is always 1 */
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"version", "1.2"}), 7), 0);
	assert_string_equal(render(w, NS_FMT_TEXT), "# HELP net_build_info Build.\n"
						    "# TYPE net_build_info gauge\n"
						    "net_build_info{version=\"1.2\"} 1\n");
	assert_string_equal(render(w, NS_FMT_OPENMETRICS), "# HELP net_build Build.\n"
							   "# TYPE net_build info\n"
							   "net_build_info{version=\"1.2\"} 1\n");
	ns_writer_free(w);
}

static void test_histogram(void **st)
{
	static const double le[] = {0.005, 0.1, 1};
	static const uint64_t b[] = {1, 3, 3};
	struct ns_writer *w = ns_writer_new();
	struct ns_family *f =
	    ns_family(w, "net_latency_seconds", "Latency.", NS_HISTOGRAM, "seconds");
	struct ns_family *g = ns_family(w, "net_size", "Size.", NS_HISTOGRAM, NULL);

	assert_non_null(f);
	assert_non_null(g);
	assert_int_equal(ns_sample_histogram(w, f, NS_LABELS({"dev", "a"}), le, b, 3, 4, 2.5), 0);
	assert_int_equal(ns_sample_histogram(w, g, NS_NOLABELS, le, b, 1, 1, 0), 0);
	assert_int_equal(ns_writer_samples(w), 6 + 4);
	assert_string_equal(render(w, NS_FMT_TEXT),
			    "# HELP net_latency_seconds Latency.\n"
			    "# TYPE net_latency_seconds histogram\n"
			    "net_latency_seconds_bucket{dev=\"a\",le=\"0.005\"} 1\n"
			    "net_latency_seconds_bucket{dev=\"a\",le=\"0.1\"} 3\n"
			    "net_latency_seconds_bucket{dev=\"a\",le=\"1\"} 3\n"
			    "net_latency_seconds_bucket{dev=\"a\",le=\"+Inf\"} 4\n"
			    "net_latency_seconds_sum{dev=\"a\"} 2.5\n"
			    "net_latency_seconds_count{dev=\"a\"} 4\n"
			    "# HELP net_size Size.\n"
			    "# TYPE net_size histogram\n"
			    "net_size_bucket{le=\"0.005\"} 1\n"
			    "net_size_bucket{le=\"+Inf\"} 1\n"
			    "net_size_sum 0\n"
			    "net_size_count 1\n");
	assert_string_equal(render(w, NS_FMT_OPENMETRICS),
			    "# HELP net_latency_seconds Latency.\n"
			    "# TYPE net_latency_seconds histogram\n"
			    "# UNIT net_latency_seconds seconds\n"
			    "net_latency_seconds_bucket{dev=\"a\",le=\"0.005\"} 1\n"
			    "net_latency_seconds_bucket{dev=\"a\",le=\"0.1\"} 3\n"
			    "net_latency_seconds_bucket{dev=\"a\",le=\"1\"} 3\n"
			    "net_latency_seconds_bucket{dev=\"a\",le=\"+Inf\"} 4\n"
			    "net_latency_seconds_sum{dev=\"a\"} 2.5\n"
			    "net_latency_seconds_count{dev=\"a\"} 4\n"
			    "# HELP net_size Size.\n"
			    "# TYPE net_size histogram\n"
			    "net_size_bucket{le=\"0.005\"} 1\n"
			    "net_size_bucket{le=\"+Inf\"} 1\n"
			    "net_size_sum 0\n"
			    "net_size_count 1\n");

	/* scalar samples on a histogram and vice versa */
	assert_int_equal(ns_sample_u64(w, f, NS_NOLABELS, 1), -EINVAL);
	assert_int_equal(ns_sample_histogram(w, ns_family(w, "net_g", "G.", NS_GAUGE, NULL),
					     NS_NOLABELS, le, b, 3, 4, 1),
			 -EINVAL);
	/* bounds must ascend, buckets must be cumulative, +Inf is implicit */
	{
		static const double bad_le[] = {1, 0.5};
		static const double inf_le[] = {1, INFINITY};
		static const double nan_le[] = {NAN};
		static const uint64_t bad_b[] = {3, 2};
		static const uint64_t ok_b[] = {1, 2};

		assert_int_equal(
		    ns_sample_histogram(w, f, NS_LABELS({"dev", "b"}), bad_le, ok_b, 2, 2, 0),
		    -EINVAL);
		assert_int_equal(
		    ns_sample_histogram(w, f, NS_LABELS({"dev", "b"}), le, bad_b, 2, 3, 0),
		    -EINVAL);
		assert_int_equal(
		    ns_sample_histogram(w, f, NS_LABELS({"dev", "b"}), le, ok_b, 2, 1, 0), -EINVAL);
		assert_int_equal(
		    ns_sample_histogram(w, f, NS_LABELS({"dev", "b"}), inf_le, ok_b, 2, 2, 0),
		    -EINVAL);
		assert_int_equal(
		    ns_sample_histogram(w, f, NS_LABELS({"dev", "b"}), nan_le, ok_b, 1, 2, 0),
		    -EINVAL);
		assert_int_equal(
		    ns_sample_histogram(w, f, NS_LABELS({"le", "b"}), le, ok_b, 2, 2, 0), -EINVAL);
	}
	/* no buckets at all: only +Inf, sum, count */
	assert_int_equal(ns_sample_histogram(w, f, NS_LABELS({"dev", "c"}), NULL, NULL, 0, 0, 0),
			 0);
	tu_assert_line(render(w, NS_FMT_TEXT),
		       "net_latency_seconds_bucket{dev=\"c\",le=\"+Inf\"} 0");
	ns_writer_free(w);
}

static void test_grouping(void **st)
{
	struct ns_writer *w = ns_writer_new();
	struct ns_family *a = ns_family(w, "a_total", "A.", NS_COUNTER, NULL);
	struct ns_family *b = ns_family(w, "b", "B.", NS_GAUGE, NULL);
	struct ns_family *empty = ns_family(w, "c", "C.", NS_GAUGE, NULL);

	assert_non_null(empty);
	/* b's first sample arrives first, but a was declared first */
	assert_int_equal(ns_sample_u64(w, b, NS_LABELS({"i", "1"}), 1), 0);
	assert_int_equal(ns_sample_u64(w, a, NS_LABELS({"i", "1"}), 2), 0);
	assert_int_equal(ns_sample_u64(w, b, NS_LABELS({"i", "2"}), 3), 0);
	/* looking a family up again returns the same one */
	assert_ptr_equal(ns_family(w, "a_total", "A.", NS_COUNTER, NULL), a);
	assert_int_equal(ns_sample_u64(w, a, NS_LABELS({"i", "2"}), 4), 0);
	assert_int_equal(ns_sample_u64(w, b, NS_LABELS({"i", "0"}), 5), 0);
	assert_string_equal(render(w, NS_FMT_TEXT), "# HELP a_total A.\n"
						    "# TYPE a_total counter\n"
						    "a_total{i=\"1\"} 2\n"
						    "a_total{i=\"2\"} 4\n"
						    "# HELP b B.\n"
						    "# TYPE b gauge\n"
						    "b{i=\"1\"} 1\n"
						    "b{i=\"2\"} 3\n"
						    "b{i=\"0\"} 5\n");
	/* render appends */
	ns_buf_reset(&out);
	ns_buf_puts(&out, "X\n");
	assert_int_equal(ns_writer_render(w, NS_FMT_TEXT, &out), 0);
	assert_memory_equal(out.data, "X\n# HELP a_total", 16);
	ns_writer_free(w);
}

static void test_duplicates(void **st)
{
	static const double le[] = {1};
	static const uint64_t bk[] = {1};
	struct ns_writer *w = ns_writer_new();
	struct ns_family *f = ns_family(w, "d", "D.", NS_GAUGE, NULL);
	struct ns_family *g = ns_family(w, "e", "E.", NS_GAUGE, NULL);
	struct ns_family *h = ns_family(w, "h", "H.", NS_HISTOGRAM, NULL);

	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"x", "1"}), 1), 0);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"x", "1"}), 2), -EEXIST);
	assert_int_equal(ns_sample_f64(w, f, NS_LABELS({"x", "1"}), 3), -EEXIST);
	assert_int_equal(ns_sample_u64(w, f, NS_NOLABELS, 4), 0);
	assert_int_equal(ns_sample_u64(w, f, NS_NOLABELS, 5), -EEXIST);
	/* the same label set in another family is not a duplicate */
	assert_int_equal(ns_sample_u64(w, g, NS_LABELS({"x", "1"}), 6), 0);
	assert_int_equal(ns_sample_histogram(w, h, NS_LABELS({"x", "1"}), le, bk, 1, 1, 1), 0);
	assert_int_equal(ns_sample_histogram(w, h, NS_LABELS({"x", "1"}), le, bk, 1, 2, 1),
			 -EEXIST);
	assert_int_equal(ns_writer_duplicates(w), 4);
	assert_int_equal(ns_writer_samples(w), 3 + 4);
	assert_string_equal(render(w, NS_FMT_TEXT), "# HELP d D.\n"
						    "# TYPE d gauge\n"
						    "d{x=\"1\"} 1\n"
						    "d 4\n"
						    "# HELP e E.\n"
						    "# TYPE e gauge\n"
						    "e{x=\"1\"} 6\n"
						    "# HELP h H.\n"
						    "# TYPE h histogram\n"
						    "h_bucket{x=\"1\",le=\"1\"} 1\n"
						    "h_bucket{x=\"1\",le=\"+Inf\"} 1\n"
						    "h_sum{x=\"1\"} 1\n"
						    "h_count{x=\"1\"} 1\n");

	/* many series: the index grows and still finds every repeat */
	for (int i = 0; i < 1000; i++) {
		char v[16];

		snprintf(v, sizeof(v), "%d", i);
		assert_int_equal(ns_sample_u64(w, g, NS_LABELS({"n", v}), (uint64_t)i), 0);
	}
	for (int i = 0; i < 1000; i++) {
		char v[16];

		snprintf(v, sizeof(v), "%d", i);
		assert_int_equal(ns_sample_u64(w, g, NS_LABELS({"n", v}), 0), -EEXIST);
	}
	assert_int_equal(ns_writer_duplicates(w), 1004);

	/* reset forgets samples and duplicates */
	ns_writer_reset(w);
	assert_int_equal(ns_writer_duplicates(w), 0);
	assert_int_equal(ns_writer_samples(w), 0);
	assert_string_equal(render(w, NS_FMT_TEXT), "");
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"x", "1"}), 9), 0);
	assert_string_equal(render(w, NS_FMT_TEXT), "# HELP d D.\n"
						    "# TYPE d gauge\n"
						    "d{x=\"1\"} 9\n");
	ns_writer_free(w);
}

/*
 * Names that differ only in invalid UTF-8 ("x\xff", "x\xfe") give the same
 * label text: the first sample is kept, the others are collisions, not
 * duplicates (the scrape engine does not fail the collector for them).
 */
static void test_collisions(void **st)
{
	struct ns_writer *w = ns_writer_new();
	struct ns_family *f = ns_family(w, "c", "C.", NS_GAUGE, NULL);
	struct ns_labelset ls = {0};

	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"device", "x\xff"}), 1), 0);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"device", "x\xfe"}), 2), -EEXIST);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"device", "x\xc3"}), 3), -EEXIST);
	/* through a label set too */
	assert_int_equal(ns_labelset_set(&ls, w, NS_LABELS({"device", "x\x80"})), 0);
	assert_int_equal(ns_sample_u64_ls(w, f, &ls, 4), -EEXIST);
	/* valid UTF-8 repeated is a duplicate, as before */
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"device", "y\xc3\xa9"}), 5), 0);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"device", "y\xc3\xa9"}), 6), -EEXIST);
	assert_int_equal(ns_writer_collisions(w), 3);
	assert_int_equal(ns_writer_duplicates(w), 1);
	assert_string_equal(render(w, NS_FMT_TEXT), "# HELP c C.\n"
						    "# TYPE c gauge\n"
						    "c{device=\"x\xef\xbf\xbd\"} 1\n"
						    "c{device=\"y\xc3\xa9\"} 5\n");
	ns_writer_reset(w);
	assert_int_equal(ns_writer_collisions(w), 0);
	ns_labelset_free(&ls);
	ns_writer_free(w);
}

static void test_const_labels(void **st)
{
	static const struct ns_label cl[] = {{"netns", "blue"}, {"host", "a\"b"}};
	static const struct ns_label bad[] = {{"__x", "1"}};
	struct ns_writer *w = ns_writer_new();
	struct ns_family *f = ns_family(w, "c", "C.", NS_GAUGE, NULL);

	ns_writer_set_const_labels(w, cl, 2);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"dev", "eth0"}), 1), 0);
	assert_int_equal(ns_sample_u64(w, f, NS_NOLABELS, 2), 0);
	/* a label that repeats a constant label is invalid */
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"netns", "x"}), 3), -EINVAL);
	ns_writer_set_const_labels(w, NULL, 0);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"dev", "eth0"}), 4), 0);
	ns_writer_set_const_labels(w, bad, 1);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"dev", "eth1"}), 5), -EINVAL);
	assert_string_equal(render(w, NS_FMT_OPENMETRICS),
			    "# HELP c C.\n"
			    "# TYPE c gauge\n"
			    "c{netns=\"blue\",host=\"a\\\"b\",dev=\"eth0\"} 1\n"
			    "c{netns=\"blue\",host=\"a\\\"b\"} 2\n"
			    "c{dev=\"eth0\"} 4\n");
	ns_writer_free(w);
}

static void test_invalid(void **st)
{
	struct ns_writer *w = ns_writer_new();
	struct ns_writer *w2 = ns_writer_new();
	struct ns_family *f, *other;

	/* names */
	assert_null(ns_family(w, "", "x", NS_GAUGE, NULL));
	assert_null(ns_family(w, NULL, "x", NS_GAUGE, NULL));
	assert_null(ns_family(w, "1abc", "x", NS_GAUGE, NULL));
	assert_null(ns_family(w, "a-b", "x", NS_GAUGE, NULL));
	assert_null(ns_family(w, "a b", "x", NS_GAUGE, NULL));
	assert_null(ns_family(w, "caf\xc3\xa9", "x", NS_GAUGE, NULL));
	assert_non_null(ns_family(w, "ns:rule_x", "x", NS_GAUGE, NULL));
	/* suffixes */
	assert_null(ns_family(w, "packets", "x", NS_COUNTER, NULL));
	assert_null(ns_family(w, "_total", "x", NS_COUNTER, NULL));
	assert_null(ns_family(w, "build", "x", NS_INFO, NULL));
	assert_null(ns_family(w, "_info", "x", NS_INFO, NULL));
	assert_null(ns_family(w, "v_bytes_info", "x", NS_INFO, "bytes"));
	/* units */
	assert_null(ns_family(w, "rx_packets_total", "x", NS_COUNTER, "bytes"));
	assert_null(ns_family(w, "rxbytes_total", "x", NS_COUNTER, "bytes"));
	assert_null(ns_family(w, "rx_total_bytes", "x", NS_GAUGE, "bytes-x"));
	assert_null(ns_family(w, "bytes", "x", NS_GAUGE, "bytes"));
	assert_non_null(ns_family(w, "rx_bytes_total", "x", NS_COUNTER, "bytes"));
	/* redeclaration: same type and unit ok, anything else refused */
	f = ns_family(w, "g", "x", NS_GAUGE, NULL);
	assert_non_null(f);
	assert_ptr_equal(ns_family(w, "g", "other help", NS_GAUGE, NULL), f);
	assert_null(ns_family(w, "g", "x", NS_UNTYPED, NULL));
	assert_null(ns_family(w, "rx_bytes_total", "x", NS_GAUGE, "bytes"));
	assert_null(ns_family(w, "rx_bytes_total", "x", NS_COUNTER, NULL));
	/* names that would clash with another family's samples or family name */
	assert_null(ns_family(w, "rx_bytes", "x", NS_GAUGE, NULL));
	assert_null(ns_family(w, "rx_bytes_created", "x", NS_GAUGE, NULL));
	assert_non_null(ns_family(w, "lat", "x", NS_HISTOGRAM, NULL));
	assert_null(ns_family(w, "lat_count", "x", NS_GAUGE, NULL));
	assert_null(ns_family(w, "lat_bucket", "x", NS_GAUGE, NULL));
	assert_null(ns_family(w, "lat_total", "x", NS_COUNTER, NULL));
	assert_null(ns_family(w, "g_info", "x", NS_INFO, NULL));
	assert_non_null(ns_family(w, "q", "x", NS_GAUGE, NULL));
	assert_null(ns_family(w, "q", "x", NS_HISTOGRAM, NULL));
	assert_null(ns_family(w, "q_total", "x", NS_COUNTER, NULL));

	/* labels */
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"__name__", "x"}), 1), -EINVAL);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"__meta", "x"}), 1), -EINVAL);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"a-b", "x"}), 1), -EINVAL);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"1a", "x"}), 1), -EINVAL);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"a:b", "x"}), 1), -EINVAL);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"", "x"}), 1), -EINVAL);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"a", NULL}), 1), -EINVAL);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"a", "1"}, {"a", "2"}), 1), -EINVAL);
	assert_int_equal(ns_sample_u64(w, NULL, NS_NOLABELS, 1), -EINVAL);
	other = ns_family(w2, "g", "x", NS_GAUGE, NULL);
	assert_int_equal(ns_sample_u64(w, other, NS_NOLABELS, 1), -EINVAL);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"_a", "1"}, {"b_", "2"}), 1), 0);
	assert_int_equal(ns_writer_samples(w), 1);
	assert_int_equal(ns_writer_samples(w2), 0);
	assert_string_equal(render(w, NS_FMT_TEXT), "# HELP g x\n"
						    "# TYPE g gauge\n"
						    "g{_a=\"1\",b_=\"2\"} 1\n");

	assert_true(ns_valid_metric_name("a:b_c9"));
	assert_false(ns_valid_label_name("a:b"));
	assert_true(ns_valid_label_name("_"));
	ns_writer_free(w);
	ns_writer_free(w2);
}

/* ---- label sets --------------------------------------------------------- */

static void test_labelset(void **st)
{
	static const struct ns_label cl[] = {{"netns", "blue"}};
	static const struct ns_label cl2[] = {{"netns", "red"}};
	struct ns_writer *w = ns_writer_new(), *w2 = ns_writer_new(), *ref = ns_writer_new();
	struct ns_family *a = ns_family(w, "a_total", "A.", NS_COUNTER, NULL);
	struct ns_family *b = ns_family(w, "b", "B.", NS_GAUGE, NULL);
	struct ns_family *i = ns_family(w, "i_info", "I.", NS_INFO, NULL);
	struct ns_family *h = ns_family(w, "h", "H.", NS_HISTOGRAM, NULL);
	struct ns_family *ra = ns_family(ref, "a_total", "A.", NS_COUNTER, NULL);
	struct ns_family *rb = ns_family(ref, "b", "B.", NS_GAUGE, NULL);
	struct ns_family *ri = ns_family(ref, "i_info", "I.", NS_INFO, NULL);
	struct ns_labelset ls = {0}, none = {0}, bad = {0};
	struct ns_buf want = NS_BUF_INIT; /* not strdup(): ASan's strdup and our free() disagree */

	/* The same samples through a label set and through label arrays render alike. */
	ns_writer_set_const_labels(w, cl, 1);
	ns_writer_set_const_labels(ref, cl, 1);
	assert_int_equal(ns_labelset_set(&ls, w, NS_LABELS({"dev", "e\"0\n"}, {"q", "1"})), 0);
	assert_int_equal(ns_sample_u64_ls(w, a, &ls, 18446744073709551615ULL), 0);
	assert_int_equal(ns_sample_f64_ls(w, b, &ls, 0.1), 0);
	assert_int_equal(ns_sample_u64_ls(w, i, &ls, 7), 0);
	assert_int_equal(ns_labelset_set(&none, w, NS_NOLABELS), 0);
	assert_int_equal(ns_sample_u64_ls(w, b, &none, 3), 0);
	assert_int_equal(ns_sample_u64(ref, ra, NS_LABELS({"dev", "e\"0\n"}, {"q", "1"}),
				       18446744073709551615ULL),
			 0);
	assert_int_equal(ns_sample_f64(ref, rb, NS_LABELS({"dev", "e\"0\n"}, {"q", "1"}), 0.1), 0);
	assert_int_equal(ns_sample_u64(ref, ri, NS_LABELS({"dev", "e\"0\n"}, {"q", "1"}), 7), 0);
	assert_int_equal(ns_sample_u64(ref, rb, NS_NOLABELS, 3), 0);
	for (int fmt = NS_FMT_TEXT; fmt <= NS_FMT_OPENMETRICS; fmt++) {
		ns_buf_reset(&want);
		assert_int_equal(ns_buf_puts(&want, render(ref, fmt)), 0);
		assert_string_equal(render(w, fmt), want.data);
	}
	assert_string_equal(render(w, NS_FMT_TEXT),
			    "# HELP a_total A.\n"
			    "# TYPE a_total counter\n"
			    "a_total{netns=\"blue\",dev=\"e\\\"0\\n\",q=\"1\"} "
			    "18446744073709551615\n"
			    "# HELP b B.\n"
			    "# TYPE b gauge\n"
			    "b{netns=\"blue\",dev=\"e\\\"0\\n\",q=\"1\"} 0.1\n"
			    "b{netns=\"blue\"} 3\n"
			    "# HELP i_info I.\n"
			    "# TYPE i_info gauge\n"
			    "i_info{netns=\"blue\",dev=\"e\\\"0\\n\",q=\"1\"} 1\n");

	/* One series index for both ways in: a repeat is a duplicate either way. */
	assert_int_equal(ns_sample_u64_ls(w, a, &ls, 1), -EEXIST);
	assert_int_equal(ns_sample_u64(w, b, NS_LABELS({"dev", "e\"0\n"}, {"q", "1"}), 1), -EEXIST);
	assert_int_equal(ns_sample_u64_ls(w, b, &none, 1), -EEXIST);
	assert_int_equal(ns_writer_duplicates(w), 3);
	assert_int_equal(ns_writer_samples(w), 4);

	/* Only scalar families: a histogram series needs its buckets. */
	assert_int_equal(ns_sample_u64_ls(w, h, &ls, 1), -EINVAL);
	/* A family of another writer, a set built for another writer. */
	assert_int_equal(ns_sample_u64_ls(w2, a, &ls, 1), -EINVAL);
	assert_int_equal(ns_sample_u64_ls(w, NULL, &ls, 1), -EINVAL);
	assert_int_equal(ns_sample_u64_ls(w, a, NULL, 1), -EINVAL);
	/* Constant labels changed since the set was built: refused, not mislabelled. */
	ns_writer_set_const_labels(w, cl2, 1);
	assert_int_equal(ns_sample_u64_ls(w, b, &ls, 1), -EINVAL);
	assert_int_equal(ns_labelset_set(&ls, w, NS_LABELS({"dev", "x"})), 0);
	assert_int_equal(ns_sample_u64_ls(w, b, &ls, 5), 0);
	assert_non_null(strstr(render(w, NS_FMT_TEXT), "b{netns=\"red\",dev=\"x\"} 5\n"));

	/* An invalid set fails, and so does every sample with it. */
	assert_int_equal(ns_labelset_set(&bad, w, NS_LABELS({"__x", "1"})), -EINVAL);
	assert_int_equal(ns_sample_u64_ls(w, b, &bad, 1), -EINVAL);
	assert_int_equal(ns_labelset_set(&bad, w, NS_LABELS({"netns", "dup of a constant"})),
			 -EINVAL);
	assert_int_equal(ns_sample_f64_ls(w, b, &bad, 1), -EINVAL);
	assert_int_equal(ns_labelset_set(&bad, NULL, NS_LABELS({"x", "1"})), -EINVAL);
	/* and a valid one made from it again works */
	assert_int_equal(ns_labelset_set(&bad, w, NS_LABELS({"x", "1"})), 0);
	assert_int_equal(ns_sample_f64_ls(w, b, &bad, 2.5), 0);
	assert_int_equal(ns_writer_samples(w), 6);

	ns_buf_free(&want);
	ns_labelset_free(&ls);
	ns_labelset_free(&none);
	ns_labelset_free(&bad);
	ns_writer_free(w);
	ns_writer_free(w2);
	ns_writer_free(ref);
}

/* ---- memory reuse ------------------------------------------------------ */

static struct ns_labelset scrape_ls;

static void one_scrape(struct ns_writer *w, int round)
{
	static const double le[] = {0.001, 0.01, 0.1, 1};
	static const uint64_t bk[] = {1, 2, 3, 4};
	static const struct ns_label cl[] = {{"netns", "init"}};
	char dev[16];
	struct ns_family *c, *g, *h, *i, *l, *m;

	ns_writer_reset(w);
	ns_writer_set_const_labels(w, cl, 1);
	c = ns_family(w, "rx_bytes_total", "Rx.", NS_COUNTER, "bytes");
	g = ns_family(w, "up", "Up.", NS_GAUGE, NULL);
	h = ns_family(w, "lat_seconds", "Lat.", NS_HISTOGRAM, "seconds");
	i = ns_family(w, "b_info", "B.", NS_INFO, NULL);
	for (int k = 0; k < 200; k++) {
		snprintf(dev, sizeof(dev), "eth%d", k);
		assert_int_equal(
		    ns_sample_u64(w, c, NS_LABELS({"device", dev}), (uint64_t)(k * round)), 0);
		assert_int_equal(ns_sample_f64(w, g, NS_LABELS({"device", dev}), k / 7.0), 0);
		assert_int_equal(
		    ns_sample_histogram(w, h, NS_LABELS({"device", dev}), le, bk, 4, 5, 0.123 * k),
		    0);
	}
	assert_int_equal(ns_sample_u64(w, g, NS_LABELS({"device", "eth0"}), 0), -EEXIST);
	assert_int_equal(ns_sample_u64(w, i, NS_LABELS({"v", "1"}), 1), 0);
	/* and through a label set kept across scrapes */
	l = ns_family(w, "ls_packets_total", "Ls.", NS_COUNTER, NULL);
	m = ns_family(w, "ls_queued", "Lq.", NS_GAUGE, NULL);
	for (int k = 0; k < 100; k++) {
		snprintf(dev, sizeof(dev), "veth%d", k);
		assert_int_equal(ns_labelset_set(&scrape_ls, w, NS_LABELS({"device", dev})), 0);
		assert_int_equal(ns_sample_u64_ls(w, l, &scrape_ls, (uint64_t)(k * round)), 0);
		assert_int_equal(ns_sample_f64_ls(w, m, &scrape_ls, k / 3.0), 0);
	}
	ns_buf_reset(&out);
	assert_int_equal(ns_writer_render(w, NS_FMT_TEXT, &out), 0);
	assert_int_equal(ns_writer_render(w, NS_FMT_OPENMETRICS, &out), 0);
}

static void test_reset_no_malloc(void **st)
{
	unsigned long before, after;
	struct ns_writer *w;

	before = n_alloc;
	w = ns_writer_new();
	assert_non_null(w);
	/* the interposer sees the writer's allocations */
	assert_true(n_alloc > before);

	one_scrape(w, 1); /* warm up */
	one_scrape(w, 2);
	before = n_alloc;
	for (int r = 3; r < 50; r++)
		one_scrape(w, r);
	after = n_alloc;
	assert_int_equal(after - before, 0);
	assert_int_equal(ns_writer_duplicates(w), 1);
	assert_int_equal(ns_writer_samples(w), 200 * (1 + 1 + 7) + 1 + 100 * 2);

	/* and it does see a new family being made */
	before = n_alloc;
	assert_non_null(ns_family(w, "new_one", "N.", NS_GAUGE, NULL));
	assert_true(n_alloc > before);
	ns_writer_free(w);
	ns_labelset_free(&scrape_ls);
}

/* ---- locale -------------------------------------------------------------- */

static char locdir[64];

static int try_decimal_comma_locale(void)
{
	char cmd[256];

	if (setlocale(LC_ALL, "de_DE.UTF-8") || setlocale(LC_ALL, "de_DE.utf8"))
		return 1;
	/* not installed: compile one into a temporary LOCPATH */
	strcpy(locdir, "/tmp/ns_loc_XXXXXX");
	if (!mkdtemp(locdir))
		return 0;
	snprintf(cmd, sizeof(cmd), "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1",
		 locdir);
	if (system(cmd) != 0)
		return 0;
	setenv("LOCPATH", locdir, 1);
	return setlocale(LC_ALL, "de_DE.UTF-8") != NULL;
}

static void test_locale(void **st)
{
	static const double le[] = {0.5};
	static const uint64_t bk[] = {1};
	struct ns_writer *w;
	struct ns_family *f, *h;
	char probe[32];
	int ok = try_decimal_comma_locale();

	if (!ok || strcmp(localeconv()->decimal_point, ",") != 0) {
		setlocale(LC_ALL, "C");
		print_message("SKIP: no locale with a decimal comma (de_DE.UTF-8 not installed "
			      "and localedef could not build it)\n");
		skip();
	}
	snprintf(probe, sizeof(probe), "%.1f", 0.5);
	assert_string_equal(probe, "0,5"); /* the locale is really in effect */

	assert_string_equal(fmt_d(0.5), "0.5");
	assert_string_equal(fmt_d(1234567.25), "1234567.25");
	assert_string_equal(fmt_d(1e-9), "1e-09");
	assert_string_equal(fmt_d(0.1 + 0.2), "0.30000000000000004");
	w = ns_writer_new();
	f = ns_family(w, "v", "V.", NS_GAUGE, NULL);
	h = ns_family(w, "hh", "H.", NS_HISTOGRAM, NULL);
	assert_int_equal(ns_sample_f64(w, f, NS_NOLABELS, 2.75), 0);
	assert_int_equal(ns_sample_histogram(w, h, NS_NOLABELS, le, bk, 1, 2, 0.125), 0);
	assert_string_equal(render(w, NS_FMT_OPENMETRICS), "# HELP v V.\n"
							   "# TYPE v gauge\n"
							   "v 2.75\n"
							   "# HELP hh H.\n"
							   "# TYPE hh histogram\n"
							   "hh_bucket{le=\"0.5\"} 1\n"
							   "hh_bucket{le=\"+Inf\"} 2\n"
							   "hh_sum 0.125\n"
							   "hh_count 2\n");
	ns_writer_free(w);
	setlocale(LC_ALL, "C");
}

/* ---- real parsers ------------------------------------------------------ */

/* A writer with every type, tricky escapes and extreme numbers. */
static struct ns_writer *representative(void)
{
	static const struct ns_label cl[] = {{"netns", "ns \"1\"\\"}};
	static const double le[] = {0.001, 0.1, 1, 10};
	static const uint64_t bk[] = {1, 2, 3, 4};
	struct ns_writer *w = ns_writer_new();
	struct ns_family *f;

	ns_writer_set_const_labels(w, cl, 1);
	f = ns_family(w, "nstest_received_bytes_total",
		      "Bytes \"received\", back\\slash,\nsecond line.", NS_COUNTER, "bytes");
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"device", "eth0"}), UINT64_MAX), 0);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"device", "we\"ird\\na\nme"}), 0), 0);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"device", "bad\xff\xc3utf8"}), 42), 0);
	assert_int_equal(ns_sample_f64(w, f, NS_LABELS({"device", "\xc3\xbc\xe2\x82\xac"}), 0.5),
			 0);

	f = ns_family(w, "nstest_temperature_celsius", "Temperature.", NS_GAUGE, "celsius");
	assert_int_equal(ns_sample_f64(w, f, NS_LABELS({"sensor", "a"}), -273.15), 0);
	assert_int_equal(ns_sample_f64(w, f, NS_LABELS({"sensor", "b"}), 1e300), 0);
	assert_int_equal(ns_sample_f64(w, f, NS_LABELS({"sensor", "c"}), 1e-9), 0);
	assert_int_equal(ns_sample_f64(w, f, NS_LABELS({"sensor", "d"}), NAN), 0);
	assert_int_equal(ns_sample_f64(w, f, NS_LABELS({"sensor", "e"}), INFINITY), 0);
	assert_int_equal(ns_sample_f64(w, f, NS_LABELS({"sensor", "f"}), -INFINITY), 0);
	assert_int_equal(ns_sample_f64(w, f, NS_LABELS({"sensor", "g"}), 0.1 + 0.2), 0);

	f = ns_family(w, "nstest_offset", "Offset.", NS_GAUGE, NULL);
	assert_int_equal(ns_sample_i64(w, f, NS_NOLABELS, INT64_MIN), 0);

	f = ns_family(w, "nstest_build_info", "Build information.", NS_INFO, NULL);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"version", "1.0"}), 1), 0);

	f = ns_family(w, "nstest_latency_seconds", "Latency.", NS_HISTOGRAM, "seconds");
	assert_int_equal(ns_sample_histogram(w, f, NS_LABELS({"op", "read"}), le, bk, 4, 5, 12.345),
			 0);
	assert_int_equal(ns_sample_histogram(w, f, NS_LABELS({"op", "write"}), le, bk, 4, 4, 0), 0);

	f = ns_family(w, "nstest_mystery", "Mystery.", NS_UNTYPED, NULL);
	assert_int_equal(ns_sample_f64(w, f, NS_NOLABELS, 0.1), 0);
	return w;
}

/*
 * Parse @path with prometheus_client (format "text" or "om") and print
 * one line per family (F name type unit help) and per sample
 * (S name labels value), labels and help as ASCII JSON.
 */
static const char dump_py[] =
    "import json, sys\n"
    "if sys.argv[2] == 'om':\n"
    "    from prometheus_client.openmetrics.parser import text_string_to_metric_families\n"
    "else:\n"
    "    from prometheus_client.parser import text_string_to_metric_families\n"
    "text = open(sys.argv[1], encoding='utf-8').read()\n"
    "for fam in text_string_to_metric_families(text):\n"
    "    print('F', fam.name, fam.type, fam.unit or '-', json.dumps(fam.documentation))\n"
    "    for s in fam.samples:\n"
    "        print('S', s.name, json.dumps(dict(sorted(s.labels.items()))), repr(s.value))\n";

static void parse_with_python(const char *path, const char *fmt, struct ns_buf *res)
{
	char cmd[512];
	int rc;

	write_file(tmp_path("dump.py"), dump_py, sizeof(dump_py) - 1);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s %s 2>&1", tmp_path("dump.py"), path,
		 fmt);
	rc = run(cmd, res);
	if (rc != 0)
		fail_msg("prometheus_client %s parser rejected %s (rc=%d):\n%s", fmt, path, rc,
			 res->data);
}

#define NETNS "\"netns\": \"ns \\\"1\\\"\\\\\""

static void test_promtool_text(void **st)
{
	struct ns_writer *w = representative();
	struct ns_buf res = NS_BUF_INIT;
	const char *path = tmp_path("metrics.prom");
	const char *text = render(w, NS_FMT_TEXT);
	char cmd[512];
	int rc;

	write_file(path, text, strlen(text));
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	rc = run(cmd, &res);
	if (rc != 0 || res.len)
		fail_msg("promtool check metrics: rc=%d:\n%s\n--- input ---\n%s", rc, res.data,
			 text);

	/* the harness can fail: promtool rejects a broken exposition */
	{
		static const char broken[] = "# TYPE x_total counter\nx_total{a=\"b} 1\n";

		write_file(tmp_path("broken.prom"), broken, strlen(broken));
	}
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", tmp_path("broken.prom"));
	assert_int_not_equal(run(cmd, &res), 0);

	/* what the Python text parser reads back */
	parse_with_python(path, "text", &res);
	tu_assert_line(res.data, "F nstest_received_bytes counter - \"Bytes \\\"received\\\", "
				 "back\\\\slash,\\nsecond line.\"");
	tu_assert_line(res.data, "S nstest_received_bytes_total {\"device\": \"eth0\", " NETNS
				 "} 1.8446744073709552e+19");
	tu_assert_line(res.data, "S nstest_received_bytes_total {\"device\": "
				 "\"we\\\"ird\\\\na\\nme\", " NETNS "} 0.0");
	tu_assert_line(res.data, "S nstest_received_bytes_total {\"device\": "
				 "\"bad\\ufffd\\ufffdutf8\", " NETNS "} 42.0");
	tu_assert_line(res.data, "S nstest_temperature_celsius {" NETNS ", \"sensor\": \"d\"} nan");
	tu_assert_line(res.data, "S nstest_temperature_celsius {" NETNS
				 ", \"sensor\": \"g\"} 0.30000000000000004");
	tu_assert_line(res.data, "S nstest_offset {" NETNS "} -9.223372036854776e+18");
	tu_assert_line(res.data, "F nstest_build_info gauge - \"Build information.\"");
	tu_assert_line(res.data, "S nstest_latency_seconds_bucket {\"le\": \"+Inf\", " NETNS
				 ", \"op\": \"read\"} 5.0");
	tu_assert_line(res.data, "F nstest_mystery unknown - \"Mystery.\"");
	ns_buf_free(&res);
	ns_writer_free(w);
}

static void test_python_openmetrics(void **st)
{
	struct ns_writer *w = representative();
	struct ns_buf res = NS_BUF_INIT, text = NS_BUF_INIT;
	const char *path = tmp_path("metrics.om");

	assert_int_equal(ns_writer_render(w, NS_FMT_OPENMETRICS, &text), 0);
	ns_buf_puts(&text, "# EOF\n");
	write_file(path, text.data, text.len);
	parse_with_python(path, "om", &res);

	tu_assert_line(res.data, "F nstest_received_bytes counter bytes \"Bytes \\\"received\\\", "
				 "back\\\\slash,\\nsecond line.\"");
	/* integers are exact in OpenMetrics */
	tu_assert_line(res.data, "S nstest_received_bytes_total {\"device\": \"eth0\", " NETNS
				 "} 18446744073709551615");
	tu_assert_line(res.data, "S nstest_received_bytes_total {\"device\": "
				 "\"we\\\"ird\\\\na\\nme\", " NETNS "} 0");
	tu_assert_line(res.data, "S nstest_received_bytes_total {\"device\": "
				 "\"bad\\ufffd\\ufffdutf8\", " NETNS "} 42");
	tu_assert_line(res.data, "S nstest_received_bytes_total {\"device\": "
				 "\"\\u00fc\\u20ac\", " NETNS "} 0.5");
	tu_assert_line(res.data, "F nstest_temperature_celsius gauge celsius \"Temperature.\"");
	tu_assert_line(res.data,
		       "S nstest_temperature_celsius {" NETNS ", \"sensor\": \"a\"} -273.15");
	tu_assert_line(res.data,
		       "S nstest_temperature_celsius {" NETNS ", \"sensor\": \"b\"} 1e+300");
	tu_assert_line(res.data,
		       "S nstest_temperature_celsius {" NETNS ", \"sensor\": \"c\"} 1e-09");
	tu_assert_line(res.data, "S nstest_temperature_celsius {" NETNS ", \"sensor\": \"d\"} nan");
	tu_assert_line(res.data, "S nstest_temperature_celsius {" NETNS ", \"sensor\": \"e\"} inf");
	tu_assert_line(res.data,
		       "S nstest_temperature_celsius {" NETNS ", \"sensor\": \"f\"} -inf");
	tu_assert_line(res.data, "S nstest_offset {" NETNS "} -9223372036854775808");
	tu_assert_line(res.data, "F nstest_build info - \"Build information.\"");
	tu_assert_line(res.data, "S nstest_build_info {" NETNS ", \"version\": \"1.0\"} 1");
	tu_assert_line(res.data, "F nstest_latency_seconds histogram seconds \"Latency.\"");
	tu_assert_line(res.data, "S nstest_latency_seconds_bucket {\"le\": \"0.001\", " NETNS
				 ", \"op\": \"read\"} 1");
	tu_assert_line(res.data, "S nstest_latency_seconds_bucket {\"le\": \"+Inf\", " NETNS
				 ", \"op\": \"read\"} 5");
	tu_assert_line(res.data,
		       "S nstest_latency_seconds_sum {" NETNS ", \"op\": \"read\"} 12.345");
	tu_assert_line(res.data, "S nstest_latency_seconds_count {" NETNS ", \"op\": \"write\"} 4");
	tu_assert_line(res.data, "F nstest_mystery unknown - \"Mystery.\"");
	tu_assert_line(res.data, "S nstest_mystery {" NETNS "} 0.1");

	/* the harness can fail: without "# EOF" the parser must reject it */
	write_file(tmp_path("noeof.om"), text.data, text.len - strlen("# EOF\n"));
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s om >/dev/null 2>&1",
			 tmp_path("dump.py"), tmp_path("noeof.om"));
		assert_int_not_equal(run(cmd, &res), 0);
	}
	ns_buf_free(&res);
	ns_buf_free(&text);
	ns_writer_free(w);
}

/* ---- main ---------------------------------------------------------------- */

static int setup(void **st)
{
	strcpy(tmpdir, "/tmp/ns_writer_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (locdir[0]) {
		size_t n = strlen(cmd);

		snprintf(cmd + n, sizeof(cmd) - n, " %s", locdir);
	}
	ns_buf_free(&out);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape_label_value),
	    cmocka_unit_test(test_escape_help),
	    cmocka_unit_test(test_escape_against_python),
	    cmocka_unit_test(test_numbers_fixed),
	    cmocka_unit_test(test_numbers_integers),
	    cmocka_unit_test(test_numbers_shortest_roundtrip),
	    cmocka_unit_test(test_numbers_against_python),
	    cmocka_unit_test(test_counter),
	    cmocka_unit_test(test_gauge_untyped),
	    cmocka_unit_test(test_info),
	    cmocka_unit_test(test_histogram),
	    cmocka_unit_test(test_grouping),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_filter),
	    cmocka_unit_test(test_collisions),
	    cmocka_unit_test(test_const_labels),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_labelset),
	    cmocka_unit_test(test_reset_no_malloc),
	    cmocka_unit_test(test_promtool_text),
	    cmocka_unit_test(test_python_openmetrics),
	    cmocka_unit_test(test_locale),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
