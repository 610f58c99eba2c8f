/* What the supervisor asks of the gate once the command has exited. */
#include "gate/gate.h"

#include <stdio.h>
#include <stdlib.h>

#include "gate/review.h"
#include "session/session.h"
#include "util/log.h"
#include "util/xalloc.h"

void gate_after_exit(const struct profile *p, struct session *s, int status)
{
	(void)p;
	(void)status;
	struct gate_session g;
	char *err = NULL;
	if (gate_open_dir(s->dir, &g, &err) < 0 || gate_review(&g, &err) < 0) {
		log_warn("review of session %s failed: %s (its changes are kept in %s)", s->id, err,
			 s->dir);
		free(err);
		gate_close(&g);
		return;
	}
	/* The conflict baseline: what the project held at each changed path when the agent
	 * stopped (see docs/REVIEW.md). */
	gate_record_seen(&g);
	size_t n = 0;
	for (size_t i = 0; i < g.cs.n; i++)
		n += !g.cs.c[i].renamed_away;
	session_meta_set(s->dir, json_pack("{s:I, s:I, s:I}", "changes", (json_int_t)n, "findings",
					   (json_int_t)g.n_findings, "high", (json_int_t)g.n_high));
	session_event(s, json_pack("{s:s, s:I, s:I, s:I}", "event", "review", "changes",
				   (json_int_t)n, "findings", (json_int_t)g.n_findings, "high",
				   (json_int_t)g.n_high));
	char *sum = gate_summary(&g);
	if (n)
		fprintf(stderr,
			"brig: session %s: %s; nothing reached %s yet. Review: brig review %s | "
			"apply: brig apply %s | discard: brig discard %s\n",
			s->id, sum, g.project, s->id, s->id, s->id);
	else
		fprintf(stderr, "brig: session %s: no changes to %s\n", s->id, g.project);
	free(sum);
	gate_close(&g);
}
