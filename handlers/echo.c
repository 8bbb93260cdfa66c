/*
 * echo -- shows the request as the function sees it.
 *
 * Plain: 200 text/plain, one line per CGI variable (method=, script_name=,
 * path_info=, query=, content_length=, content_type=, request_uri=), then
 * "body=" with the body bytes read from stdin and a final newline.
 * With raw=1 in the query: 200 application/octet-stream, the body copied
 * back in 64 KiB chunks as it arrives (the fixture for streaming large
 * bodies both ways).  At most CONTENT_LENGTH bytes are read when it is
 * set; otherwise stdin is read to its end.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define PROG	"echo"
#include "cgi.h"

static const char *
env_get(const char *name)
{
	const char	*v;

	return (v = getenv(name)) == NULL ? "" : v;
}

int
main(void)
{
	char	 raw[8];

	(void)signal(SIGPIPE, SIG_IGN);
	if (qs_get("raw", raw, sizeof(raw)) != -1 && strcmp(raw, "1") == 0) {
		xputs("Content-Type: application/octet-stream\n\n");
		body_copy();
		return 0;
	}
	xputs("Content-Type: text/plain\n\n");
	say("method=%s\n", env_get("REQUEST_METHOD"));
	say("script_name=%s\n", env_get("SCRIPT_NAME"));
	say("path_info=%s\n", env_get("PATH_INFO"));
	say("query=%s\n", env_get("QUERY_STRING"));
	say("content_length=%s\n", env_get("CONTENT_LENGTH"));
	say("content_type=%s\n", env_get("CONTENT_TYPE"));
	say("request_uri=%s\n", env_get("REQUEST_URI"));
	xputs("body=");
	body_copy();
	xputs("\n");
	return 0;
}
