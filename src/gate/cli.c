#include "gate/cli.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

static bool looks_like_id(const char *s)
{
	for (int i = 0; i < 8; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Drops "." components and trailing slashes; refuses ".." (a path of the project only). */
static char *normalize(const char *path)
{
	char *copy = xstrdup(path), *save = NULL;
	struct strv parts = {0};
	for (char *s = strtok_r(copy, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (!strcmp(s, "."))
			continue;
		if (!strcmp(s, "..")) {
			if (!parts.n) {
				free(copy);
				strv_free(&parts);
				return NULL;
			}
			free(parts.v[--parts.n]);
			parts.v[parts.n] = NULL;
			continue;
		}
		strv_push(&parts, s);
	}
	size_t len = 2;
	for (size_t i = 0; i < parts.n; i++)
		len += strlen(parts.v[i]) + 1;
	char *out = xmalloc(len);
	out[0] = '\0';
	for (size_t i = 0; i < parts.n; i++) {
		if (i)
			strcat(out, "/");
		strcat(out, parts.v[i]);
	}
	if (!out[0])
		strcpy(out, ".");
	free(copy);
	strv_free(&parts);
	return out;
}

/* A path given on the command line, relative to the current directory or absolute, as a path
 * relative to the project root. */
static char *project_relative(const struct gate_session *g, const char *arg)
{
	char cwd[PATH_MAX];
	char *abs = arg[0] == '/' ? xstrdup(arg)
		    : getcwd(cwd, sizeof cwd) ? xasprintf("%s/%s", cwd, arg)
					       : NULL;
	if (!abs)
		return NULL;
	size_t n = strlen(g->project);
	char *rel = NULL;
	if (!strncmp(abs, g->project, n) && (abs[n] == '/' || abs[n] == '\0'))
		rel = normalize(abs + n);
	free(abs);
	return rel;
}

int gate_cli_open(int argc, char **argv, struct gate_session *g, struct strv *paths)
{
	int i = 0;
	const char *id = NULL;
	if (argc > 0 && looks_like_id(argv[0]))
		id = argv[i++];
	char *err = NULL;
	if (gate_open(id, g, &err) < 0) {
		log_err("%s", err);
		free(err);
		return -1;
	}
	for (; i < argc; i++) {
		char *rel = paths ? project_relative(g, argv[i]) : NULL;
		if (!rel) {
			log_err("%s: not a path inside the project %s", argv[i], g->project);
			return -1;
		}
		strv_push_owned(paths, rel);
	}
	return 0;
}
