/*
 * fuzz_fcgi_client.c -- fngw as a FastCGI *client*: what a warm instance
 * sends back, read the way instance.c reads it.  The bytes arrive in
 * chunks whose sizes come from the input's first byte, into a buffer
 * that is consumed record by record and compacted as instance.c's is;
 * records for id 0 are skipped, another id or an unexpected type ends the
 * connection, STDOUT goes to the reply parser (judged at END_REQUEST or
 * at EOF), STDERR to the line splitter, END_REQUEST to its parser.
 *
 * Invariants: a record is never longer than its header says nor shorter
 * than 8 bytes; what is left unparsed is always less than one record; the
 * STDOUT bytes seen are the sum of the STDOUT records' lengths; stderr
 * lines never hold a newline; a reply that parses has a status from 100
 * to 599 and a header block that ends in CRLF and holds no bare CR or NUL.
 */
#include "fcgi.h"
#include "reply.h"
#include "util.h"

#include <string.h>

#include "fuzz.h"

#define ID		1		/* instance.c's INST_ID */
#define LINE_MAX_	1000

struct client {
	struct buf	 c_in;		/* what the socket gave */
	struct buf	 c_out;		/* STDOUT until the header block */
	struct buf	 c_err;		/* STDERR, split into lines */
	size_t		 c_scanned;	/* reply_ended()'s mark */
	size_t		 c_stdout;	/* STDOUT content bytes */
	size_t		 c_body;	/* of which after the headers */
	int		 c_hdr_done;
	int		 c_ended;	/* END_REQUEST or a broken stream */
};

static void
err_line(void *arg, const char *s, size_t len)
{
	(void)arg;
	FUZZ_CHECK(memchr(s, '\n', len) == NULL);
	(void)fuzz_touch(s, len);
}

static void
check_block(const struct buf *b, const struct reply *rp)
{
	const char	*s = (const char *)b->b_data;
	size_t		 i;

	FUZZ_CHECK(rp->rp_status >= 100 && rp->rp_status <= 599);
	FUZZ_CHECK(b->b_len >= 2 && s[b->b_len - 2] == '\r' &&
	    s[b->b_len - 1] == '\n');
	for (i = 0; i < b->b_len; i++) {
		FUZZ_CHECK(s[i] != '\0');
		if (s[i] == '\r')
			FUZZ_CHECK(i + 1 < b->b_len && s[i + 1] == '\n');
	}
}

/* request_headers(): parse once the block can be whole, or at the end. */
static void
headers(struct client *c, int judge)
{
	struct reply	 rp;
	struct buf	 hdr;
	const char	*why = NULL;
	long		 n;

	if (c->c_hdr_done)
		return;
	if (!judge && !reply_ended((const char *)c->c_out.b_data,
	    c->c_out.b_len, &c->c_scanned) &&
	    c->c_out.b_len < REPLY_MAX_HEADERS)
		return;
	memset(&rp, 0, sizeof(rp));
	memset(&hdr, 0, sizeof(hdr));
	n = reply_parse((const char *)c->c_out.b_data, c->c_out.b_len, &rp,
	    &hdr, &why);
	if (n == 0 && !judge) {
		buf_free(&hdr);
		return;
	}
	c->c_hdr_done = 1;
	if (n > 0) {
		FUZZ_CHECK((size_t)n <= c->c_out.b_len);
		check_block(&hdr, &rp);
		c->c_body += c->c_out.b_len - (size_t)n;
	} else
		FUZZ_CHECK(n == 0 || why != NULL);
	buf_free(&hdr);
}

static void
parse(struct client *c)
{
	struct fcgi_record	r;
	uint32_t		app;
	unsigned		proto;
	int			rc;

	while (!c->c_ended && (rc = fcgi_record_parse(c->c_in.b_data +
	    c->c_in.b_off, buf_avail(&c->c_in), &r)) != 0) {
		if (rc == -1) {
			c->c_ended = 1;		/* bad record header */
			return;
		}
		FUZZ_CHECK(r.fr_total >= FCGI_HEADER_LEN + r.fr_len &&
		    r.fr_total <= buf_avail(&c->c_in) && r.fr_len <= 65535);
		FUZZ_CHECK(r.fr_content == c->c_in.b_data + c->c_in.b_off +
		    FCGI_HEADER_LEN);
		buf_consume(&c->c_in, r.fr_total);
		if (r.fr_id == 0)
			continue;
		if (r.fr_id != ID) {
			c->c_ended = 1;
			return;
		}
		switch (r.fr_type) {
		case FCGI_STDOUT:
			c->c_stdout += r.fr_len;
			if (c->c_hdr_done)
				c->c_body += r.fr_len;
			else {
				FUZZ_CHECK(buf_append(&c->c_out, r.fr_content,
				    r.fr_len) == 0);
				headers(c, 0);
			}
			break;
		case FCGI_STDERR:
			buf_lines(&c->c_err, r.fr_content, r.fr_len, 0,
			    LINE_MAX_, err_line, NULL);
			break;
		case FCGI_END_REQUEST:
			if (fcgi_end_parse(&r, &app, &proto) == 0)
				FUZZ_CHECK(proto <= 255);
			headers(c, 1);
			c->c_ended = 1;
			return;
		default:
			c->c_ended = 1;
			return;
		}
	}
	/* Less than a whole record is left: at most a header and 65535 +
	 * 255 bytes of content and padding. */
	if (!c->c_ended)
		FUZZ_CHECK(buf_avail(&c->c_in) < FCGI_HEADER_LEN + 65535 +
		    255);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client	 c;
	size_t		 off, step, chunk, out_total = 0;

	if (size == 0)
		return 0;
	memset(&c, 0, sizeof(c));
	step = 1 + data[0] % 64;
	data++;
	size--;
	for (off = 0; off < size && !c.c_ended; off += chunk) {
		chunk = size - off < step ? size - off : step;
		FUZZ_CHECK(buf_append(&c.c_in, data + off, chunk) == 0);
		parse(&c);
		buf_compact(&c.c_in);
		step = step * 3 % 8191 + 1;	/* vary the chunks */
	}
	if (!c.c_ended)
		headers(&c, 1);			/* EOF judges what came */
	buf_lines(&c.c_err, NULL, 0, 1, LINE_MAX_, err_line, NULL);
	out_total = c.c_body + (c.c_hdr_done ? 0 : c.c_out.b_len);
	FUZZ_CHECK(out_total <= c.c_stdout);
	buf_free(&c.c_in);
	buf_free(&c.c_out);
	buf_free(&c.c_err);
	return 0;
}
