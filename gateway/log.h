/*
 * log.h -- one line per event on stderr, in logfmt: "[time=...]
 * level=L at=FUNC key=value ... [msg="..."]".  Write the format as
 * "key=value ... free text" (or "key=value: free text"): log.c quotes
 * the free text as msg.  time= is left out when stderr is the journal,
 * which stamps lines itself.  Safe to call from any thread (one write(2)
 * per line).  log_fatal() is for start-up only; it exits 2.
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void	log_set_level(enum log_level);
int	log_parse_level(const char *, enum log_level *);
void	log_emit(enum log_level, const char *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	log_fatal(const char *, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#define log_debug(...)	log_emit(LOG_DEBUG, __func__, __VA_ARGS__)
#define log_info(...)	log_emit(LOG_INFO, __func__, __VA_ARGS__)
#define log_warn(...)	log_emit(LOG_WARN, __func__, __VA_ARGS__)
#define log_error(...)	log_emit(LOG_ERROR, __func__, __VA_ARGS__)
#define fatal(...)	log_fatal(__func__, __VA_ARGS__)

#endif /* LOG_H */
