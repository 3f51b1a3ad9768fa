/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - the daemon's whole configuration: command line flags merged
 * over the YAML config file merged over built-in defaults.
 *
 * ns_config_load() either returns a complete, validated configuration or
 * fails with one line of explanation; nothing starts half-configured.
 */
#ifndef NS_CONFIG_H
#define NS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "log.h"

#define NS_DEFAULT_PORT 9868
#define NS_DEFAULT_LISTEN ":9868"
#define NS_MAX_COLLECTORS 64

struct ns_opts;

struct ns_collector_config {
	bool enabled;
	struct ns_opts *opts; /* never NULL after load */
};

struct ns_config {
	char **listen; /* --web.listen-address, repeatable */
	size_t nlisten;
	char *telemetry_path;		  /* default /metrics */
	unsigned max_requests;		  /* concurrent scrapes, 0 = unlimited; default 40 */
	unsigned conn_timeout_s;	  /* idle/slow connection timeout; default 30 */
	size_t conn_memory_limit;	  /* largest request header; default 8 KiB */
	unsigned header_timeout_s;	  /* whole request header within; default 5 */
	unsigned tls_handshake_timeout_s; /* TLS handshake within (added to the above); default 5 */
	unsigned max_connections;	  /* open connections per listen socket; default 1024 */
	unsigned max_conns_per_ip;	  /* per client address, 0 = no limit; default 64 */
	unsigned max_auth_checks;	  /* concurrent bcrypt checks; default 2 */
	char *config_file;		  /* may be NULL */
	char *web_config_file; /* --web.config.file: TLS, basic auth, headers; may be NULL */
	bool systemd_socket;   /* --web.systemd-socket: listen sockets from systemd */
	char *runtime_user;    /* --runtime.user: drop root to this user; may be NULL */
	char *procfs;	       /* default /proc */
	char *sysfs;	       /* default /sys */
	char *nl_replay_dir;   /* testing only: replay netlink from files */
	enum ns_log_level log_level;
	enum ns_log_format log_format;
	bool once;
	bool once_openmetrics; /* --once.format=openmetrics */
	bool check_config;
	/* --netns.*: other network namespaces (netns_discovery.h) */
	unsigned netns_sources;	   /* NS_NETNS_SRC_* bits; 0 (default): only the daemon's own */
	char *netns_include;	   /* regex on the netns label; may be NULL */
	char *netns_exclude;	   /* regex on the netns label; may be NULL */
	unsigned netns_max;	   /* other namespaces collected at most; default 512 */
	unsigned netns_interval_s; /* --netns.rediscover-interval; default 5 */
	char *netns_collectors;	   /* comma list run in other namespaces; NULL: the default */
	bool netns_full;	   /* --netns.profile=full (default curated) */
	unsigned netns_max_series; /* series per other namespace and scrape; 0: no cap */
	unsigned netns_from_flags; /* bits of the netns keys the command line set */
	/* indexed like ns_collectors[] */
	struct ns_collector_config coll[NS_MAX_COLLECTORS];
};

/*
 * A --web.listen-address value: "host:port", ":port" (every address) or
 * "[v6addr]:port" (a zone as in [fe80::1%eth0]:port allowed). host is a
 * dotted-quad IPv4 address or a host name (resolved when the daemon binds,
 * every address it resolves to); the port is 1..65535. Returns 0, or
 * -EINVAL with one line in @e. The one parser of listen addresses.
 */
struct ns_listen_addr {
	char host[256]; /* without brackets; "" for ":port" */
	unsigned port;
	bool literal6; /* given as [v6addr] */
};
int ns_listen_addr_parse(const char *entry, struct ns_listen_addr *a, struct ns_err *e);

/*
 * Parse argv (and the config file it names). Returns 0, or 1 when the
 * program should exit 0 right away (--help, --version printed), or -EINVAL
 * with one line in @e (exit status 2).
 */
int ns_config_load(struct ns_config *cfg, int argc, char **argv, struct ns_err *e);

/*
 * Load the YAML document in @file into @doc (a yaml_document_t; the caller
 * deletes it on success). A failure is one line in @e naming @what ("config
 * file") and, for a syntax error, the line and column. Used for the daemon's
 * and the web configuration files.
 */
struct yaml_document_s;
int ns_yaml_load_file(const char *file, const char *what, struct yaml_document_s *doc,
		      struct ns_err *e);
void ns_config_free(struct ns_config *cfg);
void ns_config_usage(FILE *out);
#endif
