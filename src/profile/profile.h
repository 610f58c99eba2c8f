/* A profile: everything brig needs to build one cell, from a TOML file or a built-in preset.
 * pwrap's four tables keep pwrap's meaning; brig's own tables belong to their areas. */
#ifndef BRIG_PROFILE_PROFILE_H
#define BRIG_PROFILE_PROFILE_H

#include <stdbool.h>

#include "gate/review_policy.h"
#include "net/net_policy.h"
#include "profile/posture.h"
#include "profile/schema.h"
#include "sandbox/harden_policy.h"

struct profile {
	enum posture posture;
	char *name;       /* profile name, or the preset's name */
	char *source;     /* the file it was read from, or "built-in preset NAME" */
	char *config_dir; /* directory holding the file (init scripts live there); NULL for presets */

	/* [project] */
	char *project_name;
	char *project_dir; /* absolute, ~ expanded, not yet resolved */
	char *shell;
	struct strv command; /* brig: the default command when none is given */

	/* [sandbox] */
	bool sandbox;   /* false: run unconfined, exactly as pwrap does with enabled = false */
	bool hide_home; /* the whole home is an empty tmpfs (agent) instead of read-only (pwrap) */
	struct pos_strv blacklist, whitelist, writable, devices;
	bool unshare_net, unshare_pid, clean_env;
	int new_session; /* 1, 0, or -1: pwrap's "auto" (on when TIOCSTI is not disabled) */

	/* [env] */
	struct strv env; /* KEY=VALUE */

	struct net_policy net;
	struct harden_policy harden;
	struct review_policy review;
};

/* Fills p from a built-in preset ("agent" or "shell") for the project directory dir. */
int profile_preset(const char *preset, const char *dir, struct profile *p, char **err);
/* Reads a profile file; posture picks the defaults (POSTURE_PWRAP for ~/.config/pwrap). */
int profile_load_file(const char *path, enum posture posture, struct profile *p, char **err);
/* Finds NAME in ~/.config/brig/NAME/project.toml, then ~/.config/pwrap/NAME/project.toml. */
int profile_load_named(const char *name, struct profile *p, char **err);
/* Parses a document already in memory (tests, fuzzing). */
int profile_parse(const char *buf, size_t len, const char *file, enum posture posture,
		  struct profile *p, char **err);
void profile_free(struct profile *p);

/* ~ and $VAR expansion as pwrap does it (os.path.expanduser + expandvars). */
char *profile_expand_path(const char *path);
/* The directories profiles live in; always hidden from cells. */
char *profile_config_root(const char *tool); /* tool: "brig" or "pwrap" */

#endif
