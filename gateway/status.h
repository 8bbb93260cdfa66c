/*
 * status.h -- the status page at [gateway] status_path.
 *
 * JSON by default, Prometheus text with ?format=prometheus: per function
 * the invocations busy, the queue, requests by outcome, cold starts and
 * duration percentiles; the usage writer's backlog and whether the
 * ledger can be written.  Only for addresses
 * in status_allow (others get 403).  Built from the pools' counters on
 * the loop thread; never blocks, writes no usage row.
 */
#ifndef STATUS_H
#define STATUS_H

#include <stddef.h>

struct config;
struct request;
struct usage_stats;

/* Is path (normalised, len bytes) the status page of cf? */
int	status_match(const struct config *, const char *, size_t);

/*
 * Answer rq with the status page, or 403 when its REMOTE_ADDR is not in
 * status_allow; us is the usage writer's state (usage.h).  Ends rq.
 */
void	status_serve(struct request *, const char *,
	    const struct usage_stats *);

#endif /* STATUS_H */
