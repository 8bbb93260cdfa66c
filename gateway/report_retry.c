/*
 * report_retry.c -- `fngw usage --retried`: the requests that ran more
 * than once, over the ledgers of several nodes.  Behind one nginx
 * upstream a request that nginx passed to a second node after the
 * first one had run it (a read timeout, http_5xx in
 * fastcgi_next_upstream) has a row in each ledger under one request
 * id; each row is billed.  Each ledger's rows in the range are read
 * sorted by request id (SQLite's sorter, which spills to disk) and the
 * sorted streams merged, so memory holds only the requests listed.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "usage.h"

/* One ledger: its sorted stream of (request_id, id, outcome). */
struct rty_src {
	const char		*s_path;	/* borrowed */
	sqlite3			*s_db;
	sqlite3_stmt		*s_ids, *s_row;
	struct rpt_period	*s_per;
	size_t			 s_nper;
	int			 s_live;	/* s_ids is on a row */
};

/* One invocation of a request that ran more than once. */
struct rty_inv {
	size_t		 i_src;			/* its ledger */
	int64_t		 i_rowid;
	int64_t		 i_at;
	char		*i_node, *i_fn, *i_tenant, *i_outcome;
	int		 i_charged;
	unsigned __int128 i_cost;
	char		 i_currency[16];
};

/* A request that ran more than once, or a total (id NULL). */
struct rty_req {
	char		*q_id;
	int64_t		 q_at;			/* its first invocation */
	char		*q_fns, *q_tenants, *q_nodes, *q_outcomes;
	uint64_t	 q_requests, q_invocations, q_charged;
	unsigned __int128 q_cost, q_extra;
	char		 q_currency[16];
};

struct rty {
	struct rty_req	*t_req;
	size_t		 t_n, t_cap;
	struct rty_req	 t_total;		/* of those listed */
	uint64_t	 t_all_requests, t_all_invocations, t_all_charged;
};

static int
rty_charged(const char *outcome)
{
	/* As report.c: rejected and throttled requests never ran. */
	return outcome == NULL || (strcmp(outcome, "rejected") != 0 &&
	    strcmp(outcome, "throttled") != 0);
}

static char *
rty_strdup(const unsigned char *s)
{
	return strdup(s == NULL ? "" : (const char *)s);
}

/*
 * Append s to the comma-separated list *list; when distinct, only if
 * it is not in it yet.  -1 on ENOMEM.
 */
static int
rty_list_add(char **list, const char *s, int distinct)
{
	char	*p, *q;
	size_t	 have, len = strlen(s);

	if (*list == NULL)
		return (*list = strdup(s)) == NULL ? -1 : 0;
	if (distinct)
		for (p = *list; p != NULL; p = q == NULL ? NULL : q + 1) {
			q = strchr(p, ',');
			if ((size_t)((q == NULL ? p + strlen(p) : q) - p) ==
			    len && strncmp(p, s, len) == 0)
				return 0;
		}
	have = strlen(*list);
	if ((p = realloc(*list, have + len + 2)) == NULL)
		return -1;
	p[have] = ',';
	memcpy(p + have + 1, s, len + 1);
	*list = p;
	return 0;
}

static void
rty_inv_free(struct rty_inv *v)
{
	free(v->i_node);
	free(v->i_fn);
	free(v->i_tenant);
	free(v->i_outcome);
}

static void
rty_req_free(struct rty_req *q)
{
	free(q->q_id);
	free(q->q_fns);
	free(q->q_tenants);
	free(q->q_nodes);
	free(q->q_outcomes);
}

/* Add src's money to dst's; -1 (after a message) on mixed currencies. */
static int
rty_add_cost(char *dst, unsigned __int128 *cost, const char *src,
    unsigned __int128 v)
{
	if (src[0] != '\0') {
		if (dst[0] == '\0')
			(void)strcpy(dst, src);
		else if (strcmp(dst, src) != 0) {
			fprintf(stderr, "fngw usage: prices in %s and %s cannot"
			    " be added; narrow --from/--to\n", dst, src);
			return -1;
		}
	}
	*cost += v;
	return 0;
}

/*
 * Row id of ledger s in full, with its cost at the prices of its time,
 * into v (its strings: free them with rty_inv_free).  -1 after a
 * message, with nothing left to free.
 */
static int
rty_fetch(struct rty_src *s, int64_t id, struct rty_inv *v)
{
	const struct rpt_period	*p = NULL;
	uint64_t		 mbms;
	size_t			 k;
	int			 rc;

	memset(v, 0, sizeof(*v));
	sqlite3_reset(s->s_row);
	sqlite3_bind_int64(s->s_row, 1, id);
	if ((rc = sqlite3_step(s->s_row)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			fprintf(stderr, "fngw usage: %s: row %lld is gone\n",
			    s->s_path, (long long)id);
		else
			fprintf(stderr, "fngw usage: %s: %s\n", s->s_path,
			    sqlite3_errmsg(s->s_db));
		return -1;
	}
	v->i_at = sqlite3_column_int64(s->s_row, 0);
	if ((v->i_node = rty_strdup(sqlite3_column_text(s->s_row, 1))) ==
	    NULL || (v->i_fn = rty_strdup(sqlite3_column_text(s->s_row,
	    2))) == NULL || (sqlite3_column_type(s->s_row, 3) !=
	    SQLITE_NULL && (v->i_tenant = rty_strdup(sqlite3_column_text(
	    s->s_row, 3))) == NULL) || (v->i_outcome = rty_strdup(
	    sqlite3_column_text(s->s_row, 4))) == NULL) {
		fprintf(stderr, "fngw usage: %s\n", strerror(errno));
		rty_inv_free(v);
		return -1;
	}
	v->i_charged = rty_charged(v->i_outcome);
	mbms = (uint64_t)sqlite3_column_int64(s->s_row, 5);
	for (k = 0; k < s->s_nper; k++)
		if (v->i_at >= s->s_per[k].p_lo && v->i_at < s->s_per[k].p_hi)
			p = &s->s_per[k];
	if (p != NULL && p->p_priced) {
		(void)strcpy(v->i_currency, p->p_currency);
		v->i_cost = (unsigned __int128)v->i_charged *
		    p->p_per_request * RPT_MBMS_PER_GBS +
		    (unsigned __int128)mbms * p->p_per_gb_second;
	}
	return 0;
}

static int
rty_invcmp(const void *va, const void *vb)
{
	const struct rty_inv	*a = va, *b = vb;

	return (a->i_at > b->i_at) - (a->i_at < b->i_at);
}

/*
 * One request with n > 1 invocations (v, n): sum it up, in the order
 * they started, and list it.  extra is the cost of all but the last
 * one: the tries whose answer the client never got.
 */
static int
rty_list(struct rty *t, const char *id, struct rty_inv *v, size_t n)
{
	struct rty_req	*q;
	size_t		 i, cap;

	qsort(v, n, sizeof(*v), rty_invcmp);
	if (t->t_n == t->t_cap) {
		cap = t->t_cap == 0 ? 16 : t->t_cap * 2;
		if ((q = reallocarray(t->t_req, cap, sizeof(*q))) == NULL)
			goto nomem;
		t->t_req = q;
		t->t_cap = cap;
	}
	q = &t->t_req[t->t_n++];
	memset(q, 0, sizeof(*q));
	if ((q->q_id = strdup(id)) == NULL)
		goto nomem;
	q->q_at = v[0].i_at;
	q->q_requests = 1;
	for (i = 0; i < n; i++) {
		if (rty_list_add(&q->q_fns, v[i].i_fn, 1) == -1 ||
		    (v[i].i_tenant != NULL && rty_list_add(&q->q_tenants,
		    v[i].i_tenant, 1) == -1) ||
		    rty_list_add(&q->q_nodes, v[i].i_node, 0) == -1 ||
		    rty_list_add(&q->q_outcomes, v[i].i_outcome, 0) == -1)
			goto nomem;
		q->q_invocations++;
		q->q_charged += (uint64_t)v[i].i_charged;
		if (rty_add_cost(q->q_currency, &q->q_cost, v[i].i_currency,
		    v[i].i_cost) == -1 || (i + 1 < n &&
		    rty_add_cost(q->q_currency, &q->q_extra, v[i].i_currency,
		    v[i].i_cost) == -1))
			return -1;
	}
	t->t_total.q_requests++;
	t->t_total.q_invocations += q->q_invocations;
	t->t_total.q_charged += q->q_charged;
	if (rty_add_cost(t->t_total.q_currency, &t->t_total.q_cost,
	    q->q_currency, q->q_cost) == -1 ||
	    rty_add_cost(t->t_total.q_currency, &t->t_total.q_extra,
	    q->q_currency, q->q_extra) == -1)
		return -1;
	return 0;
nomem:
	fprintf(stderr, "fngw usage: %s\n", strerror(errno));
	return -1;
}

/* The request id ledger s's stream is on (live). */
static const char *
rty_cur(struct rty_src *s)
{
	const unsigned char	*id = sqlite3_column_text(s->s_ids, 0);

	return id == NULL ? "" : (const char *)id;
}

/* Step ledger s's sorted stream; -1 after a message. */
static int
rty_next(struct rty_src *s)
{
	int	 rc;

	if ((rc = sqlite3_step(s->s_ids)) == SQLITE_ROW) {
		s->s_live = 1;
		return 0;
	}
	s->s_live = 0;
	if (rc == SQLITE_DONE)
		return 0;
	fprintf(stderr, "fngw usage: %s: %s\n", s->s_path,
	    sqlite3_errmsg(s->s_db));
	return -1;
}

static int
rty_open(struct rty_src *s, const char *path, const struct rpt *r)
{
	int64_t	 lo = r->r_from, hi = r->r_to;

	s->s_path = path;
	if ((s->s_db = rpt_open(path)) == NULL ||
	    rpt_periods(s->s_db, path, &s->s_per, &s->s_nper) == -1)
		return -1;
	/* The hour bounds let SQLite seek in the rollup index (report.c). */
	if (sqlite3_prepare_v2(s->s_db, "SELECT request_id, id, outcome"
	    " FROM invocations WHERE started_at / 3600000000 BETWEEN ?3"
	    " AND ?4 AND started_at >= ?1 AND started_at < ?2"
	    " ORDER BY request_id", -1, &s->s_ids, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->s_db, "SELECT started_at, node, function,"
	    " tenant, outcome, coalesce(memory_mb, 0) * coalesce(billed_ms,"
	    " 0) FROM invocations WHERE id = ?1", -1, &s->s_row,
	    NULL) != SQLITE_OK) {
		fprintf(stderr, "fngw usage: %s: %s\n", path,
		    sqlite3_errmsg(s->s_db));
		return -1;
	}
	sqlite3_bind_int64(s->s_ids, 1, lo);
	sqlite3_bind_int64(s->s_ids, 2, hi);
	sqlite3_bind_int64(s->s_ids, 3, lo / USAGE_HOUR_US);
	sqlite3_bind_int64(s->s_ids, 4, (hi - 1) / USAGE_HOUR_US);
	return rty_next(s);
}

static void
rty_close(struct rty_src *s)
{
	sqlite3_finalize(s->s_ids);
	sqlite3_finalize(s->s_row);
	sqlite3_close(s->s_db);		/* ends the read transaction */
	free(s->s_per);
}

/*
 * Merge the sorted streams: each run of one request id over all of
 * them is one request; count them all, list those with more than one
 * invocation.
 */
static int
rty_merge(struct rty *t, struct rty_src *src, size_t ndb)
{
	struct rty_inv	*v = NULL, *nv;
	char		*id = NULL, *nid;
	const char	*cur, *min;
	size_t		 i, n, cap = 0, vcap = 0, len;
	int		 ret = -1;

	for (;;) {
		for (i = 0, min = NULL; i < ndb; i++)
			if (src[i].s_live && (cur = rty_cur(&src[i]),
			    min == NULL || strcmp(cur, min) < 0))
				min = cur;
		if (min == NULL)
			break;
		/* Keep the id: stepping the stream it came from frees it. */
		if ((len = strlen(min) + 1) > cap) {
			if ((nid = realloc(id, len)) == NULL)
				goto nomem;
			id = nid;
			cap = len;
		}
		memcpy(id, min, len);
		for (i = 0, n = 0; i < ndb; i++)
			while (src[i].s_live &&
			    strcmp(id, rty_cur(&src[i])) == 0) {
				if (n == vcap) {
					vcap = vcap == 0 ? 4 : vcap * 2;
					if ((nv = reallocarray(v, vcap,
					    sizeof(*v))) == NULL)
						goto nomem;
					v = nv;
				}
				/* Only the rowid and outcome, until we
				 * know the id has more than one row. */
				memset(&v[n], 0, sizeof(v[n]));
				v[n].i_src = i;
				v[n].i_rowid = sqlite3_column_int64(
				    src[i].s_ids, 1);
				v[n].i_charged = rty_charged((const char *)
				    sqlite3_column_text(src[i].s_ids, 2));
				n++;
				if (rty_next(&src[i]) == -1)
					goto out;
			}
		t->t_all_requests++;
		t->t_all_invocations += n;
		for (i = 0; i < n; i++)
			t->t_all_charged += (uint64_t)v[i].i_charged;
		if (n < 2)
			continue;
		for (i = 0; i < n; i++)
			if (rty_fetch(&src[v[i].i_src], v[i].i_rowid,
			    &v[i]) == -1) {
				while (i-- > 0)
					rty_inv_free(&v[i]);
				goto out;
			}
		ret = rty_list(t, id, v, n);
		for (i = 0; i < n; i++)
			rty_inv_free(&v[i]);
		if (ret == -1)
			goto out;
		ret = -1;
	}
	ret = 0;
	goto out;
nomem:
	fprintf(stderr, "fngw usage: %s\n", strerror(errno));
out:
	free(id);
	free(v);
	return ret;
}

/* The columns, request_id .. extra_cost; csv adds currency. */
#define RTY_NCOL	11

static const char *const rty_col[RTY_NCOL] = { "request_id", "started_at",
    "function", "tenant", "nodes", "outcomes", "requests", "invocations",
    "charged", "cost", "extra_cost" };

#define RTY_NTEXT	6	/* the text columns come first */

enum rty_kind { RTY_REQ, RTY_TOTAL, RTY_ALL };

/*
 * The cells of one line: q (a request, or the TOTAL of those listed),
 * or the ALL line of t (every request in the range; no cost).  NULL
 * cells are empty.  With table, a cost has its currency.
 */
static void
rty_cells(const struct rty *t, const struct rty_req *q, enum rty_kind kind,
    int table, const char *cell[RTY_NCOL], char buf[RTY_NCOL][96])
{
	char	 cost[64];
	int	 k;

	for (k = 0; k < RTY_NCOL; k++)
		cell[k] = NULL;
	if (kind == RTY_ALL) {
		cell[0] = "ALL";
		(void)snprintf(buf[6], 96, "%llu",
		    (unsigned long long)t->t_all_requests);
		(void)snprintf(buf[7], 96, "%llu",
		    (unsigned long long)t->t_all_invocations);
		(void)snprintf(buf[8], 96, "%llu",
		    (unsigned long long)t->t_all_charged);
		for (k = 6; k <= 8; k++)
			cell[k] = buf[k];
		return;
	}
	if (kind == RTY_TOTAL)
		cell[0] = "TOTAL";
	else {
		cell[0] = q->q_id;
		rpt_time_str(buf[1], 96, q->q_at);
		cell[1] = buf[1];
		cell[2] = q->q_fns;
		cell[3] = q->q_tenants != NULL ? q->q_tenants :
		    table ? "-" : NULL;
		cell[4] = q->q_nodes;
		cell[5] = q->q_outcomes;
	}
	(void)snprintf(buf[6], 96, "%llu", (unsigned long long)q->q_requests);
	(void)snprintf(buf[7], 96, "%llu",
	    (unsigned long long)q->q_invocations);
	(void)snprintf(buf[8], 96, "%llu", (unsigned long long)q->q_charged);
	for (k = 9; k <= 10; k++) {
		rpt_cost_str(cost, sizeof(cost), k == 9 ? q->q_cost :
		    q->q_extra);
		(void)snprintf(buf[k], 96, "%s%s%s", cost, table &&
		    q->q_currency[0] != '\0' ? " " : "",
		    table ? q->q_currency : "");
	}
	for (k = 6; k < RTY_NCOL; k++)
		cell[k] = buf[k];
}

static void
rty_line(const struct rty *t, const struct rty_req *q, enum rty_kind kind,
    enum rpt_format fmt, const size_t *w)
{
	const char	*cell[RTY_NCOL];
	char		 buf[RTY_NCOL][96];
	int		 k, last;

	rty_cells(t, q, kind, fmt == FMT_TABLE, cell, buf);
	if (fmt == FMT_TABLE) {
		/* No trailing blanks: up to the last cell with a value. */
		for (last = RTY_NCOL - 1; last > 0 && cell[last] == NULL;
		    last--)
			;
		for (k = 0; k <= last; k++) {
			if (k < RTY_NTEXT)
				printf("%-*s", (int)w[k], cell[k] == NULL ?
				    "" : cell[k]);
			else
				printf("%*s", (int)w[k], cell[k] == NULL ?
				    "" : cell[k]);
			if (k < last)
				fputs("  ", stdout);
		}
		putchar('\n');
	} else if (fmt == FMT_CSV) {
		for (k = 0; k < RTY_NCOL; k++)
			rpt_csv_field(cell[k], 0);
		rpt_csv_field(kind == RTY_ALL ? NULL : q->q_currency, 1);
	} else {
		putchar('{');
		if (kind != RTY_REQ)
			printf("\"%s\":true,", kind == RTY_ALL ? "all" :
			    "total");
		for (k = kind == RTY_REQ ? 0 : RTY_NTEXT; k < RTY_NTEXT; k++) {
			printf("\"%s\":", rty_col[k]);
			rpt_json_str(cell[k]);
			putchar(',');
		}
		/* Counts as numbers; money as strings, to stay exact. */
		for (k = RTY_NTEXT; k < RTY_NCOL; k++) {
			if (cell[k] == NULL)
				break;
			printf("%s\"%s\":", k == RTY_NTEXT ? "" : ",",
			    rty_col[k]);
			if (k < 9)
				fputs(cell[k], stdout);
			else
				rpt_json_str(cell[k]);
		}
		if (kind != RTY_ALL) {
			fputs(",\"currency\":", stdout);
			rpt_json_str(q->q_currency);
		}
		putchar('}');
	}
}

static int
rty_reqcmp(const void *va, const void *vb)
{
	const struct rty_req	*a = va, *b = vb;

	if (a->q_at != b->q_at)
		return (a->q_at > b->q_at) - (a->q_at < b->q_at);
	return strcmp(a->q_id, b->q_id);
}

static void
rty_print(struct rty *t, enum rpt_format fmt)
{
	const char	*cell[RTY_NCOL];
	char		 buf[RTY_NCOL][96];
	size_t		 w[RTY_NCOL] = { 0 }, i, len;
	int		 k;

	if (t->t_n > 1)		/* qsort's base must not be NULL */
		qsort(t->t_req, t->t_n, sizeof(*t->t_req), rty_reqcmp);
	if (fmt == FMT_TABLE) {
		for (k = 0; k < RTY_NCOL; k++)
			w[k] = strlen(rty_col[k]);
		for (i = 0; i < t->t_n + 2; i++) {
			rty_cells(t, i < t->t_n ? &t->t_req[i] : &t->t_total,
			    i < t->t_n ? RTY_REQ : i == t->t_n ? RTY_TOTAL :
			    RTY_ALL, 1, cell, buf);
			for (k = 0; k < RTY_NCOL; k++)
				if (cell[k] != NULL &&
				    (len = strlen(cell[k])) > w[k])
					w[k] = len;
		}
		for (k = 0; k < RTY_NCOL; k++)
			printf(k < RTY_NTEXT ? "%-*s%s" : "%*s%s", (int)w[k],
			    rty_col[k], k < RTY_NCOL - 1 ? "  " : "\n");
	} else if (fmt == FMT_CSV) {
		for (k = 0; k < RTY_NCOL; k++)
			printf("%s,", rty_col[k]);
		printf("currency\n");
	} else
		putchar('[');
	for (i = 0; i < t->t_n; i++) {
		rty_line(t, &t->t_req[i], RTY_REQ, fmt, w);
		if (fmt == FMT_JSON)
			printf(",\n");
	}
	rty_line(t, &t->t_total, RTY_TOTAL, fmt, w);
	if (fmt == FMT_JSON)
		printf(",\n");
	rty_line(t, NULL, RTY_ALL, fmt, w);
	if (fmt == FMT_JSON)
		printf("]\n");
}

/*
 * --retried: the requests in r's range with more than one row over the
 * ledgers dbs, each with its invocations summed up, then their TOTAL
 * and ALL, the requests and invocations of the whole range.  -1 after
 * a message on stderr.
 */
int
rpt_retried(const struct rpt *r, const char **dbs, size_t ndb)
{
	struct rty_src	*src;
	struct rty	 t;
	size_t		 i;
	int		 ret = -1;

	memset(&t, 0, sizeof(t));
	if ((src = calloc(ndb, sizeof(*src))) == NULL) {
		fprintf(stderr, "fngw usage: %s\n", strerror(errno));
		return -1;
	}
	for (i = 0; i < ndb; i++)
		if (rty_open(&src[i], dbs[i], r) == -1)
			goto out;
	if (rty_merge(&t, src, ndb) == -1)
		goto out;
	rty_print(&t, r->r_format);
	ret = 0;
out:
	for (i = 0; i < ndb; i++)
		rty_close(&src[i]);
	free(src);
	for (i = 0; i < t.t_n; i++)
		rty_req_free(&t.t_req[i]);
	free(t.t_req);
	rty_req_free(&t.t_total);
	return ret;
}
