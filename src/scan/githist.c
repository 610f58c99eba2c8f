/*
 * Git history scanning. `git log -p -U0` yields each commit's added lines; each file of each
 * commit becomes one stream, so a secret is reported once per commit that introduced it, at the
 * line it had in that commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scan/githist.h"
#include "util/log.h"
#include "util/xalloc.h"

struct hunk_stream {
	struct scan_stream *st;
	struct report *rep;
	char commit[48];
	char *file;
	uint64_t *map; /* stream line (0-based) -> line in the file at that commit */
	size_t nmap, capmap;
};

static int on_finding(const struct scan_finding *f, void *ctx)
{
	struct hunk_stream *h = ctx;
	struct scan_finding g = *f;
	if (f->line >= 1 && f->line <= h->nmap)
		g.line = h->map[f->line - 1];
	report_add(h->rep, h->file, h->commit, &g);
	return 0;
}

static void hunk_close(struct hunk_stream *h)
{
	if (h->st)
		scan_stream_close(h->st);
	h->st = NULL;
	free(h->file);
	h->file = NULL;
	h->nmap = 0;
}

static FILE *git_log(const char *repo, pid_t *pid)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return NULL;
	*pid = fork();
	if (*pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (*pid == 0) {
		dup2(fds[1], 1);
		char *argv[] = {"git", "-C", (char *)repo, "log", "--all", "-p", "--no-color",
		                "--no-ext-diff", "--no-textconv", "--unified=0", "--format=%x01%H",
		                NULL};
		execvp("git", argv);
		fprintf(stderr, "brig: scan --git: cannot run git: %s\n", strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	return fdopen(fds[0], "r");
}

int scan_git_history(const struct scan_db *db, const char *repo, struct report *rep,
                     uint64_t *bytes, size_t *files)
{
	pid_t pid;
	FILE *in = git_log(repo, &pid);
	if (!in) {
		log_errno("scan --git: cannot start git");
		return -1;
	}
	struct hunk_stream h = {.rep = rep};
	char *line = NULL, *next_file = NULL;
	size_t cap = 0;
	ssize_t n;
	int in_hunk = 0;
	uint64_t lineno = 0;
	while ((n = getline(&line, &cap, in)) > 0) {
		if (line[0] == '\001') {
			hunk_close(&h);
			snprintf(h.commit, sizeof h.commit, "%.*s", (int)strcspn(line + 1, "\n"), line + 1);
			in_hunk = 0;
		} else if (!strncmp(line, "diff --git ", 11)) {
			hunk_close(&h);
			in_hunk = 0;
		} else if (!in_hunk && !strncmp(line, "+++ ", 4)) {
			free(next_file);
			line[strcspn(line, "\n")] = 0;
			next_file = strncmp(line + 4, "b/", 2) ? NULL : xstrdup(line + 6);
		} else if (!strncmp(line, "@@ ", 3)) {
			const char *plus = strstr(line, " +");
			lineno = plus ? strtoull(plus + 2, NULL, 10) : 0;
			in_hunk = 1;
		} else if (in_hunk && line[0] == '+' && next_file) {
			if (!h.st) {
				h.file = xstrdup(next_file);
				h.st = scan_stream_open(db, on_finding, &h);
				if (!h.st)
					break;
				(*files)++;
			}
			if (h.nmap == h.capmap) {
				h.capmap = h.capmap ? 2 * h.capmap : 64;
				h.map = xreallocarray(h.map, h.capmap, sizeof *h.map);
			}
			h.map[h.nmap++] = lineno++;
			scan_stream_feed(h.st, line + 1, (size_t)n - 1);
			*bytes += (uint64_t)n - 1;
		}
	}
	hunk_close(&h);
	free(h.map);
	free(line);
	free(next_file);
	fclose(in);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		log_err("scan --git: 'git log' failed in %s (is it a git repository?)", repo);
		return -1;
	}
	return 0;
}
