/*
 * cgi.h -- the cgi-mode executor: a process per request.
 *
 * cgi_start() builds the CGI/1.1 environment (SPEC.md's allow-list and
 * nothing of fngw's own), hands the spawn to the spawner thread and,
 * once the child runs, pumps the body into its stdin and its stdout back
 * through front.c, with backpressure both ways, parses the reply's
 * header block, logs its stderr, enforces timeout and max_output, kills
 * the process group and reaps the child with wait4().  When the child
 * is reaped and its output is over, it calls request_finish().
 * Loop thread only.
 */
#ifndef CGI_H
#define CGI_H

struct fn;
struct request;
struct spawn;

void	cgi_start(struct request *);	/* the request holds a slot */
void	cgi_spawned(struct spawn *);	/* from the spawner, via front.c */
void	cgi_body(struct request *);	/* more of rq_body, or its end */
void	cgi_resume(struct request *);	/* the connection drained */
void	cgi_abort(struct request *, int); /* kill the group; 499/504/400 */
void	cgi_cleanup(struct request *);	/* close everything; idempotent */
/* Build the environment (also the params of fastcgi mode); freed with
 * cgi_env_free(), as is cgi_env_instance()'s. */
char	**cgi_env_build(struct request *, const char **);
void	  cgi_env_free(char **);
/* For fastcgi instances: fn's spawn (everything borrowed from fn),
 * and the instance's own environment (NULL when out of memory). */
void	cgi_spawn_prepare(struct spawn *, const struct fn *);
char	**cgi_env_instance(const struct fn *);

#endif /* CGI_H */
