/*
 * status.c -- the status page: JSON, or Prometheus text exposition
 * (version 0.0.4) with ?format=prometheus.  Read from pool.c's counters
 * and answered on the loop; a request for it is not a function's and
 * has no usage row.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "config.h"
#include "front.h"
#include "pool.h"
#include "request.h"
#include "status.h"
#include "usage.h"
#include "util.h"

int
status_match(const struct config *cf, const char *path, size_t len)
{
	return cf->cf_status_path != NULL &&
	    strlen(cf->cf_status_path) == len &&
	    memcmp(cf->cf_status_path, path, len) == 0;
}

/* An address as 16 bytes: IPv4 (and IPv4-mapped IPv6) as ::ffff:a.b.c.d. */
static int
status_addr(const char *s, unsigned char out[16])
{
	unsigned char	v4[4];

	if (s == NULL)
		return -1;
	if (inet_pton(AF_INET, s, v4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

static int
status_allowed(const struct config *cf, const char *remote)
{
	unsigned char	 a[16], b[16];
	size_t		 i;

	if (status_addr(remote, a) == -1)
		return 0;
	for (i = 0; cf->cf_status_allow != NULL &&
	    cf->cf_status_allow[i] != NULL; i++)
		if (status_addr(cf->cf_status_allow[i], b) == 0 &&
		    memcmp(a, b, 16) == 0)
			return 1;
	return 0;
}

static void
status_json(struct buf *b, const struct config *cf,
    const struct usage_stats *us)
{
	struct pool_stats	 ps;
	const struct fn		*fn;
	size_t			 i, o;

	(void)buf_printf(b, "{\"node\":");
	buf_json_str(b, cf->cf_node);
	(void)buf_printf(b, ",\"functions\":[");
	for (i = 0; pool_stats(i, &ps) == 0; i++) {
		fn = ps.ps_fn;
		(void)buf_printf(b, "%s{\"name\":", i ? "," : "");
		buf_json_str(b, fn->fn_name);
		(void)buf_printf(b, ",\"mode\":\"%s\",\"tenant\":",
		    fn->fn_mode == FN_CGI ? "cgi" : "fastcgi");
		if (fn->fn_tenant != NULL)
			buf_json_str(b, fn->fn_tenant->t_name);
		else
			(void)buf_printf(b, "null");
		(void)buf_printf(b, ",\"concurrency\":%d,\"min_instances\":"
		    "%d,\"instances\":{\"busy\":%lu,\"idle\":%lu,"
		    "\"starting\":%lu,\"stopping\":%lu},\"queue\":%lu,"
		    "\"waiting\":%lu,\"started\":%lu,\"start_failures\":%lu,"
		    "\"recycled\":%lu,\"requests\":{", fn->fn_concurrency,
		    fn->fn_mode == FN_CGI ? 0 : fn->fn_min_instances,
		    ps.ps_inst_busy, ps.ps_inst_idle, ps.ps_inst_starting,
		    ps.ps_inst_stopping, ps.ps_queued, ps.ps_waiting,
		    ps.ps_started, ps.ps_start_failures, ps.ps_recycled);
		for (o = 0; o < POOL_OUTCOMES; o++)
			(void)buf_printf(b, "%s\"%s\":%lu", o ? "," : "",
			    pool_outcome_name(o), ps.ps_outcomes[o]);
		(void)buf_printf(b, "},\"cold_starts\":%lu,\"duration_ms\":"
		    "{\"count\":%lu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f}}",
		    ps.ps_cold_starts, ps.ps_timed, ps.ps_p50_us / 1000.0,
		    ps.ps_p90_us / 1000.0, ps.ps_p99_us / 1000.0);
	}
	(void)buf_printf(b, "],\"usage_backlog\":%lu,\"usage_writable\":%s,"
	    "\"usage_rows\":%lu,\"usage_commits\":%lu,"
	    "\"usage_spilled_rows\":%lu}\n", us->us_backlog,
	    us->us_writable ? "true" : "false", us->us_rows, us->us_commits,
	    us->us_spilled);
}

static void
status_prometheus(struct buf *b, const struct usage_stats *us)
{
	static const char *const states[] = { "busy", "idle", "starting",
	    "stopping" };
	static const double	 qs[] = { 0.5, 0.9, 0.99 };
	struct pool_stats	 ps;
	const char		*n;
	uint64_t		 q[3];
	size_t			 i, k;

	(void)buf_printf(b, "# HELP fngw_instances Function processes by "
	    "state.\n# TYPE fngw_instances gauge\n");
	for (i = 0; pool_stats(i, &ps) == 0; i++) {
		unsigned long	v[4];

		v[0] = ps.ps_inst_busy;
		v[1] = ps.ps_inst_idle;
		v[2] = ps.ps_inst_starting;
		v[3] = ps.ps_inst_stopping;
		for (k = 0; k < 4; k++)
			(void)buf_printf(b, "fngw_instances{function=\"%s\","
			    "state=\"%s\"} %lu\n", ps.ps_fn->fn_name, states[k],
			    v[k]);
	}
	(void)buf_printf(b, "# HELP fngw_queue_length Requests waiting for "
	    "a slot.\n# TYPE fngw_queue_length gauge\n");
	for (i = 0; pool_stats(i, &ps) == 0; i++)
		(void)buf_printf(b, "fngw_queue_length{function=\"%s\"} %lu\n",
		    ps.ps_fn->fn_name, ps.ps_queued);
	(void)buf_printf(b, "# HELP fngw_requests_total Requests by outcome."
	    "\n# TYPE fngw_requests_total counter\n");
	for (i = 0; pool_stats(i, &ps) == 0; i++)
		for (k = 0; k < POOL_OUTCOMES; k++)
			(void)buf_printf(b, "fngw_requests_total{function="
			    "\"%s\",outcome=\"%s\"} %lu\n", ps.ps_fn->fn_name,
			    pool_outcome_name(k), ps.ps_outcomes[k]);
	(void)buf_printf(b, "# HELP fngw_cold_starts_total Requests that "
	    "waited for a new instance.\n"
	    "# TYPE fngw_cold_starts_total counter\n");
	for (i = 0; pool_stats(i, &ps) == 0; i++)
		(void)buf_printf(b, "fngw_cold_starts_total{function=\"%s\"} "
		    "%lu\n", ps.ps_fn->fn_name, ps.ps_cold_starts);
	(void)buf_printf(b, "# HELP fngw_instance_starts_total Instances "
	    "started, and those that failed to start.\n"
	    "# TYPE fngw_instance_starts_total counter\n");
	for (i = 0; pool_stats(i, &ps) == 0; i++)
		(void)buf_printf(b, "fngw_instance_starts_total{function="
		    "\"%s\",result=\"ok\"} %lu\nfngw_instance_starts_total{"
		    "function=\"%s\",result=\"failed\"} %lu\n",
		    ps.ps_fn->fn_name, ps.ps_started - ps.ps_start_failures,
		    ps.ps_fn->fn_name, ps.ps_start_failures);
	(void)buf_printf(b, "# HELP fngw_duration_seconds Invocation "
	    "durations.\n# TYPE fngw_duration_seconds summary\n");
	for (i = 0; pool_stats(i, &ps) == 0; i++) {
		n = ps.ps_fn->fn_name;
		q[0] = ps.ps_p50_us;
		q[1] = ps.ps_p90_us;
		q[2] = ps.ps_p99_us;
		for (k = 0; k < 3; k++)
			(void)buf_printf(b, "fngw_duration_seconds{function="
			    "\"%s\",quantile=\"%g\"} %.6f\n", n, qs[k],
			    q[k] / 1e6);
		(void)buf_printf(b, "fngw_duration_seconds_sum{function="
		    "\"%s\"} %.6f\nfngw_duration_seconds_count{function="
		    "\"%s\"} %lu\n", n, ps.ps_sum_us / 1e6, n, ps.ps_timed);
	}
	(void)buf_printf(b, "# HELP fngw_usage_backlog Usage rows not yet "
	    "committed.\n# TYPE fngw_usage_backlog gauge\n"
	    "fngw_usage_backlog %lu\n", us->us_backlog);
	(void)buf_printf(b, "# HELP fngw_usage_writable 1 when the usage "
	    "ledger takes rows, 0 while they go to the spill file.\n"
	    "# TYPE fngw_usage_writable gauge\nfngw_usage_writable %d\n",
	    us->us_writable != 0);
	(void)buf_printf(b, "# HELP fngw_usage_rows_total Usage rows "
	    "committed to the ledger.\n# TYPE fngw_usage_rows_total counter\n"
	    "fngw_usage_rows_total %lu\n", us->us_rows);
	(void)buf_printf(b, "# HELP fngw_usage_commits_total Transactions "
	    "that committed them (rows per commit: the group).\n"
	    "# TYPE fngw_usage_commits_total counter\n"
	    "fngw_usage_commits_total %lu\n", us->us_commits);
	(void)buf_printf(b, "# HELP fngw_usage_spilled_rows_total Usage rows "
	    "written to the spill file while the ledger could not take "
	    "them.\n# TYPE fngw_usage_spilled_rows_total counter\n"
	    "fngw_usage_spilled_rows_total %lu\n", us->us_spilled);
}

void
status_serve(struct request *rq, const char *remote,
    const struct usage_stats *us)
{
	struct buf	 b = { 0 };
	const char	*q = rq->rq_query;
	int		 prom;

	if (!status_allowed(rq->rq_cf, remote)) {
		request_reject(rq, 403, "forbidden", "the status page is not "
		    "open to this address");
		return;
	}
	prom = q != NULL && (strcmp(q, "format=prometheus") == 0 ||
	    strstr(q, "&format=prometheus") != NULL ||
	    strncmp(q, "format=prometheus&", 18) == 0);
	(void)buf_printf(&b, "Status: 200 OK\r\nContent-Type: %s\r\n"
	    "X-Request-Id: %s\r\nCache-Control: no-store\r\n\r\n",
	    prom ? "text/plain; version=0.0.4; charset=utf-8" :
	    "application/json", rq->rq_reqid);
	if (prom)
		status_prometheus(&b, us);
	else
		status_json(&b, rq->rq_cf, us);
	rq->rq_status = 200;
	rq->rq_hdr_sent = 1;
	if (b.b_data != NULL)
		(void)front_stdout(rq, b.b_data, b.b_len);
	buf_free(&b);
	front_end(rq);
}
