/*
 * spill.h -- usage rows kept in a file next to the ledger while the
 * ledger cannot take them (disk full, read-only, locked too long), so
 * that no row is lost and, with `on_failure = serve`, serving goes on.
 *
 * One row a line, its fields tab-separated in usage_row order, with
 * backslash, tab and newline escaped; appended and fdatasync'ed before
 * the rows count as kept; read back whole and replayed into the ledger
 * once it can be written, then removed.  Writer thread only.
 */
#ifndef SPILL_H
#define SPILL_H

struct usage_row;

/* Append the rows of list to path, durably; 0, or -1 with errno. */
int		 spill_append(const char *, const struct usage_row *);
/*
 * Every row in path, as a list the caller frees with usage_row_free();
 * NULL with *err 0 when there is no file (or it is empty), NULL with
 * *err set (errno) when it cannot be read.  A line that does not parse
 * (a crash mid-append leaves at most the last one short) is skipped and
 * counted in *bad.
 */
struct usage_row *spill_read(const char *, int *, unsigned long *);
/* Format one row as a line (exposed for the unit test); malloc'ed. */
char		*spill_format(const struct usage_row *);
/* Parse one line without its newline; NULL when malformed. */
struct usage_row *spill_parse(const char *);

#endif /* SPILL_H */
