/* Sessions: one per `brig run`, under $XDG_STATE_HOME/brig/sessions/ID/ (meta.json, events.jsonl,
 * and for gated sessions the overlay's upper and work directories). */
#ifndef BRIG_SESSION_SESSION_H
#define BRIG_SESSION_SESSION_H

#include <jansson.h>
#include <sys/types.h>

struct profile;

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
/* Records the end of the run in meta.json. */
void session_finish(struct session *s, int exit_status);
void session_close(struct session *s);

#endif
