/*
 * report.h -- the pure helpers of `fngw usage` (report.c) that the
 * html format is built from, exposed for the unit tests.  The report
 * itself is usage_report_main() in usage.h.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdint.h>

/*
 * src escaped for HTML text and attribute values: & < > " ' as
 * entities, control characters (C0 and DEL) as U+FFFD.  Like snprintf:
 * returns the length of the whole escaped string and writes as much as
 * fits in size (never half an entity), NUL-terminated when size > 0.
 */
size_t		 rpt_html_escape(char *, size_t, const char *);

/*
 * The y axis of the chart, in integer units (micro-currency): the
 * smallest step of 1, 2 or 5 x 10^k such that at most 5 steps reach
 * max; *top is the axis maximum (a multiple of step, >= max, >= 1).
 */
uint64_t	 rpt_axis_step(uint64_t, uint64_t *);

/* Decimals that print every multiple of step (micro-units) exactly. */
int		 rpt_axis_decimals(uint64_t);

/*
 * The height of v on an axis whose maximum top is px pixels tall, in
 * hundredths of a pixel, rounded half up; 0 when top is 0, at most
 * px x 100.  Integer arithmetic: v and top are exact costs.
 */
unsigned	 rpt_chart_scale(unsigned __int128, unsigned __int128,
		    unsigned);

#endif /* REPORT_H */
