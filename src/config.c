// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config.c - command line and YAML config file, merged and validated.
 *
 * Precedence: built-in defaults < config file < command line flags.
 * Every error is one line in ns_err and -EINVAL; main() prints it and
 * exits 2, so the daemon never starts half-configured.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "build_config.h"
#include "collector.h"
#include "config.h"
#include "netns_discovery.h"
#include "opts.h"
#include "procfs.h"

/* A collector setting given on the command line, applied after the file. */
struct cli_coll {
	size_t idx;
	char optbuf[128]; /* the option's name (a copy: the flag text is reused) */
	const char *opt;  /* optbuf, or NULL: enable/disable */
	const char *value;
	int enable;
};

static int set_str(char **dst, const char *v, struct ns_err *e)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : ns_err_set(e, -ENOMEM, "out of memory");
}

/* A host name as the resolver takes it: dot-separated labels of letters,
 * digits, '-' and '_', 1..63 bytes each, at most 253 in all, one trailing
 * dot allowed. */
static bool valid_hostname(const char *h)
{
	size_t n = strlen(h), label = 0;

	if (n && h[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0 || h[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return h[n - 1] != '-';
}

int ns_listen_addr_parse(const char *entry, struct ns_listen_addr *a, struct ns_err *e)
{
	const char *port_s, *why = NULL;
	unsigned long port;
	char *end;
	size_t hl;

	memset(a, 0, sizeof(*a));
	if (entry[0] == '[') {
		const char *rb = strchr(entry, ']');
		char addr[sizeof(a->host)], *pct;
		struct in6_addr in6;

		if (!rb || rb[1] != ':')
			goto bad;
		hl = (size_t)(rb - entry - 1);
		if (hl == 0 || hl >= sizeof(a->host))
			goto bad;
		memcpy(a->host, entry + 1, hl);
		a->host[hl] = '\0';
		memcpy(addr, a->host, hl + 1);
		pct = strchr(addr, '%'); /* a zone: [fe80::1%eth0]:9868 */
		if (pct)
			*pct = '\0';
		if (inet_pton(AF_INET6, addr, &in6) != 1 || (pct && !pct[1])) {
			why = "not an IPv6 address";
			goto bad;
		}
		a->literal6 = true;
		port_s = rb + 2;
	} else {
		const char *colon = strrchr(entry, ':');

		if (!colon)
			goto bad;
		if (memchr(entry, ':', (size_t)(colon - entry))) {
			why = "an IPv6 address needs brackets";
			goto bad;
		}
		hl = (size_t)(colon - entry);
		if (hl >= sizeof(a->host))
			goto bad;
		memcpy(a->host, entry, hl);
		a->host[hl] = '\0';
		port_s = colon + 1;
		if (hl && strspn(a->host, "0123456789.") == hl) {
			struct in_addr in4;

			/* digits and dots: a dotted-quad IPv4 address, not a name */
			if (inet_pton(AF_INET, a->host, &in4) != 1) {
				why = "not an IPv4 address";
				goto bad;
			}
		} else if (hl && !valid_hostname(a->host)) {
			why = "not a host name or address";
			goto bad;
		}
	}
	if (!*port_s || strspn(port_s, "0123456789") != strlen(port_s) || strlen(port_s) > 5) {
		why = "the port is not a number";
		goto bad;
	}
	port = strtoul(port_s, &end, 10);
	if (port == 0 || port > 65535) {
		why = "the port is not in 1..65535";
		goto bad;
	}
	a->port = (unsigned)port;
	return 0;
bad:
	return ns_err_set(
	    e, -EINVAL, "flag --web.listen-address: '%s' is not host:port, :port or [v6]:port%s%s",
	    entry, why ? ": " : "", why ? why : "");
}

static int add_listen(struct ns_config *cfg, const char *v, struct ns_err *e)
{
	struct ns_listen_addr a;
	char **l;
	int rc = ns_listen_addr_parse(v, &a, e);

	if (rc)
		return rc;
	l = realloc(cfg->listen, (cfg->nlisten + 1) * sizeof(char *));
	if (!l)
		return ns_err_set(e, -ENOMEM, "out of memory");
	cfg->listen = l;
	l[cfg->nlisten] = strdup(v);
	if (!l[cfg->nlisten])
		return ns_err_set(e, -ENOMEM, "out of memory");
	cfg->nlisten++;
	return 0;
}

static int parse_uint(const char *flag, const char *v, uint64_t max, uint64_t *out,
		      struct ns_err *e)
{
	if (ns_parse_u64(v, out) || *out > max)
		return ns_err_set(e, -EINVAL, "flag %s: '%s' is not a number in 0..%llu", flag, v,
				  (unsigned long long)max);
	return 0;
}

static long collector_index(const char *name, size_t len)
{
	for (size_t i = 0; i < ns_ncollectors; i++)
		if (strlen(ns_collectors[i]->name) == len &&
		    strncmp(ns_collectors[i]->name, name, len) == 0)
			return (long)i;
	return -1;
}

void ns_config_usage(FILE *out)
{
	fprintf(out,
		"usage: netstack_exporter [flags]\n"
		"\n"
		"Prometheus/OpenMetrics exporter for Linux network stack internals.\n"
		"\n"
		"Flags:\n"
		"  -h, --help                     Show this help and exit.\n"
		"      --version                  Show version and exit.\n"
		"      --web.listen-address=ADDR  Address to listen on; repeatable. ADDR is\n"
		"                                 host:port, :port or [v6addr]:port; host is\n"
		"                                 an IPv4 address or a name (every address it\n"
		"                                 resolves to at start); port 1..65535.\n"
		"                                 Default \"%s\".\n"
		"      --web.telemetry-path=PATH  Path under which to expose metrics.\n"
		"                                 Default \"/metrics\".\n"
		"      --web.max-requests=N       Maximum concurrent scrapes; more get HTTP 503.\n"
		"                                 0 means no limit. Default 40.\n"
		"      --web.connection-timeout=SECONDS\n"
		"                                 Close connections idle or slow for this long.\n"
		"                                 Default 30.\n"
		"      --web.max-header-bytes=N   Largest request header (request line and\n"
		"                                 fields) of a connection's first plaintext\n"
		"                                 request; larger ones are refused (414, 431).\n"
		"                                 Default 8192.\n"
		"      --web.header-timeout=SECONDS\n"
		"                                 A client must send its whole request header\n"
		"                                 within this long of connecting (on a\n"
		"                                 kept-alive connection: within\n"
		"                                 --web.connection-timeout of the previous\n"
		"                                 response); else the connection is closed.\n"
		"                                 Default 5.\n"
		"      --web.tls-handshake-timeout=SECONDS\n"
		"                                 Time a TLS client has for its handshake\n"
		"                                 (then --web.header-timeout counts from its\n"
		"                                 end). Default 5.\n"
		"      --web.max-connections=N    Open connections per listening socket;\n"
		"                                 more are refused at accept. Default 1024.\n"
		"      --web.max-connections-per-ip=N\n"
		"                                 Open connections per client address;\n"
		"                                 0 means no limit. Default 64.\n"
		"      --web.max-auth-checks=N    Concurrent bcrypt password checks (basic\n"
		"                                 auth); more get HTTP 429 at once.\n"
		"                                 Default 2.\n"
		"      --web.config.file=FILE     Web configuration (exporter toolkit format):\n"
		"                                 TLS, basic auth, response headers. See\n"
		"                                 config/web-config.example.yml.\n"
		"      --web.systemd-socket       Use the listening sockets passed by systemd\n"
		"                                 socket activation instead of\n"
		"                                 --web.listen-address (automatic when\n"
		"                                 LISTEN_FDS is set for this process).\n"
		"      --runtime.user=NAME        When started as root: switch to user NAME\n"
		"                                 once the sockets are open, keeping only the\n"
		"                                 capabilities the enabled collectors need.\n"
		"      --config.file=FILE         YAML configuration file (see\n"
		"                                 config/netstack_exporter.yml).\n"
		"      --check-config             Validate flags and config file, then exit.\n"
		"      --once                     Collect once, print the exposition (text\n"
		"                                 format) to stdout and exit; exit status 1 if\n"
		"                                 any collector failed.\n"
		"      --once.format=FMT          Format for --once: text or openmetrics.\n"
		"      --path.procfs=DIR          procfs mount point. Default \"/proc\".\n"
		"      --path.sysfs=DIR           sysfs mount point. Default \"/sys\".\n"
		"      --log.level=LEVEL          debug, info, warn or error. Default info.\n"
		"      --log.format=FMT           logfmt or json. Default logfmt.\n"
		"      --collector.disable-defaults\n"
		"                                 Disable all collectors not enabled explicitly.\n"
		"      --collector.NAME           Enable collector NAME.\n"
		"      --no-collector.NAME        Disable collector NAME.\n"
		"      --collector.NAME.OPTION=V  Set a collector option (list options are\n"
		"                                 repeatable).\n"
		"      --netns.sources=LIST       Also collect other network namespaces, found by\n"
		"                                 these sources: named (/run/netns), processes\n"
		"                                 (/proc/PID/ns/net). Default \"\": only the\n"
		"                                 daemon's own. Needs CAP_SYS_ADMIN (and\n"
		"                                 CAP_SYS_PTRACE for other users' processes).\n"
		"      --netns.include=REGEX      Only namespaces whose netns label matches\n"
		"                                 (POSIX extended, unanchored).\n"
		"      --netns.exclude=REGEX      Skip namespaces whose netns label matches.\n"
		"      --netns.max=N              Other namespaces collected at most; the rest\n"
		"                                 are counted. Default 512.\n"
		"      --netns.rediscover-interval=SECONDS\n"
		"                                 Look for namespaces at most this often.\n"
		"                                 Default 5.\n"
		"      --netns.collectors=LIST    Collectors run in other namespaces, if also\n"
		"                                 enabled. Default " NS_NETNS_DEFAULT_COLLECTORS
		"\n"
		"                                 (udp dumps walk the host's whole table from\n"
		"                                 any namespace).\n"
		"      --netns.profile=curated|full\n"
		"                                 curated (default): in other namespaces, a\n"
		"                                 fixed set of series (about 100 for a pod),\n"
		"                                 TCP listeners only unless the namespace owns\n"
		"                                 its TCP hash, no conntrack table dump. full:\n"
		"                                 every series of those collectors, with their\n"
		"                                 options, full TCP and conntrack dumps (costs\n"
		"                                 in docs/METRICS.md).\n"
		"      --netns.max-series=N       Series per other namespace and scrape at most;\n"
		"                                 the rest are dropped and counted. 0: no cap.\n"
		"                                 Default 2000.\n"
		"      --debug.netlink-replay=DIR Testing only: read netlink replies from\n"
		"                                 recorded files in DIR instead of the kernel.\n"
		"\n"
		"Collectors (default state) and their options:\n",
		NS_DEFAULT_LISTEN);
	for (size_t i = 0; i < ns_ncollectors; i++) {
		const struct ns_collector *c = ns_collectors[i];

		fprintf(out, "  %-10s [%s] %s\n", c->name,
			c->default_enabled ? "enabled" : "disabled", c->help);
		for (const struct ns_option *o = c->options; o && o->name; o++)
			fprintf(out, "      --collector.%s.%s=%s\n          %s%s%s\n", c->name,
				o->name,
				o->type == NS_OPT_LIST	  ? "VALUE (repeatable)"
				: o->type == NS_OPT_REGEX ? "REGEX"
				: o->type == NS_OPT_UINT  ? "N"
				: o->type == NS_OPT_BOOL  ? "true|false"
							  : "VALUE",
				o->help, o->defval ? " Default: " : "", o->defval ? o->defval : "");
	}
}

/* ---- YAML config file ---- */

static const char *scalar(yaml_document_t *doc, yaml_node_t *n)
{
	(void)doc;
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int yaml_collector(struct ns_config *cfg, const char *file, size_t idx, yaml_document_t *doc,
			  yaml_node_t *map, struct ns_err *e)
{
	const struct ns_collector *c = ns_collectors[idx];
	int rc;

	if (map->type != YAML_MAPPING_NODE)
		return ns_err_set(e, -EINVAL, "%s: collectors.%s must be a mapping", file, c->name);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = yaml_document_get_node(doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(doc, p->value);
		const char *k = scalar(doc, kn), *v = scalar(doc, vn);

		if (!k)
			return ns_err_set(e, -EINVAL, "%s: collectors.%s: keys must be strings",
					  file, c->name);
		if (strcmp(k, "enabled") == 0) {
			if (!v || (strcmp(v, "true") && strcmp(v, "false")))
				return ns_err_set(e, -EINVAL,
						  "%s: collectors.%s.enabled must be true or false",
						  file, c->name);
			cfg->coll[idx].enabled = strcmp(v, "true") == 0;
			continue;
		}
		if (vn && vn->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = vn->data.sequence.items.start;
			     it < vn->data.sequence.items.top; it++) {
				const char *iv = scalar(doc, yaml_document_get_node(doc, *it));

				if (!iv)
					return ns_err_set(
					    e, -EINVAL,
					    "%s: collectors.%s.%s: items must be strings", file,
					    c->name, k);
				rc = ns_opts_set(cfg->coll[idx].opts, k, iv, e);
				if (rc)
					goto opt_err;
			}
			continue;
		}
		if (!v)
			return ns_err_set(e, -EINVAL,
					  "%s: collectors.%s.%s must be a value or a list", file,
					  c->name, k);
		rc = ns_opts_set(cfg->coll[idx].opts, k, v, e);
		if (rc)
			goto opt_err;
	}
	return 0;
opt_err : {
	char why[sizeof(e->msg)];

	snprintf(why, sizeof(why), "%s", e->msg);
	return ns_err_set(e, -EINVAL, "%s: %s", file, why);
}
}

int ns_yaml_load_file(const char *file, const char *what, struct yaml_document_s *doc,
		      struct ns_err *e)
{
	yaml_parser_t parser;
	FILE *f = fopen(file, "re");
	char *abs;
	int rc = 0;

	if (!f) {
		int err = errno;

		abs = ns_path_abs(file);
		rc = ns_err_set(e, -EINVAL, "%s %s: %s", what, abs ? abs : file, strerror(err));
		free(abs);
		return rc;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return ns_err_set(e, -ENOMEM, "out of memory");
	}
	yaml_parser_set_input_file(&parser, f);
	/* The whole document is in memory afterwards: parser and file can go. */
	if (!yaml_parser_load(&parser, doc)) {
		abs = ns_path_abs(file);
		rc = ns_err_set(e, -EINVAL, "%s %s:%zu:%zu: %s", what, abs ? abs : file,
				parser.problem_mark.line + 1, parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "YAML syntax error");
		free(abs);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

/* ---- netns options: the same keys as flags (--netns.KEY) and in YAML (netns: KEY:) ---- */

static const char *const netns_keys[] = {
    "sources",	  "include", "exclude",	   "max", "rediscover-interval",
    "collectors", "profile", "max-series", NULL};

/* A comma-separated list of compiled-in collector names ("" allowed). */
static int check_collector_list(const char *v, const char *where, struct ns_err *e)
{
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, ",");

		if (n && collector_index(p, n) < 0)
			return ns_err_set(e, -EINVAL,
					  "%snetns.collectors: unknown collector '%.*s'", where,
					  (int)(n > 64 ? 64 : n), p);
		p += n + (p[n] == ',');
	}
	return 0;
}

/* Set netns option @key; @where prefixes errors ("flag --", "FILE: "). */
static int netns_option(struct ns_config *cfg, const char *key, const char *v, const char *where,
			bool from_flag, struct ns_err *e)
{
	unsigned bit = 0;
	uint64_t u;
	regex_t re;
	int rc = 0;

	while (netns_keys[bit] && strcmp(netns_keys[bit], key) != 0)
		bit++;
	if (!netns_keys[bit] && from_flag)
		return ns_err_set(e, -EINVAL, "unknown flag --netns.%s=...", key);
	if (!netns_keys[bit])
		return ns_err_set(e, -EINVAL, "%snetns.%s: unknown option", where, key);
	if (!from_flag && (cfg->netns_from_flags & (1u << bit)))
		return 0; /* the command line wins */
	if (from_flag)
		cfg->netns_from_flags |= 1u << bit;
	switch (bit) {
	case 0:
		rc = ns_netns_parse_sources(v, &cfg->netns_sources, e);
		break;
	case 1:
	case 2:
		rc = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);
		if (rc)
			return ns_err_set(e, -EINVAL,
					  "%snetns.%s: '%s' is not a POSIX extended regex", where,
					  key, v);
		regfree(&re);
		return set_str(bit == 1 ? &cfg->netns_include : &cfg->netns_exclude, v, e);
	case 3:
		if (ns_parse_u64(v, &u) || u > 100000)
			return ns_err_set(
			    e, -EINVAL, "%snetns.max: '%s' is not a number in 0..100000", where, v);
		cfg->netns_max = (unsigned)u;
		break;
	case 5:
		rc = check_collector_list(v, where, e);
		return rc ? rc : set_str(&cfg->netns_collectors, v, e);
	case 6:
		if (strcmp(v, "curated") && strcmp(v, "full"))
			return ns_err_set(e, -EINVAL,
					  "%snetns.profile: '%s' is not curated or full", where, v);
		cfg->netns_full = strcmp(v, "full") == 0;
		break;
	case 7:
		if (ns_parse_u64(v, &u) || u > 1000000)
			return ns_err_set(e, -EINVAL,
					  "%snetns.max-series: '%s' is not a number in 0..1000000",
					  where, v);
		cfg->netns_max_series = (unsigned)u;
		break;
	default:
		if (ns_parse_u64(v, &u) || u < 1 || u > 86400)
			return ns_err_set(e, -EINVAL,
					  "%snetns.rediscover-interval: '%s' is not a number of "
					  "seconds in 1..86400",
					  where, v);
		cfg->netns_interval_s = (unsigned)u;
		break;
	}
	if (rc) {
		char why[sizeof(e->msg)];

		snprintf(why, sizeof(why), "%s", e->msg);
		return ns_err_set(e, -EINVAL, "%s%s", where, why);
	}
	return 0;
}

static int yaml_netns(struct ns_config *cfg, const char *file, yaml_document_t *doc,
		      yaml_node_t *map, struct ns_err *e)
{
	char where[512];
	int rc = 0;

	snprintf(where, sizeof(where), "%s: ", file);
	if (map->type == YAML_SCALAR_NODE && !*map->data.scalar.value)
		return 0; /* "netns:" with nothing under it */
	if (map->type != YAML_MAPPING_NODE)
		return ns_err_set(e, -EINVAL, "%s: netns must be a mapping", file);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top && !rc; p++) {
		const char *k = scalar(doc, yaml_document_get_node(doc, p->key));
		yaml_node_t *vn = yaml_document_get_node(doc, p->value);
		const char *v = scalar(doc, vn);
		char list[256] = "";

		if (k && vn && vn->type == YAML_SEQUENCE_NODE) {
			/* sources: [named, processes], collectors: [netdev, snmp] */
			for (yaml_node_item_t *it = vn->data.sequence.items.start;
			     it < vn->data.sequence.items.top; it++) {
				const char *iv = scalar(doc, yaml_document_get_node(doc, *it));

				if (!iv || strlen(list) + strlen(iv) + 2 > sizeof(list))
					return ns_err_set(e, -EINVAL,
							  "%s: netns.%s: items must be "
							  "short strings",
							  file, k);
				strcat(strcat(list, list[0] ? "," : ""), iv);
			}
			v = list;
		}
		if (!k || !v)
			return ns_err_set(e, -EINVAL, "%s: netns.%s must be a value", file,
					  k ? k : "?");
		rc = netns_option(cfg, k, v, where, false, e);
	}
	return rc;
}

static int load_yaml(struct ns_config *cfg, const char *file, struct ns_err *e)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = ns_yaml_load_file(file, "config file", &doc, e);

	if (rc)
		return rc;
	root = yaml_document_get_root_node(&doc);
	if (!root) /* empty file: all defaults */
		goto out;
	if (root->type != YAML_MAPPING_NODE) {
		rc = ns_err_set(e, -EINVAL, "config file %s: top level must be a mapping", file);
		goto out;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top && !rc; p++) {
		const char *k = scalar(&doc, yaml_document_get_node(&doc, p->key));
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);

		if (k && strcmp(k, "netns") == 0) {
			rc = yaml_netns(cfg, file, &doc, v, e);
			continue;
		}
		if (!k || strcmp(k, "collectors") != 0) {
			rc = ns_err_set(e, -EINVAL, "config file %s: unknown key '%s'", file,
					k ? k : "?");
			break;
		}
		if (v->type == YAML_SCALAR_NODE && !*v->data.scalar.value)
			continue; /* "collectors:" with nothing under it */
		if (v->type != YAML_MAPPING_NODE) {
			rc = ns_err_set(e, -EINVAL, "config file %s: collectors must be a mapping",
					file);
			break;
		}
		for (yaml_node_pair_t *cp = v->data.mapping.pairs.start;
		     cp < v->data.mapping.pairs.top && !rc; cp++) {
			const char *name = scalar(&doc, yaml_document_get_node(&doc, cp->key));
			yaml_node_t *cv = yaml_document_get_node(&doc, cp->value);
			long idx = name ? collector_index(name, strlen(name)) : -1;

			if (idx < 0) {
				rc =
				    ns_err_set(e, -EINVAL, "config file %s: unknown collector '%s'",
					       file, name ? name : "?");
				break;
			}
			if (cv->type == YAML_SCALAR_NODE && !*cv->data.scalar.value)
				continue;
			rc = yaml_collector(cfg, file, (size_t)idx, &doc, cv, e);
		}
	}
out:
	yaml_document_delete(&doc);
	return rc;
}

/* ---- command line ---- */

/* Flags that take a value. */
static const char *const value_flags[] = {
    "web.listen-address",
    "web.telemetry-path",
    "web.max-requests",
    "web.connection-timeout",
    "web.max-header-bytes",
    "web.header-timeout",
    "web.tls-handshake-timeout",
    "web.max-connections",
    "web.max-connections-per-ip",
    "web.max-auth-checks",
    "config.file",
    "path.procfs",
    "path.sysfs",
    "log.level",
    "log.format",
    "debug.netlink-replay",
    "once.format",
    "web.config.file",
    "runtime.user",
    "netns.sources",
    "netns.include",
    "netns.exclude",
    "netns.max",
    "netns.rediscover-interval",
    "netns.collectors",
    "netns.profile",
    "netns.max-series",
    NULL,
};

static int takes_value(const char *name, size_t len)
{
	for (const char *const *f = value_flags; *f; f++)
		if (strlen(*f) == len && strncmp(*f, name, len) == 0)
			return 1;
	/* --collector.NAME.OPTION */
	if (len > 10 && strncmp(name, "collector.", 10) == 0 && memchr(name + 10, '.', len - 10))
		return 1;
	return 0;
}

static int apply_flag(struct ns_config *cfg, const char *name, const char *v, struct cli_coll *cc,
		      size_t *ncc, int *disable_defaults, struct ns_err *e)
{
	uint64_t u;
	int rc;

	if (strcmp(name, "web.listen-address") == 0)
		return add_listen(cfg, v, e);
	if (strcmp(name, "web.telemetry-path") == 0) {
		if (v[0] != '/' || strcmp(v, "/") == 0 || strcmp(v, "/-/healthy") == 0)
			return ns_err_set(e, -EINVAL,
					  "flag --web.telemetry-path: '%s' must start with '/' and "
					  "not be '/' or '/-/healthy'",
					  v);
		return set_str(&cfg->telemetry_path, v, e);
	}
	if (strcmp(name, "web.max-requests") == 0) {
		rc = parse_uint("--web.max-requests", v, 100000, &u, e);
		cfg->max_requests = (unsigned)u;
		return rc;
	}
	if (strcmp(name, "web.connection-timeout") == 0) {
		rc = parse_uint("--web.connection-timeout", v, 86400, &u, e);
		if (!rc && u == 0)
			return ns_err_set(e, -EINVAL, "flag --web.connection-timeout must be > 0");
		cfg->conn_timeout_s = (unsigned)u;
		return rc;
	}
	if (strcmp(name, "web.max-header-bytes") == 0) {
		rc = parse_uint("--web.max-header-bytes", v, 1 << 24, &u, e);
		if (!rc && u < 4096)
			return ns_err_set(e, -EINVAL,
					  "flag --web.max-header-bytes must be >= 4096");
		cfg->conn_memory_limit = (size_t)u;
		return rc;
	}
	if (strcmp(name, "web.header-timeout") == 0 ||
	    strcmp(name, "web.tls-handshake-timeout") == 0) {
		rc = parse_uint(name[4] == 'h' ? "--web.header-timeout"
					       : "--web.tls-handshake-timeout",
				v, 3600, &u, e);
		if (!rc && u == 0)
			return ns_err_set(e, -EINVAL, "flag --%s must be > 0", name);
		*(name[4] == 'h' ? &cfg->header_timeout_s : &cfg->tls_handshake_timeout_s) =
		    (unsigned)u;
		return rc;
	}
	if (strcmp(name, "web.max-connections") == 0) {
		rc = parse_uint("--web.max-connections", v, 65536, &u, e);
		if (!rc && u < 4)
			return ns_err_set(e, -EINVAL, "flag --web.max-connections must be >= 4");
		cfg->max_connections = (unsigned)u;
		return rc;
	}
	if (strcmp(name, "web.max-connections-per-ip") == 0) {
		rc = parse_uint("--web.max-connections-per-ip", v, 65536, &u, e);
		cfg->max_conns_per_ip = (unsigned)u;
		return rc;
	}
	if (strcmp(name, "web.max-auth-checks") == 0) {
		rc = parse_uint("--web.max-auth-checks", v, 64, &u, e);
		if (!rc && u == 0)
			return ns_err_set(e, -EINVAL, "flag --web.max-auth-checks must be > 0");
		cfg->max_auth_checks = (unsigned)u;
		return rc;
	}
	if (strcmp(name, "config.file") == 0)
		return set_str(&cfg->config_file, v, e);
	if (strcmp(name, "web.config.file") == 0)
		return set_str(&cfg->web_config_file, v, e);
	if (strcmp(name, "runtime.user") == 0) {
		if (!*v)
			return ns_err_set(e, -EINVAL, "flag --runtime.user: empty user name");
		return set_str(&cfg->runtime_user, v, e);
	}
	if (!v && strcmp(name, "web.systemd-socket") == 0) {
		cfg->systemd_socket = true;
		return 0;
	}
	if (strcmp(name, "path.procfs") == 0)
		return set_str(&cfg->procfs, v, e);
	if (strcmp(name, "path.sysfs") == 0)
		return set_str(&cfg->sysfs, v, e);
	if (strcmp(name, "debug.netlink-replay") == 0)
		return set_str(&cfg->nl_replay_dir, v, e);
	if (v && strncmp(name, "netns.", 6) == 0)
		return netns_option(cfg, name + 6, v, "flag --", true, e);
	if (strcmp(name, "log.level") == 0) {
		if (ns_log_parse_level(v, &cfg->log_level))
			return ns_err_set(
			    e, -EINVAL, "flag --log.level: '%s' is not debug, info, warn or error",
			    v);
		return 0;
	}
	if (strcmp(name, "log.format") == 0) {
		if (ns_log_parse_format(v, &cfg->log_format))
			return ns_err_set(e, -EINVAL,
					  "flag --log.format: '%s' is not logfmt or json", v);
		return 0;
	}
	if (strcmp(name, "once.format") == 0) {
		if (strcmp(v, "text") == 0)
			cfg->once_openmetrics = false;
		else if (strcmp(v, "openmetrics") == 0)
			cfg->once_openmetrics = true;
		else
			return ns_err_set(e, -EINVAL,
					  "flag --once.format: '%s' is not text or openmetrics", v);
		return 0;
	}
	if (!v && strcmp(name, "once") == 0) {
		cfg->once = true;
		return 0;
	}
	if (!v && strcmp(name, "check-config") == 0) {
		cfg->check_config = true;
		return 0;
	}
	if (!v && strcmp(name, "collector.disable-defaults") == 0) {
		*disable_defaults = 1;
		return 0;
	}
	if (strncmp(name, "collector.", 10) == 0 || strncmp(name, "no-collector.", 13) == 0) {
		int neg = name[0] == 'n';
		const char *cn = name + (neg ? 13 : 10);
		const char *dot = strchr(cn, '.');
		long idx = collector_index(cn, dot ? (size_t)(dot - cn) : strlen(cn));

		if (idx < 0)
			return ns_err_set(e, -EINVAL, "unknown collector in flag --%s", name);
		if (dot && neg)
			return ns_err_set(e, -EINVAL, "unknown flag --%s", name);
		cc[*ncc].idx = (size_t)idx;
		if (dot && strlen(dot + 1) >= sizeof(cc[*ncc].optbuf))
			return ns_err_set(e, -EINVAL, "unknown flag --%s", name);
		if (dot)
			snprintf(cc[*ncc].optbuf, sizeof(cc[*ncc].optbuf), "%s", dot + 1);
		cc[*ncc].opt = dot ? cc[*ncc].optbuf : NULL;
		cc[*ncc].value = v;
		cc[*ncc].enable = !neg;
		(*ncc)++;
		return 0;
	}
	return ns_err_set(e, -EINVAL, "unknown flag --%s%s", name, v ? "=..." : "");
}

int ns_config_load(struct ns_config *cfg, int argc, char **argv, struct ns_err *e)
{
	struct cli_coll *cc = calloc((size_t)argc + 1, sizeof(*cc));
	int disable_defaults = 0, rc = 0;
	size_t ncc = 0;
	char namebuf[256];

	memset(cfg, 0, sizeof(*cfg));
	if (!cc)
		return ns_err_set(e, -ENOMEM, "out of memory");
	cfg->max_requests = 40;
	cfg->conn_timeout_s = 30;
	cfg->conn_memory_limit = 8 * 1024;
	cfg->header_timeout_s = 5;
	cfg->tls_handshake_timeout_s = 5;
	cfg->max_connections = 1024;
	cfg->max_conns_per_ip = 64;
	cfg->max_auth_checks = 2;
	cfg->log_level = NS_LOG_INFO;
	cfg->log_format = NS_LOG_LOGFMT;
	cfg->netns_max = NS_NETNS_DEFAULT_MAX;
	cfg->netns_interval_s = NS_NETNS_DEFAULT_INTERVAL_S;
	cfg->netns_max_series = NS_NETNS_DEFAULT_MAX_SERIES;
	if (ns_ncollectors > NS_MAX_COLLECTORS) {
		rc = ns_err_set(e, -EINVAL, "too many collectors compiled in");
		goto out;
	}
	for (size_t i = 0; i < ns_ncollectors; i++) {
		cfg->coll[i].opts = ns_opts_new(ns_collectors[i]->name, ns_collectors[i]->options);
		if (!cfg->coll[i].opts) {
			rc = ns_err_set(e, -ENOMEM, "out of memory");
			goto out;
		}
	}

	for (int i = 1; i < argc && !rc; i++) {
		const char *a = argv[i], *eq, *v = NULL;
		size_t len;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			ns_config_usage(stdout);
			rc = 1;
			goto out;
		}
		if (strcmp(a, "--version") == 0) {
			/* Prometheus' layout (fleet tooling parses it); the
			 * compiler stands where Go programs give their Go version. */
			printf("netstack_exporter, version %s (branch: %s, revision: %s)\n"
			       "  build user:       %s\n"
			       "  build date:       %s\n"
			       "  compiler:         %s\n"
			       "  platform:         %s\n",
			       NS_VERSION, NS_BRANCH, NS_REVISION, NS_BUILD_USER, NS_BUILD_DATE,
			       NS_COMPILER, NS_PLATFORM);
			rc = 1;
			goto out;
		}
		if (strncmp(a, "--", 2) != 0 || !a[2]) {
			rc = ns_err_set(e, -EINVAL,
					"unexpected argument '%s' (flags start with --)", a);
			break;
		}
		a += 2;
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		if (len >= sizeof(namebuf)) {
			rc = ns_err_set(e, -EINVAL, "flag too long");
			break;
		}
		memcpy(namebuf, a, len);
		namebuf[len] = '\0';
		if (takes_value(namebuf, len)) {
			if (eq)
				v = eq + 1;
			else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) == 0) {
				/* a missing value must not swallow the next flag */
				rc = ns_err_set(
				    e, -EINVAL,
				    "flag --%s needs a value, got the flag '%s' (a value "
				    "that starts with -- is written --%s=VALUE)",
				    namebuf, argv[i + 1], namebuf);
				break;
			} else if (i + 1 < argc)
				v = argv[++i];
			else {
				rc = ns_err_set(e, -EINVAL, "flag --%s needs a value", namebuf);
				break;
			}
		} else if (eq) {
			if (strncmp(namebuf, "collector.", 10) == 0 ||
			    strncmp(namebuf, "no-collector.", 13) == 0 ||
			    strcmp(namebuf, "once") == 0 || strcmp(namebuf, "check-config") == 0 ||
			    strcmp(namebuf, "web.systemd-socket") == 0) {
				rc = ns_err_set(e, -EINVAL, "flag --%s takes no value", namebuf);
				break;
			}
			v = eq + 1;
		}
		rc = apply_flag(cfg, namebuf, v, cc, &ncc, &disable_defaults, e);
		/* values for collector flags point into argv, which outlives the config */
	}
	if (rc)
		goto out;

	for (size_t i = 0; i < ns_ncollectors; i++)
		cfg->coll[i].enabled = !disable_defaults && ns_collectors[i]->default_enabled;
	if (cfg->config_file) {
		/* Absolute, so that every message about it names the file. */
		char *abs = ns_path_abs(cfg->config_file);

		if (!abs) {
			rc = ns_err_set(e, -ENOMEM, "out of memory");
			goto out;
		}
		free(cfg->config_file);
		cfg->config_file = abs;
		rc = load_yaml(cfg, cfg->config_file, e);
		if (rc)
			goto out;
	}
	/* Command line last. A list option given on the command line replaces the file's. */
	for (size_t k = 0; k < ncc && !rc; k++) {
		struct ns_collector_config *c = &cfg->coll[cc[k].idx];

		if (!cc[k].opt) {
			c->enabled = cc[k].enable;
			continue;
		}
		for (size_t j = 0; j < k; j++)
			if (cc[j].idx == cc[k].idx && cc[j].opt &&
			    strcmp(cc[j].opt, cc[k].opt) == 0)
				goto set;
		ns_opts_clear(c->opts, cc[k].opt);
	set:
		rc = ns_opts_set(c->opts, cc[k].opt, cc[k].value, e);
		if (rc == -ENOENT)
			rc = ns_err_set(e, -EINVAL, "unknown flag --collector.%s.%s",
					ns_collectors[cc[k].idx]->name, cc[k].opt);
		else if (rc)
			rc = -EINVAL;
	}
	if (rc)
		goto out;
	if (!cfg->nlisten)
		rc = add_listen(cfg, NS_DEFAULT_LISTEN, e);
	if (!rc && !cfg->telemetry_path)
		rc = set_str(&cfg->telemetry_path, "/metrics", e);
	if (!rc && !cfg->procfs)
		rc = set_str(&cfg->procfs, "/proc", e);
	if (!rc && !cfg->sysfs)
		rc = set_str(&cfg->sysfs, "/sys", e);
out:
	free(cc);
	if (rc < 0)
		ns_config_free(cfg);
	return rc;
}

void ns_config_free(struct ns_config *cfg)
{
	for (size_t i = 0; i < cfg->nlisten; i++)
		free(cfg->listen[i]);
	free(cfg->listen);
	free(cfg->telemetry_path);
	free(cfg->config_file);
	free(cfg->web_config_file);
	free(cfg->runtime_user);
	free(cfg->procfs);
	free(cfg->sysfs);
	free(cfg->nl_replay_dir);
	free(cfg->netns_include);
	free(cfg->netns_exclude);
	free(cfg->netns_collectors);
	for (size_t i = 0; i < NS_MAX_COLLECTORS; i++)
		ns_opts_free(cfg->coll[i].opts);
	memset(cfg, 0, sizeof(*cfg));
}
