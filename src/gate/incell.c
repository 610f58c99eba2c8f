#include "gate/incell.h"

#include <stdlib.h>
#include <string.h>

#include "session/session.h"
#include "util/xalloc.h"

/* Why the user namespace and not an environment variable: the agent controls its environment,
 * but it cannot leave the user namespace the launcher put it in (setns into an ancestor needs
 * CAP_SYS_ADMIN there, and a cell never has it). Every cell runs in a namespace created after the
 * supervisor's, so the namespace the supervisor recorded in meta.json is never the cell's. A
 * person running brig inside a rootless container still works: run and apply then share the
 * container's namespace. Inside a cell the state directory is hidden anyway; this check is the
 * layer that holds if a profile exposes it. */
int gate_refuse_in_cell(json_t *meta, char **err)
{
	const char *recorded = json_string_value(json_object_get(meta, "host_userns"));
	char *mine = session_userns_id();
	int ok = recorded && mine && !strcmp(recorded, mine);
	if (!ok)
		*err = xasprintf(
			"refusing to run inside a brig cell or another user namespace than the one "
			"that started this session (%s, this process: %s): review and apply are for "
			"the person outside the cell",
			recorded ? recorded : "not recorded", mine ? mine : "/proc/self/ns/user unreadable");
	free(mine);
	return ok ? 0 : -1;
}
