#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int quiet;

void log_set_quiet(int q) { quiet = q; }

static void vlog(const char *prefix, int err, const char *fmt, va_list ap)
{
	/* One write per message, so lines from the supervisor, the cell and the broker
	 * never interleave mid-line on a shared terminal. */
	char line[2048];
	int n = snprintf(line, sizeof line, "brig: %s", prefix);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	if (m > 0)
		n += m;
	if ((size_t)n >= sizeof line - 2)
		n = (int)sizeof line - 2;
	if (err) {
		int k = snprintf(line + n, sizeof line - (size_t)n, ": %s", strerror(err));
		if (k > 0)
			n += k;
		if ((size_t)n >= sizeof line - 2)
			n = (int)sizeof line - 2;
	}
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}

#define LOG_BODY(prefix, err)                                                                      \
	va_list ap;                                                                                \
	va_start(ap, fmt);                                                                         \
	vlog(prefix, err, fmt, ap);                                                                \
	va_end(ap)

void log_err(const char *fmt, ...) { LOG_BODY("error: ", 0); }
void log_errno(const char *fmt, ...)
{
	int e = errno;
	LOG_BODY("error: ", e);
}
void log_warn(const char *fmt, ...) { LOG_BODY("warning: ", 0); }
void log_info(const char *fmt, ...)
{
	if (quiet)
		return;
	LOG_BODY("", 0);
}
void die(const char *fmt, ...)
{
	LOG_BODY("error: ", 0);
	exit(BRIG_EXIT_FAIL);
}
void die_errno(const char *fmt, ...)
{
	int e = errno;
	LOG_BODY("error: ", e);
	exit(BRIG_EXIT_FAIL);
}
