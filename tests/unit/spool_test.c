/*
 * spool_test.c -- the request body spool: memory up to SPOOL_MEM_MAX,
 * then an unlinked temporary file, read back in order.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

#define TOTAL	(5 * 1024 * 1024)
#define WCHUNK	7919		/* a prime: never lines up with 64 KiB */

/* The byte at stream offset i: a pattern that a shifted, repeated or
 * dropped chunk cannot reproduce. */
static unsigned char
pat(uint64_t i)
{
	uint64_t	x = i * 2654435761u + (i >> 13);

	return (unsigned char)(x ^ (x >> 8) ^ (x >> 17));
}

/* Names in dir other than "." and "..". */
static int
dir_names(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	return n;
}

/*
 * Peek and consume up to `want` bytes; check each against the pattern
 * from *roff.  Returns the number consumed, or -1 on a mismatch or an
 * error (diagnosed).
 */
static long
drain(struct spool *sl, uint64_t *roff, size_t want)
{
	const void		*p;
	const unsigned char	*d;
	size_t			 len, i, got = 0;

	while (got < want) {
		if (spool_peek(sl, &p, &len) == -1) {
			diag("spool_peek: %s", strerror(errno));
			return -1;
		}
		if (len == 0)
			break;
		if (len > want - got)
			len = want - got;
		d = p;
		for (i = 0; i < len; i++)
			if (d[i] != pat(*roff + i)) {
				diag("byte %llu: got %u, want %u",
				    (unsigned long long)(*roff + i), d[i],
				    pat(*roff + i));
				return -1;
			}
		spool_consume(sl, len);
		*roff += len;
		got += len;
	}
	return (long)got;
}

static void
test_memory(const char *dir)
{
	struct spool	 sl;
	const void	*p;
	size_t		 len;

	spool_init(&sl, dir);
	ok(sl.sl_fd == -1 && spool_pending(&sl) == 0, "a new spool is empty, "
	    "no file");
	ok(spool_peek(&sl, &p, &len) == 0 && len == 0,
	    "peek on an empty spool gives 0 bytes");
	ok(spool_write(&sl, "hello, ", 7) == 0 &&
	    spool_write(&sl, "world", 5) == 0, "small writes succeed");
	ok(sl.sl_fd == -1, "small writes stay in memory (sl_fd == -1)");
	ok(spool_pending(&sl) == 12, "pending is 12 after 12 bytes");
	ok(spool_peek(&sl, &p, &len) == 0 && len == 12 &&
	    memcmp(p, "hello, world", 12) == 0, "peek gives them back");
	spool_consume(&sl, 7);
	ok(spool_pending(&sl) == 5, "pending is 5 after consuming 7");
	ok(spool_peek(&sl, &p, &len) == 0 && len == 5 &&
	    memcmp(p, "world", 5) == 0, "peek gives the rest");
	/* Exactly SPOOL_MEM_MAX in memory is still memory. */
	spool_consume(&sl, 5);
	{
		unsigned char	*big = malloc(SPOOL_MEM_MAX);

		if (big == NULL)
			abort();
		memset(big, 'm', SPOOL_MEM_MAX);
		ok(spool_write(&sl, big, SPOOL_MEM_MAX) == 0 &&
		    sl.sl_fd == -1, "SPOOL_MEM_MAX bytes stay in memory");
		ok(spool_write(&sl, "x", 1) == 0 && sl.sl_fd != -1,
		    "one byte more goes to a file");
		ok(spool_pending(&sl) == SPOOL_MEM_MAX + 1,
		    "pending counts memory and file");
		free(big);
	}
	spool_free(&sl);
	ok(sl.sl_fd == -1 && spool_pending(&sl) == 0, "spool_free closes "
	    "the file and empties the spool");
	spool_free(&sl);
	ok(sl.sl_fd == -1 && sl.sl_mem.b_data == NULL,
	    "spool_free twice is harmless");
}

static void
test_stream(const char *dir)
{
	static const size_t	 peeks[] = { 1, 4093, 65537, 300007, 13, 77777,
	    1048577, 2, 99991 };
	struct spool		 sl;
	unsigned char		*src;
	uint64_t		 woff = 0, roff = 0;
	size_t			 n, k = 0;
	long			 got;
	int			 bad_pending = 0, bad_order = 0, bad_write = 0;
	int			 used_file = 0, steps = 0;
	const void		*p;
	size_t			 len;

	if ((src = malloc(TOTAL)) == NULL)
		abort();
	for (n = 0; n < TOTAL; n++)
		src[n] = pat(n);
	spool_init(&sl, dir);
	/* Writes of 7919 bytes; after every third, a partial drain of an
	 * odd size, slower than the writes, so the backlog grows past
	 * SPOOL_MEM_MAX and memory and file both hold data at once. */
	while (woff < TOTAL) {
		n = TOTAL - woff < WCHUNK ? (size_t)(TOTAL - woff) : WCHUNK;
		if (spool_write(&sl, src + woff, n) == -1) {
			diag("spool_write at %llu: %s",
			    (unsigned long long)woff, strerror(errno));
			bad_write++;
			break;
		}
		woff += n;
		if (sl.sl_fd != -1)
			used_file = 1;
		if (spool_pending(&sl) != woff - roff)
			bad_pending++;
		if (++steps % 3 != 0)
			continue;
		got = drain(&sl, &roff, peeks[k++ % (sizeof(peeks) /
		    sizeof(peeks[0]))] / 16 + 1);
		if (got == -1) {
			bad_order++;
			break;
		}
		if (spool_pending(&sl) != woff - roff) {
			if (bad_pending++ == 0)
				diag("pending %llu, want %llu",
				    (unsigned long long)spool_pending(&sl),
				    (unsigned long long)(woff - roff));
		}
	}
	ok(bad_write == 0 && woff == TOTAL, "5 MiB written in %d-byte "
	    "chunks", WCHUNK);
	ok(used_file, "the spool went to a file past SPOOL_MEM_MAX");
	ok(sl.sl_woff > sl.sl_roff, "the file holds unread data at the end "
	    "of the writes (%llu bytes)",
	    (unsigned long long)(sl.sl_woff - sl.sl_roff));
	ok(dir_names(dir) == 0, "the temp directory holds no name while "
	    "the file is in use");
	ok(roff > 0 && roff < woff, "part was read back while writing "
	    "(%llu of %llu)", (unsigned long long)roff,
	    (unsigned long long)woff);
	/* Drain the rest in odd sizes, checking pending each step. */
	while (bad_order == 0 && roff < woff) {
		got = drain(&sl, &roff, peeks[k++ % (sizeof(peeks) /
		    sizeof(peeks[0]))]);
		if (got <= 0) {
			bad_order++;
			break;
		}
		if (spool_pending(&sl) != woff - roff && bad_pending++ == 0)
			diag("pending %llu, want %llu",
			    (unsigned long long)spool_pending(&sl),
			    (unsigned long long)(woff - roff));
	}
	ok(bad_order == 0 && roff == TOTAL, "every byte came back, in order "
	    "(%llu of %d)", (unsigned long long)roff, TOTAL);
	ok(bad_pending == 0, "spool_pending was right at every step");
	ok(spool_pending(&sl) == 0, "pending is 0 once all is consumed");
	ok(spool_peek(&sl, &p, &len) == 0 && len == 0,
	    "peek then gives 0 bytes");

	/* Empty again: new writes go to memory, not the file. */
	ok(spool_write(&sl, "again", 5) == 0 && sl.sl_woff == 0 &&
	    sl.sl_roff == 0 && spool_pending(&sl) == 5,
	    "after draining, a small write goes to memory");
	ok(spool_peek(&sl, &p, &len) == 0 && len == 5 &&
	    memcmp(p, "again", 5) == 0, "and reads back");
	spool_consume(&sl, 5);

	/* Fill memory and file, then reset. */
	ok(spool_write(&sl, src, SPOOL_MEM_MAX) == 0 &&
	    spool_write(&sl, src + SPOOL_MEM_MAX, 3 * WCHUNK) == 0 &&
	    sl.sl_woff == 3 * WCHUNK, "memory full and the file in use "
	    "again");
	spool_reset(&sl);
	ok(spool_pending(&sl) == 0 && spool_peek(&sl, &p, &len) == 0 &&
	    len == 0, "spool_reset drops everything");
	ok(spool_write(&sl, src, 100) == 0 && spool_pending(&sl) == 100 &&
	    sl.sl_woff == 0, "after reset a small write goes to memory");
	roff = 0;
	ok(drain(&sl, &roff, 100) == 100 && spool_pending(&sl) == 0,
	    "and reads back as written");
	/* Reset, then a file-sized stream again: no stale file bytes. */
	spool_reset(&sl);
	woff = roff = 0;
	ok(spool_write(&sl, src, SPOOL_MEM_MAX + 12345) == 0 &&
	    spool_pending(&sl) == SPOOL_MEM_MAX + 12345,
	    "a reset spool takes a large write");
	ok(drain(&sl, &roff, SPOOL_MEM_MAX + 12345) == SPOOL_MEM_MAX +
	    12345 && spool_pending(&sl) == 0,
	    "and gives it back in order, nothing stale");
	ok(dir_names(dir) == 0, "the temp directory is still empty");
	spool_free(&sl);
	ok(sl.sl_fd == -1, "spool_free closes the file");
	spool_free(&sl);
	ok(sl.sl_fd == -1 && spool_pending(&sl) == 0,
	    "spool_free is idempotent");
	free(src);
}

static void
test_nodir(const char *dir)
{
	struct spool	 sl;
	char		 missing[4096];
	unsigned char	*big;
	int		 r;

	(void)snprintf(missing, sizeof(missing), "%s/does/not/exist", dir);
	if ((big = calloc(1, SPOOL_MEM_MAX + 1)) == NULL)
		abort();
	spool_init(&sl, missing);
	ok(spool_write(&sl, big, 1000) == 0 && sl.sl_fd == -1,
	    "missing directory: a small write still goes to memory");
	errno = 0;
	r = spool_write(&sl, big, SPOOL_MEM_MAX);
	ok(r == -1 && errno != 0, "missing directory: the overflowing write "
	    "fails with -1 (errno %d: %s)", errno, strerror(errno));
	ok(sl.sl_fd == -1, "and no file is open");
	ok(spool_pending(&sl) == 1000, "what was in memory is still there");
	spool_free(&sl);
	spool_free(&sl);
	ok(sl.sl_fd == -1 && sl.sl_mem.b_data == NULL,
	    "spool_free after a failure, twice");
	free(big);
}

/*
 * Warm instances read without consuming, from any offset, and may read
 * the whole body again: memory first, then the file, in write order.
 */
static void
test_read_at(const char *dir)
{
	static const size_t	 sizes[] = { 1, 8, 65528, 4093, 300007, 13 };
	struct spool		 sl;
	unsigned char		*src, *buf;
	uint64_t		 off, total = 3 * 1024 * 1024 + 17;
	ssize_t			 n;
	size_t			 k;
	int			 pass, bad;

	if ((src = malloc(total)) == NULL || (buf = malloc(300007)) == NULL)
		abort();
	for (off = 0; off < total; off++)
		src[off] = pat(off);
	spool_init(&sl, dir);
	for (off = 0, k = 0; off < total; off += n, k++) {
		n = (ssize_t)(total - off < 7919 ? total - off : 7919);
		if (spool_write(&sl, src + off, (size_t)n) == -1)
			abort();
	}
	ok(spool_size(&sl) == total && sl.sl_fd != -1,
	    "spool_size counts memory and file (%llu)",
	    (unsigned long long)total);
	for (pass = 0; pass < 2; pass++) {
		bad = 0;
		for (off = 0, k = 0; off < total; off += (uint64_t)n, k++) {
			n = spool_read_at(&sl, off, buf,
			    sizes[k % (sizeof(sizes) / sizeof(sizes[0]))]);
			if (n <= 0 || memcmp(buf, src + off, (size_t)n) != 0) {
				bad = 1;
				break;
			}
		}
		ok(!bad && off == total, "pass %d reads every byte back in "
		    "order, in odd sizes", pass + 1);
	}
	ok(spool_read_at(&sl, total, buf, 10) == 0,
	    "reading at the end gives 0 bytes");
	ok(spool_read_at(&sl, sl.sl_mem.b_len - 3, buf, 8) == 3 &&
	    memcmp(buf, src + sl.sl_mem.b_len - 3, 3) == 0,
	    "a read stops at the end of memory; the next one is the file");
	ok(spool_size(&sl) == total, "reading consumes nothing");
	spool_free(&sl);
	free(src);
	free(buf);
}

int
main(void)
{
	char	dir[] = "/tmp/spool_test.XXXXXX";

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	test_memory(dir);
	test_stream(dir);
	test_read_at(dir);
	test_nodir(dir);
	ok(dir_names(dir) == 0, "no names left in %s", dir);
	ok(rmdir(dir) == 0, "the temp directory removes (it is empty)");
	return done_testing();
}
