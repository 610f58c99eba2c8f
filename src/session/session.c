#include "session/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/file.h>
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
	/* The gate commands compare their own user namespace with this one: a process inside a
	 * cell always runs in a newer, nested namespace and cannot get back into this one. */
	char *userns = session_userns_id();
	json_t *meta = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:i, s:s?, s:b}", "id", s->id,
				 "profile", p->name, "source", p->source, "project", p->project_dir,
				 "started", start, "state", "running", "supervisor_pid", (int)getpid(),
				 "host_userns", userns, "gated", 0);
	free(userns);
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

void session_event_dir(const char *dir, json_t *ev)
{
	struct session s = {.events_fd = -1};
	char *path = xasprintf("%s/events.jsonl", dir);
	s.events_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	session_event(&s, ev);
	if (s.events_fd >= 0)
		close(s.events_fd);
}

void session_finish(struct session *s, int exit_status)
{
	char *end = iso_now();
	session_meta_set(s->dir, json_pack("{s:s, s:i, s:s}", "ended", end, "exit_status",
					   exit_status, "state", "exited"));
	free(end);
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

int session_lock(const char *dir, char **err)
{
	char *path = xasprintf("%s/lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		*err = xasprintf("%s: %s (another brig apply or discard is working on this session; "
				 "wait for it)",
				 path, fd < 0 ? strerror(errno) : "locked");
		if (fd >= 0)
			close(fd);
		free(path);
		return -1;
	}
	free(path);
	return fd;
}

json_t *session_meta_load(const char *dir, char **err)
{
	char *path = xasprintf("%s/meta.json", dir);
	json_error_t jerr;
	json_t *meta = json_load_file(path, 0, &jerr);
	if (!meta || !json_is_object(meta)) {
		*err = xasprintf("%s: %s", path, meta ? "not a JSON object" : jerr.text);
		json_decref(meta);
		meta = NULL;
	}
	free(path);
	return meta;
}

int session_meta_set(const char *dir, json_t *fields)
{
	if (!fields)
		return -1;
	char *lock = xasprintf("%s/meta.lock", dir);
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	free(lock);
	if (lfd >= 0)
		flock(lfd, LOCK_EX);
	char *err = NULL;
	json_t *meta = session_meta_load(dir, &err);
	free(err);
	int rc = -1;
	if (meta) {
		json_object_update(meta, fields);
		char *path = xasprintf("%s/meta.json", dir);
		rc = write_json_file(path, meta);
		free(path);
		json_decref(meta);
	}
	json_decref(fields);
	if (lfd >= 0)
		close(lfd);
	return rc;
}

char *session_userns_id(void)
{
	struct stat st;
	if (stat("/proc/self/ns/user", &st) < 0)
		return NULL;
	return xasprintf("%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
}

int session_running(json_t *meta)
{
	const char *state = json_string_value(json_object_get(meta, "state"));
	json_int_t pid = json_integer_value(json_object_get(meta, "supervisor_pid"));
	if (!state || strcmp(state, "running") || pid <= 0)
		return 0;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int session_list(struct strv *ids, char **err)
{
	char *root = session_state_root();
	char *sessions = xasprintf("%s/sessions", root);
	free(root);
	DIR *d = opendir(sessions);
	if (!d) {
		if (errno == ENOENT) {
			free(sessions);
			return 0;
		}
		*err = xasprintf("%s: %s", sessions, strerror(errno));
		free(sessions);
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *meta = xasprintf("%s/%s/meta.json", sessions, de->d_name);
		if (access(meta, F_OK) == 0)
			strv_push(ids, de->d_name);
		free(meta);
	}
	closedir(d);
	free(sessions);
	if (ids->n)
		qsort(ids->v, ids->n, sizeof *ids->v, cmp_str);
	return 0;
}

static char *session_dir_of(const char *id)
{
	char *root = session_state_root();
	char *dir = xasprintf("%s/sessions/%s", root, id);
	free(root);
	return dir;
}

/* project contains dir: equal, or a parent of it. */
static int path_contains(const char *project, const char *dir)
{
	size_t n = strlen(project);
	if (n == 1 && project[0] == '/')
		return 1;
	return strncmp(project, dir, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

static char *find_latest_for(const struct strv *ids, const char *cwd_real, char **err)
{
	for (size_t i = ids->n; i-- > 0;) {
		char *dir = session_dir_of(ids->v[i]);
		char *e = NULL;
		json_t *meta = session_meta_load(dir, &e);
		free(e);
		const char *proj = json_string_value(json_object_get(meta, "project_real"));
		int ok = meta && json_is_true(json_object_get(meta, "gated")) && proj &&
			 path_contains(proj, cwd_real);
		json_decref(meta);
		if (ok)
			return dir;
		free(dir);
	}
	*err = xasprintf("no gated session of a project containing %s (brig ps lists all "
			 "sessions; name one: brig review ID)",
			 cwd_real);
	return NULL;
}

char *session_find(const char *arg, const char *cwd_real, char **err)
{
	struct strv ids = {0};
	if (session_list(&ids, err) < 0)
		return NULL;
	char *dir = NULL;
	if (!arg) {
		dir = find_latest_for(&ids, cwd_real, err);
		strv_free(&ids);
		return dir;
	}
	if (!arg[0] || strchr(arg, '/') || arg[0] == '.') {
		*err = xasprintf("'%s' is not a session id (brig ps lists them)", arg);
		strv_free(&ids);
		return NULL;
	}
	const char *match = NULL;
	size_t n = strlen(arg), hits = 0;
	for (size_t i = 0; i < ids.n; i++) {
		if (!strcmp(ids.v[i], arg)) {
			match = ids.v[i];
			hits = 1;
			break;
		}
		if (!strncmp(ids.v[i], arg, n)) {
			match = ids.v[i];
			hits++;
		}
	}
	if (hits == 1)
		dir = session_dir_of(match);
	else
		*err = xasprintf(hits ? "session '%s' is ambiguous: name more of its id (brig ps)"
				      : "no session '%s' (brig ps lists them)",
				 arg);
	strv_free(&ids);
	return dir;
}
