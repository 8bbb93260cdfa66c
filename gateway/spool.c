/*
 * spool.c -- memory up to SPOOL_MEM_MAX, then an O_TMPFILE file that no
 * name points to (gone with its descriptor, even after a crash).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

#define SPOOL_CHUNK	65536

void
spool_init(struct spool *sl, const char *dir)
{
	sl->sl_mem = (struct buf){ 0 };
	sl->sl_fd = -1;
	sl->sl_roff = sl->sl_woff = 0;
	sl->sl_dir = dir;
}

static int
spool_open(struct spool *sl)
{
	char	path[4096];
	int	fd;

	if ((fd = open(sl->sl_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) !=
	    -1) {
		sl->sl_fd = fd;
		return 0;
	}
	/* Filesystems without O_TMPFILE: a named file, unlinked at once. */
	(void)snprintf(path, sizeof(path), "%s/body.XXXXXX", sl->sl_dir);
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return -1;
	(void)unlink(path);
	sl->sl_fd = fd;
	return 0;
}

int
spool_write(struct spool *sl, const void *p, size_t len)
{
	const unsigned char	*d = p;
	ssize_t			 n;

	/* Memory while the file holds nothing unread, so order holds. */
	if (sl->sl_roff == sl->sl_woff && buf_avail(&sl->sl_mem) + len <=
	    SPOOL_MEM_MAX)
		return buf_append(&sl->sl_mem, p, len);
	if (sl->sl_fd == -1 && spool_open(sl) == -1)
		return -1;
	while (len > 0) {
		if ((n = pwrite(sl->sl_fd, d, len, (off_t)sl->sl_woff)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		sl->sl_woff += (uint64_t)n;
		d += n;
		len -= (size_t)n;
	}
	return 0;
}

int
spool_peek(struct spool *sl, const void **p, size_t *len)
{
	ssize_t	n;
	size_t	want;

	if (buf_avail(&sl->sl_mem) == 0 && sl->sl_roff < sl->sl_woff) {
		want = sl->sl_woff - sl->sl_roff > SPOOL_CHUNK ? SPOOL_CHUNK :
		    (size_t)(sl->sl_woff - sl->sl_roff);
		buf_reset(&sl->sl_mem);
		if (buf_reserve(&sl->sl_mem, want) == -1)
			return -1;
		while ((n = pread(sl->sl_fd, sl->sl_mem.b_data, want,
		    (off_t)sl->sl_roff)) == -1 && errno == EINTR)
			;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		sl->sl_mem.b_len = (size_t)n;
		sl->sl_roff += (uint64_t)n;
		if (sl->sl_roff == sl->sl_woff) {
			/* All read back: start the file over. */
			sl->sl_roff = sl->sl_woff = 0;
			(void)!ftruncate(sl->sl_fd, 0);
		}
	}
	*p = sl->sl_mem.b_data + sl->sl_mem.b_off;
	*len = buf_avail(&sl->sl_mem);
	return 0;
}

void
spool_consume(struct spool *sl, size_t n)
{
	buf_consume(&sl->sl_mem, n);
}

uint64_t
spool_pending(const struct spool *sl)
{
	return buf_avail(&sl->sl_mem) + (sl->sl_woff - sl->sl_roff);
}

uint64_t
spool_size(const struct spool *sl)
{
	return sl->sl_mem.b_len + sl->sl_woff;
}

ssize_t
spool_read_at(struct spool *sl, uint64_t off, void *p, size_t len)
{
	ssize_t	n;

	if (off < sl->sl_mem.b_len) {
		if (len > sl->sl_mem.b_len - off)
			len = (size_t)(sl->sl_mem.b_len - off);
		memcpy(p, sl->sl_mem.b_data + off, len);
		return (ssize_t)len;
	}
	off -= sl->sl_mem.b_len;
	if (off >= sl->sl_woff)
		return 0;
	if (len > sl->sl_woff - off)
		len = (size_t)(sl->sl_woff - off);
	while ((n = pread(sl->sl_fd, p, len, (off_t)off)) == -1 &&
	    errno == EINTR)
		;
	if (n == 0) {
		errno = EIO;
		return -1;
	}
	return n;
}

void
spool_reset(struct spool *sl)
{
	buf_reset(&sl->sl_mem);
	if (sl->sl_fd != -1 && sl->sl_woff > 0)
		(void)!ftruncate(sl->sl_fd, 0);
	sl->sl_roff = sl->sl_woff = 0;
}

void
spool_free(struct spool *sl)
{
	buf_free(&sl->sl_mem);
	fd_close(&sl->sl_fd);
	sl->sl_roff = sl->sl_woff = 0;
}
