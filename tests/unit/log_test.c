/*
 * log_test.c -- log.c's lines are logfmt: level= and at= first, the
 * caller's leading key=value words as they are (quoted values too), the
 * rest as msg="..." with quotes, backslashes and newlines escaped; a
 * time= stamp unless stderr is the journal (JOURNAL_STREAM).
 */
#include "log.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static char	 path[] = "/tmp/fngw-log-test.XXXXXX";
static char	 got[4096];

/* The last line log.c wrote (stderr is the file at path). */
static const char *
last(void)
{
	FILE	*f;
	char	 line[4096];

	got[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return got;
	while (fgets(line, sizeof(line), f) != NULL)
		memcpy(got, line, sizeof(got));
	(void)fclose(f);
	got[strcspn(got, "\n")] = '\0';
	return got;
}

static int
is(const char *want)
{
	const char	*g = last();

	if (strcmp(g, want) == 0)
		return 1;
	diag("got:  %s", g);
	diag("want: %s", want);
	return 0;
}

int
main(void)
{
	struct stat	 st;
	char		 js[64];
	int		 fd, saved;

	if ((fd = mkstemp(path)) == -1 || fstat(fd, &st) == -1)
		return 1;
	saved = dup(STDERR_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	/* Stderr is "the journal": no time= stamp. */
	(void)snprintf(js, sizeof(js), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	(void)setenv("JOURNAL_STREAM", js, 1);

	log_info("fn=%s status=%d outcome=%s", "hello", 200, "ok");
	ok(is("level=info at=main fn=hello status=200 outcome=ok"),
	    "key=value words pass as they are");
	log_warn("fn=hog request_id=abc: the function was killed: %s",
	    "signal 6");
	ok(is("level=warn at=main fn=hog request_id=abc msg=\"the function "
	    "was killed: signal 6\""), "the text after \"key=value:\" is msg");
	log_info("listening on %s with %d functions", "unix:/x", 3);
	ok(is("level=info at=main msg=\"listening on unix:/x with 3 "
	    "functions\""), "text alone is msg");
	log_info("fn=tick schedule=\"* * * * *\" next=2026");
	ok(is("level=info at=main fn=tick schedule=\"* * * * *\" next=2026"),
	    "a quoted value with spaces stays one pair");
	log_error("fn=x: say \"hi\"\\now\nnext\ttab");
	ok(is("level=error at=main fn=x msg=\"say \\\"hi\\\"\\\\now\\nnext?tab\""),
	    "quotes, backslashes and newlines are escaped, controls hidden");
	log_info("Fn=x a=b");
	ok(is("level=info at=main msg=\"Fn=x a=b\""),
	    "a key must be lower case: else it is all text");
	log_debug("fn=hidden");
	ok(is("level=info at=main msg=\"Fn=x a=b\""),
	    "debug lines are not written at the default level");

	(void)close(STDERR_FILENO);
	(void)dup2(saved, STDERR_FILENO);
	(void)unlink(path);
	return done_testing();
}
