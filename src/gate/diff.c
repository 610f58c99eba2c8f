/* brig diff: the session against the real project as a unified diff. Text comparison is done by
 * diff(1) from diffutils on file descriptors brig opened itself (never through a symlink); brig
 * adds the labels, symlinks, modes, colour and --stat. */
#include "gate/diff.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

struct diff_out {
	bool color, stat;
	size_t files, plus, minus; /* --stat totals */
};

#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_CYAN "\033[36m"
#define C_BOLD "\033[1m"
#define C_OFF "\033[0m"

static void emit(struct diff_out *o, const char *line, size_t *plus, size_t *minus)
{
	bool header = !strncmp(line, "--- ", 4) || !strncmp(line, "+++ ", 4);
	if (!header && line[0] == '+')
		(*plus)++;
	if (!header && line[0] == '-')
		(*minus)++;
	if (o->stat)
		return;
	const char *c = !o->color ? NULL
			: header  ? C_BOLD
			: line[0] == '+' ? C_GREEN
			: line[0] == '-' ? C_RED
			: line[0] == '@' ? C_CYAN
					 : NULL;
	if (!o->color) {
		fputs(line, stdout); /* piped: the patch stays byte-exact */
		return;
	}
	/* On a terminal the agent's bytes must not drive it (escape sequences that hide lines). */
	fputs(c ? c : "", stdout);
	for (const unsigned char *p = (const unsigned char *)line; *p && *p != '\n'; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			printf("^%c", *p == 0x7f ? '?' : *p + 0x40);
		else
			putchar(*p);
	}
	printf("%s\n", c ? C_OFF : "");
}

static void stat_line(struct diff_out *o, const char *path, size_t plus, size_t minus,
		      const char *note)
{
	o->files++;
	o->plus += plus;
	o->minus += minus;
	if (!o->stat)
		return;
	putchar(' ');
	gate_put_escaped(path);
	if (note) {
		printf(" | %s\n", note);
		return;
	}
	size_t n = plus + minus, scale = n > 50 ? (n + 49) / 50 : 1;
	printf(" | %zu ", n);
	for (size_t i = 0; i < plus / scale; i++)
		fputs(o->color ? C_GREEN "+" C_OFF : "+", stdout);
	for (size_t i = 0; i < minus / scale; i++)
		fputs(o->color ? C_RED "-" C_OFF : "-", stdout);
	putchar('\n');
}

/* Runs diff -u on two fds (either may be -1: /dev/null). */
static int run_diff(struct diff_out *o, const char *path, int lfd, int ufd)
{
	char a[64], b[64], la[4096 + 4], lb[4096 + 4];
	snprintf(a, sizeof a, lfd >= 0 ? "/proc/self/fd/%d" : "/dev/null", lfd);
	snprintf(b, sizeof b, ufd >= 0 ? "/proc/self/fd/%d" : "/dev/null", ufd);
	snprintf(la, sizeof la, "a/%s", path);
	snprintf(lb, sizeof lb, "b/%s", path);
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pipefd[1], 1);
		execlp("diff", "diff", "-u", "--label", lfd >= 0 ? la : "/dev/null", "--label",
		       ufd >= 0 ? lb : "/dev/null", a, b, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	FILE *in = fdopen(pipefd[0], "r");
	char *line = NULL;
	size_t cap = 0, plus = 0, minus = 0;
	bool binary = false;
	while (in && getline(&line, &cap, in) > 0) {
		binary |= !strncmp(line, "Binary files", 12);
		if (binary && !o->stat)
			gate_say("Binary files a/%s and b/%s differ", path, path);
		else if (!binary)
			emit(o, line, &plus, &minus);
	}
	free(line);
	if (in)
		fclose(in);
	int status = 0;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		log_err("diff(1) failed on %s (is diffutils installed?)", path);
		return -1;
	}
	stat_line(o, path, plus, minus, binary ? "binary" : NULL);
	return 0;
}

/* --stat counts lines in-process (one fork of diff(1) per file is the slow part on thousands of
 * files): the lines of each side are hashed, and Myers' greedy algorithm finds the length D of a
 * shortest edit script; then deletions = n - LCS and insertions = m - LCS, LCS = (n + m - D) / 2. */
struct lines {
	uint64_t *h;
	size_t n;
	bool binary;
};

static void read_lines(int fd, struct lines *l)
{
	memset(l, 0, sizeof *l);
	if (fd < 0)
		return;
	size_t cap = 0;
	uint64_t h = 1469598103934665603ULL;
	bool open_line = false;
	char buf[65536];
	ssize_t r;
	while ((r = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			unsigned char ch = (unsigned char)buf[i];
			l->binary |= ch == 0;
			h = (h ^ ch) * 1099511628211ULL;
			open_line = true;
			if (ch != '\n')
				continue;
			if (l->n == cap) {
				cap = cap ? cap * 2 : 256;
				l->h = xreallocarray(l->h, cap, sizeof *l->h);
			}
			l->h[l->n++] = h;
			h = 1469598103934665603ULL;
			open_line = false;
		}
	}
	if (open_line) {
		l->h = xreallocarray(l->h, l->n + 1, sizeof *l->h);
		l->h[l->n++] = h;
	}
	lseek(fd, 0, SEEK_SET);
}

#define MYERS_MAX_D 20000

static size_t edit_distance(const struct lines *a, const struct lines *b)
{
	size_t n = a->n, m = b->n;
	long max = (long)(n + m) < MYERS_MAX_D ? (long)(n + m) : MYERS_MAX_D;
	long *v = xcalloc((size_t)(2 * max + 3), sizeof *v);
	long off = max + 1;
	for (long d = 0; d <= max; d++) {
		for (long k = -d; k <= d; k += 2) {
			long x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
					 ? v[off + k + 1]
					 : v[off + k - 1] + 1;
			long y = x - k;
			while (x < (long)n && y < (long)m && a->h[x] == b->h[y])
				x++, y++;
			v[off + k] = x;
			if (x >= (long)n && y >= (long)m) {
				free(v);
				return (size_t)d;
			}
		}
	}
	free(v);
	return n + m; /* too different to be worth the time: count every line */
}

static void stat_counts(struct diff_out *o, const char *path, int lfd, int ufd)
{
	struct lines a, b;
	read_lines(lfd, &a);
	read_lines(ufd, &b);
	if (a.binary || b.binary) {
		stat_line(o, path, 0, 0, "binary");
	} else {
		size_t d = edit_distance(&a, &b), lcs = (a.n + b.n - d) / 2;
		stat_line(o, path, b.n - lcs, a.n - lcs, NULL);
	}
	free(a.h);
	free(b.h);
}

static int open_for_diff(int root, const char *path)
{
	int fd = gate_open_beneath(root, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* gate_open_beneath sets O_CLOEXEC; diff(1) must inherit it. */
	int flags = fcntl(fd, F_GETFD);
	fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
	return fd;
}

static void header(struct diff_out *o, const char *mark, const char *prefix, const char *path)
{
	printf("%s%s%s", o->color ? C_BOLD : "", mark, prefix);
	gate_put_escaped(path);
	printf("%s\n", o->color ? C_OFF : "");
}

/* color_mark: a colour sequence followed by the one-character +/- mark. */
static void link_line(struct diff_out *o, const char *color_mark, const char *target)
{
	const char *mark = color_mark + strlen(color_mark) - 1;
	fputs(o->color ? color_mark : mark, stdout);
	fputs("symlink -> ", stdout);
	gate_put_escaped(target);
	printf("%s\n", o->color ? C_OFF : "");
}

static void symlink_diff(struct diff_out *o, const struct gate_session *g, const struct change *c)
{
	char *old = S_ISLNK(c->lower_mode) ? gate_readlinkat_beneath(g->project_fd, c->path) : NULL;
	char *new = S_ISLNK(c->mode) ? gate_readlinkat_beneath(g->upper_fd, c->path) : NULL;
	size_t plus = new != NULL, minus = old != NULL;
	if (!o->stat) {
		header(o, "--- ", old ? "a/" : "", old ? c->path : "/dev/null");
		header(o, "+++ ", new ? "b/" : "", new ? c->path : "/dev/null");
		printf("@@ -%d +%d @@\n", old ? 1 : 0, new ? 1 : 0);
		if (old)
			link_line(o, C_RED "-", old);
		if (new)
			link_line(o, C_GREEN "+", new);
	}
	stat_line(o, c->path, plus, minus, NULL);
	free(old);
	free(new);
}

static int diff_one(struct diff_out *o, const struct gate_session *g, const struct change *c)
{
	if (c->kind == CHANGE_MODE) {
		if (!o->stat)
			gate_say("mode change %04o => %04o %s", c->lower_mode & 07777, c->mode & 07777,
				 c->path);
		stat_line(o, c->path, 0, 0, "mode");
		return 0;
	}
	if (S_ISLNK(c->mode) || S_ISLNK(c->lower_mode)) {
		symlink_diff(o, g, c);
		return 0;
	}
	bool lreg = S_ISREG(c->lower_mode), ureg = S_ISREG(c->mode);
	if (!lreg && !ureg) {
		const char *what = c->kind == CHANGE_DELETED ? "deleted" : "added";
		if (S_ISDIR(c->mode) || S_ISDIR(c->lower_mode)) {
			if (c->kind == CHANGE_DELETED && !o->stat)
				gate_say("directory %s %s/", what, c->path);
			if (c->kind == CHANGE_DELETED)
				stat_line(o, c->path, 0, 0, "directory deleted");
			return 0;
		}
		if (!o->stat)
			gate_say("special file %s %s", what, c->path);
		stat_line(o, c->path, 0, 0, "special file");
		return 0;
	}
	int lfd = lreg ? open_for_diff(g->project_fd, c->path) : -1;
	int ufd = ureg ? open_for_diff(g->upper_fd, c->path) : -1;
	int rc = 0;
	if (o->stat)
		stat_counts(o, c->path, lfd, ufd);
	else
		rc = run_diff(o, c->path, lfd, ufd);
	if (lfd >= 0)
		close(lfd);
	if (ufd >= 0)
		close(ufd);
	return rc;
}

static bool wanted(const struct strv *paths, const char *path)
{
	if (!paths->n)
		return true;
	for (size_t i = 0; i < paths->n; i++) {
		size_t n = strlen(paths->v[i]);
		if (!strcmp(paths->v[i], ".") ||
		    (!strncmp(path, paths->v[i], n) && (path[n] == '\0' || path[n] == '/')))
			return true;
	}
	return false;
}

int gate_diff(const struct gate_session *g, const struct strv *paths, bool stat, bool color)
{
	struct diff_out o = {.color = color, .stat = stat};
	int rc = 0;
	for (size_t i = 0; i < g->cs.n && rc == 0; i++) {
		const struct change *c = &g->cs.c[i];
		if (c->applied || !wanted(paths, c->path))
			continue;
		rc = diff_one(&o, g, c);
	}
	if (stat)
		printf(" %zu file%s changed, %zu insertion%s(+), %zu deletion%s(-)\n", o.files,
		       o.files == 1 ? "" : "s", o.plus, o.plus == 1 ? "" : "s", o.minus,
		       o.minus == 1 ? "" : "s");
	fflush(stdout);
	return rc;
}
