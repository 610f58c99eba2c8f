/* Sessions: one per `brig run`, under $XDG_STATE_HOME/brig/sessions/ID/ (meta.json, events.jsonl,
 * and for gated sessions the overlay's upper and work directories). */
#ifndef BRIG_SESSION_SESSION_H
#define BRIG_SESSION_SESSION_H

#include <jansson.h>
#include <sys/types.h>

struct profile;
struct strv;

struct session {
	char *id;          /* sortable by start time: 20261123T170512-1a2b3c */
	char *dir;         /* $XDG_STATE_HOME/brig/sessions/ID */
	char *events_path; /* dir/events.jsonl */
	int events_fd;     /* O_APPEND; -1 when closed */
};

/* The root of all sessions: $XDG_STATE_HOME/brig (default ~/.local/state/brig). */
char *session_state_root(void);
int session_create(const struct profile *p, struct session *s, char **err);
/* Appends one JSON object (a "time" field is added) as one line; takes ownership of ev. */
void session_event(struct session *s, json_t *ev);
/* The same for a session directory not held open (gate commands run after the session). */
void session_event_dir(const char *dir, json_t *ev);
/* Records the end of the run in meta.json. */
void session_finish(struct session *s, int exit_status);
void session_close(struct session *s);

/* meta.json of a session directory: loaded whole (NULL with *err when unreadable). */
json_t *session_meta_load(const char *dir, char **err);
/* Merges fields into meta.json under the session's lock and replaces the file atomically, so the
 * supervisor and a concurrent `brig apply` never lose each other's updates. Takes ownership of
 * fields. 0 or -1 with errno. */
int session_meta_set(const char *dir, json_t *fields);
/* Exclusive lock on DIR/lock for one gate command at a time (apply, discard): returns the fd to
 * close, or -1 with *err when another holds it. */
int session_lock(const char *dir, char **err);

/* The user namespace a process runs in, as "DEV:INO" of /proc/self/ns/user, or NULL. */
char *session_userns_id(void);
/* True while the supervisor recorded in meta is still alive (state "running" only). */
int session_running(json_t *meta);

/* All sessions, sorted by id (oldest first): directory names under the state root. */
int session_list(struct strv *ids, char **err);
/* Picks a session: an id or a unique prefix of one; with arg NULL, the latest gated session
 * whose project contains the directory cwd_real. Returns the session directory. */
char *session_find(const char *arg, const char *cwd_real, char **err);

#endif
