#include "cmd/profile_args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile/profile.h"

void profile_args_init(struct profile_args *pa) { memset(pa, 0, sizeof *pa); }

int profile_args_option(struct profile_args *pa, int c, const char *arg)
{
	switch (c) {
	case 'f':
		pa->file = arg;
		return 1;
	case 'p':
		pa->preset = arg;
		return 1;
	case 'C':
		pa->project = arg;
		return 1;
	}
	return 0;
}

int profile_args_name_exists(const char *name)
{
	if (!name[0] || strchr(name, '/') || name[0] == '.' || name[0] == '-')
		return 0;
	const char *tools[] = {"brig", "pwrap"};
	for (int i = 0; i < 2; i++) {
		char *root = profile_config_root(tools[i]);
		char *path = xasprintf("%s/%s/project.toml", root, name);
		int ok = access(path, F_OK) == 0;
		free(root);
		free(path);
		if (ok)
			return 1;
	}
	return 0;
}

int profile_args_load(const struct profile_args *pa, struct profile *p, char **err)
{
	int sources = !!pa->name + !!pa->file + !!pa->preset;
	if (sources > 1) {
		*err = xstrdup("name at most one of: a profile NAME, --profile FILE, --preset NAME");
		return -1;
	}
	if (pa->project && (pa->name || pa->file)) {
		*err = xstrdup("--project goes with presets; a profile names its own [project] dir");
		return -1;
	}
	if (pa->name)
		return profile_load_named(pa->name, p, err);
	if (pa->file) {
		char *abs = realpath(pa->file, NULL);
		if (!abs) {
			*err = xasprintf("--profile %s: %s", pa->file, strerror(errno));
			return -1;
		}
		int rc = profile_load_file(abs, POSTURE_AGENT, p, err);
		free(abs);
		return rc;
	}
	char *dir = pa->project ? realpath(pa->project, NULL) : getcwd(NULL, 0);
	if (!dir) {
		*err = xasprintf("project directory %s: %s", pa->project ? pa->project : ".",
				 strerror(errno));
		return -1;
	}
	int rc = profile_preset(pa->preset ? pa->preset : "agent", dir, p, err);
	free(dir);
	return rc;
}
