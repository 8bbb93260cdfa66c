/*
 * reload.h -- the pid file that `fngw reload` finds the running fngw by,
 * and the `fngw reload` command (see reload.c).
 */
#ifndef RELOAD_H
#define RELOAD_H

/* Write RUNDIR/fngw.pid ("PID RELOADS"); the first call fixes the
 * path.  -1 with errno. */
int	pidfile_write(const char *, unsigned long);
/* Remove it if it still names this process. */
void	pidfile_remove(void);
/* fngw reload -c FILE: 0 when the running fngw took FILE. */
int	reload_main(const char *);

#endif /* RELOAD_H */
