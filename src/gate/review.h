/* A gated session opened for the gate commands (review, diff, apply, discard): its metadata, the
 * upper dir and the real project as directory fds, and the reviewed change set. */
#ifndef BRIG_GATE_REVIEW_H
#define BRIG_GATE_REVIEW_H

#include <jansson.h>
#include <stdbool.h>

#include "gate/changes.h"
#include "util/xalloc.h"

struct gate_session {
	char *dir;     /* the session directory */
	const char *id, *project, *state; /* borrowed from meta */
	json_t *meta;
	int upper_fd;   /* O_PATH of dir/upper, or -1 (discarded) */
	int project_fd; /* O_PATH of the real project */
	long long t0_ns;
	struct changeset cs;
	size_t n_findings, n_high, n_conflicts;
};

/* Finds the session (arg: id, prefix, or NULL for the latest one of the project around the
 * current directory), refuses inside a cell, opens its directories. */
int gate_open(const char *arg, struct gate_session *g, char **err);
/* The same for a known session directory, without the cell check (the supervisor's own use). */
int gate_open_dir(const char *dir, struct gate_session *g, char **err);
/* Computes the change set with findings and conflicts (changes already applied are marked). */
int gate_review(struct gate_session *g, char **err);
void gate_close(struct gate_session *g);

/* Records what the project held at each changed path (the conflict baseline); once per session,
 * when the command has exited. */
void gate_record_seen(struct gate_session *g);

/* Finding accepted by a person on the command line: RULE, PATH, or a directory PATH/. */
bool gate_accepted(const struct strv *accept, const struct change *c, const struct finding *f);

/* Output. One line to stdout with control characters shown as \xNN (agent-made names). */
void gate_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gate_put_escaped(const char *s);
void gate_print_review(const struct gate_session *g, bool verbose);
json_t *gate_review_json(const struct gate_session *g);
/* "3 files changed, 2 findings (1 high)" */
char *gate_summary(const struct gate_session *g);

#endif
