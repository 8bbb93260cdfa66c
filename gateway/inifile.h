/*
 * inifile.h -- read the INI files of one configuration load.
 *
 * inifile_read() reads the main file; inifile_include() then adds the
 * files an include glob names, in sorted order, skipping the main file.
 * Before iniparser reads a file, a scan of our own over its lines finds
 * what iniparser hides: a section defined twice (in one file or across
 * files; it merges them), an unknown section, [gateway] or [billing] in
 * an included file, over-long lines, NUL bytes, keys outside any
 * section, syntax errors and text after a closing quote (it drops it).
 * The result is every section, in file order, and typed getters for
 * the values of a section (strings, paths, numbers, environments).
 *
 * The caller owns the struct inifile (zeroed before inifile_read()),
 * which owns every name, path and parsed file in it until
 * inifile_free().  The strings an ini_sect points to never move, but
 * if_sects does when files are added: copy a section, keep no pointer.
 * This module knows no key: which keys a section may hold, their
 * ranges, defaults and meaning are the caller's (config.c).  It never
 * touches struct config.  It reads files: it may block.
 *
 * Every failure returns -1 and leaves one message in a thread-local
 * buffer, inifile_errstr(), in the form "FILE: [SECTION] KEY: what is
 * wrong", valid until the next one; inifile_verr() writes one in that
 * form for the caller's own checks.
 */
#ifndef INIFILE_H
#define INIFILE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct ini_file;		/* one parsed file; inifile.c only */

struct ini_sect {
	char			*is_name;	/* lower case: "fn.hello" */
	const char		*is_path;	/* its file, as named */
	const char		*is_dir;	/* that file's dir, absolute */
	const struct ini_file	*is_file;	/* where its values are */
};

struct inifile {
	struct ini_sect		 *if_sects;	/* all, in file order */
	size_t			  if_nsects;
	struct ini_file		**if_files;	/* [0]: the main file */
	size_t			  if_nfiles;
	char			 *if_main_real;	/* the main file, resolved */
};

int		 inifile_read(struct inifile *, const char *);
/* Add the files a glob names, relative to the main file's directory. */
int		 inifile_include(struct inifile *, const char *);
void		 inifile_free(struct inifile *);	/* not the struct */

/* The value of key in a section; NULL when unset or empty. */
const char	*inifile_get(const struct ini_sect *, const char *);
/* -1 and "unknown key" for the first key of a section not in a list. */
int		 inifile_keys_check(const struct ini_sect *,
		    const char *const *);

/*
 * Typed values.  Each leaves *out alone when the key is unset or empty
 * (so it keeps the caller's default), stores the value and returns 0,
 * or returns -1 and a message naming the key.  inifile_str() and
 * inifile_path() replace *out with a malloc'ed copy (freeing the old);
 * a relative path is taken from the directory of the section's file.
 */
int		 inifile_str(const struct ini_sect *, const char *, char **);
int		 inifile_path(const struct ini_sect *, const char *, char **);
int		 inifile_int(const struct ini_sect *, const char *, long long,
		    long long, long long *);		/* min, max */
int		 inifile_bool(const struct ini_sect *, const char *, int *);
int		 inifile_duration(const struct ini_sect *, const char *,
		    uint64_t *, uint64_t);		/* ms; min */
int		 inifile_size(const struct ini_sect *, const char *,
		    uint64_t *);			/* bytes */

/*
 * Environment entries "NAME=VALUE" added to *envp (a NULL-terminated,
 * malloc'ed vector; a later NAME replaces an earlier one): from the
 * space-separated list a key holds, or from the file it names (one
 * entry a line; blank lines and # comments skipped; path as above).
 */
int		 inifile_env(const struct ini_sect *, const char *, char ***);
int		 inifile_env_file(const struct ini_sect *, const char *,
		    char ***);

/*
 * "FILE: [SECTION] KEY: " then fmt, for a section (or a bare file when
 * is_name is NULL: then no section and no key).
 */
int		 inifile_verr(const struct ini_sect *, const char *,
		    const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
const char	*inifile_errstr(void);

#endif /* INIFILE_H */
