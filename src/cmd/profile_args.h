/* The profile-selecting options shared by run, shell and check. */
#ifndef BRIG_CMD_PROFILE_ARGS_H
#define BRIG_CMD_PROFILE_ARGS_H

#include <getopt.h>

struct profile;

struct profile_args {
	const char *name, *file, *preset, *project;
};

#define PROFILE_ARGS_OPTIONS                                                                       \
	{"profile", required_argument, NULL, 'f'}, {"preset", required_argument, NULL, 'p'},       \
		{"project", required_argument, NULL, 'C'}

void profile_args_init(struct profile_args *pa);
/* Returns 1 when c was one of PROFILE_ARGS_OPTIONS. */
int profile_args_option(struct profile_args *pa, int c, const char *arg);
int profile_args_name_exists(const char *name);
int profile_args_load(const struct profile_args *pa, struct profile *p, char **err);

#endif
