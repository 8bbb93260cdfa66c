/*
 * spool.h -- a request body on its way to the function: memory first,
 * then an unlinked temporary file, read back in order.
 *
 * nginx stops sending a request's body once the upstream's response
 * has begun, so fngw must take the whole body from the web server
 * whatever pace the function reads it at; the spool keeps that flat in
 * memory.  Loop thread only; blocking file I/O on a local temp file.
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct spool {
	struct buf	 sl_mem;	/* the head of the data */
	int		 sl_fd;		/* -1 until memory overflows */
	uint64_t	 sl_roff, sl_woff; /* file read and write offsets */
	const char	*sl_dir;	/* borrowed: where the file goes */
};

#define SPOOL_MEM_MAX	(1024 * 1024)

void	spool_init(struct spool *, const char *);
/* Append; -1 with errno on failure (ENOSPC, EMFILE, ...). */
int	spool_write(struct spool *, const void *, size_t);
/* The next contiguous bytes to hand on, filling memory from the file
 * when memory is empty; 0 bytes when the spool is empty; -1 on error. */
int	spool_peek(struct spool *, const void **, size_t *);
void	spool_consume(struct spool *, size_t);
uint64_t spool_pending(const struct spool *);
/*
 * Warm instances read the body without consuming it, so that a request
 * sent to an instance that went away can be sent again: the spool then
 * is memory first, file after, and spool_read_at() copies up to len
 * bytes from offset off of that whole; returns the bytes copied (0 at
 * the end), -1 on error.  Do not mix with spool_peek()/spool_consume().
 */
uint64_t spool_size(const struct spool *);
ssize_t	spool_read_at(struct spool *, uint64_t, void *, size_t);
void	spool_reset(struct spool *);	/* drop everything, keep usable */
void	spool_free(struct spool *);	/* idempotent */

#endif /* SPOOL_H */
