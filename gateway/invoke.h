/*
 * invoke.h -- `fngw invoke`: one request from the command line, run
 * through the same router, pool, executors and usage ledger as `fngw
 * serve`, with no web server and no listening socket.
 *
 * The request is built as the FastCGI params nginx's stock
 * fastcgi_params would send for it, and goes through request.c with a
 * sink (request.h) that writes its reply to stdout as a CGI response,
 * unframed, as it comes.  Warm instances live in a private runtime
 * folder under $TMPDIR, so a serving fngw on the same config is never
 * disturbed.  Its usage row has trigger "cli".
 */
#ifndef INVOKE_H
#define INVOKE_H

/*
 * `fngw invoke -c FILE [-X METHOD] [-H 'Name: value']... [-d BODY|@FILE|@-]
 * PATH`, argv[0] being "invoke".  Returns the exit code: 0 when the
 * invocation's outcome is ok, 3 when a response was printed but the
 * outcome is not ok (fngw's own error reply, the function's 5xx or
 * non-zero exit, a crash, timeout, limit, or a reply cut off), 1 on a
 * usage or configuration error, 2 on a fatal error at run time.
 */
int	invoke_main(int, char **);

#endif /* INVOKE_H */
