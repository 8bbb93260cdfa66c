/*
 * config.c -- the INI files to an immutable, validated snapshot.
 *
 * iniparser reads the values; a scan of our own over each file's lines
 * finds what iniparser hides: a section defined twice (it merges them),
 * section order, over-long lines, keys outside any section and text
 * after a closing quote (it drops it).  All or nothing: the first
 * problem ends the load with one message naming file, section and key.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <iniparser/iniparser.h>

#include "config.h"
#include "log.h"
#include "route.h"
#include "util.h"

/*
 * iniparser 4.1 reads lines with fgets(line, 1024): 1022 characters and
 * the newline is the longest line it takes.  We say so ourselves, with
 * the line number, instead of letting it fail with a message on stderr.
 */
#define CONFIG_LINE_MAX	1022

struct cf_file {
	char		*cff_path;		/* as named */
	char		*cff_dir;		/* absolute directory */
	dictionary	*cff_dict;
};

struct cf_sect {
	char		*cs_name;		/* lower case */
	size_t		 cs_file;		/* index into l_files */
};

struct cf_loader {
	struct config	*l_cf;
	struct cf_file	*l_files;
	size_t		 l_nfiles;
	struct cf_sect	*l_sects;		/* every section, in file order */
	size_t		 l_nsects;
	const char	*l_file;		/* context of the next error */
	const char	*l_dir;
	const char	*l_sec;
	dictionary	*l_dict;
	char		*l_main_real;		/* the main file, resolved */
};

static _Thread_local char	cf_errbuf[2048];
static _Thread_local char	cf_inierr[512];

static const char *const gateway_keys[] = {
	"listen", "listen_mode", "listen_owner", "listen_group", "user",
	"max_connections", "runtime_dir", "billing_db", "node", "status_path",
	"status_allow", "include", "shutdown_timeout", "kill_grace",
	"max_params", "cron", "log_level", "allow_root", "min_uid",
	"read_timeout", NULL
};
static const char *const billing_keys[] = {
	"price_per_request", "price_per_gb_second", "granularity",
	"currency", "on_failure", NULL
};
static const char *const tenant_keys[] = { "concurrency", NULL };
static const char *const fn_keys[] = {
	"route", "methods", "host", "exec", "args", "mode", "tenant", "user",
	"group", "env", "env_file", "timeout", "memory", "cpu", "nofile",
	"nproc", "fsize", "max_body", "max_output", "concurrency",
	"min_instances", "idle_timeout", "max_requests", "queue",
	"queue_timeout", "schedule", NULL
};
static const char *const method_names[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"
};

__attribute__((format(printf, 3, 4)))
static int
cf_err(struct cf_loader *l, const char *key, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (l->l_sec != NULL && key != NULL)
		n = snprintf(cf_errbuf, sizeof(cf_errbuf), "%s: [%s] %s: ",
		    l->l_file, l->l_sec, key);
	else if (l->l_sec != NULL)
		n = snprintf(cf_errbuf, sizeof(cf_errbuf), "%s: [%s]: ",
		    l->l_file, l->l_sec);
	else
		n = snprintf(cf_errbuf, sizeof(cf_errbuf), "%s: ", l->l_file);
	if (n < 0 || (size_t)n >= sizeof(cf_errbuf))
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(cf_errbuf + n, sizeof(cf_errbuf) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* iniparser's error callback: keep its first message for cf_err(). */
__attribute__((format(printf, 1, 2)))
static int
cf_ini_error(const char *fmt, ...)
{
	va_list	 ap;
	char	*nl;

	if (cf_inierr[0] != '\0')
		return 0;
	va_start(ap, fmt);
	(void)vsnprintf(cf_inierr, sizeof(cf_inierr), fmt, ap);
	va_end(ap);
	while ((nl = strchr(cf_inierr, '\n')) != NULL)
		*nl = ' ';
	return 0;
}

static char *
cf_strip(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void
cf_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Names of fns and tenants: they end up in env values and usage rows. */
static int
cf_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

static int
cf_sect_add(struct cf_loader *l, const char *name, size_t file, int lineno)
{
	struct cf_sect	*ns;
	size_t		 i;

	for (i = 0; i < l->l_nsects; i++)
		if (strcmp(l->l_sects[i].cs_name, name) == 0)
			return cf_err(l, NULL, "line %d: [%s] is already "
			    "defined in %s", lineno, name,
			    l->l_files[l->l_sects[i].cs_file].cff_path);
	if ((ns = reallocarray(l->l_sects, l->l_nsects + 1,
	    sizeof(*ns))) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	l->l_sects = ns;
	if ((ns[l->l_nsects].cs_name = strdup(name)) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	ns[l->l_nsects++].cs_file = file;
	return 0;
}

/* Check one "[name]" header line (already stripped of its brackets). */
static int
cf_scan_section(struct cf_loader *l, char *name, size_t file, int lineno)
{
	const char	*rest;

	name = cf_strip(name);
	cf_lower(name);
	if (strcmp(name, "gateway") == 0 || strcmp(name, "billing") == 0) {
		if (file != 0)
			return cf_err(l, NULL, "line %d: [%s] belongs in the "
			    "main file; an included file may hold only "
			    "[fn.*] and [tenant.*]", lineno, name);
	} else if (strncmp(name, "fn.", 3) == 0 ||
	    strncmp(name, "tenant.", 7) == 0) {
		rest = name + (name[0] == 'f' ? 3 : 7);
		if (!cf_name_ok(rest))
			return cf_err(l, NULL, "line %d: [%s]: bad name "
			    "(letters, digits, '-' and '_')", lineno, name);
	} else
		return cf_err(l, NULL, "line %d: [%s]: unknown section",
		    lineno, name);
	return cf_sect_add(l, name, file, lineno);
}

/*
 * Scan file's lines the way iniparser classifies them (blank, comment,
 * [section], key = value, backslash continuation), so that what it
 * accepts or merges silently is an error here first.
 */
static int
cf_scan(struct cf_loader *l, size_t file)
{
	FILE	*fp;
	char	*line = NULL, *s, *v, *q, *sec = NULL;
	size_t	 cap = 0, len;
	ssize_t	 n;
	int	 lineno = 0, cont = 0, rc = -1;

	if ((fp = fopen(l->l_file, "re")) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		len = (size_t)n;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > CONFIG_LINE_MAX) {
			cf_err(l, NULL, "line %d: longer than %d characters",
			    lineno, CONFIG_LINE_MAX);
			goto fail;
		}
		if (memchr(line, '\0', len) != NULL) {
			cf_err(l, NULL, "line %d: holds a NUL byte", lineno);
			goto fail;
		}
		s = cf_strip(line);
		len = strlen(s);
		if (cont) {
			cont = len > 0 && s[len - 1] == '\\';
			continue;
		}
		if (len == 0 || *s == '#' || *s == ';')
			continue;
		cont = s[len - 1] == '\\';
		if (*s == '[' && s[len - 1] == ']') {
			s[len - 1] = '\0';
			if (cf_scan_section(l, s + 1, file, lineno) == -1)
				goto fail;
			free(sec);
			if ((sec = strdup(l->l_sects[l->l_nsects - 1].cs_name))
			    == NULL)
				goto fail;
			continue;
		}
		if ((v = strchr(s, '=')) == NULL || v == s) {
			cf_err(l, NULL, "line %d: syntax error (not [section] "
			    "nor key = value)", lineno);
			goto fail;
		}
		*v++ = '\0';
		s = cf_strip(s);
		cf_lower(s);
		if (sec == NULL) {
			cf_err(l, s, "line %d: outside of any [section]",
			    lineno);
			goto fail;
		}
		/* iniparser keeps "a" of `"a" b` and drops the rest. */
		v = cf_strip(v);
		if ((*v == '"' || *v == '\'') &&
		    (q = strchr(v + 1, *v)) != NULL) {
			q = cf_strip(q + 1);
			if (*q != '\0' && *q != ';' && *q != '#') {
				l->l_sec = sec;
				cf_err(l, s, "line %d: text after the closing "
				    "quote; quote the whole value", lineno);
				goto fail;
			}
		}
	}
	if (ferror(fp)) {
		cf_err(l, NULL, "%s", strerror(errno));
		goto fail;
	}
	rc = 0;
fail:
	free(sec);
	free(line);
	(void)fclose(fp);
	return rc;
}

/* Scan and load one more file; the main file is index 0. */
static int
cf_file_add(struct cf_loader *l, const char *path)
{
	struct cf_file	*nf, *f;
	char		*real, *slash;

	if ((nf = reallocarray(l->l_files, l->l_nfiles + 1,
	    sizeof(*nf))) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	l->l_files = nf;
	f = &nf[l->l_nfiles++];
	memset(f, 0, sizeof(*f));
	l->l_file = path;
	l->l_sec = NULL;
	if ((f->cff_path = strdup(path)) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	l->l_file = f->cff_path;
	if ((real = realpath(path, NULL)) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	if (l->l_nfiles == 1 && (l->l_main_real = strdup(real)) == NULL) {
		free(real);
		return cf_err(l, NULL, "%s", strerror(errno));
	}
	slash = strrchr(real, '/');
	slash[slash == real ? 1 : 0] = '\0';
	f->cff_dir = real;
	if (cf_scan(l, l->l_nfiles - 1) == -1)
		return -1;
	cf_inierr[0] = '\0';
	iniparser_set_error_callback(cf_ini_error);
	f->cff_dict = iniparser_load(path);
	iniparser_set_error_callback(NULL);
	if (f->cff_dict == NULL)
		return cf_err(l, NULL, "%s", cf_inierr[0] != '\0' ? cf_inierr :
		    "cannot be parsed");
	return 0;
}

static void
cf_enter(struct cf_loader *l, const struct cf_sect *cs)
{
	l->l_file = l->l_files[cs->cs_file].cff_path;
	l->l_dir = l->l_files[cs->cs_file].cff_dir;
	l->l_dict = l->l_files[cs->cs_file].cff_dict;
	l->l_sec = cs->cs_name;
}

static int
cf_keys_check(struct cf_loader *l, const char *const *allowed)
{
	const char	**keys;
	const char	 *k;
	size_t		  i, j, skip = strlen(l->l_sec) + 1;
	int		  nk, rc = 0;

	if ((nk = iniparser_getsecnkeys(l->l_dict, l->l_sec)) <= 0)
		return 0;
	if ((keys = calloc((size_t)nk, sizeof(*keys))) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	if (iniparser_getseckeys(l->l_dict, l->l_sec, keys) == NULL)
		nk = 0;
	for (i = 0; rc == 0 && i < (size_t)nk; i++) {
		k = keys[i] + skip;
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(k, allowed[j]) == 0)
				break;
		if (allowed[j] == NULL)
			rc = cf_err(l, k, "unknown key");
	}
	free(keys);
	return rc;
}

/* The value of key in the current section; NULL when unset or empty. */
static const char *
cf_get(struct cf_loader *l, const char *key)
{
	char		 k[256];
	const char	*v;

	(void)snprintf(k, sizeof(k), "%s:%s", l->l_sec, key);
	v = iniparser_getstring(l->l_dict, k, NULL);
	return v == NULL || *v == '\0' ? NULL : v;
}

static int
cf_str(struct cf_loader *l, const char *key, char **out)
{
	const char	*v;
	char		*s;

	if ((v = cf_get(l, key)) == NULL)
		return 0;
	if ((s = strdup(v)) == NULL)
		return cf_err(l, key, "%s", strerror(errno));
	free(*out);
	*out = s;
	return 0;
}

static int
cf_duration(struct cf_loader *l, const char *key, uint64_t *out,
    uint64_t min)
{
	const char	*v, *es;
	uint64_t	 ms;

	if ((v = cf_get(l, key)) == NULL)
		return 0;
	if (util_parse_duration(v, &ms, &es) == -1) {
		if (strncmp(es, "bad duration", 12) == 0)
			return cf_err(l, key, "bad duration \"%s\" "
			    "(units: ms s m h)", v);
		return cf_err(l, key, "bad duration \"%s\": %s", v, es);
	}
	if (ms < min)
		return cf_err(l, key, "duration \"%s\" is too short", v);
	*out = ms;
	return 0;
}

static int
cf_size(struct cf_loader *l, const char *key, uint64_t *out)
{
	const char	*v, *es;

	if ((v = cf_get(l, key)) == NULL)
		return 0;
	if (util_parse_size(v, out, &es) == -1) {
		if (strncmp(es, "bad size", 8) == 0)
			return cf_err(l, key, "bad size \"%s\" (units: k m g)",
			    v);
		return cf_err(l, key, "bad size \"%s\": %s", v, es);
	}
	return 0;
}

static int
cf_int(struct cf_loader *l, const char *key, long long min, long long max,
    long long *out)
{
	const char	*v, *es;

	if ((v = cf_get(l, key)) == NULL)
		return 0;
	if (util_parse_int(v, min, max, out, &es) == -1)
		return cf_err(l, key, "bad number \"%s\": %s (%lld to %lld)",
		    v, es, min, max);
	return 0;
}

static int
cf_intv(struct cf_loader *l, const char *key, long long min, long long max,
    int *out)
{
	long long	v = *out;

	if (cf_int(l, key, min, max, &v) == -1)
		return -1;
	*out = (int)v;
	return 0;
}

static int
cf_bool(struct cf_loader *l, const char *key, int *out)
{
	const char	*v, *es;

	if ((v = cf_get(l, key)) == NULL)
		return 0;
	if (util_parse_bool(v, out, &es) == -1)
		return cf_err(l, key, "\"%s\": %s", v, es);
	return 0;
}

/* Absolute, or relative to the directory of the file being read. */
static char *
cf_path(struct cf_loader *l, const char *key, const char *v)
{
	char	*p;

	if (v[0] == '/')
		p = strdup(v);
	else if (asprintf(&p, "%s/%s", l->l_dir, v) == -1)
		p = NULL;
	if (p == NULL)
		cf_err(l, key, "%s", strerror(errno));
	return p;
}

static int
cf_user(struct cf_loader *l, const char *key, const char *name, uid_t *uid,
    gid_t *gid)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL)
		return cf_err(l, key, "unknown user \"%s\"%s%s", name,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
	*uid = pw->pw_uid;
	if (gid != NULL)
		*gid = pw->pw_gid;
	return 0;
}

static int
cf_group(struct cf_loader *l, const char *key, const char *name, gid_t *gid)
{
	struct group	*gr;

	errno = 0;
	if ((gr = getgrnam(name)) == NULL)
		return cf_err(l, key, "unknown group \"%s\"%s%s", name,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
	*gid = gr->gr_gid;
	return 0;
}

/* "unix:/abs/path", "host:port", "[v6]:port" or "*:port". */
static const char *
cf_listen_check(const char *s)
{
	unsigned char	 a[16];
	char		 host[256];
	const char	*colon, *h, *es;
	long long	 port;
	size_t		 hl;

	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] != '/')
			return "a unix socket path must be absolute";
		if (strlen(s + 5) >= 108)
			return "unix socket path too long";
		return NULL;
	}
	if ((colon = strrchr(s, ':')) == NULL)
		return "not unix:/path nor host:port";
	if (util_parse_int(colon + 1, 1, 65535, &port, &es) == -1)
		return "bad port";
	h = s;
	hl = (size_t)(colon - s);
	if (hl > 0 && *h == '[') {
		if (h[hl - 1] != ']')
			return "unclosed [ in address";
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return "no host before the port";
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (s[0] == '[')
		return inet_pton(AF_INET6, host, a) == 1 ? NULL :
		    "bad IPv6 address";
	if (inet_pton(AF_INET, host, a) == 1 || strcmp(host, "*") == 0)
		return NULL;
	if (strchr(host, ':') != NULL)
		return "write an IPv6 address as [addr]:port";
	for (h = host; *h != '\0'; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.')
			return "bad host name";
	return NULL;
}

/* A non-negative decimal such as "0.0000166667". */
static int
cf_decimal_ok(const char *s)
{
	int	digits = 0, dot = 0;

	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s))
			digits++;
		else if (*s == '.' && !dot)
			dot = 1;
		else
			return 0;
	}
	return digits > 0;
}

static int
cf_gateway(struct cf_loader *l, char **include)
{
	struct config	*cf = l->l_cf;
	const char	*v, *es;
	char		*end, **sv, *p;
	unsigned char	 a[16];
	unsigned long	 mode;
	enum log_level	 lvl;
	size_t		 i;

	if (cf_keys_check(l, gateway_keys) == -1 ||
	    cf_str(l, "listen", &cf->cf_listen) == -1 ||
	    cf_str(l, "user", &cf->cf_user) == -1 ||
	    cf_user(l, "user", cf->cf_user, &cf->cf_uid, &cf->cf_gid) == -1 ||
	    cf_intv(l, "max_connections", 1, 1000000,
	    &cf->cf_max_connections) == -1 ||
	    cf_str(l, "node", &cf->cf_node) == -1 ||
	    cf_str(l, "status_path", &cf->cf_status_path) == -1 ||
	    cf_str(l, "include", include) == -1 ||
	    cf_duration(l, "shutdown_timeout", &cf->cf_shutdown_timeout_ms,
	    0) == -1 ||
	    cf_duration(l, "kill_grace", &cf->cf_kill_grace_ms, 0) == -1 ||
	    cf_duration(l, "read_timeout", &cf->cf_read_timeout_ms, 1) == -1 ||
	    cf_size(l, "max_params", &cf->cf_max_params) == -1 ||
	    cf_bool(l, "cron", &cf->cf_cron) == -1 ||
	    cf_bool(l, "allow_root", &cf->cf_allow_root) == -1 ||
	    cf_int(l, "min_uid", 0, UINT32_MAX - 1, &cf->cf_min_uid) == -1)
		return -1;
	if ((es = cf_listen_check(cf->cf_listen)) != NULL)
		return cf_err(l, "listen", "\"%s\": %s", cf->cf_listen, es);
	if ((v = cf_get(l, "listen_mode")) != NULL) {
		errno = 0;
		mode = strtoul(v, &end, 8);
		if (!isdigit((unsigned char)*v) || *end != '\0' ||
		    errno != 0 || mode > 07777)
			return cf_err(l, "listen_mode", "bad mode \"%s\" "
			    "(octal, like 0660)", v);
		cf->cf_listen_mode = (mode_t)mode;
	}
	if ((v = cf_get(l, "listen_owner")) != NULL &&
	    cf_user(l, "listen_owner", v, &cf->cf_listen_uid, NULL) == -1)
		return -1;
	if ((v = cf_get(l, "listen_group")) != NULL &&
	    cf_group(l, "listen_group", v, &cf->cf_listen_gid) == -1)
		return -1;
	if ((v = cf_get(l, "runtime_dir")) != NULL) {
		if ((p = cf_path(l, "runtime_dir", v)) == NULL)
			return -1;
		free(cf->cf_runtime_dir);
		cf->cf_runtime_dir = p;
	}
	if ((v = cf_get(l, "billing_db")) != NULL) {
		if ((p = cf_path(l, "billing_db", v)) == NULL)
			return -1;
		free(cf->cf_billing_db);
		cf->cf_billing_db = p;
	}
	if (cf->cf_status_path != NULL && cf->cf_status_path[0] != '/')
		return cf_err(l, "status_path", "must start with /");
	if ((v = cf_get(l, "status_allow")) != NULL) {
		if ((sv = util_split(v, &es)) == NULL)
			return cf_err(l, "status_allow", "%s", es);
		util_strv_free(cf->cf_status_allow);
		cf->cf_status_allow = sv;
		for (i = 0; sv[i] != NULL; i++)
			if (inet_pton(AF_INET, sv[i], a) != 1 &&
			    inet_pton(AF_INET6, sv[i], a) != 1)
				return cf_err(l, "status_allow", "not an IPv4 "
				    "or IPv6 address: \"%s\"", sv[i]);
	}
	if ((v = cf_get(l, "log_level")) != NULL) {
		if (log_parse_level(v, &lvl) == -1)
			return cf_err(l, "log_level", "\"%s\": not debug, "
			    "info, warn or error", v);
		cf->cf_log_level = (int)lvl;
	}
	return 0;
}

static int
cf_billing(struct cf_loader *l)
{
	struct config	*cf = l->l_cf;
	const char	*v;
	size_t		 i;

	if (cf_keys_check(l, billing_keys) == -1 ||
	    cf_str(l, "price_per_request", &cf->cf_price_per_request) == -1 ||
	    cf_str(l, "price_per_gb_second",
	    &cf->cf_price_per_gb_second) == -1 ||
	    cf_duration(l, "granularity", &cf->cf_granularity_ms, 1) == -1 ||
	    cf_str(l, "currency", &cf->cf_currency) == -1)
		return -1;
	if (!cf_decimal_ok(cf->cf_price_per_request))
		return cf_err(l, "price_per_request", "\"%s\": not a "
		    "non-negative decimal", cf->cf_price_per_request);
	if (!cf_decimal_ok(cf->cf_price_per_gb_second))
		return cf_err(l, "price_per_gb_second", "\"%s\": not a "
		    "non-negative decimal", cf->cf_price_per_gb_second);
	for (i = 0; cf->cf_currency[i] != '\0'; i++)
		if (!isalpha((unsigned char)cf->cf_currency[i]) || i >= 8)
			return cf_err(l, "currency", "\"%s\": not a currency "
			    "code", cf->cf_currency);
	if ((v = cf_get(l, "on_failure")) != NULL) {
		if (strcasecmp(v, "reject") == 0)
			cf->cf_on_failure_serve = 0;
		else if (strcasecmp(v, "serve") == 0)
			cf->cf_on_failure_serve = 1;
		else
			return cf_err(l, "on_failure", "\"%s\": not reject "
			    "or serve", v);
	}
	return 0;
}

static int
cf_tenant(struct cf_loader *l)
{
	struct config	 *cf = l->l_cf;
	struct tenant	**nt, *t;

	if (cf_keys_check(l, tenant_keys) == -1)
		return -1;
	if ((nt = reallocarray(cf->cf_tenants, cf->cf_ntenants + 1,
	    sizeof(*nt))) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	cf->cf_tenants = nt;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	t->t_index = (int)cf->cf_ntenants;
	nt[cf->cf_ntenants++] = t;
	if ((t->t_name = strdup(l->l_sec + 7)) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	return cf_intv(l, "concurrency", 0, 1000000, &t->t_concurrency);
}

static int
cf_env_name_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || isdigit((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* Add "K=V" to fn's environment, replacing an earlier K. */
static int
cf_env_add(struct cf_loader *l, const char *key, struct fn *fn,
    const char *kv)
{
	const char	*eq;
	char		**nv, *s;
	size_t		 n, kl;

	if ((eq = strchr(kv, '=')) == NULL ||
	    !cf_env_name_ok(kv, (size_t)(eq - kv)))
		return cf_err(l, key, "\"%s\": not NAME=VALUE", kv);
	kl = (size_t)(eq - kv) + 1;
	if ((s = strdup(kv)) == NULL)
		return cf_err(l, key, "%s", strerror(errno));
	for (n = 0; fn->fn_env[n] != NULL; n++)
		if (strncmp(fn->fn_env[n], kv, kl) == 0) {
			free(fn->fn_env[n]);
			fn->fn_env[n] = s;
			return 0;
		}
	if ((nv = reallocarray(fn->fn_env, n + 2, sizeof(*nv))) == NULL) {
		free(s);
		return cf_err(l, key, "%s", strerror(errno));
	}
	fn->fn_env = nv;
	nv[n] = s;
	nv[n + 1] = NULL;
	return 0;
}

static int
cf_env_file(struct cf_loader *l, struct fn *fn, const char *v)
{
	FILE	*fp = NULL;
	char	*path, *line = NULL, *s, buf[64];
	size_t	 cap = 0;
	ssize_t	 n;
	int	 lineno = 0, rc = -1;

	if ((path = cf_path(l, "env_file", v)) == NULL)
		return -1;
	if ((fp = fopen(path, "re")) == NULL) {
		cf_err(l, "env_file", "%s: %s", path, strerror(errno));
		goto fail;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '\0' || *s == '#')
			continue;
		(void)snprintf(buf, sizeof(buf), "env_file: %s line %d",
		    v, lineno);
		if (cf_env_add(l, buf, fn, s) == -1)
			goto fail;
	}
	rc = 0;
fail:
	if (fp != NULL)
		(void)fclose(fp);
	free(line);
	free(path);
	return rc;
}

static int
cf_fn_exec(struct cf_loader *l, struct fn *fn)
{
	struct stat	 st;
	const char	*v, *es;
	char		**args = NULL, **argv;
	size_t		 n;

	if ((v = cf_get(l, "exec")) == NULL)
		return cf_err(l, "exec", "missing (required)");
	if ((fn->fn_exec = cf_path(l, "exec", v)) == NULL)
		return -1;
	if (stat(fn->fn_exec, &st) == -1)
		return cf_err(l, "exec", "%s: %s", fn->fn_exec,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cf_err(l, "exec", "%s: not a regular file",
		    fn->fn_exec);
	/* Mode bits, not access(2): the function runs as another user. */
	if ((st.st_mode & 0111) == 0)
		return cf_err(l, "exec", "%s: not executable", fn->fn_exec);
	if ((v = cf_get(l, "args")) != NULL &&
	    (args = util_split(v, &es)) == NULL)
		return cf_err(l, "args", "%s", es);
	n = util_strv_len(args);
	if ((argv = calloc(n + 2, sizeof(*argv))) == NULL ||
	    (argv[0] = strdup(fn->fn_exec)) == NULL) {
		free(argv);
		util_strv_free(args);
		return cf_err(l, "exec", "%s", strerror(errno));
	}
	if (n > 0)
		memcpy(argv + 1, args, n * sizeof(*argv));
	free(args);
	fn->fn_argv = argv;
	return 0;
}

static int
cf_fn_methods(struct cf_loader *l, struct fn *fn)
{
	const char	*v, *es;
	char		**sv, *p;
	unsigned	 bit;
	size_t		 i, len = 0;
	int		 rc = 0;

	fn->fn_methods = M_ALL;
	if ((v = cf_get(l, "methods")) != NULL) {
		if ((sv = util_split(v, &es)) == NULL)
			return cf_err(l, "methods", "%s", es);
		fn->fn_methods = 0;
		for (i = 0; rc == 0 && sv[i] != NULL; i++) {
			for (p = sv[i]; *p != '\0'; p++)
				*p = (char)toupper((unsigned char)*p);
			if ((bit = route_method_bit(sv[i])) == 0)
				rc = cf_err(l, "methods", "unknown method "
				    "\"%s\" (GET HEAD POST PUT DELETE PATCH "
				    "OPTIONS)", sv[i]);
			fn->fn_methods |= bit;
		}
		util_strv_free(sv);
		if (rc == -1)
			return -1;
		if (fn->fn_methods == 0)
			fn->fn_methods = M_ALL;
	}
	if ((fn->fn_allow = calloc(1, 64)) == NULL)
		return cf_err(l, "methods", "%s", strerror(errno));
	for (i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (fn->fn_methods & (1U << i))
			len += (size_t)snprintf(fn->fn_allow + len, 64 - len,
			    "%s%s", len > 0 ? ", " : "", method_names[i]);
	return 0;
}

static int
cf_fn_ids(struct cf_loader *l, struct fn *fn)
{
	struct config	*cf = l->l_cf;
	const char	*v;

	if (cf_str(l, "user", &fn->fn_user) == -1 ||
	    cf_user(l, "user", fn->fn_user != NULL ? fn->fn_user :
	    cf->cf_user, &fn->fn_uid, &fn->fn_gid) == -1)
		return -1;
	if ((v = cf_get(l, "group")) != NULL &&
	    cf_group(l, "group", v, &fn->fn_gid) == -1)
		return -1;
	/* XXX min_uid is stored; only uid 0 is refused for now. */
	if (fn->fn_uid == 0 && !cf->cf_allow_root)
		return cf_err(l, "user", "\"%s\" is uid 0; running functions "
		    "as root needs allow_root = yes in [gateway]",
		    fn->fn_user != NULL ? fn->fn_user : cf->cf_user);
	return 0;
}

static int
cf_fn_env(struct cf_loader *l, struct fn *fn)
{
	const char	*v, *es;
	char		**sv;
	size_t		 i;
	int		 rc = 0;

	if ((fn->fn_env = calloc(1, sizeof(*fn->fn_env))) == NULL)
		return cf_err(l, "env", "%s", strerror(errno));
	if ((v = cf_get(l, "env_file")) != NULL &&
	    cf_env_file(l, fn, v) == -1)
		return -1;
	if ((v = cf_get(l, "env")) == NULL)
		return 0;
	if ((sv = util_split(v, &es)) == NULL)
		return cf_err(l, "env", "%s", es);
	for (i = 0; rc == 0 && sv[i] != NULL; i++)
		rc = cf_env_add(l, "env", fn, sv[i]);
	util_strv_free(sv);
	return rc;
}

static int
cf_fn_misc(struct cf_loader *l, struct fn *fn)
{
	struct config	*cf = l->l_cf;
	const char	*v, *es, *which;
	char		 name[128], **sv;
	size_t		 i;
	int		 nf;

	if ((v = cf_get(l, "mode")) != NULL) {
		if (strcasecmp(v, "cgi") == 0)
			fn->fn_mode = FN_CGI;
		else if (strcasecmp(v, "fastcgi") == 0)
			fn->fn_mode = FN_FASTCGI;
		else
			return cf_err(l, "mode", "\"%s\": not cgi or fastcgi",
			    v);
	}
	if ((v = cf_get(l, "tenant")) != NULL) {
		(void)snprintf(name, sizeof(name), "%s", v);
		cf_lower(name);
		for (i = 0; i < cf->cf_ntenants; i++)
			if (strcmp(cf->cf_tenants[i]->t_name, name) == 0)
				fn->fn_tenant = cf->cf_tenants[i];
		if (fn->fn_tenant == NULL)
			return cf_err(l, "tenant", "no [tenant.%s] section",
			    name);
	}
	if ((v = cf_get(l, "schedule")) != NULL) {
		if (v[0] != '@') {
			if ((sv = util_split(v, &es)) == NULL)
				return cf_err(l, "schedule", "%s", es);
			nf = (int)util_strv_len(sv);
			util_strv_free(sv);
			if (nf != 5)
				return cf_err(l, "schedule", "\"%s\": %d "
				    "fields, not 5 (or @hourly etc.)", v, nf);
		}
		if ((fn->fn_schedule = strdup(v)) == NULL)
			return cf_err(l, "schedule", "%s", strerror(errno));
	}
	if (cf_str(l, "host", &fn->fn_host_src) == -1)
		return -1;
	if (cf_get(l, "route") == NULL)
		return cf_err(l, "route", "missing (required)");
	if (cf_str(l, "route", &fn->fn_route_src) == -1)
		return -1;
	if (route_compile(fn, &es, &which) == -1)
		return cf_err(l, which, "%s", es);
	if (route_capture_count(fn->fn_route) > cf->cf_max_captures)
		cf->cf_max_captures = route_capture_count(fn->fn_route);
	return 0;
}

static int
cf_fn(struct cf_loader *l)
{
	struct config	 *cf = l->l_cf;
	struct fn	**nf, *fn;
	long long	  n;
	uint64_t	  cpu = 0;

	if (cf_keys_check(l, fn_keys) == -1)
		return -1;
	if ((nf = reallocarray(cf->cf_fns, cf->cf_nfns + 1,
	    sizeof(*nf))) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	cf->cf_fns = nf;
	if ((fn = calloc(1, sizeof(*fn))) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	fn->fn_index = (int)cf->cf_nfns;
	nf[cf->cf_nfns++] = fn;
	if ((fn->fn_name = strdup(l->l_sec + 3)) == NULL ||
	    (fn->fn_file = strdup(l->l_file)) == NULL)
		return cf_err(l, NULL, "%s", strerror(errno));
	fn->fn_timeout_ms = 30000;
	fn->fn_max_body = 10 << 20;
	fn->fn_max_output = 64 << 20;
	fn->fn_concurrency = 8;
	fn->fn_idle_timeout_ms = 60000;
	fn->fn_max_requests = 1000;
	fn->fn_queue = 64;
	fn->fn_queue_timeout_ms = 5000;
	if (cf_fn_misc(l, fn) == -1 || cf_fn_methods(l, fn) == -1 ||
	    cf_fn_exec(l, fn) == -1 || cf_fn_ids(l, fn) == -1 ||
	    cf_fn_env(l, fn) == -1 ||
	    cf_duration(l, "timeout", &fn->fn_timeout_ms, 1) == -1 ||
	    cf_size(l, "memory", &fn->fn_memory) == -1 ||
	    cf_duration(l, "cpu", &cpu, 0) == -1 ||
	    cf_size(l, "fsize", &fn->fn_fsize) == -1 ||
	    cf_size(l, "max_body", &fn->fn_max_body) == -1 ||
	    cf_size(l, "max_output", &fn->fn_max_output) == -1 ||
	    cf_intv(l, "concurrency", 1, 100000, &fn->fn_concurrency) == -1 ||
	    cf_intv(l, "min_instances", 0, 100000,
	    &fn->fn_min_instances) == -1 ||
	    cf_duration(l, "idle_timeout", &fn->fn_idle_timeout_ms, 0) == -1 ||
	    cf_intv(l, "queue", 0, 1000000, &fn->fn_queue) == -1 ||
	    cf_duration(l, "queue_timeout", &fn->fn_queue_timeout_ms,
	    0) == -1)
		return -1;
	fn->fn_cpu = (cpu + 999) / 1000;	/* RLIMIT_CPU is in seconds */
	n = (long long)fn->fn_max_requests;
	if (cf_int(l, "max_requests", 0, LLONG_MAX, &n) == -1)
		return -1;
	fn->fn_max_requests = (uint64_t)n;
	n = (long long)fn->fn_nofile;
	if (cf_int(l, "nofile", 0, 1 << 30, &n) == -1)
		return -1;
	fn->fn_nofile = (uint64_t)n;
	n = (long long)fn->fn_nproc;
	if (cf_int(l, "nproc", 0, 1 << 30, &n) == -1)
		return -1;
	fn->fn_nproc = (uint64_t)n;
	if (fn->fn_min_instances > fn->fn_concurrency)
		return cf_err(l, "min_instances", "%d is more than "
		    "concurrency (%d)", fn->fn_min_instances,
		    fn->fn_concurrency);
	return 0;
}

static int
cf_defaults(struct config *cf)
{
	char	host[HOST_NAME_MAX + 1];

	if (gethostname(host, sizeof(host)) == -1)
		(void)snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	cf->cf_refs = 1;
	cf->cf_listen_mode = 0660;
	cf->cf_listen_uid = (uid_t)-1;
	cf->cf_listen_gid = (gid_t)-1;
	cf->cf_max_connections = 1024;
	cf->cf_shutdown_timeout_ms = 30000;
	cf->cf_kill_grace_ms = 2000;
	cf->cf_max_params = 64 << 10;
	cf->cf_cron = 1;
	cf->cf_log_level = LOG_INFO;
	cf->cf_min_uid = 1000;
	cf->cf_read_timeout_ms = 60000;
	cf->cf_granularity_ms = 1;
	if ((cf->cf_listen = strdup("unix:/run/fngw/fngw.sock")) == NULL ||
	    (cf->cf_user = strdup("nobody")) == NULL ||
	    (cf->cf_runtime_dir = strdup("/run/fngw")) == NULL ||
	    (cf->cf_billing_db = strdup("/var/lib/fngw/usage.db")) == NULL ||
	    (cf->cf_node = strdup(host)) == NULL ||
	    (cf->cf_status_allow = util_split("127.0.0.1 ::1",
	    &(const char *){ NULL })) == NULL ||
	    (cf->cf_price_per_request = strdup("0")) == NULL ||
	    (cf->cf_price_per_gb_second = strdup("0")) == NULL ||
	    (cf->cf_currency = strdup("USD")) == NULL)
		return -1;
	return 0;
}

/* Read the files that include names, sorted, skipping the main file. */
static int
cf_includes(struct cf_loader *l, const char *pattern)
{
	glob_t		 g;
	char		*pat, *real;
	size_t		 i;
	int		 rc, same;

	l->l_file = l->l_files[0].cff_path;
	l->l_dir = l->l_files[0].cff_dir;
	l->l_sec = "gateway";
	if ((pat = cf_path(l, "include", pattern)) == NULL)
		return -1;
	rc = glob(pat, GLOB_ERR, NULL, &g);
	free(pat);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc != 0)
		return cf_err(l, "include", "\"%s\": %s", pattern,
		    rc == GLOB_NOSPACE ? "out of memory" : "read error");
	for (i = 0, rc = 0; rc == 0 && i < g.gl_pathc; i++) {
		/* A file that cannot be resolved fails in cf_file_add(). */
		real = realpath(g.gl_pathv[i], NULL);
		same = real != NULL && strcmp(real, l->l_main_real) == 0;
		free(real);
		if (!same)
			rc = cf_file_add(l, g.gl_pathv[i]);
	}
	globfree(&g);
	return rc;
}

struct config *
config_load(const char *path, const char **errstr)
{
	struct cf_loader	 l;
	struct config		*cf;
	char			*include = NULL;
	size_t			 i;
	int			 rc = -1;

	memset(&l, 0, sizeof(l));
	l.l_file = path;
	cf_errbuf[0] = '\0';
	if ((l.l_cf = cf = calloc(1, sizeof(*cf))) == NULL ||
	    (cf->cf_path = strdup(path)) == NULL || cf_defaults(cf) == -1) {
		cf_err(&l, NULL, "%s", strerror(errno));
		goto fail;
	}
	if (cf_file_add(&l, path) == -1)
		goto fail;
	for (i = 0; i < l.l_nsects; i++) {
		cf_enter(&l, &l.l_sects[i]);
		if (strcmp(l.l_sec, "gateway") == 0 &&
		    cf_gateway(&l, &include) == -1)
			goto fail;
	}
	if (include != NULL && cf_includes(&l, include) == -1)
		goto fail;
	for (i = 0; i < l.l_nsects; i++) {
		cf_enter(&l, &l.l_sects[i]);
		if (strcmp(l.l_sec, "billing") == 0 && cf_billing(&l) == -1)
			goto fail;
		if (strncmp(l.l_sec, "tenant.", 7) == 0 && cf_tenant(&l) == -1)
			goto fail;
	}
	for (i = 0; i < l.l_nsects; i++) {
		cf_enter(&l, &l.l_sects[i]);
		if (strncmp(l.l_sec, "fn.", 3) == 0 && cf_fn(&l) == -1)
			goto fail;
	}
	rc = 0;
fail:
	free(include);
	free(l.l_main_real);
	for (i = 0; i < l.l_nfiles; i++) {
		free(l.l_files[i].cff_path);
		free(l.l_files[i].cff_dir);
		if (l.l_files[i].cff_dict != NULL)
			iniparser_freedict(l.l_files[i].cff_dict);
	}
	free(l.l_files);
	for (i = 0; i < l.l_nsects; i++)
		free(l.l_sects[i].cs_name);
	free(l.l_sects);
	if (rc == -1) {
		config_free(cf);
		*errstr = cf_errbuf;
		return NULL;
	}
	return cf;
}

void
config_free(struct config *cf)
{
	struct fn	*fn;
	size_t		 i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->cf_nfns; i++) {
		if ((fn = cf->cf_fns[i]) == NULL)
			continue;
		free(fn->fn_name);
		free(fn->fn_file);
		route_free(fn->fn_route);
		free(fn->fn_route_src);
		free(fn->fn_host_src);
		free(fn->fn_allow);
		free(fn->fn_exec);
		util_strv_free(fn->fn_argv);
		free(fn->fn_user);
		util_strv_free(fn->fn_env);
		free(fn->fn_schedule);
		free(fn);
	}
	free(cf->cf_fns);
	for (i = 0; i < cf->cf_ntenants; i++) {
		if (cf->cf_tenants[i] != NULL)
			free(cf->cf_tenants[i]->t_name);
		free(cf->cf_tenants[i]);
	}
	free(cf->cf_tenants);
	free(cf->cf_path);
	free(cf->cf_listen);
	free(cf->cf_user);
	free(cf->cf_runtime_dir);
	free(cf->cf_billing_db);
	free(cf->cf_node);
	free(cf->cf_status_path);
	util_strv_free(cf->cf_status_allow);
	free(cf->cf_price_per_request);
	free(cf->cf_price_per_gb_second);
	free(cf->cf_currency);
	free(cf);
}

struct config *
config_ref(struct config *cf)
{
	cf->cf_refs++;
	return cf;
}

void
config_unref(struct config *cf)
{
	if (cf != NULL && --cf->cf_refs == 0)
		config_free(cf);
}

const struct fn *
config_fn(const struct config *cf, const char *name)
{
	size_t	i;

	for (i = 0; i < cf->cf_nfns; i++)
		if (strcasecmp(cf->cf_fns[i]->fn_name, name) == 0)
			return cf->cf_fns[i];
	return NULL;
}

const struct tenant *
config_tenant(const struct config *cf, const char *name)
{
	size_t	i;

	for (i = 0; i < cf->cf_ntenants; i++)
		if (strcasecmp(cf->cf_tenants[i]->t_name, name) == 0)
			return cf->cf_tenants[i];
	return NULL;
}

/* One row of the route table; col[] are the column texts. */
#define CF_NCOLS	9

static void
cf_print_row(int fd, const char *const *col, const int *w)
{
	int	i;

	for (i = 0; i < CF_NCOLS - 1; i++)
		dprintf(fd, "%-*s  ", w[i], col[i]);
	dprintf(fd, "%s\n", col[i]);
}

static void
cf_fn_cols(const struct fn *fn, const char **col, char *methods,
    size_t msz, char *timeout, size_t tsz, char *conc, size_t csz)
{
	size_t	i, j;

	if (fn->fn_methods == M_ALL)
		(void)snprintf(methods, msz, "*");
	else {
		/* "GET, HEAD" without the spaces keeps the column narrow. */
		for (i = j = 0; fn->fn_allow[i] != '\0' && j + 1 < msz; i++)
			if (fn->fn_allow[i] != ' ')
				methods[j++] = fn->fn_allow[i];
		methods[j] = '\0';
	}
	if (fn->fn_timeout_ms % 1000 == 0)
		(void)snprintf(timeout, tsz, "%llus",
		    (unsigned long long)fn->fn_timeout_ms / 1000);
	else
		(void)snprintf(timeout, tsz, "%llums",
		    (unsigned long long)fn->fn_timeout_ms);
	(void)snprintf(conc, csz, "%d", fn->fn_concurrency);
	col[0] = fn->fn_name;
	col[1] = fn->fn_mode == FN_FASTCGI ? "fastcgi" : "cgi";
	col[2] = methods;
	col[3] = fn->fn_route_src;
	col[4] = fn->fn_host_src != NULL ? fn->fn_host_src : "-";
	col[5] = fn->fn_exec;
	col[6] = fn->fn_tenant != NULL ? fn->fn_tenant->t_name : "-";
	col[7] = timeout;
	col[8] = conc;
}

void
config_print_routes(const struct config *cf, int fd)
{
	static const char *const head[CF_NCOLS] = { "FUNCTION", "MODE",
	    "METHODS", "ROUTE", "HOST", "EXEC", "TENANT", "TIMEOUT",
	    "CONCURRENCY" };
	const char	*col[CF_NCOLS];
	char		 methods[64], timeout[32], conc[16];
	int		 w[CF_NCOLS], i, len;
	size_t		 n;

	for (i = 0; i < CF_NCOLS; i++)
		w[i] = (int)strlen(head[i]);
	for (n = 0; n < cf->cf_nfns; n++) {
		cf_fn_cols(cf->cf_fns[n], col, methods, sizeof(methods),
		    timeout, sizeof(timeout), conc, sizeof(conc));
		for (i = 0; i < CF_NCOLS; i++)
			if ((len = (int)strlen(col[i])) > w[i])
				w[i] = len;
	}
	cf_print_row(fd, head, w);
	for (n = 0; n < cf->cf_nfns; n++) {
		cf_fn_cols(cf->cf_fns[n], col, methods, sizeof(methods),
		    timeout, sizeof(timeout), conc, sizeof(conc));
		cf_print_row(fd, col, w);
	}
}
