/* brig log [SESSION] [--follow] [--json]: a session's audit events (events.jsonl), one line each. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "session/session.h"
#include "util/log.h"
#include "util/xalloc.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An id, a unique prefix of one, or (arg NULL) the newest session. */
static char *find_session(const char *arg)
{
	char *root = session_state_root();
	char *dir = xasprintf("%s/sessions", root);
	free(root);
	DIR *d = opendir(dir);
	if (!d) {
		log_err("no sessions yet (%s: %s)", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	struct strv ids = {0};
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.')
			strv_push(&ids, de->d_name);
	closedir(d);
	if (ids.n)
		qsort(ids.v, ids.n, sizeof *ids.v, cmp_str);
	const char *pick = NULL;
	size_t matches = 0;
	for (size_t i = 0; i < ids.n; i++) {
		if (!arg) {
			pick = ids.v[i];
			matches = 1;
		} else if (!strncmp(ids.v[i], arg, strlen(arg))) {
			pick = ids.v[i];
			matches++;
			if (!strcmp(ids.v[i], arg)) {
				matches = 1;
				break;
			}
		}
	}
	char *out = NULL;
	if (matches == 1)
		out = xasprintf("%s/%s", dir, pick);
	else if (!arg)
		log_err("no sessions yet in %s", dir);
	else
		log_err("%s session matches \"%s\" in %s (see 'brig ps')", matches ? "more than one" : "no",
			arg, dir);
	strv_free(&ids);
	free(dir);
	return out;
}

static const char *str(json_t *ev, const char *key)
{
	const char *s = json_string_value(json_object_get(ev, key));
	return s ? s : "";
}

static void human_size(char *out, size_t n, json_int_t v)
{
	if (v < 10240)
		snprintf(out, n, "%lldB", (long long)v);
	else if (v < 10485760)
		snprintf(out, n, "%.1fKiB", (double)v / 1024);
	else
		snprintf(out, n, "%.1fMiB", (double)v / 1048576);
}

static void print_net(json_t *ev)
{
	printf("%-6s %s:%lld", str(ev, "decision"), str(ev, "host"),
	       (long long)json_integer_value(json_object_get(ev, "port")));
	if (*str(ev, "method"))
		printf(" %s", str(ev, "method"));
	printf(" via %s", str(ev, "via"));
	if (*str(ev, "rule"))
		printf(" rule %s", str(ev, "rule"));
	json_t *out = json_object_get(ev, "bytes_out");
	if (out) {
		char a[32], b[32];
		human_size(a, sizeof a, json_integer_value(out));
		human_size(b, sizeof b, json_integer_value(json_object_get(ev, "bytes_in")));
		printf(" out %s in %s %lldms", a, b,
		       (long long)json_integer_value(json_object_get(ev, "duration_ms")));
	}
	if (*str(ev, "reason") && strcmp(str(ev, "via"), "dns"))
		printf("\n       %s", str(ev, "reason"));
	if (*str(ev, "error"))
		printf(" (%s)", str(ev, "error"));
}

static void print_line(const char *line, bool as_json)
{
	if (as_json) {
		fputs(line, stdout);
		return;
	}
	json_error_t je;
	json_t *ev = json_loads(line, 0, &je);
	if (!json_is_object(ev)) {
		printf("(unreadable event) %s", line);
		json_decref(ev);
		return;
	}
	const char *t = str(ev, "time");
	const char *hms = strchr(t, 'T');
	printf("%.12s  %-7s ", hms ? hms + 1 : t, str(ev, "event"));
	if (!strcmp(str(ev, "event"), "net")) {
		print_net(ev);
	} else {
		const char *key;
		json_t *v;
		json_object_foreach(ev, key, v) {
			if (!strcmp(key, "time") || !strcmp(key, "event"))
				continue;
			char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			printf(" %s=%s", key, s ? s : "?");
			free(s);
		}
	}
	putchar('\n');
	json_decref(ev);
}

static bool still_running(const char *dir)
{
	char *path = xasprintf("%s/meta.json", dir);
	json_t *m = json_load_file(path, 0, NULL);
	free(path);
	bool r = m && !strcmp(str(m, "state"), "running");
	json_decref(m);
	return r;
}

int cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
					     {"json", no_argument, NULL, 'j'},
					     {"help", no_argument, NULL, 'h'},
					     {0, 0, 0, 0}};
	bool follow = false, as_json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+fjh", opts, NULL)) != -1) {
		if (c == 'f')
			follow = true;
		else if (c == 'j')
			as_json = true;
		else {
			fprintf(c == 'h' ? stdout : stderr,
				"usage: brig log [SESSION] [--follow] [--json]\n"
				"Shows a session's audit events (the newest session by default; SESSION "
				"may be a unique prefix of an id).\n");
			return c == 'h' ? 0 : BRIG_EXIT_FAIL;
		}
	}
	if (argc - optind > 1) {
		log_err("brig log takes at most one SESSION");
		return BRIG_EXIT_FAIL;
	}
	char *dir = find_session(optind < argc ? argv[optind] : NULL);
	if (!dir)
		return BRIG_EXIT_FAIL;
	char *path = xasprintf("%s/events.jsonl", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		log_err("%s: %s", path, strerror(errno));
		free(path);
		free(dir);
		return BRIG_EXIT_FAIL;
	}
	char *line = NULL;
	size_t cap = 0;
	for (;;) {
		ssize_t n = getline(&line, &cap, f);
		if (n > 0 && line[n - 1] == '\n') {
			print_line(line, as_json);
			fflush(stdout);
			continue;
		}
		if (n > 0) /* a line still being written: read it again whole */
			fseek(f, -n, SEEK_CUR);
		if (!follow)
			break;
		if (!still_running(dir)) {
			follow = false; /* one last pass for lines written just before the end */
			clearerr(f);
			continue;
		}
		clearerr(f);
		poll(NULL, 0, 200);
	}
	free(line);
	fclose(f);
	free(path);
	free(dir);
	return 0;
}
