/*
 * log.c -- one line per event on stderr: "LEVEL func: key=value ...".
 * One write(2) per line so lines of different threads never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static enum log_level	 log_min = LOG_INFO;
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

static void
log_vemit(const char *level, const char *func, const char *fmt, va_list ap)
{
	char	 line[2048];
	int	 n, m;

	n = snprintf(line, sizeof(line), "%s %s: ", level, func);
	if (n < 0)
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
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
