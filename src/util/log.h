/* Messages to the user. Every brig error names the place and, where there is one, the fix. */
#ifndef BRIG_UTIL_LOG_H
#define BRIG_UTIL_LOG_H

#include <stdarg.h>
#include <stdnoreturn.h>

/* Exit codes shared by every subcommand (run follows env(1)/bwrap conventions). */
enum {
	BRIG_EXIT_FAIL = 125,      /* brig itself failed: bad profile, kernel feature missing */
	BRIG_EXIT_CANNOT_RUN = 126,
	BRIG_EXIT_NOT_FOUND = 127,
};

void log_set_quiet(int quiet);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
