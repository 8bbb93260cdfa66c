/*
 * inifile.c -- the main file and its includes, scanned, then parsed.
 *
 * iniparser reads the values; a scan of our own over each file's lines
 * comes first and fails on what iniparser would accept or merge
 * silently.  See inifile.h.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iniparser/iniparser.h>

#include "inifile.h"
#include "util.h"

/*
 * iniparser 4.1 reads lines with fgets(line, 1024): 1022 characters and
 * the newline is the longest line it takes.  We say so ourselves, with
 * the line number, instead of letting it fail with a message on stderr.
 */
#define INI_LINE_MAX	1022

struct ini_file {
	char		*f_path;		/* as named */
	char		*f_dir;			/* absolute directory */
	dictionary	*f_dict;
};

static _Thread_local char	ini_errbuf[2048];
static _Thread_local char	ini_parsebuf[512];

__attribute__((format(printf, 4, 0)))
static int
ini_verr(const char *file, const char *sec, const char *key,
    const char *fmt, va_list ap)
{
	int	n;

	if (sec != NULL && key != NULL)
		n = snprintf(ini_errbuf, sizeof(ini_errbuf), "%s: [%s] %s: ",
		    file, sec, key);
	else if (sec != NULL)
		n = snprintf(ini_errbuf, sizeof(ini_errbuf), "%s: [%s]: ",
		    file, sec);
	else
		n = snprintf(ini_errbuf, sizeof(ini_errbuf), "%s: ", file);
	if (n >= 0 && (size_t)n < sizeof(ini_errbuf))
		(void)vsnprintf(ini_errbuf + n, sizeof(ini_errbuf) - (size_t)n,
		    fmt, ap);
	return -1;
}

__attribute__((format(printf, 4, 5)))
static int
ini_err(const char *file, const char *sec, const char *key,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)ini_verr(file, sec, key, fmt, ap);
	va_end(ap);
	return -1;
}

int
inifile_verr(const struct ini_sect *is, const char *key, const char *fmt,
    va_list ap)
{
	return ini_verr(is->is_path, is->is_name, key, fmt, ap);
}

const char *
inifile_errstr(void)
{
	return ini_errbuf;
}

/* iniparser's error callback: keep its first message for ini_err(). */
__attribute__((format(printf, 1, 2)))
static int
ini_parse_error(const char *fmt, ...)
{
	va_list	 ap;
	char	*nl;

	if (ini_parsebuf[0] != '\0')
		return 0;
	va_start(ap, fmt);
	(void)vsnprintf(ini_parsebuf, sizeof(ini_parsebuf), fmt, ap);
	va_end(ap);
	while ((nl = strchr(ini_parsebuf, '\n')) != NULL)
		*nl = ' ';
	return 0;
}

static char *
ini_strip(char *s)
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
ini_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Names of fns and tenants: they end up in env values and usage rows. */
static int
ini_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

/* Check one "[name]" header line (stripped of its brackets), add it. */
static int
ini_sect_add(struct inifile *ini, const struct ini_file *f, char *name,
    int lineno)
{
	struct ini_sect	*ns;
	size_t		 i;

	name = ini_strip(name);
	ini_lower(name);
	if (strcmp(name, "gateway") == 0 || strcmp(name, "billing") == 0) {
		if (f != ini->if_files[0])
			return ini_err(f->f_path, NULL, NULL, "line %d: [%s] "
			    "belongs in the main file; an included file may "
			    "hold only [fn.*] and [tenant.*]", lineno, name);
	} else if (strncmp(name, "fn.", 3) == 0 ||
	    strncmp(name, "tenant.", 7) == 0) {
		if (!ini_name_ok(name + (name[0] == 'f' ? 3 : 7)))
			return ini_err(f->f_path, NULL, NULL, "line %d: [%s]: "
			    "bad name (letters, digits, '-' and '_')", lineno,
			    name);
	} else
		return ini_err(f->f_path, NULL, NULL, "line %d: [%s]: "
		    "unknown section", lineno, name);
	for (i = 0; i < ini->if_nsects; i++)
		if (strcmp(ini->if_sects[i].is_name, name) == 0)
			return ini_err(f->f_path, NULL, NULL, "line %d: [%s] "
			    "is already defined in %s", lineno, name,
			    ini->if_sects[i].is_path);
	if ((ns = reallocarray(ini->if_sects, ini->if_nsects + 1,
	    sizeof(*ns))) == NULL)
		return ini_err(f->f_path, NULL, NULL, "%s", strerror(errno));
	ini->if_sects = ns;
	ns += ini->if_nsects;
	if ((ns->is_name = strdup(name)) == NULL)
		return ini_err(f->f_path, NULL, NULL, "%s", strerror(errno));
	ns->is_path = f->f_path;
	ns->is_dir = f->f_dir;
	ns->is_file = f;
	ini->if_nsects++;
	return 0;
}

/*
 * Scan the file's lines the way iniparser classifies them (blank,
 * comment, [section], key = value, backslash continuation), so that
 * what it accepts or merges silently is an error here first.
 */
static int
ini_scan(struct inifile *ini, const struct ini_file *f)
{
	FILE		*fp;
	const char	*path = f->f_path, *sec = NULL;
	char		*line = NULL, *s, *v, *q;
	size_t		 cap = 0, len;
	ssize_t		 n;
	int		 lineno = 0, cont = 0, rc = -1;

	if ((fp = fopen(path, "re")) == NULL)
		return ini_err(path, NULL, NULL, "%s", strerror(errno));
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		len = (size_t)n;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > INI_LINE_MAX) {
			ini_err(path, NULL, NULL, "line %d: longer than %d "
			    "characters", lineno, INI_LINE_MAX);
			goto fail;
		}
		if (memchr(line, '\0', len) != NULL) {
			ini_err(path, NULL, NULL, "line %d: holds a NUL byte",
			    lineno);
			goto fail;
		}
		s = ini_strip(line);
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
			if (ini_sect_add(ini, f, s + 1, lineno) == -1)
				goto fail;
			sec = ini->if_sects[ini->if_nsects - 1].is_name;
			continue;
		}
		if ((v = strchr(s, '=')) == NULL || v == s) {
			ini_err(path, NULL, NULL, "line %d: syntax error (not "
			    "[section] nor key = value)", lineno);
			goto fail;
		}
		*v++ = '\0';
		s = ini_strip(s);
		ini_lower(s);
		if (sec == NULL) {
			ini_err(path, NULL, NULL, "line %d: outside of any "
			    "[section]", lineno);
			goto fail;
		}
		/* iniparser keeps "a" of `"a" b` and drops the rest. */
		v = ini_strip(v);
		if ((*v == '"' || *v == '\'') &&
		    (q = strchr(v + 1, *v)) != NULL) {
			q = ini_strip(q + 1);
			if (*q != '\0' && *q != ';' && *q != '#') {
				ini_err(path, sec, s, "line %d: text after "
				    "the closing quote; quote the whole value",
				    lineno);
				goto fail;
			}
		}
	}
	if (ferror(fp)) {
		ini_err(path, NULL, NULL, "%s", strerror(errno));
		goto fail;
	}
	rc = 0;
fail:
	free(line);
	(void)fclose(fp);
	return rc;
}

/* v if absolute, else dir/v; malloc'ed.  NULL and errno. */
static char *
ini_join(const char *dir, const char *v)
{
	char	*p;

	if (v[0] == '/')
		return strdup(v);
	if (asprintf(&p, "%s/%s", dir, v) == -1)
		return NULL;
	return p;
}

/* Scan and parse one more file; the first is the main file. */
static int
ini_file_add(struct inifile *ini, const char *path)
{
	struct ini_file	**nf, *f;
	char		 *real, *slash;

	if ((nf = reallocarray(ini->if_files, ini->if_nfiles + 1,
	    sizeof(*nf))) == NULL)
		return ini_err(path, NULL, NULL, "%s", strerror(errno));
	ini->if_files = nf;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return ini_err(path, NULL, NULL, "%s", strerror(errno));
	nf[ini->if_nfiles++] = f;
	if ((f->f_path = strdup(path)) == NULL ||
	    (real = realpath(path, NULL)) == NULL)
		return ini_err(path, NULL, NULL, "%s", strerror(errno));
	if (ini->if_nfiles == 1 &&
	    (ini->if_main_real = strdup(real)) == NULL) {
		free(real);
		return ini_err(path, NULL, NULL, "%s", strerror(errno));
	}
	slash = strrchr(real, '/');
	slash[slash == real ? 1 : 0] = '\0';
	f->f_dir = real;
	if (ini_scan(ini, f) == -1)
		return -1;
	ini_parsebuf[0] = '\0';
	iniparser_set_error_callback(ini_parse_error);
	f->f_dict = iniparser_load(path);
	iniparser_set_error_callback(NULL);
	if (f->f_dict == NULL)
		return ini_err(path, NULL, NULL, "%s",
		    ini_parsebuf[0] != '\0' ? ini_parsebuf :
		    "cannot be parsed");
	return 0;
}

int
inifile_read(struct inifile *ini, const char *path)
{
	return ini_file_add(ini, path);
}

int
inifile_include(struct inifile *ini, const char *pattern)
{
	const char	*mainf = ini->if_files[0]->f_path;
	glob_t		 g;
	char		*pat, *real;
	size_t		 i;
	int		 rc, same;

	if ((pat = ini_join(ini->if_files[0]->f_dir, pattern)) == NULL)
		return ini_err(mainf, "gateway", "include", "%s",
		    strerror(errno));
	rc = glob(pat, GLOB_ERR, NULL, &g);
	free(pat);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc != 0)
		return ini_err(mainf, "gateway", "include", "\"%s\": %s",
		    pattern, rc == GLOB_NOSPACE ? "out of memory" :
		    "read error");
	for (i = 0, rc = 0; rc == 0 && i < g.gl_pathc; i++) {
		/* A file that cannot be resolved fails in ini_file_add(). */
		real = realpath(g.gl_pathv[i], NULL);
		same = real != NULL && strcmp(real, ini->if_main_real) == 0;
		free(real);
		if (!same)
			rc = ini_file_add(ini, g.gl_pathv[i]);
	}
	globfree(&g);
	return rc;
}

void
inifile_free(struct inifile *ini)
{
	size_t	i;

	for (i = 0; i < ini->if_nfiles; i++) {
		free(ini->if_files[i]->f_path);
		free(ini->if_files[i]->f_dir);
		if (ini->if_files[i]->f_dict != NULL)
			iniparser_freedict(ini->if_files[i]->f_dict);
		free(ini->if_files[i]);
	}
	free(ini->if_files);
	for (i = 0; i < ini->if_nsects; i++)
		free(ini->if_sects[i].is_name);
	free(ini->if_sects);
	free(ini->if_main_real);
	memset(ini, 0, sizeof(*ini));
}

const char *
inifile_get(const struct ini_sect *is, const char *key)
{
	char		 k[256];
	const char	*v;

	(void)snprintf(k, sizeof(k), "%s:%s", is->is_name, key);
	v = iniparser_getstring(is->is_file->f_dict, k, NULL);
	return v == NULL || *v == '\0' ? NULL : v;
}

int
inifile_keys_check(const struct ini_sect *is, const char *const *allowed)
{
	const char	**keys;
	const char	 *k;
	size_t		  i, j, skip = strlen(is->is_name) + 1;
	int		  nk, rc = 0;

	if ((nk = iniparser_getsecnkeys(is->is_file->f_dict,
	    is->is_name)) <= 0)
		return 0;
	if ((keys = calloc((size_t)nk, sizeof(*keys))) == NULL)
		return ini_err(is->is_path, is->is_name, NULL, "%s",
		    strerror(errno));
	if (iniparser_getseckeys(is->is_file->f_dict, is->is_name,
	    keys) == NULL)
		nk = 0;
	for (i = 0; rc == 0 && i < (size_t)nk; i++) {
		k = keys[i] + skip;
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(k, allowed[j]) == 0)
				break;
		if (allowed[j] == NULL)
			rc = ini_err(is->is_path, is->is_name, k,
			    "unknown key");
	}
	free(keys);
	return rc;
}

/* A string value: replaces *out with a copy when key is set. */
int
inifile_str(const struct ini_sect *is, const char *key, char **out)
{
	const char	*v;
	char		*s;

	if ((v = inifile_get(is, key)) == NULL)
		return 0;
	if ((s = strdup(v)) == NULL)
		return ini_err(is->is_path, is->is_name, key, "%s",
		    strerror(errno));
	free(*out);
	*out = s;
	return 0;
}

/* Absolute, or relative to the directory of the file being read. */
int
inifile_path(const struct ini_sect *is, const char *key, char **out)
{
	const char	*v;
	char		*p;

	if ((v = inifile_get(is, key)) == NULL)
		return 0;
	if ((p = ini_join(is->is_dir, v)) == NULL)
		return ini_err(is->is_path, is->is_name, key, "%s",
		    strerror(errno));
	free(*out);
	*out = p;
	return 0;
}

int
inifile_duration(const struct ini_sect *is, const char *key, uint64_t *out,
    uint64_t min)
{
	const char	*v, *es;
	uint64_t	 ms;

	if ((v = inifile_get(is, key)) == NULL)
		return 0;
	if (util_parse_duration(v, &ms, &es) == -1) {
		if (strncmp(es, "bad duration", 12) == 0)
			return ini_err(is->is_path, is->is_name, key,
			    "bad duration \"%s\" (units: ms s m h)", v);
		return ini_err(is->is_path, is->is_name, key,
		    "bad duration \"%s\": %s", v, es);
	}
	if (ms < min)
		return ini_err(is->is_path, is->is_name, key,
		    "duration \"%s\" is too short", v);
	*out = ms;
	return 0;
}

int
inifile_size(const struct ini_sect *is, const char *key, uint64_t *out)
{
	const char	*v, *es;

	if ((v = inifile_get(is, key)) == NULL)
		return 0;
	if (util_parse_size(v, out, &es) == -1) {
		if (strncmp(es, "bad size", 8) == 0)
			return ini_err(is->is_path, is->is_name, key,
			    "bad size \"%s\" (units: k m g)", v);
		return ini_err(is->is_path, is->is_name, key,
		    "bad size \"%s\": %s", v, es);
	}
	return 0;
}

int
inifile_int(const struct ini_sect *is, const char *key, long long min,
    long long max, long long *out)
{
	const char	*v, *es;

	if ((v = inifile_get(is, key)) == NULL)
		return 0;
	if (util_parse_int(v, min, max, out, &es) == -1)
		return ini_err(is->is_path, is->is_name, key,
		    "bad number \"%s\": %s (%lld to %lld)", v, es, min, max);
	return 0;
}

int
inifile_bool(const struct ini_sect *is, const char *key, int *out)
{
	const char	*v, *es;

	if ((v = inifile_get(is, key)) == NULL)
		return 0;
	if (util_parse_bool(v, out, &es) == -1)
		return ini_err(is->is_path, is->is_name, key, "\"%s\": %s", v,
		    es);
	return 0;
}

static int
ini_env_name_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || isdigit((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* Add "K=V" to *envp, replacing an earlier K. */
static int
ini_env_add(const struct ini_sect *is, const char *key, char ***envp,
    const char *kv)
{
	const char	*eq;
	char		**nv, *s;
	size_t		 n, kl;

	if ((eq = strchr(kv, '=')) == NULL ||
	    !ini_env_name_ok(kv, (size_t)(eq - kv)))
		return ini_err(is->is_path, is->is_name, key,
		    "\"%s\": not NAME=VALUE", kv);
	kl = (size_t)(eq - kv) + 1;
	if ((s = strdup(kv)) == NULL)
		return ini_err(is->is_path, is->is_name, key, "%s",
		    strerror(errno));
	for (n = 0; (*envp)[n] != NULL; n++)
		if (strncmp((*envp)[n], kv, kl) == 0) {
			free((*envp)[n]);
			(*envp)[n] = s;
			return 0;
		}
	if ((nv = reallocarray(*envp, n + 2, sizeof(*nv))) == NULL) {
		free(s);
		return ini_err(is->is_path, is->is_name, key, "%s",
		    strerror(errno));
	}
	*envp = nv;
	nv[n] = s;
	nv[n + 1] = NULL;
	return 0;
}

int
inifile_env(const struct ini_sect *is, const char *key, char ***envp)
{
	const char	*v, *es;
	char		**sv;
	size_t		 i;
	int		 rc = 0;

	if ((v = inifile_get(is, key)) == NULL)
		return 0;
	if ((sv = util_split(v, &es)) == NULL)
		return ini_err(is->is_path, is->is_name, key, "%s", es);
	for (i = 0; rc == 0 && sv[i] != NULL; i++)
		rc = ini_env_add(is, key, envp, sv[i]);
	util_strv_free(sv);
	return rc;
}

int
inifile_env_file(const struct ini_sect *is, const char *key, char ***envp)
{
	FILE		*fp = NULL;
	const char	*v;
	char		*path = NULL, *line = NULL, *s, buf[64];
	size_t		 cap = 0;
	ssize_t		 n;
	int		 lineno = 0, rc = -1;

	if ((v = inifile_get(is, key)) == NULL)
		return 0;
	if (inifile_path(is, key, &path) == -1)
		return -1;
	if ((fp = fopen(path, "re")) == NULL) {
		ini_err(is->is_path, is->is_name, key, "%s: %s", path,
		    strerror(errno));
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
		(void)snprintf(buf, sizeof(buf), "%s: %s line %d", key, v,
		    lineno);
		if (ini_env_add(is, buf, envp, s) == -1)
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
