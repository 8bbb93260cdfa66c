/*
 * mankeys_test.c -- the keys of fngw.ini(5), the loader and SPEC.md
 * agree.
 *
 * The loader's keys come from the loader itself (config_keys()), the
 * man page's from its ".It Cm KEY" lines under the ".Ss [section]"
 * headings of DESCRIPTION, and SPEC.md's from its ```ini block
 * ($FNGW_SPEC, else ../shared/SPEC.md beside the repository; skipped
 * when there is none).  Fails when the loader accepts a key the man
 * page does not document, when the man page documents a key the loader
 * does not accept, when a documented key does not say its default, and
 * when the loader accepts a key SPEC.md lacks; keys SPEC.md has and the
 * loader lacks are listed, not failed.  tests/fixtures/man-keys.txt
 * lists the differences allowed on purpose.  Run from the top of the
 * tree (prove does).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define MAN_PAGE	"man/fngw.ini.5"
#define ALLOW_FILE	"tests/fixtures/man-keys.txt"
#define SPEC_DEFAULT	"../shared/SPEC.md"
#define NSECTS		4
#define MAXKEYS		256
#define KEYLEN		64

static const char *const sect_names[NSECTS] = {
	"gateway", "billing", "tenant", "fn"
};

struct keyset {
	int	ks_sect[MAXKEYS];
	char	ks_key[MAXKEYS][KEYLEN];
	int	ks_flag[MAXKEYS];	/* man: says its default */
	size_t	ks_n;
};

static struct keyset	loader, man, spec, ahead, notinspec;

static int
set_find(const struct keyset *ks, int sect, const char *key)
{
	size_t	i;

	for (i = 0; i < ks->ks_n; i++)
		if (ks->ks_sect[i] == sect && strcmp(ks->ks_key[i], key) == 0)
			return (int)i;
	return -1;
}

static int
set_add(struct keyset *ks, int sect, const char *key, size_t len)
{
	char	k[KEYLEN];
	int	i;

	if (len >= KEYLEN || ks->ks_n >= MAXKEYS)
		return -1;
	memcpy(k, key, len);
	k[len] = '\0';
	if ((i = set_find(ks, sect, k)) != -1)
		return i;
	ks->ks_sect[ks->ks_n] = sect;
	memcpy(ks->ks_key[ks->ks_n], k, len + 1);
	ks->ks_flag[ks->ks_n] = 0;
	return (int)ks->ks_n++;
}

static int
sect_index(const char *name)
{
	int	i;

	for (i = 0; i < NSECTS; i++)
		if (strcmp(name, sect_names[i]) == 0)
			return i;
	return -1;
}

/* The section of a "[gateway]", "[tenant.acme]" or "[fn.X" text. */
static int
sect_of_header(const char *s)
{
	if (strncmp(s, "[gateway]", 9) == 0)
		return 0;
	if (strncmp(s, "[billing]", 9) == 0)
		return 1;
	if (strncmp(s, "[tenant.", 8) == 0)
		return 2;
	if (strncmp(s, "[fn.", 4) == 0)
		return 3;
	return -1;
}

static size_t
key_len(const char *s)
{
	size_t	n = 0;

	while ((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_' ||
	    (n > 0 && s[n] >= '0' && s[n] <= '9'))
		n++;
	return n;
}

static void
read_loader(void)
{
	const char *const	*keys;
	int			 s;
	size_t			 i;

	for (s = 0; s < NSECTS; s++) {
		keys = config_keys(sect_names[s]);
		ok(keys != NULL && keys[0] != NULL,
		    "the loader has keys for [%s]", sect_names[s]);
		for (i = 0; keys != NULL && keys[i] != NULL; i++)
			(void)set_add(&loader, s, keys[i], strlen(keys[i]));
	}
	ok(config_keys("nosuch") == NULL, "no keys for an unknown section");
}

/*
 * ".Ss [gateway]" opens a section's list, any other .Ss or .Sh closes
 * it; ".It Cm KEY" inside is a key, and the lines up to the next key
 * are its text, which must say its default (or that it is required).
 */
static int
read_man(void)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0, n;
	int	 cur = -1, last = -1;

	if ((fp = fopen(MAN_PAGE, "r")) == NULL)
		return -1;
	while (getline(&line, &cap, fp) != -1) {
		if (strncmp(line, ".Sh ", 4) == 0 ||
		    strncmp(line, ".Ss ", 4) == 0) {
			cur = line[2] == 's' ? sect_of_header(line + 4) : -1;
			last = -1;
			continue;
		}
		if (cur == -1)
			continue;
		if (strncmp(line, ".It Cm ", 7) == 0) {
			n = key_len(line + 7);
			last = set_add(&man, cur, line + 7, n);
			if (n == 0 || (line[7 + n] != ' ' &&
			    line[7 + n] != '\n'))
				ok(0, "%s: \"%.*s\" is a key", MAN_PAGE,
				    (int)strcspn(line, "\n"), line);
			continue;
		}
		if (last != -1 && (strstr(line, "default") != NULL ||
		    strstr(line, "Required") != NULL))
			man.ks_flag[last] = 1;
	}
	free(line);
	(void)fclose(fp);
	return 0;
}

/* The ```ini block: [section] lines and KEY = VALUE lines. */
static int
read_spec(const char *path)
{
	FILE		*fp;
	char		*line = NULL;
	const char	*s;
	size_t		 cap = 0, n;
	int		 in = 0, cur = -1, blocks = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (getline(&line, &cap, fp) != -1) {
		if (!in) {
			if (strncmp(line, "```ini", 6) == 0 && blocks++ == 0)
				in = 1;
			continue;
		}
		if (strncmp(line, "```", 3) == 0) {
			in = 0;
			continue;
		}
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '[') {
			if ((cur = sect_of_header(s)) == -1)
				diag("SPEC.md has a section fngw does not "
				    "know: %.*s", (int)strcspn(s, "\n"), s);
			continue;
		}
		if (cur == -1 || (n = key_len(s)) == 0)
			continue;
		if (s[n + strspn(s + n, " \t")] == '=')
			(void)set_add(&spec, cur, s, n);
	}
	free(line);
	(void)fclose(fp);
	return 0;
}

static int
read_allow(void)
{
	FILE		*fp;
	char		*line = NULL, kind[32], sect[32], key[KEYLEN];
	size_t		 cap = 0;
	int		 lineno = 0, s, rc = 0;
	struct keyset	*ks;

	if ((fp = fopen(ALLOW_FILE, "r")) == NULL)
		return -1;
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if (line[strspn(line, " \t\n")] == '\0' || line[0] == '#')
			continue;
		if (sscanf(line, "%31s %31s %63s", kind, sect, key) != 3 ||
		    (s = sect_index(sect)) == -1 ||
		    (strcmp(kind, "ahead") != 0 &&
		    strcmp(kind, "not-in-spec") != 0)) {
			ok(0, "%s line %d: not \"ahead|not-in-spec SECTION "
			    "KEY\"", ALLOW_FILE, lineno);
			rc = -1;
			continue;
		}
		ks = kind[0] == 'a' ? &ahead : &notinspec;
		(void)set_add(ks, s, key, strlen(key));
	}
	free(line);
	(void)fclose(fp);
	return rc;
}

static void
check_man(void)
{
	size_t	i;
	int	bad = 0, j;

	/* What the loader accepts is documented, with its default. */
	for (i = 0; i < loader.ks_n; i++) {
		j = set_find(&man, loader.ks_sect[i], loader.ks_key[i]);
		ok(j != -1, "[%s] %s is documented in fngw.ini(5)",
		    sect_names[loader.ks_sect[i]], loader.ks_key[i]);
		if (j != -1)
			ok(man.ks_flag[j], "  and says its default");
	}
	/* What is documented is accepted, or is listed as ahead. */
	for (i = 0; i < man.ks_n; i++) {
		if (set_find(&loader, man.ks_sect[i], man.ks_key[i]) != -1)
			continue;
		if (set_find(&ahead, man.ks_sect[i], man.ks_key[i]) != -1) {
			diag("[%s] %s is documented ahead of the loader",
			    sect_names[man.ks_sect[i]], man.ks_key[i]);
			continue;
		}
		ok(0, "fngw.ini(5) documents [%s] %s, which the loader does "
		    "not accept (nor does %s list it as ahead)",
		    sect_names[man.ks_sect[i]], man.ks_key[i], ALLOW_FILE);
		bad++;
	}
	if (bad == 0)
		ok(1, "every key fngw.ini(5) documents is accepted or "
		    "listed as ahead");
	/* An "ahead" line goes once the loader has the key. */
	for (i = 0; i < ahead.ks_n; i++) {
		ok(set_find(&loader, ahead.ks_sect[i], ahead.ks_key[i]) == -1,
		    "%s: [%s] %s is listed as ahead, and the loader does not "
		    "accept it yet", ALLOW_FILE, sect_names[ahead.ks_sect[i]],
		    ahead.ks_key[i]);
		ok(set_find(&man, ahead.ks_sect[i], ahead.ks_key[i]) != -1,
		    "  fngw.ini(5) documents it");
	}
}

static void
check_spec(void)
{
	const char	*path;
	size_t		 i;
	int		 bad = 0, in_spec;

	if ((path = getenv("FNGW_SPEC")) == NULL)
		path = SPEC_DEFAULT;
	if (read_spec(path) == -1) {
		ok(1, "# SKIP no SPEC.md at %s (set FNGW_SPEC)", path);
		return;
	}
	ok(spec.ks_n >= 20, "SPEC.md's ```ini block names keys (%zu)",
	    spec.ks_n);
	if (spec.ks_n < 20)
		return;
	/* What the loader accepts is in SPEC.md, or listed as not. */
	for (i = 0; i < loader.ks_n; i++) {
		in_spec = set_find(&spec, loader.ks_sect[i],
		    loader.ks_key[i]) != -1;
		if (set_find(&notinspec, loader.ks_sect[i],
		    loader.ks_key[i]) != -1) {
			if (in_spec)
				diag("%s lists [%s] %s as not in SPEC.md, "
				    "which has it now: remove the line",
				    ALLOW_FILE, sect_names[loader.ks_sect[i]],
				    loader.ks_key[i]);
			else
				diag("[%s] %s is not in SPEC.md (listed)",
				    sect_names[loader.ks_sect[i]],
				    loader.ks_key[i]);
			continue;
		}
		if (in_spec)
			continue;
		ok(0, "the loader accepts [%s] %s, which SPEC.md's INI block "
		    "lacks (add it there, or to %s as not-in-spec)",
		    sect_names[loader.ks_sect[i]], loader.ks_key[i],
		    ALLOW_FILE);
		bad++;
	}
	if (bad == 0)
		ok(1, "every key the loader accepts is in SPEC.md or listed");
	/* SPEC.md ahead of the code: said, not failed. */
	for (i = 0; i < spec.ks_n; i++)
		if (set_find(&loader, spec.ks_sect[i], spec.ks_key[i]) == -1)
			diag("SPEC.md has [%s] %s, which the loader does not "
			    "accept yet%s", sect_names[spec.ks_sect[i]],
			    spec.ks_key[i], set_find(&man, spec.ks_sect[i],
			    spec.ks_key[i]) != -1 ? " (fngw.ini(5) documents "
			    "it)" : "");
}

int
main(void)
{
	read_loader();
	ok(read_man() == 0, "%s is read", MAN_PAGE);
	ok(man.ks_n >= 20, "it documents keys (%zu)", man.ks_n);
	ok(read_allow() == 0, "%s is read", ALLOW_FILE);
	check_man();
	check_spec();
	return done_testing();
}
