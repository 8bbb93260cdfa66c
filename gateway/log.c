/*
 * log.c -- one line per event on stderr, in logfmt:
 *
 *	level=warn at=request_fail fn=hog status=502 request_id=... msg="..."
 *
 * Callers write "key=value ... [free text]"; the leading key=value words
 * pass as they are (a ':' that ends the last one is dropped) and the
 * rest becomes msg="...", quoted and escaped, so that every line parses
 * as key=value pairs.  A time= stamp leads each line unless stderr is
 * the journal (JOURNAL_STREAM names it), which stamps lines itself.
 * One write(2) per line so lines of different threads never interleave.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level	 log_min = LOG_INFO;
static int		 log_stamp = -1;	/* -1: not decided yet */
static const char *const log_names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level l)
{
	log_min = l;
}

int
log_parse_level(const char *s, enum log_level *l)
{
	size_t	i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcasecmp(s, log_names[i]) == 0) {
			*l = (enum log_level)i;
			return 0;
		}
	return -1;
}

static void	log_vemit(const char *, const char *, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

/* Is stderr the journal?  systemd sets JOURNAL_STREAM to "DEV:INO". */
static int
log_to_journal(void)
{
	const char		*js = getenv("JOURNAL_STREAM");
	struct stat		 st;
	unsigned long long	 dev, ino;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/* key=value: a lower-case key, then '=' and a value without spaces. */
static size_t
log_kv_len(const char *p)
{
	const char	*q = p;

	if (!((*q >= 'a' && *q <= 'z') || *q == '_'))
		return 0;
	while ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
	    *q == '_' || *q == '.')
		q++;
	if (*q++ != '=')
		return 0;
	if (*q == '"') {
		/* A quoted value, as schedule.c writes a schedule. */
		for (q++; *q != '\0' && *q != '"'; q++)
			if (*q == '\\' && q[1] != '\0')
				q++;
		if (*q != '"')
			return 0;
		q++;
		return *q == '\0' || *q == ' ' || *q == ':' ?
		    (size_t)(q - p) + (*q == ':') : 0;
	}
	while (*q != '\0' && *q != ' ')
		q++;
	return (size_t)(q - p);
}

/* Append s to out as logfmt (see the top of the file). */
static size_t
log_fmt(char *out, size_t size, const char *s)
{
	size_t	n = 0, k;
	int	c;

#define PUT(ch) do { if (n + 1 < size) out[n++] = (ch); } while (0)
	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0' || (k = log_kv_len(s)) == 0)
			break;
		if (n > 0)
			PUT(' ');
		if (s[k - 1] == ':' && (s[k] == ' ' || s[k] == '\0')) {
			for (; k > 1; k--, s++)
				PUT(*s);
			s++;		/* the ':' */
			while (*s == ' ')
				s++;
			break;		/* what follows is the message */
		}
		for (; k > 0; k--, s++)
			PUT(*s);
	}
	if (*s != '\0') {
		if (n > 0)
			PUT(' ');
		PUT('m');
		PUT('s');
		PUT('g');
		PUT('=');
		PUT('"');
		for (; *s != '\0' && n + 3 < size; s++) {
			c = (unsigned char)*s;
			if (c == '"' || c == '\\') {
				PUT('\\');
				PUT(c);
			} else if (c == '\n') {
				PUT('\\');
				PUT('n');
			} else if (c < 0x20 || c == 0x7f)
				PUT('?');
			else
				PUT(c);
		}
		PUT('"');
	}
#undef PUT
	out[n] = '\0';
	return n;
}

static void
log_vemit(const char *level, const char *func, const char *fmt, va_list ap)
{
	char		 msg[2048], line[4200];
	struct timespec	 ts;
	struct tm	 tm;
	int		 n;

	if (log_stamp == -1)
		log_stamp = !log_to_journal();
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	n = 0;
	if (log_stamp) {
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		(void)gmtime_r(&ts.tv_sec, &tm);
		n = (int)strftime(line, sizeof(line), "time=%Y-%m-%dT%H:%M:%S",
		    &tm);
		n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ldZ ",
		    ts.tv_nsec / 1000000);
	}
	n += snprintf(line + n, sizeof(line) - (size_t)n, "level=%s at=%s ",
	    level, func);
	if ((size_t)n >= sizeof(line) - 2)
		return;
	n += (int)log_fmt(line + n, sizeof(line) - (size_t)n - 1, msg);
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

void
log_emit(enum log_level l, const char *func, const char *fmt, ...)
{
	va_list	ap;

	if (l < log_min)
		return;
	va_start(ap, fmt);
	log_vemit(log_names[l], func, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *func, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vemit("fatal", func, fmt, ap);
	va_end(ap);
	exit(2);
}
