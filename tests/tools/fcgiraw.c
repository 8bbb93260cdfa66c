/*
 * fcgiraw.c -- a scriptable, hostile FastCGI client for the gateway tests.
 *
 *   fcgiraw [-t SECONDS] [-o FILE] -s SOCKET [COMMAND ...]
 *
 * SOCKET is a unix socket path (anything with a '/') or HOST:PORT.  Each
 * COMMAND argument is one command line; with no COMMAND, command lines
 * are read from stdin.  Every read has a deadline of -t seconds (10).
 * Received records are printed on stdout, one line each:
 *
 *   STDOUT id len            one line per record; the content follows
 *                            the stream's last record, then a newline
 *                            unless it ended with one
 *   STDERR id len            followed by its content (same newline rule)
 *   END_REQUEST id app=N proto=N
 *   GET_VALUES_RESULT K=V    one line per pair
 *   UNKNOWN_TYPE t
 *   RECORD type id len       anything else
 *   EOF                      the peer closed the connection
 *   TIMEOUT                  nothing arrived within the deadline
 *   WRITE_ERROR errno-text   a write failed (the script goes on)
 *
 * STDOUT content is printed once its stream ends (or before the next
 * line of another kind), as one block.  -o FILE also writes the raw
 * STDOUT contents to FILE (truncated first).  Commands (ID is
 * a request id, HEX is hex digits, spaces allowed; TEXT and K=V take C
 * escapes \n \r \t \\ \xHH):
 *
 *   begin ID [ROLE [FLAGS]]      BEGIN_REQUEST (role 1, flags 0)
 *   params ID [K=V ...]          one PARAMS record with these pairs (split
 *                                into several records past 65535 bytes);
 *                                no pair: the empty record ending params.
 *                                K@N stands for a value of N 'x' bytes
 *   cgi ID METHOD URI [K=V ...]  PARAMS with a usual CGI set for URI
 *                                (path?query), then the empty PARAMS
 *   params-many ID N             N pairs P0=1 P1=1 ... (records split
 *                                past 65535 bytes), then the empty record
 *   params-chunk ID N [K=V ...]  the pairs in records of at most N bytes
 *   params-at ID POS [K=V ...]   the pairs in two records, cut at POS
 *   params-raw ID HEX            one PARAMS record with these bytes
 *   stdin ID [TEXT]              one STDIN record; no TEXT: the empty one
 *   stdin-file ID FILE           FILE as STDIN records (not the end)
 *   stdin-fill ID N              N 'y' bytes as STDIN records
 *   abort ID                     ABORT_REQUEST
 *   getvalues [NAME ...]         FCGI_GET_VALUES on id 0
 *   record TYPE ID [HEX]         any record with this content
 *   raw HEX                      bytes as they are
 *   pad N                        N padding bytes on every later record
 *   bytewise [USEC]              one byte per write from now on, with a
 *                                pause of USEC (default 200) between them
 *   sleep MS
 *   wait-file PATH               wait (deadline -t) until PATH exists
 *   shutdown                     shut down the writing side
 *   close                        close the connection and exit 0
 *   read                         read records until END_REQUEST, EOF or
 *                                the deadline
 *   readall                      read records until EOF or the deadline
 *   readn N                      read N records (or until EOF/deadline)
 *
 * Exit status: 0, or 1 on a usage or connection error, or 2 when a read
 * timed out.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define T_BEGIN		1
#define T_ABORT		2
#define T_END		3
#define T_PARAMS	4
#define T_STDIN		5
#define T_STDOUT	6
#define T_STDERR	7
#define T_GETVALUES	9
#define T_GETVALUES_RESULT 10
#define T_UNKNOWN	11

struct buf {
	unsigned char	*b;
	size_t		 len, cap;
};

static int	 sock = -1;
static int	 timeout_ms = 10000;
static int	 padding;
static int	 bytewise = -1;		/* usec between bytes; -1: off */
static int	 timed_out;
static FILE	*outfile;

static void
die(const char *msg)
{
	fprintf(stderr, "fcgiraw: %s\n", msg);
	exit(1);
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n)
			cap *= 2;
		if ((b->b = realloc(b->b, cap)) == NULL)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->b + b->len, p, n);
	b->len += n;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode C escapes of s into b. */
static void
unescape(struct buf *b, const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		unsigned char	c = s[i];

		if (c == '\\' && i + 1 < n) {
			i++;
			switch (s[i]) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case '0': c = '\0'; break;
			case 's': c = ' '; break;
			case 'x':
				if (i + 2 < n && hexval(s[i + 1]) >= 0 &&
				    hexval(s[i + 2]) >= 0) {
					c = hexval(s[i + 1]) * 16 +
					    hexval(s[i + 2]);
					i += 2;
				} else
					c = 'x';
				break;
			default: c = s[i]; break;
			}
		}
		buf_add(b, &c, 1);
	}
}

static void
hexdecode(struct buf *b, const char *s)
{
	int	hi = -1, v;

	for (; *s; s++) {
		if ((v = hexval(*s)) < 0)
			continue;
		if (hi < 0)
			hi = v;
		else {
			unsigned char c = hi * 16 + v;

			buf_add(b, &c, 1);
			hi = -1;
		}
	}
	if (hi >= 0)
		die("odd number of hex digits");
}

static void
send_bytes(const unsigned char *p, size_t n)
{
	size_t	off = 0;

	while (off < n) {
		size_t	 chunk = bytewise >= 0 ? 1 : n - off;
		ssize_t	 w = write(sock, p + off, chunk);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			printf("WRITE_ERROR %s\n", strerror(errno));
			fflush(stdout);
			return;
		}
		off += (size_t)w;
		if (bytewise > 0 && off < n)
			usleep(bytewise);
	}
}

static void
send_record(int type, unsigned id, const unsigned char *c, size_t n)
{
	unsigned char	 h[8];
	struct buf	 r = { 0 };
	unsigned char	 pad[255];

	if (n > 65535)
		die("record content over 65535 bytes");
	h[0] = 1;
	h[1] = type;
	h[2] = id >> 8;
	h[3] = id & 0xff;
	h[4] = n >> 8;
	h[5] = n & 0xff;
	h[6] = padding;
	h[7] = 0;
	buf_add(&r, h, 8);
	if (n)
		buf_add(&r, c, n);
	if (padding) {
		memset(pad, 0xaa, sizeof(pad));
		buf_add(&r, pad, padding);
	}
	send_bytes(r.b, r.len);
	free(r.b);
}

/* Send data as records of type of at most max bytes (none if n == 0). */
static void
send_stream(int type, unsigned id, const unsigned char *p, size_t n,
    size_t max)
{
	while (n > 0) {
		size_t	c = n < max ? n : max;

		send_record(type, id, p, c);
		p += c;
		n -= c;
	}
}

static void
put_len(struct buf *b, size_t n)
{
	unsigned char	l[4];

	if (n < 128) {
		l[0] = n;
		buf_add(b, l, 1);
	} else {
		l[0] = 0x80 | ((n >> 24) & 0x7f);
		l[1] = n >> 16;
		l[2] = n >> 8;
		l[3] = n;
		buf_add(b, l, 4);
	}
}

static void
encode_pair(struct buf *b, const char *k, size_t kn, const char *v, size_t vn)
{
	put_len(b, kn);
	put_len(b, vn);
	buf_add(b, k, kn);
	buf_add(b, v, vn);
}

/* Encode "K=V" or "K@N" (escapes decoded) onto b. */
static void
encode_arg(struct buf *b, const char *arg)
{
	const char	*eq = strchr(arg, '='), *at = strchr(arg, '@');
	struct buf	 k = { 0 }, v = { 0 };

	if (at != NULL && (eq == NULL || at < eq)) {
		size_t	n = strtoul(at + 1, NULL, 10);

		unescape(&k, arg, at - arg);
		if ((v.b = malloc(n + 1)) == NULL)
			die("out of memory");
		memset(v.b, 'x', n);
		v.len = n;
	} else if (eq != NULL) {
		unescape(&k, arg, eq - arg);
		unescape(&v, eq + 1, strlen(eq + 1));
	} else
		unescape(&k, arg, strlen(arg));
	encode_pair(b, (char *)k.b, k.len, (char *)v.b, v.len);
	free(k.b);
	free(v.b);
}

static void
encode_args(struct buf *b, char **argv, int argc)
{
	int	i;

	for (i = 0; i < argc; i++)
		encode_arg(b, argv[i]);
}

/*
 * STDOUT content is printed as one block when its stream ends (the empty
 * record) or before any other line, so a body split over several records
 * reads as it was sent.
 */
static struct buf	pending;

static void
flush_pending(void)
{
	if (pending.len == 0)
		return;
	fwrite(pending.b, 1, pending.len, stdout);
	if (pending.b[pending.len - 1] != '\n')
		putchar('\n');
	pending.len = 0;
}

static void
print_content(const char *tag, unsigned id, const unsigned char *c, size_t n)
{
	if (strcmp(tag, "STDOUT") == 0) {
		printf("%s %u %zu\n", tag, id, n);
		if (n > 0)
			buf_add(&pending, c, n);
		else
			flush_pending();
		return;
	}
	flush_pending();
	printf("%s %u %zu\n", tag, id, n);
	fwrite(c, 1, n, stdout);
	if (n > 0 && c[n - 1] != '\n')
		putchar('\n');
}

static size_t
get_len(const unsigned char *p, size_t n, size_t *off, int *ok)
{
	size_t	v;

	if (*off >= n) {
		*ok = 0;
		return 0;
	}
	if (p[*off] < 128)
		return p[(*off)++];
	if (*off + 4 > n) {
		*ok = 0;
		return 0;
	}
	v = ((size_t)(p[*off] & 0x7f) << 24) | ((size_t)p[*off + 1] << 16) |
	    ((size_t)p[*off + 2] << 8) | p[*off + 3];
	*off += 4;
	return v;
}

/* Read exactly n bytes with the deadline; 1 ok, 0 EOF, -1 timeout. */
static int
read_full(unsigned char *p, size_t n, int allow_partial_eof)
{
	size_t	off = 0;

	(void)allow_partial_eof;
	while (off < n) {
		struct pollfd	pfd = { .fd = sock, .events = POLLIN };
		int		r = poll(&pfd, 1, timeout_ms);
		ssize_t		got;

		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			return -1;
		got = read(sock, p + off, n - off);
		if (got == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return 0;	/* ECONNRESET and such: closed */
		}
		if (got == 0)
			return 0;
		off += (size_t)got;
	}
	return 1;
}

/*
 * Read and print records; stop at END_REQUEST unless all, and after
 * max records when max > 0.
 */
static void
do_read(int all, int max)
{
	unsigned char	h[8], *c;
	int		n = 0;

	for (;;) {
		unsigned	type, id, clen, plen;
		int		r = read_full(h, 8, 0);

		if (r <= 0)
			flush_pending();
		if (r == 0) {
			printf("EOF\n");
			break;
		}
		if (r < 0) {
			printf("TIMEOUT\n");
			timed_out = 1;
			break;
		}
		type = h[1];
		id = (h[2] << 8) | h[3];
		clen = (h[4] << 8) | h[5];
		plen = h[6];
		if ((c = malloc(clen + plen + 1)) == NULL)
			die("out of memory");
		r = read_full(c, clen + plen, 1);
		if (type != T_STDOUT || r <= 0)
			flush_pending();
		if (r <= 0) {
			printf("TRUNCATED type=%u id=%u len=%u\n", type, id,
			    clen);
			printf(r == 0 ? "EOF\n" : "TIMEOUT\n");
			if (r < 0)
				timed_out = 1;
			free(c);
			break;
		}
		if (h[0] != 1)
			printf("BAD_VERSION %u\n", h[0]);
		if (type == T_STDOUT) {
			print_content("STDOUT", id, c, clen);
			if (outfile != NULL) {
				fwrite(c, 1, clen, outfile);
				fflush(outfile);
			}
		} else if (type == T_STDERR)
			print_content("STDERR", id, c, clen);
		else if (type == T_END && clen >= 8) {
			uint32_t app = ((uint32_t)c[0] << 24) | (c[1] << 16) |
			    (c[2] << 8) | c[3];

			printf("END_REQUEST %u app=%u proto=%u\n", id, app,
			    c[4]);
		} else if (type == T_UNKNOWN && clen >= 1)
			printf("UNKNOWN_TYPE %u\n", c[0]);
		else if (type == T_GETVALUES_RESULT) {
			size_t	off = 0;
			int	ok = 1;

			while (off < clen && ok) {
				size_t	kn = get_len(c, clen, &off, &ok);
				size_t	vn = get_len(c, clen, &off, &ok);

				if (!ok || off + kn + vn > clen) {
					printf("GET_VALUES_RESULT_MALFORMED\n");
					break;
				}
				printf("GET_VALUES_RESULT %.*s=%.*s\n",
				    (int)kn, c + off, (int)vn, c + off + kn);
				off += kn + vn;
			}
		} else
			printf("RECORD %u %u %u\n", type, id, clen);
		free(c);
		fflush(stdout);
		if (type == T_END && !all)
			break;
		if (max > 0 && ++n >= max)
			break;
	}
	flush_pending();
	fflush(stdout);
}

static void
do_connect(const char *addr)
{
	if (strchr(addr, '/') != NULL) {
		struct sockaddr_un	sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(addr) >= sizeof(sun.sun_path))
			die("socket path too long");
		strcpy(sun.sun_path, addr);
		if ((sock = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(sock, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			fprintf(stderr, "fcgiraw: connect %s: %s\n", addr,
			    strerror(errno));
			exit(1);
		}
	} else {
		struct addrinfo	 hints = { 0 }, *res;
		char		 host[256], *colon;

		snprintf(host, sizeof(host), "%s", addr);
		if ((colon = strrchr(host, ':')) == NULL)
			die("address is neither a path nor HOST:PORT");
		*colon = '\0';
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
			die("cannot resolve address");
		if ((sock = socket(res->ai_family, SOCK_STREAM, 0)) == -1 ||
		    connect(sock, res->ai_addr, res->ai_addrlen) == -1) {
			fprintf(stderr, "fcgiraw: connect %s: %s\n", addr,
			    strerror(errno));
			exit(1);
		}
		freeaddrinfo(res);
	}
}

static unsigned
num(const char *s)
{
	char		*end;
	unsigned long	 v;

	if (s == NULL)
		die("missing number");
	v = strtoul(s, &end, 0);
	if (*end != '\0')
		die("bad number");
	return (unsigned)v;
}

static void
cgi_params(unsigned id, char **tok, int ntok)
{
	struct buf	 b = { 0 };
	char		 path[4096], kv[8192];
	const char	*method, *uri, *q;
	size_t		 plen;

	if (ntok < 2)
		die("cgi: ID METHOD URI");
	method = tok[0];
	uri = tok[1];
	q = strchr(uri, '?');
	plen = q ? (size_t)(q - uri) : strlen(uri);
	snprintf(path, sizeof(path), "%.*s", (int)plen, uri);
#define PAIR(k, v) do { \
	snprintf(kv, sizeof(kv), "%s=%s", (k), (v)); encode_arg(&b, kv); \
} while (0)
	PAIR("GATEWAY_INTERFACE", "CGI/1.1");
	PAIR("REQUEST_METHOD", method);
	PAIR("SCRIPT_NAME", path);
	PAIR("REQUEST_URI", uri);
	PAIR("DOCUMENT_URI", path);
	PAIR("QUERY_STRING", q ? q + 1 : "");
	PAIR("SERVER_NAME", "localhost");
	PAIR("SERVER_PORT", "80");
	PAIR("SERVER_PROTOCOL", "HTTP/1.1");
	PAIR("REMOTE_ADDR", "127.0.0.1");
#undef PAIR
	/* Extra pairs last, so that they can add CONTENT_LENGTH etc. */
	encode_args(&b, tok + 2, ntok - 2);
	send_stream(T_PARAMS, id, b.b, b.len, 65535);
	send_record(T_PARAMS, id, NULL, 0);
	free(b.b);
}

static void
wait_file(const char *path)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };
	int		waited = 0;
	struct stat	st;

	while (stat(path, &st) == -1) {
		if (waited >= timeout_ms) {
			printf("TIMEOUT wait-file %s\n", path);
			fflush(stdout);
			timed_out = 1;
			return;
		}
		nanosleep(&ts, NULL);
		waited += 10;
	}
}

/* Run one command line; returns 0 to go on, 1 after close. */
static int
run(char *line)
{
	char		*tok[1024], *p, *rest = NULL;
	int		 ntok = 0;
	struct buf	 b = { 0 };

	line[strcspn(line, "\n")] = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0' || *p == '#')
		return 0;
	/* stdin keeps the rest of the line after its id, spaces and all. */
	if (strncmp(p, "stdin ", 6) == 0) {
		char *id = p + 6;

		while (*id == ' ')
			id++;
		rest = strchr(id, ' ');
		if (rest != NULL)
			*rest++ = '\0';
		unescape(&b, rest ? rest : "", rest ? strlen(rest) : 0);
		if (b.len == 0)
			send_record(T_STDIN, num(id), NULL, 0);
		else
			send_stream(T_STDIN, num(id), b.b, b.len, 65535);
		free(b.b);
		return 0;
	}
	for (p = strtok(p, " \t"); p != NULL && ntok < 1023;
	    p = strtok(NULL, " \t"))
		tok[ntok++] = p;
	tok[ntok] = NULL;

	if (strcmp(tok[0], "begin") == 0) {
		unsigned char	c[8] = { 0 };
		unsigned	role = ntok > 2 ? num(tok[2]) : 1;

		c[0] = role >> 8;
		c[1] = role & 0xff;
		c[2] = ntok > 3 ? num(tok[3]) : 0;
		send_record(T_BEGIN, num(tok[1]), c, 8);
	} else if (strcmp(tok[0], "params") == 0) {
		encode_args(&b, tok + 2, ntok - 2);
		if (b.len == 0)
			send_record(T_PARAMS, num(tok[1]), NULL, 0);
		else
			send_stream(T_PARAMS, num(tok[1]), b.b, b.len, 65535);
	} else if (strcmp(tok[0], "cgi") == 0) {
		cgi_params(num(tok[1]), tok + 2, ntok - 2);
	} else if (strcmp(tok[0], "params-many") == 0) {
		unsigned	i, n = num(tok[2]);
		char		pair[32];

		for (i = 0; i < n; i++) {
			(void)snprintf(pair, sizeof(pair), "P%u=1", i);
			encode_args(&b, (char *[]){ pair, NULL }, 1);
		}
		send_stream(T_PARAMS, num(tok[1]), b.b, b.len, 65535);
		send_record(T_PARAMS, num(tok[1]), NULL, 0);
	} else if (strcmp(tok[0], "params-chunk") == 0) {
		unsigned	n = num(tok[2]);

		if (n == 0 || n > 65535)
			die("params-chunk: N out of range");
		encode_args(&b, tok + 3, ntok - 3);
		send_stream(T_PARAMS, num(tok[1]), b.b, b.len, n);
	} else if (strcmp(tok[0], "params-at") == 0) {
		unsigned	pos = num(tok[2]), id = num(tok[1]);

		encode_args(&b, tok + 3, ntok - 3);
		if (pos > b.len)
			pos = b.len;
		if (pos > 0)
			send_record(T_PARAMS, id, b.b, pos);
		if (b.len > pos)
			send_record(T_PARAMS, id, b.b + pos, b.len - pos);
	} else if (strcmp(tok[0], "params-raw") == 0) {
		int	i;

		for (i = 2; i < ntok; i++)
			hexdecode(&b, tok[i]);
		send_record(T_PARAMS, num(tok[1]), b.b, b.len);
	} else if (strcmp(tok[0], "stdin-file") == 0) {
		FILE	*f = fopen(tok[2], "rb");
		char	 chunk[65535];
		size_t	 n;

		if (f == NULL)
			die("stdin-file: cannot open");
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			send_record(T_STDIN, num(tok[1]), (unsigned char *)chunk,
			    n);
		fclose(f);
	} else if (strcmp(tok[0], "stdin-fill") == 0) {
		unsigned char	chunk[65535];
		size_t		n = num(tok[2]);

		memset(chunk, 'y', sizeof(chunk));
		while (n > 0) {
			size_t	c = n < sizeof(chunk) ? n : sizeof(chunk);

			send_record(T_STDIN, num(tok[1]), chunk, c);
			n -= c;
		}
	} else if (strcmp(tok[0], "abort") == 0) {
		send_record(T_ABORT, num(tok[1]), NULL, 0);
	} else if (strcmp(tok[0], "getvalues") == 0) {
		int	i;

		for (i = 1; i < ntok; i++)
			encode_pair(&b, tok[i], strlen(tok[i]), "", 0);
		send_record(T_GETVALUES, 0, b.b, b.len);
	} else if (strcmp(tok[0], "record") == 0) {
		int	i;

		if (ntok < 3)
			die("record TYPE ID [HEX]");
		for (i = 3; i < ntok; i++)
			hexdecode(&b, tok[i]);
		send_record(num(tok[1]), num(tok[2]), b.b, b.len);
	} else if (strcmp(tok[0], "raw") == 0) {
		int	i;

		for (i = 1; i < ntok; i++)
			hexdecode(&b, tok[i]);
		send_bytes(b.b, b.len);
	} else if (strcmp(tok[0], "pad") == 0) {
		padding = num(tok[1]);
		if (padding > 255)
			die("pad: at most 255");
	} else if (strcmp(tok[0], "bytewise") == 0) {
		bytewise = ntok > 1 ? (int)num(tok[1]) : 200;
	} else if (strcmp(tok[0], "sleep") == 0) {
		unsigned	ms = num(tok[1]);
		struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

		fflush(stdout);
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	} else if (strcmp(tok[0], "wait-file") == 0) {
		wait_file(tok[1]);
	} else if (strcmp(tok[0], "shutdown") == 0) {
		shutdown(sock, SHUT_WR);
	} else if (strcmp(tok[0], "close") == 0) {
		close(sock);
		sock = -1;
		return 1;
	} else if (strcmp(tok[0], "read") == 0) {
		do_read(0, 0);
	} else if (strcmp(tok[0], "readall") == 0) {
		do_read(1, 0);
	} else if (strcmp(tok[0], "readn") == 0) {
		do_read(1, (int)num(tok[1]));
	} else {
		fprintf(stderr, "fcgiraw: unknown command '%s'\n", tok[0]);
		exit(1);
	}
	free(b.b);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*addr = NULL;
	char		 line[1 << 16];
	int		 c;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt(argc, argv, "s:t:o:")) != -1) {
		switch (c) {
		case 's':
			addr = optarg;
			break;
		case 't':
			timeout_ms = (int)(atof(optarg) * 1000);
			break;
		case 'o':
			if ((outfile = fopen(optarg, "wb")) == NULL)
				die("cannot open -o file");
			break;
		default:
			fprintf(stderr, "usage: fcgiraw [-t SEC] [-o FILE] "
			    "-s SOCKET [COMMAND ...]\n");
			return 1;
		}
	}
	if (addr == NULL)
		die("-s SOCKET is required");
	do_connect(addr);
	if (optind < argc) {
		for (; optind < argc; optind++) {
			snprintf(line, sizeof(line), "%s", argv[optind]);
			if (run(line))
				break;
		}
	} else {
		while (fgets(line, sizeof(line), stdin) != NULL)
			if (run(line))
				break;
	}
	fflush(stdout);
	if (outfile != NULL)
		fclose(outfile);
	return timed_out ? 2 : 0;
}
