#include "net/presets.h"

#include <stdlib.h>
#include <string.h>

#include "net/hostrules.h"
#include "util/xalloc.h"

const struct net_preset *net_preset_find(const char *name)
{
	for (const struct net_preset *p = net_presets; p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

int net_preset_add(struct hostrules *hr, const char *name, const char *where, char **err)
{
	const struct net_preset *p = net_preset_find(name);
	if (!p) {
		char known[256] = "";
		for (const struct net_preset *q = net_presets; q->name; q++) {
			if (known[0])
				strncat(known, ", ", sizeof known - strlen(known) - 1);
			strncat(known, q->name, sizeof known - strlen(known) - 1);
		}
		*err = xasprintf("%s: unknown network preset \"%s\" (known: %s)", where, name, known);
		return -1;
	}
	char *w = xasprintf("preset %s, %s", name, where);
	char *copy = xstrdup(p->rules), *save = NULL;
	int rc = 0;
	for (char *line = strtok_r(copy, "\n", &save); line && rc == 0;
	     line = strtok_r(NULL, "\n", &save))
		rc = hostrules_add(hr, false, line, w, err);
	free(copy);
	free(w);
	return rc;
}
