/*
 * report_html.c -- `fngw usage --format html`: one self-contained page
 * (no script, no link, no image, no font) with the cost per day as a
 * stacked bar chart in inline SVG, and the report's table beneath.
 * Every string from the ledgers is escaped; the chart's geometry is
 * integer arithmetic on the exact costs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

#define RPT_SERIES_MAX	12	/* colours; more series: the rest is other */
#define RPT_PLOT_H	300	/* px */
#define RPT_TOP		40	/* px above the plot: the title */
#define RPT_LEFT	96	/* px left of the plot: y labels and title */
#define RPT_RIGHT	24
#define RPT_BELOW	86	/* px below the plot: day labels, x title */
#define RPT_LEGEND_ROW	18
#define RPT_LEGEND_NAME	48	/* bytes of a name the legend shows */
#define RPT_UNIT_DIV	((unsigned __int128)1000000 * RPT_MBMS_PER_GBS)
				/* cost units in one micro-unit of money */

static const char *const rpt_colors[RPT_SERIES_MAX] = {
	"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
	"#b07aa1", "#ff9da7", "#9c755f", "#499894", "#86bcb6", "#bab0ac",
};

/* The entity for byte c, or NULL when it stands for itself. */
static const char *
rpt_html_entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	}
	if (c < 0x20 || c == 0x7f)
		return "&#xfffd;";
	return NULL;
}

size_t
rpt_html_escape(char *dst, size_t size, const char *src)
{
	const char	*e;
	char		 one[2] = { '\0', '\0' };
	size_t		 len = 0, used = 0, n;

	for (; *src != '\0'; src++) {
		if ((e = rpt_html_entity((unsigned char)*src)) == NULL) {
			one[0] = *src;
			e = one;
		}
		n = strlen(e);
		if (used == len && len + n < size) {	/* all fit so far */
			memcpy(dst + len, e, n);
			used += n;
		}
		len += n;
	}
	if (size > 0)
		dst[used] = '\0';
	return len;
}

/* s, escaped, on stdout. */
static void
rpt_html_puts(const char *s)
{
	const char	*e;

	for (; *s != '\0'; s++)
		if ((e = rpt_html_entity((unsigned char)*s)) != NULL)
			fputs(e, stdout);
		else
			putchar(*s);
}

uint64_t
rpt_axis_step(uint64_t max, uint64_t *top)
{
	static const uint64_t	 mant[] = { 1, 2, 5 };
	uint64_t		 pow = 1, step = 1;
	int			 i;

	if (max == 0)
		max = 1;
	for (;;) {
		for (i = 0; i < 3; i++) {
			step = mant[i] * pow;
			if (max / step + (max % step != 0) <= 5) {
				*top = step * (max / step + (max % step != 0));
				return step;
			}
		}
		if (pow > UINT64_MAX / 10 / 5) {	/* cannot happen */
			*top = max;
			return max;
		}
		pow *= 10;
	}
}

int
rpt_axis_decimals(uint64_t step)
{
	int	 d = 6;

	while (d > 0 && step != 0 && step % 10 == 0) {
		step /= 10;
		d--;
	}
	return d;
}

unsigned
rpt_chart_scale(unsigned __int128 v, unsigned __int128 top, unsigned px)
{
	unsigned __int128	 h;

	if (top == 0)
		return 0;
	if (v >= top)
		return px * 100;
	h = (v * px * 100 + top / 2) / top;
	return (unsigned)h;
}

/* micro-units of money with d decimals: 1500 with 4 is "0.0015". */
static void
rpt_micro_str(char *buf, size_t size, uint64_t v, int d)
{
	uint64_t	 div = 1;
	int		 i;

	for (i = 0; i < 6 - d; i++)
		div *= 10;
	v /= div;
	if (d == 0)
		(void)snprintf(buf, size, "%llu", (unsigned long long)v);
	else {
		for (div = 1, i = 0; i < d; i++)
			div *= 10;
		(void)snprintf(buf, size, "%llu.%0*llu",
		    (unsigned long long)(v / div), d,
		    (unsigned long long)(v % div));
	}
}

/* Hundredths of a pixel as an SVG number. */
static void
rpt_px(unsigned v)
{
	if (v % 100 == 0)
		printf("%u", v / 100);
	else
		printf("%u.%02u", v / 100, v % 100);
}

/* Days since the epoch of "YYYY-MM-DD"; -1 if it is not one. */
static long
rpt_day_num(const char *s)
{
	int64_t	 us;

	if (s == NULL || rpt_parse_date(s, &us) == -1 || us < 0)
		return -1;
	return (long)(us / 86400000000LL);
}

struct rpt_series {
	const char		*s_name;	/* NULL: no tenant */
	unsigned __int128	 s_cost;
	int			 s_slot;	/* colour, stacking order */
};

static int
rpt_series_namecmp(const void *va, const void *vb)
{
	const struct rpt_series	*a = va, *b = vb;

	return rpt_keycmp(a->s_name, b->s_name);
}

/* The costliest first (at the bottom of each bar), then by name. */
static int
rpt_series_costcmp(const void *va, const void *vb)
{
	const struct rpt_series	*a = va, *b = vb;

	if (a->s_cost != b->s_cost)
		return a->s_cost > b->s_cost ? -1 : 1;
	return rpt_keycmp(a->s_name, b->s_name);
}

static struct rpt_series *
rpt_series_find(struct rpt_series *ser, size_t n, const char *name)
{
	struct rpt_series	 key;

	key.s_name = name;
	return bsearch(&key, ser, n, sizeof(*ser), rpt_series_namecmp);
}

/* A series' name: escaped, cut at a character boundary if long. */
static void
rpt_series_name(const char *name, int is_tenant, size_t max)
{
	char	 buf[RPT_LEGEND_NAME + 1];
	size_t	 n;

	if (name == NULL) {
		fputs(is_tenant ? "(no tenant)" : "(none)", stdout);
		return;
	}
	if ((n = strlen(name)) <= max || max > RPT_LEGEND_NAME) {
		rpt_html_puts(name);
		return;
	}
	n = max;
	while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, name, n);
	buf[n] = '\0';
	rpt_html_puts(buf);
	fputs("\xe2\x80\xa6", stdout);		/* U+2026 ellipsis */
}

/*
 * The series of the chart, unique, each with its total cost and its
 * slot (colour and place in the stack: the costliest at the bottom).
 * Beyond RPT_SERIES_MAX, the cheapest share the last slot, "other".
 * Returns the series sorted by name (for rpt_series_find) and, in
 * *bycost, the same sorted by cost (the legend's order).
 */
static struct rpt_series *
rpt_series_make(const struct rpt *c, size_t *np,
    struct rpt_series **bycost)
{
	struct rpt_series	*ser, *byc, *s;
	size_t			 n = 0, i;

	*bycost = NULL;
	if ((ser = calloc(c->r_ngroups + 1, sizeof(*ser))) == NULL ||
	    (byc = calloc(c->r_ngroups + 1, sizeof(*byc))) == NULL) {
		free(ser);
		return NULL;
	}
	for (i = 0; i < c->r_ngroups; i++)
		ser[i].s_name = c->r_groups[i].g_key[1];
	qsort(ser, c->r_ngroups, sizeof(*ser), rpt_series_namecmp);
	for (i = 0; i < c->r_ngroups; i++)
		if (n == 0 || rpt_keycmp(ser[n - 1].s_name,
		    ser[i].s_name) != 0)
			ser[n++] = ser[i];
	for (i = 0; i < c->r_ngroups; i++) {
		s = rpt_series_find(ser, n, c->r_groups[i].g_key[1]);
		s->s_cost += c->r_groups[i].g_cost;
	}
	memcpy(byc, ser, n * sizeof(*ser));
	qsort(byc, n, sizeof(*byc), rpt_series_costcmp);
	for (i = 0; i < n; i++) {
		byc[i].s_slot = n > RPT_SERIES_MAX && i >= RPT_SERIES_MAX - 1 ?
		    RPT_SERIES_MAX - 1 : (int)i;
		rpt_series_find(ser, n, byc[i].s_name)->s_slot =
		    byc[i].s_slot;
	}
	*np = n;
	*bycost = byc;
	return ser;
}

/* The x axis: a label under every few bars, the title. */
static void
rpt_html_days(long d0, long nd, unsigned slot)
{
	struct tm	 tm;
	time_t		 t;
	char		 day[32];
	unsigned	 x, y = RPT_TOP + RPT_PLOT_H, every;
	long		 d;

	every = (16 + slot - 1) / slot;
	printf("<g class=\"x-axis\">\n<line x1=\"%u\" x2=\"%u\" y1=\"%u\""
	    " y2=\"%u\"/>\n", RPT_LEFT, RPT_LEFT + (unsigned)nd * slot, y, y);
	for (d = 0; d < nd; d += every) {
		t = (time_t)(d0 + d) * 86400;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
			continue;
		x = RPT_LEFT + (unsigned)d * slot + slot / 2;
		printf("<text x=\"%u\" y=\"%u\" text-anchor=\"end\""
		    " transform=\"rotate(-45 %u %u)\">%s</text>\n",
		    x, y + 14, x, y + 14, day);
	}
	printf("<text class=\"axis-title\" x=\"%u\" y=\"%u\""
	    " text-anchor=\"middle\">day (UTC)</text>\n</g>\n",
	    RPT_LEFT + (unsigned)nd * slot / 2, y + RPT_BELOW - 4);
}

/* The y axis: grid lines at each step, labelled, and the title. */
static void
rpt_html_yaxis(uint64_t step, uint64_t top_micro, unsigned __int128 top,
    unsigned plot_w, const char *currency)
{
	char		 num[64];
	unsigned	 y;
	uint64_t	 v;
	int		 dec = rpt_axis_decimals(step);

	printf("<g class=\"y-axis\">\n");
	for (v = 0; v <= top_micro; v += step) {
		y = (RPT_TOP + RPT_PLOT_H) * 100 - rpt_chart_scale(
		    (unsigned __int128)v * RPT_UNIT_DIV, top, RPT_PLOT_H);
		rpt_micro_str(num, sizeof(num), v, dec);
		printf("<line class=\"grid\" x1=\"%u\" x2=\"%u\" y1=\"",
		    RPT_LEFT, RPT_LEFT + plot_w);
		rpt_px(y);
		printf("\" y2=\"");
		rpt_px(y);
		printf("\"/><text x=\"%u\" y=\"", RPT_LEFT - 6);
		rpt_px(y + 400);
		printf("\" text-anchor=\"end\">%s</text>\n", num);
		if (top_micro - v < step)
			break;
	}
	printf("<text class=\"axis-title\" transform=\"translate(18 %u)"
	    " rotate(-90)\" text-anchor=\"middle\">cost (",
	    RPT_TOP + RPT_PLOT_H / 2);
	rpt_html_puts(currency[0] != '\0' ? currency : "no price recorded");
	printf(")</text>\n</g>\n");
}

/*
 * One day's bar: a <rect class="bar"> per slot with a cost, stacked
 * from the axis up; the rounding is of the running sum, so the
 * segments meet and the bar's top is exactly its total.
 */
static void
rpt_html_bar(const char *day, unsigned x, unsigned barw,
    const unsigned __int128 *slotcost, const struct rpt_series *byc,
    size_t nser, int is_tenant, unsigned __int128 top, const char *cur)
{
	unsigned __int128	 cum = 0;
	unsigned		 ybot, ytop;
	char			 cost[64];
	int			 k;

	for (k = 0; k < RPT_SERIES_MAX && (size_t)k < nser; k++) {
		if (slotcost[k] == 0)
			continue;
		ybot = (RPT_TOP + RPT_PLOT_H) * 100 -
		    rpt_chart_scale(cum, top, RPT_PLOT_H);
		cum += slotcost[k];
		ytop = (RPT_TOP + RPT_PLOT_H) * 100 -
		    rpt_chart_scale(cum, top, RPT_PLOT_H);
		rpt_cost_str(cost, sizeof(cost), slotcost[k]);
		printf("<rect class=\"bar\" x=\"%u\" y=\"", x);
		rpt_px(ytop);
		printf("\" width=\"%u\" height=\"", barw);
		rpt_px(ybot - ytop);
		printf("\" fill=\"%s\" data-day=\"%s\" data-series=\"",
		    rpt_colors[k], day);
		if (nser > RPT_SERIES_MAX && k == RPT_SERIES_MAX - 1)
			fputs("(other)", stdout);
		else
			rpt_series_name(byc[k].s_name, is_tenant, SIZE_MAX);
		printf("\" data-cost=\"%s\"><title>%s ", cost, day);
		if (nser > RPT_SERIES_MAX && k == RPT_SERIES_MAX - 1)
			fputs("(other)", stdout);
		else
			rpt_series_name(byc[k].s_name, is_tenant, SIZE_MAX);
		printf(": %s ", cost);
		rpt_html_puts(cur);
		printf("</title></rect>\n");
	}
}

/* The legend, under the chart, in stacking order with each total. */
static void
rpt_html_legend(const struct rpt_series *byc, size_t nser, int is_tenant,
    const char *cur)
{
	unsigned __int128	 other = 0;
	unsigned		 y = RPT_TOP + RPT_PLOT_H + RPT_BELOW + 8;
	char			 cost[64];
	size_t			 i;

	printf("<g class=\"legend\">\n");
	for (i = 0; i < nser; i++) {
		if (nser > RPT_SERIES_MAX && i >= RPT_SERIES_MAX - 1) {
			other += byc[i].s_cost;
			if (i + 1 < nser)
				continue;
		}
		printf("<rect class=\"swatch\" x=\"%u\" y=\"%u\" width=\"12\""
		    " height=\"12\" fill=\"%s\"/><text x=\"%u\" y=\"%u\">",
		    RPT_LEFT, y, rpt_colors[byc[i].s_slot], RPT_LEFT + 18,
		    y + 10);
		if (nser > RPT_SERIES_MAX && i >= RPT_SERIES_MAX - 1) {
			printf("other (%zu more)", nser - RPT_SERIES_MAX + 1);
			rpt_cost_str(cost, sizeof(cost), other);
		} else {
			rpt_series_name(byc[i].s_name, is_tenant,
			    RPT_LEGEND_NAME);
			rpt_cost_str(cost, sizeof(cost), byc[i].s_cost);
		}
		printf(" \xe2\x80\x94 %s ", cost);
		rpt_html_puts(cur);
		printf("</text>\n");
		y += RPT_LEGEND_ROW;
	}
	printf("</g>\n");
}

/*
 * The chart: c's groups are (day, series), merged and sorted by day.
 * One bar per day from the first day with usage to the last (days
 * without are gaps), the y axis from 0 to a round amount.
 */
static int
rpt_html_chart(const struct rpt *c, int is_tenant, const char *cur)
{
	struct rpt_series	*ser, *byc;
	unsigned __int128	 slotcost[RPT_SERIES_MAX], max = 0, day, top;
	uint64_t		 top_micro, step, maxmicro;
	size_t			 nser = 0, i, j;
	long			 d0 = -1, d1 = -1, d, nd;
	unsigned		 slot, barw, w, h, nslots;
	const char		*what = is_tenant ? "tenant" : "function";

	if ((ser = rpt_series_make(c, &nser, &byc)) == NULL)
		return -1;
	for (i = 0; i < c->r_ngroups; i = j) {
		day = 0;
		for (j = i; j < c->r_ngroups && rpt_keycmp(c->r_groups[j].
		    g_key[0], c->r_groups[i].g_key[0]) == 0; j++)
			day += c->r_groups[j].g_cost;
		if (day > max)
			max = day;
		if ((d = rpt_day_num(c->r_groups[i].g_key[0])) == -1)
			continue;
		if (d0 == -1 || d < d0)
			d0 = d;
		if (d > d1)
			d1 = d;
	}
	maxmicro = (uint64_t)((max + RPT_UNIT_DIV - 1) / RPT_UNIT_DIV);
	step = rpt_axis_step(maxmicro, &top_micro);
	top = (unsigned __int128)top_micro * RPT_UNIT_DIV;

	nd = d0 == -1 ? 1 : d1 - d0 + 1;
	slot = 900 / (unsigned)(nd > 900 ? 900 : nd);
	slot = slot > 48 ? 48 : slot < 2 ? 2 : slot;
	barw = slot * 3 / 4;
	w = RPT_LEFT + (unsigned)nd * slot + RPT_RIGHT;
	w = w < 560 ? 560 : w;
	nslots = nser > RPT_SERIES_MAX ? RPT_SERIES_MAX : (unsigned)nser;
	h = RPT_TOP + RPT_PLOT_H + RPT_BELOW + 8 +
	    (nslots > 0 ? nslots : 1) * RPT_LEGEND_ROW + 8;

	printf("<svg class=\"chart\" width=\"%u\" height=\"%u\""
	    " viewBox=\"0 0 %u %u\" role=\"img\""
	    " aria-labelledby=\"chart-title\">\n"
	    "<title id=\"chart-title\">Cost per day by %s</title>\n"
	    "<text class=\"title\" x=\"%u\" y=\"24\">Cost per day (UTC) by"
	    " %s</text>\n", w, h, w, h, what, RPT_LEFT, what);
	rpt_html_yaxis(step, top_micro, top, (unsigned)nd * slot, cur);
	rpt_html_days(d0 == -1 ? 0 : d0, nd, slot);
	printf("<g class=\"bars\">\n");
	for (i = 0; i < c->r_ngroups; i = j) {
		memset(slotcost, 0, sizeof(slotcost));
		for (j = i; j < c->r_ngroups && rpt_keycmp(c->r_groups[j].
		    g_key[0], c->r_groups[i].g_key[0]) == 0; j++)
			slotcost[rpt_series_find(ser, nser, c->r_groups[j].
			    g_key[1])->s_slot] += c->r_groups[j].g_cost;
		if ((d = rpt_day_num(c->r_groups[i].g_key[0])) == -1)
			continue;
		rpt_html_bar(c->r_groups[i].g_key[0], RPT_LEFT +
		    (unsigned)(d - d0) * slot + (slot - barw) / 2, barw,
		    slotcost, byc, nser, is_tenant, top, cur);
	}
	printf("</g>\n");
	if (max == 0)
		printf("<text class=\"empty\" x=\"%u\" y=\"%u\""
		    " text-anchor=\"middle\">no cost in this range</text>\n",
		    RPT_LEFT + (unsigned)nd * slot / 2,
		    RPT_TOP + RPT_PLOT_H / 2);
	rpt_html_legend(byc, nser, is_tenant, cur);
	printf("</svg>\n");
	free(ser);
	free(byc);
	return 0;
}

static const char rpt_html_style[] =
"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}\n"
"h1{font-size:20px;margin:0 0 4px}\n"
"p.meta{color:#555;margin:0 0 16px}\n"
"svg.chart{display:block;margin:0 0 24px;overflow:visible}\n"
"svg.chart text{font-size:11px;fill:#333}\n"
"svg.chart text.title{font-size:14px;font-weight:600}\n"
"svg.chart text.axis-title{font-size:12px}\n"
"svg.chart line{stroke:#999;stroke-width:1}\n"
"svg.chart line.grid{stroke:#e3e3e3}\n"
"table{border-collapse:collapse}\n"
"th,td{padding:3px 10px;border-bottom:1px solid #e3e3e3;"
"white-space:nowrap}\n"
"th{text-align:left;border-bottom:2px solid #999}\n"
"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
"tfoot td{font-weight:600;border-top:2px solid #999}\n";

/*
 * The html format: one page, nothing external (no script, no link, no
 * image, no font), every string from the ledgers escaped.  The chart
 * comes from c (keys day and the series); the table is r's, the same
 * rows as the other formats.
 */
int
rpt_print_html(struct rpt *r, const struct rpt *c, int is_tenant,
    const char **dbs, size_t ndb)
{
	struct rpt_group	 total;
	char			 val[RPT_NVALS][64], when[32];
	size_t			 i;
	int			 k, n = r->r_nkeys;

	memset(&total, 0, sizeof(total));
	for (i = 0; i < r->r_ngroups; i++)
		if (rpt_fold(&total, &r->r_groups[i]) == -1)
			return -1;
	printf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>fngw usage</title>\n"
	    "<style>\n%s</style>\n</head>\n<body>\n<h1>fngw usage</h1>\n"
	    "<p class=\"meta\">", rpt_html_style);
	for (i = 0; i < ndb; i++) {
		fputs(i == 0 ? "Ledger" : ", ", stdout);
		if (i == 0 && ndb > 1)
			putchar('s');
		if (i == 0)
			putchar(' ');
		rpt_html_puts(dbs[i]);
	}
	if (r->r_from != INT64_MIN) {
		rpt_time_str(when, sizeof(when), r->r_from);
		printf("; from %s (inclusive)", when);
	}
	if (r->r_to != INT64_MAX) {
		rpt_time_str(when, sizeof(when), r->r_to);
		printf("; to %s (exclusive)", when);
	}
	printf(".</p>\n");
	if (rpt_html_chart(c, is_tenant, total.g_currency) == -1)
		return -1;
	printf("<table>\n<thead><tr>");
	for (k = 0; k < n; k++)
		printf("<th>%s</th>", rpt_key_names[r->r_key[k]]);
	for (k = 0; k < RPT_NVALS; k++)
		printf("<th class=\"num\">%s</th>", rpt_val_names[k]);
	printf("</tr></thead>\n<tbody>\n");
	for (i = 0; i <= r->r_ngroups; i++) {
		const struct rpt_group *g = i < r->r_ngroups ?
		    &r->r_groups[i] : &total;

		if (i == r->r_ngroups)
			printf("</tbody>\n<tfoot>\n");
		rpt_values(g, val);
		printf("<tr>");
		for (k = 0; k < n; k++) {
			printf("<td>");
			rpt_html_puts(g == &total ? (k == 0 ? "TOTAL" : "") :
			    g->g_key[k] == NULL ? "-" : g->g_key[k]);
			printf("</td>");
		}
		for (k = 0; k < RPT_NVALS; k++)
			printf("<td class=\"num\">%s%s", val[k],
			    k < RPT_NVALS - 1 || g->g_currency[0] == '\0' ?
			    "</td>" : " ");
		if (g->g_currency[0] != '\0') {
			rpt_html_puts(g->g_currency);
			printf("</td>");
		}
		printf("</tr>\n");
	}
	printf("</tfoot>\n</table>\n</body>\n</html>\n");
	return 0;
}
