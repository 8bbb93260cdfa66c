/*
 * spill_test.c -- usage rows to the spill file and back: every field,
 * awkward strings, a line cut short by a crash, malformed lines.
 */
#include "spill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "usage.h"

static struct usage_row *
row(const char *id, const char *path, const char *tenant)
{
	struct usage_row	*r = usage_row_new();

	if (r == NULL)
		abort();
	(void)snprintf(r->ur_request_id, sizeof(r->ur_request_id), "%s", id);
	r->ur_started_at = 1764316800123456LL;
	r->ur_function = strdup("hello");
	r->ur_tenant = tenant ? strdup(tenant) : NULL;
	r->ur_trigger = "http";
	r->ur_method = strdup("GET");
	r->ur_path = strdup(path);
	r->ur_status = 503;
	r->ur_outcome = "throttled";
	r->ur_queue_us = 1;
	r->ur_duration_us = 2;
	r->ur_billed_ms = 3;
	r->ur_memory_mb = 128;
	r->ur_cpu_user_us = 5;
	r->ur_cpu_sys_us = 6;
	r->ur_max_rss_kb = 7;
	r->ur_bytes_in = 8;
	r->ur_bytes_out = 18446744073709551615ULL;
	r->ur_cold_start = 1;
	r->ur_init_us = 10;
	r->ur_exit_code = -1;
	r->ur_signal = 9;
	return r;
}

static int
same(const struct usage_row *a, const struct usage_row *b)
{
	return strcmp(a->ur_request_id, b->ur_request_id) == 0 &&
	    a->ur_started_at == b->ur_started_at &&
	    strcmp(a->ur_function, b->ur_function) == 0 &&
	    ((a->ur_tenant == NULL && b->ur_tenant == NULL) ||
	    (a->ur_tenant != NULL && b->ur_tenant != NULL &&
	    strcmp(a->ur_tenant, b->ur_tenant) == 0)) &&
	    strcmp(a->ur_trigger, b->ur_trigger) == 0 &&
	    strcmp(a->ur_method, b->ur_method) == 0 &&
	    strcmp(a->ur_path, b->ur_path) == 0 &&
	    a->ur_status == b->ur_status &&
	    strcmp(a->ur_outcome, b->ur_outcome) == 0 &&
	    a->ur_queue_us == b->ur_queue_us &&
	    a->ur_duration_us == b->ur_duration_us &&
	    a->ur_billed_ms == b->ur_billed_ms &&
	    a->ur_memory_mb == b->ur_memory_mb &&
	    a->ur_cpu_user_us == b->ur_cpu_user_us &&
	    a->ur_cpu_sys_us == b->ur_cpu_sys_us &&
	    a->ur_max_rss_kb == b->ur_max_rss_kb &&
	    a->ur_bytes_in == b->ur_bytes_in &&
	    a->ur_bytes_out == b->ur_bytes_out &&
	    a->ur_cold_start == b->ur_cold_start &&
	    a->ur_init_us == b->ur_init_us &&
	    a->ur_exit_code == b->ur_exit_code &&
	    a->ur_signal == b->ur_signal;
}

int
main(void)
{
	struct usage_row	*a, *b, *got, *r;
	char			 path[] = "/tmp/spill_test.XXXXXX", *line;
	unsigned long		 bad;
	int			 fd, err, n;
	FILE			*f;

	a = row("req-1", "/a\tb\nc\\d", NULL);
	line = spill_format(a);
	ok(line != NULL && strchr(line, '\t') != NULL &&
	    strchr(line, '\n') == line + strlen(line) - 1,
	    "a row is one line, tab-separated");
	line[strlen(line) - 1] = '\0';
	got = spill_parse(line);
	ok(got != NULL && same(a, got), "it parses back to the same row, "
	    "tab, newline, backslash and a NULL tenant included");
	usage_row_free(got);
	ok(spill_parse("x\t1\tf") == NULL, "too few fields: refused");
	line[0] = '\\';
	line[1] = 'q';
	ok(spill_parse(line) == NULL, "a bad escape: refused");
	free(line);

	if ((fd = mkstemp(path)) == -1)
		abort();
	(void)close(fd);
	(void)unlink(path);
	got = spill_read(path, &err, &bad);
	ok(got == NULL && err == 0, "no file: no rows, no error");

	b = row("req-2", "/ok", "acme");
	a->ur_next = b;
	ok(spill_append(path, a) == 0 && spill_append(path, b) == 0,
	    "appended twice");
	/* A crash mid-append: half a line at the end. */
	if ((f = fopen(path, "a")) == NULL)
		abort();
	fputs("req-3\t17\thel", f);
	fclose(f);
	got = spill_read(path, &err, &bad);
	for (n = 0, r = got; r != NULL; r = r->ur_next)
		n++;
	ok(err == 0 && n == 3 && bad == 1, "three rows back, the cut line "
	    "counted as bad (n=%d bad=%lu)", n, bad);
	ok(got != NULL && same(got, a) && same(got->ur_next, b) &&
	    same(got->ur_next->ur_next, b), "in the order they were written");
	while (got != NULL) {
		r = got->ur_next;
		usage_row_free(got);
		got = r;
	}
	(void)unlink(path);
	a->ur_next = NULL;
	usage_row_free(a);
	usage_row_free(b);
	return done_testing();
}
