/* brig ps [--json]: sessions, newest last. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "session/session.h"
#include "util/log.h"
#include "util/xalloc.h"

/* What a person needs to know about a session's state in one word or two. */
static char *state_of(json_t *meta)
{
	const char *state = json_string_value(json_object_get(meta, "state"));
	if (!state)
		return xstrdup("?");
	if (!strcmp(state, "running") && !session_running(meta))
		return xstrdup("ended (supervisor gone)");
	if (!strcmp(state, "exited") && json_is_true(json_object_get(meta, "gated"))) {
		json_t *n = json_object_get(meta, "changes");
		if (n)
			return xstrdup(json_integer_value(n) ? "exited with changes"
							     : "exited, no changes");
	}
	return xstrdup(state);
}

static json_t *row(const char *id, json_t *meta)
{
	char *state = state_of(meta);
	const char *project = json_string_value(json_object_get(meta, "project_real"));
	if (!project)
		project = json_string_value(json_object_get(meta, "project"));
	json_t *changes = json_object_get(meta, "changes");
	json_t *r = json_pack("{s:s, s:s?, s:s?, s:s, s:b, s:s?, s:O*, s:O*}", "id", id, "project",
			      project, "profile", json_string_value(json_object_get(meta, "profile")),
			      "state", state, "gated",
			      json_is_true(json_object_get(meta, "gated")), "started",
			      json_string_value(json_object_get(meta, "started")), "changes",
			      changes, "findings", json_object_get(meta, "findings"));
	free(state);
	return r;
}

int cmd_ps(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			bool help = !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
			fprintf(help ? stdout : stderr,
				"usage: brig ps [--json]\n  lists sessions: id, state, start time, "
				"profile, changes, project\n");
			return help ? 0 : 2;
		}
	}
	struct strv ids = {0};
	char *err = NULL;
	if (session_list(&ids, &err) < 0) {
		log_err("%s", err);
		free(err);
		return BRIG_EXIT_FAIL;
	}
	char *root = session_state_root();
	json_t *rows = json_array();
	for (size_t i = 0; i < ids.n; i++) {
		char *dir = xasprintf("%s/sessions/%s", root, ids.v[i]);
		json_t *meta = session_meta_load(dir, &err);
		free(err);
		err = NULL;
		if (meta)
			json_array_append_new(rows, row(ids.v[i], meta));
		json_decref(meta);
		free(dir);
	}
	if (json) {
		json_dumpf(rows, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("%-22s %-22s %-24s %-10s %7s  %s\n", "SESSION", "STATE", "STARTED", "PROFILE",
		       "CHANGES", "PROJECT");
		size_t i;
		json_t *r;
		json_array_foreach(rows, i, r) {
			json_t *ch = json_object_get(r, "changes");
			char n[24] = "-";
			if (ch)
				snprintf(n, sizeof n, "%lld", (long long)json_integer_value(ch));
			const char *project = json_string_value(json_object_get(r, "project"));
			const char *profile = json_string_value(json_object_get(r, "profile"));
			printf("%-22s %-22s %-24s %-10s %7s  %s%s\n",
			       json_string_value(json_object_get(r, "id")),
			       json_string_value(json_object_get(r, "state")),
			       json_string_value(json_object_get(r, "started")),
			       profile ? profile : "-", n, project ? project : "-",
			       json_is_true(json_object_get(r, "gated")) ? "" : " (direct)");
		}
	}
	json_decref(rows);
	free(root);
	strv_free(&ids);
	return 0;
}
