// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * webconfig.c - the exporter toolkit's web configuration file: TLS
 * certificates (reloaded when the files change), client certificates,
 * basic authentication with bcrypt, response headers.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <yaml.h>

#include "config.h"
#include "log.h"
#include "webconfig.h"

#define WC_MAX_FILE (1 << 20)	 /* certificate, key and CA files */
#define WC_MAX_CHAIN 16		 /* certificates in a chain (ours or a client's) */
#define WC_AUTH_CACHE 16	 /* remembered successful logins */
#define WC_MAX_CRED 1024	 /* user:password bytes */
#define WC_MAX_HEADER_VALUE 1024 /* http_server_config.headers values (all fit a refusal) */

/* ---- small helpers ---- */

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Constant-time equality of two NUL-terminated strings of public length. */
static bool ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;
	unsigned char d = la != lb;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static bool ct_memeq(const unsigned char *a, const unsigned char *b, size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* Read a whole (small) file. -errno with a message. */
static int read_file(const char *path, gnutls_datum_t *out, struct ns_err *e)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	out->data = NULL;
	out->size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ns_err_set(e, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > WC_MAX_FILE) {
		rc = ns_err_set(e, -EINVAL, "%s: not a regular file of at most %d bytes", path,
				WC_MAX_FILE);
		goto out;
	}
	out->data = gnutls_malloc((size_t)st.st_size + 1);
	if (!out->data) {
		rc = ns_err_set(e, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, out->data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = ns_err_set(e, n < 0 ? -errno : -EIO, "%s: %s", path,
					n < 0 ? strerror(errno) : "file shrank while reading");
			goto out;
		}
		got += (size_t)n;
	}
	out->data[got] = '\0';
	out->size = (unsigned)got;
	rc = 0;
out:
	if (rc) {
		gnutls_free(out->data);
		out->data = NULL;
	}
	close(fd);
	return rc;
}

/* ---- TLS material ---- */

struct file_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
	bool ok;
};

static void stamp_of(const char *path, struct file_stamp *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (!path || stat(path, &st) < 0)
		return;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	s->ctime = st.st_ctim;
	s->ok = true;
}

static bool stamp_eq(const struct file_stamp *a, const struct file_stamp *b)
{
	return a->ok == b->ok && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* One loaded certificate chain and key. */
struct tls_pair {
	struct tls_pair *next; /* retired list */
	time_t retired_at;
	gnutls_pcert_st pcert[WC_MAX_CHAIN];
	unsigned npcert;
	gnutls_privkey_t key;
};

static void pair_free(struct tls_pair *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->npcert; i++)
		gnutls_pcert_deinit(&p->pcert[i]);
	if (p->key)
		gnutls_privkey_deinit(p->key);
	free(p);
}

static int pair_load(const char *cert_file, const char *key_file, struct tls_pair **out,
		     struct ns_err *e)
{
	gnutls_datum_t cert, key;
	gnutls_certificate_credentials_t check = NULL;
	struct tls_pair *p = NULL;
	int rc, g;

	*out = NULL;
	rc = read_file(cert_file, &cert, e);
	if (rc)
		return rc;
	rc = read_file(key_file, &key, e);
	if (rc) {
		gnutls_free(cert.data);
		return rc;
	}
	/* GnuTLS checks that the key belongs to the certificate here. */
	g = gnutls_certificate_allocate_credentials(&check);
	if (g >= 0)
		g = gnutls_certificate_set_x509_key_mem2(check, &cert, &key, GNUTLS_X509_FMT_PEM,
							 NULL, 0);
	if (g < 0) {
		rc = ns_err_set(e, -EINVAL, "%s, %s: %s", cert_file, key_file, gnutls_strerror(g));
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		rc = ns_err_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	p->npcert = WC_MAX_CHAIN;
	g = gnutls_pcert_list_import_x509_raw(p->pcert, &p->npcert, &cert, GNUTLS_X509_FMT_PEM, 0);
	if (g < 0) {
		p->npcert = 0;
		rc = ns_err_set(e, -EINVAL, "%s: %s", cert_file, gnutls_strerror(g));
		goto out;
	}
	g = gnutls_privkey_init(&p->key);
	if (g >= 0)
		g = gnutls_privkey_import_x509_raw(p->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (g < 0) {
		rc = ns_err_set(e, -EINVAL, "%s: %s", key_file, gnutls_strerror(g));
		goto out;
	}
	*out = p;
	p = NULL;
	rc = 0;
out:
	pair_free(p);
	if (check)
		gnutls_certificate_free_credentials(check);
	gnutls_free(cert.data);
	gnutls_memset(key.data, 0, key.size);
	gnutls_free(key.data);
	return rc;
}

static int ca_load(const char *file, gnutls_x509_trust_list_t *out, struct ns_err *e)
{
	gnutls_datum_t ca;
	int rc, g;

	*out = NULL;
	rc = read_file(file, &ca, e);
	if (rc)
		return rc;
	g = gnutls_x509_trust_list_init(out, 0);
	if (g >= 0)
		g = gnutls_x509_trust_list_add_trust_mem(*out, &ca, NULL, GNUTLS_X509_FMT_PEM, 0,
							 0);
	gnutls_free(ca.data);
	if (g <= 0) {
		if (*out)
			gnutls_x509_trust_list_deinit(*out, 1);
		*out = NULL;
		return ns_err_set(e, -EINVAL, "%s: %s", file,
				  g == 0 ? "no certificate found" : gnutls_strerror(g));
	}
	return 0;
}

/* TLS material read by ns_webconfig_load() (as root, before the privilege drop). */
struct ns_webconfig_tls {
	struct tls_pair *pair; /* NULL: keep the pair being served (same files, unreadable) */
	gnutls_x509_trust_list_t ca;
	struct file_stamp st_cert, st_key, st_ca;
};

/*
 * The process-wide TLS state: the files to serve, what they looked like
 * when last loaded, the current pair and client CA list, and the pairs
 * replaced recently (kept for @grace_s, as handshakes may still use them).
 */
static struct {
	pthread_mutex_t mu;
	char *cert_file, *key_file, *ca_file;
	enum ns_client_auth client_auth;
	unsigned grace_s;
	struct file_stamp st_cert, st_key, st_ca; /* of the last load attempt */
	struct tls_pair *cur;
	gnutls_x509_trust_list_t ca;
	struct tls_pair *retired;
	uint64_t reload_failures; /* rotated files that did not load */
	bool last_ok;		  /* the last load attempt succeeded */
	bool warned_unreadable;
} tls = {.mu = PTHREAD_MUTEX_INITIALIZER, .last_ok = true};

static time_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Under tls.mu. */
static void retire(struct tls_pair *p)
{
	time_t now = mono_s();
	struct tls_pair **pp = &tls.retired;

	if (p) {
		p->retired_at = now;
		p->next = tls.retired;
		tls.retired = p;
		pp = &p->next;
	}
	/* Free what has been retired for longer than the grace period. */
	while (*pp) {
		struct tls_pair *q = *pp;

		if (now - q->retired_at > (time_t)tls.grace_s) {
			*pp = q->next;
			pair_free(q);
		} else {
			pp = &q->next;
		}
	}
}

/*
 * Under tls.mu: re-read whatever changed since the last attempt. A failed
 * attempt is remembered (by the files' stamps) and logged once; the old
 * material keeps serving until the files change again.
 */
static void tls_refresh(bool force)
{
	struct file_stamp sc, sk, sa;
	struct ns_err e = {{0}};

	stamp_of(tls.cert_file, &sc);
	stamp_of(tls.key_file, &sk);
	if (force || !stamp_eq(&sc, &tls.st_cert) || !stamp_eq(&sk, &tls.st_key)) {
		struct tls_pair *p;

		tls.st_cert = sc;
		tls.st_key = sk;
		if (pair_load(tls.cert_file, tls.key_file, &p, &e) == 0) {
			retire(tls.cur);
			tls.cur = p;
			tls.last_ok = true;
			if (!force)
				ns_log(NS_LOG_INFO, "tls", "certificate %s reloaded",
				       tls.cert_file);
		} else {
			tls.reload_failures++;
			tls.last_ok = false;
			ns_log_err(NS_LOG_ERROR, "tls", e.msg,
				   "certificate or key changed but did not load, still serving the "
				   "one loaded before");
		}
	}
	if (!tls.ca_file)
		return;
	stamp_of(tls.ca_file, &sa);
	if (force || !stamp_eq(&sa, &tls.st_ca)) {
		gnutls_x509_trust_list_t ca;

		tls.st_ca = sa;
		if (ca_load(tls.ca_file, &ca, &e) == 0) {
			/* Only used under tls.mu: safe to free right away. */
			if (tls.ca)
				gnutls_x509_trust_list_deinit(tls.ca, 1);
			tls.ca = ca;
			tls.last_ok = true;
			if (!force)
				ns_log(NS_LOG_INFO, "tls", "client CA %s reloaded", tls.ca_file);
		} else {
			tls.reload_failures++;
			tls.last_ok = false;
			ns_log_err(NS_LOG_ERROR, "tls", e.msg,
				   "client CA changed but did not load, still using the one loaded "
				   "before");
		}
	}
}

/* Called by GnuTLS during a handshake, after the client's certificate arrived. */
static int verify_client(gnutls_session_t session)
{
	const gnutls_datum_t *peers;
	gnutls_x509_crt_t crts[WC_MAX_CHAIN];
	unsigned n = 0, ncrt = 0, status = 0;
	gnutls_typed_vdata_st vd = {
	    .type = GNUTLS_DT_KEY_PURPOSE_OID,
	    .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	enum ns_client_auth mode;
	int rc = -1, g;

	peers = gnutls_certificate_get_peers(session, &n);
	pthread_mutex_lock(&tls.mu);
	mode = tls.client_auth;
	if (!peers || !n) {
		rc = mode == NS_CLIENT_AUTH_REQUIRE_ANY || mode == NS_CLIENT_AUTH_REQUIRE_VERIFY
			 ? -1
			 : 0;
		goto out;
	}
	if (mode != NS_CLIENT_AUTH_VERIFY_IF_GIVEN && mode != NS_CLIENT_AUTH_REQUIRE_VERIFY) {
		rc = 0;
		goto out;
	}
	if (!tls.ca)
		goto out;
	for (; ncrt < n && ncrt < WC_MAX_CHAIN; ncrt++) {
		if (gnutls_x509_crt_init(&crts[ncrt]) < 0)
			goto out;
		if (gnutls_x509_crt_import(crts[ncrt], &peers[ncrt], GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[ncrt]);
			goto out;
		}
	}
	g = gnutls_x509_trust_list_verify_crt2(tls.ca, crts, ncrt, &vd, 1, 0, &status, NULL);
	rc = g < 0 || status ? -1 : 0;
out:
	pthread_mutex_unlock(&tls.mu);
	for (unsigned i = 0; i < ncrt; i++)
		gnutls_x509_crt_deinit(crts[i]);
	if (rc)
		ns_log(NS_LOG_DEBUG, "tls", "client certificate refused (%s)",
		       n ? "not signed by client_ca_file" : "none sent");
	return rc;
}

/* Told when a client's Finished message arrived (the handshake is done). */
static void (*hs_done_fn)(int fd, void *arg);
static void *hs_done_arg;

void ns_webconfig_on_handshake(void (*fn)(int fd, void *arg), void *arg)
{
	hs_done_fn = fn;
	hs_done_arg = arg;
}

static int finished_hook(gnutls_session_t session, unsigned htype, unsigned when, unsigned incoming,
			 const gnutls_datum_t *msg)
{
	(void)htype;
	(void)msg;
	/* libmicrohttpd gives GnuTLS the socket as the transport (gnutls_transport_set_int). */
	if (incoming && when == GNUTLS_HOOK_POST && hs_done_fn)
		hs_done_fn(gnutls_transport_get_int(session), hs_done_arg);
	return 0;
}

/* gnutls_certificate_retrieve_function2 */
static int cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
			 const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
			 gnutls_pcert_st **pcert, unsigned int *pcert_length,
			 gnutls_privkey_t *pkey)
{
	enum ns_client_auth mode;
	int rc = -1;

	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&tls.mu);
	tls_refresh(false);
	mode = tls.client_auth;
	if (tls.cur) {
		*pcert = tls.cur->pcert;
		*pcert_length = tls.cur->npcert;
		*pkey = tls.cur->key;
		rc = 0;
	}
	pthread_mutex_unlock(&tls.mu);
	switch (mode) {
	case NS_CLIENT_AUTH_NONE:
		gnutls_certificate_server_set_request(session, GNUTLS_CERT_IGNORE);
		break;
	case NS_CLIENT_AUTH_REQUEST:
	case NS_CLIENT_AUTH_VERIFY_IF_GIVEN:
		gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
		break;
	case NS_CLIENT_AUTH_REQUIRE_ANY:
	case NS_CLIENT_AUTH_REQUIRE_VERIFY:
		gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
		break;
	}
	if (mode != NS_CLIENT_AUTH_NONE)
		gnutls_session_set_verify_function(session, verify_client);
	gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_FINISHED, GNUTLS_HOOK_POST,
					   finished_hook);
	return rc;
}

void *ns_webconfig_cert_callback(void)
{
	return (void *)cert_callback;
}

/* Under tls.mu: say once which files the runtime user cannot re-read. */
static void warn_unreadable(void)
{
	const char *files[] = {tls.cert_file, tls.key_file, tls.ca_file};

	for (size_t i = 0; i < 3; i++) {
		if (!files[i] || access(files[i], R_OK) == 0)
			continue;
		ns_log_err(NS_LOG_WARN, "tls", strerror(errno),
			   "%s was read at start but cannot be read by this process (uid %u) now: "
			   "a replaced file will not be picked up until a restart; "
			   "netstack_web_tls_last_reload_success says when that happens",
			   files[i], (unsigned)geteuid());
	}
}

int ns_webconfig_activate(struct ns_webconfig *wc, unsigned grace_s, struct ns_err *e)
{
	struct ns_webconfig_tls *pre = wc->preload;
	char *c, *k, *a;
	bool same;

	if (!wc->tls)
		return 0;
	c = xstrdup(wc->cert_file);
	k = xstrdup(wc->key_file);
	a = xstrdup(wc->client_ca_file);
	if (!c || !k || (wc->client_ca_file && !a)) {
		free(c);
		free(k);
		free(a);
		return ns_err_set(e, -ENOMEM, "out of memory");
	}
	pthread_mutex_lock(&tls.mu);
	same = tls.cert_file && strcmp(tls.cert_file, c) == 0;
	free(tls.cert_file);
	free(tls.key_file);
	free(tls.ca_file);
	tls.cert_file = c;
	tls.key_file = k;
	tls.ca_file = a;
	tls.client_auth = wc->client_auth;
	tls.grace_s = grace_s;
	if (pre && pre->pair) {
		/* Install what was read at load time: no file is opened here. */
		retire(tls.cur);
		tls.cur = pre->pair;
		pre->pair = NULL;
		tls.st_cert = pre->st_cert;
		tls.st_key = pre->st_key;
		tls.last_ok = true;
	}
	if (tls.ca && (!a || (pre && pre->ca))) {
		gnutls_x509_trust_list_deinit(tls.ca, 1);
		tls.ca = NULL;
	}
	if (pre && pre->ca) {
		tls.ca = pre->ca;
		pre->ca = NULL;
		tls.st_ca = pre->st_ca;
	}
	if (!same || !tls.warned_unreadable) {
		tls.warned_unreadable = true;
		warn_unreadable();
	}
	pthread_mutex_unlock(&tls.mu);
	return 0;
}

void ns_webconfig_tls_tick(void)
{
	pthread_mutex_lock(&tls.mu);
	if (tls.retired)
		retire(NULL);
	pthread_mutex_unlock(&tls.mu);
}

void ns_webconfig_tls_stats(uint64_t *failures, bool *last_ok)
{
	pthread_mutex_lock(&tls.mu);
	*failures = tls.reload_failures;
	*last_ok = tls.last_ok;
	pthread_mutex_unlock(&tls.mu);
}

void ns_webconfig_shutdown(void)
{
	pthread_mutex_lock(&tls.mu);
	pair_free(tls.cur);
	tls.cur = NULL;
	while (tls.retired) {
		struct tls_pair *p = tls.retired;

		tls.retired = p->next;
		pair_free(p);
	}
	if (tls.ca)
		gnutls_x509_trust_list_deinit(tls.ca, 1);
	tls.ca = NULL;
	free(tls.cert_file);
	free(tls.key_file);
	free(tls.ca_file);
	tls.cert_file = tls.key_file = tls.ca_file = NULL;
	pthread_mutex_unlock(&tls.mu);
}

/* ---- basic auth ---- */

struct ns_webconfig_auth {
	pthread_mutex_t mu;
	char dummy[CRYPT_OUTPUT_SIZE]; /* bcrypt of a random password, the highest cost */
	unsigned char salt[32];
	unsigned char cache[WC_AUTH_CACHE][32];
	unsigned ncache, next;
};

static int auth_digest(const struct ns_webconfig_auth *a, const char *user, const char *pass,
		       const char *hash, unsigned char out[32])
{
	size_t lu = strlen(user), lp = strlen(pass), lh = strlen(hash);
	size_t n = sizeof(a->salt) + lu + 1 + lp + 1 + lh;
	unsigned char *buf = malloc(n);
	int g;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, a->salt, sizeof(a->salt));
	memcpy(buf + sizeof(a->salt), user, lu + 1);
	memcpy(buf + sizeof(a->salt) + lu + 1, pass, lp + 1);
	memcpy(buf + sizeof(a->salt) + lu + 1 + lp + 1, hash, lh);
	g = gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, n, out);
	gnutls_memset(buf, 0, n);
	free(buf);
	return g < 0 ? -EIO : 0;
}

/* bcrypt @pass with the settings of @hash and compare in constant time. */
static bool bcrypt_ok(const char *pass, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	bool ok = false;

	if (!cd)
		return false;
	if (crypt_rn(pass, hash, cd, sizeof(*cd)) && cd->output[0] != '*')
		ok = ct_streq(cd->output, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

static int check_auth(struct ns_webconfig *wc, const char *authorization, bool quick)
{
	struct ns_webconfig_auth *a = wc->auth;
	gnutls_datum_t in, dec = {NULL, 0};
	const char *p, *hash = NULL;
	unsigned char dg[32];
	char *user, *pass;
	bool ok = false, cached = false;
	size_t i;

	if (!wc->nusers)
		return 0;
	if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0)
		return -EACCES;
	p = authorization + 6;
	while (*p == ' ')
		p++;
	if (!*p || strlen(p) > WC_MAX_CRED * 4 / 3 + 4)
		return -EACCES;
	in.data = (unsigned char *)p;
	in.size = (unsigned)strlen(p);
	if (gnutls_base64_decode2(&in, &dec) < 0)
		return -EACCES;
	/* Decoded bytes: "user:password", no NUL inside. */
	if (memchr(dec.data, '\0', dec.size) || !memchr(dec.data, ':', dec.size)) {
		gnutls_free(dec.data);
		return -EACCES;
	}
	user = malloc(dec.size + 1);
	if (!user) {
		gnutls_free(dec.data);
		return -EACCES;
	}
	memcpy(user, dec.data, dec.size);
	user[dec.size] = '\0';
	gnutls_memset(dec.data, 0, dec.size);
	gnutls_free(dec.data);
	pass = strchr(user, ':');
	*pass++ = '\0';

	for (i = 0; i < wc->nusers; i++)
		if (strcmp(wc->users[i].name, user) == 0)
			hash = wc->users[i].value;
	if (hash && auth_digest(a, user, pass, hash, dg) == 0) {
		pthread_mutex_lock(&a->mu);
		for (i = 0; i < a->ncache; i++)
			cached |= ct_memeq(a->cache[i], dg, sizeof(dg));
		pthread_mutex_unlock(&a->mu);
	}
	if (cached) {
		ok = true;
	} else if (quick) {
		explicit_bzero(user, strlen(user) + 1 + strlen(pass));
		free(user);
		return -EAGAIN;
	} else {
		/* Unknown users pay one bcrypt too, so timing does not tell. */
		ok = bcrypt_ok(pass, hash ? hash : a->dummy) && hash;
		if (ok) {
			pthread_mutex_lock(&a->mu);
			memcpy(a->cache[a->next], dg, sizeof(dg));
			a->next = (a->next + 1) % WC_AUTH_CACHE;
			if (a->ncache < WC_AUTH_CACHE)
				a->ncache++;
			pthread_mutex_unlock(&a->mu);
		}
	}
	explicit_bzero(user, strlen(user) + 1 + strlen(pass));
	free(user);
	return ok ? 0 : -EACCES;
}

int ns_webconfig_check_auth(struct ns_webconfig *wc, const char *authorization)
{
	return check_auth(wc, authorization, false);
}

int ns_webconfig_auth_quick(struct ns_webconfig *wc, const char *authorization)
{
	return check_auth(wc, authorization, true);
}

/* ---- loading ---- */

/* Is @file the one being served now? (under tls.mu) */
static bool served_now(const char *file, const char *cur)
{
	return file && cur && strcmp(file, cur) == 0;
}

/*
 * Read the TLS files into wc->preload. After the privilege drop (a SIGHUP
 * reload) a file this user may not read is no error when it is the one
 * being served already: that material stays (pair or ca left NULL).
 */
static int preload_tls(struct ns_webconfig *wc, struct ns_err *e)
{
	struct ns_webconfig_tls *pre = calloc(1, sizeof(*pre));
	bool keep;
	int rc;

	if (!pre)
		return ns_err_set(e, -ENOMEM, "out of memory");
	wc->preload = pre;
	stamp_of(wc->cert_file, &pre->st_cert);
	stamp_of(wc->key_file, &pre->st_key);
	rc = pair_load(wc->cert_file, wc->key_file, &pre->pair, e);
	if (rc == -EACCES) {
		pthread_mutex_lock(&tls.mu);
		keep = tls.cur && served_now(wc->cert_file, tls.cert_file) &&
		       served_now(wc->key_file, tls.key_file) &&
		       stamp_eq(&pre->st_cert, &tls.st_cert) && stamp_eq(&pre->st_key, &tls.st_key);
		pthread_mutex_unlock(&tls.mu);
		if (keep)
			rc = 0;
	}
	if (rc || !wc->client_ca_file)
		return rc;
	stamp_of(wc->client_ca_file, &pre->st_ca);
	rc = ca_load(wc->client_ca_file, &pre->ca, e);
	if (rc == -EACCES) {
		pthread_mutex_lock(&tls.mu);
		keep = tls.ca && served_now(wc->client_ca_file, tls.ca_file) &&
		       stamp_eq(&pre->st_ca, &tls.st_ca);
		pthread_mutex_unlock(&tls.mu);
		if (keep)
			rc = 0;
	}
	return rc;
}

static const char *const allowed_headers[] = {
    "Strict-Transport-Security", "X-Content-Type-Options",  "X-Frame-Options",
    "X-XSS-Protection",		 "Content-Security-Policy", NULL,
};

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool is_null(yaml_node_t *n)
{
	const char *s = scalar(n);

	return n && n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0);
}

static int parse_bool(const char *file, const char *key, yaml_node_t *v, bool *out,
		      struct ns_err *e)
{
	const char *s = scalar(v);

	if (s && strcmp(s, "true") == 0)
		*out = true;
	else if (s && strcmp(s, "false") == 0)
		*out = false;
	else
		return ns_err_set(e, -EINVAL, "%s: %s must be true or false", file, key);
	return 0;
}

static int tls_version(const char *file, const char *key, yaml_node_t *v, int *out,
		       struct ns_err *e)
{
	static const char *const names[] = {"TLS10", "TLS11", "TLS12", "TLS13"};
	const char *s = scalar(v);

	for (int i = 0; s && i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return ns_err_set(e, -EINVAL,
			  "%s: tls_server_config.%s: '%s' is not TLS10, TLS11, "
			  "TLS12 or TLS13",
			  file, key, s ? s : "?");
}

/* Resolve @v against the directory of the config file (as the toolkit does). */
static int set_path(char **dst, const char *dir, const char *v, struct ns_err *e)
{
	free(*dst);
	*dst = NULL;
	if (!v || !*v)
		return 0;
	if (v[0] == '/' || !dir)
		*dst = strdup(v);
	else if (asprintf(dst, "%s/%s", dir, v) < 0)
		*dst = NULL;
	return *dst ? 0 : ns_err_set(e, -ENOMEM, "out of memory");
}

static int load_tls(struct ns_webconfig *wc, const char *file, const char *dir,
		    yaml_document_t *doc, yaml_node_t *map, struct ns_err *e)
{
	static const char *const vers[] = {"VERS-TLS1.0", "VERS-TLS1.1", "VERS-TLS1.2",
					   "VERS-TLS1.3"};
	int vmin = 2, vmax = 3, rc;
	bool prefer_server = true, have_auth = false;
	size_t pos;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return ns_err_set(e, -EINVAL, "%s: tls_server_config must be a mapping", file);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *s = scalar(v);

		if (!k)
			return ns_err_set(e, -EINVAL, "%s: tls_server_config: keys must be strings",
					  file);
		if (strcmp(k, "cert_file") == 0 || strcmp(k, "key_file") == 0 ||
		    strcmp(k, "client_ca_file") == 0) {
			if (!s)
				return ns_err_set(e, -EINVAL,
						  "%s: tls_server_config.%s must be a string", file,
						  k);
			rc = set_path(k[0] == 'c' && k[1] == 'e' ? &wc->cert_file
				      : k[0] == 'k'		 ? &wc->key_file
								 : &wc->client_ca_file,
				      dir, s, e);
			if (rc)
				return rc;
		} else if (strcmp(k, "client_auth_type") == 0) {
			static const char *const types[] = {
			    "NoClientCert", "RequestClientCert", "RequireAnyClientCert",
			    "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"};
			int i;

			for (i = 0; i < 5; i++)
				if (s && strcmp(s, types[i]) == 0)
					break;
			if (i == 5)
				return ns_err_set(e, -EINVAL,
						  "%s: tls_server_config.client_auth_type: '%s' is "
						  "not one of NoClientCert, RequestClientCert, "
						  "RequireAnyClientCert, VerifyClientCertIfGiven, "
						  "RequireAndVerifyClientCert",
						  file, s ? s : "?");
			wc->client_auth = (enum ns_client_auth)i;
			have_auth = true;
		} else if (strcmp(k, "min_version") == 0) {
			rc = tls_version(file, k, v, &vmin, e);
			if (rc)
				return rc;
		} else if (strcmp(k, "max_version") == 0) {
			rc = tls_version(file, k, v, &vmax, e);
			if (rc)
				return rc;
		} else if (strcmp(k, "prefer_server_cipher_suites") == 0) {
			rc = parse_bool(file, "tls_server_config.prefer_server_cipher_suites", v,
					&prefer_server, e);
			if (rc)
				return rc;
		} else if (strcmp(k, "cipher_suites") == 0 || strcmp(k, "curve_preferences") == 0 ||
			   strcmp(k, "client_allowed_sans") == 0 || strcmp(k, "cert") == 0 ||
			   strcmp(k, "key") == 0 || strcmp(k, "client_ca") == 0) {
			return ns_err_set(e, -EINVAL,
					  "%s: tls_server_config.%s is not supported by "
					  "netstack_exporter",
					  file, k);
		} else {
			return ns_err_set(e, -EINVAL, "%s: unknown key tls_server_config.%s", file,
					  k);
		}
	}
	if (!wc->cert_file && !wc->key_file) {
		if (wc->client_ca_file || have_auth)
			return ns_err_set(
			    e, -EINVAL, "%s: tls_server_config needs cert_file and key_file", file);
		return 0; /* like the toolkit: no certificate, no TLS */
	}
	if (!wc->cert_file || !wc->key_file)
		return ns_err_set(e, -EINVAL,
				  "%s: tls_server_config needs both cert_file and key_file", file);
	if (vmin > vmax)
		return ns_err_set(e, -EINVAL,
				  "%s: tls_server_config.min_version is above max_version", file);
	if (wc->client_ca_file &&
	    (wc->client_auth == NS_CLIENT_AUTH_NONE || wc->client_auth == NS_CLIENT_AUTH_REQUEST ||
	     wc->client_auth == NS_CLIENT_AUTH_REQUIRE_ANY))
		return ns_err_set(e, -EINVAL,
				  "%s: client_ca_file is set but client_auth_type does not verify "
				  "client certificates (use VerifyClientCertIfGiven or "
				  "RequireAndVerifyClientCert)",
				  file);
	if (!wc->client_ca_file && (wc->client_auth == NS_CLIENT_AUTH_VERIFY_IF_GIVEN ||
				    wc->client_auth == NS_CLIENT_AUTH_REQUIRE_VERIFY))
		return ns_err_set(e, -EINVAL, "%s: client_auth_type %s needs client_ca_file", file,
				  wc->client_auth == NS_CLIENT_AUTH_REQUIRE_VERIFY
				      ? "RequireAndVerifyClientCert"
				      : "VerifyClientCertIfGiven");
	pos = (size_t)snprintf(wc->priorities, sizeof(wc->priorities), "NORMAL:-VERS-ALL");
	for (int i = vmax; i >= vmin; i--)
		pos += (size_t)snprintf(wc->priorities + pos, sizeof(wc->priorities) - pos, ":+%s",
					vers[i]);
	if (prefer_server)
		snprintf(wc->priorities + pos, sizeof(wc->priorities) - pos,
			 ":%%SERVER_PRECEDENCE");
	wc->tls = true;
	return 0;
}

static int load_http(struct ns_webconfig *wc, const char *file, yaml_document_t *doc,
		     yaml_node_t *map, struct ns_err *e)
{
	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return ns_err_set(e, -EINVAL, "%s: http_server_config must be a mapping", file);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		bool b;

		if (k && strcmp(k, "http2") == 0) {
			if (parse_bool(file, "http_server_config.http2", v, &b, e))
				return -EINVAL;
			continue; /* HTTP/2 is never offered: libmicrohttpd speaks HTTP/1.1 */
		}
		if (!k || strcmp(k, "headers") != 0)
			return ns_err_set(e, -EINVAL, "%s: unknown key http_server_config.%s", file,
					  k ? k : "?");
		if (is_null(v))
			continue;
		if (v->type != YAML_MAPPING_NODE)
			return ns_err_set(e, -EINVAL,
					  "%s: http_server_config.headers must be a mapping", file);
		for (yaml_node_pair_t *h = v->data.mapping.pairs.start;
		     h < v->data.mapping.pairs.top; h++) {
			const char *hn = scalar(yaml_document_get_node(doc, h->key));
			const char *hv = scalar(yaml_document_get_node(doc, h->value));
			const char *canon = NULL;
			struct ns_web_pair *np;

			for (const char *const *a = allowed_headers; hn && *a; a++)
				if (strcasecmp(*a, hn) == 0)
					canon = *a;
			if (!canon)
				return ns_err_set(
				    e, -EINVAL,
				    "%s: http_server_config.headers: header '%s' can "
				    "not be customized (allowed: "
				    "Strict-Transport-Security, X-Content-Type-Options, "
				    "X-Frame-Options, X-XSS-Protection, "
				    "Content-Security-Policy)",
				    file, hn ? hn : "?");
			if (!hv || strpbrk(hv, "\r\n"))
				return ns_err_set(e, -EINVAL,
						  "%s: http_server_config.headers.%s must be a "
						  "one-line string",
						  file, canon);
			if (strlen(hv) > WC_MAX_HEADER_VALUE)
				return ns_err_set(
				    e, -EINVAL,
				    "%s: http_server_config.headers.%s is longer than "
				    "%d bytes",
				    file, canon, WC_MAX_HEADER_VALUE);
			for (size_t i = 0; i < wc->nheaders; i++)
				if (strcmp(wc->headers[i].name, canon) == 0)
					return ns_err_set(e, -EINVAL, "%s: header %s given twice",
							  file, canon);
			np = realloc(wc->headers, (wc->nheaders + 1) * sizeof(*np));
			if (!np)
				return ns_err_set(e, -ENOMEM, "out of memory");
			wc->headers = np;
			np[wc->nheaders].name = strdup(canon);
			np[wc->nheaders].value = strdup(hv);
			wc->nheaders++;
			if (!np[wc->nheaders - 1].name || !np[wc->nheaders - 1].value)
				return ns_err_set(e, -ENOMEM, "out of memory");
		}
	}
	return 0;
}

/*
 * The highest bcrypt cost accepted: htpasswd's own maximum (-C 4..17). Each
 * step doubles the work; at 17 one check takes seconds, at 31 days, and the
 * daemon pays one at start (the unknown-user hash) before it serves.
 */
#define BCRYPT_MAX_COST 17

static bool valid_bcrypt(const char *h)
{
	/* $2a$ / $2b$ / $2y$, two-digit cost 04..31, 53 characters of salt and hash */
	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[6] != '$')
		return false;
	if (h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9')
		return false;
	if ((h[4] - '0') * 10 + (h[5] - '0') < 4 || (h[4] - '0') * 10 + (h[5] - '0') > 31)
		return false;
	for (int i = 7; i < 60; i++)
		if (!strchr("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
			    h[i]))
			return false;
	return true;
}

static int load_users(struct ns_webconfig *wc, const char *file, yaml_document_t *doc,
		      yaml_node_t *map, struct ns_err *e)
{
	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return ns_err_set(e, -EINVAL, "%s: basic_auth_users must be a mapping", file);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *u = scalar(yaml_document_get_node(doc, p->key));
		const char *h = scalar(yaml_document_get_node(doc, p->value));
		struct ns_web_pair *np;

		if (!u || !*u || strchr(u, ':'))
			return ns_err_set(e, -EINVAL,
					  "%s: basic_auth_users: user names must be non-empty "
					  "strings without ':'",
					  file);
		if (!h || !valid_bcrypt(h))
			return ns_err_set(e, -EINVAL,
					  "%s: basic_auth_users.%s: not a bcrypt hash ($2y$..., "
					  "as made by htpasswd -nB)",
					  file, u);
		if ((h[4] - '0') * 10 + (h[5] - '0') > BCRYPT_MAX_COST)
			return ns_err_set(
			    e, -EINVAL,
			    "%s: basic_auth_users.%s: bcrypt cost %.2s is above %d "
			    "(htpasswd's maximum; each step doubles the time of a check)",
			    file, u, h + 4, BCRYPT_MAX_COST);
		for (size_t i = 0; i < wc->nusers; i++)
			if (strcmp(wc->users[i].name, u) == 0)
				return ns_err_set(e, -EINVAL, "%s: user %s given twice", file, u);
		np = realloc(wc->users, (wc->nusers + 1) * sizeof(*np));
		if (!np)
			return ns_err_set(e, -ENOMEM, "out of memory");
		wc->users = np;
		np[wc->nusers].name = strdup(u);
		np[wc->nusers].value = strdup(h);
		wc->nusers++;
		if (!np[wc->nusers - 1].name || !np[wc->nusers - 1].value)
			return ns_err_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

static int load_yaml(struct ns_webconfig *wc, const char *file, struct ns_err *e)
{
	yaml_document_t doc;
	yaml_node_t *root;
	char *copy, *dir;
	int rc;

	copy = strdup(file);
	if (!copy)
		return ns_err_set(e, -ENOMEM, "out of memory");
	dir = dirname(copy);
	rc = ns_yaml_load_file(file, "web config file", &doc, e);
	if (rc) {
		free(copy);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || is_null(root))
		goto out;
	if (root->type != YAML_MAPPING_NODE) {
		rc =
		    ns_err_set(e, -EINVAL, "web config file %s: top level must be a mapping", file);
		goto out;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top && !rc; p++) {
		const char *k = scalar(yaml_document_get_node(&doc, p->key));
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);

		if (k && strcmp(k, "tls_server_config") == 0)
			rc = load_tls(wc, file, dir, &doc, v, e);
		else if (k && strcmp(k, "http_server_config") == 0)
			rc = load_http(wc, file, &doc, v, e);
		else if (k && strcmp(k, "basic_auth_users") == 0)
			rc = load_users(wc, file, &doc, v, e);
		else
			rc = ns_err_set(e, -EINVAL, "web config file %s: unknown key '%s'", file,
					k ? k : "?");
	}
out:
	yaml_document_delete(&doc);
	free(copy);
	return rc;
}

static int load_abs(struct ns_webconfig **out, const char *path, struct ns_err *e);

int ns_webconfig_load(struct ns_webconfig **out, const char *path_arg, struct ns_err *e)
{
	char cwd[PATH_MAX], *abs = NULL;
	const char *path = path_arg;
	int rc;

	*out = NULL;
	/* Absolute, so that every message names the file wherever it is read. */
	if (path && path[0] != '/' && getcwd(cwd, sizeof(cwd))) {
		if (asprintf(&abs, "%s/%s", cwd, path) < 0)
			return ns_err_set(e, -ENOMEM, "out of memory");
		path = abs;
	}
	rc = load_abs(out, path, e);
	free(abs);
	return rc;
}

static int load_abs(struct ns_webconfig **out, const char *path, struct ns_err *e)
{
	struct ns_webconfig *wc;
	int rc;

	wc = calloc(1, sizeof(*wc));
	if (!wc)
		return ns_err_set(e, -ENOMEM, "out of memory");
	wc->auth = calloc(1, sizeof(*wc->auth));
	if (!wc->auth) {
		free(wc);
		return ns_err_set(e, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&wc->auth->mu, NULL);
	if (gnutls_rnd(GNUTLS_RND_KEY, wc->auth->salt, sizeof(wc->auth->salt)) < 0) {
		ns_webconfig_free(wc);
		return ns_err_set(e, -EIO, "no randomness for the authentication cache");
	}
	if (path) {
		rc = load_yaml(wc, path, e);
		if (rc) {
			ns_webconfig_free(wc);
			return rc;
		}
	}
	if (wc->nusers) {
		/* Unknown users pay one bcrypt of the same cost as a known one. */
		struct crypt_data *cd = calloc(1, sizeof(*cd));
		unsigned char rnd[16];
		char pw[33];
		unsigned long cost = 0;

		/* The highest cost configured: a known user never answers slower. */
		for (size_t i = 0; i < wc->nusers; i++) {
			unsigned long c = strtoul(wc->users[i].value + 4, NULL, 10);

			if (c > cost)
				cost = c;
		}

		rc = -ENOMEM;
		if (cd && gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) >= 0) {
			for (size_t i = 0; i < sizeof(rnd); i++)
				snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
			if (crypt_gensalt_rn("$2y$", cost, (const char *)rnd, sizeof(rnd),
					     cd->setting, sizeof(cd->setting)) &&
			    crypt_rn(pw, cd->setting, cd, sizeof(*cd)) && cd->output[0] != '*') {
				snprintf(wc->auth->dummy, sizeof(wc->auth->dummy), "%s",
					 cd->output);
				rc = 0;
			}
		}
		free(cd);
		if (rc) {
			ns_webconfig_free(wc);
			return ns_err_set(e, -EIO, "libcrypt cannot make bcrypt hashes");
		}
	}
	if (wc->tls) {
		/*
		 * Read the files now (at start: as root, before the privilege
		 * drop), so that a bad one fails the start or the reload, and
		 * keep what was read for ns_webconfig_activate().
		 */
		rc = preload_tls(wc, e);
		if (rc) {
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e->msg);
			ns_webconfig_free(wc);
			return ns_err_set(e, rc == -EACCES ? rc : -EINVAL, "web config file %s: %s",
					  path, why);
		}
	}
	*out = wc;
	return 0;
}

void ns_webconfig_free(struct ns_webconfig *wc)
{
	if (!wc)
		return;
	if (wc->preload) {
		pair_free(wc->preload->pair);
		if (wc->preload->ca)
			gnutls_x509_trust_list_deinit(wc->preload->ca, 1);
		free(wc->preload);
	}
	free(wc->cert_file);
	free(wc->key_file);
	free(wc->client_ca_file);
	for (size_t i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].value);
	}
	free(wc->users);
	for (size_t i = 0; i < wc->nheaders; i++) {
		free(wc->headers[i].name);
		free(wc->headers[i].value);
	}
	free(wc->headers);
	if (wc->auth) {
		pthread_mutex_destroy(&wc->auth->mu);
		explicit_bzero(wc->auth, sizeof(*wc->auth));
		free(wc->auth);
	}
	free(wc);
}
