/*
 * brig scan [--json | --sarif] [--git] [--no-gitignore] [--color WHEN] [PATH...]
 * Finds secrets in files, directories, stdin (-) or a repository's history.
 * Exit status: 0 clean, 1 findings, 2 error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "scan/githist.h"
#include "scan/report.h"
#include "scan/rules.h"
#include "scan/scan.h"
#include "scan/walk.h"
#include "util/log.h"
#include "util/xalloc.h"

#define BINARY_PROBE 8192

struct scan_run {
	const struct scan_db *db;
	struct report *rep;
	const char *file; /* the file being scanned, for the finding callback */
	size_t files;
	uint64_t bytes;
	int errors;
	unsigned char *buf;
	size_t cap;
	int pipe_like; /* the path is a pipe or device: a short read is not the end */
	struct scan_finding *found; /* one file's findings, reported in order of offset */
	size_t nfound, capfound;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: brig scan [--json | --sarif] [--git] [--no-gitignore] [--color WHEN] [PATH...]\n"
	        "       brig scan --rules [--json]\n\n"
	        "Finds secrets (API keys, tokens, private keys, passwords in URLs...) in files and\n"
	        "directories (default: .), stdin (-), or with --git every commit of a repository.\n"
	        "Binary files and paths matched by .gitignore are skipped. Matches are shown redacted.\n\n"
	        "  --json          one JSON document with every finding\n"
	        "  --sarif         SARIF 2.1.0 for code-scanning dashboards\n"
	        "  --git           scan the lines each commit added, on all refs (PATH: the repository)\n"
	        "  --no-gitignore  scan ignored files too\n"
	        "  --color WHEN    auto (default: when stdout is a terminal), always, never\n"
	        "  --rules         list the rules (--json: with their patterns)\n\n"
	        "Exit status: 0 no findings, 1 findings, 2 error.\n"
	        "A finding on a line that contains 'brig:allow' is not reported.\n"
	        "The compiled rules are cached in $XDG_CACHE_HOME/brig (BRIG_SCAN_NO_CACHE=1: never).\n");
}

static int on_finding(const struct scan_finding *f, void *ctx)
{
	struct scan_run *run = ctx;
	if (run->nfound == run->capfound) {
		run->capfound = run->capfound ? 2 * run->capfound : 16;
		run->found = xreallocarray(run->found, run->capfound, sizeof *run->found);
	}
	run->found[run->nfound++] = *f;
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct scan_finding *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Findings arrive when their line ends, decoded ones later: report them in file order. */
static void flush_findings(struct scan_run *run)
{
	if (run->nfound > 1)
		qsort(run->found, run->nfound, sizeof *run->found, by_offset);
	for (size_t i = 0; i < run->nfound; i++)
		report_add(run->rep, run->file, NULL, &run->found[i]);
	run->nfound = 0;
}

/* Fills buf. From a regular file a short read is the end of it: one read call per small file
 * instead of two (the walk sees tens of thousands). *eof tells the caller to stop. */
static int read_full(int fd, unsigned char *buf, size_t cap, size_t *got, int pipe_like, int *eof)
{
	*got = 0;
	*eof = 0;
	while (*got < cap) {
		ssize_t n = read(fd, buf + *got, cap - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		*got += (size_t)n;
		if (n == 0 || !pipe_like) {
			*eof = n == 0 || *got < cap;
			break;
		}
	}
	return 0;
}

/* One file: the first block decides binary or text (a NUL byte means binary, as git does). */
static void scan_one(const char *path, void *ctx)
{
	struct scan_run *run = ctx;
	int is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_err("scan: cannot open %s: %s", path, strerror(errno));
		run->errors++;
		return;
	}
	size_t got;
	int eof, pipe_like = is_stdin || run->pipe_like;
	if (read_full(fd, run->buf, run->cap, &got, pipe_like, &eof) < 0) {
		log_err("scan: cannot read %s: %s", path, strerror(errno));
		run->errors++;
		goto out;
	}
	if (memchr(run->buf, 0, got < BINARY_PROBE ? got : BINARY_PROBE))
		goto out;
	run->file = is_stdin ? "<stdin>" : path;
	struct scan_stream *st = scan_stream_open(run->db, on_finding, run);
	if (!st) {
		log_err("scan: cannot open a scan stream (out of memory?)");
		run->errors++;
		goto out;
	}
	run->files++;
	for (;;) {
		run->bytes += got;
		if (got && scan_stream_feed(st, run->buf, got) < 0)
			break;
		if (eof || got == 0)
			break;
		if (read_full(fd, run->buf, run->cap, &got, pipe_like, &eof) < 0) {
			log_err("scan: cannot read %s: %s", path, strerror(errno));
			run->errors++;
			break;
		}
	}
	if (scan_stream_close(st) < 0) {
		log_err("scan: scanning %s failed inside the engine", path);
		run->errors++;
	}
	flush_findings(run);
out:
	if (!is_stdin)
		close(fd);
}

static void list_rules(int json)
{
	if (!json) {
		for (size_t i = 0; i < scan_rules_n; i++)
			printf("%-34s %-12s %-8s %s\n", scan_rules[i].id, scan_rules[i].family,
			       scan_severity_name((enum scan_severity)scan_rules[i].severity),
			       scan_rules[i].description);
		printf("%zu rules\n", scan_rules_n);
		return;
	}
	json_t *a = json_array();
	for (size_t i = 0; i < scan_rules_n; i++) {
		const struct scan_rule *r = &scan_rules[i];
		json_array_append_new(
			a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:i, s:i, s:f, s:b, s:b, s:b}", "id",
		                     r->id, "family", r->family, "severity",
		                     scan_severity_name((enum scan_severity)r->severity), "description",
		                     r->description, "pattern", r->re, "bound", r->bound, "group",
		                     r->group, "check", r->check, "min_entropy", (double)r->min_entropy,
		                     "caseless", !!(r->flags & RULE_CASELESS), "keyword",
		                     !!(r->flags & RULE_KEYWORD), "generic", !!(r->flags & RULE_GENERIC)));
	}
	json_dumpf(a, stdout, JSON_INDENT(1));
	putchar('\n');
	json_decref(a);
}

int cmd_scan(int argc, char **argv)
{
	enum report_format fmt = REPORT_TEXT;
	int git = 0, use_ignore = 1, rules = 0, color = -1;
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},     {"sarif", no_argument, NULL, 's'},
		{"git", no_argument, NULL, 'g'},      {"no-gitignore", no_argument, NULL, 'I'},
		{"color", required_argument, NULL, 'c'}, {"rules", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},     {0},
	};
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': fmt = REPORT_JSON; break;
		case 's': fmt = REPORT_SARIF; break;
		case 'g': git = 1; break;
		case 'I': use_ignore = 0; break;
		case 'r': rules = 1; break;
		case 'c':
			if (!strcmp(optarg, "always"))
				color = 1;
			else if (!strcmp(optarg, "never"))
				color = 0;
			else if (!strcmp(optarg, "auto"))
				color = -1;
			else {
				log_err("scan: --color takes auto, always or never, not '%s'", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (rules) {
		list_rules(fmt != REPORT_TEXT);
		return 0;
	}
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *cache = xdg && *xdg == '/' ? xasprintf("%s/brig", xdg)
	            : home && *home == '/' ? xasprintf("%s/.cache/brig", home) : NULL;
	if (cache && !getenv("BRIG_SCAN_NO_CACHE"))
		scan_db_set_cache_dir(cache);
	free(cache);
	const char *err = NULL;
	const struct scan_db *db = scan_db_get(&err);
	if (!db) {
		log_err("scan: %s", err ? err : "the rule database does not compile");
		return 2;
	}
	if (color < 0)
		color = isatty(1) && !getenv("NO_COLOR");

	struct scan_run run = {.db = db, .cap = 1 << 20};
	run.buf = xmalloc(run.cap);
	run.rep = report_new(fmt, stdout, color);
	char *dot[] = {".", NULL};
	char **paths = optind < argc ? argv + optind : dot;
	int npaths = optind < argc ? argc - optind : 1;
	struct stat sb;
	for (int i = 0; i < npaths; i++) {
		if (git) {
			if (scan_git_history(db, paths[i], run.rep, &run.bytes, &run.files) < 0)
				run.errors++;
		} else if (!strcmp(paths[i], "-")) {
			scan_one("-", &run);
		} else if (stat(paths[i], &sb) == 0 && !S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode)) {
			run.pipe_like = 1; /* a FIFO or /dev/stdin named on the command line */
			scan_one(paths[i], &run);
			run.pipe_like = 0;
		} else if (walk_paths(paths[i], use_ignore, scan_one, &run) < 0) {
			log_err("scan: %s: %s", paths[i], strerror(errno));
			run.errors++;
		}
	}
	size_t count = report_count(run.rep);
	report_finish(run.rep, run.files, run.bytes);
	free(run.buf);
	free(run.found);
	if (fmt == REPORT_TEXT && isatty(2))
		fprintf(stderr, "brig scan: %zu finding%s in %zu file%s\n", count, count == 1 ? "" : "s",
		        run.files, run.files == 1 ? "" : "s");
	if (run.errors)
		return 2;
	return count ? 1 : 0;
}
