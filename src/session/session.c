#include "session/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "profile/profile.h"
#include "util/log.h"
#include "util/xalloc.h"

char *session_state_root(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/brig", xdg);
	const char *home = getenv("HOME");
	return xasprintf("%s/.local/state/brig", home && home[0] ? home : "/");
}

/* mkdir -p with a fixed mode; the state tree holds audit logs and pending changes, so it is
 * private to the user (0700) from the first component brig creates. */
static int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir(p, mode) < 0 && errno != EEXIST ? -1 : 0;
	free(p);
	return rc;
}

static char *new_id(void)
{
	unsigned char rnd[3] = {0};
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		memset(rnd, 0, sizeof rnd);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char ts[32];
	strftime(ts, sizeof ts, "%Y%m%dT%H%M%S", &tm);
	return xasprintf("%s-%02x%02x%02x", ts, rnd[0], rnd[1], rnd[2]);
}

static char *iso_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char buf[40];
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
	return xasprintf("%s.%03ldZ", buf, ts.tv_nsec / 1000000);
}

static int write_json_file(const char *path, json_t *j)
{
	char *tmp = xasprintf("%s.tmp", path);
	int rc = json_dump_file(j, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int session_create(const struct profile *p, struct session *s, char **err)
{
	memset(s, 0, sizeof *s);
	s->events_fd = -1;
	char *root = session_state_root();
	char *sessions = xasprintf("%s/sessions", root);
	free(root);
	if (mkdir_p(sessions, 0700) < 0) {
		*err = xasprintf("cannot create the session directory %s: %s (set XDG_STATE_HOME to a "
				 "writable directory)",
				 sessions, strerror(errno));
		free(sessions);
		return -1;
	}
	for (int tries = 0; tries < 8; tries++) {
		free(s->id);
		s->id = new_id();
		free(s->dir);
		s->dir = xasprintf("%s/%s", sessions, s->id);
		if (mkdir(s->dir, 0700) == 0)
			break;
		if (errno != EEXIST || tries == 7) {
			*err = xasprintf("cannot create %s: %s", s->dir, strerror(errno));
			free(sessions);
			return -1;
		}
	}
	free(sessions);
	s->events_path = xasprintf("%s/events.jsonl", s->dir);
	s->events_fd = open(s->events_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (s->events_fd < 0) {
		*err = xasprintf("cannot create %s: %s", s->events_path, strerror(errno));
		return -1;
	}
	char *start = iso_now();
	json_t *meta = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:i}", "id", s->id, "profile",
				 p->name, "source", p->source, "project", p->project_dir, "started",
				 start, "state", "running", "supervisor_pid", (int)getpid());
	free(start);
	char *path = xasprintf("%s/meta.json", s->dir);
	int rc = write_json_file(path, meta);
	free(path);
	json_decref(meta);
	if (rc < 0) {
		*err = xasprintf("cannot write %s/meta.json", s->dir);
		return -1;
	}
	return 0;
}

void session_event(struct session *s, json_t *ev)
{
	if (!ev)
		return;
	if (s && s->events_fd >= 0) {
		char *now = iso_now();
		json_object_set_new(ev, "time", json_string(now));
		free(now);
		char *line = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
		if (line) {
			size_t n = strlen(line);
			line[n] = '\n';
			/* One write per event: O_APPEND keeps concurrent writers' lines whole. */
			ssize_t w = write(s->events_fd, line, n + 1);
			(void)w;
			free(line);
		}
	}
	json_decref(ev);
}

void session_finish(struct session *s, int exit_status)
{
	char *path = xasprintf("%s/meta.json", s->dir);
	json_error_t jerr;
	json_t *meta = json_load_file(path, 0, &jerr);
	if (meta) {
		char *end = iso_now();
		json_object_set_new(meta, "ended", json_string(end));
		json_object_set_new(meta, "exit_status", json_integer(exit_status));
		json_object_set_new(meta, "state", json_string("exited"));
		free(end);
		write_json_file(path, meta);
		json_decref(meta);
	}
	free(path);
}

void session_close(struct session *s)
{
	if (s->events_fd >= 0)
		close(s->events_fd);
	free(s->id);
	free(s->dir);
	free(s->events_path);
	memset(s, 0, sizeof *s);
	s->events_fd = -1;
}
