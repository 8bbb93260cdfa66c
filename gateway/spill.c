/*
 * spill.c -- the spill file of usage rows: see spill.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spill.h"
#include "usage.h"
#include "util.h"

#define SPILL_FIELDS	22

static void
spill_str(struct buf *b, const char *s)
{
	if (s == NULL) {
		(void)buf_append(b, "\\N", 2);
		return;
	}
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			(void)buf_append(b, "\\\\", 2);
		else if (*s == '\t')
			(void)buf_append(b, "\\t", 2);
		else if (*s == '\n')
			(void)buf_append(b, "\\n", 2);
		else
			(void)buf_append(b, s, 1);
	}
}

char *
spill_format(const struct usage_row *r)
{
	struct buf	b = { 0 };
	char		*s;

	spill_str(&b, r->ur_request_id);
	(void)buf_printf(&b, "\t%" PRId64 "\t", r->ur_started_at);
	spill_str(&b, r->ur_function);
	(void)buf_append(&b, "\t", 1);
	spill_str(&b, r->ur_tenant);
	(void)buf_append(&b, "\t", 1);
	spill_str(&b, r->ur_trigger);
	(void)buf_append(&b, "\t", 1);
	spill_str(&b, r->ur_method);
	(void)buf_append(&b, "\t", 1);
	spill_str(&b, r->ur_path);
	(void)buf_printf(&b, "\t%d\t", r->ur_status);
	spill_str(&b, r->ur_outcome);
	(void)buf_printf(&b, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%"
	    PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%"
	    PRIu64 "\t%d\t%" PRIu64 "\t%d\t%d\n", r->ur_queue_us,
	    r->ur_duration_us, r->ur_billed_ms, r->ur_memory_mb,
	    r->ur_cpu_user_us, r->ur_cpu_sys_us, r->ur_max_rss_kb,
	    r->ur_bytes_in, r->ur_bytes_out, r->ur_cold_start, r->ur_init_us,
	    r->ur_exit_code, r->ur_signal);
	if (b.b_data == NULL || buf_append(&b, "", 1) == -1) {
		buf_free(&b);
		return NULL;
	}
	s = (char *)b.b_data;
	return s;
}

/* The static strings a row points to, by value. */
static const char *
spill_static(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return *set;
	return NULL;
}

static const char *const spill_triggers[] = { "http", "cron", "cli", NULL };
static const char *const spill_outcomes[] = { "ok", "error", "timeout",
	"crash", "limit", "aborted", "throttled", "rejected", NULL };

/* Unescape field f in place; -1 on a bad escape.  "\N" is NULL. */
static int
spill_unescape(char *f, char **out)
{
	char	*w = f, *r = f;

	if (strcmp(f, "\\N") == 0) {
		*out = NULL;
		return 0;
	}
	for (; *r != '\0'; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		switch (*++r) {
		case '\\':
			*w++ = '\\';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'n':
			*w++ = '\n';
			break;
		default:
			return -1;
		}
	}
	*w = '\0';
	*out = f;
	return 0;
}

static int
spill_u64(const char *s, uint64_t *v)
{
	char	*end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

static int
spill_int(const char *s, int *v)
{
	char	*end;
	long	 l;

	errno = 0;
	l = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || l < -1 ||
	    l > 1000000)
		return -1;
	*v = (int)l;
	return 0;
}

struct usage_row *
spill_parse(const char *line)
{
	struct usage_row	*r;
	char			*copy, *f[SPILL_FIELDS], *p, *s[6];
	uint64_t		 n[11];
	size_t			 i;
	int64_t			 started;
	int			 ok = 0;

	if ((copy = strdup(line)) == NULL)
		return NULL;
	for (i = 0, p = copy; i < SPILL_FIELDS; i++) {
		f[i] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	if (i != SPILL_FIELDS - 1 || (r = usage_row_new()) == NULL) {
		free(copy);
		return NULL;
	}
	/* Fields: 0 id, 1 started, 2 function, 3 tenant, 4 trigger,
	 * 5 method, 6 path, 7 status, 8 outcome, 9-17 numbers,
	 * 18 cold_start, 19 init_us, 20 exit_code, 21 signal. */
	if (spill_unescape(f[0], &s[0]) == -1 || s[0] == NULL ||
	    strlen(s[0]) >= sizeof(r->ur_request_id) ||
	    spill_unescape(f[2], &s[1]) == -1 || s[1] == NULL ||
	    spill_unescape(f[3], &s[2]) == -1 ||
	    spill_unescape(f[5], &s[3]) == -1 || s[3] == NULL ||
	    spill_unescape(f[6], &s[4]) == -1 || s[4] == NULL ||
	    (r->ur_trigger = spill_static(f[4], spill_triggers)) == NULL ||
	    (r->ur_outcome = spill_static(f[8], spill_outcomes)) == NULL)
		goto out;
	errno = 0;
	started = strtoll(f[1], &p, 10);
	if (errno != 0 || *p != '\0' || p == f[1] ||
	    spill_int(f[7], &r->ur_status) == -1 ||
	    spill_int(f[18], &r->ur_cold_start) == -1 ||
	    spill_int(f[20], &r->ur_exit_code) == -1 ||
	    spill_int(f[21], &r->ur_signal) == -1)
		goto out;
	for (i = 0; i < 9; i++)
		if (spill_u64(f[9 + i], &n[i]) == -1)
			goto out;
	if (spill_u64(f[19], &n[9]) == -1)
		goto out;
	(void)snprintf(r->ur_request_id, sizeof(r->ur_request_id), "%s",
	    s[0]);
	r->ur_started_at = started;
	r->ur_queue_us = n[0];
	r->ur_duration_us = n[1];
	r->ur_billed_ms = n[2];
	r->ur_memory_mb = n[3];
	r->ur_cpu_user_us = n[4];
	r->ur_cpu_sys_us = n[5];
	r->ur_max_rss_kb = n[6];
	r->ur_bytes_in = n[7];
	r->ur_bytes_out = n[8];
	r->ur_init_us = n[9];
	if ((r->ur_function = strdup(s[1])) == NULL ||
	    (s[2] != NULL && (r->ur_tenant = strdup(s[2])) == NULL) ||
	    (r->ur_method = strdup(s[3])) == NULL ||
	    (r->ur_path = strdup(s[4])) == NULL)
		goto out;
	ok = 1;
out:
	free(copy);
	if (!ok) {
		usage_row_free(r);
		return NULL;
	}
	return r;
}

int
spill_append(const char *path, const struct usage_row *list)
{
	struct buf	 b = { 0 };
	char		*line;
	ssize_t		 n;
	off_t		 size = -1;
	int		 fd, rc = -1, e;

	for (; list != NULL; list = list->ur_next) {
		if ((line = spill_format(list)) == NULL) {
			buf_free(&b);
			errno = ENOMEM;
			return -1;
		}
		(void)buf_append(&b, line, strlen(line));
		free(line);
	}
	if (b.b_data == NULL)
		return 0;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		buf_free(&b);
		return -1;
	}
	if ((size = lseek(fd, 0, SEEK_END)) == -1)
		goto out;
	while (buf_avail(&b) > 0) {
		n = write(fd, b.b_data + b.b_off, buf_avail(&b));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		buf_consume(&b, (size_t)n);
	}
	if (fdatasync(fd) == 0)
		rc = 0;
out:
	e = errno;
	/* Half a batch (the disk filled up) is taken back: the next append
	 * must start on a line of its own. */
	if (rc == -1 && size != -1)
		(void)!ftruncate(fd, size);
	(void)close(fd);
	buf_free(&b);
	errno = e;
	return rc;
}

struct usage_row *
spill_read(const char *path, int *err, unsigned long *bad)
{
	struct usage_row	*head = NULL, **tail = &head, *r;
	FILE			*f;
	char			*line = NULL;
	size_t			 cap = 0;
	ssize_t			 n;

	*err = 0;
	*bad = 0;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno != ENOENT)
			*err = errno;
		return NULL;
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		else {
			(*bad)++;	/* the last line, cut short */
			continue;
		}
		if ((r = spill_parse(line)) == NULL) {
			(*bad)++;
			continue;
		}
		*tail = r;
		tail = &r->ur_next;
	}
	if (ferror(f))
		*err = EIO;
	free(line);
	(void)fclose(f);
	return head;
}
