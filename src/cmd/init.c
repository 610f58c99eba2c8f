/* brig init: the two postures pwrap users keep by hand, written for one project directory: a
 * person's shell with project boundaries (NAME), and an agent's cell (NAME-agent). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "profile/profile.h"
#include "util/log.h"

static void toml_quote(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int exists(const char *home, const char *rel)
{
	char *p = xasprintf("%s/%s", home, rel);
	int ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

static int write_profile(const char *root, const char *name, const char *dir, const char *shell,
			 int agent, char **path_out)
{
	char *pdir = xasprintf("%s/%s", root, name);
	if (mkdir(root, 0700) < 0 && errno != EEXIST) {
		log_errno("cannot create %s", root);
		free(pdir);
		return -1;
	}
	if (mkdir(pdir, 0700) < 0) {
		if (errno == EEXIST)
			log_err("%s exists already; remove it or choose another --name", pdir);
		else
			log_errno("cannot create %s", pdir);
		free(pdir);
		return -1;
	}
	char *path = xasprintf("%s/project.toml", pdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		log_errno("cannot create %s", path);
		free(pdir), free(path);
		return -1;
	}
	const char *home = getenv("HOME") ? getenv("HOME") : "/";
	fprintf(f, "# %s: written by 'brig init'. Check the result with 'brig check %s'.\n", name, name);
	fprintf(f, agent ? "# The agent's cell: it sees this project and nothing else of yours.\n"
			 : "# Your own shell, with project boundaries: home read-only, other "
			   "projects and cloud credentials hidden.\n");
	fprintf(f, "\n[project]\nname = ");
	toml_quote(f, name);
	fprintf(f, "\ndir = ");
	toml_quote(f, dir);
	fprintf(f, "\nshell = ");
	toml_quote(f, agent ? "/bin/bash" : shell);
	fprintf(f, "\n\n[sandbox]\nenabled = true\n");
	if (agent) {
		fprintf(f, "home = \"hidden\"          # nothing of ~ but the project\n"
			   "clean_env = true          # only PATH HOME USER SHELL TERM LANG survive\n"
			   "whitelist = [\n");
		const char *caches[] = {".cache/pip", ".npm", ".cargo/registry", ".pyenv", NULL};
		for (int i = 0; caches[i]; i++)
			if (exists(home, caches[i]))
				fprintf(f, "    \"~/%s\",  # read-only\n", caches[i]);
		fprintf(f, "]\n\n[network]\nmode = \"filtered\"\nallow_presets = [");
		/* Registries the project's own manifests say it needs. */
		const struct {
			const char *file, *preset;
		} eco[] = {{"package.json", "npm"},	 {"pyproject.toml", "pypi"},
			   {"requirements.txt", "pypi"}, {"setup.py", "pypi"}};
		struct strv presets = {0};
		for (size_t i = 0; i < sizeof eco / sizeof *eco; i++) {
			char *p = xasprintf("%s/%s", dir, eco[i].file);
			if (access(p, F_OK) == 0 && !strv_contains(&presets, eco[i].preset))
				strv_push(&presets, eco[i].preset);
			free(p);
		}
		for (size_t i = 0; i < presets.n; i++)
			fprintf(f, "%s\"%s\"", i ? ", " : "", presets.v[i]);
		strv_free(&presets);
		fprintf(f, "]\nallow = []   # e.g. \"api.anthropic.com\", \"*.githubusercontent.com\"\n"
			   "\n[review]\nmode = \"gated\"   # changes wait for 'brig review' and "
			   "'brig apply'\n\n[env]\n# CLAUDE_CONFIG_DIR = \".claude-agent\"   # relative to "
			   "the project\n");
	} else {
		fprintf(f, "home = \"read-only\"\nblacklist = [\n");
		const char *secrets[] = {".aws", ".config/gcloud", ".kube", ".azure", ".docker", NULL};
		for (int i = 0; secrets[i]; i++)
			if (exists(home, secrets[i]))
				fprintf(f, "    \"~/%s\",\n", secrets[i]);
		char *parent = xstrdup(dir);
		char *slash = strrchr(parent, '/');
		if (slash && slash != parent)
			*slash = '\0';
		if (strcmp(parent, home) && strncmp(parent, home, strlen(home)) == 0)
			fprintf(f, "    \"%s/\",   # other projects\n", parent);
		free(parent);
		fprintf(f, "]\nwritable = []\n\n[network]\nmode = \"host\"\n\n[review]\nmode = "
			   "\"direct\"\n");
	}
	fclose(f);
	*path_out = path;
	free(pdir);
	return 0;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	const char *name = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		if (c == 'n') {
			name = optarg;
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: brig init [--name NAME] [DIR]\n\nWrites ~/.config/brig/NAME/ (your "
				"shell) and ~/.config/brig/NAME-agent/ (the agent's cell) for DIR\n(default: "
				"the current directory; NAME: its base name).\n");
			return c == 'h' ? 0 : 2;
		}
	}
	char *dir = realpath(optind < argc ? argv[optind] : ".", NULL);
	if (!dir) {
		log_errno("%s", optind < argc ? argv[optind] : ".");
		return BRIG_EXIT_FAIL;
	}
	const char *base = strrchr(dir, '/');
	char *pname = xstrdup(name ? name : (base && base[1] ? base + 1 : "project"));
	if (strchr(pname, '/') || pname[0] == '.' || pname[0] == '-' || !pname[0]) {
		log_err("'%s' is not a usable profile name; pass --name", pname);
		free(pname), free(dir);
		return BRIG_EXIT_FAIL;
	}
	char *agent = xasprintf("%s-agent", pname);
	char *root = profile_config_root("brig");
	char *parent = xstrdup(root);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		mkdir(parent, 0700);
	}
	free(parent);
	const char *sh = getenv("SHELL");
	char *p1 = NULL, *p2 = NULL;
	int rc = write_profile(root, pname, dir, sh && sh[0] == '/' ? sh : "/bin/bash", 0, &p1);
	if (rc == 0)
		rc = write_profile(root, agent, dir, NULL, 1, &p2);
	if (rc == 0) {
		printf("wrote %s\nwrote %s\n\n  brig shell %s           # your shell, with project "
		       "boundaries\n  brig run %s -- claude   # the agent's cell\n  brig check %s    "
		       "     # what the cell sees\n",
		       p1, p2, pname, agent, agent);
	}
	free(p1), free(p2), free(agent), free(root), free(pname), free(dir);
	return rc == 0 ? 0 : BRIG_EXIT_FAIL;
}
