/*
 * status -- answers the status and redirect asked for in the query:
 *
 *	code=N		Status: N (100 to 599; default 201)
 *	location=URL	Location: URL (percent-decoded); alone, without
 *			code=, the reply is the bare Location header, which
 *			the gateway turns into a 302 (RFC 3875 6.2.3)
 *
 * and a short text body (none for 204 and 304).
 */
#include <signal.h>

#define PROG	"status"
#include "cgi.h"

static const char *
reason(long long code)
{
	switch (code) {
	case 200:	return "OK";
	case 201:	return "Created";
	case 202:	return "Accepted";
	case 204:	return "No Content";
	case 301:	return "Moved Permanently";
	case 302:	return "Found";
	case 303:	return "See Other";
	case 304:	return "Not Modified";
	case 307:	return "Temporary Redirect";
	case 308:	return "Permanent Redirect";
	case 400:	return "Bad Request";
	case 401:	return "Unauthorized";
	case 403:	return "Forbidden";
	case 404:	return "Not Found";
	case 409:	return "Conflict";
	case 418:	return "I'm a teapot";
	case 429:	return "Too Many Requests";
	case 500:	return "Internal Server Error";
	case 503:	return "Service Unavailable";
	default:	return "Status";
	}
}

int
main(void)
{
	char		 loc[2048];
	const char	*p;
	long long	 code;
	int		 haveloc;

	(void)signal(SIGPIPE, SIG_IGN);
	if ((code = qs_num("code", 0, 999)) == -1 ||
	    (code != 0 && (code < 100 || code > 599)))
		bad_request("code: a status from 100 to 599");
	if ((haveloc = qs_get("location", loc, sizeof(loc)) > 0))
		for (p = loc; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				bad_request("location: no control characters");
	if (haveloc && code == 0) {
		say("Location: %s\n\n", loc);
		return 0;
	}
	if (code == 0)
		code = 201;
	say("Status: %lld %s\n", code, reason(code));
	if (haveloc)
		say("Location: %s\n", loc);
	if (code == 204 || code == 304) {
		xputs("\n");
		return 0;
	}
	say("Content-Type: text/plain\n\nstatus %lld\n", code);
	return 0;
}
