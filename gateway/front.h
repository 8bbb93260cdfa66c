/*
 * front.h -- the web server's side: the listening socket, FastCGI
 * connections, requests from BEGIN_REQUEST to END_REQUEST.
 *
 * Loop thread only.  A connection costs a struct, two buffers and a
 * deadline; it carries one request at a time (FCGI_MPXS_CONNS 0).  A
 * request ends on its connection only once its usage row is committed.
 * A request with a sink (request.h; fngw invoke) has no connection:
 * front_stdout(), front_end() and front_cut() hand it to its sink.
 */
#ifndef FRONT_H
#define FRONT_H

#include <stddef.h>

struct config;
struct request;
struct usage;
struct usage_row;

/*
 * Open the listening socket of cf, or take the one the service manager
 * passed (systemd.h), which then wins over cf's listen.  Start-up only;
 * -1 and *errstr.
 */
int	front_listen(const struct config *, const char **);
/* What we listen on, as [gateway] listen names it (borrowed). */
const char *front_listen_name(void);
/* Unlink the unix socket front_listen() bound; never an inherited one. */
void	front_remove_socket(void);
/* Serve cf with ledger u (borrowed).  Start-up only. */
int	front_start(struct config *, struct usage *);
/* A reload: new requests take cf (borrowed; the caller keeps it). */
void	front_reload(struct config *);
/* Stop accepting, let requests in flight finish; loop_stop() when done. */
void	front_shutdown(void);
/* shutdown_timeout passed: abort whatever still runs. */
void	front_shutdown_now(void);
int	front_idle(void);		/* no request alive at all */
void	front_close_listener(void);
/* At exit: flush what connections are owed, for up to ms; close all. */
void	front_flush_all(int);

/*
 * Send len bytes of the function's output (or our headers) as
 * FCGI_STDOUT.  Returns 1 when the connection's buffer is over its high
 * mark (stop reading the function until cgi_resume()), 0 otherwise, -1
 * when the connection is gone (the bytes are dropped).
 */
int	front_stdout(struct request *, const void *, size_t);
/*
 * Between front_hold() and front_release() (they nest), front_stdout()
 * keeps small output in the connection's buffer; the release writes it,
 * unless its request waits for its row: front_end() writes it then.
 */
void	front_hold(void);
void	front_release(void);
/* End rq on its connection (empty STDOUT, END_REQUEST) and free it. */
void	front_end(struct request *);
/* Close rq's connection without END_REQUEST: the reply is cut off. */
void	front_cut(struct request *);
/* request.c freed a request: stop the loop if we drain and none is left. */
void	front_request_gone(void);

#endif /* FRONT_H */
